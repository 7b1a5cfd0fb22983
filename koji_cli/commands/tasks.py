"""Commands that list, follow, steer and fetch tasks."""
import fnmatch
import os
import re
import sys
import time
from optparse import OptionParser

import koji
from koji_cli.lib import (TimeOption, activate_session, arg_filter, download_file,
                          ensure_connection, error, get_usage_str, list_task_output_all_volumes,
                          warn, watch_logs, watch_tasks, _running_in_bg)
from koji_cli.taskparams import task_param_lines

ACTIVE_STATES = ('FREE', 'OPEN', 'ASSIGNED')
BUILDDIR = '/var/lib/mock'


def _should_wait(wait):
    """--wait forces watching, --nowait forbids it, otherwise only in the foreground."""
    return bool(wait) or (wait is None and not _running_in_bg())


def _watch_new_tasks(goptions, session, task_ids, quiet):
    session.logout()
    return watch_tasks(session, task_ids, quiet=quiet, poll_interval=goptions.poll_interval,
                       topurl=goptions.topurl)


def _int_args(parser, args, message):
    try:
        return [int(a) for a in args]
    except ValueError:
        parser.error(message)


# -- listing --------------------------------------------------------------------------------

def _list_tasks(options, session):
    """Tasks matching the selection options, children threaded under their parents."""
    callopts = {'decode': True}
    if not getattr(options, 'all', False):
        callopts['state'] = [koji.TASK_STATES[s] for s in ACTIVE_STATES]
    if getattr(options, 'mine', False):
        if getattr(options, 'user', None):
            error("Can't specify 'mine' and 'user' in same time")
        user = session.getLoggedInUser()
        if not user:
            print("Unable to determine user")
            sys.exit(1)
        callopts['owner'] = user['id']
    if getattr(options, 'user', None):
        user = session.getUser(options.user)
        if not user:
            print("No such user: %s" % options.user)
            sys.exit(1)
        callopts['owner'] = user['id']
    if getattr(options, 'arch', None):
        callopts['arch'] = koji.parse_arches(options.arch, to_list=True)
    if getattr(options, 'method', None):
        callopts['method'] = options.method
    if getattr(options, 'channel', None):
        chan = session.getChannel(options.channel)
        if not chan:
            print("No such channel: %s" % options.channel)
            sys.exit(1)
        callopts['channel_id'] = chan['id']
    if getattr(options, 'host', None):
        host = session.getHost(options.host)
        if not host:
            print("No such host: %s" % options.host)
            sys.exit(1)
        callopts['host_id'] = host['id']
    if getattr(options, 'before', None):
        callopts['startedBefore'] = options.before
    if getattr(options, 'after', None):
        callopts['startedAfter'] = options.after
    tasklist = session.listTasks(callopts, {'order': 'priority,create_time'})
    by_id = dict((t['id'], t) for t in tasklist)
    for task in tasklist:
        parent = by_id.get(task['parent']) if task['parent'] is not None else None
        if parent is not None:
            parent.setdefault('children', []).append(task)
            task['sub'] = True
    return tasklist


def _print_task(task, depth=0):
    row = dict(task)
    row['state'] = koji.TASK_STATES.get(task['state'], 'BADSTATE')
    indent = ("  " * (depth - 1) + " +") if depth else ''
    print("%(id)-8s %(priority)-4s %(owner_name)-20s %(state)-8s %(arch)-10s " % row
          + indent + koji.taskLabel(task))


def _print_task_tree(task, depth=0):
    _print_task(task, depth)
    for child in task.get('children', ()):
        _print_task_tree(child, depth + 1)


