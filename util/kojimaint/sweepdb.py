"""koji-sweep-db: clean the hub database directly (run on the hub host).

Each step is one transaction of set-based statements, so a step the database refuses is
rolled back whole; VACUUM ANALYZE of the tables a step touched runs after its commit.
"""
import optparse
import os
import sys
import xmlrpc.client

import psycopg2
import psycopg2.extensions

import koji

DB_KEYS = (('DBName', 'string'), ('DBUser', 'string'), ('DBHost', 'string'),
           ('DBhost', 'string'), ('DBPort', 'integer'), ('DBPass', 'string'),
           ('DBConnectionString', 'string'))


def make_parser():
    parser = optparse.OptionParser('%prog cleans koji database')
    add = parser.add_option
    add('-v', '--verbose', action='store_true', help='say how many rows each step removes')
    add('-t', '--test', action='store_true',
        help='count only, remove nothing (implies -v)')
    add('-c', '--conf', default='/etc/koji-hub/hub.conf', help="path of the hub's hub.conf")
    add('--config-dir', default='/etc/koji-hub/hub.conf.d',
        help="path of the hub's hub.conf.d directory")
    add('--no-vacuum', action='store_false', dest='vacuum', default=True,
        help='skip VACUUM ANALYZE of the tables touched')
    add('--sessions-age', type=int, default=1, metavar='DAYS',
        help='remove sessions idle for longer than this (default: 1 day)')
    add('--sessions-absolute-age', type=int, default=None, metavar='DAYS',
        help='also remove sessions started longer ago than this (default: None)')
    add('--reservations-age', type=int, default=1, metavar='DAYS',
        help='remove build reservations older than this (default: 1 day)')
    add('--tag-notifications', action='store_true', default=False,
        help='remove finished tagNotification tasks')
    add('--tag-notifications-age', type=int, default=730, metavar='DAYS',
        help='age of the tagNotification tasks to remove (default: 2 years)')
    add('--scratch-builds', action='store_true', dest='scratch', default=False,
        help='remove the tasks of scratch builds')
    add('--scratch-builds-age', type=int, dest='scratch_age', default=730, metavar='DAYS',
        help='age of the scratch build tasks to remove (default: 2 years)')
    add('--logs-age', type=int, default=7, metavar='DAYS',
        help='remove scheduler log messages older than this (default: 7 days)')
    add('--buildroots', action='store_true', help='remove buildroots nothing refers to')
    add('-f', '--force', action='store_true',
        help='needed by every step that removes auditable data')
    return parser


def db_dsn(options):
    """libpq connection string from [hub] of hub.conf and hub.conf.d."""
    config = koji.read_config_files([options.config_dir, (options.conf, True)], raw=True)
    opts = {}
    for name, kind in DB_KEYS:
        if config.has_option('hub', name):
            opts[name] = (config.getint('hub', name) if kind == 'integer'
                          else config.get('hub', name))
        else:
            opts[name] = None
    if opts['DBConnectionString']:
        return opts['DBConnectionString']
    params = {'dbname': opts['DBName'], 'user': opts['DBUser'], 'password': opts['DBPass'],
              'host': opts['DBHost'] or opts['DBhost'], 'port': opts['DBPort']}
    return psycopg2.extensions.make_dsn(**{k: v for k, v in params.items() if v is not None})


