"""How a koji-dev stack authenticates: `up --auth password|ssl|kerberos`.

password: today's behaviour, plain http, --user/--password.
ssl: a private CA (DIR/pki, kojidevlib.pki); the hub also listens with TLS, asks for a
    client certificate in the handshake and requires a verified one on /kojihub/ssllogin
    (and the web's /koji/login); the profile, kojid and kojira log in with certificates
    (CN = user name).
kerberos: a private MIT KDC (DIR/krb5, kojidevlib.kdc); mod_auth_gssapi guards
    /kojihub/ssllogin; the profile, kojid and kojira log in with keytabs.

Both real modes serve the hub over https on a second port (the clients force https for
sslLogin) and keep the plain http port for anonymous calls, files and koji-dev itself,
which still sets things up with kojiadmin's password.
"""
import hashlib
import os
import shutil
import tempfile

from . import kdc as kdclib
from . import pki as pkilib

MODES = ('password', 'ssl', 'kerberos')
DEFAULT_MODE = 'ssl'
REALM = 'KOJIDEV.TEST'
HOST_NAME = 'localhost'
GSSAPI_MODULE = '/usr/lib/apache2/modules/mod_auth_gssapi.so'
# a certificate verified in the TLS handshake; plain http passes on (the hub refuses an
# sslLogin without one itself, the web redirects its login page to https)
REQUIRE_VERIFIED = "Require expr %{HTTPS} == 'off' || %{SSL_CLIENT_VERIFY} == 'SUCCESS'"
# the web UI's identity for proxied logins (ProxyDNs / ProxyPrincipals)
WEB_USER = 'kojiweb'


class AuthError(Exception):
    pass


