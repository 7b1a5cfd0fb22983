"""Tags: the tag record (tag + versioned tag_config and tag_extra) and its calls.

A tag "exists" while it has an active tag_config row; the tag table row (its id and name)
is kept forever so that history keeps resolving, and re-creating a deleted tag reuses it.
"""
import json

import koji
from koji.context import context

from ..users import perms as _perms
from ..core.validate import check_extra
from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, _singleValue
from .inheritance import _write_inheritance_data, readFullInheritance
from ..core.lookup import get_id, name_or_id_clause
from ..core.names import verify_name_internal
from ..core.versioning import eventCondition

_TAG_FIELDS = (
    ('tag.id', 'id'),
    ('tag.name', 'name'),
    ('tag_config.perm_id', 'perm_id'),
    ('permissions.name', 'perm'),
    ('tag_config.arches', 'arches'),
    ('tag_config.locked', 'locked'),
    ('tag_config.maven_support', 'maven_support'),
    ('tag_config.maven_include_all', 'maven_include_all'),
)
_CONFIG_FIELDS = ('arches', 'perm_id', 'locked', 'maven_support', 'maven_include_all')

# tables whose rows hang off a tag and are revoked when the tag is deleted
_TAG_OWNED = ('tag_config', 'tag_extra', 'tag_inheritance', 'tag_listing', 'tag_packages',
              'tag_package_owners', 'tag_external_repos', 'group_config', 'group_req_listing',
              'group_package_listing')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _tag_clause(tagInfo):
    """SQL clause and values selecting a tag by id, name or dict."""
    return name_or_id_clause('tag', tagInfo)


def _tag_query(clauses, values, event):
    return QueryProcessor(columns=[c for c, _ in _TAG_FIELDS], aliases=[a for _, a in _TAG_FIELDS],
                          tables=['tag_config'],
                          joins=['tag ON tag.id = tag_config.tag_id',
                                 'LEFT JOIN permissions ON permissions.id = tag_config.perm_id'],
                          clauses=[eventCondition(event, 'tag_config')] + clauses,
                          values=values)


def _extra_column(event):
    """SQL of a column holding a tag's extra rows as [key, value] pairs, so that getTag
    reads the tag and its extra in one statement."""
    return ('ARRAY(SELECT ARRAY[tag_extra.key, tag_extra.value] FROM tag_extra '
            'WHERE tag_extra.tag_id = tag.id AND %s)'
            % eventCondition(event, 'tag_extra'))


def _extra_entries(pairs):
    """{key: [blocked, value]} of _extra_column's pairs (a NULL value is a block)."""
    return {key: [True, None] if value is None else [False, json.loads(value)]
            for key, value in pairs or ()}


def _read_extra(tag_ids, event=None):
    """{tag_id: {key: [blocked, value]}} for several tags in one query."""
    result = {tag_id: {} for tag_id in tag_ids}
    if not tag_ids:
        return result
    query = QueryProcessor(columns=['tag_id', 'key', 'value'], tables=['tag_extra'],
                           clauses=[eventCondition(event, 'tag_extra'),
                                    'tag_id = ANY(%(ids)s)'],
                           values={'ids': list(tag_ids)})
    for row in query.execute():
        if row['value'] is None:
            entry = [True, None]
        else:
            entry = [False, json.loads(row['value'])]
        result[row['tag_id']][row['key']] = entry
    return result


def _flatten_extra(extra, blocked):
    if blocked:
        return extra
    return {key: value for key, (is_blocked, value) in extra.items() if not is_blocked}


def get_tag_extra(tagInfo, event=None, blocked=False):
    """Extra values of one tag (blocked=True: {key: [blocked, value]}, blocks included)."""
    tag_id = tagInfo['id'] if isinstance(tagInfo, dict) else get_tag_id(tagInfo, strict=True)
    return _flatten_extra(_read_extra([tag_id], event)[tag_id], blocked)


