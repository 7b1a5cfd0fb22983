"""Task handler framework of the builder: BaseTaskHandler, the generic handlers, helpers.

kojid and builder plugins subclass ``BaseTaskHandler``; the task manager (koji.daemon)
maps each task method to a class through its ``Methods`` list, instantiates it with the
decoded task request and calls ``run()`` in a forked child (or in the daemon itself for
``Foreground`` handlers). ``LEGACY_SIGNATURES`` names the positional arguments of the
known task methods so hub policies and labels can read a request by name.
"""
import logging
import os
import random
import signal
import time
import urllib.parse

import koji
import koji.plugin
import koji.util
from koji.args import decode_args
from koji.constants import TASK_STATES
from koji.exceptions import BuildError, GenericError
# the task signatures live below koji.formatting (task labels use them); koji.tasks
# keeps offering the names, as upstream's does
from koji.task_signatures import LEGACY_SIGNATURES, parse_task_params  # noqa: F401
from koji.xmlrpcplus import Fault


class ServerExit(Exception):
    """Raised by a handler to stop the whole daemon."""


class ServerRestart(Exception):
    """Raised to have the current task freed and the daemon re-executed."""


class RefuseTask(Exception):
    """Raised by a handler that will not run here; the task goes back to the scheduler."""


# -- mounts and removal ----------------------------------------------------------------------


def scan_mounts(topdir):
    """Mount points at or below topdir, deepest first, so they can be unmounted in order."""
    topdir = os.path.normpath(topdir)
    found = []
    with open('/proc/mounts') as fo:
        for line in fo:
            fields = line.split()
            if len(fields) < 2:
                continue
            # /proc/mounts escapes blanks as octal sequences
            path = fields[1].replace('\\040', ' ').replace('\\011', '\t')
            path = path.replace('\\012', '\n').replace('\\134', '\\')
            if path == topdir or path.startswith(topdir.rstrip('/') + '/'):
                found.append(path)
    found.sort(key=lambda p: (p.count('/'), p), reverse=True)
    return found


def umount_all(topdir):
    """Lazily unmount everything under topdir; error if something is still mounted."""
    logger = logging.getLogger('koji.build')
    for path in scan_mounts(topdir):
        logger.debug('Unmounting %s', path)
        rv = os.spawnvp(os.P_WAIT, 'umount', ['umount', '-l', path])
        if rv != 0:
            raise GenericError('umount failed (exit code %r) for %s' % (rv, path))
    left = scan_mounts(topdir)
    if left:
        raise GenericError('Unmounting incomplete: %r' % (left,))


def safe_rmtree(path, unmount=False, strict=True):
    """Remove a file, link or tree; returns 0 on success, 1 on error unless strict."""
    logger = logging.getLogger('koji.build')
    if not os.path.lexists(path):
        return 0
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            logger.debug('Removing: %s', path)
            os.remove(path)
            return 0
        if unmount:
            umount_all(path)
        logger.debug('Scrubbing files in %s', path)
        koji.util.rmtree(path, logger=logger)
    except Exception:
        logger.exception('Failed to remove %s', path)
        if strict:
            raise
        return 1
    return 0


# -- the handler base class ------------------------------------------------------------------

def _ignore_signal(signum, frame):
    """A real handler (not SIG_IGN) so SIGUSR2 interrupts waits but does nothing else."""


