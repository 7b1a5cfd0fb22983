"""Server-side prepared statements for the reads the hub repeats.

For the small reads most calls are made of (a build by NVR, a tag by name, a session),
PostgreSQL spends more time planning the statement than running it.  psycopg2 has no
prepared statements, so the hub asks for them in SQL: the second time a connection sees
the same read it sends ``PREPARE name AS <read with $n>; EXECUTE name(values)`` and from
then on only ``EXECUTE name(values)``; after a few runs PostgreSQL keeps a generic plan
and stops planning it.

Only plain reads with scalar values are prepared (arrays would get one generic plan for
every size; a read may ask for lists of ids to be let through, see db.PREPARE_INT_ARRAYS),
only outside a transaction (a failed PREPARE would abort it), and a read that cannot be
prepared (a parameter whose type PostgreSQL cannot infer, say) is remembered and runs as
before.  Values still go through psycopg2's quoting, as literals of EXECUTE.
"""
import datetime
import re

import psycopg2

# %(name)s placeholders (and %% literals, which stay as they are)
_PLACEHOLDER = re.compile(r'%\((\w+)\)s|%%|%s')
_SCALARS = (str, int, float, bool, type(None), datetime.datetime, datetime.date)
# per connection: how many statements to keep prepared, and how many texts to remember
MAX_PREPARED = 400
MAX_SEEN = 4000


class StatementCache(object):
    """What one connection has prepared (or failed to), keyed by the statement text."""

    def __init__(self, cnx):
        self.cnx = cnx
        self.names = {}      # sql -> (name, [param names]) or None when not preparable
        self.seen = set()
        self.counter = 0

    def plan(self, operation, parameters, may_prepare, int_arrays=False):
        """(sql, parameters, fresh): what to send for a plain read.

        fresh is True when the statement is prepared by this very send (so a failure may
        be the PREPARE's, see forget).  int_arrays lets lists of integers through, for
        reads whose plan is the same for any length (`id = ANY(...)` on a key)."""
        if parameters is not None and not isinstance(parameters, dict):
            return operation, parameters, False
        values = parameters or {}
        for value in values.values():
            if isinstance(value, _SCALARS):
                continue
            if int_arrays and _is_int_list(value):
                continue
            return operation, parameters, False
        entry = self.names.get(operation, False)
        if entry is None:
            return operation, parameters, False
        if entry is False:
            if not may_prepare or len(self.names) >= MAX_PREPARED:
                return operation, parameters, False
            if operation not in self.seen:
                # prepare what repeats, not every one-off statement
                if len(self.seen) < MAX_SEEN:
                    self.seen.add(operation)
                return operation, parameters, False
            converted = _convert(operation)
            if converted is None or (not values and '%' in operation):
                self.names[operation] = None
                return operation, parameters, False
            body, order = converted
            self.counter += 1
            name = 'koji_q%d' % self.counter
            self.names[operation] = (name, order)
            return ('PREPARE %s AS %s; %s' % (name, body, _execute(name, order)),
                    values, True)
        name, order = entry
        return _execute(name, order), values, False

    def forget(self, operation):
        """The PREPARE failed: run this read unprepared from now on."""
        self.names[operation] = None


def _is_int_list(value):
    return isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value)


def _execute(name, order):
    if not order:
        return 'EXECUTE %s' % name
    return 'EXECUTE %s (%s)' % (name, ', '.join('%%(%s)s' % key for key in order))


def _convert(operation):
    """(text with $n placeholders, [parameter names in $n order]), or None."""
    order = []
    numbers = {}

    def number(match):
        key = match.group(1)
        if key is None:
            if match.group(0) == '%s':
                raise ValueError('positional placeholder')
            return match.group(0)
        if key not in numbers:
            order.append(key)
            numbers[key] = len(order)
        return '$%d' % numbers[key]
    try:
        body = _PLACEHOLDER.sub(number, operation)
    except ValueError:
        return None
    return body, order


def cache_for(local, cnx):
    """The StatementCache of cnx, kept on the thread-local state (reset on reconnect)."""
    cache = getattr(local, 'statements', None)
    if cache is None or cache.cnx is not cnx:
        cache = local.statements = StatementCache(cnx)
    return cache


PREPARE_ERRORS = (psycopg2.ProgrammingError, psycopg2.DataError,
                  psycopg2.errors.FeatureNotSupported)
