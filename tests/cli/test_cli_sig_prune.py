"""rename-sig and prune-signed-copies through our CLI against a real hub, on signed copies
the hub wrote from real rpmsign signatures (throw-away GPG key)."""
import os
import shutil

import pytest

import koji

from koji_cli.lib import unique_path
from tests.cli.rpmkit import build_kit, sign_rpms
from tests.fixtures.cli import uniq
from tests.fixtures.rpms import rpm_checksig


def ok(res):
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def nvra_of(path):
    return os.path.basename(path)[:-len('.rpm')]


class Signed(object):
    """A build of its own, imported unsigned, with the key's signature and signed copies."""

    def __init__(self, hub, pathinfo, tmp, key, name, release='1'):
        kit = build_kit(tmp / ('kit-%s' % release), name, '1.0', release)
        for path in sorted(kit.paths, key=lambda p: not p.endswith('.src.rpm')):
            serverdir = unique_path('test-import')
            hub.uploadWrapper(path, serverdir)
            hub.importRPM(serverdir, os.path.basename(path))
        signed_dir = tmp / ('signed-%s' % release)
        signed_dir.mkdir()
        signed = [shutil.copy(p, str(signed_dir)) for p in kit.paths]
        sign_rpms(signed, key)
        self.sigkey = key.sigkey
        self.nvr = kit.nvr
        self.nvras = [nvra_of(p) for p in kit.paths]
        self.signed = signed
        for path in signed:
            hub.addRPMSig(nvra_of(path), koji.util.base64encode(koji.rip_rpm_sighdr(path)))
            hub.writeSignedRPM(nvra_of(path), key.sigkey)
        self.binfo = hub.getBuild(kit.nvr)
        self.hub = hub
        self.pathinfo = pathinfo

    def copy(self, nvra, sigkey=None):
        rinfo = self.hub.getRPM(nvra)
        return os.path.join(self.pathinfo.build(self.binfo),
                            self.pathinfo.signed(rinfo, sigkey or self.sigkey))

    def sighdr(self, nvra, sigkey):
        rinfo = self.hub.getRPM(nvra)
        return os.path.join(self.pathinfo.build(self.binfo),
                            self.pathinfo.sighdr(rinfo, sigkey))


# -- rename-sig -----------------------------------------------------------------------------

def test_rename_sig_usage(cli):
    res = cli('rename-sig', 'a', 'b')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: This command takes exactly three arguments\n')


def test_rename_sig(cli, hub, pathinfo, signed_rpms, rpm_keyring, tmp_path):
    build = Signed(hub, pathinfo, tmp_path, signed_rpms.key, uniq('rensig'))
    nvra = build.nvras[1]
    old_copy = build.copy(nvra)
    assert os.path.isfile(old_copy)
    assert ok(cli('rename-sig', nvra, build.sigkey, 'feedbeef')) == ''
    assert [s['sigkey'] for s in hub.queryRPMSigs(rpm_id=nvra)] == ['', 'feedbeef']
    new_copy = build.copy(nvra, 'feedbeef')
    assert not os.path.exists(old_copy) and os.path.isfile(new_copy)
    assert not os.path.exists(build.sighdr(nvra, build.sigkey))
    assert os.path.isfile(build.sighdr(nvra, 'feedbeef'))
    # the copy is still the rpm signed with the real key
    rc, output = rpm_checksig(new_copy, rpm_keyring)
    assert rc == 0 and 'key ID %s: OK' % build.sigkey in output, output
    # write-signed-rpm now finds the header under the new key
    os.remove(new_copy)
    hub.writeSignedRPM(nvra, 'feedbeef')
    assert os.path.isfile(new_copy)
    # errors come from the hub, printed as they are
    res = cli('rename-sig', nvra, build.sigkey, 'abcd0000')
    assert (res.returncode, res.stdout) == (1, '')
    assert res.stderr == 'No %s signature for rpm %s\n' % (build.sigkey, nvra)
    res = cli('rename-sig', nvra, 'feedbeef', '')
    assert res.returncode == 1
    assert res.stderr == 'A  signature already exists for rpm %s\n' % nvra
    res = cli('rename-sig', 'nosuch-1-1.noarch', 'a', 'b')
    assert res.returncode == 1 and 'No such rpm' in res.stderr


# -- prune-signed-copies --------------------------------------------------------------------

@pytest.fixture
def replaced(hub, pathinfo, signed_rpms, tmp_path):
    """Two builds of one package tagged in turn: the first is no longer latest."""
    name = uniq('prune')
    old = Signed(hub, pathinfo, tmp_path, signed_rpms.key, name, '1')
    new = Signed(hub, pathinfo, tmp_path, signed_rpms.key, name, '2')
    tag = uniq('prune-tag')
    hub.createTag(tag)
    hub.packageListAdd(tag, name, owner=hub.getLoggedInUser()['name'])
    hub.tagBuildBypass(tag, old.nvr)
    hub.tagBuildBypass(tag, new.nvr)
    return old, new, tag


def totals(files, size):
    return '--- Grand Totals ---\nFiles: %i\nBytes: %i\n' % (files, size)