class Auth:
    """The auth mode of one stack and everything it adds to the configs koji-dev writes.

    Also a koji-dev service (start / stop / status / env): it makes the certificates or
    runs the KDC, and must come before the hub in the start order.
    """

    name = 'auth'

    def __init__(self, stack, kd):
        self.stack = stack
        self.kd = kd

    # -- state

    @property
    def mode(self):
        return self.stack.state.get('auth', 'password')

    @property
    def secure(self):
        return self.mode in ('ssl', 'kerberos')

    def configure(self, opts):
        """Remember --auth (and pick the extra ports) at `up`."""
        mode = getattr(opts, 'auth', None)
        state = self.stack.state
        if mode:
            state['auth'] = mode
        # a new stack logs in with certificates, as real sites do
        state.setdefault('auth', DEFAULT_MODE)
        if self.secure and not state.get('https_port'):
            state['https_port'] = self.stack.new_port()
        if self.mode == 'kerberos' and not state.get('kdc_port'):
            state['kdc_port'] = self.stack.new_port()

    @property
    def https_port(self):
        return self.stack.state.get('https_port')

    @property
    def login_url(self):
        """The hub URL clients log in through: https in the real modes."""
        if not self.secure:
            return self.stack.hub_url
        return 'https://%s:%d/kojihub' % (HOST_NAME, self.https_port)

    @property
    def pki(self):
        return pkilib.PKI(self.stack.path('pki'), hosts=(HOST_NAME,), ips=('127.0.0.1',))

    @property
    def kdc(self):
        return kdclib.KDC(self.stack.path('krb5'), REALM, self.stack.state.get('kdc_port'))

    def builder_principal(self, host_name):
        return 'compile/%s@%s' % (host_name, REALM)

    # -- the service

    def start(self):
        if not self.secure:
            return
        # the https server always needs the CA and its certificate
        try:
            pki = self.pki
            pki.ensure_ca()
            pki.server()
            if self.mode == 'ssl':
                for name in (self.kd.ADMIN_USER, 'kojira', WEB_USER, self.builder_name()):
                    pki.issue(name)
            else:
                kdc = self.kdc
                kdc.setup()
                kdc.start()
                os.makedirs(kdc.path('ccache'), mode=0o700, exist_ok=True)
                kdc.keytab('HTTP/%s' % HOST_NAME)
                kdc.keytab(self.kd.ADMIN_USER)
                kdc.keytab('kojira')
                kdc.keytab(WEB_USER)
                kdc.keytab(self.builder_principal(self.builder_name()))
        except (pkilib.PKIError, kdclib.KDCError) as exc:
            raise self.kd.DevError(str(exc))
        # httpd runs unprivileged but with CAP_DAC_OVERRIDE (koji-dev's RunAs): it can
        # read the keys and keytabs it needs without loosening their modes

    def stop(self, purge=False):
        if self.stack.state.get('kdc_port'):
            self.kdc.stop()
        if purge:
            shutil.rmtree(self._web_cert_dir(), ignore_errors=True)

    def status(self):
        if self.mode == 'kerberos':
            pid = self.kdc.pid()
            if not pid:
                return False, 'kerberos: KDC of %s stopped' % REALM
            return True, 'kerberos: KDC (pid %d) for %s on 127.0.0.1:%d' % (
                pid, REALM, self.stack.state['kdc_port'])
        if self.mode == 'ssl':
            return True, 'ssl: CA %s' % self.pki.ca_cert
        return True, 'password'

    def env(self):
        values = {'KOJI_AUTH': self.mode}
        if self.secure:
            values['KOJI_LOGIN_URL'] = self.login_url
            values['KOJI_SERVERCA'] = self.pki.ca_cert
        if self.mode == 'kerberos':
            values['KRB5_CONFIG'] = self.kdc.krb5_conf
            # a ccache collection of the stack's own: the user's tickets are left alone,
            # and each principal logged in with a keytab gets its own cache in it
            values['KRB5CCNAME'] = 'DIR:%s' % self.kdc.path('ccache')
        return values

    def builder_name(self):
        return self.kd.Kojid(self.stack).host_name

    # -- what the configs get

    def hub_conf_lines(self):
        lines = []
        if self.mode == 'ssl':
            lines += ['DNUsernameComponent = CN',
                      'ProxyDNs = %s' % pkilib.client_dn(WEB_USER)]
        elif self.mode == 'kerberos':
            # httpd's mod_auth_gssapi holds the HTTP/ keytab; the hub only maps principals
            lines += ['ProxyPrincipals = %s@%s' % (WEB_USER, REALM),
                      'HostPrincipalFormat = compile/%%s@%s' % REALM,
                      'AllowedKrbRealms = %s' % REALM]
        return lines

    def express_args(self):
        """mod_wsgi-express options: the https port with the stack's server certificate."""
        if not self.secure:
            return []
        crt, key = self.pki.server()
        args = ['--https-port', str(self.https_port),
                '--ssl-certificate-file', crt, '--ssl-certificate-key-file', key,
                '--server-name', '127.0.0.1', '--server-alias', HOST_NAME]
        if self.mode == 'kerberos':
            args += ['--envvars-script', self.envvars_script()]
        return args

    def envvars_script(self):
        """httpd's environment: mod_auth_gssapi must read the stack's krb5.conf."""
        path = self.stack.path('httpd-envvars')
        self.kd.write_if_changed(path, '\n'.join([
            '# written by util/koji-dev',
            'export KRB5_CONFIG=%s' % self.kdc.krb5_conf,
            'export KRB5RCACHETYPE=none',
            '']))
        return path

    def apache_lines(self):
        """The /kojihub/ssllogin guard: upstream's httpd.conf, except that the certificate
        is asked for in the handshake on every https request."""
        if self.mode == 'ssl':
            pki = self.pki
            return [
                "SSLCACertificateFile '%s'" % pki.ca_cert,
                "SSLCARevocationFile '%s'" % pki.crl,
                'SSLCARevocationCheck chain',
                # the certificate is asked for in the handshake: browsers do not do TLS 1.3
                # post-handshake authentication, which a per-location `require` needs
                'SSLVerifyClient optional',
                'SSLVerifyDepth 10',
                # so a location requires a certificate verified then (a per-location
                # `SSLVerifyClient require` would ask again after the handshake)
                '<Location /kojihub/ssllogin>',
                '    SSLOptions +StdEnvVars',
                '    ' + REQUIRE_VERIFIED,
                '</Location>',
            ]
        if self.mode == 'kerberos':
            return [
                '<IfModule !auth_gssapi_module>',
                "LoadModule auth_gssapi_module '%s'" % GSSAPI_MODULE,
                '</IfModule>',
                # `Require valid-user` and AuthType
                '<IfModule !authz_user_module>',
                "LoadModule authz_user_module '${MOD_WSGI_MODULES_DIRECTORY}/mod_authz_user.so'",
                '</IfModule>',
                '<IfModule !authn_core_module>',
                "LoadModule authn_core_module '${MOD_WSGI_MODULES_DIRECTORY}/mod_authn_core.so'",
                '</IfModule>',
                '<Location /kojihub/ssllogin>',
                '    AuthType GSSAPI',
                '    AuthName "GSSAPI Single Sign On Login"',
                '    GssapiCredStore keytab:%s' % self.kdc.path('HTTP_%s.keytab' % HOST_NAME),
                '    Require valid-user',
                '</Location>',
            ]
        return []

    def _web_cert_dir(self):
        key = hashlib.sha1(os.path.abspath(self.stack.path('')).encode()).hexdigest()[:12]
        return os.path.join(tempfile.gettempdir(), 'koji-dev-web-%s' % key)

    def web_ssl_files(self):
        """(cert, CA) of the web's proxy logins, where the web uses them from.  koji's
        ssl_login checks both with access(2), which ignores the capability httpd keeps:
        when koji-dev runs as root (DIR possibly under a 0700 folder) httpd's account gets
        copies in a /tmp folder of its own, reachable from /."""
        cert, ca = self.pki.cert(WEB_USER), self.pki.ca_cert
        if os.geteuid() != 0:
            return cert, ca
        folder = self._web_cert_dir()
        return os.path.join(folder, os.path.basename(cert)), os.path.join(folder, 'ca.crt')

    def install_web_ssl_files(self, runas):
        """Copy the web's cert and the CA to web_ssl_files() (as root), for httpd."""
        sources = (self.pki.cert(WEB_USER), self.pki.ca_cert)
        for src, dst in zip(sources, self.web_ssl_files()):
            if src == dst or not os.path.exists(src):
                continue
            os.makedirs(os.path.dirname(dst), mode=0o700, exist_ok=True)
            runas.chown(os.path.dirname(dst))
            with open(src, 'rb') as fp:
                data = fp.read()
            fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'wb') as fp:
                fp.write(data)
            runas.chown(dst)

    def web_login_lines(self):
        """/koji/login guarded for the stack's mode, as upstream's kojiweb.conf does, except
        that in ssl mode a certificate verified in the handshake is required (no
        renegotiation, which Chromium and Firefox refuse under TLS 1.3)."""
        if self.mode == 'ssl':
            guard = ['    SSLOptions +StdEnvVars',
                     '    ' + REQUIRE_VERIFIED,
                     '    ErrorDocument 403 /koji-static/errors/unauthorized.html']
        elif self.mode == 'kerberos':
            keytab = self.kdc.path('HTTP_%s.keytab' % HOST_NAME)
            guard = ['    AuthType GSSAPI', '    AuthName "GSSAPI Single Sign On Login"',
                     '    GssapiCredStore keytab:%s' % keytab, '    Require valid-user',
                     '    ErrorDocument 401 /koji-static/errors/unauthorized.html']
        else:
            return []
        return ['<Location /koji/login>'] + guard + ['</Location>']

    def client_lines(self):
        """The profile's login lines: `koji -p <profile> hello` needs nothing else."""
        admin = self.kd.ADMIN_USER
        if self.mode == 'ssl':
            return ['authtype = ssl', 'cert = %s' % self.pki.cert(admin),
                    'serverca = %s' % self.pki.ca_cert]
        if self.mode == 'kerberos':
            return ['authtype = kerberos', 'principal = %s' % self.kdc.principal(admin),
                    'keytab = %s' % self.kdc.path('%s.keytab' % admin),
                    'serverca = %s' % self.pki.ca_cert]
        return []

    def daemon_lines(self, user, principal_key='principal'):
        """kojid.conf / kojira.conf lines replacing user/password (None: keep them)."""
        if self.mode == 'ssl':
            return ['server = %s' % self.login_url, 'cert = %s' % self.pki.cert(user),
                    'serverca = %s' % self.pki.ca_cert]
        if self.mode == 'kerberos':
            kdc = self.kdc
            princ = kdc.principal(user)
            name = princ.split('@')[0].replace('/', '_')
            return ['server = %s' % self.login_url,
                    '%s = %s' % (principal_key, princ),
                    'keytab = %s' % kdc.path('%s.keytab' % name),
                    'ccache = %s' % kdc.path('%s.ccache' % name),
                    'serverca = %s' % self.pki.ca_cert]
        return None

    def kojid_lines(self, host_name):
        user = host_name if self.mode == 'ssl' else self.builder_principal(host_name)
        return self.daemon_lines(user, principal_key='krb_principal')

    def kojira_lines(self):
        return self.daemon_lines('kojira')

    def daemon_env(self, env):
        """The environment of kojid / kojira: the private realm in kerberos mode."""
        if self.mode == 'kerberos':
            env['KRB5_CONFIG'] = self.kdc.krb5_conf
        return env

    def ensure_host_principal(self, session, host_name):
        """Map the builder's principal to its host user (hosts made before kerberos mode)."""
        if self.mode != 'kerberos':
            return
        princ = self.builder_principal(host_name)
        user = session.getUser(host_name)
        if user and princ not in (user.get('krb_principals') or []):
            session.editUser(host_name, krb_principal_mappings=[{'old': None, 'new': princ}])

    # -- `koji-dev user NAME`

    def add_user(self, name, revoke=False):
        """Create a user on the hub and its credentials; return lines to print."""
        if revoke:
            if self.mode != 'ssl':
                raise self.kd.DevError('--revoke needs a stack in ssl mode')
            self.pki.revoke(name)
            self.kd.Hub(self.stack).reload()
            return ['revoked the certificate of %s' % name]
        session = self.kd.Kojid(self.stack)._admin_session()
        try:
            if session.getUser(name) is None:
                if self.mode == 'kerberos':
                    session.createUser(name, krb_principal=self.kdc.principal(name))
                else:
                    session.createUser(name)
        finally:
            session.logout()
        out = ['user %s' % name]
        try:
            if self.mode == 'ssl':
                out.append('cert = %s' % self.pki.issue(name))
            elif self.mode == 'kerberos':
                out.append('principal = %s' % self.kdc.principal(name))
                out.append('keytab = %s' % self.kdc.keytab(name))
        except (pkilib.PKIError, kdclib.KDCError) as exc:
            raise self.kd.DevError(str(exc))
        return out


def daemon_conf(lines, auth_lines):
    """A daemon config with its server/user/password lines replaced by auth_lines."""
    if auth_lines is None:
        return lines
    drop = ('server =', 'user =', 'password =')
    kept = [line for line in lines if not line.startswith(drop)]
    # right after the section header
    return kept[:2] + auth_lines + kept[2:]
