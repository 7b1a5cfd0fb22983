"""Repo generation on the hub: host.repoInit, host.repoDone, newRepo and repo states."""
import json
import os

import pytest

import koji
import koji.plugin
from koji.context import context
from kojihub.api.exports import RootExports
from kojihub.api.host_exports import HostExports
from kojihub.builds import build_write
from kojihub.core import db
from kojihub.repos.exports import RepoExports
from kojihub.repos.state import repo_ready
from kojihub.tags import groups, packages, tags
from kojihub.tags.tagging import _tag_build
from tests.fixtures.auth import create_user_with, open_session, start_request
from tests.hub.taskenv import taskenv  # noqa: F401

host = HostExports()
root = RootExports()


def rpm_row(build_id, name, arch, version='1', release='1'):
    data = {'build_id': build_id, 'name': name, 'version': version, 'release': release,
            'epoch': None, 'arch': arch, 'draft': False, 'external_repo_id': 0,
            'payloadhash': 'ab' * 16, 'size': 10, 'buildtime': 1}
    data['id'] = db.nextval('rpminfo_id_seq')
    db.InsertProcessor('rpminfo', data=data).execute()
    return data['id']


class World(object):
    """A build tag (x86_64 aarch64) with one build of rpms, a blocked package, a group."""

    def __init__(self, env, topdir):
        self.env = env
        self.topdir = topdir
        self.host_id = env.add_host('b1', channels=('createrepo',))
        self.kojira = create_user_with('kojira', perms=['repo'])
        env.sessions['kojira'] = open_session('kojira')
        env.act('tadmin')
        self.tag_id = tags.create_tag('f40-build', arches='x86_64 aarch64')
        packages.pkglist_add('f40-build', 'foo', owner='tadmin')
        packages.pkglist_add('f40-build', 'gone', owner='tadmin', block=True)
        self.build_id = build_write.new_build({'name': 'foo', 'version': '1', 'release': '2',
                                               'epoch': None})
        for name, arch in (('foo', 'x86_64'), ('foo', 'aarch64'), ('foo', 'src'),
                           ('foo-doc', 'noarch'), ('foo-debuginfo', 'x86_64'),
                           ('foo', 'ppc64le')):
            rpm_row(self.build_id, name, arch, release='2')
        _tag_build('f40-build', self.build_id)
        groups.grplist_add('f40-build', 'build')
        groups.grp_pkg_add('f40-build', 'build', 'foo')
        env.act('b1', 'host.repoInit')

    def upload(self, reldir, files):
        udir = os.path.join(self.topdir, 'work', reldir)
        os.makedirs(udir, exist_ok=True)
        for fn in files:
            with open(os.path.join(udir, fn), 'w') as fo:
                fo.write('data of %s\n' % fn)
        return udir


@pytest.fixture
def world(taskenv, topdir):  # noqa: F811
    return World(taskenv, topdir)


def read(path):
    with open(path) as fo:
        return fo.read()


def test_repo_init_writes_records_and_files(world):
    repo_id, event_id = host.repoInit('f40-build', task_id=None)
    repo = root.repoInfo(repo_id)
    assert repo['state'] == koji.REPO_INIT and repo['create_event'] == event_id
    assert repo['opts'] == {'src': False, 'debuginfo': False, 'separate_src': False,
                            'maven': False}
    assert repo['custom_opts'] == {} and repo['end_event'] is None
    assert repo['begin_event'] is not None and repo['begin_event'] < event_id
    repodir = os.path.join(world.topdir, 'repos', 'f40-build', str(repo_id))
    assert sorted(os.listdir(repodir)) == ['aarch64', 'groups', 'repo.json', 'x86_64']
    base = 'toplink/packages/foo/1/2/'
    assert read(repodir + '/x86_64/pkglist').splitlines() == [
        base + 'x86_64/foo-1-2.x86_64.rpm', base + 'noarch/foo-doc-1-2.noarch.rpm']
    assert read(repodir + '/aarch64/pkglist').splitlines() == [
        base + 'aarch64/foo-1-2.aarch64.rpm', base + 'noarch/foo-doc-1-2.noarch.rpm']
    rpms = [json.loads(line) for line in read(repodir + '/x86_64/rpmlist.jsonl').splitlines()]
    assert [(r['name'], r['arch']) for r in rpms] == [('foo', 'x86_64'), ('foo-doc', 'noarch')]
    assert read(repodir + '/x86_64/blocklist') == 'gone\n'
    assert os.path.realpath(repodir + '/x86_64/toplink') == os.path.realpath(world.topdir)
    comps = read(repodir + '/groups/comps.xml')
    assert '<id>build</id>' in comps and '>foo</packagereq>' in comps
    info = koji.load_json(repodir + '/repo.json')
    assert info['id'] == repo_id and info['tag'] == 'f40-build' and info['event_id'] == event_id
    assert info['with_src'] is False and info['custom_opts'] == {}


