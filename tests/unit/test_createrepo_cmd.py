"""Command lines of kojid's repo tasks (builder/kojibuilder/repos_cmd.py).

They must be upstream kojid's, option for option; mergerepo_c's flags depend on its
version and on the tag's merge mode.
"""
import os
import sys

import pytest

import koji

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'builder'))

from kojibuilder import repos_cmd  # noqa: E402
from kojibuilder.repos_cmd import (createrepo_cmd, distrepo_createrepo_cmd,  # noqa: E402
                                   external_repo_urls, merge_mode, mergerepo_cmd,
                                   parse_mergerepo_version)
from kojibuilder.repos_dist import pick_key, select_rpms  # noqa: E402


def test_createrepo_with_pkglist_comps_update():
    cmd = createrepo_cmd('/w/repo', '/t/repos/f/5/x86_64', pkglist='/t/repos/f/5/x86_64/pkglist',
                         groupdata='/t/repos/f/5/groups/comps.xml', update=True, skip_stat=True)
    assert cmd == ['/usr/bin/createrepo_c', '--error-exit-val', '-vd', '-o', '/w/repo',
                   '-i', '/t/repos/f/5/x86_64/pkglist', '-g', '/t/repos/f/5/groups/comps.xml',
                   '--update', '--skip-stat', '/t/repos/f/5/x86_64']


def test_createrepo_update_without_skip_stat():
    cmd = createrepo_cmd('/w/repo', '/r/x86_64', pkglist='/r/x86_64/pkglist', update=True,
                         skip_stat=False)
    assert cmd[-2:] == ['--update', '/r/x86_64']
    assert '--skip-stat' not in cmd


def test_createrepo_skip_stat_needs_update():
    cmd = createrepo_cmd('/w/repo', '/r/x86_64', pkglist='/r/x86_64/pkglist', skip_stat=True)
    assert '--skip-stat' not in cmd and '--update' not in cmd


def test_createrepo_empty_arch_indexes_outdir():
    cmd = createrepo_cmd('/w/repo', '/r/x86_64')
    assert cmd == ['/usr/bin/createrepo_c', '--error-exit-val', '-vd', '-o', '/w/repo',
                   '/w/repo']


def test_createrepo_legacy_tool():
    cmd = createrepo_cmd('/w/repo', '/r/i686', pkglist='/p', use_createrepo_c=False)
    assert cmd == ['/usr/bin/createrepo', '-vd', '-o', '/w/repo', '-i', '/p', '/r/i686']


def test_distrepo_createrepo_full(tmp_path):
    zdir = tmp_path / 'dicts'
    zdir.mkdir()
    cmd = distrepo_createrepo_cmd('/w/repo', '/w/repo/pkglist', groupdata='/c.xml',
                                  update=True, skip_stat=True, oldpkgs=['/d/1', '/d/2'],
                                  zck=True, zck_dict_dir=str(zdir) + '/')
    assert cmd == ['/usr/bin/createrepo_c', '--error-exit-val', '-vd', '-i', '/w/repo/pkglist',
                   '-g', '/c.xml', '--update', '--skip-stat', '--deltas',
                   '--oldpackagedirs', '/d/1', '--oldpackagedirs', '/d/2', '--zck',
                   '--zck-dict-dir', str(zdir), '/w/repo']


def test_distrepo_createrepo_zck_errors(tmp_path):
    with pytest.raises(koji.GenericError, match='--zck-dict-dir makes no sense without --zck'):
        distrepo_createrepo_cmd('/w', '/w/pkglist', zck_dict_dir='/x')
    with pytest.raises(koji.GenericError, match="zchunk dir path doesn't exist: /nonexistent"):
        distrepo_createrepo_cmd('/w', '/w/pkglist', zck=True, zck_dict_dir='/nonexistent')
    afile = tmp_path / 'f'
    afile.write_text('x')
    with pytest.raises(koji.GenericError, match='zchunk dir path is file'):
        distrepo_createrepo_cmd('/w', '/w/pkglist', zck=True, zck_dict_dir=str(afile))
    with pytest.raises(koji.GenericError, match="createrepo doesn't support zchunks"):
        distrepo_createrepo_cmd('/w', '/w/pkglist', zck=True, use_createrepo_c=False)


