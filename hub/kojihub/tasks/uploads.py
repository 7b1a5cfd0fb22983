"""Uploads into the work area and reads of task output (wire.md section 8).

Two write paths share one set of rules: the raw octet-stream POST the dispatcher hands to
``handle_upload`` and the legacy base64 ``uploadFile`` call. Every destination is
reached by ``open_upload_dir``, which walks the directories below ``<volume>/work`` one
at a time without following symlinks, so that nothing can land outside it.
"""
import base64
import errno
import fcntl
import hashlib
import logging
import os
import stat
import time
import urllib.parse

import koji
from koji.context import context
from koji.server import RequestTimeout
from koji.util import adler32_constructor, md5_constructor

from ..core.db import QueryProcessor
from ..core.lookup import lookup_name
from .tasks import _task_id

logger = logging.getLogger('koji.hub.uploads')

READ_BLOCK = 65536
NAME_MAX = 255          # bytes in one path component (Linux)
MAX_RELDIR = 1024       # characters in an upload directory
MAX_OFFSET = 2 ** 63 - 1
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY


class _NoDigest(object):
    """Stand-in checksum for uploads that asked for no verification."""

    def update(self, data):
        pass

    def hexdigest(self):
        return None


def get_verify_class(verify):
    """Checksum constructor for a fileverify / checksum type name ('' or None: none)."""
    if not verify:
        return _NoDigest
    if verify == 'md5':
        return md5_constructor
    if verify == 'adler32':
        return adler32_constructor
    if verify == 'sha256':
        return hashlib.sha256
    raise koji.GenericError('Unsupported verify type: %s' % verify)


def _check_volume(volume):
    """Volume name to use in paths; a non-default one must exist."""
    if volume is None or volume == 'DEFAULT':
        return volume
    lookup_name('volume', volume, strict=True)
    return volume


def _clean_reldir(reldir, orig):
    if not isinstance(reldir, str):
        raise koji.GenericError('Invalid upload directory: %r' % (orig,))
    if reldir.startswith('/') or '\0' in reldir:
        # os.path.join would discard the work dir for an absolute path
        raise koji.GenericError('Invalid upload directory: %s' % _short(orig))
    reldir = os.path.normpath(reldir)
    if not reldir or reldir == '.' or reldir.startswith('..'):
        raise koji.GenericError('Invalid upload directory: %s' % _short(orig))
    if len(reldir) > MAX_RELDIR or any(len(os.fsencode(part)) > NAME_MAX
                                       for part in reldir.split('/')):
        raise koji.GenericError('Invalid upload directory: name too long')
    return reldir


def _check_name(name):
    if not isinstance(name, str):
        raise koji.GenericError('Invalid upload filename: %r' % (name,))
    if '/' in name or name.startswith('.') or not name or '\0' in name:
        raise koji.GenericError('Invalid upload filename: %s' % _short(name))
    if len(os.fsencode(name)) > NAME_MAX:
        raise koji.GenericError('Invalid upload filename: name too long')


def _short(text):
    """Names go into fault messages; keep the message short."""
    return text if len(text) <= 200 else text[:200] + '...'


def _assert_task_owner(reldir, parts):
    """tasks/<x>/<task_id>/...: only the host running that open task may write there."""
    try:
        task_id = int(parts[2])
    except (IndexError, ValueError):
        raise koji.GenericError('Invalid task upload directory: %s' % reldir)
    session = context.session
    host_id = session.getHostId()
    if host_id is None:
        raise koji.ActionNotAllowed('Only a build host may upload to %s' % reldir)
    row = QueryProcessor(columns=['state', 'host_id'], tables=['task'],
                         clauses=['id = %(task_id)s'], values={'task_id': task_id}).executeOne()
    if row is None:
        raise koji.GenericError('No such task: %s' % task_id)
    if row['state'] != koji.TASK_STATES['OPEN'] or row['host_id'] != host_id:
        raise koji.ActionNotAllowed('Task %s is not open on host %s' % (task_id, host_id))


