"""The run lock: an flock on --lock-file, waited for in 10 s steps unless --exit-on-lock."""
import fcntl
import os
import time

from ..common import error

WAIT = 10


def acquire(options, on_busy_exit):
    """Return the locked descriptor; call on_busy_exit() if held and exit_on_lock is set."""
    while True:
        try:
            fd = os.open(options.lock_file, os.O_CREAT | os.O_RDWR)
        except OSError as exc:
            error('Error: cannot open lock file %s: %s' % (options.lock_file, exc.strerror))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            os.close(fd)
            if options.exit_on_lock:
                on_busy_exit()
        if options.debug:
            print('Waiting on lock: %s' % options.lock_file)
        time.sleep(WAIT)


def release(fd):
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
