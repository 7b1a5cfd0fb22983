"""Creating build rows: new_build (imports, createEmptyBuild), build types, volume choice.

The read side stays in builds.py; the other build state changes (reset, delete, cancel,
...) belong here too as they are written.
"""
import json
import logging
import os

import koji
from koji.context import context
from koji.plugin import callbacks, run_callbacks

from .builds import get_build
from ..core.validate import check_extra
from ..core.db import DeleteProcessor, InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from ..core.lookup import lookup_name
from ..users.users import get_user

logger = logging.getLogger('koji.hub.builds')

_INSERT_FIELDS = ('pkg_id', 'version', 'release', 'epoch', 'draft', 'state', 'volume_id',
                  'task_id', 'owner', 'start_time', 'completion_time', 'promotion_time',
                  'source', 'extra')


def check_volume_policy(data, strict=False, default=None):
    """{'id', 'name'} of the volume the volume policy picks for the data, or None.

    A policy error, an unknown volume or no match falls back to ``default`` (a volume
    name or id) when given; with nothing usable the answer is None, or a GenericError
    when strict.
    """
    from ..core.policy import eval_policy
    result = None
    try:
        result = eval_policy('volume', data)
    except Exception:
        logger.error('volume policy failed', exc_info=True)
        if strict:
            raise
    if result is not None:
        vol = lookup_name('volume', result, strict=False)
        if vol is not None:
            return vol
        if strict:
            raise koji.GenericError('Policy returned no such volume: %s' % result)
        logger.error('volume policy gave an unknown volume: %s', result)
    if default is not None:
        vol = lookup_name('volume', default, strict=False)
        if vol is not None:
            return vol
        if strict:
            raise koji.GenericError('Invalid default volume: %s' % default)
        logger.error('invalid default volume: %s', default)
    if strict:
        raise koji.GenericError('No volume policy match')
    logger.warning('no volume policy match')
    return None


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


def _recycle_refusal(build_id):
    """Why a dead build's row cannot be reused (tag history, rpms, archives), or None."""
    values = {'build_id': build_id}
    for table, what in (('tag_listing', 'tag history'), ('rpminfo', 'rpm data'),
                        ('archiveinfo', 'archive data')):
        query = QueryProcessor(columns=['1'], aliases=['x'], tables=[table],
                               clauses=['build_id = %(build_id)s'], values=values,
                               opts={'limit': 1})
        if query.executeOne() is not None:
            return what
    return None


def change_build(binfo, attribute, new, data=None, rawdata=None, clauses=None,
                 values=None, prepare=None, after=None):
    """Update one build row between the pre and post BuildStateChange callbacks.

    Every change of an existing build goes through here, so plugins see each attribute
    change the same way. ``prepare`` runs after the pre callback (which may veto) and
    before the row update; ``after`` runs after the update and before the post callback
    (files to move, history to log). Returns the refreshed build, or None when
    ``clauses`` made the update match nothing (a concurrent change), in which case
    neither ``after`` nor the post callback runs.
    """
    old = binfo[attribute]
    run_callbacks('preBuildStateChange', attribute=attribute, old=old, new=new, info=binfo)
    if prepare is not None:
        prepare()
    vals = {'build_id': binfo['id']}
    vals.update(values or {})
    update = UpdateProcessor('build', data=data or {}, rawdata=rawdata or {},
                             clauses=['id = %(build_id)s'] + list(clauses or ()),
                             values=vals)
    if update.execute() == 0:
        return None
    context.commit_pending = True
    if after is not None:
        after()
    new_info = get_build(binfo['id'], strict=True)
    run_callbacks('postBuildStateChange', attribute=attribute, old=old, new=new,
                  info=new_info)
    return new_info


def _remove_stray_dirs(binfo):
    """Files (or volume links) left at the build's path on any volume by an earlier try."""
    volumes = QueryProcessor(columns=['id', 'name'], tables=['volume']).execute()
    for vol in volumes:
        path = koji.pathinfo.build(dict(binfo, volume_id=vol['id'], volume_name=vol['name']))
        if os.path.islink(path):
            logger.warning('Removing stray build symlink: %s', path)
            os.unlink(path)
        elif os.path.exists(path):
            logger.warning('Removing stray build directory: %s', path)
            koji.util.rmtree(path)


