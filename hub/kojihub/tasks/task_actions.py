"""Tasks: creation (make_task) and the state machine, plus the root calls that drive it.

States move FREE -> ASSIGNED -> OPEN -> CLOSED/FAILED, with CANCELED reachable from any
unfinished state and FREE reachable again from ASSIGNED/OPEN.  Every transition locks the
task row first (SELECT ... FOR UPDATE) so two hosts racing for one task cannot both win.

Builders are told about new work through PostgreSQL notifications on the channel
``koji_tasks`` (see docs/task-wakeup.md): payload ``free`` when a task becomes FREE and
``host:<id>`` when something a host should react to happens (assignment, cancel, a
finished subtask of a task it runs).  NOTIFY is transactional, so a listener only hears
about rows it can already read.
"""
import logging

import koji
import koji.plugin
from koji import xmlrpcplus
from koji.context import context

from ..core.argcheck import call_checked
from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, _dml, _fetchSingle, nextval
from ..core.lookup import get_id
from ..core.policy import eval_policy
from .tasks import FINISHED_STATES, TASK_FIELDS, _task_id, get_task_info

logger = logging.getLogger('koji.hub.tasks')

STATES = koji.TASK_STATES
ACTIVE_STATES = (STATES['FREE'], STATES['OPEN'], STATES['ASSIGNED'])
NOTIFY_CHANNEL = 'koji_tasks'


# ---------------------------------------------------------------------------
# notifications and callbacks

def notify(payload):
    """Queue a koji_tasks notification; PostgreSQL delivers it when we commit."""
    _dml('SELECT pg_notify(%(channel)s, %(payload)s)',
         {'channel': NOTIFY_CHANNEL, 'payload': payload})


def notify_hosts(host_ids):
    for host_id in sorted(set(h for h in host_ids if h)):
        notify('host:%i' % host_id)


def _callbacks_wanted():
    cbs = koji.plugin.callbacks
    return bool(cbs.get('preTaskStateChange') or cbs.get('postTaskStateChange'))


def _cb_value(attribute, value):
    if attribute == 'state' and value is not None:
        return STATES[value]
    return value


def _run_change(task_ids, attribute, new, apply, before=None):
    """Run apply() between the pre/postTaskStateChange callbacks of each task.

    The task records are only read when some plugin listens, so bulk transitions stay
    a single UPDATE otherwise.
    """
    if not _callbacks_wanted():
        return apply()
    infos = before or get_task_info(list(task_ids))
    for info in infos:
        if info is None:
            continue
        koji.plugin.run_callbacks('preTaskStateChange', attribute=attribute,
                                  old=_cb_value(attribute, info[attribute]),
                                  new=_cb_value(attribute, new), info=info)
    result = apply()
    for info in infos:
        if info is None:
            continue
        fresh = get_task_info(info['id'], request=True)
        if attribute == 'state' and new == STATES['CLOSED']:
            fresh['result'] = Task(info['id']).getResult(raise_fault=False)
        koji.plugin.run_callbacks('postTaskStateChange', attribute=attribute,
                                  old=_cb_value(attribute, info[attribute]),
                                  new=_cb_value(attribute, new), info=fresh)
    return result


# ---------------------------------------------------------------------------
# the Task object

def _caller_host_id():
    session = getattr(context, 'session', None)
    if session is None or not session.logged_in:
        return None
    if not hasattr(session, '_koji_host_id'):
        session._koji_host_id = session.getHostId()
    return session._koji_host_id


