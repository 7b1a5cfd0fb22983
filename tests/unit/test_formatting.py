"""Time formatting, task labels, text clean-up and tracebacks."""
import datetime
import time
import xmlrpc.client

import pytest

import koji


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_format_time(utc):
    assert koji.formatTime(None) == ''
    assert koji.formatTime('') == ''
    assert koji.formatTime('2025-07-02 16:29:15.123456+00:00') == '2025-07-02 16:29:15'
    assert koji.formatTime('2025-07-02 16:29:15') == '2025-07-02 16:29:15'
    assert koji.formatTime(datetime.datetime(2025, 1, 2, 3, 4, 5, 678)) == '2025-01-02 03:04:05'
    assert koji.formatTime(xmlrpc.client.DateTime('20250102T03:04:05')) == '2025-01-02 03:04:05'
    assert koji.formatTime(0.5 + 86400) == '1970-01-02 00:00:00'
    assert koji.formatTime(1700000000) == '2023-11-14 22:13:20'


def test_format_time_long(utc):
    assert koji.formatTimeLong(None) == ''
    assert koji.formatTimeLong(1700000600) == 'Tue, 14 Nov 2023 22:23:20 UTC'
    assert koji.formatTimeLong('2023-11-14 22:23:20') == 'Tue, 14 Nov 2023 22:23:20 UTC'
    assert koji.formatTimeLong('2023-11-14 23:23:20+01:00') == 'Tue, 14 Nov 2023 22:23:20 UTC'
    assert koji.formatTimeLong(datetime.datetime(2023, 11, 14, 22, 23, 20)) == \
        'Tue, 14 Nov 2023 22:23:20 UTC'


def label(method, request, arch='noarch'):
    return koji.taskLabel({'method': method, 'arch': arch, 'request': request})


def test_task_label_build():
    assert label('build', ['git+https://h/rpms/bash.git#abc', 'f40', {}]) == \
        'build (f40, /rpms/bash.git:abc)'
    assert label('build', ['git://h/rpms/bash.git?sub/dir#abc', 'f40']) == \
        'build (f40, /rpms/bash.git:sub/dir:abc)'
    assert label('build', ['cli-build/123/bash-5-1.src.rpm', 'f40', None]) == \
        'build (f40, bash-5-1.src.rpm)'
    assert label('buildSRPMFromSCM', ['git://h/p.git#1', {'name': 'tag'}]) == \
        'buildSRPMFromSCM (/p.git:1)'
    assert label('buildArch', ['work/x/bash-1-1.src.rpm', 5, 'x86_64', False, {}]) == \
        'buildArch (bash-1-1.src.rpm, x86_64)'


def test_task_label_other_methods():
    assert label('newRepo', ['f40-build']) == 'newRepo (f40-build)'
    assert label('newRepo', koji.encode_args('f40-build', event=5)) == 'newRepo (f40-build)'
    assert label('createrepo', [1, 'x86_64', None]) == 'createrepo (x86_64)'
    assert label('createdistrepo', ['f40', 7, 'x86_64', [], {}]) == 'createdistrepo (7, x86_64)'
    assert label('chainbuild', [[['a']], 'f40-target']) == 'chainbuild (f40-target)'
    assert label('waitrepo', ['f40-build', None, ['a-1-1', 'b-1-1']]) == \
        'waitrepo (f40-build, a-1-1, b-1-1)'
    assert label('waitrepo', ['f40-build']) == 'waitrepo (f40-build)'
    assert label('buildNotification', [[], {'name': 'a', 'version': '1', 'release': '2'},
                                       None, 'http://w']) == 'buildNotification (a-1-2)'
    assert label('restart', [{'name': 'builder1'}]) == 'restart (builder1)'
    assert label('restartVerify', [5, {'name': 'builder1'}]) == 'restartVerify (builder1)'
    assert label('wrapperRPM', ['u', {'name': 'tgt'}, None, None]) == 'wrapperRPM (tgt)'
    assert label('livecd', ['n', 'v', 'x86_64', 't', '/a/b.ks']) == 'livecd (x86_64, n-v, b.ks)'
    assert label('createLiveCD', ['n', 'v', 'r', 'x86_64', {'name': 'tgt'}, {}, {},
                                  '/a/b.ks', {}]) == 'createLiveCD (tgt, n-v-r, b.ks, x86_64)'
    assert label('indirectionimage', [{'name': 'n', 'version': 'v', 'release': 'r'}]) == \
        'indirectionimage (n, v, r)'


def test_task_label_fallbacks():
    assert label('tagBuild', [1, 2], arch='x86_64') == 'tagBuild (x86_64)'
    assert label('someUnknownMethod', [1, 2, 3]) == 'someUnknownMethod (noarch)'
    assert koji.taskLabel({'method': 'build', 'arch': 'noarch'}) == 'build (noarch)'
    assert label('createrepo', [1, 2, 3, 4, 5, 6]) == 'createrepo (noarch, unknown args)'
    assert koji.taskLabel({}) == 'malformed task'
    assert label('buildArch', [None, 1, 'x86_64', False]) == 'malformed task'


def test_remove_nonprintable():
    assert koji.removeNonprintable('a\x00b\x1bc\td\ne\rf') == 'abc\td\ne\rf'
    assert koji.removeNonprintable('x\ufffdy') == 'xy'
    assert koji.removeNonprintable(b'a\x01b') == b'ab'


def test_fix_encoding():
    assert koji.fix_encoding('a\x01') == 'a\x01'
    assert koji.fix_encoding('a\x01', remove_nonprintable=True) == 'a'
    assert koji.fix_encoding('caf\xe9'.encode('utf-8')) == 'caf\xe9'
    assert koji.fix_encoding('caf\xe9'.encode('iso8859-15')) == 'caf\xe9'
    assert koji.fixEncoding(None) == ''
    assert koji.fixEncoding(0) == ''
    assert koji.fixEncoding('x\x02', remove_nonprintable=True) == 'x'
    data = {'k\x01': ['v\x02', ('t\x03', 5)], 'n': None}
    assert koji.fixEncodingRecurse(data, remove_nonprintable=True) == {
        'k': ['v', ('t', 5)], 'n': None}
    assert koji.fixEncodingRecurse(data) == data


def test_hex_string():
    assert koji.hex_string(b'\x00\xab\xff') == '00abff'
    assert koji.hex_string('AB') == '4142'


def test_format_exc_plus():
    def inner(secret_local):
        raise ValueError('boom')

    try:
        inner('visible value')
    except ValueError:
        text = koji.format_exc_plus()
    assert 'ValueError: boom' in text
    assert 'Locals by frame, innermost last' in text
    assert 'Frame inner in' in text
    assert 'secret_local = visible value' in text


def test_format_exc_plus_bad_str():
    class Bad(object):
        def __str__(self):
            raise RuntimeError('no')

    def inner(obj):
        raise KeyError('x')

    try:
        inner(Bad())
    except KeyError:
        text = koji.format_exc_plus()
    assert '<ERROR WHILE PRINTING VALUE>' in text
