"""koji-gc's command line and its [main] config twins (config values become defaults)."""
import configparser
import optparse
import os

import koji

from ..common import parse_duration

DEFAULT_CONFIG = '/etc/koji-gc/koji-gc.conf'
ACTIONS = ('prune', 'trash', 'delete', 'salvage')
DEFAULT_ACTIONS = ('delete', 'prune', 'trash')
CERT_DEFAULTS = {
    'cert': '/etc/koji-gc/client.crt',
    'serverca': '/etc/koji-gc/serverca.crt',
}

# [main] key -> type; lists are comma separated
CONFIG_KEYS = (
    ('test', 'boolean'), ('debug', 'boolean'), ('keytab', 'string'),
    ('principal', 'string'), ('runas', 'string'), ('user', 'string'),
    ('password', 'string'), ('noauth', 'boolean'), ('cert', 'string'),
    ('serverca', 'string'), ('server', 'string'), ('weburl', 'string'),
    ('smtp_host', 'string'), ('smtp_user', 'string'), ('smtp_pass', 'string'),
    ('from_addr', 'string'), ('cc_addr', 'list'), ('bcc_addr', 'list'),
    ('email_template', 'string'), ('email_domain', 'string'), ('mail', 'boolean'),
    ('delay', 'string'), ('unprotected_keys', 'string'), ('tag_filter', 'list'),
    ('ignore_tags', 'list'), ('pkg_filter', 'list'), ('bypass_locks', 'list'),
    ('grace_period', 'string'), ('trashcan_tag', 'string'), ('purge', 'boolean'),
    ('no_ssl_verify', 'boolean'), ('timeout', 'integer'), ('lock_file', 'string'),
    ('exit_on_lock', 'boolean'),
)


def make_parser():
    parser = optparse.OptionParser(usage='%prog [options]')
    add = parser.add_option
    add('-c', '--config-file', metavar='FILE', default=DEFAULT_CONFIG,
        help='read this configuration file')
    add('--keytab', help='Kerberos keytab for --principal')
    add('--principal', help='Kerberos principal to log in as')
    add('--runas', metavar='USER', help='act as this user (needs proxy rights on the hub)')
    add('--user', help='log in as this user (password login)')
    add('--password', help='password for --user')
    add('--noauth', action='store_true', default=False, help='stay anonymous')
    add('--network-hack', action='store_true', default=False, help=optparse.SUPPRESS_HELP)
    add('--cert', help='client certificate (SSL login)')
    add('--serverca', help='certificate of the CA that signed the hub certificate')
    add('-n', '--test', action='store_true', default=False,
        help='report what would be done, change nothing')
    add('-d', '--debug', action='store_true', default=False, help='print debug messages')
    add('--debug-xmlrpc', action='store_true', default=False,
        help='print the XML-RPC traffic')
    add('--smtp-host', metavar='HOST', default='localhost', help='mail server for notices')
    add('--smtp-user', dest='smtp_user', metavar='USER', help='mail server login')
    add('--smtp-pass', dest='smtp_pass', metavar='PASSWORD', help=optparse.SUPPRESS_HELP)
    add('--no-mail', action='store_false', default=True, dest='mail',
        help='send no notices')
    add('--send-mail', action='store_true', dest='mail', help='send notices')
    add('--email-domain', default='fedoraproject.org',
        help='domain added to user names to make notice addresses')
    add('--from-addr', default='Koji Build System <buildsys@example.com>',
        help='sender of the notices')
    add('--cc-addr', action='append', metavar='EMAIL_ADDRESS',
        help='copy notices to this address (repeatable)')
    add('--bcc-addr', action='append', metavar='EMAIL_ADDRESS',
        help='blind-copy notices to this address (repeatable)')
    add('--email-template', default='/etc/koji-gc/email.tpl',
        help='template of the notice ($owner, $builds)')
    add('--action', help='actions to run: prune, trash, delete, salvage')
    add('--delay', metavar='INTERVAL', default='5 days',
        help='how long a build stays unreferenced before it goes to the trashcan')
    add('--grace-period', default='4 weeks', metavar='INTERVAL',
        help='how long builds stay in the trashcan before deletion')
    add('--skip-main', action='store_true', default=False,
        help='set up and log in, do no work')
    add('--unprotected-keys', metavar='KEYS',
        help='signing keys that do not protect a build from deletion')
    add('--tag-filter', '--tag', metavar='PATTERN', action='append',
        help='prune only tags matching PATTERN')
    add('--ignore-tags', metavar='PATTERN', action='append',
        help='do not prune tags matching PATTERN')
    add('--pkg-filter', '--pkg', '--package', metavar='PATTERN', action='append',
        help='handle only packages matching PATTERN')
    add('--bypass-locks', metavar='PATTERN', action='append',
        help='prune locked tags matching PATTERN anyway')
    add('--purge', action='store_true', default=False,
        help='delete builds the prune step left untagged everywhere')
    add('--trashcan-tag', default='trashcan', metavar='TAG', help='name of the trashcan tag')
    add('--weburl', default='http://localhost/koji', metavar='URL',
        help='koji web address used in notices')
    add('-s', '--server', help='hub XML-RPC address')
    add('--lock-file', help='lock file held while running (default '
        '/run/user/<uid>/koji-gc.lock; /var/lock/koji-gc.lock for the service)')
    add('--exit-on-lock', action='store_true',
        help='exit instead of waiting when another run holds the lock')
    add('--ccache', default='/var/tmp/koji-gc.ccache', help='Kerberos credential cache')
    return parser


