"""Tasks over HTTP: a host account on an exclusive session drives open/close/fail, results
are read back by koji.ClientSession, and the long-poll host.getTasks(wait=...) wakes fast."""
import threading
import time

import pytest

import koji
from koji import xmlrpcplus
from tests.fixtures.sessions import client, db_exec, make_builder


@pytest.fixture(scope='module')
def builder(hub_server, admin):
    host_id, session = make_builder(hub_server, admin, 'httpbuilder1')
    yield host_id, session
    session.logout()


def take(admin, builder_session, task_id):
    builder_session.host.updateHost(0.0, True)
    # a pass now, whatever RunInterval says (the previous test ran one moments ago)
    assert admin.scheduler.doRun(True) is True
    assigned = builder_session.host.getTasks()
    assert task_id in [t['id'] for t in assigned]
    return builder_session.host.openTask(task_id)


def clean(admin, host):
    """No task may be waiting for this host when a long-poll test starts."""
    for task in host.host.getTasks():
        admin.cancelTask(task['id'])


def test_host_needs_exclusive_session(hub_server, admin):
    admin.addHost('httpbuilder0', ['x86_64'])
    db_exec(hub_server, "UPDATE users SET password = 'pw' WHERE name = 'httpbuilder0'")
    session = client(hub_server, 'httpbuilder0', 'pw')
    session.login()
    with pytest.raises(koji.AuthError):
        session.host.getID()
    session.exclusiveSession()
    assert session.host.getID() == admin.getHost('httpbuilder0')['id']
    session.logout()


def test_open_close_and_results(hub_server, admin, builder):
    host_id, host = builder
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    info = take(admin, host, task_id)
    assert info['state'] == koji.TASK_STATES['OPEN'] and info['host_id'] == host_id
    assert xmlrpcplus.loads(info['request'])[1] == 'sleep'
    host.host.setTaskWeight(task_id, 1.25)
    with pytest.raises(koji.GenericError):
        host.host.closeTask(task_id + 999, 'x')
    result = {'rpms': ['foo-1.0-1.x86_64.rpm'], 'brootid': 7}
    host.host.closeTask(task_id, xmlrpcplus.dumps((result,), methodresponse=1,
                                                  allow_none=1))
    assert admin.getTaskResult(task_id) == result
    tinfo = admin.getTaskInfo(task_id)
    assert tinfo['state'] == koji.TASK_STATES['CLOSED'] and tinfo['weight'] == 1.25
    assert admin.taskFinished(task_id)


def test_fail_subtasks_and_cancel(hub_server, admin, builder):
    host_id, host = builder
    parent = admin.makeTask('waittest', [1], arch='x86_64')
    take(admin, host, parent)
    kid = host.host.subtask('sleep', [1], parent, label='0')
    assert host.host.subtask('sleep', [1], parent, label='0') == kid
    host.host.taskSetWait(parent, [kid])
    assert host.host.taskWait(parent) == [[], [kid]]
    assert host.host.openTask(kid)['id'] == kid
    host.host.failTask(kid, xmlrpcplus.dumps(xmlrpcplus.Fault(1005, 'mock failed')))
    with pytest.raises(koji.BuildError) as exc:
        admin.getTaskResult(kid)
    assert 'mock failed' in str(exc.value)
    assert admin.getTaskResult(kid, raise_fault=False) == {'faultCode': 1005,
                                                           'faultString': 'mock failed'}
    assert host.host.getHostTasks()[0]['alert'] is True
    res = host.host.taskWaitResults(parent, [kid], canfail=[kid])
    assert res == [[kid, {'faultCode': 1005, 'faultString': 'mock failed'}]]
    admin.cancelTask(parent)
    assert admin.getTaskInfo(parent)['state'] == koji.TASK_STATES['CANCELED']
    with pytest.raises(koji.GenericError):
        admin.getTaskResult(parent)
    assert host.host.getHostTasks() == []


def test_long_poll_wakes_fast(hub_server, admin, builder):
    host_id, host = builder
    host.host.updateHost(0.0, True)
    clean(admin, host)
    got = {}

    def poll():
        start = time.time()
        got['tasks'] = host.host.getTasks(wait=20)
        got['end'] = time.time()
        got['start'] = start

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(1.0)             # the builder is now parked in LISTEN
    made = time.time()
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    thread.join(25)
    assert not thread.is_alive()
    # the poll only ends early with a task when the task's notification woke it (a timed
    # out poll answers []); how fast is for util/bench-tasks, not for an assertion
    assert [t['id'] for t in got['tasks']] == [task_id]
    assert got['end'] - got['start'] < 20
    print("makeTask -> getTasks wake-up: %.3f s" % (got['end'] - made))
    assert host.host.openTask(task_id)['state'] == koji.TASK_STATES['OPEN']
    host.host.closeTask(task_id, xmlrpcplus.dumps((None,), methodresponse=1,
                                                  allow_none=1))


def test_long_poll_times_out_empty(hub_server, admin, builder):
    host_id, host = builder
    clean(admin, host)
    start = time.time()
    assert host.host.getTasks(wait=1.5) == []
    assert 1.0 < time.time() - start < 10


def test_long_poll_returns_for_a_subtask_that_just_finished(hub_server, admin, builder):
    """A subtask closed between the builder's getHostTasks and its long poll: the wake-up
    went to nobody, so the poll hands the loop back at once instead of sleeping."""
    host_id, host = builder
    clean(admin, host)
    parent = admin.makeTask('waittest', [1], arch='x86_64')
    take(admin, host, parent)
    kid = host.host.subtask('sleep', [1], parent, label='0')
    host.host.taskSetWait(parent, [kid])
    host.host.openTask(kid)
    host.host.closeTask(kid, xmlrpcplus.dumps((None,), methodresponse=1, allow_none=1))
    got = {}
    thread = threading.Thread(target=lambda: got.update(tasks=host.host.getTasks(wait=600)))
    thread.start()
    # only the early return can end the poll; its deadline is ten minutes away
    thread.join(120)
    assert not thread.is_alive() and got['tasks'] == []
    # the news is old once the parent took its results: the poll waits again
    host.host.taskWaitResults(parent, [kid])
    admin.cancelTask(parent)
