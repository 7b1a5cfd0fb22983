"""Logins, sessions and user/permission calls against a real hub over HTTP."""
import xmlrpc.client

import pytest

import koji
from tests.fixtures.sessions import client, db_exec


@pytest.fixture
def admin(hub_server):
    session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    session.login()
    yield session
    session.logout()


def headers_for(sinfo, callnum):
    return {'Koji-Session-Id': str(sinfo['session-id']),
            'Koji-Session-Key': sinfo['session-key'],
            'Koji-Session-Callnum': str(callnum)}


def test_password_login_logout(hub_server):
    session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    assert session.getLoggedInUser() is None
    assert session.login() is True
    sid = session.sinfo['session-id']
    assert session.sinfo['header-auth'] is True
    assert session.sinfo['session-key'].split('-')[0].isdigit()
    user = session.getLoggedInUser()
    assert user['name'] == hub_server.admin_user
    assert user['authtype'] == koji.AUTHTYPES['NORMAL']
    info = session.getSessionInfo(details=True)
    assert info['id'] == sid and info['expired'] is False
    assert 'admin' in session.getPerms()
    assert session.hasPerm('admin') is True
    assert session.hasPerm('tag') is False
    old = dict(session.sinfo)
    session.logout()
    assert session.logged_in is False
    assert db_exec(hub_server, 'SELECT closed FROM sessions WHERE id = %(id)s',
                   {'id': sid}) == [(True,)]
    with pytest.raises(xmlrpc.client.Fault) as exc:
        hub_server.call('getLoggedInUser', headers=headers_for(old, 99))
    assert exc.value.faultCode == koji.AuthError.faultCode
    assert 'Invalid session or bad credentials' in exc.value.faultString


def test_bad_password(hub_server):
    session = client(hub_server, hub_server.admin_user, 'wrong')
    with pytest.raises(koji.AuthError) as exc:
        session.login()
    assert 'invalid username or password' in str(exc.value)


def test_callnum_faults(hub_server):
    sinfo = hub_server.call('login', hub_server.admin_user, hub_server.admin_password)
    # a writing call commits its callnum
    hub_server.call('grantPermission', hub_server.admin_user, 'callnum-perm', create=True,
                    headers=headers_for(sinfo, 5))
    with pytest.raises(xmlrpc.client.Fault) as exc:
        hub_server.call('getLoggedInUser', headers=headers_for(sinfo, 5))
    assert exc.value.faultCode == koji.RetryError.faultCode
    with pytest.raises(xmlrpc.client.Fault) as exc:
        hub_server.call('getLoggedInUser', headers=headers_for(sinfo, 4))
    assert exc.value.faultCode == koji.SequenceError.faultCode
    # read-only calls do not move the stored number, so they may be repeated
    assert hub_server.call('getLoggedInUser', headers=headers_for(sinfo, 6))['name']
    assert hub_server.call('getLoggedInUser', headers=headers_for(sinfo, 6))['name']
    hub_server.call('logout', headers=headers_for(sinfo, 7))


def test_url_session_args(hub_server):
    sinfo = hub_server.call('login', hub_server.admin_user, hub_server.admin_password)
    url = hub_server.url + '?session-id=%s&session-key=%s&callnum=1' % (
        sinfo['session-id'], sinfo['session-key'])
    body = xmlrpc.client.dumps((), methodname='getLoggedInUser', allow_none=True)
    from tests.fixtures.hub import raw_post
    status, _, data = raw_post(url, body)
    assert status == 200
    result = xmlrpc.client.loads(data)[0][0]
    assert result['name'] == hub_server.admin_user


def test_users_and_perms_over_http(hub_server, admin):
    uid = admin.createUser('httpuser', krb_principal='httpuser@EXAMPLE.COM')
    assert admin.getUser('httpuser@EXAMPLE.COM')['id'] == uid
    admin.grantPermission('httpuser', 'repo')
    assert admin.getUserPerms('httpuser') == ['repo']
    gid = admin.newGroup('httpgroup')
    admin.addGroupMember('httpgroup', 'httpuser')
    assert admin.getUserGroups('httpuser') == [{'id': gid, 'name': 'httpgroup'}]
    assert [m['name'] for m in admin.getGroupMembers('httpgroup')] == ['httpuser']
    assert 'httpuser' in [u['name'] for u in admin.listUsers(prefix='http')]
    with pytest.raises(koji.GenericError) as exc:
        admin.createUser('httpuser')
    assert 'user already exists: httpuser' in str(exc.value)

    db_exec(hub_server, "UPDATE users SET password = 'pw' WHERE id = %(id)s", {'id': uid})
    user = client(hub_server, 'httpuser', 'pw')
    user.login()
    with pytest.raises(koji.ActionNotAllowed) as exc:
        user.createUser('nope')
    assert 'admin permission required (logged in as httpuser)' in str(exc.value)
    user.logout()

    admin.disableUser('httpuser')
    with pytest.raises(koji.AuthError) as exc:
        client(hub_server, 'httpuser', 'pw').login()
    assert 'logins by httpuser are not allowed' in str(exc.value)
    admin.enableUser('httpuser')


def test_subsession_and_logout_cascade(hub_server):
    session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    session.login()
    child = session.subsession()
    master_id = session.sinfo['session-id']
    assert child.sinfo['session-id'] != master_id
    assert child.getLoggedInUser()['name'] == hub_server.admin_user
    assert child.getSessionInfo()['master'] == master_id
    child_info = dict(child.sinfo)
    session.logout()
    with pytest.raises(xmlrpc.client.Fault) as exc:
        hub_server.call('getLoggedInUser', headers=headers_for(child_info, 50))
    assert exc.value.faultCode == koji.AuthError.faultCode


def test_expired_session_is_renewed(hub_server):
    session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    session.login()
    sid = session.sinfo['session-id']
    old_key = session.sinfo['session-key']
    session.getLoggedInUser()
    db_exec(hub_server, "UPDATE sessions SET start_time = NOW() - interval '3 days' "
                        "WHERE id = %(id)s", {'id': sid})
    # the call hits AuthExpired, the client renews with login(renew=True) and retries
    assert session.getLoggedInUser()['name'] == hub_server.admin_user
    assert session.sinfo['session-id'] == sid
    assert session.sinfo['session-key'] != old_key
    row = db_exec(hub_server, 'SELECT expired, renew_time IS NOT NULL FROM sessions '
                              'WHERE id = %(id)s', {'id': sid})
    assert row == [(False, True)]
    session.logout()


def test_exclusive_sessions_over_http(hub_server):
    first = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    first.login()
    second = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    second.login()
    first.exclusiveSession()
    assert first.getSessionInfo()['exclusive'] is True
    with pytest.raises(koji.AuthLockError) as exc:
        second.getLoggedInUser()
    assert 'User locked by another session' in str(exc.value)
    with pytest.raises(koji.AuthLockError):
        second.exclusiveSession()
    second.exclusiveSession(force=True)
    assert second.getLoggedInUser()['name'] == hub_server.admin_user
    with pytest.raises(koji.AuthError):
        first.getLoggedInUser()
    second.sharedSession()
    second.logout()


def test_ssl_login_without_certificate(hub_server):
    # plain HTTP: httpd provides neither REMOTE_USER nor a verified client cert
    with pytest.raises(xmlrpc.client.Fault) as exc:
        hub_server.call('sslLogin')
    assert exc.value.faultCode == koji.AuthError.faultCode
    assert 'could not verify client' in exc.value.faultString