class Sweeper(object):
    """Runs the steps over one connection; ``failed`` names the step the database refused."""

    def __init__(self, conn, options):
        self.conn = conn
        self.options = options

    def count(self, sql, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def step(self, name, work, tables):
        """Run work(cursor) in one transaction, then vacuum tables (unless --no-vacuum)."""
        try:
            with self.conn, self.conn.cursor() as cur:
                work(cur)
        except psycopg2.Error as exc:
            msg = (exc.pgerror or str(exc)).strip()
            sys.stderr.write('Error: cleaning %s failed, its changes were rolled back: %s\n'
                             % (name, msg))
            return False
        if self.options.vacuum and not self.options.test:
            self.conn.autocommit = True
            try:
                with self.conn.cursor() as cur:
                    for table in tables:
                        cur.execute('VACUUM ANALYZE %s' % table)
            finally:
                self.conn.autocommit = False
        return True

    def _report(self, cur, sql, params, label):
        if self.options.verbose:
            cur.execute(sql, params)
            print('Deleting %s %s' % (cur.fetchone()[0], label))

    def sessions(self, age, absolute):
        clause = "update_time < NOW() - %(age)s * INTERVAL '1 day'"
        if absolute is not None:
            clause = "(%s OR start_time < NOW() - %%(absolute)s * INTERVAL '1 day')" % clause
        params = {'age': age, 'absolute': absolute}

        def work(cur):
            self._report(cur, 'SELECT COUNT(*) FROM sessions WHERE ' + clause, params,
                         'sessions')
            if self.options.test:
                return
            # subsessions of a removed session go with it (they reference it); the few
            # subsessions first, by key lookups, then one pass over the table
            cur.execute('DELETE FROM sessions WHERE master IN (SELECT m.id FROM sessions m '
                        'JOIN sessions s ON s.master = m.id WHERE %s)'
                        % clause.replace('update_time', 'm.update_time')
                        .replace('start_time', 'm.start_time'), params)
            cur.execute('DELETE FROM sessions WHERE ' + clause, params)
        return self.step('sessions', work, ['sessions'])

    def simple(self, name, table, clause, params, label):
        def work(cur):
            self._report(cur, 'SELECT COUNT(*) FROM %s WHERE %s' % (table, clause), params,
                         label)
            if not self.options.test:
                cur.execute('DELETE FROM %s WHERE %s' % (table, clause), params)
        return self.step(name, work, [table])

    def reservations(self, age):
        return self.simple('build reservations', 'build_reservations',
                           "created < NOW() - %(age)s * INTERVAL '1 day'", {'age': age},
                           'build reservations')

    def scheduler_logs(self, age):
        return self.simple('scheduler log messages', 'scheduler_log_messages',
                           "msg_time < NOW() - %(age)s * INTERVAL '1 day'", {'age': age},
                           'scheduler log messages')

    def _delete_tasks(self, cur):
        """Remove the tasks listed in temp table sweep_tasks and the rows pointing at them."""
        for table in ('standard_buildroot', 'scheduler_task_runs', 'scheduler_task_refusals',
                      'scheduler_log_messages'):
            cur.execute('DELETE FROM %s WHERE task_id IN (SELECT task_id FROM sweep_tasks)'
                        % table)
        cur.execute('DELETE FROM task WHERE id IN (SELECT task_id FROM sweep_tasks)')

    def tag_notifications(self, age):
        clause = ("method = 'tagNotification' AND "
                  "completion_time < NOW() - %(age)s * INTERVAL '1 day'")
        params = {'age': age}

        def work(cur):
            self._report(cur, 'SELECT COUNT(*) FROM task WHERE ' + clause, params,
                         'tagNotification tasks')
            if self.options.test:
                return
            cur.execute('CREATE TEMPORARY TABLE sweep_tasks ON COMMIT DROP AS '
                        'SELECT id AS task_id FROM task WHERE ' + clause, params)
            self._delete_tasks(cur)
        return self.step('tagNotification tasks', work,
                         ['task', 'scheduler_task_runs', 'scheduler_log_messages'])

    def scratch(self, age):
        clause = ("method = 'build' AND completion_time < NOW() - %(age)s * INTERVAL '1 day' "
                  "AND request LIKE '%%<name>scratch</name>%%'")
        params = {'age': age}

        def work(cur):
            self._report(cur, 'SELECT COUNT(*) FROM task WHERE ' + clause, params,
                         'scratch build tasks')
            if self.options.test:
                return
            cur.execute('SELECT id, request FROM task WHERE ' + clause, params)
            ids = [task_id for task_id, request in cur.fetchall() if _is_scratch(request)]
            # the tasks and all their descendants, in one recursive statement
            cur.execute('CREATE TEMPORARY TABLE sweep_tasks ON COMMIT DROP AS '
                        'WITH RECURSIVE tree(task_id) AS ('
                        ' SELECT unnest(%(ids)s::INTEGER[])'
                        ' UNION SELECT task.id FROM task JOIN tree ON task.parent = tree.task_id'
                        ') SELECT task_id FROM tree', {'ids': ids})
            self._delete_tasks(cur)
        return self.step('scratch build tasks', work, ['standard_buildroot', 'task'])

    def buildroots(self):
        # unreferenced: not content-generator, not standard, no rpm or archive built in it
        unused = ('SELECT id FROM buildroot WHERE cg_id IS NULL'
                  ' AND NOT EXISTS (SELECT 1 FROM standard_buildroot s'
                  '                 WHERE s.buildroot_id = buildroot.id)'
                  ' AND NOT EXISTS (SELECT 1 FROM rpminfo r WHERE r.buildroot_id = buildroot.id)'
                  ' AND NOT EXISTS (SELECT 1 FROM archiveinfo a'
                  '                 WHERE a.buildroot_id = buildroot.id)')

        def work(cur):
            self._report(cur, 'SELECT COUNT(*) FROM (%s) AS unused' % unused, None,
                         'buildroots')
            if self.options.test:
                return
            cur.execute('CREATE TEMPORARY TABLE sweep_buildroots ON COMMIT DROP AS ' + unused)
            for table in ('buildroot_listing', 'buildroot_archives', 'buildroot_tools_info'):
                cur.execute('DELETE FROM %s WHERE buildroot_id IN '
                            '(SELECT id FROM sweep_buildroots)' % table)
            cur.execute('DELETE FROM buildroot WHERE id IN (SELECT id FROM sweep_buildroots)')
        return self.step('buildroots', work, ['buildroot_listing', 'buildroot'])


def _is_scratch(request):
    """Does a build task request (XML-RPC params) carry opts with scratch set?"""
    try:
        params, _method = xmlrpc.client.loads(request)
        return bool(params[2]['scratch'])
    except Exception:
        return False


def main(argv=None):
    parser = make_parser()
    options, _args = parser.parse_args(argv)
    if options.test:
        options.verbose = True
        print('Running in test mode, no changes will be made')
    if not options.force and (options.tag_notifications or options.scratch
                              or options.buildroots):
        parser.error('You need to pass --force to trigger these actions')
    if not os.path.exists(options.conf):
        parser.error("Config file doesn't exist")
    try:
        conn = psycopg2.connect(db_dsn(options))
    except psycopg2.Error as exc:
        sys.stderr.write('Error: cannot connect to the database: %s\n' % str(exc).strip())
        sys.exit(1)
    sweeper = Sweeper(conn, options)
    steps = [lambda: sweeper.sessions(options.sessions_age, options.sessions_absolute_age),
             lambda: sweeper.reservations(options.reservations_age),
             lambda: sweeper.scheduler_logs(options.logs_age)]
    if options.tag_notifications:
        steps.append(lambda: sweeper.tag_notifications(options.tag_notifications_age))
    if options.scratch:
        steps.append(lambda: sweeper.scratch(options.scratch_age))
    if options.buildroots:
        steps.append(sweeper.buildroots)
    ok = True
    try:
        for step in steps:
            if not step():
                ok = False
                break
    finally:
        conn.close()
    if not ok:
        sys.exit(1)