def get_tag(tagInfo, strict=False, event=None, blocked=False):
    """getTag: a tag record by id, name or dict, optionally as of an event.

    event='auto' also finds a deleted tag: it answers as of the event just before the
    deletion and adds revoke_event.
    """
    clause, values = _tag_clause(tagInfo)
    revoke_event = None
    if event == 'auto':
        query = QueryProcessor(columns=['tag_config.create_event', 'tag_config.revoke_event',
                                        'tag_config.active'],
                               aliases=['create_event', 'revoke_event', 'active'],
                               tables=['tag_config'],
                               joins=['tag ON tag.id = tag_config.tag_id'], clauses=[clause],
                               values=values,
                               opts={'order': '-create_event', 'limit': 1})
        last = query.executeOne()
        event = None
        if last is not None and not last['active']:
            revoke_event = last['revoke_event']
            event = revoke_event - 1
    query = _tag_query([clause], values, event)
    query.prepare = True
    query.columns.append(_extra_column(event))
    query.aliases.append('_extra')
    result = query.executeOne()
    if result is None:
        if strict:
            raise koji.GenericError('No such tagInfo: %r' % (tagInfo,))
        return None
    result['extra'] = _flatten_extra(_extra_entries(result.pop('_extra')), blocked)
    if event is not None:
        result['query_event'] = event
    if revoke_event is not None:
        result['revoke_event'] = revoke_event
    return result


def get_tags_bulk(tag_ids, event=None, blocked=False):
    """{tag_id: tag record} for many tags with two queries (missing tags are left out)."""
    tag_ids = list(tag_ids)
    if not tag_ids:
        return {}
    rows = _tag_query(['tag.id = ANY(%(ids)s)'], {'ids': tag_ids}, event).execute()
    extras = _read_extra([row['id'] for row in rows], event)
    result = {}
    for row in rows:
        row['extra'] = _flatten_extra(extras[row['id']], blocked)
        result[row['id']] = row
    return result


def get_tag_id(info, strict=False, create=False):
    """getTagID: id of a tag name (deleted tags included, as their id is kept)."""
    return get_id('tag', info, strict=strict, create=create)


def _check_maven(maven_support, maven_include_all):
    if (maven_support or maven_include_all) and not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')


def _check_arches(arches):
    if arches is None:
        return None
    if not isinstance(arches, str):
        raise koji.ParameterError('arches must be a string: %r' % (arches,))
    return koji.parse_arches(arches, strict=True, allow_none=True)


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise koji.ParameterError('%s must be a boolean: %r' % (name, value))
    return value


def _perm_id(perm):
    if perm is None:
        return None
    return _perms.lookup_perm(perm, strict=True)['id']


def _write_extra(tag_id, key, value, block=False):
    """Replace the active extra row of one key (a block is stored as SQL NULL)."""
    update = UpdateProcessor('tag_extra', clauses=['tag_id = %(tag_id)s', 'key = %(key)s'],
                             values={'tag_id': tag_id, 'key': key})
    update.make_revoke()
    update.execute()
    if not block:
        check_extra(value)
    data = {'tag_id': tag_id, 'key': key,
            'value': None if block else json.dumps(value)}
    insert = InsertProcessor('tag_extra', data=data)
    insert.make_create()
    insert.execute()


def _check_extra_keys(keys, what):
    if not isinstance(keys, (list, tuple)):
        raise koji.ParameterError('%s must be a list of keys' % what)
    for key in keys:
        if not isinstance(key, str):
            raise koji.ParameterError('%s keys must be strings: %r' % (what, key))


