"""Database layer of the hub.

One connection per request thread, one transaction per call (the dispatcher commits or
rolls back), and small query builders that every domain module uses so that SQL is always
parameterized. The public names match upstream's ``kojihub.db`` so hub plugins keep working.
"""
import logging
import re
import threading
import time

import psycopg2
import psycopg2.extras

import koji
from koji.context import context

from . import prepared

logger = logging.getLogger('koji.db')

_db_opts = {}
_local = threading.local()

# identifiers we are willing to splice into SQL text (savepoints, order-by names)
_IDENT_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_.]*$')
_JOIN_RE = re.compile(r'^\s*(LEFT|RIGHT|FULL|INNER|CROSS|NATURAL|JOIN)\b', re.IGNORECASE)


# ---------------------------------------------------------------------------
# connection options and connections

def provideDBopts(**opts):
    """Set connection options (dbname, user, password, host, port, dsn) for this process."""
    _db_opts.clear()
    _db_opts.update({k: v for k, v in opts.items() if v is not None})


def setDBopts(**opts):
    """Update some connection options."""
    _db_opts.update({k: v for k, v in opts.items() if v is not None})


def getDBopts():
    return dict(_db_opts)


def _make_dsn(opts):
    if opts.get('dsn'):
        return opts['dsn']
    keys = {'dbname': 'dbname', 'database': 'dbname', 'user': 'user',
            'password': 'password', 'host': 'host', 'port': 'port'}
    parts = []
    for key, name in keys.items():
        value = opts.get(key)
        if value not in (None, ''):
            value = str(value).replace('\\', '\\\\').replace("'", "\\'")
            parts.append("%s='%s'" % (name, value))
    return ' '.join(parts)


# SQLSTATEs that mean "the caller passed a value of the wrong type or size", not a bug:
# class 22 (data exception: out of range, bad text, too long, ...)
# and these of classes 23 and 42: check_violation, not_null_violation,
# undefined_function (no operator for these types), datatype_mismatch,
# indeterminate_datatype (an empty list where the type is not known)
_VALUE_STATES = ('23514', '23502', '42883', '42804', '42P18')
_FAULT_TEXT_MAX = 200


def _short(value):
    """repr of a parameter dict, cut so a huge argument cannot flood the log."""
    text = repr(value)
    if len(text) > 2000:
        text = text[:2000] + '...'
    return text


def value_fault(exc):
    """A ParameterError for a database error caused by an argument's value, else None.

    Arguments reach SQL as parameters, so a wrong type (``task_id = true``), an integer out
    of range, a string too long for its column or a NUL byte is the caller's mistake and
    gets a clean fault instead of an unexpected error.
    """
    if isinstance(exc, psycopg2.Error):
        state = exc.pgcode or ''
        if state.startswith('22') or state in _VALUE_STATES:
            text = (exc.diag.message_primary or str(exc)).strip()
        elif state == '' and "can't adapt" in str(exc):
            text = str(exc).strip()
        else:
            return None
    elif isinstance(exc, ValueError) and 'NUL' in str(exc):
        text = str(exc).strip()
    else:
        return None
    text = text.splitlines()[0] if text else 'invalid value'
    if len(text) > _FAULT_TEXT_MAX:
        text = text[:_FAULT_TEXT_MAX] + '...'
    return koji.ParameterError('Invalid argument value: %s' % text)


# A statement that only reads runs outside any transaction (READ COMMITTED gives each
# statement its own snapshot either way); anything else opens the call's transaction first.
_READ_RE = re.compile(r'^\s*SELECT\b', re.IGNORECASE)
_NOT_READ_RE = re.compile(r'\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b|\bnextval\b|\bsetval\b'
                          r'|\bget_event\b|\bpg_advisory|\bpg_notify\b|\bINTO\b',
                          re.IGNORECASE)
# errors that mean the server side of a reused connection went away
_GONE = (psycopg2.OperationalError, psycopg2.InterfaceError)
DB_OUTAGE = 'database outage'


# the hub sends a few hundred distinct statement texts (values travel as parameters), and
# the regex search of a long join costs more than its round trip's Python side: remember
_PLAIN_READ_CACHE = {}
_PLAIN_READ_CACHE_MAX = 4096


