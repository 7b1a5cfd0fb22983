"""Repo record reads: getRepo (legacy), repoInfo, getActiveRepos, repo.references."""
import logging

import koji

from ..core.db import QueryProcessor
from ..tags.tags import get_tag_id
from .opts import convert_value
from .view import RepoQuery

logger = logging.getLogger('koji.repo')


def repo_info(repo_id, strict=False):
    """repoInfo: one repo record (every RepoQuery field) by id."""
    repo_id = convert_value(repo_id, cast=int, none_allowed=True)
    return RepoQuery([['id', '=', repo_id]], fields='**').executeOne(strict=strict)


def old_get_repo(tag, state=None, event=None, dist=False, min_event=None):
    """getRepo: the newest repo of a tag (by creation time).

    With ``event`` the newest repo created at or before it, whatever its state (the
    argument once meant "the repo for this old event"); else the newest in ``state``
    (READY by default).
    """
    tag_id = get_tag_id(tag, strict=True)
    state = convert_value(state, int, none_allowed=True)
    event = convert_value(event, int, none_allowed=True)
    min_event = convert_value(min_event, int, none_allowed=True)
    dist = convert_value(dist, bool)
    clauses = [['tag_id', '=', tag_id], ['dist', 'IS', dist]]
    if event:
        clauses.append(['create_event', '<=', event])
    else:
        clauses.append(['state', '=', koji.REPO_READY if state is None else state])
    if min_event is not None:
        clauses.append(['create_event', '>=', min_event])
    opts = {'order': '-creation_time,-id', 'limit': 1}
    return RepoQuery(clauses, '**', opts).executeOne()


def get_active_repos():
    """getActiveRepos: every repo not yet DELETED (what kojira looks after)."""
    fields = ('id', 'tag_id', 'create_event', 'create_ts', 'state', 'dist', 'task_id',
              'tag_name', 'creation_ts', 'state_ts', 'end_event', 'opts')
    return RepoQuery([['state', '!=', koji.REPO_DELETED]], fields,
                     {'order': 'id'}).execute()


def repo_references(repo_id):
    """Live buildroots (no retire_event) using the repo."""
    repo_id = convert_value(repo_id, cast=int)
    query = QueryProcessor(
        tables=['standard_buildroot'],
        columns=['buildroot_id', 'host_id', 'task_id', 'create_event', 'state'],
        aliases=['id', 'host_id', 'task_id', 'create_event', 'state'],
        clauses=['repo_id = %(repo_id)s', 'retire_event IS NULL'],
        values={'repo_id': repo_id}, opts={'order': 'id'})
    ret = []
    for row in query.execute():
        if row['state'] == koji.BR_STATES['EXPIRED']:
            logger.error('Error: buildroot %(id)s expired, but has no retire_event', row)
            continue
        ret.append(row)
    return ret


class RepoQueryExports(object):
    """Root calls reading repo records."""
    getRepo = staticmethod(old_get_repo)
    repoInfo = staticmethod(repo_info)
    getActiveRepos = staticmethod(get_active_repos)
