"""util/koji-dev runs kojira: a repo request made with the CLI is built by kojid and the
hub, kojira is shown by `status`, and `down` stops it."""
import json
import os
import re
import shutil

import pytest

from tests.integration.test_koji_dev import alive, free_port, koji_cli, koji_dev, read_env
# the stack fixtures of the koji-dev tests
from tests.integration.test_koji_dev import server_dsn, stacks  # noqa: F401


def kojira_pid(directory):
    with open(os.path.join(directory, 'kojira.pid')) as fp:
        return int(fp.read().split()[0])


@pytest.mark.slow
def test_dev_stack_regenerates_repos(stacks, server_dsn):  # noqa: F811
    if not shutil.which('createrepo_c'):
        pytest.skip('createrepo_c is not installed')
    directory, dbname = stacks()
    res = koji_dev('up', '--dir', directory, '--port', str(free_port()), '--dsn', server_dsn,
                   '--dbname', dbname, '--auth', 'password')
    assert res.returncode == 0, res.stderr
    env = read_env(directory)
    res = koji_dev('status', '--dir', directory)
    assert res.returncode == 0, res.stdout + res.stderr
    pid = kojira_pid(directory)
    assert 'kojira    ok   running (pid %d) as user kojira' % pid in res.stdout
    with open(os.path.join(directory, 'kojira.conf')) as fp:
        conf = fp.read()
    assert 'server = %s' % env['KOJI_HUB_URL'] in conf and 'sleeptime = 2' in conf

    assert koji_cli(env, 'add-tag', '--arches', 'x86_64', 'dev-build').returncode == 0
    res = koji_cli(env, 'regen-repo', '--wait', 'dev-build')
    assert res.returncode == 0, res.stdout + res.stderr
    # the stack may have made repos of its own (the demo's tags) before this one
    found = re.match(r'Got repo (\d+)\n', res.stdout)
    assert found, res.stdout
    repo_id = found.group(1)
    res = koji_cli(env, 'repoinfo', repo_id, auth=False)
    assert 'State: READY\n' in res.stdout and 'Tag name: dev-build\n' in res.stdout
    # the request's newRepo task belonged to kojira, the hub's RepoQueueUser
    repo = json.loads(koji_cli(env, 'call', '--json-output', 'repoInfo', repo_id).stdout)
    task = json.loads(koji_cli(env, 'call', '--json-output', 'getTaskInfo',
                               str(repo['task_id'])).stdout)
    owner = json.loads(koji_cli(env, 'call', '--json-output', 'getUser', 'kojira').stdout)
    assert (task['method'], task['owner']) == ('newRepo', owner['id'])

    # a second `up` leaves the running kojira alone
    assert koji_dev('up', '--dir', directory).returncode == 0
    assert kojira_pid(directory) == pid
    assert koji_dev('down', '--dir', directory).returncode == 0
    assert not alive(pid)
    res = koji_dev('status', '--dir', directory)
    assert 'kojira    DOWN stopped' in res.stdout