class BaseTaskHandler(object):
    """One task run: subclasses list their ``Methods`` and implement ``handler()``."""

    Methods = []
    # Foreground handlers run inside the daemon and get the task manager (self.manager)
    Foreground = False
    _taskWeight = 1.0

    def __init__(self, id, method, params, session, options, workdir=None):
        self.id = id
        if method not in self.Methods:
            raise GenericError('method "%s" is not supported' % method)
        self.method = method
        if isinstance(params, dict):
            # a new-style request: one struct of named arguments
            opts = dict(params)
            opts.pop('__method__', None)
            self.params, self.opts = [], opts
        else:
            self.params, self.opts = decode_args(*params)
        self.session = session
        self.options = options
        if workdir is None and getattr(options, 'workdir', None):
            workdir = os.path.join(options.workdir, koji.pathinfo.taskrelpath(id))
        self.workdir = workdir
        self.logger = logging.getLogger('koji.build.BaseTaskHandler')
        self.manager = None
        self._taskinfo = None

    def setManager(self, manager):
        """Foreground handlers reach the task manager through this."""
        self.manager = manager

    def handler(self):
        """The task body; subclasses take the task's own arguments."""
        raise GenericError('Invalid method: %s' % self.method)

    @property
    def taskinfo(self):
        """This task's record, fetched once (callbacks and policies need it)."""
        if self._taskinfo is None:
            self._taskinfo = self.session.getTaskInfo(self.id, request=True, strict=True)
        return self._taskinfo

    @taskinfo.setter
    def taskinfo(self, value):
        self._taskinfo = value

    def run(self):
        """Run the handler in a fresh workdir, which is always removed afterwards."""
        self.createWorkdir()
        try:
            return koji.util.call_with_argcheck(self.handler, self.params, self.opts)
        finally:
            self.removeWorkdir()

    def weight(self):
        """The load this task puts on a builder; subclasses may compute it."""
        return self._taskWeight

    def createWorkdir(self):
        """Start with an empty workdir (a retried task may have left files)."""
        if self.workdir is None:
            return
        self.removeWorkdir()
        koji.ensuredir(self.workdir)

    def removeWorkdir(self):
        if self.workdir is None:
            return
        safe_rmtree(self.workdir, unmount=False, strict=True)

    # -- subtasks

    def subtask(self, method, arglist, **opts):
        """Create a child task of this one; returns its id."""
        return self.session.host.subtask(method, arglist, self.id, **opts)

    def subtask2(self, __taskopts, __method, *args, **kwargs):
        """Child task whose arguments are given as a call (task options first)."""
        return self.session.host.subtask2(self.id, __taskopts, __method, *args, **kwargs)

    def _wait_signal(self, seconds):
        """Sleep until SIGUSR2 (the daemon saw a child finish) or ``seconds`` pass.

        SIGUSR2 is blocked for the whole wait() so one sent between two checks stays
        pending instead of being lost.
        """
        signal.sigtimedwait([signal.SIGUSR2], max(seconds, 0.01))

    def _first_failure(self, finished, canfail, checked):
        """Raise the fault of the first finished child that failed (and may not)."""
        for task_id in finished:
            if task_id in checked or task_id in canfail:
                continue
            checked.add(task_id)
            try:
                self.session.getTaskResult(task_id)
            except (GenericError, Fault):
                self.logger.info('Subtask %s failed, canceling the others', task_id)
                self.session.cancelTaskChildren(self.id)
                raise

    def wait(self, subtasks=None, all=False, failany=False, canfail=None, timeout=None):
        """Wait for child tasks; returns {task_id: result} of the finished ones.

        Without ``all`` it returns once any child is done. ``failany`` raises as soon as
        a child not in ``canfail`` fails (after canceling the rest); ``timeout`` (seconds)
        cancels the children and raises when exceeded.
        """
        if canfail is None:
            canfail = []
        if isinstance(subtasks, int):
            subtasks = [subtasks]
        # the daemon signals us; between checks wait for SIGUSR2, re-polling now and then
        # in case a wake-up was lost
        poll = float(getattr(self.options, 'sleeptime', 15) or 15) * 4
        self.session.host.taskSetWait(self.id, subtasks)
        self.logger.debug('Waiting on %r', subtasks)
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
        try:
            finished = self._wait_loop(all, failany, canfail, timeout, poll)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        results = self.session.host.taskWaitResults(self.id, finished, canfail=canfail)
        return dict(results)

    def _wait_loop(self, all, failany, canfail, timeout, poll):
        """Poll host.taskWait until wait()'s condition holds; returns the finished ids."""
        start = time.time()
        checked = set()
        while True:
            finished, unfinished = self.session.host.taskWait(self.id)
            if not unfinished:
                self.logger.debug('all subtasks of %s finished', self.id)
                break
            if failany:
                self._first_failure(finished, canfail, checked)
            if finished and not all:
                break
            delay = poll
            if timeout:
                remaining = timeout - (time.time() - start)
                if remaining <= 0:
                    self.session.cancelTaskChildren(self.id)
                    raise GenericError('Subtasks timed out after %s seconds' % timeout)
                delay = min(delay, remaining)
            self._wait_signal(delay)
        if failany:
            self._first_failure(finished, canfail, checked)
        return finished

    # -- files

    def getUploadDir(self):
        """Where this task's uploads go under the hub work dir."""
        return koji.pathinfo.taskrelpath(self.id)

    def uploadFile(self, filename, relPath=None, remoteName=None, volume=None):
        """Upload a local file into this task's output (optionally a sub dir / name)."""
        remote = self.getUploadDir()
        if relPath:
            relPath = relPath.strip('/')
            if relPath:
                remote = '%s/%s' % (remote, relPath)
        if not os.path.isfile(filename):
            raise GenericError('Not a file: %s' % filename)
        self.session.uploadWrapper(filename, remote, remoteName, volume=volume)

    def uploadTree(self, dirpath, flatten=False, volume=None):
        """Upload every non-empty regular file below dirpath."""
        for path, dirs, files in os.walk(dirpath):
            relpath = None
            if not flatten:
                relpath = os.path.relpath(path, dirpath)
                if relpath == '.':
                    relpath = None
            for name in files:
                local = os.path.join(path, name)
                if not os.path.isfile(local) or os.path.getsize(local) == 0:
                    continue
                self.uploadFile(local, relPath=relpath, volume=volume)

    def chownTree(self, dirpath, uid, gid):
        """lchown a whole tree (links themselves, not their targets)."""
        for path, dirs, files in os.walk(dirpath):
            os.lchown(path, uid, gid)
            for name in files:
                os.lchown(os.path.join(path, name), uid, gid)

    def localPath(self, relpath):
        """A local copy of a topdir file: downloaded from topurl if set, else the topdir path."""
        topurl = getattr(self.options, 'topurl', None)
        if topurl:
            topurl = topurl.split()[0]
            dest = os.path.join(self.workdir, 'local', relpath)
            if os.path.exists(dest):
                return dest
            koji.ensuredir(os.path.dirname(dest))
            url = '%s/%s' % (topurl.rstrip('/'), urllib.parse.quote(relpath))
            koji.downloadFile(url, path=dest)
            return dest
        return os.path.join(self.options.topdir, relpath)

    # -- arches and repos

    def find_arch(self, arch, host, tag, preferred_arch=None):
        """A concrete arch for noarch work: common to the host and the tag."""
        if arch != 'noarch':
            return arch
        host_arches = (host or {}).get('arches')
        if not host_arches:
            raise BuildError('No arch list for this host: %s' % (host or {}).get('name'))
        tag_arches = (tag or {}).get('arches')
        if not tag_arches:
            raise BuildError('No arch list for tag: %s' % (tag or {}).get('name'))
        host_set = set(koji.canonArch(a) for a in host_arches.split())
        tag_set = set(koji.canonArch(a) for a in tag_arches.split())
        common = host_set & tag_set
        if not common:
            raise BuildError('host %s (%s) does not support any arches of tag %s (%s)'
                             % (host.get('name'), ', '.join(sorted(host_set)),
                                tag.get('name'), ', '.join(sorted(tag_set))))
        if preferred_arch and preferred_arch in common:
            return preferred_arch
        # forked children share the parent's random state
        random.seed()
        return random.choice(sorted(common))

    def getRepo(self, tag, builds=None, wait=False):
        """A repo of the tag (containing ``builds``); without one, wait in a waitrepo subtask.

        ``wait`` (misnamed, kept for callers) asks for a repo as current as the tag's last
        change.
        """
        watcher = koji.util.RepoWatcher(self.session, tag, nvrs=builds,
                                        min_event='last' if wait else None,
                                        logger=self.logger)
        repoinfo = watcher.getRepo()
        if repoinfo:
            return repoinfo
        # a subtask makes the wait visible to the user
        task_id = self.session.host.subtask(method='waitrepo', arglist=watcher.task_args(),
                                            parent=self.id)
        return self.wait(task_id)[task_id]

    def run_callbacks(self, plugin, *args, **kwargs):
        """Builder plugin callbacks get this task's info and session too."""
        if 'taskinfo' not in kwargs:
            try:
                kwargs['taskinfo'] = self.taskinfo
            except Exception:
                self.logger.exception('could not fetch task info for callbacks')
                kwargs['taskinfo'] = None
        kwargs['session'] = self.session
        koji.plugin.run_callbacks(plugin, *args, **kwargs)


