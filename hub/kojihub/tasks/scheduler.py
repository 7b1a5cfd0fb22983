"""The task scheduler: hands FREE tasks to ready hosts, and notices hosts that went away.

A run happens inside some host's host.getTasks call (or scheduler.doRun), under the
'scheduler' row lock and at most once per RunInterval.  It works on a snapshot loaded with
a handful of queries (hosts, channels, active tasks, free tasks, refusals) and writes its
decisions back in bulk, so its cost does not grow with one query per task.

What a run records: scheduler_task_runs (one active row per assignment it made),
scheduler_task_refusals (hosts that must not get a task again, soft ones expiring after
SoftRefusalTimeout), scheduler_log_messages (why things happened) and, in
scheduler_sys_data, the time of the last run.
"""
import json
import logging

import koji
from koji.context import context

from ..core.db import (BulkInsertProcessor, QueryProcessor, UpdateProcessor, _dml, _multiRow,
                       _singleRow, _singleValue, db_lock)
from .task_actions import STATES, Task, _run_change, notify, notify_hosts

logger = logging.getLogger('koji.hub.scheduler')

_OPTION_DEFAULTS = {'MaxJobs': 15, 'CapacityOvercommit': 5, 'ReadyTimeout': 180,
                    'AssignTimeout': 300, 'SoftRefusalTimeout': 900, 'HostTimeout': 900,
                    'RunInterval': 60}


def _opt(name):
    opts = getattr(context, 'opts', None) or {}
    value = opts.get(name)
    return _OPTION_DEFAULTS[name] if value is None else value


def _db_now():
    """Epoch seconds by the database clock (the one every stored time uses)."""
    return float(_singleValue("SELECT date_part('epoch', clock_timestamp())"))


# ---------------------------------------------------------------------------
# records

def log_db(msg, task_id=None, host_id=None):
    """One scheduler_log_messages row."""
    log_many([(msg, task_id, host_id)])


def log_many(entries):
    """scheduler_log_messages rows from (msg, task_id, host_id) tuples, in one INSERT."""
    if not entries:
        return
    insert = BulkInsertProcessor('scheduler_log_messages')
    for msg, task_id, host_id in entries:
        insert.add_record(msg=msg, task_id=task_id, host_id=host_id)
    insert.execute()
    context.commit_pending = True


def set_refusal(host_id, task_id, soft=True, by_host=False, msg=''):
    """Record (or refresh) that host_id should not get task_id."""
    _dml('INSERT INTO scheduler_task_refusals (task_id, host_id, by_host, soft, msg) '
         'VALUES (%(task_id)s, %(host_id)s, %(by_host)s, %(soft)s, %(msg)s) '
         'ON CONFLICT (task_id, host_id) DO UPDATE SET by_host = EXCLUDED.by_host, '
         'soft = EXCLUDED.soft, msg = EXCLUDED.msg, time = NOW()',
         {'task_id': task_id, 'host_id': host_id, 'by_host': bool(by_host),
          'soft': bool(soft), 'msg': msg or ''})


