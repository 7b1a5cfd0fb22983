"""GSSAPI logins through Apache mod_auth_gssapi and a real MIT KDC (koji-dev --auth kerberos).

Clients get their tickets from keytabs (no kinit); httpd accepts them with the stack's
HTTP/localhost keytab and hands REMOTE_USER (the client principal) to the hub.
"""
import json
import os
import subprocess

import pytest

from tests.auth.conftest import kdclib, script_runner, untimed

GSSAPI = 3  # koji.AUTHTYPES['GSSAPI']
REALM = 'KOJIDEV.TEST'
DOC = ('Use following documentation to debug kerberos/gssapi auth issues. '
       'https://docs.pagure.org/koji/kerberos_gssapi_debug/')

SESSION_SCRIPT = r'''
import json, sys
import koji
url, ca, principal, keytab = sys.argv[1:5]
opts = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
session = koji.ClientSession(url, {'serverca': ca, 'max_retries': 1, 'retry_interval': 0})
out = {}
try:
    session.gssapi_login(principal=principal, keytab=keytab, ccache=opts.get('ccache'),
                         proxyuser=opts.get('proxyuser'))
except koji.GenericError as exc:
    out['error'] = '%s: %s' % (type(exc).__name__, exc)
    print(json.dumps(out))
    sys.exit(0)
user = session.getLoggedInUser()
out.update(user=user['name'], authtype=user['authtype'], krb=user['krb_principal'],
           sinfo=session.sinfo)
if opts.get('exclusive'):
    session.exclusiveSession()
    out['exclusive'] = session.getSessionInfo()['exclusive']
if opts.get('expire'):
    print(json.dumps(out), flush=True)
    sys.stdin.readline()
    out['after_renew'] = session.getLoggedInUser()['name']
    out['sinfo_after'] = session.sinfo
session.logout()
out['after_logout'] = session.getLoggedInUser()
print(json.dumps(out))
'''


def stack_kdc(stack):
    return kdclib.KDC(stack.path('krb5'), REALM, _kdc_port(stack))


def _kdc_port(stack):
    with open(stack.path('koji-dev.json')) as fp:
        return json.load(fp)['kdc_port']


def keytab_for(stack, name):
    return stack_kdc(stack).keytab(name)


def login_script(stack, principal, keytab, env=None, client='ours', request=None, **opts):
    python, script_env = script_runner(stack, client, request, env)
    res = subprocess.run([python, '-c', SESSION_SCRIPT, stack.login_url, stack.serverca,
                          principal, keytab, json.dumps(opts)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=120, env=script_env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])


def assert_refused(stack, principal, keytab, expected, env=None, **opts):
    count = stack.session_count()
    out = login_script(stack, principal, keytab, env=env, **opts)
    assert 'error' in out, out
    assert out['error'].startswith('GSSAPIAuthError: unable to obtain a session '
                                   '(gssapi auth failed: '), out['error']
    assert expected in out['error'], out['error']
    assert out['error'].endswith(')\n' + DOC)
    assert stack.session_count() == count


def test_cli_profile_logs_in_with_keytab(krb_stack):
    assert krb_stack.env['KRB5_CONFIG'] == krb_stack.path('krb5', 'krb5.conf')
    res = krb_stack.cli('hello')
    assert res.returncode == 0, res.stderr
    assert 'kojiadmin!' in res.stdout.splitlines()[0]
    assert 'You are using the hub at %s' % krb_stack.login_url in res.stdout
    assert 'Authenticated via GSSAPI' in res.stdout
    res = krb_stack.cli('call', '--json-output', 'getLoggedInUser')
    assert res.returncode == 0, res.stderr
    user = json.loads(res.stdout)
    assert user['authtype'] == GSSAPI
    assert user['krb_principal'] == 'kojiadmin@%s' % REALM
    # without the stack's krb5.conf (and no ticket cached yet) there is no KDC to ask
    res = krb_stack.cli('hello', env={'KRB5_CONFIG': '/nonexistent', 'KRB5CCNAME': 'MEMORY:'})
    assert res.returncode == 1
    assert 'GSSAPIAuthError: unable to obtain a session (gssapi auth failed' in res.stderr


