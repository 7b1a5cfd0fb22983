"""Host and channel commands against the real hub.

The hub is shared by the whole module, so every test makes its own uniquely named
hosts and channels, and table checks look only at the rows of those.
"""
import json
import re

import koji
from tests.fixtures.cli import LOG_ERROR, uniq

HOSTS_HEADER = 'Enb Rdy Load/Cap  Arches           Last Update                         '
SEEDED = ['appliance', 'createrepo', 'default', 'image', 'livecd', 'livemedia', 'maven',
          'vm']


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: %s\n' % message), res.stderr


def call(cli, method, *args):
    return json.loads(ok(cli('call', '--json-output', method, *args)))


def add_host(cli, name, *arches_and_opts):
    out = ok(cli('add-host', name, *(arches_and_opts or ('x86_64',))))
    match = re.match(r'^%s added: id (\d+)\n$' % re.escape(name), out)
    assert match, out
    return int(match.group(1))


def table_rows(out, names):
    """Rows of a table output that belong to the given names, in output order."""
    return [line for line in out.splitlines() if line.split(' ')[0] in names]


def squeeze(row):
    """A table row with the padding after its first column reduced to one space."""
    return re.sub(r'^(\S+) +', r'\1 ', row)


def test_add_host_and_hostinfo(cli, hub_server):
    name = uniq('b') + '.example.com'
    host_id = add_host(cli, name, 'x86_64', 'i686')
    host = call(cli, 'getHost', name)
    assert (host['id'], host['arches'], host['capacity']) == (host_id, 'x86_64 i686', 2.0)
    assert call(cli, 'getUser', name)['usertype'] == koji.USERTYPES['HOST']
    res = cli('hostinfo', name, auth=False)
    head = '\n'.join([
        'Name: %s' % name, 'ID: %d' % host_id, 'Arches: x86_64 i686', 'Capacity: 2.0',
        'Task Load: 0.00', 'Description:', 'Comment:', 'Enabled: yes', 'Ready: no',
        'Last Update: never', 'Channels: default', 'Active Buildroots:', ''])
    assert res.stdout.startswith(head)
    if res.returncode == 0:
        assert res.stdout == head + 'None\n'
    else:
        # the builds work has not registered listBuildroots yet
        assert 'listBuildroots' in res.stderr


def test_add_host_errors(cli):
    name = uniq('b')
    add_host(cli, name)
    res = cli('add-host', name, 'x86_64')
    assert (res.returncode, res.stdout, res.stderr) == \
        (1, '', '%s is already in the database\n' % name)
    usage_error(cli('add-host', name), 'Please specify a hostname and at least one arch')
    # an ordinary user is only converted with --force
    user = uniq('u')
    ok(cli('add-user', user))
    res = cli('add-host', user, 'x86_64')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: user %s already exists and it is not a host'
                    % user, res.stderr)
    add_host(cli, user, 'x86_64', '--force', '--krb-principal', user + '@EXAMPLE.COM')
    info = call(cli, 'getUser', user)
    assert (info['usertype'], info['krb_principals']) == \
        (koji.USERTYPES['HOST'], [user + '@EXAMPLE.COM'])


def test_add_host_needs_permission(cli, hub_server, sql):
    user = uniq('u')
    ok(cli('add-user', user))
    sql('UPDATE users SET password = %s WHERE name = %s', 'pw', user)
    res = cli('add-host', uniq('b'), 'x86_64', user=user, password='pw')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'ActionNotAllowed: ', res.stderr), res.stderr


def test_edit_host(cli):
    first, second = uniq('b'), uniq('b')
    add_host(cli, first)
    add_host(cli, second)
    res = cli('edit-host', first, second, '--capacity', '4', '--arches', 'x86_64,aarch64',
              '--description', 'line one\nline two', '--comment', 'rack 7')
    assert ok(res) == 'Edited %s\nEdited %s\n' % (first, second)
    host = call(cli, 'getHost', first)
    assert (host['arches'], host['capacity'], host['description'], host['comment']) == \
        ('x86_64 aarch64', 4.0, 'line one\nline two', 'rack 7')
    assert ok(cli('edit-host', first, '--capacity', '4')) == 'No changes made to %s\n' % first
    res = cli('edit-host', first, 'ghost', '--comment', 'x')
    assert (res.returncode, res.stdout) == (1, '')
    assert res.stderr == ('No such host: ghost\n'
                          'No changes made, please correct the command line\n')
    usage_error(cli('edit-host'), 'Please specify a hostname')
    out = cli('hostinfo', first, auth=False).stdout
    assert 'Description: line one\n             line two\nComment: rack 7\n' in out


