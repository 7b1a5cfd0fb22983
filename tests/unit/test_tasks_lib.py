"""koji.tasks (BaseTaskHandler, generic handlers, signatures) and koji.daemon pieces.

The hub is replaced by a recording fake session; the real daemon is covered by
tests/integration/test_kojid.py.
"""
import io
import optparse
import os
import types

import pytest

import koji
import koji.daemon
import koji.plugin
import koji.tasks
from koji.tasks import BaseTaskHandler, parse_task_params


class Calls(object):
    """Records calls; replies come from ``replies[name]`` (a value or a callable)."""

    def __init__(self, prefix=''):
        self.prefix = prefix
        self.calls = []
        self.replies = {}

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)

        def call(*args, **kwargs):
            self.calls.append((self.prefix + name, args, kwargs))
            reply = self.replies.get(name)
            if callable(reply):
                return reply(*args, **kwargs)
            return reply
        return call

    def names(self):
        return [c[0] for c in self.calls]


class FakeSession(Calls):
    def __init__(self):
        super(FakeSession, self).__init__()
        self.host = Calls('host.')
        self.opts = {}


def make_options(tmp_path, **extra):
    opts = dict(workdir=str(tmp_path / 'work'), topdir=str(tmp_path / 'top'), topurl=None,
                sleeptime=0.01, maxjobs=10, minspace=1, mockdir=str(tmp_path),
                task_avail_delay=300)
    opts.update(extra)
    return optparse.Values(opts)


class EchoTask(BaseTaskHandler):
    Methods = ['echo']
    _taskWeight = 2.5

    def handler(self, a, b=None):
        assert os.path.isdir(self.workdir)
        with open(os.path.join(self.workdir, 'f'), 'w') as fo:
            fo.write('x')
        return [a, b]


@pytest.fixture
def session():
    return FakeSession()


def test_constructor_decodes_params(session, tmp_path):
    params = koji.encode_args(1, b=2)
    handler = EchoTask(12345, 'echo', params, session, make_options(tmp_path))
    assert handler.params == (1,)
    assert handler.opts == {'b': 2}
    assert handler.workdir == str(tmp_path / 'work' / 'tasks' / '2345' / '12345')
    assert handler.weight() == 2.5
    assert handler.getUploadDir() == 'tasks/2345/12345'
    assert handler.manager is None
    with pytest.raises(koji.GenericError):
        EchoTask(1, 'other', [], session, make_options(tmp_path))


def test_new_style_params(session, tmp_path):
    handler = EchoTask(1, 'echo', {'__method__': 'echo', 'a': 5}, session,
                       make_options(tmp_path))
    assert handler.params == [] and handler.opts == {'a': 5}
    assert handler.run() == [5, None]


def test_run_makes_and_removes_workdir(session, tmp_path):
    handler = EchoTask(7, 'echo', ['x'], session, make_options(tmp_path))
    os.makedirs(handler.workdir)
    with open(os.path.join(handler.workdir, 'stale'), 'w'):
        pass
    assert handler.run() == ['x', None]
    assert not os.path.exists(handler.workdir)


def test_run_checks_arguments(session, tmp_path):
    handler = EchoTask(7, 'echo', [1, 2, 3], session, make_options(tmp_path))
    with pytest.raises(koji.ParameterError):
        handler.run()
    assert not os.path.exists(handler.workdir)


def test_subtask_calls(session, tmp_path):
    session.host.replies['subtask'] = 99
    handler = EchoTask(7, 'echo', [], session, make_options(tmp_path))
    assert handler.subtask('sleep', [1], label='x', arch='noarch') == 99
    handler.subtask2({'label': 'y'}, 'sleep', 3, extra=1)
    assert session.host.calls == [
        ('host.subtask', ('sleep', [1], 7), {'label': 'x', 'arch': 'noarch'}),
        ('host.subtask2', (7, {'label': 'y'}, 'sleep', 3), {'extra': 1}),
    ]


def _waiter(session, tmp_path, sequence):
    steps = iter(sequence)
    session.host.replies['taskWait'] = lambda task_id: next(steps)
    session.host.replies['taskWaitResults'] = lambda task_id, ids, canfail=None: [
        [i, 'r%d' % i] for i in ids]
    return EchoTask(7, 'echo', [], session, make_options(tmp_path))


