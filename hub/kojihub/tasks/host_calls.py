"""The task and check-in calls of build hosts (``host.*``).

Every call here needs a build host's exclusive session (policy._assert_host_session, the
same check host.checkPolicy uses); calls marked "+task" additionally need the task to be
OPEN on the calling host.

host.getTasks(wait=N) is our opt-in long poll (docs/task-wakeup.md): with no assigned
task the call sleeps up to N seconds on PostgreSQL LISTEN koji_tasks and returns as soon
as work shows up for this host.  Without the keyword it behaves exactly as upstream.
Either way a host with nothing assigned gets a scheduler pass at once when it has room
for waiting FREE work (scheduler.schedule_for_host), not only every RunInterval.
"""
import select
import time

import koji
from koji import xmlrpcplus
from koji.args import encode_args
from koji.context import context

from ..core import db
from ..core.db import QueryProcessor, UpdateProcessor, _dml
from ..hosts.hosts import get_host
from ..core.policy import _assert_host_session
from .scheduler import (TaskScheduler, get_tasks_for_host, log_db, schedule_for_host,
                        set_host_data, set_refusal)
from .task_actions import (NOTIFY_CHANNEL, STATES, Task, _caller_host_id, _run_change,
                           make_task, notify)
from .tasks import FINISHED_STATES, _task_id, _xml_text

# longest long poll we grant, whatever the builder asks (each one holds a hub thread)
LONG_POLL_MAX = 60.0


def _host_id():
    """The calling host's id, after checking it is a host on an exclusive session."""
    _assert_host_session()
    return _caller_host_id()


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise koji.ParameterError('Invalid %s: %r' % (what, value))
    return float(value)


def _task_list(tasks, what='tasks'):
    if not isinstance(tasks, (list, tuple)):
        raise koji.ParameterError('%s must be a list of task ids' % what)
    return [_task_id(t) for t in tasks]


# ---------------------------------------------------------------------------
# check-in

def get_id():
    return _host_id()


def host_get_host():
    return get_host(_host_id())


def is_enabled():
    return bool(get_host(_host_id(), strict=True)['enabled'])


def update_host(task_load, ready, data=None):
    """Record the builder's load and readiness (idempotent, so retries are harmless)."""
    host_id = _host_id()
    task_load = _number(task_load, 'task_load')
    if not isinstance(ready, (bool, int)):
        raise koji.ParameterError('Invalid ready flag: %r' % (ready,))
    UpdateProcessor('host', data={'task_load': task_load, 'ready': bool(ready)},
                    rawdata={'update_time': 'NOW()'}, clauses=['id = %(id)s'],
                    values={'id': host_id}).execute()
    if data is not None:
        set_host_data(host_id, data)


def host_set_host_data(hostdata):
    set_host_data(_host_id(), hostdata)


def _host_channels(host_id):
    query = QueryProcessor(columns=['host_channels.channel_id'], aliases=['channel_id'],
                           tables=['host_channels'],
                           joins=['channels ON channels.id = host_channels.channel_id'],
                           clauses=['host_channels.host_id = %(host_id)s',
                                    'host_channels.active IS TRUE',
                                    'channels.enabled IS TRUE'],
                           values={'host_id': host_id}, opts={'order': 'channel_id'})
    return [row['channel_id'] for row in query.execute()]


def get_load_data():
    """Classic (<= 1.33) polling data: [[this host + channel ids], tasks it may take].

    The tasks are the FREE ones matching its channels and arches (noarch included) plus
    those ASSIGNED to it, so an old builder that only knows openTask keeps working; since
    it sees only itself in the host list it takes them without delay.
    """
    host_id = _host_id()
    host = get_host(host_id, strict=True)
    host['channels'] = _host_channels(host_id)
    arches = (host['arches'] or '').split() + ['noarch']
    query = QueryProcessor(
        columns=['id', 'state', 'channel_id', 'host_id', 'arch', 'method', 'priority',
                 'create_time'],
        tables=['task'],
        clauses=['(state = %(free)s AND channel_id = ANY(%(channels)s) AND '
                 'arch = ANY(%(arches)s)) OR (state = %(assigned)s AND '
                 'host_id = %(host_id)s)'],
        values={'free': STATES['FREE'], 'assigned': STATES['ASSIGNED'],
                'channels': host['channels'], 'arches': arches, 'host_id': host_id},
        opts={'order': 'priority,create_time,id', 'limit': 100})
    return [[host], query.execute()]


