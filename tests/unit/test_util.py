"""koji.util helpers."""
import datetime
import hashlib
import os
import resource
import time
import warnings
import xmlrpc.client
import zlib

import pytest

import koji
from koji import util


def test_md5_constructor():
    assert util.md5_constructor(b'abc').hexdigest() == hashlib.md5(b'abc').hexdigest()
    digest = util.md5_constructor()
    digest.update(b'abc')
    assert digest.hexdigest() == '900150983cd24fb0d6963f7d28e17f72'


@pytest.mark.parametrize('chunks', [[b''], [b'hello'], [b'hello', b' ', b'world'],
                                    [os.urandom(5000), os.urandom(70000)]])
def test_adler32_matches_zlib(chunks):
    whole = b''.join(chunks)
    summer = util.adler32_constructor()
    for chunk in chunks:
        summer.update(chunk)
    expected = zlib.adler32(whole) & 0xffffffff
    assert summer.digest() == expected
    assert summer.hexdigest() == '%08x' % expected
    assert util.adler32_constructor(whole).digest() == expected


def test_adler32_copy_and_attrs():
    summer = util.adler32_constructor('abc')
    dup = summer.copy()
    dup.update(b'def')
    assert summer.digest() == zlib.adler32(b'abc')
    assert dup.digest() == zlib.adler32(b'abcdef')
    assert util.adler32_constructor.digest_size == 4
    assert util.adler32_constructor.block_size == 1
    assert util.adler32_constructor().hexdigest() == '00000001'


def test_deprecated_always_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('ignore')
        util.deprecated('old thing')
    assert [str(w.message) for w in caught] == ['old thing']
    assert caught[0].category is DeprecationWarning


def test_format_changelog():
    entries = [
        {'date': '2023-11-14 00:00:00', 'author': 'Bob <bob@example.com> - 1.0-1',
         'text': '- first'},
        {'date': '2023-01-02 00:00:00', 'author': 'Al', 'text': '- second'},
    ]
    assert util.formatChangelog(entries) == (
        '* Tue Nov 14 2023 Bob <bob@example.com> - 1.0-1\n- first\n\n'
        '* Mon Jan 02 2023 Al\n- second\n\n')
    assert util.formatChangelog([]) == ''


def test_parse_time():
    assert util.parseTime('2023-11-14 22:13:20') == 1700000000
    assert util.parseTime('2023-11-14') == 1699920000
    assert util.parseTime('junk') is None
    assert util.DATE_RE.match('2023-01-01') and util.TIME_RE.match('01:02:03')


def test_duration(monkeypatch):
    monkeypatch.setattr(time, 'time', lambda: 1000.0)
    assert util.duration(1000 - 125) == '2:05'
    assert util.duration(1000) == '0:00'
    assert util.duration(1000 - 3600) == '60:00'


def test_print_list():
    assert util.printList([]) == ''
    assert util.printList(['a']) == 'a'
    assert util.printList(['a', 'b']) == 'a and b'
    assert util.printList(['a', 'b', 'c']) == 'a, b, and c'


def test_base64():
    assert util.base64encode('hi') == 'aGk='
    assert util.base64encode(b'\x00\xff') == 'AP8='
    assert util.base64encode('hi', as_bytes=True) == b'aGk='
    assert util.base64decode('AP8=') == b'\x00\xff'


def test_decode_bytes():
    assert util.decode_bytes(b'caf\xc3\xa9') == 'caf\xe9'
    assert util.decode_bytes(b'caf\xe9') == 'caf\xe9'
    assert util.decode_bytes(b'\xa4', fallback='iso8859-15') == '\u20ac'
    assert util.decode_bytes('already') == 'already'


def test_multi_fnmatch():
    assert util.multi_fnmatch('foo-devel', 'bar *-devel')
    assert util.multi_fnmatch('foo', ['x', 'f?o'])
    assert not util.multi_fnmatch('foo', 'bar baz')
    assert not util.multi_fnmatch('foo', [])