# -- generic handlers ------------------------------------------------------------------------


class FakeTask(BaseTaskHandler):
    """Does nothing, in the daemon process: exercises the foreground path."""

    Methods = ['someMethod']
    Foreground = True

    def handler(self, *args):
        self.logger.info('This is a fake task. Args: %r', args)
        return 42


class SleepTask(BaseTaskHandler):
    Methods = ['sleep']
    _taskWeight = 0.25

    def handler(self, n):
        self.logger.info('Sleeping for %s seconds', n)
        time.sleep(n)
        self.logger.info('Finished sleeping')


class ForkTask(BaseTaskHandler):
    """Leaves background processes behind: tests of process-group cleanup use it."""

    Methods = ['fork']

    def handler(self, n=5, m=37):
        for _ in range(n):
            os.spawnvp(os.P_NOWAIT, 'sleep', ['sleep', str(m)])


class WaitTestTask(BaseTaskHandler):
    """Spawns sleepers plus one that must fail, then waits with canfail."""

    Methods = ['waittest']
    _taskWeight = 0.1

    def handler(self, count, seconds=10):
        children = []
        for i in range(count):
            children.append(self.subtask('sleep', [seconds], label=str(i)))
        bad = self.subtask('sleep', ['BAD_ARG'], label='bad')
        children.append(bad)
        results = self.wait(children, all=True, failany=True, canfail=[bad])
        # only logged: the results are keyed by task id, which XML-RPC cannot carry
        self.logger.info(repr(results))


