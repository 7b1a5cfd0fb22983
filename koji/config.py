"""Client configuration: profile lookup in koji.conf files and session option selection."""
import configparser
import os
import types

from koji.exceptions import ConfigurationError

# Profile name -> module copy bound to that profile (see get_profile_module).
PROFILE_MODULES = {}

# Keys a profile may set, with their defaults. Anything else in a profile is ignored.
CONFIG_DEFAULTS = {
    'server': 'http://localhost/kojihub',
    'weburl': 'http://localhost/koji',
    'topurl': None,
    'pkgurl': None,
    'topdir': '/mnt/koji',
    'max_retries': 30,
    'retry_interval': 20,
    'anon_retry': False,
    'offline_retry': False,
    'offline_retry_interval': 20,
    'timeout': 60 * 60 * 12,
    'auth_timeout': 60,
    'use_fast_upload': True,
    'upload_blocksize': 1048576,
    'poll_interval': 6,
    'principal': None,
    'keytab': None,
    'cert': None,
    'serverca': None,
    'no_ssl_verify': False,
    'authtype': None,
    'debug': False,
    'debug_xmlrpc': False,
    'pyver': None,
    'plugin_paths': None,
    'force_auth': False,
}

BOOL_OPTIONS = ('anon_retry', 'offline_retry', 'use_fast_upload', 'debug', 'debug_xmlrpc',
                'force_auth')
INT_OPTIONS = ('max_retries', 'retry_interval', 'offline_retry_interval', 'poll_interval',
               'timeout', 'auth_timeout', 'upload_blocksize', 'pyver')

# Used when a profile does not name them and the file exists.
CERT_DEFAULTS = {
    'cert': '~/.koji/client.crt',
    'serverca': '~/.koji/serverca.crt',
}

SESSION_OPTIONS = (
    'user',
    'password',
    'debug_xmlrpc',
    'debug',
    'max_retries',
    'retry_interval',
    'offline_retry',
    'offline_retry_interval',
    'anon_retry',
    'timeout',
    'auth_timeout',
    'use_fast_upload',
    'upload_blocksize',
    'no_ssl_verify',
    'serverca',
)


def config_directory_contents(dir_name, strict=False):
    """Full paths of the ``*.conf`` files in a directory, sorted by name.

    A missing directory gives an empty list unless ``strict``, which also
    requires at least one file.
    """
    try:
        names = os.listdir(dir_name)
    except FileNotFoundError:
        names = []
    configs = []
    for name in sorted(names):
        if not name.endswith('.conf'):
            continue
        full = os.path.join(dir_name, name)
        if os.path.isfile(full):
            configs.append(full)
    if strict and not configs:
        raise ConfigurationError('No config files found in directory: %s' % dir_name)
    return configs


def read_config_files(config_files, raw=False):
    """Read files and directories (later ones win) into one parser.

    Items are paths or ``(path, strict)`` pairs; a strict path must exist.  A single
    path or pair is taken as a list of one, as upstream's tools pass it.
    """
    if isinstance(config_files, str) or (
            isinstance(config_files, tuple) and len(config_files) == 2
            and isinstance(config_files[1], bool)):
        config_files = [config_files]
    if raw:
        parser = configparser.RawConfigParser()
    else:
        parser = configparser.ConfigParser()
    for item in config_files:
        if isinstance(item, (list, tuple)):
            path, strict = item
        else:
            path, strict = item, False
        if os.path.isdir(path):
            files = config_directory_contents(path, strict=strict)
            if files:
                parser.read(files, encoding='utf-8')
        elif os.path.isfile(path):
            parser.read(path, encoding='utf-8')
        elif strict:
            raise ConfigurationError("Config file %s can't be opened." % path)
    return parser


def _config_paths(user_config):
    paths = ['/etc/koji.conf.d', '/etc/koji.conf']
    if user_config:
        paths.append((os.path.expanduser(user_config), True))
    else:
        paths.append(os.path.expanduser('~/.koji/config.d'))
        paths.append(os.path.expanduser('~/.koji/config'))
    return paths


def read_config(profile_name, user_config=None):
    """Options of one client profile merged over the defaults.

    Reads /etc/koji.conf.d, /etc/koji.conf, then either ``user_config`` (must
    exist) or ~/.koji/config.d and ~/.koji/config.
    """
    parser = read_config_files(_config_paths(user_config))
    if not parser.has_section(profile_name):
        raise ConfigurationError('no configuration for profile name: %s' % profile_name)
    result = dict(CONFIG_DEFAULTS)
    result['profile'] = profile_name
    for name, value in parser.items(profile_name):
        if name not in CONFIG_DEFAULTS:
            continue
        if name in BOOL_OPTIONS:
            try:
                result[name] = parser.getboolean(profile_name, name)
            except ValueError:
                raise ConfigurationError(
                    'value for %s config option must be a valid boolean' % name)
        elif name in INT_OPTIONS:
            try:
                result[name] = int(value)
            except ValueError:
                raise ConfigurationError(
                    'value for %s config option must be a valid integer' % name)
        else:
            result[name] = value
    for name, default in CERT_DEFAULTS.items():
        if result.get(name) is None:
            path = os.path.expanduser(default)
            result[name] = path if os.path.exists(path) else ''
        else:
            result[name] = os.path.expanduser(result[name])
    return result


def grab_session_options(options):
    """The ClientSession options found in an optparse Values object or a dict (None dropped)."""
    if isinstance(options, dict):
        getter = options.get
    else:
        def getter(key):
            return getattr(options, key, None)
    result = {}
    for key in SESSION_OPTIONS:
        value = getter(key)
        if value is not None:
            result[key] = value
    return result


def get_profile_module(profile_name, config=None):
    """A separate ``koji`` namespace whose BASEDIR and pathinfo follow a profile's topdir.

    Lets one process talk to several Koji instances: each profile gets its own
    module object (cached in PROFILE_MODULES) carrying ``config``.
    """
    if profile_name in PROFILE_MODULES:
        return PROFILE_MODULES[profile_name]
    if not config:
        config = read_config(profile_name)
    import koji
    from koji.pathinfo import PathInfo
    mod = types.ModuleType('koji_profile_%s' % profile_name, koji.__doc__)
    for key, value in vars(koji).items():
        if key not in ('__name__', '__doc__', '__spec__', '__loader__'):
            setattr(mod, key, value)
    mod.config = config
    mod.BASEDIR = config['topdir']
    mod.pathinfo = PathInfo(topdir=config['topdir'])
    mod.get_profile_module = get_profile_module
    PROFILE_MODULES[profile_name] = mod
    return mod
