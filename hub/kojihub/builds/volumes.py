"""Storage volumes: the volume table and the <topdir>/vol/<name> directories behind it.

A build's files live under koji.pathinfo.build(build), which depends on the build's volume;
builds on a non-default volume are reachable from the DEFAULT location through a symlink.
"""
import logging
import os
import shutil

import koji
from koji.context import context

from .build_write import change_build, check_volume_policy
from .builds import get_build
from ..core.db import DeleteProcessor, QueryProcessor, _dml
from ..core.lookup import lookup_name
from ..core.names import verify_name_internal

logger = logging.getLogger('koji.hub.volumes')

DEFAULT_VOLUME = 'DEFAULT'


def _check_toplink(voldir):
    """Make sure <voldir>/toplink leads back to topdir, creating it when missing.

    Tools (and the builder) reach shared files from a volume through this link.
    """
    topdir = koji.pathinfo.topdir
    toplink = os.path.join(voldir, 'toplink')
    if os.path.islink(toplink):
        if os.path.realpath(toplink) != os.path.realpath(topdir):
            raise koji.GenericError('toplink of volume dir %s does not point to %s'
                                    % (voldir, topdir))
    elif os.path.exists(toplink):
        raise koji.GenericError('toplink in volume dir %s is not a symlink' % voldir)
    else:
        os.symlink(os.path.relpath(topdir, voldir), toplink)


def add_volume(name, strict=True):
    """addVolume: register a volume whose directory an admin has already prepared."""
    context.session.assertPerm('admin')
    verify_name_internal(name)
    voldir = koji.pathinfo.volumedir(name)
    if not os.path.isdir(voldir):
        raise koji.GenericError('please create the volume directory first: %s' % voldir)
    if name != DEFAULT_VOLUME:
        _check_toplink(voldir)
    existing = lookup_name('volume', name, strict=False)
    if existing is not None:
        if strict:
            raise koji.GenericError('volume %s already exists' % name)
        return existing
    info = lookup_name('volume', name, create=True)
    context.commit_pending = True
    return info


def remove_volume(volume):
    """removeVolume: drop a volume entry; refused while any build still lives on it."""
    context.session.assertPerm('admin')
    volinfo = lookup_name('volume', volume, strict=True)
    query = QueryProcessor(columns=['id'], tables=['build'],
                           clauses=['volume_id = %(volume_id)s'],
                           values={'volume_id': volinfo['id']}, opts={'limit': 1})
    if query.execute():
        raise koji.GenericError('volume %s has build references' % volinfo['name'])
    DeleteProcessor('volume', clauses=['id = %(id)s'], values={'id': volinfo['id']}).execute()
    context.commit_pending = True


def list_volumes():
    """listVolumes: every volume as {id, name}."""
    query = QueryProcessor(columns=['id', 'name'], tables=['volume'], opts={'order': 'id'})
    return query.execute()


def get_volume(volume, strict=False):
    """getVolume: {id, name} of a volume given by id or name."""
    return lookup_name('volume', volume, strict=strict)


def _log_volume_change(build_id):
    """Record a VOLUME_CHANGE update on every tag holding the build (repos watch these)."""
    _dml("INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) "
         "SELECT tag_id, get_event(), %(user_id)s, %(update_type)s FROM tag_listing "
         "WHERE build_id = %(build_id)s AND active IS TRUE",
         {'user_id': context.session.user_id, 'build_id': build_id,
          'update_type': koji.TAG_UPDATE_TYPES['VOLUME_CHANGE']})


def _move_tree(src, dst):
    """Move a build directory, across filesystems if need be."""
    koji.ensuredir(os.path.dirname(dst))
    shutil.move(src, dst)


def change_build_volume(build, volume, strict=True):
    """changeBuildVolume: move a finished build's files to another volume and record it."""
    context.session.assertPerm('admin')
    volinfo = lookup_name('volume', volume, strict=True)
    binfo = get_build(build, strict=True)
    _set_build_volume(binfo, volinfo, strict=strict)


def _set_build_volume(binfo, volinfo, strict=True):
    """Move a build to volinfo (callers check permissions); no-op or error when already there."""
    if binfo['volume_id'] == volinfo['id']:
        if strict:
            raise koji.GenericError('Build %s already on volume %s'
                                    % (binfo['nvr'], volinfo['name']))
        return
    states = koji.BUILD_STATES
    if binfo['state'] not in (states['COMPLETE'], states['DELETED']):
        raise koji.GenericError('Build %s is %s; only complete or deleted builds can move'
                                % (binfo['nvr'], states[binfo['state']]))
    if not os.path.isdir(koji.pathinfo.volumedir(volinfo['name'])):
        raise koji.GenericError('Directory entry missing for volume %s' % volinfo['name'])
    old_dir = koji.pathinfo.build(binfo)
    new_binfo = dict(binfo, volume_id=volinfo['id'], volume_name=volinfo['name'])
    new_dir = koji.pathinfo.build(new_binfo)
    base_dir = koji.pathinfo.build(dict(binfo, volume_name=DEFAULT_VOLUME))
    have_files = os.path.isdir(old_dir)
    if have_files and os.path.lexists(new_dir) and not (
            new_dir == base_dir and os.path.islink(base_dir)):
        raise koji.GenericError('Destination directory exists: %s' % new_dir)

    def move_files():
        _log_volume_change(binfo['id'])
        if not have_files:
            return
        # the DEFAULT location of a non-default build is only a symlink; clear it first
        if os.path.islink(base_dir):
            os.unlink(base_dir)
        _move_tree(old_dir, new_dir)
        if new_dir != base_dir:
            koji.ensuredir(os.path.dirname(base_dir))
            os.symlink(os.path.relpath(new_dir, os.path.dirname(base_dir)), base_dir)

    change_build(binfo, 'volume_id', volinfo['id'], data={'volume_id': volinfo['id']},
                 after=move_files)


def _task_policy_data(task_id):
    """Policy fields a build's task adds (source, target, ...), as for new tasks."""
    from ..tasks.task_actions import policy_data_from_task_args
    from ..tasks.tasks import get_task_info
    task = get_task_info(task_id, request=True, strict=True)
    return policy_data_from_task_args(task['method'], task['request'])


def apply_volume_policy(build, strict=False):
    """Run the volume policy for an existing build and move it where the policy says.

    ``build`` is a get_build record. Without a usable answer the build stays put, unless
    strict, which raises instead.
    """
    data = {'build': build}
    if build.get('task_id'):
        data.update(_task_policy_data(build['task_id']))
    volinfo = check_volume_policy(data, strict=strict)
    if volinfo is None or volinfo['id'] == build['volume_id']:
        return
    _set_build_volume(build, volinfo, strict=True)


def apply_volume_policy_call(build, strict=False):
    """applyVolumePolicy: admin re-runs the volume policy for one build."""
    context.session.assertPerm('admin')
    apply_volume_policy(get_build(build, strict=True), strict=strict)


class VolumeExports(object):
    """Volume calls, bound into RootExports."""

    addVolume = staticmethod(add_volume)
    removeVolume = staticmethod(remove_volume)
    listVolumes = staticmethod(list_volumes)
    getVolume = staticmethod(get_volume)
    changeBuildVolume = staticmethod(change_build_volume)
    applyVolumePolicy = staticmethod(apply_volume_policy_call)