def test_repo_init_custom_opts(world):
    opts = {'src': True, 'debuginfo': True, 'separate_src': True}
    repo_id, _ = host.repoInit('f40-build', opts=opts)
    repo = root.repoInfo(repo_id)
    assert repo['custom_opts'] == {'src': True, 'debuginfo': True, 'separate_src': True}
    repodir = os.path.join(world.topdir, 'repos', 'f40-build', str(repo_id))
    x86 = read(repodir + '/x86_64/pkglist')
    assert 'foo-debuginfo-1-2.x86_64.rpm' in x86 and 'foo-1-2.src.rpm' in x86
    assert read(repodir + '/src/pkglist').splitlines() == [
        'toplink/packages/foo/1/2/src/foo-1-2.src.rpm']
    with pytest.raises(koji.ParameterError, match='Invalid repo option: bogus'):
        host.repoInit('f40-build', opts={'bogus': True})
    with pytest.raises(koji.GenericError):
        host.repoInit('no-such-tag')


def test_repo_init_needs_host(world):
    world.env.act('alice', 'host.repoInit')
    with pytest.raises(koji.AuthError):
        host.repoInit('f40-build')
    world.env.act('kojira', 'host.repoDone')
    with pytest.raises(koji.AuthError):
        host.repoDone(1, {})


def _callbacks(names):
    seen = []

    def record(cbtype, *args, **kws):
        seen.append((cbtype, kws))
    for name in names:
        koji.plugin.register_callback(name, record)
    return seen


@pytest.fixture
def clean_callbacks():
    saved = {k: list(v) for k, v in koji.plugin.callbacks.items()}
    yield
    for k, v in saved.items():
        koji.plugin.callbacks[k][:] = v


def test_repo_done_moves_files_and_marks_ready(world, clean_callbacks):
    seen = _callbacks(['preRepoInit', 'postRepoInit', 'preRepoDone', 'postRepoDone'])
    repo_id, event_id = host.repoInit('f40-build')
    world.upload('tasks/1/11', ['repomd.xml', 'primary.xml.gz'])
    world.upload('tasks/2/12', ['repomd.xml'])
    data = {'x86_64': ['tasks/1/11', ['repomd.xml', 'primary.xml.gz']],
            'aarch64': ['tasks/2/12', ['repomd.xml']]}
    host.repoDone(repo_id, data, repo_json_updates={'cloned_from_repo_id': 7})
    repodir = os.path.join(world.topdir, 'repos', 'f40-build', str(repo_id))
    assert sorted(os.listdir(repodir + '/x86_64/repodata')) == ['primary.xml.gz', 'repomd.xml']
    assert read(repodir + '/aarch64/repodata/repomd.xml') == 'data of repomd.xml\n'
    assert not os.path.exists(os.path.join(world.topdir, 'work/tasks/1/11/repomd.xml'))
    assert koji.load_json(repodir + '/repo.json')['cloned_from_repo_id'] == 7
    assert root.repoInfo(repo_id)['state'] == koji.REPO_READY
    assert os.readlink(os.path.join(world.topdir, 'repos', 'f40-build', 'latest')) == \
        str(repo_id)
    assert [name for name, _ in seen] == ['preRepoInit', 'postRepoInit', 'preRepoDone',
                                          'postRepoDone']
    assert seen[1][1]['repo_id'] == repo_id and seen[3][1]['repo']['id'] == repo_id
    with pytest.raises(koji.GenericError, match='not in INIT state'):
        host.repoDone(repo_id, {})


def test_repo_done_failure_keeps_uploads(world, clean_callbacks):
    repo_id, _ = host.repoInit('f40-build')
    world.env.act('b1', 'host.repoDone')
    udir = world.upload('tasks/1/11', ['repomd.xml'])
    missing = {'x86_64': ['tasks/1/11', ['repomd.xml', 'other.xml']]}
    with pytest.raises(koji.GenericError, match='uploaded file missing'):
        host.repoDone(repo_id, missing)
    assert os.path.exists(udir + '/repomd.xml')
    for bad in ({'x86_64': ['tasks/1/11', ['../11/repomd.xml']]},
                {'x86_64': ['../../etc', ['passwd']]},
                {'x86_64': ['/tmp', ['x']]},
                {'../../x86_64': ['tasks/1/11', ['repomd.xml']]},
                {'s390x': ['tasks/1/11', ['repomd.xml']]}):
        with pytest.raises(koji.GenericError):
            host.repoDone(repo_id, bad)
    with pytest.raises(koji.ParameterError):
        host.repoDone(repo_id, ['x86_64'])

    def boom(cbtype, *args, **kws):
        raise koji.GenericError('callback failed')
    koji.plugin.register_callback('postRepoDone', boom)
    data = {'x86_64': ['tasks/1/11', ['repomd.xml']]}
    with pytest.raises(koji.GenericError, match='callback failed'):
        host.repoDone(repo_id, data)
    start_request(sinfo=world.env.sessions['b1'], ok=False)
    assert os.path.exists(udir + '/repomd.xml')
    repodir = os.path.join(world.topdir, 'repos', 'f40-build', str(repo_id))
    assert not os.path.exists(repodir + '/x86_64/repodata/repomd.xml')
    assert root.repoInfo(repo_id)['state'] == koji.REPO_INIT
    koji.plugin.callbacks['postRepoDone'].remove(boom)
    host.repoDone(repo_id, data)
    assert root.repoInfo(repo_id)['state'] == koji.REPO_READY