def test_wait_all(session, tmp_path):
    handler = _waiter(session, tmp_path, [[[], [1, 2]], [[1], [2]], [[1, 2], []]])
    assert handler.wait([1, 2], all=True) == {1: 'r1', 2: 'r2'}
    assert session.host.calls[0] == ('host.taskSetWait', (7, [1, 2]), {})
    assert session.host.names().count('host.taskWait') == 3
    assert session.host.calls[-1] == ('host.taskWaitResults', (7, [1, 2]), {'canfail': []})


def test_wait_any_returns_first(session, tmp_path):
    handler = _waiter(session, tmp_path, [[[], [1, 2]], [[2], [1]]])
    assert handler.wait(5) == {2: 'r2'}
    assert session.host.calls[0] == ('host.taskSetWait', (7, [5]), {})


def test_wait_failany_cancels(session, tmp_path):
    handler = _waiter(session, tmp_path, [[[1, 3], [2]]])

    def result(task_id):
        if task_id == 1:
            raise koji.GenericError('child 1 broke')
        return 'ok'
    session.replies['getTaskResult'] = result
    with pytest.raises(koji.GenericError, match='child 1 broke'):
        handler.wait([1, 2, 3], all=True, failany=True)
    assert ('cancelTaskChildren', (7,), {}) in session.calls


def test_wait_failany_canfail(session, tmp_path):
    handler = _waiter(session, tmp_path, [[[1], [2]], [[1, 2], []]])
    session.replies['getTaskResult'] = lambda task_id: (_ for _ in ()).throw(
        koji.GenericError('bad'))
    result = handler.wait([1, 2], all=True, failany=True, canfail=[1, 2])
    assert result == {1: 'r1', 2: 'r2'}
    assert 'cancelTaskChildren' not in session.names()


def test_wait_timeout(session, tmp_path):
    session.host.replies['taskWait'] = lambda task_id: [[], [1]]
    handler = EchoTask(7, 'echo', [], session, make_options(tmp_path))
    with pytest.raises(koji.GenericError, match='timed out'):
        handler.wait([1], all=True, timeout=0.05)
    assert ('cancelTaskChildren', (7,), {}) in session.calls


def test_upload_file_and_tree(session, tmp_path):
    handler = EchoTask(10001, 'echo', [], session, make_options(tmp_path))
    tree = tmp_path / 'tree'
    (tree / 'sub').mkdir(parents=True)
    (tree / 'a.log').write_text('a')
    (tree / 'empty').write_text('')
    (tree / 'sub' / 'b.log').write_text('b')
    handler.uploadFile(str(tree / 'a.log'), relPath='x/', remoteName='c.log', volume='v')
    assert session.calls[-1] == ('uploadWrapper', (str(tree / 'a.log'), 'tasks/1/10001/x',
                                                   'c.log'), {'volume': 'v'})
    session.calls[:] = []
    handler.uploadTree(str(tree))
    uploads = sorted((c[1][0], c[1][1]) for c in session.calls)
    assert uploads == [(str(tree / 'a.log'), 'tasks/1/10001'),
                       (str(tree / 'sub' / 'b.log'), 'tasks/1/10001/sub')]
    session.calls[:] = []
    handler.uploadTree(str(tree), flatten=True)
    assert sorted(c[1][1] for c in session.calls) == ['tasks/1/10001'] * 2


def test_local_path_topdir(session, tmp_path):
    handler = EchoTask(1, 'echo', [], session, make_options(tmp_path))
    assert handler.localPath('repos/x') == str(tmp_path / 'top' / 'repos' / 'x')


def test_find_arch(session, tmp_path):
    handler = EchoTask(1, 'echo', [], session, make_options(tmp_path))
    host = {'name': 'h', 'arches': 'x86_64 i686'}
    tag = {'name': 't', 'arches': 'i686 aarch64'}
    assert handler.find_arch('ppc64le', host, tag) == 'ppc64le'
    assert handler.find_arch('noarch', host, tag) == 'i386'
    assert handler.find_arch('noarch', host, {'name': 't', 'arches': 'x86_64 i686'},
                             preferred_arch='x86_64') == 'x86_64'
    with pytest.raises(koji.BuildError):
        handler.find_arch('noarch', host, {'name': 't', 'arches': 's390x'})
    with pytest.raises(koji.BuildError):
        handler.find_arch('noarch', host, {'name': 't', 'arches': None})


