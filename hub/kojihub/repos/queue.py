"""The repo request queue (repos on demand): repo.request / repo.get / repo.checkRequest,
and the queue pass kojira triggers (repo.checkQueue) that turns waiting requests into
newRepo tasks.

A request names a tag, options and either at_event or min_event.  It is satisfied by a
READY repo of the tag having every requested option, no custom option the request did not
ask for, and create_event == at_event (or >= min_event).
"""
import json
import logging

import koji
from koji.context import context
from koji.util import joinpath

from ..core.db import (DeleteProcessor, InsertProcessor, Savepoint, UpdateProcessor, db_lock,
                       nextval)
from ..core.history import tag_last_change_event
from ..core.lookup import get_id
from ..tags.tags import get_tag, get_tag_id
from ..tasks.task_actions import Task, make_task
from .opts import check_event, convert_repo_opts, convert_value, default_min_event
from .repos import repo_info
from .view import RepoQuery, RepoQueueQuery

logger = logging.getLogger('koji.repo')

REPO_TASK_PRIORITY = 15


def get_repo(tag, min_event=None, at_event=None, opts=None):
    """repo.get: newest READY non-dist repo satisfying the constraints, or None."""
    tag_id = get_tag_id(tag, strict=True)
    min_event = convert_value(min_event, int, none_allowed=True)
    at_event = convert_value(at_event, int, none_allowed=True)
    opts = convert_repo_opts(opts, strict=True)
    clauses = [
        ['tag_id', '=', tag_id],
        ['dist', 'IS', False],
        ['state', '=', koji.REPO_READY],
        # every requested option, and no custom option that was not requested
        ['opts', '@>', json.dumps(opts)],
        ['custom_opts', '<@', json.dumps(opts)],
    ]
    if at_event is not None:
        clauses.append(['create_event', '=', at_event])
    elif min_event is not None:
        clauses.append(['create_event', '>=', min_event])
    return RepoQuery(clauses, '**', {'order': '-create_event', 'limit': 1}).executeOne()


def _request_priority(priority):
    if priority is None:
        return koji.PRIO_DEFAULT
    priority = convert_value(priority, cast=int)
    if priority < 0 and not context.session.hasPerm('admin'):
        raise koji.ActionNotAllowed('only admins may create high-priority requests')
    return koji.PRIO_DEFAULT + priority


def request_repo(tag, min_event=None, at_event=None, opts=None, priority=None, force=False):
    """repo.request: {'repo', 'request', 'duplicate'} for a wanted repo.

    min_event 'last' means the tag's last change; None the lagged default.  An existing
    matching repo answers at once (unless force); a matching active request is reused.
    A new request gets a queue pass at once, so its task starts without waiting for
    kojira's next repo.checkQueue (same outcome, sooner).
    """
    ret = queue_request(tag, min_event, at_event, opts, priority, force)
    if ret['request'] and not ret['duplicate']:
        early_queue_pass()
        ret['request'] = RepoQueueQuery([['id', '=', ret['request']['id']]], '**').executeOne()
    return ret


