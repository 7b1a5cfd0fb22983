"""Real authentication stacks: `util/koji-dev up --auth ssl|kerberos` on the test server.

One stack per module (fixture ``ssl_stack`` / ``krb_stack``): Apache with mod_ssl or
mod_auth_gssapi in front of the hub, the stack's own CA or MIT KDC, kojid and kojira
logged in with their certificates or keytabs.  ``DevStack`` gives the tests the stack's
env, its CLI profile, SQL on its database and hub.conf.d drop-ins (applied with a graceful
httpd restart).
"""
import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
import xmlrpc.client

import psycopg2
import pytest

from tests.fixtures import db as dbfix

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJI_DEV = os.path.join(ROOT, 'util', 'koji-dev')
KOJI = os.path.join(ROOT, 'cli', 'koji')
sys.path.insert(0, os.path.join(ROOT, 'util'))

from kojidevlib import kdc as kdclib  # noqa: E402
from kojidevlib import pki as pkilib  # noqa: E402

__all__ = ['kdclib', 'pkilib']


def koji_dev(*args, timeout=300):
    return subprocess.run([sys.executable, KOJI_DEV] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, cwd=ROOT)


class DevStack:
    """One running koji-dev stack in a temp folder."""

    def __init__(self, directory, dbname, dsn, mode):
        self.dir = directory
        self.dbname = dbname
        self.server_dsn = dsn
        self.mode = mode
        self.env = {}

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def up(self):
        # an explicit free port: koji-dev's default (8080 when free) races other stacks
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        res = koji_dev('up', '--dir', self.dir, '--auth', self.mode, '--dsn', self.server_dsn,
                       '--dbname', self.dbname, '--port', str(port), '--quiet')
        assert res.returncode == 0, res.stderr
        self.read_env()

    def read_env(self):
        res = koji_dev('env', '--dir', self.dir)
        assert res.returncode == 0, res.stderr
        self.env = {}
        for line in res.stdout.splitlines():
            words = shlex.split(line)
            key, _, value = words[1].partition('=')
            self.env[key] = value

    def down(self):
        koji_dev('down', '--purge', '--dir', self.dir)
        dbfix.drop_test_db(self.dbname, self.server_dsn)

    @property
    def config(self):
        return self.env['KOJI_CONFIG']

    @property
    def profile(self):
        return self.env['KOJI_PROFILE']

    @property
    def login_url(self):
        return self.env['KOJI_LOGIN_URL']

    @property
    def serverca(self):
        return self.env['KOJI_SERVERCA']

    def proc_env(self, extra=None):
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        for key in ('KRB5_CONFIG', 'KRB5CCNAME'):
            if key in self.env:
                env[key] = self.env[key]
        env.update(extra or {})
        return env

    def cli(self, *args, env=None):
        """Our CLI with the stack's profile (no --user / --password)."""
        cmd = [sys.executable, KOJI, '-c', self.config, '-p', self.profile] + list(args)
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                              env=self.proc_env(env), cwd=self.dir)

    def upstream(self, upstream_koji, *args, env=None):
        """Upstream's 1.36.1 CLI with the same profile."""
        return upstream_koji.run('-c', self.config, '-p', self.profile, *args,
                                 env=self.proc_env(env))

    def python(self, code, *args, env=None):
        """A ClientSession script under our library (koji from the checkout)."""
        env = self.proc_env(env)
        env['PYTHONPATH'] = ROOT
        return subprocess.run([sys.executable, '-c', code] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                              env=env, cwd=self.dir)

    def add_user(self, name):
        res = koji_dev('user', name, '--dir', self.dir)
        assert res.returncode == 0, res.stderr
        return dict(line.split(' = ', 1) for line in res.stdout.splitlines() if ' = ' in line)

    def sql(self, statement, params=()):
        conn = psycopg2.connect(dbfix.dsn_for(self.dbname, self.server_dsn))
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
                if cur.description:
                    return cur.fetchall()
                return cur.rowcount
        finally:
            conn.close()

    def open_sessions(self, user=None):
        """(user name, authtype, exclusive) of the open sessions."""
        rows = self.sql('SELECT users.name, sessions.authtype, sessions."exclusive" '
                        'FROM sessions JOIN users ON users.id = sessions.user_id '
                        'WHERE NOT sessions.closed ORDER BY sessions.id')
        return [r for r in rows if user is None or r[0] == user]

    def session_count(self):
        return self.sql('SELECT count(*) FROM sessions')[0][0]

    @contextlib.contextmanager
    def hub_setting(self, key, value):
        """hub.conf with key = value while the block runs (httpd restarted both times).

        hub.conf itself, not a hub.conf.d file: the main file is read last and wins.
        """
        path = self.path('hub.conf')
        with open(path) as fp:
            original = fp.read()
        lines = [line for line in original.splitlines() if not line.startswith(key + ' ')]
        with open(path, 'w') as fp:
            fp.write('\n'.join(lines + ['%s = %s' % (key, value), '']))
        self.graceful()
        try:
            yield
        finally:
            with open(path, 'w') as fp:
                fp.write(original)
            self.graceful()

    def graceful(self):
        """Restart httpd: SIGHUP to its parent, which replaces every child at once (unlike
        a graceful restart, no child of the old configuration is left to answer)."""
        log = self.path('httpd', 'error_log')
        offset = os.path.getsize(log)
        with open(self.path('httpd.pid')) as fp:
            os.kill(int(fp.read().split()[0]), signal.SIGHUP)
        # the new generation is up once httpd says so after the signal
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(log, errors='replace') as fp:
                fp.seek(offset)
                if 'resuming normal operations' in fp.read():
                    break
            time.sleep(0.1)
        else:
            raise AssertionError('httpd did not restart')
        self.wait_hub()

    def wait_hub(self, timeout=60):
        """Until the hub answers again (not a timing assertion: a bound on waiting)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                proxy = xmlrpc.client.ServerProxy(self.env['KOJI_HUB_URL'])
                if proxy.getAPIVersion() == 1:
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            time.sleep(0.2)
        raise AssertionError('the hub did not come back')


def _stack(tmp_path_factory, mode):
    dsn = dbfix.get_base_dsn()
    try:
        dbfix._admin_connect(dsn).close()
    except Exception as exc:
        dbfix._db_unavailable(exc)
    directory = str(tmp_path_factory.mktemp('auth-%s' % mode))
    stack = DevStack(directory, 'kojitest_auth_%s' % uuid.uuid4().hex[:12], dsn, mode)
    try:
        stack.up()
    except BaseException:
        stack.down()
        raise
    return stack


@pytest.fixture(scope='module')
def ssl_stack(tmp_path_factory):
    stack = _stack(tmp_path_factory, 'ssl')
    yield stack
    stack.down()


@pytest.fixture(scope='module')
def krb_stack(tmp_path_factory):
    stack = _stack(tmp_path_factory, 'kerberos')
    yield stack
    stack.down()


def script_runner(stack, client, request, extra=None):
    """(interpreter, environment) for a ClientSession script: our library or upstream's."""
    if client == 'upstream':
        upstream = request.getfixturevalue('upstream_koji')
        env = stack.proc_env(extra)
        env.pop('PYTHONPATH', None)
        return upstream.python, upstream.env(env)
    return sys.executable, stack.proc_env(dict(extra or {}, PYTHONPATH=ROOT))


def untimed(text):
    """stderr without the log lines' timestamps."""
    return re.sub(r'(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ', '', text)
