"""Side tags: short-lived tags (with a target of the same name) that users make themselves.

A side tag inherits from a base tag and is marked by tag extra ``sidetag`` plus the
owner's name and id.  Who may make one is left to the hub's ``sidetag`` policy, so the
writes below skip the usual 'tag' / 'target' permission checks.

Settings come from sidetag.conf, section [sidetag]: remove_empty, allowed_suffixes,
name_template, trigger_new_repo.
"""
import logging
import os

import koji
import koji.policy
from koji.context import context
from koji.plugin import callback, export
from koji.util import multi_fnmatch

from kojihub import (
    _create_build_target,
    _create_tag,
    _delete_build_target,
    _delete_tag,
    _edit_tag,
    assert_policy,
    convert_value,
    get_build_target,
    get_tag,
    get_user,
    policy_get_user,
    readInheritanceData,
)
from kojihub.db import QueryProcessor, nextval
from kojihub.repos import request_repo

CONFIG_DIR = os.environ.get('KOJI_HUB_PLUGIN_CONFIG_DIR', '/etc/koji-hub/plugins')
CONFIG_FILE = os.path.join(CONFIG_DIR, 'sidetag.conf')
DEFAULT_NAME_TEMPLATE = '{basetag}-side-{tag_id}'

logger = logging.getLogger('koji.plugin.sidetag')


class Settings(object):
    """The [sidetag] options with their defaults (a missing file means all defaults)."""

    def __init__(self, parser=None):
        self.remove_empty = False
        self.allowed_suffixes = []
        self.name_template = DEFAULT_NAME_TEMPLATE
        self.trigger_new_repo = False
        if parser is None or not parser.has_section('sidetag'):
            return
        if parser.has_option('sidetag', 'remove_empty'):
            self.remove_empty = parser.getboolean('sidetag', 'remove_empty')
        if parser.has_option('sidetag', 'allowed_suffixes'):
            self.allowed_suffixes = parser.get('sidetag', 'allowed_suffixes').split(',')
        if parser.has_option('sidetag', 'name_template'):
            self.name_template = parser.get('sidetag', 'name_template')
        if parser.has_option('sidetag', 'trigger_new_repo'):
            self.trigger_new_repo = parser.getboolean('sidetag', 'trigger_new_repo')


def read_settings(path=CONFIG_FILE):
    # raw: the name template holds '{...}' and may hold '%'
    return Settings(koji.read_config_files(path, raw=True))


SETTINGS = read_settings()


# -- ownership ---------------------------------------------------------------------------


def is_sidetag(taginfo, raise_error=False):
    """True when the tag carries the sidetag mark in its extra."""
    result = bool(taginfo['extra'].get('sidetag'))
    if not result and raise_error:
        raise koji.GenericError('Not a sidetag: %(name)s' % taginfo)
    return result


def is_sidetag_owner(taginfo, user, raise_error=False):
    """True when ``user`` made the side tag, or the caller is an admin."""
    extra = taginfo['extra']
    result = bool(extra.get('sidetag')) and (
        extra.get('sidetag_user_id') == user['id'] or context.session.hasPerm('admin'))
    if not result and raise_error:
        raise koji.ActionNotAllowed('This is not your sidetag')
    return result


# -- policy tests ------------------------------------------------------------------------


class SidetagTest(koji.policy.BaseSimpleTest):
    """``is_sidetag``: the policy data's tag is a side tag."""
    name = 'is_sidetag'

    def run(self, data):
        tag = get_tag(data['tag'])
        return bool(tag) and is_sidetag(tag)


class SidetagOwnerTest(koji.policy.BaseSimpleTest):
    """``is_sidetag_owner [tag|fromtag|both]``: the policy's user owns the side tag(s)."""
    name = 'is_sidetag_owner'

    def run(self, data):
        args = self.str.split()[1:]
        if len(args) > 1:
            raise koji.GenericError('Just one argument is allowed for this test.')
        which = args[0] if args else 'tag'
        if which not in ('tag', 'fromtag', 'both'):
            raise koji.GenericError('Policy test is_sidetag_owner has only '
                                    '/tag/fromtag/both options (got %s)' % which)
        fields = ['tag', 'fromtag'] if which == 'both' else [which]
        user = policy_get_user(data)
        for field in fields:
            if field not in data:
                return False
            tag = get_tag(data[field])
            if not tag or not is_sidetag_owner(tag, user):
                return False
        return True


