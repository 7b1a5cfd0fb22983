"""Multicall prefetch: a multicall made only of one read call answered in one query.

Clients ask for hundreds of builds in one multicall (`koji buildinfo`, list scripts,
koji-gc); run one by one, each entry is a database round trip.  A domain module may
register a prefetcher for a read-only method: when every entry of a multicall calls that
method, the prefetcher reads all the records the entries name with one query before they
run, and each entry takes its record from the request's store instead of asking the
database.  The entries still run one by one (argument checks, faults, results), and an
entry whose record the prefetch did not find runs its own query as usual.  Nothing in
such a multicall writes, so the records cannot go stale within it.
"""
import logging

from koji.context import context

logger = logging.getLogger('koji.hub.prefetch')

PREFETCHERS = {}
# below this many entries the batch query costs more than it saves
MIN_ENTRIES = 4


def register(method):
    """Decorator: func(list of each entry's params) -> {key: record}, for `method`."""
    def wrap(func):
        PREFETCHERS[method] = func
        return func
    return wrap


def start(calls):
    """Fill the store for a multicall whose entries all call one prefetchable method.

    Returns True when a store was set up (the caller must call stop()).
    """
    if len(calls) < MIN_ENTRIES or getattr(context, 'prefetched', None) is not None:
        return False
    method = None
    for call in calls:
        if not isinstance(call, dict):
            return False
        name = call.get('methodName')
        if method is None:
            method = name
        if name != method or not isinstance(call.get('params'), (list, tuple)):
            return False
    func = PREFETCHERS.get(method)
    if func is None:
        return False
    cnx = getattr(context, 'cnx', None)
    if cnx is None or getattr(cnx, 'in_tx', True):
        # a failed statement would abort the open transaction of the request
        return False
    try:
        records = func([call['params'] for call in calls])
    except Exception as exc:
        # outside a transaction nothing is lost: the entries ask for themselves and
        # report their own errors
        logger.warning('Prefetch for a multicall of %s failed: %s', method, exc)
        return False
    context.prefetched = (method, records)
    return True


def stop():
    context.prefetched = None


def active(method):
    """Whether a store for `method` is set up (cheap: checked by every call of it)."""
    store = getattr(context, 'prefetched', None)
    return store is not None and store[0] == method


def lookup(method, key):
    """The record prefetched for `key` by `method`'s prefetcher, or None."""
    store = getattr(context, 'prefetched', None)
    if store is None or store[0] != method:
        return None
    return store[1].get(key)
