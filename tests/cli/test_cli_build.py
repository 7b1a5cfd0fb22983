"""koji build / chain-build / promote-build end to end: a real kojid (rpmbuild backend)
builds what the CLI submits, and the CLI watches until the builds are done.

The environment (hub over HTTP, stub distribution, build tag with a READY repo) is the
one of tests/integration/test_kojid_build.py; the CLI runs as a process of its own.
"""
import os
import re
import subprocess

import pytest

import koji
from tests.fixtures.cli import our_cli
from tests.integration.test_kojid_build import (BuildBuilder, build_env, make_git_repo,
                                                make_srpm)

HOST = 'kojid-clibuild.test'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'docs', 'sample-package')
# a build on a busy machine may wait for the builder's load to drop
TIMEOUT = 900


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    yield from build_env(hub_server, tmp_path_factory, BuildBuilder, HOST, 'cb')


@pytest.fixture(scope='module')
def koji_cli(hub_server, tmp_path_factory):
    """Our CLI as admin against the module hub, with room for a whole build."""
    home = str(tmp_path_factory.mktemp('home'))

    def run(*args, cwd='/'):
        cmd = ['-c', hub_server.config_file, '-p', hub_server.profile,
               '--user', hub_server.admin_user, '--password', hub_server.admin_password]
        return our_cli().run(cmd + list(args), env=dict(os.environ, HOME=home), cwd=cwd,
                             timeout=TIMEOUT)
    return run


def sample_srpm(base):
    """The demo's sample package (docs/sample-package) as an srpm."""
    out = os.path.join(base, 'sample-srpm')
    subprocess.run(['rpmbuild', '-bs', '--define', '_sourcedir %s' % SAMPLE,
                    '--define', '_srcrpmdir %s' % out, os.path.join(SAMPLE, 'kojidemo.spec')],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, 'kojidemo-1.0-1.src.rpm')


def created(stdout):
    match = re.search(r'^Created task: (\d+)$', stdout, re.M)
    assert match, stdout
    return int(match.group(1))


def succeeded(res):
    assert res.returncode == 0, '%s\n%s' % (res.stdout, res.stderr)
    return res.stdout


def add_pkg(env, name):
    env['admin'].packageListAdd(env['dest_tag'], name, owner=env['hub'].admin_user)


def test_build_srpm_wait_tags_the_build(env, koji_cli, hub_server):
    add_pkg(env, 'kojidemo')
    srpm = sample_srpm(env['base'])
    out = succeeded(koji_cli('build', '--wait', env['target'], srpm))
    task_id = created(out)
    label = '%d build (%s, kojidemo-1.0-1.src.rpm)' % (task_id, env['target'])
    assert out.startswith(
        'Uploading srpm: %s\n\nCreated task: %d\nTask info: %s/koji/taskinfo?taskID=%d\n'
        'Watching tasks (this may be safely interrupted)...\n'
        % (srpm, task_id, hub_server.base_url, task_id)), out
    assert out.endswith('\n\n%s completed successfully\n' % label), out
    # every child shows up, with its own label
    for child in ('rebuildSRPM (noarch)',
                  'buildArch (kojidemo-1.0-1.src.rpm, x86_64)', 'tagBuild (noarch)'):
        assert re.search(r'^  \d+ %s: ' % re.escape(child), out, re.M), (child, out)
    admin = env['admin']
    assert [b['nvr'] for b in admin.listTagged(env['dest_tag'], package='kojidemo')] == [
        'kojidemo-1.0-1']
    build = admin.getBuild('kojidemo-1.0-1')
    assert build['state'] == koji.BUILD_STATES['COMPLETE'] and build['task_id'] == task_id
    rpms = sorted((r['name'], r['arch']) for r in admin.listRPMs(buildID=build['id']))
    assert rpms == [('kojidemo', 'src'), ('kojidemo', 'x86_64'), ('kojidemo-doc', 'noarch')]


def test_scratch_build_output_downloads(env, koji_cli, tmp_path):
    srpm = make_srpm(env['base'], 'cb-scratch')
    out = succeeded(koji_cli('build', '--wait', '--scratch', env['target'], srpm))
    task_id = created(out)
    assert out.endswith('%d build (%s, cb-scratch-1.0-1.src.rpm) completed successfully\n'
                        % (task_id, env['target'])), out
    assert env['admin'].listBuilds(taskID=task_id) == []
    got = succeeded(koji_cli('download-task', '--noprogress', str(task_id), cwd=tmp_path))
    assert 'cb-scratch-1.0-1.x86_64.rpm' in got
    files = subprocess.run(['rpm', '-qpl', str(tmp_path / 'cb-scratch-1.0-1.x86_64.rpm')],
                           stdout=subprocess.PIPE, text=True, check=True).stdout
    assert '/usr/bin/cb-scratch' in files.split()


