"""The hub's database layer against a real PostgreSQL database built from schema.sql."""
import threading

import psycopg2
import pytest

import koji
from koji.context import context
from kojihub.core import db


@pytest.fixture
def cnx(test_db):
    """A request-like context: db options provided, connection open, no session."""
    context._threadclear()
    db.provideDBopts(dsn=test_db['dsn'])
    context.cnx = db.connect()
    yield context.cnx
    context.cnx.rollback()
    context.cnx.close()
    context._threadclear()


def _add_user(name):
    db.InsertProcessor('users', data={'name': name, 'status': 0, 'usertype': 0}).execute()
    return db._singleValue('SELECT id FROM users WHERE name = %(name)s', {'name': name})


def test_query_processor_basics(cnx):
    for name in ('carol', 'alice', 'bob'):
        _add_user(name)
    query = db.QueryProcessor(columns=['id', 'name'], tables=['users'],
                              clauses=['name LIKE %(pat)s'], values={'pat': '%'},
                              opts={'order': 'name'})
    rows = query.execute()
    assert [r['name'] for r in rows] == ['alice', 'bob', 'carol']
    assert sorted(rows[0]) == ['id', 'name']

    desc = db.QueryProcessor(columns=['name'], tables=['users'], opts={'order': '-name'})
    assert [r['name'] for r in desc.execute()] == ['carol', 'bob', 'alice']

    count = db.QueryProcessor(columns=['id'], tables=['users'], opts={'countOnly': True})
    assert count.execute() == 3

    page = db.QueryProcessor(columns=['name'], tables=['users'],
                             opts={'order': 'name', 'offset': 1, 'limit': 1})
    assert page.execute() == [{'name': 'bob'}]


def test_query_processor_aliases_aslist_and_transform(cnx):
    _add_user('zed')
    query = db.QueryProcessor(columns=['users.name', 'users.id'], aliases=['user_name', 'id'],
                              tables=['users'], opts={'asList': True})
    rows = query.execute()
    # asList orders columns by alias name
    assert isinstance(rows[0], list) and isinstance(rows[0][0], int) and rows[0][1] == 'zed'

    upper = db.QueryProcessor(columns=['name'], tables=['users'],
                              transform=lambda r: {'name': r['name'].upper()})
    assert upper.execute() == [{'name': 'ZED'}]


def test_query_processor_text_follows_changes_after_reuse(cnx):
    """The SELECT text is remembered per query shape: a shape seen before, then changed
    (callers add clauses after construction), or differing only in aliases or group,
    must still get its own text and keys."""
    for name in ('ann', 'ben'):
        _add_user(name)

    def query(**kw):
        args = dict(columns=['id', 'name'], tables=['users'], clauses=['name = %(n)s'],
                    values={'n': 'ann'})
        args.update(kw)
        return db.QueryProcessor(**args)
    assert [r['name'] for r in query().execute()] == ['ann']
    changed = query()
    changed.clauses.append('id < 0')
    assert changed.execute() == []
    assert 'id < 0' in str(changed) and 'id < 0' not in str(query())
    renamed = query(aliases=['id', 'login'])
    assert [sorted(r) for r in renamed.execute()] == [['id', 'login']]
    assert [sorted(r) for r in query().execute()] == [['id', 'name']]
    grouped = query(columns=['name'], clauses=[], opts={'group': 'name', 'order': 'name'},
                    enable_group=True)
    assert 'GROUP BY name' in str(grouped)
    assert 'GROUP BY' not in str(query(columns=['name'], clauses=[],
                                       opts={'group': 'name', 'order': 'name'}))
    assert [r['name'] for r in grouped.execute()] == ['ann', 'ben']


def test_query_processor_rejects_unknown_order(cnx):
    query = db.QueryProcessor(columns=['name'], tables=['users'],
                              opts={'order': 'name; DROP TABLE users'})
    # upstream raises a bare Exception here (the caller gets a faultCode 1 reply)
    with pytest.raises(Exception) as exc:
        query.execute()
    assert type(exc.value) is Exception
    assert str(exc.value) == 'Invalid order: name; DROP TABLE users'
    # with an order map (upstream's QueryView) only its keys are accepted
    query = db.QueryProcessor(columns=['name'], tables=['users'], opts={'order': '-bogus'},
                              order_map={'id': 'id'})
    with pytest.raises(koji.ParameterError, match='^Invalid order term: bogus$'):
        query.execute()
    with pytest.raises(koji.ParameterError):
        db.QueryProcessor(columns=['name'], tables=['users'], opts={'limit': 'x'})


