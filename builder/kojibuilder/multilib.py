"""Multilib policy: which 64-bit packages also want their 32-bit build in a dist repo.

The methods and the config file (multilib.conf: ``[runtime]`` and ``[devel]`` with
``white`` / ``black`` name lists, ``[multilib]`` with ``packages`` globs) are those of
python-multilib, which upstream's kojid uses; this is our own implementation of their
documented selection rules, working on ``Package`` records read from rpm headers.
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


def config_list(parser, section, option):
    """A whitespace separated list option; a missing section or option is an empty list."""
    if parser is None or not parser.has_option(section, option):
        return []
    return parser.get(section, option).split()


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
    """file: package names matching a glob of [multilib] packages."""
    name = 'file'

    def __init__(self, config=None):
        super(FileMethod, self).__init__(config)
        self.patterns = config_list(config, 'multilib', 'packages')

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
        self.white = set(config_list(config, 'runtime', 'white'))
        self.black = set(config_list(config, 'runtime', 'black'))

    def select(self, pkg):
        if pkg.name in self.black:
            return False
        if pkg.name in self.white or _base_select(pkg):
            return True
        if pkg.name.startswith('kernel') and 'kernel' in pkg.provides:
            return False
        return any(_runtime_file(path) for path in pkg.files)


class DevelMethod(RuntimeMethod):
    """devel: runtime plus -devel / -static packages, with the [devel] lists on top."""
    name = 'devel'

    def __init__(self, config=None):
        super(DevelMethod, self).__init__(config)
        self.devel_white = set(config_list(config, 'devel', 'white'))
        self.devel_black = set(config_list(config, 'devel', 'black'))

    def select(self, pkg):
        if pkg.name in self.devel_black:
            return False
        if pkg.name in self.devel_white or super(DevelMethod, self).select(pkg):
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
