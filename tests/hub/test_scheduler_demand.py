"""Scheduler passes on demand (kojihub.tasks.scheduler.schedule_for_host) on a real database.

RunInterval bounds the passes nobody needs; a host with room for waiting FREE work gets a
pass at once.  Also checked: the 'room:<host>' notification of a finished task, and that
a pass costs the same number of statements whatever the number of tasks.
"""
import select

import psycopg2
import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.tasks import scheduler
from kojihub.tasks import task_actions as ta
from kojihub.tasks.host_calls import close_task, fail_task, get_tasks, open_task, update_host
from kojihub.tasks.tasks import get_task_info
from tests.hub.taskenv import sql

S = koji.TASK_STATES


def last_run():
    return db._singleValue("SELECT data FROM scheduler_sys_data WHERE name = 'last_run_ts'",
                           strict=False)


def first_pass(env):
    """A pass now, so RunInterval (60 s by default) blocks the next ordinary one."""
    env.act('tadmin', 'scheduler.doRun')
    assert scheduler.TaskScheduler().run(force=True)
    env.act('tadmin')
    return last_run()


def new_tasks(env, n, method='sleep', **opts):
    env.act('alice')
    return [ta.make_task(method, [i], **opts) for i in range(n)]


def states(ids):
    return [(get_task_info(i)['state'], get_task_info(i)['host_id']) for i in ids]


def test_idle_host_gets_a_pass_within_run_interval(taskenv):
    b1 = taskenv.add_host('b1', capacity=10)
    taskenv.checkin('b1')
    before = first_pass(taskenv)
    ids = new_tasks(taskenv, 3)
    assert scheduler.TaskScheduler().run() is False         # RunInterval says no
    taskenv.act('b1', 'host.getTasks')
    tasks = get_tasks()
    assert [t['id'] for t in tasks] == ids
    assert states(ids) == [(S['ASSIGNED'], b1)] * 3
    assert last_run() != before


def test_no_pass_without_room_or_matching_work(taskenv):
    taskenv.add_host('b1', capacity=10, arches='x86_64')
    taskenv.checkin('b1')
    taskenv.act('b1', 'host.updateHost')
    update_host(0.0, True, data={'maxjobs': 2, 'methods': ['sleep', 'fork']})
    before = first_pass(taskenv)
    ppc = new_tasks(taskenv, 1, arch='ppc64le')
    other = new_tasks(taskenv, 1, method='createrepo')
    taskenv.act('b1', 'host.getTasks')
    assert get_tasks() == []
    assert scheduler.host_wants_work(taskenv.hosts['b1'])[0] is False
    assert last_run() == before and states(ppc + other) == [(S['FREE'], None)] * 2
    # matching work, but maxjobs reached: still no pass
    mine = new_tasks(taskenv, 3)
    taskenv.act('b1', 'host.getTasks')
    assert [t['id'] for t in get_tasks()] == mine[:2]
    after = last_run()
    assert after != before
    taskenv.act('b1', 'host.getTasks')
    assert [t['id'] for t in get_tasks()] == mine[:2]
    taskenv.act('b1', 'host.openTask')
    for task_id in mine[:2]:
        open_task(task_id)
    taskenv.act('b1', 'host.getTasks')
    assert get_tasks() == [] and last_run() == after


def test_room_rules_follow_fits(taskenv):
    context.opts['CapacityOvercommit'] = 0
    b1 = taskenv.add_host('b1', capacity=1.5)
    taskenv.checkin('b1')
    first_pass(taskenv)
    (t1, t2) = new_tasks(taskenv, 2)
    taskenv.act('b1', 'host.getTasks')
    # weight 1.0 each, no overcommit: only one fits
    assert [t['id'] for t in get_tasks()] == [t1]
    assert scheduler.host_wants_work(b1)[0] is False
    # a refused task does not make the host want work either
    taskenv.act('tadmin')
    sql('UPDATE task SET weight = 0.25 WHERE id = %(id)s', {'id': t2})
    scheduler.set_refusal(b1, t2, soft=True)
    assert scheduler.host_wants_work(b1)[0] is False
    sql('DELETE FROM scheduler_task_refusals')
    assert scheduler.host_wants_work(b1)[0] is True
    # not ready: no
    taskenv.checkin('b1', ready=False)
    assert scheduler.host_wants_work(b1)[0] is False


