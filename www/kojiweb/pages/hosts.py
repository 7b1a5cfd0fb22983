"""Builder hosts (hosts, hostinfo) and channels (channelinfo)."""
import re

import koji

from kojiweb import paging

from . import page
from .tasks import ACTIVE, _int_param

_ARCH_RE = re.compile(r'^[\w-]+$')


@page
def hosts(req, state='enabled', start=None, order='name', ready='all', channel='all',
          arch='all'):
    server = req.server
    values = {}
    kw = {}
    if state not in ('enabled', 'disabled', 'all'):
        state = 'enabled'
    if state != 'all':
        kw['enabled'] = state == 'enabled'
    if ready not in ('yes', 'no', 'all'):
        ready = 'all'
    if ready != 'all':
        kw['ready'] = ready == 'yes'
    if arch != 'all':
        if not _ARCH_RE.match(arch or ''):
            raise koji.GenericError('Invalid arch: %s' % arch)
        kw['arches'] = [arch]
    channels = server.listChannels()
    names = sorted(c['name'] for c in channels)
    if channel != 'all':
        match = [c for c in channels if c['name'] == channel]
        if not match:
            raise koji.GenericError('No such channel: %s' % channel)
        kw['channelID'] = match[0]['id']
    data = server.listHosts(**kw)
    mc = server.multicall()
    calls = [mc.listChannels(hostID=h['id']) for h in data]
    updates = [mc.getLastHostUpdate(h['id'], ts=True) for h in data]
    mc.call_all(strict=True)
    for host, call, upd in zip(data, calls, updates):
        host['channels'] = sorted(call.result, key=lambda c: c['name'])
        host['last_update'] = upd.result
    arches = set()
    for host in data:
        arches.update(host['arches'].split())
    values.update(state=state, ready=ready, channel=channel, arch=arch, channels=names,
                  arches=sorted(arches))
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
        found = server.listHosts(userID=_int_param(userID, 'userID'))
        if not found:
            raise koji.GenericError('No such host for user ID: %s' % userID)
        host = found[0]
    else:
        raise koji.GenericError('hostID or userID must be provided')
    mc = server.multicall()
    channels = mc.listChannels(host['id'])
    brs = mc.listBuildroots(hostID=host['id'], state=[
        s for n, s in koji.BR_STATES.items() if n != 'EXPIRED'])
    upd = mc.getLastHostUpdate(host['id'], ts=True)
    mc.call_all(strict=True)
    values = {'host': host, 'channels': sorted(channels.result, key=lambda c: c['name']),
              'buildroots': sorted(brs.result, key=lambda b: -b['id']),
              'lastUpdate': upd.result}
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
              'readyHosts': len([h for h in hostlist if h['enabled'] and h['ready']])}
    return req.render('channelinfo.chtml', values, channel['name'] + ' | Channel Info',
                      'hosts')