def handle_list_tasks(goptions, session, args):
    "[info] Show unfinished tasks as a table"
    usage = "usage: %prog list-tasks [options]"
    parser = OptionParser(usage=get_usage_str(usage), option_class=TimeOption)
    parser.add_option("--mine", action="store_true", help="only tasks you own")
    parser.add_option("--user", help="only tasks owned by this user")
    parser.add_option("--arch", help="only tasks for these arches")
    parser.add_option("--method", help="only tasks of this method")
    parser.add_option("--channel", help="only tasks in this channel")
    parser.add_option("--host", help="only tasks on this host")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    parser.add_option("--before", type="time",
                      help="only tasks started before this time. " + TimeOption.get_help())
    parser.add_option("--after", type="time",
                      help="only tasks started after this time. " + TimeOption.get_help())
    parser.add_option("--all", action="store_true",
                      help="finished tasks too (needs --after)")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    if options.all and not options.after:
        parser.error("--all must be used with --after")
    activate_session(session, goptions)
    tasklist = _list_tasks(options, session)
    if not tasklist:
        print("(no tasks)")
        return
    if not options.quiet:
        print("ID       Pri  Owner                State    Arch       Name")
    for task in tasklist:
        if not task.get('sub'):
            _print_task_tree(task)


# -- taskinfo -------------------------------------------------------------------------------

def _task_files(session, task_id):
    """Log and other output paths of a task under the local store layout."""
    files = list_task_output_all_volumes(session, task_id)
    logs, output = [], []
    # in the order the hub lists them, as upstream prints them
    for filename in files:
        for volume in files[filename]:
            path = os.path.join(koji.pathinfo.work(volume=volume),
                                koji.pathinfo.taskrelpath(task_id), filename)
            (logs if filename.endswith('.log') else output).append(path)
    return logs, output


def _print_task_info(session, task_id, topdir, level=0, recurse=True, verbose=True):
    indent = "  " * level
    info = session.getTaskInfo(task_id)
    if info is None:
        raise koji.GenericError("No such task: %d" % task_id)
    host = session.getHost(info['host_id']) if info['host_id'] else None
    buildroots = session.listBuildroots(taskID=task_id)
    builds = session.listBuilds(taskID=task_id)
    logs, output = _task_files(session, task_id)
    owner = session.getUser(info['owner'])

    def out(text=''):
        print("%s%s" % (indent, text))
    out("Task: %d" % task_id)
    out("Type: %s" % info['method'])
    if verbose:
        out("Request Parameters:")
        for line in task_param_lines(session, info['method'], task_id, topdir):
            out("  %s" % line)
    out("Owner: %s" % (owner['name'] if owner else info['owner']))
    out("State: %s" % koji.TASK_STATES[info['state']].lower())
    out("Created: %s" % time.asctime(time.localtime(info['create_ts'])))
    if info.get('start_ts'):
        out("Started: %s" % time.asctime(time.localtime(info['start_ts'])))
    if info.get('completion_ts'):
        out("Finished: %s" % time.asctime(time.localtime(info['completion_ts'])))
    if host:
        out("Host: %s" % host['name'])
    if builds:
        out("Build: %s (%d)" % (builds[0]['nvr'], builds[0]['build_id']))
    if buildroots:
        out("Buildroots:")
        for root in buildroots:
            out("  %s/%s-%d-%d/" % (BUILDDIR, root['tag_name'], root['id'], root['repo_id']))
    for title, paths in (("Log Files:", logs), ("Output:", output)):
        out(title)
        if paths:
            for path in paths:
                out("  %s" % path)
        else:
            out("  No outputs reported [1]")
    if not logs or not output:
        out("[1] Not all tasks produce outputs, and task outputs are not retained "
            "indefinitely.")
    print('')
    if recurse:
        for child in sorted(session.getTaskChildren(task_id), key=lambda c: c['id']):
            _print_task_info(session, child['id'], topdir, level + 1, recurse, verbose)


def anon_handle_taskinfo(goptions, session, args):
    "[info] Show the details of tasks"
    usage = "usage: %prog taskinfo [options] <task_id> [<task_id> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-r", "--recurse", action="store_true",
                      help="show child tasks as well")
    parser.add_option("-v", "--verbose", action="store_true", help="show request parameters")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("You must specify at least one task ID")
    task_ids = _int_args(parser, args, "task id must be an integer")
    ensure_connection(session, goptions)
    for task_id in task_ids:
        _print_task_info(session, task_id, goptions.topdir, 0, options.recurse,
                         options.verbose)


