"""Host listing commands: upstream's CLI against ours, on hosts that checked in.

The load columns of `koji list-hosts` come from what builders report with
host.updateHost(task_load, ready, data): the hosts here log in with their own accounts and
check in with known loads, so the table shows real hub data (task_load / capacity, ready,
the last update time), not defaults.
"""
import time
import uuid

import pytest

import koji
from tests.interop.compare import norm, same_batch, show

ALPHA = 'ih-alpha.example.com'
BETA = 'ih-b'
NEVER = 'ih-never-checked-in'
CHANNEL = 'ih-chan'


def check_in(hub_server, name, task_load, ready, data=None, linger=0):
    """Log in as the build host itself and report a load, as kojid does.

    With `linger`, the session stays in use that many seconds after the check-in, so
    the session's last use and the host's last update fall in different seconds (the
    CLI must print the host's own update time).
    """
    password = uuid.uuid4().hex
    hub_server.set_password(name, password)
    session = koji.ClientSession(hub_server.url, {'user': name, 'password': password})
    session.login()
    try:
        session.exclusiveSession()
        session.host.updateHost(task_load, ready, data=data)
        if linger:
            time.sleep(linger)
            session.getLoggedInUser()
    finally:
        session.logout()


@pytest.fixture(scope='module')
def hosts(hub, hub_server):
    """Three hosts: one ready with load 2.5 of 4, one not ready, one that never checked in."""
    hub.addHost(ALPHA, ['x86_64', 'i686'])
    hub.addHost(BETA, ['aarch64'])
    hub.addHost(NEVER, ['noarch'])
    hub.editHost(ALPHA, capacity=4.0, comment='racked in row 7',
                 description='A builder with a long description that goes on\n'
                             'and on over two lines, past the column width')
    hub.editHost(BETA, capacity=2.0)
    hub.addChannel(CHANNEL)
    hub.addHostToChannel(BETA, CHANNEL)
    hub.addHostToChannel(ALPHA, CHANNEL)
    hub.disableChannel(CHANNEL)
    hub.disableHost(NEVER)
    check_in(hub_server, ALPHA, 2.5, True, data={'maxjobs': 5, 'methods': ['sleep']})
    check_in(hub_server, BETA, 0.75, False, linger=1.2)
    return dict((h['name'], h) for h in hub.listHosts())


READS = [
    ('list-hosts',),
    ('list-hosts', '--quiet'),
    ('list-hosts', '--show-channels'),
    ('list-hosts', '--comment', '--description'),
    ('list-hosts', '--description', '--show-channels', '--comment'),
    ('list-hosts', '--ready'),
    ('list-hosts', '--not-ready'),
    ('list-hosts', '--enabled'),
    ('list-hosts', '--disabled'),
    ('list-hosts', '--not-enabled', '--quiet'),
    ('list-hosts', '--arch', 'aarch64'),
    ('list-hosts', '--arch', 'i686', '--arch', 'noarch'),
    ('list-hosts', '--channel', CHANNEL),
    ('list-hosts', '--channel', 'ih-no-such-channel'),
    ('list-hosts', '--arch', 'sparc'),
    ('list-hosts', 'extra'),
    ('hostinfo', ALPHA),
    ('hostinfo', BETA, NEVER),
    ('hostinfo', 'ih-nobody'),
]


@pytest.fixture(scope='module')
def read_batch(clients, hosts):
    return same_batch(clients, READS, noauth=True)


@pytest.mark.parametrize('command', READS, ids=[' '.join(c) for c in READS])
def test_host_reads(read_batch, command):
    theirs, ours = read_batch[command]
    assert norm(ours, usage_extra=True) == norm(theirs, usage_extra=True), show(theirs, ours)


def test_check_in_feeds_the_load_columns(hosts, read_batch):
    alpha, beta, never = hosts[ALPHA], hosts[BETA], hosts[NEVER]
    assert (alpha['task_load'], alpha['capacity'], alpha['ready']) == (2.5, 4.0, True)
    assert (beta['task_load'], beta['capacity'], beta['ready']) == (0.75, 2.0, False)
    assert alpha['update_ts'] and beta['update_ts'] and never['update_ts'] is None
    theirs, ours = read_batch[('list-hosts',)]
    lines = dict((line.split()[0], line) for line in ours.stdout.splitlines()[2:])
    assert ' Y   Y    2.5/4.0  x86_64,i686 ' in lines[ALPHA]
    assert koji.formatTimeLong(alpha['update_ts']) in lines[ALPHA]
    assert ' Y   N    0.8/2.0  aarch64 ' in lines[BETA]
    assert lines[NEVER].split()[1:4] == ['N', 'N', '0.0/2.0']
    assert lines[NEVER].rstrip().endswith(' -')
    theirs, ours = read_batch[('list-hosts', '--show-channels')]
    assert ours.stdout.splitlines()[2].rstrip().endswith('*%s,default' % CHANNEL)