def test_latest_symlink_only_for_newest_default_repo(world):
    first, _ = host.repoInit('f40-build')
    custom, _ = host.repoInit('f40-build', opts={'debuginfo': True})
    host.repoDone(first, {})
    host.repoDone(custom, {})
    latest = os.path.join(world.topdir, 'repos', 'f40-build', 'latest')
    assert os.readlink(latest) == str(first)


def test_new_repo_perms_and_task(world):
    env = world.env
    env.act('alice', 'newRepo')
    with pytest.raises(koji.ActionNotAllowed):
        root.newRepo('f40-build')
    create_user_with('regen', perms=['regen-repo'])
    env.sessions['regen'] = open_session('regen')
    env.act('regen', 'newRepo')
    task_id = root.newRepo('f40-build', debuginfo=True)
    task = root.getTaskInfo(task_id, request=True)
    assert task['method'] == 'newRepo' and task['priority'] == 15
    assert list(task['request']) == ['f40-build', {'__starstar': True, 'debuginfo': True}]
    channel = db.QueryProcessor(tables=['channels'], columns=['name'],
                                clauses=['id = %(id)s'],
                                values={'id': task['channel_id']}).singleValue()
    assert channel == 'createrepo'
    assert os.path.isdir(os.path.join(world.topdir, 'repos'))
    env.act('kojira', 'newRepo')
    assert isinstance(root.newRepo('f40-build', event=None, src=True), int)
    with pytest.raises(koji.GenericError):
        root.newRepo('no-such-tag')
    context.opts['AllowNewRepo'] = False
    with pytest.raises(koji.ActionNotAllowed, match='newRepo api call is disabled'):
        root.newRepo('f40-build')


def test_repo_states(world):
    env = world.env
    ready, _ = host.repoInit('f40-build')
    host.repoDone(ready, {})
    env.act('alice', 'repoExpire')
    with pytest.raises(koji.ActionNotAllowed):
        root.repoExpire(ready)
    env.act('kojira', 'repoExpire')
    root.repoExpire(ready)
    assert root.repoInfo(ready)['state'] == koji.REPO_EXPIRED
    root.repoExpire(ready)  # same state: no-op
    with pytest.raises(koji.GenericError, match='Invalid repo state transition'):
        repo_ready(ready)
    root.repoProblem(ready)
    assert root.repoInfo(ready)['state'] == koji.REPO_PROBLEM
    assert root.repoDelete(ready) == 0
    assert root.repoInfo(ready)['state'] == koji.REPO_DELETED
    with pytest.raises(koji.GenericError, match='is deleted'):
        root.repoProblem(ready)
    with pytest.raises(koji.ParameterError, match='Unknown repo state'):
        RepoExports.setState(ready, 9)
    with pytest.raises(koji.GenericError):
        root.repoExpire(999999)


def test_repo_delete_refuses_while_referenced(world):
    env = world.env
    repo_id, _ = host.repoInit('f40-build')
    host.repoDone(repo_id, {})
    env.act('tadmin')
    task_id = RootExports().makeTask('buildArch', ['x', world.tag_id, 'x86_64'])
    env.act('b1', 'host.openTask')
    db._dml("UPDATE task SET state = %(s)s, host_id = %(h)s WHERE id = %(t)s",
            {'s': koji.TASK_STATES['OPEN'], 'h': world.host_id, 't': task_id})
    br_id = host.newBuildRoot(repo_id, 'x86_64', task_id=task_id)
    env.act('kojira', 'repoDelete')
    refs = RepoExports.references(repo_id)
    assert [r['id'] for r in refs] == [br_id]
    assert root.repoDelete(repo_id) == 1
    assert root.repoInfo(repo_id)['state'] == koji.REPO_READY


