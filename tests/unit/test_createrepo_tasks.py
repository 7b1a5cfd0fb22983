"""newRepo / createrepo handler logic that needs no hub or tools (builder/kojibuilder/repos.py).

The end-to-end behaviour is in tests/integration/test_kojid_repos.py; here: refusing work
without the repos dir, the legacy arguments, and where --update takes its old repo from.
"""
import optparse
import os
import sys

import pytest

import koji
from koji.tasks import RefuseTask

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'builder'))

from kojibuilder.repos import CreaterepoTask, NewRepoTask  # noqa: E402


class Session(object):
    """Answers the reads the handlers make; records what they ask."""

    def __init__(self, tags=None, repos=None, parents=None):
        self.tags = tags or {}
        self.repos = repos or {}
        self.parents = parents or []
        self.calls = []
        self.host = self

    def getTag(self, tag, strict=False, event=None):
        self.calls.append(('getTag', tag))
        info = self.tags.get(tag)
        if info is None and strict:
            raise koji.GenericError('No such tag: %s' % tag)
        return info

    def getRepo(self, tag_id):
        self.calls.append(('getRepo', tag_id))
        repo = self.repos.get(tag_id)
        return dict(repo) if repo else None

    def getFullInheritance(self, tag_id):
        return self.parents

    def repoInit(self, *args, **kwargs):
        self.calls.append(('repoInit', args, kwargs))
        raise AssertionError('repoInit must not be reached')

    def repoInfo(self, repo_id, strict=False):
        return {'id': repo_id, 'state': koji.REPO_INIT, 'tag_name': 'f', 'tag_id': 1,
                'create_event': 5}


def _options(topdir, **kw):
    values = {'topdir': str(topdir), 'workdir': None, 'createrepo_update': True,
              'copy_old_repodata': False, 'createrepo_skip_stat': True,
              'use_createrepo_c': True}
    values.update(kw)
    return optparse.Values(values)


def _newrepo(session, topdir, **kw):
    return NewRepoTask(1, 'newRepo', ['f'], session, _options(topdir, **kw))


TAG = {'id': 1, 'name': 'f', 'extra': {}}


def test_newrepo_refuses_without_repos_dir(tmp_path):
    session = Session(tags={'f': TAG})
    with pytest.raises(RefuseTask, match='No access to repos dir %s/repos' % tmp_path):
        _newrepo(session, tmp_path).handler('f')
    assert not [c for c in session.calls if c[0] == 'repoInit']


def test_newrepo_legacy_flags_and_opts_conflict(tmp_path):
    task = _newrepo(Session(tags={'f': TAG}), tmp_path)
    assert task._opts(True, None, False, None) == {'src': True, 'separate_src': False}
    assert task._opts(None, None, None, {'debuginfo': True}) == {'debuginfo': True}
    with pytest.raises(koji.ParameterError,
                       match='opts parameter cannot be combined with legacy options'):
        task._opts(True, None, None, {'src': True})


def test_old_repo_own_tag_first(tmp_path):
    session = Session(tags={'f': TAG}, repos={1: {'id': 10}})
    repo, path = _newrepo(session, tmp_path).get_old_repo(TAG)
    assert repo == {'id': 10, 'tag_id': 1}
    assert path == koji.pathinfo.repo(10, 'f')


def test_old_repo_from_hint_then_parent(tmp_path):
    hinted = dict(TAG, extra={'repo.oldrepo_hint': ['gone', 'h']})
    session = Session(tags={'h': {'id': 2, 'name': 'h'}}, repos={2: {'id': 20}})
    repo, path = _newrepo(session, tmp_path).get_old_repo(hinted)
    assert (repo['id'], repo['tag_id'], path) == (20, 2, koji.pathinfo.repo(20, 'h'))

    parents = [{'parent_id': 4, 'name': 'far', 'currdepth': 2},
               {'parent_id': 3, 'name': 'near', 'currdepth': 1}]
    session = Session(repos={3: {'id': 30}, 4: {'id': 40}}, parents=parents)
    repo, path = _newrepo(session, tmp_path).get_old_repo(TAG)
    assert (repo['id'], repo['tag_id'], path) == (30, 3, koji.pathinfo.repo(30, 'near'))


def test_old_repo_not_looked_up_without_createrepo_update(tmp_path):
    session = Session(tags={'f': TAG}, repos={1: {'id': 10}})
    task = _newrepo(session, tmp_path, createrepo_update=False)
    assert task.get_old_repo(TAG) == (None, None)
    assert session.calls == []


def test_createrepo_missing_arch_dir(tmp_path):
    session = Session()
    task = CreaterepoTask(2, 'createrepo', [7, 'x86_64', None], session, _options(tmp_path))
    with pytest.raises(RefuseTask, match='No access to repos dir'):
        task.handler(7, 'x86_64', None)
    os.makedirs(str(tmp_path / 'repos'))
    with pytest.raises(koji.GenericError,
                       match='Repo directory missing: %s/repos/f/7/x86_64' % tmp_path):
        task.handler(7, 'x86_64', None)


def test_createrepo_refuses_repo_not_in_init(tmp_path):
    session = Session()
    session.repoInfo = lambda repo_id, strict=False: {'id': repo_id, 'state': koji.REPO_READY}
    task = CreaterepoTask(2, 'createrepo', [7, 'x86_64', None], session, _options(tmp_path))
    with pytest.raises(koji.GenericError, match=r'^Repo 7 not in INIT state \(got 1\)$'):
        task.handler(7, 'x86_64', None)