@pytest.mark.parametrize('mode,head', [
    ('koji', ['/usr/bin/mergerepo_c', '--koji', '-b', '/r/blocklist']),
    ('simple', ['/usr/bin/mergerepo_c', '--koji', '--simple', '-b', '/r/blocklist']),
    ('bare', ['/usr/bin/mergerepo_c', '--pkgorigins', '--all']),
])
def test_mergerepo_modes(mode, head):
    cmd = mergerepo_cmd(mode, '/w/repo', 'x86_64', ['file:///w/pre/', 'http://e/x86_64/'],
                        blocklist='/r/blocklist', groupdata='/g/comps.xml',
                        version=(0, 17, 3))
    assert cmd == head + ['-a', 'x86_64', '-o', '/w/repo', '--arch-expand',
                          '-g', '/g/comps.xml', '-r', 'file:///w/pre/',
                          '-r', 'http://e/x86_64/']


def test_mergerepo_old_version_has_no_arch_expand():
    cmd = mergerepo_cmd('koji', '/o', 'i686', ['file:///p/'], blocklist='/b',
                        version=(0, 15, 10))
    assert cmd == ['/usr/bin/mergerepo_c', '--koji', '-b', '/b', '-a', 'i686', '-o', '/o',
                   '-r', 'file:///p/']


def test_mergerepo_simple_needs_recent_mergerepo_c():
    with pytest.raises(koji.GenericError, match=r'has low version: 0\.12\.9 \(0\.13\.0'):
        mergerepo_cmd('simple', '/o', 'x86_64', [], blocklist='/b', version=(0, 12, 9))
    with pytest.raises(koji.GenericError, match='not installed or has low version: None'):
        mergerepo_cmd('simple', '/o', 'x86_64', [], blocklist='/b', version=None)


def test_external_urls_order_arch_filter_and_substitution():
    erepos = [{'url': 'http://a/$arch/', 'arches': None},
              {'url': 'http://b/', 'arches': 'aarch64 ppc64le'},
              {'url': 'http://c/$arch/os/', 'arches': 'x86_64 i686'}]
    assert external_repo_urls('/w/pre', erepos, 'x86_64') == [
        'file:///w/pre/', 'http://a/x86_64/', 'http://c/x86_64/os/']


def test_merge_mode_default_and_mixed():
    assert merge_mode([{'merge_mode': None}, {}]) == 'koji'
    assert merge_mode([{'merge_mode': 'bare'}]) == 'bare'
    with pytest.raises(koji.GenericError, match='Found multiple merge modes'):
        merge_mode([{'merge_mode': 'koji'}, {'merge_mode': 'simple'}])


def test_parse_mergerepo_version():
    assert parse_mergerepo_version('Version: 0.17.3 (Features: DeltaRPM )\n') == (0, 17, 3)
    assert parse_mergerepo_version('garbage') is None


def test_installed_mergerepo_version_is_read():
    if not os.path.exists(repos_cmd.MERGEREPO_C):
        pytest.skip('mergerepo_c is not installed')
    version = repos_cmd.mergerepo_version()
    assert isinstance(version, tuple) and len(version) == 3


def test_run_logged_failure_message(tmp_path):
    class Session(object):
        opts = {'use_fast_upload': False}
        uploads = []

        def uploadFile(self, path, name, size, digest, offset, data):
            self.uploads.append((path, name, offset, size))
            return True
    session = Session()
    log = str(tmp_path / 'x' / 'run.log')
    repos_cmd.run_logged(session, ['sh', '-c', 'echo hi'], log, 'tasks/1/1')
    assert open(log).read() == 'hi\n'
    assert session.uploads == [('tasks/1/1', 'run.log', 0, 3)]
    with pytest.raises(koji.GenericError,
                       match='failed to merge repos: sh -c exit 3 exited with status 3'):
        repos_cmd.run_logged(session, ['sh', '-c', 'exit 3'], log, 'tasks/1/1',
                             what='merge repos')


def test_pick_key_prefers_earlier_keys():
    assert pick_key(['aaaa', 'bbbb'], ['bbbb', 'aaaa', '']) == 'aaaa'
    assert pick_key(['aaaa', 'bbbb'], ['bbbb', '']) == 'bbbb'
    assert pick_key(['aaaa'], ['', 'cccc']) is None


def test_select_rpms_one_copy_per_rpm():
    rows = [{'id': 1, 'name': 'a', 'sigkey': ''}, {'id': 1, 'name': 'a', 'sigkey': 'BBBB'},
            {'id': 2, 'name': 'b', 'sigkey': None}]
    selected = select_rpms(rows, ['bbbb'])
    assert selected[1]['sigkey'] == 'BBBB' and selected[1]['best_key'] == 'bbbb'
    assert selected[2]['sigkey'] is None
