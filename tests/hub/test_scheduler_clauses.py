"""Clause forms of the scheduler.* query calls (every form upstream's CLI sends)."""
import pytest

import koji
from kojihub.tasks import task_actions as ta
from kojihub.tasks.scheduler import SchedulerExports, do_assign, log_db

api = SchedulerExports()


@pytest.fixture
def logs(taskenv):
    b1 = taskenv.add_host('b1')
    b2 = taskenv.add_host('b2')
    taskenv.act('alice')
    t1 = ta.make_task('sleep', [1])
    t2 = ta.make_task('sleep', [2])
    taskenv.act('tadmin', 'assignTask')
    assert do_assign(t1, 'b1')
    assert do_assign(t2, 'b2')
    log_db('no host here', t1)
    log_db('no task here', None, b2)
    taskenv.act('alice')
    return {'b1': b1, 'b2': b2, 't1': t1, 't2': t2}


def msgs(clauses, **kw):
    return [(m['task_id'], m['host_id'], m['msg'])
            for m in api.getLogMessages(clauses=clauses, fields=('task_id', 'host_id', 'msg'),
                                        **kw)]


def test_two_and_three_element_clauses(logs):
    t1, b1, b2 = logs['t1'], logs['b1'], logs['b2']
    every = msgs([])
    assert len(every) == 4
    # upstream's scheduler-logs sends [field, value] and [field, op, value]
    assert msgs([['task_id', t1]]) == msgs([['task_id', '=', t1]]) == \
        [m for m in every if m[0] == t1]
    assert msgs([('host_id', b1)]) == [m for m in every if m[1] == b1]
    assert msgs([['host_id', [b1, b2]]]) == [m for m in every if m[1] in (b1, b2)]
    assert msgs([['host_id', 'not in', [b1]]]) == [m for m in every if m[1] == b2]
    assert msgs([['host_id', None]]) == msgs([['host_id', 'IS', None]]) == \
        [(t1, None, 'no host here')]
    assert msgs([['task_id', '!=', None]]) == [m for m in every if m[0] is not None]
    # one request logs all four, so they share one timestamp
    ts = api.getLogMessages(fields=('id', 'msg_ts'))[1]['msg_ts']
    assert len(msgs([['msg_ts', '>=', ts], ['msg_ts', '<', ts + 3600]])) == 4
    assert msgs([['msg_ts', '<', ts]]) == msgs([['msg_ts', '>', int(ts) + 1]]) == []
    assert msgs([['msg', 'no task here']]) == [(None, b2, 'no task here')]


def test_values_as_upstream_scheduler_info_sends_them(logs):
    t1, t2, b1 = logs['t1'], logs['t2'], logs['b1']
    # scheduler-info passes --host exactly as typed: an id in a string, or a name
    fields = ('id', 'task_id', 'host_name', 'state')
    by_id = api.getTaskRuns(clauses=[('host_id', str(b1))], fields=fields)
    by_name = api.getTaskRuns(clauses=[('host_id', 'b1')], fields=fields)
    assert by_id == by_name
    assert [(r['task_id'], r['host_name'], r['state']) for r in by_id] == \
        [(t1, 'b1', koji.TASK_STATES['ASSIGNED'])]
    runs = api.getTaskRuns(clauses=[('task_id', t2), ('state', koji.TASK_STATES['ASSIGNED'])],
                           fields=fields, opts={'order': '-id', 'limit': 100})
    assert [r['host_name'] for r in runs] == ['b2']
    assert api.getTaskRuns(clauses=[('active', True)], fields=['task_id']) == \
        [{'task_id': t1}, {'task_id': t2}]
    with pytest.raises(koji.GenericError):
        api.getTaskRuns(clauses=[('host_id', 'nosuchhost')])


@pytest.mark.parametrize('clause', [
    ['task_id'], ['task_id', '=', 1, 2], 'task_id=1', ['nosuch', 1], ['task_id', 'LIKE', 1],
    ['task_id', 'abc'], ['task_id', '=', [1, 2]], ['task_id', 'IN', 3],
    ['msg_ts', '>', 'yesterday'], ['active', 'yes'], ['msg', 5], [5, 1],
    ['task_id', 'IS', 3], ['task_id', None, 1]])
def test_bad_clauses(logs, clause):
    with pytest.raises(koji.ParameterError):
        api.getLogMessages(clauses=[clause])