def set_host_data(host_id, data):
    """Store what a builder reports about itself (methods, maxjobs, ...)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise koji.ParameterError('host data must be a dict or a JSON string')
    if not isinstance(data, dict):
        raise koji.ParameterError('host data must be a dict')
    _dml('INSERT INTO scheduler_host_data (host_id, data) VALUES (%(host_id)s, %(data)s) '
         'ON CONFLICT (host_id) DO UPDATE SET data = EXCLUDED.data',
         {'host_id': host_id, 'data': json.dumps(data)})


def _start_run(task_ids_by_host):
    """Active scheduler_task_runs rows for new assignments (older ones deactivated)."""
    all_ids = [tid for ids in task_ids_by_host.values() for tid in ids]
    if not all_ids:
        return
    UpdateProcessor('scheduler_task_runs', data={'active': False},
                    clauses=['task_id = ANY(%(ids)s)', 'active = TRUE'],
                    values={'ids': all_ids}).execute()
    insert = BulkInsertProcessor('scheduler_task_runs')
    for host_id, ids in task_ids_by_host.items():
        for task_id in ids:
            insert.add_record(task_id=task_id, host_id=host_id)
    insert.execute()


def get_tasks_for_host(host_id):
    """Tasks ASSIGNED to a host, in the order it should take them."""
    query = QueryProcessor(
        columns=['task.id', 'task.state', 'task.channel_id', 'task.host_id', 'task.arch',
                 'task.method', 'task.priority', "date_part('epoch', task.create_time)"],
        aliases=['id', 'state', 'channel_id', 'host_id', 'arch', 'method', 'priority',
                 'create_ts'],
        tables=['task'], clauses=['task.state = %(state)s', 'task.host_id = %(host_id)s'],
        values={'state': STATES['ASSIGNED'], 'host_id': host_id},
        opts={'order': 'priority,create_ts,id'})
    return query.execute()


# ---------------------------------------------------------------------------
# the scheduler

class TaskScheduler(object):
    """One scheduling pass; see the module docstring."""

    def __init__(self):
        self.maxjobs = _opt('MaxJobs')
        self.overcommit = _opt('CapacityOvercommit')
        self.ready_timeout = _opt('ReadyTimeout')
        self.assign_timeout = _opt('AssignTimeout')
        self.soft_refusal_timeout = _opt('SoftRefusalTimeout')
        self.host_timeout = _opt('HostTimeout')
        self.run_interval = _opt('RunInterval')
        self.logs = []
        self.now = None

    def log(self, msg, task_id=None, host_id=None):
        self.logs.append((msg, task_id, host_id))

    def run(self, force=False, newer_than=None):
        """Schedule if due; True when a pass actually ran.

        force waits for the lock and ignores RunInterval.  newer_than (db epoch) is used by
        long-polling hosts: wait for the lock, and skip only if a pass started after that
        moment (it has already seen everything committed before it).
        """
        if not db_lock('scheduler', wait=force or newer_than is not None):
            return False
        self.now = _db_now()
        last = _singleValue("SELECT data FROM scheduler_sys_data WHERE name = 'last_run_ts'",
                            strict=False)
        if newer_than is not None:
            if last is not None and float(last) > newer_than:
                return False
        elif not force and last is not None and self.now - float(last) < self.run_interval:
            return False
        _dml("INSERT INTO scheduler_sys_data (name, data) VALUES ('last_run_ts', %(ts)s) "
             "ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data",
             {'ts': json.dumps(self.now)})
        self.get_hosts()
        self.check_hosts()
        self.get_active_tasks()
        self.check_active_tasks()
        self.get_free_tasks()
        self.do_schedule()
        log_many(self.logs)
        return True

    # -- snapshot

    def get_hosts(self):
        query = QueryProcessor(
            columns=['host.id', 'host.name', 'host.ready', 'host.task_load',
                     "date_part('epoch', host.update_time)", 'host_config.arches',
                     'host_config.capacity', 'scheduler_host_data.data'],
            aliases=['id', 'name', 'ready', 'task_load', 'update_ts', 'arches', 'capacity',
                     'data'],
            tables=['host'],
            joins=['host_config ON host_config.host_id = host.id AND host_config.active',
                   'LEFT JOIN scheduler_host_data ON scheduler_host_data.host_id = host.id'],
            clauses=['host_config.enabled IS TRUE'], opts={'order': 'id'})
        self.hosts = dict((h['id'], h) for h in query.execute())
        query = QueryProcessor(
            columns=['host_channels.host_id', 'host_channels.channel_id'],
            aliases=['host_id', 'channel_id'], tables=['host_channels'],
            joins=['channels ON channels.id = host_channels.channel_id'],
            clauses=['host_channels.active IS TRUE', 'channels.enabled IS TRUE'])
        for host in self.hosts.values():
            host['channels'] = set()
            host['data'] = host['data'] or {}
            host['bins'] = set()
        for row in query.execute():
            host = self.hosts.get(row['host_id'])
            if host is not None:
                host['channels'].add(row['channel_id'])
        for host in self.hosts.values():
            arches = (host['arches'] or '').split() + ['noarch']
            host['bins'] = set('%s:%s' % (c, a) for c in host['channels'] for a in arches)
            host['_load'] = 0.0
            host['_ntasks'] = 0
            host['_demand'] = 0.0
            host['_maxjobs'] = host['data'].get('maxjobs') or self.maxjobs

    def check_hosts(self):
        """Hosts that stopped checking in for ReadyTimeout are no longer ready."""
        stale = []
        for host in self.hosts.values():
            if not host['ready']:
                continue
            if host['update_ts'] is None or self.now - host['update_ts'] > self.ready_timeout:
                host['ready'] = False
                stale.append(host['id'])
                self.log('Host not ready: no check-in for %s seconds' % self.ready_timeout,
                         host_id=host['id'])
        if stale:
            UpdateProcessor('host', data={'ready': False}, clauses=['id = ANY(%(ids)s)'],
                            values={'ids': stale}).execute()

    def get_active_tasks(self):
        query = QueryProcessor(
            columns=['task.id', 'task.state', 'task.host_id', 'task.weight', 'task.waiting',
                     'run.id', "date_part('epoch', run.create_time)",
                     "date_part('epoch', host.update_time)"],
            aliases=['id', 'state', 'host_id', 'weight', 'waiting', 'run_id', 'assign_ts',
                     'host_update_ts'],
            tables=['task'],
            joins=['LEFT JOIN scheduler_task_runs AS run ON run.task_id = task.id '
                   'AND run.active IS TRUE',
                   'LEFT JOIN host ON host.id = task.host_id'],
            clauses=['task.state = ANY(%(states)s)', 'task.host_id IS NOT NULL'],
            values={'states': [STATES['OPEN'], STATES['ASSIGNED']]}, opts={'order': 'id'})
        self.active = query.execute()

    def check_active_tasks(self):
        """Free assignments nobody opened and tasks of hosts that went silent."""
        to_free = []
        for task in self.active:
            host_ts = task['host_update_ts']
            if task['state'] == STATES['ASSIGNED']:
                if task['run_id'] is None:
                    continue   # a manual override: left alone
                if self.now - task['assign_ts'] > self.assign_timeout:
                    to_free.append(task)
                    self.log('Assignment timed out', task['id'], task['host_id'])
                    if host_ts is not None and host_ts > task['assign_ts']:
                        set_refusal(task['host_id'], task['id'], soft=True,
                                    msg='assignment timeout')
            elif host_ts is None or self.now - host_ts > self.host_timeout:
                to_free.append(task)
                self.log('Freeing task: host silent for %s seconds' % self.host_timeout,
                         task['id'], task['host_id'])
        if to_free:
            ids = [t['id'] for t in to_free]

            def apply():
                return UpdateProcessor('task', data={'state': STATES['FREE'], 'host_id': None},
                                       clauses=['id = ANY(%(ids)s)'],
                                       values={'ids': ids}).execute()
            _run_change(ids, 'state', STATES['FREE'], apply)
            notify('free')
        freed = set(t['id'] for t in to_free)
        self.active = [t for t in self.active if t['id'] not in freed]
        self._end_runs(freed)
        # refusals of finished tasks: a per-row lookup by task id, never a scan of the
        # task table (passes run often and that table only grows)
        _dml('DELETE FROM scheduler_task_refusals AS ref WHERE (ref.soft IS TRUE AND '
             'ref.time < NOW() - make_interval(secs => %(timeout)s)) OR EXISTS (SELECT 1 '
             'FROM task WHERE task.id = ref.task_id AND NOT task.state = ANY(%(states)s))',
             {'states': [STATES['FREE'], STATES['OPEN'], STATES['ASSIGNED']],
              'timeout': self.soft_refusal_timeout})

    def _end_runs(self, freed):
        """Deactivate the runs of tasks that were freed or are no longer assigned/open.

        Done in steps (active runs, then their tasks by id, then the update by run id) so
        the task table is only read by primary key.  A single statement joining task let
        the planner scan or hash the whole task table: with 500k finished tasks 0.2-0.9 s
        per pass, against ~25 ms this way (the scan of scheduler_task_runs).
        """
        live = _multiRow('SELECT id, task_id FROM scheduler_task_runs WHERE active IS TRUE',
                         {}, ['id', 'task_id'])
        if not live:
            return
        query = QueryProcessor(columns=['id'], tables=['task'],
                               clauses=['id = ANY(%(ids)s)', 'NOT state = ANY(%(states)s)'],
                               values={'ids': [r['task_id'] for r in live],
                                       'states': [STATES['OPEN'], STATES['ASSIGNED']]},
                               opts={'asList': True})
        ended = set(freed).union(row[0] for row in query.execute())
        ids = [r['id'] for r in live if r['task_id'] in ended]
        if ids:
            UpdateProcessor('scheduler_task_runs', data={'active': False},
                            clauses=['id = ANY(%(ids)s)'], values={'ids': ids}).execute()

    def get_free_tasks(self):
        query = QueryProcessor(
            columns=['id', 'weight', 'method', 'arch', 'channel_id', 'priority',
                     'create_time'],
            tables=['task'], clauses=['state = %(state)s'], values={'state': STATES['FREE']},
            opts={'order': 'priority,create_time,id', 'limit': 1000})
        self.free = query.execute()
        self.refused = set()
        if self.free:
            query = QueryProcessor(columns=['task_id', 'host_id'],
                                   tables=['scheduler_task_refusals'],
                                   clauses=['task_id = ANY(%(ids)s)'],
                                   values={'ids': [t['id'] for t in self.free]})
            self.refused = set((r['task_id'], r['host_id']) for r in query.execute())

    # -- decisions

    def _fits(self, host, task):
        if not host['ready'] or host['_ntasks'] >= host['_maxjobs']:
            return False
        if (task['id'], host['id']) in self.refused:
            return False
        methods = host['data'].get('methods')
        if methods and task['method'] not in methods:
            return False
        room = host['capacity'] - host['_load']
        return room > max(0.0, task['weight'] - self.overcommit)

    def do_schedule(self):
        """Assign each free task (priority order) to the least busy host that fits."""
        for task in self.active:
            host = self.hosts.get(task['host_id'])
            if host is None:
                continue
            host['_ntasks'] += 1
            if not task['waiting']:
                host['_load'] += task['weight']
        candidates = {}
        for task in self.free:
            tbin = '%s:%s' % (task['channel_id'], task['arch'])
            hosts = [h for h in self.hosts.values()
                     if tbin in h['bins'] and h['ready']
                     and (task['id'], h['id']) not in self.refused]
            candidates[task['id']] = hosts
            for host in hosts:
                host['_demand'] += task['weight'] / len(hosts)
        top = max([h['_demand'] for h in self.hosts.values()] + [0.0])
        for host in self.hosts.values():
            host['_demand'] = host['_demand'] / top if top else 0.0
        assigned = {}
        for task in self.free:
            hosts = [h for h in candidates[task['id']] if self._fits(h, task)]
            if not hosts:
                continue
            host = min(hosts, key=lambda h: (h['_load'] + h['_ntasks'] + h['_demand'],
                                             h['id']))
            host['_load'] += task['weight']
            host['_ntasks'] += 1
            assigned.setdefault(host['id'], []).append(task['id'])
            self.log('Assigning task', task['id'], host['id'])
        for host_id, ids in assigned.items():
            def apply(ids=ids, host_id=host_id):
                return UpdateProcessor(
                    'task', data={'state': STATES['ASSIGNED'], 'host_id': host_id},
                    clauses=['id = ANY(%(ids)s)', 'state = %(free)s'],
                    values={'ids': ids, 'free': STATES['FREE']}).execute()
            _run_change(ids, 'state', STATES['ASSIGNED'], apply)
        _start_run(assigned)
        notify_hosts(assigned)
        self.assigned = assigned
        return assigned


# ---------------------------------------------------------------------------
# passes on demand

def host_wants_work(host_id):
    """(wanted, db time): could a pass now give this host one of the waiting FREE tasks?

    Mirrors TaskScheduler._fits for this one host (ready, below its maxjobs, room for the
    lightest task of a method it runs, not refused, channel and arch match).  A yes is
    what makes an early pass worth its cost; a rare false yes only costs one pass.
    """
    active = [STATES['OPEN'], STATES['ASSIGNED']]
    row = _singleRow(
        "SELECT host.ready, host_config.capacity, host_config.arches, "
        "scheduler_host_data.data, "
        "(SELECT count(*) FROM task WHERE task.host_id = host.id "
        " AND task.state = ANY(%(active)s)) AS ntasks, "
        "(SELECT coalesce(sum(task.weight), 0) FROM task WHERE task.host_id = host.id "
        " AND task.state = ANY(%(active)s) AND task.waiting IS NOT TRUE) AS load, "
        "date_part('epoch', clock_timestamp()) AS now "
        "FROM host JOIN host_config ON host_config.host_id = host.id "
        "AND host_config.active IS TRUE "
        "LEFT JOIN scheduler_host_data ON scheduler_host_data.host_id = host.id "
        "WHERE host.id = %(host_id)s AND host_config.enabled IS TRUE",
        {'host_id': host_id, 'active': active},
        ['ready', 'capacity', 'arches', 'data', 'ntasks', 'load', 'now'])
    if row is None:
        return False, None
    now = float(row['now'])
    data = row['data'] or {}
    if not row['ready'] or row['ntasks'] >= (data.get('maxjobs') or _opt('MaxJobs')):
        return False, now
    rows = _multiRow(
        "SELECT task.method, min(task.weight) FROM task "
        "WHERE task.state = %(free)s AND task.arch = ANY(%(arches)s) "
        "AND task.channel_id IN (SELECT host_channels.channel_id FROM host_channels "
        " JOIN channels ON channels.id = host_channels.channel_id "
        " WHERE host_channels.host_id = %(host_id)s AND host_channels.active IS TRUE "
        " AND channels.enabled IS TRUE) "
        "AND NOT EXISTS (SELECT 1 FROM scheduler_task_refusals AS ref "
        " WHERE ref.task_id = task.id AND ref.host_id = %(host_id)s) "
        "GROUP BY task.method",
        {'free': STATES['FREE'], 'host_id': host_id,
         'arches': (row['arches'] or '').split() + ['noarch']}, ['method', 'weight'])
    methods = data.get('methods')
    room = row['capacity'] - float(row['load'])
    overcommit = _opt('CapacityOvercommit')
    for free in rows:
        if methods and free['method'] not in methods:
            continue
        if room > max(0.0, free['weight'] - overcommit):
            return True, now
    return False, now


def schedule_for_host(host_id):
    """Run a pass when one is due, or at once when this host has room for waiting work.

    RunInterval bounds the passes nobody needs; a host that has just freed room (or
    checked in idle) while FREE tasks it could run are waiting gets a pass right away
    instead of up to RunInterval later.  Such a pass still places every free task on the
    best host, so other hosts are served by it as well.
    """
    if TaskScheduler().run():
        return True
    wanted, since = host_wants_work(host_id)
    if not wanted:
        return False
    # wait for a pass in progress; skip if one started after we looked (it saw it all)
    return TaskScheduler().run(newer_than=since)


# ---------------------------------------------------------------------------
# queries of the records (scheduler.* calls)

_HOST_JOIN = 'LEFT JOIN host ON host.id = %s.host_id'
_TASK_JOIN = 'LEFT JOIN task ON task.id = %s.task_id'
_TASK_VIEW = {
    'arch': 'task.arch', 'channel_id': 'task.channel_id', 'method': 'task.method',
    'owner': 'task.owner', 'state': 'task.state', 'host_name': 'host.name',
    'host_ready': 'host.ready',
}
_RUN_FIELDS = dict(_TASK_VIEW, **{
    'id': 'scheduler_task_runs.id', 'task_id': 'scheduler_task_runs.task_id',
    'host_id': 'scheduler_task_runs.host_id', 'active': 'scheduler_task_runs.active',
    'create_ts': "date_part('epoch', scheduler_task_runs.create_time)",
    'start_ts': "date_part('epoch', task.start_time)",
    'completion_ts': "date_part('epoch', task.completion_time)",
})
_REFUSAL_FIELDS = dict(_TASK_VIEW, **{
    'id': 'scheduler_task_refusals.id', 'task_id': 'scheduler_task_refusals.task_id',
    'host_id': 'scheduler_task_refusals.host_id',
    'by_host': 'scheduler_task_refusals.by_host', 'soft': 'scheduler_task_refusals.soft',
    'msg': 'scheduler_task_refusals.msg',
    'ts': "date_part('epoch', scheduler_task_refusals.time)",
})
_LOG_FIELDS = dict(_TASK_VIEW, **{
    'id': 'scheduler_log_messages.id', 'task_id': 'scheduler_log_messages.task_id',
    'host_id': 'scheduler_log_messages.host_id', 'msg': 'scheduler_log_messages.msg',
    'msg_ts': "date_part('epoch', scheduler_log_messages.msg_time)",
})
_OPS = ('=', '!=', '<', '>', '<=', '>=', 'IN', 'NOT IN', 'IS', 'IS NOT')
# value kinds of the view fields (the rest are text); a clause value must fit its field
_INT_FIELDS = ('id', 'task_id', 'host_id', 'channel_id', 'owner', 'state')
_BOOL_FIELDS = ('active', 'host_ready', 'by_host', 'soft')


def _clause_value(name, value, clause):
    """A clause value checked against its field: numbers may come as digit strings (as
    upstream's scheduler-info sends --host), and host_id also takes a host name."""
    if isinstance(value, (list, tuple)):
        return [_clause_value(name, v, clause) for v in value]
    if value is None:
        return None
    if name in _INT_FIELDS:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, str) and name == 'host_id':
            host_id = QueryProcessor(columns=['id'], tables=['host'],
                                     clauses=['name = %(name)s'],
                                     values={'name': value}).singleValue(strict=False)
            if host_id is None:
                raise koji.GenericError('No such host: %s' % value)
            return host_id
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
    elif name == 'ts' or name.endswith('_ts'):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    elif isinstance(value, str):
        return value
    raise koji.ParameterError('Invalid value in clause: %r' % (clause,))


