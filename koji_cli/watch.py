"""Following tasks until they finish: state lines (watch_tasks) and log tails (watch_logs).

Every command that waits on a task goes through watch_tasks, so its line formats and
return code are the contract scripts rely on. koji_cli.lib re-exports these names.
"""
import os
import sys
import time

import koji

FINAL_STATES = ('CLOSED', 'CANCELED', 'FAILED')


def _state_name(info):
    return koji.TASK_STATES.get(info['state'], 'BADSTATE')


def _task_file_url(topurl, task_id, filename, volume):
    """Public URL of a task output file; non-default volumes live under vol/<name>."""
    base = topurl.rstrip('/')
    if volume and volume != 'DEFAULT':
        base = '%s/vol/%s' % (base, volume)
    return '%s/work/%s/%s' % (base, koji.pathinfo.taskrelpath(task_id), filename)


class TaskWatcher(object):
    """The last known state of one watched task, and how to print it."""

    def __init__(self, task_id, session, level=0, quiet=False, topurl=None):
        self.id = task_id
        self.session = session
        self.info = None
        self.level = level
        self.quiet = quiet
        self.topurl = topurl
        self._host_names = {}

    def str(self):
        if self.info:
            label = koji.taskLabel(self.info)
            return "%s%d %s" % ('  ' * self.level, self.id, label)
        return "%s%d" % ('  ' * self.level, self.id)

    def __str__(self):
        return self.str()

    def _host_name(self, host_id):
        # a host keeps its name, so one lookup per host is enough
        if host_id not in self._host_names:
            host = self.session.getHost(host_id)
            self._host_names[host_id] = host['name'] if host else str(host_id)
        return self._host_names[host_id]

    def _failure_text(self):
        try:
            self.session.getTaskResult(self.id)
        except Exception as e:
            return "%s: %s" % (e.__class__.__name__, str(e).strip())
        return "(no error information)"

    def _log_lines(self, indent):
        """The 'Relevant logs' block for a failed task, or '' when there is nothing to link."""
        if not self.topurl:
            return ''
        from koji_cli.lib import list_task_output_all_volumes
        output = list_task_output_all_volumes(self.session, self.id)
        lines = []
        for filename in sorted(output):
            if not filename.endswith('log'):
                continue
            for volume in output[filename]:
                lines.append('%s%s' % (indent, _task_file_url(self.topurl, self.id, filename,
                                                              volume)))
        if not lines:
            return ''
        return '\n%sRelevant logs:\n%s' % (indent, '\n'.join(lines))

    def display_state(self, info, level=0):
        """State text for a task line; a failure carries its fault and log links."""
        state = _state_name(info)
        if state in ('OPEN', 'ASSIGNED') and info.get('host_id'):
            return '%s (%s)' % (state.lower(), self._host_name(info['host_id']))
        if state == 'FAILED':
            text = 'FAILED: %s' % self._failure_text()
            return text + self._log_lines('  ' * (level + 1))
        return state.lower()

    def update(self):
        """Poll the hub; print a line and return True when the state moved."""
        last = self.info
        self.info = self.session.getTaskInfo(self.id, request=True)
        if self.info is None:
            if not self.quiet:
                print("No such task id: %i" % self.id)
            sys.exit(1)
        if last is None:
            if not self.quiet:
                print("%s: %s" % (self.str(), self.display_state(self.info, level=self.level)))
            return False
        if last['state'] != self.info['state']:
            if not self.quiet:
                print("%s: %s -> %s" % (self.str(), self.display_state(last),
                                        self.display_state(self.info)))
            return True
        return False

    def is_done(self):
        return self.info is not None and _state_name(self.info) in FINAL_STATES

    def is_success(self):
        return self.info is not None and _state_name(self.info) == 'CLOSED'


def display_tasklist_status(tasks):
    """The running tally printed whenever a watched task finishes."""
    counts = {'free': 0, 'open': 0, 'done': 0, 'failed': 0}
    for task in tasks.values():
        if task.info is None:
            continue
        state = _state_name(task.info)
        if state == 'FAILED':
            counts['failed'] += 1
        elif state in ('CLOSED', 'CANCELED'):
            counts['done'] += 1
        elif state in ('OPEN', 'ASSIGNED'):
            counts['open'] += 1
        elif state == 'FREE':
            counts['free'] += 1
    print("  %(free)d free  %(open)d open  %(done)d done  %(failed)d failed" % counts)


def display_task_results(tasks):
    """One closing line per top-level task."""
    for task in tasks.values():
        if task.level != 0:
            continue
        state = _state_name(task.info) if task.info else None
        if state == 'CLOSED':
            print('%s completed successfully' % task.str())
        elif state == 'FAILED':
            print('%s failed' % task.str())
        elif state == 'CANCELED':
            print('%s was canceled' % task.str())
        else:
            print('%s has not completed' % task.str())


