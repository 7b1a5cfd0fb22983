"""The tasks list and one task's page (taskinfo) with its tree."""
import os
import time

import koji

from kojiweb import hubcodec, paging, svg, util

from . import page, taskparams

TASKS = ['build', 'buildSRPMFromSCM', 'rebuildSRPM', 'buildArch', 'chainbuild', 'maven',
         'buildMaven', 'chainmaven', 'wrapperRPM', 'winbuild', 'vmExec', 'waitrepo',
         'tagBuild', 'newRepo', 'createrepo', 'distRepo', 'createdistrepo',
         'buildNotification', 'tagNotification', 'dependantTask', 'livecd', 'createLiveCD',
         'appliance', 'createAppliance', 'image', 'indirectionimage', 'createImage',
         'livemedia', 'createLiveMedia']
TOPLEVEL_TASKS = ['build', 'buildNotification', 'chainbuild', 'maven', 'chainmaven',
                  'wrapperRPM', 'winbuild', 'newRepo', 'distRepo', 'tagBuild',
                  'tagNotification', 'waitrepo', 'livecd', 'appliance', 'image', 'livemedia']
PARENT_TASKS = ['build', 'chainbuild', 'maven', 'chainmaven', 'winbuild', 'newRepo',
                'distRepo', 'wrapperRPM', 'livecd', 'appliance', 'image', 'livemedia']
STATES = ('active', 'all', 'free', 'open', 'closed', 'failed', 'canceled', 'assigned')
ACTIVE = [koji.TASK_STATES[s] for s in ('FREE', 'OPEN', 'ASSIGNED')]


def _lists(opts):
    return (TASKS + list(opts.get('Tasks') or []),
            TOPLEVEL_TASKS + list(opts.get('ToplevelTasks') or []),
            PARENT_TASKS + list(opts.get('ParentTasks') or []))


def _int_param(value, name):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise koji.GenericError('Invalid %s: %r' % (name, value))


def _convert_if_int(value):
    return int(value) if str(value).isdigit() else value


@page
def tasks(req, owner=None, state='active', view='tree', method='all', hostID=None,
          channelID=None, start=None, order='-id'):
    server = req.server
    if view not in ('tree', 'toplevel', 'flat'):
        raise koji.GenericError('Invalid value for view: %r' % (view,))
    values = {}
    all_tasks, toplevel, parents = _lists(req.opts)
    opts = {'decode': True}
    values['owner'] = values['ownerObj'] = None
    # the owner, host and channel looked up in one round trip
    lookups = {}
    if owner or hostID or channelID:
        mc = server.multicall()
        if owner:
            lookups['owner'] = mc.getUser(_convert_if_int(owner), strict=True)
        if hostID:
            lookups['host'] = mc.getHost(_convert_if_int(hostID), strict=True)
        if channelID:
            lookups['channel'] = mc.getChannel(_convert_if_int(channelID), strict=True)
        mc.call_all(strict=True)
    if owner:
        ownerObj = lookups['owner'].result
        opts['owner'] = ownerObj['id']
        values['owner'] = ownerObj['name']
        values['ownerObj'] = ownerObj
    if method in all_tasks:
        opts['method'] = method
    else:
        method = 'all'
    values['method'] = method
    values['alltasks'] = sorted(all_tasks)
    treeEnabled = not (hostID or method not in ['all'] + parents)
    if not treeEnabled and view == 'tree':
        # a host's tasks, or a method that never has children: no tree
        view = 'flat'
    toplevelEnabled = method in ['all'] + toplevel
    if not toplevelEnabled and view == 'toplevel':
        view = 'flat'
    if view in ('tree', 'toplevel'):
        opts['parent'] = None
    values.update(view=view, treeEnabled=treeEnabled, toplevelEnabled=toplevelEnabled)
    if state == 'active':
        opts['state'] = ACTIVE
    elif state != 'all':
        # a state name (KeyError for anything else, as upstream)
        opts['state'] = [koji.TASK_STATES[state.upper()]]
    values['state'] = state
    values['states'] = STATES
    values['host'] = values['channel'] = None
    values['hostID'] = values['channelID'] = None
    if hostID:
        host = lookups['host'].result
        opts['host_id'] = host['id']
        values['host'], values['hostID'] = host, host['id']
    if channelID:
        channel = lookups['channel'].result
        opts['channel_id'] = channel['id']
        values['channel'], values['channelID'] = channel, channel['id']
    # the page of tasks and the users of the owner filter in one round trip
    mc = server.multicall()
    paged = paging.queue_method(mc, values, 'listTasks', kw={'opts': opts}, start=start,
                                order=order, default_order='-id', data_name='tasks',
                                count=bool(start and start != '0'))
    users = mc.listUsers(queryOpts={'order': 'name'})
    mc.call_all(strict=True)
    values['users'] = users.result
    data = paged.finish()
    if view == 'tree' and data:
        _add_descendents(server, data)
    values['rows'] = _flatten(data, view == 'tree')
    values['taskLabel'] = koji.taskLabel
    return req.render('tasks.chtml', values, 'Tasks', 'tasks')