class Task(object):
    """One task row and the transitions allowed on it."""

    def __init__(self, id):
        self.id = _task_id(id)

    def _locked(self):
        """(state, host_id, owner, parent) with the row locked for this transaction."""
        row = _fetchSingle('SELECT state, host_id, owner, parent FROM task '
                           'WHERE id = %(id)s FOR UPDATE', {'id': self.id})
        if row is None:
            raise koji.GenericError('No such task: %i' % self.id)
        return row

    def getInfo(self, strict=True, request=False):
        return get_task_info(self.id, request=request, strict=strict)

    def getResult(self, raise_fault=True):
        from .tasks import get_task_result
        return get_task_result(self.id, raise_fault=raise_fault)

    def isFinished(self):
        return self._locked()[0] in FINISHED_STATES

    def getOwner(self):
        return self._locked()[2]

    # -- who may act

    def verifyHost(self, host_id=None):
        """True if host_id (default: the caller's host) runs this OPEN task."""
        if host_id is None:
            host_id = _caller_host_id()
        if host_id is None:
            return False
        state, task_host = self._locked()[:2]
        return state == STATES['OPEN'] and task_host == host_id

    def assertHost(self, host_id):
        if not self.verifyHost(host_id):
            raise koji.ActionNotAllowed('host %s does not own task %i' % (host_id, self.id))

    def verifyOwner(self, user_id=None):
        session = getattr(context, 'session', None)
        owner = self.getOwner()
        if user_id is not None:
            return owner == user_id
        return bool(session and session.logged_in and session.isUser(owner))

    def assertCanCancel(self):
        """owner, the host running it, or admin."""
        session = context.session
        if session.hasPerm('admin') or self.verifyOwner() or self.verifyHost():
            return
        raise koji.ActionNotAllowed('Cannot cancel task, not owner')

    # -- transitions

    def _set(self, data, rawdata=None, extra_clause=None, values=None):
        clauses = ['id = %(id)s']
        if extra_clause:
            clauses.append(extra_clause)
        vals = {'id': self.id}
        vals.update(values or {})
        update = UpdateProcessor('task', data=data, rawdata=rawdata or {}, clauses=clauses,
                                 values=vals)
        return update.execute()

    def lock(self, host_id, newstate='OPEN', force=False):
        """Claim the task for a host (FREE, or ASSIGNED to that host); False if refused.

        The row lock makes the claim atomic: of two hosts opening one task, the second
        sees the first one's state and is refused.
        """
        state, task_host = self._locked()[:2]
        newstate = STATES[newstate] if isinstance(newstate, str) else newstate
        if not force:
            if state == STATES['FREE']:
                if task_host is not None:
                    logger.warning('free task %i has a host %s', self.id, task_host)
            elif state == STATES['ASSIGNED']:
                if task_host != host_id or newstate == STATES['ASSIGNED']:
                    return False
            else:
                return False
        elif state in FINISHED_STATES:
            return False
        data = {'state': newstate, 'host_id': host_id}
        rawdata = {'start_time': 'NOW()'} if newstate == STATES['OPEN'] else None

        def apply():
            return self._set(data, rawdata)
        _run_change([self.id], 'state', newstate, apply)
        return True

    def assign(self, host_id, force=False):
        """FREE -> ASSIGNED (force also takes it away from another host)."""
        ok = self.lock(host_id, 'ASSIGNED', force=force)
        if ok:
            notify_hosts([host_id])
        return ok

    def open(self, host_id):
        """Open for host_id; the task record plus the raw request XML, or None."""
        if not self.lock(host_id, 'OPEN'):
            return None
        fields = list(TASK_FIELDS) + [('task.request', 'request')]
        query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                               tables=['task'], clauses=['id = %(id)s'],
                               values={'id': self.id})
        return query.executeOne(strict=True)

    def free(self):
        """OPEN/ASSIGNED -> FREE so another host can take it."""
        state = self._locked()[0]
        if not state:
            # FREE is state 0, which upstream's hub takes for a missing task
            raise koji.GenericError('No such task: %i' % self.id)
        if state in FINISHED_STATES:
            raise koji.GenericError('Cannot free task %i, state is %s'
                                    % (self.id, STATES[state]))

        def apply():
            return self._set({'state': STATES['FREE'], 'host_id': None})
        _run_change([self.id], 'state', STATES['FREE'], apply)
        notify('free')
        return True

    def setWeight(self, weight):
        self._locked()
        _run_change([self.id], 'weight', weight, lambda: self._set({'weight': weight}))

    def setPriority(self, priority, recurse=False):
        """Change the priority of this task (and its unfinished descendants)."""
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise koji.ParameterError('Invalid priority: %r' % (priority,))
        ids = [self.id]
        if recurse:
            ids += _descendant_ids(self.id, unfinished_only=True)

        def apply():
            return UpdateProcessor('task', data={'priority': priority},
                                   clauses=['id = ANY(%(ids)s)'],
                                   values={'ids': ids}).execute()
        _run_change(ids, 'priority', priority, apply)
        return ids

    def _close(self, result, state):
        """OPEN -> CLOSED/FAILED with the stored result document."""
        def apply():
            return self._set({'result': result, 'state': state},
                             {'completion_time': 'NOW()'})
        _run_change([self.id], 'state', state, apply)
        _notify_parent_hosts([self.id])

    def close(self, result):
        self._close(result, STATES['CLOSED'])

    def fail(self, result):
        self._close(result, STATES['FAILED'])

    def cancel(self, recurse=True):
        """Cancel the task (and by default its unfinished descendants).

        Returns True for a task already canceled, False for one that closed or failed
        (nothing changes then).
        """
        state = self._locked()[0]
        if state == STATES['CANCELED']:
            return True
        if state in FINISHED_STATES:
            return False
        ids = [self.id]
        if recurse:
            ids += _descendant_ids(self.id, unfinished_only=True)
        _cancel_ids(ids)
        return True

    def cancelChildren(self):
        """Cancel every unfinished descendant, leaving the task itself alone."""
        ids = _descendant_ids(self.id, unfinished_only=True)
        _cancel_ids(ids)
        return ids

    def cancelFull(self, strict=True):
        """Cancel the whole tree this task belongs to."""
        parent = self._locked()[3]
        if parent is not None:
            if strict:
                raise koji.GenericError('Task %i is not top-level (parent=%i)'
                                        % (self.id, parent))
            top = _top_level_id(self.id)
            return Task(top).cancelFull(strict=True)
        ids = [self.id] + _descendant_ids(self.id, unfinished_only=True)
        state = self._locked()[0]
        if state in FINISHED_STATES:
            ids = ids[1:]
        _cancel_ids(ids)
        return ids