def create_tag(name, parent=None, arches=None, perm=None, locked=False, maven_support=False,
               maven_include_all=False, extra=None):
    """createTag: new tag (or a deleted tag's name brought back); returns its id."""
    context.session.assertPerm('tag')
    verify_name_internal(name)
    # like upstream, a tag made without arches stores '' (so getBuildConfig does not
    # inherit a parent's arches for it)
    arches = _check_arches(arches if arches is not None else '')
    _check_maven(maven_support, maven_include_all)
    if get_tag(name):
        raise koji.GenericError("A tag with the name '%s' already exists" % name)
    _check_bool('locked', locked)
    _check_bool('maven_support', maven_support)
    _check_bool('maven_include_all', maven_include_all)
    if extra is not None and not isinstance(extra, dict):
        raise koji.ParameterError('extra must be a struct')
    for value in (extra or {}).values():
        check_extra(value)
    parent_id = None
    if parent is not None:
        parent_tag = get_tag(parent)
        if parent_tag is None:
            raise koji.GenericError("Parent tag '%s' could not be found" % parent)
        parent_id = parent_tag['id']
    perm_id = _perm_id(perm)
    tag_id = get_tag_id(name, create=True)
    insert = InsertProcessor('tag_config', data={
        'tag_id': tag_id, 'arches': arches, 'perm_id': perm_id, 'locked': locked,
        'maven_support': maven_support, 'maven_include_all': maven_include_all})
    insert.make_create()
    insert.execute()
    for key, value in sorted((extra or {}).items()):
        insert = InsertProcessor('tag_extra', data={'tag_id': tag_id, 'key': key,
                                                    'value': json.dumps(value)})
        insert.make_create()
        insert.execute()
    if parent_id is not None:
        _write_inheritance_data(tag_id, {'parent_id': parent_id, 'priority': 0,
                                         'maxdepth': None, 'intransitive': False,
                                         'noconfig': False, 'pkg_filter': ''})
    return tag_id


def edit_tag(tagInfo, **kwargs):
    """editTag2: change name, config and extra of a tag; config changes are versioned.

    As upstream: unknown options are ignored, perm_id wins over perm, arches are only
    normalized when they change, and block_extra always writes a new block row.
    """
    context.session.assertPerm('tag')
    if not context.opts.get('EnableMaven') and \
            ('maven_support' in kwargs or 'maven_include_all' in kwargs):
        raise koji.GenericError('Maven support not enabled')
    for key in ('remove_extra', 'block_extra'):
        if kwargs.get(key):
            _check_extra_keys(kwargs[key], key)
    tag = get_tag(tagInfo, strict=True)
    if 'perm' in kwargs and 'perm_id' not in kwargs:
        kwargs['perm_id'] = kwargs['perm']
    if kwargs.get('perm_id') is not None:
        kwargs['perm_id'] = _perm_id(kwargs['perm_id'])

    name = kwargs.get('name')
    if name and name != tag['name']:
        verify_name_internal(name)
        other = _singleValue('SELECT id FROM tag WHERE name = %(name)s', {'name': name},
                             strict=False)
        if other is not None:
            raise koji.GenericError('Name %s already taken by tag %s' % (name, other))
        UpdateProcessor('tag', data={'name': name}, clauses=['id = %(tag_id)s'],
                        values={'tag_id': tag['id']}).execute()

    arches = kwargs.get('arches')
    if arches and arches != tag['arches']:
        kwargs['arches'] = _check_arches(arches)
    config = {key: tag[key] for key in _CONFIG_FIELDS}
    changed = False
    for key in _CONFIG_FIELDS:
        if key in kwargs and kwargs[key] != config[key]:
            config[key] = kwargs[key]
            changed = True
    if changed:
        update = UpdateProcessor('tag_config', clauses=['tag_id = %(tag_id)s'],
                                 values={'tag_id': tag['id']})
        update.make_revoke()
        update.execute()
        config['tag_id'] = tag['id']
        insert = InsertProcessor('tag_config', data=config)
        insert.make_create()
        insert.execute()

    extra = kwargs.get('extra')
    # (upstream fails on extra=None, which its own editTag passes; here it means none)
    if extra is not None:
        if not isinstance(extra, dict):
            raise koji.ParameterError('extra must be a struct')
        removed = set(kwargs.get('block_extra') or []) | set(kwargs.get('remove_extra') or [])
        conflicts = sorted(removed & set(extra))
        if conflicts:
            raise koji.GenericError("Can not both add/update and remove tag-extra: '%s'"
                                    % conflicts[0])
        for key, value in extra.items():
            if key not in tag['extra'] or tag['extra'][key] != value:
                _write_extra(tag['id'], key, value)
    for key in kwargs.get('block_extra') or []:
        _write_extra(tag['id'], key, None, block=True)
    remove_extra = kwargs.get('remove_extra')
    if remove_extra is not None:
        missing = [key for key in remove_extra if key not in tag['extra']]
        if missing:
            raise koji.GenericError("Tag: %s doesn't have extra: %s"
                                    % (tag['name'], ', '.join(missing)))
        update = UpdateProcessor('tag_extra',
                                 clauses=['tag_id = %(tag_id)s', 'key = ANY(%(keys)s)'],
                                 values={'tag_id': tag['id'], 'keys': list(remove_extra)})
        update.make_revoke()
        update.execute()
    return None


