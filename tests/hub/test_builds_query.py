"""Build read calls (getBuild, findBuildID, listBuilds, build types) on a real database."""
import datetime
import json
import xmlrpc.client

import pytest

import koji
from kojihub.core import db
from kojihub.builds.build_info import BuildInfoExports
from kojihub.builds.builds import BuildQueryExports as api
from kojihub.core.lookup import lookup_name

UTC = datetime.timezone.utc
T0 = datetime.datetime(2024, 1, 1, tzinfo=UTC)

GETBUILD_KEYS = {
    'build_id', 'cg_id', 'cg_name', 'completion_time', 'completion_ts', 'creation_event_id',
    'creation_time', 'creation_ts', 'draft', 'epoch', 'extra', 'id', 'name', 'nvr',
    'owner_id', 'owner_name', 'package_id', 'package_name', 'promoter_id', 'promoter_name',
    'promotion_time', 'promotion_ts', 'release', 'source', 'start_time', 'start_ts', 'state',
    'task_id', 'version', 'volume_id', 'volume_name'}
LISTBUILDS_KEYS = GETBUILD_KEYS - {'id', 'cg_id', 'cg_name'}

STATES = koji.BUILD_STATES


def event_at(when):
    return db._singleValue('INSERT INTO events (time) VALUES (%(t)s) RETURNING id',
                           {'t': when})


def make_task(owner_id):
    return db._singleValue(
        "INSERT INTO task (state, channel_id, owner, method, arch, request) "
        "VALUES (2, 1, %(owner)s, 'build', 'noarch', '<?xml version=\"1.0\"?>') "
        "RETURNING id", {'owner': owner_id})


def insert_build(name, version, release, owner, day, state=STATES['COMPLETE'], epoch=None,
                 volume_id=0, task_id=None, source=None, extra=None, cg_id=None,
                 draft=False, promoter=None, promoted_day=None, btypes=('rpm',)):
    """One build row plus its build_types links; returns the build id."""
    pkg = lookup_name('package', name, create=True)
    build_id = db.nextval('build_id_seq')
    completion = None
    if state != STATES['BUILDING']:
        completion = T0 + datetime.timedelta(days=day, hours=2)
    if draft:
        release = '%s,draft_%d' % (release, build_id)
    data = {
        'id': build_id, 'pkg_id': pkg['id'], 'version': version, 'release': release,
        'epoch': epoch, 'draft': draft, 'source': source, 'state': state,
        'task_id': task_id, 'owner': owner, 'volume_id': volume_id, 'cg_id': cg_id,
        'create_event': event_at(T0 + datetime.timedelta(days=day)),
        'start_time': T0 + datetime.timedelta(days=day, hours=1),
        'completion_time': completion,
        'extra': None if extra is None else json.dumps(extra),
        'promoter': promoter,
        'promotion_time': (None if promoted_day is None
                           else T0 + datetime.timedelta(days=promoted_day)),
    }
    db.InsertProcessor('build', data=data).execute()
    for btype in btypes:
        btype_id = lookup_name('btype', btype, strict=True)['id']
        db.InsertProcessor('build_types', data={'build_id': build_id,
                                                'btype_id': btype_id}).execute()
    return build_id


