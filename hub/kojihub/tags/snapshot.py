"""Tag snapshots (snapshotTag / snapshotTagModify) and the builder's host.tagBuild.

A snapshot flattens what a source tag shows (optionally as of an event) into a tag of
its own: config, the inherited package list, tagged builds and comps groups. No
inheritance links are copied. Everything is written with a handful of statements per
table: the destination's own active rows are read once, compared with the wanted
state, the differing rows revoked in one UPDATE and their successors bulk-inserted.
"""
import logging

import koji
import koji.plugin
from koji.context import context
from koji.plugin import run_callbacks

from ..builds.builds import get_build
from ..core.db import BulkInsertProcessor, QueryProcessor, UpdateProcessor, get_event
from .groups import GROUP_FIELDS, PACKAGE_FIELDS, REQ_FIELDS, get_tag_groups
from .packages import readPackageList
from ..core.policy import _assert_host_session, assert_policy
from .tagged import read_tagged_builds
from .tagging import _tag_build, _untag_build, _user_info
from .tags import assert_tag_access, create_tag, edit_tag, get_tag
from ..tasks.task_actions import Task, _caller_host_id

logger = logging.getLogger('koji.hub.snapshot')

# table -> (key columns with their SQL array types, data columns)
_TABLES = {
    'tag_packages': ((('package_id', 'integer'),), ('blocked', 'extra_arches')),
    'tag_package_owners': ((('package_id', 'integer'),), ('owner',)),
    'tag_listing': ((('build_id', 'integer'),), ()),
    'group_config': ((('group_id', 'integer'),), ('blocked',) + GROUP_FIELDS),
    'group_package_listing': ((('group_id', 'integer'), ('package', 'text')),
                              ('blocked',) + PACKAGE_FIELDS),
    'group_req_listing': ((('group_id', 'integer'), ('req_id', 'integer')),
                          ('blocked',) + REQ_FIELDS),
}
_CONFIG_FLAGS = ('arches', 'perm_id', 'locked', 'maven_support', 'maven_include_all')


def _current_rows(table, tag_id):
    """{key tuple: data tuple} of the tag's own active rows in a table (one query)."""
    keys, data = _TABLES[table]
    key_cols = [name for name, _ in keys]
    query = QueryProcessor(tables=[table], columns=key_cols + list(data),
                           clauses=['tag_id = %(tag_id)s', 'active = TRUE'],
                           values={'tag_id': tag_id})
    return {tuple(row[c] for c in key_cols): tuple(row[c] for c in data)
            for row in query.execute()}


def _revoke(table, tag_id, keys, event_id, user_id):
    if not keys:
        return
    key_spec = _TABLES[table][0]
    values = {'tag_id': tag_id}
    arrays = []
    for i, (name, sqltype) in enumerate(key_spec):
        values['k%i' % i] = [key[i] for key in keys]
        arrays.append('%%(k%i)s::%s[]' % (i, sqltype))
    cols = ', '.join(name for name, _ in key_spec)
    clause = '(%s) IN (SELECT * FROM unnest(%s))' % (cols, ', '.join(arrays))
    update = UpdateProcessor(table, clauses=['tag_id = %(tag_id)s', clause], values=values)
    update.make_revoke(event_id=event_id, user_id=user_id)
    update.execute()


def _sync(table, tag_id, wanted, remove, event_id, user_id, order=None):
    """Make the tag's own rows in table match wanted ({key: data}); returns added keys.

    Rows that already match are left alone; rows absent from wanted are only revoked
    with remove. order (a list of keys) fixes the insertion order of new rows.
    """
    current = _current_rows(table, tag_id)
    key_spec, data_cols = _TABLES[table]
    changed = [key for key in (order if order is not None else sorted(wanted, key=repr))
               if current.get(key, ()) != wanted[key] or key not in current]
    stale = [key for key in changed if key in current]
    if remove:
        stale += [key for key in current if key not in wanted]
    _revoke(table, tag_id, stale, event_id, user_id)
    insert = BulkInsertProcessor(table)
    for key in changed:
        row = {'tag_id': tag_id, 'create_event': event_id, 'creator_id': user_id}
        row.update(zip([name for name, _ in key_spec], key))
        row.update(zip(data_cols, wanted[key]))
        insert.add_record(**row)
    insert.execute()
    return changed


