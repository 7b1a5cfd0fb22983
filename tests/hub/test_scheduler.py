"""The task scheduler (kojihub.tasks.scheduler) on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.tasks import scheduler
from kojihub.tasks import task_actions as ta
from kojihub.api.exports import NAMESPACES
from kojihub.tasks.host_calls import update_host
from kojihub.tasks.tasks import get_task_info
from tests.hub.taskenv import sql

S = koji.TASK_STATES
sched_api = NAMESPACES['scheduler']()


def run(env, who='tadmin'):
    env.act(who, 'scheduler.doRun')
    return scheduler.TaskScheduler().run(force=True)


def placed(*ids):
    return [(get_task_info(i)['state'], get_task_info(i)['host_id']) for i in ids]


def new_tasks(env, n, **opts):
    env.act('alice')
    return [ta.make_task('sleep', [i], **opts) for i in range(n)]


def test_capacity_and_overcommit(taskenv):
    context.opts['CapacityOvercommit'] = 0
    b1 = taskenv.add_host('b1', capacity=2.5)
    taskenv.checkin('b1')
    ids = new_tasks(taskenv, 4)
    run(taskenv)
    # weight 1.0 each, no overcommit: the free room must exceed the weight -> 2 tasks
    assert placed(*ids) == [(S['ASSIGNED'], b1)] * 2 + [(S['FREE'], None)] * 2
    # with the default overcommit (5) any room > 0 is enough -> one more
    context.opts['CapacityOvercommit'] = 5
    run(taskenv)
    assert placed(*ids) == [(S['ASSIGNED'], b1)] * 3 + [(S['FREE'], None)]


def test_waiting_tasks_do_not_count_and_maxjobs(taskenv):
    context.opts['MaxJobs'] = 2
    b1 = taskenv.add_host('b1', capacity=10)
    taskenv.checkin('b1')
    ids = new_tasks(taskenv, 3)
    run(taskenv)
    assert [p[0] for p in placed(*ids)] == [S['ASSIGNED'], S['ASSIGNED'], S['FREE']]
    # host-reported maxjobs wins over the hub default
    taskenv.act('b1', 'host.updateHost')
    update_host(0.0, True, data={'maxjobs': 3})
    run(taskenv)
    assert placed(ids[2]) == [(S['ASSIGNED'], b1)]


def test_arch_channel_and_methods(taskenv):
    b1 = taskenv.add_host('b1', arches='x86_64 i686')
    b2 = taskenv.add_host('b2', arches='aarch64', channels=('default', 'image'))
    taskenv.checkin('b1')
    taskenv.act('b2', 'host.updateHost')
    update_host(0.0, True, data={'methods': ['sleep', 'createImage']})
    taskenv.act('alice')
    t_i686 = ta.make_task('sleep', [1], arch='i686')
    t_arm = ta.make_task('sleep', [1], arch='aarch64')
    t_img = ta.make_task('createImage', [], channel='image')
    t_ppc = ta.make_task('sleep', [1], arch='ppc64le')
    t_fork = ta.make_task('fork', [], arch='aarch64')
    run(taskenv)
    assert placed(t_i686, t_arm, t_img, t_ppc, t_fork) == [
        (S['ASSIGNED'], b1), (S['ASSIGNED'], b2), (S['ASSIGNED'], b2), (S['FREE'], None),
        (S['FREE'], None)]


def test_spreads_across_hosts_and_skips_unready(taskenv):
    b1 = taskenv.add_host('b1', capacity=10)
    b2 = taskenv.add_host('b2', capacity=10)
    b3 = taskenv.add_host('b3', capacity=10)
    taskenv.checkin('b1')
    taskenv.checkin('b2')
    taskenv.checkin('b3', ready=False)
    ids = new_tasks(taskenv, 6)
    run(taskenv)
    hosts = [p[1] for p in placed(*ids)]
    assert hosts.count(b1) == 3 and hosts.count(b2) == 3 and b3 not in hosts
    runs = sched_api.getTaskRuns(clauses=[['active', 'IS', True]],
                                 fields=['task_id', 'host_id', 'host_name', 'method'])
    assert sorted(r['task_id'] for r in runs) == sorted(ids)
    assert set(r['method'] for r in runs) == {'sleep'}
    msgs = sched_api.getLogMessages(clauses=[['task_id', 'IN', ids]])
    assert len(msgs) == 6 and all(m['msg'] == 'Assigning task' for m in msgs)


def test_run_interval_and_do_run_perm(taskenv):
    taskenv.add_host('b1')
    taskenv.act('alice', 'scheduler.doRun')
    with pytest.raises(koji.ActionNotAllowed):
        sched_api.doRun()
    taskenv.act('tadmin', 'scheduler.doRun')
    assert sched_api.doRun() is True
    assert scheduler.TaskScheduler().run() is False      # within RunInterval
    assert sched_api.doRun(force=True) is True
    context.opts['RunInterval'] = 0
    assert scheduler.TaskScheduler().run() is True


def age(table, column, seconds, clause, values):
    sql("UPDATE %s SET %s = NOW() - make_interval(secs => %%(s)s) WHERE %s"
        % (table, column, clause), dict(values, s=seconds))


def test_silent_host_loses_ready_and_tasks(taskenv):
    b1 = taskenv.add_host('b1')
    taskenv.checkin('b1')
    (t1,) = new_tasks(taskenv, 1)
    taskenv.act('b1', 'host.openTask')
    from kojihub.tasks.host_calls import open_task
    open_task(t1)
    age('host', 'update_time', 200, 'id = %(id)s', {'id': b1})
    run(taskenv)
    assert get_task_info(t1)['state'] == S['OPEN']          # ReadyTimeout only
    assert taskenv.act('tadmin') and not sql('SELECT 1 FROM host WHERE ready AND id = %(i)s',
                                             {'i': b1})
    age('host', 'update_time', 1000, 'id = %(id)s', {'id': b1})
    run(taskenv)
    assert placed(t1) == [(S['FREE'], None)]
    msgs = [m['msg'] for m in sched_api.getLogMessages(clauses=[['host_id', '=', b1]])]
    assert any('not ready' in m for m in msgs) and any('silent' in m for m in msgs)


def test_assign_timeout_gives_soft_refusal(taskenv):
    b1 = taskenv.add_host('b1')
    b2 = taskenv.add_host('b2')
    taskenv.checkin('b1')
    (t1,) = new_tasks(taskenv, 1)
    run(taskenv)
    assert placed(t1) == [(S['ASSIGNED'], b1)]
    taskenv.act('tadmin')
    age('scheduler_task_runs', 'create_time', 400, 'task_id = %(t)s', {'t': t1})
    taskenv.checkin('b1')
    taskenv.checkin('b2')
    run(taskenv)
    # freed, then given to the other host in the same pass (b1 soft-refused)
    assert placed(t1) == [(S['ASSIGNED'], b2)]
    refusals = sched_api.getTaskRefusals(clauses=[['task_id', '=', t1]])
    assert [(r['host_id'], r['soft'], r['by_host']) for r in refusals] == [(b1, True, False)]


def test_manual_override_is_left_alone(taskenv):
    b1 = taskenv.add_host('b1')
    (t1, t2) = new_tasks(taskenv, 2)
    taskenv.act('tadmin', 'assignTask')
    from kojihub.tasks.scheduler import do_assign
    assert do_assign(t1, b1, override=True)
    assert do_assign(t2, 'b1')
    age('task', 'create_time', 0, 'id = %(t)s', {'t': t1})
    sql("UPDATE scheduler_task_runs SET create_time = NOW() - interval '1 hour'")
    taskenv.checkin('b1')
    run(taskenv)
    assert placed(t1)[0] == (S['ASSIGNED'], b1)
    # t2 timed out, was freed and assigned again (b1 is the only host; no check-in since)
    assert get_task_info(t2)['host_id'] in (b1, None)


def test_hard_refusal_and_host_data(taskenv):
    b1 = taskenv.add_host('b1')
    taskenv.checkin('b1')
    (t1,) = new_tasks(taskenv, 1)
    taskenv.act('b1', 'host.refuseTask')
    scheduler.set_refusal(b1, t1, soft=False, by_host=True, msg='nope')
    run(taskenv)
    assert placed(t1) == [(S['FREE'], None)]
    taskenv.act('b1', 'host.updateHost')
    update_host(0.0, True, data={'maxjobs': 1})
    assert sched_api.getHostData(b1) == [{'host_id': b1, 'data': {'maxjobs': 1}}]
    # a finished task's refusals are cleaned up on the next pass
    taskenv.act('tadmin', 'cancelTask')
    ta.cancel_task(t1)
    run(taskenv)
    assert sched_api.getTaskRefusals() == []
    with pytest.raises(koji.ParameterError):
        sched_api.getTaskRuns(clauses=[['nosuch', '=', 1]])