def is_plain_read(operation):
    """True for a SELECT that neither locks nor changes anything."""
    known = _PLAIN_READ_CACHE.get(operation)
    if known is not None:
        return known
    known = bool(_READ_RE.match(operation)) and not _NOT_READ_RE.search(operation)
    if len(_PLAIN_READ_CACHE) < _PLAIN_READ_CACHE_MAX:
        _PLAIN_READ_CACHE[operation] = known
    return known


def _reached_server(exc):
    """Whether a failed statement got to the server (its errors carry an SQLSTATE)."""
    return isinstance(exc, psycopg2.Error) and exc.pgcode is not None


class CursorWrapper(object):
    """Cursor that logs statements with their timing and opens transactions lazily."""

    def __init__(self, cursor, owner=None, cursor_args=((), {})):
        self.cursor = cursor
        self.owner = owner
        self._cursor_args = cursor_args

    def __getattr__(self, key):
        return getattr(self.cursor, key)

    def __iter__(self):
        return iter(self.cursor)

    def execute(self, operation, parameters=None, log_errors=True, prepare=False):
        """Run a statement; prepare=True lets a repeated plain read become a prepared
        statement (only for reads whose best plan does not depend on the values)."""
        start = time.time()
        owner = self.owner
        try:
            if owner is None:
                self._run(operation, parameters)
            else:
                self._run_in(owner, operation, parameters, prepare)
        except Exception as exc:
            fault = value_fault(exc)
            if fault is not None:
                logger.info('Query refused a value: %s', fault)
                raise fault from exc
            if log_errors:
                logger.error('Query failed: %s (values %r)', operation, _short(parameters),
                             exc_info=logger.isEnabledFor(logging.DEBUG))
            raise
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug('%.3fs: %s', time.time() - start,
                         self.cursor.query.decode('utf-8', 'replace'))

    def _run(self, operation, parameters):
        if parameters is None:
            self.cursor.execute(operation)
        else:
            self.cursor.execute(operation, parameters)

    def _run_in(self, owner, operation, parameters, prepare=False):
        """Send the statement with what the transaction owes first, in one round trip."""
        read = is_plain_read(operation)
        # a read may be prepared only outside a transaction: a failed PREPARE aborts one
        may_prepare = read and not owner.in_tx
        owed = owner.owed()
        prefix = owner.take_prefix(read_only=read)
        read = read and prepare
        try:
            self._run_checked(owner, prefix, operation, parameters, read, may_prepare)
        except Exception as exc:
            if not _reached_server(exc):
                # psycopg2 refused the statement (a value it cannot send) before anything
                # left: the BEGIN / SAVEPOINT glued to it are still owed
                owner.restore_owed(owed)
            raise

    def _run_checked(self, owner, prefix, operation, parameters, read, may_prepare):
        if not owner.checked:
            try:
                self._send(owner, prefix, operation, parameters, read, may_prepare)
            except _GONE:
                if not owner.cnx.closed:
                    raise
                # the connection this thread kept died since its last request: nothing of
                # this request reached the server yet, so a new connection may run it
                owner.reconnect()
                args, kwargs = self._cursor_args
                self.cursor = owner.cnx.cursor(*args, **kwargs)
                self._send(owner, prefix, operation, parameters, read, may_prepare)
            except Exception:
                # the server answered (with an error): from now on a lost connection
                # means lost work, not a stale one
                owner.checked = True
                raise
            owner.checked = True
        else:
            self._send(owner, prefix, operation, parameters, read, may_prepare)

    def _send(self, owner, prefix, operation, parameters, read, may_prepare):
        if not operation:
            # only what is owed (DBWrapper.begin)
            self._run(prefix.rstrip('; '), None)
            return
        if not read or self._cursor_args != ((), {}):
            self._run(prefix + operation, parameters)
            return
        cache = prepared.cache_for(_local, owner.cnx)
        sql, values, fresh = cache.plan(operation, parameters, may_prepare,
                                        int_arrays=read == PREPARE_INT_ARRAYS)
        if not fresh:
            self._run(prefix + sql, values)
            return
        try:
            self._run(prefix + sql, values)
        except prepared.PREPARE_ERRORS:
            # not preparable (or the read itself fails, and will again just below)
            cache.forget(operation)
            self._run(prefix + operation, parameters)


