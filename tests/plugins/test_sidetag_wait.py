"""add-sidetag --wait: with trigger_new_repo the new side tag's repo is queued at once,
a real kojid makes it, and the command returns when wait-repo sees it."""
import os
import sys

import pytest

from tests.fixtures.cli import PRELOAD
from tests.fixtures.forkcli import fork_cli
from tests.plugins.conftest import CLI_PLUGINS, KOJI, plugin_build_env

HOST = 'kojid-sidetag.test'


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    yield from plugin_build_env(hub_server, tmp_path_factory, HOST, 'stw', 'sidetag_hub',
                                'sidetag.conf', '[sidetag]\ntrigger_new_repo = True\n')


def test_add_sidetag_wait(env, tmp_path):
    hub = env['hub']
    args = ['-c', hub.config_file, '-p', hub.profile, '--plugin-paths', CLI_PLUGINS,
            '--user', hub.admin_user, '--password', hub.admin_password,
            'add-sidetag', '--wait', env['build_tag']]
    res = fork_cli(sys.executable, KOJI, PRELOAD).run(
        args, env=dict(os.environ, HOME=str(tmp_path)), cwd='/', timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr + env['builder'].read_log()
    lines = res.stdout.splitlines()
    name = lines[0]
    tag = env['admin'].getTag(name)
    assert name == '%s-side-%d' % (env['build_tag'], tag['id'])
    repo = env['admin'].repo.get(name)
    assert repo and repo['tag_id'] == tag['id']
    # wait-repo --target <side tag>: the repo the queued request produced
    assert lines[1:] == ['Got repo %d' % repo['id'],
                         'Repo info: %s/koji/repoinfo?repoID=%d' % (hub.base_url, repo['id'])]
