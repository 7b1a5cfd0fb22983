"""snapshotTag / snapshotTagModify and host.tagBuild (kojihub.tags.snapshot) on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.builds import build_write
from kojihub.core import db, policy
from kojihub.tags import groups, inheritance, packages, tags
from kojihub.api.host_exports import HostExports as host
from kojihub.tags.snapshot import SnapshotExports as api
from kojihub.tags.tagged import read_tagged_builds
from kojihub.tasks import task_actions as ta
from kojihub.tags.tagging import tag_build_bypass


def link(parent_id):
    return {'parent_id': parent_id, 'priority': 0, 'maxdepth': None, 'intransitive': False,
            'noconfig': False, 'pkg_filter': ''}


def new_build(name, version):
    return build_write.new_build({'name': name, 'version': version, 'release': '1',
                                  'epoch': None})


@pytest.fixture
def env(taskenv):
    """base <- leaf with packages, builds and groups spread over both tags."""
    taskenv.act('tadmin')
    ids = {}
    ids['base'] = tags.create_tag('base', arches='x86_64', extra={'a': 1, 'b': 2})
    ids['leaf'] = tags.create_tag('leaf', arches='aarch64', locked=False, extra={'b': 3})
    inheritance.set_inheritance_data('leaf', [link(ids['base'])])
    packages.pkglist_add('base', 'foo', owner='alice')
    packages.pkglist_add('base', 'bar', owner='tadmin')
    packages.pkglist_add('leaf', 'bar', owner='tadmin', block=True)
    packages.pkglist_add('leaf', 'qux', owner='bob', extra_arches='ppc64le')
    for nvr in ('foo1', 'foo2', 'qux1'):
        ids[nvr] = new_build(nvr[:-1], nvr[-1])
    ids['bar1'] = new_build('bar', '1')
    tag_build_bypass('base', ids['foo1'])
    tag_build_bypass('base', ids['bar1'])
    taskenv.act('tadmin')
    tag_build_bypass('base', ids['foo2'])
    tag_build_bypass('leaf', ids['qux1'])
    groups.grplist_add('base', 'build', description='the buildroot')
    groups.grp_pkg_add('base', 'build', 'gcc')
    groups.grp_pkg_add('base', 'build', 'make')
    groups.grplist_add('leaf', 'srpm-build')
    groups.grp_req_add('leaf', 'srpm-build', 'build')
    groups.grp_pkg_add('leaf', 'build', 'make', block=True)
    taskenv.act('tadmin')
    ids['event'] = db.get_event()
    taskenv.act('tadmin')
    return ids


def pkg_view(tag):
    return {(e['package_name'], e['blocked'], e['extra_arches'], e['owner_name'])
            for e in packages.readPackageList(tagID=tags.get_tag_id(tag), inherit=True)
            .values()}


def group_view(tag):
    result = {}
    for grp in groups.readTagGroups(tag, incl_blocked=True):
        result[grp['name']] = (grp['blocked'], grp['description'],
                               sorted((p['package'], p['blocked']) for p in grp['packagelist']),
                               sorted(r['name'] for r in grp['grouplist']))
    return result


def nvrs(tag, **kw):
    return [b['nvr'] for b in read_tagged_builds(tags.get_tag_id(tag), **kw)]


def test_snapshot_copies_everything(env, taskenv):
    api.snapshotTag('leaf', 'snap')
    snap = tags.get_tag('snap')
    assert snap['arches'] == 'aarch64' and snap['extra'] == {'b': 3}
    assert db._singleValue('SELECT count(*) FROM tag_inheritance WHERE tag_id = %(t)s',
                           {'t': snap['id']}) == 0
    assert pkg_view('snap') == pkg_view('leaf')
    assert ('bar', True, None, 'tadmin') in pkg_view('snap')
    # latest only, inherited: newest foo and the leaf's qux; bar is blocked
    assert sorted(nvrs('snap')) == ['foo-2-1', 'qux-1-1']
    assert nvrs('snap', latest=True, inherit=True) == nvrs('leaf', latest=True, inherit=True)
    assert group_view('snap') == group_view('leaf')
    assert group_view('snap')['build'] == (False, 'the buildroot',
                                           [('gcc', False), ('make', True)], [])
    with pytest.raises(koji.GenericError, match='^Target tag already exists$'):
        api.snapshotTag('leaf', 'snap')


def test_snapshot_options(env, taskenv):
    api.snapshotTag('leaf', 'all', latest_only=False, groups=False, config=False)
    assert sorted(nvrs('all')) == ['foo-1-1', 'foo-2-1', 'qux-1-1']
    info = tags.get_tag('all')
    assert info['arches'] == '' and info['extra'] == {}
    assert group_view('all') == {}
    taskenv.act('tadmin')
    api.snapshotTag('leaf', 'own', inherit_builds=False)
    assert nvrs('own') == ['qux-1-1']
    taskenv.act('tadmin')
    with pytest.raises(koji.ParameterError,
                       match="^builds can't be used without pkgs in snapshotTag$"):
        api.snapshotTag('leaf', 'nopkgs', pkgs=False)
    with pytest.raises(koji.GenericError):
        api.snapshotTag('nosuchtag', 'x')


def test_snapshot_at_event(env, taskenv):
    tag_build_bypass('leaf', new_build('foo', '3'))
    packages.pkglist_add('leaf', 'late', owner='alice')
    taskenv.act('tadmin')
    api.snapshotTag('leaf', 'past', event=env['event'])
    assert sorted(nvrs('past')) == ['foo-2-1', 'qux-1-1']
    assert 'late' not in {p[0] for p in pkg_view('past')}
    taskenv.act('tadmin')
    api.snapshotTag('leaf', 'now')
    assert sorted(nvrs('now')) == ['foo-3-1', 'qux-1-1']


def test_modify_and_remove(env, taskenv):
    dst = tags.create_tag('dst', arches='s390x', extra={'old': True})
    packages.pkglist_add('dst', 'stale', owner='bob')
    packages.pkglist_add('dst', 'foo', owner='bob')
    tag_build_bypass('dst', env['foo1'])
    groups.grplist_add('dst', 'oldgroup')
    taskenv.act('tadmin')
    api.snapshotTagModify('leaf', 'dst')
    info = tags.get_tag(dst)
    assert info['arches'] == 'aarch64' and info['extra'] == {'b': 3, 'old': True}
    assert ('foo', False, None, 'alice') in pkg_view('dst')
    assert ('stale', False, None, 'bob') in pkg_view('dst')
    assert sorted(nvrs('dst')) == ['foo-1-1', 'foo-2-1', 'qux-1-1']
    assert 'oldgroup' in group_view('dst')
    # nothing changes when run again: no rows rewritten
    count = db._singleValue('SELECT count(*) FROM tag_packages WHERE tag_id = %(t)s',
                            {'t': dst})
    taskenv.act('tadmin')
    api.snapshotTagModify('leaf', 'dst')
    assert count == db._singleValue('SELECT count(*) FROM tag_packages WHERE tag_id = %(t)s',
                                    {'t': dst})
    taskenv.act('tadmin')
    api.snapshotTagModify('leaf', 'dst', remove=True)
    assert tags.get_tag(dst)['extra'] == {'b': 3}
    assert pkg_view('dst') == pkg_view('leaf')
    assert sorted(nvrs('dst')) == ['foo-2-1', 'qux-1-1']
    assert group_view('dst') == group_view('leaf')
    with pytest.raises(koji.GenericError):
        api.snapshotTagModify('leaf', 'nosuchtag')


def test_modify_locked_and_perms(env, taskenv):
    tags.create_tag('locked', locked=True)
    taskenv.act('tadmin')
    with pytest.raises(koji.GenericError,
                       match='^Source or destination tag is locked, use force to copy$'):
        api.snapshotTagModify('leaf', 'locked')
    with pytest.raises(koji.GenericError, match='^Source tag is locked, use force to copy$'):
        api.snapshotTag('locked', 'fromlocked')
    api.snapshotTag('locked', 'fromlocked', force=True, pkgs=False, builds=False)
    api.snapshotTagModify('leaf', 'locked', force=True, config=False)
    assert sorted(nvrs('locked')) == ['foo-2-1', 'qux-1-1']
    taskenv.act('alice')
    with pytest.raises(koji.ActionNotAllowed):
        api.snapshotTag('leaf', 'mine')
    with pytest.raises(koji.ActionNotAllowed):
        api.snapshotTagModify('leaf', 'locked')


def set_policy(text):
    context.opts = dict(context.opts, policy={'tag': text})
    context.policy = policy.load_policies(context.opts)


def test_host_tag_build(env, taskenv):
    taskenv.add_host('b1')
    taskenv.add_host('b2')
    foo3 = new_build('foo', '3')
    taskenv.act('alice')
    task_id = ta.make_task('tagBuild', [env['leaf'], foo3, False, None])
    taskenv.act('b1', 'host.openTask')
    host.openTask(task_id)
    taskenv.act('b2', 'host.tagBuild')
    with pytest.raises(koji.ActionNotAllowed):
        host.tagBuild(task_id, 'leaf', foo3)
    taskenv.act('alice', 'host.tagBuild')
    with pytest.raises(koji.AuthError):
        host.tagBuild(task_id, 'leaf', foo3)
    taskenv.act('b1', 'host.tagBuild')
    set_policy('user alice :: deny alice may not\nall :: allow')
    with pytest.raises(koji.ActionNotAllowed, match='alice may not'):
        host.tagBuild(task_id, 'leaf', foo3)
    set_policy('user alice && operation move :: allow\nall :: deny')
    taskenv.act('b1', 'host.tagBuild')
    with pytest.raises(koji.ActionNotAllowed):
        host.tagBuild(task_id, 'leaf', foo3)
    # a move as alice: out of base, into leaf
    host.tagBuild(task_id, 'leaf', env['foo2'], fromtag='base')
    assert 'foo-2-1' in nvrs('leaf') and 'foo-2-1' not in nvrs('base')
    row = db.QueryProcessor(tables=['tag_listing'], columns=['creator_id'],
                            clauses=['tag_id = %(t)s', 'build_id = %(b)s', 'active'],
                            values={'t': env['leaf'], 'b': env['foo2']}).executeOne()
    assert row['creator_id'] == taskenv.users['alice']['id']


def test_host_tag_build_refuses_locked_tag(env, taskenv):
    """As the owner would be: a locked destination (or source of a move) refuses, unless
    an admin-owned task forces it."""
    taskenv.add_host('b1')
    foo3 = new_build('foo', '3')
    tags.edit_tag('leaf', locked=True)
    for owner, force in (('alice', False), ('alice', True), ('tadmin', False)):
        taskenv.act(owner)
        task_id = ta.make_task('tagBuild', [env['leaf'], foo3, force, None])
        taskenv.act('b1', 'host.openTask')
        host.openTask(task_id)
        taskenv.act('b1', 'host.tagBuild')
        with pytest.raises(koji.ActionNotAllowed, match='^tag is locked$'):
            host.tagBuild(task_id, 'leaf', foo3, force=force)
        with pytest.raises(koji.ActionNotAllowed, match='^tag is locked$'):
            host.tagBuild(task_id, 'base', env['foo2'], fromtag='leaf', force=force)
    assert 'foo-3-1' not in nvrs('leaf')
    taskenv.act('tadmin')
    task_id = ta.make_task('tagBuild', [env['leaf'], foo3, True, None])
    taskenv.act('b1', 'host.openTask')
    host.openTask(task_id)
    taskenv.act('b1', 'host.tagBuild')
    host.tagBuild(task_id, 'leaf', foo3, force=True)
    assert 'foo-3-1' in nvrs('leaf')
