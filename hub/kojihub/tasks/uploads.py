"""Uploads into the work area and reads of task output (wire.md section 8).

Two write paths share one set of rules: the raw octet-stream POST the dispatcher hands to
``handle_upload`` and the legacy base64 ``uploadFile`` call. Every destination is
computed by ``get_upload_path`` so that nothing can land outside ``<volume>/work``.
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

logger = logging.getLogger('koji.hub.uploads')

READ_BLOCK = 65536


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
    if reldir.startswith('/'):
        # os.path.join would discard the work dir for an absolute path
        raise koji.GenericError('Invalid upload directory: %s' % orig)
    reldir = os.path.normpath(reldir)
    if not reldir or reldir == '.' or reldir.startswith('..'):
        raise koji.GenericError('Invalid upload directory: %s' % orig)
    return reldir


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


def _assert_dir_owner(udir, orig):
    """Other directories belong to their first uploader, recorded in a .user file."""
    fn = os.path.join(udir, '.user')
    user_id = context.session.user_id
    try:
        fd = os.open(fn, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        with open(fn, 'r') as fo:
            text = fo.read().strip()
        try:
            owner = int(text)
        except ValueError:
            raise koji.GenericError('Invalid upload directory, bad owner file: %s' % orig)
        if owner != user_id:
            raise koji.GenericError('Invalid upload directory, not owner: %s' % orig)
        return
    with os.fdopen(fd, 'w') as fo:
        fo.write(str(user_id))


def get_upload_path(reldir, name, create=False, volume=None):
    """Absolute path of work/<reldir>/<name> after the confinement and ownership checks.

    With create the directory is made and ownership verified (task dirs: the host running
    the open task; other dirs: the user recorded in .user).
    """
    if not isinstance(name, str):
        raise koji.GenericError('Invalid upload filename: %r' % (name,))
    if '/' in name or name.startswith('.') or not name or '\0' in name:
        raise koji.GenericError('Invalid upload filename: %s' % name)
    orig = reldir
    reldir = _clean_reldir(reldir, orig)
    volume = _check_volume(volume)
    udir = os.path.join(koji.pathinfo.work(volume=volume), reldir)
    if create:
        parts = reldir.split('/')
        if parts[0] == 'tasks':
            _assert_task_owner(reldir, parts)
            koji.ensuredir(udir)
        else:
            koji.ensuredir(udir)
            _assert_dir_owner(udir, orig)
    return os.path.join(udir, name)


def _lock(fd, shared=False):
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        fcntl.lockf(fd, mode | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EACCES, errno.EAGAIN):
            raise koji.LockError('upload file is locked: %s' % err)
        raise


def _check_existing(fn, offset, overwrite, allow_log=False):
    """Refuse symlinks and non-files; a restart at 0 needs overwrite (or a .log name)."""
    try:
        st = os.lstat(fn)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise koji.GenericError('destination not a file: %s' % fn)
    if offset == 0 and not overwrite:
        if allow_log and fn.endswith('.log'):
            return
        raise koji.GenericError('upload path exists: %s' % fn)


def _open_upload(fn):
    # O_NOFOLLOW: a symlink planted after the check must not redirect the write
    return os.open(fn, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)


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
    try:
        offset = int(args.get('offset', '0'))
    except ValueError:
        raise koji.GenericError('Invalid upload offset: %s' % args.get('offset'))
    if offset < -1:
        raise koji.GenericError('Invalid upload offset: %s' % offset)
    volume = args.get('volume', 'DEFAULT')
    sum_cls = get_verify_class(verify)
    fn = get_upload_path(path, name, create=True, volume=volume)
    _check_existing(fn, offset, overwrite)
    remaining = _content_length(environ)
    inf = environ['wsgi.input']
    chksum = sum_cls()
    size = 0
    fd = _open_upload(fn)
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
    contents = base64.b64decode(data)
    del data
    offset = koji.decode_int(offset)
    size = koji.decode_int(size) if size is not None else None
    verify, digest = _checksum_arg(md5sum, checksum)
    sum_cls = get_verify_class(verify)
    if offset != -1:
        if size is not None and size != len(contents):
            return False
        if verify and digest != sum_cls(contents).hexdigest():
            return False
    if offset < -1:
        raise koji.GenericError('Invalid upload offset: %s' % offset)
    fn = get_upload_path(path, name, create=True, volume=volume)
    _check_existing(fn, offset, overwrite=False, allow_log=True)
    fd = _open_upload(fn)
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
    fn = get_upload_path(path, name, volume=volume)
    try:
        st = os.lstat(fn)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise koji.GenericError('Not a regular file: %s' % fn)
    sum_cls = get_verify_class(verify) if verify else None
    fd = os.open(fn, os.O_RDONLY | os.O_NOFOLLOW)
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


def download_task_output(taskID, fileName, offset=0, size=-1, volume=None):
    """base64 of (part of) a task output file; a negative offset counts from the end."""
    if not isinstance(fileName, str) or '..' in fileName or fileName.startswith('/'):
        raise koji.GenericError('Invalid file name: %s' % (fileName,))
    volume = _check_volume(volume)
    task_dir = koji.pathinfo.task(taskID, volume=volume)
    fn = os.path.normpath(os.path.join(task_dir, fileName))
    if not fn.startswith(task_dir + '/') or not os.path.isfile(fn):
        raise koji.GenericError('no file "%s" output by task %i' % (fileName, taskID))
    offset = koji.decode_int(offset) if offset is not None else 0
    size = koji.decode_int(size) if size is not None else -1
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
