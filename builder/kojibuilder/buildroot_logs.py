"""Running buildroot commands while their logs stream to the task's upload dir.

Both buildroot backends run long commands (mock, dnf, rpmbuild) whose logs people follow
while the build runs: every file matching the watched patterns is sent to the hub as it
grows, once a second, and once more when the command ends (the end of the command ends
the wait at once).
"""
import glob
import logging
import os
import pwd
import signal
import subprocess
import time

from koji.daemon import incremental_upload

logger = logging.getLogger('koji.build.buildroot')
# seconds between uploads of the growing logs while a command runs
POLL_INTERVAL = 1


class LogWatcher(object):
    """Incremental uploads of every file matching some glob patterns.

    With ts_dir (kojid's ``log_timestamps``), each log also gets a ``<name>-ts.log``
    companion there, of "<epoch> <size>" lines telling when the log grew.
    """

    def __init__(self, session, uploadpath, patterns, ts_dir=None):
        self.session = session
        self.uploadpath = uploadpath
        self.patterns = list(patterns)
        self.ts_dir = ts_dir
        # local path -> [open file, remote name]
        self.logs = {}
        # remote name -> [ts file path, open ts file for upload, last offset noted]
        self.ts_logs = {}

    def _remote_name(self, path):
        """The basename, or basename.DUPnn.ext when another watched file has it."""
        name = os.path.basename(path)
        taken = set(entry[1] for entry in self.logs.values())
        if name not in taken:
            return name
        base, ext = os.path.splitext(name)
        count = 0
        while True:
            candidate = '%s.DUP%02d%s' % (base, count, ext)
            if candidate not in taken:
                return candidate
            count += 1

    def poll(self):
        for pattern in self.patterns:
            for path in sorted(glob.glob(pattern)):
                if path in self.logs or not os.path.isfile(path) or path.endswith('-ts.log'):
                    continue
                try:
                    fd = open(path, 'rb')
                except OSError:
                    continue
                self.logs[path] = [fd, self._remote_name(path)]
        for path, entry in list(self.logs.items()):
            fd, name = entry
            fd = entry[0] = self._reopen_if_rewritten(path, fd)
            incremental_upload(self.session, name, fd, self.uploadpath, logger=logger)
            if self.ts_dir:
                self._note_time(name, fd.tell())

    @staticmethod
    def _reopen_if_rewritten(path, fd):
        """A log replaced or truncated (mock rewrites some) is read again from the start."""
        try:
            st = os.stat(path)
        except OSError:
            return fd
        if st.st_ino != os.fstat(fd.fileno()).st_ino or st.st_size < fd.tell():
            logger.info('Rereading %s', path)
            fd.close()
            fd = open(path, 'rb')
        return fd

    def _note_time(self, name, offset):
        entry = self.ts_logs.get(name)
        if entry is None:
            path = os.path.join(self.ts_dir, '%s-ts.log' % name)
            os.makedirs(self.ts_dir, exist_ok=True)
            with open(path, 'w') as fo:
                fo.write('%.0f 0\n' % time.time())
            entry = self.ts_logs[name] = [path, open(path, 'rb'), 0]
        if offset > entry[2]:
            with open(entry[0], 'a') as fo:
                fo.write('%.0f %i\n' % (time.time(), offset))
            entry[2] = offset
        incremental_upload(self.session, os.path.basename(entry[0]), entry[1],
                           self.uploadpath, logger=logger)

    def names(self):
        names = [entry[1] for entry in self.logs.values()]
        return names + [os.path.basename(entry[0]) for entry in self.ts_logs.values()]

    def close(self):
        for fd, _name in self.logs.values():
            fd.close()
        for entry in self.ts_logs.values():
            entry[1].close()
        self.logs = {}
        self.ts_logs = {}


def _drop_privileges(user):
    """A preexec_fn running the child as user (group mock) when kojid runs as root."""
    if os.getuid() != 0 or not user:
        return None
    try:
        info = pwd.getpwnam(user)
    except KeyError:
        logger.warning('mock user %s does not exist, running as root', user)
        return None

    def preexec():
        try:
            import grp
            groups = [grp.getgrnam('mock').gr_gid]
        except KeyError:
            groups = []
        os.setgroups(groups)
        os.setregid(info.pw_gid, info.pw_gid)
        os.setreuid(info.pw_uid, info.pw_uid)
    return preexec


class CommandTimeout(Exception):
    """A command ran past its time limit and was killed (with everything it started)."""

    def __init__(self, cmd, timeout):
        super(CommandTimeout, self).__init__('Timeout(%s) expired for command: %s'
                                             % (timeout, ' '.join(cmd)))
        self.cmd = cmd
        self.timeout = timeout


def _descendants(pid):
    """pids of pid's children, grandchildren... (from /proc), deepest last."""
    parents = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as fo:
                fields = fo.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found = []
    todo = [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found.extend(kids)
        todo.extend(kids)
    return found


def kill_tree(proc):
    """SIGKILL a command and its descendants.

    The command stays in the task's process group (so that cancelling the task still kills
    it), hence the walk instead of a killpg of a group of its own."""
    pids = [proc.pid] + _descendants(proc.pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proc.wait()


def run_watched(cmd, outfile, watcher, env=None, cwd=None, user=None, append=False,
                timeout=None):
    """Run cmd with stdout/stderr in outfile, polling watcher; returns the exit code.

    A signal death is returned as 128 + signal number, as a shell reports it.  With a
    timeout (seconds) a command still running then is killed, the log says so, and
    CommandTimeout is raised.
    """
    os.makedirs(os.path.dirname(os.path.abspath(outfile)), exist_ok=True)
    environ = dict(os.environ)
    if env:
        environ.update(env)
    logger.info('Running: %s', ' '.join(cmd))
    deadline = time.monotonic() + timeout if timeout else None
    expired = None
    with open(outfile, 'ab' if append else 'wb') as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=environ, cwd=cwd,
                                preexec_fn=_drop_privileges(user))
        while True:
            wait = POLL_INTERVAL
            if deadline is not None:
                wait = max(0, min(wait, deadline - time.monotonic()))
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                if deadline is not None and time.monotonic() >= deadline:
                    kill_tree(proc)
                    expired = CommandTimeout(cmd, timeout)
                    out.write(('\n%s\n' % expired).encode())
                    break
                watcher.poll()
    watcher.poll()
    if expired is not None:
        logger.error('%s', expired)
        raise expired
    code = proc.returncode
    return code if code >= 0 else 128 - code
