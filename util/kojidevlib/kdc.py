"""A private MIT Kerberos KDC for a koji-dev stack: one realm, 127.0.0.1 only.

Everything lives in one folder (DIR/krb5): krb5.conf for the clients (KRB5_CONFIG),
kdc.conf for the KDC and kadmin.local (KRB5_KDC_PROFILE), the database, keytabs and the
KDC's log.  Principals get random keys and are handed out as keytabs, so nobody needs
kinit or a password.
"""
import os
import secrets
import shutil
import signal
import subprocess
import time

KRB5_CONF = """\
# written by util/koji-dev: the private realm of one stack
[libdefaults]
    default_realm = {realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ignore_acceptor_hostname = true

[realms]
{realms}
[domain_realm]
    localhost = {realm}
    127.0.0.1 = {realm}
"""

REALM_STANZA = """\
    {realm} = {{
        kdc = 127.0.0.1:{port}
        admin_server = 127.0.0.1:{port}
    }}
"""

KDC_CONF = """\
# written by util/koji-dev
[kdcdefaults]
    kdc_ports = {port}
    kdc_tcp_ports = {port}

[realms]
    {realm} = {{
        database_name = {dir}/principal
        key_stash_file = {dir}/stash
        acl_file = {dir}/kadm5.acl
        max_life = 24h
        max_renewable_life = 7d
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{dir}/kdc.log
    default = FILE:{dir}/kdc.log
"""


class KDCError(Exception):
    pass


def find_tool(name):
    for folder in ('/usr/sbin', '/usr/bin', '/usr/local/sbin'):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


class KDC:
    """One realm served by krb5kdc on 127.0.0.1:port from the folder directory."""

    def __init__(self, directory, realm, port, other_realms=None):
        self.dir = directory
        self.realm = realm
        self.port = port
        # realms of other KDCs the clients of this config should know (cross-realm tests)
        self.other_realms = dict(other_realms or {})
        self.krb5_conf = os.path.join(directory, 'krb5.conf')
        self.kdc_conf = os.path.join(directory, 'kdc.conf')
        self.pidfile = os.path.join(directory, 'kdc.pid')
        self.log = os.path.join(directory, 'kdc.log')

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env['KRB5_CONFIG'] = self.krb5_conf
        env['KRB5_KDC_PROFILE'] = self.kdc_conf
        return env

    def _tool(self, name):
        path = find_tool(name)
        if not path:
            raise KDCError('%s not found: install krb5-kdc and krb5-admin-server (make deps)'
                           % name)
        return path

    def _run(self, cmd):
        proc = subprocess.run(cmd, env=self.env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        if proc.returncode != 0:
            raise KDCError('%s failed (%d):\n%s'
                           % (' '.join(cmd), proc.returncode, proc.stdout))
        return proc.stdout

    def write_configs(self):
        os.makedirs(self.dir, exist_ok=True)
        realms = REALM_STANZA.format(realm=self.realm, port=self.port)
        for realm, port in sorted(self.other_realms.items()):
            realms += REALM_STANZA.format(realm=realm, port=port)
        with open(self.krb5_conf, 'w') as fp:
            fp.write(KRB5_CONF.format(realm=self.realm, realms=realms))
        with open(self.kdc_conf, 'w') as fp:
            fp.write(KDC_CONF.format(realm=self.realm, port=self.port, dir=self.dir))
        with open(self.path('kadm5.acl'), 'w') as fp:
            fp.write('')

    def setup(self):
        """Configs and (once) the database with its stash file."""
        self.write_configs()
        if not os.path.exists(self.path('principal')):
            self._run([self._tool('kdb5_util'), '-r', self.realm, 'create', '-s',
                       '-P', secrets.token_urlsafe(18)])

    def kadmin(self, query):
        return self._run([self._tool('kadmin.local'), '-r', self.realm, '-q', query])

    def principal(self, name):
        """The full principal of name (name as is when it already has a realm)."""
        return name if '@' in name else '%s@%s' % (name, self.realm)

    def has_principal(self, name):
        out = self.kadmin('getprinc %s' % self.principal(name))
        return 'Principal: ' in out

    def add_principal(self, name, password=None):
        princ = self.principal(name)
        if self.has_principal(princ):
            return princ
        if password is None:
            self.kadmin('addprinc -randkey %s' % princ)
        else:
            self.kadmin('addprinc -pw %s %s' % (password, princ))
        return princ

    def keytab(self, name, path=None):
        """A keytab holding name's current keys (made once; -norandkey keeps others valid)."""
        princ = self.add_principal(name)
        if path is None:
            path = self.path('%s.keytab' % princ.split('@')[0].replace('/', '_'))
        if not os.path.exists(path):
            self.kadmin('ktadd -norandkey -k %s %s' % (path, princ))
            os.chmod(path, 0o600)
        return path

    def pid(self):
        try:
            with open(self.pidfile) as fp:
                pid = int(fp.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def start(self, timeout=30):
        if self.pid():
            return
        proc = subprocess.Popen([self._tool('krb5kdc'), '-r', self.realm, '-n'],
                                env=self.env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
        with open(self.pidfile, 'w') as fp:
            fp.write('%d\n' % proc.pid)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                break
            if self._listening():
                return
            time.sleep(0.1)
        text = ''
        if os.path.exists(self.log):
            with open(self.log, errors='replace') as fp:
                text = ''.join(fp.read().splitlines(True)[-20:])
        raise KDCError('krb5kdc for %s did not start on port %d:\n%s'
                       % (self.realm, self.port, text))

    def _listening(self):
        import socket
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self):
        pid = self.pid()
        if not pid:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                # reap it if it is our own child
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
            except OSError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


def trust(kdc_a, kdc_b):
    """One-way cross-realm trust: principals of kdc_b's realm may reach kdc_a's services."""
    secret = secrets.token_urlsafe(24)
    princ = 'krbtgt/%s@%s' % (kdc_a.realm, kdc_b.realm)
    for kdc in (kdc_a, kdc_b):
        kdc.add_principal(princ, password=secret)
    return princ