MAX_TREE_DEPTH = 50
# listTasks fields that getTaskDescendents rows do not have
_LIST_ONLY = ('owner_name', 'owner_type', 'host_name', 'result')


def _request(raw):
    """A task's stored request (the XML listTasks gives without decode) as a list."""
    if not isinstance(raw, str):
        return raw
    try:
        return list(hubcodec.call_params(raw))
    except Exception:
        return []


def _add_descendents(server, tops):
    """Set each top-level task's 'descendents' as getTaskDescendents(request=True) gives
    them ({str(parent id): [children]}), read one tree level per round trip with
    listTasks(parent=[ids]) rather than one call per task.  Not decoded in the hub: a
    subtask's result (large for finished builds) then stays one string on the wire; only
    the requests (for the labels) are decoded here."""
    by_id = {t['id']: t for t in tops}
    for task in tops:
        task['descendents'] = {}
    root_of = {t['id']: t['id'] for t in tops}
    level = list(by_id)
    for _ in range(MAX_TREE_DEPTH):
        if not level:
            break
        rows = server.listTasks(opts={'parent': level}, queryOpts={'order': 'id'})
        level = []
        for row in rows:
            if row['id'] in root_of:
                continue
            for key in _LIST_ONLY:
                row.pop(key, None)
            row['request'] = _request(row.get('request'))
            root = root_of[row['parent']]
            root_of[row['id']] = root
            by_id[root]['descendents'].setdefault(str(row['parent']), []).append(row)
            level.append(row['id'])


def _flatten(data, tree):
    """(depth, task) rows; in tree view each task's descendants follow it, indented."""
    rows = []
    for task in data:
        rows.append((0, task))
        if tree:
            desc = task.get('descendents') or {}

            def walk(parent_id, depth):
                for child in sorted(desc.get(str(parent_id), []), key=lambda c: c['id']):
                    rows.append((depth, child))
                    walk(child['id'], depth + 1)
            walk(task['id'], 1)
    return rows


WATCHABLE = ('buildSRPMFromSCM', 'buildArch', 'createLiveMedia', 'buildMaven', 'wrapperRPM',
             'vmExec', 'createrepo', 'runroot', 'createAppliance', 'createLiveCD')


def _output_key(item):
    """Logs last, then by extension and name."""
    volume, name = item
    base, ext = os.path.splitext(name)
    return (ext == '.log', ext, base, volume)


def _result_text(result, exc):
    """(full, abbreviated) text of a task result."""
    if exc is not None:
        text = getattr(exc, 'faultString', None) or '%s: %s' % (type(exc).__name__, exc)
    elif isinstance(result, dict):
        text = '\n'.join('%s = %s' % (k, v) for k, v in sorted(result.items()))
    elif isinstance(result, list):
        text = '\n'.join(str(v) for v in result)
    elif result is None:
        text = ''
    else:
        text = str(result)
    text = text.strip()
    lines = text.splitlines()
    abbr = '\n'.join(lines[:5])
    if len(abbr) > 400:
        abbr = abbr[:400]
    return text, (abbr if abbr != text else None)