def _recycle_build(old, data):
    """Reuse the row of a failed/canceled build for a new attempt at the same NVR.

    A BUILDING build asked for again by its own task (a restarted build task calling
    initBuild again) is returned as it is.
    """
    state = koji.BUILD_STATES[old['state']]
    if state == 'BUILDING':
        if data['state'] == old['state'] and data.get('task_id', '') == old['task_id']:
            return old['id']
        raise koji.GenericError('Build already in progress (task %s)' % old['task_id'])
    if state not in ('FAILED', 'CANCELED'):
        raise koji.GenericError('Build already exists (id=%d, state=%s): %r'
                                % (old['id'], state, data))
    refusal = _recycle_refusal(old['id'])
    if refusal:
        raise koji.GenericError('Build already exists. Unable to recycle, has %s' % refusal)
    changes = {key: data[key] for key in ('state', 'task_id', 'owner', 'source', 'extra',
                                          'epoch', 'volume_id') if key in data}
    raw = {'create_event': 'get_event()'}
    for key in ('start_time', 'completion_time'):
        if data.get(key) == 'NOW':
            raw[key] = 'NOW()'
        else:
            changes[key] = data.get(key)
    if data.get('cg_id') is not None:
        changes['cg_id'] = data['cg_id']

    def clear_old_content():
        for table in ('maven_builds', 'win_builds', 'image_builds', 'build_types'):
            DeleteProcessor(table, clauses=['build_id = %(id)s'],
                            values={'id': old['id']}).execute()

    def remove_files():
        _remove_stray_dirs(old)

    change_build(old, 'state', changes['state'], data=changes, rawdata=raw,
                 prepare=clear_old_content, after=remove_files)
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
        check_extra(data['extra'])
        data['extra'] = json.dumps(data['extra'])
    old = None
    # the full record (a 7-table join) only for the rare NVR that exists already
    if _nvr_build_id(data['pkg_id'], data['version'], data['release']) is not None:
        old = get_build({'name': data['name'], 'version': data['version'],
                         'release': data['release']})
    if old:
        old_str = '%(nvr)s (id=%(id)s)' % old
        if data['draft']:
            # a draft is made for a release that has no real build yet
            raise koji.GenericError('Target build already exists: %s' % old_str)
        if strict:
            raise koji.GenericError('Existing build found: %s' % old_str)
        return _recycle_build(old, data)
    run_callbacks('preBuildStateChange', attribute='state', old=None, new=data['state'],
                  info=data)
    insert_data = {key: data.get(key) for key in _INSERT_FIELDS}
    raw = {}
    if data['draft']:
        # drafts share an NVR with the real build; the id suffix keeps them unique
        build_id = insert_data['id'] = nextval('build_id_seq')
        insert_data['release'] = '%s,draft_%d' % (data['release'], build_id)
    else:
        raw['id'] = "nextval('build_id_seq')"
    for key in ('start_time', 'completion_time'):
        if insert_data[key] == 'NOW':
            del insert_data[key]
            raw[key] = 'NOW()'
    if data.get('cg_id') is not None:
        insert_data['cg_id'] = data['cg_id']
    build_id = InsertProcessor('build', data=insert_data, rawdata=raw).execute(returning='id')
    if callbacks['postBuildStateChange']:
        binfo = get_build(build_id, strict=True)
        run_callbacks('postBuildStateChange', attribute='state', old=None,
                      new=data['state'], info=binfo)
    return build_id


def _nvr_build_id(pkg_id, version, release):
    return QueryProcessor(columns=['id'], tables=['build'],
                          clauses=['pkg_id = %(pkg_id)s', 'version = %(version)s',
                                   'release = %(release)s'],
                          values={'pkg_id': pkg_id, 'version': version,
                                  'release': release}).singleValue(strict=False)


