"""RPM builds given bad input, end to end with a real kojid (rpmbuild backend).

Each case checks that the task tree ends FAILED or CANCELED with its reason, the build row
(if one was made) is not left BUILDING, nothing is left under the build's package dir and
the buildroots end EXPIRED.
"""
import glob
import os
import shutil
import signal

import pytest

import koji
from tests.integration.test_kojid import _alive, _wait_for
from tests.integration.test_kojid_build import (BuildBuilder, _need_build_calls, build_env,
                                                make_srpm, upload_srpm)
from tests.integration.test_kojid_repos import _wait_task

HOST = 'kojid-buildfail.test'
ENDED = [koji.TASK_STATES[s] for s in ('CLOSED', 'FAILED', 'CANCELED')]


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    gen = build_env(hub_server, tmp_path_factory, BuildBuilder, HOST, 'bf')
    env = next(gen)
    _need_build_calls(env)
    try:
        yield env
    finally:
        gen.close()


def _add_pkg(env, name):
    env['admin'].packageListAdd(env['dest_tag'], name, owner=env['hub'].admin_user)


def _pkgdir(env, name, release='1'):
    return os.path.join(env['hub'].topdir, 'packages', name, '1.0', release)


def _tree(env, task_id):
    """The task and all its descendants."""
    admin = env['admin']
    found = [admin.getTaskInfo(task_id)]
    for kid in admin.getTaskChildren(task_id):
        found.extend(_tree(env, kid['id']))
    return found


def _buildroots(env, tasks):
    return [br for t in tasks for br in env['admin'].listBuildroots(taskID=t['id'])]


def _wait_expired(env, tasks):
    """Buildroots are expired by kojid's loop once their task is over; wait for it."""
    expired = koji.BR_STATES['EXPIRED']

    def done():
        brs = _buildroots(env, tasks)
        return brs if all(b['state'] == expired for b in brs) else None
    try:
        return _wait_for(done, 60, 'buildroots to expire')
    except AssertionError:
        raise AssertionError('%r\n%s' % (_buildroots(env, tasks), env['builder'].read_log()))


def _fault(env, task_id):
    with pytest.raises(koji.GenericError) as exc:
        env['admin'].getTaskResult(task_id)
    return exc.value


def _build(env, src, opts=None):
    task_id = env['admin'].build(src, env['target'], opts or {})
    return task_id, _wait_task(env, task_id, timeout=240)


