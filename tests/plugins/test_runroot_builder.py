"""runroot end to end: the hub plugin queues the task, a real kojid with the builder
plugin makes a buildroot with the mock backend (tests/fixtures/fake_mock.py stands in for
mock) and runs the command; its output comes back as runroot.log."""
import os

import pytest

import koji
from tests.integration.test_kojid_build import _wait_task, build_env
from tests.integration.test_kojid_build_mock import MockBuilder
from tests.integration.test_kojid_repos import HUB_OPTS
from tests.plugins.conftest import BUILDER_PLUGINS, HUB_PLUGINS

HOST = 'kojid-runroot.test'


class RunrootBuilder(MockBuilder):
    plugins = ('brootplug', 'runroot')


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    with open(os.path.join(BUILDER_PLUGINS, 'runroot.py')) as fp:
        source = fp.read()
    from tests.integration.test_kojid_build_mock import BROOT_PLUGIN
    opts = dict(HUB_OPTS, PluginPath=HUB_PLUGINS, Plugins='runroot_hub')
    gen = build_env(hub_server, tmp_path_factory, RunrootBuilder, HOST, 'rr',
                    hub_opts=opts, plugins={'brootplug': BROOT_PLUGIN, 'runroot': source})
    env = next(gen)
    env['admin'].addHostToChannel(HOST, 'runroot', create=True)
    yield env
    gen.close()


def _run(env, command, **opts):
    task_id = env['admin'].runroot(env['build_tag'], 'x86_64', command, **opts)
    return task_id, _wait_task(env, task_id, timeout=240)


def test_command_output_in_runroot_log(env):
    admin = env['admin']
    task_id, info = _run(env, ['echo', "it's", 'here'])
    assert info['state'] == koji.TASK_STATES['CLOSED'], env['builder'].read_log()
    assert admin.getTaskResult(task_id) == 'echo completed successfully'
    assert 'runroot.log' in admin.listTaskOutput(task_id)
    assert admin.downloadTaskOutput(task_id, 'runroot.log') == b"it's here\n"
    broots = admin.listBuildroots(taskID=task_id)
    assert len(broots) == 1
    assert broots[0]['state'] == koji.BR_STATES['EXPIRED']


def test_failing_command_fails_the_task(env):
    admin = env['admin']
    task_id, info = _run(env, 'echo out; exit 3')
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.BuildrootError) as exc:
        admin.getTaskResult(task_id)
    assert 'echo' in str(exc.value) and '3' in str(exc.value)
    assert admin.downloadTaskOutput(task_id, 'runroot.log') == b'out\n'


def test_unsafe_mount_refused(env):
    admin = env['admin']
    task_id, info = _run(env, ['true'], mounts=['/etc'])
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.GenericError) as exc:
        admin.getTaskResult(task_id)
    assert 'read-write mount point is not safe: /etc' in str(exc.value)
