"""koji-sweep-db as a subprocess against a real database (reached through hub.conf)."""
import os
import subprocess
import sys
import xmlrpc.client

import psycopg2
import psycopg2.extensions
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWEEP = os.path.join(ROOT, 'util', 'koji-sweep-db')

HELP_OPTIONS = ('--verbose', '--test', '--conf', '--config-dir', '--no-vacuum',
                '--sessions-age', '--sessions-absolute-age', '--reservations-age',
                '--tag-notifications', '--tag-notifications-age', '--scratch-builds',
                '--scratch-builds-age', '--logs-age', '--buildroots', '--force')


def sql(dsn, statement, values=None):
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, values or {})
            if cur.description:
                return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture
def sweep(test_db, tmp_path):
    """run(*args): the database named piece by piece in hub.conf and hub.conf.d (as
    upstream reads them, hub.conf is read last and wins)."""
    conf = tmp_path / 'hub.conf'
    conf.write_text('[hub]\nDBName = %(name)s\nDBPort = %(port)s\n' % test_db)
    confd = tmp_path / 'hub.conf.d'
    confd.mkdir()
    (confd / 'db.conf').write_text('[hub]\nDBName = overridden\nDBPort = 1\n'
                                   'DBUser = %(user)s\nDBhost = %(host)s\n' % test_db)

    def run(*args):
        return subprocess.run([sys.executable, SWEEP, '-c', str(conf), '--config-dir',
                               str(confd)] + list(args),
                              capture_output=True, text=True, timeout=120)
    return run


@pytest.fixture
def data(test_db):
    """Rows of every kind, old and young; returns {label: id}."""
    dsn = test_db['dsn']
    user = sql(dsn, "INSERT INTO users (name, status, usertype) VALUES ('sweeper', 0, 0) "
                    "RETURNING id")[0][0]
    ids = {'user': user}

    def session(label, update_days, start_days, master=None):
        ids[label] = sql(dsn, "INSERT INTO sessions (user_id, key, authtype, master, "
                              "start_time, update_time) VALUES (%(u)s, 'k', 0, %(m)s, "
                              "NOW() - %(s)s * INTERVAL '1 day', "
                              "NOW() - %(d)s * INTERVAL '1 day') RETURNING id",
                         {'u': user, 'm': master, 's': start_days, 'd': update_days})[0][0]
    session('expired', 3, 3)
    session('live', 0, 0)
    session('long_lived', 0, 40)
    session('sub_of_expired', 0, 0, master=ids['expired'])

    channel = sql(dsn, 'SELECT MIN(id) FROM channels')[0][0]
    pkg = sql(dsn, "INSERT INTO package (name) VALUES ('reserved') RETURNING id")[0][0]
    for label, days in (('res_old', 3), ('res_new', 0)):
        build = sql(dsn, "INSERT INTO build (pkg_id, version, release, state, owner, "
                         "volume_id) VALUES (%(p)s, '1', %(r)s, 0, %(u)s, 0) RETURNING id",
                    {'p': pkg, 'r': label, 'u': user})[0][0]
        sql(dsn, "INSERT INTO build_reservations (build_id, token, created) VALUES "
                 "(%(b)s, 'tok', NOW() - %(d)s * INTERVAL '1 day')", {'b': build, 'd': days})
        ids[label] = build

    def task(label, method, opts, days, parent=None):
        request = xmlrpc.client.dumps(('src.rpm', 'target', opts), methodname=method,
                                      allow_none=True)
        ids[label] = sql(dsn, "INSERT INTO task (state, channel_id, owner, method, request, "
                              "arch, parent, completion_time) VALUES (2, %(c)s, %(u)s, %(m)s, "
                              "%(r)s, 'noarch', %(p)s, NOW() - %(d)s * INTERVAL '1 day') "
                              "RETURNING id",
                         {'c': channel, 'u': user, 'm': method, 'r': request, 'p': parent,
                          'd': days})[0][0]
    task('scratch', 'build', {'scratch': True}, 800)
    task('scratch_child', 'buildArch', {}, 800, parent=ids['scratch'])
    task('scratch_young', 'build', {'scratch': True}, 10)
    task('real_build', 'build', {'scratch': False}, 800)
    task('notif_old', 'tagNotification', {}, 800)
    task('notif_young', 'tagNotification', {}, 10)
    sql(dsn, "INSERT INTO scheduler_log_messages (task_id, msg, msg_time) VALUES "
             "(%(t)s, 'recent', NOW()), (NULL, 'old', NOW() - INTERVAL '30 days')",
        {'t': ids['scratch_child']})
    ids['dsn'] = dsn
    return ids