def _apply_config(config, defaults, debug):
    for name, kind in CONFIG_KEYS:
        if not config.has_option('main', name):
            continue
        if debug:
            print('Using option %s from config file' % (('main', name),))
        if kind == 'integer':
            value = config.getint('main', name)
        elif kind == 'boolean':
            value = config.getboolean('main', name)
        elif kind == 'list':
            value = config.get('main', name)
            if value is not None:
                value = value.split(',')
        else:
            value = config.get('main', name)
        setattr(defaults, name, value)


def _key_aliases(config):
    aliases = {}
    if config.has_option('main', 'key_aliases'):
        for line in config.get('main', 'key_aliases').splitlines():
            parts = line.split()
            if len(parts) >= 2:
                aliases[parts[0].upper()] = parts[1]
    return aliases


def get_options(argv=None):
    """Parse twice: first for the config file, then with its values as defaults."""
    parser = make_parser()
    options, args = parser.parse_args(argv)
    defaults = parser.get_default_values()
    try:
        config = koji.read_config_files([options.config_file])
    except (koji.ConfigurationError, configparser.Error) as exc:
        parser.error('Could not read config file %s: %s' % (options.config_file, exc))
    try:
        _apply_config(config, defaults, options.debug)
    except ValueError as exc:
        parser.error('Invalid value in config file: %s' % exc)
    options, args = parser.parse_args(argv, values=defaults)
    options.config = config
    if args:
        parser.error("This command doesn't take any arguments.")

    if options.action:
        options.action = options.action.lower().replace(',', ' ').split()
        for action in options.action:
            if action not in ACTIONS:
                parser.error('Invalid action: %s' % action)
    else:
        options.action = DEFAULT_ACTIONS
    if options.unprotected_keys:
        options.unprotected_key_patterns = options.unprotected_keys.replace(',', ' ').split()
    else:
        options.unprotected_key_patterns = []
    options.key_aliases = _key_aliases(config)
    for key in ('delay', 'grace_period'):
        value = getattr(options, key)
        try:
            setattr(options, key, parse_duration(value))
        except (ValueError, AttributeError):
            parser.error('Invalid time interval: %s' % value)
        if options.debug:
            print('%s: %s seconds' % (key, getattr(options, key)))
    for name, path in CERT_DEFAULTS.items():
        if getattr(options, name, None) is None and os.path.exists(path):
            setattr(options, name, path)
    template = options.email_template
    if not template or not os.access(template, os.F_OK):
        parser.error('No such file: %s' % template)
    if not options.lock_file:
        options.lock_file = '/run/user/%d/koji-gc.lock' % os.getuid()
    return options, args