def test_missing_buildrequires_fails_with_reason(env, koji_cli, hub_server):
    add_pkg(env, 'cb-needy')
    srpm = make_srpm(env['base'], 'cb-needy', breq='cb-nosuchdep')
    res = koji_cli('build', '--wait', env['target'], srpm)
    assert res.returncode == 1, res.stdout
    task_id = created(res.stdout)
    [arch_task] = [t for t in env['admin'].getTaskChildren(task_id)
                   if t['method'] == 'buildArch']
    # seen first when running (a state change) or already failed (a first sighting)
    line = re.search(r'^  %d buildArch \(cb-needy-1.0-1.src.rpm, x86_64\): (?:.* -> )?'
                     r'FAILED: BuildError: (.*)$' % arch_task['id'], res.stdout, re.M)
    assert line, res.stdout
    assert 'error building package (arch x86_64)' in line.group(1)
    assert 'cb-nosuchdep' in line.group(1)
    # the watcher points at the failed task's logs
    assert re.search(r'^ +Relevant logs:$', res.stdout, re.M), res.stdout
    assert '%s/work/tasks/%d/%d/build.log' % (hub_server.topurl, arch_task['id'] % 10000,
                                              arch_task['id']) in res.stdout
    assert res.stdout.endswith('%d build (%s, cb-needy-1.0-1.src.rpm) failed\n'
                               % (task_id, env['target']))
    [build] = env['admin'].listBuilds(taskID=task_id)
    assert build['state'] == koji.BUILD_STATES['FAILED']


def test_chain_build_in_order(env, koji_cli):
    admin = env['admin']
    for name in ('cb-chain-a', 'cb-chain-b'):
        add_pkg(env, name)
    # level 1 builds against level 0 only if the build tag sees the dest tag
    if not admin.getInheritanceData(env['build_tag']):
        admin.setInheritanceData(env['build_tag'], [{
            'parent_id': admin.getTag(env['dest_tag'])['id'], 'priority': 10,
            'maxdepth': None, 'intransitive': False, 'noconfig': False, 'pkg_filter': ''}])
    first = make_git_repo(env['gitroot'], 'cb-chain-a')
    second = make_git_repo(env['gitroot'], 'cb-chain-b', breq='cb-chain-a')
    url_a = '%scb-chain-a.git#%s' % (env['git_url'], first)
    url_b = '%scb-chain-b.git#%s' % (env['git_url'], second)
    out = succeeded(koji_cli('chain-build', '--wait', env['target'], url_a, ':', url_b))
    task_id = created(out)
    assert out.endswith('%d chainbuild (%s) completed successfully\n'
                        % (task_id, env['target'])), out
    build_a = admin.getBuild('cb-chain-a-1.0-1')
    build_b = admin.getBuild('cb-chain-b-1.0-1')
    assert build_a['state'] == build_b['state'] == koji.BUILD_STATES['COMPLETE']
    # b was built after a was done, in a buildroot that had a installed
    assert build_a['completion_ts'] <= admin.getTaskInfo(build_b['task_id'])['create_ts']
    [rpm_b] = admin.listRPMs(buildID=build_b['id'], arches='x86_64')
    names = [r['name'] for r in admin.getBuildrootListing(rpm_b['buildroot_id'])]
    assert 'cb-chain-a' in names
    tagged = sorted(b['nvr'] for b in admin.listTagged(env['dest_tag']))
    assert {'cb-chain-a-1.0-1', 'cb-chain-b-1.0-1'} <= set(tagged)


def test_draft_build_promoted(env, koji_cli):
    add_pkg(env, 'cb-draft')
    srpm = make_srpm(env['base'], 'cb-draft')
    out = succeeded(koji_cli('build', '--wait', '--draft', env['target'], srpm))
    task_id = created(out)
    admin = env['admin']
    [draft] = admin.listBuilds(taskID=task_id)
    assert draft['draft'] and draft['nvr'] == 'cb-draft-1.0-1,draft_%d' % draft['build_id']
    res = koji_cli('promote-build', draft['nvr'])
    assert succeeded(res) == '%s has been promoted to cb-draft-1.0-1\n' % draft['nvr']
    promoted = admin.getBuild(draft['build_id'])
    assert not promoted['draft'] and promoted['nvr'] == 'cb-draft-1.0-1'
    res = koji_cli('promote-build', str(draft['build_id']))
    assert res.returncode == 1 and res.stderr == 'Not a draft build: %d\n' % draft['build_id']
