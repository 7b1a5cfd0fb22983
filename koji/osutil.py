"""Small filesystem and process helpers: mkdir -p, JSON files, daemonizing."""
import json
import os
import signal


def ensuredir(directory):
    """Create ``directory`` and its parents; returns the normalized path.

    Tolerates a concurrent creator, but fails if something other than a
    directory is in the way.
    """
    if not directory:
        raise OSError('Invalid directory: %r' % (directory,))
    directory = os.path.normpath(directory)
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise OSError('Not a directory: %s' % directory)
        return directory
    head, tail = os.path.split(directory)
    if not tail and head == directory:
        # only the root itself splits this way, and it always exists
        raise OSError('root directory missing? %s' % directory)
    if head:
        ensuredir(head)
    try:
        os.mkdir(directory)
    except OSError:
        if not os.path.isdir(directory):
            raise
    return directory


def load_json(filepath):
    """Parsed JSON content of a file."""
    with open(filepath, 'rt', encoding='utf-8') as handle:
        return json.load(handle)


def dump_json(filepath, data, indent=4, sort_keys=False):
    """Write ``data`` as JSON to a file."""
    with open(filepath, 'wt', encoding='utf-8') as handle:
        json.dump(data, handle, indent=indent, sort_keys=sort_keys)


def daemonize():
    """Detach from the terminal: double fork, new session, cwd /, stdio on /dev/null."""
    if os.fork():
        os._exit(0)
    os.setsid()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if os.fork():
        os._exit(0)
    os.chdir('/')
    read_fd = os.open(os.devnull, os.O_RDONLY)
    write_fd = os.open(os.devnull, os.O_RDWR)
    try:
        # the real descriptors 0-2: sys.std* may be wrapped or replaced objects
        os.dup2(read_fd, 0)
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
    finally:
        os.close(read_fd)
        os.close(write_fd)
