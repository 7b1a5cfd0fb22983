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
import subprocess

from koji.daemon import incremental_upload

logger = logging.getLogger('koji.build.buildroot')
# seconds between uploads of the growing logs while a command runs
POLL_INTERVAL = 1


class LogWatcher(object):
    """Incremental uploads of every file matching some glob patterns."""

    def __init__(self, session, uploadpath, patterns):
        self.session = session
        self.uploadpath = uploadpath
        self.patterns = list(patterns)
        # local path -> [open file, remote name]
        self.logs = {}

    def _remote_name(self, path):
        """The basename, or basename.DUPnn.ext when another watched file has it."""
        name = os.path.basename(path)
        taken = set(entry[1] for entry in self.logs.values())
        if name not in taken:
            return name
        base, ext = os.path.splitext(name)
        count = 1
        while True:
            candidate = '%s.DUP%02d%s' % (base, count, ext)
            if candidate not in taken:
                return candidate
            count += 1

    def poll(self):
        for pattern in self.patterns:
            for path in sorted(glob.glob(pattern)):
                if path in self.logs or not os.path.isfile(path):
                    continue
                try:
                    fd = open(path, 'rb')
                except OSError:
                    continue
                self.logs[path] = [fd, self._remote_name(path)]
        for fd, name in self.logs.values():
            incremental_upload(self.session, name, fd, self.uploadpath, logger=logger)

    def names(self):
        return [entry[1] for entry in self.logs.values()]

    def close(self):
        for fd, _name in self.logs.values():
            fd.close()
        self.logs = {}


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


def run_watched(cmd, outfile, watcher, env=None, cwd=None, user=None, append=False):
    """Run cmd with stdout/stderr in outfile, polling watcher; returns the exit code.

    A signal death is returned as 128 + signal number, as a shell reports it.
    """
    os.makedirs(os.path.dirname(os.path.abspath(outfile)), exist_ok=True)
    environ = dict(os.environ)
    if env:
        environ.update(env)
    logger.info('Running: %s', ' '.join(cmd))
    with open(outfile, 'ab' if append else 'wb') as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=environ, cwd=cwd,
                                preexec_fn=_drop_privileges(user))
        while True:
            try:
                proc.wait(timeout=POLL_INTERVAL)
                break
            except subprocess.TimeoutExpired:
                watcher.poll()
    watcher.poll()
    code = proc.returncode
    return code if code >= 0 else 128 - code
