"""Storage layout computed by PathInfo."""
import warnings

import pytest

import koji
from koji.pathinfo import PathInfo

BUILD = {'name': 'bash', 'version': '5.2', 'release': '1.fc40', 'volume_name': None}
RPM = {'name': 'bash', 'version': '5.2', 'release': '1.fc40', 'arch': 'x86_64'}


@pytest.fixture
def pi():
    return PathInfo(topdir='/mnt/koji')


def test_build_paths(pi):
    assert pi.build(BUILD) == '/mnt/koji/packages/bash/5.2/1.fc40'
    assert pi.build(dict(BUILD, volume_name='DEFAULT')) == pi.build(BUILD)
    assert pi.build({'name': 'a', 'version': '1', 'release': '2'}) == '/mnt/koji/packages/a/1/2'
    vol = dict(BUILD, volume_name='archive')
    assert pi.build(vol) == '/mnt/koji/vol/archive/packages/bash/5.2/1.fc40'
    assert pi.build_logs(vol) == '/mnt/koji/vol/archive/packages/bash/5.2/1.fc40/data/logs'
    assert pi.mavenbuild(BUILD).endswith('/1.fc40/maven')
    assert pi.winbuild(BUILD).endswith('/1.fc40/win')
    assert pi.imagebuild(BUILD).endswith('/1.fc40/images')


def test_typedir(pi):
    base = pi.build(BUILD)
    assert pi.typedir(BUILD, 'maven') == base + '/maven'
    assert pi.typedir(BUILD, 'win') == base + '/win'
    assert pi.typedir(BUILD, 'image') == base + '/images'
    assert pi.typedir(BUILD, 'rpm') == base + '/files/rpm'
    assert pi.typedir(BUILD, 'container') == base + '/files/container'


def test_relative_paths(pi):
    assert pi.rpm(RPM) == 'x86_64/bash-5.2-1.fc40.x86_64.rpm'
    assert pi.signed(RPM, 'abcd1234') == 'data/signed/abcd1234/x86_64/bash-5.2-1.fc40.x86_64.rpm'
    assert pi.sighdr(RPM, 'abcd1234') == \
        'data/sigcache/abcd1234/x86_64/bash-5.2-1.fc40.x86_64.rpm.sig'
    maven = {'group_id': 'org.apache.commons', 'artifact_id': 'io', 'version': '2.0',
             'filename': 'io-2.0.jar'}
    assert pi.mavenrepo(maven) == 'org/apache/commons/io/2.0'
    assert pi.mavenfile(maven) == 'org/apache/commons/io/2.0/io-2.0.jar'
    assert pi.winfile({'relpath': 'bin', 'filename': 'a.exe'}) == 'bin/a.exe'
    assert pi.winfile({'relpath': '', 'filename': 'a.exe'}) == 'a.exe'
    assert pi.taskrelpath(123456) == 'tasks/3456/123456'
    assert pi.taskrelpath(7) == 'tasks/7/7'


def test_repo_and_work_paths(pi):
    assert pi.volumedir(None) == '/mnt/koji'
    assert pi.volumedir('DEFAULT') == '/mnt/koji'
    assert pi.volumedir('v2') == '/mnt/koji/vol/v2'
    assert pi.repo(12, 'f40-build') == '/mnt/koji/repos/f40-build/12'
    assert pi.repocache('f40-build') == '/mnt/koji/repos/f40-build/cache'
    assert pi.distrepo(3, 'f40') == '/mnt/koji/repos-dist/f40/3'
    assert pi.distrepo(3, 'f40', volume='v2') == '/mnt/koji/vol/v2/repos-dist/f40/3'
    assert pi.work() == '/mnt/koji/work'
    assert pi.work(volume='v2') == '/mnt/koji/vol/v2/work'
    assert pi.scratch() == '/mnt/koji/scratch'
    assert pi.task(20001) == '/mnt/koji/work/tasks/1/20001'
    assert pi.task(20001, volume='v2') == '/mnt/koji/vol/v2/work/tasks/1/20001'


def test_tmpdir_warns(pi):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        path = pi.tmpdir()
    assert caught and issubclass(caught[0].category, DeprecationWarning)
    prefix = '/mnt/koji/work/tmp/'
    assert path.startswith(prefix)
    suffix = path[len(prefix):]
    assert len(suffix) == 6 and suffix.isalnum()


def test_topdir_follows_basedir(monkeypatch):
    # hub tests in the same process may have pinned the shared instance to a KojiDir
    monkeypatch.setattr(koji.pathinfo, 'topdir', None)
    info = PathInfo()
    assert info.topdir == koji.BASEDIR
    monkeypatch.setattr(koji, 'BASEDIR', '/srv/koji')
    assert info.topdir == '/srv/koji'
    assert info.scratch() == '/srv/koji/scratch'
    assert koji.pathinfo.topdir == '/srv/koji'


def test_topdir_explicit_wins(monkeypatch):
    info = PathInfo(topdir='/a')
    monkeypatch.setattr(koji, 'BASEDIR', '/b')
    assert info.topdir == '/a'
    info.topdir = '/c'
    assert info.work() == '/c/work'
    info.topdir = None
    assert info.topdir == '/b'


def test_module_instance(monkeypatch):
    assert isinstance(koji.pathinfo, PathInfo)
    monkeypatch.setattr(koji.pathinfo, '_topdir', None)
    monkeypatch.setattr(koji, 'BASEDIR', '/x')
    koji.pathinfo.topdir = '/x'
    assert koji.pathinfo.build(BUILD) == '/x/packages/bash/5.2/1.fc40'
