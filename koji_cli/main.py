"""Front end of the ``koji`` command: global options, profiles, plugins and dispatch.

The shape of the command line, the config merge rule and the exit codes are part of
the interface (see cli-global.md); everything a command does lives in its handler.
"""
import logging
import optparse
import os
import re
import sys

import koji
import koji.plugin
import koji_cli.commands
from koji_cli.lib import categories, get_epilog_str, greetings, warn

COMMON_COMMANDS = ('build', 'download-build', 'help', 'latest-build', 'list-targets', 'search')

# Old or short command names and the command they stand for.
ALIASES = {
    'cancel-task': 'cancel',
    'cxl': 'cancel',
    'list-commands': 'help',
    'move-pkg': 'move-build',
    'move': 'move-build',
    'latest-pkg': 'latest-build',
    'tag-pkg': 'tag-build',
    'tag': 'tag-build',
    'untag-pkg': 'untag-build',
    'untag': 'untag-build',
    'watch-tasks': 'watch-task',
}

HANDLER_PREFIXES = ('anon_handle_', 'handle_')

logger = logging.getLogger('koji')

# Every known handler by function name; core commands first, plugins layered on top.
_handlers = {}


def get_progname():
    """Name we were called by; it also picks the default profile."""
    return os.path.basename(sys.argv[0]) or 'koji'


class GlobalOptionParser(optparse.OptionParser):
    """Parser that prints its epilog verbatim; optparse would re-wrap the lines."""

    def format_epilog(self, formatter):
        return self.epilog or ''


def build_parser(progname):
    """The parser for the options that come before the command word."""
    usage = ("%%prog [global-options] command [command-options-and-arguments]"
             "\n\nCommon commands: %s" % ', '.join(COMMON_COMMANDS))
    parser = GlobalOptionParser(usage=usage, prog=progname,
                                epilog=get_epilog_str(progname))
    parser.disable_interspersed_args()
    add = parser.add_option
    add("-p", "--profile", default=progname,
        help="configuration profile to use (default: %s)" % progname)
    add("-c", "--config", dest="configFile", metavar="FILE",
        help="read this config file or directory instead of your own config")
    add("--keytab", metavar="FILE", help="keytab to use for Kerberos login")
    add("--principal", help="Kerberos principal to log in as")
    add("--cert", metavar="FILE", help="client certificate for SSL login")
    add("--runas", help="act on behalf of another user (special privileges needed)")
    add("--user", help="user name for password login")
    add("--password", help="password for password login")
    add("--noauth", action="store_true", default=False, help="do not log in at all")
    add("--force-auth", action="store_true", default=None,
        help="log in even for commands that could run anonymously")
    add("--authtype", help="only try this login method: noauth, ssl, password or kerberos")
    add("-d", "--debug", action="store_true", help="print debugging output")
    add("--debug-xmlrpc", action="store_true", help="print the XML-RPC traffic")
    add("-q", "--quiet", action="store_true", default=False, help="print less")
    add("--skip-main", action="store_true", default=False,
        help="kept for compatibility; it has no effect")
    add("-s", "--server", help="URL of the hub")
    add("--topdir", help="local directory holding the koji file store")
    add("--weburl", help="URL of the web interface")
    add("--topurl", help="URL of the koji file store")
    add("--pkgurl", help=optparse.SUPPRESS_HELP)
    add("--plugin-paths", metavar="PATHS",
        help="more directories to load CLI plugins from, separated by ':'")
    add("--help-commands", action="store_true", default=False,
        help="list the available commands and exit")
    return parser


def setup_logging():
    """Send the client's log records to stderr in the upstream line format.

    Safe to call again (main() run twice in one process): the handler is replaced when
    it was removed or sys.stderr has changed since.
    """
    old = getattr(logger, '_koji_cli_handler', None)
    if old is None or old not in logger.handlers or old.stream is not sys.stderr:
        if old is not None:
            logger.removeHandler(old)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(
            '%(asctime)s [%(levelname)s] %(name)s: %(message)s'))
        handler.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        logger._koji_cli_handler = handler
    logger.setLevel(logging.WARNING)


