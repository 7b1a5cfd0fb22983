"""kojira's command line and kojira.conf: every option, its type and its default."""
import optparse
import os
import sys

import koji
from koji.util import deprecated

DEFAULT_CONFIG = '/etc/kojira/kojira.conf'
SECTION = 'kojira'
WEEK = 7 * 24 * 3600

# option name -> default, for everything the file may set (plus init_timeout, which only
# has a code default) and the command line only options
DEFAULTS = {
    'verbose': False,
    'debug': False,
    'ignore_stray_repos': False,
    'topdir': '/mnt/koji',
    'server': None,
    'logfile': '/var/log/kojira.log',
    'principal': None,
    'keytab': '/etc/kojira/kojira.keytab',
    'ccache': '/var/tmp/kojira.ccache',
    'retry_interval': 60,
    'max_retries': 120,
    'offline_retry': True,
    'offline_retry_interval': 120,
    'no_ssl_verify': False,
    'max_delete_processes': 4,
    'repo_lifetime': WEEK,
    'dist_repo_lifetime': WEEK,
    'expired_repo_lifetime': None,
    'deleted_repo_lifetime': None,
    'init_timeout': 7200,
    'recheck_period': 3600,
    'reference_recheck_period': None,
    'check_external_repos': True,
    'sleeptime': 15,
    'cert': None,
    'serverca': None,
    'ignore_other_volumes': False,
    # classic kojira's options: unused, but --show-config lists them as upstream does
    'debuginfo_tags': '',
    'source_tags': '',
    'separate_source_tags': '',
    'ignore_tags': '',
    'max_repo_tasks': 4,
    'max_repo_tasks_maven': 2,
    'repo_tasks_limit': 10,
    'no_repo_effective_age': 2 * 24 * 3600,
    'queue_file': None,
}

INT_OPTS = ('deleted_repo_lifetime', 'retry_interval', 'max_retries',
            'offline_retry_interval', 'max_delete_processes', 'dist_repo_lifetime',
            'sleeptime', 'expired_repo_lifetime', 'repo_lifetime', 'recheck_period',
            'reference_recheck_period')
STR_OPTS = ('topdir', 'server', 'user', 'password', 'logfile', 'principal', 'keytab',
            'cert', 'serverca', 'ccache')
BOOL_OPTS = ('verbose', 'debug', 'ignore_stray_repos', 'offline_retry', 'no_ssl_verify',
             'check_external_repos', 'ignore_other_volumes')
# options of the classic (<= 1.34) kojira: accepted so old files keep working, unused
LEGACY_OPTS = ('delete_batch_size', 'debuginfo_tags', 'ignore_tags', 'max_repo_tasks',
               'max_repo_tasks_maven', 'no_repo_effective_age', 'queue_file',
               'recent_tasks_lifetime', 'repo_tasks_limit', 'source_tags',
               'separate_source_tags', 'with_src')

CERT_DEFAULTS = {
    'cert': '/etc/kojira/client.crt',
    'serverca': '/etc/kojira/serverca.crt',
}


class ConfigError(Exception):
    """A fatal problem with the configuration (message for stderr, exit code 1)."""


def make_parser():
    parser = optparse.OptionParser('usage: %prog [opts]')
    add = parser.add_option
    add('-c', '--config', dest='configFile', metavar='FILE', default=DEFAULT_CONFIG,
        help='read this configuration file')
    add('--user', help='log in as this user')
    add('--password', help='password for --user')
    add('--principal', help='Kerberos principal to log in with')
    add('--keytab', help='Kerberos keytab for --principal')
    add('-f', '--fg', dest='daemon', action='store_false', default=True,
        help='stay in the foreground, log to stderr too')
    add('-d', '--debug', action='store_true', help='log debug messages')
    add('-q', '--quiet', action='store_true', help='log errors only')
    add('-v', '--verbose', action='store_true', help='log informational messages')
    add('--force-lock', action='store_true', default=False,
        help='take the exclusive session even if another kojira holds it')
    add('--debug-xmlrpc', action='store_true', default=False,
        help='log the XML-RPC traffic')
    add('--skip-main', action='store_true', default=False,
        help='log in, then exit without doing any work')
    add('--show-config', action='store_true', default=False,
        help='print the resulting options and exit')
    add('--sleeptime', type='int', help='seconds between passes')
    add('-s', '--server', help='hub XML-RPC URL')
    add('--topdir', help='koji top directory')
    add('--logfile', help='log file (empty or "none": no file logging)')
    add('--queue-file', help=optparse.SUPPRESS_HELP)
    return parser


def read_file_options(path):
    """Values from kojira.conf, typed; ConfigError on a foreign section or option."""
    config = koji.read_config_files([path])
    for name in config.sections():
        if name != SECTION:
            raise ConfigError('invalid section found in config file: %s' % name)
    values = {}
    if not config.has_section(SECTION):
        return values
    for name in config.options(SECTION):
        try:
            if name in INT_OPTS:
                values[name] = config.getint(SECTION, name)
            elif name in STR_OPTS:
                values[name] = config.get(SECTION, name)
            elif name in BOOL_OPTS:
                values[name] = config.getboolean(SECTION, name)
            elif name in LEGACY_OPTS:
                deprecated('The %s configuration option is no longer used\n' % name)
            else:
                raise ConfigError('unknown config option: %s' % name)
        except ValueError as exc:
            raise ConfigError('bad value for %s: %s' % (name, exc))
    return values


def finish(options):
    """Derived defaults: lifetimes, recheck periods, logfile, certificate paths."""
    if options.deleted_repo_lifetime is not None:
        deprecated('The deleted_repo_lifetime option is deprecated. '
                   'Use expired_repo_lifetime.\n')
        if options.expired_repo_lifetime is not None:
            sys.stderr.write('Ignoring deleted_repo_lifetime because expired_repo_lifetime '
                             'was specified\n')
        else:
            options.expired_repo_lifetime = options.deleted_repo_lifetime
    elif options.expired_repo_lifetime is None:
        options.expired_repo_lifetime = WEEK
    if options.reference_recheck_period is None:
        options.reference_recheck_period = options.recheck_period
    if options.logfile in ('', 'None', 'none'):
        options.logfile = None
    for name, path in CERT_DEFAULTS.items():
        if getattr(options, name, None) is None and os.path.exists(path):
            setattr(options, name, path)
    return options


def get_options(argv=None):
    """Command line over kojira.conf over the defaults; ConfigError when fatal."""
    options, _args = make_parser().parse_args(argv)
    values = dict(DEFAULTS)
    values.update(read_file_options(options.configFile))
    for name, value in values.items():
        if getattr(options, name, None) is None:
            setattr(options, name, value)
    return finish(options)