def add_btype(name):
    """addBType: an admin registers a new build type."""
    from ..core.names import verify_name_internal
    context.session.assertPerm('admin')
    verify_name_internal(name)
    query = QueryProcessor(columns=['id'], tables=['btype'], clauses=['name = %(name)s'],
                           values={'name': name})
    if query.executeOne() is not None:
        raise koji.GenericError('btype already exists')
    InsertProcessor('btype', data={'name': name}).execute()
    context.commit_pending = True


def create_empty_build(name, version, release, epoch, owner=None, draft=False):
    """createEmptyBuild: an admin makes a contentless COMPLETE build; returns its id."""
    context.session.assertPerm('admin')
    data = {'name': name, 'version': version, 'release': release, 'epoch': epoch,
            'draft': draft}
    if owner is not None:
        data['owner'] = get_user(owner, strict=True)['id']
    return new_build(data)


def _build_for_type(build_info, btype):
    """The build a create*Build call gives a type: looked up, or made from an NVR dict.

    Drafts stay plain builds; only a real build can carry maven/win/image facts.
    """
    binfo = get_build(build_info, strict=not isinstance(build_info, dict))
    if binfo is None:
        data = {}
        for key in ('name', 'version', 'release', 'epoch'):
            if key not in build_info:
                raise koji.GenericError('No %s value for build' % key)
            data[key] = build_info[key]
        binfo = get_build(new_build(data), strict=True)
    if binfo.get('draft'):
        raise koji.GenericError('Cannot make draft build %s a %s build' % (binfo['nvr'], btype))
    return binfo


def _typed_row(table, columns, build_id):
    return QueryProcessor(columns=list(columns), tables=[table], clauses=['build_id = %(id)s'],
                          values={'id': build_id}).executeOne()


def new_maven_build(binfo, maven_info):
    """Give a build its maven coordinates; existing ones must agree."""
    row = {key: maven_info.get(key) for key in ('group_id', 'artifact_id', 'version')}
    for key, value in row.items():
        if not value:
            raise koji.GenericError('Missing maven info: %s' % key)
    current = _typed_row('maven_builds', row, binfo['id'])
    if current:
        for key, value in row.items():
            if current[key] != value:
                raise koji.BuildError('%s mismatch (current: %s, new: %s)'
                                      % (key, current[key], value))
        return
    row['build_id'] = binfo['id']
    InsertProcessor('maven_builds', data=row).execute()
    new_typed_build(binfo, 'maven')
    context.commit_pending = True


def new_win_build(binfo, win_info):
    """Record the platform a windows build ran on (replacing an older value)."""
    platform = win_info.get('platform')
    if not platform:
        raise koji.GenericError('Missing windows info: platform')
    current = _typed_row('win_builds', ['platform'], binfo['id'])
    if current:
        if current['platform'] != platform:
            UpdateProcessor('win_builds', data={'platform': platform},
                            clauses=['build_id = %(id)s'], values={'id': binfo['id']}).execute()
    else:
        InsertProcessor('win_builds', data={'build_id': binfo['id'],
                                            'platform': platform}).execute()
        new_typed_build(binfo, 'win')
    context.commit_pending = True


def create_maven_build(build_info, maven_info):
    """createMavenBuild: maven-import; the build is created from an NVR dict if missing."""
    context.session.assertPerm('maven-import')
    if not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')
    new_maven_build(_build_for_type(build_info, 'maven'), maven_info)


def create_win_build(build_info, win_info):
    """createWinBuild: win-import; the build is created from an NVR dict if missing."""
    context.session.assertPerm('win-import')
    if not context.opts.get('EnableWin'):
        raise koji.GenericError('Windows support not enabled')
    new_win_build(_build_for_type(build_info, 'win'), win_info)


def create_image_build(build_info):
    """createImageBuild: image-import; marks (or first creates) a build as an image build."""
    context.session.assertPerm('image-import')
    new_typed_build(_build_for_type(build_info, 'image'), 'image')


class BuildWriteExports(object):
    """Build-creating calls, bound into RootExports."""

    createEmptyBuild = staticmethod(create_empty_build)
    addBType = staticmethod(add_btype)
    createMavenBuild = staticmethod(create_maven_build)
    createWinBuild = staticmethod(create_win_build)
    createImageBuild = staticmethod(create_image_build)
