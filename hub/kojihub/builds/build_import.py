"""The rpm build flow on the host side: host.initBuild, completeBuild, failBuild and
moveBuildToScratch, and import_build behind completeBuild.

The builder's build task opens a BUILDING build (initBuild), its buildArch children
upload srpm, rpms and logs into their work dirs, then the build task hands the paths
(relative to the work dir) to completeBuild, which imports everything in one call, or
to moveBuildToScratch for a scratch build.  Each call checks that the caller is a host
running the named task.  A failing call leaves the files where they were uploaded.
"""
import logging
import os

import koji
from koji.plugin import run_callbacks
from koji.util import joinpath

from .build_write import change_build, check_volume_policy, new_build, new_typed_build
from .builds import get_build
from .rpm_batch import Moves, import_build_log, import_rpms, read_rpm
from ..core.db import QueryProcessor
from ..tasks.host_calls import _host_id
from ..tasks.task_actions import Task
from ..users.users import get_user

logger = logging.getLogger('koji.hub.build_import')

STATES = koji.BUILD_STATES


def _check_type(value, cast):
    from ..repos.opts import convert_value
    convert_value(value, cast=cast, check_only=True)


def _host_task(task_id):
    """The task of a host call, after checking the caller is the host running it."""
    host_id = _host_id()
    task = Task(task_id)
    task.assertHost(host_id)
    return task


def work_path(relpath):
    """Absolute path of an upload given relative to the work dir; it must stay inside."""
    if not isinstance(relpath, str) or not relpath:
        raise koji.ParameterError('Invalid path: %r' % (relpath,))
    workdir = koji.pathinfo.work()
    try:
        path = joinpath(workdir, relpath)
    except ValueError:
        raise koji.GenericError('Invalid path: %s' % relpath)
    real_work = os.path.realpath(workdir)
    real_dir = os.path.realpath(os.path.dirname(path))
    if real_dir != real_work and not real_dir.startswith(real_work + '/'):
        raise koji.GenericError('Invalid path: %s' % relpath)
    if not os.path.exists(path):
        raise koji.GenericError('No such file: %s' % path)
    return path


def _log_list(logs):
    """[(subdir or None, relpath)] of a logs argument ({arch or '': [relpath, ...]})."""
    if logs is None:
        return []
    _check_type(logs, dict)
    result = []
    for key, files in logs.items():
        _check_type(files, list)
        for relpath in files:
            result.append((key or None, relpath))
    return result


# -- noarch rpms built on several arches -----------------------------------------------

# what must agree between noarch copies: descriptive tags, scriptlets, the file list
# (not sizes, digests or times, as upstream's rpmdiff ignoring S5TN) and dependencies
_NOARCH_FACTS = ['summary', 'description', 'group', 'license', 'url', 'prein', 'postin',
                 'preun', 'postun', 'pretrans', 'posttrans', 'filenames', 'filemodes',
                 'fileusername', 'filegroupname', 'filelinktos', 'fileflags']
for _dep in ('require', 'provide', 'conflict', 'obsolete'):
    _NOARCH_FACTS += [_dep + 'name', _dep + 'version', _dep + 'flags']


def _file_facts(fn):
    facts = koji.get_header_fields(koji.get_rpm_header(fn), _NOARCH_FACTS)
    return {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in facts.items()}


def _differences(first, other):
    return ', '.join(sorted(k for k in first if first[k] != other[k]))


def _rpmdiff_hashes(uploadpath, logs):
    """{task_id: {rpm basename: hash}} from the builders' noarch_rpmdiff.json logs."""
    hashes = {}
    for _key, relpath in logs:
        if os.path.basename(relpath) == 'noarch_rpmdiff.json':
            try:
                hashes.update(koji.load_json(joinpath(uploadpath, relpath)))
            except (OSError, ValueError):
                logger.warning('unreadable %s', relpath)
    return hashes


def _task_of(relpath):
    parts = relpath.split('/')
    return parts[2] if len(parts) > 2 and parts[0] == 'tasks' else None


def check_noarch_rpms(basepath, rpms, logs=None):
    """rpms without repeated noarch files (the first copy stays); the copies must agree."""
    result = []
    noarch = {}
    for relpath in rpms:
        if relpath.endswith('.noarch.rpm'):
            copies = noarch.setdefault(os.path.basename(relpath), [])
            if not copies:
                result.append(relpath)
            copies.append(relpath)
        else:
            result.append(relpath)
    hashes = None
    for name, copies in noarch.items():
        if len(copies) < 2:
            continue
        if hashes is None:
            hashes = _rpmdiff_hashes(basepath, _log_list(logs))
        first = copies[0]
        first_hash = hashes.get(_task_of(first) or '', {}).get(name)
        first_facts = None
        for other in copies[1:]:
            if first_hash and hashes.get(_task_of(other) or '', {}).get(name) == first_hash:
                continue
            if first_facts is None:
                first_facts = _file_facts(joinpath(basepath, first))
            other_facts = _file_facts(joinpath(basepath, other))
            if other_facts != first_facts:
                raise koji.BuildError(
                    'The following noarch package built differently on different '
                    'architectures: %s\nrpmdiff output was:\n%s differs from %s in: %s'
                    % (name, other, first, _differences(first_facts, other_facts)))
    return result


