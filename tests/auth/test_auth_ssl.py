"""SSL client-certificate logins through Apache mod_ssl (koji-dev up --auth ssl).

Every login goes over TLS to /kojihub/ssllogin, where httpd requires and verifies a client
certificate against the stack's CA and CRL; the hub takes the user from the CN.
"""
import http.client
import json
import os
import ssl

import pytest

from tests.auth.conftest import pkilib, script_runner, untimed

SSL = 2  # koji.AUTHTYPES['SSL']

SESSION_SCRIPT = r'''
import json, sys
import koji
url, cert, ca = sys.argv[1:4]
opts = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
session = koji.ClientSession(url, {'max_retries': 1, 'retry_interval': 0})
out = {}
try:
    session.ssl_login(cert, None, ca, proxyuser=opts.get('proxyuser'),
                      proxyauthtype=opts.get('proxyauthtype'))
except koji.GenericError as exc:
    out['error'] = '%s: %s' % (type(exc).__name__, exc)
    print(json.dumps(out))
    sys.exit(0)
user = session.getLoggedInUser()
out['user'] = user['name']
out['authtype'] = user['authtype']
out['sinfo'] = session.sinfo
if opts.get('exclusive'):
    session.exclusiveSession()
    out['exclusive'] = session.getSessionInfo()['exclusive']
if opts.get('expire'):
    # the test expires the session in the database, then we call again: the client
    # renews it with another ssl_login and repeats the call
    print(json.dumps(out), flush=True)
    sys.stdin.readline()
    out['after_renew'] = session.getLoggedInUser()['name']
    out['sinfo_after'] = session.sinfo
if opts.get('subsession'):
    sub = session.subsession()
    out['sub_user'] = sub.getLoggedInUser()['name']
    sub.logout()
session.logout()
out['after_logout'] = session.getLoggedInUser()
print(json.dumps(out))
'''


def login_script(stack, cert, **opts):
    res = stack.python(SESSION_SCRIPT, stack.login_url, cert, stack.serverca,
                       json.dumps(opts))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])


def assert_refused(stack, cert, expected, before=None):
    """The login fails with expected in the message and no session row was made."""
    count = stack.session_count()
    out = login_script(stack, cert)
    assert 'error' in out, out
    assert expected in out['error'], out['error']
    assert stack.session_count() == count


def test_cli_profile_logs_in_with_certificate(ssl_stack):
    res = ssl_stack.cli('hello')
    assert res.returncode == 0, res.stderr
    assert 'kojiadmin!' in res.stdout.splitlines()[0]
    assert 'You are using the hub at %s' % ssl_stack.login_url in res.stdout
    assert 'Authenticated via client certificate %s' % ssl_stack.path(
        'pki', 'kojiadmin.pem') in res.stdout
    with open(ssl_stack.config) as fp:
        profile = fp.read()
    assert 'authtype = ssl' in profile
    assert 'user' not in profile.split('[koji-dev]')[1].replace('# ', '')
    # an admin command works with the certificate alone
    res = ssl_stack.cli('list-permissions', '--mine')
    assert res.returncode == 0, res.stderr
    assert 'admin' in res.stdout.split()


def test_cli_global_auth_options(ssl_stack):
    carol = ssl_stack.add_user('carol')['cert']
    res = ssl_stack.cli('--cert', carol, 'call', '--json-output', 'getLoggedInUser')
    assert res.returncode == 0, res.stderr
    user = json.loads(res.stdout)
    assert user['name'] == 'carol' and user['authtype'] == SSL
    # --authtype password with the profile's cert still there: a password login is tried
    res = ssl_stack.cli('--authtype', 'password', '--user', 'kojiadmin', '--password', 'bad',
                        'hello')
    assert res.returncode == 1
    assert 'invalid username or password' in res.stderr
    # --authtype noauth: anonymous
    res = ssl_stack.cli('--authtype', 'noauth', 'call', 'getLoggedInUser')
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == 'None'
    # a missing certificate file
    res = ssl_stack.cli('--cert', ssl_stack.path('nope.pem'), 'hello')
    assert res.returncode == 1
    assert "Certificate %s doesn't exist or is not accessible" % ssl_stack.path(
        'nope.pem') in res.stderr