def test_run_callbacks(session, tmp_path, monkeypatch):
    seen = []
    monkeypatch.setitem(koji.plugin.callbacks, 'postCreateRepo', [])
    koji.plugin.register_callback('postCreateRepo', lambda *a, **kw: seen.append((a, kw)))
    session.replies['getTaskInfo'] = {'id': 1, 'method': 'echo'}
    handler = EchoTask(1, 'echo', [], session, make_options(tmp_path))
    handler.run_callbacks('postCreateRepo', 'x', repo=3)
    info = {'id': 1, 'method': 'echo'}
    assert seen == [(('postCreateRepo', 'x'), {'repo': 3, 'taskinfo': info,
                                               'session': session})]
    assert session.calls == [('getTaskInfo', (1,), {'request': True, 'strict': True})]


def test_parse_task_params():
    assert parse_task_params('sleep', [5]) == {'n': 5}
    assert parse_task_params('fork', []) == {'n': 5, 'm': 37}
    assert parse_task_params('build', ['url', 'target', {'x': 1}]) == {
        'src': 'url', 'target': 'target', 'opts': {'x': 1}}
    assert parse_task_params('tagBuild', [1, 2], ) == {
        'tag_id': 1, 'build_id': 2, 'force': False, 'fromtag': None, 'ignore_success': False}
    assert parse_task_params('newRepo', ['tag', None, None, None, None, {}])['opts'] == {}
    assert parse_task_params('waittest', koji.encode_args(3, seconds=1)) == {
        'count': 3, 'seconds': 1}
    new = {'__method__': 'x', 'a': 1}
    assert parse_task_params('whatever', [new]) is new
    with pytest.raises(TypeError):
        parse_task_params('noSuchMethod', [])
    with pytest.raises(koji.ParameterError):
        parse_task_params('sleep', [1, 2])


def test_legacy_signatures_cover_library_methods():
    expected = set('''chainbuild waitrepo createLiveMedia createAppliance livecd
        buildNotification buildMaven build buildSRPMFromSCM rebuildSRPM createrepo livemedia
        indirectionimage wrapperRPM createLiveCD appliance image tagBuild chainmaven newRepo
        createImage tagNotification buildArch maven waittest default shutdown restartVerify
        someMethod restart fork sleep dependantTask subtask restartHosts runroot distRepo
        createdistrepo saveFailedTree vmExec winbuild'''.split())
    assert set(koji.tasks.LEGACY_SIGNATURES) == expected
    assert len(koji.tasks.LEGACY_SIGNATURES['newRepo']) == 2


def test_generic_handler_table():
    table = {
        'FakeTask': (['someMethod'], 1.0, True),
        'SleepTask': (['sleep'], 0.25, False),
        'ForkTask': (['fork'], 1.0, False),
        'WaitTestTask': (['waittest'], 0.1, False),
        'SubtaskTask': (['subtask'], 0.1, False),
        'DefaultTask': (['default'], 0.1, False),
        'ShutdownTask': (['shutdown'], 0.0, True),
        'RestartTask': (['restart'], 0.1, True),
        'RestartVerifyTask': (['restartVerify'], 0.1, True),
        'RestartHostsTask': (['restartHosts'], 0.1, False),
        'DependantTask': (['dependantTask'], 0.2, False),
        'WaitrepoTask': (['waitrepo'], 0.2, False),
    }
    for name, (methods, weight, fg) in table.items():
        cls = getattr(koji.tasks, name)
        assert (cls.Methods, cls._taskWeight, cls.Foreground) == (methods, weight, fg), name
    assert koji.tasks.MultiPlatformTask.Methods == []
    assert koji.tasks.WaitrepoTask.PAUSE == 60 and koji.tasks.WaitrepoTask.TIMEOUT == 120


