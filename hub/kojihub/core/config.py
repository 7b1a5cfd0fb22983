"""hub.conf: the option table, reading the files, and applying process-wide settings.

The hub only knows the options listed in ``CONFIG_MAP``; everything a request needs is
copied into ``context.opts`` from the dict that ``load_config`` returns.
"""
import configparser
import logging
import os
import re
import resource

logger = logging.getLogger('koji.hub.config')

DEFAULT_CONFIG_FILE = '/etc/koji-hub/hub.conf'
DEFAULT_CONFIG_DIR = '/etc/koji-hub/hub.conf.d'

# WSGI environ keys (set with SetEnv in httpd.conf); the OS environment variables are a
# convenience for development servers that cannot set per-request environ values.
ENVIRON_CONFIG_FILE = 'koji.hub.ConfigFile'
ENVIRON_CONFIG_DIR = 'koji.hub.ConfigDir'
OS_ENV_CONFIG_FILE = 'KOJI_HUB_CONFIG'
OS_ENV_CONFIG_DIR = 'KOJI_HUB_CONFIG_DIR'

_DEFAULT_LOG_FORMAT = ('%(asctime)s [%(levelname)s] m=%(method)s u=%(user_name)s p=%(process)s '
                       'r=%(remoteaddr)s %(name)s: %(message)s')

RLIMIT_OPTIONS = ('RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE',
                  'RLIMIT_MEMLOCK', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_OFILE',
                  'RLIMIT_RSS', 'RLIMIT_STACK')

# (name, type, default) -- order follows the reference table
CONFIG_MAP = [
    ('DBName', 'string', None),
    ('DBUser', 'string', None),
    ('DBHost', 'string', None),
    ('DBhost', 'string', None),
    ('DBPort', 'integer', None),
    ('DBPass', 'string', None),
    ('DBConnectionString', 'string', None),
    ('KojiDir', 'string', None),

    ('ProxyPrincipals', 'string', ''),
    ('HostPrincipalFormat', 'string', None),
    ('AllowedKrbRealms', 'string', '*'),
    ('DisableURLSessions', 'boolean', False),
    ('DNUsernameComponent', 'string', 'CN'),
    ('ProxyDNs', 'string', ''),
    ('CheckClientIP', 'boolean', True),
    ('LoginCreatesUser', 'boolean', True),
    ('AllowProxyAuthType', 'boolean', False),

    ('KojiWebURL', 'string', 'http://localhost.localdomain/koji'),
    ('EmailDomain', 'string', None),
    ('NotifyOnSuccess', 'boolean', True),
    ('DisableNotifications', 'boolean', False),

    ('Plugins', 'string', ''),
    ('PluginPath', 'string', '/usr/lib/koji-hub-plugins'),

    ('KojiDebug', 'boolean', False),
    ('KojiTraceback', 'string', None),
    ('VerbosePolicy', 'boolean', False),
    ('LogLevel', 'string', 'WARNING'),
    ('LogFormat', 'string', _DEFAULT_LOG_FORMAT),
    ('MissingPolicyOk', 'boolean', True),
    ('EnableMaven', 'boolean', False),
    ('EnableWin', 'boolean', False),
] + [(name, 'string', None) for name in RLIMIT_OPTIONS] + [
    ('MemoryWarnThreshold', 'integer', 5000),
    ('MaxRequestLength', 'integer', 4194304),
    ('LockOut', 'boolean', False),
    ('ServerOffline', 'boolean', False),
    ('OfflineMessage', 'string', None),

    ('MaxNameLengthInternal', 'integer', 256),
    ('RegexNameInternal', 'string', r'^[A-Za-z0-9/_.+-]+$'),
    ('RegexUserName', 'string', r'^[A-Za-z0-9/_.@-]+$'),
    ('RPMDefaultChecksums', 'string', 'md5 sha256'),
    ('SessionRenewalTimeout', 'integer', 1440),

    # scheduler
    ('MaxJobs', 'integer', 15),
    ('CapacityOvercommit', 'integer', 5),
    ('ReadyTimeout', 'integer', 180),
    ('AssignTimeout', 'integer', 300),
    ('SoftRefusalTimeout', 'integer', 900),
    ('HostTimeout', 'integer', 900),
    ('RunInterval', 'integer', 60),

    # repo queue
    ('MaxRepoTasks', 'integer', 10),
    ('MaxRepoTasksMaven', 'integer', 2),
    ('RepoRetries', 'integer', 3),
    ('RequestCleanTime', 'integer', 1440),
    ('AllowNewRepo', 'boolean', True),
    ('RepoLag', 'integer', 3600),
    ('RepoAutoLag', 'integer', 7200),
    ('RepoLagWindow', 'integer', 600),
    ('RepoQueueUser', 'string', 'kojira'),
    ('DebuginfoTags', 'string', ''),
    ('SourceTags', 'string', ''),
    ('SeparateSourceTags', 'string', ''),
]