# ---------------------------------------------------------------------------
# what the source shows

def _wanted_packages(src_id, event):
    entries = readPackageList(tagID=src_id, event=event, inherit=True, with_owners=True)
    config, owners = {}, {}
    for pkg_id, entry in entries.items():
        config[(pkg_id,)] = (bool(entry['blocked']), entry['extra_arches'])
        if entry.get('owner_id') is not None:
            owners[(pkg_id,)] = (entry['owner_id'],)
    return config, owners


def _wanted_groups(src_id, event):
    groups = get_tag_groups(src_id, event=event, inherit=True)
    configs, pkgs, reqs = {}, {}, {}
    for group_id, group in groups.items():
        configs[(group_id,)] = tuple([bool(group['blocked'])]
                                     + [group[f] for f in GROUP_FIELDS])
        for name, entry in group.get('packagelist', {}).items():
            pkgs[(group_id, name)] = tuple([bool(entry['blocked'])]
                                           + [entry[f] for f in PACKAGE_FIELDS])
        for req_id, entry in group.get('grouplist', {}).items():
            reqs[(group_id, req_id)] = tuple([bool(entry['blocked'])]
                                             + [entry[f] for f in REQ_FIELDS])
    return configs, pkgs, reqs


# ---------------------------------------------------------------------------
# the calls

def _check_args(builds, pkgs, event):
    if builds and not pkgs:
        raise koji.ParameterError("builds can't be used without pkgs in snapshotTag")
    if event is not None and (isinstance(event, bool) or not isinstance(event, int)):
        raise koji.ParameterError('Invalid event: %r' % (event,))


def _sync_config(src, dst, remove):
    """Copy the source's own config flags and extra onto dst (edit_tag semantics)."""
    current = get_tag(dst['id'], strict=True, blocked=True)
    changes = {}
    for key in _CONFIG_FLAGS:
        if current[key] != src[key]:
            changes[key] = src[key]
    extra = {key: value for key, value in src['extra'].items()
             if current['extra'].get(key) != [False, value]}
    if extra:
        changes['extra'] = extra
    if remove:
        gone = [key for key in current['extra'] if key not in src['extra']]
        if gone:
            changes['remove_extra'] = gone
    if changes:
        edit_tag(dst['id'], **changes)


def _tag_callbacks_wanted():
    cbs = koji.plugin.callbacks
    return bool(cbs.get('preTag') or cbs.get('postTag'))


def _sync_builds(src, dst, latest_only, inherit_builds, event, remove, event_id, user):
    rows = read_tagged_builds(src['id'], event=event, inherit=inherit_builds,
                              latest=bool(latest_only))
    wanted = {}
    order = []
    # oldest first, so the newest build of a package is also the newest tagging in dst
    for row in reversed(rows):
        key = (row['build_id'],)
        if key not in wanted:
            wanted[key] = ()
            order.append(key)
    notify = _tag_callbacks_wanted()
    current = _current_rows('tag_listing', dst['id']) if notify else {}
    fresh = [key for key in order if key not in current]
    binfos = [get_build(key[0], strict=True) for key in fresh] if notify else []
    for binfo in binfos:
        run_callbacks('preTag', tag=dst, build=binfo, user=user, force=True)
    _sync('tag_listing', dst['id'], wanted, remove, event_id, user['id'], order=order)
    for binfo in binfos:
        run_callbacks('postTag', tag=dst, build=binfo, user=user, force=True)


