"""The table of callable hub methods and the ``system.*`` / ``_listapi`` introspection calls.

Names are what clients send as methodName.  ``multiCall`` / ``system.multicall`` are not
kept here: the dispatcher handles them itself, so they never show up in listings.
"""
import inspect
import logging

import koji

from .argcheck import UpstreamName, binds, call_checked
from .validate import check_arguments, param_checks

logger = logging.getLogger('koji.hub.registry')

# argspec defaults / annotations travel over XML-RPC; anything else is sent as its repr
_WIRE_TYPES = (type(None), bool, int, float, str, bytes)
HOST_PREFIX = 'host.'


def _wire_safe(value):
    """Return value if XML-RPC can carry it, else its repr (so _listapi never faults)."""
    if isinstance(value, _WIRE_TYPES):
        return value
    if isinstance(value, (list, tuple)):
        return [_wire_safe(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _wire_safe(v) for k, v in value.items()}
    return repr(value)


def _get_spec(func):
    """getfullargspec of func as seen by a caller (a bound method's self removed)."""
    spec = inspect.getfullargspec(func)
    args = list(spec.args)
    if inspect.ismethod(func) and args:
        args = args[1:]
    return spec._replace(args=args)


def format_argdesc(spec):
    """Render a parameter list the way Python prints a def: ``(a, b=1, *args, **kw)``."""
    parts = []
    defaults = spec.defaults or ()
    first_default = len(spec.args) - len(defaults)
    for idx, name in enumerate(spec.args):
        if idx >= first_default:
            parts.append('%s=%r' % (name, defaults[idx - first_default]))
        else:
            parts.append(name)
    if spec.varargs:
        parts.append('*' + spec.varargs)
    elif spec.kwonlyargs:
        parts.append('*')
    kwdefaults = spec.kwonlydefaults or {}
    for name in spec.kwonlyargs:
        if name in kwdefaults:
            parts.append('%s=%r' % (name, kwdefaults[name]))
        else:
            parts.append(name)
    if spec.varkw:
        parts.append('**' + spec.varkw)
    return '(%s)' % ', '.join(parts)


def format_args(spec):
    """Parameter list for _listapi: names, [name, default] pairs, bare */** names."""
    result = []
    defaults = spec.defaults or ()
    first_default = len(spec.args) - len(defaults)
    for idx, name in enumerate(spec.args):
        if idx >= first_default:
            result.append([name, _wire_safe(defaults[idx - first_default])])
        else:
            result.append(name)
    if spec.varargs:
        result.append(spec.varargs)
    kwdefaults = spec.kwonlydefaults or {}
    for name in spec.kwonlyargs:
        if name in kwdefaults:
            result.append([name, _wire_safe(kwdefaults[name])])
        else:
            result.append(name)
    if spec.varkw:
        result.append(spec.varkw)
    return result


def export_name(func):
    """XML-RPC name of a plugin export: its export_alias if set, else its own name.

    export_in() stores the full 'module.name' in export_alias, so no prefixing here.
    """
    return getattr(func, 'export_alias', None) or func.__name__


class HandlerRegistry(object):
    """Maps method names to callables and answers the introspection calls."""

    def __init__(self):
        self.funcs = {}
        # name -> argcheck.UpstreamName, for argument errors worded as upstream's
        self.upstream = {}
        # name -> argcheck.param_checks(func), filled on first call
        self._checks = {}
        self.register_function(self.list_api, name='_listapi')
        self.register_function(self.system_listMethods, name='system.listMethods')
        self.register_function(self.system_methodSignature, name='system.methodSignature')
        self.register_function(self.system_methodHelp, name='system.methodHelp')

    # -- registration ---------------------------------------------------------

    def register_function(self, func, name=None):
        """Register one callable; a name may only be taken once."""
        if not callable(func):
            raise TypeError('not callable: %r' % (func,))
        if name is None:
            name = func.__name__
        if name in self.funcs:
            raise koji.GenericError('duplicate registration for %s' % name)
        self.funcs[name] = func

    def register_instance(self, instance, prefix=None, function_names=None):
        """Register every public callable attribute of instance (``prefix.name`` if given).

        For argument errors each call is named as upstream defines it: a method of a class
        named like instance's, unless function_names maps the call to a plain function.
        """
        function_names = function_names or {}
        facade = type(instance).__name__
        for attr in dir(instance):
            if attr.startswith('_'):
                continue
            func = getattr(instance, attr)
            if not callable(func) or isinstance(func, type):
                continue
            name = '%s.%s' % (prefix, attr) if prefix else attr
            self.register_function(func, name=name)
            if name in function_names:
                self.upstream[name] = UpstreamName(function_names[name], False)
            else:
                self.upstream[name] = UpstreamName('%s.%s' % (facade, attr), True)

    # upstream calls the prefixed form register_module
    def register_module(self, instance, prefix=None, function_names=None):
        self.register_instance(instance, prefix=prefix, function_names=function_names)

    def register_plugin(self, plugin):
        """Register the functions a plugin module marked as exported; return their names."""
        names = []
        for value in list(vars(plugin).values()):
            if isinstance(value, type) or not callable(value):
                continue
            if getattr(value, 'exported', False):
                name = export_name(value)
                self.register_function(value, name=name)
                names.append(name)
        return names

    # -- lookup / calling -----------------------------------------------------

    def get(self, name):
        if not isinstance(name, str):
            raise koji.GenericError('Invalid method: %r' % (name,))
        func = self.funcs.get(name)
        if func is None:
            raise koji.GenericError('Invalid method: %s' % name)
        return func

    def call(self, name, *args, **kwargs):
        """Call a registered method by name (used by count/filterResults)."""
        return self.call_checked(name, self.get(name), args, kwargs)

    def call_checked(self, name, func, args, kwargs):
        """Call func (registered as name); bad arguments fault in upstream's wording.

        Every ``host.*`` call is for build hosts only, however it is reached (directly,
        in a multicall, through count/filterResults): once the arguments fit, the caller
        must be a host on an exclusive session, whatever the call itself checks.
        """
        if name.startswith(HOST_PREFIX) and binds(func, args, kwargs):
            from .auth import assert_host_session
            assert_host_session()
        if name not in self._checks:
            self._checks[name] = param_checks(func)
        found = self._checks[name]
        if found is not None:
            check_arguments(found, args, kwargs)
        return call_checked(func, args, kwargs, upstream=self.upstream.get(name))

    def names(self):
        return list(self.funcs)

    # -- introspection ----------------------------------------------------------

    def describe(self, name):
        """_listapi entry for one registered name."""
        func = self.funcs[name]
        try:
            spec = _get_spec(func)
        except TypeError:
            # builtins or odd callables without a Python signature
            spec = inspect.FullArgSpec([], 'args', 'kwargs', None, [], None, {})
        argspec = [spec.args, spec.varargs, spec.varkw,
                   _wire_safe(spec.defaults) if spec.defaults else spec.defaults,
                   spec.kwonlyargs,
                   _wire_safe(spec.kwonlydefaults) if spec.kwonlydefaults else None,
                   _wire_safe(spec.annotations)]
        return {
            'name': name,
            'doc': getattr(func, '__doc__', None) or None,
            'argspec': argspec,
            'argdesc': format_argdesc(spec),
            'args': format_args(spec),
        }

    def list_api(self):
        """Describe every registered call (name, doc, argspec, argdesc, args)."""
        return [self.describe(name) for name in sorted(self.funcs)]

    def system_listMethods(self):
        """List the names of all registered calls."""
        return sorted(self.funcs)

    def system_methodSignature(self, method):
        """Signatures are not tracked; kept for XML-RPC introspection compatibility."""
        return 'signatures not supported'

    def system_methodHelp(self, method):
        """Return ``name(params)`` plus the call's description, or '' if unknown."""
        if not isinstance(method, str) or method not in self.funcs:
            return ''
        info = self.describe(method)
        text = method + info['argdesc']
        if info['doc']:
            text += '\ndescription: %s' % info['doc']
        return text