def test_enable_disable_host(cli):
    name = uniq('b')
    add_host(cli, name)
    assert ok(cli('disable-host', name, '--comment', 'maintenance')) == ''
    host = call(cli, 'getHost', name)
    assert (host['enabled'], host['comment']) == (False, 'maintenance')
    assert ok(cli('enable-host', name)) == ''
    host = call(cli, 'getHost', name)
    assert (host['enabled'], host['comment']) == (True, 'maintenance')
    res = cli('disable-host', name, 'ghost')
    assert (res.returncode, res.stdout, res.stderr) == \
        (1, 'No such host: ghost\n', 'No changes made. Please correct the command line.\n')
    assert call(cli, 'getHost', name)['enabled'] is True
    usage_error(cli('enable-host'), 'At least one host must be specified')


def test_list_hosts(cli, sql):
    names = sorted([uniq('lh-a'), uniq('lh-b'), uniq('lh-c')])
    a, b, c = names
    add_host(cli, a, 'x86_64', 'i686')
    add_host(cli, b, 'aarch64')
    add_host(cli, c, 'x86_64')
    ok(cli('edit-host', b, '--description', 'x' * 60, '--comment', 'two\nlines'))
    ok(cli('disable-host', c))
    sql("UPDATE host SET ready = TRUE, task_load = 1.25, update_time = "
        "'2024-03-01 12:00:00+00' WHERE name = %s", a)
    channel = uniq('chan')
    ok(cli('add-host-to-channel', '--new', b, channel))
    ok(cli('disable-channel', channel))
    stamp = koji.formatTimeLong(call(cli, 'getHost', a)['update_ts'])

    out = ok(cli('list-hosts', auth=False))
    lines = out.splitlines()
    width = max(len(h['name']) for h in call(cli, 'listHosts'))
    header = '{0:<{1}} '.format('Hostname', width) + HOSTS_HEADER
    assert lines[:2] == [header, '-' * len(header)]
    mask = '%%-%ds %%s' % width
    rows = [mask % (a, 'Y   Y    1.2/2.0  x86_64,i686      %-35s' % stamp),
            mask % (b, 'Y   N    0.0/2.0  aarch64          %-35s' % '-'),
            mask % (c, 'N   N    0.0/2.0  x86_64           %-35s' % '-')]
    assert table_rows(out, names) == rows

    out = ok(cli('list-hosts', '--quiet', '--channel', channel, '--description',
                 '--comment', '--show-channels', auth=False))
    assert out == ('%s Y   N    0.0/2.0  aarch64          %-35s %-50s %-50s %s\n'
                   % (b, '-', 'x' * 47 + '...', 'two lines', '*%s,default' % channel))
    out = ok(cli('list-hosts', '--channel', channel, '--show-channels', auth=False))
    assert out.splitlines()[0] == '{0:<{1}} '.format('Hostname', len(b)) + HOSTS_HEADER + \
        'Channels'

    def filtered(*opts):
        # the name column is as wide as the longest listed name, so compare without it
        out = ok(cli('list-hosts', *opts, auth=False))
        return [squeeze(r) for r in table_rows(out, names)]
    rows = [squeeze(r) for r in rows]
    assert filtered('--ready') == rows[:1]
    assert filtered('--not-ready') == rows[1:]
    assert filtered('--disabled') == rows[2:]
    assert filtered('--enabled') == rows[:2]
    assert filtered('--arch', 'i686', '--arch', 'aarch64') == rows[:2]
    res = cli('list-hosts', '--channel', 'ghost', auth=False)
    usage_error(res, 'No such channel: ghost')
    empty = uniq('empty')
    ok(cli('add-channel', empty))
    res = cli('list-hosts', '--channel', empty, auth=False)
    assert (res.returncode, res.stdout, res.stderr) == (0, '', 'No hosts found.\n')


