"""Builder daemon core: the TaskManager loop pieces and log streaming to the hub.

The TaskManager checks the host in, takes tasks the hub offers (the scheduler flow of
1.34+ hubs, or the classic ``host.getLoadData`` flow of older ones), forks one process
group per task and keeps the children in line with the hub: woken when their subtasks
finish, killed when their task is canceled or reassigned, reaped when they exit.
"""
import glob
import logging
import os
import select
import signal
import sys
import time
import traceback

import koji
import koji.plugin
import koji.util
from koji.constants import BR_STATES, TASK_STATES
from koji.exceptions import GenericError, ParameterError
# log streaming lives below koji.scm (which runs commands through it); koji.daemon keeps
# offering the names, as upstream's does
from koji.logstream import (UPLOAD_CHUNK, fast_incremental_upload,  # noqa: F401
                            incremental_upload, log_output)
from koji.scm import SCM  # noqa: F401  (koji.daemon.SCM, as plugins import it)
from koji.tasks import BaseTaskHandler, RefuseTask, ServerExit, ServerRestart
from koji.xmlrpcplus import Fault, dumps


# -- process helpers -------------------------------------------------------------------------

def _proc_stat(pid):
    """(state, ppid) of a process from /proc, or None if it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as fo:
            data = fo.read()
    except OSError:
        return None
    # the command name may contain spaces or parentheses; it ends at the last ')'
    fields = data[data.rfind(')') + 2:].split()
    return fields[0], int(fields[1])


def _descendants(pid):
    """Every live process below pid (children may have left the task's process group)."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        info = _proc_stat(int(entry))
        if info is not None:
            children.setdefault(info[1], []).append(int(entry))
    found = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid):
    info = _proc_stat(pid)
    return info is not None and info[0] not in ('Z', 'X')


# -- the task manager ------------------------------------------------------------------------