def _assert_dir_owner(dir_fd, orig):
    """Other directories belong to their first uploader, recorded in a .user file."""
    user_id = context.session.user_id
    try:
        fd = os.open('.user', os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                     dir_fd=dir_fd)
    except FileExistsError:
        try:
            fd = os.open('.user', os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
        except OSError:
            raise koji.GenericError('Invalid upload directory, bad owner file: %s' % orig)
        with os.fdopen(fd, 'r') as fo:
            text = fo.read(100).strip()
        try:
            owner = int(text)
        except ValueError:
            raise koji.GenericError('Invalid upload directory, bad owner file: %s' % orig)
        if owner != user_id:
            raise koji.GenericError('Invalid upload directory, not owner: %s' % orig)
        return
    with os.fdopen(fd, 'w') as fo:
        fo.write(str(user_id))


def _walk_dirs(base, parts, orig, create):
    """An fd of base/parts..., reached one component at a time without following symlinks.

    A symlink (or a non-directory) anywhere below the work dir is refused, so nothing a
    link points to, inside or outside the work area, can be written or read through it.
    Returns None when a component is missing and create is false.
    """
    fd = os.open(base, _DIR_FLAGS)
    try:
        for part in parts:
            try:
                new_fd = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    os.close(fd)
                    return None
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
                new_fd = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = new_fd
    except OSError as err:
        os.close(fd)
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise koji.GenericError('Invalid upload directory, not a directory: %s'
                                    % _short(orig))
        raise
    return fd


def open_upload_dir(reldir, name, create=False, volume=None):
    """(fd of work/<reldir> or None if it is absent, path of work/<reldir>/<name>).

    Confinement, ownership (with create: the host running an open task for task dirs,
    else the user recorded in .user) and the symlink-free walk happen here; the caller
    opens <name> relative to the fd and closes it.
    """
    _check_name(name)
    orig = reldir
    reldir = _clean_reldir(reldir, orig)
    volume = _check_volume(volume)
    work = koji.pathinfo.work(volume=volume)
    parts = reldir.split('/')
    if create:
        if parts[0] == 'tasks':
            _assert_task_owner(reldir, parts)
        koji.ensuredir(work)
    # the work dir itself may be a link (volumes often are): trusted, resolved once
    fd = _walk_dirs(os.path.realpath(work), parts, orig, create)
    if fd is not None and create and parts[0] != 'tasks':
        try:
            _assert_dir_owner(fd, orig)
        except BaseException:
            os.close(fd)
            raise
    return fd, os.path.join(work, reldir, name)


def get_upload_path(reldir, name, create=False, volume=None):
    """Absolute path of work/<reldir>/<name> after the confinement and ownership checks.

    With create the directory is made and ownership verified (task dirs: the host running
    the open task; other dirs: the user recorded in .user).
    """
    fd, path = open_upload_dir(reldir, name, create=create, volume=volume)
    if fd is not None:
        os.close(fd)
    return path


def _lock(fd, shared=False):
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        fcntl.lockf(fd, mode | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EAGAIN):
            raise koji.LockError('upload file is locked: %s' % err)
        raise


def _check_existing(dir_fd, name, fn, offset, overwrite, allow_log=False):
    """Refuse symlinks and non-files; a restart at 0 needs overwrite (or a .log name)."""
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise koji.GenericError('destination not a file: %s' % fn)
    if offset == 0 and not overwrite:
        if allow_log and fn.endswith('.log'):
            return
        raise koji.GenericError('upload path exists: %s' % fn)


def _open_upload(dir_fd, name):
    # O_NOFOLLOW: a symlink planted after the check must not redirect the write
    try:
        return os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666, dir_fd=dir_fd)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.EISDIR):
            raise koji.GenericError('destination not a file: %s' % name)
        raise


def _offset(value, what='offset', lowest=-1):
    """An upload offset (-1: append) or size: a byte position a file can have."""
    try:
        offset = koji.decode_int(value)
    except (TypeError, ValueError, OverflowError):
        raise koji.GenericError('Invalid upload %s: %s' % (what, _short(str(value))))
    if not lowest <= offset <= MAX_OFFSET:
        raise koji.GenericError('Invalid upload %s: %s' % (what, _short(str(value))))
    return offset


def _parse_query(environ):
    try:
        args = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''), strict_parsing=True)
    except ValueError as err:
        raise koji.GenericError('Invalid upload query: %s' % err)
    return {key: values[0] for key, values in args.items()}


def _content_length(environ):
    text = environ.get('CONTENT_LENGTH')
    if text in (None, ''):
        return None
    try:
        return int(text)
    except ValueError:
        raise koji.GenericError('Invalid Content-Length: %s' % text)


