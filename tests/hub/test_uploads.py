"""Uploads into the work area (raw and legacy), checkUpload and task output, in-process."""
import base64
import fcntl
import hashlib
import io
import os
import urllib.parse
import xmlrpc.client
import zlib

import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.tasks import uploads
from kojihub.hosts.hosts import add_host
from kojihub.tasks.uploads import UploadExports
from tests.fixtures.procs import fork_child

api = UploadExports()


@pytest.fixture
def alice(make_user, login_as):
    make_user('alice')
    make_user('bob')
    return login_as('alice')


def raw(data, **query):
    """Run handle_upload for one chunk with the given query parameters."""
    query.setdefault('fileverify', 'adler32')
    environ = {'QUERY_STRING': urllib.parse.urlencode(query),
               'CONTENT_LENGTH': str(len(data)), 'wsgi.input': io.BytesIO(data)}
    return uploads.handle_upload(environ)


def work(topdir, *parts):
    return os.path.join(topdir, 'work', *parts)


def read(path):
    with open(path, 'rb') as fo:
        return fo.read()


def test_raw_requires_login(topdir, new_request):
    new_request()
    with pytest.raises(koji.ActionNotAllowed, match='logged-in'):
        raw(b'abc', filename='a.txt', filepath='up/x')


def test_raw_chunks_and_digests(topdir, alice):
    ret = raw(b'hello ', filename='a.txt', filepath='up/x', offset='0')
    assert ret == {'size': 6, 'fileverify': 'adler32', 'offset': 0,
                   'hexdigest': '%08x' % zlib.adler32(b'hello ')}
    ret = raw(b'world', filename='a.txt', filepath='up/x', offset='6', fileverify='md5')
    assert ret['hexdigest'] == hashlib.md5(b'world').hexdigest()
    ret = raw(b'!', filename='a.txt', filepath='up/x', offset='-1', fileverify='sha256')
    assert ret['offset'] == 11 and ret['hexdigest'] == hashlib.sha256(b'!').hexdigest()
    ret = raw(b'?', filename='a.txt', filepath='up/x', offset='12', fileverify='')
    assert ret == {'size': 1, 'fileverify': '', 'offset': 12}
    assert read(work(topdir, 'up/x/a.txt')) == b'hello world!?'
    # the first uploader owns the directory
    assert read(work(topdir, 'up/x/.user')).decode() == str(context.session.user_id)
    info = api.checkUpload('up/x', 'a.txt', verify='adler32')
    assert info['size'] == 13 and info['sumlength'] == 13
    assert info['hexdigest'] == '%08x' % zlib.adler32(b'hello world!?')
    tail = api.checkUpload('up/x', 'a.txt', verify='md5', tail=2)
    assert tail['sumlength'] == 2 and tail['hexdigest'] == hashlib.md5(b'!?').hexdigest()
    assert set(api.checkUpload('up/x', 'a.txt')) == {'size', 'mtime'}
    assert api.checkUpload('up/x', 'missing.txt') is None
    with pytest.raises(koji.GenericError):
        api.checkUpload('up/x', 'a.txt', verify='md5', tail=-1)


def test_raw_empty_file_and_overwrite(topdir, alice):
    assert raw(b'', filename='e', filepath='up/e')['size'] == 0
    assert os.path.getsize(work(topdir, 'up/e/e')) == 0
    with pytest.raises(koji.GenericError, match='upload path exists'):
        raw(b'x', filename='e', filepath='up/e')
    raw(b'abcdef', filename='e', filepath='up/e', overwrite='1')
    raw(b'XY', filename='e', filepath='up/e', overwrite='1', offset='2')
    # overwrite truncates at the offset
    assert read(work(topdir, 'up/e/e')) == b'abXY'


def test_raw_length_check(topdir, alice):
    raw(b'abcdef', filename='l', filepath='up/l')
    with pytest.raises(koji.GenericError, match='Incorrect upload length'):
        raw(b'Z', filename='l', filepath='up/l', offset='2')


@pytest.mark.parametrize('path,name', [
    ('../x', 'a'), ('up/../../x', 'a'), ('/etc', 'a'), ('', 'a'), ('.', 'a'),
    ('up', '.hidden'), ('up', 'a/b'), ('up', '../a'), ('up', '.user'),
])
def test_raw_path_confinement(topdir, alice, path, name):
    with pytest.raises(koji.GenericError, match='Invalid upload'):
        raw(b'x', filename=name, filepath=path)
    assert not os.path.exists(os.path.join(topdir, 'x'))


