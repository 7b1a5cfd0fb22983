"""File uploads to the hub work area (wire.md section 8), mixed into ClientSession.

Two transports exist: raw chunk POSTs verified with adler32 (``fastUpload``, any hub since
1.7) and the old base64 ``uploadFile`` XML-RPC call. Both verify every chunk, and the raw
path resumes from the size the hub reports when a connection drops mid-file.
"""
import base64
import hashlib
import os
import time

from koji.exceptions import ActionNotAllowed, GenericError, RetryError
from koji.util import adler32_constructor

DEFAULT_UPLOAD_BLOCKSIZE = 1048576
# extra attempts for a legacy uploadFile chunk the hub refused (returned False)
LEGACY_CHUNK_RETRIES = 3
_MAX_I4 = 2 ** 31 - 1


def file_adler32_hex(path, blocksize=DEFAULT_UPLOAD_BLOCKSIZE):
    """adler32 of a whole local file, to compare with checkUpload(verify='adler32')."""
    digest = adler32_constructor()
    with open(path, 'rb') as fo:
        while True:
            block = fo.read(blocksize)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def _wire_int(value):
    """Old hubs cannot parse i8, so big sizes/offsets go as strings (hub uses decode_int)."""
    if -_MAX_I4 - 1 <= value <= _MAX_I4:
        return value
    return str(value)


