"""build / chain-build through upstream's client and ours against our hub, with a real
kojid (rpmbuild backend) doing the builds; then watch-task, taskinfo and download-build
of the results through both.

What a watching client prints in between depends on when its polls fall, so for the
waiting commands the comparison takes: the lines before the watch (exact, ids evened
out), each task's label and final state, the log file names a failure points at, the
summary and the exit code. Commands on finished tasks and builds compare exactly.
"""
import os
import re

import pytest

import koji
from tests.integration.test_kojid_build import (BuildBuilder, build_env, make_git_repo,
                                                make_srpm, upload_srpm)
from tests.integration.test_kojid_repos import _wait_task
from tests.interop.compare import norm, same, show, twin

HOST = 'kojid-interop-build.test'
TIMEOUT = 900
TASK_LINE = re.compile(r'^( *)(\d+) (.+?): (.*)$')
LOG_URL = re.compile(r'^ +http://\S+/work/tasks/\d+/\d+/(\S+)$', re.M)


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    yield from build_env(hub_server, tmp_path_factory, BuildBuilder, HOST, 'ib')


@pytest.fixture(scope='module')
def clients(interop_clients, upstream_koji, tmp_path_factory):
    """Upstream's download-build reads rpm headers: give its venv the system's rpm
    bindings (as tests/interop/test_interop_imports.py does)."""
    import rpm
    shim = str(tmp_path_factory.mktemp('rpmshim'))
    os.symlink(os.path.dirname(rpm.__file__), os.path.join(shim, 'rpm'))
    interop_clients.env['PYTHONPATH'] = shim
    return interop_clients


def watch_digest(stdout):
    """What a watching run shows whatever its poll timing."""
    head, sep, rest = stdout.partition('Watching tasks (this may be safely interrupted)...\n')
    head = re.sub(r'\d+', 'N', head)
    final = {}
    for line in rest.splitlines():
        match = TASK_LINE.match(line)
        if match:
            final[match.group(2)] = (match.group(3), match.group(4).rsplit(' -> ', 1)[-1])
    final = sorted(final.values())
    summary = re.sub(r'^\d+ ', 'N ', rest.rstrip('\n').rsplit('\n', 1)[-1])
    return head, bool(sep), final, sorted(set(LOG_URL.findall(rest))), summary


def same_watch(theirs, ours):
    assert ours.returncode == theirs.returncode, show(theirs, ours)
    assert watch_digest(ours.stdout) == watch_digest(theirs.stdout), show(theirs, ours)
    assert ours.stderr == theirs.stderr == '', show(theirs, ours)


def test_usage_errors_match(clients, env):
    for args in (('build', env['target']),
                 ('build', '--scratch', '--draft', env['target'], 'x.src.rpm'),
                 ('build', '--custom-user-metadata', '[]', env['target'], 'x.src.rpm'),
                 ('build', 'no-such-target', 'x.src.rpm'),
                 ('chain-build', env['target'], 'git://h/a#1'),
                 ('chain-build', env['target'], 'git://h/a#1', ':', 'b.src.rpm'),
                 ('promote-build',),
                 ('promote-build', 'no-such-build-1-1')):
        same(clients, *args, usage_extra=True)


def test_scratch_build_wait(clients, env):
    srpm = make_srpm(env['base'], 'ib-scratch')
    args = ('build', '--wait', '--scratch', env['target'], srpm)
    theirs = clients.theirs(*args, timeout=TIMEOUT)
    ours = clients.ours(*args, timeout=TIMEOUT)
    same_watch(theirs, ours)
    assert theirs.returncode == 0
    assert watch_digest(ours.stdout)[2] == [
        ('build (ib-target, ib-scratch-1.0-1.src.rpm)', 'closed'),
        ('buildArch (ib-scratch-1.0-1.src.rpm, x86_64)', 'closed'),
        ('rebuildSRPM (noarch)', 'closed')]


def test_failed_build_wait(clients, env):
    srpm = make_srpm(env['base'], 'ib-needy', breq='ib-nosuchdep')
    args = ('build', '--wait', '--scratch', env['target'], srpm)
    theirs = clients.theirs(*args, timeout=TIMEOUT)
    ours = clients.ours(*args, timeout=TIMEOUT)
    same_watch(theirs, ours)
    assert theirs.returncode == 1
    assert 'build.log' in watch_digest(ours.stdout)[3]


def test_chain_build_wait(clients, env):
    admin = env['admin']
    if not admin.getInheritanceData(env['build_tag']):
        admin.setInheritanceData(env['build_tag'], [{
            'parent_id': admin.getTag(env['dest_tag'])['id'], 'priority': 10,
            'maxdepth': None, 'intransitive': False, 'noconfig': False, 'pkg_filter': ''}])

    def script(world):
        first, second = world.n('ib-a'), world.n('ib-b')
        urls = []
        for name, breq in ((first, ''), (second, first)):
            admin.packageListAdd(env['dest_tag'], name, owner=env['hub'].admin_user)
            commit = make_git_repo(env['gitroot'], name, breq=breq)
            urls.append('%s%s.git#%s' % (env['git_url'], name, commit))
        res = world.run('chain-build', '--wait', env['target'], urls[0], ':', urls[1],
                        timeout=TIMEOUT)
        assert res.returncode == 0, res.stdout
        res.stdout = '\n'.join(map(str, watch_digest(res.stdout))) + '\n'
        res.stdout = re.sub(r'[0-9a-f]{40}', 'COMMIT', res.stdout)
        yield res
    twin(clients, script, ids=True, replace=[(env['git_url'], 'GIT/')])


@pytest.fixture(scope='module')
def built(env):
    """A finished build of the module: (build, its task id)."""
    admin = env['admin']
    admin.packageListAdd(env['dest_tag'], 'ib-done', owner=env['hub'].admin_user)
    srpm = make_srpm(env['base'], 'ib-done')
    task_id = admin.build(upload_srpm(admin, srpm), env['target'], {})
    info = _wait_task(env, task_id, timeout=TIMEOUT)
    assert info['state'] == koji.TASK_STATES['CLOSED'], info
    return admin.getBuild('ib-done-1.0-1'), task_id


def test_watch_task_and_taskinfo_of_finished_build(clients, built):
    build, task_id = built
    same(clients, 'watch-task', str(task_id))
    same(clients, 'taskinfo', '-r', str(task_id))
    same(clients, 'taskinfo', '-v', str(task_id))
    same(clients, 'buildinfo', build['nvr'])


def test_download_build(clients, built, tmp_path):
    build, task_id = built
    results = {}
    for who in ('theirs', 'ours'):
        where = tmp_path / who
        where.mkdir()
        res = clients.run(who, 'download-build', '--noprogress', build['nvr'], cwd=str(where))
        results[who] = (res, dict((fn, (where / fn).read_bytes())
                                  for fn in sorted(os.listdir(where))))
    (theirs, tfiles), (ours, ofiles) = results['theirs'], results['ours']
    assert norm(ours) == norm(theirs), show(theirs, ours)
    assert sorted(ofiles) == ['ib-done-1.0-1.src.rpm', 'ib-done-1.0-1.x86_64.rpm']
    assert ofiles == tfiles