def test_bad_verify_and_query(topdir, alice):
    with pytest.raises(koji.GenericError, match='Unsupported verify type: crc'):
        raw(b'x', filename='a', filepath='up/v', fileverify='crc')
    with pytest.raises(koji.GenericError):
        uploads.handle_upload({'QUERY_STRING': 'filepath=up', 'wsgi.input': io.BytesIO()})


def test_directory_ownership(topdir, alice, login_as):
    raw(b'x', filename='a', filepath='up/own')
    login_as('bob')
    with pytest.raises(koji.GenericError, match='not owner'):
        raw(b'x', filename='b', filepath='up/own')
    with pytest.raises(koji.GenericError, match='not owner'):
        api.uploadFile('up/own', 'c', 1, None, 0, base64.b64encode(b'x').decode())
    raw(b'x', filename='b', filepath='up/bobs')


def test_destination_must_be_regular_file(topdir, alice):
    raw(b'x', filename='a', filepath='up/s')
    os.symlink('/etc/passwd', work(topdir, 'up/s/link'))
    with pytest.raises(koji.GenericError, match='not a file'):
        raw(b'x', filename='link', filepath='up/s', offset='1')
    with pytest.raises(koji.GenericError):
        api.checkUpload('up/s', 'link')


def test_lock_error(topdir, alice):
    raw(b'abc', filename='a', filepath='up/lock')
    fn = work(topdir, 'up/lock/a')
    # a lock held by another process (a forked child) makes the hub's lock fail at once
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()

    def hold_lock():
        fd = os.open(fn, os.O_RDWR)
        fcntl.lockf(fd, fcntl.LOCK_EX)
        os.write(ready_w, b'1')
        os.read(done_r, 1)

    pid = fork_child(hold_lock)
    try:
        os.read(ready_r, 1)
        with pytest.raises(koji.LockError):
            raw(b'd', filename='a', filepath='up/lock', offset='3')
        with pytest.raises(koji.LockError):
            api.checkUpload('up/lock', 'a')
    finally:
        os.write(done_w, b'1')
        os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, done_r, done_w):
            os.close(fd)
    raw(b'd', filename='a', filepath='up/lock', offset='3')


def test_volume(topdir, alice):
    with pytest.raises(koji.GenericError):
        raw(b'x', filename='a', filepath='up/vol', volume='nosuchvol')
    db.InsertProcessor('volume', data={'name': 'vol1'}).execute()
    raw(b'x', filename='a', filepath='up/vol', volume='vol1')
    assert read(os.path.join(topdir, 'vol/vol1/work/up/vol/a')) == b'x'
    assert api.checkUpload('up/vol', 'a', volume='vol1')['size'] == 1
    assert api.checkUpload('up/vol', 'a') is None


def _task(host_id, state='OPEN'):
    return db._singleValue(
        "INSERT INTO task (state, channel_id, owner, method, arch, request, host_id) "
        "VALUES (%(state)s, 1, %(owner)s, 'build', 'noarch', '<?xml version=\"1.0\"?>', "
        "%(host)s) RETURNING id",
        {'state': koji.TASK_STATES[state], 'owner': context.session.user_id,
         'host': host_id})


