"""Multilib policy: which 64-bit packages also want their 32-bit build in a dist repo.

The methods and the config file (multilib.conf: ``[runtime]`` and ``[devel]`` with
``white`` / ``black`` lists, ``[multilib]`` with ``packages``) are those of python-multilib,
which upstream's kojid uses (its distRepo asks for the devel method only); this is our own
implementation of its selection rules, working on ``Package`` records read from rpm headers.

How python-multilib matches the lists (kept here so that a multilib.conf selects the same
packages on both): it never splits an option value.  The white / black lists are tested
with ``name in value``, a *substring* test on the raw text, so ``black = httpd`` also
blacklists ``http`` and ``ttp``; the file method iterates the value and so uses each
*character* as an fnmatch pattern (a ``*`` anywhere picks every package, otherwise only
one-letter names can match).
"""
import configparser
import fnmatch
import os

import koji

# tools people want in their 64-bit flavour next to a 32-bit userland
PREFER_64 = frozenset(('gdb', 'frysk', 'systemtap', 'systemtap-runtime', 'ltrace', 'strace'))

ROOT_LIBDIRS = frozenset(('/lib', '/lib64'))
USR_LIBDIRS = frozenset(('/usr/lib', '/usr/lib64'))
LIBDIRS = ROOT_LIBDIRS | USR_LIBDIRS
# plugin dirs whose content is loaded into a process of either word size
PLUGIN_DIRS = frozenset(
    [os.path.join(lib, sub) for lib in USR_LIBDIRS
     for sub in ('alsa-lib', 'dri', 'gtk-2.0/modules', 'gtk-2.0/immodules', 'krb5/plugins',
                 'sasl2', 'vdpau')]
    + [os.path.join(lib, 'security') for lib in ROOT_LIBDIRS]
    + ['/etc/lsb-release.d'])
GTK2_PATTERNS = tuple('/usr/lib*/gtk-2.0/*/%s' % sub for sub in (
    'engines', 'modules', 'immodules', 'loaders', 'printbackends', 'filesystems'))
USR_PLUGIN_PATTERNS = ('/usr/lib*/qt*/plugins/*', '/usr/lib*/kde*/plugins/*',
                       '/usr/lib*/qt5/qml/*', '/usr/lib*/gdk-pixbuf-2.0/*/loaders',
                       '/usr/lib*/xine/plugins/*')


class Package(object):
    """What the methods look at: name, arch, provided names and file paths."""

    def __init__(self, name, arch, provides=(), files=()):
        self.name = name
        self.arch = arch
        self.provides = list(provides)
        self.files = list(files)

    @classmethod
    def from_header(cls, hdr):
        fields = koji.get_header_fields(hdr, ['name', 'arch', 'providename', 'filenames'])
        return cls(fields['name'], fields['arch'], fields['providename'] or [],
                   fields['filenames'] or [])

    @classmethod
    def from_file(cls, path):
        return cls.from_header(koji.get_rpm_header(path))


def read_config(path):
    """The multilib.conf at path (a missing file is an error, as a bad --multilib is)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path) as fo:
            parser.read_file(fo)
    except (OSError, configparser.Error) as exc:
        raise koji.GenericError('cannot read multilib config %s: %s' % (path, exc))
    return parser


def config_value(parser, section, option):
    """An option's raw text, as python-multilib keeps it; missing ones are empty."""
    if parser is None or not parser.has_option(section, option):
        return ''
    return parser.get(section, option)


def in_list(name, value):
    """python-multilib's list test: a substring of the raw option text (not a word)."""
    return bool(name) and name in value


class NoMethod(object):
    """none: never multilib."""
    name = 'none'

    def __init__(self, config=None):
        self.config = config

    def select(self, pkg):
        return False


class AllMethod(NoMethod):
    """all: every package."""
    name = 'all'

    def select(self, pkg):
        return True


class FileMethod(NoMethod):
    """file: [multilib] packages, each character of it an fnmatch pattern (see above)."""
    name = 'file'

    def __init__(self, config=None):
        super(FileMethod, self).__init__(config)
        # a string: iterating it yields characters, as python-multilib's loop does
        self.patterns = config_value(config, 'multilib', 'packages')

    def select(self, pkg):
        return any(fnmatch.fnmatch(pkg.name, pat) for pat in self.patterns)