def _clause_sql(fieldmap, clause, key, values):
    """SQL of one clause: [field, op, value], or [field, value] meaning '=' (IN for a
    list); '=' / '!=' with None mean IS NULL / IS NOT NULL."""
    if not isinstance(clause, (list, tuple)) or len(clause) not in (2, 3):
        raise koji.ParameterError('Invalid clause: %r' % (clause,))
    if len(clause) == 2:
        name, value = clause
        op = 'IN' if isinstance(value, (list, tuple)) else '='
    else:
        name, op, value = clause
        op = ' '.join(op.upper().split()) if isinstance(op, str) else None
    if not isinstance(name, str) or name not in fieldmap or op not in _OPS:
        raise koji.ParameterError('Invalid clause: %r' % (clause,))
    column = fieldmap[name]
    if value is None and op in ('=', '!='):
        op = 'IS' if op == '=' else 'IS NOT'
    if op in ('IS', 'IS NOT'):
        if value is not None and not isinstance(value, bool):
            raise koji.ParameterError('IS needs None or a bool: %r' % (clause,))
        return '%s %s %s' % (column, op, {None: 'NULL', True: 'TRUE', False: 'FALSE'}[value])
    if op in ('IN', 'NOT IN'):
        if not isinstance(value, (list, tuple)):
            raise koji.ParameterError('IN needs a list: %r' % (clause,))
        values[key] = _clause_value(name, value, clause)
        sql = '%s = ANY(%%(%s)s)' % (column, key)
        return sql if op == 'IN' else 'NOT (%s)' % sql
    if isinstance(value, (list, tuple)):
        raise koji.ParameterError('Invalid clause: %r' % (clause,))
    values[key] = _clause_value(name, value, clause)
    return '%s %s %%(%s)s' % (column, op, key)


