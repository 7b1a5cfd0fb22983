"""Keyword arguments over XML-RPC (the ``__starstar`` convention) and related helpers.

XML-RPC only has positional parameters, so keyword arguments travel as a trailing
struct flagged with ``__starstar``; both the client and the hub use these helpers.
"""
from koji.exceptions import ParameterError
from koji.xmlrpcplus import Fault, loads

STARSTAR = '__starstar'


def encode_args(*args, **opts):
    """Return ``args`` with ``opts`` appended as a flagged struct (if any)."""
    if opts:
        packed = dict(opts)
        packed[STARSTAR] = True
        args = args + (packed,)
    return args


def decode_args(*args):
    """Split encoded parameters back into ``(args, kwargs)``."""
    if args:
        last = args[-1]
        if isinstance(last, dict) and last.get(STARSTAR, False):
            opts = dict(last)
            del opts[STARSTAR]
            return args[:-1], opts
    return args, {}


def decode_args2(args, names, strict=True):
    """Decode ``args`` and name the positional ones after ``names``; returns one dict."""
    args, opts = decode_args(*args)
    if strict and len(args) > len(names):
        raise TypeError('Expecting at most %i arguments' % len(names))
    result = dict(zip(names, args))
    result.update(opts)
    return result


def decode_int(n):
    """Accept ints sent as strings (used to dodge the 32-bit XML-RPC limit)."""
    if isinstance(n, int):
        return n
    return int(n)


def safe_xmlrpc_loads(s):
    """Parse an XML-RPC payload; a fault comes back as a Fault object instead of raising."""
    try:
        return loads(s)
    except Fault as fault:
        return fault


def apply_argspec(argspec, args, kwargs=None):
    """Bind args/kwargs the way a call would, for an argspec (args, varargs, varkw, defaults)."""
    if kwargs is None:
        kwargs = {}
    names, varargs, varkw, defaults = argspec
    names = list(names)
    data = dict(zip(names, args))
    if len(args) > len(names):
        if not varargs:
            raise ParameterError('too many args')
        data[varargs] = tuple(args[len(names):])
    elif varargs:
        data[varargs] = ()
    if varkw:
        data[varkw] = {}
    for key, value in kwargs.items():
        if key in names:
            if key in data:
                raise ParameterError('duplicate keyword argument %r' % key)
            data[key] = value
        elif varkw:
            data[varkw][key] = value
        else:
            raise ParameterError('unexpected keyword argument %r' % key)
    if defaults:
        for name, value in zip(names[len(names) - len(defaults):], defaults):
            data.setdefault(name, value)
    for num, name in enumerate(names):
        if name not in data:
            raise ParameterError('missing required argument %r (#%i)' % (name, num))
    return data