class DBWrapper(object):
    """Connection wrapper used as ``context.cnx`` (one per request).

    The connection runs in autocommit mode and the wrapper opens the transaction itself,
    glued to the first statement that needs one: a call that only reads costs no
    BEGIN/ROLLBACK round trips, and one that writes costs no extra ones.  Savepoints are
    sent the same way, just before the first statement that follows them.
    """

    def __init__(self, cnx, checked=True):
        self.cnx = cnx
        # whether this connection has answered during this request
        self.checked = checked
        self.in_tx = False
        # counts transactions, so a savepoint knows whether its transaction still runs
        self.tx_serial = 0
        self._pending = []      # Savepoints made in the transaction, not yet sent
        self._releases = []     # Savepoints released, their RELEASE not yet sent

    def __getattr__(self, key):
        return getattr(self.cnx, key)

    def cursor(self, *args, **kwargs):
        return CursorWrapper(self.cnx.cursor(*args, **kwargs), self, (args, kwargs))

    def owed(self):
        """What take_prefix would hand out, to put back if it never reaches the server."""
        return (self.in_tx, self.tx_serial, list(self._pending), list(self._releases))

    def restore_owed(self, owed):
        self.in_tx, self.tx_serial, pending, releases = owed
        for savepoint in pending:
            savepoint.emitted = False
        self._pending, self._releases = pending, releases

    def take_prefix(self, read_only):
        """SQL to send ahead of the next statement (BEGIN, RELEASE / SAVEPOINT)."""
        if not self.in_tx:
            if read_only:
                return ''
            self.in_tx = True
            self.tx_serial += 1
            return 'BEGIN; '
        if not self._pending and not self._releases:
            return ''
        parts = ['RELEASE SAVEPOINT %s; ' % sp.name for sp in self._releases]
        for sp in self._pending:
            sp.emitted = True
            parts.append('SAVEPOINT %s; ' % sp.name)
        self._releases = []
        self._pending = []
        return ''.join(parts)

    def begin(self):
        """Open the transaction now (server-side cursors need one)."""
        if not self.in_tx:
            cursor = self.cursor()
            cursor.execute('')
            cursor.close()

    def _send(self, sql):
        cursor = self.cnx.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def _end(self, sql):
        self._pending = []
        self._releases = []
        if self.in_tx:
            self.in_tx = False
            self._send(sql)

    def commit(self):
        self._end('COMMIT')

    def rollback(self):
        self._end('ROLLBACK')

    def add_savepoint(self, savepoint):
        if self.in_tx:
            self._pending.append(savepoint)
            return self.tx_serial
        return None

    def rollback_savepoint(self, savepoint):
        if savepoint.tx is None or savepoint.tx != self.tx_serial:
            # no transaction was open when it was made (or that one ended): all the current
            # transaction did came after the savepoint
            self.rollback()
        elif savepoint.emitted:
            # savepoints made after this one no longer exist once we roll back to it
            self._releases = []
            self._pending = []
            self._send('ROLLBACK TO SAVEPOINT %s' % savepoint.name)
        elif savepoint in self._pending:
            # nothing ran since it was made
            del self._pending[self._pending.index(savepoint):]

    def release_savepoint(self, savepoint):
        if savepoint.tx != self.tx_serial or not self.in_tx:
            return
        if savepoint.emitted:
            self._releases.append(savepoint)
        elif savepoint in self._pending:
            self._pending.remove(savepoint)

    def reconnect(self):
        """Replace a connection that died between requests (ServerOffline if we cannot)."""
        try:
            self.cnx.close()
        except psycopg2.Error:
            pass
        _local.cnx = None
        try:
            self.cnx = _new_connection()
        except psycopg2.Error:
            logger.error('Cannot reconnect to the database', exc_info=True)
            raise koji.ServerOffline(DB_OUTAGE)

    def close(self):
        """Forget the connection for this thread and close it."""
        if getattr(_local, 'cnx', None) is self.cnx:
            _local.cnx = None
        self.in_tx = False
        self.cnx.close()