# -- API ---------------------------------------------------------------------------------


def _count_user_sidetags(user_id):
    query = QueryProcessor(tables=['tag_extra'], columns=['COUNT(*)'], aliases=['count'],
                           clauses=["key = 'sidetag_user_id'", 'value = %(user_id)s',
                                    'active IS TRUE'],
                           values={'user_id': str(user_id)})
    return query.singleValue()


@export
def createSideTag(basetag, debuginfo=False, suffix=None):
    """Make a side tag of ``basetag`` (and its target) for the caller, if policy allows."""
    if suffix and suffix not in SETTINGS.allowed_suffixes:
        raise koji.GenericError('%s suffix is not allowed for sidetag' % suffix)
    context.session.assertLogin()
    user = get_user(context.session.user_id, strict=True)
    basetag = get_tag(basetag, strict=True)
    assert_policy('sidetag', {'tag': basetag['id'],
                              'number_of_tags': _count_user_sidetags(user['id'])})
    # the name shows the id the tag is about to get: the id after the next sequence value
    tag_id = nextval('tag_id_seq') + 1
    name = SETTINGS.name_template.format(basetag=basetag['name'], tag_id=tag_id)
    if suffix:
        name = '%s-%s' % (name, suffix)
    extra = {'sidetag': True, 'sidetag_user': user['name'], 'sidetag_user_id': user['id']}
    if debuginfo:
        extra['with_debuginfo'] = True
    sidetag_id = _create_tag(name, parent=basetag['id'], arches=basetag['arches'],
                             extra=extra)
    _create_build_target(name, sidetag_id, sidetag_id)
    request = None
    if SETTINGS.trigger_new_repo:
        request = request_repo(sidetag_id)['request']
    return {'name': name, 'id': sidetag_id, 'task_id': None, 'request': request}


def _remove_sidetag(sidetag):
    target = get_build_target(sidetag['name'])
    if not target:
        raise koji.GenericError('Target is missing for sidetag')
    if target['build_tag'] != sidetag['id'] or target['dest_tag'] != sidetag['id']:
        raise koji.GenericError('Target does not match sidetag')
    _delete_build_target(target['id'])
    _delete_tag(sidetag['id'])


@export
def removeSideTag(sidetag):
    """Delete a side tag and its target (owner or admin)."""
    context.session.assertLogin()
    user = get_user(context.session.user_id, strict=True)
    sidetag = get_tag(sidetag, strict=True)
    is_sidetag(sidetag, raise_error=True)
    is_sidetag_owner(sidetag, user, raise_error=True)
    _remove_sidetag(sidetag)


@export
def listSideTags(basetag=None, user=None, queryOpts=None):
    """Side tags as {id, name, user_id, user_name}, optionally of one parent / owner."""
    values = {}
    joins = ["JOIN tag_extra AS te1 ON te1.tag_id = tag.id",
             "JOIN tag_extra AS te2 ON te2.tag_id = tag.id",
             "LEFT JOIN users ON users.id = CAST(te2.value AS INTEGER)"]
    clauses = ["te1.active IS TRUE", "te1.key = 'sidetag'", "te1.value = 'true'",
               "te2.active IS TRUE", "te2.key = 'sidetag_user_id'"]
    if user is not None:
        values['user_id'] = str(get_user(user, strict=True)['id'])
        clauses.append('te2.value = %(user_id)s')
    if basetag is not None:
        values['basetag_id'] = get_tag(basetag, strict=True)['id']
        joins.append('JOIN tag_inheritance ON tag_inheritance.tag_id = tag.id')
        clauses += ['tag_inheritance.active IS TRUE',
                    'tag_inheritance.parent_id = %(basetag_id)s']
    query = QueryProcessor(tables=['tag'], joins=joins, clauses=clauses, values=values,
                           columns=['tag.id', 'tag.name', 'te2.value', 'users.name'],
                           aliases=['id', 'name', 'user_id', 'user_name'], opts=queryOpts)
    return query.execute()