def _descendant_ids(task_id, unfinished_only=False):
    """Ids of the whole subtree below task_id in one recursive query."""
    sql = ('WITH RECURSIVE sub(id, state) AS ('
           'SELECT id, state FROM task WHERE parent = %(root)s '
           'UNION SELECT t.id, t.state FROM task t JOIN sub ON t.parent = sub.id) '
           'SELECT id FROM sub')
    values = {'root': task_id}
    if unfinished_only:
        sql += ' WHERE state = ANY(%(active)s)'
        values['active'] = list(ACTIVE_STATES)
    sql += ' ORDER BY id'
    from ..core.db import _cursor
    cursor = _cursor()
    cursor.execute(sql, values)
    ids = [row[0] for row in cursor.fetchall()]
    cursor.close()
    return ids


def _top_level_id(task_id):
    sql = ('WITH RECURSIVE up(id, parent) AS ('
           'SELECT id, parent FROM task WHERE id = %(id)s '
           'UNION SELECT t.id, t.parent FROM task t JOIN up ON t.id = up.parent) '
           'SELECT id FROM up WHERE parent IS NULL')
    row = _fetchSingle(sql, {'id': task_id}, strict=True)
    return row[0]


def _cancel_ids(ids):
    """Cancel unfinished tasks among ids with one UPDATE; wake the hosts involved."""
    if not ids:
        return
    query = QueryProcessor(columns=['id', 'host_id'], tables=['task'],
                           clauses=['id = ANY(%(ids)s)', 'state = ANY(%(active)s)'],
                           values={'ids': list(ids), 'active': list(ACTIVE_STATES)},
                           opts={'rowlock': True, 'order': 'id'})
    rows = query.execute()
    live = [row['id'] for row in rows]
    if not live:
        return

    def apply():
        return UpdateProcessor('task', data={'state': STATES['CANCELED']},
                               rawdata={'completion_time': 'NOW()'},
                               clauses=['id = ANY(%(ids)s)'],
                               values={'ids': live}).execute()
    _run_change(live, 'state', STATES['CANCELED'], apply)
    _cancel_task_builds(live)
    notify_hosts([row['host_id'] for row in rows])
    _notify_parent_hosts(live)


