"""Events and queryHistory (kojihub.core.history) in-process on a real database."""
import time

import pytest

import koji
from koji.context import context
from kojihub.core import history
from kojihub.core.db import InsertProcessor, UpdateProcessor
from kojihub.core.history import HistoryExports as api

from tests.fixtures.auth import end_request

COMMON_KEYS = {'active', 'create_event', 'revoke_event', 'creator_id', 'revoker_id',
               'creator_name', 'revoker_name', 'create_ts', 'revoke_ts'}


def sql(query, values=None):
    cursor = context.cnx.cursor()
    cursor.execute(query, values or {})
    rows = cursor.fetchall() if cursor.description else None
    cursor.close()
    return rows


def make_tag(name, parent=None):
    from kojihub.tags import tags
    return tags.create_tag(name, parent=parent)


def grant(user_id, perm):
    from kojihub.users import perms
    perm_id = perms.lookup_perm(perm, create=True)['id']
    insert = InsertProcessor('user_perms', data={'user_id': user_id, 'perm_id': perm_id})
    insert.make_create()
    insert.execute()


def revoke(user_id, perm):
    from kojihub.users import perms
    perm_id = perms.lookup_perm(perm)['id']
    update = UpdateProcessor('user_perms', clauses=['user_id = %(u)s', 'perm_id = %(p)s'],
                             values={'u': user_id, 'p': perm_id})
    update.make_revoke()
    update.execute()


@pytest.fixture
def admin(make_user, login_as):
    user = make_user('histadmin', perms=['admin'])
    login_as('histadmin')
    return user


def test_get_event_and_last_event(hub_context, admin):
    last = api.getLastEvent()
    assert set(last) == {'id', 'ts'}
    assert isinstance(last['ts'], float)
    event = api.getEvent(last['id'])
    assert event == last
    with pytest.raises(koji.GenericError):
        api.getEvent(last['id'] + 1000)
    assert api.getEvent(last['id'] + 1000, strict=False) is None
    # before: strictly older than a timestamp
    assert api.getLastEvent(before=last['ts'] + 1)['id'] == last['id']
    older = api.getLastEvent(before=last['ts'], strict=False)
    assert older is None or older['id'] < last['id']
    assert api.getLastEvent(before=0, strict=False) is None
    with pytest.raises(koji.GenericError):
        api.getLastEvent(before=0)
    with pytest.raises(koji.GenericError):
        api.getLastEvent(before='yesterday')


def test_query_history_rows_and_keys(hub_context, admin, make_user):
    bob = make_user('bob')
    grant(bob['id'], 'repo')
    end_request()
    created = history.get_last_event()['id']
    revoke(bob['id'], 'repo')
    end_request()
    revoked = history.get_last_event()['id']

    result = api.queryHistory(tables=['user_perms'], user='bob')
    assert list(result) == ['user_perms']
    rows = result['user_perms']
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == COMMON_KEYS | {'user_id', 'perm_id', 'user.name', 'permission.name'}
    assert row['user.name'] == 'bob' and row['permission.name'] == 'repo'
    assert row['create_event'] == created and row['revoke_event'] == revoked
    assert row['creator_name'] == 'histadmin' and row['revoker_name'] == 'histadmin'
    assert row['active'] is None
    assert isinstance(row['create_ts'], float) and isinstance(row['revoke_ts'], float)

    # active filter and the permission filter
    assert api.queryHistory(tables=['user_perms'], user='bob', active=True) == \
        {'user_perms': []}
    assert len(api.queryHistory(tables=['user_perms'], user='bob',
                                active=False)['user_perms']) == 1
    rows = api.queryHistory(tables=['user_perms'], permission='repo')['user_perms']
    assert [r['user.name'] for r in rows] == ['bob']


def test_query_history_tables_and_skips(hub_context, admin):
    result = api.queryHistory()
    assert set(result) == set(history.HISTORY_TABLES)
    assert len(history.HISTORY_TABLES) == 18
    with pytest.raises(koji.GenericError):
        api.queryHistory(tables=['nosuch'])
    # a filter on an entity skips tables lacking it
    result = api.queryHistory(permission='admin')
    assert sorted(result) == ['tag_config', 'user_perms']
    result = api.queryHistory(xkey='foo')
    assert list(result) == ['tag_extra']
    # unknown kwargs are ignored (the CLI sends utc=True)
    assert 'user_perms' in api.queryHistory(tables=['user_perms'], utc=True, bogus=1)
    with pytest.raises(koji.GenericError):
        api.queryHistory(user='nobody-here')