def remaining(dsn, table, column='id'):
    return {row[0] for row in sql(dsn, 'SELECT %s FROM %s' % (column, table))}


def test_help_lists_every_option():
    res = subprocess.run([sys.executable, SWEEP, '--help'], capture_output=True, text=True)
    assert res.returncode == 0
    for opt in HELP_OPTIONS:
        assert opt in res.stdout, opt


def test_sessions_and_logs(sweep, data):
    dsn = data['dsn']
    res = sweep('--test')
    assert res.returncode == 0, res.stderr
    assert 'Running in test mode, no changes will be made' in res.stdout
    assert 'Deleting 1 sessions' in res.stdout
    assert 'Deleting 1 scheduler log messages' in res.stdout
    assert 'Deleting 1 build reservations' in res.stdout
    assert len(remaining(dsn, 'sessions')) == 4
    assert len(remaining(dsn, 'build_reservations', 'build_id')) == 2

    res = sweep('-v')
    assert res.returncode == 0, res.stderr
    left = remaining(dsn, 'sessions')
    assert left == {data['live'], data['long_lived']}
    assert [r[0] for r in sql(dsn, 'SELECT msg FROM scheduler_log_messages')] == ['recent']
    assert remaining(dsn, 'build_reservations', 'build_id') == {data['res_new']}
    # tasks are auditable: untouched without the explicit options
    assert data['scratch'] in remaining(dsn, 'task')

    res = sweep('--sessions-absolute-age', '30', '--no-vacuum')
    assert res.returncode == 0, res.stderr
    assert remaining(dsn, 'sessions') == {data['live']}


def test_auditable_steps_need_force(sweep, data):
    res = sweep('--scratch-builds')
    assert res.returncode == 2
    assert 'You need to pass --force to trigger these actions' in res.stderr
    assert data['scratch'] in remaining(data['dsn'], 'task')


def test_scratch_and_notification_tasks(sweep, data):
    dsn = data['dsn']
    res = sweep('--force', '--scratch-builds', '--tag-notifications', '-v')
    assert res.returncode == 0, res.stderr
    # the count is of candidates (request mentions scratch), as upstream prints it
    assert 'Deleting 2 scratch build tasks' in res.stdout
    assert 'Deleting 1 tagNotification tasks' in res.stdout
    left = remaining(dsn, 'task')
    for gone in ('scratch', 'scratch_child', 'notif_old'):
        assert data[gone] not in left, gone
    for kept in ('scratch_young', 'real_build', 'notif_young'):
        assert data[kept] in left, kept
    assert sql(dsn, 'SELECT COUNT(*) FROM scheduler_log_messages')[0][0] == 0


def test_unreferenced_buildroots(sweep, data):
    dsn = data['dsn']
    loose = sql(dsn, 'INSERT INTO buildroot (br_type) VALUES (0) RETURNING id')[0][0]
    res = sweep('--force', '--buildroots', '-t')
    assert 'Deleting 1 buildroots' in res.stdout
    assert loose in remaining(dsn, 'buildroot')
    res = sweep('--force', '--buildroots')
    assert res.returncode == 0, res.stderr
    assert loose not in remaining(dsn, 'buildroot')


def test_refused_step_is_rolled_back(sweep, data):
    dsn = data['dsn']
    sql(dsn, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN RAISE EXCEPTION 'task rows are frozen'; END $$")
    sql(dsn, 'CREATE TRIGGER frozen BEFORE DELETE ON task FOR EACH STATEMENT '
             'EXECUTE FUNCTION refuse()')
    res = sweep('--force', '--scratch-builds')
    assert res.returncode == 1
    assert 'task rows are frozen' in res.stderr
    assert 'rolled back' in res.stderr
    # the earlier steps committed, the refused one left everything in place
    assert data['expired'] not in remaining(dsn, 'sessions')
    assert data['scratch'] in remaining(dsn, 'task')
    assert [r[0] for r in sql(dsn, 'SELECT msg FROM scheduler_log_messages')] == ['recent']


def test_missing_config(tmp_path):
    res = subprocess.run([sys.executable, SWEEP, '-c', str(tmp_path / 'nope.conf')],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "Config file doesn't exist" in res.stderr


def test_connection_string_wins(test_db, tmp_path, data):
    conf = tmp_path / 'only.conf'
    conf.write_text('[hub]\nDBName = nosuchdb\nDBConnectionString = %s\n' % test_db['dsn'])
    res = subprocess.run([sys.executable, SWEEP, '-c', str(conf), '--config-dir',
                          str(tmp_path / 'none.d')], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert data['expired'] not in remaining(test_db['dsn'], 'sessions')