# ---------------------------------------------------------------------------
# taking tasks

def get_tasks(**opts):
    """Tasks ASSIGNED to this host; runs the scheduler if there are none.

    Opt-in keyword ``wait`` (seconds): long-poll for work instead of returning [].
    """
    unknown = set(opts) - {'wait'}
    if unknown:
        raise koji.ParameterError('Unexpected keywords: %s' % ', '.join(sorted(unknown)))
    host_id = _host_id()
    wait = opts.get('wait')
    if wait and not getattr(context, 'multicall_depth', 0):
        return _long_poll(host_id, min(_number(wait, 'wait'), LONG_POLL_MAX))
    tasks = get_tasks_for_host(host_id)
    if not tasks:
        if schedule_for_host(host_id):
            tasks = get_tasks_for_host(host_id)
    return tasks


def _commit_now():
    """Commit mid-request: no row lock may be held while we sleep, and other hosts must
    see what this request already wrote (its check-in, a scheduler pass)."""
    context.cnx.commit()
    context.commit_pending = False
    if hasattr(context, 'event_id'):
        del context.event_id


def _long_poll(host_id, timeout):
    import psycopg2
    listener = psycopg2.connect(db._make_dsn(db.getDBopts()))
    try:
        listener.autocommit = True
        cursor = listener.cursor()
        # listen first, then look: nothing committed after this point can be missed
        cursor.execute('LISTEN %s' % NOTIFY_CHANNEL)
        deadline = time.monotonic() + timeout
        # what to run before looking: None = nothing, True = a pass if due or if we have
        # room for waiting work, a float = a pass unless one started after that moment
        kick = True
        while True:
            if kick is True:
                schedule_for_host(host_id)
            elif kick is not None:
                TaskScheduler().run(newer_than=kick)
            tasks = get_tasks_for_host(host_id)
            first_look = kick is True
            _commit_now()
            if tasks:
                return tasks
            if first_look and _fresh_alert(host_id):
                # a subtask finished just before we listened: its wake-up was sent to
                # nobody, so give the builder its loop back to wake the parent now
                return []
            kick = None
            while kick is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                readable = select.select([listener], [], [], remaining)[0]
                if not readable:
                    return []
                listener.poll()
                payloads = set(n.payload for n in listener.notifies)
                del listener.notifies[:]
                if 'host:%i' % host_id in payloads:
                    # something for us: give the builder its loop back at once
                    tasks = get_tasks_for_host(host_id)
                    _commit_now()
                    return tasks
                if 'free' in payloads:
                    cursor.execute("SELECT date_part('epoch', clock_timestamp())")
                    kick = float(cursor.fetchone()[0])
                elif 'room:%i' % host_id in payloads:
                    # one of our tasks ended: waiting work may fit now
                    kick = True
    finally:
        listener.close()


# how far back a finished subtask counts as news the builder may not have seen yet: the
# gap between its getHostTasks and this long poll is a few requests long
FRESH_ALERT_SECONDS = 5


def _fresh_alert(host_id):
    """Whether a waiting task on this host has an awaited child that just finished."""
    query = QueryProcessor(
        columns=['1'], aliases=['one'], tables=['task AS parent'],
        joins=['task AS child ON child.parent = parent.id'],
        clauses=['parent.host_id = %(host_id)s', 'parent.state = %(open)s',
                 'parent.waiting IS TRUE', 'child.awaited IS TRUE',
                 'child.state = ANY(%(finished)s)',
                 "child.completion_time > clock_timestamp() - make_interval(secs => %(secs)s)"],
        values={'host_id': host_id, 'open': STATES['OPEN'],
                'finished': list(FINISHED_STATES), 'secs': FRESH_ALERT_SECONDS},
        opts={'limit': 1})
    return bool(query.execute())


def open_task(task_id):
    """Claim a task (FREE, or ASSIGNED to us) -> task record with the raw request XML."""
    host_id = _host_id()
    return Task(task_id).open(host_id)


def _check_response(response):
    if not isinstance(response, str):
        raise koji.ParameterError('task response must be an XML-RPC document string')
    return response


