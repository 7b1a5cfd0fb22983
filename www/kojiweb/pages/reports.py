"""The report pages: counts per user, host, status and target, and the cluster health."""
import datetime

import koji

from kojiweb import paging, svg

from . import page
from .hosts import _validate_arch

GRAPH_WIDTH = 400
DAY_CHOICES = [1, 3, 5, 7, 14, 30, 60, 90, 120, -1]
IX86 = ['i386', 'i486', 'i586', 'i686']


def _graph(values, rows, key):
    top = max([r[key] for r in rows] or [0])
    values['maxValue'] = top
    values['graphWidth'] = GRAPH_WIDTH
    for row in rows:
        row['width'] = int(GRAPH_WIDTH * row[key] / top) if top else 0


def _counted(req, title, template, rows, key, start, order, default):
    values = {'key': key}
    values.update(getattr(req, 'extra', None) or {})
    _graph(values, rows, key)
    paging.paginate_list(values, rows, start=start, order=order, default_order=default,
                         data_name='rows')
    values['reportTitle'] = title
    return req.render(template, values, title, 'reports')


@page
def buildsbyuser(req, start=None, order='-builds'):
    server = req.server
    users = server.listUsers()
    mc = server.multicall()
    calls = [mc.listBuilds(userID=u['id'], queryOpts={'countOnly': True}) for u in users]
    mc.call_all(strict=True)
    rows = [{'id': u['id'], 'name': u['name'], 'builds': c.result}
            for u, c in zip(users, calls)]
    return _counted(req, 'Builds by User', 'countreport.chtml', rows, 'builds', start,
                    order, '-builds')


@page
def packagesbyuser(req, start=None, order=None):
    server = req.server
    users = server.listUsers()
    mc = server.multicall()
    calls = [mc.countAndFilterResults('listPackages', userID=u['id'], with_dups=True,
                                      filterOpts={'limit': 0}) for u in users]
    mc.call_all(strict=True)
    rows = [{'id': u['id'], 'name': u['name'], 'packages': c.result[0]}
            for u, c in zip(users, calls)]
    return _counted(req, 'Packages by User', 'countreport.chtml', rows, 'packages', start,
                    order, '-packages')


@page
def tasksbyuser(req, start=None, order='-tasks'):
    server = req.server
    users = server.listUsers()
    mc = server.multicall()
    calls = [mc.listTasks(opts={'owner': u['id']}, queryOpts={'countOnly': True})
             for u in users]
    mc.call_all(strict=True)
    rows = [{'id': u['id'], 'name': u['name'], 'tasks': c.result}
            for u, c in zip(users, calls)]
    return _counted(req, 'Tasks by User', 'countreport.chtml', rows, 'tasks', start, order,
                    '-tasks')


def _arch_list(arch):
    arch = _validate_arch(arch)
    if not arch:
        return None
    if arch == 'ix86':
        return IX86
    return [arch]


@page
def tasksbyhost(req, start=None, order='-tasks', hostArch=None):
    server = req.server
    mc = server.multicall()
    hosts = mc.listHosts(arches=_arch_list(hostArch))
    arches = mc.getAllArches()
    mc.call_all(strict=True)
    hosts = hosts.result
    # one count per host, all in one round trip
    mc = server.multicall()
    calls = [mc.listTasks(opts={'host_id': h['id']}, queryOpts={'countOnly': True})
             for h in hosts]
    mc.call_all(strict=True)
    rows = [{'id': h['id'], 'name': h['name'], 'tasks': c.result}
            for h, c in zip(hosts, calls)]
    chart = svg.bar_chart([(r['name'], r['tasks'], 'hostinfo?hostID=%d' % r['id'])
                           for r in rows], 'tasks-by-host', 'tasks per host')
    req.extra = {'hostArch': hostArch, 'arches': arches.result, 'chartSVG': chart}
    return _counted(req, 'Tasks by Host', 'countreport.chtml', rows, 'tasks', start, order,
                    '-tasks')