def test_demand_pass_is_fair_to_other_hosts(taskenv):
    b1 = taskenv.add_host('b1', capacity=10)
    b2 = taskenv.add_host('b2', capacity=10)
    taskenv.checkin('b1')
    taskenv.checkin('b2')
    first_pass(taskenv)
    ids = new_tasks(taskenv, 8)
    taskenv.act('b1', 'host.getTasks')
    mine = get_tasks()
    per_host = {}
    for state, host_id in states(ids):
        assert state == S['ASSIGNED']
        per_host[host_id] = per_host.get(host_id, 0) + 1
    assert per_host == {b1: 4, b2: 4}
    assert len(mine) == 4


def test_pass_statements_do_not_grow_with_tasks(taskenv, monkeypatch):
    for name in ('b1', 'b2', 'b3'):
        taskenv.add_host(name, capacity=1000)
        taskenv.checkin(name)
    taskenv.act('b1', 'host.updateHost')
    update_host(0.0, True, data={'maxjobs': 1000})
    counts = []
    counting = [False]
    real = db.CursorWrapper.execute

    def execute(self, operation, parameters=None, log_errors=True, **kwargs):
        if counting[0]:
            counts[-1] += 1
        return real(self, operation, parameters, log_errors, **kwargs)
    monkeypatch.setattr(db.CursorWrapper, 'execute', execute)
    assigned = []
    for n in (1, 5, 60):
        ids = new_tasks(taskenv, n)
        taskenv.act('tadmin', 'scheduler.doRun')
        counts.append(0)
        counting[0] = True
        assert scheduler.TaskScheduler().run(force=True)
        counting[0] = False
        taskenv.act('tadmin')
        assigned.append(sum(1 for state, _ in states(ids) if state == S['ASSIGNED']))
    assert assigned == [1, 5, 60]
    # (the first pass has no active runs to look at, hence one statement less)
    assert counts[1] == counts[2] <= 20, counts


@pytest.fixture
def listener(test_db):
    conn = psycopg2.connect(test_db['dsn'])
    conn.autocommit = True
    conn.cursor().execute('LISTEN %s' % ta.NOTIFY_CHANNEL)
    try:
        yield conn
    finally:
        conn.close()


def heard(conn, timeout=5):
    payloads = set()
    while select.select([conn], [], [], timeout)[0]:
        conn.poll()
        payloads.update(n.payload for n in conn.notifies)
        del conn.notifies[:]
        timeout = 0.2
    return payloads


def test_finished_task_tells_its_host(taskenv, listener):
    b1 = taskenv.add_host('b1', capacity=10)
    taskenv.checkin('b1')
    (t1, t2) = new_tasks(taskenv, 2)
    taskenv.act('tadmin', 'assignTask')
    for task_id in (t1, t2):
        ta.Task(task_id).assign(b1)
    taskenv.act('b1', 'host.openTask')
    open_task(t1)
    open_task(t2)
    taskenv.act('b1')
    heard(listener, timeout=0.5)
    result = koji.xmlrpcplus.dumps((None,), methodresponse=1, allow_none=1)
    close_task(t1, result)
    assert heard(listener, timeout=0.5) == set()     # only once committed
    taskenv.act('b1', 'host.failTask')
    assert 'room:%i' % b1 in heard(listener)
    fail_task(t2, koji.xmlrpcplus.dumps(koji.xmlrpcplus.Fault(1, 'no')))
    taskenv.act('b1')
    assert 'room:%i' % b1 in heard(listener)
