"""host.* task and check-in calls (kojihub.tasks.host_calls) on a real database."""
import pytest

import koji
from koji import xmlrpcplus
from koji.context import context
from kojihub.tasks import task_actions as ta
from kojihub.api.host_exports import HostExports
from kojihub.tasks.scheduler import get_host_data, get_task_refusals
from kojihub.tasks.tasks import get_task_info, get_task_result
from tests.hub.taskenv import sql

host = HostExports()
S = koji.TASK_STATES


def ok(value):
    return xmlrpcplus.dumps((value,), methodresponse=1, allow_none=1)


def fault(code, text):
    return xmlrpcplus.dumps(xmlrpcplus.Fault(code, text))


def test_host_calls_need_exclusive_host_session(taskenv):
    taskenv.add_host('b1')
    taskenv.act(None, 'host.getID')
    with pytest.raises(koji.AuthError):
        host.getID()
    taskenv.act('alice', 'host.getID')
    with pytest.raises(koji.AuthError) as exc:
        host.getTasks()
    assert 'not a host' in str(exc.value)
    sql('UPDATE sessions SET "exclusive" = NULL WHERE id = %(id)s',
        {'id': taskenv.sessions['b1']['session-id']})
    taskenv.act('b1', 'host.getID')
    with pytest.raises(koji.AuthError) as exc:
        host.getID()
    assert 'exclusive' in str(exc.value)


def test_checkin_calls(taskenv):
    host_id = taskenv.add_host('b1', arches='x86_64 i686', capacity=3.0)
    taskenv.act('b1', 'host.getID')
    assert host.getID() == host_id
    assert host.getHost()['name'] == 'b1'
    assert host.isEnabled() is True
    with pytest.raises(koji.ParameterError):
        host.updateHost('lots', True)
    host.updateHost(1.5, True, data={'methods': ['sleep'], 'maxjobs': 3})
    info = host.getHost()
    assert (info['task_load'], info['ready']) == (1.5, True)
    assert get_host_data(host_id) == [{'host_id': host_id,
                                       'data': {'methods': ['sleep'], 'maxjobs': 3}}]
    host.setHostData('{"maxjobs": 4}')
    assert get_host_data()[0]['data'] == {'maxjobs': 4}


def test_update_host_replay_is_harmless(taskenv):
    taskenv.add_host('b1')
    # the client retries a call with the same callnum after a network error
    taskenv.act('b1', 'host.updateHost', callnum=5)
    host.updateHost(2.0, True)
    taskenv.act('b1', 'host.updateHost', callnum=5)
    host.updateHost(2.0, True)
    assert host.getHost()['task_load'] == 2.0
    with pytest.raises(koji.RetryError):
        taskenv.act('b1', 'host.openTask', callnum=5)


def test_open_close_fail_and_permissions(taskenv):
    b1 = taskenv.add_host('b1')
    taskenv.add_host('b2')
    taskenv.act('alice')
    t1 = ta.make_task('sleep', [1])
    t2 = ta.make_task('sleep', [2])
    taskenv.act('b1', 'host.openTask')
    info = host.openTask(t1)
    assert info['host_id'] == b1 and info['start_time'] is not None
    assert xmlrpcplus.loads(info['request']) == ((1,), 'sleep')
    host.setTaskWeight(t1, 2.5)
    assert get_task_info(t1)['weight'] == 2.5
    assert host.getHostTasks() == [{'id': t1, 'waiting': None, 'weight': 2.5}]
    taskenv.act('b2', 'host.closeTask')
    with pytest.raises(koji.ActionNotAllowed):
        host.closeTask(t1, ok(1))
    with pytest.raises(koji.ActionNotAllowed):
        host.setTaskWeight(t1, 1.0)
    with pytest.raises(koji.ActionNotAllowed):
        host.closeTask(t2, ok(1))     # FREE, not opened by anybody
    taskenv.act('b1', 'host.closeTask')
    host.closeTask(t1, ok({'rpms': ['a.rpm']}))
    host.openTask(t2)
    host.failTask(t2, fault(1005, 'mock exited with status 1'))
    assert get_task_result(t1) == {'rpms': ['a.rpm']}
    with pytest.raises(koji.BuildError):
        try:
            get_task_result(t2)
        except xmlrpcplus.Fault as exc:
            raise koji.convertFault(exc)
    assert get_task_result(t2, raise_fault=False)['faultCode'] == 1005
    with pytest.raises(koji.ActionNotAllowed):
        host.closeTask(t1, ok(2))     # already closed


def test_free_tasks_and_refuse(taskenv):
    b1 = taskenv.add_host('b1')
    taskenv.add_host('b2')
    taskenv.act('alice')
    t1 = ta.make_task('sleep', [1])
    t2 = ta.make_task('sleep', [2])
    taskenv.act('b2', 'host.openTask')
    host.openTask(t2)
    taskenv.act('b1', 'host.openTask')
    host.openTask(t1)
    host.freeTasks([t1, t2])        # t2 belongs to b2: ignored
    assert [get_task_info(t)['state'] for t in (t1, t2)] == [S['FREE'], S['OPEN']]
    taskenv.act('tadmin', 'assignTask')
    from kojihub.tasks.scheduler import do_assign
    assert do_assign(t1, 'b1')
    taskenv.act('b1', 'host.refuseTask')
    host.refuseTask(t1, soft=False, msg='no handler for method')
    info = get_task_info(t1)
    assert (info['state'], info['host_id']) == (S['FREE'], None)
    refusals = get_task_refusals()
    assert [(r['task_id'], r['host_id'], r['soft'], r['by_host'], r['msg'])
            for r in refusals] == [(t1, b1, False, True, 'no handler for method')]
    host.refuseTask(t2)             # not ours: ignored
    assert get_task_info(t2)['state'] == S['OPEN']


