"""The windows build flow on the host side: host.initWinBuild, completeWinBuild and
moveWinBuildToScratch (the VM builder, kojivmd, makes these calls).

results: {'task_id', 'buildroot_id', 'output': {relpath: {platforms, flags, ...}},
'logs': [relpath, ...]}, paths relative to the vm task's work dir.
"""
import os

import koji

from .archives import get_archive_type
from .build_info import get_win_build
from .build_write import new_build, new_win_build
from .builds import get_build
from .rpm_batch import Moves, import_build_log
from .typed_import import (
    check_type, complete_typed_build, host_task, import_archive_undoable, import_wrapper,
    move_all, pick_volume, require_opt, safe_join, scratch_dir, task_file,
    wrapper_scratch_pairs, wrapper_task_id)

WIN_OFF = 'Windows support not enabled'


def host_init_win_build(task_id, build_info, win_info):
    """host.initWinBuild: a BUILDING windows build of the given NVR; returns its data."""
    require_opt('EnableWin', WIN_OFF)
    task = host_task(task_id)
    check_type(build_info, dict, 'build_info')
    check_type(win_info, dict, 'win_info')
    data = dict(build_info)
    data['task_id'] = task_id
    data['owner'] = task.getOwner()
    data['state'] = koji.BUILD_STATES['BUILDING']
    data['completion_time'] = None
    data['id'] = new_build(data)
    new_win_build(data, win_info)
    return data


def _check_results(results):
    check_type(results, dict)
    for key in ('task_id', 'output', 'logs'):
        if key not in results:
            raise koji.ParameterError('Missing %s in results' % key)
    check_type(results['output'], dict)
    check_type(results['logs'], list)


def host_complete_win_build(task_id, build_id, results, rpm_results):
    """host.completeWinBuild: import the vm's output files, logs, wrapper rpms; COMPLETE."""
    from ..notifications.notify import build_notification
    from .build_import import ensure_volume_symlink
    require_opt('EnableWin', WIN_OFF)
    host_task(task_id)
    _check_results(results)
    binfo = get_build(build_id, strict=True)
    get_win_build(build_id, strict=True)
    old_volume = binfo['volume_id']
    binfo = pick_volume(binfo, task_id, 'win')
    outputs = []
    for relpath, metadata in results['output'].items():
        if not get_archive_type(filename=relpath):
            raise koji.BuildError('unsupported file type: %s' % relpath)
        check_type(metadata, dict)
        metadata = dict(metadata, relpath=os.path.dirname(relpath))
        outputs.append((task_file(results['task_id'], relpath), metadata))
    logs = []
    for relpath in results['logs']:
        reldir = os.path.dirname(relpath)
        subdir = safe_join('win', reldir) if reldir else 'win'
        logs.append((task_file(results['task_id'], relpath), subdir))
    moves = Moves()
    try:
        for filepath, metadata in outputs:
            import_archive_undoable(filepath, binfo, 'win', metadata, moves,
                                    buildroot_id=results.get('buildroot_id'))
        for filepath, subdir in logs:
            import_build_log(filepath, binfo, subdir=subdir, moves=moves)
        ensure_volume_symlink(binfo, moves)
        if rpm_results:
            import_wrapper(wrapper_task_id(rpm_results), binfo, rpm_results, moves)
        complete_typed_build(binfo, old_volume)
    except Exception:
        moves.undo()
        raise
    build_notification(task_id, build_id)


def host_move_win_build_to_scratch(task_id, results, rpm_results):
    """host.moveWinBuildToScratch: keep a scratch windows build under scratch/<owner>."""
    require_opt('EnableWin', WIN_OFF)
    task = host_task(task_id)
    _check_results(results)
    destdir = scratch_dir(task)
    pairs = [(task_file(results['task_id'], relpath), safe_join(destdir, relpath))
             for relpath in list(results['output']) + results['logs']]
    if rpm_results:
        pairs += wrapper_scratch_pairs(rpm_results, destdir)
    move_all(pairs)


class WinHostExports(object):
    """host.* calls of windows builds, bound into HostExports."""

    initWinBuild = staticmethod(host_init_win_build)
    completeWinBuild = staticmethod(host_complete_win_build)
    moveWinBuildToScratch = staticmethod(host_move_win_build_to_scratch)
