"""Users, groups, Kerberos principals and name checks, in-process on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.core import names
from kojihub.users import users
from kojihub.users.users import UserExports as api

from tests.fixtures.auth import end_request

USER_KEYS = {'id', 'krb_principals', 'name', 'status', 'usertype'}


def scalar(query, values=None):
    cursor = context.cnx.cursor()
    cursor.execute(query, values or {})
    row = cursor.fetchone()
    cursor.close()
    return row[0] if row else None


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')
    return users.get_user('root')


@pytest.fixture
def plain(make_user, login_as):
    """Logged in as a user without permissions."""
    make_user('pleb')
    login_as('pleb')
    return users.get_user('pleb')


# ---------------------------------------------------------------------------
# getUser

def test_get_user_lookups(hub_context, make_user, new_request):
    new_request()
    user = make_user('alice', krb_principal='alice@EXAMPLE.COM')
    assert set(user) == USER_KEYS
    assert user['name'] == 'alice' and user['status'] == 0 and user['usertype'] == 0
    assert user['krb_principals'] == ['alice@EXAMPLE.COM']
    assert api.getUser(user['id']) == user
    assert api.getUser('alice') == user
    assert api.getUser('alice@EXAMPLE.COM') == user
    assert api.getUser({'id': user['id']}) == user
    assert api.getUser({'name': 'alice'}) == user
    assert api.getUser({'krb_principal': 'alice@EXAMPLE.COM'}) == user
    assert api.getUser({'id': user['id'], 'name': 'bob'}) is None
    assert users.get_user_by_krb_principal('alice@EXAMPLE.COM') == user

    nokrb = api.getUser('alice', krb_princs=False)
    assert set(nokrb) == USER_KEYS - {'krb_principals'}


def test_get_user_missing_and_bad_input(hub_context, new_request):
    new_request()
    assert api.getUser('nobody') is None
    assert api.getUser(9999) is None
    with pytest.raises(koji.GenericError) as exc:
        api.getUser('nobody', strict=True)
    assert str(exc.value) == "No such user: 'nobody'"
    with pytest.raises(koji.GenericError):
        api.getUser(9999, strict=True)
    with pytest.raises(koji.GenericError):
        api.getUser(1.5)
    with pytest.raises(koji.GenericError):
        api.getUser({})
    with pytest.raises(koji.GenericError):
        api.getUser({'id': 'x'})
    # anonymous caller
    assert api.getUser() is None
    with pytest.raises(koji.GenericError):
        api.getUser(strict=True)


def test_get_user_current_and_groups(hub_context, make_user, login_as):
    make_user('alice', groups=['devs', 'ops'])
    login_as('alice')
    me = api.getUser()
    assert me['name'] == 'alice'
    withgroups = api.getUser(groups=True)
    assert withgroups['groups'] == ['devs', 'ops']


def test_get_user_name_wins_over_other_users_principal(hub_context, make_user, new_request):
    new_request()
    make_user('bob@EXAMPLE.COM')
    make_user('bob', krb_principal='bob@EXAMPLE.COM')
    assert api.getUser('bob@EXAMPLE.COM')['name'] == 'bob@EXAMPLE.COM'


# ---------------------------------------------------------------------------
# createUser / enable / disable

def test_create_user(hub_context, admin):
    uid = api.createUser('newuser')
    info = api.getUser(uid)
    assert info['name'] == 'newuser' and info['status'] == 0 and info['usertype'] == 0
    uid2 = api.createUser('blocked', status=koji.USER_STATUS['BLOCKED'],
                          krb_principal='blocked@EXAMPLE.COM')
    info = api.getUser(uid2)
    assert info['status'] == 1 and info['krb_principals'] == ['blocked@EXAMPLE.COM']
    end_request()
    assert scalar('SELECT name FROM users WHERE id = %(id)s', {'id': uid}) == 'newuser'


def test_create_user_errors(hub_context, admin):
    api.createUser('dup', krb_principal='dup@EXAMPLE.COM')
    with pytest.raises(koji.GenericError) as exc:
        api.createUser('dup')
    assert str(exc.value) == 'user already exists: dup'
    with pytest.raises(koji.GenericError) as exc:
        api.createUser('other', krb_principal='dup@EXAMPLE.COM')
    assert str(exc.value) == ('user with this Kerberos principal already exists: '
                              'dup@EXAMPLE.COM')
    with pytest.raises(koji.GenericError) as exc:
        api.createUser('bad name')
    assert str(exc.value) == 'Name bad name does not match RegexUserName value'
    with pytest.raises(koji.GenericError):
        api.createUser('x' * 257)
    with pytest.raises(koji.GenericError):
        api.createUser('ok', krb_principal='bad principal')
    with pytest.raises(koji.GenericError) as exc:
        api.createUser('weird', status=7)
    assert str(exc.value) == 'invalid status: 7'
    with pytest.raises(koji.GenericError):
        api.createUser('')
    context.opts['AllowedKrbRealms'] = 'EXAMPLE.COM'
    with pytest.raises(koji.AuthError) as exc:
        api.createUser('ext', krb_principal='ext@ELSEWHERE.ORG')
    assert str(exc.value) == "Kerberos principal's realm: ELSEWHERE.ORG is not allowed"
    with pytest.raises(koji.AuthError) as exc:
        api.createUser('norealm', krb_principal='norealm')
    assert str(exc.value) == 'invalid Kerberos principal: norealm'


def test_create_user_internal_types(hub_context, new_request):
    new_request()
    host_id = users.create_user('host1', usertype=koji.USERTYPES['HOST'])
    assert users.get_user(host_id)['usertype'] == koji.USERTYPES['HOST']
    with pytest.raises(koji.GenericError) as exc:
        users.create_user('odd', usertype=9)
    assert str(exc.value) == 'invalid user type: 9'


def test_enable_disable_user(hub_context, admin, make_user):
    make_user('victim')
    api.disableUser('victim')
    assert api.getUser('victim')['status'] == koji.USER_STATUS['BLOCKED']
    api.enableUser('victim')
    assert api.getUser('victim')['status'] == koji.USER_STATUS['NORMAL']
    with pytest.raises(koji.GenericError) as exc:
        api.disableUser('ghost')
    assert str(exc.value) == 'unknown user: ghost'
    with pytest.raises(koji.GenericError):
        api.enableUser('ghost')


@pytest.mark.parametrize('call,args', [
    ('createUser', ('someone',)),
    ('editUser', ('pleb', 'renamed')),
    ('addUserKrbPrincipal', ('pleb', 'p@EXAMPLE.COM')),
    ('removeUserKrbPrincipal', ('pleb', 'p@EXAMPLE.COM')),
    ('enableUser', ('pleb',)),
    ('disableUser', ('pleb',)),
    ('newGroup', ('grp',)),
    ('addGroupMember', ('grp', 'pleb')),
    ('dropGroupMember', ('grp', 'pleb')),
])
def test_admin_required(hub_context, plain, call, args):
    with pytest.raises(koji.ActionNotAllowed) as exc:
        getattr(api, call)(*args)
    assert str(exc.value) == 'admin permission required (logged in as pleb)'


def test_admin_required_anonymous(hub_context, new_request):
    new_request()
    with pytest.raises(koji.ActionNotAllowed) as exc:
        api.createUser('someone')
    assert str(exc.value) == 'admin permission required (user not logged in)'


# ---------------------------------------------------------------------------
# editUser and principals

def test_edit_user_rename(hub_context, admin, make_user):
    make_user('old', krb_principal='old@EXAMPLE.COM')
    make_user('taken')
    assert api.editUser('old', name='new') is None
    assert api.getUser('new')['krb_principals'] == ['old@EXAMPLE.COM']
    assert api.getUser('old@EXAMPLE.COM')['name'] == 'new'
    taken_id = api.getUser('taken')['id']
    with pytest.raises(koji.GenericError) as exc:
        api.editUser('new', name='taken')
    assert str(exc.value) == 'Name taken already taken by user %d' % taken_id
    with pytest.raises(koji.GenericError):
        api.editUser('new', name='bad name')
    with pytest.raises(koji.GenericError):
        api.editUser('ghost', name='whatever')
    # same name: nothing to do
    api.editUser('new', name='new')


def test_edit_user_principal_mappings(hub_context, admin, make_user):
    make_user('kim', krb_principal='kim@A.ORG')
    make_user('lee', krb_principal='lee@A.ORG')
    api.editUser('kim', krb_principal_mappings=[{'old': 'kim@A.ORG', 'new': 'kim@B.ORG'}])
    assert api.getUser('kim')['krb_principals'] == ['kim@B.ORG']
    api.editUser('kim', krb_principal_mappings=[{'old': None, 'new': 'kim@C.ORG'}])
    assert api.getUser('kim')['krb_principals'] == ['kim@B.ORG', 'kim@C.ORG']
    api.editUser('kim', krb_principal_mappings=[{'old': 'kim@B.ORG', 'new': None}])
    assert api.getUser('kim')['krb_principals'] == ['kim@C.ORG']

    with pytest.raises(koji.ParameterError):
        api.editUser('kim', krb_principal_mappings=[{'old': None, 'new': None}])
    with pytest.raises(koji.GenericError) as exc:
        api.editUser('kim', krb_principal_mappings=[{'old': 'kim@C.ORG', 'new': 'x@Y'},
                                                    {'old': 'x@Y', 'new': 'kim@C.ORG'}])
    assert 'conflicts between added and removed' in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        api.editUser('kim', krb_principal_mappings=[{'old': None, 'new': 'kim@C.ORG'}])
    assert str(exc.value) == 'Cannot add existing Kerberos principals: kim@C.ORG'
    with pytest.raises(koji.GenericError) as exc:
        api.editUser('kim', krb_principal_mappings=[{'old': 'nope@A.ORG', 'new': None}])
    assert str(exc.value) == 'Cannot remove non-existent Kerberos principals: nope@A.ORG'
    with pytest.raises(koji.GenericError) as exc:
        api.editUser('kim', krb_principal_mappings=[{'old': None, 'new': 'lee@A.ORG'}])
    assert 'already exists: lee@A.ORG' in str(exc.value)
    with pytest.raises(koji.GenericError):
        api.editUser('kim', krb_principal_mappings=[{'old': None, 'new': 'bad principal'}])
    with pytest.raises(koji.ParameterError):
        api.editUser('kim', krb_principal_mappings={'kim@C.ORG': 'kim@D.ORG'})
    with pytest.raises(koji.ParameterError):
        api.editUser('kim', krb_principal_mappings=[{'old': 5}])


def test_add_remove_krb_principal(hub_context, admin, make_user):
    uid = make_user('max')['id']
    assert api.addUserKrbPrincipal('max', 'max@EXAMPLE.COM') == uid
    assert api.addUserKrbPrincipal(uid, 'max2@EXAMPLE.COM') == uid
    assert api.getUser('max')['krb_principals'] == ['max2@EXAMPLE.COM', 'max@EXAMPLE.COM']
    with pytest.raises(koji.GenericError) as exc:
        api.addUserKrbPrincipal('max', 'max@EXAMPLE.COM')
    assert 'already exists' in str(exc.value)
    with pytest.raises(koji.GenericError):
        api.addUserKrbPrincipal('ghost', 'g@EXAMPLE.COM')
    with pytest.raises(koji.GenericError):
        api.addUserKrbPrincipal('max', 'has space@EXAMPLE.COM')

    assert api.removeUserKrbPrincipal('max', 'max@EXAMPLE.COM') == uid
    assert api.getUser('max')['krb_principals'] == ['max2@EXAMPLE.COM']
    with pytest.raises(koji.AuthError) as exc:
        api.removeUserKrbPrincipal('max', 'max@EXAMPLE.COM')
    assert 'cannot remove Kerberos Principal' in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        api.removeUserKrbPrincipal('max', '')
    assert str(exc.value) == 'krb_principal must be specified'


# ---------------------------------------------------------------------------
# groups

def test_new_group_and_members(hub_context, admin, make_user):
    gid = api.newGroup('packagers')
    group = api.getUser(gid)
    assert group['usertype'] == koji.USERTYPES['GROUP'] and group['name'] == 'packagers'
    with pytest.raises(koji.GenericError) as exc:
        api.newGroup('packagers')
    assert str(exc.value) == 'user/group already exists: packagers'
    with pytest.raises(koji.GenericError):
        api.newGroup('bad group')

    ann = make_user('ann', krb_principal='ann@EXAMPLE.COM')
    ben = make_user('ben')
    assert api.getGroupMembers('packagers') == []
    api.addGroupMember('packagers', 'ann')
    api.addGroupMember(gid, ben['id'])
    members = api.getGroupMembers('packagers')
    assert [m['name'] for m in members] == ['ann', 'ben']
    assert set(members[0]) == {'id', 'krb_principals', 'name', 'usertype'}
    assert members[0]['krb_principals'] == ['ann@EXAMPLE.COM']
    assert members[1]['krb_principals'] == []
    assert api.getUserGroups('ann') == [{'id': gid, 'name': 'packagers'}]
    assert users.get_user_groups(ann['id']) == {gid: 'packagers'}

    row = context.cnx.cursor()
    row.execute('SELECT creator_id, create_event, active FROM user_groups '
                'WHERE user_id = %(u)s', {'u': ann['id']})
    creator, event, active = row.fetchone()
    row.close()
    assert creator == admin['id'] and event and active is True

    with pytest.raises(koji.GenericError) as exc:
        api.addGroupMember('packagers', 'ann')
    assert str(exc.value) == 'User already in group'
    assert api.addGroupMember('packagers', 'ann', strict=False) is None

    end_request()
    api.dropGroupMember('packagers', 'ann')
    assert [m['name'] for m in api.getGroupMembers('packagers')] == ['ben']
    assert api.getUserGroups('ann') == []
    cursor = context.cnx.cursor()
    cursor.execute('SELECT revoker_id, revoke_event, active FROM user_groups '
                   'WHERE user_id = %(u)s', {'u': ann['id']})
    revoker, revoke_event, active = cursor.fetchone()
    cursor.close()
    assert revoker == admin['id'] and revoke_event and active is None
    with pytest.raises(koji.GenericError) as exc:
        api.dropGroupMember('packagers', 'ann')
    assert str(exc.value) == 'No such user in group: packagers'
    # re-adding after a drop works (versioned rows; each call has its own event)
    end_request()
    api.addGroupMember('packagers', 'ann')
    assert len(api.getGroupMembers('packagers')) == 2


def test_group_errors(hub_context, admin, make_user):
    make_user('carl')
    api.newGroup('g1')
    api.newGroup('g2')
    with pytest.raises(koji.GenericError) as exc:
        api.addGroupMember('carl', 'carl')
    assert str(exc.value) == 'Not a group: carl'
    with pytest.raises(koji.GenericError) as exc:
        api.addGroupMember('nogroup', 'carl')
    assert str(exc.value) == 'No such group: nogroup'
    with pytest.raises(koji.GenericError) as exc:
        api.addGroupMember('g1', 'g2')
    assert str(exc.value) == 'Groups cannot be members of other groups'
    with pytest.raises(koji.GenericError):
        api.addGroupMember('g1', 'ghost')
    with pytest.raises(koji.GenericError) as exc:
        api.dropGroupMember('carl', 'carl')
    assert str(exc.value) == 'No such group: carl'
    with pytest.raises(koji.GenericError) as exc:
        api.getGroupMembers('carl')
    assert str(exc.value) == 'No such group: carl'
    with pytest.raises(koji.GenericError):
        api.getGroupMembers('ghost')
    with pytest.raises(koji.GenericError):
        api.getUserGroups('ghost')


# ---------------------------------------------------------------------------
# listUsers

@pytest.fixture
def population(hub_context, admin, make_user):
    make_user('Alpha', krb_principal='alpha@EXAMPLE.COM', perms=['repo'])
    make_user('alpine', groups=['crew'])
    make_user('beta', perms=['tag'])
    users.create_user('buildhost', usertype=koji.USERTYPES['HOST'])
    from kojihub.users import perms
    perms.grant_permission('crew', 'repo')
    end_request()


def names_of(rows):
    return sorted(r['name'] for r in rows)


def test_list_users(population):
    rows = api.listUsers()
    assert names_of(rows) == ['Alpha', 'alpine', 'beta', 'root']
    assert set(rows[0]) == USER_KEYS
    alpha = [r for r in rows if r['name'] == 'Alpha'][0]
    assert alpha['krb_principals'] == ['alpha@EXAMPLE.COM']
    assert names_of(api.listUsers(userType=koji.USERTYPES['HOST'])) == ['buildhost']
    assert names_of(api.listUsers(userType=koji.USERTYPES['GROUP'])) == ['crew']
    assert len(api.listUsers(userType=None)) == 6
    assert names_of(api.listUsers(userType=[1, 2])) == ['buildhost', 'crew']
    # prefix is case-insensitive and literal
    assert names_of(api.listUsers(prefix='al')) == ['Alpha', 'alpine']
    assert api.listUsers(prefix='%') == []
    assert api.listUsers(prefix='al_') == []


def test_list_users_perms(population):
    assert names_of(api.listUsers(perm='repo')) == ['Alpha']
    assert names_of(api.listUsers(perm='repo', inherited_perm=True)) == ['Alpha', 'alpine']
    assert names_of(api.listUsers(perm='admin')) == ['root']
    assert names_of(api.listUsers(userType=None, perm='repo')) == ['Alpha', 'crew']
    with pytest.raises(koji.GenericError) as exc:
        api.listUsers(perm='nosuchperm')
    assert str(exc.value) == 'No such entry in table permissions: nosuchperm'
    with pytest.raises(koji.GenericError,
                       match='inherited_perm option must be used with perm option'):
        api.listUsers(inherited_perm=True)


def test_list_users_query_opts(population):
    assert api.listUsers(queryOpts={'countOnly': True}) == 4
    rows = api.listUsers(queryOpts={'order': '-name', 'limit': 2})
    assert [r['name'] for r in rows] == ['root', 'beta']
    rows = api.listUsers(queryOpts={'order': 'id', 'offset': 1, 'limit': 1})
    assert len(rows) == 1
    with pytest.raises(koji.GenericError):
        api.listUsers(queryOpts={'group': 'name'})


# ---------------------------------------------------------------------------
# name validation

def test_verify_name_internal(hub_context):
    names.verify_name_internal('f40-build+x/y_z.1')
    with pytest.raises(koji.GenericError) as exc:
        names.verify_name_internal('bad name')
    assert str(exc.value) == 'Name bad name does not match RegexNameInternal value'
    with pytest.raises(koji.GenericError) as exc:
        names.verify_name_internal(42)
    assert str(exc.value) == 'Name should be string'
    with pytest.raises(koji.GenericError) as exc:
        names.verify_name_internal('x' * 257)
    assert str(exc.value) == 'Name %s is too long. Max length is 256 characters' % ('x' * 257)
    context.opts['MaxNameLengthInternal'] = 0
    names.verify_name_internal('x' * 1000)
    context.opts['MaxNameLengthInternal'] = 5
    with pytest.raises(koji.GenericError):
        names.verify_name_internal('abcdef')
    context.opts['RegexNameInternal'] = ''
    context.opts.pop('RegexNameInternal.compiled', None)
    names.verify_name_internal('a b')
    context.opts['RegexNameInternal'] = '^[a-z]+$'
    context.opts.pop('RegexNameInternal.compiled', None)
    with pytest.raises(koji.GenericError):
        names.verify_name_internal('ABC')


def test_verify_name_user(hub_context):
    names.verify_name_user('user.name@x', 'user/host@EXAMPLE.COM')
    names.verify_name_user()
    with pytest.raises(koji.GenericError) as exc:
        names.verify_name_user(krb='a b@X')
    assert str(exc.value) == 'Kerberos principal a b@X does not match RegexUserName value'
    with pytest.raises(koji.GenericError) as exc:
        names.verify_name_user(krb=5)
    assert str(exc.value) == 'Kerberos principal should be string'
    with pytest.raises(koji.GenericError):
        names.verify_name_user(name=['x'])
    with pytest.raises(koji.GenericError) as exc:
        names.verify_name_user(krb='k' * 300)
    assert 'is too long' in str(exc.value)
    # '+' is fine internally but not in user names
    names.verify_name_internal('a+b')
    with pytest.raises(koji.GenericError):
        names.verify_name_user('a+b')
    context.opts['RegexUserName'] = ''
    context.opts.pop('RegexUserName.compiled', None)
    names.verify_name_user('a+b c')