def test_dslice():
    data = {'a': 1, 'b': 2, 'c': 3}
    assert util.dslice(data, ['a', 'c']) == {'a': 1, 'c': 3}
    with pytest.raises(KeyError):
        util.dslice(data, ['a', 'z'])
    assert util.dslice(data, ['a', 'z'], strict=False) == {'a': 1}
    assert util.dslice_ex(data, ['a']) == {'b': 2, 'c': 3}
    with pytest.raises(KeyError):
        util.dslice_ex(data, ['z'])
    assert util.dslice_ex(data, ['z'], strict=False) == data
    assert data == {'a': 1, 'b': 2, 'c': 3}


def test_encode_datetime():
    stamp = datetime.datetime(2024, 5, 6, 7, 8, 9, 123)
    assert util.encode_datetime(stamp) == '2024-05-06 07:08:09.000123'
    assert util.encode_datetime(xmlrpc.client.DateTime('20240506T07:08:09')) == \
        '2024-05-06 07:08:09'
    assert util.encode_datetime(5) == 5
    nested = {'a': [stamp, (stamp, 1)], 'b': {'c': None}}
    assert util.encode_datetime_recurse(nested) == {
        'a': ['2024-05-06 07:08:09.000123', ('2024-05-06 07:08:09.000123', 1)],
        'b': {'c': None}}


def test_data_walker_bottom_up():
    seen = []

    def callback(value, suffix):
        seen.append(value)
        if isinstance(value, str):
            return value + suffix
        return value

    result = util.DataWalker({'k': ['v', ('w',)]}, callback, {'suffix': '!'}).walk()
    assert result == {'k!': ['v!', ('w!',)]}
    assert seen[-1] == result  # the container comes last


def test_call_with_argcheck():
    def func(a, b=2):
        return a + b

    assert util.call_with_argcheck(func, [1]) == 3
    assert util.call_with_argcheck(func, [1], {'b': 5}) == 6
    with pytest.raises(koji.ParameterError):
        util.call_with_argcheck(func, [1, 2, 3])
    with pytest.raises(koji.ParameterError):
        util.call_with_argcheck(func, [], {'c': 1})


def test_call_with_argcheck_inner_type_error_propagates():
    def helper(x):
        return x + 'a'

    def func(a):
        return helper(a)

    with pytest.raises(TypeError) as exc:
        util.call_with_argcheck(func, [1])
    assert not isinstance(exc.value, koji.ParameterError)
    assert exc.type is TypeError


def test_apply_argspec():
    spec = (['a', 'b', 'c'], None, None, (3,))
    assert util.apply_argspec(spec, [1, 2]) == {'a': 1, 'b': 2, 'c': 3}
    assert util.apply_argspec(spec, [1], {'b': 5, 'c': 6}) == {'a': 1, 'b': 5, 'c': 6}
    with pytest.raises(koji.ParameterError):
        util.apply_argspec(spec, [1, 2, 3, 4])
    with pytest.raises(koji.ParameterError):
        util.apply_argspec(spec, [1, 2], {'a': 1})
    with pytest.raises(koji.ParameterError):
        util.apply_argspec(spec, [1, 2], {'zz': 1})
    with pytest.raises(koji.ParameterError):
        util.apply_argspec(spec, [1])
    varspec = (['a'], 'args', 'kw', None)
    assert util.apply_argspec(varspec, [1, 2, 3], {'x': 4}) == {
        'a': 1, 'args': (2, 3), 'kw': {'x': 4}}
    assert util.apply_argspec(varspec, [1]) == {'a': 1, 'args': (), 'kw': {}}


def test_hidden_value():
    secret = util.HiddenValue('pw')
    assert secret.value == 'pw'
    assert str(secret) == '[value hidden]'
    assert 'pw' not in repr(secret)
    assert util.HiddenValue(secret).value == 'pw'


def test_lazy_values():
    calls = []

    def compute(x, y=0):
        calls.append(x)
        return x + y

    lazy = util.LazyValue(compute, [1], {'y': 2})
    assert lazy.get() == 3 and lazy.get() == 3
    assert len(calls) == 2
    cached = util.LazyValue(compute, [5], cache=True)
    assert cached.get() == 5 and cached.get() == 5
    assert calls.count(5) == 1
    assert util.lazy_eval(cached) == 5
    assert util.lazy_eval('plain') == 'plain'
    assert str(util.LazyString(lambda: 42, [])) == '42'


