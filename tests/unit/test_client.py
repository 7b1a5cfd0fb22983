"""ClientSession against a scripted in-process hub: headers, auth, faults, retries."""
import http.client
import logging
import os
import re
import time

import pytest
import requests
import urllib3

import koji.client
import koji.upload
from koji.client import (
    ClientSession,
    downloadFile,
    is_conn_error,
    is_requests_cert_error,
    openRemoteFile,
    request_with_retry,
)
from koji.exceptions import (
    ActionNotAllowed,
    AuthError,
    AuthExpired,
    GenericError,
    GSSAPIAuthError,
    ParameterError,
    ServerOffline,
)
from koji.xmlrpcplus import Fault
from tests.unit.test_client_support import StubHub, make_tls_files, tls_context


class FakeTime(object):
    """Stands in for the time module inside koji.client/koji.upload: records sleeps."""

    def __init__(self):
        self.sleeps = []

    def sleep(self, secs):
        self.sleeps.append(secs)

    @staticmethod
    def time():
        return time.time()


@pytest.fixture
def hub():
    stub = StubHub().start()
    yield stub
    stub.stop()


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(koji.client, 'time', fake)
    monkeypatch.setattr(koji.upload, 'time', fake)
    return fake


def make_session(hub, login=False, **opts):
    opts.setdefault('user', 'alice')
    opts.setdefault('password', 'secret')
    session = ClientSession(hub.url, opts)
    if login:
        assert session.login()
    return session


def squash(xml):
    return re.sub(r'>\s+<', '><', xml.strip())


# ---- requests and headers ---------------------------------------------------------------

def test_anonymous_call_headers(hub):
    session = make_session(hub)
    hub.handlers['getTag'] = lambda rec, name: {'name': name, 'id': 1}
    assert session.getTag('f40') == {'name': 'f40', 'id': 1}
    rec = hub.requests[0]
    assert rec.path == '/kojihub'
    assert rec.query == {}
    assert rec.header('User-Agent') == 'koji/1'
    assert rec.header('Content-Type') == 'text/xml'
    assert int(rec.header('Content-Length')) == len(rec.body)
    assert rec.body.startswith(b"<?xml version='1.0'?>\n<methodCall>")
    for name in ('Koji-Session-Id', 'Koji-Session-Key', 'Koji-Session-Callnum'):
        assert rec.header(name) is None
    assert not session.logged_in


def test_login_and_callnum_headers(hub):
    session = make_session(hub)
    assert session.login() is True
    assert session.logged_in
    assert session.authtype == koji.client.AUTHTYPES['NORMAL']
    login = hub.requests[0]
    assert login.method == 'login'
    assert login.args == ('alice', 'secret')
    assert login.kwargs == {'opts': None}
    assert login.header('Koji-Session-Id') is None
    for _ in range(3):
        session.echo()
    sinfo = session.sinfo
    calls = hub.calls('echo')
    assert [int(r.header('Koji-Session-Callnum')) for r in calls] == [0, 1, 2]
    for rec in calls:
        assert rec.header('Koji-Session-Id') == str(sinfo['session-id'])
        assert rec.header('Koji-Session-Key') == sinfo['session-key']
    assert session.callnum == 3


def test_bad_password(hub):
    session = make_session(hub, password='wrong')
    with pytest.raises(AuthError) as info:
        session.login()
    assert 'invalid username or password' in str(info.value)
    assert not session.logged_in


def test_kwargs_use_starstar(hub):
    session = make_session(hub)
    hub.handlers['listTagged'] = lambda rec, *a, **kw: []
    session.listTagged('f40', event=5, inherit=True)
    rec = hub.requests[0]
    assert rec.params == ('f40', {'event': 5, 'inherit': True, '__starstar': True})
    expected = """<?xml version='1.0'?>
        <methodCall>
        <methodName>listTagged</methodName>
        <params>
        <param><value><string>f40</string></value></param>
        <param><value><struct>
        <member><name>event</name><value><int>5</int></value></member>
        <member><name>inherit</name><value><boolean>1</boolean></value></member>
        <member><name>__starstar</name><value><boolean>1</boolean></value></member>
        </struct></value></param>
        </params>
        </methodCall>"""
    assert squash(rec.body.decode()) == squash(expected)


def test_dotted_names_and_callmethod(hub):
    session = make_session(hub)
    hub.handlers['host.getID'] = lambda rec: 42
    hub.handlers['getTag'] = lambda rec, *a, **kw: [list(a), kw]
    assert session.host.getID() == 42
    assert session.callMethod('getTag', 'f40', strict=True) == [['f40'], {'strict': True}]
    assert hub.methods() == ['host.getID', 'getTag']


