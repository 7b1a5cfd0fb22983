"""count() and countAndFilterResults() without building every row, for calls that can do
it in SQL.

count() normally runs the call and measures its result, and countAndFilterResults() sorts
and slices the whole result in memory; for a listing of tens of thousands of builds that is
the whole cost of the call for one number or one page.  A call listed in COUNTABLE takes
the count request (take_count_request) before it runs anything else, counts in SQL and
answers with a CountResult.  A call listed in PAGEABLE takes the page request
(take_page_request) the same way and, when it can reproduce the in-memory sort exactly,
answers with a PageResult; otherwise it returns its full result and the generic path runs.
"""
from koji.context import context

from ..core.db import _multiRow, _singleValue

COUNTABLE = ('listTagged',)
PAGEABLE = ('listTagged', 'listPackages')

# kinds of column whose SQL order is Python's order of the values it gives
INT = 'int'
BOOL = 'bool'
TEXT = 'text'


class CountResult(object):
    """The number of records a call would have returned."""

    def __init__(self, number):
        self.number = number


class PageResult(object):
    """countAndFilterResults' [count, page], worked out by the call itself."""

    def __init__(self, count, rows):
        self.count = count
        self.rows = rows


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class PageRequest(object):
    """filterOpts that SQL can apply with the same result as apply_filter_opts."""

    def __init__(self, key, reverse, none_greatest, offset, limit):
        self.key = key
        self.reverse = reverse
        self.none_greatest = none_greatest
        self.offset = offset
        self.limit = limit

    @classmethod
    def from_opts(cls, filter_opts):
        """A request for plain filterOpts; None for anything the generic path must see
        (bad types, negative slices, countOnly), so its faults and quirks stay."""
        if not isinstance(filter_opts, dict) or filter_opts.get('countOnly'):
            return None
        order = filter_opts.get('order')
        key, reverse = None, False
        if order:
            if not isinstance(order, str):
                return None
            reverse = order.startswith('-')
            key = order[1:] if reverse else order
            if not key:
                return None
        offset = filter_opts.get('offset')
        limit = filter_opts.get('limit')
        for value in (offset, limit):
            if value is not None and (not _is_int(value) or value < 0):
                return None
        return cls(key, reverse, bool(filter_opts.get('noneGreatest')), offset or 0, limit)

    def order_by(self, kinds, tie, names):
        """ORDER BY text for a query whose output columns are ``names``, the records' keys:
        the requested key, then ``tie`` (the call's own, total, order), as a stable
        sort of the call's result would give.  None when the key cannot be ordered the
        same way in SQL (not a key of these records, or a kind such as timestamps)."""
        if self.key is None:
            return tie
        kind = kinds.get(self.key) if self.key in names else None
        if kind not in (INT, BOOL, TEXT):
            return None
        term = '"%s"' % self.key
        if kind == TEXT:
            # Python compares code points; the C collation compares UTF-8 bytes alike
            term += ' COLLATE "C"'
        if self.reverse:
            term += ' DESC'
        # None sorts first, or last with noneGreatest; reversing flips both
        term += ' NULLS FIRST' if self.reverse == self.none_greatest else ' NULLS LAST'
        return '%s, %s' % (term, tie)

    def slice_sql(self):
        """LIMIT/OFFSET text of the request."""
        sql = ''
        if self.limit is not None:
            sql += ' LIMIT %d' % self.limit
        if self.offset:
            sql += ' OFFSET %d' % self.offset
        return sql

    def run(self, sql, values, names, order, count_sql=None):
        """PageResult of ``sql`` (its columns named ``names``), ordered and sliced.

        The count comes with the page (a window over the unsliced rows)."""
        paged = ('SELECT *, count(*) OVER () AS "_total" FROM (%s) AS unpaged ORDER BY %s%s'
                 % (sql, order, self.slice_sql()))
        rows = _multiRow(paged, values, list(names) + ['_total'])
        return self.result(rows, values, count_sql or
                           'SELECT count(*) FROM (%s) AS unpaged' % sql)

    @staticmethod
    def result(rows, values, count_sql):
        """PageResult of rows carrying the unsliced count as "_total"; a page past the end
        has no row to carry it, so it is then counted on its own (count_sql)."""
        if rows:
            total = rows[0]['_total']
            for row in rows:
                del row['_total']
        else:
            total = _singleValue(count_sql, values)
        return PageResult(int(total), rows)


def request_count(method):
    """Ask the next run of method (if it can) for its count only."""
    context.count_request = method if method in COUNTABLE else None


def take_count_request(method):
    """True (once) when count() asked this method for its count only."""
    if getattr(context, 'count_request', None) == method:
        context.count_request = None
        return True
    return False


def clear_count_request():
    context.count_request = None


def request_page(method, filter_opts):
    """Offer the next run of method (if it can page) the filterOpts to apply in SQL."""
    page = PageRequest.from_opts(filter_opts) if method in PAGEABLE else None
    context.page_request = (method, page) if page is not None else None


def take_page_request(method):
    """The PageRequest (once) countAndFilterResults left for this method, or None."""
    request = getattr(context, 'page_request', None)
    if request is not None and request[0] == method:
        context.page_request = None
        return request[1]
    return None


def clear_page_request():
    context.page_request = None