@page
def rpmsbyhost(req, start=None, order=None, hostArch=None, rpmArch=None):
    server = req.server
    _validate_arch(hostArch)
    _validate_arch(rpmArch)
    hosts = server.listHosts(arches=_arch_list(hostArch))
    mc = server.multicall()
    calls = [mc.listRPMs(hostID=h['id'], arches=_arch_list(rpmArch),
                         queryOpts={'countOnly': True}) for h in hosts]
    mc.call_all(strict=True)
    rows = [{'id': h['id'], 'name': h['name'], 'rpms': c.result}
            for h, c in zip(hosts, calls)]
    req.extra = {'hostArch': hostArch, 'rpmArch': rpmArch, 'arches': server.getAllArches()}
    return _counted(req, 'RPMs by Host', 'countreport.chtml', rows, 'rpms', start, order,
                    '-rpms')


def _since(days):
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise koji.GenericError('Invalid days: %r' % (days,))
    if days == -1:
        return days, None
    when = datetime.datetime.now() - datetime.timedelta(days=days)
    return days, when.timestamp()


@page
def buildsbystatus(req, days='7'):
    server = req.server
    days, since = _since(days)
    mc = server.multicall()
    calls = {}
    for name in ('COMPLETE', 'FAILED', 'CANCELED'):
        calls[name] = mc.listBuilds(completeAfter=since, state=koji.BUILD_STATES[name],
                                    taskID=-1, queryOpts={'countOnly': True})
    mc.call_all(strict=True)
    rows = [{'name': label, 'builds': calls[name].result}
            for name, label in (('COMPLETE', 'Succeeded'), ('FAILED', 'Failed'),
                                ('CANCELED', 'Canceled'))]
    values = {'rows': rows, 'days': days, 'dayChoices': DAY_CHOICES}
    _graph(values, rows, 'builds')
    return req.render('buildsbystatus.chtml', values, 'Builds by Status', 'reports')


@page
def buildsbytarget(req, days='7', start=None, order='-builds'):
    server = req.server
    days, since = _since(days)
    tasks = server.listTasks(opts={'method': 'build', 'completeAfter': since,
                                   'decode': True})
    counts = {}
    for task in tasks:
        request = task.get('request') or []
        target = request[1] if len(request) > 1 else None
        if target:
            counts[target] = counts.get(target, 0) + 1
    rows = [{'name': name, 'builds': num} for name, num in counts.items()]
    req.extra = {'days': days, 'dayChoices': DAY_CHOICES}
    return _counted(req, 'Builds by Target', 'countreport.chtml', rows, 'builds', start,
                    order, '-builds')


@page
def clusterhealth(req, arch='__all__'):
    if arch != '__all__':
        _validate_arch(arch)
    server = req.server
    channels = sorted(server.listChannels(), key=lambda c: c['name'])
    mc = server.multicall()
    calls = [mc.listHosts(channelID=c['id']) for c in channels]
    mc.call_all(strict=True)
    arches = set()
    rows = []
    for channel, call in zip(channels, calls):
        hosts = call.result
        for host in hosts:
            arches.update(host['arches'].split())
        if arch != '__all__':
            hosts = [h for h in hosts if arch in h['arches'].split()]
        enabled = [h for h in hosts if h['enabled']]
        ready = [h for h in enabled if h['ready']]
        capacity = sum(h['capacity'] for h in enabled)
        load = sum(h['task_load'] for h in enabled)
        rows.append({'id': channel['id'], 'name': channel['name'], 'enabled': len(enabled),
                     'ready': len(ready), 'capacity': capacity, 'load': load,
                     'loadPercent': int(100 * load / capacity) if capacity else 0,
                     'readyPercent': int(100 * len(ready) / len(enabled)) if enabled
                     else 0})
    values = {'rows': rows, 'arch': arch, 'arches': sorted(arches)}
    return req.render('clusterhealth.chtml', values, 'Cluster health', 'reports')