def _view(table, fieldmap, defaults, clauses, fields, opts):
    """A small QueryView: clauses are [field, op, value] triples over the view's fields."""
    fields = list(fields) if fields else list(defaults)
    for name in fields:
        if name not in fieldmap:
            raise koji.ParameterError('Invalid field: %s' % name)
    sql_clauses = []
    values = {}
    for i, clause in enumerate(clauses or []):
        sql_clauses.append(_clause_sql(fieldmap, clause, 'v%i' % i, values))
    opts = dict(opts or {})
    if 'order' not in opts and 'id' in fields:
        opts['order'] = 'id'
    order = opts.get('order')
    if order:
        for name in order.split(','):
            if name.strip().lstrip('-') not in fields:
                raise koji.ParameterError('Invalid order: %s' % order)
    query_opts = dict((k, v) for k, v in opts.items()
                      if k in ('order', 'limit', 'offset', 'countOnly'))
    joins = [_TASK_JOIN % table, _HOST_JOIN % table]
    return QueryProcessor(columns=[fieldmap[f] for f in fields], aliases=fields,
                          tables=[table], joins=joins, clauses=sql_clauses, values=values,
                          opts=query_opts).execute()


def get_task_runs(clauses=None, fields=None, opts=None):
    return _view('scheduler_task_runs', _RUN_FIELDS,
                 ('active', 'create_ts', 'host_id', 'id', 'task_id'), clauses, fields, opts)


