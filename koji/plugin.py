"""Plugin support shared by hub, builder and CLI: decorators, callbacks, module loading.

Decorators only tag functions with attributes (``exported``, ``callbacks``, ...);
the hub, kojid and the CLI scan loaded plugin modules for those attributes.
"""
import importlib.util
import logging
import os
import sys
import traceback

from koji.exceptions import CallbackError, PluginError
from koji.util import encode_datetime_recurse

# Every event a plugin may hook, in upstream order: hub first, then builder.
CALLBACK_NAMES = (
    'prePackageListChange',
    'postPackageListChange',
    'preTaskStateChange',
    'postTaskStateChange',
    'preBuildStateChange',
    'postBuildStateChange',
    'preImport',
    'postImport',
    'preRPMSign',
    'postRPMSign',
    'preTag',
    'postTag',
    'preUntag',
    'postUntag',
    'preRepoInit',
    'postRepoInit',
    'preRepoDone',
    'postRepoDone',
    'preBuildPromote',
    'postBuildPromote',
    'preCommit',
    'postCommit',
    # builder
    'preSCMCheckout',
    'postSCMCheckout',
    'postCreateDistRepo',
    'postCreateRepo',
)

# callback name -> registered functions, called in registration order
callbacks = dict((name, []) for name in CALLBACK_NAMES)

logger = logging.getLogger('koji.plugin')


class PluginTracker(object):
    """Loads plugin modules by name from a search path and remembers them.

    Modules are registered in sys.modules as ``<prefix><name>`` so a plugin
    called e.g. ``runroot`` cannot clash with a real module of that name.
    """

    def __init__(self, path=None, prefix='_koji_plugin__'):
        self.searchpath = path
        self.prefix = prefix
        self.plugins = {}

    def load(self, name, path=None, reload=False):
        """Import plugin ``name`` (cached unless ``reload``); returns the module."""
        if name in self.plugins and not reload:
            return self.plugins[name]
        mod_name = (self.prefix or '') + name
        if mod_name in sys.modules and not reload:
            raise PluginError('module name conflict: %s' % mod_name)
        if path is None:
            path = self.searchpath
        if path is None:
            raise PluginError('empty module search path')
        filename = self._find(name, self.pathlist(path))
        spec = importlib.util.spec_from_file_location(mod_name, filename)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            if sys.modules.get(mod_name) is module:
                del sys.modules[mod_name]
            raise
        self.plugins[name] = module
        return module

    @staticmethod
    def _find(name, dirs):
        """First ``<dir>/<name>.py`` (or package ``<dir>/<name>/__init__.py``) on the path."""
        for dirname in dirs:
            candidates = (os.path.join(dirname, name + '.py'),
                          os.path.join(dirname, name, '__init__.py'))
            for filename in candidates:
                if os.path.isfile(filename):
                    return filename
        raise PluginError('plugin %s not found in %s' % (name, ':'.join(dirs)))

    def get(self, name):
        """The loaded plugin module, or None."""
        return self.plugins.get(name)

    def pathlist(self, path):
        """A search path given as one directory string or a list, as a list."""
        if isinstance(path, str):
            return [path]
        return list(path)


# -- decorators ------------------------------------------------------------------------------


def export(f):
    """Hub plugin: publish ``f`` as an API call under its own name."""
    f.exported = True
    return f


def export_cli(f):
    """CLI plugin: make ``f`` (handle_* / anon_handle_*) a command."""
    f.exported_cli = True
    return f


def export_as(alias):
    """Publish the decorated function under ``alias`` instead of its name."""
    def decorate(f):
        f.exported = True
        f.export_alias = alias
        return f
    return decorate


def export_in(module, alias=None):
    """Publish the decorated function as ``module.<alias or name>``."""
    def decorate(f):
        f.exported = True
        f.export_module = module
        f.export_alias = '%s.%s' % (module, alias if alias is not None else f.__name__)
        return f
    return decorate


def callback(*cbtypes):
    """Register the decorated function for the listed callback names (when its plugin loads)."""
    def decorate(f):
        f.callbacks = cbtypes
        return f
    return decorate


def ignore_error(f):
    """A failure of this callback is logged instead of failing the call."""
    f.failure_is_an_option = True
    return f


def convert_datetime(f):
    """This callback wants datetime values already encoded as strings."""
    f.convert_datetime = True
    return f


# -- callbacks -------------------------------------------------------------------------------


def register_callback(cbtype, func):
    """Add ``func`` to the functions run for ``cbtype``."""
    if cbtype not in callbacks:
        raise PluginError('"%s" is not a valid callback type' % cbtype)
    if not callable(func):
        raise PluginError('%s is not callable' % getattr(func, '__name__', 'function'))
    callbacks[cbtype].append(func)


def run_callbacks(cbtype, *args, **kws):
    """Call every function registered for ``cbtype`` as ``func(cbtype, *args, **kws)``.

    A failure aborts with CallbackError unless the function is marked
    ignore_error, in which case it is only logged.
    """
    if cbtype not in callbacks:
        raise PluginError('"%s" is not a valid callback type' % cbtype)
    converted = None
    for func in callbacks[cbtype]:
        cb_args, cb_kws = args, kws
        if getattr(func, 'convert_datetime', False):
            if converted is None:
                converted = (encode_datetime_recurse(args), encode_datetime_recurse(kws))
            cb_args, cb_kws = converted
        try:
            func(cbtype, *cb_args, **cb_kws)
        except Exception:
            msg = 'Error running %s callback from %s' % (cbtype, getattr(func, '__module__', '?'))
            if getattr(func, 'failure_is_an_option', False):
                logger.warning(msg, exc_info=True)
            else:
                raise CallbackError('%s:\n%s' % (msg, traceback.format_exc()))
