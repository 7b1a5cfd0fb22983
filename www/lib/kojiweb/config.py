"""web.conf: the option table (names, types and defaults as upstream) and loading."""
import os

import koji

CONFIG_FILE = '/etc/kojiweb/web.conf'
CONFIG_DIR = '/etc/kojiweb/web.conf.d'

_LOG_FORMAT = ('%(msecs)d [%(levelname)s] m=%(method)s u=%(user_name)s p=%(process)s '
               'r=%(remoteaddr)s %(name)s: %(message)s')

OPTIONS = [
    ('SiteName', 'string', None),
    ('KojiHubURL', 'string', 'http://localhost/kojihub'),
    ('KojiFilesURL', 'string', 'http://localhost/kojifiles'),
    ('KojiTheme', 'string', None),
    ('KojiGreeting', 'string', 'Welcome to Koji Web'),
    ('LiteralFooter', 'boolean', True),
    ('WebPrincipal', 'string', None),
    ('WebKeytab', 'string', '/etc/httpd.keytab'),
    ('WebCCache', 'string', '/var/tmp/kojiweb.ccache'),
    ('KrbService', 'string', 'host'),
    ('KrbRDNS', 'boolean', True),
    ('KrbCanonHost', 'boolean', False),
    ('KrbServerRealm', 'string', None),
    ('WebAuthType', 'string', None),
    ('WebCert', 'string', None),
    ('KojiHubCA', 'string', '/etc/kojiweb/kojihubca.crt'),
    ('PythonDebug', 'boolean', False),
    ('LoginTimeout', 'integer', 72),
    ('Secret', 'string', None),
    ('LoginDisabled', 'boolean', False),
    ('LibPath', 'string', '/usr/share/koji-web/lib'),
    ('LogLevel', 'string', 'WARNING'),
    ('LogFormat', 'string', _LOG_FORMAT),
    ('Tasks', 'list', []),
    ('ToplevelTasks', 'list', []),
    ('ParentTasks', 'list', []),
    ('MBS_WEB_URL', 'string', None),
] + [('RLIMIT_' + name, 'string', None) for name in (
    'AS', 'CORE', 'CPU', 'DATA', 'FSIZE', 'MEMLOCK', 'NOFILE', 'NPROC', 'OFILE', 'RSS',
    'STACK')]


class HiddenValue(object):
    """Keeps the Secret out of tracebacks and log lines that print the options."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return 'HiddenValue()'


def _convert(kind, raw):
    if kind == 'boolean':
        text = raw.strip().lower()
        if text in ('1', 'yes', 'true', 'on'):
            return True
        if text in ('0', 'no', 'false', 'off'):
            return False
        raise koji.GenericError('invalid boolean: %r' % raw)
    if kind == 'integer':
        return int(raw)
    if kind == 'list':
        return [item.strip() for item in raw.split(',') if item.strip()]
    return raw


def load(environ):
    """The options of web.conf (+ web.conf.d) named by the environ, or the defaults."""
    cfile = environ.get('koji.web.ConfigFile', CONFIG_FILE)
    cdir = environ.get('koji.web.ConfigDir', CONFIG_DIR)
    files = []
    if cdir and os.path.isdir(cdir):
        files = koji.config_directory_contents(cdir)
    if cfile and os.path.exists(cfile):
        files = [cfile] + files
    parser = koji.read_config_files(files, raw=True) if files else None
    opts = {}
    for name, kind, default in OPTIONS:
        value = default
        if parser is not None and parser.has_option('web', name):
            value = _convert(kind, parser.get('web', name))
        if name == 'Secret':
            value = HiddenValue(value)
        opts[name] = value
    return opts