def test_nil_and_big_ints(hub):
    session = make_session(hub)
    assert session.echo(None, 2 ** 40) == [[None, 2 ** 40], {}]
    assert b'<i8>1099511627776</i8>' in hub.requests[0].body


@pytest.mark.parametrize('code, cls', [
    (1000, GenericError),
    (1002, AuthError),
    (1004, ActionNotAllowed),
    (1019, ParameterError),
    (1014, ServerOffline),
])
def test_faults_become_koji_exceptions(hub, code, cls):
    session = make_session(hub)
    hub.add_action(('fault', code, 'boom %d' % code))
    with pytest.raises(cls) as info:
        session.getTag('x')
    assert type(info.value) is cls
    assert info.value.fromFault
    assert str(info.value) == 'boom %d' % code
    assert len(hub.requests) == 1  # faults are not retried


def test_unknown_fault_code_stays_fault(hub):
    session = make_session(hub)
    hub.add_action(('fault', 4242, 'odd'))
    with pytest.raises(Fault) as info:
        session.getTag('x')
    assert info.value.faultCode == 4242


def test_invalid_method(hub):
    session = make_session(hub)
    with pytest.raises(GenericError, match='Invalid method: noSuchCall'):
        session.noSuchCall()


def test_hub_version_from_header(hub):
    session = make_session(hub)
    session.echo()
    assert session.hub_version_str == '1.35.3'
    assert session.hub_version == (1, 35, 3)
    assert hub.methods() == ['echo']


def test_hub_version_fallbacks():
    stub = StubHub(version=None).start()
    try:
        session = ClientSession(stub.url)
        stub.handlers['getKojiVersion'] = lambda rec: '1.24.1'
        assert session.hub_version == (1, 24, 1)
        assert stub.methods() == ['getKojiVersion']
        session = ClientSession(stub.url)
        del stub.handlers['getKojiVersion']
        assert session.hub_version_str == '1.22.0'
    finally:
        stub.stop()


def test_legacy_url_session(hub):
    session = make_session(hub)
    sinfo = hub.new_session('alice')
    del sinfo['header-auth']
    session.setSession(sinfo)
    session.echo()
    session.echo()
    recs = hub.calls('echo')
    assert recs[0].header('Koji-Session-Id') is None
    assert recs[0].query == {'session-id': str(sinfo['session-id']),
                             'session-key': sinfo['session-key'], 'callnum': '0'}
    assert recs[1].query['callnum'] == '1'


def test_debug_xmlrpc_logging(hub, caplog):
    session = make_session(hub, debug_xmlrpc=True)
    with caplog.at_level(logging.DEBUG, logger='koji'):
        session.echo('hi')
    text = caplog.text
    assert 'url: %s' % hub.url in text
    assert 'methodName>echo' in text
    assert 'body:' in text


# ---- retries ----------------------------------------------------------------------------

def test_dropped_keepalive_is_resent_at_once(hub, clock):
    session = make_session(hub, login=True)
    hub.add_action('drop')
    assert session.echo(1) == [[1], {}]
    recs = hub.calls('echo')
    assert len(recs) == 2 and recs[0].dropped
    assert recs[0].body == recs[1].body
    assert recs[0].header('Koji-Session-Callnum') == recs[1].header('Koji-Session-Callnum')
    assert session.retries == 1
    assert clock.sleeps == []


def test_connection_drop_then_success(hub, clock):
    session = make_session(hub, login=True, retry_interval=7)
    hub.add_action('drop', times=4)
    assert session.echo(1) == [[1], {}]
    recs = hub.calls('echo')
    assert len(recs) == 5
    assert len({r.header('Koji-Session-Callnum') for r in recs}) == 1
    # the first retry is immediate, the next one waits retry_interval
    assert clock.sleeps == [7]
    assert session.retries == 3


def test_http_errors_retried_with_interval(hub, clock):
    session = make_session(hub, login=True, retry_interval=3)
    hub.add_action(('status', 500), times=3)
    assert session.echo() == [[], {}]
    assert len(hub.calls('echo')) == 4
    assert clock.sleeps == [3, 3]


def test_retry_log_message(hub, clock, caplog):
    session = make_session(hub, login=True)
    hub.add_action(('status', 503))
    with caplog.at_level(logging.INFO, logger='koji'):
        session.echo()
    assert re.search(r'Try #1 for call 0 \(echo\) failed: 503', caplog.text)