def test_upstream_client_logs_in_with_keytab(krb_stack, upstream_koji):
    res = krb_stack.upstream(upstream_koji, 'hello')
    assert res.returncode == 0, res.stderr
    assert 'kojiadmin!' in res.stdout.splitlines()[0]
    assert 'Authenticated via GSSAPI' in res.stdout
    # a keytab for another principal: both clients fail the same way
    wrong = keytab_for(krb_stack, 'nobody-here')
    args = ('--principal', 'kojiadmin@%s' % REALM, '--keytab', wrong, 'hello')
    # a fresh, empty ccache: the keytab is all the clients have
    ours = krb_stack.cli(*args, env={'KRB5CCNAME': 'MEMORY:'})
    theirs = krb_stack.upstream(upstream_koji, *args, env={'KRB5CCNAME': 'MEMORY:'})
    assert ours.returncode == theirs.returncode == 1
    assert 'GSSAPIAuthError: unable to obtain a session (gssapi auth failed:' in ours.stderr
    assert DOC in ours.stderr
    assert untimed(ours.stderr) == untimed(theirs.stderr)


def test_cli_principal_and_keytab_options(krb_stack):
    info = krb_stack.add_user('bob')
    assert info['principal'] == 'bob@%s' % REALM
    res = krb_stack.cli('--principal', info['principal'], '--keytab', info['keytab'],
                        'call', '--json-output', 'getLoggedInUser')
    assert res.returncode == 0, res.stderr
    user = json.loads(res.stdout)
    assert user['name'] == 'bob' and user['authtype'] == GSSAPI
    assert user['krb_principal'] == 'bob@%s' % REALM


@pytest.mark.parametrize('client', ['ours', 'upstream'])
def test_client_session_exclusive_renewal_logout(krb_stack, client, request):
    keytab = krb_stack.path('krb5', 'kojiadmin.keytab')
    ccache = 'FILE:%s' % krb_stack.path('krb5', 'script.ccache')
    out = login_script(krb_stack, 'kojiadmin@%s' % REALM, keytab, ccache=ccache,
                       exclusive=True, client=client, request=request)
    assert out['user'] == 'kojiadmin' and out['authtype'] == GSSAPI
    assert out['exclusive'] is True
    assert out['after_logout'] is None
    assert os.path.exists(ccache[5:])

    python, env = script_runner(krb_stack, client, request)
    proc = subprocess.Popen([python, '-c', SESSION_SCRIPT, krb_stack.login_url,
                             krb_stack.serverca, 'kojiadmin@%s' % REALM, keytab,
                             json.dumps({'expire': True})],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                            universal_newlines=True)
    try:
        first = json.loads(proc.stdout.readline())
        sid = first['sinfo']['session-id']
        # past SessionRenewalTimeout: the hub expires it on the next call
        krb_stack.sql("UPDATE sessions SET start_time = NOW() - '3 days'::interval "
                      'WHERE id = %s', (sid,))
        proc.stdin.write('\n')
        proc.stdin.flush()
        out = json.loads(proc.stdout.read().splitlines()[-1])
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert out['after_renew'] == 'kojiadmin'
    assert out['sinfo_after']['session-id'] == sid
    assert out['sinfo_after']['session-key'] != first['sinfo']['session-key']


def test_kojid_and_kojira_logged_in_with_keytabs(krb_stack):
    builder = krb_stack.env['KOJI_BUILDER_NAME']
    with open(krb_stack.path('kojid.conf')) as fp:
        conf = fp.read()
    assert 'krb_principal = compile/%s@%s' % (builder, REALM) in conf
    assert 'keytab = %s' % krb_stack.path('krb5', 'compile_%s.keytab' % builder) in conf
    assert 'password' not in conf
    with open(krb_stack.path('kojira.conf')) as fp:
        conf = fp.read()
    assert 'principal = kojira@%s' % REALM in conf
    assert 'password' not in conf
    # their sessions (open, or closed if a hub restart of another test stopped them) all
    # came from keytab logins; the builder checked in (host calls need exclusive)
    for user in (builder, 'kojira'):
        rows = krb_stack.sql('SELECT DISTINCT authtype FROM sessions JOIN users '
                             'ON users.id = user_id WHERE users.name = %s', (user,))
        assert rows == [(GSSAPI,)], user
    assert krb_stack.sql('SELECT update_time IS NOT NULL FROM host WHERE name = %s',
                         (builder,)) == [(True,)]
    # HostPrincipalFormat gave the host user its principal when addHost made it
    rows = krb_stack.sql('SELECT krb_principal FROM user_krb_principals JOIN users '
                         'ON users.id = user_id WHERE users.name = %s', (builder,))
    assert rows == [('compile/%s@%s' % (builder, REALM),)]


