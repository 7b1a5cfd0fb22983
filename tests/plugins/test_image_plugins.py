"""kiwi and dud: hub calls (tasks queued with upstream's request layout) and the
kiwi-build / dud-build commands, ours next to upstream's 1.36.1 client."""
import sys

import pytest

import koji
from tests.fixtures.cli import PRELOAD
from tests.fixtures.forkcli import fork_cli
from tests.interop.compare import UPSTREAM_PRELOAD
from tests.plugins.conftest import CLI_PLUGINS, KOJI, PluginCLI


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['kiwi', 'dud'])
    server.imager = server.add_user('imager', perms=['image'])
    server.alice = server.add_user('alice')
    admin = server.session()
    admin.createTag('img-build', arches='x86_64')
    admin.createTag('img-dest')
    admin.createBuildTarget('img', 'img-build', 'img-dest')
    server.admin = admin
    return server


def request_of(hub, task_id):
    info = hub.admin.getTaskInfo(task_id, request=True)
    return info, hub.admin.getChannel(info['channel_id'])['name']


def test_kiwi_build_call(hub):
    imager = hub.session('imager', hub.imager)
    task_id = imager.kiwiBuild('img', ['x86_64', 'aarch64'], 'git://scm/desc.git#HEAD',
                               'path/x.kiwi', optional_arches=['aarch64'], profile='P',
                               scratch=True, repos=['http://r/'], release='2',
                               type_attr=['a=b'], priority=5)
    info, channel = request_of(hub, task_id)
    assert channel == 'image'
    assert info['method'] == 'kiwiBuild'
    assert info['priority'] == koji.PRIO_DEFAULT + 5
    assert info['request'] == ['img', ['x86_64', 'aarch64'], 'git://scm/desc.git#HEAD',
                               'path/x.kiwi', {
                                   'scratch': True, 'profile': 'P', 'release': '2',
                                   'optional_arches': ['aarch64'], 'repos': ['http://r/'],
                                   'use_buildroot_repo': True, 'type_attr': ['a=b']}]
    task_id = imager.kiwiBuild('img', 'x86_64', 'u', 'p', use_buildroot_repo=False)
    assert request_of(hub, task_id)[0]['request'][4] == {}
    # the task label reads the request by name
    assert koji.taskLabel(request_of(hub, task_id)[0]).startswith('kiwiBuild')


def test_kiwi_build_checks(hub):
    alice = hub.session('alice', hub.alice)
    with pytest.raises(koji.ActionNotAllowed) as exc:
        alice.kiwiBuild('img', 'x86_64', 'u', 'p')
    assert 'image permission required' in str(exc.value)
    imager = hub.session('imager', hub.imager)
    with pytest.raises(koji.ActionNotAllowed) as exc:
        imager.kiwiBuild('img', 'x86_64', 'u', 'p', priority=-1)
    assert 'only admins may create high-priority tasks' in str(exc.value)
    with pytest.raises(koji.GenericError):
        imager.kiwiBuild('no-such-target', 'x86_64', 'u', 'p')
    with pytest.raises(koji.ParameterError):
        imager.kiwiBuild('img', 'x86_64', 'u', 'p', repos='not-a-list')
    task_id = hub.admin.kiwiBuild('img', 'x86_64', 'u', 'p', priority=-5)
    assert request_of(hub, task_id)[0]['priority'] == koji.PRIO_DEFAULT - 5


def test_dud_build_call(hub):
    imager = hub.session('imager', hub.imager)
    task_id = imager.dudBuild('drv', '1.0', ['x86_64'], 'img', ['kmod-a', 'b-1-1'],
                              scratch=True, scmurl='git://x', priority=3)
    info, channel = request_of(hub, task_id)
    assert channel == 'image' and info['method'] == 'dudBuild'
    # a positive priority is ignored, as upstream's
    assert info['priority'] == koji.PRIO_DEFAULT
    assert info['request'] == ['drv', '1.0', ['x86_64'], 'img', ['kmod-a', 'b-1-1'], {
        'scratch': True, 'alldeps': False, 'scmurl': 'git://x', 'optional_arches': None}]
    with pytest.raises(koji.ActionNotAllowed):
        hub.session('alice', hub.alice).dudBuild('d', '1', [], 'img', ['p'])
    with pytest.raises(koji.ActionNotAllowed):
        imager.dudBuild('d', '1', [], 'img', ['p'], priority=-2)


