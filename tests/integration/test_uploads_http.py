"""Uploads through koji.ClientSession against the real hub over HTTP.

A small TCP proxy between client and hub cuts chosen upload requests mid-body, so the
client's resume logic (checkUpload, then continue from what the hub kept) runs for real.
"""
import hashlib
import os
import re
import socket
import threading
import time
import zlib

import pytest

import koji

BLOCK = 65536


class CuttingProxy(object):
    """Forward 127.0.0.1:port to the hub; cut raw-upload requests at a chosen offset."""

    def __init__(self, target_port):
        self.target = ('127.0.0.1', target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.cut_offset = None
        self.cuts_left = 0
        self.cuts_done = 0
        self.hold_until = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, offset, times):
        with self.lock:
            self.cut_offset = offset
            self.cuts_left = times

    def close(self):
        self.closed = True
        self.listener.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client),
                             daemon=True).start()

    def _should_cut(self, data):
        with self.lock:
            if not self.cuts_left or not data.startswith(b'POST '):
                return False
            pattern = rb'[?&]offset=%d[& ]' % self.cut_offset
            if b'octet-stream' not in data or not re.search(pattern, data.split(b'\r\n')[0]):
                return False
            self.cuts_left -= 1
            self.cuts_done += 1
            return True

    def _upstream(self, client, server):
        budget = None
        try:
            while True:
                data = client.recv(BLOCK)
                if not data:
                    break
                # let the hub finish the interrupted request before the client's resend
                delay = self.hold_until - time.time()
                if delay > 0:
                    time.sleep(delay)
                if budget is None and self._should_cut(data):
                    # headers plus the first 1000 bytes of the body, then hang up
                    budget = data.index(b'\r\n\r\n') + 4 + 1000
                if budget is not None:
                    server.sendall(data[:budget])
                    budget -= len(data[:budget])
                    if budget <= 0:
                        self.hold_until = time.time() + 1.0
                        break
                else:
                    server.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (client, server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def _downstream(self, server, client):
        try:
            while True:
                data = server.recv(BLOCK)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass


@pytest.fixture(scope='module')
def proxy(hub_server):
    proxy = CuttingProxy(hub_server.port)
    yield proxy
    proxy.close()


def session_for(hub_server, url=None, **opts):
    base = {'max_retries': 3, 'retry_interval': 0, 'user': hub_server.admin_user,
            'password': hub_server.admin_password}
    base.update(opts)
    session = koji.ClientSession(url or hub_server.url, base)
    session.login()
    return session


@pytest.fixture
def admin(hub_server):
    session = session_for(hub_server)
    yield session
    session.logout()


def make_file(tmp_path, name, size):
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return str(path)


def stored(hub_server, *parts):
    return os.path.join(hub_server.topdir, 'work', *parts)


def file_bytes(path):
    with open(path, 'rb') as fo:
        return fo.read()


def test_fast_upload(hub_server, admin, tmp_path):
    local = make_file(tmp_path, 'data.bin', 3 * BLOCK + 123)
    progress = []
    admin.uploadWrapper(local, 'cli-up/fast', callback=lambda *a: progress.append(a[:3]),
                        blocksize=BLOCK)
    assert file_bytes(stored(hub_server, 'cli-up/fast/data.bin')) == file_bytes(local)
    assert [p[0] for p in progress] == [0, BLOCK, 2 * BLOCK, 3 * BLOCK, 3 * BLOCK + 123]
    assert progress[0] == (0, 3 * BLOCK + 123, 0)
    info = admin.checkUpload('cli-up/fast', 'data.bin', verify='adler32')
    assert info['size'] == 3 * BLOCK + 123
    assert info['hexdigest'] == '%08x' % (zlib.adler32(file_bytes(local)) & 0xffffffff)
    # an empty file still gets created
    empty = make_file(tmp_path, 'empty.bin', 0)
    admin.fastUpload(empty, 'cli-up/fast')
    assert os.path.getsize(stored(hub_server, 'cli-up/fast/empty.bin')) == 0
    # a second upload of the same name needs overwrite
    with pytest.raises(koji.GenericError, match='upload path exists'):
        admin.fastUpload(local, 'cli-up/fast', blocksize=BLOCK)
    admin.fastUpload(empty, 'cli-up/fast', name='data.bin', overwrite=True)
    assert os.path.getsize(stored(hub_server, 'cli-up/fast/data.bin')) == 0


def test_raw_upload_faults(hub_server, admin, tmp_path):
    local = make_file(tmp_path, 'x.bin', 10)
    anon = koji.ClientSession(hub_server.url)
    with pytest.raises(koji.ActionNotAllowed):
        anon.fastUpload(local, 'cli-up/anon')
    for path in ('../escape', '/tmp/abs'):
        with pytest.raises(koji.GenericError, match='Invalid upload directory'):
            admin.fastUpload(local, path)
    with pytest.raises(koji.GenericError, match='Invalid upload filename'):
        admin.fastUpload(local, 'cli-up/ok', name='.hidden')
    assert not os.path.exists(os.path.join(hub_server.topdir, 'escape'))


def test_legacy_upload_and_task_output(hub_server, admin, tmp_path):
    local = make_file(tmp_path, 'legacy.bin', 2 * BLOCK + 7)
    admin._legacy_upload(local, 'cli-up/legacy', 'legacy.bin', None, BLOCK, {})
    assert file_bytes(stored(hub_server, 'cli-up/legacy/legacy.bin')) == file_bytes(local)
    assert admin.checkUpload('cli-up/legacy', 'nothere') is None
    assert admin.listTaskOutput(424242) == []
    with pytest.raises(koji.GenericError):
        admin.downloadTaskOutput(424242, 'x.log')


def test_resume_after_dropped_connection(hub_server, proxy, tmp_path):
    url = hub_server.url.replace(':%d/' % hub_server.port, ':%d/' % proxy.port)
    assert url != hub_server.url
    session = session_for(hub_server, url=url)
    local = make_file(tmp_path, 'resume.bin', 5 * BLOCK + 321)
    # both the first send and the client's immediate resend of this chunk are cut
    proxy.arm(2 * BLOCK, 2)
    calls = []
    orig = session._callMethod

    def spy(name, args, kwargs=None, retry=True):
        calls.append((name, args[1] if name == 'rawUpload' else args, kwargs))
        return orig(name, args, kwargs, retry=retry)
    session._callMethod = spy
    session.fastUpload(local, 'cli-up/resume', blocksize=BLOCK)
    assert proxy.cuts_done == 2
    assert file_bytes(stored(hub_server, 'cli-up/resume/resume.bin')) == file_bytes(local)
    names = [c[0] for c in calls]
    # the failed chunk was followed by checkUpload and a resumed rawUpload
    cut = names.index('checkUpload')
    assert names[cut - 1] == 'rawUpload' and calls[cut - 1][1] == 2 * BLOCK
    assert names[cut + 1] == 'rawUpload'
    resumed_at = calls[cut + 1][1]
    assert 2 * BLOCK <= resumed_at <= 3 * BLOCK
    # the final check asked for the whole-file adler32, which the client compared
    assert calls[-1][0] == 'checkUpload' and calls[-1][2].get('verify') == 'adler32'
    session.logout()


def test_import_rpm_over_http(hub_server, admin, rpm_builds):
    build = rpm_builds.noarch
    records = []
    for path in build.paths:
        admin.uploadWrapper(path, 'cli-import/rpmtest')
        records.append(admin.importRPM('cli-import/rpmtest', os.path.basename(path)))
    binfo = admin.getBuild(build.nvr)
    assert binfo['id'] == records[0]['build_id']
    pathinfo = koji.PathInfo(topdir=hub_server.topdir)
    for path, rec in zip(build.paths, records):
        final = os.path.join(pathinfo.build(binfo), pathinfo.rpm(rec))
        assert hashlib.sha256(file_bytes(final)).digest() == \
            hashlib.sha256(file_bytes(path)).digest()
        assert admin.getRPM(rec['id'])['payloadhash'] == rec['payloadhash']
    assert sorted(r['arch'] for r in admin.listBuildRPMs(build.nvr)) == \
        sorted(['src'] + ['noarch'] * len(build.rpms))