def test_max_retries(hub, clock):
    session = make_session(hub, login=True, max_retries=2)
    hub.add_action(('status', 500), times=10)
    with pytest.raises(requests.exceptions.HTTPError):
        session.echo()
    assert len(hub.calls('echo')) == 3


def test_anonymous_calls_not_retried_by_default(hub, clock):
    session = make_session(hub)
    hub.add_action(('status', 500), times=2)
    with pytest.raises(requests.exceptions.HTTPError):
        session.echo()
    assert len(hub.calls('echo')) == 1


def test_anon_retry(hub, clock):
    session = make_session(hub, anon_retry=True)
    hub.add_action(('status', 500), times=2)
    assert session.echo() == [[], {}]
    assert len(hub.calls('echo')) == 3


def test_retry_false_call(hub, clock):
    session = make_session(hub, login=True)
    hub.add_action(('status', 500))
    with pytest.raises(requests.exceptions.HTTPError):
        session._callMethod('echo', (), {}, retry=False)
    assert len(hub.calls('echo')) == 1


def test_resend_of_committed_call_gives_retry_error(hub, clock):
    # the identical request is resent; the hub tells a repeat by its callnum
    session = make_session(hub, login=True)
    hub.add_action('drop-after', times=2)
    with pytest.raises(koji.exceptions.RetryError):
        session.echo()
    assert len(hub.calls('echo')) == 3


def test_offline_retry(hub, clock):
    session = make_session(hub, offline_retry=True, offline_retry_interval=9,
                           max_retries=0)
    hub.add_action(('fault', 1014, 'server is offline'), times=3)
    assert session.echo() == [[], {}]
    assert clock.sleeps == [9, 9, 9]
    assert len(hub.calls('echo')) == 4


def test_offline_without_retry(hub, clock):
    session = make_session(hub)
    hub.add_action(('fault', 1014, 'server is offline'))
    with pytest.raises(ServerOffline):
        session.echo()
    assert clock.sleeps == []


def test_cert_errors_never_retried(hub, clock, monkeypatch):
    session = make_session(hub, login=True, anon_retry=True)
    attempts = []

    def fail(handler, headers, request):
        attempts.append(handler)
        raise requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate '
                                           'verify failed: self-signed certificate')

    monkeypatch.setattr(session, '_sendOneCall', fail)
    with pytest.raises(requests.exceptions.SSLError):
        session.echo()
    assert len(attempts) == 1


def test_timeout(hub, clock):
    session = make_session(hub, timeout=0.3)
    hub.add_action(('sleep', 1.5))
    start = time.time()
    with pytest.raises(requests.exceptions.Timeout):
        session.echo()
    assert time.time() - start < 1.4


def test_timeout_defaults():
    session = ClientSession('http://127.0.0.1:9/kojihub')
    assert session._timeout() == 43200
    session._login_timeout = True
    assert session._timeout() == 60
    session = ClientSession('http://127.0.0.1:9/kojihub', {'auth_timeout': 5})
    session._login_timeout = True
    assert session._timeout() == 5


# ---- session renewal, logout, subsessions -----------------------------------------------

def test_expired_session_is_renewed(hub):
    session = make_session(hub, login=True)
    sid = session.sinfo['session-id']
    old_key = session.sinfo['session-key']
    session.echo()
    hub.expire(sid)
    assert session.echo('again') == [['again'], {}]
    assert hub.methods() == ['login', 'echo', 'echo', 'login', 'echo']
    renew = hub.requests[3]
    assert renew.kwargs == {'opts': None, 'renew': True, 'exclusive': False}
    assert renew.header('Koji-Session-Key') == old_key
    assert renew.header('Koji-Session-Callnum') == '2'
    last = hub.requests[4]
    assert session.sinfo['session-id'] == sid
    assert last.header('Koji-Session-Key') == session.sinfo['session-key'] != old_key
    assert last.header('Koji-Session-Callnum') == '0'


def test_renewal_keeps_exclusive(hub):
    session = make_session(hub, login=True)
    session.exclusiveSession(force=True)
    assert session.exclusive
    assert hub.calls('exclusiveSession')[0].kwargs == {'force': True}
    hub.expire(session.sinfo['session-id'])
    session.echo()
    renew = hub.calls('login')[1]
    assert renew.kwargs == {'opts': None, 'renew': True, 'exclusive': True}