def test_lazy_dict():
    data = util.LazyDict({'plain': 1})
    data.lazyset('lazy', lambda a: a * 2, [4])
    assert data['lazy'] == 8
    assert data.get('lazy') == 8
    assert data.get('missing', 'd') == 'd'
    assert sorted(data.values()) == [1, 8]
    assert sorted(data.items()) == [('lazy', 8), ('plain', 1)]
    assert sorted(data.iteritems()) == [('lazy', 8), ('plain', 1)]
    copied = data.copy()
    assert isinstance(copied, util.LazyDict) and copied['lazy'] == 8
    assert data.pop('lazy') == 8
    assert data.popitem() == ('plain', 1)


def test_lazy_record():
    base = util.LazyRecord()
    base.x = 1
    util.lazysetattr(base, 'y', lambda: 'computed', [])
    assert base.y == 'computed'
    child = util.LazyRecord(base)
    assert child.x == 1 and child.y == 'computed'
    with pytest.raises(AttributeError):
        child.nothing
    with pytest.raises(TypeError):
        util.lazysetattr(object(), 'y', len, [])


def test_safer_move(tmp_path):
    src = tmp_path / 'src'
    src.write_text('x')
    dst = tmp_path / 'dst'
    util.safer_move(str(src), str(dst))
    assert dst.read_text() == 'x' and not src.exists()
    other = tmp_path / 'other'
    other.write_text('y')
    with pytest.raises(koji.GenericError):
        util.safer_move(str(other), str(dst))
    link = tmp_path / 'dangling'
    os.symlink(str(tmp_path / 'nowhere'), str(link))
    with pytest.raises(koji.GenericError):
        util.safer_move(str(other), str(link))


def test_move_and_symlink(tmp_path):
    src = tmp_path / 'a' / 'file'
    src.parent.mkdir()
    src.write_text('data')
    dst = tmp_path / 'b' / 'c' / 'file'
    util.move_and_symlink(str(src), str(dst), create_dir=True)
    assert os.path.islink(str(src))
    assert os.readlink(str(src)) == '../b/c/file'
    assert src.read_text() == 'data'
    src2 = tmp_path / 'a' / 'file2'
    src2.write_text('d2')
    dst2 = tmp_path / 'b' / 'file2'
    util.move_and_symlink(str(src2), str(dst2), relative=False)
    assert os.readlink(str(src2)) == str(dst2)


def test_joinpath():
    assert util.joinpath('/top', 'a', 'b/c') == '/top/a/b/c'
    assert util.joinpath('/top', 'a/../b') == '/top/b'
    for bad in ('/etc', '..', '../x', 'a/../../x'):
        with pytest.raises(ValueError):
            util.joinpath('/top', bad)


def test_rmtree(tmp_path):
    top = tmp_path / 'tree'
    deep = top
    for i in range(30):
        deep = deep / ('d%i' % i)
    deep.mkdir(parents=True)
    (deep / 'f').write_text('x')
    (top / 'file').write_text('y')
    (top / 'd0' / 'sibling').mkdir()
    os.symlink('/etc', str(top / 'link'))
    cwd = os.getcwd()
    util.rmtree(str(top))
    assert not top.exists()
    assert os.getcwd() == cwd
    assert os.path.exists('/etc')


def test_rmtree_background_and_errors(tmp_path):
    top = tmp_path / 'tree2'
    (top / 'x').mkdir(parents=True)
    pid, check = util.rmtree(str(top), background=True)
    assert isinstance(pid, int)
    check()
    assert not top.exists()
    assert util.rmtree(str(tmp_path / 'missing')) is None
    afile = tmp_path / 'afile'
    afile.write_text('x')
    with pytest.raises(koji.GenericError):
        util.rmtree(str(afile))


def test_parse_status_and_success():
    assert util.isSuccess(0)
    assert not util.isSuccess(1 << 8)
    assert not util.isSuccess(9)
    assert util.parseStatus(0, 'cmd') == 'cmd exited with status 0'
    assert util.parseStatus(3 << 8, ['mock', '--init']) == 'mock --init exited with status 3'
    assert util.parseStatus(9, 'cmd') == 'cmd was killed by signal 9'
    assert util.parseStatus(0x137f, 'cmd') == 'cmd terminated for unknown reasons'