def _cancel_task_builds(task_ids):
    """Builds still BUILDING for canceled tasks are canceled too (not their tasks again)."""
    from ..builds.build_lifecycle import cancel_build  # builds import this module
    query = QueryProcessor(columns=['id'], tables=['build'],
                           clauses=['task_id = ANY(%(ids)s)', 'state = %(building)s'],
                           values={'ids': list(task_ids),
                                   'building': koji.BUILD_STATES['BUILDING']},
                           opts={'rowlock': True, 'order': 'id'})
    for row in query.execute():
        cancel_build(row['id'], cancel_task=False)


def _notify_parent_hosts(task_ids):
    """Tell hosts running the parents of finished tasks (their wait may be over)."""
    query = QueryProcessor(columns=['parent.host_id'], aliases=['host_id'],
                           tables=['task'], joins=['task AS parent ON task.parent = parent.id'],
                           clauses=['task.id = ANY(%(ids)s)', 'parent.host_id IS NOT NULL'],
                           values={'ids': list(task_ids)})
    notify_hosts([row['host_id'] for row in query.execute()])


# ---------------------------------------------------------------------------
# task creation

def policy_data_from_task_args(method, arglist):
    """Policy fields (source, target, tag, build_tag, scratch) from a task's params.

    koji.tasks.parse_task_params knows each method's signature; a method it does not know
    (or params that do not fit) just gives no extra data.
    """
    try:
        from koji.tasks import parse_task_params
        params = parse_task_params(method, arglist)
    except Exception:
        return {}
    data = {}
    for key in ('src', 'url', 'spec_url'):
        if params.get(key) is not None:
            data['source'] = params[key]
            break
    for key in ('target', 'build_target'):
        if params.get(key) is not None:
            data['target'] = params[key]
            break
    for key in ('build_tag', 'root'):
        if params.get(key) is not None:
            data['build_tag'] = params[key]
            break
    for key in ('tag', 'tag_id'):
        if params.get(key) is not None:
            data['tag'] = params[key]
            break
    opts = params.get('opts')
    if isinstance(opts, dict) and 'scratch' in opts:
        data['scratch'] = opts['scratch']
    return data


def _policy_action(name, data):
    """First word and rest of a policy answer (None when nothing matched)."""
    result = eval_policy(name, data)
    if result is None:
        return None, None
    parts = result.split(None, 1)
    if not parts:
        return None, None
    return parts[0].lower(), (parts[1].strip() if len(parts) > 1 else '')


def _apply_channel_policy(data, parent_info, req_channel):
    action, arg = _policy_action('channel', data)
    if action is None:
        return 'default'
    if action == 'use' and arg:
        return arg.split()[0]
    if action == 'parent':
        if parent_info is None:
            raise koji.GenericError('channel policy: no parent task')
        return parent_info['channel_id']
    if action == 'req':
        if req_channel is None:
            raise koji.GenericError('channel policy: no channel requested')
        return req_channel
    raise koji.GenericError('invalid channel policy: %s %s' % (action, arg))


