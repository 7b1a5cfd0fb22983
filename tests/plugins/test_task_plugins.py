"""runroot, save_failed_tree and echo: hub calls over HTTP and their CLI commands.

The builder halves need kojid; here the tasks are only queued (and, for the CLI's wait,
canceled or given a log file by hand).
"""
import os
import subprocess
import sys

import psycopg2
import pytest

import koji
from tests.plugins.conftest import CLI_PLUGINS, KOJI, PluginCLI

SFT_CONF = '[permissions]\nallowed_methods = buildArch,createrepo\n'


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['runroot_hub', 'save_failed_tree', 'echo'], configs={
        'save_failed_tree.conf': SFT_CONF})
    server.rooter = server.add_user('rooter', perms=['runroot'])
    server.alice = server.add_user('alice')
    admin = server.session()
    admin.addChannel('runroot')
    admin.createTag('rtag', arches='x86_64')
    admin.createTag('wide', arches='x86_64 aarch64 ppc64le')
    admin.createTag('noarches')
    for name, arches in (('bx86', ['x86_64']), ('barm', ['aarch64'])):
        admin.addHost(name, arches)
        admin.addHostToChannel(name, 'runroot')
    admin.addHost('bppc', ['ppc64le'])
    server.admin = admin
    return server


@pytest.fixture(scope='module')
def koji_cli(hub, tmp_path_factory):
    return PluginCLI(hub, str(tmp_path_factory.mktemp('home')))


# -- runroot ----------------------------------------------------------------------------


def test_runroot_task(hub):
    rooter = hub.session('rooter', hub.rooter)
    task_id = rooter.runroot('rtag', 'x86_64', ['ls', '-l'], packages=['tree'],
                             mounts=['/mnt/x'], weight=3, new_chroot=True)
    info = rooter.getTaskInfo(task_id, request=True)
    assert info['method'] == 'runroot'
    assert info['arch'] == 'x86_64'
    assert info['priority'] == 15
    assert rooter.getChannel(info['channel_id'])['name'] == 'runroot'
    assert info['request'] == ['rtag', 'x86_64', ['ls', '-l'],
                               {'__starstar': True, 'packages': ['tree'],
                                'mounts': ['/mnt/x'], 'weight': 3, 'new_chroot': True}]
    task_id = rooter.runroot('rtag', 'x86_64', 'echo hi', channel='default')
    info = rooter.getTaskInfo(task_id, request=True)
    assert rooter.getChannel(info['channel_id'])['name'] == 'default'
    assert info['request'] == ['rtag', 'x86_64', 'echo hi']


def test_runroot_checks(hub):
    alice = hub.session('alice', hub.alice)
    with pytest.raises(koji.ActionNotAllowed) as exc:
        alice.runroot('rtag', 'x86_64', ['true'])
    assert 'runroot permission required' in str(exc.value)
    rooter = hub.session('rooter', hub.rooter)
    with pytest.raises(koji.GenericError) as exc:
        rooter.runroot('rtag', 'x86_64', 42)
    assert "Invalid type for value '42'" in str(exc.value)
    with pytest.raises(koji.GenericError):
        rooter.runroot('no-such-tag', 'x86_64', ['true'])
    with pytest.raises(koji.GenericError) as exc:
        rooter.runroot('noarches', 'noarch', ['true'])
    assert 'no arches defined for tag noarches' in str(exc.value)


def test_runroot_noarch(hub):
    rooter = hub.session('rooter', hub.rooter)
    # the tag lacks aarch64 and ppc64le: an arch of the tag that the channel's hosts have
    task_id = rooter.runroot('rtag', 'noarch', ['true'])
    info = rooter.getTaskInfo(task_id, request=True)
    assert info['arch'] == 'x86_64'
    assert info['request'][1] == 'noarch'
    # ppc64le is in the tag, but no host of the runroot channel has it
    hub.admin.createTag('ppconly', arches='ppc64le')
    with pytest.raises(koji.GenericError) as exc:
        rooter.runroot('ppconly', 'noarch', ['true'])
    assert 'no common arches for tag/channel: ppconly/runroot' in str(exc.value)
    # a tag with every host arch keeps noarch
    task_id = rooter.runroot('wide', 'noarch', ['true'])
    assert rooter.getTaskInfo(task_id)['arch'] == 'noarch'


