"""Builder hosts (hosts, hostinfo) and channels (channelinfo)."""
import re

import koji

from kojiweb import paging

from . import page
from .tasks import ACTIVE

_ARCH_RE = re.compile(r'^[\w-]+$')


def _validate_arch(arch):
    if not arch:
        return None
    if _ARCH_RE.match(arch):
        return arch
    raise koji.GenericError('No such arch: %r' % (arch,))


@page
def hosts(req, state='enabled', start=None, order='name', ready='all', channel='all',
          arch='all'):
    """All hosts, filtered here (state, readiness, arch, channel) and sorted as a list."""
    server = req.server
    values = {}
    data = server.listHosts()
    values['arches'] = sorted({a for h in data for a in h['arches'].split()})
    if state == 'enabled':
        data = [h for h in data if h['enabled']]
    elif state == 'disabled':
        data = [h for h in data if not h['enabled']]
    else:
        state = 'all'
    if ready == 'yes':
        data = [h for h in data if h['ready']]
    elif ready == 'no':
        data = [h for h in data if not h['ready']]
    else:
        ready = 'all'
    if arch != 'all':
        arch = _validate_arch(arch)
        if arch:
            data = [h for h in data if arch in h['arches'].split(' ')]
    else:
        arch = 'all'
    mc = server.multicall()
    calls = [mc.listChannels(hostID=h['id']) for h in data]
    everything = mc.listChannels()
    mc.call_all(strict=True)
    for host, call in zip(data, calls):
        host['channels'] = sorted(call.result, key=lambda c: c['name'])
        host['channel_names'] = [c['name'] for c in host['channels']]
    if channel != 'all':
        data = [h for h in data if channel in h['channel_names']]
    for host in data:
        host['last_update'] = koji.formatTimeLong(host['update_ts']) \
            if host.get('update_ts') else None
    values.update(state=state, ready=ready, channel=channel, arch=arch,
                  channels=sorted(c['name'] for c in everything.result))
    paging.paginate_list(values, data, start=start, order=order, default_order='name',
                         data_name='hosts')
    return req.render('hosts.chtml', values, 'Hosts', 'hosts')


@page
def hostinfo(req, hostID=None, userID=None):
    server = req.server
    if hostID:
        host = server.getHost(int(hostID) if str(hostID).isdigit() else hostID)
        if host is None:
            raise koji.GenericError('No such host ID: %s' % hostID)
    elif userID:
        ident = int(userID) if str(userID).isdigit() else userID
        found = server.listHosts(userID=ident)
        if not found:
            raise koji.GenericError('No such host for user ID: %s' % userID)
        host = found[0]
    else:
        raise koji.GenericError('hostID or userID must be provided')
    mc = server.multicall()
    channels = mc.listChannels(host['id'])
    brs = mc.listBuildroots(hostID=host['id'], state=[
        s for n, s in koji.BR_STATES.items() if n != 'EXPIRED'])
    mc.call_all(strict=True)
    values = {'host': host, 'channels': sorted(channels.result, key=lambda c: c['name']),
              'buildroots': sorted(brs.result, key=lambda b: b['create_event_time'],
                                   reverse=True),
              'lastUpdate': koji.formatTimeLong(host['update_ts'])
              if host.get('update_ts') else None}
    return req.render('hostinfo.chtml', values, host['name'] + ' | Host Info', 'hosts')


@page
def channelinfo(req, channelID):
    server = req.server
    channel = server.getChannel(int(channelID) if str(channelID).isdigit() else channelID)
    if channel is None:
        raise koji.GenericError('No such channel ID: %s' % channelID)
    mc = server.multicall()
    active = mc.listTasks(opts={'channel_id': channel['id'], 'state': ACTIVE},
                          queryOpts={'countOnly': True})
    hostlist = mc.listHosts(channelID=channel['id'])
    mc.call_all(strict=True)
    hostlist = sorted(hostlist.result, key=lambda h: h['name'])
    values = {'channel': channel, 'taskCount': active.result, 'hosts': hostlist,
              'enabledHosts': len([h for h in hostlist if h['enabled']]),
              'readyHosts': len([h for h in hostlist if h['ready']])}
    return req.render('channelinfo.chtml', values, channel['name'] + ' | Channel Info',
                      'hosts')
