"""koji-shadow's command line; every option may also be set in [main] under its dest."""
import configparser
import optparse

import koji


def make_parser():
    parser = optparse.OptionParser(usage='%prog [options] <tag>')
    add = parser.add_option
    add('-c', '--config-file', metavar='FILE', help='read this configuration file')
    add('--keytab', help='Kerberos keytab for --principal')
    add('--principal', help='Kerberos principal to log in as')
    add('--runas', metavar='USER', help='act as this user (needs proxy rights on the hub)')
    add('--user', help='log in as this user (password login)')
    add('--password', help='password for --user')
    add('--noauth', action='store_true', default=False, help='stay anonymous')
    add('-n', '--test', action='store_true', default=False,
        help='report what would be done, change nothing')
    add('-d', '--debug', action='store_true', default=False, help='print debug messages')
    add('--first-one', action='store_true', default=False,
        help='stop after the first build of the tag (for debugging)')
    add('--debug-xmlrpc', action='store_true', default=False,
        help='print the XML-RPC traffic')
    add('--skip-main', action='store_true', default=False,
        help='set up and log in, do no work')
    add('--max-jobs', type='int', default=0,
        help='at most this many rebuilds at a time (0: no limit)')
    add('--build', help='shadow only this build (NVR or id)')
    add('-s', '--server', help='XML-RPC address of the local hub')
    add('-r', '--remote', help='XML-RPC address of the remote hub')
    add('--prefer-new', action='store_true', default=False,
        help='use a newer local build of a dependency instead of rebuilding the remote one')
    add('--import-noarch-only', action='store_true', default=False,
        help='import missing noarch builds and nothing else')
    add('--import-noarch', action='store_true',
        help='import missing noarch builds instead of rebuilding them')
    add('--link-imports', action='store_true',
        help='write imported files straight into the local work directory')
    add('--remote-topurl', help='address of the remote topdir (files are fetched there)')
    add('--workpath', default='/var/tmp/koji-shadow', help='directory for downloads')
    add('--auth-cert', help='client certificate (SSL login)')
    add('--auth-ca', help=optparse.SUPPRESS_HELP)
    add('--serverca', help='certificate of the CA that signed the hub certificate')
    add('--rules', help='rules')
    add('--rules-greylist', help='greylist: NVR globs accepted as deps, never shadowed')
    add('--rules-blacklist', help='blacklist: NVR globs never shadowed')
    add('--rules-ignorelist', help='package name globs to leave out entirely')
    add('--rules-excludelist',
        help='package globs excluded by ExcludeArch/ExclusiveArch (added to the ignorelist)')
    add('--rules-includelist', help='local builds always added to shadow buildroots')
    add('--rules-protectlist', help='package names never replaced by substitutes')
    add('--tag-build', action='store_true', default=False,
        help='tag builds that succeed into the tag being shadowed (default: do not)')
    add('--logfile', help='also write the log to this file')
    add('--arches', help='arches of the buildroot tags created')
    add('--priority', type='int', default=5, help='priority of the submitted builds')
    return parser


def get_options(argv=None):
    """Parse twice: the second time with [main] values of the config file as defaults.

    Returns (options, args, messages) where messages are the log lines of config use.
    """
    parser = make_parser()
    options, args = parser.parse_args(argv)
    defaults = parser.get_default_values()
    if not options.config_file:
        # upstream never applies its intended default file: -c is effectively required
        parser.error('a config file is required (-c/--config-file)')
    try:
        config = koji.read_config_files([(options.config_file, True)])
    except (koji.ConfigurationError, configparser.Error) as exc:
        parser.error(str(exc))
    messages = []
    for opt in parser.option_list:
        name = opt.dest
        if not name or not config.has_option('main', name):
            continue
        messages.append('Using option %s from config file' % (('main', name),))
        try:
            if opt.action in ('store_true', 'store_false'):
                setattr(defaults, name, config.getboolean('main', name))
            elif opt.action != 'store':
                continue
            elif opt.type == 'int':
                setattr(defaults, name, config.getint('main', name))
            else:
                setattr(defaults, name, config.get('main', name))
        except ValueError as exc:
            parser.error('Invalid value for %s in config file: %s' % (name, exc))
    options, args = parser.parse_args(argv, values=defaults)
    options.config = config
    try:
        read_config_only(options, config)
    except ValueError as exc:
        parser.error('Invalid value in config file: %s' % exc)
    return options, args, messages


# [main] keys without a command line twin (upstream reads none of them): retries of both
# sessions, so an unreachable remote fails in seconds rather than after ten minutes, and
# the local hub's topdir, where --link-imports writes
CONFIG_ONLY = (('max_retries', int), ('retry_interval', int), ('topdir', str))


def read_config_only(options, config):
    for name, conv in CONFIG_ONLY:
        value = None
        if config.has_option('main', name):
            value = conv(config.get('main', name))
        setattr(options, name, value)
    if options.topdir is None:
        options.topdir = koji.BASEDIR