# -- watching -------------------------------------------------------------------------------

def _add_selection_options(parser):
    parser.add_option("--mine", action="store_true", help="your open tasks")
    parser.add_option("--user", help="open tasks of this user")
    parser.add_option("--arch", help="open tasks for these arches")
    parser.add_option("--method", help="open tasks of this method")
    parser.add_option("--channel", help="open tasks in this channel")
    parser.add_option("--host", help="open tasks on this host")


def anon_handle_watch_task(goptions, session, args):
    "[monitor] Follow task state changes until the tasks finish"
    usage = "usage: %prog watch-task [options] <task id> [<task id> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print nothing while watching")
    _add_selection_options(parser)
    options, args = parser.parse_args(args)
    selection = (options.mine or options.user or options.arch or options.method
                 or options.channel or options.host)
    if args and selection:
        parser.error("Selection options cannot be combined with a task list")
    if options.mine:
        activate_session(session, goptions)
    else:
        ensure_connection(session, goptions)
    if selection:
        tasks = [t['id'] for t in _list_tasks(options, session)]
        if not tasks:
            print("(no tasks)")
            return
    else:
        tasks = _int_args(parser, args, "task id must be an integer")
        if not tasks:
            parser.error("at least one task id must be specified")
    return watch_tasks(session, tasks, quiet=options.quiet,
                       poll_interval=goptions.poll_interval, topurl=goptions.topurl)


def anon_handle_watch_logs(goptions, session, args):
    "[monitor] Stream the logs of running tasks"
    usage = "usage: %prog watch-logs [options] <task id> [<task id> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--log", help="only this log file")
    parser.add_option("--mine", action="store_true", help="all your open tasks")
    parser.add_option("-f", "--follow", action="store_true",
                      help="pick up child tasks as they appear")
    options, args = parser.parse_args(args)
    if options.mine:
        activate_session(session, goptions)
        if args:
            parser.error("Selection options cannot be combined with a task list")
        tasks = [t['id'] for t in _list_tasks(options, session)]
        if not tasks:
            print("You've no active tasks.")
            return
    else:
        ensure_connection(session, goptions)
        tasks = _int_args(parser, args, "task id must be an integer")
        if not tasks:
            parser.error("at least one task id must be specified")
    watch_logs(session, tasks, options, goptions.poll_interval)


# -- changing tasks -------------------------------------------------------------------------

def handle_cancel(goptions, session, args):
    "[build] Stop tasks or builds"
    usage = "usage: %prog cancel [options] <task_id|build> [<task_id|build> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--justone", action="store_true", help="leave the child tasks alone")
    parser.add_option("--full", action="store_true", help="full cancellation (admin only)")
    parser.add_option("--force", action="store_true",
                      help="with --full, also allow canceling subtasks")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("You must specify at least one task id or build")
    task_ids, builds = [], []
    for arg in args:
        try:
            task_ids.append(int(arg))
        except ValueError:
            try:
                koji.parse_NVR(arg)
            except koji.GenericError:
                parser.error("please specify only task ids (integer) or builds (n-v-r)")
            builds.append(arg)
    activate_session(session, goptions)
    calls = []
    strict_builds = bool(builds) and session.hub_version >= (1, 33, 0)
    with session.multicall(strict=False, batch=100) as m:
        for task_id in task_ids:
            if options.justone:
                calls.append(m.cancelTask(task_id, recurse=False))
            elif options.full:
                if options.force:
                    calls.append(m.cancelTaskFull(task_id, strict=False))
                else:
                    calls.append(m.cancelTaskFull(task_id))
            else:
                calls.append(m.cancelTask(task_id))
        for build in builds:
            if strict_builds:
                calls.append(m.cancelBuild(build, strict=True))
            else:
                calls.append(m.cancelBuild(build))
    failed = False
    for call in calls:
        try:
            call.result
        except koji.GenericError as e:
            warn(getattr(e, 'faultString', None) or str(e))
            failed = True
    if failed:
        return 1