def test_host_channel_membership(cli):
    name = uniq('b')
    add_host(cli, name)
    assert ok(cli('add-host-to-channel', name, 'createrepo')) == ''
    # channels by id, as upstream lists them
    assert 'Channels: default createrepo\n' in cli('hostinfo', name, auth=False).stdout
    res = cli('add-host-to-channel', name, 'createrepo')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: host %s is already subscribed to the '
                    'createrepo channel' % name, res.stderr)
    res = cli('add-host-to-channel', name, 'ghost')
    assert (res.returncode, res.stderr) == (1, 'No such channel: ghost\n')
    res = cli('add-host-to-channel', 'ghost', 'default')
    assert (res.returncode, res.stderr) == (1, 'No such host: ghost\n')
    usage_error(cli('add-host-to-channel', name), 'Please specify a hostname and a channel')
    new = uniq('chan')
    assert ok(cli('add-host-to-channel', '--new', name, new)) == ''
    assert call(cli, 'getChannel', new)['name'] == new
    listed = ok(cli('add-host-to-channel', '--list')).splitlines()
    ids = [c['id'] for c in call(cli, 'listChannels')]
    assert new in listed and ids == sorted(ids)

    assert ok(cli('remove-host-from-channel', name, 'createrepo')) == ''
    assert [c['name'] for c in call(cli, 'listChannels', 'hostID=' + name)] == \
        ['default', new]
    res = cli('remove-host-from-channel', name, 'createrepo')
    assert (res.returncode, res.stderr) == \
        (1, 'Host %s is not a member of channel createrepo\n' % name)
    res = cli('remove-host-from-channel', 'ghost', 'default')
    assert (res.returncode, res.stderr) == (1, 'No such host: ghost\n')
    usage_error(cli('remove-host-from-channel', name),
                'Please specify a hostname and a channel')


def test_disabled_channel_needs_force(cli):
    name, channel = uniq('b'), uniq('chan')
    add_host(cli, name)
    ok(cli('add-channel', channel))
    ok(cli('disable-channel', channel))
    res = cli('add-host-to-channel', name, channel)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: channel %s is disabled' % channel, res.stderr)
    assert ok(cli('add-host-to-channel', '--force', name, channel)) == ''


def test_add_and_edit_channel(cli):
    name = uniq('chan')
    out = ok(cli('add-channel', name, '--description', 'for tests'))
    match = re.match(r'^%s added: id (\d+)\n$' % re.escape(name), out)
    assert match, out
    chan_id = int(match.group(1))
    assert call(cli, 'getChannel', name) == {'id': chan_id, 'name': name,
                                             'description': 'for tests', 'enabled': True,
                                             'comment': None}
    res = cli('add-channel', name)
    assert (res.returncode, res.stderr) == (1, 'channel %s already exists\n' % name)
    usage_error(cli('add-channel'), 'Please specify one channel name')

    renamed = uniq('chan')
    assert ok(cli('edit-channel', name, '--name', renamed, '--comment', 'note')) == ''
    assert call(cli, 'getChannel', str(chan_id))['name'] == renamed
    res = cli('edit-channel', renamed, '--comment', 'note')
    assert (res.returncode, res.stderr) == \
        (1, 'No changes made, please correct the command line\n')
    res = cli('edit-channel', renamed, '--name', 'default')
    assert (res.returncode, res.stderr) == \
        (1, 'channel default already exists (id=1)\n'
            'No changes made, please correct the command line\n')
    res = cli('edit-channel', 'ghost', '--comment', 'x')
    assert (res.returncode, res.stderr) == (1, 'No such channel: ghost\n')
    usage_error(cli('edit-channel'), 'Incorrect number of arguments')


