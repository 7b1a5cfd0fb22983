"""Uploads through ClientSession: raw chunks, resumption, legacy uploadFile."""
import base64
import hashlib
import time

import pytest

import koji.client
import koji.upload
from koji.client import ClientSession
from koji.exceptions import ActionNotAllowed, GenericError
from tests.unit.test_client_support import StubHub


class FakeTime(object):
    def __init__(self):
        self.sleeps = []

    def sleep(self, secs):
        self.sleeps.append(secs)

    @staticmethod
    def time():
        return time.time()


@pytest.fixture
def hub():
    stub = StubHub().start()
    yield stub
    stub.stop()


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(koji.client, 'time', fake)
    monkeypatch.setattr(koji.upload, 'time', fake)
    return fake


def make_session(hub, **opts):
    opts.setdefault('user', 'alice')
    opts.setdefault('password', 'secret')
    session = ClientSession(hub.url, opts)
    assert session.login()
    return session


@pytest.fixture
def payload(tmp_path):
    data = bytes((i * 7 + i // 13) % 256 for i in range(2500))
    path = tmp_path / 'data.bin'
    path.write_bytes(data)
    return str(path), data


def raw(hub):
    return [r for r in hub.requests if r.method == 'rawUpload']


# ---- fastUpload -------------------------------------------------------------------------

def test_fast_upload_chunks(hub, payload):
    localfile, data = payload
    session = make_session(hub)
    seen = []
    session.fastUpload(localfile, 'cli-upload/abc', blocksize=1000,
                       callback=lambda *a: seen.append(a))
    assert bytes(hub.uploads[('cli-upload/abc', 'data.bin')]) == data
    chunks = raw(hub)
    assert [r.query for r in chunks] == [
        {'filename': 'data.bin', 'filepath': 'cli-upload/abc', 'fileverify': 'adler32',
         'offset': str(ofs)} for ofs in (0, 1000, 2000)]
    assert [r.body for r in chunks] == [data[:1000], data[1000:2000], data[2000:]]
    for rec in chunks:
        assert rec.path == '/kojihub'
        assert rec.header('Content-Type') == 'application/octet-stream'
        assert rec.header('User-Agent') == 'koji/1'
        assert int(rec.header('Content-Length')) == len(rec.body)
    assert [r.header('Koji-Session-Callnum') for r in chunks] == ['0', '1', '2']
    check = hub.requests[-1]
    assert check.method == 'checkUpload'
    assert check.args == ('cli-upload/abc', 'data.bin') and check.kwargs == {}
    assert check.header('Koji-Session-Callnum') == '3'
    # the starting point first (as upstream reports it), then one call per chunk
    assert seen[0] == (0, 2500, 0, 0, 0)
    assert [s[:3] for s in seen[1:]] == [(1000, 2500, 1000), (2000, 2500, 1000),
                                         (2500, 2500, 500)]
    assert all(s[3] > 0 and s[4] > 0 for s in seen[1:])


def test_fast_upload_options(hub, payload):
    localfile, data = payload
    session = make_session(hub, upload_blocksize=2048)
    hub.uploads[('p', 'renamed')] = bytearray(b'old content')
    session.fastUpload(localfile, 'p', name='renamed', overwrite=True, volume='vol1')
    chunks = raw(hub)
    assert [len(r.body) for r in chunks] == [2048, 452]
    assert chunks[0].query['overwrite'] == '1'
    assert chunks[0].query['volume'] == 'vol1'
    assert hub.calls('checkUpload')[0].kwargs == {'volume': 'vol1'}
    assert bytes(hub.uploads[('p', 'renamed')]) == data


def test_fast_upload_empty_file(hub, tmp_path):
    empty = tmp_path / 'empty.log'
    empty.write_bytes(b'')
    session = make_session(hub)
    session.fastUpload(str(empty), 'x')
    chunks = raw(hub)
    assert len(chunks) == 1 and chunks[0].body == b''
    assert hub.uploads[('x', 'empty.log')] == bytearray()


def test_fast_upload_requires_login(hub, payload):
    session = ClientSession(hub.url)
    with pytest.raises(ActionNotAllowed):
        session.fastUpload(payload[0], 'x')
    assert hub.requests == []


def test_fast_upload_existing_file(hub, payload):
    session = make_session(hub)
    hub.uploads[('x', 'data.bin')] = bytearray(b'mine')
    with pytest.raises(GenericError, match='upload path exists'):
        session.fastUpload(payload[0], 'x')


def test_fast_upload_bad_digest(hub, payload):
    session = make_session(hub)
    hub.add_action('corrupt', method='rawUpload')
    with pytest.raises(GenericError, match='checksum failed'):
        session.fastUpload(payload[0], 'x', blocksize=1000)


def test_fast_upload_wrong_final_size(hub, payload):
    session = make_session(hub)
    hub.add_action(('result', {'size': 5, 'mtime': 0}), method='checkUpload')
    with pytest.raises(GenericError, match='wrong length'):
        session.fastUpload(payload[0], 'x', blocksize=1000)


def test_resume_after_drop_once_stored(hub, payload, clock):
    # the hub stores chunk 2 but the reply is lost: the client's resend of that same
    # request is refused as a repeat, so it asks checkUpload and goes on from there
    localfile, data = payload
    session = make_session(hub)
    hub.add_action(None, method='rawUpload')  # chunk 1 passes
    hub.add_action('drop-after', method='rawUpload')  # chunk 2 stored, reply lost
    session.fastUpload(localfile, 'x', blocksize=1000)
    assert bytes(hub.uploads[('x', 'data.bin')]) == data
    chunks = raw(hub)
    assert [r.query['offset'] for r in chunks] == ['0', '1000', '1000', '2000']
    assert chunks[1].dropped
    assert chunks[1].header('Koji-Session-Callnum') == chunks[2].header(
        'Koji-Session-Callnum')
    checks = hub.calls('checkUpload')
    assert checks[0].kwargs == {}  # where to resume
    assert checks[-1].kwargs == {'verify': 'adler32'}  # whole file verified at the end
    assert clock.sleeps == []


def test_resume_after_drop_before_storing(hub, payload, clock):
    localfile, data = payload
    session = make_session(hub, retry_interval=5)
    hub.add_action(None, method='rawUpload')
    hub.add_action('drop', method='rawUpload', times=4)
    session.fastUpload(localfile, 'x', blocksize=1000)
    assert bytes(hub.uploads[('x', 'data.bin')]) == data
    offsets = [(r.query['offset'], r.dropped) for r in raw(hub)]
    assert offsets == [('0', False), ('1000', True), ('1000', True), ('1000', True),
                       ('1000', True), ('1000', False), ('2000', False)]
    # first resume immediately, the second after retry_interval
    assert clock.sleeps == [5]
    assert [c.kwargs for c in hub.calls('checkUpload')] == [{}, {}, {'verify': 'adler32'}]


def test_resume_partial_chunk(hub, payload, clock):
    # the hub kept only part of a chunk: continue from exactly what it has
    localfile, data = payload
    session = make_session(hub)
    hub.add_action(None, method='rawUpload')
    hub.add_action('drop', method='rawUpload', times=2)
    real_check = hub._check_upload

    def check(rec, path, name, **kw):
        if not check.done:
            check.done = True
            hub.uploads[(path, name)].extend(data[1000:1300])
        return real_check(rec, path, name, **kw)

    check.done = False
    hub.handlers['checkUpload'] = check
    session.fastUpload(localfile, 'x', blocksize=1000)
    assert bytes(hub.uploads[('x', 'data.bin')]) == data
    assert [r.query['offset'] for r in raw(hub) if not r.dropped] == ['0', '1300', '2300']


def test_resume_gives_up_after_max_retries(hub, payload, clock):
    session = make_session(hub, max_retries=2)
    hub.add_action('drop', method='rawUpload', times=100)
    with pytest.raises(Exception) as info:
        session.fastUpload(payload[0], 'x', blocksize=1000)
    assert koji.client.is_conn_error(info.value)
    assert len(hub.calls('checkUpload')) == 2


def test_resume_verifies_whole_file(hub, payload, clock):
    localfile, data = payload
    session = make_session(hub)
    hub.add_action(None, method='rawUpload')
    hub.add_action('drop-after', method='rawUpload')

    real_check = hub._check_upload

    def check(rec, path, name, **kw):
        info = real_check(rec, path, name, **kw)
        if kw.get('verify'):
            info['hexdigest'] = 'deadbeef'
        return info

    hub.handlers['checkUpload'] = check
    with pytest.raises(GenericError, match='wrong checksum'):
        session.fastUpload(localfile, 'x', blocksize=1000)


# ---- uploadWrapper and the legacy path --------------------------------------------------

def test_wrapper_fast_when_configured(hub, payload):
    session = make_session(hub, use_fast_upload=True)
    session.uploadWrapper(payload[0], 'w', blocksize=1000)
    assert len(raw(hub)) == 3
    assert raw(hub)[0].query['overwrite'] == '1'  # uploadWrapper overwrites by default
    assert len(hub.calls('checkUpload')) == 1


def test_wrapper_probes_hub(hub, payload):
    session = make_session(hub)
    session.uploadWrapper(payload[0], 'w', name='n.bin', volume='DEFAULT')
    assert hub.methods() == ['login', 'checkUpload', 'rawUpload', 'checkUpload']
    assert hub.calls('checkUpload')[0].args == ('w', 'n.bin')
    assert raw(hub)[0].query['volume'] == 'DEFAULT'


def test_wrapper_legacy_upload(hub, payload):
    localfile, data = payload
    del hub.handlers['checkUpload']
    session = make_session(hub, use_fast_upload=False)
    seen = []
    session.uploadWrapper(localfile, 'legacy', blocksize=1000, volume='vol2',
                          callback=lambda *a: seen.append(a))
    assert bytes(hub.uploads[('legacy', 'data.bin')]) == data
    ups = hub.calls('uploadFile')
    assert len(ups) == 4
    for rec, ofs in zip(ups, (0, 1000, 2000)):
        chunk = data[ofs:ofs + 1000]
        assert rec.args == ('legacy', 'data.bin', len(chunk),
                            ['sha256', hashlib.sha256(chunk).hexdigest()], ofs,
                            base64.b64encode(chunk).decode())
        assert rec.kwargs == {'volume': 'vol2'}
    assert ups[3].args == ('legacy', 'data.bin', 2500,
                           ['sha256', hashlib.sha256(data).hexdigest()], -1, '')
    assert [s[:3] for s in seen] == [(0, 2500, 0), (1000, 2500, 1000), (2000, 2500, 1000),
                                     (2500, 2500, 500)]


def test_legacy_chunk_retried_on_false(hub, payload):
    localfile, data = payload
    del hub.handlers['checkUpload']
    session = make_session(hub)
    hub.add_action(('result', False), method='uploadFile', times=3)
    session.uploadWrapper(localfile, 'legacy', blocksize=1000)
    assert bytes(hub.uploads[('legacy', 'data.bin')]) == data
    assert [r.args[4] for r in hub.calls('uploadFile')] == [0, 0, 0, 0, 1000, 2000, -1]


def test_legacy_chunk_gives_up(hub, payload):
    del hub.handlers['checkUpload']
    session = make_session(hub)
    hub.add_action(('result', False), method='uploadFile', times=4)
    with pytest.raises(GenericError, match='Error uploading file legacy, offset 0'):
        session.uploadWrapper(payload[0], 'legacy', blocksize=1000)
    assert len(hub.calls('uploadFile')) == 4


def test_legacy_resend_of_stored_chunk(hub, payload, clock):
    localfile, data = payload
    del hub.handlers['checkUpload']
    session = make_session(hub)
    hub.add_action(None, method='uploadFile')
    hub.add_action('drop-after', method='uploadFile')
    session.uploadWrapper(localfile, 'legacy', blocksize=1000)
    assert bytes(hub.uploads[('legacy', 'data.bin')]) == data
    assert [r.args[4] for r in hub.calls('uploadFile')] == [0, 1000, 1000, 2000, -1]


def test_wire_int():
    assert koji.upload._wire_int(5) == 5
    assert koji.upload._wire_int(2 ** 31) == '2147483648'