def test_task_dirs(topdir, make_user, login_as):
    make_user('hadmin', perms=['admin'])
    login_as('hadmin')
    host1 = add_host('builder1', ['x86_64'])
    host2 = add_host('builder2', ['x86_64'])
    open_task = _task(host1)
    other_task = _task(host2)
    closed_task = _task(host1, 'CLOSED')
    context.cnx.commit()
    relpath = koji.pathinfo.taskrelpath(open_task)
    # a normal user may not write into task dirs
    with pytest.raises(koji.ActionNotAllowed):
        raw(b'x', filename='a.log', filepath=relpath)
    login_as('builder1')
    ret = raw(b'log line\n', filename='a.log', filepath=relpath)
    assert ret['size'] == 9
    raw(b'rpm', filename='x.rpm', filepath=relpath + '/sub')
    with pytest.raises(koji.ActionNotAllowed):
        raw(b'x', filename='a', filepath=koji.pathinfo.taskrelpath(other_task))
    with pytest.raises(koji.ActionNotAllowed):
        raw(b'x', filename='a', filepath=koji.pathinfo.taskrelpath(closed_task))
    with pytest.raises(koji.GenericError):
        raw(b'x', filename='a', filepath='tasks/1/notanumber')
    assert not os.path.exists(os.path.join(koji.pathinfo.task(open_task), '.user'))
    # task output reads
    assert sorted(api.listTaskOutput(open_task)) == ['a.log', 'sub/x.rpm']
    stat = api.listTaskOutput(open_task, stat=True)
    assert stat['a.log']['st_size'] == '9'
    assert set(stat['a.log']) == {'st_size', 'st_atime', 'st_mtime', 'st_ctime'}
    assert api.listTaskOutput(open_task, all_volumes=True) == {
        'a.log': ['DEFAULT'], 'sub/x.rpm': ['DEFAULT']}
    assert set(api.listTaskOutput(open_task, stat=True, all_volumes=True)['a.log']) == \
        {'DEFAULT'}
    assert api.listTaskOutput(999999) == []
    with pytest.raises(koji.GenericError, match="Task doesn't exist"):
        api.listTaskOutput(999999, strict=True)
    dl = api.downloadTaskOutput
    assert base64.b64decode(dl(open_task, 'a.log')) == b'log line\n'
    assert base64.b64decode(dl(open_task, 'a.log', offset=4, size=4)) == b'line'
    assert base64.b64decode(dl(open_task, 'a.log', offset=-5)) == b'line\n'
    assert base64.b64decode(dl(open_task, 'sub/x.rpm')) == b'rpm'
    for bad in ('../x', '/etc/passwd', 'nosuch'):
        with pytest.raises(koji.GenericError):
            dl(open_task, bad)


def test_legacy_upload(topdir, alice):
    data = os.urandom(3000)
    b64 = base64.b64encode
    first, second = data[:2000], data[2000:]
    md5 = hashlib.md5(first).hexdigest()
    # size or digest mismatch: refused without writing
    assert api.uploadFile('up/leg', 'f.bin', 1999, md5, 0, b64(first).decode()) is False
    assert api.uploadFile('up/leg', 'f.bin', 2000, 'bad', 0, b64(first).decode()) is False
    assert api.checkUpload('up/leg', 'f.bin') is None
    assert api.uploadFile('up/leg', 'f.bin', 2000, md5, 0, b64(first).decode()) is True
    sha = hashlib.sha256(second).hexdigest()
    assert api.uploadFile('up/leg', 'f.bin', '1000', ('sha256', sha), '2000',
                          b64(second).decode()) is True
    whole = hashlib.sha256(data).hexdigest()
    assert api.uploadFile('up/leg', 'f.bin', 3000, None, -1, '',
                          checksum=('sha256', 'nope')) is False
    assert api.uploadFile('up/leg', 'f.bin', 3000, ('sha256', whole), -1, '') is True
    assert read(work(topdir, 'up/leg/f.bin')) == data
    # the final call truncates to the announced size
    adler = '%08x' % zlib.adler32(data[:10])
    assert api.uploadFile('up/leg', 'f.bin', 10, ('adler32', adler), -1, '') is True
    assert read(work(topdir, 'up/leg/f.bin')) == data[:10]
    # offset 0 again is refused, except for logs
    with pytest.raises(koji.GenericError, match='exists'):
        api.uploadFile('up/leg', 'f.bin', 1, None, 0, b64(b'x').decode())
    api.uploadFile('up/leg', 'b.log', 2, None, 0, b64(b'ab').decode())
    assert api.uploadFile('up/leg', 'b.log', 1, None, 0, b64(b'c').decode()) is True
    assert read(work(topdir, 'up/leg/b.log')) == b'cb'
    with pytest.raises(koji.GenericError, match='Unsupported verify type'):
        api.uploadFile('up/leg', 'g', 1, ('crc', 'x'), 0, b64(b'x').decode())


def test_legacy_requires_login(topdir, new_request):
    new_request()
    with pytest.raises(koji.ActionNotAllowed):
        api.uploadFile('up/x', 'a', 1, None, 0, base64.b64encode(b'x').decode())


# ---------------------------------------------------------------------------
# symlinks inside the work area, values no file can have