def test_simple_generic_handlers(session, tmp_path):
    opts = make_options(tmp_path)
    assert koji.tasks.FakeTask(1, 'someMethod', [1, 2], session, opts).run() == 42
    with pytest.raises(koji.GenericError, match='Invalid method'):
        koji.tasks.DefaultTask(1, 'default', [1], session, opts).run()
    with pytest.raises(koji.tasks.ServerExit):
        koji.tasks.ShutdownTask(1, 'shutdown', [], session, opts).run()
    session.host.replies['getID'] = 4
    restart = koji.tasks.RestartTask(1, 'restart', [{'id': 4}], session, opts)
    restart.setManager(types.SimpleNamespace(restart_pending=False))
    assert restart.run() == 'graceful restart initiated'
    assert restart.manager.restart_pending is True
    other = koji.tasks.RestartTask(1, 'restart', [{'id': 5}], session, opts)
    other.setManager(types.SimpleNamespace(restart_pending=False))
    with pytest.raises(koji.GenericError, match='Host mismatch'):
        other.run()


def test_restart_verify(session, tmp_path):
    session.host.replies['getID'] = 4
    session.replies['getTaskInfo'] = {'state': koji.TASK_STATES['CLOSED'],
                                      'completion_ts': 1000.0}
    task = koji.tasks.RestartVerifyTask(1, 'restartVerify', [9, {'id': 4}], session,
                                        make_options(tmp_path))
    task.setManager(types.SimpleNamespace(start_ts=2000.0))
    task.run()
    task.setManager(types.SimpleNamespace(start_ts=500.0))
    with pytest.raises(koji.GenericError, match='Restart failed'):
        task.run()


def test_waittest_spawns_children(session, tmp_path):
    ids = iter(range(100, 110))
    session.host.replies['subtask'] = lambda *a, **kw: next(ids)
    session.host.replies['taskWait'] = lambda task_id: [[100, 101, 102], []]
    session.host.replies['taskWaitResults'] = lambda task_id, ids, canfail=None: [
        [i, None] for i in ids]
    task = koji.tasks.WaitTestTask(1, 'waittest', [2, 1], session, make_options(tmp_path))
    assert task.run() is None
    subtasks = [c for c in session.host.calls if c[0] == 'host.subtask']
    assert subtasks == [
        ('host.subtask', ('sleep', [1], 1), {'label': '0'}),
        ('host.subtask', ('sleep', [1], 1), {'label': '1'}),
        ('host.subtask', ('sleep', ['BAD_ARG'], 1), {'label': 'bad'}),
    ]
    waits = [c for c in session.host.calls if c[0] == 'host.taskWaitResults']
    assert waits[0][2] == {'canfail': [102]}


def test_dependant_task(session, tmp_path):
    session.replies['taskFinished'] = True
    session.replies['getTaskInfo'] = {'id': 3, 'state': koji.TASK_STATES['CLOSED']}
    session.host.replies['subtask'] = 50
    session.host.replies['taskWait'] = [[50], []]
    session.host.replies['taskWaitResults'] = [[50, 'x']]
    task = koji.tasks.DependantTask(1, 'dependantTask', [[3], [['sleep', [1], {'label': 'a'}],
                                                               ['sleep', [2]]]],
                                    session, make_options(tmp_path))
    task.run()
    subtasks = [c for c in session.host.calls if c[0] == 'host.subtask']
    assert subtasks == [('host.subtask', ('sleep', [1], 1), {'label': 'a'}),
                        ('host.subtask', ('sleep', [2], 1), {})]
    session.replies['getTaskInfo'] = {'id': 3, 'state': koji.TASK_STATES['FAILED']}
    with pytest.raises(koji.GenericError, match='Dependency 3 failed'):
        task.run()


def test_safe_rmtree(tmp_path):
    fname = tmp_path / 'f'
    fname.write_text('x')
    assert koji.tasks.safe_rmtree(str(fname)) == 0
    assert not fname.exists()
    tree = tmp_path / 'd' / 'e'
    tree.mkdir(parents=True)
    (tree / 'g').write_text('y')
    assert koji.tasks.safe_rmtree(str(tmp_path / 'd')) == 0
    assert not (tmp_path / 'd').exists()
    assert koji.tasks.safe_rmtree(str(tmp_path / 'missing')) == 0