def test_enable_disable_channel(cli):
    first, second = uniq('chan'), uniq('chan')
    ok(cli('add-channel', first))
    ok(cli('add-channel', second))
    assert ok(cli('disable-channel', first, second, '--comment', 'broken')) == ''
    assert [(c['enabled'], c['comment']) for c in
            (call(cli, 'getChannel', first), call(cli, 'getChannel', second))] == \
        [(False, 'broken'), (False, 'broken')]
    assert ok(cli('enable-channel', first)) == ''
    assert call(cli, 'getChannel', first)['enabled'] is True
    res = cli('enable-channel', second, 'ghost')
    assert (res.returncode, res.stdout, res.stderr) == \
        (1, 'No such channel: ghost\n', 'No changes made. Please correct the command line.\n')
    assert call(cli, 'getChannel', second)['enabled'] is False
    usage_error(cli('disable-channel'), 'At least one channel must be specified')


def test_list_channels(cli):
    chan = uniq('lc')
    hosts = [uniq('b'), uniq('b')]
    ok(cli('add-channel', chan, '--description', 'd' * 55))
    for host, arch in zip(hosts, ('x86_64', 'aarch64')):
        add_host(cli, host, arch)
        ok(cli('edit-host', host, '--capacity', '5'))
        ok(cli('add-host-to-channel', host, chan))
    ok(cli('disable-host', hosts[1]))
    ok(cli('disable-channel', chan, '--comment', 'two\nlines'))

    channels = call(cli, 'listChannels')
    width = max(len(c['name'] + ('' if c['enabled'] else ' [disabled]')) for c in channels)
    out = ok(cli('list-channels', auth=False))
    lines = out.splitlines()
    header = '{0:<{1}}Enabled  Ready Disbld   Load    Cap   Perc    '.format('Channel', width)
    assert lines[:2] == [header, '-' * len(header)]
    decorated = chan + ' [disabled]'
    row = ('%%-%ds %%6d %%6d %%6d %%6d %%6d %%6d%%%%' % width) % (decorated, 1, 0, 1, 0, 10, 0)
    assert row in lines
    assert [line.split(' ')[0] for line in lines[2:]] == \
        sorted(line.split(' ')[0] for line in lines[2:])
    out = ok(cli('list-channels', '--arch', 'x86_64', '--description', '--comment',
                 '--quiet', auth=False))
    row = ('%%-%ds %%6d %%6d %%6d %%6d %%6d %%6d%%%%   %%-50s   %%-50s' % width) % (
        decorated, 1, 0, 0, 0, 5, 0, 'd' * 47 + '...', 'two lines')
    assert row in out.splitlines()
    out = ok(cli('list-channels', '--simple', '--disabled', auth=False))
    assert out.startswith('Channel\n-------\n')
    assert decorated in out.splitlines()
    assert 'default' not in out.splitlines()
    out = ok(cli('list-channels', '--simple', '--enabled', '--quiet', auth=False))
    assert set(SEEDED) <= set(out.splitlines())
    assert decorated not in out and chan not in out


def test_hostinfo_last_update(cli, sql):
    name = uniq('b')
    host_id = add_host(cli, name)
    sql('UPDATE users SET password = %s WHERE name = %s', 'pw', name)
    ok(cli('hello', user=name, password='pw'))
    # a login alone is no check-in: the host's own update time is what hostinfo shows
    assert isinstance(call(cli, 'getLastHostUpdate', str(host_id), 'ts=True'), float)
    out = cli('hostinfo', str(host_id), auth=False).stdout
    assert 'Ready: no\nLast Update: never\nChannels: default\n' in out
    sql("UPDATE host SET update_time = '2020-02-03 12:05:06+00' WHERE id = %s", host_id)
    ts = call(cli, 'getHost', str(host_id))['update_ts']
    out = cli('hostinfo', str(host_id), auth=False).stdout
    assert 'Ready: no\nLast Update: %s\nChannels: default\n' % koji.formatTimeLong(ts) in out
    assert koji.formatTimeLong(ts).startswith('Mon, 03 Feb 2020')
    res = cli('hostinfo', 'ghost', name, auth=False)
    assert res.returncode == 1
    assert res.stderr.startswith('No such host: ghost\n\n')
    assert res.stdout.startswith('Name: %s\n' % name)