def _rpmbuilds(env):
    """pids of the build processes left under this module's kojid dirs: rpmbuild and
    what it runs (the %build shell and its sleep work in the buildroot)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as fo:
                cmd = fo.read().decode(errors='replace')
            cwd = os.readlink('/proc/%s/cwd' % entry)
        except OSError:
            continue
        mine = env['builder'].dir in cmd or cwd.startswith(env['builder'].dir + os.sep)
        if mine and 'rpmbuild' in cmd + cwd and _alive(int(entry)):
            found.append(int(entry))
    return found


@pytest.mark.parametrize('kind', ['binary', 'text'])
def test_srpm_that_is_not_an_srpm(env, kind):
    admin = env['admin']
    name = 'bf-notsrc-%s' % kind
    _add_pkg(env, name)
    if kind == 'binary':
        stub = glob.glob(os.path.join(env['stub'].path, '*', '*.noarch.rpm'))[0]
        path = os.path.join(env['base'], 'up-%s' % kind, '%s-1.0-1.src.rpm' % name)
        os.makedirs(os.path.dirname(path))
        shutil.copy(stub, path)
    else:
        path = os.path.join(env['base'], 'up-%s' % kind, '%s-1.0-1.src.rpm' % name)
        os.makedirs(os.path.dirname(path))
        with open(path, 'w') as fo:
            fo.write('this is not an rpm\n')
    task_id, info = _build(env, upload_srpm(admin, path))
    assert info['state'] == koji.TASK_STATES['FAILED']
    tasks = [dict(t, request=admin.getTaskRequest(t['id'])) for t in _tree(env, task_id)]
    assert all(t['state'] in ENDED for t in tasks)
    assert [t['state'] for t in tasks if t['method'] == 'rebuildSRPM'] == \
        [koji.TASK_STATES['FAILED']]
    exc = _fault(env, task_id)
    [srpm_task] = [t for t in tasks if t['method'] == 'rebuildSRPM']
    if kind == 'binary':
        # as upstream's rebuildSRPM: `rpm -i` of it gives no spec
        assert isinstance(exc, koji.BuildError)
        assert str(exc) == 'No spec file found'
        assert 'build.log' in admin.listTaskOutput(srpm_task['id'])
    else:
        # the builder's download of the upload checks it as an rpm
        assert type(exc) is koji.GenericError
        assert str(exc).startswith('Downloaded rpm %s/work/%s is corrupted:\n'
                                   % (env['hub'].topurl, srpm_task['request'][0]))
    # no build was made for it, nothing was stored
    assert admin.listBuilds(taskID=task_id) == []
    assert not os.path.exists(os.path.join(env['hub'].topdir, 'packages', name))
    _wait_expired(env, tasks)


def test_spec_fails_in_build(env):
    admin = env['admin']
    _add_pkg(env, 'bf-exit1')
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bf-exit1', build='exit 1'))
    task_id, info = _build(env, srpm)
    assert info['state'] == koji.TASK_STATES['FAILED']
    exc = _fault(env, task_id)
    assert isinstance(exc, koji.BuildError)
    assert 'error building package (arch x86_64)' in str(exc)
    tasks = _tree(env, task_id)
    [arch] = [t for t in tasks if t['method'] == 'buildArch']
    assert arch['state'] == koji.TASK_STATES['FAILED']
    log = admin.downloadTaskOutput(arch['id'], 'build.log').decode()
    assert 'exit 1' in log
    [build] = admin.listBuilds(taskID=task_id)
    assert build['state'] == koji.BUILD_STATES['FAILED']
    assert not os.listdir(_pkgdir(env, 'bf-exit1')) if os.path.isdir(
        _pkgdir(env, 'bf-exit1')) else True
    assert all(t['state'] in ENDED for t in tasks)
    _wait_expired(env, tasks)


def test_build_of_existing_nvr(env):
    admin = env['admin']
    _add_pkg(env, 'bf-twice')
    path = make_srpm(env['base'], 'bf-twice')
    first, info = _build(env, upload_srpm(admin, path))
    assert info['state'] == koji.TASK_STATES['CLOSED'], env['builder'].read_log()
    [build] = admin.listBuilds(taskID=first)
    pkgdir = _pkgdir(env, 'bf-twice')
    before = sorted(os.path.relpath(os.path.join(d, f), pkgdir)
                    for d, _, files in os.walk(pkgdir) for f in files)
    assert before
    task_id, info = _build(env, upload_srpm(admin, path))
    assert info['state'] == koji.TASK_STATES['FAILED']
    exc = _fault(env, task_id)
    assert str(exc).startswith('Build already exists (id=%d, state=COMPLETE): '
                               % build['build_id'])
    assert admin.listBuilds(taskID=task_id) == []
    assert admin.getBuild(build['build_id'])['state'] == koji.BUILD_STATES['COMPLETE']
    after = sorted(os.path.relpath(os.path.join(d, f), pkgdir)
                   for d, _, files in os.walk(pkgdir) for f in files)
    assert after == before
    tasks = _tree(env, task_id)
    # refused before any arch build
    assert [t['method'] for t in tasks if t['method'] == 'buildArch'] == []
    assert all(t['state'] in ENDED for t in tasks)
    _wait_expired(env, tasks)


def _start_sleeper(env, name, flag=None):
    """A build whose %build sleeps (while the flag file exists, else for long); returns
    (task id, buildArch task, build) once the buildArch task is OPEN and its buildroot
    BUILDING."""
    admin = env['admin']
    _add_pkg(env, name)
    sleep = 'sleep 600'
    if flag:
        open(flag, 'w').close()
        sleep = 'while [ -e %s ]; do sleep 0.2; done' % flag
    srpm = upload_srpm(admin, make_srpm(env['base'], name, build=sleep))
    task_id = admin.build(srpm, env['target'], {})
    arch = _wait_building(env, task_id, name)
    [build] = admin.listBuilds(taskID=task_id)
    assert build['state'] == koji.BUILD_STATES['BUILDING']
    return task_id, arch, build


def _wait_building(env, task_id, name, skip=()):
    """The buildArch child (not in skip) once OPEN with a BUILDING buildroot."""
    admin = env['admin']
    building = koji.BR_STATES['BUILDING']

    def running():
        for arch in admin.getTaskChildren(task_id):
            if arch['method'] != 'buildArch' or arch['id'] in skip:
                continue
            if arch['state'] != koji.TASK_STATES['OPEN']:
                continue
            brs = admin.listBuildroots(taskID=arch['id'])
            if [b for b in brs if b['state'] == building] and _rpmbuilds(env):
                return arch
        return None
    return _wait_for(running, 240, 'buildArch of %s to build\n%s'
                     % (name, env['builder'].read_log()))


@pytest.mark.parametrize('how', ['cancelBuild', 'cancelTask'])
def test_cancel_mid_build(env, how):
    admin = env['admin']
    name = 'bf-cancel-%s' % how.lower()
    task_id, arch, build = _start_sleeper(env, name)
    if how == 'cancelBuild':
        assert admin.cancelBuild(build['build_id']) is True
    else:
        admin.cancelTask(task_id)
    tasks = _tree(env, task_id)
    # what had not finished is canceled; the srpm task had closed before
    states = dict((t['method'], t['state']) for t in tasks)
    assert states == {'build': koji.TASK_STATES['CANCELED'],
                      'rebuildSRPM': koji.TASK_STATES['CLOSED'],
                      'buildArch': koji.TASK_STATES['CANCELED']}
    assert admin.getBuild(build['build_id'])['state'] == koji.BUILD_STATES['CANCELED']
    # kojid kills the task processes: no rpmbuild is left
    _wait_for(lambda: not _rpmbuilds(env), 60, 'rpmbuild to be killed')
    _wait_expired(env, tasks)
    pkgdir = _pkgdir(env, name)
    assert not os.path.isdir(pkgdir) or not os.listdir(pkgdir)
    # the daemon goes on taking work
    assert env['builder'].proc.poll() is None


def test_kojid_killed_mid_build(env):
    """The new daemon frees the tasks the dead one had OPEN; they run again and the
    build completes."""
    admin = env['admin']
    builder = env['builder']
    name = 'bf-killed'
    flag = os.path.join(env['base'], 'bf-killed.flag')
    task_id, arch, build = _start_sleeper(env, name, flag=flag)
    host_id = admin.getHost(HOST)['id']
    old_brs = set(b['id'] for t in _tree(env, task_id)
                  for b in admin.listBuildroots(taskID=t['id']))
    builder.kill()
    # the build's own rpmbuild is gone with the machine
    for pid in _rpmbuilds(env):
        os.kill(pid, signal.SIGKILL)
    builder.start()
    try:
        def rerun():
            tasks = _tree(env, task_id)
            brs = [b for t in tasks for b in admin.listBuildroots(taskID=t['id'])
                   if b['id'] not in old_brs and b['state'] == koji.BR_STATES['BUILDING']]
            return brs and _rpmbuilds(env) and brs
        _wait_for(rerun, 240, 'the build to run again\n%s' % builder.read_log())
        os.unlink(flag)
        info = _wait_task(env, task_id, timeout=240)
    finally:
        if os.path.exists(flag):
            os.unlink(flag)
            admin.cancelTask(task_id)
    assert info['state'] == koji.TASK_STATES['CLOSED'], builder.read_log()
    tasks = _tree(env, task_id)
    assert [t['state'] for t in tasks] == [koji.TASK_STATES['CLOSED']] * len(tasks)
    assert sorted(t['method'] for t in tasks) == ['build', 'buildArch', 'rebuildSRPM',
                                                  'tagBuild']
    # the buildArch task ran again (a second buildroot), on the restarted host
    [arch] = [t for t in tasks if t['method'] == 'buildArch']
    assert arch['host_id'] == host_id
    assert len(admin.listBuildroots(taskID=arch['id'])) == 2
    # one build row, completed and tagged; the dead run's buildroots expired
    assert [b['build_id'] for b in admin.listBuilds(packageID=build['package_id'])] == \
        [build['build_id']]
    assert admin.getBuild(build['build_id'])['state'] == koji.BUILD_STATES['COMPLETE']
    assert [b['nvr'] for b in admin.listTagged(env['dest_tag'], package=name)] == \
        ['bf-killed-1.0-1']
    rpms = admin.listRPMs(buildID=build['build_id'])
    assert sorted(r['arch'] for r in rpms) == ['src', 'x86_64']
    assert [admin.getBuildroot(b)['state'] for b in sorted(old_brs)] == \
        [koji.BR_STATES['EXPIRED']] * len(old_brs)
    _wait_expired(env, tasks)


def test_cli_refuses_unknown_target_and_locked_tag(env, cli):
    admin = env['admin']
    path = make_srpm(env['base'], 'bf-cli')
    before = len(admin.listTasks({'method': 'build'}))
    proc = cli('build', '--nowait', 'bf-no-such-target', path)
    assert proc.returncode == 2
    assert proc.stderr.endswith('error: No such build target: bf-no-such-target\n')
    admin.editTag2(env['dest_tag'], locked=True)
    try:
        proc = cli('build', '--nowait', env['target'], path)
    finally:
        admin.editTag2(env['dest_tag'], locked=False)
    assert proc.returncode == 2
    assert proc.stderr.endswith('error: Destination tag %s is locked\n' % env['dest_tag'])
    # refused before any upload or task
    assert len(admin.listTasks({'method': 'build'})) == before


def test_unknown_target(env):
    """The hub queues the task (as upstream's, it does not look the target up); the
    builder refuses it before making anything."""
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bf-notarget'))
    task_id = admin.build(srpm, 'bf-no-such-target', {})
    info = _wait_task(env, task_id, timeout=240)
    assert info['state'] == koji.TASK_STATES['FAILED']
    exc = _fault(env, task_id)
    assert type(exc) is koji.GenericError
    assert str(exc) == 'unknown build target: bf-no-such-target'
    assert admin.getTaskChildren(task_id) == []
    assert admin.listBuilds(taskID=task_id) == []


def test_locked_destination_tag(env):
    admin = env['admin']
    name = 'bf-locked'
    _add_pkg(env, name)
    srpm = upload_srpm(admin, make_srpm(env['base'], name))
    admin.editTag2(env['dest_tag'], locked=True)
    try:
        task_id, info = _build(env, srpm)
    finally:
        admin.editTag2(env['dest_tag'], locked=False)
    assert info['state'] == koji.TASK_STATES['FAILED']
    tasks = _tree(env, task_id)
    [tag] = [t for t in tasks if t['method'] == 'tagBuild']
    assert tag['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.ActionNotAllowed) as exc:
        admin.getTaskResult(tag['id'])
    assert str(exc.value) == 'tag is locked'
    assert admin.listTagged(env['dest_tag'], package=name) == []
    assert all(t['state'] in ENDED for t in tasks)
    _wait_expired(env, tasks)