def _apply_priority_policy(data, priority):
    action, arg = _policy_action('priority', data)
    if action is None or action == 'stay':
        return priority
    try:
        if action == 'set':
            return int(arg)
        if action == 'adjust':
            return priority + int(arg)
    except (TypeError, ValueError):
        pass
    raise koji.GenericError('invalid priority policy: %s %s' % (action, arg))


def _channel_id(channel):
    if isinstance(channel, int) and not isinstance(channel, bool):
        info = get_id('channels', channel)
    else:
        info = get_id('channels', str(channel))
    if info is None:
        raise koji.GenericError('No such channel: %s' % channel)
    return info


def make_task(method, arglist, **opts):
    """Create a FREE task and return its id.

    opts: channel, arch, priority, parent, label, owner, assign (host id), policy data is
    built from these and the task's params.  A child with the same (parent, label) as an
    existing one returns that one's id, so a builder retrying after a failover does not
    spawn duplicates.
    """
    if not isinstance(method, str) or not method:
        raise koji.ParameterError('Invalid task method: %r' % (method,))
    if not isinstance(arglist, (list, tuple)):
        raise koji.ParameterError('Task arguments must be a list')
    unknown = set(opts) - {'channel', 'arch', 'priority', 'parent', 'label', 'owner',
                           'assign', 'policy_data'}
    if unknown:
        raise koji.ParameterError('Unknown task options: %s' % ', '.join(sorted(unknown)))
    parent = opts.get('parent')
    label = opts.get('label')
    parent_info = None
    if parent is not None:
        parent_info = get_task_info(_task_id(parent), strict=True)
        parent = parent_info['id']
        if label is not None:
            query = QueryProcessor(columns=['id'], tables=['task'],
                                   clauses=['parent = %(parent)s', 'label = %(label)s'],
                                   values={'parent': parent, 'label': label})
            existing = query.singleValue(strict=False)
            if existing is not None:
                return existing
        owner = parent_info['owner']
        priority = opts.get('priority')
        if priority is None:
            priority = parent_info['priority']
    else:
        if label is not None:
            raise koji.GenericError('Only child tasks may have a label')
        owner = opts.get('owner')
        if owner is None:
            owner = context.session.user_id
        elif not isinstance(owner, int) or isinstance(owner, bool):
            from ..users.users import get_user
            owner = get_user(owner, strict=True)['id']
        if owner is None:
            raise koji.ActionNotAllowed('tasks need an owner (log in first)')
        priority = opts.get('priority')
        if priority is None:
            priority = koji.PRIO_DEFAULT
    arch = opts.get('arch') or 'noarch'
    if not isinstance(arch, str) or len(arch) > 16:
        raise koji.ParameterError('Invalid arch: %r' % (arch,))
    req_channel = opts.get('channel')
    data = {'method': method, 'arch': arch, 'parent': parent, 'label': label,
            'owner': owner, 'user_id': owner}
    if req_channel is not None:
        data['req_channel'] = req_channel
    data.update(policy_data_from_task_args(method, arglist))
    data.update(opts.get('policy_data') or {})
    channel_id = _channel_id(_apply_channel_policy(data, parent_info, req_channel))
    priority = _apply_priority_policy(data, int(priority))

    task_id = nextval('task_id_seq')
    request = xmlrpcplus.dumps(tuple(arglist), methodname=method, allow_none=1)
    row = {'id': task_id, 'state': STATES['FREE'], 'method': method, 'request': request,
           'arch': arch, 'channel_id': channel_id, 'owner': owner, 'parent': parent,
           'label': label, 'priority': priority}
    cb_info = dict(row)
    cb_info.pop('id')
    koji.plugin.run_callbacks('preTaskStateChange', attribute='state', old=None,
                              new='FREE', info=cb_info)
    InsertProcessor('task', data=row).execute()
    cb_info['id'] = task_id
    koji.plugin.run_callbacks('postTaskStateChange', attribute='state', old=None,
                              new='FREE', info=cb_info)
    assign = opts.get('assign')
    if assign is not None:
        from ..hosts.hosts import get_host
        host = get_host(assign, strict=True)
        Task(task_id).assign(host['id'], force=True)
    else:
        notify('free')
    return task_id