def test_prune_keeps_recent_and_latest(cli, replaced):
    old, new, tag = replaced
    # replaced just now: still within the default 5 days
    assert ok(cli('prune-signed-copies', '--build', old.nvr)) == totals(0, 0)
    # the latest build keeps its copies whatever the cutoff
    assert ok(cli('prune-signed-copies', '--build', new.nvr, '--days', '0')) == totals(0, 0)
    # an ignored tag does not make a build latest; the trashcan tag neither
    out = ok(cli('prune-signed-copies', '-n', '--build', new.nvr, '--days', '0',
                 '-i', tag[:5] + '*'))
    assert out.endswith(totals(len(new.nvras), sum(
        os.path.getsize(new.copy(n)) for n in new.nvras)))
    out = ok(cli('prune-signed-copies', '-n', '--build', new.nvr, '--days', '0',
                 '--trashcan-tag', tag))
    assert 'Would have unlinked' in out
    # a protected tag keeps the replaced build's copies
    assert ok(cli('prune-signed-copies', '--build', old.nvr, '--days', '0',
                  '-r', tag)) == totals(0, 0)


def test_prune_dry_run_then_real(cli, replaced, tmp_path):
    old, new, tag = replaced
    copies = [old.copy(n) for n in old.nvras]
    size = sum(os.path.getsize(c) for c in copies)
    archdirs = []
    for c in copies:
        if os.path.dirname(c) not in archdirs:
            archdirs.append(os.path.dirname(c))
    sigdir = os.path.dirname(archdirs[0])
    out = ok(cli('prune-signed-copies', '--test', '--build', old.nvr, '--days', '0'))
    lines = out.splitlines()
    assert sorted(x for x in lines if x.startswith('Would have unlinked: ')) == \
        sorted('Would have unlinked: %s' % c for c in copies)
    assert sorted(x for x in lines if x.startswith('Would have removed dir: ')) == \
        sorted('Would have removed dir: %s' % d for d in archdirs + [sigdir])
    assert out.endswith(totals(len(copies), size))
    assert all(os.path.isfile(c) for c in copies)
    # the patterns may come from files too
    protect = tmp_path / 'protect.txt'
    protect.write_text(tag + '\n')
    assert ok(cli('prune-signed-copies', '--build', old.nvr, '--days', '0',
                  '--protect-tag-file', str(protect))) == totals(0, 0)
    out = ok(cli('prune-signed-copies', '-v', '--build', old.nvr, '--days', '0'))
    lines = out.splitlines()
    assert sorted(x for x in lines if x.startswith('Unlinking: ')) == \
        sorted('Unlinking: %s' % c for c in copies)
    assert 'Build: %s, Removed %i signed copies (%i bytes). Total: %i/%i' % (
        old.nvr, len(copies), size, len(copies), size) in lines
    assert out.endswith(totals(len(copies), size))
    assert not any(os.path.exists(c) for c in copies)
    assert not os.path.exists(sigdir)
    # the newer build's copies are untouched, and the stored headers stay
    assert all(os.path.isfile(new.copy(n)) for n in new.nvras)
    assert all(os.path.isfile(old.sighdr(n, old.sigkey)) for n in old.nvras)
    assert ok(cli('prune-signed-copies', '--build', old.nvr, '--days', '0')) == totals(0, 0)


def test_prune_by_package_and_errors(cli, replaced):
    old, new, tag = replaced
    out = ok(cli('prune-signed-copies', '-n', '-v', '--package', old.binfo['name'],
                 '--days', '0'))
    assert out.startswith('Getting builds...\n...got 2 builds\n')
    assert 'Would have unlinked: %s' % old.copy(old.nvras[0]) in out
    assert new.copy(new.nvras[0]) not in out
    res = cli('prune-signed-copies', '--build', 'nosuch-1-1')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: No such build: nosuch-1-1\n')
    res = cli('prune-signed-copies', '--days', 'x')
    assert res.returncode == 2
    assert "option --days: invalid integer value: 'x'" in res.stderr


def test_rename_sig_needs_admin(cli, hub, hub_server):
    user = uniq('signer')
    hub.createUser(user)
    hub_server.set_password(user, 'pw')
    res = cli('rename-sig', 'nosuch-1-1.noarch', 'a', 'b', user=user, password='pw')
    assert res.returncode == 1
    assert 'admin permission required' in res.stderr


def test_rename_sig_stray_file_changes_nothing(cli, hub, pathinfo, signed_rpms, tmp_path):
    build = Signed(hub, pathinfo, tmp_path, signed_rpms.key, uniq('renstray'))
    nvra = build.nvras[0]
    stray = build.sighdr(nvra, 'abcdabcd')
    os.makedirs(os.path.dirname(stray), exist_ok=True)
    with open(stray, 'wb') as fo:
        fo.write(b'stray')
    res = cli('rename-sig', nvra, build.sigkey, 'abcdabcd')
    assert (res.returncode, res.stderr) == (1, 'Stray header file: %s\n' % stray)
    assert [s['sigkey'] for s in hub.queryRPMSigs(rpm_id=nvra)] == ['', build.sigkey]
    assert os.path.isfile(build.copy(nvra)) and os.path.isfile(build.sighdr(nvra, build.sigkey))
