"""Tasks: the read side (getTaskInfo, listTasks, requests, results, task trees).

Task rows are written by makeTask and the host calls (the task system work); here we only
read them, decoding the stored XML-RPC request/result documents where asked.
"""
import base64

import koji
from koji import xmlrpcplus

from ..builds.builds import time_arg
from ..core.db import QueryProcessor

# (expression, alias) of the task record returned by getTaskInfo and friends
TASK_FIELDS = (
    ('task.id', 'id'),
    ('task.state', 'state'),
    ('task.create_time', 'create_time'),
    ("date_part('epoch', task.create_time)", 'create_ts'),
    ('task.start_time', 'start_time'),
    ("date_part('epoch', task.start_time)", 'start_ts'),
    ('task.completion_time', 'completion_time'),
    ("date_part('epoch', task.completion_time)", 'completion_ts'),
    ('task.channel_id', 'channel_id'),
    ('task.host_id', 'host_id'),
    ('task.parent', 'parent'),
    ('task.label', 'label'),
    ('task.waiting', 'waiting'),
    ('task.awaited', 'awaited'),
    ('task.owner', 'owner'),
    ('task.method', 'method'),
    ('task.arch', 'arch'),
    ('task.priority', 'priority'),
    ('task.weight', 'weight'),
)

FINISHED_STATES = (koji.TASK_STATES['CLOSED'], koji.TASK_STATES['CANCELED'],
                   koji.TASK_STATES['FAILED'])


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _task_id(value):
    """Task ids may arrive as strings (large ids from old clients)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise koji.ParameterError('Invalid task id: %r' % (value,))


def _xml_text(data):
    """Stored documents are XML, except very old rows which are base64 of the XML."""
    if data.find('<?xml', 0, 10) == -1:
        data = base64.b64decode(data).decode('utf-8')
    return data


def decode_request(data):
    """Params of a stored methodCall document (a tuple)."""
    params, _method = xmlrpcplus.loads(_xml_text(data))
    return params


def decode_result(data):
    """A stored methodResponse: its value, or a fault dict (listTasks decode style)."""
    try:
        params, _method = xmlrpcplus.loads(_xml_text(data))
    except xmlrpcplus.Fault as fault:
        return {'faultCode': fault.faultCode, 'faultString': fault.faultString}
    if isinstance(params, tuple) and len(params) == 1:
        return params[0]
    return params


def _task_query(clauses, values, request=False, opts=None):
    fields = list(TASK_FIELDS)
    if request:
        fields.append(('task.request', 'request'))
    return QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                          tables=['task'], clauses=clauses, values=values, opts=opts)


def _decode_requests(rows):
    for row in rows:
        if row.get('request') is not None:
            row['request'] = decode_request(row['request'])
    return rows


def get_task_info(task_id, request=False, strict=False):
    """One task record, or a list of them (None for unknown ids) for a list of ids."""
    if isinstance(task_id, (list, tuple)):
        ids = [_task_id(t) for t in task_id]
        rows = _task_query(['task.id = ANY(%(ids)s)'], {'ids': ids}, request).execute()
        by_id = dict((row['id'], row) for row in _decode_requests(rows))
        if strict and any(i not in by_id for i in ids):
            raise koji.GenericError('query returned no rows')
        # the same id may be asked for twice; give each position its own dict
        return [dict(by_id[i]) if i in by_id else None for i in ids]
    query = _task_query(['task.id = %(id)s'], {'id': _task_id(task_id)}, request)
    task = query.executeOne(strict=strict)
    if task is not None:
        _decode_requests([task])
    return task


def get_task_request(taskId):
    """Decoded params of the call that created the task."""
    query = QueryProcessor(columns=['request'], tables=['task'], clauses=['id = %(id)s'],
                           values={'id': _task_id(taskId)})
    row = query.executeOne()
    if row is None:
        raise koji.GenericError('No such task: %s' % taskId)
    if row['request'] is None:
        return None
    return decode_request(row['request'])


def get_task_result(taskId, raise_fault=True):
    """Decoded result of a finished task; a failed task raises the fault it stored."""
    task_id = _task_id(taskId)
    query = QueryProcessor(columns=['state', 'result'], tables=['task'],
                           clauses=['id = %(id)s'], values={'id': task_id})
    row = query.executeOne()
    if row is None:
        raise koji.GenericError('No such task: %s' % taskId)
    if row['state'] == koji.TASK_STATES['CANCELED']:
        raise koji.GenericError('Task %i is canceled' % task_id)
    if row['state'] not in (koji.TASK_STATES['CLOSED'], koji.TASK_STATES['FAILED']):
        raise koji.GenericError('Task %i is not finished' % task_id)
    if row['result'] is None:
        return None
    try:
        params, _method = xmlrpcplus.loads(_xml_text(row['result']))
    except xmlrpcplus.Fault as fault:
        if raise_fault:
            raise
        return {'faultCode': fault.faultCode, 'faultString': fault.faultString}
    return params[0]


def task_finished(taskId):
    """True once the task is CLOSED, CANCELED or FAILED."""
    query = QueryProcessor(columns=['state'], tables=['task'], clauses=['id = %(id)s'],
                           values={'id': _task_id(taskId)})
    state = query.singleValue(strict=False)
    if state is None:
        raise koji.GenericError('No such task: %s' % taskId)
    return state in FINISHED_STATES


def get_task_children(task_id, request=False, strict=False):
    """Direct children of a task, oldest first."""
    task_id = _task_id(task_id)
    if strict:
        get_task_info(task_id, strict=True)
    query = _task_query(['task.parent = %(parent)s'], {'parent': task_id}, request,
                        opts={'order': 'id'})
    return _decode_requests(query.execute())


def get_task_descendents(task_id, request=False):
    """{str(id): children} for every task of the subtree rooted at task_id.

    One recursive query fetches the whole subtree; leaves map to empty lists.
    """
    task_id = _task_id(task_id)
    fields = list(TASK_FIELDS)
    if request:
        fields.append(('task.request', 'request'))
    query = QueryProcessor(
        columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
        tables=['task'],
        clauses=['task.id IN (WITH RECURSIVE subtree(id) AS ('
                 'SELECT id FROM task WHERE parent = %(root)s '
                 'UNION SELECT t.id FROM task t JOIN subtree s ON t.parent = s.id) '
                 'SELECT id FROM subtree)'],
        values={'root': task_id}, opts={'order': 'id'})
    rows = _decode_requests(query.execute())
    result = {str(task_id): []}
    for row in rows:
        result.setdefault(str(row['id']), [])
    for row in rows:
        result[str(row['parent'])].append(row)
    return result


def _list_clause(column, key, value, values, negate=False):
    """column compared with a scalar, a list, or None (IS NULL)."""
    if value is None:
        return '%s IS %sNULL' % (column, 'NOT ' if negate else '')
    if isinstance(value, (list, tuple)):
        values[key] = list(value)
        clause = '%s = ANY(%%(%s)s)' % (column, key)
    else:
        values[key] = value
        clause = '%s = %%(%s)s' % (column, key)
    if negate:
        clause = 'NOT (%s)' % clause
    return clause


# listTasks time filters: opts key -> (column, operator); completed* are aliases
_TIME_OPTS = (
    ('createdBefore', 'task.create_time', '<'),
    ('createdAfter', 'task.create_time', '>'),
    ('startedBefore', 'task.start_time', '<'),
    ('startedAfter', 'task.start_time', '>'),
    ('completeBefore', 'task.completion_time', '<'),
    ('completeAfter', 'task.completion_time', '>'),
    ('completedBefore', 'task.completion_time', '<'),
    ('completedAfter', 'task.completion_time', '>'),
)


def list_tasks(opts=None, queryOpts=None):
    """Tasks matching opts (listTasks).

    Filters: id, arch, state, owner, host_id, channel_id, parent (a value, a list, or None
    meaning NULL) and their not_* variants, method, and created/started/complete
    Before/After. decode=True turns request/result into Python values.
    """
    if opts is not None and not isinstance(opts, dict):
        raise koji.ParameterError('Invalid opts: %s, expected a dict' % type(opts).__name__)
    opts = dict(opts or {})
    queryOpts = dict(queryOpts or {})
    count_only = bool(queryOpts.get('countOnly'))
    fields = list(TASK_FIELDS) + [('task.request', 'request'), ('task.result', 'result')]
    joins = []
    if not count_only:
        fields += [('users.name', 'owner_name'), ('users.usertype', 'owner_type')]
        joins.append('users ON task.owner = users.id')
    clauses = []
    values = {}
    for key in ('id', 'arch', 'state', 'owner', 'host_id', 'channel_id', 'parent'):
        column = 'task.' + key
        if key in opts:
            clauses.append(_list_clause(column, key, opts[key], values))
        if 'not_' + key in opts:
            clauses.append(_list_clause(column, 'not_' + key, opts['not_' + key], values,
                                        negate=True))
    if opts.get('method') is not None:
        clauses.append(_list_clause('task.method', 'method', opts['method'], values))
    for key, column, op in _TIME_OPTS:
        if opts.get(key) is not None:
            clauses.append('%s %s %%(%s)s' % (column, op, key))
            values[key] = time_arg(opts[key])
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=['task'], joins=joins, clauses=clauses, values=values,
                           opts=queryOpts)
    tasks = query.execute()
    if count_only or not opts.get('decode'):
        return tasks
    if queryOpts.get('asList'):
        aliases = sorted(f[1] for f in fields)
        positions = [(aliases.index('request'), decode_request),
                     (aliases.index('result'), decode_result)]
        for row in tasks:
            for pos, decoder in positions:
                if row[pos]:
                    row[pos] = decoder(row[pos])
        return tasks
    for task in tasks:
        if task['request']:
            task['request'] = decode_request(task['request'])
        if task['result']:
            task['result'] = decode_result(task['result'])
    return tasks


class TaskQueryExports(object):
    """Read-only task calls, bound into RootExports."""

    def getTaskInfo(self, task_id, request=False, strict=False):
        """Task record(s) for an id or a list of ids; request=True adds the params."""
        return get_task_info(task_id, request=request, strict=strict)

    def getTaskRequest(self, taskId):
        """Decoded params of the call that created the task."""
        return get_task_request(taskId)

    def getTaskResult(self, taskId, raise_fault=True):
        """Result of a finished task; a failed task raises its fault."""
        return get_task_result(taskId, raise_fault=raise_fault)

    def getTaskChildren(self, task_id, request=False, strict=False):
        """Direct child tasks, oldest first."""
        return get_task_children(task_id, request=request, strict=strict)

    def getTaskDescendents(self, task_id, request=False):
        """{str(task id): children} for the whole subtree."""
        return get_task_descendents(task_id, request=request)

    def taskFinished(self, taskId):
        """True once the task is CLOSED, CANCELED or FAILED."""
        return task_finished(taskId)

    listTasks = staticmethod(list_tasks)