def get_task_refusals(clauses=None, fields=None):
    return _view('scheduler_task_refusals', _REFUSAL_FIELDS,
                 ('by_host', 'host_id', 'id', 'msg', 'soft', 'task_id', 'ts'), clauses,
                 fields, None)


def get_log_messages(clauses=None, fields=None, opts=None):
    return _view('scheduler_log_messages', _LOG_FIELDS,
                 ('host_id', 'id', 'msg', 'msg_ts', 'task_id'), clauses, fields, opts)


def get_host_data(hostID=None):
    clauses = []
    values = {}
    if hostID is not None:
        clauses.append('host_id = %(host_id)s')
        values['host_id'] = hostID
    return QueryProcessor(columns=['host_id', 'data'], tables=['scheduler_host_data'],
                          clauses=clauses, values=values, opts={'order': 'host_id'}).execute()


def do_assign(task_id, host, force=False, override=False):
    """assignTask: put a task on a host by hand.

    Without override the assignment is an ordinary scheduler run (AssignTimeout applies);
    with override it has no run record and the scheduler leaves it alone.
    """
    from ..hosts.hosts import get_host
    context.session.assertPerm('admin')
    hostinfo = get_host(host, strict=True)
    task = Task(task_id)
    if not task.assign(hostinfo['id'], force=force):
        return False
    if override:
        UpdateProcessor('scheduler_task_runs', data={'active': False},
                        clauses=['task_id = %(id)s', 'active = TRUE'],
                        values={'id': task.id}).execute()
    else:
        _start_run({hostinfo['id']: [task.id]})
    log_db('Assigned by %s%s' % (context.session.user_data.get('name'),
                                 ' (override)' if override else ''), task.id, hostinfo['id'])
    return True


def do_run(force=False):
    context.session.assertPerm('admin')
    return TaskScheduler().run(force=force)


class SchedulerExports(object):
    """The ``scheduler.`` namespace."""

    getTaskRuns = staticmethod(get_task_runs)
    getTaskRefusals = staticmethod(get_task_refusals)
    getHostData = staticmethod(get_host_data)
    getLogMessages = staticmethod(get_log_messages)
    doRun = staticmethod(do_run)


class SchedulerRootExports(object):
    """assignTask lives at the top level but belongs to the scheduler."""

    assignTask = staticmethod(do_assign)
