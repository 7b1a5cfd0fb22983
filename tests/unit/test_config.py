"""Client profile configuration (koji.conf) reading."""
import optparse
import os

import pytest

import koji
from koji import config as kconfig


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fake home directory so ~/.koji files are under our control."""
    home = tmp_path / 'home'
    home.mkdir()
    monkeypatch.setenv('HOME', str(home))
    return home


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_and_typing(home, tmp_path):
    conf = write(tmp_path / 'koji.conf', '\n'.join([
        '[zz-test-profile]',
        'server = https://hub.example/kojihub',
        'max_retries = 3',
        'timeout = 100',
        'use_fast_upload = no',
        'debug = yes',
        'no_ssl_verify = False',
        'unknown_key = ignored',
        'topdir = /srv/koji',
    ]))
    opts = koji.read_config('zz-test-profile', user_config=str(conf))
    assert opts['profile'] == 'zz-test-profile'
    assert opts['server'] == 'https://hub.example/kojihub'
    assert opts['max_retries'] == 3
    assert opts['timeout'] == 100
    assert opts['use_fast_upload'] is False
    assert opts['debug'] is True
    assert opts['no_ssl_verify'] == 'False'  # kept as a string, as upstream does
    assert 'unknown_key' not in opts
    assert opts['topdir'] == '/srv/koji'
    # untouched defaults
    assert opts['weburl'] == 'http://localhost/koji'
    assert opts['topurl'] is None
    assert opts['retry_interval'] == 20
    assert opts['anon_retry'] is False
    assert opts['auth_timeout'] == 60
    assert opts['upload_blocksize'] == 1048576
    assert opts['poll_interval'] == 6
    assert opts['authtype'] is None
    assert opts['pyver'] is None
    assert opts['force_auth'] is False
    # no cert files in the fake home
    assert opts['cert'] == ''
    assert opts['serverca'] == ''


def test_cert_defaults_when_files_exist(home, tmp_path):
    write(home / '.koji' / 'client.crt', 'x')
    write(home / '.koji' / 'serverca.crt', 'x')
    conf = write(tmp_path / 'koji.conf', '[zz-p]\n')
    opts = koji.read_config('zz-p', user_config=str(conf))
    assert opts['cert'] == str(home / '.koji' / 'client.crt')
    assert opts['serverca'] == str(home / '.koji' / 'serverca.crt')
    conf = write(tmp_path / 'koji2.conf', '[zz-p]\ncert = ~/other.crt\n')
    opts = koji.read_config('zz-p', user_config=str(conf))
    assert opts['cert'] == str(home / 'other.crt')


def test_user_config_files_in_home(home):
    write(home / '.koji' / 'config.d' / '10-a.conf', '[zz-home]\nserver = http://a\n')
    write(home / '.koji' / 'config.d' / '20-b.conf', '[zz-home]\nserver = http://b\n'
          'weburl = http://w\n')
    write(home / '.koji' / 'config.d' / 'skip.txt', '[zz-home]\nserver = http://skip\n')
    write(home / '.koji' / 'config', '[zz-home]\nweburl = http://final\n')
    opts = koji.read_config('zz-home')
    assert opts['server'] == 'http://b'
    assert opts['weburl'] == 'http://final'


def test_missing_profile(home, tmp_path):
    conf = write(tmp_path / 'koji.conf', '[other]\n')
    with pytest.raises(koji.ConfigurationError) as exc:
        koji.read_config('zz-nope', user_config=str(conf))
    assert str(exc.value) == 'no configuration for profile name: zz-nope'


def test_bad_integer(home, tmp_path):
    conf = write(tmp_path / 'koji.conf', '[zz-p]\nmax_retries = many\n')
    with pytest.raises(koji.ConfigurationError) as exc:
        koji.read_config('zz-p', user_config=str(conf))
    assert str(exc.value) == 'value for max_retries config option must be a valid integer'


def test_user_config_must_exist(home, tmp_path):
    with pytest.raises(koji.ConfigurationError) as exc:
        koji.read_config('zz-p', user_config=str(tmp_path / 'missing.conf'))
    assert "can't be opened" in str(exc.value)
    empty = tmp_path / 'emptydir'
    empty.mkdir()
    with pytest.raises(koji.ConfigurationError) as exc:
        koji.read_config('zz-p', user_config=str(empty))
    assert str(exc.value) == 'No config files found in directory: %s' % empty


def test_user_config_directory(home, tmp_path):
    write(tmp_path / 'd' / 'b.conf', '[zz-d]\nserver = http://b\n')
    write(tmp_path / 'd' / 'a.conf', '[zz-d]\nserver = http://a\nweburl = http://wa\n')
    opts = koji.read_config('zz-d', user_config=str(tmp_path / 'd'))
    assert opts['server'] == 'http://b'
    assert opts['weburl'] == 'http://wa'


def test_config_directory_contents(tmp_path):
    write(tmp_path / 'b.conf', '')
    write(tmp_path / 'a.conf', '')
    write(tmp_path / 'c.txt', '')
    (tmp_path / 'd.conf').mkdir()
    assert koji.config_directory_contents(str(tmp_path)) == [
        str(tmp_path / 'a.conf'), str(tmp_path / 'b.conf')]
    assert koji.config_directory_contents(str(tmp_path / 'nope')) == []
    with pytest.raises(koji.ConfigurationError):
        koji.config_directory_contents(str(tmp_path / 'nope'), strict=True)


def test_read_config_files_raw_and_interpolation(tmp_path):
    conf = write(tmp_path / 'x.conf', '[s]\na = 1\nb = %(a)s-2\nc = 100%%\n')
    parser = koji.read_config_files([str(conf)])
    assert parser.get('s', 'b') == '1-2'
    assert parser.get('s', 'c') == '100%'
    raw = koji.read_config_files([(str(conf), True)], raw=True)
    assert raw.get('s', 'b') == '%(a)s-2'
    # missing non-strict files are skipped
    parser = koji.read_config_files([str(tmp_path / 'missing'), str(conf)])
    assert parser.has_section('s')


def test_grab_session_options():
    values = optparse.Values({'user': 'bob', 'password': None, 'debug': True,
                              'server': 'http://x', 'timeout': 5, 'cert': '/c'})
    assert koji.grab_session_options(values) == {'user': 'bob', 'debug': True, 'timeout': 5}
    assert koji.grab_session_options({'max_retries': 2, 'serverca': None, 'noise': 1,
                                      'no_ssl_verify': True}) == {
        'max_retries': 2, 'no_ssl_verify': True}
    assert set(kconfig.SESSION_OPTIONS) == {
        'user', 'password', 'debug_xmlrpc', 'debug', 'max_retries', 'retry_interval',
        'offline_retry', 'offline_retry_interval', 'anon_retry', 'timeout', 'auth_timeout',
        'use_fast_upload', 'upload_blocksize', 'no_ssl_verify', 'serverca'}


def test_get_profile_module(home, tmp_path, monkeypatch):
    monkeypatch.setattr(kconfig, 'PROFILE_MODULES', {})
    config = {'topdir': '/srv/other'}
    mod = koji.get_profile_module('zz-prof', config=config)
    assert mod.BASEDIR == '/srv/other'
    assert mod.pathinfo.work() == '/srv/other/work'
    assert mod.config is config
    assert mod.parse_NVR is koji.parse_NVR
    assert koji.pathinfo is not mod.pathinfo
    assert koji.get_profile_module('zz-prof') is mod
    assert os.path.basename(mod.__name__) == 'koji_profile_zz-prof'


def test_read_config_files_takes_a_single_path(tmp_path):
    conf = tmp_path / 'one.conf'
    conf.write_text('[main]\nkey = value\n')
    assert koji.read_config_files(str(conf)).get('main', 'key') == 'value'
    assert koji.read_config_files((str(conf), True)).get('main', 'key') == 'value'
    with pytest.raises(koji.ConfigurationError):
        koji.read_config_files((str(tmp_path / 'missing.conf'), True))