def old_edit_tag(tagInfo, name, arches, locked, permissionID, extra=None):
    """editTag: the legacy positional form of editTag2."""
    return edit_tag(tagInfo, name=name, arches=arches, locked=locked, perm_id=permissionID,
                    extra=extra)


def delete_tag(tagInfo):
    """deleteTag: revoke the tag config and everything hanging off it in one event.

    The tag row itself stays (history refers to it); targets using the tag as build or
    destination tag are deleted too, as are links from child tags.
    """
    context.session.assertPerm('tag')
    tag = get_tag(tagInfo, strict=True)
    tag_id = tag['id']

    def revoke(table, column='tag_id'):
        update = UpdateProcessor(table, clauses=['%s = %%(tag_id)s' % column],
                                 values={'tag_id': tag_id})
        update.make_revoke()
        update.execute()

    for table in _TAG_OWNED:
        revoke(table)
    revoke('tag_inheritance', 'parent_id')
    revoke('build_target_config', 'build_tag')
    revoke('build_target_config', 'dest_tag')
    return None


def _glob_to_like(pattern):
    """A glob as upstream turns it into an ILIKE pattern ('%' is left as a wildcard)."""
    return pattern.replace('\\', '\\\\').replace('_', r'\_').replace('?', '_') \
        .replace('*', '%')


def _lookup_build_id(build):
    """Build id for an id, an N-V-R string or a dict with id or nvr parts."""
    if isinstance(build, dict):
        if build.get('id') is not None:
            build = build['id']
        elif build.get('nvr'):
            build = build['nvr']
        elif all(build.get(k) for k in ('name', 'version', 'release')):
            build = '%(name)s-%(version)s-%(release)s' % build
    if _is_int(build):
        clauses, values = ['build.id = %(build)s'], {'build': build}
    elif isinstance(build, str):
        try:
            nvr = koji.parse_NVR(build)
        except koji.GenericError:
            return None
        clauses = ['package.name = %(name)s', 'build.version = %(version)s',
                   'build.release = %(release)s']
        values = {k: nvr[k] for k in ('name', 'version', 'release')}
    else:
        raise koji.ParameterError('Invalid type for build: %s' % type(build))
    query = QueryProcessor(columns=['build.id'], aliases=['id'], tables=['build'],
                           joins=['package ON package.id = build.pkg_id'], clauses=clauses,
                           values=values)
    return query.singleValue(strict=False)


