"""Dist repos on the hub: distRepo and host.distRepoMove."""
import json
import os

import pytest

import koji
from koji.context import context
from kojihub.api.exports import RootExports
from kojihub.api.host_exports import HostExports
from kojihub.builds import build_write
from kojihub.core import db
from kojihub.tags import packages, tags
from kojihub.tags.tagging import _tag_build
from tests.fixtures.auth import create_user_with, open_session
from tests.hub.taskenv import taskenv  # noqa: F401

host = HostExports()
root = RootExports()


class World(object):

    def __init__(self, env, topdir):
        self.env = env
        self.topdir = topdir
        env.add_host('b1', channels=('createrepo',))
        create_user_with('distuser', perms=['dist-repo'])
        env.sessions['distuser'] = open_session('distuser')
        env.act('tadmin')
        self.tag_id = tags.create_tag('f40-dist', arches='x86_64')
        packages.pkglist_add('f40-dist', 'foo', owner='tadmin')
        self.build_id = build_write.new_build({'name': 'foo', 'version': '1', 'release': '2',
                                               'epoch': None})
        self.rpm_id = db.nextval('rpminfo_id_seq')
        db.InsertProcessor('rpminfo', data={
            'id': self.rpm_id, 'build_id': self.build_id, 'name': 'foo', 'version': '1',
            'release': '2', 'epoch': None, 'arch': 'x86_64', 'draft': False,
            'external_repo_id': 0, 'payloadhash': 'ab' * 16, 'size': 10,
            'buildtime': 1}).execute()
        _tag_build('f40-dist', self.build_id)
        self.rpm_path = os.path.join(topdir, 'packages/foo/1/2/x86_64/foo-1-2.x86_64.rpm')
        os.makedirs(os.path.dirname(self.rpm_path))
        with open(self.rpm_path, 'wb') as fo:
            fo.write(b'rpm bytes')
        env.act('distuser', 'distRepo')

    def upload(self, reldir, manifest, kojipkgs, files=('repodata/repomd.xml',)):
        udir = os.path.join(self.topdir, 'work', reldir)
        for fn in files:
            os.makedirs(os.path.dirname(os.path.join(udir, fn)), exist_ok=True)
            with open(os.path.join(udir, fn), 'w') as fo:
                fo.write(fn)
        koji.dump_json(os.path.join(udir, 'repo_manifest'), manifest)
        koji.dump_json(os.path.join(udir, 'kojipkgs'), kojipkgs)
        return udir

    def kojipkgs(self, **changes):
        info = root.getRPM(self.rpm_id)
        entry = {k: info[k] for k in ('id', 'name', 'version', 'release', 'arch', 'epoch',
                                      'size', 'payloadhash', 'build_id')}
        entry['sigkey'] = None
        entry.update(changes)
        return {'foo-1-2.x86_64.rpm': entry}


@pytest.fixture
def world(taskenv, topdir):  # noqa: F811
    return World(taskenv, topdir)


def _dist_task(task_id):
    task = root.getTaskInfo(task_id, request=True)
    return task, list(task['request'])


def test_dist_repo_init_and_task(world):
    task_id = root.distRepo('f40-dist', ['abcd1234'], arch=['x86_64', 'i686'],
                            multilib=False, delta=[], zck=True, write_signed=True,
                            skip_missing_signatures=True)
    task, args = _dist_task(task_id)
    assert task['method'] == 'distRepo' and task['priority'] == 15
    tag, repo_id, keys, opts = args
    assert tag == 'f40-dist' and keys == ['abcd1234']
    assert opts['zck'] is True and opts['skip_missing_signatures'] is True
    repo = root.repoInfo(repo_id)
    assert repo['dist'] is True and repo['state'] == koji.REPO_INIT
    assert opts['event'] == repo['create_event']
    repodir = os.path.join(world.topdir, 'repos-dist', 'f40-dist', str(repo_id))
    assert sorted(os.listdir(repodir)) == ['i386', 'repo.json', 'x86_64']
    info = koji.load_json(repodir + '/repo.json')
    assert info['keys'] == ['abcd1234'] and info['tag_id'] == world.tag_id
    with pytest.raises(koji.ParameterError):
        root.distRepo('f40-dist', 'abcd1234', arch=['x86_64'])
    with pytest.raises(koji.GenericError):
        root.distRepo('no-such-tag', [], arch=['x86_64'])


def test_dist_repo_permission(world):
    world.env.act('alice', 'distRepo')
    context.opts['MissingPolicyOk'] = False
    with pytest.raises(koji.ActionNotAllowed, match=r'policy violation \(dist_repo\)'):
        root.distRepo('f40-dist', [], arch=['x86_64'])
    world.env.act('distuser', 'distRepo')
    assert root.distRepo('f40-dist', [], arch=['x86_64'])


def test_dist_repo_move(world):
    task_id = root.distRepo('f40-dist', [], arch=['x86_64'])
    repo_id = _dist_task(task_id)[1][1]
    world.env.act('b1', 'host.distRepoMove')
    repodir = os.path.join(world.topdir, 'repos-dist', 'f40-dist', str(repo_id))
    world.upload('tasks/1/21', ['repodata/repomd.xml'], world.kojipkgs(size=11))
    with pytest.raises(koji.GenericError, match='kojipkgs entry does not match db'):
        host.distRepoMove(repo_id, 'tasks/1/21', 'x86_64')
    world.upload('tasks/1/22', ['../../../../etc/passwd'], world.kojipkgs())
    with pytest.raises(koji.GenericError, match='Invalid path in repo manifest'):
        host.distRepoMove(repo_id, 'tasks/1/22', 'x86_64')
    with pytest.raises(koji.GenericError, match='Invalid upload directory'):
        host.distRepoMove(repo_id, '../..', 'x86_64')
    with pytest.raises(koji.GenericError, match='Repo arch directory missing'):
        host.distRepoMove(repo_id, 'tasks/1/21', 'ppc64le')
    assert not os.path.exists(repodir + '/x86_64/repodata')

    udir = world.upload('tasks/1/23', ['repodata/repomd.xml'], world.kojipkgs())
    host.distRepoMove(repo_id, 'tasks/1/23', 'x86_64')
    assert not os.path.exists(udir + '/repodata/repomd.xml')
    assert os.path.isfile(repodir + '/x86_64/repodata/repomd.xml')
    linked = repodir + '/x86_64/Packages/f/foo-1-2.x86_64.rpm'
    assert os.stat(linked).st_ino == os.stat(world.rpm_path).st_ino
    world.upload('tasks/1/24', [], world.kojipkgs())
    with pytest.raises(koji.GenericError, match='File already in repo'):
        host.distRepoMove(repo_id, 'tasks/1/24', 'x86_64')
    host.repoDone(repo_id, {})
    assert root.repoInfo(repo_id)['state'] == koji.REPO_READY
    latest = os.path.join(world.topdir, 'repos-dist', 'f40-dist', 'latest')
    assert os.readlink(latest) == str(repo_id)
    with pytest.raises(koji.GenericError, match='Repo is in state: READY'):
        host.distRepoMove(repo_id, 'tasks/1/24', 'x86_64')
    # dist repos are never handed out by the request queue
    assert root.getRepo('f40-dist', dist=True)['id'] == repo_id
    assert json.dumps(root.getRepo('f40-dist')) == 'null'


def test_dist_repo_move_needs_host(world):
    world.env.act('distuser', 'host.distRepoMove')
    with pytest.raises(koji.AuthError):
        host.distRepoMove(1, 'tasks/1/1', 'x86_64')
