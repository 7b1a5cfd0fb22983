"""web.conf loading, the cookie and token formats, and web.conf variants served in-process
against the test hub (LoginDisabled, KojiTheme, Secret, SiteName)."""
import datetime
import hashlib
import importlib.util
import io
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'www', 'lib'))

from kojiweb import auth, config  # noqa: E402


def test_shipped_web_conf():
    opts = config.load({'koji.web.ConfigFile': os.path.join(ROOT, 'www', 'conf', 'web.conf'),
                        'koji.web.ConfigDir': '/nonexistent'})
    assert opts['SiteName'] == 'koji'
    assert opts['KojiHubURL'] == 'http://hub.example.com/kojihub'
    assert opts['KojiFilesURL'] == 'http://server.example.com/kojifiles'
    assert opts['LoginTimeout'] == 72 and opts['LiteralFooter'] is True
    assert opts['Secret'].value is None
    assert opts['KojiGreeting'] == 'Welcome to Koji Web'
    assert opts['WebKeytab'] == '/etc/httpd.keytab'
    assert opts['Tasks'] == [] and opts['LoginDisabled'] is False
    assert 'HiddenUsers' not in opts


def test_defaults_and_conf_d(tmp_path):
    opts = config.load({'koji.web.ConfigFile': str(tmp_path / 'missing.conf'),
                        'koji.web.ConfigDir': str(tmp_path / 'missing.d')})
    assert opts['SiteName'] is None
    assert opts['KojiHubURL'] == 'http://localhost/kojihub'
    assert opts['KojiHubCA'] == '/etc/kojiweb/kojihubca.crt'
    main = tmp_path / 'web.conf'
    main.write_text('[web]\nSiteName = one\nTasks = a, b\nLoginTimeout = 5\n')
    confd = tmp_path / 'web.conf.d'
    confd.mkdir()
    (confd / 'site.conf').write_text('[web]\nSiteName = two\nLoginDisabled = yes\n')
    opts = config.load({'koji.web.ConfigFile': str(main), 'koji.web.ConfigDir': str(confd)})
    assert opts['SiteName'] == 'two' and opts['LoginDisabled'] is True
    assert opts['Tasks'] == ['a', 'b'] and opts['LoginTimeout'] == 5
    assert 'two' not in repr(opts['Secret'])


OPTS = {'Secret': config.HiddenValue('s3cret'), 'LoginTimeout': 2}


def test_cookie_round_trip_and_expiry():
    env = {'SCRIPT_NAME': '/koji'}
    header = auth.make_cookie('alice', OPTS, env, now=1000)
    value = header.split(';')[0].split('=', 1)[1]
    assert value == '%s:alice:1000' % hashlib.sha256(b'alice:1000s3cret').hexdigest()
    assert 'Secure' in header and 'Path=/' in header
    assert header.endswith('; HttpOnly; SameSite=Strict')
    cookie = {'HTTP_COOKIE': 'user=' + value}
    assert auth.read_cookie(cookie, OPTS, now=1000 + 2 * 3600 - 1) == 'alice'
    assert auth.read_cookie(cookie, OPTS, now=1000 + 2 * 3600 + 1) is None
    assert auth.read_cookie({'HTTP_COOKIE': 'user=' + value.replace('alice', 'bob')},
                            OPTS, now=1000) is None
    assert auth.read_cookie({'HTTP_COOKIE': 'user=junk'}, OPTS) is None
    with pytest.raises(Exception, match='server secret not configured'):
        auth.make_cookie('alice', {'Secret': config.HiddenValue(None), 'LoginTimeout': 1},
                         env)
    cleared = auth.clear_cookie(env)
    assert cleared.startswith('user=""') and 'Path=/' in cleared


def test_token_windows():
    when = datetime.datetime(2025, 7, 2, 16, 29, 59)
    expected = hashlib.sha256(b'alice2025-07-02 16:15:00s3cret').hexdigest()
    assert auth.token('alice', OPTS, when) == expected
    assert auth.token('', OPTS, when) == ''
    for later, ok in ((16, True), (44, True), (45, False)):
        moment = datetime.datetime(2025, 7, 2, 16, 15) + datetime.timedelta(minutes=later)
        assert auth.check_token(expected, 'alice', OPTS, moment) is ok, later
    assert not auth.check_token(expected, 'bob', OPTS, when)
    assert not auth.check_token('', 'alice', OPTS, when)


