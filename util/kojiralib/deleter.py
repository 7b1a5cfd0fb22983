"""Background removal of repo directories: a queue and at most N rmtree children."""
import collections
import logging
import os
import signal
import threading

from koji.util import rmtree


class Deleter(object):
    """Queue of paths to remove; ``run()`` reaps finished jobs and starts queued ones.

    The main loop queues (and asks what is pending) while the rmtree thread runs jobs,
    hence the lock.
    """

    def __init__(self, max_jobs, logger=None):
        self.max_jobs = max_jobs
        self.queue = collections.OrderedDict()
        self.jobs = {}  # pid -> (path, check)
        self.logger = logger or logging.getLogger('koji.repo.manager')
        self.lock = threading.RLock()

    def add(self, path):
        with self.lock:
            if path in self.queue or path in self._running():
                return
            self.logger.info('Queuing rmtree job for %s', path)
            self.queue[path] = True

    def _running(self):
        return set(path for path, _check in self.jobs.values())

    def pending_paths(self):
        """Every path queued or being removed (prune must leave these alone)."""
        with self.lock:
            return set(self.queue) | self._running()

    def busy(self):
        with self.lock:
            return bool(self.queue or self.jobs)

    @staticmethod
    def _exited(pid):
        # WNOWAIT: only look; the job's check() reaps the child
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None and info.si_pid == pid

    def run(self):
        with self.lock:
            self._reap()
            self._start()

    def _reap(self):
        for pid in [pid for pid in self.jobs if self._exited(pid)]:
            path, check = self.jobs.pop(pid)
            try:
                check()
            except ChildProcessError:
                self.logger.info('rmtree job for %s: process %i is gone', path, pid)
            except Exception as exc:
                self.logger.error('Failed rmtree job for %s: %s', path, exc)
                continue
            self.logger.info('Completed rmtree job for %s', path)

    def _start(self):
        while self.queue and len(self.jobs) < self.max_jobs:
            path, _ = self.queue.popitem(last=False)
            try:
                job = rmtree(path, logger=self.logger, background=True)
            except Exception as exc:
                self.logger.error('Cannot remove %s: %s', path, exc)
                continue
            if job is None:
                continue  # already gone
            pid, check = job
            self.logger.info('Started rmtree (pid %i) for %s', pid, path)
            self.jobs[pid] = (path, check)

    def kill(self):
        """SIGTERM every running job (shutdown)."""
        with self.lock:
            for pid in list(self.jobs):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                except OSError:
                    self.logger.error('Unable to kill process %s', pid)