@pytest.fixture
def builds(make_user, hub_context):
    """A small set of builds spread over days 0..5, owners, volumes, types and states."""
    alice = make_user('alice')
    bob = make_user('bob')
    vol = lookup_name('volume', 'vol2', create=True)
    cg = lookup_name('content_generator', 'my-cg', create=True)
    task_id = make_task(alice['id'])
    ids = {}
    ids['foo1'] = insert_build('foo', '1.0', '1', alice['id'], 0, task_id=task_id,
                               source='git://example.com/foo#abc', extra={'a': [1, 2]})
    ids['foo2'] = insert_build('foo', '1.1', '1', alice['id'], 1, epoch=2,
                               state=STATES['FAILED'])
    ids['bar'] = insert_build('bar', '2.0', '3', bob['id'], 2, volume_id=vol['id'],
                              source='git://example.com/bar#def', cg_id=cg['id'],
                              promoter=alice['id'], promoted_day=4)
    ids['foobar'] = insert_build('foo_bar', '0.1', '1', bob['id'], 3,
                                 state=STATES['BUILDING'], draft=True, btypes=())
    ids['mvn'] = insert_build('mvnpkg', '3', '1', bob['id'], 4, btypes=('maven',),
                              extra={'typeinfo': {'maven': {'ignored': True}}})
    db.InsertProcessor('maven_builds', data={'build_id': ids['mvn'], 'group_id': 'org.x',
                                             'artifact_id': 'lib',
                                             'version': '3'}).execute()
    ids['win'] = insert_build('winpkg', '1', '1', bob['id'], 5, btypes=('win',))
    db.InsertProcessor('win_builds', data={'build_id': ids['win'],
                                           'platform': 'w10'}).execute()
    ids['img'] = insert_build('imgpkg', '1', '1', alice['id'], 5, btypes=('image',))
    db.InsertProcessor('image_builds', data={'build_id': ids['img']}).execute()
    lookup_name('btype', 'custom', create=True)
    ids['custom'] = insert_build('cust', '1', '1', alice['id'], 5, btypes=('custom',),
                                 extra={'typeinfo': {'custom': {'k': 'v'}}})
    ids.update(alice=alice['id'], bob=bob['id'], vol=vol['id'], cg=cg['id'], task=task_id)
    return ids


def nvrs(rows):
    return sorted(row['nvr'] for row in rows)


def test_get_build_keys_and_values(builds):
    build = api.getBuild(builds['foo1'])
    assert set(build) == GETBUILD_KEYS
    assert build['id'] == build['build_id'] == builds['foo1']
    assert (build['name'], build['version'], build['release']) == ('foo', '1.0', '1')
    assert build['nvr'] == 'foo-1.0-1'
    assert build['package_name'] == 'foo'
    assert build['owner_name'] == 'alice' and build['owner_id'] == builds['alice']
    assert (build['volume_id'], build['volume_name']) == (0, 'DEFAULT')
    assert build['state'] == STATES['COMPLETE']
    assert build['task_id'] == builds['task']
    assert build['extra'] == {'a': [1, 2]}
    assert build['epoch'] is None and build['draft'] is False
    assert build['cg_id'] is None and build['cg_name'] is None
    assert build['promoter_id'] is None and build['promotion_ts'] is None
    assert build['creation_ts'] == T0.timestamp()
    assert build['start_ts'] == T0.timestamp() + 3600
    assert build['completion_ts'] == T0.timestamp() + 7200
    assert isinstance(build['creation_ts'], float)
    assert build['creation_time'] == T0

    bar = api.getBuild('bar-2.0-3')
    assert bar['cg_id'] == builds['cg'] and bar['cg_name'] == 'my-cg'
    assert bar['volume_name'] == 'vol2'
    assert bar['promoter_name'] == 'alice'
    assert bar['promotion_ts'] == (T0 + datetime.timedelta(days=4)).timestamp()
    assert api.getBuild(builds['foo2'])['epoch'] == 2


def test_get_build_lookups(builds):
    by_id = api.getBuild(builds['foo1'])
    assert api.getBuild('foo-1.0-1') == by_id
    assert api.getBuild({'name': 'foo', 'version': '1.0', 'release': '1'}) == by_id
    assert api.getBuild({'id': builds['foo1']}) == by_id
    assert api.getBuild('1:foo-1.0-1') == by_id  # epoch in the string is ignored
    assert api.findBuildID('foo-1.0-1') == builds['foo1']
    assert api.findBuildID({'name': 'bar', 'version': '2.0', 'release': '3'}) == builds['bar']
    assert api.findBuildID(builds['bar']) == builds['bar']


def test_get_build_missing_and_strict(builds):
    assert api.getBuild('nosuch-1-1') is None
    assert api.getBuild(999999) is None
    assert api.findBuildID('nosuch-1-1') is None
    assert api.findBuildID(999999) is None
    for call in (api.getBuild, api.findBuildID):
        with pytest.raises(koji.GenericError, match='No such build') as exc:
            call('nosuch-1-1', strict=True)
        assert exc.value.faultCode == 1000
        with pytest.raises(koji.GenericError, match='No such build'):
            call(999999, strict=True)
    with pytest.raises(koji.GenericError):
        api.getBuild('not-an-nvr-')
    with pytest.raises(koji.GenericError, match='name, version, and release'):
        api.getBuild({'name': 'foo'})
    with pytest.raises(koji.GenericError, match='Invalid type'):
        api.getBuild(['foo'])