OPTION_TYPES = {name: otype for name, otype, _ in CONFIG_MAP}

# Rule texts used for any policy that [policy] leaves out.  The exact whitespace is part of
# the interface (showOpts prints these strings).
DEFAULT_POLICIES = {
    'build_rpm': '''
            all :: allow
            ''',
    'build_from_srpm': '''
            has_perm admin :: allow
            all :: deny Only admin can do this via default policy
            ''',
    'build_from_repo_id': '''
            has_perm admin :: allow
            all :: deny Only admin can do this via default policy
            ''',
    'build_from_scm': '''
            has_perm admin :: allow
            # match scm_type CVS CVS+SSH && match scm_host scm.example.com && match scm_repository /cvs/example :: allow
            # match scm_type GIT GIT+SSH && match scm_host git.example.org && match scm_repository /example :: allow
            # match scm_type SVN SVN+SSH && match scm_host svn.example.org && match scm_repository /users/* :: allow
            all :: deny Only admin can do this via default policy
            ''',  # noqa: E501
    'package_list': '''
            has_perm admin :: allow
            has_perm tag :: allow
            all :: deny Only admin/tag can do this via default policy
            ''',
    'channel': '''
            has req_channel :: req
            is_child_task :: parent
            all :: use default
            ''',
    'vm': '''
            has_perm admin win-admin :: allow
            all :: deny Only admin/win-admin can do this via default policy
           ''',
    'cg_import': '''
            all :: allow
            ''',
    'volume': '''
            all :: DEFAULT
            ''',
    'priority': '''
            all :: stay
            ''',
    'draft_promotion': '''
            has_perm draft-promoter :: allow
            is_build_owner :: allow
            all :: deny Only draft-promoter and build owner can do this via default policy
            ''',
}


def config_paths(environ=None):
    """Return (config file, config dir) for a request environ, with dev fallbacks."""
    environ = environ or {}
    cfile = (environ.get(ENVIRON_CONFIG_FILE) or os.environ.get(OS_ENV_CONFIG_FILE)
             or DEFAULT_CONFIG_FILE)
    cdir = (environ.get(ENVIRON_CONFIG_DIR) or os.environ.get(OS_ENV_CONFIG_DIR)
            or DEFAULT_CONFIG_DIR)
    return cfile, cdir


def read_config_files(cfile, cdir):
    """Parse the dir's ``*.conf`` files (sorted) and then the main file, which must exist.

    Reading the file last lets it override drop-ins.  Interpolation is off so that
    values such as LogFormat may contain ``%``.
    """
    import koji
    parser = configparser.RawConfigParser()
    if cdir and os.path.isdir(cdir):
        for fname in sorted(os.listdir(cdir)):
            path = os.path.join(cdir, fname)
            if fname.endswith('.conf') and os.path.isfile(path):
                _read_one(parser, path)
    if not os.path.isfile(cfile):
        raise koji.ConfigurationError('hub config file not found: %s' % cfile)
    _read_one(parser, cfile)
    return parser


def _read_one(parser, path):
    import koji
    try:
        with open(path) as fp:
            parser.read_file(fp, source=path)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise koji.ConfigurationError('cannot parse %s: %s' % (path, exc))


