"""Creating build rows: new_build (imports, createEmptyBuild), build types, volume choice.

The read side stays in builds.py; the other build state changes (reset, delete, cancel,
...) belong here too as they are written.
"""
import json
import logging
import os

import koji
from koji.context import context
from koji.plugin import run_callbacks

from .builds import get_build
from .db import DeleteProcessor, InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from .lookup import lookup_name
from .users import get_user

logger = logging.getLogger('koji.hub.builds')

_INSERT_FIELDS = ('pkg_id', 'version', 'release', 'epoch', 'draft', 'state', 'volume_id',
                  'task_id', 'owner', 'start_time', 'completion_time', 'promotion_time',
                  'source', 'extra')


def check_volume_policy(data, strict=False, default=None):
    """{'id', 'name'} of the volume the volume policy picks for a build.

    A missing, unmatched or unknown result falls back to ``default`` (DEFAULT when not
    given) unless strict, which raises instead.
    """
    from .policy import eval_policy
    result = None
    try:
        result = eval_policy('volume', data)
    except koji.GenericError:
        if strict:
            raise
        logger.warning('volume policy failed', exc_info=True)
    if result:
        vol = lookup_name('volume', result.split()[0], strict=False)
        if vol is not None:
            return vol
        if strict:
            raise koji.GenericError('Policy returned unknown volume: %s' % result)
        logger.error('Volume policy returned unknown volume %s, using default', result)
    elif strict:
        raise koji.GenericError('No volume policy match')
    return lookup_name('volume', default or 'DEFAULT', strict=True)


def new_typed_build(binfo, btype):
    """Mark a build as having a build type (no-op when it already has it)."""
    btype_id = lookup_name('btype', btype, strict=True)['id']
    query = QueryProcessor(columns=['build_id'], tables=['build_types'],
                           clauses=['build_id = %(build_id)s', 'btype_id = %(btype_id)s'],
                           values={'build_id': binfo['id'], 'btype_id': btype_id})
    if query.executeOne() is None:
        InsertProcessor('build_types', data={'build_id': binfo['id'],
                                             'btype_id': btype_id}).execute()
        if btype == 'image':
            InsertProcessor('image_builds', data={'build_id': binfo['id']}).execute()
        context.commit_pending = True


def _has_content_or_history(build_id):
    """True when a dead build still has rpms, archives or tag history (not recyclable)."""
    values = {'build_id': build_id}
    for table in ('rpminfo', 'archiveinfo', 'tag_listing'):
        query = QueryProcessor(columns=['1'], aliases=['x'], tables=[table],
                               clauses=['build_id = %(build_id)s'], values=values,
                               opts={'limit': 1})
        if query.executeOne() is not None:
            return True
    return False


def _recycle_build(old, data):
    """Reuse the row of a failed/canceled/deleted build for a new attempt at the same NVR."""
    state = koji.BUILD_STATES[old['state']]
    if state not in ('FAILED', 'CANCELED', 'DELETED'):
        raise koji.GenericError('Build already exists (id=%d, state=%s): %r'
                                % (old['id'], state, data))
    if _has_content_or_history(old['id']):
        raise koji.GenericError('Build already exists (id=%d, state=%s, with content or tag '
                                'history): %r' % (old['id'], state, data))
    changes = {key: data[key] for key in ('state', 'task_id', 'owner', 'source', 'extra',
                                          'epoch', 'volume_id', 'draft') if key in data}
    run_callbacks('preBuildStateChange', attribute='state', old=old['state'],
                  new=changes['state'], info=old)
    raw = {}
    for key in ('start_time', 'completion_time'):
        if data.get(key) == 'NOW':
            raw[key] = 'NOW()'
        else:
            changes[key] = data.get(key)
    raw['create_event'] = 'get_event()'
    update = UpdateProcessor('build', data=changes, rawdata=raw, clauses=['id = %(id)s'],
                             values={'id': old['id']})
    update.execute()
    DeleteProcessor('build_types', clauses=['build_id = %(id)s'],
                    values={'id': old['id']}).execute()
    context.commit_pending = True
    builddir = koji.pathinfo.build(old)
    if os.path.lexists(builddir):
        koji.util.rmtree(builddir)
    new = get_build(old['id'], strict=True)
    run_callbacks('postBuildStateChange', attribute='state', old=old['state'],
                  new=new['state'], info=new)
    return old['id']