def test_unknown_principal_created_or_refused(krb_stack):
    keytab = keytab_for(krb_stack, 'newbie')
    out = login_script(krb_stack, 'newbie@%s' % REALM, keytab)
    assert out['user'] == 'newbie'
    assert out['krb'] == 'newbie@%s' % REALM
    keytab = keytab_for(krb_stack, 'stranger')
    with krb_stack.hub_setting('LoginCreatesUser', 'False'):
        assert_refused(krb_stack, 'stranger@%s' % REALM, keytab,
                       'koji.AuthError: Unknown user: stranger@%s' % REALM)
    assert krb_stack.sql("SELECT count(*) FROM users WHERE name = 'stranger'") == [(0,)]


def test_disabled_user_refused(krb_stack):
    info = krb_stack.add_user('ivy')
    res = krb_stack.cli('disable-user', 'ivy')
    assert res.returncode == 0, res.stderr
    assert_refused(krb_stack, info['principal'], info['keytab'],
                   'koji.AuthError: logins by ivy are not allowed')


def test_proxy_principals(krb_stack):
    krb_stack.add_user('dora')
    web = krb_stack.path('krb5', 'kojiweb.keytab')
    out = login_script(krb_stack, 'kojiweb@%s' % REALM, web, proxyuser='dora')
    assert out['user'] == 'dora' and out['authtype'] == GSSAPI
    res = krb_stack.cli('--principal', 'kojiweb@%s' % REALM, '--keytab', web,
                        '--runas', 'dora', 'hello')
    assert res.returncode == 0, res.stderr
    assert 'dora!' in res.stdout.splitlines()[0]
    info = krb_stack.add_user('eve')
    assert_refused(krb_stack, info['principal'], info['keytab'],
                   'koji.AuthError: eve@%s is not authorized to login other users' % REALM,
                   proxyuser='kojiadmin')


@pytest.fixture(scope='module')
def other_realm(krb_stack, tmp_path_factory):
    """A second KDC (OTHER.TEST) whose principals the stack's realm trusts."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    folder = str(tmp_path_factory.mktemp('other-realm'))
    other = kdclib.KDC(folder, 'OTHER.TEST', port)
    other.setup()
    other.start()
    try:
        kdclib.trust(stack_kdc(krb_stack), other)
        keytab = other.keytab('zoe')
        # the client's view: both realms, localhost's services in the stack's realm
        conf = os.path.join(folder, 'client-krb5.conf')
        realms = ''.join(kdclib.REALM_STANZA.format(realm=r, port=p) for r, p in
                         ((REALM, _kdc_port(krb_stack)), ('OTHER.TEST', port)))
        with open(conf, 'w') as fp:
            fp.write(kdclib.KRB5_CONF.format(realm=REALM, realms=realms))
        ccdir = os.path.join(folder, 'ccache')
        os.makedirs(ccdir)
        yield {'keytab': keytab, 'env': {'KRB5_CONFIG': conf, 'KRB5CCNAME': 'DIR:' + ccdir}}
    finally:
        other.stop()


def test_ticket_from_other_realm_refused(krb_stack, other_realm):
    # httpd accepts the cross-realm ticket (REMOTE_USER zoe@OTHER.TEST); the hub's
    # AllowedKrbRealms does not
    assert_refused(krb_stack, 'zoe@OTHER.TEST', other_realm['keytab'],
                   "koji.AuthError: Kerberos principal's realm: OTHER.TEST is not allowed",
                   env=other_realm['env'])
    assert krb_stack.sql("SELECT count(*) FROM users WHERE name = 'zoe'") == [(0,)]
    # ... and lets it in once the realm is allowed
    with krb_stack.hub_setting('AllowedKrbRealms', '%s,OTHER.TEST' % REALM):
        out = login_script(krb_stack, 'zoe@OTHER.TEST', other_realm['keytab'],
                           env=other_realm['env'])
    assert out['user'] == 'zoe' and out['krb'] == 'zoe@OTHER.TEST'


def test_ssllogin_without_ticket_gets_negotiate(krb_stack):
    """Without a ticket httpd answers 401 Negotiate and the hub is never reached."""
    import http.client
    import xmlrpc.client
    port = int(krb_stack.env['KOJI_HUB_URL'].split(':')[2].split('/')[0])
    count = krb_stack.session_count()
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        conn.request('POST', '/kojihub/ssllogin', xmlrpc.client.dumps((), 'sslLogin'),
                     {'Content-Type': 'text/xml'})
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    assert resp.status == 401
    assert resp.getheader('WWW-Authenticate') == 'Negotiate'
    assert krb_stack.session_count() == count