def test_upstream_client_logs_in_with_certificate(ssl_stack, upstream_koji):
    res = ssl_stack.upstream(upstream_koji, 'hello')
    assert res.returncode == 0, res.stderr
    assert 'kojiadmin!' in res.stdout.splitlines()[0]
    assert 'Authenticated via client certificate' in res.stdout
    res = ssl_stack.upstream(upstream_koji, 'call', '--json-output', 'getLoggedInUser')
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)['authtype'] == SSL
    # ... and is refused like ours with a certificate the CA did not sign
    rogue = pkilib.self_signed(ssl_stack.path('rogue-up'), 'rogue', 'kojiadmin')
    res = ssl_stack.upstream(upstream_koji, '--cert', rogue, 'hello')
    assert res.returncode == 1
    assert 'unable to obtain a session' in res.stderr


def test_client_session_login_exclusive_subsession_logout(ssl_stack):
    cert = ssl_stack.path('pki', 'kojiadmin.pem')
    out = login_script(ssl_stack, cert, exclusive=True, subsession=True)
    assert out['user'] == 'kojiadmin'
    assert out['authtype'] == SSL
    assert out['exclusive'] is True
    assert out['sub_user'] == 'kojiadmin'
    assert out['after_logout'] is None
    sid = out['sinfo']['session-id']
    assert ssl_stack.sql('SELECT closed, authtype FROM sessions WHERE id = %s',
                         (sid,)) == [(True, SSL)]


@pytest.mark.parametrize('client', ['ours', 'upstream'])
def test_expired_session_is_renewed_with_the_certificate(ssl_stack, client, request):
    import subprocess
    cert = ssl_stack.path('pki', 'kojiadmin.pem')
    python, env = script_runner(ssl_stack, client, request)
    proc = subprocess.Popen([python, '-c', SESSION_SCRIPT, ssl_stack.login_url, cert,
                             ssl_stack.serverca, json.dumps({'expire': True})],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                            universal_newlines=True)
    try:
        first = json.loads(proc.stdout.readline())
        sid = first['sinfo']['session-id']
        ssl_stack.sql('UPDATE sessions SET expired = TRUE WHERE id = %s', (sid,))
        proc.stdin.write('\n')
        proc.stdin.flush()
        out = json.loads(proc.stdout.read().splitlines()[-1])
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert out['after_renew'] == 'kojiadmin'
    # same session, new key, renewal time set
    assert out['sinfo_after']['session-id'] == sid
    assert out['sinfo_after']['session-key'] != first['sinfo']['session-key']
    assert ssl_stack.sql('SELECT renew_time IS NOT NULL FROM sessions WHERE id = %s',
                         (sid,)) == [(True,)]


def test_kojid_and_kojira_logged_in_with_certificates(ssl_stack):
    builder = ssl_stack.env['KOJI_BUILDER_NAME']
    with open(ssl_stack.path('kojid.conf')) as fp:
        kojid_conf = fp.read()
    assert 'cert = %s' % ssl_stack.path('pki', '%s.pem' % builder) in kojid_conf
    assert 'password' not in kojid_conf
    with open(ssl_stack.path('kojira.conf')) as fp:
        assert 'password' not in fp.read()
    # their sessions (open, or closed if a hub restart of another test stopped them) all
    # came from certificate logins; the builder checked in (host calls need exclusive)
    for user in (builder, 'kojira'):
        rows = ssl_stack.sql('SELECT DISTINCT authtype FROM sessions JOIN users '
                             'ON users.id = user_id WHERE users.name = %s', (user,))
        assert rows == [(SSL,)], user
    # host.updateHost, which only an exclusive host session may call, has run
    assert ssl_stack.sql('SELECT update_time IS NOT NULL FROM host WHERE name = %s',
                         (builder,)) == [(True,)]