def _kernel_provides(pkg, names):
    return pkg.name.startswith('kernel') and any(p in names for p in pkg.provides)


class KernelMethod(NoMethod):
    """kernel: 64-bit kernel (and kernel-devel) packages."""
    name = 'kernel'

    def select(self, pkg):
        return '64' in pkg.arch and _kernel_provides(pkg, ('kernel', 'kernel-devel'))


class YabootMethod(NoMethod):
    """yaboot: the ppc boot loader."""
    name = 'yaboot'

    def select(self, pkg):
        return pkg.arch == 'ppc' and pkg.name.startswith('yaboot')


def _base_select(pkg):
    """The rule every list based method starts from: prefer-64 tools and 64-bit kernels."""
    if '64' not in pkg.arch:
        return False
    return pkg.name in PREFER_64 or _kernel_provides(pkg, ('kernel', 'kernel-devel'))


def _runtime_file(path):
    """Whether one file makes its package a runtime library / plugin package."""
    dirname, _sep, fname = path.rpartition('/')
    if dirname in LIBDIRS and fnmatch.fnmatch(fname, '*.so.*'):
        return True
    if dirname in PLUGIN_DIRS:
        return True
    if dirname == '/etc/ld.so.conf.d' and fname.endswith('.conf'):
        return True
    if dirname in ROOT_LIBDIRS and fname.startswith(('libnss_', 'libdb-')):
        return True
    if not dirname.startswith(tuple(USR_LIBDIRS)):
        return False
    if dirname.startswith(('/usr/lib/gtk-2.0', '/usr/lib64/gtk-2.0')):
        return any(fnmatch.fnmatch(dirname, pat) for pat in GTK2_PATTERNS)
    if dirname.startswith(('/usr/lib/gstreamer-', '/usr/lib64/gstreamer-')):
        return True
    if any(fnmatch.fnmatch(dirname, pat) for pat in USR_PLUGIN_PATTERNS):
        return True
    if dirname in ('/usr/lib/oprofile', '/usr/lib64/oprofile'):
        return fnmatch.fnmatch(fname, '*.so.*')
    if dirname in ('/usr/lib/wine', '/usr/lib64/wine'):
        return fname.endswith('.so')
    if dirname in ('/usr/lib/sane', '/usr/lib64/sane'):
        return fname.startswith('libsane-')
    return False


class RuntimeMethod(NoMethod):
    """runtime: shared libraries and plugins, with the [runtime] white / black lists."""
    name = 'runtime'

    def __init__(self, config=None):
        super(RuntimeMethod, self).__init__(config)
        self.white = config_value(config, 'runtime', 'white')
        self.black = config_value(config, 'runtime', 'black')

    def select(self, pkg):
        if in_list(pkg.name, self.black):
            return False
        if in_list(pkg.name, self.white) or _base_select(pkg):
            return True
        if pkg.name.startswith('kernel') and 'kernel' in pkg.provides:
            return False
        return any(_runtime_file(path) for path in pkg.files)


class DevelMethod(RuntimeMethod):
    """devel: runtime plus -devel / -static packages, with the [devel] lists on top."""
    name = 'devel'

    def __init__(self, config=None):
        super(DevelMethod, self).__init__(config)
        self.devel_white = config_value(config, 'devel', 'white')
        self.devel_black = config_value(config, 'devel', 'black')

    def select(self, pkg):
        if in_list(pkg.name, self.devel_black):
            return False
        if in_list(pkg.name, self.devel_white) or super(DevelMethod, self).select(pkg):
            return True
        if pkg.name.startswith('ghc-'):
            return False
        if pkg.name.startswith('kernel'):
            for prov in pkg.provides:
                if prov == 'kernel-devel':
                    return False
                if prov.endswith(('-devel', '-static')):
                    return True
        return pkg.name.endswith(('-devel', '-static'))


METHODS = {cls.name: cls for cls in (NoMethod, AllMethod, FileMethod, KernelMethod,
                                     YabootMethod, RuntimeMethod, DevelMethod)}


def get_method(name, config_path=None):
    """A method object by name, its lists read from the config file at config_path."""
    try:
        cls = METHODS[name]
    except KeyError:
        raise koji.GenericError('unknown multilib method: %s' % name)
    config = read_config(config_path) if config_path else None
    return cls(config)