def _new_connection():
    cnx = psycopg2.connect(_make_dsn(_db_opts))
    cnx.set_session(autocommit=True)
    _local.cnx = cnx
    return cnx


def connect():
    """Return a wrapper around this thread's connection, opening one if needed.

    A kept connection is reused without a round trip: if it died meanwhile, the first
    statement of the request finds out and reconnects (see CursorWrapper).
    """
    cnx = getattr(_local, 'cnx', None)
    if cnx is not None and not cnx.closed:
        if cnx.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            # a request ended without closing its transaction: start clean
            try:
                cnx.cursor().execute('ROLLBACK')
            except psycopg2.Error:
                cnx = None
        if cnx is not None:
            return DBWrapper(cnx, checked=False)
    if cnx is not None:
        try:
            cnx.close()
        except psycopg2.Error:
            pass
        _local.cnx = None
    return DBWrapper(_new_connection())


def _cursor():
    cnx = getattr(context, 'cnx', None)
    if cnx is None:
        raise koji.GenericError('no database connection for this request')
    return cnx.cursor()


# ---------------------------------------------------------------------------
# raw helpers (upstream names)

def _dml(operation, values, log_errors=True):
    """Run a data-changing statement; the request will commit."""
    cursor = _cursor()
    cursor.execute(operation, values, log_errors=log_errors)
    rows = cursor.rowcount
    cursor.close()
    context.commit_pending = True
    return rows


def _fetchSingle(query, values, strict=False):
    """Return one row as a tuple, or None."""
    cursor = _cursor()
    cursor.execute(query, values)
    rows = cursor.fetchmany(2)
    cursor.close()
    if len(rows) > 1:
        if strict:
            raise koji.GenericError('multiple rows returned for a single row query')
        return None
    if not rows:
        if strict:
            raise koji.GenericError('query returned no rows')
        return None
    return rows[0]


def _singleValue(query, values=None, strict=True):
    """Return the first column of the single row a query gives."""
    row = _fetchSingle(query, values or {}, strict=strict)
    if row is None:
        return None
    return row[0]


def _multiRow(query, values, fields):
    """Return all rows as dicts keyed by fields."""
    cursor = _cursor()
    cursor.execute(query, values)
    rows = [dict(zip(fields, row)) for row in cursor.fetchall()]
    cursor.close()
    return rows


def _singleRow(query, values, fields, strict=False):
    row = _fetchSingle(query, values, strict=strict)
    if row is None:
        return None
    return dict(zip(fields, row))


def get_event():
    """Event id of the current call, created on first use (all writes of a call share it)."""
    event_id = getattr(context, 'event_id', None)
    if event_id is None:
        event_id = _singleValue('SELECT get_event()')
        context.event_id = event_id
    return event_id


def nextval(sequence):
    return _singleValue('SELECT nextval(%(sequence)s)', {'sequence': sequence})


def currval(sequence):
    return _singleValue('SELECT currval(%(sequence)s)', {'sequence': sequence})


def db_lock(name, wait=True):
    """Take the row lock named ``name`` for the rest of the transaction.

    Returns True when held; with wait=False returns False if someone else holds it.
    """
    query = 'SELECT name FROM locks WHERE name = %(name)s FOR UPDATE'
    if not wait:
        query += ' SKIP LOCKED'
    cursor = _cursor()
    cursor.execute(query, {'name': name})
    row = cursor.fetchone()
    if row is None and not wait:
        cursor.execute('SELECT name FROM locks WHERE name = %(name)s', {'name': name})
        row = cursor.fetchone()
        cursor.close()
        if row is None:
            raise koji.LockError('Lock not defined: %s' % name)
        return False
    cursor.close()
    if row is None:
        raise koji.LockError('Lock not defined: %s' % name)
    return True


