"""TaskManager taking several tasks per loop, and idle() waking on a finished child.

The hub is a small fake that answers plain calls and multiCall batches (through the real
koji.multicall code); forking is replaced by a recorder, except in the idle() test which
uses real child processes.  The real daemon is covered by tests/integration.
"""
import optparse
import os
import time

import pytest

import koji
import koji.daemon
import koji.tasks
from koji.multicall import MultiCallSession
from koji.tasks import BaseTaskHandler
from tests.fixtures.procs import fork_child, reap

ASSIGNED = koji.TASK_STATES['ASSIGNED']
HOST_ID = 7


class FakeHub(object):
    """Just enough of a ClientSession for TaskManager; records every call made."""

    def __init__(self, capacity=10.0, refuse_open=()):
        self.calls = []
        self.capacity = capacity
        self.refuse_open = set(refuse_open)
        self.opts = {}
        self.host = _Namespace(self, 'host.')
        self.next_session = 100
        self.host_tasks = []
        self.task_states = {}
        self.no_request = set()

    @property
    def multicall(self):
        """Falsy like ClientSession's legacy flag; called, a real MultiCallSession."""
        return _NewStyleOnly(self)

    def _callMethod(self, name, args, kwargs):
        if name != 'multiCall':
            return self.call(name, *args, **kwargs)
        self.calls.append(('multiCall', len(args[0])))
        answers = []
        for entry in args[0]:
            try:
                answers.append([self.call(entry['methodName'], *entry['params'],
                                          _batched=True)])
            except koji.GenericError as exc:
                answers.append({'faultCode': exc.faultCode, 'faultString': str(exc)})
        return answers

    def call(self, name, *args, _batched=False, **kwargs):
        if not _batched:
            self.calls.append((name, args))
        if name == 'host.getID':
            return HOST_ID
        if name == 'getSessionInfo':
            return {'start_ts': 1.0}
        if name == 'getTaskInfo':
            if isinstance(args[0], int):
                return {'id': args[0], 'request': [0]}
            return [{'id': i, 'request': None if i in self.no_request else [0],
                     'host_id': HOST_ID,
                     'state': self.task_states.get(i, ASSIGNED)} for i in args[0]]
        if name == 'host.getHostTasks':
            return self.host_tasks
        if name == 'host.openTask':
            if args[0] in self.refuse_open:
                return None
            return {'id': args[0], 'state': koji.TASK_STATES['OPEN']}
        if name == 'host.setTaskWeight':
            if args[0] in self.refuse_open:
                raise koji.ActionNotAllowed('not open')
            return None
        if name == 'subsession':
            self.next_session += 1
            return {'session-id': self.next_session, 'session-key': 'k'}
        return None

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def names(self):
        return [c[0] for c in self.calls]


class _NewStyleOnly(object):
    def __init__(self, hub):
        self.hub = hub

    def __bool__(self):
        return False

    def __call__(self, strict=False, batch=None):
        return MultiCallSession(self.hub, strict=strict, batch=batch)


class _Namespace(object):
    def __init__(self, hub, prefix):
        self.hub = hub
        self.prefix = prefix

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.hub.call(self.prefix + name, *args, **kwargs)


class LightTask(BaseTaskHandler):
    Methods = ['light']
    _taskWeight = 1.5

    def handler(self, n):
        return n


class InlineTask(BaseTaskHandler):
    Methods = ['inline']
    Foreground = True
    _taskWeight = 0.1

    def handler(self, n):
        return n


def manager(hub, tmp_path, maxjobs=10):
    opts = optparse.Values(dict(workdir=str(tmp_path / 'work'), topdir=str(tmp_path),
                                topurl=None, sleeptime=1, maxjobs=maxjobs, minspace=1,
                                mockdir=str(tmp_path), task_avail_delay=300))
    tm = koji.daemon.TaskManager(opts, hub)
    tm.registerHandler(LightTask)
    tm.registerHandler(InlineTask)
    tm.hostdata = {'capacity': hub.capacity, 'enabled': True}
    tm._scheduler = True
    forked = []

    def fake_fork(handler, sinfo=None):
        forked.append((handler.id, sinfo['session-id']))
        return 10000 + handler.id, sinfo['session-id']
    tm.forkTask = fake_fork
    return tm, forked


def assigned(*ids, method='light'):
    return [{'id': i, 'method': method, 'state': ASSIGNED, 'host_id': HOST_ID} for i in ids]


def test_takes_all_assigned_in_few_calls(tmp_path):
    hub = FakeHub(capacity=100.0)
    tm, forked = manager(hub, tmp_path, maxjobs=30)
    hub.calls[:] = []
    assert tm.takeTasks(assigned(*range(1, 26))) == 25
    assert [f[0] for f in forked] == list(range(1, 26))
    # one request lookup, then one multicall per OPEN_CHUNK tasks (3 calls each)
    assert hub.calls == [('getTaskInfo', (list(range(1, 26)),)), ('multiCall', 30),
                         ('multiCall', 30), ('multiCall', 15)]
    assert sorted(tm.tasks) == list(range(1, 26))
    assert tm.subsessions[1] == forked[0][1] and len(set(tm.subsessions.values())) == 25


