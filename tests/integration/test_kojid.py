"""Real kojid processes (two host names on this machine) against the hub over HTTP.

Each builder gets its own config, workdir, log and pid file and loads a builder plugin
from a plugin dir written here. The hub runs with short scheduler timeouts so that the
failover of a SIGKILLed builder happens within seconds.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

import koji

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJID = os.path.join(ROOT, 'builder', 'kojid')
HOST_NAMES = ('kojid-a.test', 'kojid-b.test')
REQUIRED_CALLS = ('makeTask', 'cancelTask', 'getTaskInfo', 'host.getID', 'host.getTasks',
                  'host.openTask', 'host.closeTask', 'host.failTask', 'host.getHostTasks',
                  'host.subtask', 'host.taskWait', 'host.taskWaitResults', 'host.freeTasks',
                  'addHost')
HUB_OPTS = {'RunInterval': 1, 'ReadyTimeout': 6, 'HostTimeout': 8, 'AssignTimeout': 10}

PLUGIN = '''
"""Test tasks for tests/integration/test_kojid.py."""
import os
import subprocess

import koji.daemon
from koji.tasks import BaseTaskHandler


class PidSleepTask(BaseTaskHandler):
    """Records its own pid and that of a child process, then waits for the child."""
    Methods = ['pidsleep']
    _taskWeight = 0.5

    def handler(self, piddir, seconds):
        proc = subprocess.Popen(['sleep', str(seconds)])
        with open(os.path.join(piddir, '%d.pid' % self.id), 'w') as fo:
            fo.write('%d %d\\n' % (os.getpid(), proc.pid))
        proc.wait()
        return 'slept'


class HeavySleepTask(BaseTaskHandler):
    """Like the builtin sleep (weight 0.25) but heavier, for the capacity test."""
    Methods = ['heavysleep']
    _taskWeight = 0.75

    def handler(self, seconds):
        import time
        time.sleep(seconds)
        return seconds


class SpawnWaitTask(BaseTaskHandler):
    """A parent whose children are long pidsleep tasks."""
    Methods = ['spawnwait']
    _taskWeight = 0.2

    def handler(self, piddir, count, seconds):
        kids = [self.subtask('pidsleep', [piddir, seconds], label=str(i))
                for i in range(count)]
        return self.wait(kids, all=True)


class ChainTask(BaseTaskHandler):
    """n levels of parents, each waiting on the next; the leaf sleeps."""
    Methods = ['chain']
    _taskWeight = 0.2

    def handler(self, n, seconds):
        if n <= 0:
            import time
            time.sleep(seconds)
            return 0
        child = self.subtask('chain', [n - 1, seconds], label='level %d' % n)
        result = self.wait(child, all=True)
        return result[child] + 1


class PlugTask(BaseTaskHandler):
    """Returns its arguments and uploads a log (plain and streamed)."""
    Methods = ['plugtask']
    _taskWeight = 0.3

    def handler(self, arg1, arg2, kwarg1=None):
        path = os.path.join(self.workdir, 'plug.log')
        with open(path, 'w') as fo:
            fo.write('hello from %s\\n' % self.id)
        self.uploadFile(path)
        with open(path, 'rb') as fd:
            koji.daemon.incremental_upload(self.session, 'stream.log', fd,
                                           self.getUploadDir(), logger=self.logger)
        return {'args': [arg1, arg2], 'kwarg1': kwarg1, 'host': self.session.host.getID()}
'''


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as fo:
            state = fo.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return False
    return state not in ('Z', 'X')


def _wait_for(predicate, timeout, what, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))


class Builder(object):
    """One kojid process with its own host name, files and log."""

    def __init__(self, hub, base, name, plugindir):
        self.hub = hub
        self.name = name
        self.dir = os.path.join(base, name)
        os.makedirs(os.path.join(self.dir, 'work'), exist_ok=True)
        self.password = uuid.uuid4().hex
        self.conf = os.path.join(self.dir, 'kojid.conf')
        self.log = os.path.join(self.dir, 'kojid.log')
        self.out = os.path.join(self.dir, 'kojid.out')
        self.pidfile = os.path.join(self.dir, 'kojid.pid')
        self.plugindir = plugindir
        self.proc = None

    def write_conf(self):
        lines = ['[kojid]',
                 'server = %s' % self.hub.url,
                 'topurl = %s' % self.hub.topurl,
                 'topdir = %s' % self.hub.topdir,
                 'workdir = %s' % os.path.join(self.dir, 'work'),
                 'mockdir = %s' % self.dir,
                 'user = %s' % self.name,
                 'password = %s' % self.password,
                 'sleeptime = 1',
                 'minspace = 1',
                 'retry_interval = 1',
                 'max_retries = 30',
                 # the test machine runs other suites in parallel: no load average limit
                 'max_load_per_cpu = 0',
                 'pluginpath = %s' % self.plugindir,
                 'plugins = testtasks',
                 'logfile = %s' % self.log,
                 'pidfile = %s' % self.pidfile]
        with open(self.conf, 'w') as fo:
            fo.write('\n'.join(lines) + '\n')

    # extra environment of the daemon (e.g. a PYTHONPATH with stand-in libraries)
    extra_env = {}

    def start(self):
        self.write_conf()
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        env.update(self.extra_env)
        out = open(self.out, 'ab')
        try:
            self.proc = subprocess.Popen(
                [sys.executable, KOJID, '-c', self.conf, '--fg', '--force-lock', '--debug'],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)
        finally:
            out.close()

    def children(self):
        """pids of the task processes the daemon forked (direct children)."""
        found = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % entry) as fo:
                    fields = fo.read().rsplit(')', 1)[1].split()
            except OSError:
                continue
            if self.proc is not None and int(fields[1]) == self.proc.pid:
                found.append(int(entry))
        return found

    def kill(self):
        """SIGKILL the daemon and its task process groups (a crashed machine)."""
        if self.proc is None:
            return
        kids = self.children()
        self.proc.send_signal(signal.SIGKILL)
        for kid in kids:
            try:
                os.killpg(kid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        kids = self.children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for kid in kids:
            try:
                os.killpg(kid, signal.SIGKILL)
            except OSError:
                pass
        self.proc = None

    def read_log(self):
        text = ''
        for path in (self.log, self.out):
            try:
                with open(path, errors='replace') as fo:
                    text += fo.read()[-4000:]
            except OSError:
                pass
        return text


def _admin_session(hub):
    session = koji.ClientSession(hub.url, {'user': hub.admin_user,
                                           'password': hub.admin_password})
    session.login()
    return session


@pytest.fixture(scope='module')
def kojid_env(hub_server, tmp_path_factory):
    """The hub with short scheduler timeouts plus two running builders."""
    methods = set(koji.ClientSession(hub_server.url).system.listMethods())
    missing = [m for m in REQUIRED_CALLS if m not in methods]
    if missing:
        pytest.skip('hub lacks calls needed by kojid: %s' % ', '.join(missing))
    hub_server.restart(HUB_OPTS)
    base = str(tmp_path_factory.mktemp('kojid'))
    plugindir = os.path.join(base, 'plugins')
    piddir = os.path.join(base, 'pids')
    os.makedirs(plugindir)
    os.makedirs(piddir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN))
    admin = _admin_session(hub_server)
    builders = {}
    for name in HOST_NAMES:
        builder = Builder(hub_server, base, name, plugindir)
        admin.addHost(name, ['x86_64', 'noarch'])
        hub_server.set_password(name, builder.password)
        builders[name] = builder
    try:
        for builder in builders.values():
            builder.start()
        for builder in builders.values():
            _wait_for(lambda: _host_ready(admin, builder.name), 60,
                      'host %s to check in\n%s' % (builder.name, builder.read_log()))
        yield {'hub': hub_server, 'admin': admin, 'builders': builders, 'piddir': piddir}
    finally:
        for builder in builders.values():
            builder.stop()
        for fname in os.listdir(piddir):
            with open(os.path.join(piddir, fname)) as fo:
                for pid in fo.read().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
        admin.logout()


def _host_ready(admin, name):
    host = admin.getHost(name)
    return bool(host and host['ready'])


def _state(admin, task_id):
    return koji.TASK_STATES[admin.getTaskInfo(task_id)['state']]


def _wait_state(env, task_id, states=('CLOSED',), timeout=60):
    admin = env['admin']

    def done():
        state = _state(admin, task_id)
        return state if state in ('CLOSED', 'FAILED', 'CANCELED') else None
    try:
        state = _wait_for(done, timeout, 'task %s to finish' % task_id)
    except AssertionError:
        logs = '\n'.join(b.read_log() for b in env['builders'].values())
        state = _state(admin, task_id)
        raise AssertionError('task %s still %s\n%s' % (task_id, state, logs))
    assert state in states, (task_id, state, admin.getTaskInfo(task_id))
    return admin.getTaskInfo(task_id)


def _host_ids(env):
    return set(env['admin'].getHost(name)['id'] for name in HOST_NAMES)


def test_simple_tasks_run_and_close(kojid_env):
    admin = kojid_env['admin']
    sleep_id = admin.makeTask('sleep', [1])
    fork_id = admin.makeTask('fork', [1, 1])
    fg_id = admin.makeTask('someMethod', [1, 2])
    for task_id in (sleep_id, fork_id, fg_id):
        info = _wait_state(kojid_env, task_id)
        assert info['host_id'] in _host_ids(kojid_env)
    assert admin.getTaskResult(sleep_id) is None
    assert admin.getTaskResult(fg_id) == 42
    info = admin.getTaskInfo(sleep_id)
    assert info['weight'] == 0.25


def test_failed_task_reports_fault(kojid_env):
    admin = kojid_env['admin']
    task_id = admin.makeTask('default', [1])
    _wait_state(kojid_env, task_id, states=('FAILED',))
    with pytest.raises(koji.GenericError, match='Invalid method'):
        admin.getTaskResult(task_id)


def test_task_tree_closes_in_order(kojid_env):
    admin = kojid_env['admin']
    top = admin.makeTask('chain', [2, 1])
    info = _wait_state(kojid_env, top, timeout=90)
    assert admin.getTaskResult(top) == 2
    middle = admin.getTaskChildren(top)
    assert len(middle) == 1 and middle[0]['label'] == 'level 2'
    leaf = admin.getTaskChildren(middle[0]['id'])
    assert len(leaf) == 1 and leaf[0]['label'] == 'level 1'
    assert leaf[0]['state'] == middle[0]['state'] == koji.TASK_STATES['CLOSED']
    assert leaf[0]['completion_ts'] <= middle[0]['completion_ts'] <= info['completion_ts']

    wait_id = admin.makeTask('waittest', [2, 1])
    _wait_state(kojid_env, wait_id, timeout=90)
    kids = admin.getTaskChildren(wait_id)
    states = dict((k['label'], koji.TASK_STATES[k['state']]) for k in kids)
    assert states == {'0': 'CLOSED', '1': 'CLOSED', 'bad': 'FAILED'}


def test_cancel_parent_kills_children(kojid_env):
    admin = kojid_env['admin']
    piddir = kojid_env['piddir']
    parent = admin.makeTask('spawnwait', [piddir, 2, 300])

    def children_running():
        kids = admin.getTaskChildren(parent)
        if len(kids) != 2:
            return None
        files = [os.path.join(piddir, '%d.pid' % k['id']) for k in kids]
        if not all(os.path.exists(f) and os.path.getsize(f) for f in files):
            return None
        return kids, files
    kids, files = _wait_for(children_running, 60, 'children of %s to start' % parent)
    pids = []
    for fname in files:
        with open(fname) as fo:
            pids.extend(int(p) for p in fo.read().split())
    assert all(_alive(pid) for pid in pids)
    admin.cancelTask(parent)
    _wait_for(lambda: not any(_alive(pid) for pid in pids), 30,
              'task processes %r to be killed' % pids)
    for kid in kids:
        assert _state(admin, kid['id']) == 'CANCELED'
    assert _state(admin, parent) == 'CANCELED'


def test_plugin_task_with_uploads(kojid_env):
    admin = kojid_env['admin']
    hub = kojid_env['hub']
    task_id = admin.makeTask('plugtask', ['one', 'two', {'kwarg1': 'three'}])
    info = _wait_state(kojid_env, task_id)
    result = admin.getTaskResult(task_id)
    assert result['args'] == ['one', 'two']
    assert result['host'] == info['host_id']
    taskdir = os.path.join(hub.topdir, 'work', koji.pathinfo.taskrelpath(task_id))
    for name in ('plug.log', 'stream.log'):
        with open(os.path.join(taskdir, name)) as fo:
            assert fo.read() == 'hello from %d\n' % task_id


def test_sigterm_frees_running_task(kojid_env):
    admin = kojid_env['admin']
    piddir = kojid_env['piddir']
    builders = kojid_env['builders']
    task_id = admin.makeTask('pidsleep', [piddir, 300])
    pidfile = os.path.join(piddir, '%d.pid' % task_id)
    _wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile), 60,
              'task %d to start' % task_id)
    with open(pidfile) as fo:
        pids = [int(p) for p in fo.read().split()]
    host_id = admin.getTaskInfo(task_id)['host_id']
    victim = [b for b in builders.values() if admin.getHost(b.name)['id'] == host_id][0]
    victim.stop()
    try:
        assert not any(_alive(pid) for pid in pids)
        info = admin.getTaskInfo(task_id)
        # freed by the shutdown (the other builder may already have picked it up again)
        assert info['state'] != koji.TASK_STATES['OPEN'] or info['host_id'] != host_id
        assert admin.getHost(victim.name)['ready'] is False
    finally:
        admin.cancelTask(task_id)
        victim.start()
        _wait_for(lambda: _host_ready(admin, victim.name), 60,
                  'host %s to come back' % victim.name)


def test_killed_builder_task_finished_elsewhere(kojid_env):
    admin = kojid_env['admin']
    piddir = kojid_env['piddir']
    builders = kojid_env['builders']
    task_id = admin.makeTask('pidsleep', [piddir, 4])
    pidfile = os.path.join(piddir, '%d.pid' % task_id)
    _wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile), 60,
              'task %d to start' % task_id)
    first_host = admin.getTaskInfo(task_id)['host_id']
    victim = [b for b in builders.values() if admin.getHost(b.name)['id'] == first_host][0]
    os.unlink(pidfile)
    victim.kill()
    try:
        info = _wait_state(kojid_env, task_id, timeout=120)
        assert info['host_id'] != first_host
        assert admin.getTaskResult(task_id) == 'slept'
    finally:
        victim.start()
        _wait_for(lambda: _host_ready(admin, victim.name), 60,
                  'host %s to come back' % victim.name)


def test_two_daemons_cannot_share_a_pidfile(kojid_env):
    builder = list(kojid_env['builders'].values())[0]
    proc = subprocess.run([sys.executable, KOJID, '-c', builder.conf, '--fg'],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert 'another kojid holds' in proc.stderr
