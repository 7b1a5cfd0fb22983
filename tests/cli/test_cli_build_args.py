"""build, chain-build and promote-build up to the hub call, with no builder running.

Tasks queued here stay FREE, so the test reads back exactly what the client sent
(getTaskRequest, the task's priority) and what it printed before any watching. Builds
that really run are in test_cli_build.py.
"""
import json
import os
import re
import subprocess
import sys

import pytest

import koji
from tests.fixtures.cli import KOJI, uniq
from tests.fixtures.terminal import Terminal

HELLO_SPEC = """\
Name: %s
Version: 1.0
Release: 1
Summary: srpm for argument tests
License: MIT
BuildArch: noarch

%%description
Nothing.

%%files
"""


def ok(res):
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert res.stderr == ''
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.endswith('koji: error: %s\n' % message), res.stderr


def failure(res, message):
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert res.stderr.endswith('%s\n' % message), res.stderr


@pytest.fixture(scope='module')
def target(hub):
    """A target whose build tag inherits its dest tag (so chain-build may use it)."""
    names = {'build': uniq('ba-build'), 'dest': uniq('ba-dest'), 'target': uniq('ba-tgt')}
    hub.createTag(names['dest'])
    hub.createTag(names['build'], parent=names['dest'], arches='x86_64')
    hub.createBuildTarget(names['target'], names['build'], names['dest'])
    return names


