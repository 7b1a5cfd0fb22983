"""The upstream koji 1.36.1 client (CLI and library, from PyPI) against our hub.

Every command runs through upstream's CLI and through our cli/koji against the same
``hub_server``; where the output is deterministic the two must match byte for byte.
Upstream's CLI ignores user/password in config files, so credentials go on the
command line.
"""
import json
import os
import re
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUR_KOJI = os.path.join(ROOT, 'cli', 'koji')
LOG_PREFIX = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ', re.M)


def unique(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


class Clients(object):
    """Runs one command line through both clients with the same profile and creds."""

    def __init__(self, upstream, hub, home):
        self.upstream = upstream
        self.hub = hub
        self.env = {'HOME': home}

    def _args(self, args, user, password, noauth):
        base = ['-c', self.hub.config_file, '-p', self.hub.profile]
        if noauth:
            return base + ['--noauth'] + list(args)
        user = user or self.hub.admin_user
        password = password or self.hub.admin_password
        return base + ['--authtype', 'password', '--user', user, '--password', password] + \
            list(args)

    def theirs(self, *args, user=None, password=None, noauth=False):
        return self.upstream.run(*self._args(args, user, password, noauth), env=self.env)

    def ours(self, *args, user=None, password=None, noauth=False):
        env = self.upstream.env(self.env)
        return subprocess.run([sys.executable, OUR_KOJI] + self._args(args, user, password,
                                                                      noauth),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                              env=env, cwd='/')

    def both(self, *args, **kw):
        return self.theirs(*args, **kw), self.ours(*args, **kw)


def assert_same(theirs, ours, stderr=True):
    """Same exit code and stdout (and stderr without log timestamps)."""
    assert ours.returncode == theirs.returncode, (theirs, ours)
    assert ours.stdout == theirs.stdout
    if stderr:
        assert LOG_PREFIX.sub('', ours.stderr) == LOG_PREFIX.sub('', theirs.stderr)


@pytest.fixture(scope='module')
def clients(upstream_koji, hub_server, tmp_path_factory):
    home = str(tmp_path_factory.mktemp('interop-home'))
    return Clients(upstream_koji, hub_server, home)


def set_password(hub_server, name, password):
    """createUser has no password argument; password users are made in SQL for tests."""
    import psycopg2
    conn = psycopg2.connect(hub_server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute('UPDATE users SET password = %s WHERE name = %s', (password, name))
            assert cur.rowcount == 1
    finally:
        conn.close()


@pytest.fixture(scope='module')
def plain_user(clients, hub_server):
    """An ordinary user (no permissions) that can log in with a password."""
    name = unique('interop-plain')
    res = clients.theirs('add-user', name)
    assert res.returncode == 0, res.stderr
    password = uuid.uuid4().hex
    set_password(hub_server, name, password)
    return name, password


def test_version(clients, upstream_koji):
    theirs, ours = clients.both('version', noauth=True)
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout.startswith('Client: %s\nHub:    ' % upstream_koji.version)
    # the client line differs by design (1.36.1 vs our version); the hub line must not
    assert ours.stdout.splitlines()[1:] == theirs.stdout.splitlines()[1:]


GREETING = re.compile(r'^[^,\n]+, ([^\n]+)!$', re.M)


def without_greeting(text):
    """hello picks its greeting word at random; keep only who is greeted."""
    return GREETING.sub(r'<greeting>, \1!', text)


def test_hello(clients, hub_server):
    theirs, ours = clients.both('hello')
    assert theirs.returncode == 0, theirs.stderr
    lines = without_greeting(theirs.stdout).splitlines()
    assert lines[0] == '<greeting>, %s!' % hub_server.admin_user
    assert lines[1] == ''
    assert lines[2].startswith('You are using the hub at %s (Koji ' % hub_server.url)
    assert lines[3:] == ['Authenticated via password']
    assert ours.returncode == 0, ours.stderr
    assert without_greeting(ours.stdout) == without_greeting(theirs.stdout)


def test_hello_anonymous(clients):
    theirs, ours = clients.both('hello', noauth=True)
    assert theirs.returncode == 0, theirs.stderr
    assert without_greeting(theirs.stdout).startswith(
        'Not authenticated\n<greeting>, anonymous user!\n')
    assert ours.returncode == 0, ours.stderr
    assert without_greeting(ours.stdout) == without_greeting(theirs.stdout)


def test_list_api(clients):
    theirs, ours = clients.both('list-api', noauth=True)
    assert theirs.returncode == 0, theirs.stderr
    assert 'getAPIVersion()' in theirs.stdout
    assert 'grantPermission(userinfo, permission, create=False, description=None)' \
        in theirs.stdout
    assert_same(theirs, ours)


def test_call_get_api_version(clients):
    theirs, ours = clients.both('call', 'getAPIVersion')
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == '1\n'
    assert_same(theirs, ours)
    theirs, ours = clients.both('call', '--json-output', 'getAPIVersion')
    assert theirs.stdout == '1\n'
    assert_same(theirs, ours)


def test_call_kwargs_and_python(clients, hub_server):
    args = ('call', '--json-output', 'getUser', 'userInfo=%s' % hub_server.admin_user)
    theirs, ours = clients.both(*args)
    assert theirs.returncode == 0, theirs.stderr
    assert json.loads(theirs.stdout)['name'] == hub_server.admin_user
    assert_same(theirs, ours)
    theirs, ours = clients.both('call', 'echo', '--python', '[1, None, {"a": 2}]')
    assert theirs.returncode == 0, theirs.stderr
    assert_same(theirs, ours)


def test_add_user(clients):
    first, second = unique('interop-add'), unique('interop-add')
    theirs = clients.theirs('add-user', first)
    ours = clients.ours('add-user', second)
    pattern = r'^Added user %s \((\d+)\)\n$'
    t_match = re.match(pattern % re.escape(first), theirs.stdout)
    o_match = re.match(pattern % re.escape(second), ours.stdout)
    assert t_match and o_match, (theirs, ours)
    assert int(o_match.group(1)) > int(t_match.group(1))
    # adding again fails the same way in both
    theirs, ours = clients.both('add-user', first)
    assert theirs.returncode == 1
    assert 'user already exists: %s' % first in theirs.stderr
    assert_same(theirs, ours)
    # the disabled flag
    name = unique('interop-off')
    res = clients.theirs('add-user', '--disable', name)
    assert res.returncode == 0, res.stderr
    theirs, ours = clients.both('call', 'getUser', name)
    assert "'status': 1" in theirs.stdout
    assert_same(theirs, ours)


def test_grant_permission_and_list(clients):
    first, second = unique('interop-grant'), unique('interop-grant')
    for name in (first, second):
        assert clients.theirs('add-user', name).returncode == 0
    theirs = clients.theirs('grant-permission', 'tag', first)
    ours = clients.ours('grant-permission', 'tag', second)
    assert theirs.returncode == 0, theirs.stderr
    assert_same(theirs, ours)
    perm = unique('interop-perm')
    theirs = clients.theirs('grant-permission', '--new', '--description', 'made by upstream',
                            perm, first)
    assert theirs.returncode == 0, theirs.stderr
    ours = clients.ours('grant-permission', perm, second)
    assert ours.returncode == 0, ours.stderr
    # both users now hold the same permissions: the listings must be identical
    theirs = clients.theirs('list-permissions', '--user', first)
    ours = clients.ours('list-permissions', '--user', second)
    assert theirs.returncode == 0, theirs.stderr
    assert perm in theirs.stdout and 'tag' in theirs.stdout
    assert_same(theirs, ours)
    # granting it again is an error, worded alike
    theirs, ours = clients.both('grant-permission', 'tag', first)
    assert theirs.returncode == 1
    assert_same(theirs, ours)


def test_list_permissions(clients):
    theirs, ours = clients.both('list-permissions')
    assert theirs.returncode == 0, theirs.stderr
    assert 'Full administrator access' in theirs.stdout
    assert_same(theirs, ours)
    theirs, ours = clients.both('list-permissions', '--mine')
    assert theirs.returncode == 0, theirs.stderr
    assert 'admin' in theirs.stdout
    assert_same(theirs, ours)


def test_userinfo(clients, hub_server):
    theirs, ours = clients.both('userinfo', hub_server.admin_user)
    assert theirs.stdout.startswith('User name: %s\nUser ID: ' % hub_server.admin_user)
    assert 'Permissions:\n  admin\n' in theirs.stdout
    assert theirs.returncode == 0, theirs.stderr
    assert_same(theirs, ours)
    theirs, ours = clients.both('userinfo', 'no-such-user-%s' % uuid.uuid4().hex[:6])
    assert_same(theirs, ours)


MULTICALL_SCRIPT = r'''
import json, sys
import koji
url, user, password, missing = sys.argv[1:5]
session = koji.ClientSession(url, opts={'user': user, 'password': password})
session.login()
with session.multicall() as m:
    version = m.getAPIVersion()
    me = m.getLoggedInUser()
    admin = m.hasPerm('admin')
    perms = m.getUserPerms(user)
    echoed = m.echo(1, None, 'x')
with session.multicall(strict=False) as m:
    good = m.getUser(user)
    bad = m.getUser(missing, strict=True)
try:
    bad.result
    bad_fault = None
except koji.GenericError as exc:
    bad_fault = [type(exc).__name__, getattr(exc, 'faultCode', None), str(exc)]
session.multicall = True
session.getAPIVersion()
session.getLoggedInUser()
legacy = session.multiCall()
print(json.dumps({
    'version': version.result, 'me': me.result['name'], 'admin': admin.result,
    'perms': perms.result, 'echoed': echoed.result, 'good': good.result['name'],
    'bad_fault': bad_fault, 'legacy': [legacy[0], legacy[1][0]['name']],
}))
session.logout()
'''


def test_multicall_from_upstream_library(upstream_koji, hub_server):
    missing = unique('interop-missing')
    res = upstream_koji.run_python(MULTICALL_SCRIPT, hub_server.url, hub_server.admin_user,
                                   hub_server.admin_password, missing)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out['version'] == 1
    assert out['me'] == hub_server.admin_user
    assert out['admin'] is True
    assert 'admin' in out['perms']
    assert out['echoed'] == [1, None, 'x']
    assert out['good'] == hub_server.admin_user
    assert out['bad_fault'][0] == 'GenericError'
    assert out['bad_fault'][1] == 1000
    assert out['legacy'] == [[1], hub_server.admin_user]


STRICT_MULTICALL_SCRIPT = r'''
import sys
import koji
url, user, password = sys.argv[1:4]
session = koji.ClientSession(url, opts={'user': user, 'password': password})
session.login()
try:
    with session.multicall(strict=True) as m:
        m.getAPIVersion()
        m.grantPermission(user, 'admin')
    print('no error')
except koji.ActionNotAllowed as exc:
    print('%s %s' % (type(exc).__name__, exc.faultCode))
'''


ADMIN_CALL_SCRIPT = r'''
import sys
import koji
url, user, password, target = sys.argv[1:5]
session = koji.ClientSession(url, opts={'user': user, 'password': password})
session.login()
assert session.getLoggedInUser()['name'] == user
try:
    session.grantPermission(target, 'admin')
    print('no error')
except koji.ActionNotAllowed as exc:
    print('%s %s %s' % (type(exc).__name__, exc.faultCode, exc))
try:
    session.createUser('interop-nope-' + user)
    print('no error')
except koji.GenericError as exc:
    print('%s %s' % (type(exc).__name__, exc.faultCode))
'''


def test_admin_only_call_as_plain_user(upstream_koji, hub_server, plain_user):
    name, password = plain_user
    res = upstream_koji.run_python(ADMIN_CALL_SCRIPT, hub_server.url, name, password, name)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith('ActionNotAllowed 1004 ')
    assert lines[1] == 'ActionNotAllowed 1004'
    res = upstream_koji.run_python(STRICT_MULTICALL_SCRIPT, hub_server.url, name, password)
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'ActionNotAllowed 1004\n'


def test_admin_only_cli_as_plain_user(clients, plain_user):
    name, password = plain_user
    for args in (('grant-permission', 'admin', name), ('add-user', unique('interop-nope'))):
        theirs, ours = clients.both(*args, user=name, password=password)
        assert theirs.returncode == 1
        assert 'ActionNotAllowed' in theirs.stderr
        assert_same(theirs, ours)
    # the user still holds nothing
    theirs, ours = clients.both('list-permissions', '--mine', user=name, password=password)
    assert theirs.returncode == 0, theirs.stderr
    assert 'admin' not in theirs.stdout
    assert_same(theirs, ours)


def test_wrong_password(clients, plain_user):
    name, _ = plain_user
    theirs, ours = clients.both('hello', user=name, password='wrong')
    assert theirs.returncode == 1
    assert 'invalid username or password' in theirs.stderr
    assert_same(theirs, ours)