def test_scan_mounts():
    mounts = koji.tasks.scan_mounts('/')
    assert '/' in mounts
    assert mounts[-1] == '/'


# -- koji.daemon ---------------------------------------------------------------------------


def make_manager(session, tmp_path, **opts):
    session.host.replies['getID'] = 3
    session.replies['getSessionInfo'] = {'start_ts': 1234.5}
    return koji.daemon.TaskManager(make_options(tmp_path, **opts), session)


def test_manager_registry(session, tmp_path):
    tm = make_manager(session, tmp_path)
    assert tm.host_id == 3 and tm.start_ts == 1234.5
    tm.findHandlers(vars(koji.tasks))
    assert tm.handlers['sleep'] is koji.tasks.SleepTask
    assert 'restartHosts' in tm.handlers
    assert BaseTaskHandler not in tm.handlers.values()

    @koji.plugin.callback('postSCMCheckout')
    def hook(*args, **kwargs):
        pass
    plugin = types.ModuleType('myplugin')
    plugin.EchoTask = EchoTask
    plugin.hook = hook
    plugin.other = 5
    try:
        tm.scanPlugin(plugin)
        assert tm.handlers['echo'] is EchoTask
        assert hook in koji.plugin.callbacks['postSCMCheckout']
    finally:
        koji.plugin.callbacks['postSCMCheckout'].remove(hook)


def test_run_task_close_and_fail(session, tmp_path):
    tm = make_manager(session, tmp_path)
    handler = EchoTask(8, 'echo', [2 ** 40, {'k': None}], session, make_options(tmp_path))
    tm.runTask(handler)
    name, args, kwargs = session.host.calls[-1]
    assert name == 'host.closeTask' and args[0] == 8
    assert koji.loads(args[1]) == (([2 ** 40, {'k': None}],), None)
    assert '<methodResponse>' in args[1]

    class Broken(BaseTaskHandler):
        Methods = ['broken']
        exc = koji.BuildError('no luck')

        def handler(self):
            raise self.exc
    tm.runTask(Broken(9, 'broken', [], session, make_options(tmp_path)))
    name, args, kwargs = session.host.calls[-1]
    assert name == 'host.failTask'
    fault = koji.safe_xmlrpc_loads(args[1])
    assert (fault.faultCode, fault.faultString) == (koji.BuildError.faultCode, 'no luck')

    Broken.exc = ValueError('plain')
    tm.runTask(Broken(9, 'broken', [], session, make_options(tmp_path)))
    fault = koji.safe_xmlrpc_loads(session.host.calls[-1][1][1])
    assert fault.faultCode == 1 and 'ValueError: plain' in fault.faultString

    original = Broken.handler
    Broken.handler = lambda self: {1: 'int keys cannot be marshalled'}
    tm.runTask(Broken(9, 'broken', [], session, make_options(tmp_path)))
    fault = koji.safe_xmlrpc_loads(session.host.calls[-1][1][1])
    assert session.host.calls[-1][0] == 'host.failTask'
    assert 'dictionary key must be string' in fault.faultString
    Broken.handler = original

    Broken.exc = koji.tasks.RefuseTask('not here')
    tm.runTask(Broken(9, 'broken', [], session, make_options(tmp_path)))
    assert session.host.calls[-1] == ('host.refuseTask', (9,), {'msg': 'not here'})

    Broken.exc = koji.tasks.ServerRestart()
    tm.runTask(Broken(9, 'broken', [], session, make_options(tmp_path)))
    assert session.host.calls[-1] == ('host.freeTasks', ([9],), {})


def test_take_task_foreground(session, tmp_path):
    tm = make_manager(session, tmp_path)
    tm.findHandlers(vars(koji.tasks))
    session.replies['getTaskInfo'] = {'id': 11, 'request': [1]}
    session.host.replies['openTask'] = {'id': 11, 'request': '<xml/>'}
    task = {'id': 11, 'method': 'someMethod', 'state': koji.TASK_STATES['ASSIGNED'],
            'host_id': 3}
    assert tm.takeTask(task) is True
    names = session.host.names()
    assert names == ['host.getID', 'host.openTask', 'host.setTaskWeight', 'host.closeTask']
    assert session.host.calls[2][1] == (11, 1.0)
    assert tm.tasks == {}

    session.host.calls[:] = []
    session.host.replies['openTask'] = None
    assert tm.takeTask(task) is False
    task = dict(task, method='unknown')
    assert tm.takeTask(task) is False


