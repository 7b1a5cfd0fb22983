"""Fixtures for the standard plugins: a hub over HTTP with plugins enabled, our CLI with
plugins/cli on its plugin path, and plugin config files in a folder of the test's own.

The hub's plugins read their config files from $KOJI_HUB_PLUGIN_CONFIG_DIR (default
/etc/koji-hub/plugins); the fixture sets it for the hub process only.
"""
import os
import sys

import pytest

import koji
from tests.fixtures import db as dbfix
from tests.fixtures.cli import PRELOAD
from tests.fixtures.forkcli import fork_cli
from tests.plugins.broker import rabbitmq  # noqa: F401 (a fixture)
from tests.fixtures.hub import (HubServer, _ensure_dsn_user, _make_topdir, add_admin_user,
                                find_express)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUB_PLUGINS = os.path.join(ROOT, 'plugins', 'hub')
CLI_PLUGINS = os.path.join(ROOT, 'plugins', 'cli')
BUILDER_PLUGINS = os.path.join(ROOT, 'plugins', 'builder')
KOJI = os.path.join(ROOT, 'cli', 'koji')
CONF_ENV = 'KOJI_HUB_PLUGIN_CONFIG_DIR'


class PluginHub(HubServer):
    """A HubServer whose plugins read their configs from ``plugin_conf_dir``."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.plugin_conf_dir = os.path.join(self.workdir, self.name + '-plugins.d')
        os.makedirs(self.plugin_conf_dir, exist_ok=True)
        # more import paths for the hub (e.g. where a plugin package was pip-installed)
        self.python_paths = []

    def write_plugin_conf(self, name, text):
        path = os.path.join(self.plugin_conf_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as fp:
            fp.write(text)

    def command(self):
        cmd = super().command()
        for path in self.python_paths:
            cmd += ['--python-path', path]
        return cmd

    def start(self):
        old = os.environ.get(CONF_ENV)
        os.environ[CONF_ENV] = self.plugin_conf_dir
        try:
            super().start()
        finally:
            if old is None:
                del os.environ[CONF_ENV]
            else:
                os.environ[CONF_ENV] = old

    def session(self, user=None, password=None):
        """A logged-in ClientSession (admin unless told)."""
        session = koji.ClientSession(self.url, opts={
            'user': user or self.admin_user, 'password': password or self.admin_password})
        session.login()
        return session

    def add_user(self, name, perms=()):
        """A password user (made through the hub as admin); returns its password."""
        admin = self.session()
        try:
            admin.createUser(name)
            for perm in perms:
                admin.grantPermission(name, perm, create=True)
        finally:
            admin.logout()
        password = name + '-pw'
        self.set_password(name, password)
        return password


def start_plugin_hub(workdir, plugins, opts=None, configs=None, name='hub',
                     python_paths=()):
    """Start a PluginHub with its own database; the caller stops it and drops the db."""
    dbname, dsn = dbfix.create_test_db(prefix='kojiplug')
    dsn = _ensure_dsn_user(dsn)
    password = add_admin_user(dsn)
    topdir = os.path.join(workdir, 'koji')
    _make_topdir(topdir)
    base = {'PluginPath': HUB_PLUGINS, 'Plugins': ' '.join(plugins)}
    base.update(opts or {})
    server = PluginHub(workdir, dbname, dsn, topdir, admin_password=password, name=name,
                       base_opts=base)
    for fname, text in (configs or {}).items():
        server.write_plugin_conf(fname, text)
    server.python_paths = list(python_paths)
    server.runas.chown_tree(topdir)
    try:
        server.start()
    except Exception:
        dbfix.drop_test_db(dbname)
        raise
    return server


@pytest.fixture(scope='module')
def plugin_hub_factory(template_db, tmp_path_factory):
    """make(plugins, opts=None, configs=None, python_paths=()): a started PluginHub,
    stopped at module end."""
    if not find_express():
        pytest.skip('mod_wsgi-express is not installed')
    made = []

    def make(plugins, opts=None, configs=None, python_paths=()):
        workdir = str(tmp_path_factory.mktemp('plughub'))
        server = start_plugin_hub(workdir, plugins, opts=opts, configs=configs,
                                  python_paths=python_paths)
        made.append(server)
        return server
    yield make
    for server in made:
        server.stop()
        dbfix.drop_test_db(server.dbname)


class PluginCLI(object):
    """Runs our `koji` (plugins/cli on its plugin path) against a hub."""

    def __init__(self, hub, home):
        self.hub = hub
        self.home = home

    def __call__(self, *args, user=None, password=None, auth=True, extra_env=None):
        cmd = ['-c', self.hub.config_file, '-p', self.hub.profile,
               '--plugin-paths', CLI_PLUGINS]
        if auth:
            cmd += ['--user', user or self.hub.admin_user,
                    '--password', password or self.hub.admin_password]
        env = dict(os.environ, HOME=self.home)
        env.update(extra_env or {})
        server = fork_cli(sys.executable, KOJI, PRELOAD)
        return server.run(cmd + list(args), env=env, cwd='/', timeout=120)


KOJID = os.path.join(ROOT, 'builder', 'kojid')


def start_kojid(hub, base, host, plugins, pluginpath=BUILDER_PLUGINS, env=None):
    """A kojid process as ``host`` (added to the hub here) loading ``plugins``; the
    caller stops it with stop_kojid.  Its files are under ``base``."""
    import subprocess
    import uuid
    os.makedirs(base, exist_ok=True)
    password = uuid.uuid4().hex
    admin = hub.session()
    if not admin.getHost(host):
        admin.addHost(host, ['x86_64', 'noarch'])
    admin.logout()
    hub.set_password(host, password)
    conf = os.path.join(base, 'kojid.conf')
    with open(conf, 'w') as fp:
        fp.write('\n'.join([
            '[kojid]', 'server = %s' % hub.url, 'topurl = %s' % hub.topurl,
            'topdir = %s' % hub.topdir, 'workdir = %s' % os.path.join(base, 'work'),
            'mockdir = %s' % base, 'user = %s' % host, 'password = %s' % password,
            'sleeptime = 1', 'minspace = 1', 'retry_interval = 1', 'max_retries = 30',
            'max_load_per_cpu = 0', 'pluginpath = %s' % pluginpath,
            'plugins = %s' % ' '.join(plugins), 'logfile = %s' % os.path.join(base, 'kojid.log'),
            'pidfile = %s' % os.path.join(base, 'kojid.pid')]) + '\n')
    proc_env = dict(os.environ)
    proc_env.pop('PYTHONPATH', None)
    proc_env.update(env or {})
    with open(os.path.join(base, 'kojid.out'), 'ab') as out:
        proc = subprocess.Popen([sys.executable, KOJID, '-c', conf, '--fg', '--force-lock',
                                 '--debug'], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=proc_env, start_new_session=True)
    proc.base = base
    return proc


def stop_kojid(proc):
    import subprocess
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_task(session, task_id, timeout=120):
    """The task's info once it is CLOSED, FAILED or CANCELED."""
    import time
    deadline = time.monotonic() + timeout
    done = [koji.TASK_STATES[s] for s in ('CLOSED', 'FAILED', 'CANCELED')]
    while time.monotonic() < deadline:
        info = session.getTaskInfo(task_id)
        if info['state'] in done:
            return info
        time.sleep(0.5)
    raise AssertionError('task %s did not finish' % task_id)


def plugin_build_env(hub_server, tmp_path_factory, host, prefix, plugin, conf_name,
                     conf_text):
    """build_env (a real kojid and a build target) on a hub running one plugin with the
    given config; the module's hub gets its plain config back afterwards."""
    from tests.integration.test_kojid_build import BuildBuilder, build_env
    from tests.integration.test_kojid_repos import HUB_OPTS
    confdir = str(tmp_path_factory.mktemp(prefix + 'conf'))
    with open(os.path.join(confdir, conf_name), 'w') as fp:
        fp.write(conf_text)
    old = os.environ.get(CONF_ENV)
    os.environ[CONF_ENV] = confdir
    opts = dict(HUB_OPTS, PluginPath=HUB_PLUGINS, Plugins=plugin)
    gen = build_env(hub_server, tmp_path_factory, BuildBuilder, host, prefix, hub_opts=opts)
    try:
        yield next(gen)
    finally:
        gen.close()
        if old is None:
            os.environ.pop(CONF_ENV, None)
        else:
            os.environ[CONF_ENV] = old
        hub_server.restart({})
