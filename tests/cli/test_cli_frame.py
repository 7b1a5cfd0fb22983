"""The koji command's frame: global options, profiles, help listings, plugins, exit codes.

Every test runs the real ``cli/koji`` script in a subprocess, because parser errors,
exit codes and stderr/stdout layout are what users and scripts depend on.
No hub is needed: the server URL points at a closed port.
"""
import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJI = os.path.join(ROOT, 'cli', 'koji')

USAGE = 'Usage: %s [global-options] command [command-options-and-arguments]'
COMMON = 'Common commands: build, download-build, help, latest-build, list-targets, search'
CMD_HINT = '(Specify the --help global option for a list of other help options)'
LOG_ERROR = r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[ERROR\] koji: '


def epilog(progname='koji'):
    return [
        'Try "%s --help" for help about global options' % progname,
        'Try "%s help" to get all available commands' % progname,
        'Try "%s <command> --help" for help about the options of a particular command'
        % progname,
        'Try "%s help <category>" to get commands under a particular category' % progname,
        'Available categories are: admin, all, bind, build, download, info, misc, monitor, '
        'search',
    ]


def run_koji(args, home, script=KOJI, env=None):
    """Run the client with an isolated HOME so no personal config or plugin leaks in."""
    full_env = dict(os.environ)
    full_env['HOME'] = str(home)
    full_env['COLUMNS'] = '80'
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(script)] + list(args), env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / 'home'
    path.mkdir()
    return path


@pytest.fixture
def config(tmp_path):
    """A profile pointing at a port nothing listens on, without retries."""
    path = tmp_path / 'koji.conf'
    path.write_text(textwrap.dedent("""\
        [koji]
        server = http://127.0.0.1:9/kojihub
        weburl = http://web.example.com/koji
        topdir = /srv/kojitop
        max_retries = 0
        anon_retry = false
        force_auth = false

        [other]
        server = http://other.example.com/kojihub
        force_auth = true
        """))
    return str(path)


PLUGIN = '''\
import koji
from koji.plugin import export_cli, export_as


@export_cli
def anon_handle_show_opts(options, session, args):
    "[info] Print some merged options"
    for name in args:
        print('%s=%r' % (name, getattr(options, name, None)))


@export_cli
def handle_plugin_fail(options, session, args):
    "[admin] Raise an error"
    raise koji.GenericError('it went wrong')


@export_cli
def handle_plugin_rv(options, session, args):
    "Return an exit code"
    return int(args[0])


@export_cli
@export_as('handle_aliased_cmd')
def some_function(options, session, args):
    "[build] Exported under an alias"
    print('aliased ran')


def handle_not_exported(options, session, args):
    "[admin] must not become a command"


class handle_class(object):
    exported_cli = True
'''


@pytest.fixture
def plugin_dir(tmp_path):
    path = tmp_path / 'plugins'
    path.mkdir()
    (path / 'testplug.py').write_text(PLUGIN)
    (path / 'notes.txt').write_text('not python')
    return path


def with_plugin(config, plugin_dir, *args):
    return ['-c', config, '--plugin-paths', str(plugin_dir)] + list(args)


# global help and parser errors

def test_global_help_shape(home):
    res = run_koji(['--help'], home)
    assert res.returncode == 0
    lines = res.stdout.split('\n')
    assert lines[:5] == [USAGE % 'koji', '', COMMON, '', 'Options:']
    assert res.stdout.endswith('\n\n' + '\n'.join(epilog()) + '\n')
    for flag in ('-h, --help', '-p PROFILE, --profile=PROFILE', '-c FILE, --config=FILE',
                 '--keytab=FILE', '--principal=PRINCIPAL', '--cert=FILE', '--runas=RUNAS',
                 '--user=USER', '--password=PASSWORD', '--noauth', '--force-auth',
                 '--authtype=AUTHTYPE', '-d, --debug', '--debug-xmlrpc', '-q, --quiet',
                 '--skip-main', '-s SERVER, --server=SERVER', '--topdir=TOPDIR',
                 '--weburl=WEBURL', '--topurl=TOPURL', '--plugin-paths=PATHS',
                 '--help-commands'):
        assert re.search(r'^  %s\b' % re.escape(flag), res.stdout, re.M), flag
    assert '--pkgurl' not in res.stdout
    assert '(default: koji)' in ' '.join(res.stdout.split())