def test_proxy_login_from_proxy_dn(ssl_stack):
    ssl_stack.add_user('dave')
    web = ssl_stack.path('pki', 'kojiweb.pem')
    out = login_script(ssl_stack, web, proxyuser='dave')
    assert out['user'] == 'dave' and out['authtype'] == SSL
    # --runas from the CLI does the same
    res = ssl_stack.cli('--cert', web, '--runas', 'dave', 'hello')
    assert res.returncode == 0, res.stderr
    assert 'dave!' in res.stdout.splitlines()[0]


def test_proxy_auth_type_needs_allow_option(ssl_stack):
    ssl_stack.add_user('fay')
    web = ssl_stack.path('pki', 'kojiweb.pem')
    count = ssl_stack.session_count()
    out = login_script(ssl_stack, web, proxyuser='fay', proxyauthtype=3)
    assert out['error'] == ('AuthError: unable to obtain a session (ssl auth failed: '
                            'koji.AuthError: Proxy must use same auth mechanism as hub '
                            '(behaviour can be overriden via AllowProxyAuthType hub '
                            'option)\n)')
    assert ssl_stack.session_count() == count
    with ssl_stack.hub_setting('AllowProxyAuthType', 'True'):
        # the web UI logged in with its certificate, for a user who came with Kerberos
        out = login_script(ssl_stack, web, proxyuser='fay', proxyauthtype=3)
        assert out['user'] == 'fay' and out['authtype'] == 3
        out = login_script(ssl_stack, web, proxyuser='fay', proxyauthtype=0)
        assert out['error'].endswith('koji.AuthError: Proxied authtype 0 is not valid for '
                                     'sslLogin\n)')


def test_dn_username_component(ssl_stack):
    cert = issue(ssl_stack, 'by-org', 'someone', org='team-x')
    with ssl_stack.hub_setting('DNUsernameComponent', 'O'):
        out = login_script(ssl_stack, cert)
    # the user is named after the O component, not the CN
    assert out['user'] == 'team-x'
    assert ssl_stack.sql("SELECT count(*) FROM users WHERE name = 'someone'") == [(0,)]


def test_proxy_login_from_other_dn_refused(ssl_stack, upstream_koji):
    erin = ssl_stack.add_user('erin')['cert']
    count = ssl_stack.session_count()
    out = login_script(ssl_stack, erin, proxyuser='kojiadmin')
    assert out['error'] == ('AuthError: unable to obtain a session (ssl auth failed: '
                            'koji.AuthError: CN=erin,O=koji-dev is not authorized to login '
                            'other users\n)')
    assert ssl_stack.session_count() == count
    res = ssl_stack.cli('--cert', erin, '--runas', 'kojiadmin', 'hello')
    assert res.returncode == 1
    assert 'CN=erin,O=koji-dev is not authorized to login other users' in res.stderr
    # word for word what upstream's client prints
    theirs = ssl_stack.upstream(upstream_koji, '--cert', erin, '--runas', 'kojiadmin', 'hello')
    assert (res.returncode, res.stdout, untimed(res.stderr)) == (
        theirs.returncode, theirs.stdout, untimed(theirs.stderr))
    assert ssl_stack.session_count() == count


def issue(stack, name, cn, **kw):
    return pkilib.PKI(stack.path('pki')).issue(name, cn=cn, **kw)


@pytest.mark.parametrize('kind', ['expired', 'not-yet-valid'])
def test_certificate_out_of_date_refused(ssl_stack, kind):
    dates = {'expired': ('200101000000Z', '200201000000Z'),
             'not-yet-valid': ('490101000000Z', '491231000000Z')}[kind]
    cert = issue(ssl_stack, 'kojiadmin-%s' % kind, 'kojiadmin', startdate=dates[0],
                 enddate=dates[1])
    assert_refused(ssl_stack, cert, 'unable to obtain a session (ssl auth failed')


