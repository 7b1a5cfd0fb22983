"""Keyword arguments over XML-RPC (the ``__starstar`` convention) and related helpers.

XML-RPC only has positional parameters, so keyword arguments travel as a trailing
struct flagged with ``__starstar``; both the client and the hub use these helpers.
"""
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