class TaskManager(object):
    """Runs tasks for one build host; kojid calls its methods from its main loop."""

    # seconds to wait after SIGINT and after SIGTERM before the next signal
    KILL_GRACE = (3, 3)
    # no new task while the 1-minute load average exceeds this many times the CPU count
    # (kojid.conf max_load_per_cpu overrides it; 0 turns the check off)
    MAX_LOAD_PER_CPU = 4
    # tasks opened per multicall when several are taken at once
    OPEN_CHUNK = 10

    def __init__(self, options, session):
        self.options = options
        self.session = session
        # task_id -> task info (as opened), for every task running here
        self.tasks = {}
        # task_id -> pid / subsession id of the forked child
        self.pids = {}
        self.subsessions = {}
        self.handlers = {}
        self.skipped_tasks = {}
        self.status = ''
        self.restart_pending = False
        self.ready = False
        self.hostdata = {}
        self.task_load = 0.0
        self.logger = logging.getLogger('koji.TaskManager')
        self.host_id = self.session.host.getID()
        self.start_ts = time.time()
        try:
            sinfo = self.session.getSessionInfo() or {}
            self.start_ts = sinfo.get('start_ts') or self.start_ts
        except Exception:
            self.logger.debug('getSessionInfo failed', exc_info=True)
        # None = not probed yet; False = hub predates host.getTasks (classic flow)
        self._scheduler = None
        # whether host.getTasks takes our long-poll keyword (None = not tried yet)
        self._wait_kw = None
        # whether the last getNextTask already waited on the hub (no extra sleep needed)
        self.long_polled = False
        # self-pipe written on SIGCHLD, so idle() ends when a task process exits
        self._wake_fds = None

    # -- handler registry

    def findHandlers(self, vars):
        """Register every task handler class of a namespace."""
        for value in list(vars.values()):
            self.registerHandler(value)

    def registerHandler(self, entry):
        """Index a BaseTaskHandler subclass under each of its Methods."""
        if not isinstance(entry, type) or not issubclass(entry, BaseTaskHandler):
            return
        for method in entry.Methods:
            self.handlers[method] = entry

    def registerCallback(self, entry):
        """Register a function decorated with koji.plugin.callback."""
        if not callable(entry) or isinstance(entry, type):
            return
        cbtypes = getattr(entry, 'callbacks', None)
        if not cbtypes:
            return
        for cbtype in cbtypes:
            koji.plugin.register_callback(cbtype, entry)

    def registerEntries(self, vars):
        for value in list(vars.values()):
            self.registerHandler(value)
            self.registerCallback(value)

    def scanPlugin(self, plugin):
        """Register the handlers and callbacks a builder plugin module defines."""
        self.registerEntries(vars(plugin))

    # -- shutdown

    def shutdown(self):
        """Kill our tasks, give them back to the hub and report the host not ready."""
        # cleanupTask forgets the tasks it kills, so note them first
        task_ids = list(self.tasks)
        for task_id in list(self.pids):
            self.cleanupTask(task_id)
        if task_ids:
            self.logger.info('Freeing tasks %r', task_ids)
            self.session.host.freeTasks(task_ids)
        self.tasks.clear()
        self.session.host.updateHost(task_load=0.0, ready=False)

    # -- buildroots

    def _mock_configs(self):
        """{buildroot id: (name, config path)} read from the koji mock configs here."""
        found = {}
        confdir = getattr(self.options, 'mock_confdir', None) or '/etc/mock/koji'
        for path in glob.glob(os.path.join(confdir, '*.cfg')):
            br_id = name = None
            try:
                with open(path) as fo:
                    for _ in range(10):
                        line = fo.readline()
                        if line.startswith('# Koji buildroot id:'):
                            br_id = int(line.split(':', 1)[1])
                        elif line.startswith('# Koji buildroot name:'):
                            name = line.split(':', 1)[1].strip()
            except (OSError, ValueError):
                continue
            if br_id is not None and name:
                found[br_id] = (name, path)
        return found

    def updateBuildroots(self, nolocal=False):
        """Expire db buildroots of tasks no longer running here; clean old local ones."""
        states = [BR_STATES[s] for s in ('INIT', 'WAITING', 'BUILDING')]
        active = self.session.listBuildroots(hostID=self.host_id, state=tuple(states))
        for br in active:
            if br.get('task_id') not in self.tasks:
                self.logger.info('Expiring buildroot %(id)i/%(tag_name)s/%(arch)s', br)
                self.session.host.setBuildRootState(br['id'], BR_STATES['EXPIRED'])
        if not nolocal:
            self._clean_local_buildroots(active)

    def _clean_local_buildroots(self, active):
        """Clear, then remove, the mock dirs of expired buildroots (two hub calls)."""
        local = self._mock_configs()
        live = set(br['id'] for br in active if br.get('task_id') in self.tasks)
        stray = sorted(br_id for br_id in local if br_id not in live)
        if not stray:
            return
        infos = dict((br['id'], br) for br in
                     self.session.listBuildroots(buildrootID=tuple(stray)))
        task_ids = sorted(set(br['task_id'] for br in infos.values() if br.get('task_id')))
        tasks = {}
        if task_ids:
            tasks = dict((t['id'], t) for t in self.session.getTaskInfo(task_ids) if t)
        now = time.time()
        for br_id in stray:
            name, cfg = local[br_id]
            info = infos.get(br_id)
            if not info or info['state'] != BR_STATES['EXPIRED']:
                continue
            age = now - (info.get('retire_ts') or now)
            task = tasks.get(info.get('task_id'))
            if (task and task['state'] == TASK_STATES['FAILED']
                    and age < self.options.failed_buildroot_lifetime and self.checkSpace()):
                continue
            rootdir = os.path.join(self.options.mockdir, name)
            if age > self.options.buildroot_final_cleanup_delay:
                self.logger.info('Removing buildroot %s', name)
                for path in (rootdir, rootdir + '-bootstrap'):
                    koji.tasks.safe_rmtree(path, unmount=True, strict=False)
                try:
                    os.unlink(cfg)
                except OSError:
                    pass
            elif age > self.options.buildroot_basic_cleanup_delay:
                root = os.path.join(rootdir, 'root')
                if os.path.isdir(root) and os.listdir(root):
                    self.logger.info('Clearing root of buildroot %s', name)
                    koji.tasks.safe_rmtree(root, unmount=True, strict=False)
                    koji.ensuredir(root)
                for sub in ('result', 'results'):
                    koji.tasks.safe_rmtree(os.path.join(rootdir, sub), strict=False)

    # -- children

    def _reap(self, task_id, pid):
        """True if the task's child has exited (it is then reaped)."""
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if not done:
            return False
        prefix = 'Task %i (pid %i)' % (task_id, pid)
        if koji.util.isSuccess(status):
            self.logger.info('%s completed', prefix)
        else:
            self.logger.info(koji.util.parseStatus(status, prefix))
        return True

    def _forget_task(self, task_id):
        """Drop a finished child and close its subsession."""
        self._forget_tasks([task_id])

    def _forget_tasks(self, task_ids):
        """Drop finished children and close their subsessions in one hub call."""
        session_ids = []
        for task_id in task_ids:
            self.pids.pop(task_id, None)
            self.tasks.pop(task_id, None)
            session_id = self.subsessions.pop(task_id, None)
            if session_id is not None:
                session_ids.append(session_id)
        self._logout_children(session_ids)

    def _logout_children(self, session_ids):
        if not session_ids:
            return
        try:
            if len(session_ids) == 1:
                self.session.logoutChild(session_ids[0])
                return
            with self.session.multicall() as m:
                calls = [(sid, m.logoutChild(sid)) for sid in session_ids]
        except Exception:
            self.logger.warning('logoutChild(%s) failed', session_ids, exc_info=True)
            return
        for session_id, call in calls:
            try:
                call.result
            except Exception as exc:
                self.logger.warning('logoutChild(%s) failed: %s', session_id, exc)

    def updateTasks(self):
        """Reconcile our children with the hub: wake, reap, free stale, kill canceled."""
        # reap first: a child that closed its task and exited needs no further look
        self._forget_tasks([task_id for task_id, pid in list(self.pids.items())
                            if self._reap(task_id, pid)])
        host_tasks = self.session.host.getHostTasks()
        listed = set()
        stale = []
        task_load = 0.0
        for task in host_tasks:
            task_id = task['id']
            listed.add(task_id)
            if task_id not in self.pids:
                if task_id not in self.tasks:
                    # the hub thinks we run it but we do not (e.g. we were restarted)
                    stale.append(task_id)
                continue
            if task.get('alert'):
                self.logger.info('Waking up task %i', task_id)
                try:
                    os.kill(self.pids[task_id], signal.SIGUSR2)
                except OSError:
                    pass
            if not task.get('waiting'):
                task_load += task.get('weight') or 0.0
        self.task_load = task_load
        if stale:
            self.logger.warning('Freeing stale tasks: %r', stale)
            self.session.host.freeTasks(stale)
        self._forget_tasks([task_id for task_id, pid in list(self.pids.items())
                            if self._reap(task_id, pid)])
        # children the hub no longer lists as open here: usually just exiting after
        # closing their task, else canceled or taken away (one lookup for all of them)
        unlisted = sorted(task_id for task_id in self.pids if task_id not in listed)
        infos = self.session.getTaskInfo(unlisted) if unlisted else []
        for task_id, info in zip(unlisted, infos):
            if info is None:
                continue
            if info['state'] == TASK_STATES['CANCELED']:
                self.logger.info('Killing canceled task %r', task_id)
            elif info['host_id'] != self.host_id:
                self.logger.info('Killing reassigned task %r', task_id)
            else:
                # finished on the hub; the child is just exiting
                continue
            self.cleanupTask(task_id)

    def _signal_tree(self, pid, signo):
        if pid <= 1 or pid == os.getpid():
            # never signal ourselves (or every process we may reach) by accident
            return []
        pids = [pid] + _descendants(pid)
        try:
            # only a task child that leads its own group is signalled as a group;
            # our own process group is never a target
            if os.getpgid(pid) == pid and pid != os.getpgrp():
                os.killpg(pid, signo)
        except OSError:
            pass
        for other in pids:
            try:
                os.kill(other, signo)
            except OSError:
                pass
        return pids

    def _kill_tree(self, task_id, pid):
        """SIGINT, then SIGTERM, then SIGKILL the task's process group and descendants."""
        for signo, grace in ((signal.SIGINT, self.KILL_GRACE[0]),
                             (signal.SIGTERM, self.KILL_GRACE[1]), (signal.SIGKILL, 5)):
            pids = self._signal_tree(pid, signo)
            deadline = time.time() + grace
            while time.time() < deadline:
                self._reap(task_id, pid)
                if not any(_alive(p) for p in pids):
                    return True
                time.sleep(0.1)
            self.logger.info('Task %i (pid %i) still running after signal %i',
                             task_id, pid, signo)
        return False

    def cleanupTask(self, task_id, wait=True):
        """Kill a task's processes and log out its subsession."""
        pid = self.pids.get(task_id)
        if pid is None:
            return True
        self.logger.info('Cleaning up task %i (pid %i)', task_id, pid)
        if wait:
            killed = self._kill_tree(task_id, pid)
        else:
            self._signal_tree(pid, signal.SIGKILL)
            killed = True
        self._reap(task_id, pid)
        self._forget_task(task_id)
        return killed

    # -- readiness

    def checkSpace(self):
        """Enough free MB in the mock dir (or its nearest existing parent)?"""
        path = self.options.mockdir
        while path and not os.path.exists(path):
            path = os.path.dirname(path)
        st = os.statvfs(path or '/')
        free_mb = st.f_bavail * st.f_frsize // (1024 * 1024)
        if free_mb < self.options.minspace:
            self.status = 'Insufficient disk space at %s: %i MB, %i MB required' % (
                path, free_mb, self.options.minspace)
            self.logger.warning(self.status)
            return False
        return True

    def readyForTask(self):
        """Whether this host should take more work right now."""
        if self.restart_pending:
            if self.tasks:
                return False
            raise ServerRestart
        self.hostdata = self.session.host.getHost()
        if not self.hostdata.get('enabled', True):
            self.status = 'Host is disabled'
            self.logger.info(self.status)
            return False
        if self.task_load > self.hostdata['capacity']:
            self.status = 'Over capacity'
            self.logger.info('Task load (%.2f) exceeds capacity (%.2f)',
                             self.task_load, self.hostdata['capacity'])
            return False
        if len(self.tasks) >= self.options.maxjobs:
            self.status = 'Full queue'
            self.logger.info('%s (%i tasks)', self.status, len(self.tasks))
            return False
        if not self.checkSpace():
            return False
        loadavg = os.getloadavg()[0]
        per_cpu = getattr(self.options, 'max_load_per_cpu', self.MAX_LOAD_PER_CPU)
        limit = per_cpu * os.sysconf('SC_NPROCESSORS_ONLN')
        if per_cpu and loadavg > limit:
            self.status = 'Load average %.2f > %i' % (loadavg, limit)
            self.logger.info(self.status)
            return False
        self.status = 'Ready'
        return True

    # -- waiting

    def idle(self, timeout):
        """Sleep up to timeout seconds, but return as soon as a task process exits.

        A builder that is full (maxjobs, capacity) or has nothing to do sleeps here; a
        finished child frees room, so the main loop should go round at once rather than
        after the whole sleeptime.
        """
        if self._wake_fds is None:
            self._wake_fds = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            wfd = self._wake_fds[1]

            def on_child(signo, frame):
                try:
                    os.write(wfd, b'.')
                except OSError:
                    pass
            signal.signal(signal.SIGCHLD, on_child)
        rfd = self._wake_fds[0]
        deadline = time.monotonic() + timeout
        while True:
            for pid in self.pids.values():
                if not _alive(pid):
                    return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if select.select([rfd], [], [], remaining)[0]:
                try:
                    while os.read(rfd, 512):
                        pass
                except OSError:
                    pass

    def _child_signals_default(self):
        """In a forked task: no SIGCHLD handler or wake-up pipe of the daemon."""
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if self._wake_fds is not None:
            for fd in self._wake_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._wake_fds = None

    # -- getting work

    def _hub_has(self, name):
        try:
            return name in self.session.system.listMethods()
        except Exception:
            return False

    def _probe_hub(self):
        """Which task flow the hub speaks: scheduler (host.getTasks) or classic."""
        if self._scheduler is None:
            self._scheduler = self._hub_has('host.getTasks')

    def _get_tasks(self, wait):
        """host.getTasks, long-polling when the hub accepts our ``wait`` keyword."""
        if wait and self._wait_kw is not False:
            try:
                tasks = self.session.host.getTasks(wait=wait)
            except ParameterError:
                # an upstream hub: plain polling from now on
                self._wait_kw = False
            else:
                self._wait_kw = True
                self.long_polled = True
                return tasks
        return self.session.host.getTasks()

    def _update_host(self):
        data = {'methods': sorted(self.handlers), 'maxjobs': self.options.maxjobs}
        if self._scheduler:
            try:
                self.session.host.updateHost(self.task_load, self.ready, data=data)
                return
            except ParameterError:
                pass
        self.session.host.updateHost(self.task_load, self.ready)

    def getNextTask(self, wait=None):
        """Check in, then take what the hub assigned us if ready; True if a task was taken.

        ``wait`` (seconds) lets a hub that supports it hold host.getTasks until work
        arrives, so new tasks start without waiting for the next poll.
        """
        self._probe_hub()
        self.long_polled = False
        self.ready = self.readyForTask()
        self._update_host()
        if not self.ready:
            return False
        if not self._scheduler:
            return self._classic_next_task()
        tasks = [task for task in self._get_tasks(wait)
                 if task['id'] not in self.tasks and task['host_id'] == self.host_id
                 and task['state'] == TASK_STATES['ASSIGNED']]
        if self.takeTasks(tasks):
            return True
        if tasks:
            # offered work we could not take: the hub did not wait, so the caller should
            self.long_polled = False
        return False

    def _classic_next_task(self):
        """Pre-1.34 flow: pick from host.getLoadData, deferring to less loaded hosts."""
        hosts, tasks = self.session.host.getLoadData()
        me = None
        bin_avail = {}
        for host in hosts:
            if host['id'] == self.host_id:
                me = host
            avail = host['capacity'] - host['task_load']
            for chan in host['channels']:
                for arch in host['arches'].split() + ['noarch']:
                    bin_avail.setdefault('%s:%s' % (chan, arch), []).append(avail)
        if me is None:
            self.logger.info('This host is not in the hub load data; not ready')
            return False
        my_avail = me['capacity'] - me['task_load']
        my_bins = set('%s:%s' % (chan, arch) for chan in me['channels']
                      for arch in me['arches'].split() + ['noarch'])
        now = time.time()
        delay_max = self.options.task_avail_delay
        for task_id, seen in list(self.skipped_tasks.items()):
            if now - seen > 10 * delay_max:
                del self.skipped_tasks[task_id]
        for task in tasks:
            if task['id'] in self.tasks or task['method'] not in self.handlers:
                continue
            if task['state'] == TASK_STATES['ASSIGNED'] and task['host_id'] == self.host_id:
                if self.takeTask(task):
                    return True
                continue
            if task['state'] != TASK_STATES['FREE']:
                continue
            key = '%s:%s' % (task['channel_id'], task['arch'])
            if key not in my_bins:
                continue
            avail = sorted(bin_avail.get(key, [my_avail]), reverse=True)
            rank = 0.0
            if len(avail) > 1:
                rank = avail.index(my_avail) / float(len(avail) - 1)
            delay = delay_max * rank
            first_seen = self.skipped_tasks.setdefault(task['id'], now)
            if now - first_seen < delay:
                continue
            if self.takeTask(task):
                return True
        return False

    def _refuse(self, task, msg):
        if task['state'] != TASK_STATES['ASSIGNED'] or not self._scheduler:
            return
        try:
            self.session.host.refuseTask(task['id'], soft=False, msg=msg)
        except Exception:
            self.logger.warning('refuseTask(%s) failed', task['id'], exc_info=True)

    def _known_method(self, task):
        """Whether we have a handler for the task (if not, the hub hears so)."""
        if task['method'] in self.handlers:
            return True
        self.logger.error('No handler for method %s (task %i)', task['method'], task['id'])
        self._refuse(task, 'no handler for method %s' % task['method'])
        return False

    def _make_handler(self, task, info):
        """The handler of a task about to be opened, or None if we must not take it."""
        task_id = task['id']
        if info is None or info.get('request') is None:
            self.logger.warning('Task %i has no request, skipping', task_id)
            return None
        handler = self.handlers[task['method']](task_id, task['method'], info['request'],
                                                self.session, self.options)
        check = getattr(handler, 'checkHost', None)
        if check is not None:
            try:
                valid = check(self.hostdata)
            except Exception:
                self.logger.exception('checkHost failed for task %i', task_id)
                valid = False
            if not valid:
                self.logger.info('Task %i failed the host check', task_id)
                self._refuse(task, 'failed host check')
                return None
        return handler

    def _weight(self, handler):
        """handler.weight(), or None when it cannot be computed (the hub keeps 1.0)."""
        try:
            return float(handler.weight())
        except Exception:
            self.logger.warning('weight() failed for task %i', handler.id, exc_info=True)
            return None

    def _has_room(self, load, count):
        """readyForTask's capacity and maxjobs rules for a load and number of tasks."""
        capacity = self.hostdata.get('capacity')
        if capacity is not None and load > capacity:
            return False
        return count < self.options.maxjobs

    def takeTasks(self, tasks):
        """Take as many of these tasks (in order) as fit here; how many were taken.

        Taking one task per trip round the main loop costs a dozen hub calls each, so a
        burst opened at a few tasks a second.  Here one getTaskInfo serves every request
        and one multicall opens the batch (openTask, setTaskWeight and a subsession per
        task); then each is forked.  Before each task the load and task count taken so far
        must pass readyForTask's rules; a foreground task is taken on its own.
        """
        tasks = [task for task in tasks if self._known_method(task)]
        if not tasks:
            return 0
        if self.handlers[tasks[0]['method']].Foreground:
            return int(self.takeTask(tasks[0]))
        infos = self.session.getTaskInfo([task['id'] for task in tasks], request=True)
        load = self.task_load
        count = len(self.tasks)
        batch = []
        for task, info in zip(tasks, infos):
            if self.handlers[task['method']].Foreground:
                if not batch:
                    return int(self.takeTask(task))
                break   # the next loop takes it, on its own
            if batch and not self._has_room(load, count):
                break
            handler = self._make_handler(task, info)
            if handler is None:
                continue
            weight = self._weight(handler)
            batch.append((handler, weight))
            load += 1.0 if weight is None else weight
            count += 1
        # in chunks, so the first children start while the hub opens the next ones
        taken = 0
        for start in range(0, len(batch), self.OPEN_CHUNK):
            taken += self._open_batch(batch[start:start + self.OPEN_CHUNK])
        return taken

    def _open_batch(self, batch):
        """Open [(handler, weight)] in one multicall and fork the ones we got."""
        if not batch:
            return 0
        with self.session.multicall() as m:
            calls = []
            for handler, weight in batch:
                opened = m.host.openTask(handler.id)
                weighed = None
                if weight is not None:
                    weighed = m.host.setTaskWeight(handler.id, weight)
                calls.append((handler, opened, weighed, m.subsession()))
        taken = 0
        strays = []
        for handler, opened, weighed, sub in calls:
            info = self._call_value(opened, 'openTask', handler.id)
            sinfo = self._call_value(sub, 'subsession', handler.id)
            if not info:
                self.logger.warning('Could not open task %i', handler.id)
                if sinfo:
                    strays.append(sinfo['session-id'])
                continue
            if weighed is not None:
                self._call_value(weighed, 'setTaskWeight', handler.id)
            self.tasks[handler.id] = info
            self.skipped_tasks.pop(handler.id, None)
            pid, session_id = self.forkTask(handler, sinfo)
            self.pids[handler.id] = pid
            self.subsessions[handler.id] = session_id
            taken += 1
        self._logout_children(strays)
        return taken

    def _call_value(self, call, what, task_id):
        """A multicall result, or None (logged) when the call failed."""
        try:
            return call.result
        except Exception as exc:
            self.logger.warning('%s failed for task %i: %s', what, task_id, exc)
            return None

    def takeTask(self, task):
        """Open the task on the hub and start its handler; False if we did not take it."""
        task_id = task['id']
        if not self._known_method(task):
            return False
        handler = self._make_handler(task, self.session.getTaskInfo(task_id, request=True))
        if handler is None:
            return False
        opened = self.session.host.openTask(task_id)
        if opened is None:
            self.logger.warning('Could not open task %i', task_id)
            return False
        self.tasks[task_id] = opened
        self.skipped_tasks.pop(task_id, None)
        try:
            self.session.host.setTaskWeight(task_id, handler.weight())
        except Exception:
            self.logger.warning('setTaskWeight failed for task %i', task_id, exc_info=True)
        if handler.Foreground:
            self.logger.info('running task %i (%s) in foreground', task_id, task['method'])
            handler.setManager(self)
            try:
                self.runTask(handler)
            finally:
                self.tasks.pop(task_id, None)
        else:
            pid, session_id = self.forkTask(handler)
            self.pids[task_id] = pid
            self.subsessions[task_id] = session_id
        return True

    def forkTask(self, handler, sinfo=None):
        """Run the handler in a child process group with its own subsession.

        sinfo is a subsession already opened for the task (else one is opened here);
        returns (pid, subsession id).
        """
        if sinfo is None:
            sinfo = self.session.callMethod('subsession')
        pid = os.fork()
        if pid:
            self.logger.info('Forked task %i (%s) as pid %i', handler.id, handler.method, pid)
            return pid, sinfo['session-id']
        status = 1
        subsession = None
        try:
            os.setpgrp()
            signal.signal(signal.SIGUSR2, koji.tasks._ignore_signal)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGUSR1, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._child_signals_default()
            # never talk to the hub through the daemon's own session (closing its
            # connections here could disturb the parent's sockets, so just drop it)
            self.session.setSession(None)
            subsession = type(self.session)(self.session.baseurl, self.session.opts, sinfo,
                                            auth_method=self.session.auth_method)
            subsession.authtype = self.session.authtype
            handler.session = subsession
            self.runTask(handler)
            status = 0
        except BaseException:
            try:
                self.logger.exception('Task %i child failed', handler.id)
            except BaseException:
                pass
        finally:
            try:
                subsession.logout()
            except BaseException:
                pass
            os._exit(status)

    def runTask(self, handler):
        """Run a handler and report its result (or fault) to the hub."""
        session = handler.session
        try:
            result = handler.run()
            response = dumps((result,), methodresponse=1, allow_none=1)
        except ServerExit:
            raise
        except ServerRestart:
            self.logger.info('Task %i wants a daemon restart; freeing it', handler.id)
            session.host.freeTasks([handler.id])
            return
        except RefuseTask as refusal:
            self.logger.info('Task %i refused: %s', handler.id, refusal)
            session.host.refuseTask(handler.id, msg=str(refusal))
            return
        except Fault as fault:
            self.logger.info('Task %i failed: %s', handler.id, fault)
            session.host.failTask(handler.id, dumps(fault))
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            tb = ''.join(traceback.format_exception(*sys.exc_info()))
            self.logger.warning('Task %i failed:\n%s', handler.id, tb)
            code = getattr(exc, 'faultCode', 1)
            text = str(exc) if isinstance(exc, GenericError) else tb
            session.host.failTask(handler.id, dumps(Fault(code, text)))
            return
        self.logger.debug('Task %i result: %r', handler.id, response)
        session.host.closeTask(handler.id, response)