def test_runroot_cli_nowait(hub, koji_cli):
    res = koji_cli('runroot', '--nowait', '--task-id', '--use-shell', '-p', 'a', '-p', 'b',
                   '--skip-setarch', '--old-chroot', '--channel-override', 'default',
                   'rtag', 'x86_64', 'echo', '$HOME', user='rooter', password=hub.rooter)
    assert res.returncode == 0, res.stderr
    task_id = int(res.stdout)
    info = hub.admin.getTaskInfo(task_id, request=True)
    assert info['request'] == ['rtag', 'x86_64', 'echo $HOME', {
        '__starstar': True, 'packages': ['a', 'b'], 'mounts': [], 'repo_id': None,
        'skip_setarch': True, 'weight': None, 'new_chroot': False}]
    assert hub.admin.getChannel(info['channel_id'])['name'] == 'default'
    res = koji_cli('runroot', 'rtag', 'x86_64')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: Incorrect number of arguments\n')


def test_runroot_cli_waits_and_prints_log(hub, tmp_path):
    """The CLI polls until the task ends, prints runroot.log and fails for a canceled
    task."""
    conf = tmp_path / 'koji.conf'
    with open(hub.config_file) as fp:
        conf.write_text(fp.read() + 'poll_interval = 1\n')
    cmd = [sys.executable, KOJI, '-c', str(conf), '-p', hub.profile,
           '--plugin-paths', CLI_PLUGINS, '--user', 'rooter', '--password', hub.rooter,
           'runroot', '--task-id', 'rtag', 'x86_64', 'true']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=str(tmp_path)))
    try:
        task_id = int(proc.stdout.readline())
        logdir = os.path.join(koji.PathInfo(topdir=hub.topdir).work(),
                              koji.pathinfo.taskrelpath(task_id))
        os.makedirs(logdir)
        with open(os.path.join(logdir, 'runroot.log'), 'wb') as fp:
            fp.write(b'line one\n\xffbinary\n')
        hub.admin.cancelTask(task_id)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    assert out == b'line one\n\xffbinary\n'


def test_runroot_cli_without_hub_plugin(plugin_hub_factory, tmp_path):
    bare = plugin_hub_factory([])
    res = PluginCLI(bare, str(tmp_path))('runroot', 'rtag', 'x86_64', 'true')
    assert res.returncode == 1
    assert res.stdout == ('* The runroot plugin appears to not be installed on the koji '
                          'hub.  Please contact the administrator.\n')
    assert 'Invalid method' in res.stderr
    res = PluginCLI(bare, str(tmp_path))('save-failed-tree', '-r', '1')
    assert res.returncode == 1
    assert res.stdout.startswith('* The save_failed_tree plugin appears to not be installed')


# -- save_failed_tree -------------------------------------------------------------------


