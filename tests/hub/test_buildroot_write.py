"""host.newBuildRoot & co. (kojihub.builds.buildroot_write) on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.builds import build_write
from kojihub.core import db
from kojihub.tags import external_repos, packages, tags
from kojihub.tasks import task_actions as ta
from kojihub.builds.buildroots import get_buildroot, get_buildroot_listing, query_buildroots
from kojihub.api.host_exports import HostExports
from kojihub.builds.rpms import get_rpm, list_rpms
from kojihub.tags.tagging import _tag_build
from tests.fixtures.auth import start_request

host = HostExports()
BR = koji.BR_STATES


def rpm_row(build_id, name, arch, version='1', release='1'):
    data = {'build_id': build_id, 'name': name, 'version': version, 'release': release,
            'epoch': None, 'arch': arch, 'draft': False, 'external_repo_id': 0,
            'payloadhash': 'ab' * 16, 'size': 10, 'buildtime': 1}
    data['id'] = db.nextval('rpminfo_id_seq')
    db.InsertProcessor('rpminfo', data=data).execute()
    return data['id']


def ext_entry(name, payloadhash='cd' * 16, location='ext1'):
    return {'name': name, 'version': '2', 'release': '3', 'epoch': None, 'arch': 'x86_64',
            'payloadhash': payloadhash, 'size': 42, 'buildtime': 1700000000,
            'location': location}


def nvra(name, arch='x86_64', version='1', release='1'):
    return {'name': name, 'version': version, 'release': release, 'epoch': None,
            'arch': arch, 'payloadhash': 'ab' * 16, 'size': 10, 'buildtime': 1}


class World(object):
    """Two build hosts, a tag with a repo, a build with rpms, an external repo, tasks."""

    def __init__(self, env):
        self.env = env
        self.b1 = env.add_host('b1')
        self.b2 = env.add_host('b2')
        env.act('tadmin')
        self.tag_id = tags.create_tag('br-build', arches='x86_64')
        packages.pkglist_add('br-build', 'foo', owner='tadmin')
        self.build_id = build_write.new_build({'name': 'foo', 'version': '1', 'release': '1',
                                               'epoch': None})
        self.rpms = [rpm_row(self.build_id, n, 'x86_64') for n in ('foo', 'foo-libs')]
        external_repos.create_external_repo('ext1', 'http://example.com/repo/')
        external_repos.create_external_repo('ext2', 'http://example.com/other/')
        self.repo_id = db.nextval('repo_id_seq')
        db.InsertProcessor('repo', data={'id': self.repo_id, 'tag_id': self.tag_id,
                                         'state': koji.REPO_READY,
                                         'create_event': db.get_event()}).execute()
        env.act('alice')
        self.t1 = ta.make_task('buildArch', ['foo.src.rpm', self.tag_id, 'x86_64', True, {}])
        self.t2 = ta.make_task('buildArch', ['foo.src.rpm', self.tag_id, 'x86_64', True, {}])
        self.t3 = ta.make_task('buildArch', ['foo.src.rpm', self.tag_id, 'x86_64', True, {}])
        env.act('b1', 'host.openTask')
        host.openTask(self.t1)
        host.openTask(self.t2)
        env.act('b2', 'host.openTask')
        host.openTask(self.t3)

    def act(self, who, method='host.newBuildRoot'):
        self.env.act(who, method)

    def fails(self, who, exc, func, *args, **kw):
        """The call raises exc; its request is rolled back like the dispatcher does."""
        self.act(who)
        with pytest.raises(exc) as info:
            func(*args, **kw)
        start_request(sinfo=self.env.sessions[who], ok=False)
        return str(info.value)

    def new(self, who='b1', task=None):
        self.act(who)
        return host.newBuildRoot(self.repo_id, 'x86_64', task_id=task or self.t1)


@pytest.fixture
def world(taskenv):
    return World(taskenv)


def test_new_buildroot(world):
    br_id = world.new()
    info = get_buildroot(br_id)
    assert (info['state'], info['host_id'], info['task_id'], info['repo_id']) == \
        (BR['INIT'], world.b1, world.t1, world.repo_id)
    assert (info['arch'], info['container_type'], info['tag_name'], info['br_type']) == \
        ('x86_64', 'chroot', 'br-build', koji.BR_TYPES['STANDARD'])
    assert info['create_event_id'] is not None and info['retire_event_id'] is None
    # the task must be one this host runs, the repo must exist, a task is required
    assert 'does not own task' in world.fails('b2', koji.ActionNotAllowed, host.newBuildRoot,
                                              world.repo_id, 'x86_64', task_id=world.t1)
    world.fails('b1', koji.GenericError, host.newBuildRoot, world.repo_id + 99, 'x86_64',
                task_id=world.t1)
    world.fails('b1', koji.ParameterError, host.newBuildRoot, world.repo_id, 'x86_64')
    world.fails('b1', koji.GenericError, host.newBuildRoot, world.repo_id, 'x86 64!',
                task_id=world.t1)
    world.fails('alice', koji.AuthError, host.newBuildRoot, world.repo_id, 'x86_64',
                task_id=world.t1)
    assert [b['id'] for b in query_buildroots(hostID=world.b1)] == [br_id]


def test_state_changes_and_ownership(world):
    br_id = world.new()
    other = world.new('b2', task=world.t3)
    msg = world.fails('b2', koji.ActionNotAllowed, host.setBuildRootState, br_id, 'WAITING')
    assert msg == 'Host %s not owner of buildroot %s' % (world.b2, br_id)
    msg = world.fails('b1', koji.ActionNotAllowed, host.setBuildRootState, br_id, 'WAITING',
                      task_id=world.t2)
    assert msg == 'Task %s does not have lock on buildroot %s' % (world.t2, br_id)
    world.fails('b1', koji.ActionNotAllowed, host.setBuildRootState, other, 'WAITING')
    world.act('b1')
    host.setBuildRootState(br_id, 'WAITING', task_id=world.t1)
    assert get_buildroot(br_id)['state'] == BR['WAITING']
    host.setBuildRootState(br_id, BR['BUILDING'])
    assert get_buildroot(br_id)['state'] == BR['BUILDING']
    assert world.fails('b1', koji.GenericError, host.setBuildRootState, br_id, 'INIT') == \
        'Cannot change buildroot state to INIT'
    world.fails('b1', koji.ParameterError, host.setBuildRootState, br_id, 'BOGUS')
    world.fails('b1', koji.ParameterError, host.setBuildRootState, br_id, 7)
    world.fails('b1', koji.GenericError, host.setBuildRootState, br_id + 999, 'EXPIRED')
    world.act('b1')
    host.setBuildRootState(br_id, 'EXPIRED')
    info = get_buildroot(br_id)
    assert info['state'] == BR['EXPIRED'] and info['retire_event_id'] is not None
    world.act('b1')
    host.setBuildRootState(br_id, 'EXPIRED')     # a repeat is a no-op
    assert get_buildroot(br_id)['retire_event_id'] == info['retire_event_id']
    assert world.fails('b1', koji.GenericError, host.setBuildRootState, br_id,
                       'BUILDING') == 'buildroot %i is EXPIRED' % br_id
    assert query_buildroots(hostID=world.b1, state=[BR['INIT'], BR['WAITING']]) == []


def test_rpm_lists(world):
    br_id = world.new()
    entries = [nvra('foo'), nvra('foo-libs'), ext_entry('ext-tool'), ext_entry('ext-lib'),
               ext_entry('ext-tool')]
    world.act('b1', 'host.setBuildRootList')
    host.setBuildRootList(br_id, entries, task_id=world.t1)
    listing = get_buildroot_listing(br_id)
    assert sorted((r['name'], r['is_update'], r['external_repo_name']) for r in listing) == [
        ('ext-lib', False, 'ext1'), ('ext-tool', False, 'ext1'), ('foo', False, 'INTERNAL'),
        ('foo-libs', False, 'INTERNAL')]
    ext = get_rpm({'name': 'ext-tool', 'version': '2', 'release': '3', 'arch': 'x86_64',
                   'location': 'ext1'})
    assert (ext['build_id'], ext['draft'], ext['payloadhash'], ext['size'],
            ext['buildtime']) == (None, None, 'cd' * 16, 42, 1700000000)
    assert [r['id'] for r in list_rpms(componentBuildrootID=br_id)
            if r['name'] == 'foo'] == [world.rpms[0]]
    # lists are only set in INIT and extended while BUILDING
    world.fails('b1', koji.GenericError, host.updateBuildRootList, br_id, [nvra('foo')])
    world.act('b1')
    host.setBuildRootState(br_id, 'BUILDING')
    msg = world.fails('b1', koji.GenericError, host.setBuildRootList, br_id, [nvra('foo')])
    assert msg == 'buildroot %s in wrong state %s' % (br_id, BR['BUILDING'])
    world.act('b1')
    # the same external rpm from another repo is another rpm; known ones are skipped; an
    # upstream kojid names the repo by its id
    ext2 = external_repos.get_external_repo('ext2')['id']
    host.updateBuildRootList(br_id, [nvra('foo'), ext_entry('ext-tool', location=ext2)])
    listing = get_buildroot_listing(br_id)
    assert sorted((r['name'], r['is_update'], r['external_repo_name']) for r in listing) == [
        ('ext-lib', False, 'ext1'), ('ext-tool', False, 'ext1'), ('ext-tool', True, 'ext2'),
        ('foo', False, 'INTERNAL'), ('foo-libs', False, 'INTERNAL')]


def test_rpm_list_errors_write_nothing(world):
    br_id = world.new()
    msg = world.fails('b1', koji.GenericError, host.setBuildRootList, br_id,
                      [nvra('foo'), nvra('nosuch'), ext_entry('new-ext')])
    assert msg == 'No such rpm: nosuch-1-1.x86_64'
    world.fails('b1', koji.GenericError, host.setBuildRootList, br_id,
                [ext_entry('x', location='nosuchrepo')])
    assert world.fails('b1', koji.GenericError, host.setBuildRootList, br_id,
                       [ext_entry('x', location=99999)]) == 'No such external repo: 99999'
    world.fails('b1', koji.ParameterError, host.setBuildRootList, br_id,
                [ext_entry('x', location=['ext1'])])
    assert world.fails('b1', koji.GenericError, host.setBuildRootList, br_id,
                       [ext_entry('x', location='INTERNAL')]) == \
        'Not an external repo: INTERNAL'
    bad = ext_entry('bad')
    del bad['size']
    world.fails('b1', koji.GenericError, host.setBuildRootList, br_id, [bad])
    world.fails('b1', koji.ParameterError, host.setBuildRootList, br_id, 'foo')
    world.fails('b1', koji.ParameterError, host.setBuildRootList, br_id, [{'name': 'foo'}])
    assert get_buildroot_listing(br_id) == []
    assert get_rpm({'name': 'new-ext', 'version': '2', 'release': '3',
                    'arch': 'x86_64'}) is None
    world.act('b1')
    host.setBuildRootList(br_id, [ext_entry('known')])
    other = world.new(task=world.t2)
    msg = world.fails('b1', koji.GenericError, host.setBuildRootList, other,
                      [ext_entry('known', payloadhash='ef' * 16)])
    assert msg.startswith('hash changed for external rpm: known-2-3.x86_64@ext1')
    assert get_buildroot_listing(other) == []


def test_batch_statement_count(world):
    """Resolving a long list costs the same few statements as a short one."""
    br_id = world.new()
    world.act('tadmin')
    for i in range(30):
        rpm_row(world.build_id, 'many%02d' % i, 'x86_64')
    statements = []
    cursor_execute = db.CursorWrapper.execute

    def counting(self, operation, parameters=None, log_errors=True, **kwargs):
        statements.append(operation)
        return cursor_execute(self, operation, parameters, log_errors, **kwargs)
    world.act('b1')
    entries = [nvra('many%02d' % i) for i in range(30)]
    entries += [ext_entry('ext%02d' % i) for i in range(30)]
    db.CursorWrapper.execute = counting
    try:
        host.setBuildRootList(br_id, entries)
    finally:
        db.CursorWrapper.execute = cursor_execute
    assert len(get_buildroot_listing(br_id)) == 60
    assert len(statements) <= 12, statements


def archive_row(build_id, filename, size=100, maven=None):
    archive_id = db.nextval('archiveinfo_id_seq')
    type_id = db.QueryProcessor(columns=['id'], tables=['archivetypes'],
                                clauses=["name = 'jar'"]).singleValue()
    btype_id = db.QueryProcessor(columns=['id'], tables=['btype'],
                                 clauses=["name = 'maven'"]).singleValue() if maven else None
    db.InsertProcessor('archiveinfo', data={
        'id': archive_id, 'type_id': type_id, 'btype_id': btype_id, 'build_id': build_id,
        'filename': filename, 'size': size, 'checksum': 'ab' * 16,
        'checksum_type': 0}).execute()
    if maven:
        db.InsertProcessor('maven_archives', data=dict(maven, archive_id=archive_id)).execute()
    return archive_id


def test_archives(world):
    br_id = world.new()
    world.act('tadmin')
    a1 = archive_row(world.build_id, 'a.jar')
    a2 = archive_row(world.build_id, 'b.jar')
    world.act('b1')
    host.setBuildRootState(br_id, 'BUILDING')
    assert world.fails('b1', koji.GenericError, host.updateBuildrootArchives, br_id,
                       world.t1, [{'id': a1}]) == 'non-rpm support is not enabled'
    context.opts['EnableMaven'] = True
    try:
        world.fails('b1', koji.ActionNotAllowed, host.updateBuildrootArchives, br_id,
                    world.t2, [{'id': a1}])
        world.fails('b1', koji.GenericError, host.updateBuildrootArchives, br_id, world.t1,
                    [{'id': a2 + 99}])
        world.act('b1')
        host.updateBuildrootArchives(br_id, world.t1, [{'id': a1}])
        host.updateBuildrootArchives(br_id, world.t1, [{'id': a1}, {'id': a2}], project=True)
    finally:
        context.opts['EnableMaven'] = False
    rows = db.QueryProcessor(columns=['archive_id', 'project_dep'],
                             tables=['buildroot_archives'],
                             clauses=['buildroot_id = %(id)s'], values={'id': br_id},
                             opts={'order': 'archive_id'}).execute()
    assert rows == [{'archive_id': a1, 'project_dep': False},
                    {'archive_id': a2, 'project_dep': True}]


def test_maven_buildroot_list(world):
    br_id = world.new()
    world.act('tadmin')
    gav = {'group_id': 'org.example', 'artifact_id': 'foo', 'version': '1'}
    db.InsertProcessor('maven_builds', data=dict(gav, build_id=world.build_id)).execute()
    jar = archive_row(world.build_id, 'foo-1.jar', size=100, maven=gav)
    pom = archive_row(world.build_id, 'foo-1.pom', size=7, maven=gav)
    _tag_build('br-build', world.build_id, force=True)
    world.act('tadmin')
    # the repo must come after the tagging for the build to be in it
    db.UpdateProcessor('repo', data={'create_event': db.get_event()},
                       clauses=['id = %(id)s'], values={'id': world.repo_id}).execute()
    world.act('b1')
    host.setBuildRootState(br_id, 'BUILDING')
    found = {'maven_info': gav, 'files': [{'filename': 'foo-1.jar', 'size': 100},
                                          {'filename': 'foo-1.pom', 'size': 7}]}
    local = {'maven_info': {'group_id': 'org.example', 'artifact_id': 'local',
                            'version': '1.0-SNAPSHOT'},
             'files': [{'filename': 'local-1.0-SNAPSHOT.jar', 'size': 5, 'path': 'x'}]}
    ignore = [{'maven_info': local['maven_info'],
               'files': [{'filename': 'local-1.0-20240101.120000-1.jar', 'size': 5}]}]
    context.opts['EnableMaven'] = True
    try:
        msg = world.fails('b1', koji.BuildrootError, host.updateMavenBuildRootList, br_id,
                          world.t1, [found, local])
        assert msg == 'No such file in build environment: x/local-1.0-SNAPSHOT.jar, size: 5'
        world.act('b1')
        host.updateMavenBuildRootList(br_id, world.t1, [found, local], ignore=ignore)
    finally:
        context.opts['EnableMaven'] = False
    rows = db.QueryProcessor(columns=['archive_id'], tables=['buildroot_archives'],
                             clauses=['buildroot_id = %(id)s'], values={'id': br_id},
                             opts={'order': 'archive_id', 'asList': True}).execute()
    assert [r[0] for r in rows] == sorted([jar, pom])
    world.fails('b1', koji.GenericError, host.updateMavenBuildRootList, br_id, world.t1,
                [found])
    # with Maven off, a caller that is no host hears that first, as from any host call
    msg = world.fails('tadmin', koji.AuthError, host.updateMavenBuildRootList, br_id,
                      world.t1, [found])
    assert msg.startswith('User ') and msg.endswith(' is not a host')