def test_query_history_editor_and_event_bounds(hub_context, admin, make_user):
    carl = make_user('carl')
    grant(carl['id'], 'build')
    end_request()
    ev1 = history.get_last_event()['id']
    grant(carl['id'], 'sign')
    end_request()
    ev2 = history.get_last_event()['id']

    rows = api.queryHistory(tables=['user_perms'], user='carl', editor='histadmin')
    rows = rows['user_perms']
    assert len(rows) == 2
    assert all(r['_created_by'] is True for r in rows)
    assert all(r['_revoked_by'] is None for r in rows)

    rows = api.queryHistory(tables=['user_perms'], user='carl', afterEvent=ev1)['user_perms']
    assert [r['permission.name'] for r in rows] == ['sign']
    assert rows[0]['_created_after_event'] is True
    rows = api.queryHistory(tables=['user_perms'], user='carl', beforeEvent=ev2)['user_perms']
    assert [r['permission.name'] for r in rows] == ['build']
    assert rows[0]['_created_before_event'] is True

    # timestamps: epoch numbers or date strings
    ts2 = history.get_event_info(ev2)['ts']
    rows = api.queryHistory(tables=['user_perms'], user='carl', after=ts2 - 0.0001)
    assert [r['permission.name'] for r in rows['user_perms']] == ['sign']
    assert rows['user_perms'][0]['_created_after'] is True
    rows = api.queryHistory(tables=['user_perms'], user='carl', before=time.time() + 60)
    assert len(rows['user_perms']) == 2
    rows = api.queryHistory(tables=['user_perms'], user='carl', before='2000-01-01')
    assert rows['user_perms'] == []
    # queryOpts pass through to each table query
    assert api.queryHistory(tables=['user_perms'], user='carl',
                            queryOpts={'countOnly': True}) == {'user_perms': 2}
    rows = api.queryHistory(tables=['user_perms'], user='carl',
                            queryOpts={'order': '-create_event', 'limit': 1})
    assert [r['permission.name'] for r in rows['user_perms']] == ['sign']


def test_query_history_tag_tables(hub_context, admin):
    parent_id = make_tag('hist-parent')
    child_id = make_tag('hist-child', parent='hist-parent')
    end_request()
    result = api.queryHistory(tag='hist-child')
    assert 'user_perms' not in result
    cfg = result['tag_config']
    assert len(cfg) == 1 and cfg[0]['tag.name'] == 'hist-child'
    assert cfg[0]['tag_id'] == child_id
    inh = result['tag_inheritance']
    assert len(inh) == 1
    assert inh[0]['parent.name'] == 'hist-parent' and inh[0]['tag.name'] == 'hist-child'
    # the inheritance line also shows up for the parent
    inh = api.queryHistory(tables=['tag_inheritance'], tag=parent_id)['tag_inheritance']
    assert len(inh) == 1


def test_query_history_build_and_package_joins(hub_context, admin):
    tag_id = make_tag('hist-builds')
    pkg_id = sql("INSERT INTO package (name) VALUES ('hpkg') RETURNING id")[0][0]
    build_id = sql("INSERT INTO build (pkg_id, version, release, epoch, state, owner, "
                   "volume_id, completion_time) VALUES (%(p)s, '1.0', '2', NULL, 1, "
                   "%(o)s, 0, NOW()) RETURNING id", {'p': pkg_id, 'o': admin['id']})[0][0]
    insert = InsertProcessor('tag_listing', data={'tag_id': tag_id, 'build_id': build_id})
    insert.make_create()
    insert.execute()
    insert = InsertProcessor('tag_packages', data={'tag_id': tag_id, 'package_id': pkg_id,
                                                   'blocked': False})
    insert.make_create()
    insert.execute()
    end_request()
    result = api.queryHistory(build='hpkg-1.0-2')
    assert list(result) == ['tag_listing']
    row = result['tag_listing'][0]
    assert (row['name'], row['version'], row['release'], row['epoch']) == \
        ('hpkg', '1.0', '2', None)
    assert row['build.state'] == 1 and row['tag.name'] == 'hist-builds'
    result = api.queryHistory(package='hpkg')
    assert set(result) == {'tag_listing', 'tag_packages', 'tag_package_owners',
                           'group_package_listing'}
    assert len(result['tag_listing']) == 1
    assert result['tag_packages'][0]['package.name'] == 'hpkg'
    with pytest.raises(koji.GenericError):
        api.queryHistory(build='nope-1-1')


