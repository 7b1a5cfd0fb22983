"""Repo record reads (getRepo, repoInfo, getActiveRepos) on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.repos.repos import RepoQueryExports as api
from kojihub.tags.tags import TagExports

REPO_KEYS = {'begin_event', 'begin_ts', 'create_event', 'create_ts', 'creation_time',
             'creation_ts', 'custom_opts', 'dist', 'end_event', 'end_ts', 'id', 'opts',
             'state', 'state_time', 'state_ts', 'tag_id', 'tag_name', 'task_id', 'task_state'}


def _new_event():
    context.event_id = None
    return db.get_event()


def _add_repo(tag_id, state, dist=False, event=None):
    repo_id = db.nextval('repo_id_seq')
    db.InsertProcessor('repo', data={
        'id': repo_id, 'tag_id': tag_id, 'state': state, 'dist': dist,
        'create_event': event or _new_event(), 'opts': '{"src": false}'}).execute()
    return repo_id


@pytest.fixture
def tag(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')
    context.event_id = None
    return TagExports.createTag('f40-build')


def test_get_repo_picks_newest_ready(tag):
    old = _add_repo(tag, koji.REPO_READY)
    new = _add_repo(tag, koji.REPO_READY)
    _add_repo(tag, koji.REPO_INIT)
    _add_repo(tag, koji.REPO_READY, dist=True)
    repo = api.getRepo('f40-build')
    assert set(repo) == REPO_KEYS
    assert repo['id'] == new and repo['tag_name'] == 'f40-build'
    assert repo['opts'] == {'src': False} and repo['task_state'] is None
    assert isinstance(repo['create_ts'], float)
    assert api.getRepo(tag, event=repo['create_event'] - 1)['id'] == old
    assert api.getRepo(tag, min_event=repo['create_event'] + 1) is None
    assert api.getRepo(tag, state=koji.REPO_INIT)['state'] == koji.REPO_INIT
    assert api.getRepo(tag, dist=True)['dist'] is True


def test_get_repo_faults_and_empty(tag):
    assert api.getRepo(tag) is None
    with pytest.raises(koji.GenericError):
        api.getRepo('no-such-tag')
    with pytest.raises(koji.ParameterError):
        api.getRepo(tag, event='soon')


def test_repo_info_and_active(tag):
    ready = _add_repo(tag, koji.REPO_READY)
    gone = _add_repo(tag, koji.REPO_DELETED)
    assert api.repoInfo(ready)['id'] == ready
    assert api.repoInfo(999999) is None
    with pytest.raises(koji.GenericError):
        api.repoInfo(999999, strict=True)
    assert [r['id'] for r in api.getActiveRepos()] == [ready]
    assert api.repoInfo(gone)['state'] == koji.REPO_DELETED
