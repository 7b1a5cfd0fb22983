"""What the maven, windows and image host calls share: task paths, the volume choice,
wrapper rpm import, archive import with undo, the final COMPLETE, scratch moves.

Result dicts from the builder name files relative to a task's work dir
(koji.pathinfo.task(task_id)); every such path must stay inside that dir.  A call that
fails puts back every file it already moved, so nothing is imported half.
"""
import logging
import os

import koji
from koji.context import context
from koji.util import joinpath

from .archives import import_archive
from .build_import import _host_task, _policy_data_from_task
from .build_write import change_build, check_volume_policy
from .builds import get_build
from .rpm_batch import Moves, import_build_log, import_rpms
from ..users.users import get_user

logger = logging.getLogger('koji.hub.typed_import')

STATES = koji.BUILD_STATES


def check_type(value, cast, what='results'):
    if not isinstance(value, cast):
        raise koji.ParameterError('Invalid %s: %r' % (what, value))


def safe_join(path, *paths):
    """joinpath with a Koji fault for segments that would leave path."""
    try:
        return joinpath(path, *paths)
    except ValueError:
        raise koji.GenericError('Invalid path: %s' % os.path.join(*paths))


def task_file(task_id, relpath):
    """Absolute path of a file a task uploaded; it must exist and stay in the task dir."""
    if isinstance(task_id, bool) or not isinstance(task_id, int):
        raise koji.ParameterError('Invalid task id: %r' % (task_id,))
    if not isinstance(relpath, str) or not relpath:
        raise koji.ParameterError('Invalid path: %r' % (relpath,))
    taskdir = koji.pathinfo.task(task_id)
    path = safe_join(taskdir, relpath)
    real_task = os.path.realpath(taskdir)
    real_dir = os.path.realpath(os.path.dirname(path))
    if real_dir != real_task and not real_dir.startswith(real_task + '/'):
        raise koji.GenericError('Invalid path: %s' % relpath)
    if not os.path.lexists(path):
        raise koji.GenericError('No such file: %s' % path)
    return path


def pick_volume(binfo, task_id, import_type):
    """The volume the volume policy gives this import (DEFAULT as fallback)."""
    policy_data = {'build': binfo, 'package': binfo['name'], 'import': True,
                   'import_type': import_type}
    policy_data.update(_policy_data_from_task(task_id))
    vol = check_volume_policy(policy_data, strict=False, default='DEFAULT')
    if vol['id'] != binfo['volume_id']:
        binfo = dict(binfo, volume_id=vol['id'], volume_name=vol['name'])
    return binfo


def rpm_result_files(rpm_results):
    """(srpm + rpms, logs) relative paths of a wrapper rpm task's results."""
    check_type(rpm_results, dict, 'rpm_results')
    for key in ('srpm', 'rpms', 'logs'):
        if key not in rpm_results:
            raise koji.ParameterError('Missing %s in rpm_results' % key)
    check_type(rpm_results['rpms'], list, 'rpm_results')
    check_type(rpm_results['logs'], list, 'rpm_results')
    return [rpm_results['srpm']] + rpm_results['rpms'], rpm_results['logs']


def wrapper_task_id(rpm_results):
    """The wrapperRPM task whose dir holds the rpm results."""
    check_type(rpm_results, dict, 'rpm_results')
    if 'task_id' not in rpm_results:
        raise koji.ParameterError('Missing task_id in rpm_results')
    return rpm_results['task_id']


def import_wrapper(task_id, binfo, rpm_results, moves):
    """Wrapper rpms (any NVR) of a wrapperRPM task join the build; logs go to noarch/."""
    rpms, logs = rpm_result_files(rpm_results)
    brootid = rpm_results.get('buildroot_id')
    files = [(task_file(task_id, relpath), brootid) for relpath in rpms]
    log_files = [task_file(task_id, relpath) for relpath in logs]
    import_rpms(binfo, files, moves, wrapper=True)
    for fn in log_files:
        import_build_log(fn, binfo, subdir='noarch', moves=moves)


def import_archive_undoable(filepath, binfo, btype, type_info, moves, buildroot_id=None):
    """import_archive, with the file's move recorded so the call can put it back."""
    was_link = os.path.islink(filepath)
    try:
        return import_archive(filepath, binfo, btype, type_info, buildroot_id=buildroot_id)
    finally:
        if not was_link and os.path.islink(filepath):
            moves.moved.append((filepath, os.path.realpath(filepath)))


def complete_typed_build(binfo, old_volume_id):
    """BUILDING -> COMPLETE (and the policy's volume) through change_build."""
    data = {'state': STATES['COMPLETE']}
    if binfo['volume_id'] != old_volume_id:
        data['volume_id'] = binfo['volume_id']
    new = change_build(binfo, 'state', STATES['COMPLETE'], data=data,
                       rawdata={'completion_time': 'NOW()'},
                       clauses=['state = %(building)s'],
                       values={'building': STATES['BUILDING']})
    if new is None:
        raise koji.GenericError('Unable to complete build: state changed')
    return new


def building_build(build_id):
    binfo = get_build(build_id, strict=True)
    if binfo['state'] != STATES['BUILDING']:
        raise koji.GenericError('Unable to complete build: state is %s'
                                % STATES[binfo['state']])
    return binfo


def scratch_dir(task):
    username = get_user(task.getOwner(), strict=True)['name']
    return joinpath(koji.pathinfo.scratch(), username, 'task_%s' % task.id)


def move_all(pairs):
    """Move (src, dest) pairs, leaving symlinks; all go back if one fails."""
    moves = Moves()
    try:
        for src, dest in pairs:
            moves.move(src, dest)
    except Exception:
        moves.undo()
        raise
    return moves


def wrapper_scratch_pairs(rpm_results, destdir):
    """Scratch destinations of a wrapper rpm task's files (under rpms/)."""
    rpms, logs = rpm_result_files(rpm_results)
    return [(task_file(wrapper_task_id(rpm_results), relpath),
             safe_join(destdir, 'rpms', relpath)) for relpath in rpms + logs]


def host_task(task_id):
    """The task of a host call, after checking the caller is the host running it."""
    return _host_task(task_id)


def require_opt(name, message):
    if not context.opts.get(name):
        raise koji.GenericError(message)
