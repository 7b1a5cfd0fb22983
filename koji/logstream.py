"""Running a command with its output in a log file streamed to the hub as it grows.

koji.daemon (the builder's TaskManager) and koji.scm (source checkouts) both use this;
it sits below both, and koji.daemon re-exports the names.
"""
import base64
import hashlib
import logging
import os
import sys
import time
import traceback

from koji.osutil import ensuredir
from koji.util import adler32_constructor

UPLOAD_CHUNK = 65536


def incremental_upload(session, fname, fd, path, retries=5, logger=None):
    """Upload whatever was appended to an open log since the last call (fd keeps the offset)."""
    if not fd:
        return
    if logger is None:
        logger = logging.getLogger('koji.daemon')
    if session.opts.get('use_fast_upload'):
        fast_incremental_upload(session, fname, fd, path, retries, logger)
        return
    while True:
        offset = fd.tell()
        contents = fd.read(UPLOAD_CHUNK)
        if not contents:
            break
        size = len(contents)
        data = base64.b64encode(contents).decode('ascii')
        digest = hashlib.sha256(contents).hexdigest()
        tries = 0
        while True:
            try:
                ok = session.uploadFile(path, fname, size, ('sha256', digest), offset, data)
            except Exception as exc:
                logger.warning('Upload of %s/%s failed at %s: %s', path, fname, offset, exc)
                ok = False
            if ok:
                break
            if tries < retries:
                tries += 1
                time.sleep(10)
                continue
            logger.error('Error uploading file %s to %s at offset %d', fname, path, offset)
            break


def fast_incremental_upload(session, fname, fd, path, retries, logger):
    """incremental_upload over raw POSTs, each chunk checked by its adler32."""
    while True:
        offset = fd.tell()
        contents = fd.read(UPLOAD_CHUNK)
        if not contents:
            break
        digest = adler32_constructor(contents).hexdigest()
        tries = 0
        while True:
            try:
                result = session.rawUpload(contents, offset, path, fname, overwrite=True)
                ok = result.get('hexdigest') == digest and result.get('size') == len(contents)
            except Exception as exc:
                logger.warning('Upload of %s/%s failed at %s: %s', path, fname, offset, exc)
                ok = False
            if ok:
                break
            if tries < retries:
                tries += 1
                time.sleep(10)
                continue
            logger.error('Error uploading file %s to %s at offset %d', fname, path, offset)
            break


def _child_exec(path, args, outfile, cwd, logerror, append, chroot, env):
    """In the forked child: redirect output, enter chroot/cwd, exec. Never returns."""
    status = 1
    try:
        if chroot:
            os.chroot(chroot)
        if cwd:
            os.chdir(cwd)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        fd = os.open(outfile, flags, 0o666)
        os.dup2(fd, 1)
        if logerror:
            os.dup2(fd, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        environ = dict(os.environ)
        if env:
            environ.update(env)
        os.execvpe(path, args, environ)
    except BaseException:
        msg = ''.join(traceback.format_exception(*sys.exc_info()))
        try:
            with open(outfile, 'a') as fo:
                fo.write(msg)
        except Exception:
            pass
    finally:
        os._exit(status)


def log_output(session, path, args, outfile, uploadpath, cwd=None, logerror=0, append=0,
               chroot=None, env=None):
    """Run a command with output to outfile, streaming the file to the hub; returns status."""
    ensuredir(os.path.dirname(os.path.abspath(outfile)))
    pid = os.fork()
    if not pid:
        _child_exec(path, args, outfile, cwd, logerror, append, chroot, env)
    logger = logging.getLogger('koji.daemon')
    logname = os.path.basename(outfile)
    fd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if fd is None and os.path.isfile(outfile):
                fd = open(outfile, 'rb')
            if session is not None and fd is not None:
                incremental_upload(session, logname, fd, uploadpath, logger=logger)
            if done:
                return status
            time.sleep(1)
    finally:
        if fd is not None:
            fd.close()
