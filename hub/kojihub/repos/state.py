"""Repo state changes: repo_set_state and its rules, repoExpire/repoProblem/repoDelete,
the 'latest' symlink and the hook that satisfies queued requests when a repo is READY.

States only move upward (INIT < READY < EXPIRED < DELETED < PROBLEM by value) except that
any state may become DELETED; DELETED is terminal; the same state again is a no-op.
"""
import json
import logging
import os

import koji
from koji.context import context

from ..core.db import QueryProcessor, Savepoint, UpdateProcessor
from .opts import convert_value
from .repos import repo_references
from .view import RepoQuery, RepoQueueQuery

logger = logging.getLogger('koji.repo')


def repo_set_state(repo_id, state, check=True):
    """Move a repo to a state (koji.REPO_STATES value), enforcing the transition rules."""
    repo_id = convert_value(repo_id, cast=int)
    if isinstance(state, bool) or not isinstance(state, int) or state < 0:
        raise koji.ParameterError(f'Unknown repo state: {state}')
    try:
        name = koji.REPO_STATES[state]
    except (IndexError, KeyError):
        raise koji.ParameterError(f'Unknown repo state: {state}')
    if check:
        query = QueryProcessor(tables=['repo'], columns=['state'],
                               clauses=['id = %(repo_id)s'], values={'repo_id': repo_id},
                               opts={'rowlock': True})
        oldstate = query.singleValue()
        oldname = koji.REPO_STATES[oldstate]
        if oldstate > state and state != koji.REPO_DELETED:
            raise koji.GenericError(f'Invalid repo state transition for repo {repo_id}: '
                                    f'{oldname} -> {name}')
        elif oldstate == state:
            logger.warning(f'Repo {repo_id} is already in state {name}')
            return
        elif oldstate == koji.REPO_DELETED:
            raise koji.GenericError(f'Repo {repo_id} is deleted')
    UpdateProcessor('repo', clauses=['id = %(repo_id)s'], values={'repo_id': repo_id},
                    data={'state': state}, rawdata={'state_time': 'NOW()'}).execute()
    if state == koji.REPO_READY:
        repo_done_hook(repo_id)


def repo_ready(repo_id):
    repo_set_state(repo_id, koji.REPO_READY)


def repo_expire(repo_id):
    repo_set_state(repo_id, koji.REPO_EXPIRED)


def repo_problem(repo_id):
    repo_set_state(repo_id, koji.REPO_PROBLEM)


def repo_delete(repo_id):
    """Mark a repo DELETED unless live buildroots use it; returns their number."""
    repo_id = convert_value(repo_id, cast=int)
    QueryProcessor(tables=['repo'], columns=['id'], clauses=['id = %(repo_id)s'],
                   values={'repo_id': repo_id}, opts={'rowlock': True}).execute()
    references = repo_references(repo_id)
    if not references:
        repo_set_state(repo_id, koji.REPO_DELETED)
    return len(references)


def repo_done_hook(repo_id):
    """Mark satisfied the active requests a newly READY (non-dist) repo fulfils.

    A request matches when the repo has every option it asked for, it asked for every
    custom option of the repo, and the repo is at its at_event or not older than its
    min_event.  A failure here is logged, never fatal to the state change.
    """
    savepoint = Savepoint('repo_done_hook')
    try:
        repo = RepoQuery([['id', '=', repo_id]]).executeOne()
        if not repo or repo['dist']:
            return
        if repo['opts'] is None or repo['custom_opts'] is None:
            logger.error('Repo with invalid opts values: %r', repo)
            return
        base = [['tag_id', '=', repo['tag_id']], ['active', 'IS', True],
                ['repo_id', 'IS', None], ['opts', '<@', json.dumps(repo['opts'])],
                ['opts', '@>', json.dumps(repo['custom_opts'])]]
        ids = []
        for extra in (['min_event', '<=', repo['create_event']],
                      ['at_event', '=', repo['create_event']]):
            ids += [r['id'] for r in RepoQueueQuery(base + [extra], ['id']).execute()]
        if ids:
            UpdateProcessor('repo_queue', clauses=['id = ANY(%(ids)s)'], values={'ids': ids},
                            data={'repo_id': repo['id'], 'active': False},
                            rawdata={'update_time': 'NOW()'}).execute()
    except Exception:
        savepoint.rollback()
        logger.exception('Failed to update repo queue')


def symlink_if_latest(repo):
    """Point <tag>/latest at the repo if it is the newest default-option (or dist) repo."""
    if repo['custom_opts'] and not repo['dist']:
        return False
    clauses = [['tag_id', '=', repo['tag_id']], ['state', '=', koji.REPO_READY],
               ['create_event', '>', repo['create_event']]]
    if repo['dist']:
        clauses.append(['dist', 'IS', True])
    else:
        clauses.append(['custom_opts', '=', '{}'])
    if RepoQuery(clauses, ['id']).execute():
        return False
    if repo['dist']:
        link = koji.pathinfo.distrepo('latest', repo['tag_name'])
    else:
        link = koji.pathinfo.repo('latest', repo['tag_name'])
    try:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(str(repo['id']), link)
    except OSError:
        logger.error('Unable to create latest link: %s', link)
        return False
    return True


def repo_expire_call(repo_id):
    """repoExpire (repo perm)."""
    context.session.assertPerm('repo')
    repo_expire(repo_id)


def repo_problem_call(repo_id):
    """repoProblem (repo perm)."""
    context.session.assertPerm('repo')
    repo_problem(repo_id)


def repo_delete_call(repo_id):
    """repoDelete (repo perm): the number of references; 0 means it is now DELETED."""
    context.session.assertPerm('repo')
    return repo_delete(repo_id)


def set_state_call(repo_id, state):
    """repo.setState (repo perm)."""
    context.session.assertPerm('repo')
    repo_set_state(repo_id, state)


class RepoStateExports(object):
    """Root calls changing repo states."""
    repoExpire = staticmethod(repo_expire_call)
    repoProblem = staticmethod(repo_problem_call)
    repoDelete = staticmethod(repo_delete_call)
