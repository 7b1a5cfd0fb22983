"""hub.conf loading (kojihub.core.config) and the in-process ``hub_context`` fixture."""
import os
import re
import resource

import pytest

import koji
from koji.context import context
from kojihub.core import config as hubconfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'hub', 'hub.conf')

# spot checks from the reference table
EXPECTED = {
    'DBName': ('string', None),
    'DBPort': ('integer', None),
    'ProxyPrincipals': ('string', ''),
    'AllowedKrbRealms': ('string', '*'),
    'DisableURLSessions': ('boolean', False),
    'DNUsernameComponent': ('string', 'CN'),
    'CheckClientIP': ('boolean', True),
    'LoginCreatesUser': ('boolean', True),
    'KojiWebURL': ('string', 'http://localhost.localdomain/koji'),
    'NotifyOnSuccess': ('boolean', True),
    'PluginPath': ('string', '/usr/lib/koji-hub-plugins'),
    'LogLevel': ('string', 'WARNING'),
    'LogFormat': ('string', '%(asctime)s [%(levelname)s] m=%(method)s u=%(user_name)s '
                            'p=%(process)s r=%(remoteaddr)s %(name)s: %(message)s'),
    'MissingPolicyOk': ('boolean', True),
    'RLIMIT_OFILE': ('string', None),
    'MemoryWarnThreshold': ('integer', 5000),
    'MaxRequestLength': ('integer', 4194304),
    'OfflineMessage': ('string', None),
    'MaxNameLengthInternal': ('integer', 256),
    'RegexNameInternal': ('string', r'^[A-Za-z0-9/_.+-]+$'),
    'RegexUserName': ('string', r'^[A-Za-z0-9/_.@-]+$'),
    'RPMDefaultChecksums': ('string', 'md5 sha256'),
    'SessionRenewalTimeout': ('integer', 1440),
    'MaxJobs': ('integer', 15),
    'CapacityOvercommit': ('integer', 5),
    'ReadyTimeout': ('integer', 180),
    'AssignTimeout': ('integer', 300),
    'SoftRefusalTimeout': ('integer', 900),
    'HostTimeout': ('integer', 900),
    'RunInterval': ('integer', 60),
    'MaxRepoTasks': ('integer', 10),
    'MaxRepoTasksMaven': ('integer', 2),
    'RepoRetries': ('integer', 3),
    'RequestCleanTime': ('integer', 1440),
    'AllowNewRepo': ('boolean', True),
    'RepoLag': ('integer', 3600),
    'RepoAutoLag': ('integer', 7200),
    'RepoLagWindow': ('integer', 600),
    'RepoQueueUser': ('string', 'kojira'),
    'SeparateSourceTags': ('string', ''),
}


@pytest.fixture
def restore_basedir():
    """KojiDir changes process-wide state; put back exactly what was there."""
    old_base = koji.BASEDIR
    old_state = dict(vars(koji.pathinfo))
    yield
    koji.BASEDIR = old_base
    vars(koji.pathinfo).clear()
    vars(koji.pathinfo).update(old_state)


@pytest.fixture
def confdir(tmp_path, monkeypatch):
    monkeypatch.delenv('KOJI_HUB_CONFIG', raising=False)
    monkeypatch.delenv('KOJI_HUB_CONFIG_DIR', raising=False)
    (tmp_path / 'hub.conf.d').mkdir()
    return tmp_path


def environ_for(path):
    return {'koji.hub.ConfigFile': str(path / 'hub.conf'),
            'koji.hub.ConfigDir': str(path / 'hub.conf.d')}


def test_option_table():
    names = [name for name, _, _ in hubconfig.CONFIG_MAP]
    assert len(names) == 71
    assert len(set(names)) == 71
    for name, otype, default in hubconfig.CONFIG_MAP:
        assert otype in ('string', 'integer', 'boolean')
        if name in EXPECTED:
            assert (otype, default) == EXPECTED[name], name
        if name.startswith('RLIMIT_') or name.startswith('DB') or name == 'KojiDir':
            assert default is None, name


def test_defaults_when_empty(confdir):
    (confdir / 'hub.conf').write_text('[hub]\n')
    opts = hubconfig.load_config(environ_for(confdir))
    for name, _, default in hubconfig.CONFIG_MAP:
        if name not in ('RegexNameInternal', 'RegexUserName'):
            assert opts[name] == default, name
    assert opts['policy'] == hubconfig.DEFAULT_POLICIES
    assert opts['RegexNameInternal.compiled'].pattern == opts['RegexNameInternal']
    assert opts['RegexUserName.compiled'].match('user@EXAMPLE.COM')


