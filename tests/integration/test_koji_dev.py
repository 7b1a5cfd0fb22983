"""util/koji-dev: up / env / status / a CLI call through its profile / down.

The stacks use the test PostgreSQL server (KOJI_TEST_DSN) with databases named
``kojitest_dev_*`` that `down --purge` drops (and a finalizer drops again if a test
fails half way).  The private-cluster test needs initdb and is marked slow.
"""
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import xmlrpc.client

import pytest

from tests.fixtures import db as dbfix

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJI_DEV = os.path.join(ROOT, 'util', 'koji-dev')
KOJI = os.path.join(ROOT, 'cli', 'koji')
ENV_KEYS = ('KOJI_HUB_URL', 'KOJI_CONFIG', 'KOJI_PROFILE', 'KOJI_TOPDIR',
            'KOJI_ADMIN_USER', 'KOJI_ADMIN_PASSWORD', 'KOJI_BUILDER_NAME')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def koji_dev(*args, timeout=180):
    return subprocess.run([sys.executable, KOJI_DEV] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, cwd=ROOT)


def read_env(directory):
    res = koji_dev('env', '--dir', directory)
    assert res.returncode == 0, res.stderr
    env = {}
    for line in res.stdout.splitlines():
        words = shlex.split(line)
        assert words[0] == 'export', line
        key, _, value = words[1].partition('=')
        env[key] = value
    # what `eval "$(koji-dev env)"` would give a shell
    check = subprocess.run(['bash', '-c', 'eval "$1"; echo "$KOJI_ADMIN_PASSWORD"', 'x',
                            res.stdout], stdout=subprocess.PIPE, universal_newlines=True)
    assert check.stdout.strip() == env['KOJI_ADMIN_PASSWORD']
    return env