def handle_free_task(goptions, session, args):
    "[admin] Put tasks back into the FREE state"
    usage = "usage: %prog free-task [options] <task_id> [<task_id> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    activate_session(session, goptions)
    task_ids = _int_args(parser, args, "task_id must be an integer")
    if not task_ids:
        parser.error("please specify at least one task_id")
    for task_id in task_ids:
        session.freeTask(task_id)


def handle_assign_task(goptions, session, args):
    "[admin] Hand a task to a particular host"
    usage = "usage: %prog assign-task <task_id> <hostname>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-f", "--force", action="store_true", default=False,
                      help="assign even if the task is not free")
    parser.add_option("--override", action="store_true", default=False,
                      help="keep the scheduler from moving the task elsewhere")
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("please specify a task id and a hostname")
    try:
        task_id = int(args[0])
    except ValueError:
        parser.error("task id must be an integer")
    hostname = args[1]
    if session.getTaskInfo(task_id, request=False) is None:
        raise koji.GenericError("No such task: %s" % task_id)
    if session.getHost(hostname) is None:
        raise koji.GenericError("No such host: %s" % hostname)
    activate_session(session, goptions)
    if not session.hasPerm('admin'):
        parser.error("This action requires admin privileges")
    kwargs = {'force': options.force}
    if options.override:
        kwargs['override'] = True
    if session.assignTask(task_id, hostname, **kwargs):
        print('assigned task %d to host %s' % (task_id, hostname))
    else:
        print('failed to assign task %d to host %s' % (task_id, hostname))


def handle_resubmit(goptions, session, args):
    "[build] Run a failed or canceled task again with the same request"
    usage = "usage: %prog resubmit [options] <task_id>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--wait", action="store_true",
                      help="watch the new task even when running in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="do not watch the new task")
    # kept for compatibility; like upstream nothing reads it
    parser.add_option("--nowatch", action="store_true", dest="nowatch",
                      help="an alias for --nowait")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="do not print the task information")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a single task ID")
    task_id = _int_args(parser, args, "task id must be an integer")[0]
    activate_session(session, goptions)
    if not options.quiet:
        print("Resubmitting the following task:")
        _print_task_info(session, task_id, goptions.topdir, 0, False, True)
    new_id = session.resubmitTask(task_id)
    if not options.quiet:
        print("Resubmitted task %s as new task %s" % (task_id, new_id))
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [new_id], options.quiet)


def handle_set_task_priority(goptions, session, args):
    "[admin] Change the priority of tasks"
    usage = "usage: %prog set-task-priority [options] --priority=<priority> <task_id> " \
        "[<task_id> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--priority", type="int", help="the new priority")
    parser.add_option("--recurse", action="store_true", default=False,
                      help="change the child tasks too")
    options, args = parser.parse_args(args)
    if options.priority is None:
        parser.error("You must specify --priority")
    task_ids = _int_args(parser, args, "Task numbers must be integers")
    activate_session(session, goptions)
    if not session.hasPerm('admin'):
        user = session.getLoggedInUser()
        error("admin permission required (logged in as %s)" % user['name'])
    for task_id in task_ids:
        try:
            session.setTaskPriority(task_id, options.priority, options.recurse)
        except koji.GenericError:
            warn("Can't update task priority on closed task: %s" % task_id)


