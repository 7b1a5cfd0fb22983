"""The image build flow on the host side: host.initImageBuild, importImage,
completeImageBuild and moveImageBuildToScratch.

An image task (livecd, appliance, livemedia, image, indirectionimage) opens a BUILDING
build with the next free release; its per-arch children each report
{'arch', 'task_id', 'files', 'logs', 'rpmlist', ['rpmresults']}, keyed by arch in
``results``.  Importing records each file as an image archive, moves the task's .log
files to data/logs/image and links the installed rpms to the archives.
"""
import logging
import os

import koji
from koji.plugin import run_callbacks

from .archives import get_archive_type
from .build_write import new_typed_build
from .builds import get_build
from .maven_import import get_next_build
from .rpm_batch import Moves
from .rpms import add_external_rpm, get_rpm
from .typed_import import (
    check_type, complete_typed_build, host_task, import_archive_undoable, import_wrapper,
    move_all, pick_volume, safe_join, scratch_dir, task_file, wrapper_scratch_pairs,
    wrapper_task_id)
from ..core.db import BulkInsertProcessor

logger = logging.getLogger('koji.hub.image_builds')

# methods whose logs go straight into data/logs/image (others get an arch subdir)
_FLAT_LOG_METHODS = ('appliance', 'image', 'indirectionimage', 'livecd')


def host_init_image_build(task_id, build_info):
    """host.initImageBuild: a BUILDING image build with the next release; returns its data."""
    task = host_task(task_id)
    check_type(build_info, dict, 'build_info')
    data = dict(build_info)
    data['task_id'] = task_id
    data['owner'] = task.getOwner()
    data['state'] = koji.BUILD_STATES['BUILDING']
    data['completion_time'] = None
    data['id'] = get_next_build(data)
    new_typed_build(data, 'image')
    return data


def _image_results(results, keys=('arch', 'files', 'rpmlist')):
    check_type(results, dict)
    subs = []
    for sub in results.values():
        check_type(sub, dict)
        if 'task_id' not in sub:
            logger.warning('a sub task failed, no image available')
            continue
        for key in keys:
            if key not in sub:
                raise koji.ParameterError('Missing %s in image results' % key)
        for key in ('files', 'logs', 'rpmlist'):
            check_type(sub.get(key, []), list)
        for entry in sub.get('rpmlist', []):
            check_type(entry, dict)
        subs.append(sub)
    return subs


def _component_ids(rpmlist):
    """rpm ids of an image's installed packages (external ones recorded as needed)."""
    ids = []
    for entry in rpmlist:
        location = entry.get('location')
        if location:
            data = add_external_rpm(entry, location, strict=False)
        else:
            data = get_rpm(entry, strict=True)
            if data.get('draft'):
                raise koji.GenericError('Draft rpm not supported')
        ids.append(data['id'])
    return sorted(set(ids))


def _import_one(method, binfo, imgdata, moves):
    """One arch's image files, logs and rpm components."""
    run_callbacks('preImport', type='image', image=imgdata)
    workpath = koji.pathinfo.task(imgdata['task_id'])
    imgdata['relpath'] = koji.pathinfo.taskrelpath(imgdata['task_id'])
    archives = []
    fullpath = None
    for imgfile in imgdata['files']:
        fullpath = task_file(imgdata['task_id'], imgfile)
        if not get_archive_type(filename=imgfile):
            raise koji.BuildError('Unsupported file type: %s' % imgfile)
        archives.append(import_archive_undoable(fullpath, binfo, 'image', imgdata, moves))
    logdir = safe_join(koji.pathinfo.build(binfo), 'data/logs/image')
    for logfile in sorted(os.listdir(workpath)):
        if not logfile.endswith('.log'):
            continue
        src = safe_join(workpath, logfile)
        final = safe_join(logdir, logfile)
        if method not in _FLAT_LOG_METHODS or os.path.exists(final):
            final = safe_join(logdir, imgdata['arch'], logfile)
        if os.path.exists(final):
            raise koji.GenericError('Error importing build log. %s already exists.' % final)
        if os.path.islink(src) or not os.path.isfile(src):
            raise koji.GenericError('Error importing build log. %s is not a regular file.'
                                    % src)
        moves.move(src, final)
    rpm_ids = _component_ids(imgdata['rpmlist'])
    rows = [{'archive_id': archive['id'], 'rpm_id': rpm_id}
            for archive in archives if not archive['filename'].endswith('xml')
            for rpm_id in rpm_ids]
    if rows:
        BulkInsertProcessor('archive_rpm_components', data=rows).execute()
    run_callbacks('postImport', type='image', image=imgdata, build=binfo, fullpath=fullpath)


def import_image(task_id, binfo, results, moves):
    method = host_task(task_id).getInfo()['method']
    for sub in _image_results(results):
        _import_one(method, binfo, sub, moves)
        if 'rpmresults' in sub:
            rpm_results = sub['rpmresults']
            import_wrapper(wrapper_task_id(rpm_results), binfo, rpm_results, moves)


def host_import_image(task_id, build_info, results):
    """host.importImage: import the images of the arches that succeeded."""
    host_task(task_id)
    binfo = get_build(build_info['id'] if isinstance(build_info, dict) else build_info,
                      strict=True)
    if binfo.get('draft'):
        raise koji.GenericError('Draft build not supported')
    moves = Moves()
    try:
        import_image(task_id, binfo, results, moves)
    except Exception:
        moves.undo()
        raise


def host_complete_image_build(task_id, build_id, results):
    """host.completeImageBuild: import the images, mark the build COMPLETE, notify."""
    from ..notifications.notify import build_notification
    from .build_import import ensure_volume_symlink
    host_task(task_id)
    binfo = get_build(build_id, strict=True)
    old_volume = binfo['volume_id']
    binfo = pick_volume(binfo, task_id, 'image')
    moves = Moves()
    try:
        import_image(task_id, binfo, results, moves)
        ensure_volume_symlink(binfo, moves)
        complete_typed_build(binfo, old_volume)
    except Exception:
        moves.undo()
        raise
    build_notification(task_id, build_id)


def host_move_image_build_to_scratch(task_id, results):
    """host.moveImageBuildToScratch: each arch's files go to scratch/<owner>/task_<sub>."""
    task = host_task(task_id)
    pairs = []
    for sub in _image_results(results, keys=('files',)):
        destdir = safe_join(os.path.dirname(scratch_dir(task)), 'task_%s' % sub['task_id'])
        for relpath in sub['files'] + sub.get('logs', []):
            pairs.append((task_file(sub['task_id'], relpath), safe_join(destdir, relpath)))
        if 'rpmresults' in sub:
            pairs += wrapper_scratch_pairs(sub['rpmresults'], destdir)
    move_all(pairs)


class ImageHostExports(object):
    """host.* calls of image builds, bound into HostExports."""

    initImageBuild = staticmethod(host_init_image_build)
    importImage = staticmethod(host_import_image)
    completeImageBuild = staticmethod(host_complete_image_build)
    moveImageBuildToScratch = staticmethod(host_move_image_build_to_scratch)