def koji_cli(env, *args, auth=True):
    cmd = [sys.executable, KOJI, '-c', env['KOJI_CONFIG'], '-p', env['KOJI_PROFILE']]
    if auth:
        cmd += ['--user', env['KOJI_ADMIN_USER'], '--password', env['KOJI_ADMIN_PASSWORD']]
    return subprocess.run(cmd + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


def hub_answers(url):
    try:
        return xmlrpc.client.ServerProxy(url).getAPIVersion()
    except (OSError, xmlrpc.client.Error):
        return None


def hub_pid(directory):
    with open(os.path.join(directory, 'httpd.pid')) as fp:
        return int(fp.read().strip())


def kojid_pid(directory):
    with open(os.path.join(directory, 'kojid.pid')) as fp:
        return int(fp.read().split()[0])


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as fp:
            return fp.read().rsplit(')', 1)[1].split()[0] not in ('Z', 'X')
    except OSError:
        return False


@pytest.fixture
def server_dsn():
    """The test server's admin DSN; skip when it cannot be reached."""
    dsn = dbfix.get_base_dsn()
    try:
        dbfix._admin_connect(dsn).close()
    except Exception as exc:
        dbfix._db_unavailable(exc)
    return dsn


@pytest.fixture
def stacks(server_dsn, tmp_path):
    """Factory for stacks on the test server; everything is torn down afterwards."""
    made = []

    def make(name='dev'):
        directory = str(tmp_path / name)
        dbname = 'kojitest_dev_%s' % uuid.uuid4().hex[:12]
        made.append((directory, dbname))
        return directory, dbname

    yield make
    for directory, dbname in made:
        koji_dev('down', '--purge', '--dir', directory)
        dbfix.drop_test_db(dbname, server_dsn)


def test_up_env_status_cli_down(stacks, server_dsn):
    directory, dbname = stacks()
    port = free_port()
    # password mode: the plain http hub and passwords in every config (ssl is the
    # default, which the demo build test and tests/auth cover)
    res = koji_dev('up', '--dir', directory, '--port', str(port), '--dsn', server_dsn,
                   '--dbname', dbname, '--auth', 'password')
    assert res.returncode == 0, res.stderr
    assert 'env --dir' in res.stdout  # usage hint

    env = read_env(directory)
    for key in ENV_KEYS:
        assert env.get(key), key
    assert env['KOJI_HUB_URL'] == 'http://127.0.0.1:%d/kojihub' % port
    assert env['KOJI_PROFILE'] == 'koji-dev'
    assert env['KOJI_ADMIN_USER'] == 'kojiadmin'
    assert env['KOJI_CONFIG'] == os.path.join(directory, 'koji.conf')
    assert env['KOJI_TOPDIR'] == os.path.join(directory, 'koji')
    for sub in ('packages', 'repos', 'work', 'scratch', 'repos-dist', 'vol'):
        assert os.path.isdir(os.path.join(env['KOJI_TOPDIR'], sub))
    with open(os.path.join(directory, 'admin-password')) as fp:
        assert fp.read().strip() == env['KOJI_ADMIN_PASSWORD']
    with open(os.path.join(directory, 'hub.conf')) as fp:
        hub_conf = fp.read()
    assert 'dbname=%s' % dbname in hub_conf
    assert 'KojiDir = %s' % env['KOJI_TOPDIR'] in hub_conf
    # upstream's default: callers get no tracebacks (they would show locals to anyone)
    assert 'KojiTraceback' not in hub_conf

    res = koji_dev('status', '--dir', directory)
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'hub       ok' in res.stdout
    assert 'kojid     ok' in res.stdout
    assert env['KOJI_BUILDER_NAME'] in res.stdout

    # the builder checked in as its own host, with the machine's arch and noarch
    hub = xmlrpc.client.ServerProxy(env['KOJI_HUB_URL'], allow_none=True)
    host = hub.getHost(env['KOJI_BUILDER_NAME'])
    assert host['ready'] and host['enabled']
    assert set(host['arches'].split()) == {os.uname().machine, 'noarch'}
    with open(os.path.join(directory, 'kojid.conf')) as fp:
        kojid_conf = fp.read()
    with open(os.path.join(directory, 'builder-password')) as fp:
        assert 'password = %s' % fp.read().strip() in kojid_conf
    assert 'user = %s' % env['KOJI_BUILDER_NAME'] in kojid_conf
    kpid = kojid_pid(directory)
    assert alive(kpid)

    # a task made through the CLI runs on that builder and closes
    res = koji_cli(env, 'make-task', 'sleep', '1')
    assert res.returncode == 0, res.stderr
    task_id = int(res.stdout.split()[-1])
    res = koji_cli(env, 'watch-task', str(task_id))
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'completed successfully' in res.stdout
    info = hub.getTaskInfo(task_id)
    assert info['state'] == 2  # CLOSED
    assert info['host_id'] == host['id']

    # the printed profile works for our CLI, logged in as the admin
    res = koji_cli(env, 'hello')
    assert res.returncode == 0, res.stderr
    assert 'You are using the hub at %s' % env['KOJI_HUB_URL'] in res.stdout
    assert 'Authenticated via password' in res.stdout
    res = koji_cli(env, 'list-permissions', '--mine')
    assert res.returncode == 0, res.stderr
    assert 'admin' in res.stdout.split()
    res = koji_cli(env, '--noauth', 'call', 'getAPIVersion', auth=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout == '1\n'

    # topurl serves KojiDir
    with open(os.path.join(env['KOJI_TOPDIR'], 'work', 'hello.txt'), 'w') as fp:
        fp.write('hi\n')
    topurl = env['KOJI_HUB_URL'].replace('/kojihub', '/kojifiles')
    with urllib.request.urlopen(topurl + '/work/hello.txt', timeout=10) as resp:
        assert resp.read() == b'hi\n'

    # up again: nothing to do, same server process
    pid = hub_pid(directory)
    started = time.time()
    res = koji_dev('up', '--dir', directory, '--quiet')
    assert res.returncode == 0, res.stderr
    assert time.time() - started < 15
    assert hub_pid(directory) == pid
    assert kojid_pid(directory) == kpid
    assert read_env(directory) == env

    res = koji_dev('down', '--dir', directory)
    assert res.returncode == 0, res.stderr
    assert hub_answers(env['KOJI_HUB_URL']) is None
    assert not alive(kpid)
    res = koji_dev('status', '--dir', directory)
    assert res.returncode == 3
    assert 'hub       DOWN' in res.stdout
    assert 'kojid     DOWN' in res.stdout

    # up after down keeps the database and the admin password
    res = koji_dev('up', '--dir', directory, '--quiet')
    assert res.returncode == 0, res.stderr
    assert koji_cli(env, 'hello').returncode == 0
    kpid = kojid_pid(directory)
    assert alive(kpid)

    res = koji_dev('down', '--purge', '--dir', directory)
    assert res.returncode == 0, res.stderr
    assert not os.path.exists(directory)
    assert not alive(kpid)
    conn = dbfix._admin_connect(server_dsn)
    try:
        with conn.cursor() as cur:
            assert not dbfix._db_exists(cur, dbname)
    finally:
        conn.close()


def test_two_stacks_side_by_side(stacks, server_dsn):
    envs = []
    builder = 'kojid-%s.test' % uuid.uuid4().hex[:8]
    for name in ('one', 'two'):
        directory, dbname = stacks(name)
        extra = ['--builder-name', builder] if name == 'two' else []
        res = koji_dev('up', '--dir', directory, '--dsn', server_dsn, '--dbname', dbname,
                       '--quiet', *extra)
        assert res.returncode == 0, res.stderr
        envs.append(read_env(directory))
    assert envs[0]['KOJI_HUB_URL'] != envs[1]['KOJI_HUB_URL']
    # two builders on this machine, each with its own host name, pid file and log
    assert envs[0]['KOJI_BUILDER_NAME'].startswith('kojid-')
    assert envs[1]['KOJI_BUILDER_NAME'] == builder
    assert envs[0]['KOJI_ADMIN_PASSWORD'] != envs[1]['KOJI_ADMIN_PASSWORD']
    # a user made in one stack does not exist in the other
    name = 'dev-%s' % uuid.uuid4().hex[:8]
    res = koji_cli(envs[0], 'add-user', name)
    assert res.returncode == 0, res.stderr
    one = xmlrpc.client.ServerProxy(envs[0]['KOJI_HUB_URL'], allow_none=True)
    two = xmlrpc.client.ServerProxy(envs[1]['KOJI_HUB_URL'], allow_none=True)
    assert one.getUser(name)['name'] == name
    assert two.getUser(name) is None


def test_status_and_env_without_stack(tmp_path):
    directory = str(tmp_path / 'nothing')
    assert koji_dev('status', '--dir', directory).returncode == 1
    assert koji_dev('env', '--dir', directory).returncode == 1
    assert koji_dev('down', '--dir', directory).returncode == 0


def _initdb_available():
    for path in ['/usr/lib/postgresql/%s/bin/initdb' % v for v in range(20, 9, -1)]:
        if os.access(path, os.X_OK):
            return True
    return bool(shutil.which('initdb'))


@pytest.mark.slow
@pytest.mark.skipif(not _initdb_available(), reason='PostgreSQL server binaries missing')
def test_private_cluster(tmp_path):
    directory = str(tmp_path / 'private')
    try:
        res = koji_dev('up', '--dir', directory, '--port', str(free_port()), '--quiet')
        assert res.returncode == 0, res.stderr
        assert os.path.exists(os.path.join(directory, 'pgdata', 'PG_VERSION'))
        res = koji_dev('status', '--dir', directory)
        assert res.returncode == 0, res.stdout + res.stderr
        assert 'postgres  ok' in res.stdout
        env = read_env(directory)
        res = koji_cli(env, 'hello')
        assert res.returncode == 0, res.stderr
        res = koji_cli(env, 'list-permissions', '--mine')
        assert 'admin' in res.stdout.split()

        res = koji_dev('down', '--dir', directory)
        assert res.returncode == 0, res.stderr
        res = koji_dev('status', '--dir', directory)
        assert 'postgres  DOWN' in res.stdout
        assert not os.path.exists(os.path.join(directory, 'pgdata', 'postmaster.pid'))

        # the cluster and its data come back
        res = koji_dev('up', '--dir', directory, '--quiet')
        assert res.returncode == 0, res.stderr
        assert koji_cli(env, 'hello').returncode == 0
    finally:
        koji_dev('down', '--purge', '--dir', directory)
    assert not os.path.exists(directory)


def _build_cli(env, *args, cwd=ROOT):
    """Our CLI as admin, with room for a whole build on a busy machine."""
    cmd = [sys.executable, KOJI, '-c', env['KOJI_CONFIG'], '-p', env['KOJI_PROFILE'],
           '--user', env['KOJI_ADMIN_USER'], '--password', env['KOJI_ADMIN_PASSWORD']]
    return subprocess.run(cmd + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=900,
                          cwd=cwd)


def test_demo_build(stacks, server_dsn, tmp_path):
    """What `make demo` does: the sample package from the stack's git server, built by its
    kojid, tagged, downloadable; a second `up` keeps it all and a scratch build works."""
    for tool in ('rpmbuild', 'createrepo_c', 'mergerepo_c', 'dnf', 'git', 'rpm2archive'):
        if not shutil.which(tool):
            pytest.skip('%s is not installed' % tool)
    directory, dbname = stacks('demo')
    res = koji_dev('up', '--dir', directory, '--dsn', server_dsn, '--dbname', dbname,
                   '--quiet')
    assert res.returncode == 0, res.stderr
    env = read_env(directory)
    assert env['KOJI_DEMO_TARGET'] == 'demo'
    url = env['KOJI_DEMO_SCMURL']
    assert url.startswith('git+http://127.0.0.1:') and '/git/kojidemo.git#' in url
    res = koji_dev('status', '--dir', directory)
    assert 'files     ok' in res.stdout, res.stdout
    with open(os.path.join(directory, 'kojid.conf')) as fp:
        kojid_conf = fp.read()
    assert 'buildroot_backend = rpmbuild\n' in kojid_conf

    res = _build_cli(env, 'build', '--wait', 'demo', url)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.rstrip().endswith('completed successfully'), res.stdout
    res = _build_cli(env, 'list-tagged', '--quiet', 'demo')
    assert res.stdout.split()[:2] == ['kojidemo-1.0-1', 'demo'], res.stdout
    out = tmp_path / 'downloads'
    out.mkdir()
    res = _build_cli(env, 'download-build', '--noprogress', 'kojidemo-1.0-1', cwd=str(out))
    assert res.returncode == 0, res.stderr
    assert sorted(os.listdir(out)) == ['kojidemo-1.0-1.src.rpm', 'kojidemo-1.0-1.x86_64.rpm'
                                       if os.uname().machine == 'x86_64' else
                                       'kojidemo-1.0-1.%s.rpm' % os.uname().machine,
                                       'kojidemo-doc-1.0-1.noarch.rpm']
    # the program in the rpm was compiled from docs/sample-package and runs
    rpm = 'kojidemo-1.0-1.%s.rpm' % os.uname().machine
    subprocess.run('rpm2archive - < %s | tar -xzf -' % rpm, shell=True, cwd=str(out),
                   check=True)
    hello = subprocess.run([str(out / 'usr' / 'bin' / 'kojidemo'), 'tester'],
                           stdout=subprocess.PIPE, universal_newlines=True, check=True)
    assert hello.stdout == 'Hello, tester! (built by Koji)\n'

    # up again: the same sample commit and server; the demo's second run is a scratch build
    res = koji_dev('up', '--dir', directory, '--quiet')
    assert res.returncode == 0, res.stderr
    assert read_env(directory)['KOJI_DEMO_SCMURL'] == url
    res = _build_cli(env, 'build', '--wait', 'demo', url)
    assert res.returncode == 1
    assert 'Build already exists' in res.stdout, res.stdout
    res = _build_cli(env, 'build', '--wait', '--scratch', 'demo', url)
    assert res.returncode == 0, res.stdout + res.stderr

    files_url = url[len('git+'):].split('/git/')[0] + '/'
    res = koji_dev('down', '--dir', directory)
    assert res.returncode == 0, res.stderr
    with pytest.raises(OSError):
        urllib.request.urlopen(files_url, timeout=5)