def test_list_builds_keys(builds):
    rows = api.listBuilds()
    assert len(rows) == 8
    for row in rows:
        assert set(row) == LISTBUILDS_KEYS
    foo1 = [r for r in rows if r['build_id'] == builds['foo1']][0]
    assert foo1['extra'] == {'a': [1, 2]}


def test_list_builds_filters(builds):
    assert nvrs(api.listBuilds(packageID=lookup_name('package', 'foo')['id'])) == \
        ['foo-1.0-1', 'foo-1.1-1']
    assert nvrs(api.listBuilds(packageID='foo')) == ['foo-1.0-1', 'foo-1.1-1']
    assert len(api.listBuilds(userID=builds['bob'])) == 4
    assert len(api.listBuilds(userID='bob')) == 4
    assert nvrs(api.listBuilds(taskID=builds['task'])) == ['foo-1.0-1']
    assert nvrs(api.listBuilds(taskID=-1)) == ['foo-1.0-1']
    # prefix is case-insensitive and literal ('_' is not a wildcard)
    assert nvrs(api.listBuilds(prefix='FOO')) == sorted(
        ['foo-1.0-1', 'foo-1.1-1', api.getBuild(builds['foobar'])['nvr']])
    assert nvrs(api.listBuilds(prefix='foo_')) == [api.getBuild(builds['foobar'])['nvr']]
    assert nvrs(api.listBuilds(state=STATES['FAILED'])) == ['foo-1.1-1']
    assert len(api.listBuilds(state=[STATES['FAILED'], STATES['BUILDING']])) == 2
    assert nvrs(api.listBuilds(volumeID=builds['vol'])) == ['bar-2.0-3']
    assert nvrs(api.listBuilds(volumeID='vol2')) == ['bar-2.0-3']
    assert nvrs(api.listBuilds(source='git://example.com/*')) == ['bar-2.0-3', 'foo-1.0-1']
    assert nvrs(api.listBuilds(source='*#DEF')) == ['bar-2.0-3']
    assert nvrs(api.listBuilds(pattern='foo-1.?-*')) == ['foo-1.0-1', 'foo-1.1-1']
    assert nvrs(api.listBuilds(cgID=builds['cg'])) == ['bar-2.0-3']
    assert nvrs(api.listBuilds(cgID='my-cg')) == ['bar-2.0-3']
    assert [r['build_id'] for r in api.listBuilds(draft=True)] == [builds['foobar']]
    assert len(api.listBuilds(draft=False)) == 7
    assert nvrs(api.listBuilds(promoter='alice')) == ['bar-2.0-3']
    assert nvrs(api.listBuilds(promoter=builds['alice'])) == ['bar-2.0-3']
    assert api.listBuilds(packageID='foo', userID='bob') == []
    with pytest.raises(koji.GenericError, match='No such package'):
        api.listBuilds(packageID='nosuch')
    with pytest.raises(koji.GenericError):
        api.listBuilds(userID='nosuch')


def test_list_builds_time_filters(builds):
    day = 86400
    t0 = T0.timestamp()
    ids = lambda rows: sorted(r['build_id'] for r in rows)  # noqa: E731
    assert ids(api.listBuilds(createdBefore=t0 + day)) == [builds['foo1']]
    assert ids(api.listBuilds(createdAfter=t0 + 4 * day)) == sorted(
        [builds['win'], builds['img'], builds['custom']])
    assert ids(api.listBuilds(createdAfter='2024-01-05 12:00:00+00')) == sorted(
        [builds['win'], builds['img'], builds['custom']])
    assert ids(api.listBuilds(createdBefore=xmlrpc.client.DateTime('20240101T12:00:00'))) \
        == [builds['foo1']]
    # completion is 2h after creation; the BUILDING build has none
    assert ids(api.listBuilds(completeBefore=t0 + 3 * 3600)) == [builds['foo1']]
    assert builds['foobar'] not in ids(api.listBuilds(completeAfter=t0))
    assert len(api.listBuilds(completeAfter=t0)) == 7
    assert ids(api.listBuilds(promotedAfter=t0 + 3 * day)) == [builds['bar']]
    assert api.listBuilds(promotedBefore=t0 + 3 * day) == []
    assert ids(api.listBuilds(createdAfter=t0, createdBefore=t0 + 2 * day)) == \
        [builds['foo2']]