def _add_builds(world, first, count, rpms_per_build=3):
    """count tagged builds of new packages, each with x86_64 + noarch + src rpms."""
    world.env.act('tadmin')
    rows = []
    for n in range(first, first + count):
        name = 'pkg%05d' % n
        packages.pkglist_add('f40-build', name, owner='tadmin')
        build_id = build_write.new_build({'name': name, 'version': '1', 'release': '1',
                                          'epoch': None})
        for arch in ('x86_64', 'noarch', 'src')[:rpms_per_build]:
            rows.append({'id': db.nextval('rpminfo_id_seq'), 'build_id': build_id,
                         'name': name, 'version': '1', 'release': '1', 'epoch': None,
                         'arch': arch, 'draft': False, 'external_repo_id': 0,
                         'payloadhash': 'ab' * 16, 'size': 10, 'buildtime': 1})
        _tag_build('f40-build', build_id)
    db.BulkInsertProcessor('rpminfo', data=rows).execute()
    world.env.act('b1', 'host.repoInit')


def test_repo_init_statements_do_not_grow_with_builds(world, monkeypatch):
    counts = []
    counting = [False]
    real = db.CursorWrapper.execute

    def execute(self, operation, parameters=None, log_errors=True, **kwargs):
        if counting[0]:
            counts[-1] += 1
        return real(self, operation, parameters, log_errors, **kwargs)
    monkeypatch.setattr(db.CursorWrapper, 'execute', execute)
    lines = []
    for first, count in ((0, 2), (2, 60)):
        _add_builds(world, first, count)
        counts.append(0)
        counting[0] = True
        repo_id, _ = host.repoInit('f40-build')
        counting[0] = False
        path = os.path.join(world.topdir, 'repos', 'f40-build', str(repo_id), 'x86_64',
                            'pkglist')
        lines.append(len(read(path).splitlines()))
    # foo + foo-doc, then 2 and 62 packages with an x86_64 and a noarch rpm each
    assert lines == [2 + 2 * 2, 2 + 2 * 62]
    assert counts[0] == counts[1], counts


def test_maven_repo_tree(world, tmp_path):
    from kojihub.builds.archives import import_archive
    context.opts['EnableMaven'] = True
    world.env.act('tadmin')
    tags.create_tag('mvn-build', arches='x86_64', maven_support=True)
    packages.pkglist_add('mvn-build', 'mvnpkg', owner='tadmin')
    for version in ('1.0', '1.1'):
        build_id = root.createEmptyBuild('mvnpkg', version, '1', None)
        maven = {'group_id': 'org.example', 'artifact_id': 'lib', 'version': version}
        root.createMavenBuild(build_id, maven)
        jar = tmp_path / ('lib-%s.jar' % version)
        jar.write_bytes(b'jar ' + version.encode())
        import_archive(str(jar), root.getBuild(build_id), 'maven', maven)
        _tag_build('mvn-build', build_id)
    world.env.act('b1', 'host.repoInit')
    repo_id, _ = host.repoInit('mvn-build')
    assert root.repoInfo(repo_id)['opts']['maven'] is True
    mdir = os.path.join(world.topdir, 'repos', 'mvn-build', str(repo_id), 'maven', 'org',
                        'example', 'lib')
    # only the latest build of the package is in a tag without maven_include_all
    assert sorted(os.listdir(mdir)) == ['1.1', 'maven-metadata.xml', 'maven-metadata.xml.md5',
                                        'maven-metadata.xml.sha1']
    assert os.path.isfile(os.path.join(mdir, '1.1', 'lib-1.1.jar'))
    meta = read(os.path.join(mdir, 'maven-metadata.xml'))
    assert '<latest>1.1</latest>' in meta and '<artifactId>lib</artifactId>' in meta
    context.opts['EnableMaven'] = False
    with pytest.raises(koji.GenericError, match='Maven support not enabled'):
        host.repoInit('mvn-build', opts={'maven': True})


def test_repo_init_failure_leaves_no_directory(world, clean_callbacks):
    def boom(cbtype, *args, **kws):
        raise koji.GenericError('init callback failed')
    koji.plugin.register_callback('postRepoInit', boom)
    with pytest.raises(koji.GenericError, match='init callback failed'):
        host.repoInit('f40-build')
    tagdir = os.path.join(world.topdir, 'repos', 'f40-build')
    assert not os.path.exists(tagdir) or os.listdir(tagdir) == []


def test_repo_done_legacy_expire(world):
    repo_id, _ = host.repoInit('f40-build')
    host.repoDone(repo_id, {}, expire=True)
    assert root.repoInfo(repo_id)['state'] == koji.REPO_EXPIRED
    assert not os.path.lexists(os.path.join(world.topdir, 'repos', 'f40-build', 'latest'))
    active = root.getActiveRepos()
    assert [r['id'] for r in active] == [repo_id]
    assert set(active[0]) == {'create_event', 'create_ts', 'creation_ts', 'dist', 'end_event',
                              'id', 'opts', 'state', 'state_ts', 'tag_id', 'tag_name',
                              'task_id'}