def test_types_case_and_order(confdir):
    (confdir / 'hub.conf.d' / '10-a.conf').write_text(
        '[hub]\nmaxjobs = 3\nEmailDomain = drop.in\nKojiDebug = yes\n')
    (confdir / 'hub.conf.d' / '20-b.conf').write_text('[hub]\nMaxJobs = 4\n')
    (confdir / 'hub.conf.d' / 'ignored.txt').write_text('[hub]\nMaxJobs = 99\n')
    (confdir / 'hub.conf').write_text(
        '[hub]\nMAXJOBS = 5\nCheckClientIP = off\nLockOut = 1\n'
        'LogFormat = %(message)s only\nUnknownOption = whatever\n')
    opts = hubconfig.load_config(environ_for(confdir))
    assert opts['MaxJobs'] == 5
    assert opts['EmailDomain'] == 'drop.in'
    assert opts['KojiDebug'] is True
    assert opts['CheckClientIP'] is False
    assert opts['LockOut'] is True
    assert opts['LogFormat'] == '%(message)s only'
    assert 'UnknownOption' not in opts and 'unknownoption' not in opts


def test_dir_files_only_override_defaults(confdir):
    (confdir / 'hub.conf.d' / 'x.conf').write_text('[hub]\nMaxJobs = 3\n')
    (confdir / 'hub.conf').write_text('[hub]\n')
    assert hubconfig.load_config(environ_for(confdir))['MaxJobs'] == 3


def test_bad_values(confdir):
    (confdir / 'hub.conf').write_text('[hub]\nMaxJobs = many\n')
    with pytest.raises(koji.ConfigurationError):
        hubconfig.load_config(environ_for(confdir))
    (confdir / 'hub.conf').write_text('[hub]\nLockOut = maybe\n')
    with pytest.raises(koji.ConfigurationError):
        hubconfig.load_config(environ_for(confdir))
    (confdir / 'hub.conf').write_text('not an ini file\n')
    with pytest.raises(koji.ConfigurationError):
        hubconfig.load_config(environ_for(confdir))
    (confdir / 'hub.conf').write_text('[hub]\nRegexUserName = ([\n')
    with pytest.raises(koji.ConfigurationError):
        hubconfig.load_config(environ_for(confdir))


def test_missing_file(confdir):
    with pytest.raises(koji.ConfigurationError):
        hubconfig.load_config(environ_for(confdir))
    # a missing directory is fine
    (confdir / 'hub.conf').write_text('[hub]\n')
    env = environ_for(confdir)
    env['koji.hub.ConfigDir'] = str(confdir / 'missing.d')
    assert hubconfig.load_config(env)['MaxJobs'] == 15


def test_env_var_fallback(confdir, monkeypatch):
    (confdir / 'dev.conf').write_text('[hub]\nMaxJobs = 7\n')
    (confdir / 'hub.conf.d' / 'a.conf').write_text('[hub]\nRepoLag = 1\n')
    monkeypatch.setenv('KOJI_HUB_CONFIG', str(confdir / 'dev.conf'))
    monkeypatch.setenv('KOJI_HUB_CONFIG_DIR', str(confdir / 'hub.conf.d'))
    opts = hubconfig.load_config({})
    assert opts['MaxJobs'] == 7 and opts['RepoLag'] == 1
    # the WSGI environ wins over the process environment
    (confdir / 'hub.conf').write_text('[hub]\nMaxJobs = 8\n')
    assert hubconfig.load_config(environ_for(confdir))['MaxJobs'] == 8


def test_default_paths(monkeypatch):
    monkeypatch.delenv('KOJI_HUB_CONFIG', raising=False)
    monkeypatch.delenv('KOJI_HUB_CONFIG_DIR', raising=False)
    assert hubconfig.config_paths({}) == ('/etc/koji-hub/hub.conf', '/etc/koji-hub/hub.conf.d')