def test_setup_rlimits():
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    messages = []

    class Log(object):
        def warning(self, *args):
            messages.append(args)

        error = warning

    target = 0 if hard != 0 else hard
    try:
        util.setup_rlimits({'RLIMIT_CORE': str(target), 'RLIMIT_BOGUS': '1', 'other': 'x',
                            'RLIMIT_NOFILE': 'a b'}, logger=Log())
        assert resource.getrlimit(resource.RLIMIT_CORE) == (target, hard)
        assert any('Invalid resource limit' in m[0] for m in messages)
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def test_tsort():
    parts = {'a': set(), 'b': {'a'}, 'c': {'a', 'b'}, 'd': set()}
    assert util.tsort(parts) == [{'a', 'd'}, {'b'}, {'c'}]
    assert parts['c'] == {'a', 'b'}
    with pytest.raises(ValueError):
        util.tsort({'a': {'b'}, 'b': {'a'}})
    assert util.tsort({}) == []


def test_to_list():
    lst = [1]
    assert util.to_list(lst) is lst
    assert util.to_list({'a': 1}.keys()) == ['a']
    assert util.to_list((1, 2)) == [1, 2]


def test_format_shell_cmd():
    assert util.format_shell_cmd(['ls', '-l']) == 'ls -l'
    cmd = ['mock', '-r', '/a/very/long/path/to/a/config/file.cfg', '--no-clean',
           '--target', 'x86_64', '--rebuild', '/another/rather/long/path/pkg.src.rpm']
    text = util.format_shell_cmd(cmd, text_width=40)
    lines = text.split(' \\\n')
    assert ' '.join(lines) == ' '.join(cmd)
    assert all(len(line) <= 38 for line in lines if ' ' in line)
    assert len(lines) > 1


def test_extract_build_task():
    assert util.extract_build_task({'task_id': 5}) == 5
    assert util.extract_build_task({'task_id': None,
                                    'extra': {'container_koji_task_id': 7}}) == 7
    assert util.extract_build_task({'task_id': None, 'extra': None}) is None
    assert util.extract_build_task({}) is None


def test_event_from_opts():
    class Session(object):
        def getEvent(self, event_id):
            return {'id': event_id, 'ts': 1}

        def getLastEvent(self, before=None):
            return {'id': 99, 'ts': before}

        def repoInfo(self, repo, strict=False):
            return {'create_event': 12, 'create_ts': 34.5}

    class Opts(object):
        def __init__(self, **kw):
            self.__dict__.update(kw)

    session = Session()
    assert util.eventFromOpts(session, Opts(event=5)) == {'id': 5, 'ts': 1}
    assert util.eventFromOpts(session, Opts(event=None, ts=100)) == {'id': 99, 'ts': 100}
    assert util.eventFromOpts(session, Opts(repo=3)) == {'id': 12, 'ts': 34.5}
    assert util.eventFromOpts(session, Opts()) is None


def test_check_for_builds():
    class Session(object):
        def __init__(self):
            self.calls = []

        def listTagged(self, tag, event=None, package=None, inherit=False):
            self.calls.append(('listTagged', tag, event, package, inherit))
            return [{'version': '1', 'release': '1'}, {'version': '2', 'release': '1'}]

        def getLatestBuilds(self, tag, event=None, package=None):
            self.calls.append(('getLatestBuilds', tag, event, package))
            return [{'version': '2', 'release': '1'}]

    session = Session()
    old = {'name': 'a', 'version': '1', 'release': '1'}
    assert util.checkForBuilds(session, 'f40', [old], 5) is True
    assert session.calls == [('listTagged', 'f40', 5, 'a', True)]
    assert util.checkForBuilds(session, 'f40', [old], 5, latest=True) is False
    assert util.checkForBuilds(session, 'f40', [dict(old, version='2')], None, latest=True)
    assert util.checkForBuilds(session, 'f40', [dict(old, version='3')], None) is False
    assert util.checkForBuilds(session, 'f40', [], None) is True