def handle_make_task(goptions, session, args):
    "[admin] Create a task from a method name and raw arguments"
    usage = "usage: %prog make-task [options] <method> [<arg> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--channel", help="put the task in this channel")
    parser.add_option("--priority", type="int", help="task priority")
    parser.add_option("--watch", action="store_true", help="watch the new task")
    parser.add_option("--arch", help="task arch")
    options, args = parser.parse_args(args)
    activate_session(session, goptions)
    if len(args) < 1:
        parser.error("Please specify task method at least")
    taskopts = {}
    for key in ('channel', 'priority', 'arch'):
        value = getattr(options, key)
        if value is not None:
            taskopts[key] = value
    task_id = session.makeTask(method=args[0], arglist=[arg_filter(a) for a in args[1:]],
                               **taskopts)
    print("Created task id %d" % task_id)
    if _running_in_bg() or not options.watch:
        return
    return _watch_new_tasks(goptions, session, [task_id], goptions.quiet)


def handle_restart_hosts(goptions, session, args):
    "[admin] Start a task that restarts the builders"
    usage = "usage: %prog restart-hosts [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--wait", action="store_true",
                      help="watch the task even when running in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="do not watch the task")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print less while watching")
    parser.add_option("--force", action="store_true", help="ignore other restartHosts tasks")
    parser.add_option("--channel", help="only hosts in this channel")
    parser.add_option("-a", "--arch", action="append", default=[],
                      help="only hosts of this arch")
    parser.add_option("--timeout", metavar='N', type='int', help="task timeout in seconds")
    options, args = parser.parse_args(args)
    activate_session(session, goptions)
    if not options.force:
        states = [koji.TASK_STATES[s] for s in ACTIVE_STATES]
        others = session.listTasks({'method': 'restartHosts', 'state': states})
        if others:
            warn('Found other restartHosts tasks running.')
            warn('Task ids: %r' % [t['id'] for t in others])
            error('Use --force to run anyway')
    callopts = {}
    if options.channel:
        callopts['channel'] = options.channel
    if options.arch:
        callopts['arches'] = options.arch
    if options.timeout:
        callopts['timeout'] = options.timeout
    if callopts:
        task_id = session.restartHosts(options=callopts)
    else:
        task_id = session.restartHosts()
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], options.quiet)


# -- scheduler ------------------------------------------------------------------------------

def _host_id(session, value):
    try:
        return int(value)
    except ValueError:
        return session.getHost(value, strict=True)['id']


def anon_handle_scheduler_info(goptions, session, args):
    "[monitor] Show recent scheduler task runs"
    usage = "usage: %prog schedulerinfo [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-t", "--task", type="int", help="only runs of this task")
    parser.add_option("--host", help="only runs on this host (name or id)")
    parser.add_option("--state", type="choice",
                      choices=['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'],
                      help="only runs of tasks in this state")
    parser.add_option("--limit", type="int", default=100, help="show the last N runs")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    ensure_connection(session, goptions)
    if session.hub_version < (1, 34, 0):
        error("Hub version is %s and doesn't support scheduler methods introduced in 1.34."
              % session.hub_version_str)
    host_id = _host_id(session, options.host) if options.host else None
    clauses = []
    if options.task:
        clauses.append(['task_id', '=', options.task])
    if host_id:
        clauses.append(['host_id', '=', host_id])
    if options.state:
        clauses.append(['state', '=', koji.TASK_STATES[options.state]])
    fields = ('id', 'task_id', 'host_name', 'state', 'create_ts', 'start_ts', 'completion_ts')
    runs = session.scheduler.getTaskRuns(clauses=clauses, fields=fields,
                                         opts={'order': '-id', 'limit': options.limit})
    mask = ("%(task_id)-9s %(host_name)-20s %(state)-7s %(create_ts)-17s %(start_ts)-17s "
            "%(completion_ts)-17s")
    if not goptions.quiet:
        header = mask % {'task_id': 'Task', 'host_name': 'Host', 'state': 'State',
                         'create_ts': 'Created', 'start_ts': 'Started',
                         'completion_ts': 'Ended'}
        print(header)
        print('-' * len(header))
    for run in reversed(runs):
        run = dict(run)
        run['state'] = koji.TASK_STATES.get(run['state'], run['state'])
        for key in ('create_ts', 'start_ts', 'completion_ts'):
            value = run.get(key)
            run[key] = time.strftime('%y-%m-%d %H:%M:%S', time.localtime(value)) \
                if value is not None else ''
        print(mask % run)
    if host_id:
        print('Host data for %s:' % options.host)
        data = session.scheduler.getHostData(hostID=host_id)
        print(data[0]['data'] if data else '-')