@pytest.fixture(scope='module')
def srpm(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('srpm'))
    spec = os.path.join(base, 'ba-pkg.spec')
    with open(spec, 'w') as fo:
        fo.write(HELLO_SPEC % 'ba-pkg')
    subprocess.run(['rpmbuild', '-bs', '--define', '_topdir %s' % base, spec], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(base, 'SRPMS', 'ba-pkg-1.0-1.src.rpm')


def _task_id(stdout):
    for line in stdout.splitlines():
        if line.startswith('Created task: '):
            return int(line.split()[-1])
    raise AssertionError('no task line in %r' % stdout)


def test_usage_errors(cli, target):
    tgt = target['target']
    usage_error(cli('build', tgt), 'Exactly two arguments (a build target and a SCM URL or '
                'srpm file) are required')
    usage_error(cli('build', '--rebuild-srpm', tgt, 'x.src.rpm'),
                '--no-/rebuild-srpm is only allowed for --scratch builds')
    usage_error(cli('build', '--no-rebuild-srpm', tgt, 'x.src.rpm'),
                '--no-/rebuild-srpm is only allowed for --scratch builds')
    usage_error(cli('build', '--arch-override', 'x86_64', tgt, 'x.src.rpm'),
                '--arch_override is only allowed for --scratch builds')
    usage_error(cli('build', '--scratch', '--draft', tgt, 'x.src.rpm'),
                '--scratch and --draft cannot be both specfied')
    usage_error(cli('build', '--custom-user-metadata', '{x', tgt, 'x.src.rpm'),
                '--custom-user-metadata is not valid JSON')
    usage_error(cli('build', '--custom-user-metadata', '[1]', tgt, 'x.src.rpm'),
                '--custom-user-metadata must be a JSON object')
    usage_error(cli('build', 'no-such-target-xyz', 'x.src.rpm'),
                'No such build target: no-such-target-xyz')
    usage_error(cli('chain-build', tgt),
                'At least two arguments (a build target and a SCM URL) are required')
    usage_error(cli('chain-build', 'no-such-target-xyz', 'git://h/a#1'),
                'No such build target: no-such-target-xyz')
    usage_error(cli('chain-build', tgt, 'git://h/a#1', 'git://h/b#1', ':'),
                'You must specify at least one dependency between builds with : (colon)\n'
                'If there are no dependencies, use the build command instead')
    usage_error(cli('promote-build'), 'Please specify a draft build')


def test_build_usage_text(cli):
    res = cli('build', '--help', auth=False)
    out = ok(res)
    assert out.startswith('Usage: koji build [options] <target> <srpm path or scm url>\n')
    for opt in ('--skip-tag', '--scratch', '--rebuild-srpm', '--no-rebuild-srpm', '--wait ',
                '--nowait', '--wait-repo', '--wait-build=NVR', '--quiet',
                '--arch-override=ARCH_OVERRIDE', '--fail-fast', '--repo-id=REPO_ID',
                '--noprogress', '--background',
                '--custom-user-metadata=CUSTOM_USER_METADATA', '--draft'):
        assert '  %s' % opt in out, opt


def test_locked_destination_tag(cli, hub):
    dest, build, tgt = uniq('ba-ldest'), uniq('ba-lbuild'), uniq('ba-ltgt')
    hub.createTag(dest, locked=True)
    hub.createTag(build)
    hub.createBuildTarget(tgt, build, dest)
    usage_error(cli('build', tgt, 'git://h/a#1'), 'Destination tag %s is locked' % dest)
    usage_error(cli('chain-build', tgt, 'git://h/a#1', ':', 'git://h/b#1'),
                'Destination tag %s is locked' % dest)
    # a scratch build never lands in the tag, so the lock does not matter
    out = ok(cli('build', '--nowait', '--scratch', tgt, 'git://h/a#1'))
    hub.cancelTask(_task_id(out))


def test_srpm_upload_and_opts_sent(cli, hub, hub_server, target, srpm):
    meta = {'team': 'qa', 'n': 1}
    res = cli('build', '--nowait', '--background', '--skip-tag', '--fail-fast', '--wait-repo',
              '--wait-build', 'a-1-1', '--wait-build', 'b-2-2',
              '--custom-user-metadata', json.dumps(meta), target['target'], srpm)
    out = ok(res)
    task_id = _task_id(out)
    assert out == ('Uploading srpm: %s\n\nCreated task: %d\n'
                   'Task info: %s/koji/taskinfo?taskID=%d\n'
                   % (srpm, task_id, hub_server.base_url, task_id))
    source, tgt, opts = hub.getTaskRequest(task_id)
    assert source.startswith('cli-build/') and source.endswith('/ba-pkg-1.0-1.src.rpm')
    assert tgt == target['target']
    assert opts == {'skip_tag': True, 'fail_fast': True, 'wait_repo': True,
                    'wait_builds': ['a-1-1', 'b-2-2'], 'custom_user_metadata': meta}
    # --background: priority 5 above the default of 20
    info = hub.getTaskInfo(task_id)
    assert info['priority'] == koji.PRIO_DEFAULT + 5
    assert info['method'] == 'build' and info['state'] == koji.TASK_STATES['FREE']
    # the srpm is in the work area where the hub will look for it
    with open(os.path.join(hub_server.topdir, 'work', source), 'rb') as fo, \
            open(srpm, 'rb') as orig:
        assert fo.read() == orig.read()
    hub.cancelTask(task_id)


def test_scm_url_defaults_and_quiet(cli, hub, target):
    url = 'git+https://scm.example.com/rpms/ba.git#abc123'
    res = cli('build', '--nowait', '--quiet', target['target'], url)
    assert ok(res) == ''
    [task] = hub.listTasks(opts={'method': 'build', 'state': [koji.TASK_STATES['FREE']]},
                           queryOpts={'order': '-id', 'limit': 1})
    assert hub.getTaskRequest(task['id']) == [url, target['target'], {
        'wait_builds': [], 'custom_user_metadata': {}}]
    assert task['priority'] == koji.PRIO_DEFAULT
    hub.cancelTask(task['id'])


def test_scratch_options_sent(cli, hub, target):
    url = 'git://scm.example.com/ba.git#1'
    out = ok(cli('build', '--nowait', '--scratch', '--no-rebuild-srpm',
                 '--arch-override', 'x86_64 noarch', target['target'], url))
    task_id = _task_id(out)
    opts = hub.getTaskRequest(task_id)[2]
    assert opts == {'scratch': True, 'rebuild_srpm': False, 'arch_override': 'x86_64 noarch',
                    'wait_builds': [], 'custom_user_metadata': {}}
    hub.cancelTask(task_id)


def test_background_client_does_not_watch(cli, hub, target):
    """stdin is not a terminal here: without --wait the task is only created."""
    out = ok(cli('build', target['target'], 'git://scm.example.com/ba.git#2'))
    assert 'Watching tasks' not in out
    hub.cancelTask(_task_id(out))


def test_target_none_with_repo_id(cli, hub):
    out = ok(cli('build', '--nowait', '--repo-id', '12345', 'NONE', 'git://h/ba.git#3'))
    task_id = _task_id(out)
    assert hub.getTaskRequest(task_id) == ['git://h/ba.git#3', None, {
        'skip_tag': True, 'repo_id': 12345, 'wait_builds': [], 'custom_user_metadata': {}}]
    hub.cancelTask(task_id)


def test_chain_build_levels_sent(cli, hub, hub_server, target):
    res = cli('chain-build', '--nowait', '--background', target['target'], 'git://h/a.git#1',
              'git://h/b.git#1', ':', ':', 'c-1.0-1', ':', 'git://h/d.git#1')
    out = ok(res)
    task_id = _task_id(out)
    assert out == 'Created task: %d\nTask info: %s/koji/taskinfo?taskID=%d\n' % (
        task_id, hub_server.base_url, task_id)
    assert hub.getTaskRequest(task_id) == [
        [['git://h/a.git#1', 'git://h/b.git#1'], ['c-1.0-1'], ['git://h/d.git#1']],
        target['target'], {}]
    assert hub.getTaskInfo(task_id)['priority'] == koji.PRIO_DEFAULT + 5
    hub.cancelTask(task_id)


def test_chain_build_bad_sources_and_target(cli, hub, target):
    failure(cli('chain-build', target['target'], 'git://h/a#1', ':', 'foo.src.rpm'),
            '"foo.src.rpm" is not a SCM URL or package N-V-R')
    failure(cli('chain-build', target['target'], 'a/b-1-1', ':', 'git://h/a#1'),
            '"a/b-1-1" is not a SCM URL or package N-V-R')
    # a build tag that does not see the dest tag cannot build on earlier levels
    dest, build, tgt = uniq('ba-cdest'), uniq('ba-cbuild'), uniq('ba-ctgt')
    hub.createTag(dest)
    hub.createTag(build)
    hub.createBuildTarget(tgt, build, dest)
    res = cli('chain-build', tgt, 'git://h/a#1', ':', 'git://h/b#1')
    assert res.returncode == 1
    assert res.stderr == ('Packages in destination tag %s are not inherited by build tag %s\n'
                          'Target %s is not usable for a chain-build\n' % (dest, build, tgt))


def test_promote_build_errors(cli, hub, hub_server):
    failure(cli('promote-build', 'no-such-build-1-1'), 'No such build: no-such-build-1-1')
    pkg = uniq('ba-np')
    hub.createEmptyBuild(pkg, '1', '1', None)
    failure(cli('promote-build', '%s-1-1' % pkg), 'Not a draft build: %s-1-1' % pkg)
    user = uniq('ba-user')
    hub.createUser(user)
    hub_server.set_password(user, 'pw')
    usage_error(cli('promote-build', '--force', '%s-1-1' % pkg, user=user, password='pw'),
                '--force requires admin privilege')


# -- in the foreground of a terminal ---------------------------------------------------------

# the bar when the upload starts, then at its end (with the average speed)
FIRST_FRAME = '[%s]  00%% 00:00:00     0.00 B        - B/sec' % (' ' * 36)
LAST_FRAME = re.compile(r'^\[={36}\] 100% 00:00:\d\d   [\d.]+ KiB +[\d.]+ [KMG]?i?B/sec$')


def _in_terminal(hub_server, tmp_path, *args):
    argv = [sys.executable, KOJI, '-c', hub_server.config_file, '-p', hub_server.profile,
            '--user', hub_server.admin_user, '--password', hub_server.admin_password]
    return Terminal(argv + list(args), env=dict(os.environ, HOME=str(tmp_path)))


def test_upload_progress_bar_in_a_terminal(hub, hub_server, target, srpm, tmp_path):
    term = _in_terminal(hub_server, tmp_path, 'build', '--nowait', target['target'], srpm)
    rc, out, err = term.finish()
    assert rc == 0 and err == '', (out, err)
    head, bar, tail = out.split('\n', 2)
    assert head == 'Uploading srpm: %s' % srpm
    # each frame of the bar ends with \r; the blank line after the last one ends it
    frames = bar.split('\r')
    assert frames[0] == FIRST_FRAME and frames[-1] == '', repr(bar)
    assert LAST_FRAME.match(frames[-2]), repr(bar)
    task_id = _task_id(tail)
    assert tail.startswith('Created task: %d\n' % task_id)
    hub.cancelTask(task_id)
    # --noprogress: no bar, the blank line stays
    term = _in_terminal(hub_server, tmp_path, 'build', '--nowait', '--noprogress',
                        target['target'], srpm)
    rc, out, err = term.finish()
    assert rc == 0 and out.startswith('Uploading srpm: %s\n\nCreated task: ' % srpm), out
    hub.cancelTask(_task_id(out))


def test_foreground_client_watches_by_default(hub, hub_server, target, tmp_path):
    term = _in_terminal(hub_server, tmp_path, 'build', target['target'],
                        'git://scm.example.com/ba.git#4')
    out = term.read_until('Watching tasks')
    task_id = _task_id(out.replace('\r\n', '\n'))
    hub.cancelTask(task_id)
    rc, out, err = term.finish()
    assert rc == 1, out
    label = '%d build (%s, /ba.git:4)' % (task_id, target['target'])
    assert out.endswith('\n%s was canceled\n' % label), out