class SubtaskTask(BaseTaskHandler):
    """A chain of n nested subtasks ending in a sleep."""

    Methods = ['subtask']
    _taskWeight = 0.1

    def handler(self, n=4):
        if n > 0:
            child = self.subtask('subtask', [n - 1], label='foo')
        else:
            child = self.subtask('sleep', [15], label='bar')
        return self.wait(child)


class DefaultTask(BaseTaskHandler):
    """Catch-all that fails: an unknown method must not look successful."""

    Methods = ['default']
    _taskWeight = 0.1

    def handler(self, *args, **opts):
        raise GenericError('Invalid method: %s' % self.method)


class ShutdownTask(BaseTaskHandler):
    Methods = ['shutdown']
    _taskWeight = 0.0
    Foreground = True

    def handler(self):
        raise ServerExit


def _check_host(session, host):
    """Assigned restart tasks must only run on the host they name."""
    my_id = session.host.getID()
    if my_id != host['id']:
        raise GenericError('Host mismatch')


class RestartTask(BaseTaskHandler):
    """Flags the daemon for a graceful restart once its running tasks end."""

    Methods = ['restart']
    _taskWeight = 0.1
    Foreground = True

    def handler(self, host):
        _check_host(self.session, host)
        self.manager.restart_pending = True
        return 'graceful restart initiated'


class RestartVerifyTask(BaseTaskHandler):
    """Checks that the daemon really restarted after the given restart task."""

    Methods = ['restartVerify']
    _taskWeight = 0.1
    Foreground = True

    def handler(self, task_id, host):
        _check_host(self.session, host)
        tinfo = self.session.getTaskInfo(task_id)
        state = TASK_STATES[tinfo['state']]
        if state != 'CLOSED':
            raise GenericError('Stage one restart task is %s' % state)
        if self.manager.start_ts < (tinfo.get('completion_ts') or 0):
            raise GenericError('Restart failed - start time is before restart task '
                               'completion')


