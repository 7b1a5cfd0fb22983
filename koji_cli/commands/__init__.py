"""Command handlers, gathered from the per-domain modules of this package.

The dispatcher looks up ``handle_<cmd>`` / ``anon_handle_<cmd>`` here. Every module in
this package is imported and its handlers re-exported, so adding a domain module is all
it takes to add its commands.
"""
import importlib
import pkgutil


def _collect():
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module('%s.%s' % (__name__, info.name))
        for name, value in vars(module).items():
            if name.startswith(('handle_', 'anon_handle_')) and callable(value):
                found[name] = value
    return found


globals().update(_collect())
