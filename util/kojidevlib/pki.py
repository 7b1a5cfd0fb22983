"""A private certificate authority for a koji-dev stack, driven by the openssl command.

`openssl ca` (rather than plain `x509 -req`) keeps an index of what was issued, so
certificates can be revoked into a CRL and issued with any validity window (the tests
need expired and not-yet-valid ones).  Layout under DIR/pki:

    ca.crt ca.key ca.cnf index.txt serial crlnumber crl.pem newcerts/
    <name>.crt <name>.key <name>.pem   (pem = cert + key, what koji's `cert` option wants)
"""
import os
import subprocess

ORG = 'koji-dev'
CA_CN = 'koji-dev CA'

CA_CONFIG = """\
# written by util/koji-dev
[ ca ]
default_ca = koji_dev

[ koji_dev ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/ca.crt
private_key = $dir/ca.key
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = any_name
unique_subject = no
copy_extensions = none

[ any_name ]
organizationName = optional
commonName = supplied

[ client ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth

[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = {server_names}
"""


class PKIError(Exception):
    pass


def openssl(*args, cwd=None):
    proc = subprocess.run(['openssl'] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, cwd=cwd)
    if proc.returncode != 0:
        raise PKIError('openssl %s failed:\n%s' % (args[0], proc.stdout))
    return proc.stdout


def subject(cn, org=ORG):
    return '/O=%s/CN=%s' % (org, cn)


def client_dn(cn, org=ORG):
    """The DN as Apache puts it in SSL_CLIENT_S_DN (RFC 2253 order), for ProxyDNs."""
    return 'CN=%s,O=%s' % (cn, org)


class PKI:
    """The CA in one folder; every method is safe to repeat."""

    def __init__(self, directory, hosts=('localhost',), ips=('127.0.0.1',)):
        self.dir = directory
        self.hosts = hosts
        self.ips = ips

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def ca_cert(self):
        return self.path('ca.crt')

    @property
    def crl(self):
        return self.path('crl.pem')

    def cert(self, name):
        """The combined cert + key file of name."""
        return self.path('%s.pem' % name)

    def ensure_ca(self):
        os.makedirs(self.path('newcerts'), exist_ok=True)
        names = ['DNS:%s' % h for h in self.hosts] + ['IP:%s' % i for i in self.ips]
        with open(self.path('ca.cnf'), 'w') as fp:
            fp.write(CA_CONFIG.format(dir=self.dir, server_names=', '.join(names)))
        for name, text in (('index.txt', ''), ('serial', '1000\n'),
                           ('crlnumber', '1000\n')):
            if not os.path.exists(self.path(name)):
                with open(self.path(name), 'w') as fp:
                    fp.write(text)
        if not os.path.exists(self.ca_cert):
            old = os.umask(0o077)
            try:
                openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650',
                        '-keyout', self.path('ca.key'), '-out', self.ca_cert,
                        '-subj', subject(CA_CN),
                        '-addext', 'basicConstraints=critical,CA:TRUE',
                        '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
            finally:
                os.umask(old)
            os.chmod(self.ca_cert, 0o644)
        if not os.path.exists(self.crl):
            self.write_crl()

    def write_crl(self):
        openssl('ca', '-batch', '-config', self.path('ca.cnf'), '-gencrl', '-out', self.crl)

    def issue(self, name, cn=None, server=False, startdate=None, enddate=None,
              reissue=False, org=ORG):
        """Make <name>.crt/.key/.pem signed by the CA (CN = cn or name); return the pem.

        startdate / enddate are openssl's YYMMDDHHMMSSZ strings, for odd validity windows.
        """
        pem = self.cert(name)
        if os.path.exists(pem) and not reissue:
            return pem
        self.ensure_ca()
        key, csr, crt = (self.path(name + ext) for ext in ('.key', '.csr', '.crt'))
        old = os.umask(0o077)
        try:
            openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr,
                    '-subj', subject(cn or name, org))
        finally:
            os.umask(old)
        cmd = ['ca', '-batch', '-notext', '-config', self.path('ca.cnf'), '-in', csr,
               '-out', crt, '-extensions', 'server' if server else 'client']
        if startdate:
            cmd += ['-startdate', startdate]
        if enddate:
            cmd += ['-enddate', enddate]
        openssl(*cmd)
        os.unlink(csr)
        with open(pem + '.new', 'w') as out:
            os.chmod(pem + '.new', 0o600)
            for part in (crt, key):
                with open(part) as fp:
                    out.write(fp.read())
        os.replace(pem + '.new', pem)
        return pem

    def server(self):
        """The hub's TLS certificate (for the host names and addresses given): crt, key."""
        self.issue('server', cn=self.hosts[0], server=True)
        return self.path('server.crt'), self.path('server.key')

    def revoke(self, name):
        """Revoke name's certificate and rewrite the CRL (httpd must reload to see it)."""
        crt = self.path(name + '.crt')
        if not os.path.exists(crt):
            raise PKIError('no certificate for %s in %s' % (name, self.dir))
        openssl('ca', '-batch', '-config', self.path('ca.cnf'), '-revoke', crt)
        self.write_crl()


def self_signed(directory, name, cn, org=ORG):
    """A self-signed client certificate (for tests of what the hub must refuse)."""
    os.makedirs(directory, exist_ok=True)
    key = os.path.join(directory, name + '.key')
    crt = os.path.join(directory, name + '.crt')
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-keyout', key,
            '-out', crt, '-subj', subject(cn, org))
    pem = os.path.join(directory, name + '.pem')
    with open(pem, 'w') as out:
        for part in (crt, key):
            with open(part) as fp:
                out.write(fp.read())
    return pem