def test_progname_is_default_profile(home, tmp_path, config):
    link = tmp_path / 'stg-koji'
    link.symlink_to(KOJI)
    res = run_koji(['--help'], home, script=link)
    assert res.stdout.startswith(USAGE % 'stg-koji' + '\n')
    assert 'default: stg-koji' in ' '.join(res.stdout.split())
    assert 'Try "stg-koji help" to get all available commands' in res.stdout
    res = run_koji(['-c', config, 'help'], home, script=link)
    assert res.returncode == 2
    assert res.stderr.endswith('\nstg-koji: error: no configuration for profile name: '
                               'stg-koji\n')


def test_bad_global_option(home):
    res = run_koji(['--bogus'], home)
    assert res.returncode == 2
    assert res.stdout == ''
    assert res.stderr == '%s\n\n%s\n\nkoji: error: no such option: --bogus\n' % (
        USAGE % 'koji', COMMON)


def test_bad_command_option(home, config):
    res = run_koji(['-c', config, 'add-user', '--bogus'], home)
    assert res.returncode == 2
    assert res.stderr == ('Usage: koji add-user <username> [options]\n%s\n\n'
                          'koji: error: no such option: --bogus\n' % CMD_HINT)


def test_command_help(home, config):
    res = run_koji(['-c', config, 'grant-permission', '--help'], home)
    assert res.returncode == 0
    lines = res.stdout.split('\n')
    assert lines[:4] == [
        'Usage: koji grant-permission [options] <permission> <user> [<user> ...]',
        CMD_HINT, '', 'Options:']
    assert re.search(r'^  --description=DESCRIPTION', res.stdout, re.M)
    assert re.search(r'^  --new', res.stdout, re.M)


def test_missing_profile(home, config):
    res = run_koji(['-c', config, '-p', 'nope', 'help'], home)
    assert res.returncode == 2
    assert res.stderr.startswith(USAGE % 'koji' + '\n')
    assert res.stderr.endswith('\nkoji: error: no configuration for profile name: nope\n')


def test_missing_config_file(home, tmp_path):
    missing = str(tmp_path / 'missing.conf')
    res = run_koji(['-c', missing, 'help'], home)
    assert res.returncode == 2
    assert res.stderr.endswith("koji: error: Config file %s can't be opened.\n" % missing)


def test_bad_integer_in_config(home, tmp_path):
    path = tmp_path / 'bad.conf'
    path.write_text('[koji]\nmax_retries = many\n')
    res = run_koji(['-c', str(path), 'help'], home)
    assert res.returncode == 2
    assert res.stderr.endswith(
        'koji: error: value for max_retries config option must be a valid integer\n')


def test_default_profile_from_home(home):
    # without -c the per-user config is read
    (home / '.koji').mkdir()
    (home / '.koji' / 'config').write_text('[koji]\nserver = http://127.0.0.1:9/x\n')
    res = run_koji(['help', 'search'], home)
    assert res.returncode == 0, res.stderr


# command listings

def parse_listing(text):
    """{section title: [command names]} from a help listing."""
    sections = {}
    current = None
    for line in text.split('\n'):
        if line.endswith(':') and not line.startswith(' '):
            current = line[:-1]
            sections[current] = []
        elif line.startswith('        ') and current:
            sections[current].append(line.split()[0])
    return sections