class UploadMixin(object):
    """Upload methods of ClientSession; needs _callMethod, opts, logged_in and logger."""

    def _upload_blocksize(self, blocksize):
        if blocksize:
            return blocksize
        return self.opts.get('upload_blocksize') or DEFAULT_UPLOAD_BLOCKSIZE

    def fastUpload(self, localfile, path, name=None, callback=None, blocksize=None,
                   overwrite=False, volume=None):
        """Upload localfile to work/<path>/<name> with raw POSTs of blocksize bytes.

        The file size is taken when the upload starts. callback gets
        ``(offset, total, chunk_len, chunk_secs, total_secs)`` after each chunk.
        """
        if not self.logged_in:
            raise ActionNotAllowed('You must be logged in to upload files')
        blocksize = self._upload_blocksize(blocksize)
        if name is None:
            name = os.path.basename(localfile)
        max_retries = self._opt('max_retries', 30)
        interval = self._opt('retry_interval', 20)
        start = time.time()
        problems = False
        failures = 0
        force_overwrite = False
        with open(localfile, 'rb') as fo:
            total = os.fstat(fo.fileno()).st_size
            if callback:
                # the starting point, as upstream reports it (progress bars draw 0%)
                callback(0, total, 0, 0, 0)
            ofs = 0
            first = True
            # even an empty file needs one request, so the hub creates it
            while first or ofs < total:
                first = False
                lap = time.time()
                fo.seek(ofs)
                chunk = fo.read(min(blocksize, total - ofs))
                try:
                    result = self._callMethod(
                        'rawUpload', (chunk, ofs, path, name),
                        {'overwrite': overwrite or force_overwrite, 'volume': volume},
                        retry=False)
                except Exception as err:
                    if not (isinstance(err, RetryError) or self._is_transport_error(err)):
                        raise
                    problems = True
                    failures += 1
                    if failures > max_retries:
                        raise
                    self.logger.info('Upload of %s/%s failed at offset %s (%s), resuming',
                                     path, name, ofs, err)
                    if failures > 1:
                        time.sleep(interval)
                    ofs, exists = self._upload_resume_offset(path, name, volume, ofs,
                                                             len(chunk))
                    # an empty file the hub already has needs no resend
                    first = not exists
                    # a resend at 0 would hit "upload path exists" for our own empty file
                    force_overwrite = exists and ofs == 0
                    continue
                failures = 0
                force_overwrite = False
                self._check_upload_chunk(result, chunk, path, name, ofs)
                ofs += len(chunk)
                if callback:
                    now = time.time()
                    callback(ofs, total, len(chunk), max(now - lap, 0.00001),
                             max(now - start, 0.00001))
        chk_opts = {}
        if problems:
            chk_opts['verify'] = 'adler32'
        if volume is not None:
            chk_opts['volume'] = volume
        info = self._callMethod('checkUpload', (path, name), chk_opts)
        if info is None:
            raise GenericError('File upload failed: %s/%s' % (path, name))
        if int(info['size']) != total:
            raise GenericError('Uploaded file is wrong length: %s/%s, %s != %s'
                               % (path, name, info['size'], total))
        if problems:
            local = file_adler32_hex(localfile)
            if info.get('hexdigest') != local:
                raise GenericError('Uploaded file has wrong checksum: %s/%s, %s != %s'
                                   % (path, name, info.get('hexdigest'), local))

    @staticmethod
    def _check_upload_chunk(result, chunk, path, name, ofs):
        """The hub echoes size and adler32 of what it wrote; both must match the chunk."""
        if result['size'] != len(chunk):
            raise GenericError('Server returned wrong chunk size for %s/%s at %s: %s != %s'
                               % (path, name, ofs, result['size'], len(chunk)))
        expected = adler32_constructor(chunk).hexdigest()
        if result.get('hexdigest') != expected:
            raise GenericError('Upload checksum failed for %s/%s at %s: %s != %s'
                               % (path, name, ofs, result.get('hexdigest'), expected))

    def _upload_resume_offset(self, path, name, volume, ofs, chunk_len):
        """Return (offset, hub has the file) to continue from after a failed chunk.

        Whatever the hub kept is trusted here and verified by the whole-file checksum
        at the end, so a dropped connection costs at most one chunk.
        """
        opts = {} if volume is None else {'volume': volume}
        info = self._callMethod('checkUpload', (path, name), opts)
        if info is None:
            return 0, False
        return max(0, min(int(info['size']), ofs + chunk_len)), True

    def uploadWrapper(self, localfile, path, name=None, callback=None, blocksize=None,
                      overwrite=True, volume=None):
        """Upload a file with the best transport the hub offers."""
        blocksize = self._upload_blocksize(blocksize)
        if name is None:
            name = os.path.basename(localfile)
        volopts = {}
        if volume and volume != 'DEFAULT':
            volopts['volume'] = volume
        if self.opts.get('use_fast_upload') or self._hub_has_check_upload(path, name, volopts):
            return self.fastUpload(localfile, path, name, callback, blocksize, overwrite,
                                   volume=volume)
        return self._legacy_upload(localfile, path, name, callback, blocksize, volopts)

    def _hub_has_check_upload(self, path, name, volopts):
        """checkUpload came with raw uploads (hub 1.7.1); older hubs reject the call."""
        try:
            self._callMethod('checkUpload', (path, name), volopts)
        except GenericError:
            return False
        return True

    def _legacy_upload(self, localfile, path, name, callback, blocksize, volopts):
        """Upload through base64 uploadFile calls, then finalize with offset -1."""
        start = time.time()
        whole = hashlib.sha256()
        with open(localfile, 'rb') as fo:
            total = os.fstat(fo.fileno()).st_size
            if callback:
                callback(0, total, 0, 0, 0)
            ofs = 0
            while True:
                lap = time.time()
                contents = fo.read(blocksize)
                whole.update(contents)
                size = len(contents)
                if size:
                    offset, length = ofs, size
                    digest = hashlib.sha256(contents).hexdigest()
                else:
                    offset, length, digest = -1, ofs, whole.hexdigest()
                data = base64.b64encode(contents).decode('ascii')
                self._legacy_upload_chunk(path, name, length, digest, offset, data, volopts)
                if not size:
                    break
                ofs += size
                if callback:
                    now = time.time()
                    callback(ofs, total, size, max(now - lap, 0.00001),
                             max(now - start, 0.00001))

    def _legacy_upload_chunk(self, path, name, size, digest, offset, data, volopts):
        for attempt in range(LEGACY_CHUNK_RETRIES + 1):
            try:
                ok = self._callMethod(
                    'uploadFile',
                    (path, name, _wire_int(size), ('sha256', digest), _wire_int(offset), data),
                    volopts)
            except RetryError:
                # our resend of a request the hub already committed: the chunk is stored,
                # and the final whole-file sha256 check covers it
                ok = True
            if ok:
                return
            self.logger.debug('uploadFile refused %s/%s at offset %s (attempt %d)',
                              path, name, offset, attempt + 1)
        raise GenericError('Error uploading file %s, offset %d' % (path, offset))

    def downloadTaskOutput(self, taskID, fileName, offset=0, size=-1, volume=None):
        """Fetch (part of) a task output file as bytes."""
        if self.multicall:
            raise GenericError('downloadTaskOutput() may not be called during a multicall')
        dlopts = {'offset': offset, 'size': size}
        if volume and volume != 'DEFAULT':
            dlopts['volume'] = volume
        result = self.callMethod('downloadTaskOutput', taskID, fileName, **dlopts)
        return base64.b64decode(result)