# -- volumes -----------------------------------------------------------------------------

def ensure_volume_symlink(binfo, moves=None):
    """A build on another volume is reachable from its DEFAULT location by a symlink."""
    if binfo.get('volume_name') in (None, 'DEFAULT'):
        return
    build_dir = koji.pathinfo.build(binfo)
    base_dir = koji.pathinfo.build(dict(binfo, volume_id=0, volume_name='DEFAULT'))
    relpath = os.path.relpath(build_dir, os.path.dirname(base_dir))
    if os.path.islink(base_dir):
        if os.readlink(base_dir) == relpath:
            return
        os.unlink(base_dir)
    elif os.path.exists(base_dir):
        raise koji.GenericError('Unexpected build content: %s' % base_dir)
    if moves is not None:
        moves.ensuredir(os.path.dirname(base_dir))
    else:
        koji.ensuredir(os.path.dirname(base_dir))
    os.symlink(relpath, base_dir)
    if moves is not None:
        moves.written.append(base_dir)


def _policy_data_from_task(task_id):
    from ..tasks.task_actions import policy_data_from_task_args
    from ..tasks.tasks import get_task_info
    info = get_task_info(task_id, request=True, strict=True)
    return policy_data_from_task_args(info['method'], info['request'])


def _check_buildroots(brmap):
    """Every buildroot id of brmap exists (one query)."""
    ids = set(brmap.values())
    for br_id in ids:
        if isinstance(br_id, bool) or not isinstance(br_id, int):
            raise koji.ParameterError('Invalid buildroot id: %r' % (br_id,))
    if not ids:
        return
    query = QueryProcessor(columns=['id'], tables=['buildroot'],
                           clauses=['id = ANY(%(ids)s)'], values={'ids': sorted(ids)})
    found = {row['id'] for row in query.execute()}
    missing = sorted(ids - found)
    if missing:
        raise koji.GenericError('no buildroot with ID: %i' % missing[0])


# -- import ------------------------------------------------------------------------------

def _complete(binfo, build, volume):
    """BUILDING -> COMPLETE on the import's volume, after the sanity checks."""
    def check():
        if binfo.get('draft'):
            build['release'] = koji.gen_draft_release(build['release'], binfo['id'])
        for key in ('name', 'version', 'release', 'epoch', 'task_id'):
            if build[key] != binfo[key]:
                raise koji.GenericError(
                    'Unable to complete build: %s mismatch (build: %s, rpm: %s)'
                    % (key, binfo[key], build[key]))
        if binfo['state'] != STATES['BUILDING']:
            raise koji.GenericError('Unable to complete build: state is %s'
                                    % STATES[binfo['state']])
    new = change_build(binfo, 'state', STATES['COMPLETE'],
                       data={'state': STATES['COMPLETE'], 'volume_id': volume['id']},
                       rawdata={'completion_time': 'NOW()'},
                       clauses=['state = %(building)s'],
                       values={'building': STATES['BUILDING']}, prepare=check)
    if new is None:
        raise koji.GenericError('Unable to complete build: state changed')
    return new


def import_build(srpm, rpms, brmap=None, task_id=None, build_id=None, logs=None):
    """Import an srpm, its rpms and logs (paths relative to the work dir) as a build.

    With build_id the BUILDING build made by initBuild is completed; without it a new
    build is made from the srpm (upstream keeps this for old callers).  Returns the
    build record.
    """
    if brmap is None:
        brmap = {}
    else:
        _check_type(brmap, dict)
    _check_type(srpm, str)
    _check_type(rpms, list)
    run_callbacks('preImport', type='build', srpm=srpm, rpms=rpms, brmap=brmap,
                  task_id=task_id, build_id=build_id, build=None, logs=logs)
    uploadpath = koji.pathinfo.work()
    paths = {relpath: work_path(relpath) for relpath in [srpm] + rpms}
    log_files = [(key, work_path(relpath)) for key, relpath in _log_list(logs)]
    rpms = check_noarch_rpms(uploadpath, rpms, logs=logs)
    _check_buildroots(brmap)

    srpm_info = read_rpm(paths[srpm])
    if srpm_info['sourcepackage'] != 1:
        raise koji.GenericError('not a source package: %s' % paths[srpm])
    build = {key: srpm_info[key] for key in ('name', 'version', 'release', 'epoch')}
    build['task_id'] = task_id
    policy_data = {'package': build['name'], 'version': build['version'],
                   'release': build['release'], 'buildroots': list(brmap.values()),
                   'import': True, 'import_type': 'rpm'}
    if task_id is not None:
        policy_data.update(_policy_data_from_task(task_id))
    volume = check_volume_policy(policy_data, strict=False, default='DEFAULT')
    if build_id is None:
        logger.error('import_build without a build_id is deprecated')
        build['volume_id'] = volume['id']
        binfo = get_build(new_build(build), strict=True)
        new_typed_build(binfo, 'rpm')
    else:
        binfo = _complete(get_build(build_id, strict=True), build, volume)

    moves = Moves()
    try:
        files = [(paths[relpath], brmap.get(relpath)) for relpath in [srpm] + rpms]
        import_rpms(binfo, files, moves)
        for key, fn in log_files:
            import_build_log(fn, binfo, subdir=key, moves=moves)
        ensure_volume_symlink(binfo, moves)
        run_callbacks('postImport', type='build', srpm=srpm, rpms=rpms, brmap=brmap,
                      task_id=task_id, build_id=binfo['id'], build=binfo, logs=logs)
    except Exception:
        moves.undo()
        raise
    return binfo


