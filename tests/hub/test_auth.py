"""Sessions and logins (kojihub.core.auth) in-process against a real database."""
import re

import pytest

import koji
from koji.context import context
from kojihub.core import auth
from kojihub.core.db import _singleValue

from tests.fixtures.auth import DEFAULT_REMOTE_ADDR, end_request, open_session

KEY_RE = re.compile(r'^(\d+)-[A-Za-z0-9]{19}$')


def sql(query, values=None):
    """Run a statement outside any simulated request and commit it."""
    cursor = context.cnx.cursor()
    cursor.execute(query, values or {})
    cursor.close()
    context.cnx.commit()


def session_row(session_id):
    cursor = context.cnx.cursor()
    cursor.execute('SELECT id, user_id, key, hostip, authtype, master, callnum, expired, '
                   'closed, "exclusive", renew_time FROM sessions WHERE id = %(id)s',
                   {'id': session_id})
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    cursor.close()
    return dict(zip(names, row)) if row else None


@pytest.fixture
def alice(make_user):
    return make_user('alice', password='secret')


def do_login(new_request, user='alice', password='secret', **kw):
    """Password login from an anonymous request; commits like the dispatcher."""
    new_request('login')
    sinfo = auth.login(user, password, **kw)
    end_request()
    return sinfo


# ---------------------------------------------------------------------------
# anonymous and header sessions

def test_anonymous_request(hub_context, new_request):
    session = new_request('getLoggedInUser')
    assert session.logged_in is False
    assert session.id is None and session.user_id is None
    assert session.getPerms() == []
    assert session.hasPerm('admin') is False
    assert auth.SessionExports.getLoggedInUser() is None
    assert auth.SessionExports.getSessionInfo() is None
    assert auth.SessionExports.showSession() == 'session: not logged in'
    with pytest.raises(koji.ActionNotAllowed) as exc:
        session.assertLogin()
    assert str(exc.value) == 'you must be logged in for this operation'
    with pytest.raises(koji.ActionNotAllowed) as exc:
        session.assertPerm('tag')
    assert str(exc.value) == 'tag permission required (user not logged in)'