def test_execute_one_and_single_value(cnx):
    _add_user('one')
    _add_user('two')
    query = db.QueryProcessor(columns=['name'], tables=['users'],
                              clauses=['name = %(n)s'], values={'n': 'one'})
    assert query.executeOne() == {'name': 'one'}
    assert query.singleValue() == 'one'
    none = db.QueryProcessor(columns=['name'], tables=['users'], clauses=['FALSE'])
    assert none.executeOne() is None
    with pytest.raises(koji.GenericError):
        none.executeOne(strict=True)
    many = db.QueryProcessor(columns=['name'], tables=['users'])
    with pytest.raises(koji.GenericError):
        many.executeOne(strict=True)


def test_joins_get_join_keyword(cnx):
    uid = _add_user('joiner')
    db._dml("INSERT INTO user_krb_principals (user_id, krb_principal) "
            "VALUES (%(u)s, 'joiner@EXAMPLE.COM')", {'u': uid})
    query = db.QueryProcessor(
        columns=['users.name', 'krb_principal'], aliases=['name', 'krb'],
        tables=['users'], joins=['user_krb_principals ON users.id = user_id'])
    assert query.execute() == [{'krb': 'joiner@EXAMPLE.COM', 'name': 'joiner'}]
    left = db.QueryProcessor(
        columns=['users.name', 'krb_principal'], aliases=['name', 'krb'], tables=['users'],
        joins=['LEFT OUTER JOIN user_krb_principals ON users.id = user_id'])
    assert len(left.execute()) == 1


def test_event_shared_within_call_and_versioning(cnx):
    uid = _add_user('versioned')
    context.event_id = None
    first = db.get_event()
    assert db.get_event() == first
    perm = db._singleValue("SELECT id FROM permissions WHERE name = 'admin'")
    ins = db.InsertProcessor('user_perms', data={'user_id': uid, 'perm_id': perm})
    ins.make_create(user_id=uid)
    ins.execute()
    assert ins.dup_check()
    assert context.commit_pending

    context.event_id = None
    upd = db.UpdateProcessor('user_perms', clauses=['user_id = %(uid)s'], values={'uid': uid})
    upd.make_revoke(user_id=uid)
    assert upd.execute() == 1
    row = db._singleRow('SELECT create_event, revoke_event, active FROM user_perms',
                        {}, ['create', 'revoke', 'active'])
    assert row['create'] == first and row['revoke'] > first and row['active'] is None
    # revoking again touches nothing: only active rows are revoked
    again = db.UpdateProcessor('user_perms', clauses=['user_id = %(uid)s'],
                               values={'uid': uid})
    again.make_revoke(user_id=uid)
    assert again.execute() == 0
    # only an active row is a duplicate in a versioned table (the revoked one is history)
    context.event_id = None
    regrant = db.InsertProcessor('user_perms', data={'user_id': uid, 'perm_id': perm})
    regrant.make_create(user_id=uid)
    assert not regrant.dup_check()


def test_make_create_needs_login(cnx):
    class Anonymous(object):
        def assertLogin(self):
            raise koji.ActionNotAllowed('you must be logged in for this operation')
    context.session = Anonymous()
    ins = db.InsertProcessor('user_perms', data={'user_id': 1, 'perm_id': 1})
    with pytest.raises(koji.ActionNotAllowed):
        ins.make_create()


def test_savepoint_rollback_keeps_earlier_work(cnx):
    _add_user('kept')
    savepoint = db.Savepoint('sp_test')
    _add_user('dropped')
    savepoint.rollback()
    names = [r['name'] for r in db.QueryProcessor(columns=['name'], tables=['users']).execute()]
    assert names == ['kept']
    with pytest.raises(koji.GenericError):
        db.Savepoint('bad name; x')