def new_build(data, strict=False):
    """Insert a build row (name/pkg_id, version, release, epoch required); returns its id.

    Defaults as for an import: COMPLETE, started and completed now, owned by the caller,
    DEFAULT volume. An existing dead build of the same NVR is recycled unless strict.
    """
    data = dict(data)
    if data.get('pkg_id') is not None:
        data['name'] = lookup_name('package', data['pkg_id'], strict=True)['name']
    elif data.get('name'):
        data['pkg_id'] = lookup_name('package', data['name'], create=True)['id']
    else:
        raise koji.GenericError('No name or package id provided for build')
    for key in ('version', 'release', 'epoch'):
        if key not in data:
            raise koji.GenericError('No %s value for build' % key)
    koji.check_NVR(data, strict=True)
    data.setdefault('state', koji.BUILD_STATES['COMPLETE'])
    data.setdefault('start_time', 'NOW')
    data.setdefault('completion_time', 'NOW')
    data.setdefault('promotion_time', None)
    data.setdefault('source', None)
    data.setdefault('owner', context.session.user_id)
    data.setdefault('task_id', None)
    data.setdefault('volume_id', 0)
    data['draft'] = bool(data.get('draft'))
    if data['state'] == koji.BUILD_STATES['BUILDING']:
        data['completion_time'] = None
    if data.get('owner') is None:
        raise koji.GenericError('No owner for the new build')
    if not isinstance(data['owner'], int):
        data['owner'] = get_user(data['owner'], strict=True)['id']
    if isinstance(data.get('extra'), dict):
        data['extra'] = json.dumps(data['extra'])
    if not data['draft']:
        old = get_build({'name': data['name'], 'version': data['version'],
                         'release': data['release']})
        if old:
            if strict:
                raise koji.GenericError('Existing build found: %s' % old['nvr'])
            return _recycle_build(old, data)
    run_callbacks('preBuildStateChange', attribute='state', old=None, new=data['state'],
                  info=data)
    build_id = nextval('build_id_seq')
    insert_data = {key: data.get(key) for key in _INSERT_FIELDS}
    insert_data['id'] = build_id
    if data['draft']:
        # drafts share an NVR with the real build; the id suffix keeps them unique
        insert_data['release'] = '%s,draft_%d' % (data['release'], build_id)
    raw = {}
    for key in ('start_time', 'completion_time'):
        if insert_data[key] == 'NOW':
            del insert_data[key]
            raw[key] = 'NOW()'
    if data.get('cg_id') is not None:
        insert_data['cg_id'] = data['cg_id']
    InsertProcessor('build', data=insert_data, rawdata=raw).execute()
    context.commit_pending = True
    binfo = get_build(build_id, strict=True)
    run_callbacks('postBuildStateChange', attribute='state', old=None, new=data['state'],
                  info=binfo)
    return build_id


def create_empty_build(name, version, release, epoch, owner=None, draft=False):
    """createEmptyBuild: an admin makes a contentless COMPLETE build; returns its id."""
    context.session.assertPerm('admin')
    data = {'name': name, 'version': version, 'release': release, 'epoch': epoch,
            'draft': draft}
    if owner is not None:
        data['owner'] = get_user(owner, strict=True)['id']
    return new_build(data)


class BuildWriteExports(object):
    """Build-creating calls, bound into RootExports."""

    createEmptyBuild = staticmethod(create_empty_build)
