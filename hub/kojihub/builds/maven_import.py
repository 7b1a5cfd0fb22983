"""The maven build flow on the host side: host.initMavenBuild, createMavenBuild,
completeMavenBuild, importWrapperRPMs, moveMavenBuildToScratch, importArchive.

The builder's maven task opens a BUILDING build with the next free release
(initMavenBuild), its buildMaven child uploads the maven repository it deployed, and
completeMavenBuild imports those files (each directory with a .pom takes its maven
coordinates from it), the logs and any wrapper rpms, then marks the build COMPLETE.
"""
import hashlib
import os

import koji
from koji.util import md5_constructor

from .build_info import get_maven_build, get_next_release
from .build_write import new_build, new_maven_build
from .builds import get_build
from .rpm_batch import Moves, import_build_log
from .rpm_import import import_archive_file
from .rpms import list_rpms
from .archives import get_archive_type, import_archive
from .typed_import import (
    check_type, complete_typed_build, host_task, import_archive_undoable, import_wrapper,
    move_all, pick_volume, require_opt, safe_join, scratch_dir, task_file,
    wrapper_scratch_pairs, wrapper_task_id)
from ..tasks.host_calls import _host_id

MAVEN_OFF = 'Maven support not enabled'


def get_next_build(data):
    """new_build with the next free release when data has none (a few tries for races)."""
    if data.get('release') is not None:
        return new_build(data)
    data['release'] = get_next_release(data)
    for try_no in range(2, 10):
        try:
            return new_build(data)
        except koji.GenericError as exc:
            # taken meanwhile by a live build: try the next release
            if not str(exc).startswith('Build already'):
                raise
            data['release'] = get_next_release(data, try_no)
    raise koji.GenericError("Can't find available release")


def _init_data(task, build_info):
    check_type(build_info, dict, 'build_info')
    data = dict(build_info)
    data['task_id'] = task.id
    data['owner'] = task.getOwner()
    data['state'] = koji.BUILD_STATES['BUILDING']
    data['completion_time'] = None
    return data


def host_init_maven_build(task_id, build_info, maven_info):
    """host.initMavenBuild: a BUILDING maven build with the next release; returns its data."""
    require_opt('EnableMaven', MAVEN_OFF)
    task = host_task(task_id)
    check_type(maven_info, dict, 'maven_info')
    data = _init_data(task, build_info)
    data['release'] = None
    build_id = get_next_build(data)
    data['id'] = build_id
    new_maven_build(data, maven_info)
    return data


def host_create_maven_build(build_info, maven_info):
    """host.createMavenBuild: give an existing build maven coordinates (rpm2maven)."""
    _host_id()
    require_opt('EnableMaven', MAVEN_OFF)
    check_type(maven_info, dict, 'maven_info')
    new_maven_build(get_build(build_info, strict=True), maven_info)


def _write_checksums(mavendir, moves):
    """.md5 and .sha1 files for each file of mavendir that has none."""
    names = os.listdir(mavendir)
    for name in names:
        path = os.path.join(mavendir, name)
        if os.path.splitext(name)[1] in ('.md5', '.sha1') or not os.path.isfile(path):
            continue
        for ext, algo in (('.md5', md5_constructor), ('.sha1', hashlib.sha1)):
            if name + ext in names:
                continue
            chk = algo()
            with open(path, 'rb') as fo:
                for block in iter(lambda: fo.read(65536), b''):
                    chk.update(block)
            moves.write(path + ext, chk.hexdigest().encode('ascii'))


def _dir_maven_info(task_dir_id, relpath, files, maven_info):
    poms = [f for f in files if f.endswith('.pom')]
    if len(poms) > 1:
        raise koji.BuildError('multiple .pom files in %s: %s' % (relpath, ', '.join(poms)))
    if not poms:
        return maven_info
    pom = koji.parse_pom(task_file(task_dir_id, safe_join(relpath, poms[0])))
    return koji.pom_to_maven_info(pom)


def _import_maven_files(binfo, maven_info, maven_results, moves):
    task_id = maven_results['task_id']
    buildroot_id = maven_results.get('buildroot_id')
    files = maven_results['files']
    check_type(files, dict, 'maven_results')
    for relpath, names in files.items():
        check_type(names, list, 'maven_results')
        dir_info = _dir_maven_info(task_id, relpath, names, maven_info)
        for name in names:
            if os.path.splitext(name)[1] in ('.md5', '.sha1'):
                continue
            filepath = task_file(task_id, safe_join(relpath, name))
            if name == 'maven-metadata.xml':
                # kept in the build dir (a valid maven repo) but not recorded: repos
                # regenerate it
                destdir = safe_join(koji.pathinfo.mavenbuild(binfo), relpath)
                moves.ensuredir(destdir)
                dest = import_archive_file(filepath, destdir)
                moves.moved.append((filepath, dest))
                _write_checksums(destdir, moves)
                continue
            if not get_archive_type(filename=name):
                raise koji.BuildError('unsupported file type: %s' % name)
            import_archive_undoable(filepath, binfo, 'maven', dir_info, moves,
                                    buildroot_id=buildroot_id)


