"""A burst of tasks on real kojid processes with upstream's production timings.

The hub keeps upstream's RunInterval (60 s) and the builders upstream's sleeptime (15 s):
a burst larger than what the builders may run at once (maxjobs) must still be worked off
in seconds, because a builder with room gets a scheduler pass at once (hub side) and opens
everything it was assigned in one go (kojid side), spread fairly over the builders and
never beyond maxjobs.  A host polling the classic way (host.getTasks without ``wait``)
is served alongside.
"""
import os
import textwrap
import threading
import time

import psycopg2
import pytest

import koji
from koji import xmlrpcplus

from test_kojid import PLUGIN, Builder, _wait_for

HUB_OPTS = {'RunInterval': 60, 'MaxJobs': 50}
NAMES = ('burst-a.test', 'burst-b.test')
MAXJOBS = 8
BURST = 64


class ProductionBuilder(Builder):
    """A test builder with upstream's sleeptime and a small maxjobs."""

    def write_conf(self):
        Builder.write_conf(self)
        with open(self.conf) as fo:
            lines = [line for line in fo.read().splitlines()
                     if not line.startswith('sleeptime')]
        with open(self.conf, 'w') as fo:
            fo.write('\n'.join(lines + ['sleeptime = 15', 'maxjobs = %d' % MAXJOBS]) + '\n')


def _set_password(dsn, name, password):
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute('UPDATE users SET password = %s WHERE name = %s', (password, name))
    finally:
        conn.close()


@pytest.fixture(scope='module')
def burst_env(hub_server, tmp_path_factory):
    hub_server.restart(HUB_OPTS)
    base = str(tmp_path_factory.mktemp('burst'))
    plugindir = os.path.join(base, 'plugins')
    os.makedirs(plugindir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN))
    admin = koji.ClientSession(hub_server.url, {'user': hub_server.admin_user,
                                                'password': hub_server.admin_password})
    admin.login()
    builders = []
    try:
        for name in NAMES:
            builder = ProductionBuilder(hub_server, base, name, plugindir)
            admin.addHost(name, ['x86_64', 'noarch'])
            admin.editHost(name, capacity=10.0)
            _set_password(hub_server.dsn, name, builder.password)
            builders.append(builder)
            builder.start()
        for builder in builders:
            _wait_for(lambda: (admin.getHost(builder.name) or {}).get('ready'), 60,
                      'host %s to check in\n%s' % (builder.name, builder.read_log()))
        yield {'hub': hub_server, 'admin': admin, 'builders': builders}
    finally:
        for builder in builders:
            builder.stop()
        admin.logout()


def _logs(env):
    return '\n'.join(b.read_log() for b in env['builders'])


def test_burst_beyond_maxjobs_runs_in_seconds(burst_env):
    admin = burst_env['admin']
    host_ids = [admin.getHost(name)['id'] for name in NAMES]
    # a pass now: RunInterval alone would hold the next one for a minute
    admin.scheduler.doRun(force=True)
    start = time.time()
    with admin.multicall(strict=True) as m:
        calls = [m.makeTask('sleep', [0]) for _ in range(BURST)]
    ids = [call.result for call in calls]
    closed = koji.TASK_STATES['CLOSED']
    active = [koji.TASK_STATES[s] for s in ('OPEN', 'ASSIGNED')]
    peak = dict((hid, 0) for hid in host_ids)
    deadline = start + 90
    while True:
        tasks = admin.listTasks(opts={'id': ids})
        for hid in host_ids:
            running = sum(1 for t in tasks if t['host_id'] == hid and t['state'] in active)
            peak[hid] = max(peak[hid], running)
        if all(t['state'] == closed for t in tasks):
            break
        assert time.time() < deadline, 'burst not done after 90 s:\n%s' % _logs(burst_env)
        time.sleep(0.2)
    elapsed = time.time() - start
    per_host = dict((hid, sum(1 for t in tasks if t['host_id'] == hid)) for hid in host_ids)
    # 64 tasks at most 8 at a time per builder need 4 rounds: with passes only every
    # RunInterval that took over 3 minutes
    assert elapsed < 90
    assert sum(per_host.values()) == BURST
    assert min(per_host.values()) >= BURST // 4, per_host
    assert max(peak.values()) <= MAXJOBS, peak


class ClassicHost(threading.Thread):
    """A builder of the classic kind: plain host.getTasks() every interval, no wait."""

    def __init__(self, url, name, password, interval):
        threading.Thread.__init__(self, daemon=True)
        self.session = koji.ClientSession(url, {'user': name, 'password': password})
        self.interval = interval
        self.done = []
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            self.session.login()
            self.session.exclusiveSession()
            while not self.stop.is_set():
                self.session.host.updateHost(0.0, True)
                for task in self.session.host.getTasks():
                    if self.session.host.openTask(task['id']):
                        response = xmlrpcplus.dumps((None,), methodresponse=1, allow_none=1)
                        self.session.host.closeTask(task['id'], response)
                        self.done.append(task['id'])
                self.stop.wait(self.interval)
        except Exception as exc:
            self.error = exc
        finally:
            self.session.logout()


def test_classic_polling_host_shares_the_work(burst_env):
    admin = burst_env['admin']
    hub = burst_env['hub']
    name = 'burst-classic.test'
    admin.addHost(name, ['x86_64', 'noarch'])
    admin.editHost(name, capacity=10.0)
    password = 'classic-secret'
    _set_password(hub.dsn, name, password)
    classic = ClassicHost(hub.url, name, password, interval=2)
    classic.start()
    try:
        _wait_for(lambda: (admin.getHost(name) or {}).get('ready'), 30, 'classic check-in')
        admin.scheduler.doRun(force=True)
        with admin.multicall(strict=True) as m:
            calls = [m.makeTask('sleep', [0]) for _ in range(24)]
        ids = [call.result for call in calls]

        def all_closed():
            tasks = admin.listTasks(opts={'id': ids})
            return all(t['state'] == koji.TASK_STATES['CLOSED'] for t in tasks) and tasks
        tasks = _wait_for(all_closed, 45, 'the tasks to close\n' + _logs(burst_env))
    finally:
        classic.stop.set()
        classic.join(30)
    assert classic.error is None, classic.error
    classic_id = admin.getHost(name)['id']
    mine = [t['id'] for t in tasks if t['host_id'] == classic_id]
    # the same share as each kojid, and it really ran them through the plain calls
    assert len(mine) >= 4, [(t['id'], t['host_id']) for t in tasks]
    assert sorted(mine) == sorted(t for t in classic.done if t in ids)
    admin.disableHost(name)