def test_renewal_only_once(hub):
    session = make_session(hub, login=True)
    hub.add_action(('fault', 1007, 'expired'), method='echo', times=2)
    with pytest.raises(AuthExpired):
        session.echo()
    assert hub.methods() == ['login', 'echo', 'login', 'echo']


def test_expired_without_login_method(hub):
    session = make_session(hub)
    session.setSession(hub.new_session('alice'))
    hub.add_action(('fault', 1007, 'expired'))
    with pytest.raises(AuthExpired):
        session.echo()


def test_logout(hub):
    session = make_session(hub, login=True)
    sid = session.sinfo['session-id']
    session.logout()
    rec = hub.requests[-1]
    assert rec.method == 'logout' and rec.args == (None,)
    assert not session.logged_in and session.sinfo is None
    assert hub.sessions[sid]['closed']
    session.logout()  # no-op when logged out
    assert len(hub.requests) == 2


def test_logout_old_hub_fallback(hub):
    session = make_session(hub, login=True)

    def old_logout(rec, *args):
        if args:
            raise Fault(1019, 'logout() takes 0 positional arguments')
        return None

    hub.handlers['logout'] = old_logout
    session.logout()
    assert [r.args for r in hub.calls('logout')] == [(None,), ()]
    assert not session.logged_in


def test_logout_not_retried(hub, clock):
    session = make_session(hub, login=True)
    hub.add_action(('status', 500), times=3)
    with pytest.raises(requests.exceptions.HTTPError):
        session.logout()
    assert len(hub.calls('logout')) == 1


def test_logout_other_session(hub):
    session = make_session(hub, login=True)
    session.logout(session_id=99)
    assert hub.calls('logout')[0].args == (99,)
    assert session.logged_in


def test_subsession(hub):
    session = make_session(hub, login=True)
    child = session.subsession()
    assert isinstance(child, ClientSession)
    assert child.logged_in
    assert child.sinfo['session-id'] != session.sinfo['session-id']
    assert child.opts == session.opts
    assert child.auth_method == session.auth_method
    child.echo()
    assert hub.requests[-1].header('Koji-Session-Id') == str(child.sinfo['session-id'])
    assert hub.requests[-1].header('Koji-Session-Callnum') == '0'


def test_forget_drops_session_without_logout(hub):
    session = make_session(hub, login=True)
    session._forget()
    assert not session.logged_in
    assert hub.methods() == ['login']


def test_ssl_login_argument_errors(tmp_path):
    session = ClientSession('http://127.0.0.1:9/kojihub')
    with pytest.raises(AuthError, match='No client cert provided'):
        session.ssl_login()
    with pytest.raises(AuthError, match="Certificate /nonexistent doesn't exist"):
        session.ssl_login(cert='/nonexistent')
    cert = tmp_path / 'c.pem'
    cert.write_text('x')
    with pytest.raises(AuthError, match="Server CA /nonexistent doesn't exist"):
        session.ssl_login(cert=str(cert), serverca='/nonexistent')


# ---- TLS: certificate and GSSAPI logins -------------------------------------------------

@pytest.fixture(scope='module')
def tls_files(tmp_path_factory):
    try:
        return make_tls_files(tmp_path_factory.mktemp('tls'))
    except (OSError, Exception) as err:  # no openssl tool
        pytest.skip('cannot create certificates: %s' % err)


@pytest.fixture
def tls_hub(tls_files):
    stub = StubHub(tls=tls_context(tls_files)).start()
    yield stub
    stub.stop()


def test_ssl_login(tls_hub, tls_files):
    session = ClientSession(tls_hub.url, {'serverca': tls_files['server']['crt']})
    assert session.ssl_login(cert=tls_files['client']['pem'])
    assert session.baseurl.startswith('https://')
    assert session.authtype == koji.client.AUTHTYPES['SSL']
    login = tls_hub.requests[0]
    assert login.path == '/kojihub/ssllogin'
    # upstream's client sends proxyuser as a keyword only
    assert login.args == ()
    assert login.kwargs == {'proxyuser': None}
    assert tls_hub.sessions[session.sinfo['session-id']]['user'] == 'alice'
    session.echo()
    assert tls_hub.requests[1].path == '/kojihub'
    assert tls_hub.requests[1].header('Koji-Session-Callnum') == '0'
    # renewal repeats the certificate login with the old session headers
    tls_hub.expire(session.sinfo['session-id'])
    session.echo()
    renew = tls_hub.calls('sslLogin')[1]
    assert renew.kwargs == {'proxyuser': None, 'renew': True, 'exclusive': False}
    assert renew.header('Koji-Session-Id') == str(session.sinfo['session-id'])


