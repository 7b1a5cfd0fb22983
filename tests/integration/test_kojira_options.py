"""kojira's command line and kojira.conf handling, through the real script."""
import ast
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJIRA = os.path.join(ROOT, 'util', 'kojira')


def run(tmp_path, conf, *args):
    path = tmp_path / 'kojira.conf'
    path.write_text(conf)
    return subprocess.run([sys.executable, KOJIRA, '-c', str(path)] + list(args),
                          capture_output=True, text=True, timeout=60)


def show(tmp_path, conf, *args):
    res = run(tmp_path, conf, '--show-config', *args)
    assert res.returncode == 0, res.stderr
    return ast.literal_eval(res.stdout)


def test_defaults_and_overrides(tmp_path):
    opts = show(tmp_path, '[kojira]\nserver = http://hub/kojihub\nrepo_lifetime = 60\n'
                          'debug = yes\nlogfile = none\n', '--sleeptime', '3',
                '--topdir', '/srv/koji')
    assert opts['server'] == 'http://hub/kojihub'
    assert (opts['repo_lifetime'], opts['debug'], opts['logfile']) == (60, True, None)
    assert (opts['sleeptime'], opts['topdir']) == (3, '/srv/koji')
    assert opts['expired_repo_lifetime'] == 7 * 24 * 3600
    assert opts['reference_recheck_period'] == opts['recheck_period'] == 3600
    assert (opts['init_timeout'], opts['max_delete_processes']) == (7200, 4)
    assert opts['check_external_repos'] is True and opts['daemon'] is True
    # classic kojira's options are listed with their old defaults, as upstream does
    assert (opts['max_repo_tasks'], opts['repo_tasks_limit'], opts['ignore_tags']) == \
        (4, 10, '')
    assert sorted(opts) == sorted(SHOWN)


SHOWN = ('ccache', 'cert', 'check_external_repos', 'configFile', 'daemon', 'debug',
         'debug_xmlrpc', 'debuginfo_tags', 'deleted_repo_lifetime', 'dist_repo_lifetime',
         'expired_repo_lifetime', 'force_lock', 'ignore_other_volumes', 'ignore_stray_repos',
         'ignore_tags', 'init_timeout', 'keytab', 'logfile', 'max_delete_processes',
         'max_repo_tasks', 'max_repo_tasks_maven', 'max_retries', 'no_repo_effective_age',
         'no_ssl_verify', 'offline_retry', 'offline_retry_interval', 'password', 'principal',
         'queue_file', 'quiet', 'recheck_period', 'reference_recheck_period', 'repo_lifetime',
         'repo_tasks_limit', 'retry_interval', 'separate_source_tags', 'server', 'serverca',
         'show_config', 'skip_main', 'sleeptime', 'source_tags', 'topdir', 'user', 'verbose')


def test_lifetime_aliases(tmp_path):
    opts = show(tmp_path, '[kojira]\ndeleted_repo_lifetime = 99\nrecheck_period = 5\n')
    assert opts['expired_repo_lifetime'] == 99
    assert opts['reference_recheck_period'] == 5
    res = run(tmp_path, '[kojira]\ndeleted_repo_lifetime = 99\nexpired_repo_lifetime = 7\n',
              '--show-config')
    assert ast.literal_eval(res.stdout)['expired_repo_lifetime'] == 7
    assert 'Ignoring deleted_repo_lifetime because expired_repo_lifetime was specified' \
        in res.stderr


def test_legacy_options_accepted(tmp_path):
    res = run(tmp_path, '[kojira]\nmax_repo_tasks = 9\nwith_src = true\n', '--show-config')
    assert res.returncode == 0
    assert 'The max_repo_tasks configuration option is no longer used' in res.stderr
    assert ast.literal_eval(res.stdout)['max_repo_tasks'] == 4  # the file's 9 is ignored


def test_unknown_option_or_section_is_fatal(tmp_path):
    for conf, message in (('[kojira]\nbogus = 1\n', 'unknown config option: bogus'),
                          ('[kojira]\ninit_timeout = 5\n', 'unknown config option: init_timeout'),
                          ('[kojira]\n[other]\n', 'invalid section found in config file: other')):
        res = run(tmp_path, conf, '--show-config')
        assert res.returncode == 1
        assert res.stdout == ''
        assert res.stderr.splitlines()[-1] == message


def test_no_credentials_is_fatal(tmp_path):
    res = run(tmp_path, '[kojira]\nserver = http://127.0.0.1:9/kojihub\nlogfile =\n',
              '--fg')
    assert res.returncode == 1
    assert res.stderr.splitlines()[-1] == ('No username/password/certificate supplied and '
                                           'Kerberos missing or not configured')


def test_sample_config_file():
    res = subprocess.run([sys.executable, KOJIRA, '-c', os.path.join(ROOT, 'util', 'kojira.conf'),
                          '--show-config'], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    opts = ast.literal_eval(res.stdout)
    assert (opts['server'], opts['topdir'], opts['logfile']) == (
        'http://hub.example.com/kojihub', '/mnt/koji', '/var/log/kojira.log')
    assert opts['user'] is None and opts['check_external_repos'] is True


def test_systemd_unit_command():
    with open(os.path.join(ROOT, 'util', 'kojira.service')) as fo:
        unit = fo.read()
    start = unit.split('ExecStart=', 1)[1].split('\nRestart')[0]
    words = start.replace('\\\n', ' ').split()
    assert words == ['/usr/sbin/kojira', '--fg', '--force-lock', '--verbose']