def test_ready_for_task(session, tmp_path):
    tm = make_manager(session, tmp_path)
    tm.MAX_LOAD_PER_CPU = 10 ** 6
    session.host.replies['getHost'] = {'enabled': True, 'capacity': 2.0}
    assert tm.readyForTask() is True
    tm.task_load = 3.0
    assert tm.readyForTask() is False
    tm.task_load = 0.0
    session.host.replies['getHost'] = {'enabled': False, 'capacity': 2.0}
    assert tm.readyForTask() is False
    tm.restart_pending = True
    with pytest.raises(koji.tasks.ServerRestart):
        tm.readyForTask()
    tm.tasks[5] = {}
    assert tm.readyForTask() is False
    tm2 = make_manager(session, tmp_path, minspace=10 ** 12)
    assert tm2.checkSpace() is False


def test_incremental_upload(session):
    uploads = []

    def upload(path, name, size, checksum, offset, data):
        uploads.append((path, name, size, checksum[0], offset, len(data)))
        return True
    session.replies['uploadFile'] = upload
    fd = io.BytesIO(b'a' * 70000)
    koji.daemon.incremental_upload(session, 'build.log', fd, 'tasks/1/1')
    assert [(u[2], u[4]) for u in uploads] == [(65536, 0), (70000 - 65536, 65536)]
    assert uploads[0][3] == 'sha256'

    session.opts['use_fast_upload'] = True

    def raw(data, offset, path, name, overwrite=False):
        digest = koji.util.adler32_constructor(data).hexdigest()
        return {'size': len(data), 'hexdigest': digest, 'offset': offset}
    session.replies['rawUpload'] = raw
    fd = io.BytesIO(b'b' * 10)
    koji.daemon.incremental_upload(session, 'root.log', fd, 'tasks/1/1')
    assert session.calls[-1] == ('rawUpload', (b'b' * 10, 0, 'tasks/1/1', 'root.log'),
                                 {'overwrite': True})
    # nothing new: no call
    count = len(session.calls)
    koji.daemon.incremental_upload(session, 'root.log', fd, 'tasks/1/1')
    assert len(session.calls) == count


def test_log_output(tmp_path):
    out = tmp_path / 'out.log'
    status = koji.daemon.log_output(None, 'sh', ['sh', '-c', 'echo hi; echo err >&2'],
                                    str(out), 'tasks/1/1', logerror=1)
    assert status == 0
    assert out.read_text() == 'hi\nerr\n'


def test_shutdown_kills_and_frees(session, tmp_path):
    import subprocess
    tm = make_manager(session, tmp_path)
    proc = subprocess.Popen(['sleep', '30'], start_new_session=True)
    try:
        tm.tasks = {5: {}, 6: {}}
        tm.pids = {5: proc.pid}
        tm.subsessions = {5: 77}
        tm.shutdown()
        assert proc.poll() is not None
        assert ('logoutChild', (77,), {}) in session.calls
        assert session.host.calls[-2:] == [
            ('host.freeTasks', ([5, 6],), {}),
            ('host.updateHost', (), {'task_load': 0.0, 'ready': False})]
        assert tm.pids == {} and tm.tasks == {}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_load_average_limit_from_config(session, tmp_path, monkeypatch):
    session.host.replies['getHost'] = {'enabled': True, 'capacity': 2.0}
    ncpu = os.sysconf('SC_NPROCESSORS_ONLN')
    monkeypatch.setattr(os, 'getloadavg', lambda: (5.0 * ncpu, 0.0, 0.0))
    # upstream's fixed limit: 4 per cpu
    tm = make_manager(session, tmp_path)
    assert tm.readyForTask() is False and tm.status.startswith('Load average')
    assert make_manager(session, tmp_path, max_load_per_cpu=6).readyForTask() is True
    assert make_manager(session, tmp_path, max_load_per_cpu=0).readyForTask() is True
