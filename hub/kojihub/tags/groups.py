"""Comps groups of tags: group_config, group_package_listing and group_req_listing.

Groups, their package lists and their requirements are inherited entry by entry: the
nearest tag that says anything about a group (or a package or requirement within it)
wins, and a blocked entry hides what the parents say. Each table is read with one query
over every tag of the inheritance, then resolved in memory.
"""
import logging

import koji
from koji.context import context
from koji.util import dslice

from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor
from ..core.lookup import lookup_name
from ..core.names import verify_name_internal
from ..core.versioning import eventCondition

logger = logging.getLogger('koji.hub.groups')

GROUP_FIELDS = ('exported', 'display_name', 'is_default', 'uservisible', 'description',
                'langonly', 'biarchonly')
PACKAGE_FIELDS = ('type', 'basearchonly', 'requires')
REQ_FIELDS = ('type', 'is_metapkg')


def _get_tag(taginfo, strict=True, event=None):
    from . import tags
    return tags.get_tag(taginfo, strict=strict, event=event)


def _get_tag_id(taginfo, strict=True):
    from . import tags
    return tags.get_tag_id(taginfo, strict=strict)


def _full_inheritance(tag_id, event=None):
    from . import inheritance
    return inheritance.readFullInheritance(tag_id, event=event)


def lookup_group(info, strict=False, create=False):
    """{id, name} of a comps group given by id, name or dict; create makes a missing name."""
    row = lookup_name('groups', info, strict=strict and not create)
    if row is None and create:
        if not isinstance(info, str):
            raise koji.GenericError('Name must be a string to create a group: %r' % (info,))
        verify_name_internal(info)
        row = lookup_name('groups', info, create=True)
    return row


def get_group_id(info, strict=False, create=False):
    row = lookup_group(info, strict=strict, create=create)
    return None if row is None else row['id']


# ---------------------------------------------------------------------------
# reading

def _tag_order(tag_id, inherit, event):
    """The tag and (when inheriting) its ancestors, nearest first, each once."""
    order = [tag_id]
    if inherit:
        for link in _full_inheritance(tag_id, event=event):
            if link['parent_id'] not in order:
                order.append(link['parent_id'])
    return order


def _rows_by_tag(table, columns, aliases, order, event, joins=None, sort='name'):
    """One query over every tag in order; rows grouped per tag."""
    if len(order) == 1:
        clause = '%s.tag_id = %%(tag_id)s' % table
        values = {'tag_id': order[0]}
    else:
        clause = '%s.tag_id IN %%(tag_ids)s' % table
        values = {'tag_ids': tuple(order)}
    query = QueryProcessor(tables=[table], columns=columns, aliases=aliases, joins=joins,
                           clauses=[eventCondition(event, table), clause], values=values,
                           opts={'order': sort})
    by_tag = {}
    for row in query.execute():
        by_tag.setdefault(row['tag_id'], []).append(row)
    return by_tag


def get_tag_groups(tag, event=None, inherit=True, incl_pkgs=True, incl_reqs=True):
    """{group_id: group} of a tag with blocked entries kept.

    packagelist is {package name: entry} and grouplist {req group id: entry}; blocked
    groups get empty lists, and requirements on groups the tag lacks or blocks are left
    out.
    """
    tag_id = _get_tag_id(tag, strict=True)
    order = _tag_order(tag_id, inherit, event)
    cols = ['group_config.%s' % f for f in ('group_id', 'tag_id', 'blocked') + GROUP_FIELDS]
    by_tag = _rows_by_tag('group_config', cols + ['groups.name'],
                          [c.split('.')[1] for c in cols] + ['name'], order, event,
                          joins=['groups ON groups.id = group_config.group_id'])
    groups = {}
    for tid in order:
        for row in by_tag.get(tid, ()):
            groups.setdefault(row['group_id'], row)
    if incl_pkgs:
        for group in groups.values():
            group['packagelist'] = {}
        cols = ['group_package_listing.%s' % f
                for f in ('group_id', 'tag_id', 'package', 'blocked') + PACKAGE_FIELDS]
        by_tag = _rows_by_tag('group_package_listing', cols, [c.split('.')[1] for c in cols],
                              order, event, sort='package')
        for tid in order:
            for row in by_tag.get(tid, ()):
                group = groups.get(row['group_id'])
                if group is None or group['blocked']:
                    continue
                group['packagelist'].setdefault(row['package'], row)
    if incl_reqs:
        for group in groups.values():
            group['grouplist'] = {}
        cols = ['group_req_listing.%s' % f
                for f in ('group_id', 'tag_id', 'req_id', 'blocked') + REQ_FIELDS]
        by_tag = _rows_by_tag('group_req_listing', cols + ['groups.name'],
                              [c.split('.')[1] for c in cols] + ['name'], order, event,
                              joins=['groups ON groups.id = group_req_listing.req_id'])
        for tid in order:
            for row in by_tag.get(tid, ()):
                group = groups.get(row['group_id'])
                required = groups.get(row['req_id'])
                if group is None or group['blocked']:
                    continue
                if required is None or required['blocked']:
                    continue
                group['grouplist'].setdefault(row['req_id'], row)
    return groups


