"""``koji scheduler-info`` / ``koji scheduler-logs``: upstream's client and ours on one hub.

Upstream's CLI sends its filters as [field, value] pairs (scheduler-info even passes
--host exactly as typed, a name or an id in a string) and as [field, op, value] triples;
the hub has to take all of them.
"""
import psycopg2
import pytest

import koji
from tests.interop.compare import norm, same, show


def session_for(hub_server, user, password):
    session = koji.ClientSession(hub_server.url, {'max_retries': 1, 'retry_interval': 0,
                                                  'user': user, 'password': password})
    session.login()
    return session


@pytest.fixture(scope='module')
def world(hub_server):
    """Two hosts, three tasks assigned by hand (runs + log lines), host data for one."""
    admin = session_for(hub_server, hub_server.admin_user, hub_server.admin_password)
    hosts = {}
    for name in ('sched-b1', 'sched-b2'):
        hosts[name] = admin.addHost(name, ['x86_64'])
    conn = psycopg2.connect(hub_server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET password = 'hostpw' WHERE name = 'sched-b1'")
    finally:
        conn.close()
    builder = session_for(hub_server, 'sched-b1', 'hostpw')
    builder.exclusiveSession()
    builder.host.setHostData({'methods': ['sleep'], 'maxjobs': 3})
    tasks = [admin.makeTask('sleep', [n], arch='x86_64') for n in (1, 2, 3)]
    assert admin.assignTask(tasks[0], 'sched-b1')
    assert admin.assignTask(tasks[1], 'sched-b2')
    assert admin.assignTask(tasks[2], 'sched-b1', force=True)
    builder.host.openTask(tasks[0])
    admin.cancelTask(tasks[2])
    logs = admin.scheduler.getLogMessages(fields=('id', 'msg_ts'))
    yield {'hosts': hosts, 'tasks': tasks, 'ts': [m['msg_ts'] for m in logs]}
    builder.logout()
    admin.logout()


def test_scheduler_info(clients, world):
    b1 = world['hosts']['sched-b1']
    t1, t2, _ = world['tasks']
    out = same(clients, 'scheduler-info', noauth=True).stdout
    assert out.count('sched-b1') == 2 and out.count('sched-b2') == 1
    out = same(clients, 'scheduler-info', '--task', str(t2), noauth=True).stdout
    assert out.splitlines()[2].split()[:3] == [str(t2), 'sched-b2', 'ASSIGNED']
    by_id = same(clients, 'scheduler-info', '--host', str(b1), noauth=True).stdout
    assert "Host data for %d:\n{'maxjobs': 3, 'methods': ['sleep']}\n" % b1 in by_id
    # the name goes to the hub as it was typed
    by_name = same(clients, 'scheduler-info', '--host', 'sched-b1', noauth=True).stdout
    assert by_name.replace('sched-b1:', '%d:' % b1) == by_id
    out = same(clients, 'scheduler-info', '--host', 'sched-b2', '--state', 'ASSIGNED',
               noauth=True).stdout
    assert 'Host data for sched-b2:\n-\n' in out
    out = same(clients, '--quiet', 'scheduler-info', '--state', 'OPEN', noauth=True).stdout
    assert out.split()[:3] == [str(t1), 'sched-b1', 'OPEN']
    out = same(clients, 'scheduler-info', '--limit', '1', noauth=True).stdout
    assert len(out.splitlines()) == 3
    same(clients, 'scheduler-info', '--state', 'BOGUS', noauth=True, usage=True)
    same(clients, 'scheduler-info', '--host', 'no-such-host', noauth=True)


def test_scheduler_logs(clients, world):
    b2 = world['hosts']['sched-b2']
    t1 = world['tasks'][0]
    every = same(clients, 'scheduler-logs', ids=False).stdout
    assert every.count('Assigned by kojiadmin') == 3
    out = same(clients, 'scheduler-logs', '--task', str(t1)).stdout
    assert out.count('\n%d ' % t1) >= 1 and out.count('Assigned') == 1
    same(clients, 'scheduler-logs', '--host', 'sched-b2')
    same(clients, 'scheduler-logs', '--host', str(b2))
    out = same(clients, 'scheduler-logs', '--limit', '2').stdout
    assert len(out.splitlines()) == 4
    first, last = min(world['ts']), max(world['ts'])
    same(clients, 'scheduler-logs', '--from', repr(first), '--to', repr(last + 1))
    out = same(clients, 'scheduler-logs', '--from', repr(last + 1)).stdout
    assert len(out.splitlines()) == 2
    same(clients, 'scheduler-logs', '--from', '1', '--to', '2', '--limit', '3', usage=True)


def test_usage_lines(clients):
    for cmd in ('scheduler-info', 'scheduler-logs'):
        theirs = clients.theirs(cmd, 'extra-arg', noauth=True)
        ours = clients.ours(cmd, 'extra-arg', noauth=True)
        assert norm(ours, usage=True) == norm(theirs, usage=True), show(theirs, ours)