class Savepoint(object):
    """A savepoint inside the request transaction (one per multicall entry).

    Sent lazily with the next statement (DBWrapper): a call that runs no statement costs
    nothing, and with no transaction open there is nothing to save.
    """

    def __init__(self, name):
        if not _IDENT_RE.match(name):
            raise koji.GenericError('invalid savepoint name: %r' % name)
        self.name = name
        self.emitted = False
        self.cnx = getattr(context, 'cnx', None)
        if self.cnx is None:
            raise koji.GenericError('no database connection for this request')
        # a connection object without the lazy protocol gets plain SQL right away
        self.lazy = hasattr(self.cnx, 'add_savepoint')
        if self.lazy:
            self.tx = self.cnx.add_savepoint(self)
        else:
            self._sql('SAVEPOINT %s' % name)

    def _sql(self, sql):
        cursor = self.cnx.cursor()
        cursor.execute(sql)
        cursor.close()

    def rollback(self):
        if self.lazy:
            self.cnx.rollback_savepoint(self)
        else:
            self._sql('ROLLBACK TO SAVEPOINT %s' % self.name)

    def release(self):
        if self.lazy:
            self.cnx.release_savepoint(self)
        else:
            self._sql('RELEASE SAVEPOINT %s' % self.name)


# ---------------------------------------------------------------------------
# query builders

def check_query_opts(opts):
    """queryOpts must be a struct whose known keys have usable values (None is no options).

    Calls apply some options in Python before any query runs, so the dispatcher checks
    every ``queryOpts`` argument with this too (core/argcheck.py).
    """
    if opts is None:
        return
    if not isinstance(opts, dict):
        raise koji.ParameterError('Invalid queryOpts: %s' % type(opts).__name__)
    for key in ('offset', 'limit'):
        value = opts.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise koji.ParameterError('queryOpts %s must be a non-negative integer' % key)
    for key in ('order', 'group'):
        value = opts.get(key)
        if value is not None and not isinstance(value, str):
            raise koji.ParameterError('queryOpts %s must be a string' % key)


# QueryProcessor(prepare=PREPARE_INT_ARRAYS): prepared even with lists of ids as values
PREPARE_INT_ARRAYS = 'int_arrays'
_BASE_SQL_CACHE = {}
_FIELDS_CACHE = {}
_BASE_SQL_CACHE_MAX = 4096


