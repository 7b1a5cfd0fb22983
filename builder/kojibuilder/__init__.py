"""Task handlers that only kojid runs (tagging, notifications, builds, repos, ...).

koji.tasks holds the generic handlers every task manager knows; the modules of this
package hold kojid's own, one domain per module. kojid registers every module listed by
``handler_modules()``, so adding a handler is adding a module here.
"""
import importlib
import pkgutil


def handler_modules():
    """Import and return every module of this package, in name order."""
    return [importlib.import_module('%s.%s' % (__name__, info.name))
            for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
            if not info.name.startswith('_')]