def test_help_lists_categories(home, config):
    res = run_koji(['-c', config, 'help'], home)
    assert res.returncode == 0
    lines = res.stdout.split('\n')
    assert lines[0] == 'Available commands:'
    assert lines[1] == ''
    sections = parse_listing(res.stdout)
    titles = [t for t in sections if t != 'Available commands']
    assert titles == ['admin commands', 'bind commands', 'build commands',
                      'download commands', 'info commands', 'miscellaneous commands',
                      'monitor commands', 'search commands']
    admin = sections['admin commands']
    for name in ('add-user', 'disable-user', 'edit-permission', 'edit-user', 'enable-user',
                 'grant-permission', 'list-users', 'revoke-permission', 'userinfo'):
        assert name in admin
    assert admin == sorted(admin)
    assert {'help', 'list-api', 'list-permissions'} <= set(sections['info commands'])
    assert {'call', 'moshimoshi', 'version'} <= set(sections['miscellaneous commands'])
    line = [x for x in lines if x.startswith('        add-user ')][0]
    assert re.match(r'^        add-user {18}\S', line)
    assert res.stdout.endswith('\n\n' + '\n'.join(epilog()) + '\n')


def test_help_one_category(home, config):
    res = run_koji(['-c', config, 'help', 'misc'], home)
    assert res.returncode == 0
    assert res.stdout.startswith('Available commands:\n\nmiscellaneous commands:\n')
    assert 'admin commands' not in res.stdout
    res = run_koji(['-c', config, 'help', '--admin'], home)
    assert res.stdout.startswith('Available commands:\n\nadmin commands:\n')
    assert 'info commands:' not in res.stdout
    res = run_koji(['-c', config, 'list-commands', 'all'], home)
    assert 'search commands:' in res.stdout


def test_help_unknown_category(home, config):
    res = run_koji(['-c', config, 'help', 'bogus'], home)
    assert res.returncode == 1
    assert res.stdout.startswith('No such help category: bogus\nAvailable commands:\n')
    assert re.search(LOG_ERROR + "KeyError: 'bogus'$", res.stderr, re.M)


def test_help_commands_and_no_command(home, config):
    listing = run_koji(['-c', config, 'help'], home).stdout
    res = run_koji(['-c', config, '--help-commands'], home)
    assert res.returncode == 0
    assert res.stdout == listing
    res = run_koji(['-c', config], home)
    assert res.returncode == 0
    assert res.stdout == listing


def test_unknown_command(home, config):
    listing = run_koji(['-c', config, 'help'], home).stdout
    res = run_koji(['-c', config, 'frobnicate', 'x'], home)
    assert res.returncode == 1
    assert res.stdout == listing
    assert re.match(LOG_ERROR + 'Unknown command: frobnicate\n$', res.stderr)


def test_unknown_command_quiet_still_logged(home, config):
    res = run_koji(['-c', config, '-q', 'frobnicate'], home)
    assert res.returncode == 1
    assert 'Unknown command: frobnicate' in res.stderr


# config merge, pkgurl, auth flags (observed through a plugin command)

def show(config, plugin_dir, home, *names, **kw):
    res = run_koji(with_plugin(config, plugin_dir, *kw.get('pre', ())) + ['show-opts']
                   + list(names), home)
    assert res.returncode == 0, res.stderr
    values = {}
    for line in res.stdout.splitlines():
        key, _, value = line.partition('=')
        values[key] = eval(value)
    return values, res


def test_config_merge(home, config, plugin_dir):
    values, _ = show(config, plugin_dir, home, 'server', 'weburl', 'topdir', 'max_retries',
                     'profile', 'poll_interval', 'topurl')
    assert values == {'server': 'http://127.0.0.1:9/kojihub',
                      'weburl': 'http://web.example.com/koji', 'topdir': '/srv/kojitop',
                      'max_retries': 0, 'profile': 'koji', 'poll_interval': 6,
                      'topurl': None}
    values, _ = show(config, plugin_dir, home, 'server', 'weburl', 'topdir',
                     pre=['--weburl', 'http://cli/koji', '--topdir', '~/top'])
    assert values['server'] == 'http://127.0.0.1:9/kojihub'
    assert values['weburl'] == 'http://cli/koji'
    assert values['topdir'] == os.path.join(str(home), 'top')


def test_profile_selection_and_force_auth(home, config, plugin_dir):
    values, _ = show(config, plugin_dir, home, 'server', 'force_auth', 'noauth',
                     pre=['-p', 'other'])
    assert values == {'server': 'http://other.example.com/kojihub', 'force_auth': True,
                      'noauth': False}