class QueryProcessor(object):
    """Build and run a SELECT.

    columns/aliases: parallel lists of SQL expressions and result keys (aliases default to
    the column text). tables: FROM list. joins: JOIN clauses ('JOIN ' is prefixed when no
    join keyword is given). clauses: ANDed conditions using %(name)s placeholders filled
    from ``values``. opts: countOnly, order, offset, limit, asList, rowlock, group.
    """

    # a lookup whose plan does not depend on its values (by id, by name): worth a
    # prepared statement (see prepared.py); pattern, range and limit reads are not
    prepare = False

    def __init__(self, columns=None, aliases=None, tables=None, joins=None, clauses=None,
                 values=None, transform=None, opts=None, enable_group=False, order_map=None,
                 prepare=False):
        self.prepare = prepare
        self.columns = list(columns or [])
        if aliases is None:
            aliases = self.columns
        self.aliases = list(aliases)
        if len(self.aliases) != len(self.columns):
            raise koji.GenericError('column and alias lists must have the same length')
        self.tables = list(tables or [])
        self.joins = list(joins or [])
        self.clauses = list(clauses or [])
        self.values = dict(values or {})
        self.transform = transform
        check_query_opts(opts)
        self.opts = dict(opts or {})
        self.enable_group = enable_group
        # None: order by any alias or column; a map: only its keys (upstream's QueryView)
        self.order_map = None if order_map is None else dict(order_map)
        self._check_opts()

    def _check_opts(self):
        check_query_opts(self.opts)

    # -- SQL text
    def _sorted_columns(self):
        pairs = sorted(zip(self.aliases, self.columns))
        return [(col, alias) for alias, col in pairs]

    def _fields(self):
        """Result keys in select-list order (remembered per column list)."""
        key = (tuple(self.columns), tuple(self.aliases))
        fields = _FIELDS_CACHE.get(key)
        if fields is None:
            fields = tuple(alias for _, alias in self._sorted_columns())
            if len(_FIELDS_CACHE) < _BASE_SQL_CACHE_MAX:
                _FIELDS_CACHE[key] = fields
        return fields

    def _select_list(self):
        parts = []
        for col, alias in self._sorted_columns():
            if col == alias:
                parts.append(col)
            else:
                parts.append('%s AS %s' % (col, alias))
        return ', '.join(parts)

    def _from(self):
        if not self.tables:
            return ''
        sql = '\nFROM %s' % ', '.join(self.tables)
        for join in self.joins:
            if not _JOIN_RE.match(join):
                join = 'JOIN ' + join
            sql += '\n' + join
        return sql

    def _where(self):
        if not self.clauses:
            return ''
        return '\nWHERE ' + ' AND '.join('(%s)' % c for c in self.clauses)

    def _order_expr(self, name):
        if self.order_map and name in self.order_map:
            return self.order_map[name]
        if name in self.aliases:
            return self.columns[self.aliases.index(name)]
        if name in self.columns:
            return name
        if self.order_map is not None:
            raise koji.ParameterError('Invalid order term: %s' % name)
        # upstream's QueryProcessor raises a bare Exception here (a faultCode 1 reply)
        raise Exception('Invalid order: ' + name)

    def _order(self):
        order = self.opts.get('order')
        if not order:
            return ''
        terms = []
        for term in order.split(','):
            term = term.strip()
            desc = term.startswith('-')
            if desc:
                term = term[1:]
            if not term:
                raise koji.ParameterError('Invalid order: %r' % order)
            expr = self._order_expr(term)
            terms.append(expr + (' DESC' if desc else ''))
        return '\nORDER BY ' + ', '.join(terms)

    def _group(self):
        group = self.opts.get('group')
        if not group or not self.enable_group:
            return ''
        names = []
        for name in group.split(','):
            name = name.strip()
            if name in self.aliases:
                name = self.columns[self.aliases.index(name)]
            elif name not in self.columns:
                raise koji.ParameterError('Invalid group term: %s' % name)
            names.append(name)
        return '\nGROUP BY ' + ', '.join(names)

    def _shape(self):
        """What the SELECT ... WHERE ... GROUP BY text depends on (read when it is needed:
        callers may change the lists after construction)."""
        return (type(self), tuple(self.columns), tuple(self.aliases), tuple(self.tables),
                tuple(self.joins), tuple(self.clauses),
                self.opts.get('group') if self.enable_group else None)

    def _base_sql(self):
        # the hub builds a few hundred shapes of query, each many times: building the text
        # (sorting columns, joining lists) cost more than the rest of a small call's Python
        shape = self._shape()
        sql = _BASE_SQL_CACHE.get(shape)
        if sql is None:
            sql = 'SELECT %s%s%s%s' % (self._select_list(), self._from(), self._where(),
                                       self._group())
            if len(_BASE_SQL_CACHE) < _BASE_SQL_CACHE_MAX:
                _BASE_SQL_CACHE[shape] = sql
        return sql

    def __str__(self):
        if self.opts.get('countOnly'):
            return 'SELECT count(*) FROM (%s) AS counted' % self._base_sql()
        sql = self._base_sql() + self._order()
        if self.opts.get('limit') is not None:
            sql += '\nLIMIT %i' % self.opts['limit']
        if self.opts.get('offset'):
            sql += '\nOFFSET %i' % self.opts['offset']
        if self.opts.get('rowlock'):
            sql += '\nFOR UPDATE'
        return sql

    # -- running
    def _convert(self, row, fields):
        data = dict(zip(fields, row))
        if self.transform is not None:
            data = self.transform(data)
        return data

    def execute(self):
        cursor = _cursor()
        cursor.execute(str(self), self.values, prepare=self.prepare)
        if self.opts.get('countOnly'):
            value = cursor.fetchone()[0]
            cursor.close()
            return value
        rows = cursor.fetchall()
        cursor.close()
        if self.opts.get('asList'):
            if self.transform is not None:
                fields = self._fields()
                return [list(self._convert(row, fields).values()) for row in rows]
            return [list(row) for row in rows]
        fields = self._fields()
        return [self._convert(row, fields) for row in rows]

    def iterate(self, chunksize=1000):
        """Yield result rows without holding them all in memory."""
        if self.opts.get('countOnly') or self.opts.get('asList'):
            for row in self.execute():
                yield row
            return
        fields = self._fields()
        name = 'qp_cursor_%d_%d' % (id(self), int(time.time() * 1000) % 100000)
        # a server-side cursor lives in a transaction; psycopg2 does not know we opened
        # one on an autocommit connection and wants WITH HOLD there (closed before commit)
        context.cnx.begin()
        cursor = context.cnx.cnx.cursor(name=name, withhold=True)
        cursor.itersize = chunksize
        try:
            try:
                cursor.execute(str(self), self.values)
            except Exception as exc:
                fault = value_fault(exc)
                if fault is None:
                    raise
                raise fault from exc
            for row in cursor:
                yield self._convert(row, fields)
        finally:
            cursor.close()

    def executeOne(self, strict=False):
        results = self.execute()
        if not isinstance(results, list):
            return results
        if not results:
            if strict:
                raise koji.GenericError('query returned no rows')
            return None
        if strict and len(results) > 1:
            raise koji.GenericError('multiple rows returned for a single row query')
        return results[0]

    def singleValue(self, strict=True):
        """First column of the single row (with exactly one column selected)."""
        row = self.executeOne(strict=strict)
        if row is None:
            return None
        if isinstance(row, dict):
            if len(row) != 1:
                raise koji.GenericError('singleValue needs a single column query')
            return list(row.values())[0]
        return row