def readTagGroups(tag, event=None, inherit=True, incl_pkgs=True, incl_reqs=True,
                  incl_blocked=False):
    """The getTagGroups call: groups as a list, with lists for packages and requirements."""
    groups = list(get_tag_groups(tag, event, inherit, incl_pkgs, incl_reqs).values())
    for group in groups:
        for key in ('packagelist', 'grouplist'):
            if key in group:
                group[key] = [entry for entry in group[key].values()
                              if incl_blocked or not entry['blocked']]
    if not incl_blocked:
        groups = [group for group in groups if not group['blocked']]
    return groups


# ---------------------------------------------------------------------------
# writing

def _replace(table, keys, data):
    """Revoke the active row for keys in table and insert data as its successor."""
    clauses = ['%s = %%(%s)s' % (k, k) for k in sorted(keys)]
    update = UpdateProcessor(table, clauses=clauses, values=dict(keys))
    update.make_revoke()
    update.execute()
    if data is not None:
        row = dict(keys)
        row.update(data)
        insert = InsertProcessor(table, data=row)
        insert.make_create()
        insert.execute()


def _fill_from(previous, opts, fields):
    """Take what opts leaves out from the previous entry; True when a given field differs."""
    changed = False
    for field in fields:
        if field in opts:
            if opts[field] != previous[field]:
                changed = True
        else:
            opts[field] = previous[field]
    return changed


def grplist_add(taginfo, grpinfo, block=False, force=False, **opts):
    """Add or update a comps group in a tag (group fields as keyword options)."""
    context.session.assertPerm('tag')
    return _grplist_add(taginfo, grpinfo, block, force, **opts)


def _grplist_add(taginfo, grpinfo, block, force, **opts):
    """grplist_add without the permission check.

    As upstream: a group blocked in the tag or an ancestor is only changed with force,
    and writing the same data again (blocked flag included) is a no-op even then.
    """
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, create=True)
    opts['blocked'] = bool(block)
    fields = GROUP_FIELDS + ('blocked',)
    opts = dslice(opts, fields, strict=False)
    previous = get_tag_groups(tag['id'], inherit=True, incl_pkgs=False,
                              incl_reqs=False).get(group['id'])
    if previous is not None:
        if previous['blocked'] and not force:
            raise koji.GenericError('group %s is blocked in tag %s'
                                    % (group['name'], tag['name']))
        if not _fill_from(previous, opts, fields):
            return None
    opts.setdefault('display_name', group['name'])
    opts.setdefault('biarchonly', False)
    opts.setdefault('exported', True)
    opts.setdefault('uservisible', True)
    _replace('group_config', {'group_id': group['id'], 'tag_id': tag['id']}, opts)
    return None


def grplist_remove(taginfo, grpinfo, force=False):
    """Drop a tag's own entry for a group (an inherited entry shows through again)."""
    context.session.assertPerm('tag')
    return _grplist_remove(taginfo, grpinfo, force)