def _check_results(results, what):
    check_type(results, dict, what)
    for key in ('task_id', 'files', 'logs'):
        if key not in results:
            raise koji.ParameterError('Missing %s in %s' % (key, what))
    check_type(results['files'], dict, what)
    check_type(results['logs'], list, what)


def host_complete_maven_build(task_id, build_id, maven_results, rpm_results):
    """host.completeMavenBuild: import the maven output, logs and wrapper rpms; COMPLETE."""
    from ..notifications.notify import build_notification
    from .build_import import ensure_volume_symlink
    require_opt('EnableMaven', MAVEN_OFF)
    host_task(task_id)
    _check_results(maven_results, 'maven_results')
    binfo = get_build(build_id, strict=True)
    maven_info = get_maven_build(build_id, strict=True)
    old_volume = binfo['volume_id']
    binfo = pick_volume(binfo, task_id, 'maven')
    logs = [task_file(maven_results['task_id'], p) for p in maven_results['logs']]
    moves = Moves()
    try:
        _import_maven_files(binfo, maven_info, maven_results, moves)
        for fn in logs:
            import_build_log(fn, binfo, subdir='maven', moves=moves)
        ensure_volume_symlink(binfo, moves)
        if rpm_results:
            import_wrapper(wrapper_task_id(rpm_results), binfo, rpm_results, moves)
        complete_typed_build(binfo, old_volume)
    except Exception:
        moves.undo()
        raise
    build_notification(task_id, build_id)


def host_import_wrapper_rpms(task_id, build_id, rpm_results):
    """host.importWrapperRPMs: wrapper rpms for a COMPLETE build that has no rpms yet."""
    require_opt('EnableMaven', MAVEN_OFF)
    task = host_task(task_id)
    binfo = get_build(build_id, strict=True)
    if binfo['state'] != koji.BUILD_STATES['COMPLETE']:
        raise koji.GenericError(
            'cannot import wrapper rpms for %s: build state is %s, not complete'
            % (koji.buildLabel(binfo), koji.BUILD_STATES[binfo['state']].lower()))
    if list_rpms(buildID=binfo['id']):
        raise koji.GenericError('wrapper rpms for %s have already been imported'
                                % koji.buildLabel(binfo))
    moves = Moves()
    try:
        import_wrapper(task.id, binfo, rpm_results, moves)
    except Exception:
        moves.undo()
        raise


def host_move_maven_build_to_scratch(task_id, results, rpm_results):
    """host.moveMavenBuildToScratch: keep a scratch maven build under scratch/<owner>."""
    require_opt('EnableMaven', MAVEN_OFF)
    task = host_task(task_id)
    _check_results(results, 'results')
    destdir = scratch_dir(task)
    pairs = []
    entries = list(results['files'].items()) + [('', results['logs'])]
    for reldir, names in entries:
        check_type(names, list)
        for name in names:
            relpath = safe_join(reldir, name) if reldir else name
            pairs.append((task_file(results['task_id'], relpath), safe_join(destdir, relpath)))
    if rpm_results:
        pairs += wrapper_scratch_pairs(rpm_results, destdir)
    move_all(pairs)


def host_import_archive(filepath, buildinfo, type, typeInfo):
    """host.importArchive: a maven or windows archive joins a build (rpm2maven)."""
    _host_id()
    if type == 'maven':
        require_opt('EnableMaven', MAVEN_OFF)
    elif type == 'win':
        require_opt('EnableWin', 'Windows support not enabled')
    else:
        raise koji.GenericError('unsupported archive type: %s' % type)
    check_type(filepath, str, 'filepath')
    real = os.path.realpath(filepath)
    workdir = os.path.realpath(koji.pathinfo.work())
    if not real.startswith(workdir + '/'):
        raise koji.GenericError('Invalid file path: %s' % filepath)
    import_archive(filepath, get_build(buildinfo, strict=True), type, typeInfo)


class MavenHostExports(object):
    """host.* calls of maven builds, bound into HostExports."""

    initMavenBuild = staticmethod(host_init_maven_build)
    createMavenBuild = staticmethod(host_create_maven_build)
    completeMavenBuild = staticmethod(host_complete_maven_build)
    importWrapperRPMs = staticmethod(host_import_wrapper_rpms)
    moveMavenBuildToScratch = staticmethod(host_move_maven_build_to_scratch)
    importArchive = staticmethod(host_import_archive)