def _apply_pkgurl(options):
    """pkgurl was replaced by topurl; translate it when we can and say so."""
    if not options.pkgurl:
        return
    if options.topurl:
        warn("Warning: the pkgurl option is obsolete")
        return
    topurl = re.sub(r'/packages/?$', '', options.pkgurl)
    if topurl != options.pkgurl:
        warn("Warning: the pkgurl option is obsolete, using topurl=%r" % topurl)
        options.topurl = topurl
    else:
        warn("Warning: The pkgurl option is obsolete, please use topurl instead")


def _explicit_anon_retry(options):
    """The profile's own anon_retry value, or None when the files do not set it.

    The library default is False, but the command line client retries anonymous
    calls unless the profile says otherwise.
    """
    user = os.path.expanduser('~/.koji')
    files = [('/etc/koji.conf.d', False), ('/etc/koji.conf', False)]
    if options.configFile:
        files.append((os.path.expanduser(options.configFile), True))
    else:
        files.extend([(os.path.join(user, 'config.d'), False),
                      (os.path.join(user, 'config'), False)])
    try:
        parser = koji.read_config_files(files)
        if parser.has_option(options.profile, 'anon_retry'):
            return parser.getboolean(options.profile, 'anon_retry')
    except Exception:
        pass
    return None


def _maybe_reexec(options):
    """Honour the ``pyver`` config key by restarting under another interpreter."""
    pyver = getattr(options, 'pyver', None)
    if not pyver or pyver == sys.version_info[0]:
        return
    if pyver not in (2, 3):
        logger.error('Invalid python version requested: %s', pyver)
        sys.exit(1)
    executable = '/usr/bin/python%s' % pyver
    if not os.path.exists(executable):
        logger.error('No such file: %s', executable)
        sys.exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(executable, [executable] + sys.argv)


def register_core_handlers():
    """Collect the handlers shipped with the client."""
    _handlers.clear()
    for name in dir(koji_cli.commands):
        if name.startswith(HANDLER_PREFIXES):
            value = getattr(koji_cli.commands, name)
            if callable(value):
                _handlers[name] = value


def plugin_dirs(options):
    """Plugin directories in load order; later ones override earlier ones."""
    pyver = 'python%s.%s' % sys.version_info[:2]
    dirs = [os.path.join(sys.prefix, libdir, pyver, 'site-packages', 'koji_cli_plugins')
            for libdir in ('lib', 'lib64')]
    dirs.append(os.path.expanduser('~/.koji/plugins'))
    if getattr(options, 'plugin_paths', None):
        extra = [os.path.expanduser(p) for p in options.plugin_paths.split(':')]
        # the first listed path must win, so it is loaded last
        dirs.extend(reversed(extra))
    return dirs


def load_plugins(path):
    """Load every ``*.py`` in a directory and register its exported CLI handlers."""
    tracker = koji.plugin.PluginTracker(path=path)
    for filename in sorted(os.listdir(path)):
        fullpath = os.path.join(path, filename)
        if not filename.endswith('.py') or not os.path.isfile(fullpath):
            continue
        register_plugin_module(tracker.load(filename[:-3], path=path, reload=True))


def register_plugin_module(module):
    """Make the module's ``@export_cli`` handlers commands (replacing same-named ones)."""
    for value in vars(module).values():
        if isinstance(value, type) or not callable(value):
            continue
        if getattr(value, 'exported_cli', False):
            name = getattr(value, 'export_alias', None) or value.__name__
            _handlers[name] = value


def load_entry_point_plugins():
    """Installed packages' CLI plugins: entry points of group koji.cli.plugins, each
    naming a module (docs/plugins.md).  They load before the plugin directories, so a
    file there still overrides a command of the same name."""
    import importlib.metadata
    for ep in sorted(importlib.metadata.entry_points(group='koji.cli.plugins'),
                     key=lambda ep: ep.name):
        try:
            register_plugin_module(ep.load())
        except Exception as exc:
            sys.stderr.write('Failed to load CLI plugin %s: %s\n' % (ep.name, exc))