def test_list_builds_types(builds):
    rpm = api.listBuilds(type='rpm')
    assert sorted(r['build_id'] for r in rpm) == sorted(
        [builds['foo1'], builds['foo2'], builds['bar']])
    maven = api.listBuilds(type='maven')
    assert len(maven) == 1
    assert set(maven[0]) == LISTBUILDS_KEYS | {'maven_group_id', 'maven_artifact_id',
                                               'maven_version'}
    assert (maven[0]['maven_group_id'], maven[0]['maven_artifact_id']) == ('org.x', 'lib')
    assert api.listBuilds(type='maven', typeInfo={'group_id': 'org.x',
                                                  'artifact_id': 'lib'}) == maven
    assert api.listBuilds(type='maven', typeInfo={'group_id': 'other'}) == []
    win = api.listBuilds(type='win')
    assert [r['platform'] for r in win] == ['w10']
    assert api.listBuilds(type='win', typeInfo={'platform': 'w7'}) == []
    assert [r['build_id'] for r in api.listBuilds(type='image')] == [builds['img']]
    assert [r['build_id'] for r in api.listBuilds(type='custom')] == [builds['custom']]
    with pytest.raises(koji.GenericError, match='unsupported build type'):
        api.listBuilds(type='nosuch')


def test_list_builds_query_opts(builds):
    assert api.listBuilds(queryOpts={'countOnly': True}) == 8
    assert api.listBuilds(userID='alice', queryOpts={'countOnly': True}) == 4
    ordered = api.listBuilds(queryOpts={'order': '-build_id'})
    assert [r['build_id'] for r in ordered] == sorted((r['build_id'] for r in ordered),
                                                      reverse=True)
    page = api.listBuilds(queryOpts={'order': 'build_id', 'offset': 2, 'limit': 3})
    assert [r['build_id'] for r in page] == sorted(r['build_id'] for r in ordered)[2:5]
    by_owner = api.listBuilds(queryOpts={'order': 'owner_name,nvr'})
    assert [r['owner_name'] for r in by_owner] == ['alice'] * 4 + ['bob'] * 4
    rows = api.listBuilds(packageID='bar', queryOpts={'asList': True})
    assert len(rows) == 1 and isinstance(rows[0], list)
    assert len(rows[0]) == len(LISTBUILDS_KEYS)
    assert rows[0][sorted(LISTBUILDS_KEYS).index('nvr')] == 'bar-2.0-3'
    # upstream's QueryProcessor raises a bare Exception (a faultCode 1 reply)
    with pytest.raises(Exception, match='^Invalid order: nosuch$'):
        api.listBuilds(queryOpts={'order': 'nosuch'})


def test_build_types(builds):
    assert BuildInfoExports.getBuildType(builds['foo1']) == {'rpm': None}
    assert BuildInfoExports.getBuildType(builds['mvn']) == {
        'maven': {'build_id': builds['mvn'], 'group_id': 'org.x', 'artifact_id': 'lib',
                  'version': '3'}}
    assert BuildInfoExports.getBuildType(builds['win']) == {
        'win': {'build_id': builds['win'], 'platform': 'w10'}}
    assert BuildInfoExports.getBuildType(builds['img']) == {'image': {'build_id': builds['img']}}
    assert BuildInfoExports.getBuildType(builds['custom']) == {'custom': {'k': 'v'}}
    assert BuildInfoExports.getBuildType(builds['foobar']) == {}
    assert BuildInfoExports.getBuildType('nosuch-1-1') is None
    with pytest.raises(koji.GenericError, match='No such build'):
        BuildInfoExports.getBuildType('nosuch-1-1', strict=True)
    names = [r['name'] for r in api.listBTypes(queryOpts={'order': 'id'})]
    assert names[:4] == ['rpm', 'maven', 'win', 'image'] and 'custom' in names
    assert api.listBTypes({'name': 'maven'}) == [{'id': 2, 'name': 'maven'}]
    assert api.listBTypes({'id': 3}) == [{'id': 3, 'name': 'win'}]
    assert api.listBTypes(queryOpts={'countOnly': True}) == len(names)
