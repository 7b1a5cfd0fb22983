"""Calling an exported function with the caller's arguments, as upstream's hub does.

A call whose arguments do not fit the signature is a ParameterError carrying Python's own
TypeError text.  Clients (and people reading faults) see upstream's function names in it,
``RootExports.getTaskInfo()`` or ``get_build()``, whatever our implementation is called:
the registry records each call's upstream name (``UpstreamName``), and the message is
produced by binding the same arguments to a body-less function of the same shape that
carries that name.
"""
import inspect
import sys

import koji


class UpstreamName(object):
    """How upstream defines a call: its qualified name and whether it takes ``self``."""

    __slots__ = ('qualname', 'method')

    def __init__(self, qualname, method):
        self.qualname = qualname
        self.method = method


def _stub_source(sig, with_self):
    """``def`` text for a no-op function with sig's parameter names (defaults set later)."""
    parts = ['self'] if with_self else []
    star = False
    for param in sig.parameters.values():
        if param.kind == param.POSITIONAL_ONLY:
            parts.append(param.name)
        elif param.kind == param.POSITIONAL_OR_KEYWORD:
            parts.append(param.name)
        elif param.kind == param.VAR_POSITIONAL:
            parts.append('*' + param.name)
            star = True
        elif param.kind == param.KEYWORD_ONLY:
            if not star:
                parts.append('*')
                star = True
            parts.append(param.name)
        else:
            parts.append('**' + param.name)
    return 'def stub(%s):\n    return None\n' % ', '.join(parts)


def make_stub(func, upstream):
    """A function shaped like func, named as upstream names it, that does nothing."""
    sig = inspect.signature(func)
    namespace = {}
    exec(compile(_stub_source(sig, upstream.method), '<argcheck>', 'exec'), namespace)
    stub = namespace['stub']
    short = upstream.qualname.rsplit('.', 1)[-1]
    stub.__name__ = short
    stub.__qualname__ = upstream.qualname
    defaults = [p.default for p in sig.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is not p.empty]
    stub.__defaults__ = tuple(defaults) or None
    stub.__kwdefaults__ = {p.name: p.default for p in sig.parameters.values()
                           if p.kind == p.KEYWORD_ONLY and p.default is not p.empty} or None
    return stub


def signature_message(func, upstream, args, kwargs):
    """Python's TypeError text for this call as upstream's function would give it, or None."""
    try:
        stub = make_stub(func, upstream)
    except (TypeError, ValueError, SyntaxError):
        return None
    call_args = ([None] + list(args)) if upstream.method else list(args)
    try:
        stub(*call_args, **kwargs)
    except TypeError as exc:
        return str(exc)
    return None


def binds(func, args, kwargs):
    """True if func accepts these arguments (nothing is called)."""
    try:
        inspect.signature(func).bind(*args, **kwargs)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def call_checked(func, args, kwargs=None, upstream=None):
    """Call func; a signature mismatch becomes ParameterError in upstream's wording.

    Only a TypeError raised while binding the arguments is converted: one raised inside
    func is a real bug and propagates unchanged.
    """
    if kwargs is None:
        kwargs = {}
    try:
        return func(*args, **kwargs)
    except TypeError as exc:
        if sys.exc_info()[2].tb_next is not None:
            raise
        message = None
        if upstream is not None:
            message = signature_message(func, upstream, args, kwargs)
        raise koji.ParameterError(message or str(exc))