# -- host calls --------------------------------------------------------------------------

def host_init_build(data):
    """host.initBuild: a BUILDING rpm build for the caller's build task; returns its id."""
    _check_type(data, dict)
    if 'task_id' not in data:
        raise koji.ParameterError('No task_id in build data')
    task = _host_task(data['task_id'])
    data = dict(data)
    data['owner'] = task.getOwner()
    data['state'] = STATES['BUILDING']
    data['completion_time'] = None
    build_id = new_build(data)
    new_typed_build(get_build(build_id, strict=True), 'rpm')
    return build_id


def host_complete_build(task_id, build_id, srpm, rpms, brmap=None, logs=None):
    """host.completeBuild: import the build's files, mark it COMPLETE, notify."""
    from ..notifications.notify import build_notification
    _host_task(task_id)
    result = import_build(srpm, rpms, brmap, task_id, build_id, logs=logs)
    build_notification(task_id, build_id)
    return result


def host_fail_build(task_id, build_id):
    """host.failBuild: a BUILDING build (not yet completed) becomes FAILED; notify."""
    from ..notifications.notify import build_notification
    _host_task(task_id)
    binfo = get_build(build_id, strict=True)

    def check():
        query = QueryProcessor(columns=['state', 'completion_time'], tables=['build'],
                               clauses=['id = %(id)s'], values={'id': binfo['id']},
                               opts={'rowlock': True})
        row = query.executeOne(strict=True)
        if row['state'] != STATES['BUILDING']:
            raise koji.GenericError('cannot update build %i, state: %s'
                                    % (binfo['id'], STATES[row['state']]))
        if row['completion_time'] is not None:
            raise koji.GenericError('cannot update build %i, completed at %s'
                                    % (binfo['id'], row['completion_time']))
    change_build(binfo, 'state', STATES['FAILED'], data={'state': STATES['FAILED']},
                 rawdata={'completion_time': 'NOW()'}, prepare=check)
    build_notification(task_id, binfo['id'])


def host_move_build_to_scratch(task_id, srpm, rpms, logs=None):
    """host.moveBuildToScratch: keep a scratch build's output under
    scratch/<owner>/task_<id> (nothing goes into the database)."""
    task = _host_task(task_id)
    _check_type(srpm, str)
    _check_type(rpms, list)
    uploadpath = koji.pathinfo.work()
    paths = {relpath: work_path(relpath) for relpath in [srpm] + rpms}
    log_files = [(key, work_path(relpath)) for key, relpath in _log_list(logs)]
    rpms = check_noarch_rpms(uploadpath, rpms, logs=logs)
    username = get_user(task.getOwner(), strict=True)['name']
    destdir = os.path.join(koji.pathinfo.scratch(), username, 'task_%s' % task.id)
    moves = Moves()
    try:
        moves.ensuredir(destdir)
        for relpath in [srpm] + rpms:
            fn = paths[relpath]
            moves.move(fn, os.path.join(destdir, os.path.basename(fn)))
        for key, fn in log_files:
            logdir = os.path.join(destdir, 'logs', key) if key else \
                os.path.join(destdir, 'logs')
            moves.move(fn, os.path.join(logdir, os.path.basename(fn)))
    except Exception:
        moves.undo()
        raise


class BuildImportHostExports(object):
    """host.initBuild & co., bound into HostExports."""

    initBuild = staticmethod(host_init_build)
    completeBuild = staticmethod(host_complete_build)
    failBuild = staticmethod(host_fail_build)
    moveBuildToScratch = staticmethod(host_move_build_to_scratch)