def test_tag_change_events(hub_context, admin):
    parent_id = make_tag('chg-parent')
    end_request()
    created = history.get_last_event()['id']
    child_id = make_tag('chg-child', parent='chg-parent')
    end_request()
    child_created = history.get_last_event()['id']
    assert api.tagFirstChangeEvent('chg-parent') == created
    assert api.tagFirstChangeEvent(child_id) == child_created
    assert api.tagLastChangeEvent('chg-child') == child_created
    assert api.tagChangedSinceEvent(created, [parent_id]) is False
    assert api.tagChangedSinceEvent(created, [child_id]) is True

    from kojihub.tags import tags
    tags.edit_tag(parent_id, arches='x86_64')
    end_request()
    edited = history.get_last_event()['id']
    assert api.tagLastChangeEvent(child_id) == edited
    assert api.tagLastChangeEvent(child_id, inherit=False) == child_created
    # 'before' is exclusive: the child's own creation does not count, its parent's does
    assert api.tagLastChangeEvent(child_id, before=child_created) == created
    assert api.tagFirstChangeEvent(child_id, after=child_created) == edited
    assert api.tagFirstChangeEvent(child_id, after=edited) is None
    assert api.tagChangedSinceEvent(child_created, ['chg-parent']) is True
    with pytest.raises(koji.GenericError):
        api.tagChangedSinceEvent(edited + 1000, [parent_id])


def test_query_history_filter_columns_as_upstream(hub_context, admin, make_user):
    """Which column each filter selects on where a table has several candidates."""
    from kojihub.tags import groups, targets
    from kojihub.users import users
    build_tag = make_tag('hq-build')
    dest_tag = make_tag('hq-dest')
    targets.create_build_target('hq-target', build_tag, dest_tag)
    groups.grplist_add(build_tag, 'hq-g1')
    groups.grplist_add(build_tag, 'hq-g2')
    groups.grp_req_add(build_tag, 'hq-g1', 'hq-g2')
    member = make_user('hq-member')
    team = users.new_group('hq-team')
    users.add_group_member(team, member['id'])
    end_request()
    # the tag filter of build targets looks at the destination tag only
    assert len(api.queryHistory(tables=['build_target_config'],
                                tag=dest_tag)['build_target_config']) == 1
    assert api.queryHistory(tables=['build_target_config'],
                            tag=build_tag)['build_target_config'] == []
    # the group filter of group requirements looks at the required group
    reqs = api.queryHistory(tables=['group_req_listing'], group='hq-g2')['group_req_listing']
    assert [(r['group.name'], r['req.name']) for r in reqs] == [('hq-g1', 'hq-g2')]
    assert api.queryHistory(tables=['group_req_listing'],
                            group='hq-g1')['group_req_listing'] == []
    # user groups: the group filter does not apply, the user filter means the group
    assert 'user_groups' not in api.queryHistory(group='hq-g1')
    with pytest.raises(koji.GenericError, match='No such entry in table groups: hq-team'):
        api.queryHistory(group='hq-team')
    rows = api.queryHistory(tables=['user_groups'], user='hq-team')['user_groups']
    assert [(r['user.name'], r['group.name']) for r in rows] == [('hq-member', 'hq-team')]
    assert api.queryHistory(tables=['user_groups'], user='hq-member')['user_groups'] == []
    # an unknown host or channel matches nothing; an unknown table is refused
    assert api.queryHistory(tables=['host_config'], host='no-such-host') == \
        {'host_config': []}
    assert api.queryHistory(tables=['host_channels'], channel='no-such-channel') == \
        {'host_channels': []}
    with pytest.raises(koji.GenericError, match='No such history table: nosuch'):
        api.queryHistory(tables=['nosuch'])