def handle_scheduler_logs(goptions, session, args):
    "[monitor] Show scheduler log messages"
    usage = "usage: %prog scheduler-logs <options>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--task", type="int", help="only messages about this task")
    parser.add_option("--host", help="only messages about this host (name or id)")
    parser.add_option("--from", type="float", dest="from_ts",
                      help="messages logged at or after this timestamp")
    parser.add_option("--to", type="float", dest="to_ts",
                      help="messages logged before this timestamp")
    parser.add_option("--limit", type="int", help="show the last N messages")
    options, args = parser.parse_args(args)
    if args:
        parser.error("There are no arguments for this command")
    if options.from_ts and options.to_ts and options.limit is not None:
        parser.error("If both --from and --to are used, --limit shouldn't be used")
    if session.hub_version < (1, 34, 0):
        error("Hub version is %s and doesn't support scheduler methods introduced in 1.34."
              % session.hub_version_str)
    clauses = []
    if options.task:
        clauses.append(['task_id', '=', options.task])
    if options.host:
        clauses.append(['host_id', '=', _host_id(session, options.host)])
    if options.from_ts:
        clauses.append(['msg_ts', '>=', options.from_ts])
    if options.to_ts:
        clauses.append(['msg_ts', '<', options.to_ts])
    fields = ('id', 'task_id', 'host_id', 'host_name', 'msg_ts', 'msg')
    if options.limit is not None:
        logs = session.scheduler.getLogMessages(clauses, fields=fields,
                                                opts={'order': '-id', 'limit': options.limit})
        logs = list(reversed(logs))
    else:
        logs = session.scheduler.getLogMessages(clauses, fields=fields, opts={'order': 'id'})
    mask = "%(task_id)-10s %(host_name)-20s %(time)-25s %(msg)-30s"
    if not goptions.quiet:
        header = mask % {'task_id': 'Task', 'host_name': 'Host', 'time': 'Time',
                         'msg': 'Message'}
        print(header)
        print('-' * len(header))
    for entry in logs:
        entry = dict(entry)
        entry['time'] = time.asctime(time.localtime(entry['msg_ts']))
        print(mask % entry)


# -- downloads ------------------------------------------------------------------------------

def _task_state_error(task, child):
    prefix = "Child task" if child else "Task"
    state = koji.TASK_STATES[task['state']]
    if state == 'FAILED':
        return "%s %d failed. You can use save-failed-tree plugin for FAILED tasks." % (
            prefix, task['id'])
    if state == 'CANCELED':
        return "%s %d was canceled." % (prefix, task['id'])
    return "%s %d has not finished yet." % (prefix, task['id'])


def _local_name(filename, task, options):
    if options.dirpertask:
        return os.path.join(str(task['id']), filename)
    if filename.endswith('.rpm') or task['arch'] in filename.split('.'):
        return filename
    base, ext = os.path.splitext(filename)
    return "%s.%s%s" % (base, task['arch'], ext)


