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


class CursorWrapper(object):
    """Cursor that logs statements with their timing."""

    def __init__(self, cursor):
        self.cursor = cursor

    def __getattr__(self, key):
        return getattr(self.cursor, key)

    def __iter__(self):
        return iter(self.cursor)

    def execute(self, operation, parameters=None, log_errors=True):
        start = time.time()
        try:
            if parameters is None:
                self.cursor.execute(operation)
            else:
                self.cursor.execute(operation, parameters)
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


class DBWrapper(object):
    """Connection wrapper used as ``context.cnx``."""

    def __init__(self, cnx):
        self.cnx = cnx

    def __getattr__(self, key):
        return getattr(self.cnx, key)

    def cursor(self, *args, **kwargs):
        return CursorWrapper(self.cnx.cursor(*args, **kwargs))

    def commit(self):
        self.cnx.commit()

    def rollback(self):
        self.cnx.rollback()

    def close(self):
        """Forget the connection for this thread and close it."""
        if getattr(_local, 'cnx', None) is self.cnx:
            _local.cnx = None
        self.cnx.close()


def connect():
    """Return a connection for the current thread, reusing a healthy one.

    Reusing the thread's connection avoids a TCP + auth round trip per request; any state
    a previous request left behind is discarded with a rollback.
    """
    cnx = getattr(_local, 'cnx', None)
    if cnx is not None:
        try:
            if cnx.closed:
                raise psycopg2.InterfaceError('closed')
            cnx.rollback()
            cur = cnx.cursor()
            cur.execute('SELECT 1')
            cur.close()
            return DBWrapper(cnx)
        except psycopg2.Error:
            logger.warning('Dropping broken database connection')
            try:
                cnx.close()
            except psycopg2.Error:
                pass
            _local.cnx = None
    cnx = psycopg2.connect(_make_dsn(_db_opts))
    cnx.set_session(autocommit=False)
    _local.cnx = cnx
    return DBWrapper(cnx)


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
    """A savepoint inside the request transaction (one per multicall entry)."""

    def __init__(self, name):
        if not _IDENT_RE.match(name):
            raise koji.GenericError('invalid savepoint name: %r' % name)
        self.name = name
        cursor = _cursor()
        cursor.execute('SAVEPOINT %s' % name)
        cursor.close()

    def rollback(self):
        cursor = _cursor()
        cursor.execute('ROLLBACK TO SAVEPOINT %s' % self.name)
        cursor.close()

    def release(self):
        cursor = _cursor()
        cursor.execute('RELEASE SAVEPOINT %s' % self.name)
        cursor.close()


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


class QueryProcessor(object):
    """Build and run a SELECT.

    columns/aliases: parallel lists of SQL expressions and result keys (aliases default to
    the column text). tables: FROM list. joins: JOIN clauses ('JOIN ' is prefixed when no
    join keyword is given). clauses: ANDed conditions using %(name)s placeholders filled
    from ``values``. opts: countOnly, order, offset, limit, asList, rowlock, group.
    """

    def __init__(self, columns=None, aliases=None, tables=None, joins=None, clauses=None,
                 values=None, transform=None, opts=None, enable_group=False, order_map=None):
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

    def _base_sql(self):
        return 'SELECT %s%s%s%s' % (self._select_list(), self._from(), self._where(),
                                    self._group())

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
        cursor.execute(str(self), self.values)
        if self.opts.get('countOnly'):
            value = cursor.fetchone()[0]
            cursor.close()
            return value
        rows = cursor.fetchall()
        cursor.close()
        if self.opts.get('asList'):
            if self.transform is not None:
                fields = [alias for _, alias in self._sorted_columns()]
                return [list(self._convert(row, fields).values()) for row in rows]
            return [list(row) for row in rows]
        fields = [alias for _, alias in self._sorted_columns()]
        return [self._convert(row, fields) for row in rows]

    def iterate(self, chunksize=1000):
        """Yield result rows without holding them all in memory."""
        if self.opts.get('countOnly') or self.opts.get('asList'):
            for row in self.execute():
                yield row
            return
        fields = [alias for _, alias in self._sorted_columns()]
        name = 'qp_cursor_%d_%d' % (id(self), int(time.time() * 1000) % 100000)
        cursor = context.cnx.cnx.cursor(name=name)
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
        return sql, values

    def __str__(self):
        return self._sql()[0]

    def execute(self):
        sql, values = self._sql()
        return _dml(sql, values)

    def dup_check(self):
        """True if a row with exactly this data (ignoring create stamps) already exists."""
        data = {k: v for k, v in self.data.items() if k not in ('create_event', 'creator_id')}
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