def _sql_one(hub, statement, *params):
    conn = psycopg2.connect(hub.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def failed_task(hub, owner, method='buildArch', state='FAILED', host='bx86', buildroots=1):
    """A finished task of ``owner`` on ``host`` with buildroots (as a builder leaves them);
    returns (task id, [buildroot ids])."""
    task_id = _sql_one(
        hub, "INSERT INTO task (state, channel_id, host_id, owner, method, request, arch) "
        "SELECT %s, (SELECT id FROM channels WHERE name = 'default'), "
        "(SELECT id FROM host WHERE name = %s), (SELECT id FROM users WHERE name = %s), "
        "%s, %s, 'x86_64' RETURNING id",
        koji.TASK_STATES[state], host, owner, method, koji.xmlrpcplus.dumps((), 'x'))
    repo_id = _sql_one(hub, "INSERT INTO repo (tag_id, state) SELECT id, 1 FROM tag "
                            "WHERE name = 'rtag' RETURNING id")
    brs = []
    for _ in range(buildroots):
        br_id = _sql_one(hub, "INSERT INTO buildroot (br_type) VALUES (0) RETURNING id")
        hub.sql("INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, "
                "state) SELECT %s, id, %s, %s, 3 FROM host WHERE name = %s",
                br_id, repo_id, task_id, host)
        brs.append(br_id)
    return task_id, brs


def test_save_failed_tree(hub):
    alice = hub.session('alice', hub.alice)
    task_id, (br_id,) = failed_task(hub, 'alice')
    new = alice.saveFailedTree(br_id, full=True)
    info = alice.getTaskInfo(new, request=True)
    assert info['method'] == 'saveFailedTree'
    assert info['request'] == [br_id, True]
    assert info['host_id'] == alice.getHost('bx86')['id']
    assert info['state'] == koji.TASK_STATES['ASSIGNED']


def test_save_failed_tree_checks(hub):
    alice = hub.session('alice', hub.alice)
    task_id, (br_id,) = failed_task(hub, 'alice', state='CLOSED')
    with pytest.raises(koji.PreBuildError) as exc:
        alice.saveFailedTree(br_id)
    assert 'Task %s has not failed. Only failed tasks can upload their buildroots.' \
        % task_id in str(exc.value)
    task_id, (br_id,) = failed_task(hub, 'alice', method='runroot')
    with pytest.raises(koji.PreBuildError) as exc:
        alice.saveFailedTree(br_id)
    assert 'Only buildArch, createrepo tasks can upload their buildroots (Task %s is ' \
        'runroot).' % task_id in str(exc.value)
    task_id, (br_id,) = failed_task(hub, 'rooter')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        alice.saveFailedTree(br_id)
    assert "Only owner of failed task or 'admin' can run this task." in str(exc.value)
    hub.admin.saveFailedTree(br_id)
    task_id, (br_id,) = failed_task(hub, 'alice', host='bppc')
    hub.admin.disableHost('bppc')
    with pytest.raises(koji.PreBuildError) as exc:
        alice.saveFailedTree(br_id)
    assert 'Host is disabled.' in str(exc.value)
    with pytest.raises(koji.GenericError):
        alice.saveFailedTree(999999)


def test_save_failed_tree_cli(hub, koji_cli):
    task_id, brs = failed_task(hub, 'alice', buildroots=2)
    res = koji_cli('save-failed-tree', '--nowait', str(task_id),
                   user='alice', password=hub.alice)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == 'Multiple buildroots for task. Choosing last one (%s)' % brs[1]
    new = int(lines[1].split()[2])
    assert lines[1] == 'Created task %d for buildroot %d' % (new, brs[1])
    assert lines[2] == 'Task info: %s/koji/taskinfo?taskID=%d' % (hub.base_url, new)
    assert hub.admin.getTaskInfo(new, request=True)['request'] == [brs[1], False]

    res = koji_cli('save-failed-tree', '--nowait', '--quiet', '--full', '-r', str(brs[0]),
                   user='alice', password=hub.alice)
    assert (res.returncode, res.stdout) == (0, '')
    res = koji_cli('save-failed-tree', '--nowait', '999999')
    assert (res.returncode, res.stdout) == (1, 'No buildroots for task 999999\n')
    res = koji_cli('save-failed-tree', 'x')
    assert res.returncode == 2 and res.stderr.endswith('koji: error: ID must be an integer\n')
    res = koji_cli('save-failed-tree')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: List exactly one task or buildroot ID\n')


# -- echo -------------------------------------------------------------------------------


def test_echo_logs_callbacks(hub):
    hub.admin.createTag('echoed')
    hub.admin.packageListAdd('echoed', 'echopkg', owner=hub.admin_user)
    log = hub.read_log()
    assert 'Called the prePackageListChange callback' in log
    assert 'Called the postPackageListChange callback' in log
    assert "'package': {'id':" in log and "'name': 'echopkg'" in log
    assert 'Called the postCommit callback' in log