@page
def taskinfo(req, taskID):
    server = req.server
    task_id = _int_param(taskID, 'taskID')
    task = server.getTaskInfo(task_id, request=True)
    if not task:
        raise koji.GenericError('No such task ID: %s' % taskID)
    values = {'task': task}
    state = koji.TASK_STATES[task['state']]
    # everything else in one round trip, called leniently: each result raises its own
    # fault when read (the task result's is shown on the page)
    mc = server.multicall()
    parent = mc.getTaskInfo(task['parent'], request=True) if task['parent'] else None
    desc = mc.getTaskDescendents(task_id, request=True)
    builds = mc.listBuilds(taskID=task_id)
    buildroots = mc.listBuildroots(taskID=task_id)
    owner = mc.getUser(task['owner']) if task['owner'] else None
    host = mc.getHost(task['host_id']) if task['host_id'] else None
    channel = mc.getChannel(task['channel_id']) if task['channel_id'] else None
    output = mc.listTaskOutput(task_id, all_volumes=True)
    requests = mc.repo.queryQueue([['task_id', '=', task_id]], ['id']) \
        if task['method'] == 'newRepo' else None
    task_result = mc.getTaskResult(task_id) if state in ('CLOSED', 'FAILED') else None
    decoded = taskparams.queue_decode(mc, task)
    mc.call_all()
    values['requests'] = requests.result if requests else []
    values['parent'] = parent.result if parent else None
    values['descendents'] = desc.result
    values['taskBuilds'] = builds.result[:1]
    values['buildroots'] = buildroots.result
    values['owner'] = owner.result if owner else None
    values['ownerIsHost'] = bool(owner and owner.result and
                                 owner.result['usertype'] == koji.USERTYPES['HOST'])
    values['host'] = host.result if host else None
    values['channel'] = channel.result if channel else None
    files = []
    for fname, volumes in output.result.items():
        files.extend((volume, fname) for volume in volumes)
    values['files'] = sorted(files, key=_output_key)
    values['taskDir'] = {v: koji.PathInfo(topdir=req.opts['KojiFilesURL']).task(task_id, v)
                         for v, _ in files}
    params, opts = decoded()
    values['paramsHTML'] = taskparams.params_html(params, opts)
    values['stateName'] = state.lower()
    result = exc = None
    if task_result is not None:
        try:
            result = task_result.result
        except Exception as error:
            exc = error
    values['fullResult'], values['abbrResult'] = _result_text(result, exc)
    values['resultFailed'] = exc is not None
    can_manage = bool(req.user) and (req.is_admin() or req.user['id'] == task['owner'])
    values['canCancel'] = can_manage and state in ('FREE', 'OPEN', 'ASSIGNED')
    values['canResubmit'] = (can_manage and state in ('CANCELED', 'FAILED')
                             and not task['parent'])
    values['canFree'] = bool(req.user) and req.is_admin() and state in ('OPEN', 'ASSIGNED')
    values['watchable'] = (state not in ('CLOSED', 'CANCELED', 'FAILED')
                           and task['method'] in WATCHABLE)
    values['estCompletion'] = None
    build = values['taskBuilds'][0] if values['taskBuilds'] else None
    if state == 'OPEN' and build and build['state'] == koji.BUILD_STATES['BUILDING']:
        avg = server.getAverageBuildDuration(build['package_id'])
        if avg is not None and build.get('creation_ts'):
            values['estCompletion'] = build['creation_ts'] + avg
    end_ts = task.get('completion_ts') if state != 'OPEN' else None
    end_ts = end_ts or time.time()
    values['totalTime'] = util.formatTimestampDifference(task['create_ts'], end_ts)
    values['taskTime'] = util.formatTimestampDifference(task['start_ts'], end_ts) \
        if task.get('start_ts') else ''
    values['desc_rows'] = _desc_rows(task_id, desc.result)
    values['treeSVG'] = _tree_svg(server, task, values['parent'], desc.result, values['host'])
    values['taskLabel'] = koji.taskLabel
    values['buildLabel'] = koji.buildLabel
    return req.render('taskinfo.chtml', values, koji.taskLabel(task) + ' | Task Info',
                      'tasks')


def _desc_rows(task_id, desc):
    rows = []

    def walk(parent_id, depth):
        for child in sorted(desc.get(str(parent_id), []), key=lambda c: c['id']):
            rows.append((depth, child))
            walk(child['id'], depth + 1)
    walk(task_id, 0)
    return rows


def _tree_svg(server, task, parent, desc, host):
    """The task tree graph; host names come from one multicall for the hosts it shows."""
    hosts = {host['id']: host['name']} if host else {}
    ids = set()
    for kids in desc.values():
        ids.update(k['host_id'] for k in kids if k.get('host_id'))
    if parent and parent.get('host_id'):
        ids.add(parent['host_id'])
    ids.difference_update(hosts)
    if ids:
        mc = server.multicall()
        calls = [(hid, mc.getHost(hid)) for hid in sorted(ids)]
        mc.call_all(strict=True)
        hosts.update((hid, call.result['name']) for hid, call in calls if call.result)
    if not parent and not desc.get(str(task['id'])):
        return None
    return svg.task_tree(task, desc, hosts, time.time(), parent=parent)
