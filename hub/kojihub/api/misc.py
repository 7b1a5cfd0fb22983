"""Small diagnostic and helper calls: hello, echo, versions, showOpts, count/filter wrappers."""
import types

import koji
from koji._version import __version__
from koji.context import context

from . import counting


def _sort_key(key, none_greatest):
    """Key function ordering dicts by ``key`` with None first (or last) instead of failing."""
    def getter(item):
        value = item.get(key)
        if value is None:
            return (1 if none_greatest else -1, 0)
        return (0, value)
    return getter


def apply_filter_opts(results, filter_opts):
    """Sort and slice a list of dicts per {order, offset, limit, noneGreatest, countOnly}."""
    filter_opts = filter_opts or {}
    if not isinstance(filter_opts, dict):
        raise koji.ParameterError('filterOpts must be a struct')
    results = list(results or ())
    order = filter_opts.get('order')
    if order:
        reverse = order.startswith('-')
        key = order[1:] if reverse else order
        none_greatest = bool(filter_opts.get('noneGreatest'))
        try:
            results.sort(key=_sort_key(key, none_greatest), reverse=reverse)
        except TypeError as exc:
            raise koji.GenericError('cannot order results by %s: %s' % (key, exc))
        except AttributeError:
            raise koji.GenericError('results are not structs, cannot order by %s' % key)
    offset = filter_opts.get('offset')
    if offset is not None:
        results = results[offset:]
    limit = filter_opts.get('limit')
    if limit is not None:
        results = results[:limit]
    if filter_opts.get('countOnly'):
        return len(results)
    return results


class MiscExports(object):
    """Calls that belong to no data domain; mixed into RootExports."""

    def hello(self, *args):
        """Connectivity test: always answers "Hello World"."""
        return 'Hello World'

    def fault(self):
        """Raise a non-koji exception, to see how unexpected errors reach clients."""
        raise Exception('test exception')

    def error(self):
        """Raise a koji GenericError, to see how koji errors reach clients."""
        raise koji.GenericError('test error')

    def echo(self, *args):
        """Return the positional arguments unchanged (round-trip test of the marshaller)."""
        return args

    def getKojiVersion(self):
        """Version string of this hub (clients use it to detect features)."""
        return __version__

    def getAPIVersion(self):
        """Integer XML-RPC API version."""
        return koji.API_VERSION

    def mavenEnabled(self):
        """Whether this hub has Maven support on (EnableMaven); clients adapt their output."""
        return bool(context.opts.get('EnableMaven'))

    def winEnabled(self):
        """Whether this hub has Windows build support on (EnableWin)."""
        return bool(context.opts.get('EnableWin'))

    def showOpts(self, as_string=True):
        """Hub configuration as seen by this process (admin only, it shows db settings)."""
        context.session.assertPerm('admin')
        if as_string:
            return '%r' % (context.opts,)
        return context.opts

    def count(self, methodName, *args, **kw):
        """Call methodName and report the size of its result instead of the result."""
        counting.request_count(methodName)
        try:
            result = context.handlers.call(methodName, *args, **kw)
        finally:
            counting.clear_count_request()
        if isinstance(result, counting.CountResult):
            return result.number
        if result is None:
            return 0
        if isinstance(result, (list, dict, tuple, set)):
            return len(result)
        if isinstance(result, types.GeneratorType):
            return sum(1 for _ in result)
        return 1

    def filterResults(self, methodName, *args, **kw):
        """Call methodName and sort/slice its list result per the filterOpts kwarg."""
        filter_opts = kw.pop('filterOpts', {})
        results = context.handlers.call(methodName, *args, **kw)
        return apply_filter_opts(results, filter_opts)

    def countAndFilterResults(self, methodName, *args, **kw):
        """Like filterResults, but also return the unfiltered count: [count, results]."""
        filter_opts = kw.pop('filterOpts', {})
        # listTagged and listPackages may sort, slice and count in SQL (api/counting.py)
        counting.request_page(methodName, filter_opts)
        try:
            result = context.handlers.call(methodName, *args, **kw)
        finally:
            counting.clear_page_request()
        if isinstance(result, counting.PageResult):
            return [result.count, result.rows]
        results = list(result or ())
        return [len(results), apply_filter_opts(results, filter_opts)]