def test_bulk_insert_batches(cnx):
    rows = [{'name': 'pkg%04d' % i} for i in range(2500)]
    bulk = db.BulkInsertProcessor('package', data=rows, batch=1000)
    assert bulk.execute() == 2500
    assert db._singleValue('SELECT count(*) FROM package') == 2500
    bad = db.BulkInsertProcessor('package', data=[{'name': 'x'}, {'id': 5}])
    with pytest.raises(koji.GenericError):
        bad.execute()


def test_delete_and_multirow(cnx):
    for name in ('d1', 'd2'):
        _add_user(name)
    rows = db._multiRow('SELECT name FROM users ORDER BY name', {}, ['name'])
    assert rows == [{'name': 'd1'}, {'name': 'd2'}]
    assert db.DeleteProcessor('users', clauses=['name = %(n)s'], values={'n': 'd1'}).execute() == 1
    assert db._singleValue('SELECT count(*) FROM users') == 1


def test_nextval_and_locks(cnx, test_db):
    first = db.nextval('package_id_seq')
    assert db.nextval('package_id_seq') == first + 1
    assert db.currval('package_id_seq') == first + 1
    assert db.db_lock('scheduler', wait=False) is True
    with pytest.raises(koji.LockError):
        db.db_lock('no-such-lock')

    # a second connection cannot take the held lock without waiting
    other = psycopg2.connect(test_db['dsn'])
    cur = other.cursor()
    cur.execute("SELECT name FROM locks WHERE name = 'scheduler' FOR UPDATE SKIP LOCKED")
    assert cur.fetchone() is None
    other.rollback()
    other.close()


def test_connection_reused_per_thread_and_rolled_back(cnx):
    _add_user('uncommitted')
    again = db.connect()
    assert again.cnx is cnx.cnx
    # reuse discards what the previous request left uncommitted
    context.cnx = again
    assert db._singleValue('SELECT count(*) FROM users') == 0

    seen = []

    def worker():
        seen.append(db.connect().cnx)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen[0] is not cnx.cnx
    seen[0].close()


def _tx_status(wrapper):
    return wrapper.cnx.info.transaction_status


def test_reads_open_no_transaction(cnx):
    idle = psycopg2.extensions.TRANSACTION_STATUS_IDLE
    assert db._singleValue('SELECT count(*) FROM users') == 0
    assert (cnx.in_tx, _tx_status(cnx)) == (False, idle)
    # a locking read is not a plain read: it needs the transaction to hold its lock
    assert db.db_lock('scheduler') is True
    assert cnx.in_tx and _tx_status(cnx) != idle
    cnx.rollback()
    assert (cnx.in_tx, _tx_status(cnx)) == (False, idle)


def test_write_then_rollback_leaves_nothing(cnx):
    _add_user('gone')
    assert cnx.in_tx
    cnx.rollback()
    assert db._singleValue('SELECT count(*) FROM users') == 0


def test_savepoint_made_outside_a_transaction(cnx):
    savepoint = db.Savepoint('sp_outside')
    _add_user('dropped')
    savepoint.rollback()
    assert not cnx.in_tx
    assert db._singleValue('SELECT count(*) FROM users') == 0
    # and a released one keeps the work
    savepoint = db.Savepoint('sp_outside')
    _add_user('kept')
    savepoint.release()
    cnx.commit()
    assert [r['name'] for r in db.QueryProcessor(columns=['name'],
                                                 tables=['users']).execute()] == ['kept']
    db.DeleteProcessor('users').execute()
    cnx.commit()


def test_savepoints_nest_and_survive_failed_statements(cnx):
    _add_user('first')
    outer = db.Savepoint('sp_outer')
    _add_user('second')
    inner = db.Savepoint('sp_inner')
    with pytest.raises(psycopg2.Error):
        db._dml('INSERT INTO users (id, name, status, usertype) VALUES (-1, %(n)s, 0, 0); '
                'INSERT INTO users (id, name, status, usertype) VALUES (-1, %(n)s, 0, 0)',
                {'n': 'dup'}, log_errors=False)
    inner.rollback()
    _add_user('third')
    outer.release()
    # an untouched savepoint rolls back nothing
    idle = db.Savepoint('sp_idle')
    idle.rollback()
    names = db._multiRow('SELECT name FROM users ORDER BY id', {}, ['name'])
    assert [r['name'] for r in names] == ['first', 'second', 'third']
    # rolling back to an earlier savepoint drops what came after it
    again = db.Savepoint('sp_again')
    _add_user('fourth')
    later = db.Savepoint('sp_later')
    _add_user('fifth')
    later.release()
    again.rollback()
    assert db._singleValue('SELECT count(*) FROM users') == 3