def list_tags(build=None, package=None, perms=True, queryOpts=None, pattern=None):
    """listTags: active tags, optionally those holding a build or listing a package."""
    fields = [('tag.id', 'id'), ('tag.name', 'name'), ('tag_config.arches', 'arches'),
              ('tag_config.locked', 'locked'), ('tag_config.maven_support', 'maven_support'),
              ('tag_config.maven_include_all', 'maven_include_all')]
    joins = ['tag ON tag.id = tag_config.tag_id']
    clauses = ['tag_config.active = TRUE']
    values = {}
    if build is not None and package is not None:
        raise koji.GenericError('only one of build and package may be specified')
    if build is not None:
        build_id = _lookup_build_id(build)
        if build_id is None:
            raise koji.GenericError('No such build: %s' % (build,))
        joins.append('tag_listing ON tag_listing.tag_id = tag.id')
        clauses += ['tag_listing.active = TRUE', 'tag_listing.build_id = %(build_id)s']
        values['build_id'] = build_id
    if package is not None:
        package_id = get_id('package', package)
        if package_id is None:
            raise koji.GenericError('No such package: %s' % (package,))
        joins += ['tag_packages ON tag_packages.tag_id = tag.id',
                  'tag_package_owners ON tag_package_owners.tag_id = tag.id '
                  'AND tag_package_owners.package_id = tag_packages.package_id',
                  'users ON users.id = tag_package_owners.owner']
        clauses += ['tag_packages.active = TRUE', 'tag_package_owners.active = TRUE',
                    'tag_packages.package_id = %(package_id)s']
        values['package_id'] = package_id
        fields += [('tag_packages.blocked', 'blocked'),
                   ('tag_packages.extra_arches', 'extra_arches'),
                   ('tag_package_owners.owner', 'owner_id'), ('users.name', 'owner_name')]
    if perms:
        joins.append('LEFT JOIN permissions ON permissions.id = tag_config.perm_id')
        fields += [('tag_config.perm_id', 'perm_id'), ('permissions.name', 'perm')]
    if pattern is not None:
        if not isinstance(pattern, str):
            raise koji.ParameterError('pattern must be a string')
        clauses.append('tag.name ILIKE %(pattern)s')
        values['pattern'] = _glob_to_like(pattern)
    query = QueryProcessor(columns=[c for c, _ in fields], aliases=[a for _, a in fields],
                           tables=['tag_config'], joins=joins, clauses=clauses, values=values,
                           opts=queryOpts)
    return query.execute()


def get_build_config(tag, event=None):
    """getBuildConfig: the tag with arches and extra resolved through inheritance.

    Only a link's own noconfig flag keeps its parent's config out (as upstream: the
    parent's ancestors still count); a blocked extra key stops that key from being
    inherited from further up.
    """
    taginfo = get_tag(tag, strict=True, event=event, blocked=True)
    origin = {'extra': {}, 'arches': None}
    order = readFullInheritance(taginfo['id'], event=event)
    config_links = [link['parent_id'] for link in order if not link['noconfig']]
    ancestors = get_tags_bulk(config_links, event=event, blocked=True)
    for parent_id in config_links:
        ancestor = ancestors.get(parent_id)
        if ancestor is None:
            continue
        source = {'id': ancestor['id'], 'name': ancestor['name']}
        if taginfo['arches'] is None and ancestor['arches'] is not None:
            taginfo['arches'] = ancestor['arches']
            origin['arches'] = source
        for key, value in ancestor['extra'].items():
            if key not in taginfo['extra']:
                taginfo['extra'][key] = value
                origin['extra'][key] = source
    extra = {}
    for key, (is_blocked, value) in taginfo['extra'].items():
        if is_blocked:
            origin['extra'].pop(key, None)
        else:
            extra[key] = value
    taginfo['extra'] = extra
    taginfo['config_inheritance'] = origin
    return taginfo


def check_tag_access(tag_id, user_id=None):
    """checkTagAccess: (access, override, reason) for tagging into a tag.

    Admins get override=True so that callers with force can go past a lock or perm.
    """
    if user_id is None:
        user_id = context.session.user_id
    if user_id is None:
        raise koji.GenericError('a user_id is required')
    user_perms = _perms.get_user_perms(user_id)
    override = 'admin' in user_perms
    tag = get_tag(tag_id, strict=True)
    if tag['locked']:
        return (False, override, 'tag is locked')
    if tag['perm_id']:
        if tag['perm'] not in user_perms:
            return (False, override, 'tag requires %s permission' % tag['perm'])
    return (True, override, '')


def assert_tag_access(tag_id, user_id=None, force=False):
    """Fail with ActionNotAllowed unless check_tag_access allows (or admin forces)."""
    access, override, reason = check_tag_access(tag_id, user_id)
    if not access and not (override and force):
        raise koji.ActionNotAllowed(reason)


class TagExports(object):
    """Tag calls of the hub API."""

    createTag = staticmethod(create_tag)
    editTag = staticmethod(old_edit_tag)
    editTag2 = staticmethod(edit_tag)
    deleteTag = staticmethod(delete_tag)
    getTag = staticmethod(get_tag)
    getTagID = staticmethod(get_tag_id)
    listTags = staticmethod(list_tags)
    getBuildConfig = staticmethod(get_build_config)
    checkTagAccess = staticmethod(check_tag_access)
