"""resetBuild, deleteBuild, cancelBuild, owner/timestamp, references: real db, real rpms."""
import os
import time
import xmlrpc.client

import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.builds.build_lifecycle import BuildLifecycleExports
from kojihub.builds.build_write import create_empty_build, new_build
from kojihub.builds.builds import get_build
from kojihub.tags.tagging import _tag_build, _untag_build
from kojihub.tags.tags import create_tag
from tests.fixtures.auth import create_user_with, open_session, start_request
from tests.hub.test_rpms import import_build

api = BuildLifecycleExports()
S = koji.BUILD_STATES


@pytest.fixture
def admin(hub_context, make_user, login_as):
    make_user('lcadmin', perms=['admin'])
    return login_as('lcadmin')


@pytest.fixture
def callbacks():
    seen = []

    def record(cbtype, **kw):
        seen.append((cbtype, kw['attribute'], kw['old'], kw['new'], kw['info'].get('id')))
    names = ('preBuildStateChange', 'postBuildStateChange')
    for name in names:
        koji.plugin.callbacks[name].append(record)
    yield seen
    for name in names:
        koji.plugin.callbacks[name].remove(record)


def count(table, build_id):
    return db._singleValue('SELECT COUNT(*) FROM %s WHERE build_id = %%(b)s' % table,
                           {'b': build_id})


def test_owner_and_timestamp(admin, callbacks):
    build_id = create_empty_build('lc-owner', '1', '1', None)
    user = create_user_with('lc-newowner')
    del callbacks[:]
    api.setBuildOwner(build_id, 'lc-newowner')
    assert get_build(build_id)['owner_id'] == user['id']
    assert [c[:2] for c in callbacks] == [('preBuildStateChange', 'owner_id'),
                                          ('postBuildStateChange', 'owner_id')]
    assert callbacks[0][3] == user['id']

    api.setBuildTimestamp(build_id, 1500000000.5)
    assert get_build(build_id)['completion_ts'] == 1500000000.5
    assert callbacks[-1][0:2] == ('postBuildStateChange', 'completion_ts')
    assert callbacks[-1][3] == 1500000000.5
    api.setBuildTimestamp(build_id, xmlrpc.client.DateTime('20200102T03:04:05'))
    expect = time.mktime((2020, 1, 2, 3, 4, 5, 0, 0, -1))
    assert get_build(build_id)['completion_ts'] == expect
    with pytest.raises(koji.GenericError):
        api.setBuildTimestamp(build_id, 'yesterday')


def test_admin_only(hub_context, make_user, login_as):
    start_request()
    create_user_with('lc-root', perms=['admin'])
    login_as('lc-root')
    build_id = create_empty_build('lc-perm', '1', '1', None)
    make_user('lc-plain')
    login_as('lc-plain')
    for call, args in ((api.resetBuild, (build_id,)), (api.deleteBuild, (build_id,)),
                       (api.setBuildOwner, (build_id, 'lc-plain')),
                       (api.setBuildTimestamp, (build_id, 0))):
        with pytest.raises(koji.ActionNotAllowed):
            call(*args)


def test_cancel_build(hub_context, callbacks):
    start_request()
    create_user_with('lc-alice')
    create_user_with('lc-bob')
    create_user_with('lc-boss', perms=['admin'])
    sessions = {n: open_session(n) for n in ('lc-alice', 'lc-bob', 'lc-boss')}
    start_request(sinfo=sessions['lc-boss'])
    building = new_build({'name': 'lc-cancel', 'version': '1', 'release': '1',
                          'epoch': None, 'owner': 'lc-alice', 'state': S['BUILDING']})
    done = create_empty_build('lc-cancel', '1', '2', None)
    context.cnx.commit()

    start_request(sinfo=sessions['lc-bob'], method='cancelBuild')
    with pytest.raises(koji.ActionNotAllowed):
        api.cancelBuild(building)
    assert api.cancelBuild(999999) is False
    with pytest.raises(koji.GenericError):
        api.cancelBuild(999999, strict=True)

    start_request(sinfo=sessions['lc-alice'], method='cancelBuild')
    del callbacks[:]
    assert api.cancelBuild(building) is True
    binfo = get_build(building)
    assert binfo['state'] == S['CANCELED'] and binfo['completion_time'] is not None
    assert [c[0] for c in callbacks] == ['preBuildStateChange', 'postBuildStateChange']
    assert callbacks[0][1:4] == ('state', S['BUILDING'], S['CANCELED'])
    assert api.cancelBuild(building) is False     # only BUILDING builds
    start_request(sinfo=sessions['lc-boss'], method='cancelBuild')
    assert api.cancelBuild(done) is False


def test_cancel_build_cancels_task(taskenv):
    from kojihub.tasks import task_actions
    from kojihub.tasks.tasks import get_task_info
    taskenv.act('tadmin')
    task_id = task_actions.make_task('build', ['src', 'target'])
    build_id = new_build({'name': 'lc-task', 'version': '1', 'release': '1', 'epoch': None,
                          'owner': 'alice', 'state': S['BUILDING'], 'task_id': task_id})
    taskenv.act('alice', 'cancelBuild')
    assert api.cancelBuild(build_id) is True
    assert get_task_info(task_id)['state'] == koji.TASK_STATES['CANCELED']


def _buildroot():
    br_id = db.nextval('buildroot_id_seq')
    db.InsertProcessor('buildroot', data={'id': br_id, 'br_type': 1}).execute()
    return br_id


def _fake_rpm(build_id, name, buildroot_id=None):
    rpm_id = db.nextval('rpminfo_id_seq')
    db.InsertProcessor('rpminfo', data={
        'id': rpm_id, 'build_id': build_id, 'buildroot_id': buildroot_id, 'name': name,
        'version': '1', 'release': '1', 'arch': 'noarch', 'draft': False,
        'external_repo_id': 0, 'payloadhash': 'x', 'size': 1, 'buildtime': 1}).execute()
    return rpm_id


