"""Command lines and small decisions of kojid's buildroots (builder/kojibuilder/buildroot*).

The mock lines must be upstream kojid's, flag for flag; the rpmbuild backend's dnf,
bwrap and failure reporting are ours and are pinned here too.
"""
import io
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'builder'))

import koji  # noqa: E402
from kojibuilder import buildroot_mock as bm  # noqa: E402
from kojibuilder import buildroot_rpmbuild as br  # noqa: E402
from kojibuilder.buildroot import backend_name, target_arch  # noqa: E402
from kojibuilder.buildroot_logs import LogWatcher  # noqa: E402


class Opts(object):
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_mock_base_cmd_standard_confdir():
    ref = bm.mock_config_ref('f40-build-12-3')
    assert bm.mock_base_cmd('/usr/bin/mock', ref, {}) == \
        ['/usr/bin/mock', '-r', 'koji/f40-build-12-3']


def test_mock_base_cmd_other_confdir_uses_the_file():
    assert bm.mock_config_ref('x-1-2', '/srv/mockconf') == '/srv/mockconf/x-1-2.cfg'
    assert bm.mock_config_ref('x-1-2', '/etc/mock/koji/') == 'koji/x-1-2'


@pytest.mark.parametrize('extra, flags', [
    ({'mock.new_chroot': True}, ['--new-chroot']),
    ({'mock.new_chroot': False}, ['--old-chroot']),
    ({'mock.new_chroot': 0, 'mock.bootstrap_image_ready': True},
     ['--old-chroot', '--bootstrap-image-ready']),
    ({'mock.bootstrap_image_ready': False}, []),
])
def test_mock_chroot_flags_from_tag_extra(extra, flags):
    assert bm.mock_base_cmd('/m', 'koji/n', extra) == ['/m', '-r', 'koji/n'] + flags


def test_mock_action_args():
    assert bm.init_args() == ['--init']
    assert bm.uname_args() == ['--chroot', 'uname -r']
    assert bm.build_args('/w/a.src.rpm', 'x86_64') == \
        ['--no-clean', '--target', 'x86_64', '--rebuild', '/w/a.src.rpm']
    assert bm.build_args('/w/a.src.rpm') == ['--no-clean', '--rebuild', '/w/a.src.rpm']
    assert bm.source_cmd_args('/chroot_tmpdir/scmroot/pkg', ['make', 'sources']) == \
        ['--no-clean', '--unpriv', '--cwd', '/chroot_tmpdir/scmroot/pkg', '--chroot',
         'make', 'sources']
    assert bm.buildsrpm_args('/r/pkg.spec', '/r/src') == \
        ['--no-clean', '--buildsrpm', '--spec', '/r/pkg.spec', '--sources', '/r/src',
         '--target', 'noarch']
    assert bm.srpm_unpack_args('/t', '/t/x.src.rpm') == \
        ['--no-clean', '--target', 'noarch', '--chroot', '--', 'rpm', '--define',
         '_topdir /t', '-iv', '/t/x.src.rpm']
    assert bm.srpm_rebuild_args('/t', '/t/SPECS/x.spec') == \
        ['--no-clean', '--target', 'noarch', '--chroot', '--', 'rpmbuild', '--define',
         '_topdir /t', '-bs', '--nodeps', '/t/SPECS/x.spec']
    assert bm.install_args(['a', 'b']) == ['--install', 'a', 'b']


@pytest.mark.parametrize('status, logfile, text', [
    (10 << 8, None, 'mock exited with status 10; see build.log for more information'),
    (1 << 8, None, 'mock exited with status 1; see build.log or root.log for more information'),
    (30 << 8, None, 'mock exited with status 30; see root.log for more information'),
    (9, None, 'mock was killed by signal 9; see root.log for more information'),
    (1 << 8, 'mock_output.log',
     'mock exited with status 1; see mock_output.log for more information'),
])
def test_mock_result(status, logfile, text):
    assert bm.mock_result(status, logfile) == text


def test_sources_dir_rpm_layout(tmp_path):
    assert bm.sources_dir(str(tmp_path), True) == str(tmp_path)
    (tmp_path / 'SOURCES').mkdir()
    assert bm.sources_dir(str(tmp_path), True) == str(tmp_path / 'SOURCES')
    assert bm.sources_dir(str(tmp_path), False) == str(tmp_path)


def test_target_arch_and_backend_choice():
    assert target_arch('armhfp') == 'armv7hl'
    assert target_arch('x86_64') == 'x86_64'
    assert backend_name(Opts()) == 'mock'
    assert backend_name(Opts(buildroot_backend='rpmbuild')) == 'rpmbuild'
    with pytest.raises(koji.GenericError):
        backend_name(Opts(buildroot_backend='chroot'))