def test_anonymous_commands_skip_login(home, config, plugin_dir):
    values, _ = show(config, plugin_dir, home, 'noauth', 'force_auth')
    assert values == {'noauth': True, 'force_auth': False}
    values, _ = show(config, plugin_dir, home, 'noauth', '--mine')
    assert values['noauth'] is False
    values, _ = show(config, plugin_dir, home, 'noauth', pre=['--force-auth'])
    assert values['noauth'] is False


def test_pkgurl_warnings(home, config, plugin_dir):
    values, res = show(config, plugin_dir, home, 'topurl',
                       pre=['--pkgurl', 'http://files/kojifiles/packages/'])
    assert values['topurl'] == 'http://files/kojifiles'
    assert res.stderr == ("Warning: the pkgurl option is obsolete, using "
                          "topurl='http://files/kojifiles'\n")
    values, res = show(config, plugin_dir, home, 'topurl',
                       pre=['--pkgurl', 'http://files/pkgs', '--topurl', 'http://t'])
    assert values['topurl'] == 'http://t'
    assert res.stderr == 'Warning: the pkgurl option is obsolete\n'
    values, res = show(config, plugin_dir, home, 'topurl', pre=['--pkgurl', 'http://f/p'])
    assert values['topurl'] is None
    assert res.stderr == 'Warning: The pkgurl option is obsolete, please use topurl instead\n'


# plugins

def test_plugin_commands_listed(home, config, plugin_dir):
    res = run_koji(with_plugin(config, plugin_dir, 'help'), home)
    sections = parse_listing(res.stdout)
    assert 'show-opts' in sections['info commands']
    assert 'plugin-fail' in sections['admin commands']
    assert 'plugin-rv' in sections['miscellaneous commands']
    assert 'aliased-cmd' in sections['build commands']
    assert 'not-exported' not in res.stdout
    assert 'class' not in sections['admin commands']
    assert re.search(r'^        show-opts {17}Print some merged options$', res.stdout, re.M)


def test_plugin_alias_runs(home, config, plugin_dir):
    res = run_koji(with_plugin(config, plugin_dir, '--noauth', 'aliased-cmd'), home)
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'aliased ran\n'


def test_plugin_path_priority(home, config, plugin_dir, tmp_path):
    second = tmp_path / 'second'
    second.mkdir()
    (second / 'zzz.py').write_text(textwrap.dedent('''\
        from koji.plugin import export_cli

        @export_cli
        def handle_aliased_cmd(options, session, args):
            "[build] overriding handler"
            print('second ran')
        '''))
    paths = '%s:%s' % (second, plugin_dir)
    res = run_koji(['-c', config, '--plugin-paths', paths, '--noauth', 'aliased-cmd'], home)
    assert res.stdout == 'second ran\n'
    paths = '%s:%s' % (plugin_dir, second)
    res = run_koji(['-c', config, '--plugin-paths', paths, '--noauth', 'aliased-cmd'], home)
    assert res.stdout == 'aliased ran\n'


def test_plugins_from_home_and_config(home, tmp_path, plugin_dir):
    (home / '.koji').mkdir()
    os.symlink(str(plugin_dir), str(home / '.koji' / 'plugins'))
    cfg = tmp_path / 'plain.conf'
    cfg.write_text('[koji]\nserver = http://127.0.0.1:9/kojihub\n')
    res = run_koji(['-c', str(cfg), 'show-opts', 'server'], home)
    assert res.stdout == "server='http://127.0.0.1:9/kojihub'\n"
    other_home = tmp_path / 'other-home'
    other_home.mkdir()
    cfg.write_text('[koji]\nplugin_paths = %s\n' % plugin_dir)
    res = run_koji(['-c', str(cfg), 'show-opts', 'plugin_paths'], other_home)
    assert res.stdout == 'plugin_paths=%r\n' % str(plugin_dir)


# exit codes and error reporting