def test_ssl_login_untrusted_server(tls_hub, tls_files, clock):
    session = ClientSession(tls_hub.url, {'anon_retry': True})
    with pytest.raises(AuthError, match=r'unable to obtain a session \(ssl auth failed'):
        session.ssl_login(cert=tls_files['client']['pem'])
    assert not session.logged_in
    # as upstream: a failed certificate login leaves the https URL in place
    assert session.baseurl.startswith('https://')
    assert tls_hub.requests == []


@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_no_ssl_verify(tls_hub, tls_files):
    session = ClientSession(tls_hub.url.replace('http:', 'https:'), {'no_ssl_verify': True})
    assert session.echo() == [[], {}]


def test_gssapi_login(tls_hub, tls_files, monkeypatch, tmp_path):
    import requests_gssapi

    class FakeNegotiate(requests.auth.AuthBase):
        made = []

        def __init__(self, **kwargs):
            self.made.append(kwargs)

        def __call__(self, request):
            request.headers['Authorization'] = 'Negotiate bob'
            return request

    monkeypatch.setattr(requests_gssapi, 'HTTPKerberosAuth', FakeNegotiate)
    monkeypatch.delenv('KRB5CCNAME', raising=False)
    tls_hub.watch_env = ('KRB5CCNAME', 'KRB5_CLIENT_KTNAME')
    session = ClientSession(tls_hub.url, {'serverca': tls_files['server']['crt']})
    assert session.gssapi_login(principal='bob@EXAMPLE.COM', ccache='FILE:/tmp/cc',
                                keytab='/tmp/kt')
    assert session.authtype == koji.client.AUTHTYPES['GSSAPI']
    assert FakeNegotiate.made[0]['principal'] == 'bob@EXAMPLE.COM'
    login = tls_hub.requests[0]
    assert login.path == '/kojihub/ssllogin'
    assert login.env == {'user': 'bob', 'KRB5CCNAME': 'FILE:/tmp/cc',
                         'KRB5_CLIENT_KTNAME': '/tmp/kt'}
    assert 'KRB5CCNAME' not in os.environ
    session.echo()
    assert tls_hub.requests[1].header('Authorization') is None
    assert tls_hub.requests[1].env['KRB5CCNAME'] is None


def test_gssapi_login_failure(hub, caplog):
    # https is forced, so a plain http hub cannot complete the login
    session = make_session(hub)
    with caplog.at_level(logging.ERROR, logger='koji'):
        with pytest.raises(GSSAPIAuthError, match='unable to obtain a session'):
            session.gssapi_login()
    assert 'gssapi auth failed' in caplog.text
    assert 'kerberos_gssapi_debug' in caplog.text
    assert session.baseurl == hub.url
    assert 'auth' not in session.opts


class DroppingTLSServer(object):
    """Completes the TLS handshake, reads the request, closes without answering."""

    def __init__(self, ctx):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.ctx = ctx
        self.accepted = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
            except OSError:
                pass

    def close(self):
        self.sock.close()


def test_gssapi_login_retries_dropped_connections(tls_files, clock, caplog):
    server = DroppingTLSServer(tls_context(tls_files))
    try:
        session = ClientSession('http://127.0.0.1:%d/kojihub' % server.port,
                                {'max_retries': 3, 'retry_interval': 7,
                                 'serverca': tls_files['server']['crt']})
        with caplog.at_level(logging.INFO, logger='koji'):
            with pytest.raises(GSSAPIAuthError) as exc:
                session.gssapi_login()
    finally:
        server.close()
    # every try dropped: each logged and retried, then no detail (as upstream)
    assert str(exc.value) == 'unable to obtain a session'
    assert caplog.text.count('(sslLogin) failed') == 3
    assert clock.sleeps == [7, 7, 7]
    assert not session.logged_in


def test_gssapi_login_refused_connection_not_retried(clock, caplog):
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    session = ClientSession('http://127.0.0.1:%d/kojihub' % port,
                            {'max_retries': 3, 'retry_interval': 7})
    with pytest.raises(GSSAPIAuthError) as exc:
        session.gssapi_login()
    assert str(exc.value).startswith('unable to obtain a session (gssapi auth failed: '
                                     'requests.exceptions.ConnectionError: ')
    assert str(exc.value).endswith(')\nUse following documentation to debug kerberos/gssapi '
                                   'auth issues. https://docs.pagure.org/koji/'
                                   'kerberos_gssapi_debug/')
    assert clock.sleeps == []
    # the https URL is dropped again after a failed Kerberos login
    assert session.baseurl.startswith('http://')