@pytest.fixture
def outside(tmp_path):
    """A directory outside the work area, with one file, that links may point to."""
    path = tmp_path / 'outside'
    path.mkdir()
    (path / 'secret').write_bytes(b'secret data')
    return str(path)


def _snapshot(path):
    return sorted((name, read(os.path.join(path, name))) for name in os.listdir(path))


@pytest.mark.parametrize('link', ['up/evil', 'up/deeper/evil'])
def test_directory_symlinks_are_not_followed(topdir, alice, outside, link):
    raw(b'x', filename='a', filepath='up/deeper')
    os.symlink(outside, work(topdir, link))
    before = _snapshot(outside)
    b64 = base64.b64encode(b'x').decode()
    for reldir in (link, link + '/sub'):
        with pytest.raises(koji.GenericError, match='not a directory'):
            raw(b'x', filename='new', filepath=reldir)
        with pytest.raises(koji.GenericError, match='not a directory'):
            raw(b'y', filename='secret', filepath=reldir, offset='-1')
        with pytest.raises(koji.GenericError, match='not a directory'):
            api.uploadFile(reldir, 'new', 1, None, 0, b64)
    # nor read through: checkUpload would tell size and digest of the file outside
    with pytest.raises(koji.GenericError, match='not a directory'):
        api.checkUpload(link, 'secret', verify='md5')
    with pytest.raises(koji.GenericError, match='not a directory'):
        uploads.get_upload_path(link, 'secret')
    assert _snapshot(outside) == before
    assert not os.path.exists(os.path.join(outside, 'sub'))


def test_work_dir_itself_may_be_a_link(topdir, alice, tmp_path):
    # volumes are often links to other mounts: the work dir is trusted as it is
    real = tmp_path / 'realwork'
    os.rename(work(topdir), str(real))
    os.symlink(str(real), work(topdir))
    raw(b'abc', filename='a', filepath='up/vol')
    assert read(str(real / 'up' / 'vol' / 'a')) == b'abc'
    assert api.checkUpload('up/vol', 'a')['size'] == 3


def test_task_output_symlinks_are_not_read(topdir, alice, outside):
    task_dir = koji.pathinfo.task(12345)
    os.makedirs(task_dir)
    os.symlink(os.path.join(outside, 'secret'), os.path.join(task_dir, 'out.log'))
    with pytest.raises(koji.GenericError, match='no file'):
        api.downloadTaskOutput(12345, 'out.log')


@pytest.mark.parametrize('offset', [str(2 ** 70), str(-2 ** 70), '-2', 'inf', '1e3'])
def test_raw_offset_out_of_range(topdir, alice, offset):
    with pytest.raises(koji.GenericError, match='^Invalid upload offset: '):
        raw(b'x', filename='a', filepath='up/off', offset=offset)


def test_bad_names_and_values(topdir, alice):
    b64 = base64.b64encode(b'x').decode()
    with pytest.raises(koji.GenericError, match='^Invalid upload filename: name too long$'):
        api.checkUpload('up/n', 'x' * 5000)
    with pytest.raises(koji.GenericError, match='^Invalid upload directory: name too long$'):
        api.checkUpload('a' * 5000, 'x')
    with pytest.raises(koji.GenericError, match='^Invalid upload filename: name too long$'):
        raw(b'x', filename='x' * 300, filepath='up/n')
    for data in (xmlrpc.client.Binary(b'eA=='), {}, None, 5):
        with pytest.raises(koji.GenericError, match='^Invalid upload data'):
            api.uploadFile('up/n', 'a', 1, None, 0, data)
    with pytest.raises(koji.GenericError, match='^Invalid upload data: not base64$'):
        api.uploadFile('up/n', 'a', 1, None, 0, 'x')
    for offset in (2 ** 70, float('inf'), 'abc', [1]):
        with pytest.raises(koji.GenericError, match='^Invalid upload offset'):
            api.uploadFile('up/n', 'a', 1, None, offset, b64)
    with pytest.raises(koji.GenericError, match='^Invalid upload size'):
        api.uploadFile('up/n', 'a', -5, None, -1, b64)
    with pytest.raises(koji.ParameterError, match='^Invalid task id'):
        api.listTaskOutput(None)
    with pytest.raises(koji.GenericError, match='^Invalid offset or size'):
        api.downloadTaskOutput(1, 'a.log', offset=2 ** 70)