# ---------------------------------------------------------------------------
# root calls

def _check_priority_arg(priority):
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise koji.ParameterError('Invalid priority: %r' % (priority,))


def make_task_call(*args, **opts):
    """makeTask: admins create any task from a raw method and params (no owner=)."""
    context.session.assertPerm('admin')
    if 'owner' in opts:
        raise koji.ActionNotAllowed('The owner option is not allowed here')
    return call_checked(make_task, args, opts)


def cancel_task(task_id, recurse=True):
    """cancelTask: owner, the host running it, or admin."""
    task = Task(task_id)
    task.assertCanCancel()
    task.cancel(recurse=recurse)


def cancel_task_full(task_id, strict=True):
    context.session.assertPerm('admin')
    Task(task_id).cancelFull(strict=strict)


def cancel_task_children(task_id):
    context.session.assertLogin()
    task = Task(task_id)
    task.assertCanCancel()
    task.cancelChildren()


def free_task(task_id):
    context.session.assertPerm('admin')
    Task(task_id).free()


def set_task_priority(task_id, priority, recurse=True):
    context.session.assertPerm('admin')
    _check_priority_arg(priority)
    task = Task(task_id)
    if task.isFinished():
        raise koji.GenericError('Task %i is already finished' % task.id)
    task.setPriority(priority, recurse=recurse)


def resubmit_task(taskID):
    """resubmitTask: a new task with the same method/args/arch/channel/priority."""
    context.session.assertLogin()
    task = Task(taskID)
    info = task.getInfo(request=True)
    if info['state'] not in (STATES['CANCELED'], STATES['FAILED']):
        raise koji.GenericError('only canceled or failed tasks may be resubmitted')
    if info['parent'] is not None:
        raise koji.GenericError('only top-level tasks may be resubmitted')
    if not (context.session.hasPerm('admin') or task.verifyOwner()):
        raise koji.ActionNotAllowed('only the task owner or an admin may resubmit')
    channel_name = QueryProcessor(columns=['name'], tables=['channels'],
                                  clauses=['id = %(id)s'],
                                  values={'id': info['channel_id']}).singleValue()
    return make_task(info['method'], info['request'], arch=info['arch'],
                     channel=channel_name, priority=info['priority'], owner=info['owner'])


def restart_hosts(priority=5, options=None):
    """restartHosts: queue the task that restarts every builder in turn (host perm)."""
    context.session.assertPerm('host')
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise koji.ParameterError('priority must be an integer: %r' % (priority,))
    if options is not None and not isinstance(options, dict):
        raise koji.ParameterError('options must be a dict: %r' % (options,))
    args = [] if options is None else [options]
    return make_task('restartHosts', args, priority=priority)


class TaskActionExports(object):
    """Task-changing root calls, bound into RootExports."""

    makeTask = staticmethod(make_task_call)
    cancelTaskFull = staticmethod(cancel_task_full)
    cancelTaskChildren = staticmethod(cancel_task_children)
    freeTask = staticmethod(free_task)
    resubmitTask = staticmethod(resubmit_task)
    restartHosts = staticmethod(restart_hosts)

    def cancelTask(self, task_id, recurse=True):
        """Cancel a task (and its children unless recurse=False)."""
        return cancel_task(task_id, recurse=recurse)

    def setTaskPriority(self, task_id, priority, recurse=True):
        """Change the priority of an unfinished task (and its subtasks)."""
        return set_task_priority(task_id, priority, recurse=recurse)


__all__ = ['Task', 'make_task', 'restart_hosts', 'policy_data_from_task_args', 'notify',
           'notify_hosts', 'TaskActionExports', 'NOTIFY_CHANNEL']