def _valid_rpm_macro_name(macro):
    # rpm wants at least two characters, starting with a letter or '_'
    return len(macro) > 1 and (macro[0].isalpha() or macro[0] == '_')


def _allowed_macros(parent):
    """The parent's sidetag_rpm_macros_allowed as a list of globs (a string is split)."""
    allowed = parent['extra'].get('sidetag_rpm_macros_allowed', [])
    if allowed is None:
        allowed = []
    elif isinstance(allowed, str):
        allowed = allowed.split()
    elif not isinstance(allowed, list):
        raise koji.GenericError('rpm_macros_allowed in %s has invalid type: %s'
                                % (parent['name'], type(allowed)))
    if not all(isinstance(item, str) for item in allowed):
        raise koji.GenericError('Allowed rpm macro list %r is invalid for %s.'
                                % (allowed, parent['name']))
    if not allowed:
        raise koji.GenericError('RPM macros change is not allowed in parent tag.')
    return allowed


@export
def editSideTag(sidetag, debuginfo=None, rpm_macros=None, remove_rpm_macros=None, extra=None,
                remove_extra=None):
    """Change what the parent tag lets side tag owners change: debuginfo and rpm macros.

    extra / remove_extra need sidetag_admin (or admin).
    """
    context.session.assertLogin()
    user = get_user(context.session.user_id, strict=True)
    sidetag = get_tag(sidetag, strict=True)
    is_sidetag(sidetag, raise_error=True)
    is_sidetag_owner(sidetag, user, raise_error=True)
    if (extra is not None or remove_extra is not None) and not (
            context.session.hasPerm('sidetag_admin') or context.session.hasPerm('admin')):
        raise koji.GenericError(
            'Extra can be modified only with sidetag_admin or admin permissions.')
    new_extra = dict(extra or {})
    removed = list(remove_extra or [])
    parent = get_tag(readInheritanceData(sidetag['id'])[0]['parent_id'])
    if debuginfo is not None:
        if not parent['extra'].get('sidetag_debuginfo_allowed'):
            raise koji.GenericError('Debuginfo setting is not allowed in parent tag.')
        new_extra['with_debuginfo'] = bool(debuginfo)
    allowed = []
    if rpm_macros or remove_rpm_macros:
        allowed = _allowed_macros(parent)
    if rpm_macros is not None:
        convert_value(rpm_macros, cast=dict, check_only=True)
        for macro, value in rpm_macros.items():
            if not _valid_rpm_macro_name(macro):
                raise koji.GenericError('Invalid macro name %r' % macro)
            if not multi_fnmatch(macro, allowed):
                raise koji.GenericError(
                    'RPM macro %s editing is not allowed via parent tag' % macro)
            new_extra['rpm.macro.%s' % macro] = value
    if remove_rpm_macros is not None:
        convert_value(remove_rpm_macros, cast=list, check_only=True)
        for macro in remove_rpm_macros:
            if not multi_fnmatch(macro, allowed):
                raise koji.GenericError(
                    'RPM macro %s editing is not allowed via parent tag' % macro)
        removed = ['rpm.macro.%s' % macro for macro in remove_rpm_macros]
    _edit_tag(sidetag['id'], extra=new_extra, remove_extra=removed)


# -- remove_empty ------------------------------------------------------------------------


def handle_sidetag_untag(cbtype, *args, **kws):
    """postUntag: drop a side tag once its last build is untagged."""
    tag = kws.get('tag')
    if not tag:
        return
    tag = get_tag(tag['id'], strict=False)
    if not tag or not is_sidetag(tag):
        return
    query = QueryProcessor(tables=['tag_listing'], values={'tag_id': tag['id']},
                           clauses=['tag_id = %(tag_id)s', 'active IS TRUE'],
                           opts={'countOnly': True})
    if query.execute():
        return
    try:
        _remove_sidetag(tag)
    except koji.GenericError:
        logger.warning('Could not remove empty side tag %s', tag['name'], exc_info=True)


if SETTINGS.remove_empty:
    handle_sidetag_untag = callback('postUntag')(handle_sidetag_untag)