def queue_request(tag, min_event=None, at_event=None, opts=None, priority=None, force=False):
    """request_repo without the queue pass (the caller runs one)."""
    context.session.assertLogin()
    taginfo = get_tag(tag, strict=True)
    opts = convert_repo_opts(opts, strict=True)
    if opts.get('maven') and not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')
    if at_event is not None:
        if min_event is not None:
            raise koji.ParameterError('The min_event and at_event options conflict')
        at_event = check_event(at_event)
    elif min_event == 'last':
        min_event = tag_last_change_event(taginfo['id'])
    elif min_event is None:
        min_event = default_min_event(taginfo)
    else:
        min_event = check_event(min_event)
    priority = _request_priority(priority)

    ret = {'repo': None, 'request': None, 'duplicate': False}
    if not force:
        repo = get_repo(taginfo['id'], min_event=min_event, at_event=at_event, opts=opts)
        if repo:
            ret['repo'] = repo
            return ret

    clauses = [['tag_id', '=', taginfo['id']], ['active', 'IS', True],
               ['opts', '=', json.dumps(opts)]]
    if at_event is not None:
        clauses.append(['at_event', '=', at_event])
    else:
        clauses.append(['min_event', '>=', min_event])
    check = RepoQueueQuery(clauses, '**', {'order': 'priority,id', 'limit': 1}).executeOne()
    if check:
        if check['priority'] > priority:
            set_request_priority(check['id'], priority)
            check['priority'] = priority
        ret['request'] = check
        ret['duplicate'] = True
        return ret

    req_id = nextval('repo_queue_id_seq')
    InsertProcessor('repo_queue', data={
        'id': req_id,
        'owner': context.session.user_id,
        'priority': priority,
        'tag_id': taginfo['id'],
        'at_event': at_event,
        'min_event': min_event,
        'opts': json.dumps(opts),
    }).execute()
    logger.info('New repo request for %(name)s', taginfo)
    ret['request'] = RepoQueueQuery([['id', '=', req_id]], '**').executeOne()
    return ret


def check_repo_request(req_id):
    """repo.checkRequest: {'request', 'repo'} plus 'task' while one is pending."""
    req_id = convert_value(req_id, int)
    req = RepoQueueQuery([['id', '=', req_id]], '**').executeOne()
    if not req:
        raise koji.GenericError('No such request')
    ret = {'repo': None, 'request': req}
    if req['repo_id']:
        ret['repo'] = repo_info(req['repo_id'])
    elif req['task_id']:
        ret['task'] = Task(req['task_id']).getInfo()
    return ret


def set_request_priority(req_id, priority):
    req_id = convert_value(req_id, int)
    priority = convert_value(priority, int)
    UpdateProcessor('repo_queue', data={'priority': priority}, clauses=['id = %(id)s'],
                    values={'id': req_id}).execute()


def set_request_priority_call(req_id, priority):
    """repo.setRequestPriority (admin)."""
    context.session.assertPerm('admin')
    set_request_priority(req_id, priority)


# ---------------------------------------------------------------------------
# the queue pass

def get_repo_from_task(task_id):
    """The repo a finished newRepo task reported ([repo_id, event_id]), or None."""
    try:
        repo_id = int(Task(task_id).getResult()[0])
    except Exception as e:
        logger.error('Error reading result for task %s: %s', task_id, e)
        return None
    repo = RepoQuery([['id', '=', repo_id]]).executeOne()
    if not repo:
        logger.error('Task %s reported invalid repo: %r', task_id, repo_id)
    return repo


def valid_repo(req, repo):
    """Whether the repo a request's task made really satisfies the request."""
    problem = None
    if repo['tag_id'] != req['tag_id']:
        problem = 'wrong tag'
    elif repo['state'] != koji.REPO_READY:
        problem = 'wrong state'
    elif req['at_event'] is not None and repo['create_event'] != req['at_event']:
        problem = 'wrong event'
    elif req['at_event'] is None and repo['create_event'] < req['min_event']:
        problem = 'before min_event'
    elif not repo['opts']:
        problem = 'no opts'
    elif any(repo['opts'].get(k) != v or k not in repo['opts']
             for k, v in req['opts'].items()):
        problem = 'wrong opts'
    elif any(k not in req['opts'] or req['opts'][k] != v
             for k, v in (repo.get('custom_opts') or {}).items()):
        problem = 'wrong custom opts'
    if problem:
        logger.error('Request %s got repo %s with %s', req['id'], repo['id'], problem)
        return False
    return True


def repo_queue_task(req):
    """Make the newRepo task for a request (owned by RepoQueueUser if it exists)."""
    opts = convert_repo_opts(req['opts'] or {}, strict=True)
    kwargs = {'opts': opts}
    if req['at_event'] is not None:
        kwargs['event'] = req['at_event']
    args = koji.encode_args({'id': req['tag_id'], 'name': req['tag_name']}, **kwargs)
    taskopts = {'priority': REPO_TASK_PRIORITY, 'channel': 'createrepo'}
    user_id = get_id('users', context.opts.get('RepoQueueUser', 'kojira'), strict=False)
    if user_id:
        taskopts['owner'] = user_id
    koji.ensuredir(joinpath(koji.pathinfo.topdir, 'repos'))
    return make_task('newRepo', args, **taskopts)