def _snapshot(src, dst, config, pkgs, builds, groups, latest_only, inherit_builds, event,
              remove):
    event_id = get_event()
    user = _user_info()
    user_id = user['id']
    if config:
        _sync_config(src, dst, remove)
    if pkgs:
        configs, owners = _wanted_packages(src['id'], event)
        _sync('tag_packages', dst['id'], configs, remove, event_id, user_id)
        _sync('tag_package_owners', dst['id'], owners, remove, event_id, user_id)
    if builds:
        _sync_builds(src, dst, latest_only, inherit_builds, event, remove, event_id, user)
    if groups:
        configs, grp_pkgs, reqs = _wanted_groups(src['id'], event)
        _sync('group_config', dst['id'], configs, remove, event_id, user_id)
        _sync('group_package_listing', dst['id'], grp_pkgs, remove, event_id, user_id)
        _sync('group_req_listing', dst['id'], reqs, remove, event_id, user_id)


def snapshot_tag(src, dst, config=True, pkgs=True, builds=True, groups=True,
                 latest_only=True, inherit_builds=True, event=None, force=False):
    """snapshotTag: a new tag holding what src shows (no inheritance copied)."""
    context.session.assertPerm('tag')
    _check_args(builds, pkgs, event)
    if get_tag(dst) is not None:
        raise koji.GenericError('Target tag already exists')
    srcinfo = get_tag(src, strict=True, event=event)
    if srcinfo['locked'] and not force:
        raise koji.GenericError('Source tag is locked, use force to copy')
    if not isinstance(dst, str):
        raise koji.ParameterError('dst must be the name of the new tag')
    opts = {}
    if config:
        opts = {'arches': srcinfo['arches'], 'perm': srcinfo['perm_id'],
                'locked': srcinfo['locked'], 'maven_support': srcinfo['maven_support'],
                'maven_include_all': srcinfo['maven_include_all'],
                'extra': srcinfo['extra']}
    dst_id = create_tag(dst, **opts)
    dstinfo = get_tag(dst_id, strict=True)
    _snapshot(srcinfo, dstinfo, False, pkgs, builds, groups, latest_only, inherit_builds,
              event, remove=False)
    return None


def snapshot_tag_modify(src, dst, config=True, pkgs=True, builds=True, groups=True,
                        latest_only=True, inherit_builds=True, event=None, force=False,
                        remove=False):
    """snapshotTagModify: make an existing tag mirror src; remove drops what src lacks."""
    context.session.assertPerm('tag')
    _check_args(builds, pkgs, event)
    srcinfo = get_tag(src, strict=True, event=event)
    dstinfo = get_tag(dst, strict=True)
    if (srcinfo['locked'] or dstinfo['locked']) and not force:
        raise koji.GenericError('Source or destination tag is locked, use force to copy')
    _snapshot(srcinfo, dstinfo, config, pkgs, builds, groups, latest_only, inherit_builds,
              event, remove=bool(remove))
    return None


# ---------------------------------------------------------------------------
# host.tagBuild

def host_tag_build(task_id, tag, build, force=False, fromtag=None):
    """host.tagBuild: the tagBuild task's tagging (or move), done as the task owner."""
    _assert_host_session()
    task = Task(task_id)
    task.assertHost(_caller_host_id())
    user_id = task.getOwner()
    taginfo = get_tag(tag, strict=True)
    binfo = get_build(build, strict=True)
    fromtag_id = None
    if fromtag is not None:
        fromtag_id = get_tag(fromtag, strict=True)['id']
    data = {'tag': taginfo['id'], 'build': binfo['id'], 'fromtag': fromtag_id,
            'operation': 'tag' if fromtag_id is None else 'move', 'user_id': user_id}
    assert_policy('tag', data, force=force)
    # as the owner would be: a locked tag (or one needing a perm) refuses, unless forced
    if fromtag_id is not None:
        assert_tag_access(fromtag_id, user_id=user_id, force=force)
        _untag_build(fromtag_id, binfo['id'], user_id=user_id, force=force, strict=True)
    assert_tag_access(taginfo['id'], user_id=user_id, force=force)
    _tag_build(taginfo['id'], binfo['id'], user_id=user_id, force=force)
    return None


class SnapshotExports(object):
    """Snapshot calls of the hub API."""

    snapshotTag = staticmethod(snapshot_tag)
    snapshotTagModify = staticmethod(snapshot_tag_modify)


class TagBuildHostExports(object):
    """host.tagBuild, bound into HostExports."""

    tagBuild = staticmethod(host_tag_build)
