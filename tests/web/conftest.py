"""The web UI under test: the hub and kojiweb in one mod_wsgi-express (as koji-dev serves
them), over http and https, with a test CA, the web's proxy cert and a user cert.

Fixture ``web`` (module scope): attributes ``hub`` (the HubServer), ``url`` (http base of
the web UI), ``https_url``, ``certs`` (paths), ``get(path, **kw)`` (requests), ``login(user)``
(the `user` cookie value from a real ssl login through /koji/login), ``admin`` (a hub
session logged in as admin).
"""
import os
import shutil
import subprocess
import tempfile

import pytest
import requests
import urllib3

import koji
from tests.fixtures import db as dbfix
from tests.fixtures import hub as hubfix

ROOT = hubfix.ROOT
WWW = os.path.join(ROOT, 'www')
PUBLISHER = os.path.join(WWW, 'kojiweb', 'wsgi_publisher.py')
STATIC = os.path.join(WWW, 'static')
WEB_DN_CN = 'kojiweb'

urllib3.disable_warnings()


def _openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True, capture_output=True)


def make_certs(folder):
    """A CA, the server cert (127.0.0.1), the web's proxy cert and one user cert."""
    os.makedirs(folder, exist_ok=True)
    path = lambda name: os.path.join(folder, name)  # noqa: E731
    _openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
             '-keyout', path('ca.key'), '-out', path('ca.crt'), '-subj', '/CN=Koji Test CA')
    ext = path('san.ext')
    with open(ext, 'w') as fp:
        fp.write('subjectAltName=IP:127.0.0.1,DNS:localhost\n')
    for name, subject, extfile in (('server', '/CN=localhost', ext),
                                   ('kojiweb', '/O=Koji Test/CN=%s' % WEB_DN_CN, None),
                                   ('alice', '/O=Koji Test/CN=alice', None)):
        _openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', path(name + '.key'),
                 '-out', path(name + '.csr'), '-subj', subject)
        cmd = ['x509', '-req', '-in', path(name + '.csr'), '-CA', path('ca.crt'),
               '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '2',
               '-out', path(name + '.crt')]
        if extfile:
            cmd += ['-extfile', extfile]
        _openssl(*cmd)
        with open(path(name + '.pem'), 'w') as out:
            for part in ('.crt', '.key'):
                with open(path(name + part)) as fp:
                    out.write(fp.read())
    return {name: path(name + '.pem') for name in ('server', 'kojiweb', 'alice')} | {
        'ca': path('ca.crt'), 'server_crt': path('server.crt'),
        'server_key': path('server.key'), 'alice_crt': path('alice.crt'),
        'alice_key': path('alice.key')}