def test_server_side_cursor_opens_the_transaction(cnx):
    for name in ('it1', 'it2', 'it3'):
        _add_user(name)
    cnx.commit()
    query = db.QueryProcessor(columns=['name'], tables=['users'], opts={'order': 'name'})
    assert [r['name'] for r in query.iterate(chunksize=2)] == ['it1', 'it2', 'it3']
    cnx.rollback()
    db.DeleteProcessor('users').execute()
    cnx.commit()


def _kill_backend(test_db, pid):
    """End a server session from outside, as a DB restart or an admin would."""
    killer = psycopg2.connect(test_db['dsn'])
    killer.autocommit = True
    killer.cursor().execute('SELECT pg_terminate_backend(%s)', (pid,))
    killer.close()


def test_dead_kept_connection_is_replaced(cnx, test_db):
    cnx.rollback()
    pid = cnx.cnx.get_backend_pid()
    _kill_backend(test_db, pid)
    context.cnx = db.connect()
    # the first statement finds the connection dead and runs on a new one
    assert db._singleValue('SELECT count(*) FROM users') == 0
    assert context.cnx.cnx.get_backend_pid() != pid


def test_dead_connection_and_no_server_is_an_outage(cnx, test_db):
    pid = cnx.cnx.get_backend_pid()
    _kill_backend(test_db, pid)
    db.provideDBopts(dsn=psycopg2.extensions.make_dsn(test_db['dsn'],
                                                      dbname='no_such_db_for_koji'))
    try:
        context.cnx = db.connect()
        with pytest.raises(koji.ServerOffline) as info:
            db._singleValue('SELECT 1')
        assert str(info.value) == 'database outage'
    finally:
        db.provideDBopts(dsn=test_db['dsn'])
        context.cnx = db.connect()


def _rows(sql, values):
    """Run a read the way QueryProcessor(prepare=True) does."""
    cursor = context.cnx.cursor()
    cursor.execute(sql, values, prepare=True)
    rows = cursor.fetchall()
    cursor.close()
    return rows


def _prepared(wrapper):
    cur = wrapper.cnx.cursor()
    cur.execute('SELECT statement FROM pg_prepared_statements')
    rows = [row[0] for row in cur.fetchall()]
    cur.close()
    return rows


def test_repeated_reads_get_prepared(cnx):
    for name in ('p1', 'p2'):
        _add_user(name)
    cnx.commit()
    sql = 'SELECT name FROM users WHERE name = %(name)s AND id > %(low)s'
    first = [_rows(sql, {'name': 'p1', 'low': 0}) for _ in range(3)]
    assert first == [[('p1',)]] * 3
    # reads not marked for it are never prepared
    for _ in range(3):
        db._multiRow(sql.replace('id >', 'id >='), {'name': 'p1', 'low': 0}, ['name'])
    assert not [s for s in _prepared(cnx) if 'id >= $2' in s]
    statements = [s for s in _prepared(cnx) if 'FROM users WHERE name = $1' in s]
    assert len(statements) == 1
    # other values, same statement; a value of the wrong type still fails cleanly
    assert _rows(sql, {'name': 'p2', 'low': 0}) == [('p2',)]
    with pytest.raises(koji.ParameterError):
        _rows(sql, {'name': 'p2', 'low': 'x'})
    # inside a transaction the prepared statement is used, and sees uncommitted rows
    _add_user('p3')
    assert _rows(sql, {'name': 'p3', 'low': 0}) == [('p3',)]
    cnx.rollback()
    db.DeleteProcessor('users').execute()
    cnx.commit()