def test_stops_at_maxjobs_and_capacity(tmp_path):
    hub = FakeHub(capacity=100.0)
    tm, forked = manager(hub, tmp_path, maxjobs=4)
    tm.tasks = {99: {}}
    assert tm.takeTasks(assigned(1, 2, 3, 4, 5)) == 3          # 1 running + 3 = maxjobs
    hub = FakeHub(capacity=4.0)
    tm, forked = manager(hub, tmp_path)
    tm.task_load = 1.0
    # 1.0 -> take (2.5) -> take (4.0, not over) -> take (5.5) -> over capacity: stop
    assert tm.takeTasks(assigned(1, 2, 3, 4, 5)) == 3
    assert [f[0] for f in forked] == [1, 2, 3]


def test_unopened_tasks_free_their_subsession(tmp_path):
    hub = FakeHub(refuse_open=[2])
    tm, forked = manager(hub, tmp_path)
    assert tm.takeTasks(assigned(1, 2, 3)) == 2
    assert [f[0] for f in forked] == [1, 3]
    assert 2 not in tm.tasks
    logouts = [c for c in hub.calls if c[0] == 'logoutChild']
    assert len(logouts) == 1 and logouts[0][1][0] not in tm.subsessions.values()


def test_foreground_and_unknown_tasks(tmp_path):
    hub = FakeHub()
    tm, forked = manager(hub, tmp_path)
    tasks = assigned(1) + assigned(2, method='nosuch') + assigned(3, method='inline') \
        + assigned(4)
    # the unknown method is refused; the batch stops before the foreground task
    assert tm.takeTasks(tasks) == 1
    assert [c[1][0] for c in hub.calls if c[0] == 'host.refuseTask'] == [2]
    assert [f[0] for f in forked] == [1]
    hub.calls[:] = []
    # next loop: the foreground task first, on its own, run in this process
    assert tm.takeTasks(assigned(3, method='inline') + assigned(4)) == 1
    assert [f[0] for f in forked] == [1]
    assert 'host.closeTask' in hub.names() and 3 not in tm.tasks
    # a foreground task behind tasks that could not be taken is not left waiting
    hub.calls[:] = []
    hub.no_request = {5}
    assert tm.takeTasks(assigned(5) + assigned(6, method='inline')) == 1
    assert 5 not in tm.tasks
    assert ('host.openTask', (6,)) in hub.calls and 'host.closeTask' in hub.names()


def test_idle_returns_when_a_task_process_exits(tmp_path):
    hub = FakeHub()
    tm, _ = manager(hub, tmp_path)
    start = time.monotonic()
    assert tm.idle(0.3) is False
    assert time.monotonic() - start >= 0.3
    pid = fork_child(time.sleep, 0.5)
    tm.pids[1] = pid
    try:
        start = time.monotonic()
        assert tm.idle(20) is True
        assert 0.3 < time.monotonic() - start < 5
    finally:
        os.waitpid(pid, 0)
    # a child that exited before idle() is noticed at once
    pid = fork_child(int)
    tm.pids = {2: pid}
    time.sleep(0.2)
    start = time.monotonic()
    assert tm.idle(20) is True and time.monotonic() - start < 1
    os.waitpid(pid, 0)


def test_update_tasks_looks_up_unlisted_children_at_once(tmp_path):
    hub = FakeHub()
    tm, _ = manager(hub, tmp_path)
    tm.KILL_GRACE = (0.5, 0.5)
    kids = {}
    for task_id in (1, 2, 3):
        kids[task_id] = fork_child(time.sleep, 30)
    try:
        tm.pids = dict(kids)
        tm.tasks = dict((task_id, {}) for task_id in kids)
        tm.subsessions = {1: 501, 2: 502, 3: 503}
        # 1 still open here; 2 closed on the hub (its child is exiting); 3 canceled
        hub.host_tasks = [{'id': 1, 'waiting': False, 'weight': 1.5}]
        hub.task_states = {2: koji.TASK_STATES['CLOSED'], 3: koji.TASK_STATES['CANCELED']}
        hub.calls[:] = []
        tm.updateTasks()
        assert hub.calls[:2] == [('host.getHostTasks', ()), ('getTaskInfo', ([2, 3],))]
        assert sorted(tm.pids) == [1, 2] and tm.task_load == 1.5
        assert ('logoutChild', (503,)) in hub.calls
        os.kill(kids[2], 9)
        os.waitpid(kids[2], 0)
        hub.calls[:] = []
        tm.updateTasks()
        # the exited child is reaped before anything is asked
        assert hub.calls == [('logoutChild', (502,)), ('host.getHostTasks', ())]
        assert sorted(tm.pids) == [1]
    finally:
        for pid in kids.values():
            reap(pid)


@pytest.fixture(autouse=True)
def _default_sigchld():
    yield
    import signal
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def test_signals_never_reach_our_own_process_group(tmp_path, monkeypatch):
    hub = FakeHub()
    tm, _ = manager(hub, tmp_path)
    sent = []
    monkeypatch.setattr(os, 'killpg', lambda pgid, signo: sent.append(('group', pgid)))
    monkeypatch.setattr(os, 'kill', lambda pid, signo: sent.append(('pid', pid)))
    # ourselves: nothing at all
    assert tm._signal_tree(os.getpid(), 2) == [] and sent == []
    # a child still in our group (it never called setpgrp): the child, never the group
    pid = fork_child(time.sleep, 30)
    try:
        tm._signal_tree(pid, 2)
        assert ('pid', pid) in sent
        assert not [s for s in sent if s[0] == 'group']
    finally:
        monkeypatch.undo()
        reap(pid)
