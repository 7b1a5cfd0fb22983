"""Repo records: the read side (getRepo, repoInfo, getActiveRepos).

Repo generation and the repo request queue come with kojira's work; these reads are what
clients such as ``koji taginfo`` and ``koji wait-repo`` need from any hub.
"""
import koji

from ..core.db import QueryProcessor
from ..tags.tags import get_tag_id

_FIELDS = (
    ('repo.id', 'id'),
    ('repo.state', 'state'),
    ('repo.dist', 'dist'),
    ('repo.opts', 'opts'),
    ('repo.custom_opts', 'custom_opts'),
    ('repo.task_id', 'task_id'),
    ('task.state', 'task_state'),
    ('repo.tag_id', 'tag_id'),
    ('tag.name', 'tag_name'),
    ('repo.create_event', 'create_event'),
    ("date_part('epoch', create_ev.time)", 'create_ts'),
    ('repo.begin_event', 'begin_event'),
    ("date_part('epoch', begin_ev.time)", 'begin_ts'),
    ('repo.end_event', 'end_event'),
    ("date_part('epoch', end_ev.time)", 'end_ts'),
    ('repo.creation_time', 'creation_time'),
    ("date_part('epoch', repo.creation_time)", 'creation_ts'),
    ('repo.state_time', 'state_time'),
    ("date_part('epoch', repo.state_time)", 'state_ts'),
)

_JOINS = [
    'tag ON tag.id = repo.tag_id',
    'events AS create_ev ON create_ev.id = repo.create_event',
    'LEFT OUTER JOIN events AS begin_ev ON begin_ev.id = repo.begin_event',
    'LEFT OUTER JOIN events AS end_ev ON end_ev.id = repo.end_event',
    'LEFT OUTER JOIN task ON task.id = repo.task_id',
]


def _repo_query(clauses, values, opts=None):
    columns, aliases = zip(*_FIELDS)
    return QueryProcessor(columns=list(columns), aliases=list(aliases), tables=['repo'],
                          joins=_JOINS, clauses=clauses, values=values, opts=opts)


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise koji.ParameterError('%s must be an integer, not %r' % (name, value))
    return value


def repo_info(repo_id, strict=False):
    """repoInfo: one repo record by id."""
    _check_int(repo_id, 'repo_id')
    return _repo_query(['repo.id = %(repo_id)s'], {'repo_id': repo_id}).executeOne(
        strict=strict)


def get_repo(tag, state=None, event=None, dist=False, min_event=None):
    """getRepo: the newest repo of a tag in a state (READY unless told otherwise)."""
    tag_id = get_tag_id(tag, strict=True)
    if state is None:
        state = koji.REPO_READY
    _check_int(state, 'state')
    clauses = ['repo.tag_id = %(tag_id)s', 'repo.state = %(state)s']
    values = {'tag_id': tag_id, 'state': state}
    clauses.append('repo.dist IS TRUE' if dist else 'repo.dist IS NOT TRUE')
    if event is not None:
        values['event'] = _check_int(event, 'event')
        clauses.append('repo.create_event <= %(event)s')
    if min_event is not None:
        values['min_event'] = _check_int(min_event, 'min_event')
        clauses.append('repo.create_event >= %(min_event)s')
    query = _repo_query(clauses, values, opts={'order': '-create_event,-id', 'limit': 1})
    return query.executeOne()


def get_active_repos():
    """getActiveRepos: every repo not yet DELETED."""
    query = _repo_query(['repo.state != %(deleted)s'], {'deleted': koji.REPO_DELETED},
                        opts={'order': 'id'})
    return query.execute()


class RepoQueryExports(object):
    """Root calls reading repo records."""
    getRepo = staticmethod(get_repo)
    repoInfo = staticmethod(repo_info)
    getActiveRepos = staticmethod(get_active_repos)