def close_task(task_id, response):
    """+task: CLOSED with the stored methodResponse document."""
    host_id = _host_id()
    task = Task(task_id)
    task.assertHost(host_id)
    task.close(_check_response(response))
    notify('room:%i' % host_id)


def fail_task(task_id, response):
    """+task: FAILED with the stored fault document."""
    host_id = _host_id()
    task = Task(task_id)
    task.assertHost(host_id)
    task.fail(_check_response(response))
    notify('room:%i' % host_id)


def free_tasks(tasks):
    """Give back tasks this host holds (others in the list are ignored)."""
    host_id = _host_id()
    ids = _task_list(tasks)
    query = QueryProcessor(columns=['id'], tables=['task'],
                           clauses=['id = ANY(%(ids)s)', 'host_id = %(host_id)s',
                                    'state = ANY(%(states)s)'],
                           values={'ids': ids, 'host_id': host_id,
                                   'states': [STATES['OPEN'], STATES['ASSIGNED']]},
                           opts={'rowlock': True, 'asList': True})
    mine = [row[0] for row in query.execute()]
    if not mine:
        return

    def apply():
        return UpdateProcessor('task', data={'state': STATES['FREE'], 'host_id': None},
                               clauses=['id = ANY(%(ids)s)'], values={'ids': mine}).execute()
    _run_change(mine, 'state', STATES['FREE'], apply)
    notify('free')


def set_task_weight(task_id, weight):
    task = Task(task_id)
    task.assertHost(_host_id())
    task.setWeight(_number(weight, 'weight'))


def refuse_task(task_id, soft=True, msg=''):
    """The builder will not run this task: remember that and free it for others."""
    host_id = _host_id()
    task = Task(task_id)
    state, task_host = task._locked()[:2]
    if task_host != host_id or state not in (STATES['ASSIGNED'], STATES['OPEN']):
        log_db('Ignoring refusal of a task not assigned to this host', task.id, host_id)
        return
    set_refusal(host_id, task.id, soft=soft, by_host=True, msg=msg)
    log_db('Task refused by host%s: %s' % ('' if soft else ' (hard)', msg), task.id,
           host_id)
    task.free()


def get_host_tasks():
    """This host's OPEN tasks; alert=True where a waiting parent has news."""
    host_id = _host_id()
    query = QueryProcessor(
        columns=['task.id', 'task.waiting', 'task.weight',
                 '(task.waiting IS TRUE AND EXISTS (SELECT 1 FROM task AS child '
                 'WHERE child.parent = task.id AND child.awaited IS TRUE '
                 'AND child.state = ANY(%(finished)s)))'],
        aliases=['id', 'waiting', 'weight', 'alert'], tables=['task'],
        clauses=['task.host_id = %(host_id)s', 'task.state = %(open)s'],
        values={'host_id': host_id, 'open': STATES['OPEN'],
                'finished': list(FINISHED_STATES)}, opts={'order': 'id'})
    tasks = query.execute()
    for task in tasks:
        if not task.pop('alert'):
            continue
        task['alert'] = True
    return tasks


# ---------------------------------------------------------------------------
# parents waiting on subtasks

def task_set_wait(parent, tasks):
    """Mark parent as waiting on the given children (None: all of them)."""
    _host_id()
    parent = _task_id(parent)
    _dml('UPDATE task SET waiting = TRUE WHERE id = %(parent)s', {'parent': parent})
    if tasks is None:
        _dml('UPDATE task SET awaited = TRUE WHERE parent = %(parent)s', {'parent': parent})
    else:
        _dml('UPDATE task SET awaited = TRUE WHERE parent = %(parent)s AND id = ANY(%(ids)s)',
             {'parent': parent, 'ids': _task_list(tasks)})


def task_wait(parent):
    """[finished ids, unfinished ids] of the awaited children."""
    _host_id()
    query = QueryProcessor(columns=['id', 'state'], tables=['task'],
                           clauses=['parent = %(parent)s', 'awaited IS TRUE'],
                           values={'parent': _task_id(parent)}, opts={'order': 'id'})
    finished, unfinished = [], []
    for row in query.execute():
        (finished if row['state'] in FINISHED_STATES else unfinished).append(row['id'])
    return [finished, unfinished]