def anon_handle_download_task(goptions, session, args):
    "[download] Fetch the output files of a task"
    usage = "usage: %prog download-task <task_id>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--arch", dest="arches", metavar="ARCH", action="append", default=[],
                      help="only rpms of this arch (repeatable)")
    parser.add_option("--logs", dest="logs", action="store_true", default=False,
                      help="also fetch the logs")
    parser.add_option("--topurl", metavar="URL", default=goptions.topurl,
                      help="URL under which the koji files are served")
    parser.add_option("--noprogress", action="store_true", help="no progress bar")
    parser.add_option("--wait", action="store_true",
                      help="wait for an unfinished task even in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="do not wait for an unfinished task")
    parser.add_option("-q", "--quiet", action="store_true", default=goptions.quiet,
                      help="print nothing")
    parser.add_option("--all", action="store_true", help="every non-log file of every task")
    parser.add_option("--dirpertask", action="store_true", help="one directory per task id")
    parser.add_option("--parentonly", action="store_true", help="skip child tasks")
    parser.add_option("--filter", dest="filter", action="append", default=[],
                      help="keep only file names matching this regex (repeatable)")
    parser.add_option("--skip", dest="skip", action="append", default=[],
                      help="drop file names matching this regex (repeatable)")
    options, args = parser.parse_args(args)
    if len(args) == 0:
        parser.error("Please specify a task ID")
    elif len(args) > 1:
        parser.error("Only one task ID may be specified")
    task_id = _int_args(parser, args, "Task ID must be an integer")[0]
    if options.filter and options.skip:
        parser.error("Only filter or skip may be specified. Not both.")
    arches = []
    for value in options.arches:
        arches.extend(koji.parse_arches(value, to_list=True))
    ensure_connection(session, goptions)
    base = session.getTaskInfo(task_id)
    if not base:
        error('No such task: %d' % task_id)
    if koji.TASK_STATES[base['state']] not in ('CLOSED', 'CANCELED', 'FAILED') \
            and _should_wait(options.wait):
        watch_tasks(session, [task_id], quiet=options.quiet,
                    poll_interval=goptions.poll_interval, topurl=options.topurl)
        base = session.getTaskInfo(task_id)
    tasks = [base]
    if not options.parentonly:
        tasks.extend(session.getTaskChildren(task_id))
    for task in tasks:
        if koji.TASK_STATES[task['state']] != 'CLOSED':
            error(_task_state_error(task, task['id'] != task_id))
    wanted = []
    for task in tasks:
        rpm_task = task['method'] in ('build', 'buildArch')
        if not (rpm_task or options.all or options.logs):
            continue
        files = list_task_output_all_volumes(session, task['id'])
        for filename in sorted(files):
            is_log = filename.endswith('.log')
            if is_log:
                if not options.logs:
                    continue
            elif filename.endswith('.rpm') and rpm_task:
                if arches and filename.rsplit('.', 2)[-2] not in arches:
                    continue
            elif not options.all:
                continue
            if options.filter and not all(re.search(p, filename) for p in options.filter):
                continue
            if options.skip and any(re.search(p, filename) for p in options.skip):
                continue
            for volume in files[filename]:
                wanted.append((task, filename, volume))
    if not wanted:
        print("No files for download found.")
        return
    topurl = (options.topurl or '').rstrip('/')
    seen = set()
    duplicates = False
    total = len(wanted)
    for n, (task, filename, volume) in enumerate(wanted, 1):
        local = _local_name(filename, task, options)
        urlbase = topurl
        if volume != 'DEFAULT':
            local = os.path.join(volume, local)
            urlbase = '%s/vol/%s' % (topurl, volume)
        if local in seen:
            duplicates = True
            if not options.quiet:
                print("Downloading [%d/%d]: %s" % (n, total, local))
                print("File %s already downloaded, skipping" % local)
            continue
        seen.add(local)
        url = '%s/work/%s/%s' % (urlbase, koji.pathinfo.taskrelpath(task['id']), filename)
        download_file(url, local, quiet=options.quiet, noprogress=options.noprogress,
                      size=total, num=n)
    if duplicates:
        warn("Duplicate files, for download all duplicate files use --dirpertask.")


def _save_task_logs(session, task, options, parent_dir):
    """Write the logs of one task (and children with --recurse) below parent_dir."""
    task_dir = os.path.join(parent_dir, '%s-%s' % (task['arch'], task['id']))
    state = koji.TASK_STATES[task['state']]
    found = False
    if state == 'FAILED':
        os.makedirs(task_dir, exist_ok=True)
        path = os.path.join(task_dir, 'task_failed.log')
        try:
            session.getTaskResult(task['id'])
            text = ''
        except Exception as e:
            text = str(e)
        print("Writing: %s" % path)
        with open(path, 'w') as f:
            f.write(text)
        found = True
    elif state not in ('CLOSED', 'CANCELED'):
        warn("Task %s is %s\n" % (task['id'], state))
    files = list_task_output_all_volumes(session, task['id'])
    for filename in sorted(files):
        if not filename.endswith('.log'):
            continue
        if options.patterns and not any(fnmatch.fnmatch(filename, p)
                                        for p in options.patterns):
            continue
        for volume in files[filename]:
            found = True
            target_dir = task_dir if volume == 'DEFAULT' else os.path.join(task_dir, volume)
            os.makedirs(target_dir, exist_ok=True)
            path = os.path.join(target_dir, filename)
            offset = 0
            mode = 'wb'
            if options.cont and os.path.exists(path):
                print("Continuing: %s" % path)
                offset = os.path.getsize(path)
                mode = 'ab'
            else:
                print("Downloading: %s" % path)
            with open(path, mode) as f:
                while True:
                    chunk = session.downloadTaskOutput(task['id'], filename, offset=offset,
                                                       size=102400, volume=volume)
                    if not chunk:
                        break
                    f.write(chunk)
                    offset += len(chunk)
    if options.recurse:
        for child in session.getTaskChildren(task['id']):
            found = _save_task_logs(session, child, options, task_dir) or found
    return found


def anon_handle_download_logs(goptions, session, args):
    "[download] Fetch the logs of tasks"
    usage = "usage: %prog download-logs [options] <task_id> [<task_id> ...]\n" \
        "       %prog download-logs [options] --nvr <n-v-r> [<n-v-r> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-r", "--recurse", action="store_true", help="child tasks too")
    parser.add_option("--nvr", action="store_true", help="arguments are build n-v-rs")
    parser.add_option("-m", "--match", action="append", dest="patterns", metavar="PATTERN",
                      default=[], help="only logs matching this pattern (repeatable)")
    parser.add_option("-c", "--continue", action="store_true", dest="cont",
                      help="append to existing files")
    parser.add_option("-d", "--dir", metavar="DIRECTORY", default='kojilogs',
                      help="where to write the logs")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify at least one task id or n-v-r")
    if options.nvr:
        options.recurse = True
    ensure_connection(session, goptions)
    task_ids = []
    if options.nvr:
        for nvr in args:
            build = session.getBuild(nvr)
            if build is None:
                error("There is no build with n-v-r: %s" % nvr)
            state = koji.BUILD_STATES[build['state']]
            if state == 'COMPLETE':
                print("Using build ID: %s" % build['id'])
                _download_build_logs(session, goptions, build, nvr, options)
            elif build.get('task_id'):
                print("Build %s is %s" % (nvr, state))
                print("Using task ID: %s" % build['task_id'])
                task_ids.append(build['task_id'])
            else:
                print("Unable to download build %s (state=%s)" % (nvr, state))
    else:
        for arg in args:
            try:
                task_ids.append(int(arg))
            except ValueError:
                error("Task id must be a number: %r" % arg)
    for task_id in task_ids:
        task = session.getTaskInfo(task_id)
        if task is None:
            error("No such task: %s" % task_id)
        if not _save_task_logs(session, task, options, options.dir) and not options.recurse:
            warn("No logs found for task %i. Perhaps try --recurse?" % task_id)


def _download_build_logs(session, goptions, build, nvr, options):
    topurl = (goptions.topurl or '').rstrip('/')
    for entry in session.getBuildLogs(build['id']):
        if not entry['name'].endswith('.log'):
            continue
        dest = os.path.join(os.getcwd(), options.dir, nvr, entry['name'])
        download_file('%s/%s' % (topurl, entry['path']), dest)