def test_password_login_and_session_attributes(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    assert set(sinfo) == {'session-id', 'session-key', 'header-auth'}
    assert sinfo['header-auth'] is True
    match = KEY_RE.match(sinfo['session-key'])
    assert match and int(match.group(1)) == alice['id']
    row = session_row(sinfo['session-id'])
    assert row['user_id'] == alice['id']
    assert row['authtype'] == koji.AUTHTYPES['NORMAL']
    assert row['hostip'] == DEFAULT_REMOTE_ADDR
    assert row['master'] is None and row['callnum'] is None
    assert row['expired'] is False and row['closed'] is False

    session = new_request('getLoggedInUser', sinfo=sinfo, callnum=0)
    assert session.logged_in is True
    assert session.id == sinfo['session-id']
    assert session.key == sinfo['session-key']
    assert session.user_id == alice['id']
    assert session.user_data['name'] == 'alice'
    assert session.hostip == DEFAULT_REMOTE_ADDR
    assert session.authtype == koji.AUTHTYPES['NORMAL']
    assert session.master is None
    assert session.exclusive is False
    assert session.callnum == 0
    assert 'alice' in auth.SessionExports.showSession()

    user = auth.SessionExports.getLoggedInUser()
    assert set(user) == {'id', 'krb_principals', 'name', 'status', 'usertype', 'authtype',
                         'krb_principal'}
    assert user['name'] == 'alice' and user['authtype'] == 0
    assert user['krb_principal'] is None and user['krb_principals'] == []


def test_login_failures(hub_context, new_request, alice):
    new_request('login')
    for user, password in (('alice', 'wrong'), ('alice', ''), ('alice', None),
                           ('nobody', 'secret'), ('alice', 123)):
        with pytest.raises(koji.AuthError) as exc:
            auth.login(user, password)
        assert str(exc.value) == 'invalid username or password'
    assert context.session.logged_in is False


def test_login_when_logged_in(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    new_request('login', sinfo=sinfo)
    with pytest.raises(koji.AuthError) as exc:
        auth.login('alice', 'secret')
    assert str(exc.value) == 'Already logged in'


def test_login_hostip_override(hub_context, new_request, alice):
    sinfo = do_login(new_request, opts={'hostip': '192.0.2.9'})
    assert session_row(sinfo['session-id'])['hostip'] == '192.0.2.9'
    with pytest.raises(koji.AuthError):
        new_request('getLoggedInUser', sinfo=sinfo)
    session = new_request('getLoggedInUser', sinfo=sinfo,
                          environ={'REMOTE_ADDR': '192.0.2.9'})
    assert session.logged_in


@pytest.mark.parametrize('change', ['key', 'id', 'ip', 'closed'])
def test_invalid_session(hub_context, new_request, alice, change):
    sinfo = dict(do_login(new_request))
    environ = {}
    if change == 'key':
        # a different last character (a random key may already end in 'x')
        last = 'y' if sinfo['session-key'].endswith('x') else 'x'
        sinfo['session-key'] = sinfo['session-key'][:-1] + last
    elif change == 'id':
        sinfo['session-id'] += 1000
    elif change == 'ip':
        environ['REMOTE_ADDR'] = '10.9.9.9'
    else:
        sql('UPDATE sessions SET closed = TRUE WHERE id = %(id)s', {'id': sinfo['session-id']})
    with pytest.raises(koji.AuthError) as exc:
        new_request('getLoggedInUser', sinfo=sinfo, environ=environ)
    assert str(exc.value) == 'Invalid session or bad credentials'
    assert exc.value.faultCode == 1002


def test_bad_session_id_header(hub_context, new_request):
    with pytest.raises(koji.AuthError):
        new_request(environ={'HTTP_KOJI_SESSION_ID': 'abc', 'HTTP_KOJI_SESSION_KEY': 'x'})


def test_check_client_ip_off(hub_context, new_request, alice):
    context.opts['CheckClientIP'] = False
    sinfo = do_login(new_request)
    assert session_row(sinfo['session-id'])['hostip'] == '-'
    session = new_request(sinfo=sinfo, environ={'REMOTE_ADDR': '203.0.113.5'})
    assert session.logged_in and session.hostip == '-'


def test_localhost_uses_host_address(hub_context, new_request, alice, monkeypatch):
    monkeypatch.setattr(auth.socket, 'gethostname', lambda: 'hubhost')
    monkeypatch.setattr(auth.socket, 'gethostbyname',
                        lambda name: '198.51.100.4' if name == 'hubhost' else None)
    new_request('login', environ={'REMOTE_ADDR': '127.0.0.1'})
    sinfo = auth.login('alice', 'secret')
    end_request()
    assert session_row(sinfo['session-id'])['hostip'] == '198.51.100.4'
    session = new_request(sinfo=sinfo, environ={'REMOTE_ADDR': '127.0.0.1'})
    assert session.logged_in


def test_url_sessions(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    query = 'session-id=%(session-id)s&session-key=%(session-key)s&callnum=3' % sinfo
    session = new_request(query=query)
    assert session.logged_in and session.callnum == 3

    with pytest.raises(koji.AuthError) as exc:
        new_request(query='session-id=%s' % sinfo['session-id'])
    assert str(exc.value) == "'session-key' not specified in session args"
    with pytest.raises(koji.AuthError) as exc:
        new_request(query='callnum=3')
    assert str(exc.value) == "'session-id' not specified in session args"

    context.opts['DisableURLSessions'] = True
    session = new_request(query=query)
    assert session.logged_in is False


def test_legacy_callnum_header(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    session = new_request(sinfo=sinfo, environ={'HTTP_KOJI_CALLNUM': '7'})
    assert session.callnum == 7
    session = new_request(sinfo=sinfo, callnum=9, environ={'HTTP_KOJI_CALLNUM': '8'})
    assert session.callnum == 9


# ---------------------------------------------------------------------------
# call numbers

def test_callnum_rules(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    sid = sinfo['session-id']
    new_request('editUser', sinfo=sinfo, callnum=5)
    # a writing call commits, so the callnum persists
    context.commit_pending = True
    end_request()
    assert session_row(sid)['callnum'] == 5

    with pytest.raises(koji.SequenceError) as exc:
        new_request('getUser', sinfo=sinfo, callnum=4)
    assert exc.value.faultCode == 1008
    assert str(exc.value) == '5 > 4 (session %d)' % sid
    with pytest.raises(koji.RetryError) as exc:
        new_request('editUser', sinfo=sinfo, callnum=5)
    assert exc.value.faultCode == 1009
    assert 'unable to retry call 5 (method editUser)' in str(exc.value)

    for method in auth.RetryWhitelist:
        assert new_request(method, sinfo=sinfo, callnum=5).logged_in
        end_request(ok=False)
    # a builder whose long poll was cut off by a hub restart asks again
    assert 'host.getTasks' in auth.RetryWhitelist

    # no callnum at all: no checks
    assert new_request('getUser', sinfo=sinfo).logged_in


def test_callnum_kept_only_when_request_commits(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    sid = sinfo['session-id']
    before = _singleValue('SELECT update_time FROM sessions WHERE id = %(id)s', {'id': sid})
    new_request('getUser', sinfo=sinfo, callnum=1)
    # read-only call: the dispatcher does not commit
    end_request()
    row = session_row(sid)
    assert row['callnum'] is None
    after = _singleValue('SELECT update_time FROM sessions WHERE id = %(id)s', {'id': sid})
    assert after >= before
    # so the same number may be sent again
    assert new_request('getUser', sinfo=sinfo, callnum=1).logged_in
    # a failed writing call is rolled back too
    context.commit_pending = True
    end_request(ok=False)
    assert session_row(sid)['callnum'] is None


def test_update_time_committed_even_if_call_fails(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    sid = sinfo['session-id']
    sql("UPDATE sessions SET update_time = NOW() - interval '1 hour' WHERE id = %(id)s",
        {'id': sid})
    old = _singleValue('SELECT update_time FROM sessions WHERE id = %(id)s', {'id': sid})
    context.cnx.rollback()
    new_request('getUser', sinfo=sinfo, callnum=1)
    end_request(ok=False)
    new = _singleValue('SELECT update_time FROM sessions WHERE id = %(id)s', {'id': sid})
    assert new > old


# ---------------------------------------------------------------------------
# expiry and renewal

def expire_by_time(session_id, hours=48):
    sql("UPDATE sessions SET start_time = NOW() - make_interval(hours => %(h)s) "
        "WHERE id = %(id)s", {'id': session_id, 'h': hours})


def test_session_expiry(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    sid = sinfo['session-id']
    new_request(sinfo=sinfo)
    child = auth.subsession()
    end_request()
    expire_by_time(sid)
    with pytest.raises(koji.AuthExpired) as exc:
        new_request('getLoggedInUser', sinfo=sinfo)
    assert exc.value.faultCode == 1007
    # the mark is committed for the whole session family
    assert session_row(sid)['expired'] is True
    assert session_row(child['session-id'])['expired'] is True
    with pytest.raises(koji.AuthExpired):
        new_request('getLoggedInUser', sinfo=child)
    # only login calls get through an expired session
    assert new_request('login', sinfo=sinfo).logged_in
    assert new_request('sslLogin', sinfo=sinfo).logged_in


def test_expiry_timeout_option(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    expire_by_time(sinfo['session-id'], hours=2)
    assert new_request(sinfo=sinfo).logged_in
    context.opts['SessionRenewalTimeout'] = 60
    with pytest.raises(koji.AuthExpired):
        new_request(sinfo=sinfo)
    context.opts['SessionRenewalTimeout'] = 0
    sql('UPDATE sessions SET expired = FALSE WHERE id = %(id)s', {'id': sinfo['session-id']})
    expire_by_time(sinfo['session-id'], hours=24 * 365)
    assert new_request(sinfo=sinfo).logged_in


def test_renewal_keeps_id_with_new_key(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    sid = sinfo['session-id']
    new_request('editUser', sinfo=sinfo, callnum=10)
    context.commit_pending = True
    end_request()
    expire_by_time(sid)
    with pytest.raises(koji.AuthExpired):
        new_request(sinfo=sinfo, callnum=11)

    new_request('login', sinfo=sinfo, callnum=11)
    renewed = auth.login('alice', 'secret', renew=True)
    end_request()
    assert renewed['session-id'] == sid
    assert renewed['session-key'] != sinfo['session-key']
    assert KEY_RE.match(renewed['session-key'])
    row = session_row(sid)
    assert row['expired'] is False and row['renew_time'] is not None
    assert row['closed'] is False

    with pytest.raises(koji.AuthError):
        new_request(sinfo=sinfo)
    # the client restarts its call numbers at 0 after renewal
    session = new_request(sinfo=renewed, callnum=0)
    assert session.logged_in and session.id == sid


def test_renewal_of_live_session_and_other_user(hub_context, new_request, alice, make_user):
    make_user('bob', password='bobpw')
    sinfo = do_login(new_request)
    # a live session cannot log in again, not even to renew (as upstream)
    new_request('login', sinfo=sinfo)
    with pytest.raises(koji.AuthError) as exc:
        auth.login('alice', 'secret', renew=True)
    assert str(exc.value) == 'Already logged in'
    end_request()
    expire_by_time(sinfo['session-id'])
    with pytest.raises(koji.AuthExpired):
        new_request(sinfo=sinfo)
    new_request('login', sinfo=sinfo)
    with pytest.raises(koji.AuthError):
        auth.login('bob', 'bobpw', renew=True)
    renewed = auth.login('alice', 'secret', renew=True)
    end_request()
    assert renewed['session-id'] == sinfo['session-id']


def test_renew_keeps_exclusive(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    new_request('exclusiveSession', sinfo=sinfo)
    auth.exclusiveSession()
    end_request()
    expire_by_time(sinfo['session-id'])
    with pytest.raises(koji.AuthExpired):
        new_request(sinfo=sinfo)
    new_request('login', sinfo=sinfo)
    renewed = auth.login('alice', 'secret', renew=True, exclusive=True)
    end_request()
    assert session_row(renewed['session-id'])['exclusive'] is True
    assert new_request(sinfo=renewed).exclusive is True


def test_subsession_renewal_needs_open_master(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    new_request(sinfo=sinfo)
    child = auth.subsession()
    end_request()
    # renewal of an expired subsession whose master is alive
    sql('UPDATE sessions SET expired = TRUE WHERE id = %(id)s', {'id': child['session-id']})
    new_request('login', sinfo=child)
    renewed = auth.login('alice', 'secret', renew=True)
    end_request()
    assert renewed['session-id'] == child['session-id']
    # close the master only (raw SQL, children untouched)
    sql('UPDATE sessions SET closed = TRUE, expired = TRUE WHERE id = %(id)s',
        {'id': sinfo['session-id']})
    sql('UPDATE sessions SET expired = TRUE WHERE id = %(id)s', {'id': child['session-id']})
    new_request('login', sinfo=renewed)
    assert auth.login('alice', 'secret', renew=True) is None


def test_login_exclusive(hub_context, new_request, alice):
    sinfo = do_login(new_request, exclusive=True)
    assert session_row(sinfo['session-id'])['exclusive'] is True


# ---------------------------------------------------------------------------
# blocked users

def test_blocked_user(hub_context, new_request, alice, make_user):
    sinfo = do_login(new_request)
    sql('UPDATE users SET status = %(s)s WHERE id = %(id)s',
        {'s': koji.USER_STATUS['BLOCKED'], 'id': alice['id']})
    with pytest.raises(koji.AuthError) as exc:
        new_request(sinfo=sinfo)
    assert str(exc.value) == 'logins by alice are not allowed'
    new_request('login')
    with pytest.raises(koji.AuthError) as exc:
        auth.login('alice', 'secret')
    assert str(exc.value) == 'logins by alice are not allowed'


# ---------------------------------------------------------------------------
# exclusive sessions

def test_exclusive_sessions(hub_context, new_request, alice):
    first = do_login(new_request)
    second = do_login(new_request)

    session = new_request('exclusiveSession', sinfo=first)
    assert auth.exclusiveSession() is None
    assert session.exclusive is True
    end_request()
    assert session_row(first['session-id'])['exclusive'] is True
    # calling it again is harmless
    new_request('exclusiveSession', sinfo=first)
    auth.exclusiveSession()
    end_request()

    with pytest.raises(koji.AuthLockError) as exc:
        new_request('getLoggedInUser', sinfo=second)
    assert str(exc.value) == 'User locked by another session'
    assert exc.value.faultCode == 1006
    for method in ('login', 'logout'):
        session = new_request(method, sinfo=second)
        assert session.lockerror == 'User locked by another session'
        assert session.exclusive is False
    # raw uploads (no method name) are not refused by the lock
    assert new_request(None, sinfo=second).lockerror == 'User locked by another session'

    new_request('exclusiveSession', sinfo=second)
    with pytest.raises(koji.AuthLockError) as exc:
        auth.exclusiveSession()
    assert str(exc.value) == 'Cannot get exclusive session'
    end_request(ok=False)

    new_request('exclusiveSession', sinfo=second)
    auth.exclusiveSession(force=True)
    end_request()
    old = session_row(first['session-id'])
    assert old['closed'] is True and old['expired'] is True and old['exclusive'] is None
    assert session_row(second['session-id'])['exclusive'] is True
    with pytest.raises(koji.AuthError):
        new_request(sinfo=first)

    new_request('sharedSession', sinfo=second)
    auth.sharedSession()
    end_request()
    assert session_row(second['session-id'])['exclusive'] is None
    assert new_request(sinfo=second).exclusive is False


def test_exclusive_and_subsessions(hub_context, new_request, alice):
    master = do_login(new_request)
    other = do_login(new_request)
    new_request('exclusiveSession', sinfo=master)
    auth.exclusiveSession()
    child = auth.subsession()
    end_request()
    # a subsession shares its master's lock
    session = new_request(sinfo=child)
    assert session.exclusive is True and session.lockerror is None
    with pytest.raises(koji.GenericError) as exc:
        auth.exclusiveSession()
    assert str(exc.value) == 'subsessions cannot become exclusive'
    with pytest.raises(koji.AuthLockError):
        new_request(sinfo=other)


def test_exclusive_anonymous_is_noop(hub_context, new_request):
    new_request('exclusiveSession')
    assert auth.exclusiveSession() is None
    assert auth.sharedSession() is None


# ---------------------------------------------------------------------------
# subsessions and logout

def test_subsessions_and_logout(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    sid = sinfo['session-id']
    new_request('subsession', sinfo=sinfo)
    child = auth.subsession()
    end_request()
    assert set(child) == {'session-id', 'session-key', 'header-auth'}
    assert child['session-id'] != sid
    row = session_row(child['session-id'])
    assert row['master'] == sid and row['user_id'] == alice['id']
    assert row['hostip'] == DEFAULT_REMOTE_ADDR and row['authtype'] == 0

    # a subsession of a subsession hangs off the top-level session
    session = new_request('subsession', sinfo=child)
    assert session.master == sid
    grandchild = auth.subsession()
    end_request()
    assert session_row(grandchild['session-id'])['master'] == sid

    new_request('logout', sinfo=sinfo)
    assert auth.logout() is None
    assert context.session.logged_in is False
    end_request()
    for info in (sinfo, child, grandchild):
        row = session_row(info['session-id'])
        assert row['closed'] is True and row['expired'] is True
        with pytest.raises(koji.AuthError):
            new_request(sinfo=info)


def test_logout_child(hub_context, new_request, alice):
    sinfo = do_login(new_request)
    new_request(sinfo=sinfo)
    child1 = auth.subsession()
    child2 = auth.subsession()
    end_request()
    other = do_login(new_request)

    new_request('logoutChild', sinfo=sinfo)
    auth.logoutChild(child1['session-id'])
    # not a child of ours: nothing happens
    auth.logoutChild(other['session-id'])
    end_request()
    assert session_row(child1['session-id'])['closed'] is True
    assert session_row(child2['session-id'])['closed'] is False
    assert session_row(sinfo['session-id'])['closed'] is False
    assert session_row(other['session-id'])['closed'] is False


def test_logout_permissions(hub_context, new_request, alice, make_user):
    make_user('bob', password='bobpw')
    make_user('boss', password='bosspw', perms=['admin'])
    alice1 = do_login(new_request)
    alice2 = do_login(new_request)
    bob = do_login(new_request, user='bob', password='bobpw')
    boss = do_login(new_request, user='boss', password='bosspw')

    new_request('logout')
    with pytest.raises(koji.AuthError) as exc:
        auth.logout()
    assert str(exc.value) == 'Not logged in'
    with pytest.raises(koji.AuthError):
        auth.subsession()
    with pytest.raises(koji.AuthError):
        auth.logoutChild(1)

    new_request('logout', sinfo=bob)
    with pytest.raises(koji.ActionNotAllowed):
        auth.logout(alice1['session-id'])
    # own other session is fine
    new_request('logout', sinfo=alice2)
    auth.logout(alice1['session-id'])
    assert context.session.logged_in is True
    end_request()
    assert session_row(alice1['session-id'])['closed'] is True
    # admin may close anyone's session
    new_request('logout', sinfo=boss)
    auth.logout(bob['session-id'])
    end_request()
    assert session_row(bob['session-id'])['closed'] is True


# ---------------------------------------------------------------------------
# sslLogin

def ssl_environ(cn='carol', dn=None, verify='SUCCESS', **extra):
    env = {'SSL_CLIENT_VERIFY': verify, 'SSL_CLIENT_S_DN_CN': cn,
           'SSL_CLIENT_S_DN': dn or 'CN=%s,O=Example' % cn}
    env.update(extra)
    return env


def ssl_login(new_request, environ, *args, **kwargs):
    new_request('sslLogin', environ=environ)
    sinfo = auth.sslLogin(*args, **kwargs)
    end_request()
    return sinfo


def test_ssl_login_creates_user(hub_context, new_request):
    sinfo = ssl_login(new_request, ssl_environ('carol'))
    row = session_row(sinfo['session-id'])
    assert row['authtype'] == koji.AUTHTYPES['SSL']
    session = new_request(sinfo=sinfo)
    assert session.user_data['name'] == 'carol'
    assert session.authtype == koji.AUTHTYPES['SSL']
    # a second login finds the same user
    again = ssl_login(new_request, ssl_environ('carol'))
    assert session_row(again['session-id'])['user_id'] == row['user_id']


def test_ssl_login_failures(hub_context, new_request):
    new_request('sslLogin', environ={'SSL_CLIENT_VERIFY': 'FAILED:bad'})
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == 'could not verify client: FAILED:bad'
    new_request('sslLogin')
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == 'could not verify client: None'
    new_request('sslLogin', environ={'SSL_CLIENT_VERIFY': 'SUCCESS'})
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert 'unable to get user information (CN)' in str(exc.value)

    context.opts['LoginCreatesUser'] = False
    new_request('sslLogin', environ=ssl_environ('dave'))
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == 'Unknown user: dave'


def test_ssl_login_dn_component(hub_context, new_request, make_user):
    user = make_user('uid1')
    context.opts['DNUsernameComponent'] = 'UID'
    sinfo = ssl_login(new_request, ssl_environ('Some Name', SSL_CLIENT_S_DN_UID='uid1'))
    assert session_row(sinfo['session-id'])['user_id'] == user['id']


def test_ssl_login_blocked_and_already_logged_in(hub_context, new_request, make_user):
    make_user('eve', status=koji.USER_STATUS['BLOCKED'])
    new_request('sslLogin', environ=ssl_environ('eve'))
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == 'logins by eve are not allowed'
    sinfo = ssl_login(new_request, ssl_environ('carol'))
    new_request('sslLogin', sinfo=sinfo, environ=ssl_environ('carol'))
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == 'Already logged in'
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin(renew=True)
    assert str(exc.value) == 'Already logged in'
    end_request()
    sql('UPDATE sessions SET expired = TRUE WHERE id = %(id)s', {'id': sinfo['session-id']})
    new_request('sslLogin', sinfo=sinfo, environ=ssl_environ('carol'))
    renewed = auth.sslLogin(renew=True)
    assert renewed['session-id'] == sinfo['session-id']


def test_gssapi_login(hub_context, new_request, make_user):
    from kojihub.users import users
    sinfo = ssl_login(new_request, {'REMOTE_USER': 'frank@EXAMPLE.COM'})
    row = session_row(sinfo['session-id'])
    assert row['authtype'] == koji.AUTHTYPES['GSSAPI']
    frank = users.get_user(row['user_id'])
    assert frank['name'] == 'frank'
    assert frank['krb_principals'] == ['frank@EXAMPLE.COM']
    # found again by principal
    again = ssl_login(new_request, {'REMOTE_USER': 'frank@EXAMPLE.COM'})
    assert session_row(again['session-id'])['user_id'] == frank['id']

    # an existing user with the same name gets the principal attached
    grace = make_user('grace')
    sinfo = ssl_login(new_request, {'REMOTE_USER': 'grace@EXAMPLE.COM'})
    assert session_row(sinfo['session-id'])['user_id'] == grace['id']
    assert users.get_user(grace['id'])['krb_principals'] == ['grace@EXAMPLE.COM']

    # a REMOTE_USER without realm is a user name
    sinfo = ssl_login(new_request, {'REMOTE_USER': 'grace'})
    assert session_row(sinfo['session-id'])['user_id'] == grace['id']


def test_gssapi_realms(hub_context, new_request):
    context.opts['AllowedKrbRealms'] = 'EXAMPLE.COM,OTHER.ORG'
    sinfo = ssl_login(new_request, {'REMOTE_USER': 'henry@OTHER.ORG'})
    assert sinfo['session-id']
    new_request('sslLogin', environ={'REMOTE_USER': 'ivan@EVIL.NET'})
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == "Kerberos principal's realm: EVIL.NET is not allowed"
    context.opts['LoginCreatesUser'] = False
    new_request('sslLogin', environ={'REMOTE_USER': 'judy@EXAMPLE.COM'})
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin()
    assert str(exc.value) == 'Unknown user: judy@EXAMPLE.COM'


def test_ssl_proxy(hub_context, new_request, make_user):
    target = make_user('kate')
    web_dn = 'CN=kojiweb,O=Example'
    env = ssl_environ('kojiweb', dn=web_dn)
    new_request('sslLogin', environ=env)
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin('kate')
    assert str(exc.value) == '%s is not authorized to login other users' % web_dn

    context.opts['ProxyDNs'] = 'CN=other,O=Example|%s' % web_dn
    sinfo = ssl_login(new_request, env, 'kate')
    row = session_row(sinfo['session-id'])
    assert row['user_id'] == target['id'] and row['authtype'] == koji.AUTHTYPES['SSL']

    new_request('sslLogin', environ=env)
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin('kate', koji.AUTHTYPES['GSSAPI'])
    assert 'AllowProxyAuthType' in str(exc.value)
    context.opts['AllowProxyAuthType'] = True
    sinfo = ssl_login(new_request, env, 'kate', proxyauthtype=koji.AUTHTYPES['GSSAPI'])
    assert session_row(sinfo['session-id'])['authtype'] == koji.AUTHTYPES['GSSAPI']
    new_request('sslLogin', environ=env)
    with pytest.raises(koji.AuthError) as exc:
        auth.sslLogin('kate', koji.AUTHTYPES['NORMAL'])
    assert str(exc.value) == 'Proxied authtype 0 is not valid for sslLogin'
    # proxied user is created when unknown
    sinfo = ssl_login(new_request, env, 'newbie')
    assert new_request(sinfo=sinfo).user_data['name'] == 'newbie'


def test_gssapi_proxy(hub_context, new_request, make_user):
    target = make_user('leo', krb_principal='leo@EXAMPLE.COM')
    env = {'REMOTE_USER': 'HTTP/web.example.com@EXAMPLE.COM'}
    new_request('sslLogin', environ=env)
    with pytest.raises(koji.AuthError):
        auth.sslLogin('leo@EXAMPLE.COM')
    # ProxyDNs do not count for GSSAPI
    context.opts['ProxyDNs'] = 'HTTP/web.example.com@EXAMPLE.COM'
    new_request('sslLogin', environ=env)
    with pytest.raises(koji.AuthError):
        auth.sslLogin('leo@EXAMPLE.COM')
    context.opts['ProxyPrincipals'] = 'a@B, HTTP/web.example.com@EXAMPLE.COM'
    sinfo = ssl_login(new_request, env, 'leo@EXAMPLE.COM')
    row = session_row(sinfo['session-id'])
    assert row['user_id'] == target['id'] and row['authtype'] == koji.AUTHTYPES['GSSAPI']
    sinfo = ssl_login(new_request, env, 'leo')
    assert session_row(sinfo['session-id'])['user_id'] == target['id']


# ---------------------------------------------------------------------------
# permission helpers on the session

def test_session_permission_checks(hub_context, new_request, make_user, login_as):
    make_user('tagger', perms=['tag'], groups=['builders'])
    make_user('boss', perms=['admin'])
    from kojihub.users import users
    group = users.get_user('builders')

    login_as('tagger')
    session = context.session
    assert session.hasPerm('tag') and not session.hasPerm('admin')
    assert session.getPerms() == ['tag']
    session.assertPerm('tag')
    session.assertLogin()
    with pytest.raises(koji.ActionNotAllowed) as exc:
        session.assertPerm('repo')
    assert str(exc.value) == 'repo permission required (logged in as tagger)'
    assert session.isUser(session.user_id)
    assert session.isUser(group['id'])
    session.assertUser(group['id'])
    boss = users.get_user('boss')
    assert not session.isUser(boss['id'])
    with pytest.raises(koji.AuthError):
        session.assertUser(boss['id'])
    assert session.getUserId('boss') == boss['id']
    assert session.getUserId('missing') is None
    assert session.getHostId() is None

    login_as('boss')
    session = context.session
    # admin is implied by assertPerm only
    assert not session.hasPerm('tag')
    session.assertPerm('tag')
    session.assertUser(group['id'])


def test_group_permissions_apply_to_members(hub_context, make_user, login_as):
    from kojihub.core import db
    from kojihub.users import perms
    make_user('mia', groups=['packagers'])
    make_user('packagers_admin', perms=['admin'])
    login_as('packagers_admin')
    perms.grant_permission('packagers', 'repo')
    end_request()
    login_as('mia')
    assert context.session.hasPerm('repo')
    assert db._singleValue('SELECT count(*) FROM user_perms') >= 1


def test_get_host_id(hub_context, make_user, login_as):
    host_user = make_user('builder1', usertype=koji.USERTYPES['HOST'])
    sql("INSERT INTO host (user_id, name) VALUES (%(uid)s, 'builder1')",
        {'uid': host_user['id']})
    login_as('builder1')
    host_id = _singleValue('SELECT id FROM host WHERE name = %(n)s', {'n': 'builder1'})
    assert context.session.getHostId() == host_id


# ---------------------------------------------------------------------------
# session introspection calls

def test_get_session_info(hub_context, new_request, alice, make_user):
    make_user('bob', password='bobpw')
    make_user('boss', password='bosspw', perms=['admin'])
    sinfo = do_login(new_request)
    other = do_login(new_request)
    new_request(sinfo=sinfo, callnum=3)
    context.commit_pending = True   # the call commits, so callnum 3 is kept
    new_request(sinfo=sinfo, callnum=4)
    info = auth.SessionExports.getSessionInfo()
    assert set(info) == {'authtype', 'callnum', 'exclusive', 'expired', 'master',
                         'renew_time', 'renew_ts', 'start_time', 'start_ts', 'update_time',
                         'update_ts', 'user_id'}
    # the session as read when the call came in: the previous call's number (upstream)
    assert info['user_id'] == alice['id'] and info['callnum'] == 3
    assert isinstance(info['start_ts'], float)
    detailed = auth.SessionExports.getSessionInfo(details=True)
    assert detailed['id'] == sinfo['session-id']
    assert detailed['hostip'] == DEFAULT_REMOTE_ADDR

    listed = auth.SessionExports.getSessionInfo(user_id=alice['id'], details=True)
    assert sorted(s['id'] for s in listed) == sorted([sinfo['session-id'],
                                                      other['session-id']])
    assert 'key' not in listed[0]

    bob = do_login(new_request, user='bob', password='bobpw')
    new_request(sinfo=bob)
    with pytest.raises(koji.ActionNotAllowed):
        auth.SessionExports.getSessionInfo(user_id=alice['id'])
    boss = do_login(new_request, user='boss', password='bosspw')
    new_request(sinfo=boss)
    assert len(auth.SessionExports.getSessionInfo(user_id='alice')) == 2


def test_registered_function_signatures():
    import inspect
    assert str(inspect.signature(auth.login)) == '(*args, **opts)'
    assert str(inspect.signature(auth.sslLogin)) == '(*args, **opts)'
    assert str(inspect.signature(auth.exclusiveSession)) == '(*args, **opts)'
    assert str(inspect.signature(auth.logout)) == '(session_id=None)'
    assert str(inspect.signature(auth.subsession)) == '()'
    assert str(inspect.signature(auth.logoutChild)) == '(session_id)'
    assert str(inspect.signature(auth.sharedSession)) == '()'
    exports = auth.SessionExports
    assert str(inspect.signature(exports.getSessionInfo)) == '(details=False, user_id=None)'
    assert str(inspect.signature(exports.showSession)) == '()'
    assert str(inspect.signature(exports.getLoggedInUser)) == '()'


def test_open_session_helper_creates_real_rows(hub_context, new_request, alice):
    sinfo = open_session('alice', authtype=koji.AUTHTYPES['SSL'])
    row = session_row(sinfo['session-id'])
    assert row['authtype'] == koji.AUTHTYPES['SSL']
    assert new_request(sinfo=sinfo).user_id == alice['id']