def test_handler_exception_is_logged(home, config, plugin_dir):
    res = run_koji(with_plugin(config, plugin_dir, '--noauth', 'plugin-fail'), home)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: it went wrong\n$', res.stderr)


def test_debug_shows_traceback(home, config, plugin_dir):
    res = run_koji(with_plugin(config, plugin_dir, '--noauth', '-d', 'plugin-fail'), home)
    assert res.returncode == 1
    assert 'Traceback (most recent call last)' in res.stderr
    assert 'koji.GenericError: it went wrong' in res.stderr \
        or 'GenericError: it went wrong' in res.stderr


def test_return_value_is_exit_code(home, config, plugin_dir):
    res = run_koji(with_plugin(config, plugin_dir, '--noauth', 'plugin-rv', '3'), home)
    assert res.returncode == 3
    res = run_koji(with_plugin(config, plugin_dir, '--noauth', 'plugin-rv', '0'), home)
    assert res.returncode == 0


def test_no_login_method(home, config):
    res = run_koji(['-c', config, '--authtype', 'bogus', 'add-user', 'someone'], home)
    assert res.returncode == 1
    assert res.stderr == 'Unable to log in, no authentication methods available\n'


def test_cannot_connect(home, config):
    res = run_koji(['-c', config, 'version'], home)
    assert res.returncode == 1
    assert res.stdout.startswith('Client: ')
    assert res.stderr == 'Error: Unable to connect to server\n'
    res = run_koji(['-c', config, 'list-api'], home)
    assert res.returncode == 1
    assert res.stderr == 'Error: Unable to connect to server\n'


def test_greeting_words_dispatch_to_moshimoshi(home, config):
    for word in ('hello', 'Bonjour', "what's up"):
        res = run_koji(['-c', config, '--noauth', word, '--help'], home)
        assert res.returncode == 0
        assert res.stdout.startswith('Usage: koji moshimoshi [options]\n')


def test_command_arg_errors(home, config):
    cases = [
        (['add-user'], 'You must specify the username of the user to add'),
        (['add-user', 'a', 'b'], 'This command only accepts one argument (username)'),
        (['enable-user'], 'You must specify the username of the user to enable'),
        (['disable-user'], 'You must specify the username of the user to disable'),
        (['grant-permission', 'admin'], 'Please specify a permission and at least one user'),
        (['grant-permission', '--description', 'd', 'p', 'u'],
         'Option new must be specified with option description.'),
        (['revoke-permission', 'admin'], 'Please specify a permission and at least one user'),
        (['edit-permission', 'p'], 'Please specify a permission and a description'),
        (['userinfo'], 'You must specify at least one username'),
        (['list-users', '--inherited-perm'],
         'inherited_perm option must be used with perm option'),
        (['call'], 'Please specify the name of the XML-RPC method'),
        (['call', '-p', '--json-input', 'hello'],
         'The --python option conflicts with using --json-input'),
        (['call', '-p', 'hello', '[1,'], "Invalid value: '[1,'"),
        (['call', '--json-input', 'hello', 'x=nojson'], "Invalid value: 'nojson'"),
    ]
    for args, message in cases:
        res = run_koji(['-c', config] + args, home)
        assert res.returncode == 2, args
        assert res.stderr.endswith('\nkoji: error: %s\n' % message), res.stderr


def test_list_users_bad_usertype(home, config):
    res = run_koji(['-c', config, 'list-users', '--usertype', 'robot'], home)
    assert res.returncode == 1
    assert res.stderr == 'Invalid usertype: robot\n'


# koji_cli.lib helpers (in process)