def test_cli_commands(hub, tmp_path):
    cli = PluginCLI(hub, str(tmp_path))
    res = cli('kiwi-build', '--nowait', '--scratch', '--arch', 'x86_64', '--can-fail',
              'i686,', '--kiwi-profile', 'P', 'img', 'git://scm#1', 'a.kiwi',
              user='imager', password=hub.imager)
    assert res.returncode == 0, res.stderr
    assert res.stderr == 'no repos given, using buildroot repo\n'
    lines = res.stdout.splitlines()
    task_id = int(lines[0].split(': ')[1])
    assert lines == ['Created task: %d' % task_id,
                     'Task info: %s/koji/taskinfo?taskID=%d' % (hub.base_url, task_id)]
    assert request_of(hub, task_id)[0]['request'] == [
        'img', ['x86_64'], 'git://scm#1', 'a.kiwi',
        {'scratch': True, 'profile': 'P', 'optional_arches': ['i386'],
         'use_buildroot_repo': True}]
    res = cli('dud-build', '--nowait', '--alldeps', 'img', 'drv', '2', 'p1', 'p2',
              user='imager', password=hub.imager)
    assert res.returncode == 0, res.stderr
    task_id = int(res.stdout.splitlines()[0].split(': ')[1])
    assert request_of(hub, task_id)[0]['request'] == [
        'drv', '2', [], 'img', ['p1', 'p2'],
        {'scratch': False, 'alldeps': True, 'scmurl': None, 'optional_arches': []}]
    res = cli('dud-build', 'img', 'drv', '2')
    assert res.returncode == 2 and res.stderr.endswith('error: Incorrect number of arguments\n')


@pytest.mark.parametrize('args', [
    ('kiwi-build', '--nowait', '--repo', 'http://r/', '--type', 'iso', '--type-attr', 'x=1',
     '--release', '3', '--version', '9', '--make-prep', '--result-bundle-name-format', 'F',
     '--repo-releasever', '40', 'img', 'git://d', 'p.kiwi'),
    ('kiwi-build', '--nowait', '--buildroot-repo', '--repo', 'http://r/', 'img', 'u', 'p'),
    ('dud-build', '--nowait', '--scratch', '--arch', 'x86_64', '--scmurl', 'git://s',
     '--can-fail', 'ppc64le', 'img', 'drv', '1', 'pkg'),
])
def test_same_tasks_as_upstream_client(hub, upstream_koji, tmp_path, args):
    """Both clients queue a task with the same request and print the same lines."""
    env = upstream_koji.env({'HOME': str(tmp_path)})
    base = ['-c', hub.config_file, '-p', hub.profile, '--authtype', 'password',
            '--user', 'imager', '--password', hub.imager]
    theirs = fork_cli(upstream_koji.python, upstream_koji.koji, UPSTREAM_PRELOAD, env).run(
        base + list(args), env=env, cwd='/', timeout=120)
    ours = fork_cli(sys.executable, KOJI, PRELOAD, env).run(
        ['--plugin-paths', CLI_PLUGINS] + base + list(args), env=env, cwd='/', timeout=120)
    results = []
    for res in (theirs, ours):
        assert res.returncode == 0, res.stderr
        task_id = int(res.stdout.splitlines()[0].split(': ')[1])
        info, channel = request_of(hub, task_id)
        out = res.stdout.replace('Created task: %d' % task_id, 'Created task: N')
        out = out.replace('taskID=%d' % task_id, 'taskID=N')
        results.append((out, res.stderr, info['request'],
                        info['priority'], channel))
    assert results[0] == results[1]