def _publisher():
    path = os.path.join(ROOT, 'www', 'kojiweb', 'wsgi_publisher.py')
    spec = importlib.util.spec_from_file_location('kojiweb_publisher_test', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(app, conf, path, cookie=None):
    environ = {'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '/koji', 'PATH_INFO': '/' + path,
               'QUERY_STRING': '', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
               'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(),
               'koji.web.ConfigFile': str(conf), 'koji.web.ConfigDir': '/nonexistent'}
    if '?' in path:
        environ['PATH_INFO'], environ['QUERY_STRING'] = ('/' + path).split('?', 1)
    if cookie:
        environ['HTTP_COOKIE'] = 'user=' + cookie
    out = {}

    def start_response(status, headers):
        out['status'], out['headers'] = status, headers
    body = b''.join(app(environ, start_response)).decode()
    return out['status'], dict(out['headers']), body


def test_conf_variants_in_process(web, tmp_path):
    publisher = _publisher()
    app = publisher.application
    hub = web.hub.url

    def conf(name, **opts):
        path = tmp_path / name
        lines = ['[web]', 'KojiHubURL = %s' % hub, 'KojiHubCA = /nonexistent']
        lines += ['%s = %s' % kv for kv in opts.items()]
        path.write_text('\n'.join(lines) + '\n')
        return path

    plain = conf('plain.conf', Secret='x')
    status, headers, body = call(app, plain, 'index')
    # SiteName unset is None, which Cheetah writes as nothing
    assert status == '200 OK' and '<title>Build System Info | </title>' in body
    assert 'href="login"' in body
    assert 'href="/koji-static/koji.css"' in body
    disabled = conf('disabled.conf', Secret='x', LoginDisabled='True', SiteName='mykoji')
    status, headers, body = call(app, disabled, 'index')
    assert 'href="login"' not in body and '| mykoji</title>' in body
    # a theme is used for the files it has
    static = tmp_path / 'static'
    (static / 'themes' / 'mine').mkdir(parents=True)
    (static / 'themes' / 'mine' / 'koji.css').write_text('body {}')
    publisher.STATIC = str(static)
    themed = conf('themed.conf', Secret='x', KojiTheme='mine')
    body = call(app, themed, 'index')[2]
    # the theme's stylesheet, the default icon (the theme has none)
    assert 'href="/koji-static/themes/mine/koji.css"' in body
    assert 'href="/koji-static/images/koji.ico"' in body
    # site snippets: the footer literal, or a template when LiteralFooter is off
    (static / 'extra-footer.html').write_text('<p id="sitefoot">$siteName footer</p>')
    (static / 'extra-nav.html').write_text('<a id="sitenav" href="/docs">Docs</a>')
    literal = conf('literal.conf', Secret='x', SiteName='lit')
    body = call(app, literal, 'index')[2]
    assert '<p id="sitefoot">$siteName footer</p>' in body
    assert '<a id="sitenav" href="/docs">Docs</a>' in body
    templated = conf('templated.conf', Secret='x', SiteName='tmpl', LiteralFooter='False')
    assert '<p id="sitefoot">tmpl footer</p>' in call(app, templated, 'index')[2]
    # a cookie without a Secret configured is an AuthError page
    nosecret = conf('nosecret.conf')
    status, headers, body = call(app, nosecret, 'index', cookie='abc:alice:1')
    assert status.startswith('500') and 'server secret not configured' in body
    # a valid cookie shows the user and is refreshed
    web.admin.createUser('carol')
    value = auth.sign('carol:%d' % int(datetime.datetime.now().timestamp()),
                      {'Secret': config.HiddenValue('x')})
    status, headers, body = call(app, plain, 'index', cookie=value)
    assert '>carol</a>' in body and headers['Set-Cookie'].startswith('user=')


def test_gssapi_mode_takes_remote_user(web, tmp_path):
    """WebAuthType gssapi: the user is REMOTE_USER (set by mod_auth_gssapi); with WebCert the
    web proxies it by cert, asking for the GSSAPI auth type, which the hub allows only with
    AllowProxyAuthType."""
    app = _publisher().application
    conf = tmp_path / 'gssapi.conf'
    conf.write_text('\n'.join([
        '[web]', 'KojiHubURL = %s/kojihub' % web.hub.https_base,
        'KojiHubCA = %s' % web.certs['ca'], 'WebCert = %s' % web.certs['kojiweb'],
        'WebAuthType = gssapi', 'Secret = x', '']))

    def login(remote_user):
        environ_extra = {'REMOTE_USER': remote_user} if remote_user else {}
        environ = {'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '/koji', 'PATH_INFO': '/login',
                   'QUERY_STRING': 'page=tasks', 'SERVER_NAME': 'localhost',
                   'SERVER_PORT': '443', 'wsgi.url_scheme': 'https',
                   'wsgi.input': io.BytesIO(), 'koji.web.ConfigFile': str(conf),
                   'koji.web.ConfigDir': '/nonexistent'}
        environ.update(environ_extra)
        out = {}

        def start_response(status, headers):
            out['status'], out['headers'] = status, headers
        body = b''.join(app(environ, start_response)).decode()
        return out['status'], out['headers'], body

    status, headers, body = login(None)
    assert status.startswith('500') and 'mod_auth_gssapi should have performed' in body
    status, headers, body = login('dave')
    assert status.startswith('500')
    assert 'Proxy must use same auth mechanism as hub' in body
    assert web.admin.getUser('dave') is None
    web.hub.restart({'AllowProxyAuthType': True})
    try:
        status, headers, body = login('dave')
        assert status == '302 Found', body
        assert dict(headers)['Location'] == 'https://localhost/koji/tasks'
        cookie = [v for k, v in headers if k == 'Set-Cookie'][0]
        assert cookie.startswith('user=') and ':dave:' in cookie
        assert web.admin.getUser('dave')['name'] == 'dave'
    finally:
        web.hub.restart({})


def test_pages_make_few_hub_calls(web, tmp_path, monkeypatch):
    """Pages batch their hub calls: the count of HTTP requests to the hub stays small and
    does not grow with the number of rows (tree view, hosts with channels)."""
    import koji
    app = _publisher().application
    conf = tmp_path / 'count.conf'
    conf.write_text('[web]\nKojiHubURL = %s\nKojiHubCA = /nonexistent\nSecret = x\n'
                    % web.hub.url)
    sent = []
    original = koji.ClientSession._sendOneCall

    def counting(self, handler, headers, request):
        sent.append(handler)
        return original(self, handler, headers, request)
    monkeypatch.setattr(koji.ClientSession, '_sendOneCall', counting)

    def calls(path):
        del sent[:]
        status = call(app, conf, path)[0]
        assert status == '200 OK', path
        return len(sent)
    parent = web.admin.makeTask('newRepo', ['nosuch'])
    for _ in range(3):
        web.admin.makeTask('createrepo', [1, 'x86_64', None], parent=parent)
    for i in range(3):
        web.admin.addHost('count%d.example.com' % i, ['x86_64'])
    # the first page of a process also asks for mavenEnabled/winEnabled (kept 60 s)
    calls('index')
    few = calls('tasks?state=all')
    hosts = calls('hosts')
    for _ in range(5):
        web.admin.makeTask('newRepo', ['nosuch'])
    for i in range(3, 8):
        web.admin.addHost('count%d.example.com' % i, ['x86_64'])
    assert calls('tasks?state=all') == few
    assert calls('hosts') == hosts
    assert 2 <= few <= 5 and 2 <= hosts <= 4
    assert calls('index') <= 4


def test_hub_offline_gives_the_outage_page(web):
    """ServerOffline from the hub: the Outage page with upstream's explanation, and the
    exception text hidden (debug level 0)."""
    web.hub.restart({'ServerOffline': True, 'OfflineMessage': 'maintenance window'})
    try:
        resp = web.get('index')
        assert resp.status_code == 500
        assert '<title>Outage | kojitest</title>' in resp.text
        assert 'The server is offline. Please try again later.' in resp.text
        assert 'class="tb-short" style="visibility: hidden"' in resp.text
    finally:
        web.hub.restart({})
    assert web.get('index').status_code == 200