# ---- module helpers ---------------------------------------------------------------------

def test_is_conn_error():
    assert is_conn_error(ConnectionResetError(104, 'reset'))
    assert is_conn_error(BrokenPipeError(32, 'pipe'))
    assert is_conn_error(http.client.RemoteDisconnected('closed'))
    assert is_conn_error(http.client.IncompleteRead(b'x'))
    wrapped = requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        'Connection aborted.', http.client.RemoteDisconnected('gone')))
    assert is_conn_error(wrapped)
    err = OSError()
    err.errno = 103  # ECONNABORTED
    assert is_conn_error(err)
    assert not is_conn_error(ConnectionRefusedError(111, 'refused'))
    assert not is_conn_error(ValueError('x'))
    assert not is_conn_error(requests.exceptions.ReadTimeout('slow'))


def test_is_requests_cert_error():
    assert is_requests_cert_error(requests.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    assert is_requests_cert_error(requests.exceptions.SSLError(
        '[SSL: SSLV3_ALERT_CERTIFICATE_REVOKED] sslv3 alert certificate revoked'))
    assert is_requests_cert_error(requests.exceptions.SSLError('certificate expired'))
    assert not is_requests_cert_error(requests.exceptions.SSLError('wrong version number'))
    assert not is_requests_cert_error(ValueError('certificate verify failed'))


def test_request_with_retry():
    session = request_with_retry(retries=5, status_forcelist=(503,))
    retry = session.get_adapter('https://example.com/').max_retries
    assert retry.total == 5 and retry.connect == 5 and retry.read == 5
    assert 503 in retry.status_forcelist
    mine = requests.Session()
    assert request_with_retry(session=mine) is mine


def test_download_file(hub, tmp_path):
    hub.files['/files/a.txt'] = b'hello world'
    url = hub.url.replace('/kojihub', '/files/a.txt')
    target = tmp_path / 'a.txt'
    downloadFile(url, path=str(target))
    assert target.read_bytes() == b'hello world'
    with open(tmp_path / 'b.txt', 'wb') as fo:
        downloadFile(url, fo=fo)
    assert (tmp_path / 'b.txt').read_bytes() == b'hello world'
    with pytest.raises(requests.exceptions.HTTPError):
        downloadFile(url + '.missing', path=str(tmp_path / 'c'))


def test_download_of_a_corrupted_rpm_names_the_url(hub, tmp_path):
    hub.files['/files/x.src.rpm'] = b'this is not an rpm\n'
    url = hub.url.replace('/kojihub', '/files/x.src.rpm')
    with pytest.raises(koji.GenericError) as exc:
        downloadFile(url, path=str(tmp_path / 'x.src.rpm'))
    assert str(exc.value).startswith('Downloaded rpm %s is corrupted:\n' % url)
    with open(tmp_path / 'y.src.rpm', 'wb') as fo:
        with pytest.raises(koji.GenericError) as exc:
            downloadFile(url, fo=fo)
    assert str(exc.value).startswith('Downloaded rpm %s is corrupted:\n' % url)


def test_open_remote_file(hub, tmp_path):
    hub.files['/top/work/x.log'] = b'log text'
    topurl = hub.url.replace('/kojihub', '/top')
    with openRemoteFile('work/x.log', topurl=topurl) as fo:
        assert fo.read() == b'log text'
    (tmp_path / 'work').mkdir()
    (tmp_path / 'work' / 'x.log').write_bytes(b'local')
    with openRemoteFile('work/x.log', topdir=str(tmp_path)) as fo:
        assert fo.read() == b'local'
    with pytest.raises(GenericError, match='No access method'):
        openRemoteFile('work/x.log')


def test_download_task_output(hub):
    hub.files['tasks/7/build.log'] = b'0123456789'
    session = make_session(hub)
    assert session.downloadTaskOutput(7, 'build.log') == b'0123456789'
    assert session.downloadTaskOutput(7, 'build.log', offset=2, size=3) == b'234'
    assert hub.requests[-1].kwargs == {'offset': 2, 'size': 3}
    session.multicall = True
    with pytest.raises(GenericError, match='multicall'):
        session.downloadTaskOutput(7, 'build.log')


def test_del_logs_out(hub):
    session = make_session(hub, login=True)
    sid = session.sinfo['session-id']
    del session
    assert hub.sessions[sid]['closed']