def _grplist_remove(taginfo, grpinfo, force=False):
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, strict=True)
    keys = {'group_id': group['id'], 'tag_id': tag['id']}
    query = QueryProcessor(tables=['group_config'], columns=['group_id'],
                           clauses=['active = TRUE', 'group_id = %(group_id)s',
                                    'tag_id = %(tag_id)s'], values=keys)
    if not query.execute() and not force:
        raise koji.GenericError('No group: %s found for tag: %s'
                                % (group['name'], tag['name']))
    _replace('group_config', keys, None)
    return None


def grplist_block(taginfo, grpinfo):
    """Block a comps group in a tag (hiding inherited definitions)."""
    context.session.assertPerm('tag')
    return _grplist_add(taginfo, grpinfo, block=True, force=False)


def _assert_blocked(table, keys, what):
    """Fail unless the tag's own entry is a block (unblock never touches parents)."""
    clauses = ['active = TRUE'] + ['%s = %%(%s)s' % (k, k) for k in sorted(keys)]
    query = QueryProcessor(tables=[table], columns=['blocked'], clauses=clauses,
                           values=keys, opts={'rowlock': True})
    if not query.singleValue(strict=False):
        raise koji.GenericError('%s is NOT blocked' % what)


def grplist_unblock(taginfo, grpinfo):
    """Remove the tag's own block of a group."""
    context.session.assertPerm('tag')
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, strict=True)
    keys = {'group_id': group['id'], 'tag_id': tag['id']}
    _assert_blocked('group_config', keys,
                    'group %s in tag %s' % (group['name'], tag['name']))
    _replace('group_config', keys, None)
    return None


def _active_group(tag, group, incl_pkgs=False, incl_reqs=False):
    """The group as the tag sees it; it must be there and not blocked."""
    groups = get_tag_groups(tag['id'], inherit=True, incl_pkgs=incl_pkgs,
                            incl_reqs=incl_reqs)
    cfg = groups.get(group['id'])
    if cfg is None:
        raise koji.GenericError('group %s not present in tag %s' % (group['name'], tag['name']))
    if cfg['blocked']:
        raise koji.GenericError('group %s is blocked in tag %s' % (group['name'], tag['name']))
    return cfg


def grp_pkg_add(taginfo, grpinfo, pkg_name, block=False, force=False, **opts):
    """Add or update a package in a tag's comps group (type, basearchonly, requires)."""
    context.session.assertPerm('tag')
    return _grp_pkg_add(taginfo, grpinfo, pkg_name, block, force, **opts)


def _grp_pkg_add(taginfo, grpinfo, pkg_name, block, force, **opts):
    """As upstream: a blocked entry needs force (blocking it again too); a block is
    always written; the same data again is a no-op unless forced."""
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, strict=True)
    block = bool(block)
    previous = _active_group(tag, group, incl_pkgs=True)['packagelist'].get(pkg_name)
    opts = dslice(opts, PACKAGE_FIELDS, strict=False)
    if previous is not None:
        if previous['blocked'] and not force:
            raise koji.GenericError('package %s blocked in group %s, tag %s'
                                    % (pkg_name, group['name'], tag['name']))
        changed = _fill_from(previous, opts, PACKAGE_FIELDS) or block
        if not changed and not force:
            return None
    opts.setdefault('type', 'mandatory')
    opts['blocked'] = block
    _replace('group_package_listing',
             {'group_id': group['id'], 'tag_id': tag['id'], 'package': pkg_name}, opts)
    return None


def grp_pkg_remove(taginfo, grpinfo, pkg_name):
    """Drop a tag's own entry for a package in a comps group."""
    context.session.assertPerm('tag')
    tag_id = _get_tag_id(taginfo, strict=True)
    group_id = get_group_id(grpinfo, strict=True)
    _replace('group_package_listing',
             {'group_id': group_id, 'tag_id': tag_id, 'package': pkg_name}, None)
    return None


def grp_pkg_block(taginfo, grpinfo, pkg_name):
    """Block a package in a tag's comps group."""
    context.session.assertPerm('tag')
    return _grp_pkg_add(taginfo, grpinfo, pkg_name, block=True, force=False)