def print_ki_message(progname, tasks):
    """What an interrupted watch leaves on screen: how to resume and what is still going."""
    print("Tasks still running. You can continue to watch with the '%s watch-task' command."
          % progname)
    print("Running Tasks:")
    for task in tasks.values():
        if task.info is not None and not task.is_done():
            print("%s: %s" % (task.str(), task.display_state(task.info)))


def _default_ki_handler(progname, tasklist, tasks):
    print_ki_message(progname, tasks)


def watch_tasks(session, tasklist, quiet=False, poll_interval=60, ki_handler=None,
                topurl=None):
    """Follow tasks and their descendants until all finish.

    Returns 1 when a top-level task ended in anything but CLOSED, else 0; Ctrl-C prints
    how to resume (unless quiet) and re-raises.
    """
    if not tasklist:
        return None
    if not quiet:
        print("Watching tasks (this may be safely interrupted)...")
    if ki_handler is None:
        ki_handler = _default_ki_handler
    sys.stdout.flush()
    rv = 0
    tasks = {}
    try:
        for task_id in tasklist:
            tasks[task_id] = TaskWatcher(task_id, session, quiet=quiet, topurl=topurl)
        while True:
            all_done = True
            for task_id, task in list(tasks.items()):
                changed = task.update()
                if not task.is_done():
                    all_done = False
                else:
                    if changed and not quiet:
                        display_tasklist_status(tasks)
                    if task.level == 0 and not task.is_success():
                        rv = 1
                for child in session.getTaskChildren(task_id):
                    child_id = child['id']
                    if child_id in tasks:
                        continue
                    tasks[child_id] = TaskWatcher(child_id, session, task.level + 1,
                                                  quiet=quiet, topurl=topurl)
                    tasks[child_id].update()
                    # a new child may have children of its own: look again next round
                    all_done = False
            if all_done:
                if not quiet:
                    print('')
                    display_task_results(tasks)
                break
            sys.stdout.flush()
            time.sleep(poll_interval)
    except KeyboardInterrupt:
        if tasks and not quiet:
            progname = os.path.basename(sys.argv[0]) or 'koji'
            ki_handler(progname, tasklist, tasks)
        raise
    return rv


def _write_bytes(data):
    """Log content goes out as the bytes the builder wrote."""
    if isinstance(data, str):
        data = data.encode('utf-8', 'replace')
    out = getattr(sys.stdout, 'buffer', None)
    if out is None:
        sys.stdout.write(data.decode('utf-8', 'replace'))
    else:
        sys.stdout.flush()
        out.write(data)
        out.flush()


def watch_logs(session, tasklist, opts, poll_interval):
    """Stream new log content of tasks until all of them have finished."""
    from koji_cli.lib import list_task_output_all_volumes
    print("Watching logs (this may be safely interrupted)...")
    sys.stdout.flush()
    tasklist = list(tasklist)
    offsets = dict((task_id, {}) for task_id in tasklist)
    wanted = getattr(opts, 'log', None)
    follow = getattr(opts, 'follow', False)
    lastlog = None
    while tasklist:
        for task_id in list(tasklist):
            info = session.getTaskInfo(task_id)
            if info is None:
                print("No such task id: %i" % task_id)
                sys.exit(1)
            if _state_name(info) in FINAL_STATES:
                # read what is left this round, then stop following it
                tasklist.remove(task_id)
            output = list_task_output_all_volumes(session, task_id)
            logs = []
            for filename in sorted(output):
                if (wanted and filename == wanted) or (not wanted and filename.endswith('log')):
                    logs.extend((filename, volume) for volume in output[filename])
            seen = offsets.setdefault(task_id, {})
            for filename, volume in logs:
                while True:
                    offset = seen.get((filename, volume), 0)
                    contents = session.downloadTaskOutput(task_id, filename, offset, 16384,
                                                          volume=volume)
                    if not contents:
                        break
                    seen[(filename, volume)] = offset + len(contents)
                    current = "%d:%s:%s:" % (task_id, volume, filename)
                    if current != lastlog:
                        if lastlog:
                            sys.stdout.write("\n")
                        sys.stdout.write("==> %s <==\n" % current)
                        lastlog = current
                    _write_bytes(contents)
            if follow:
                for child in session.getTaskChildren(task_id):
                    if child['id'] not in tasklist and child['id'] not in offsets:
                        tasklist.append(child['id'])
                        offsets[child['id']] = {}
        if not tasklist:
            break
        sys.stdout.flush()
        time.sleep(poll_interval)
