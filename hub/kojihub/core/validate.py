"""Checks of argument values shared by many calls, made before a call or a write runs.

Parameters that mean the same thing in every call that has them (queryOpts, prefix,
type, arches, QueryView clauses, ...) are checked by the registry for every call
(``check_arguments``), so a wrong type is a ParameterError instead of an error deep in
the call.  ``check_extra`` is called by every write of an ``extra`` value.
"""
import inspect

import koji

from .db import check_query_opts


def _type_name(value):
    return type(value).__name__


def _string(name):
    def check(value):
        if value is not None and not isinstance(value, str):
            raise koji.ParameterError('Invalid type for %s: %s, expected a string'
                                      % (name, _type_name(value)))
    return check


def _struct(name):
    def check(value):
        if value is not None and not isinstance(value, dict):
            raise koji.ParameterError('Invalid type for %s: %s, expected a dict'
                                      % (name, _type_name(value)))
    return check


def _strings(name):
    """None, a string, or a list of strings."""
    def check(value):
        if value is None or isinstance(value, str):
            return
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise koji.ParameterError('Invalid type for %s: expected a string or a list '
                                      'of strings' % name)
    return check


def _check_task_ref(value):
    """A task id: an int, or its decimal text (old clients send big ids as strings)."""
    if value is None or isinstance(value, str) and value.lstrip('-').isdigit():
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise koji.ParameterError('Invalid type for taskID: %s, expected an integer'
                                  % _type_name(value))


def _check_clauses(value):
    """QueryView clauses: a list of [field, value] or [field, op, value] lists."""
    if value is None:
        return
    if not isinstance(value, (list, tuple)):
        raise koji.ParameterError('Invalid type for clauses: %s, expected a list'
                                  % _type_name(value))
    for clause in value:
        if (not isinstance(clause, (list, tuple)) or len(clause) not in (2, 3)
                or not isinstance(clause[0], str)
                or (len(clause) == 3 and not isinstance(clause[1], str))):
            raise koji.ParameterError('Invalid clause: %r' % (clause,))


# parameters that mean the same thing in every call that has them (hub-api.tsv), checked
# before the call runs: name -> check(value) raising ParameterError
PARAM_CHECKS = {
    'queryOpts': check_query_opts,
    'prefix': _string('prefix'),
    'type': _string('type'),
    'filename': _string('filename'),
    'filepath': _string('filepath'),
    'typeInfo': _struct('typeInfo'),
    'query': _struct('query'),
    'arches': _strings('arches'),
    'fields': _strings('fields'),
    'tables': _strings('tables'),
    'clauses': _check_clauses,
    'taskID': _check_task_ref,
}


def param_checks(func):
    """(signature, {name: check}, **kwargs name) for func, else None (nothing to check).

    Keyword arguments a call takes through ``**kwargs`` (editTag2, queryHistory, ...) are
    checked by the same table.
    """
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    checks = {name: PARAM_CHECKS[name] for name in sig.parameters if name in PARAM_CHECKS}
    if 'clauses' in checks and 'opts' in sig.parameters:
        # the QueryView calls (repo.query, scheduler.*) name their queryOpts "opts"
        checks['opts'] = check_query_opts
    varkw = [p.name for p in sig.parameters.values() if p.kind == p.VAR_KEYWORD]
    varkw = varkw[0] if varkw else None
    return (sig, checks, varkw) if checks or varkw else None


def check_arguments(found, args, kwargs):
    """Run the shared checks on the arguments bound to those parameters."""
    sig, checks, varkw = found
    if varkw is not None and not kwargs and not checks:
        return
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        # the call itself reports a signature mismatch
        return
    for name, check in checks.items():
        if name in bound.arguments:
            check(bound.arguments[name])
    for name, value in bound.arguments.get(varkw, {}).items() if varkw else ():
        if name in PARAM_CHECKS:
            PARAM_CHECKS[name](value)


# `extra` values are stored as JSON and sent back whole by every read of their object;
# nesting deeper than this is refused when written (JSON decoding and XML-RPC encoding
# recurse, so a value hundreds deep would make the object unreadable for everyone)
MAX_EXTRA_DEPTH = 32
_EXTRA_SCALARS = (str, int, float, bool, type(None))


def check_extra(value, what='extra'):
    """Refuse an extra value nested too deeply or holding what JSON cannot store."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, _EXTRA_SCALARS):
            continue
        if depth > MAX_EXTRA_DEPTH:
            raise koji.GenericError('%s value is nested too deeply (more than %d levels)'
                                    % (what, MAX_EXTRA_DEPTH))
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                raise koji.GenericError('%s value has a non-string key' % what)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)
        else:
            raise koji.GenericError('%s value cannot be stored: %s' % (what, type(item).__name__))
