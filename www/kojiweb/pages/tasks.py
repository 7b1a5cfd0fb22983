"""The tasks list and one task's page (taskinfo) with its tree."""
import koji

from kojiweb import paging, util

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
    if owner:
        ownerObj = server.getUser(_convert_if_int(owner), strict=True)
        opts['owner'] = ownerObj['id']
        values['owner'] = ownerObj['name']
        values['ownerObj'] = ownerObj
    values['users'] = server.listUsers(queryOpts={'order': 'name'})
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
        host = server.getHost(_convert_if_int(hostID), strict=True)
        opts['host_id'] = host['id']
        values['host'], values['hostID'] = host, host['id']
    if channelID:
        channel = server.getChannel(_convert_if_int(channelID), strict=True)
        opts['channel_id'] = channel['id']
        values['channel'], values['channelID'] = channel, channel['id']
    data = paging.paginate_method(server, values, 'listTasks', kw={'opts': opts},
                                  start=start, order=order, default_order='-id',
                                  data_name='tasks', count=bool(start and start != '0'))
    if view == 'tree' and data:
        mc = server.multicall()
        calls = [mc.getTaskDescendents(t['id'], request=True) for t in data]
        mc.call_all(strict=True)
        for task, call in zip(data, calls):
            task['descendents'] = call.result
    values['rows'] = _flatten(data, view == 'tree')
    values['taskLabel'] = koji.taskLabel
    return req.render('tasks.chtml', values, 'Tasks', 'tasks')


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


@page
def taskinfo(req, taskID):
    server = req.server
    task_id = _int_param(taskID, 'taskID')
    task = server.getTaskInfo(task_id, request=True)
    if not task:
        raise koji.GenericError('No such task ID: %s' % taskID)
    values = {'task': task}
    mc = server.multicall()
    parent = mc.getTaskInfo(task['parent'], request=True) if task['parent'] else None
    desc = mc.getTaskDescendents(task_id, request=True)
    builds = mc.listBuilds(taskID=task_id)
    buildroots = mc.listBuildroots(taskID=task_id)
    owner = mc.getUser(task['owner'])
    host = mc.getHost(task['host_id']) if task['host_id'] else None
    channel = mc.getChannel(task['channel_id']) if task['channel_id'] else None
    output = mc.listTaskOutput(task_id, all_volumes=True)
    mc.call_all(strict=True)
    values['parent'] = parent.result if parent else None
    values['descendents'] = desc.result
    values['builds'] = builds.result
    values['buildroots'] = buildroots.result
    values['owner'] = owner.result
    values['host'] = host.result if host else None
    values['channel'] = channel.result if channel else None
    files = []
    for fname, volumes in sorted(output.result.items()):
        for volume in volumes:
            files.append((fname, volume))
    values['files'] = files
    params, opts = taskparams.decode(server, task)
    values['paramsHTML'] = taskparams.params_html(params, opts)
    state = koji.TASK_STATES[task['state']]
    values['stateName'] = state.lower()
    values['result'] = None
    values['excClass'] = None
    if state in ('CLOSED', 'FAILED'):
        try:
            values['result'] = server.getTaskResult(task_id)
        except Exception as exc:
            values['excClass'] = type(exc).__name__
            values['result'] = str(exc)
    can_manage = bool(req.user) and (req.is_admin() or req.user['id'] == task['owner'])
    values['canCancel'] = can_manage and state in ('FREE', 'OPEN', 'ASSIGNED')
    values['canResubmit'] = (can_manage and state in ('CANCELED', 'FAILED')
                             and not task['parent'])
    values['canFree'] = bool(req.user) and req.is_admin() and state in ('OPEN', 'ASSIGNED')
    values['running'] = state in ('FREE', 'OPEN', 'ASSIGNED')
    values['desc_rows'] = _desc_rows(task_id, desc.result)
    values['taskLabel'] = koji.taskLabel
    values['totalTime'] = util.formatTimestampDifference(
        task['create_ts'], task['completion_ts']) if task.get('completion_ts') else ''
    values['taskTime'] = util.formatTimestampDifference(
        task['start_ts'], task['completion_ts']) if task.get('completion_ts') and \
        task.get('start_ts') else ''
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