class RestartHostsTask(BaseTaskHandler):
    """Rolling graceful restart of the matching enabled builders."""

    Methods = ['restartHosts']
    _taskWeight = 0.1

    def handler(self, options=None):
        options = options or {}
        query = {'enabled': True}
        if options.get('channel'):
            query['channelID'] = self.session.getChannel(options['channel'],
                                                         strict=True)['id']
        if options.get('arches'):
            query['arches'] = options['arches']
        hosts = self.session.listHosts(**query)
        if not hosts:
            raise GenericError('No matching hosts')
        timeout = options.get('timeout', 3600 * 24)
        this_host = self.session.host.getID()
        children = []
        mine = None
        for host in hosts:
            taskopts = {'assign': host['id'], 'label': 'restart %i' % host['id']}
            restart = self.subtask('restart', [host], **taskopts)
            taskopts['label'] = 'sleep %i' % host['id']
            verify = self.subtask('restartVerify', [restart, host], **taskopts)
            children.extend([restart, verify])
            if host['id'] == this_host:
                mine = restart
        if mine is not None:
            # our own daemon cannot restart while this task runs on it: a run that began
            # before our restart task finished lets go, the daemon restarts and opens this
            # task again (subtask labels avoid duplicates).  The restart task may already
            # be done here (it runs in the daemon's foreground), so compare the times the
            # hub recorded rather than asking whether it is finished.
            self.wait(mine, all=True, timeout=timeout)
            this_run, restart = self.session.getTaskInfo([self.id, mine])
            if (this_run.get('start_ts') or 0) < (restart.get('completion_ts') or 0):
                raise ServerRestart
        self.wait(children, all=True, failany=True, timeout=timeout)


class DependantTask(BaseTaskHandler):
    """Waits for unrelated tasks, then spawns the listed ones and waits for them."""

    Methods = ['dependantTask']
    _taskWeight = 0.2

    def handler(self, wait_list, task_list):
        bad_states = (TASK_STATES['CANCELED'], TASK_STATES['FAILED'])
        pending = list(wait_list)
        while pending:
            for task_id in pending[:]:
                if self.session.taskFinished(task_id):
                    info = self.session.getTaskInfo(task_id)
                    if info and info['state'] in bad_states:
                        raise GenericError('Dependency %s failed to complete.' % info['id'])
                    pending.remove(task_id)
            if pending:
                time.sleep(1)
        children = []
        for entry in task_list:
            method, arglist = entry[0], entry[1]
            opts = entry[2] if len(entry) > 2 and entry[2] else {}
            children.append(self.subtask(method, arglist, **opts))
        if children:
            self.wait(children, all=True)


class MultiPlatformTask(BaseTaskHandler):
    """Base for parents (maven, images) that may add a wrapper RPM build."""

    def buildWrapperRPM(self, spec_url, build_task_id, build_target, build, repo_id, **opts):
        task = self.session.getTaskInfo(build_task_id)
        arglist = [spec_url, build_target, build, task, {'repo_id': repo_id}]
        rpm_task = self.subtask('wrapperRPM', arglist, label='rpm', arch='noarch', **opts)
        results = self.wait(rpm_task)[rpm_task]
        results['task_id'] = rpm_task
        return results


class WaitrepoTask(BaseTaskHandler):
    """Waits until the tag has a repo new enough / containing the given builds."""

    Methods = ['waitrepo']
    _taskWeight = 0.2
    # longest pause between checks of the request (seconds)
    PAUSE = 60
    # first pause (seconds): pauses double from here up to PAUSE, so a repo made in a few
    # seconds is noticed in a few seconds
    FIRST_PAUSE = 1
    # minutes
    TIMEOUT = 120

    def _legacy_min_event(self, tag, newer_than):
        """min_event equivalent of the legacy newer_than argument."""
        if isinstance(newer_than, str) and newer_than.lower() == 'now':
            return 'last'
        if isinstance(newer_than, (int, float)) and not isinstance(newer_than, bool):
            # the first change of the tag after that time, else its last change
            base = self.session.getLastEvent(before=newer_than, strict=False)
            after = base['id'] if base else None
            return self.session.tagFirstChangeEvent(tag, after=after) or 'last'
        raise GenericError('Invalid value for newer_than: %s' % newer_than)

    def handler(self, tag, newer_than=None, nvrs=None, min_event=None):
        if newer_than is not None:
            if min_event is not None:
                raise GenericError('newer_than and min_event args confict')
            min_event = self._legacy_min_event(tag, newer_than)
        watcher = koji.util.RepoWatcher(self.session, tag, nvrs=nvrs, min_event=min_event,
                                        logger=self.logger)
        watcher.PAUSE = self.PAUSE
        watcher.FIRST_PAUSE = self.FIRST_PAUSE
        watcher.TIMEOUT = self.TIMEOUT
        return watcher.waitrepo()