def test_revoked_certificate_refused(ssl_stack):
    cert = ssl_stack.add_user('frank')['cert']
    assert login_script(ssl_stack, cert)['user'] == 'frank'
    res = ssl_stack.cli('--cert', cert, 'hello')
    assert res.returncode == 0
    from tests.auth.conftest import koji_dev
    res = koji_dev('user', 'frank', '--revoke', '--dir', ssl_stack.dir)
    assert res.returncode == 0, res.stderr
    assert_refused(ssl_stack, cert, 'unable to obtain a session (ssl auth failed')
    res = ssl_stack.cli('--cert', cert, 'hello')
    assert res.returncode == 1
    assert 'AuthError: unable to obtain a session (ssl auth failed' in res.stderr


def test_self_signed_and_wrong_ca_refused(ssl_stack):
    rogue = pkilib.self_signed(ssl_stack.path('rogue'), 'rogue', 'kojiadmin')
    assert_refused(ssl_stack, rogue, 'unable to obtain a session (ssl auth failed')
    other = pkilib.PKI(ssl_stack.path('other-ca'))
    cert = other.issue('kojiadmin')
    assert_refused(ssl_stack, cert, 'unable to obtain a session (ssl auth failed')


def test_unknown_cn_created_or_refused(ssl_stack):
    # LoginCreatesUser = True (koji-dev's setting): the user appears on first login
    cert = issue(ssl_stack, 'gina', 'gina')
    assert ssl_stack.sql("SELECT count(*) FROM users WHERE name = 'gina'") == [(0,)]
    out = login_script(ssl_stack, cert)
    assert out['user'] == 'gina'
    assert ssl_stack.sql("SELECT count(*) FROM users WHERE name = 'gina'") == [(1,)]
    cert = issue(ssl_stack, 'hank', 'hank')
    with ssl_stack.hub_setting('LoginCreatesUser', 'False'):
        assert_refused(ssl_stack, cert, 'koji.AuthError: Unknown user: hank')
    assert ssl_stack.sql("SELECT count(*) FROM users WHERE name = 'hank'") == [(0,)]


def test_disabled_user_refused(ssl_stack):
    cert = ssl_stack.add_user('ivan')['cert']
    res = ssl_stack.cli('disable-user', 'ivan')
    assert res.returncode == 0, res.stderr
    assert_refused(ssl_stack, cert, 'AuthError: logins by ivan are not allowed')


def _call_from(port, source_ip, sinfo, method='getLoggedInUser'):
    """One XML-RPC call over plain http from a chosen loopback source address."""
    import xmlrpc.client
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30,
                                      source_address=(source_ip, 0))
    try:
        conn.request('POST', '/kojihub', xmlrpc.client.dumps((), method, allow_none=True),
                     {'Content-Type': 'text/xml',
                      'Koji-Session-Id': str(sinfo['session-id']),
                      'Koji-Session-Key': sinfo['session-key']})
        data = conn.getresponse().read()
    finally:
        conn.close()
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault


def test_session_key_replayed_from_another_ip_refused(ssl_stack):
    port = int(ssl_stack.env['KOJI_HUB_URL'].split(':')[2].split('/')[0])
    with ssl_stack.hub_setting('CheckClientIP', 'True'):
        # the login comes from 127.0.0.1 (the hub binds that to its host address)
        cert = ssl_stack.path('pki', 'kojiadmin.pem')
        code = SESSION_SCRIPT.split('out = {}')[0] + (
            'session.ssl_login(cert, None, ca)\nprint(json.dumps(session.sinfo))\n')
        res = ssl_stack.python(code, ssl_stack.login_url, cert, ssl_stack.serverca)
        assert res.returncode == 0, res.stderr
        sinfo = json.loads(res.stdout)
        before = ssl_stack.sql('SELECT hostip, callnum FROM sessions WHERE id = %s',
                               (sinfo['session-id'],))
        assert before[0][0] != '-'
        fault = _call_from(port, '127.0.0.2', sinfo)
        assert getattr(fault, 'faultCode', None) == 1002, fault
        assert fault.faultString == 'Invalid session or bad credentials'
        # from the address the session belongs to it still works
        assert _call_from(port, '127.0.0.1', sinfo)['name'] == 'kojiadmin'