def test_references_and_delete(topdir, admin, rpm_builds, callbacks):  # noqa: F811
    records = import_build(rpm_builds.noarch)
    binfo = records[0]['build']
    build_id = binfo['id']
    builddir = koji.pathinfo.build(binfo)
    assert os.path.isdir(builddir)
    db.InsertProcessor('rpmsigs', data={'rpm_id': records[1]['id'], 'sigkey': 'abcd',
                                        'sighash': 'h'}).execute()

    refs = api.buildReferences(build_id)
    assert refs == {'tags': [], 'rpms': [], 'component_of': [], 'archives': [],
                    'last_used': None, 'images': []}

    tag_id = create_tag('lc-tag')
    _tag_build(tag_id, build_id, force=True)
    assert api.buildReferences(build_id)['tags'] == [{'tag_id': tag_id, 'name': 'lc-tag'}]
    assert api.buildReferences(build_id, lazy=True) == {
        'tags': [{'tag_id': tag_id, 'name': 'lc-tag'}]}
    with pytest.raises(koji.GenericError, match='tagged'):
        api.deleteBuild(build_id)
    assert api.deleteBuild(build_id, strict=False) is False
    _untag_build(tag_id, build_id)

    # another build was built in a buildroot holding one of our rpms
    br_id = _buildroot()
    db.InsertProcessor('buildroot_listing', data={'buildroot_id': br_id,
                                                  'rpm_id': records[1]['id']}).execute()
    other = create_empty_build('lc-consumer', '1', '1', None)
    made = _fake_rpm(other, 'lc-consumer', br_id)
    refs = api.buildReferences(build_id)
    assert [r['id'] for r in refs['rpms']] == [made]
    assert set(refs['rpms'][0]) == {'id', 'name', 'version', 'release', 'arch', 'build_id'}
    with pytest.raises(koji.GenericError, match='used in buildroots'):
        api.deleteBuild(build_id)
    db._dml('UPDATE rpminfo SET buildroot_id = NULL WHERE id = %(id)s', {'id': made})

    del callbacks[:]
    assert api.deleteBuild(build_id) is True
    after = get_build(build_id)
    assert after['state'] == S['DELETED']
    assert not os.path.exists(builddir)
    assert count('rpminfo', build_id) == len(records)      # rows stay
    assert db._singleValue('SELECT COUNT(*) FROM rpmsigs WHERE rpm_id = %(r)s',
                           {'r': records[1]['id']}) == 0
    assert [c[:4] for c in callbacks] == [
        ('preBuildStateChange', 'state', S['COMPLETE'], S['DELETED']),
        ('postBuildStateChange', 'state', S['COMPLETE'], S['DELETED'])]


def test_reset_build(topdir, admin, rpm_builds, callbacks):  # noqa: F811
    records = import_build(rpm_builds.arch)
    binfo = records[0]['build']
    build_id = binfo['id']
    builddir = koji.pathinfo.build(binfo)
    br_id = _buildroot()
    db.InsertProcessor('buildroot_listing', data={'buildroot_id': br_id,
                                                  'rpm_id': records[1]['id']}).execute()
    tag_id = create_tag('lc-reset-tag')
    _tag_build(tag_id, build_id, force=True)
    del callbacks[:]
    assert api.resetBuild(build_id) is None
    after = get_build(build_id)
    assert after['state'] == S['CANCELED'] and after['task_id'] is None
    for table in ('rpminfo', 'tag_listing', 'build_types', 'archiveinfo'):
        assert count(table, build_id) == 0
    assert db._singleValue('SELECT COUNT(*) FROM buildroot_listing WHERE buildroot_id = '
                           '%(b)s', {'b': br_id}) == 0
    assert not os.path.exists(builddir)
    assert [c[:4] for c in callbacks] == [
        ('preBuildStateChange', 'state', S['COMPLETE'], S['CANCELED']),
        ('postBuildStateChange', 'state', S['COMPLETE'], S['CANCELED'])]
    assert api.resetBuild(999999) is None          # unknown builds are ignored


def test_untagged_and_average(admin):
    a = create_empty_build('lc-untag', '1', '1', None)
    b = create_empty_build('lc-untag', '1', '2', None)
    new_build({'name': 'lc-untag', 'version': '1', 'release': '3', 'epoch': None,
               'state': S['BUILDING']})
    tag_id = create_tag('lc-untag-tag')
    _tag_build(tag_id, b, force=True)
    rows = api.untaggedBuilds('lc-untag')
    assert rows == [{'id': a, 'name': 'lc-untag', 'version': '1', 'release': '1'}]
    assert api.untaggedBuilds('lc-untag', queryOpts={'countOnly': True}) == 1
    assert api.untaggedBuilds(queryOpts={'countOnly': True}) >= 1

    # imports do not count; builds with a task (or a CG koji_task_id) do
    assert api.getAverageBuildDuration('lc-untag') is None
    assert api.getAverageBuildDuration('no-such-package') is None
    db._dml("UPDATE build SET extra = '{\"koji_task_id\": 1}', "
            "completion_time = (SELECT time FROM events WHERE id = build.create_event) "
            "+ interval '100 seconds' WHERE id = %(a)s", {'a': a})
    assert api.getAverageBuildDuration('lc-untag') == pytest.approx(100.0)
    assert api.getAverageBuildDuration('lc-untag', age=3) == pytest.approx(100.0)
    db._dml("UPDATE build SET start_time = NOW() - interval '1 year' WHERE id = %(a)s",
            {'a': a})
    assert api.getAverageBuildDuration('lc-untag', age=3) is None
