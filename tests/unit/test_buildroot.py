"""BuildRoot set-up (builder/kojibuilder/buildroot.py) against a recording hub stand-in.

Checks the repo/tag checks and messages, the hub registration, the name, and the
genMockConfig options kojid derives from its config and the build tag's extra.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'builder'))

import koji  # noqa: E402
from kojibuilder.buildroot import BuildRoot  # noqa: E402


class Host(object):
    def __init__(self, calls):
        self.calls = calls

    def newBuildRoot(self, repo_id, arch, task_id=None):
        self.calls.append(('newBuildRoot', repo_id, arch, task_id))
        return 77


class Session(object):
    def __init__(self, repo_state='READY', repo_tag=5, extra=None):
        self.calls = []
        self.host = Host(self.calls)
        self.repo = {'id': 12, 'state': koji.REPO_STATES[repo_state], 'create_event': 900,
                     'tag_id': repo_tag, 'tag_name': 'f-build' if repo_tag == 5 else 'other'}
        self.extra = extra or {}

    def repoInfo(self, repo_id, strict=False):
        return self.repo

    def getBuildConfig(self, tag, event=None):
        self.calls.append(('getBuildConfig', tag, event))
        return {'id': 5, 'name': 'f-build', 'arches': 'x86_64', 'extra': self.extra}

    def uploadWrapper(self, path, uploadpath, name):
        self.calls.append(('upload', uploadpath, name))


def options(tmp_path, **kw):
    opts = {'mockdir': str(tmp_path / 'mock'), 'mock_confdir': str(tmp_path / 'conf'),
            'topdir': '/mnt/koji', 'topurl': 'http://hub/kojifiles http://mirror/kojifiles',
            'packager': 'P', 'vendor': 'V', 'distribution': 'D', 'mockhost': 'koji-linux-gnu',
            'yum_proxy': None, 'rpmbuild_timeout': 86400, 'chroot_tmpdir': '/chroot_tmpdir',
            'mock_bootstrap_image': False}
    opts.update(kw)
    return type('Options', (), opts)()


def test_registers_and_writes_config(tmp_path):
    session = Session()
    broot = BuildRoot(session, options(tmp_path), 'f-build', 'armhfp', 40, repo_id=12)
    assert broot.name == 'f-build-77-12'
    assert session.calls[:2] == [('getBuildConfig', 'f-build', 900),
                                 ('newBuildRoot', 12, 'armhfp', 40)]
    assert ('upload', 'tasks/40/40', 'mock_config.log') in session.calls
    assert broot.logs == {'mock_config.log'}
    with open(os.path.join(str(tmp_path / 'conf'), 'f-build-77-12.cfg')) as fo:
        text = fo.read()
    assert '# Koji buildroot id: 77\n# Koji buildroot name: f-build-77-12\n' in text
    assert "config_opts['target_arch'] = 'armv7hl'\n" in text
    assert ("baseurl=http://hub/kojifiles/repos/f-build/12/armhfp\\n"
            "        http://mirror/kojifiles/repos/f-build/12/armhfp\\n") in text
    assert broot.rootdir() == str(tmp_path / 'mock' / 'f-build-77-12' / 'root')
    assert broot.tmpdir() == broot.rootdir() + '/chroot_tmpdir'
    assert broot.path_within(broot.tmpdir() + '/srpm/x.src.rpm') == '/chroot_tmpdir/srpm/x.src.rpm'


@pytest.mark.parametrize('state, repo_tag, message', [
    ('INIT', 5, 'Requested repo (12) is INIT'),
    ('DELETED', 5, 'Requested repo (12) is DELETED'),
    ('READY', 6, 'tag/repo mismatch: f-build vs other'),
])
def test_refuses_bad_repo(tmp_path, state, repo_tag, message):
    session = Session(repo_state=state, repo_tag=repo_tag)
    with pytest.raises(koji.BuildrootError) as exc:
        BuildRoot(session, options(tmp_path), 'f-build', 'x86_64', 40, repo_id=12)
    assert str(exc.value) == message
    assert not [c for c in session.calls if c[0] == 'newBuildRoot']


def test_expired_repo_is_used(tmp_path):
    broot = BuildRoot(Session(repo_state='EXPIRED'), options(tmp_path), 'f-build', 'x86_64',
                      40, repo_id=12)
    assert broot.id == 77


def test_repo_id_required(tmp_path):
    with pytest.raises(koji.BuildrootError) as exc:
        BuildRoot(Session(), options(tmp_path), 'f-build', 'x86_64', 40)
    assert str(exc.value) == 'A repo id must be provided'


def test_mock_opts_from_tag_extra(tmp_path):
    extra = {'mock.forcearch': True, 'mock.package_manager': 'dnf5',
             'mock.yum.module_hotfixes': 1, 'mock.yum.best': '1',
             'mock.plugin_conf.sign_enable': True, 'mock.plugin_conf.sign_opts.cmd': 'rpmsign',
             'mock.plugin_conf.sign_opts.opts': '--addsign', 'mock.releasever': '40',
             'mock.use_bootstrap': 1, 'mock.bootstrap_image': 'fedora:40',
             'rpm.macro.dist': '.fc40', 'rpm.env.LANG': 'C.UTF-8'}
    broot = BuildRoot(Session(extra=extra), options(tmp_path), 'f-build', 'x86_64', 40,
                      repo_id=12, install_group='srpm-build', setup_dns=True)
    opts = broot.mock_opts()
    assert opts['forcearch'] == 'x86_64'
    assert opts['package_manager'] == 'dnf5'
    assert opts['module_hotfixes'] == 1 and opts['yum_best'] == 1
    assert opts['plugin_conf'] == {'sign_enable': True,
                                   'sign_opts': {'cmd': 'rpmsign', 'opts': '--addsign'}}
    assert opts['releasever'] == '40' and opts['use_bootstrap'] is True
    # the bootstrap image needs kojid's mock_bootstrap_image
    assert 'bootstrap_image' not in opts
    assert opts['tag_macros'] == {'%dist': '.fc40'}
    assert opts['tag_envvars'] == {'LANG': 'C.UTF-8'}
    assert opts['install_group'] == 'srpm-build' and opts['use_host_resolv'] is True
    broot = BuildRoot(Session(extra=extra), options(tmp_path, mock_bootstrap_image=True),
                      'f-build', 'x86_64', 41, repo_id=12)
    assert broot.mock_opts()['bootstrap_image'] == 'fedora:40'


def test_backend_class_and_existing_buildroot(tmp_path):
    session = Session()
    broot = BuildRoot(session, options(tmp_path), 'f-build', 'x86_64', 40, repo_id=12)
    assert type(broot).__name__ == 'MockBuildRoot' and broot.backend == 'mock'
    broot = BuildRoot(session, options(tmp_path, buildroot_backend='rpmbuild'), 'f-build',
                      'x86_64', 40, repo_id=12)
    assert type(broot).__name__ == 'RpmbuildBuildRoot'
    info = {'id': 77, 'task_id': 40, 'tag_id': 5, 'tag_name': 'f-build', 'repo_id': 12,
            'arch': 'x86_64'}
    session.calls[:] = []
    loaded = BuildRoot(session, options(tmp_path), info)
    assert type(loaded).__name__ == 'MockBuildRoot'
    assert loaded.name == 'f-build-77-12' and loaded.task_id == 40
    assert loaded.rootdir() == str(tmp_path / 'mock' / 'f-build-77-12' / 'root')
    # loading registers nothing new with the hub
    assert [c for c in session.calls if c[0] == 'newBuildRoot'] == []