def _data_sql(data, rawdata, prefix):
    """Split column data into SQL value expressions and a parameter dict."""
    exprs = {}
    values = {}
    for i, (key, value) in enumerate(sorted(data.items())):
        name = '%s%d' % (prefix, i)
        exprs[key] = '%%(%s)s' % name
        values[name] = value
    for key, raw in rawdata.items():
        exprs[key] = raw
    return exprs, values


class InsertProcessor(object):
    """Build and run an INSERT of one row."""

    # ON CONFLICT DO NOTHING: a row that a unique constraint already holds is skipped
    on_conflict_do_nothing = False

    def __init__(self, table, data=None, rawdata=None):
        self.table = table
        self.data = dict(data or {})
        self.rawdata = dict(rawdata or {})

    def set(self, **kwargs):
        self.data.update(kwargs)

    def rawset(self, **kwargs):
        self.rawdata.update(kwargs)

    def make_create(self, event_id=None, user_id=None):
        """Stamp a versioned row with the call's event and the acting user."""
        if event_id is None:
            event_id = get_event()
        if user_id is None:
            context.session.assertLogin()
            user_id = context.session.user_id
        self.data['create_event'] = event_id
        self.data['creator_id'] = user_id

    def _sql(self):
        exprs, values = _data_sql(self.data, self.rawdata, 'ins_')
        if not exprs:
            raise koji.GenericError('no data to insert into %s' % self.table)
        cols = sorted(exprs)
        sql = 'INSERT INTO %s (%s) VALUES (%s)' % (
            self.table, ', '.join(cols), ', '.join(exprs[c] for c in cols))
        if self.on_conflict_do_nothing:
            sql += ' ON CONFLICT DO NOTHING'
        return sql, values

    def __str__(self):
        return self._sql()[0]

    def execute(self, returning=None):
        """Run the insert: the row count, or with ``returning`` that column of the new
        row (one round trip for e.g. an id drawn from a sequence in rawdata; None when
        on_conflict_do_nothing skipped the row)."""
        sql, values = self._sql()
        if returning is None:
            return _dml(sql, values)
        if not _IDENT_RE.match(returning):
            raise koji.GenericError('invalid column name: %r' % returning)
        cursor = _cursor()
        cursor.execute('%s RETURNING %s' % (sql, returning), values)
        row = cursor.fetchone()
        cursor.close()
        value = None if row is None else row[0]
        context.commit_pending = True
        return value

    def dup_check(self):
        """True if a row with exactly this data (ignoring create stamps) already exists.

        In a versioned table (the insert carries create_event) only an active row counts,
        as upstream's check does: a revoked row is history, not a duplicate.
        """
        data = {k: v for k, v in self.data.items() if k not in ('create_event', 'creator_id')}
        if 'create_event' in self.data:
            data.setdefault('active', True)
        clauses = []
        values = {}
        for i, (key, value) in enumerate(sorted(data.items())):
            if value is None:
                clauses.append('%s IS NULL' % key)
            else:
                clauses.append('%s = %%(dup%d)s' % (key, i))
                values['dup%d' % i] = value
        for key, raw in self.rawdata.items():
            clauses.append('%s = %s' % (key, raw))
        if not clauses:
            return False
        query = QueryProcessor(columns=['1'], aliases=['one'], tables=[self.table],
                               clauses=clauses, values=values, opts={'limit': 1})
        return bool(query.execute())