class WebServer(hubfix.HubServer):
    """The hub fixture's server with the web UI mounted at /koji and https on a 2nd port."""

    def __init__(self, *args, **kw):
        self.certs = kw.pop('certs')
        self.web_opts = kw.pop('web_opts', {})
        super().__init__(*args, **kw)
        self.https_port = hubfix.free_port()
        self.web_conf = os.path.join(self.workdir, 'web.conf')
        self.include = os.path.join(self.workdir, 'kojiweb-httpd.conf')

    @property
    def https_base(self):
        # a host name, so that clients send SNI (none is sent for an IP address)
        return 'https://localhost:%d' % self.https_port

    def web_options(self):
        opts = {'SiteName': 'kojitest', 'KojiHubURL': self.https_base + '/kojihub',
                'KojiFilesURL': self.topurl,
                'WebAuthType': 'ssl', 'WebCert': self.certs['kojiweb'],
                'KojiHubCA': self.certs['ca'], 'Secret': 'test-secret',
                'LoginTimeout': 72, 'LibPath': os.path.join(self.workdir, 'nolib')}
        opts.update(self.web_opts)
        return opts

    def write_web_conf(self):
        lines = ['[web]'] + ['%s = %s' % (k, v) for k, v in self.web_options().items()
                             if v is not None]
        with open(self.web_conf, 'w') as fp:
            fp.write('\n'.join(lines) + '\n')
        with open(self.include, 'w') as fp:
            fp.write('\n'.join([
                "WSGIDaemonProcess kojiweb processes=1 threads=5 lang=C.UTF-8 "
                "locale=C.UTF-8 python-path='%s:%s'" % (ROOT, os.path.join(WWW, 'lib')),
                "WSGIScriptAlias /koji '%s' process-group=kojiweb "
                "application-group=%%{GLOBAL}" % PUBLISHER,
                "Alias /koji-static/ '%s/'" % STATIC,
                "<Directory '%s'>" % STATIC, '    Require all granted', '</Directory>',
                "<Directory '%s'>" % os.path.dirname(PUBLISHER), '    Require all granted',
                '</Directory>',
                "SetEnv koji.web.ConfigFile '%s'" % self.web_conf,
                "SetEnv koji.web.ConfigDir '%s'" % os.path.join(self.workdir, 'web.conf.d'),
                # client certs are asked for (not required) in the handshake, so the web's
                # login page and the hub's sslLogin see them without renegotiation
                "SSLCACertificateFile '%s'" % self.certs['ca'],
                'SSLVerifyClient optional', 'SSLVerifyDepth 10', 'SSLOptions +StdEnvVars',
                '']))

    def hub_options(self):
        opts = super().hub_options()
        opts['ProxyDNs'] = 'CN=%s,O=Koji Test' % WEB_DN_CN
        opts['CheckClientIP'] = False
        # the escaping tests name objects `<script>...`
        opts['RegexNameInternal'] = ''
        opts['RegexUserName'] = ''
        return opts

    def command(self):
        return super().command() + [
            '--include-file', self.include,
            '--https-port', str(self.https_port),
            '--ssl-certificate-file', self.certs['server_crt'],
            '--ssl-certificate-key-file', self.certs['server_key'],
            '--server-name', '127.0.0.1', '--server-alias', 'localhost',
        ]

    def start(self):
        self.write_web_conf()
        os.makedirs(os.path.join(self.workdir, 'web.conf.d'), exist_ok=True)
        certdir = os.path.dirname(self.certs['ca'])
        self.runas.chown_tree(certdir)
        super().start()


class Web(object):
    """Client side helpers for the tests."""

    def __init__(self, server):
        self.hub = server
        self.url = server.base_url + '/koji'
        self.https_url = server.https_base + '/koji'
        self.certs = server.certs
        self.admin = koji.ClientSession(server.url, opts={
            'user': server.admin_user, 'password': server.admin_password})
        self.admin.login()

    def get(self, path, cookie=None, **kw):
        headers = kw.pop('headers', {})
        if cookie:
            headers['Cookie'] = 'user=%s' % cookie
        kw.setdefault('allow_redirects', False)
        return requests.get(self.url + '/' + path, headers=headers, timeout=60, **kw)

    def login(self, cert='alice'):
        """Log in through /koji/login with a client cert; returns the cookie value."""
        resp = requests.get(self.https_url + '/login', verify=self.certs['ca'], timeout=60,
                            cert=(self.certs[cert + '_crt'], self.certs[cert + '_key']),
                            allow_redirects=False)
        assert resp.status_code == 302, resp.text[:2000]
        return resp.cookies['user']


@pytest.fixture(scope='module')
def web(template_db, tmp_path_factory):
    if not hubfix.find_express():
        pytest.skip('mod_wsgi-express is not installed')
    workdir = str(tmp_path_factory.mktemp('web'))
    # the web checks its cert with access(2), which ignores the capability the test httpd
    # keeps: the certs live in a folder of their own that Apache's account owns
    certdir = tempfile.mkdtemp(prefix='kojiweb-certs-')
    certs = make_certs(certdir)
    dbname, dsn = dbfix.create_test_db(prefix='kojiweb')
    server = None
    try:
        dsn = hubfix._ensure_dsn_user(dsn)
        password = hubfix.add_admin_user(dsn)
        topdir = os.path.join(workdir, 'koji')
        hubfix._make_topdir(topdir)
        server = WebServer(workdir, dbname, dsn, topdir, admin_password=password,
                           certs=certs)
        server.runas.chown_tree(topdir)
        server.start()
        yield Web(server)
    finally:
        if server is not None:
            server.stop()
        dbfix.drop_test_db(dbname)
        shutil.rmtree(certdir, ignore_errors=True)
