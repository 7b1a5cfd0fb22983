"""Permissions (kojihub.users.perms) in-process on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.users import perms, users
from kojihub.users.perms import PermExports as api

from tests.fixtures.auth import end_request


def fetch(query, values=None):
    cursor = context.cnx.cursor()
    cursor.execute(query, values or {})
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    cursor.close()
    return rows


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')
    return users.get_user('root')


def test_get_all_perms(hub_context, new_request):
    new_request()
    rows = api.getAllPerms()
    assert rows[0] == {'id': 1, 'name': 'admin',
                       'description': 'Full administrator access. Perform all actions.'}
    assert [r['id'] for r in rows] == sorted(r['id'] for r in rows)
    assert all(set(r) == {'id', 'name', 'description'} for r in rows)
    assert {'repo', 'tag', 'host', 'win-admin'} <= {r['name'] for r in rows}


def test_grant_and_revoke(hub_context, admin, make_user):
    alice = make_user('alice')
    assert api.grantPermission('alice', 'repo') is None
    assert api.getUserPerms('alice') == ['repo']
    row = fetch('SELECT * FROM user_perms WHERE user_id = %(u)s', {'u': alice['id']})[0]
    assert row['creator_id'] == admin['id'] and row['active'] is True
    assert row['create_event'] and row['revoke_event'] is None

    with pytest.raises(koji.GenericError) as exc:
        api.grantPermission('alice', 'repo')
    assert str(exc.value) == 'user alice already has permission: repo'
    with pytest.raises(koji.GenericError) as exc:
        api.grantPermission('alice', 'nosuch')
    assert str(exc.value) == 'No such entry in table permissions: nosuch'
    with pytest.raises(koji.GenericError):
        api.grantPermission('ghost', 'repo')
    # by ids
    tag_id = perms.lookup_perm('tag')['id']
    api.grantPermission(alice['id'], tag_id)
    assert api.getUserPerms(alice['id']) == ['repo', 'tag']
    end_request()

    assert api.revokePermission('alice', 'repo') is None
    assert api.getUserPerms('alice') == ['tag']
    revoked = fetch('SELECT * FROM user_perms WHERE user_id = %(u)s AND active IS NULL',
                    {'u': alice['id']})
    assert len(revoked) == 1
    assert revoked[0]['revoker_id'] == admin['id'] and revoked[0]['revoke_event']
    with pytest.raises(koji.GenericError) as exc:
        api.revokePermission('alice', 'repo')
    assert str(exc.value) == 'user alice does not have permission: repo'
    with pytest.raises(koji.GenericError):
        api.revokePermission('alice', 'nosuch')
    end_request()
    # history is kept, so a grant after a revoke adds a new row
    api.grantPermission('alice', 'repo')
    assert len(fetch('SELECT 1 FROM user_perms WHERE user_id = %(u)s',
                     {'u': alice['id']})) == 3


def test_grant_create(hub_context, admin, make_user):
    make_user('bob')
    api.grantPermission('bob', 'new-perm', create=True, description='made up')
    perm = perms.lookup_perm('new-perm')
    assert perm['description'] == 'made up'
    assert api.getAllPerms()[-1]['name'] == 'new-perm'
    assert 'new-perm' in api.getUserPerms('bob')
    # create=True with an existing permission just grants it
    api.grantPermission('bob', 'repo', create=True)
    assert 'repo' in api.getUserPerms('bob')

    with pytest.raises(koji.GenericError) as exc:
        api.grantPermission('bob', 'p' * 51, create=True)
    assert str(exc.value) == ('Permission name %s is too long. Max length is 50 characters'
                              % ('p' * 51))
    with pytest.raises(koji.GenericError) as exc:
        api.grantPermission('bob', 'bad perm', create=True)
    assert 'does not match RegexNameInternal' in str(exc.value)
    assert perms.lookup_perm('bad perm') is None
    with pytest.raises(koji.GenericError,
                       match='Description should be specified only with create.'):
        api.grantPermission('bob', 'sign', description='text')


def test_grant_to_group_inherits(hub_context, admin, make_user):
    make_user('carol', groups=['qa'], perms=['tag'])
    api.grantPermission('qa', 'repo')
    api.grantPermission('qa', 'tag')
    assert api.getUserPerms('carol') == ['repo', 'tag']
    assert api.getUserPerms('carol', with_groups=False) == ['tag']
    assert api.getUserPermsInheritance('carol') == {'repo': ['qa'], 'tag': [None, 'qa']}
    # group grants cannot be revoked from the member
    with pytest.raises(koji.GenericError):
        api.revokePermission('carol', 'repo')
    with pytest.raises(koji.GenericError):
        api.getUserPermsInheritance('ghost')
    end_request()
    # dropping the membership drops the inherited permissions
    users.drop_group_member('qa', 'carol')
    assert api.getUserPerms('carol') == ['tag']


def test_edit_permission(hub_context, admin):
    api.editPermission('repo', 'changed text')
    assert perms.lookup_perm('repo')['description'] == 'changed text'
    api.editPermission(perms.lookup_perm('tag')['id'], 'by id')
    assert perms.lookup_perm('tag')['description'] == 'by id'
    with pytest.raises(koji.GenericError) as exc:
        api.editPermission('nosuch', 'x')
    assert str(exc.value) == 'No such entry in table permissions: nosuch'


@pytest.mark.parametrize('call,args', [
    ('grantPermission', ('dave', 'repo')),
    ('revokePermission', ('dave', 'repo')),
    ('editPermission', ('repo', 'text')),
])
def test_admin_required(hub_context, make_user, login_as, call, args):
    make_user('dave', perms=['repo'])
    login_as('dave')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        getattr(api, call)(*args)
    assert str(exc.value) == 'admin permission required (logged in as dave)'


def test_has_perm_and_get_perms(hub_context, make_user, login_as, new_request):
    new_request()
    assert api.getPerms() == []
    assert api.hasPerm('admin') is False
    assert api.getUserPerms() == []
    with pytest.raises(koji.GenericError) as exc:
        api.hasPerm('nosuch', strict=True)
    assert str(exc.value) == 'No such permission nosuch defined'

    make_user('erin', perms=['admin', 'sign'])
    login_as('erin')
    assert api.getPerms() == ['admin', 'sign']
    assert api.getUserPerms() == ['admin', 'sign']
    assert api.hasPerm('sign') is True
    # admin does not imply other permissions for hasPerm
    assert api.hasPerm('tag') is False
    assert api.hasPerm('tag', strict=True) is False
    assert api.hasPerm('nosuch') is False


def test_get_user_perms_errors(hub_context, new_request):
    new_request()
    with pytest.raises(koji.GenericError):
        api.getUserPerms('ghost')
    with pytest.raises(koji.ParameterError, match=r"Invalid name or id value: \['list'\]"):
        perms.lookup_perm(['list'])
    assert perms.lookup_perm(99999) is None
    with pytest.raises(koji.GenericError):
        perms.lookup_perm(99999, strict=True)


def test_lookup_perm_create(hub_context, new_request):
    new_request()
    perm = perms.lookup_perm('fresh', create=True)
    assert perm['name'] == 'fresh' and perm['description'] is None
    assert perms.lookup_perm('fresh') == perm
    assert perms.lookup_perm(perm['id']) == perm


def test_export_signatures():
    import inspect
    sigs = {
        'grantPermission': '(userinfo, permission, create=False, description=None)',
        'revokePermission': '(userinfo, permission)',
        'editPermission': '(permission, description)',
        'hasPerm': '(perm, strict=False)',
        'getPerms': '()',
        'getUserPerms': '(userID=None, with_groups=True)',
        'getUserPermsInheritance': '(userID)',
        'getAllPerms': '()',
    }
    for name, sig in sigs.items():
        assert str(inspect.signature(getattr(api, name))) == sig
    from kojihub.users.users import UserExports
    usigs = {
        'getUser': '(userInfo=None, strict=False, krb_princs=True, groups=False)',
        'editUser': '(userInfo, name=None, krb_principal_mappings=None)',
        'createUser': '(username, status=None, krb_principal=None)',
        'addUserKrbPrincipal': '(user, krb_principal)',
        'removeUserKrbPrincipal': '(user, krb_principal)',
        'enableUser': '(username)',
        'disableUser': '(username)',
        'newGroup': '(name)',
        'addGroupMember': '(group, user, strict=True)',
        'dropGroupMember': '(group, user)',
        'getGroupMembers': '(group)',
        'getUserGroups': '(user)',
        'listUsers': '(userType=0, prefix=None, queryOpts=None, perm=None, '
                     'inherited_perm=False)',
    }
    for name, sig in usigs.items():
        assert str(inspect.signature(getattr(UserExports, name))) == sig