class UpdateProcessor(object):
    """Build and run an UPDATE."""

    def __init__(self, table, data=None, rawdata=None, clauses=None, values=None):
        self.table = table
        self.data = dict(data or {})
        self.rawdata = dict(rawdata or {})
        self.clauses = list(clauses or [])
        self.values = dict(values or {})

    def set(self, **kwargs):
        self.data.update(kwargs)

    def rawset(self, **kwargs):
        self.rawdata.update(kwargs)

    def make_revoke(self, event_id=None, user_id=None):
        """Revoke the active version of matching versioned rows."""
        if event_id is None:
            event_id = get_event()
        if user_id is None:
            context.session.assertLogin()
            user_id = context.session.user_id
        self.data['revoke_event'] = event_id
        self.data['revoker_id'] = user_id
        self.rawdata['active'] = 'NULL'
        self.clauses.append('active = TRUE')

    def _sql(self):
        exprs, values = _data_sql(self.data, self.rawdata, 'upd_')
        if not exprs:
            raise koji.GenericError('no data to update in %s' % self.table)
        overlap = set(values) & set(self.values)
        if overlap:
            raise koji.GenericError('reserved value names used: %s' % ', '.join(overlap))
        values.update(self.values)
        sql = 'UPDATE %s SET %s' % (
            self.table, ', '.join('%s = %s' % (c, exprs[c]) for c in sorted(exprs)))
        if self.clauses:
            sql += ' WHERE ' + ' AND '.join('(%s)' % c for c in self.clauses)
        return sql, values

    def __str__(self):
        return self._sql()[0]

    def execute(self):
        sql, values = self._sql()
        return _dml(sql, values)


class DeleteProcessor(object):
    """Build and run a DELETE (only for non-versioned data)."""

    def __init__(self, table, clauses=None, values=None):
        self.table = table
        self.clauses = list(clauses or [])
        self.values = dict(values or {})

    def __str__(self):
        sql = 'DELETE FROM %s' % self.table
        if self.clauses:
            sql += ' WHERE ' + ' AND '.join('(%s)' % c for c in self.clauses)
        return sql

    def execute(self):
        return _dml(str(self), self.values)


class BulkInsertProcessor(object):
    """Insert many rows with few statements (``batch`` rows per statement)."""

    def __init__(self, table, data=None, columns=None, strict=True, batch=1000):
        self.table = table
        self.data = list(data or [])
        self.columns = list(columns) if columns else None
        self.strict = strict
        self.batch = batch

    def add_record(self, **kwargs):
        self.data.append(kwargs)

    def _columns(self):
        if self.columns:
            return sorted(self.columns)
        names = set()
        for row in self.data:
            names.update(row)
        return sorted(names)

    def execute(self):
        if not self.data:
            return 0
        columns = self._columns()
        if self.strict:
            for row in self.data:
                if set(row) != set(columns):
                    raise koji.GenericError('bulk insert rows must all have the same columns')
        sql = 'INSERT INTO %s (%s) VALUES %%s' % (self.table, ', '.join(columns))
        total = 0
        cursor = _cursor()
        step = self.batch if self.batch and self.batch > 0 else len(self.data)
        for start in range(0, len(self.data), step):
            chunk = [tuple(row.get(c) for c in columns)
                     for row in self.data[start:start + step]]
            psycopg2.extras.execute_values(cursor.cursor, sql, chunk, page_size=len(chunk))
            total += cursor.rowcount
        cursor.close()
        context.commit_pending = True
        return total