def test_subtasks_and_wait_flow(taskenv):
    taskenv.add_host('b1')
    taskenv.act('alice')
    parent = ta.make_task('waittest', [3])
    taskenv.act('b1', 'host.openTask')
    host.openTask(parent)
    with pytest.raises(koji.ActionNotAllowed):
        host.subtask('sleep', [1], parent, owner=1)
    kids = [host.subtask('sleep', [i], parent, label=str(i)) for i in range(3)]
    assert host.subtask('sleep', [0], parent, label='0') == kids[0]
    bad = host.subtask2(parent, {'label': 'bad', 'arch': 'x86_64'}, 'sleep', 'BAD_ARG',
                        extra=True)
    binfo = get_task_info(bad, request=True)
    assert binfo['arch'] == 'x86_64' and binfo['owner'] == taskenv.users['alice']['id']
    assert list(binfo['request']) == ['BAD_ARG', {'extra': True, '__starstar': True}]
    host.taskSetWait(parent, kids + [bad])
    assert host.taskWait(parent) == [[], kids + [bad]]
    assert host.getHostTasks() == [{'id': parent, 'waiting': True, 'weight': 1.0}]
    # children run (here on the same host) and finish
    for kid in kids:
        host.openTask(kid)
        host.closeTask(kid, ok('done %s' % kid))
    host.openTask(bad)
    host.failTask(bad, fault(1000, 'bad arg'))
    tasks = dict((t['id'], t) for t in host.getHostTasks())
    assert tasks[parent]['alert'] is True
    finished, unfinished = host.taskWait(parent)
    assert (finished, unfinished) == (kids + [bad], [])
    with pytest.raises(xmlrpcplus.Fault):
        host.taskWaitResults(parent, finished)
    results = host.taskWaitResults(parent, finished, canfail=[bad])
    assert results[:3] == [[k, 'done %s' % k] for k in kids]
    assert results[3] == [bad, {'faultCode': 1000, 'faultString': 'bad arg'}]
    assert get_task_info(parent)['waiting'] is False
    assert host.taskWait(parent) == [[], []]
    host.closeTask(parent, ok(None))
    with pytest.raises(koji.ActionNotAllowed):
        host.subtask('sleep', [1], parent, label='late')   # parent no longer open


def test_wait_results_refuses_unfinished_and_strangers(taskenv):
    taskenv.add_host('b1')
    taskenv.act('alice')
    parent = ta.make_task('fork', [])
    other = ta.make_task('sleep', [1])
    taskenv.act('b1', 'host.openTask')
    host.openTask(parent)
    kid = host.subtask('sleep', [1], parent, label='k')
    host.taskSetWait(parent, None)
    with pytest.raises(koji.GenericError):
        host.taskWaitResults(parent, [kid])
    with pytest.raises(koji.GenericError):
        host.taskWaitResults(parent, [other])
    taskenv.act('alice', 'cancelTask')
    ta.cancel_task(kid)
    taskenv.act('b1', 'host.taskWaitResults')
    with pytest.raises(koji.GenericError):
        host.taskWaitResults(parent, None)
    assert host.taskWaitResults(parent, None, canfail=[kid])[0][1]['faultString'] == \
        'Task %i is canceled' % kid


def test_classic_load_data_flow(taskenv):
    b1 = taskenv.add_host('b1', arches='x86_64', channels=('default',))
    taskenv.add_host('b2', arches='x86_64', channels=('other',))
    taskenv.act('alice')
    t_ok = ta.make_task('sleep', [1], arch='x86_64')
    t_noarch = ta.make_task('sleep', [2])
    ta.make_task('sleep', [3], arch='ppc64le')
    ta.make_task('sleep', [4], channel='other')
    taskenv.act('b1', 'host.getLoadData')
    hosts, tasks = host.getLoadData()
    assert [h['id'] for h in hosts] == [b1]
    assert hosts[0]['channels'] == [1]
    assert [t['id'] for t in tasks] == [t_ok, t_noarch]
    assert set(tasks[0]) == {'id', 'state', 'channel_id', 'host_id', 'arch', 'method',
                             'priority', 'create_time'}
    assert host.openTask(t_ok)['state'] == S['OPEN']
    assert [t['id'] for t in host.getLoadData()[1]] == [t_noarch]


def test_get_tasks_runs_scheduler(taskenv):
    b1 = taskenv.add_host('b1')
    taskenv.act('alice')
    t1 = ta.make_task('sleep', [1])
    taskenv.checkin('b1')
    tasks = host.getTasks()
    assert [(t['id'], t['state'], t['host_id']) for t in tasks] == [(t1, S['ASSIGNED'], b1)]
    assert set(tasks[0]) == {'arch', 'channel_id', 'create_ts', 'host_id', 'id', 'method',
                             'priority', 'state'}
    with pytest.raises(koji.ParameterError):
        host.getTasks(bogus=1)
    assert context.session.exclusive