def _check_task(req, updates):
    """Pass 1 for a request with a task: True if the task is still running."""
    closed = koji.TASK_STATES['CLOSED']
    failed = (koji.TASK_STATES['CANCELED'], koji.TASK_STATES['FAILED'])
    retry = False
    if req['task_state'] == closed:
        repo = get_repo_from_task(req['task_id'])
        if repo and valid_repo(req, repo):
            updates['repo_id'] = repo['id']
            updates['active'] = False
        else:
            retry = True
    elif req['task_state'] in failed:
        logger.warning('Repo task did not complete: %(task_id)s', req)
        retry = True
    else:
        return True
    if retry:
        if req['tries'] > context.opts.get('RepoRetries', 3):
            logger.error('Retries exhausted for repo request: %r', req)
            updates['active'] = False
        else:
            updates['task_id'] = None
            req['task_id'] = None
    return False


def check_repo_queue():
    """One pass over the waiting requests (skipped if another pass holds the lock)."""
    if not db_lock('repo-queue', wait=False):
        return
    waiting = RepoQueueQuery([['repo_id', 'IS', None], ['active', 'IS', True]],
                             ('*', 'task_state', 'tag_name'),
                             {'order': 'priority,id'}).execute()
    max_tasks = context.opts.get('MaxRepoTasks', 10)
    max_maven = context.opts.get('MaxRepoTasksMaven', 2)
    n_tasks = n_maven = 0
    updates = {}
    for req in waiting:
        upd = updates.setdefault(req['id'], {})
        if req['task_id'] and _check_task(req, upd):
            n_tasks += 1
            if req['opts'].get('maven'):
                n_maven += 1
    for req in waiting:
        if req['task_id'] or updates[req['id']].get('active') is False:
            continue
        if n_tasks >= max_tasks:
            break
        maven = bool(req['opts'].get('maven'))
        if maven and n_maven >= max_maven:
            continue
        task_id = repo_queue_task(req)
        n_tasks += 1
        n_maven += maven
        updates[req['id']].update({'task_id': task_id, 'tries': (req['tries'] or 0) + 1})
        logger.info('Created task %i for repo request %i', task_id, req['id'])
    made = False
    for req_id, upd in updates.items():
        if upd:
            made = True
            UpdateProcessor('repo_queue', data=upd, clauses=['id = %(id)s'],
                            values={'id': req_id}, rawdata={'update_time': 'NOW()'}).execute()
    if made:
        clean_repo_queue()


def early_queue_pass():
    """check_repo_queue on behalf of a caller that only wanted to queue something.

    Its failure must not fail the caller's call (upstream would not have run it): it is
    rolled back and logged, and kojira's next repo.checkQueue does the work.
    """
    savepoint = Savepoint('early_repo_queue_pass')
    try:
        check_repo_queue()
    except Exception:
        savepoint.rollback()
        logger.exception('Repo queue pass failed')


def clean_repo_queue():
    """Drop inactive requests older than RequestCleanTime minutes."""
    n = DeleteProcessor('repo_queue', clauses=[
        'active IS FALSE', 'update_time < NOW() - %(age)s::interval'],
        values={'age': '%s minutes' % context.opts.get('RequestCleanTime', 1440)}).execute()
    if n:
        logger.info('Cleaned %s repo queue entries', n)


def check_queue_call():
    """repo.checkQueue (repo perm)."""
    context.session.assertPerm('repo')
    check_repo_queue()


def query_queue(clauses=None, fields=None, opts=None):
    """repo.queryQueue."""
    return RepoQueueQuery(clauses, fields, opts).execute()


def query_repos(clauses, fields=None, opts=None):
    """repo.query."""
    return RepoQuery(clauses, fields, opts).execute()