def test_lib_formatting(capsys):
    from koji_cli import lib
    assert lib._format_size(512) == '512.00 B'
    assert lib._format_size(1536) == '1.50 KiB'
    assert lib._format_size(3 * 1024 ** 2) == '3.00 MiB'
    assert lib._format_size(5 * 1024 ** 3) == '5.00 GiB'
    assert lib._format_secs(3723.9) == '01:02:03'
    lib._progress_callback(512, 1024, 512, 0, 2)
    assert capsys.readouterr().out == '[%-36s]  50%% 00:00:02 %10s %14s\r' % (
        '=' * 18, '512.00 B', '- B/sec')
    lib._progress_callback(1024, 1024, 512, 1, 4)
    assert capsys.readouterr().out == '[%-36s] 100%% 00:00:04 %10s %14s\r' % (
        '=' * 36, '1.00 KiB', '256.00 B/sec')
    assert lib.get_usage_str('usage: %prog x') == 'usage: %prog x\n' + CMD_HINT


def test_lib_arg_filter():
    from koji_cli.lib import arg_filter
    assert arg_filter('12') == 12
    assert arg_filter('1.5') == 1.5
    assert arg_filter('None') is None
    assert arg_filter('True') is True
    assert arg_filter('[1]') == '[1]'
    assert arg_filter('[1]', parse_json=True) == [1]
    assert arg_filter('text', parse_json=True) == 'text'


class FakeSession(object):
    """Records which login method activate_session picked."""

    def __init__(self, succeed=True):
        self.logged_in = False
        self.calls = []
        self.succeed = succeed

    def _login(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        self.logged_in = self.succeed

    def ssl_login(self, *args, **kwargs):
        self._login('ssl', *args, **kwargs)

    def login(self, *args, **kwargs):
        self._login('password', *args, **kwargs)

    def gssapi_login(self, *args, **kwargs):
        self._login('gssapi', *args, **kwargs)

    def getAPIVersion(self):
        self.calls.append(('getAPIVersion', (), {}))
        return 1


def make_options(**kw):
    import optparse
    values = dict(authtype=None, noauth=False, runas=None, cert='', serverca='', user=None,
                  principal=None, keytab=None, debug=False, force_auth=False)
    values.update(kw)
    return optparse.Values(values)


@pytest.mark.parametrize('opts, expected', [
    (dict(), ('gssapi', (), {'proxyuser': None})),
    (dict(user='bob'), ('password', (), {})),
    (dict(authtype='password'), ('password', (), {})),
    (dict(authtype='kerberos', user='bob', principal='p@R', keytab='/k', runas='x'),
     ('gssapi', (), {'principal': 'p@R', 'keytab': '/k', 'proxyuser': 'x'})),
    (dict(authtype='ssl', cert='/c', serverca='/ca', runas='x'),
     ('ssl', ('/c', None, '/ca'), {'proxyuser': 'x'})),
    (dict(cert=__file__, user='bob'), ('ssl', (__file__, None, ''), {'proxyuser': None})),
    (dict(cert=__file__, user='bob', authtype='password'), ('password', (), {})),
])
def test_activate_session_picks_method(opts, expected):
    from koji_cli.lib import activate_session
    session = FakeSession()
    activate_session(session, make_options(**opts))
    assert session.calls == [expected, ('getAPIVersion', (), {})]


def test_activate_session_noauth_and_failure(capsys):
    from koji_cli.lib import activate_session
    for opts in (dict(noauth=True), dict(authtype='noauth', user='bob')):
        session = FakeSession()
        activate_session(session, make_options(**opts))
        assert session.calls == [('getAPIVersion', (), {})]
    session = FakeSession(succeed=False)
    with pytest.raises(SystemExit) as exc:
        activate_session(session, make_options(user='bob'))
    assert exc.value.code == 1
    assert capsys.readouterr().err == ('Unable to log in, no authentication methods '
                                       'available\n')
    session = FakeSession()
    activate_session(session, make_options(user='bob', debug=True))
    assert capsys.readouterr().out == 'successfully connected to hub\n'


def test_ensure_connection_version_warning(capsys):
    from koji_cli.lib import ensure_connection
    session = FakeSession()
    session.getAPIVersion = lambda: 2
    ensure_connection(session)
    assert capsys.readouterr().err == ('WARNING: The server is at API version 2 and the '
                                       'client is at 1\n')
    session = FakeSession()
    ensure_connection(session, make_options(force_auth=True, user='bob'))
    assert session.calls[0][0] == 'password'