def test_dnf_cmd_and_conf():
    cmd = br.dnf_cmd('/b/dnf.conf', '/b/root', ['@build'], releasever='40')
    assert cmd == ['/usr/bin/dnf', '-c', '/b/dnf.conf', '--installroot', '/b/root',
                   '--releasever', '40', '--setopt=strict=1', '-y', 'install', '@build']
    assert '--setopt=strict=0' in br.dnf_cmd('/c', '/r', ['gcc'], strict=False)
    text = br.dnf_conf_text(['http://a/repos/t/1/x86_64', 'http://b/repos/t/1/x86_64'],
                            proxy='http://proxy:3128')
    assert '\nreposdir=/dev/null\n' in text and '\nproxy=http://proxy:3128\n' in text
    assert text.endswith('[build]\nname=build\nbaseurl=http://a/repos/t/1/x86_64\n'
                         '        http://b/repos/t/1/x86_64\n')


def test_bwrap_cmd_network_only_when_asked():
    cmd = br.bwrap_cmd(['rpmbuild', '-bb', 'x.spec'])
    assert cmd[0] == '/usr/bin/bwrap' and '--unshare-net' in cmd
    assert cmd[cmd.index('--') + 1:] == ['rpmbuild', '-bb', 'x.spec']
    assert '--unshare-net' not in br.bwrap_cmd(['true'], network=True)


def test_failed_deps_from_build_log(tmp_path):
    log = tmp_path / 'build.log'
    log.write_text('Installing x.src.rpm\nerror: Failed build dependencies:\n'
                   '\tfoo is needed by x-1-1.x86_64\n\tbar >= 2 is needed by x-1-1.x86_64\n'
                   'done\n')
    assert br.failed_deps(str(log)) == ['foo is needed by x-1-1.x86_64',
                                        'bar >= 2 is needed by x-1-1.x86_64']
    assert br.failed_deps(str(tmp_path / 'missing.log')) == []


class UploadSession(object):
    """Just the rawUpload the log watcher uses, remembering what arrived."""

    opts = {'use_fast_upload': True}

    def __init__(self):
        self.files = {}

    def rawUpload(self, data, offset, path, name, overwrite=False):
        buf = self.files.setdefault((path, name), io.BytesIO())
        buf.seek(offset)
        buf.write(data)
        return {'size': len(data), 'hexdigest': koji.util.adler32_constructor(data).hexdigest()}


def test_log_watcher_streams_growth_and_renames_duplicates(tmp_path):
    (tmp_path / 'result').mkdir()
    (tmp_path / 'root').mkdir()
    first = tmp_path / 'result' / 'root.log'
    second = tmp_path / 'root' / 'root.log'
    first.write_text('one\n')
    session = UploadSession()
    watcher = LogWatcher(session, 'tasks/1/1', [str(tmp_path / 'result' / '*.log'),
                                                str(tmp_path / 'root' / '*.log')])
    watcher.poll()
    with open(first, 'a') as fo:
        fo.write('two\n')
    second.write_text('other\n')
    watcher.poll()
    assert sorted(watcher.names()) == ['root.DUP00.log', 'root.log']
    watcher.close()
    assert session.files[('tasks/1/1', 'root.log')].getvalue() == b'one\ntwo\n'
    assert session.files[('tasks/1/1', 'root.DUP00.log')].getvalue() == b'other\n'


def test_log_watcher_timestamp_companions(tmp_path):
    (tmp_path / 'result').mkdir()
    log = tmp_path / 'result' / 'build.log'
    log.write_text('12345\n')
    session = UploadSession()
    watcher = LogWatcher(session, 'tasks/2/2', [str(tmp_path / 'result' / '*.log')],
                         ts_dir=str(tmp_path / 'work'))
    watcher.poll()
    watcher.poll()
    with open(log, 'a') as fo:
        fo.write('more\n')
    watcher.poll()
    assert sorted(watcher.names()) == ['build.log', 'build.log-ts.log']
    watcher.close()
    lines = session.files[('tasks/2/2', 'build.log-ts.log')].getvalue().decode().splitlines()
    # a start line, then one line per growth (none for the poll that saw nothing new)
    assert [int(line.split()[1]) for line in lines] == [0, 6, 11]
    assert all(line.split()[0].isdigit() for line in lines)


def test_log_watcher_rereads_a_rewritten_log(tmp_path):
    log = tmp_path / 'state.log'
    log.write_text('first version, long\n')
    session = UploadSession()
    watcher = LogWatcher(session, 'tasks/3/3', [str(tmp_path / '*.log')])
    watcher.poll()
    replacement = tmp_path / 'new'
    replacement.write_text('second\n')
    os.rename(replacement, log)
    watcher.poll()
    watcher.close()
    assert session.files[('tasks/3/3', 'state.log')].getvalue().startswith(b'second\n')