def _stored_result(row, canfail):
    if row['state'] == STATES['CANCELED']:
        if row['id'] in canfail:
            return {'faultCode': koji.GenericError.faultCode,
                    'faultString': 'Task %i is canceled' % row['id']}
        raise koji.GenericError('Task %i is canceled' % row['id'])
    if row['result'] is None:
        return None
    try:
        params, _ = xmlrpcplus.loads(_xml_text(row['result']))
    except xmlrpcplus.Fault as fault:
        if row['id'] in canfail:
            return {'faultCode': fault.faultCode, 'faultString': fault.faultString}
        raise
    return params[0]


def task_wait_results(parent, tasks, canfail=None):
    """[[id, result], ...] of finished children, ending the wait on them.

    A failed child raises its fault unless listed in canfail (then a fault dict).
    """
    _host_id()
    parent = _task_id(parent)
    canfail = set(_task_list(canfail or [], 'canfail'))
    clauses = ['parent = %(parent)s']
    values = {'parent': parent}
    if tasks is None:
        clauses.append('awaited IS TRUE')
    else:
        values['ids'] = _task_list(tasks)
        clauses.append('id = ANY(%(ids)s)')
    query = QueryProcessor(columns=['id', 'state', 'result'], tables=['task'],
                           clauses=clauses, values=values, opts={'order': 'id'})
    rows = query.execute()
    if tasks is not None and len(rows) != len(set(values['ids'])):
        missing = set(values['ids']) - set(r['id'] for r in rows)
        raise koji.GenericError('Not subtasks of task %i: %s' % (parent, sorted(missing)))
    for row in rows:
        if row['state'] not in FINISHED_STATES:
            raise koji.GenericError('Task %i is not finished' % row['id'])
    ids = [row['id'] for row in rows]
    by_id = dict((row['id'], row) for row in rows)
    order = ids if tasks is None else values['ids']
    # results first: a raised fault must leave the wait state as it was
    results = [[tid, _stored_result(by_id[tid], canfail)] for tid in order]
    _dml('UPDATE task SET awaited = FALSE WHERE id = ANY(%(ids)s)', {'ids': ids})
    _dml('UPDATE task SET waiting = FALSE WHERE id = %(parent)s', {'parent': parent})
    return results


# ---------------------------------------------------------------------------
# subtasks

def subtask(method, arglist, parent, **opts):
    """+task: a child of a task this host runs; (parent, label) de-duplicates."""
    host_id = _host_id()
    if 'owner' in opts:
        raise koji.ActionNotAllowed('The owner option is not allowed here')
    if 'parent' in opts:
        raise koji.ParameterError('parent given twice')
    Task(parent).assertHost(host_id)
    opts['parent'] = _task_id(parent)
    return make_task(method, arglist, **opts)


def subtask2(_HostExports__parent, _HostExports__taskopts, _HostExports__method, *args,
             **opts):
    """subtask with (parent, taskopts, method, *args, **kwargs)."""
    taskopts = _HostExports__taskopts or {}
    if not isinstance(taskopts, dict):
        raise koji.ParameterError('taskopts must be a dict')
    arglist = list(encode_args(*args, **opts))
    return subtask(_HostExports__method, arglist, _HostExports__parent, **taskopts)


class HostTaskExports(object):
    """Task and check-in calls of build hosts, bound into HostExports."""

    getID = staticmethod(get_id)
    getHost = staticmethod(host_get_host)
    isEnabled = staticmethod(is_enabled)
    updateHost = staticmethod(update_host)
    setHostData = staticmethod(host_set_host_data)
    getLoadData = staticmethod(get_load_data)
    getTasks = staticmethod(get_tasks)
    openTask = staticmethod(open_task)
    closeTask = staticmethod(close_task)
    failTask = staticmethod(fail_task)
    freeTasks = staticmethod(free_tasks)
    setTaskWeight = staticmethod(set_task_weight)
    refuseTask = staticmethod(refuse_task)
    getHostTasks = staticmethod(get_host_tasks)
    taskSetWait = staticmethod(task_set_wait)
    taskWait = staticmethod(task_wait)
    taskWaitResults = staticmethod(task_wait_results)
    subtask = staticmethod(subtask)
    subtask2 = staticmethod(subtask2)