def test_reads_marked_for_id_lists_get_prepared(cnx):
    ids = [_add_user(name) for name in ('ia1', 'ia2', 'ia3')]
    cnx.commit()
    sql = 'SELECT name FROM users WHERE id = ANY(%(ids)s) ORDER BY id'

    def read(values):
        cursor = context.cnx.cursor()
        cursor.execute(sql, values, prepare=db.PREPARE_INT_ARRAYS)
        rows = cursor.fetchall()
        cursor.close()
        return rows
    assert [read({'ids': ids[:2]}) for _ in range(3)] == [[('ia1',), ('ia2',)]] * 3
    assert [s for s in _prepared(cnx) if 'id = ANY($1)' in s]
    # any length, an empty list included, through the one prepared statement
    assert read({'ids': ids}) == [('ia1',), ('ia2',), ('ia3',)]
    assert read({'ids': []}) == []
    assert len([s for s in _prepared(cnx) if 'id = ANY($1)' in s]) == 1
    # lists of anything but integers are not let through
    other = 'SELECT count(*) FROM users WHERE name = ANY(%(names)s)'
    for _ in range(3):
        cursor = context.cnx.cursor()
        cursor.execute(other, {'names': ['ia1']}, prepare=db.PREPARE_INT_ARRAYS)
        assert cursor.fetchall() == [(1,)]
        cursor.close()
    assert not [s for s in _prepared(cnx) if 'name = ANY' in s]
    db.DeleteProcessor('users').execute()
    cnx.commit()


def test_unpreparable_reads_run_as_before(cnx):
    # PostgreSQL cannot infer this parameter's type: the read runs unprepared
    sql = 'SELECT %(v)s IS NULL'
    assert [_rows(sql, {'v': None}) for _ in range(3)] == [[(True,)]] * 3
    # arrays are never prepared (one generic plan would serve every size)
    arr = 'SELECT count(*) FROM users WHERE id = ANY(%(ids)s)'
    assert [_rows(arr, {'ids': [1, 2]}) for _ in range(3)] == [[(0,)]] * 3
    # literal percent signs survive
    like = "SELECT count(*) FROM users WHERE name LIKE 'x%%' AND id > %(low)s"
    assert [_rows(like, {'low': 0}) for _ in range(3)] == [[(0,)]] * 3
    texts = ' '.join(_prepared(cnx))
    assert 'IS NULL' not in texts and 'ANY' not in texts
    assert "LIKE 'x%' AND id > $1" in texts
    assert not cnx.in_tx


def test_prepared_statements_follow_a_new_connection(cnx, test_db):
    sql = 'SELECT count(*) FROM users WHERE id > %(low)s'
    for _ in range(3):
        _rows(sql, {'low': 0})
    pid = cnx.cnx.get_backend_pid()
    _kill_backend(test_db, pid)
    context.cnx = db.connect()
    assert [_rows(sql, {'low': 0}) for _ in range(3)] == [[(0,)]] * 3
    assert context.cnx.cnx.get_backend_pid() != pid


def _names():
    return [r['name'] for r in db._multiRow('SELECT name FROM users ORDER BY id', {},
                                            ['name'])]


@pytest.mark.parametrize('bad', [object(), 'nul\x00byte'], ids=['unadaptable', 'nul'])
def test_statement_refused_before_sending_leaves_the_transaction_owed(cnx, bad):
    """A value psycopg2 refuses client-side: the BEGIN glued to the statement never left,
    so the next write must still open the transaction (else it would autocommit)."""
    with pytest.raises(Exception):
        db._dml('INSERT INTO users (name, status, usertype) VALUES (%(n)s, 0, 0)',
                {'n': bad}, log_errors=False)
    _add_user('after-refusal')
    cnx.rollback()
    assert 'after-refusal' not in _names()


@pytest.mark.parametrize('bad', [object(), 'nul\x00byte'], ids=['unadaptable', 'nul'])
def test_savepoint_owed_when_its_statement_was_refused_before_sending(cnx, bad):
    """The SAVEPOINT glued to a statement psycopg2 refused never reached the server:
    rolling back to it must not ask the server for a savepoint it does not have."""
    _add_user('before-sp')
    savepoint = db.Savepoint('sp_refused')
    with pytest.raises(Exception):
        db._dml('INSERT INTO users (name, status, usertype) VALUES (%(n)s, 0, 0)',
                {'n': bad}, log_errors=False)
    _add_user('inside-sp')
    savepoint.rollback()
    savepoint.release()
    _add_user('after-sp')
    assert _names() == ['before-sp', 'after-sp']
    cnx.commit()
    assert _names() == ['before-sp', 'after-sp']