def handle_upload(environ):
    """Write one raw chunk (dispatcher entry for octet-stream POSTs); returns the result."""
    start = time.time()
    if not context.session.logged_in:
        raise koji.ActionNotAllowed('you must be logged-in to upload a file')
    args = _parse_query(environ)
    if 'filename' not in args:
        raise koji.GenericError('Upload request is missing filename')
    name = args['filename']
    path = args.get('filepath', '')
    verify = args.get('fileverify', '')
    overwrite = bool(args.get('overwrite', ''))
    offset = _offset(args.get('offset', '0'))
    volume = args.get('volume', 'DEFAULT')
    sum_cls = get_verify_class(verify)
    remaining = _content_length(environ)
    dir_fd, fn = open_upload_dir(path, name, create=True, volume=volume)
    try:
        _check_existing(dir_fd, name, fn, offset, overwrite)
        fd = _open_upload(dir_fd, name)
    finally:
        os.close(dir_fd)
    inf = environ['wsgi.input']
    chksum = sum_cls()
    size = 0
    try:
        _lock(fd)
        if offset == -1:
            offset = os.lseek(fd, 0, os.SEEK_END)
        else:
            if overwrite:
                os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
        while remaining is None or remaining > 0:
            want = READ_BLOCK if remaining is None else min(READ_BLOCK, remaining)
            try:
                chunk = inf.read(want)
            except OSError as err:
                # what arrived so far stays on disk; checkUpload lets the client resume
                raise RequestTimeout('upload interrupted: %s' % err)
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            size += len(chunk)
            chksum.update(chunk)
            os.write(fd, chunk)
        if remaining:
            raise RequestTimeout('upload ended %d bytes early' % remaining)
        if not overwrite:
            length = os.fstat(fd).st_size
            if length != offset + size:
                raise koji.GenericError('Incorrect upload length for %s - expected %s, '
                                        'actual %s' % (fn, offset + size, length))
    finally:
        # closing drops the lock too
        os.close(fd)
    ret = {'size': size, 'fileverify': verify, 'offset': offset}
    if verify:
        ret['hexdigest'] = chksum.hexdigest()
    logger.debug('Upload %s: %d bytes at %d in %.3fs', fn, size, offset, time.time() - start)
    return ret


def _checksum_arg(md5sum, checksum):
    """(verify type, hexdigest) from uploadFile's md5sum/checksum arguments."""
    value = checksum if checksum is not None else md5sum
    if value is None:
        return None, None
    if isinstance(value, str):
        # a bare digest is md5, as in the original protocol
        return 'md5', value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    raise koji.GenericError('Invalid checksum: %r' % (value,))


def _file_digest(fd, sum_cls, start=0):
    os.lseek(fd, start, os.SEEK_SET)
    chksum = sum_cls()
    length = 0
    while True:
        block = os.read(fd, READ_BLOCK)
        if not block:
            break
        length += len(block)
        chksum.update(block)
    return length, chksum.hexdigest()


def upload_file(path, name, size, md5sum, offset, data, volume=None, checksum=None):
    """Legacy chunk upload: returns False when the chunk or the final file does not verify."""
    context.session.assertLogin()
    if not isinstance(data, str):
        raise koji.GenericError('Invalid upload data: expected base64 text')
    try:
        contents = base64.b64decode(data)
    except ValueError:
        raise koji.GenericError('Invalid upload data: not base64')
    del data
    offset = _offset(offset)
    if size is not None:
        size = _offset(size, 'size', lowest=0)
    verify, digest = _checksum_arg(md5sum, checksum)
    sum_cls = get_verify_class(verify)
    if offset != -1:
        if size is not None and size != len(contents):
            return False
        if verify and digest != sum_cls(contents).hexdigest():
            return False
    dir_fd, fn = open_upload_dir(path, name, create=True, volume=volume)
    try:
        _check_existing(dir_fd, name, fn, offset, overwrite=False, allow_log=True)
        fd = _open_upload(dir_fd, name)
    finally:
        os.close(dir_fd)
    try:
        _lock(fd)
        if offset == -1:
            if size is not None:
                os.ftruncate(fd, size)
            if verify:
                _length, actual = _file_digest(fd, sum_cls)
                if actual != digest:
                    return False
            return True
        os.lseek(fd, offset, os.SEEK_SET)
        view = memoryview(contents)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)
    return True