def option_default(name):
    """Default value of one option."""
    for oname, _, default in CONFIG_MAP:
        if oname == name:
            return default
    raise KeyError(name)


def default_options():
    """The option dict a hub gets when hub.conf sets nothing (policy texts included)."""
    opts = {name: default for name, _, default in CONFIG_MAP}
    opts['policy'] = dict(DEFAULT_POLICIES)
    return opts


def options_from_parser(parser):
    """Build the options dict from a parsed config (unknown [hub] options are ignored)."""
    import koji
    opts = {}
    for name, otype, default in CONFIG_MAP:
        if not parser.has_option('hub', name):
            opts[name] = default
            continue
        try:
            if otype == 'integer':
                opts[name] = parser.getint('hub', name)
            elif otype == 'boolean':
                opts[name] = parser.getboolean('hub', name)
            else:
                opts[name] = parser.get('hub', name)
        except ValueError as exc:
            raise koji.ConfigurationError('invalid value for %s: %s' % (name, exc))
    policy = {}
    if parser.has_section('policy'):
        policy.update(parser.items('policy'))
    for pname, text in DEFAULT_POLICIES.items():
        policy.setdefault(pname, text)
    opts['policy'] = policy
    return opts


def postprocess(opts):
    """Resolve aliases, compile regexes and point the koji path helper at KojiDir."""
    import koji
    if opts.get('DBHost') is None:
        opts['DBHost'] = opts.get('DBhost')
    if opts.get('RLIMIT_NOFILE') is None:
        opts['RLIMIT_NOFILE'] = opts.get('RLIMIT_OFILE')
    if opts.get('KojiDir') is not None:
        koji.BASEDIR = opts['KojiDir']
        pathinfo = getattr(koji, 'pathinfo', None)
        if pathinfo is not None:
            pathinfo.topdir = opts['KojiDir']
    for name in ('RegexNameInternal', 'RegexUserName'):
        value = opts.get(name)
        if value:
            try:
                opts[name + '.compiled'] = re.compile(value)
            except re.error as exc:
                raise koji.ConfigurationError('invalid regex for %s: %s' % (name, exc))
    return opts


def load_config(environ=None):
    """Read hub.conf (+ hub.conf.d) for this environ and return the finished options."""
    cfile, cdir = config_paths(environ)
    parser = read_config_files(cfile, cdir)
    return postprocess(options_from_parser(parser))


def db_options(opts):
    """Translate hub options into the keyword arguments of ``db.provideDBopts``."""
    mapping = (('DBName', 'dbname'), ('DBUser', 'user'), ('DBPass', 'password'),
               ('DBHost', 'host'), ('DBPort', 'port'), ('DBConnectionString', 'dsn'))
    return {key: opts[name] for name, key in mapping if opts.get(name) is not None}


def setup_rlimits(opts, logger=logger):
    """Apply RLIMIT_* options ('SOFT [HARD]'; a missing hard limit keeps the current one)."""
    for name in RLIMIT_OPTIONS:
        value = opts.get(name)
        if not value:
            continue
        rname = 'RLIMIT_NOFILE' if name == 'RLIMIT_OFILE' else name
        if name == 'RLIMIT_OFILE' and opts.get('RLIMIT_NOFILE'):
            # already handled (postprocess copies OFILE into NOFILE when unset)
            continue
        resnum = getattr(resource, rname, None)
        if resnum is None:
            logger.warning('resource limit %s is not supported here', name)
            continue
        try:
            parts = [int(x) for x in value.split()]
            if len(parts) not in (1, 2):
                raise ValueError(value)
        except ValueError:
            logger.error('invalid resource limit %s = %r', name, value)
            continue
        current = resource.getrlimit(resnum)
        if len(parts) == 1:
            parts.append(current[1])
        logger.warning('setting resource limit %s = %r', name, parts)
        try:
            resource.setrlimit(resnum, tuple(parts))
        except (ValueError, OSError) as exc:
            logger.error('unable to set %s: %s', name, exc)