def test_plain_http_sslLogin_has_no_certificate(ssl_stack):
    """sslLogin reaching the hub without httpd's verification is refused."""
    port = int(ssl_stack.env['KOJI_HUB_URL'].split(':')[2].split('/')[0])
    import xmlrpc.client
    proxy = xmlrpc.client.ServerProxy('http://127.0.0.1:%d/kojihub/ssllogin' % port,
                                      allow_none=True)
    with pytest.raises(xmlrpc.client.Fault) as err:
        proxy.sslLogin()
    assert err.value.faultCode == 1002
    assert err.value.faultString == 'could not verify client: None'


def test_tls_server_certificate_checked(ssl_stack):
    """The hub's https port serves the stack CA's certificate for localhost."""
    ctx = ssl.create_default_context(cafile=ssl_stack.serverca)
    host, port = ssl_stack.login_url.split('/')[2].split(':')
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    try:
        conn.request('POST', '/kojihub', b'', {'Content-Type': 'text/xml'})
        assert conn.getresponse().status == 400
    finally:
        conn.close()
    assert os.path.exists(ssl_stack.path('pki', 'crl.pem'))


def run_daemon(stack, kind, conf_path, changes, args=()):
    """builder/kojid or util/kojira with the stack's config, changed, in the foreground."""
    import subprocess
    import sys
    from tests.auth.conftest import ROOT
    with open(stack.path(conf_path)) as fp:
        lines = fp.read().splitlines()
    keys = {line.split(' = ')[0] for line in changes}
    lines = [line for line in lines if line.split(' = ')[0] not in keys] + list(changes)
    conf = stack.path('%s-test.conf' % kind)
    with open(conf, 'w') as fp:
        fp.write('\n'.join(lines) + '\n')
    script = os.path.join(ROOT, 'builder', 'kojid') if kind == 'kojid' else \
        os.path.join(ROOT, 'util', 'kojira')
    return subprocess.run([sys.executable, script, '-c', conf, '--fg'] + list(args),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                          env=stack.proc_env({'PYTHONPATH': ROOT}), cwd=stack.dir)


def test_daemons_refused_with_bad_certificates(ssl_stack):
    rogue = pkilib.self_signed(ssl_stack.path('rogue-daemons'), 'rogue',
                               ssl_stack.env['KOJI_BUILDER_NAME'])
    count = ssl_stack.session_count()
    res = run_daemon(ssl_stack, 'kojid', 'kojid.conf', [
        'cert = %s' % rogue, 'pidfile = %s' % ssl_stack.path('kojid-test.pid'),
        'logfile = %s' % ssl_stack.path('kojid-test.log')])
    assert res.returncode == 1
    # logged, and written on a line of its own, as upstream's kojid does
    assert ('\nError: Unable to log in: unable to obtain a session (ssl auth failed: '
            in '\n' + res.stderr), res.stderr
    res = run_daemon(ssl_stack, 'kojira', 'kojira.conf', [
        'cert = %s' % rogue, 'logfile = %s' % ssl_stack.path('kojira-test.log')])
    assert res.returncode == 1
    assert 'unable to obtain a session (ssl auth failed' in res.stderr
    assert ssl_stack.session_count() == count
    # a good certificate of another user: kojira logs in with it, exclusively
    good = ssl_stack.add_user('kojira2')['cert']
    res = run_daemon(ssl_stack, 'kojira', 'kojira.conf', [
        'cert = %s' % good, 'logfile = %s' % ssl_stack.path('kojira-test.log')],
        args=['--skip-main'])
    assert res.returncode == 0, res.stderr
    # one certificate session, closed again as the client went away (it logs out)
    assert ssl_stack.sql('SELECT authtype, closed FROM sessions JOIN users '
                         "ON users.id = user_id WHERE users.name = 'kojira2'") == [(SSL, True)]
