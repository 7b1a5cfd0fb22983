"""Build targets: a name (build_target) pointing at a build tag and a destination tag
through the versioned build_target_config table.

Deleting a target only revokes its config, so its name row stays and re-creating the
target reuses the id (as for tags).
"""
import koji
from koji.context import context

from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, _singleValue
from ..core.lookup import get_id, lookup_name, name_or_id_clause
from ..core.names import verify_name_internal
from .tags import get_tag
from ..core.versioning import eventCondition

_TARGET_FIELDS = (
    ('build_target.id', 'id'),
    ('build_target.name', 'name'),
    ('build_target_config.build_tag', 'build_tag'),
    ('build_tag.name', 'build_tag_name'),
    ('build_target_config.dest_tag', 'dest_tag'),
    ('dest_tag.name', 'dest_tag_name'),
)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _target_clause(info):
    return name_or_id_clause('build_target', info)


def _tag_filter_id(value):
    """A buildTagID/destTagID filter may be an id, a name or a dict."""
    if _is_int(value):
        return value
    return get_id('tag', value)


def get_build_targets(info=None, event=None, buildTagID=None, destTagID=None, queryOpts=None):
    """getBuildTargets: targets active at the event, filterable by target or tags."""
    clauses = [eventCondition(event, 'build_target_config')]
    values = {}
    if info:
        clause, cvalues = _target_clause(info)
        clauses.append(clause)
        values.update(cvalues)
    if buildTagID is not None:
        clauses.append('build_target_config.build_tag = %(build_tag)s')
        values['build_tag'] = _tag_filter_id(buildTagID)
    if destTagID is not None:
        clauses.append('build_target_config.dest_tag = %(dest_tag)s')
        values['dest_tag'] = _tag_filter_id(destTagID)
    query = QueryProcessor(
        columns=[c for c, _ in _TARGET_FIELDS], aliases=[a for _, a in _TARGET_FIELDS],
        tables=['build_target'],
        joins=['build_target_config ON build_target_config.build_target_id = build_target.id',
               'tag AS build_tag ON build_tag.id = build_target_config.build_tag',
               'tag AS dest_tag ON dest_tag.id = build_target_config.dest_tag'],
        clauses=clauses, values=values, opts=queryOpts)
    return query.execute()


def get_build_target(info, event=None, strict=False):
    """getBuildTarget: the one matching target, else None (or GenericError if strict)."""
    targets = get_build_targets(info=info, event=event)
    if len(targets) == 1:
        return targets[0]
    if strict:
        raise koji.GenericError('No such build target: %s' % (info,))
    return None


def _tag_arg_id(tag, what):
    taginfo = get_tag(tag)
    if taginfo is None:
        raise koji.GenericError("%s tag '%s' does not exist" % (what, tag))
    return taginfo['id']


def create_build_target(name, build_tag, dest_tag):
    """createBuildTarget: a new target (a deleted target's name is reused)."""
    context.session.assertPerm('target')
    verify_name_internal(name)
    if get_build_targets(info=name):
        raise koji.GenericError("A build target with the name '%s' already exists" % name)
    build_tag_id = _tag_arg_id(build_tag, 'build')
    dest_tag_id = _tag_arg_id(dest_tag, 'destination')
    target_id = get_id('build_target', name, create=True)
    insert = InsertProcessor('build_target_config', data={
        'build_target_id': target_id, 'build_tag': build_tag_id, 'dest_tag': dest_tag_id})
    insert.make_create()
    insert.execute()
    return None


def edit_build_target(buildTargetInfo, name, build_tag, dest_tag):
    """editBuildTarget: rename and re-point a target (config change is versioned)."""
    context.session.assertPerm('target')
    verify_name_internal(name)
    target = lookup_name('build_target', buildTargetInfo)
    if target is None:
        raise koji.GenericError('No such build target: %s' % (buildTargetInfo,))
    build_tag_id = _tag_arg_id(build_tag, 'build')
    dest_tag_id = _tag_arg_id(dest_tag, 'destination')
    if target['name'] != name:
        other = _singleValue('SELECT id FROM build_target WHERE name = %(name)s',
                             {'name': name}, strict=False)
        if other is not None:
            raise koji.GenericError('name "%s" is already taken by build target %i'
                                    % (name, other))
        UpdateProcessor('build_target', data={'name': name}, clauses=['id = %(id)s'],
                        values={'id': target['id']}).execute()
    update = UpdateProcessor('build_target_config', clauses=['build_target_id = %(id)s'],
                             values={'id': target['id']})
    update.make_revoke()
    update.execute()
    insert = InsertProcessor('build_target_config', data={
        'build_target_id': target['id'], 'build_tag': build_tag_id, 'dest_tag': dest_tag_id})
    insert.make_create()
    insert.execute()
    return None


def delete_build_target(buildTargetInfo):
    """deleteBuildTarget: revoke the target's config (the name row stays)."""
    context.session.assertPerm('target')
    target = lookup_name('build_target', buildTargetInfo)
    if target is None:
        raise koji.GenericError('No such build target: %s' % (buildTargetInfo,))
    update = UpdateProcessor('build_target_config', clauses=['build_target_id = %(id)s'],
                             values={'id': target['id']})
    update.make_revoke()
    update.execute()
    return None


class TargetExports(object):
    """Build target calls of the hub API."""

    createBuildTarget = staticmethod(create_build_target)
    editBuildTarget = staticmethod(edit_build_target)
    deleteBuildTarget = staticmethod(delete_build_target)
    getBuildTargets = staticmethod(get_build_targets)
    getBuildTarget = staticmethod(get_build_target)
