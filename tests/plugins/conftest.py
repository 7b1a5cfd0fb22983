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