def load_all_plugins(options):
    load_entry_point_plugins()
    for path in plugin_dirs(options):
        if os.path.isdir(path):
            load_plugins(path)


def command_handlers():
    """(command name, handler) pairs sorted by command name."""
    found = []
    for name, func in _handlers.items():
        for prefix in HANDLER_PREFIXES:
            if name.startswith(prefix):
                found.append((name[len(prefix):].replace('_', '-'), func))
                break
    found.sort(key=lambda item: item[0])
    return found


def list_commands(categories_chosen=None):
    """Print the command listing, grouped by category, followed by the epilog.

    An unknown category fails with KeyError, which the dispatcher reports.
    """
    if categories_chosen is None or 'all' in categories_chosen:
        chosen = sorted(categories)
    else:
        chosen = sorted(set(categories_chosen))
    handlers = command_handlers()
    print("Available commands:")
    for category in chosen:
        print("\n%s:" % categories[category])
        tag = '[%s] ' % category
        for name, func in handlers:
            desc = (func.__doc__ or '').strip().split('\n')[0]
            if desc.startswith(tag):
                desc = desc[len(tag):]
            elif category != 'misc' or desc.startswith('['):
                continue
            print("        %-25s %s" % (name, desc))
    print(get_epilog_str(get_progname()).rstrip('\n'))


def get_options():
    """Parse the global options, merge the profile and find the command handler.

    Returns (options, handler, command arguments).
    """
    progname = get_progname()
    parser = build_parser(progname)
    options, args = parser.parse_args()

    try:
        config = koji.read_config(options.profile, user_config=options.configFile)
    except koji.ConfigurationError as e:
        parser.error(e.args[0])
    # command line values win; the profile only fills what was not given
    for name, value in config.items():
        if getattr(options, name, None) is None:
            setattr(options, name, value)
    for name in ('topdir', 'cert', 'serverca'):
        if getattr(options, name, None):
            setattr(options, name, os.path.expanduser(getattr(options, name)))
    if options.topdir:
        koji.BASEDIR = options.topdir
        koji.pathinfo.topdir = options.topdir
    _apply_pkgurl(options)

    if options.debug:
        logger.setLevel(logging.DEBUG)
    elif options.quiet:
        logger.setLevel(logging.ERROR)
    else:
        logger.setLevel(logging.WARNING)
    _maybe_reexec(options)

    register_core_handlers()
    load_all_plugins(options)

    if options.help_commands or not args:
        list_commands()
        sys.exit(0)

    command = ALIASES.get(args[0], args[0])
    if command.lower() in greetings:
        command = 'moshimoshi'
    command = command.replace('-', '_')
    if 'anon_handle_' + command in _handlers:
        if not options.force_auth and '--mine' not in args:
            options.noauth = True
        handler = _handlers['anon_handle_' + command]
    elif 'handle_' + command in _handlers:
        handler = _handlers['handle_' + command]
    else:
        list_commands()
        logger.error('Unknown command: %s', args[0])
        sys.exit(1)
    return options, handler, args[1:]


def _session_options(options):
    session_opts = koji.grab_session_options(options)
    anon_retry = _explicit_anon_retry(options)
    session_opts['anon_retry'] = True if anon_retry is None else anon_retry
    return session_opts


def _logout(session):
    """Close the hub session at exit; failures here must not change the exit code."""
    try:
        if getattr(session, 'logged_in', False):
            session.logout()
    except Exception:
        pass


def main():
    setup_logging()
    options, handler, args = get_options()
    session = koji.ClientSession(options.server, _session_options(options))
    rv = 0
    try:
        try:
            rv = handler(options, session, args)
        except KeyboardInterrupt:
            rv = 1
        except SystemExit:
            raise
        except Exception as e:
            if options.debug:
                raise
            logger.error('%s: %s', e.__class__.__name__, e)
            rv = 1
    finally:
        _logout(session)
    sys.exit(rv or 0)


if __name__ == '__main__':
    main()