def check_upload(path, name, verify=None, tail=None, volume=None):
    """{size, mtime[, sumlength, hexdigest]} of an uploaded file, None if it is absent."""
    sum_cls = get_verify_class(verify) if verify else None
    dir_fd, fn = open_upload_dir(path, name, volume=volume)
    if dir_fd is None:
        return None
    try:
        try:
            st = os.lstat(name, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(st.st_mode):
            raise koji.GenericError('Not a regular file: %s' % fn)
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    try:
        _lock(fd, shared=True)
        st = os.fstat(fd)
        data = {'size': st.st_size, 'mtime': st.st_mtime}
        if sum_cls is not None:
            start = 0
            if tail is not None:
                tail = koji.decode_int(tail)
                if tail < 0:
                    raise koji.GenericError('invalid tail value: %r' % tail)
                start = max(st.st_size - tail, 0)
            data['sumlength'], data['hexdigest'] = _file_digest(fd, sum_cls, start)
        return data
    finally:
        os.close(fd)


def _task_exists(task_id):
    return QueryProcessor(columns=['id'], tables=['task'], clauses=['id = %(id)s'],
                          values={'id': task_id}).executeOne() is not None


def _volume_names():
    query = QueryProcessor(columns=['id', 'name'], tables=['volume'], opts={'order': 'id'})
    return [row['name'] for row in query.execute()]


def _stat_map(fn):
    st = os.stat(fn)
    # sizes go as text: files over 2 GiB do not fit an XML-RPC int
    return {'st_size': str(st.st_size), 'st_atime': st.st_atime,
            'st_mtime': st.st_mtime, 'st_ctime': st.st_ctime}


def list_task_output(taskID, stat=False, all_volumes=False, strict=False):
    """Files under a task's work dir, relative to it (a dict with stat or all_volumes)."""
    taskID = _task_id(taskID)
    if strict and not _task_exists(taskID):
        raise koji.GenericError("Task doesn't exist")
    result = {} if (stat or all_volumes) else []
    volumes = _volume_names() if all_volumes else ['DEFAULT']
    for volume in volumes:
        task_dir = koji.pathinfo.task(taskID, volume=volume)
        if not os.path.isdir(task_dir):
            continue
        for dirpath, _dirs, files in os.walk(task_dir):
            reldir = os.path.relpath(dirpath, task_dir)
            for filename in files:
                relname = filename if reldir == '.' else os.path.join(reldir, filename)
                if stat:
                    info = _stat_map(os.path.join(dirpath, filename))
                    if all_volumes:
                        result.setdefault(relname, {})[volume] = info
                    else:
                        result[relname] = info
                elif all_volumes:
                    result.setdefault(relname, []).append(volume)
                else:
                    result.append(relname)
    return result


def _position(value, default):
    """A read offset or size: any integer a file position can be (negatives count back)."""
    if value is None:
        return default
    try:
        value = koji.decode_int(value)
    except (TypeError, ValueError, OverflowError):
        raise koji.GenericError('Invalid offset or size: %s' % _short(str(value)))
    if not -MAX_OFFSET <= value <= MAX_OFFSET:
        raise koji.GenericError('Invalid offset or size: %s' % value)
    return value


def download_task_output(taskID, fileName, offset=0, size=-1, volume=None):
    """base64 of (part of) a task output file; a negative offset counts from the end."""
    if not isinstance(fileName, str) or '..' in fileName or fileName.startswith('/'):
        raise koji.GenericError('Invalid file name: %s' % (fileName,))
    taskID = _task_id(taskID)
    offset = _position(offset, 0)
    size = _position(size, -1)
    volume = _check_volume(volume)
    task_dir = koji.pathinfo.task(taskID, volume=volume)
    fn = os.path.normpath(os.path.join(task_dir, fileName))
    # a symlink in the task dir must not hand out a file from elsewhere
    real_dir = os.path.realpath(task_dir)
    if (not fn.startswith(task_dir + '/') or not os.path.isfile(fn)
            or not os.path.realpath(fn).startswith(real_dir + '/')):
        raise koji.GenericError('no file "%s" output by task %i' % (_short(fileName), taskID))
    with open(fn, 'rb') as fo:
        if offset > 0:
            fo.seek(offset, os.SEEK_SET)
        elif offset < 0:
            fo.seek(max(offset, -os.fstat(fo.fileno()).st_size), os.SEEK_END)
        contents = fo.read(size)
    return base64.b64encode(contents).decode('ascii')


class UploadExports(object):
    """Upload and task-output calls, bound into RootExports."""

    uploadFile = staticmethod(upload_file)
    checkUpload = staticmethod(check_upload)
    listTaskOutput = staticmethod(list_task_output)
    downloadTaskOutput = staticmethod(download_task_output)