def grp_pkg_unblock(taginfo, grpinfo, pkg_name):
    """Remove the tag's own block of a package in a comps group."""
    context.session.assertPerm('tag')
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, strict=True)
    keys = {'group_id': group['id'], 'tag_id': tag['id'], 'package': pkg_name}
    _assert_blocked('group_package_listing', keys, 'package %s in group %s, tag %s'
                    % (pkg_name, group['name'], tag['name']))
    _replace('group_package_listing', keys, None)
    return None


def grp_req_add(taginfo, grpinfo, reqinfo, block=False, force=False, **opts):
    """Make a comps group require another one in a tag (type, is_metapkg)."""
    context.session.assertPerm('tag')
    return _grp_req_add(taginfo, grpinfo, reqinfo, block, force, **opts)


def _grp_req_add(taginfo, grpinfo, reqinfo, block, force, **opts):
    """As upstream: a blocked requirement needs force; a block is always written; the
    same data again is a no-op, forced or not."""
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, strict=True)
    req = lookup_group(reqinfo, strict=True)
    block = bool(block)
    previous = _active_group(tag, group, incl_reqs=True)['grouplist'].get(req['id'])
    opts = dslice(opts, REQ_FIELDS, strict=False)
    if previous is not None:
        if previous['blocked'] and not force:
            raise koji.GenericError('requirement on group %s blocked in group %s, tag %s'
                                    % (req['name'], group['name'], tag['name']))
        if not (_fill_from(previous, opts, REQ_FIELDS) or block):
            return None
    opts.setdefault('type', 'mandatory')
    opts.setdefault('is_metapkg', False)
    opts['blocked'] = block
    _replace('group_req_listing',
             {'group_id': group['id'], 'tag_id': tag['id'], 'req_id': req['id']}, opts)
    return None


def grp_req_remove(taginfo, grpinfo, reqinfo, force=None):
    """Drop a tag's own requirement entry; force is accepted for old clients only."""
    context.session.assertPerm('tag')
    if force is not None:
        logger.warning('force option in groupReqListRemove call is deprecated and ignored')
    tag_id = _get_tag_id(taginfo, strict=True)
    group_id = get_group_id(grpinfo, strict=True)
    req_id = get_group_id(reqinfo, strict=True)
    _replace('group_req_listing', {'group_id': group_id, 'tag_id': tag_id, 'req_id': req_id},
             None)
    return None


def grp_req_block(taginfo, grpinfo, reqinfo):
    """Block a group requirement in a tag."""
    context.session.assertPerm('tag')
    return _grp_req_add(taginfo, grpinfo, reqinfo, block=True, force=False)


def grp_req_unblock(taginfo, grpinfo, reqinfo):
    """Remove the tag's own block of a group requirement."""
    context.session.assertPerm('tag')
    tag = _get_tag(taginfo, strict=True)
    group = lookup_group(grpinfo, strict=True)
    req = lookup_group(reqinfo, strict=True)
    keys = {'group_id': group['id'], 'tag_id': tag['id'], 'req_id': req['id']}
    _assert_blocked('group_req_listing', keys, 'group req %s for group %s, tag %s'
                    % (req['name'], group['name'], tag['name']))
    _replace('group_req_listing', keys, None)
    return None


class GroupExports(object):
    """Comps group calls, bound into RootExports."""

    groupListAdd = staticmethod(grplist_add)
    groupListRemove = staticmethod(grplist_remove)
    groupListBlock = staticmethod(grplist_block)
    groupListUnblock = staticmethod(grplist_unblock)
    groupPackageListAdd = staticmethod(grp_pkg_add)
    groupPackageListRemove = staticmethod(grp_pkg_remove)
    groupPackageListBlock = staticmethod(grp_pkg_block)
    groupPackageListUnblock = staticmethod(grp_pkg_unblock)
    groupReqListAdd = staticmethod(grp_req_add)
    groupReqListRemove = staticmethod(grp_req_remove)
    groupReqListBlock = staticmethod(grp_req_block)
    groupReqListUnblock = staticmethod(grp_req_unblock)
    getTagGroups = staticmethod(readTagGroups)