def test_postprocessing(confdir, restore_basedir):
    topdir = str(confdir / 'koji')
    (confdir / 'hub.conf').write_text(
        '[hub]\nDBhost = legacy.example.com\nRLIMIT_OFILE = 1024\nKojiDir = %s\n'
        'RegexNameInternal =\nRegexUserName = ^[a-z]+$\n' % topdir)
    opts = hubconfig.load_config(environ_for(confdir))
    assert opts['DBHost'] == 'legacy.example.com'
    assert opts['RLIMIT_NOFILE'] == '1024'
    assert koji.BASEDIR == topdir
    assert koji.pathinfo.topdir == topdir
    assert koji.pathinfo.build({'name': 'n', 'version': 'v', 'release': 'r'}).startswith(
        topdir + '/packages/')
    assert opts['RegexNameInternal'] == ''
    assert 'RegexNameInternal.compiled' not in opts
    assert opts['RegexUserName.compiled'].match('abc')

    # option names are case-insensitive, so DBHost and DBhost are one and the same
    (confdir / 'hub.conf').write_text('[hub]\nDBHost = new\n'
                                      'RLIMIT_NOFILE = 5\nRLIMIT_OFILE = 6\n')
    opts = hubconfig.load_config(environ_for(confdir))
    assert opts['DBHost'] == opts['DBhost'] == 'new'
    assert opts['RLIMIT_NOFILE'] == '5'


def test_db_options():
    opts = hubconfig.default_options()
    assert hubconfig.db_options(opts) == {}
    opts.update(DBName='koji', DBUser='u', DBPass='p', DBHost='h', DBPort=5433,
                DBConnectionString='dbname=x')
    assert hubconfig.db_options(opts) == {'dbname': 'koji', 'user': 'u', 'password': 'p',
                                          'host': 'h', 'port': 5433, 'dsn': 'dbname=x'}


def test_policy_section(confdir):
    (confdir / 'hub.conf').write_text(
        '[hub]\n\n[policy]\nTag =\n    has_perm admin :: allow\n    all :: deny\n'
        'channel = all :: use special\n')
    policy = hubconfig.load_config(environ_for(confdir))['policy']
    assert policy['tag'] == '\nhas_perm admin :: allow\nall :: deny'
    assert policy['channel'] == 'all :: use special'
    for name in ('build_rpm', 'build_from_srpm', 'build_from_repo_id', 'build_from_scm',
                 'package_list', 'vm', 'cg_import', 'volume', 'priority', 'draft_promotion'):
        assert policy[name] == hubconfig.DEFAULT_POLICIES[name]


def test_default_policy_texts():
    pol = hubconfig.DEFAULT_POLICIES
    assert sorted(pol) == sorted(['build_rpm', 'build_from_srpm', 'build_from_repo_id',
                                  'build_from_scm', 'package_list', 'channel', 'vm',
                                  'cg_import', 'volume', 'priority', 'draft_promotion'])
    assert pol['build_rpm'] == '\n            all :: allow\n            '
    assert pol['vm'].endswith('policy\n           ')
    rules = [line.strip() for line in pol['build_from_scm'].splitlines()
             if line.strip() and not line.strip().startswith('#')]
    assert rules == ['has_perm admin :: allow',
                     'all :: deny Only admin can do this via default policy']


def test_sample_hub_conf(confdir):
    """The shipped sample mentions every option and, all commented out, gives defaults."""
    with open(SAMPLE) as fp:
        text = fp.read()
    for name, _, default in hubconfig.CONFIG_MAP:
        assert re.search(r'^#%s =' % re.escape(name), text, re.M), name
    env = {'koji.hub.ConfigFile': SAMPLE, 'koji.hub.ConfigDir': str(confdir / 'none')}
    opts = hubconfig.load_config(env)
    for name, _, default in hubconfig.CONFIG_MAP:
        assert opts[name] == default, name


def test_setup_rlimits(caplog):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = soft - 1 if soft > 64 else soft
    try:
        hubconfig.setup_rlimits({'RLIMIT_NOFILE': str(target)})
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (target, hard)
        hubconfig.setup_rlimits({'RLIMIT_OFILE': '%d %d' % (soft, hard)})
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    # bad values are logged, not fatal
    hubconfig.setup_rlimits({'RLIMIT_CORE': 'lots'})
    assert 'RLIMIT_CORE' in caplog.text


def test_hub_context_fixture(hub_context):
    assert hub_context is context
    assert context.opts['MaxJobs'] == 15
    assert context.session.logged_in is False
    cursor = context.cnx.cursor()
    cursor.execute("SELECT name FROM permissions WHERE name = 'admin'")
    assert cursor.fetchone() == ('admin',)
    cursor.close()
    assert context.handlers.call('hello') == 'Hello World'
    with pytest.raises(koji.ActionNotAllowed):
        context.handlers.call('showOpts')
