"""Signatures and downloads against the real hub, with real rpms signed by a real key.

import-sig, write-signed-rpm, list-signed, remove-sig and download-build. Signed copies
must land where koji.PathInfo puts them, pass `rpm -K` with the test key, and equal the
files rpmsign made; downloads must equal the stored files.

Tests may run in any order and on any worker (each worker has its own hub), so each
build is changed by one test only: the noarch build of rpm_builds belongs to the
import-sig test, the arch build (signed by a module fixture) is only read or rewritten
identically, and remove-sig works on builds of its own.
"""
import filecmp
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import koji
from koji_cli.lib import unique_path
from tests.cli.rpmkit import build_kit, sign_rpms
from tests.fixtures.cli import KOJI, LOG_ERROR, uniq
from tests.fixtures.rpms import rpm_checksig


@pytest.fixture(scope='module')
def run(hub_server, tmp_path_factory):
    """Our CLI as a subprocess (admin); ``text=False`` keeps the \\r of progress bars."""
    home = str(tmp_path_factory.mktemp('home'))

    def _run(*args, cwd=None, text=True, noauth=False):
        cmd = [sys.executable, KOJI, '-c', hub_server.config_file, '-p', hub_server.profile]
        if noauth:
            cmd.append('--noauth')
        else:
            cmd += ['--user', hub_server.admin_user, '--password', hub_server.admin_password]
        res = subprocess.run(cmd + list(args), env=dict(os.environ, HOME=home), cwd=cwd,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=120)
        if text:
            res.stdout, res.stderr = res.stdout.decode(), res.stderr.decode()
        return res
    return _run


def hub_import(hub, paths):
    """Import rpm files through the API (srpms first), not through the command under test."""
    for path in sorted(paths, key=lambda p: not p.endswith('.src.rpm')):
        serverdir = unique_path('test-import')
        hub.uploadWrapper(path, serverdir)
        hub.importRPM(serverdir, os.path.basename(path))


def add_sig(hub, nvra, signed_path):
    hub.addRPMSig(nvra, koji.util.base64encode(koji.rip_rpm_sighdr(signed_path)))


@pytest.fixture(scope='module')
def imported(hub, rpm_builds):
    """Both rpm_builds builds imported unsigned (the hub records the '' sigkey)."""
    for build in rpm_builds.builds.values():
        hub_import(hub, build.paths)
    return rpm_builds


@pytest.fixture(scope='module')
def arch_signed(hub, imported, signed_rpms):
    """The arch build with the test key's signatures stored and signed copies written."""
    build = signed_rpms.arch
    for path in build.paths:
        nvra = os.path.basename(path)[:-4]
        add_sig(hub, nvra, path)
        hub.writeSignedRPM(nvra, signed_rpms.sigkey)
    return build


def ok(res):
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.endswith('koji: error: %s\n' % message), res.stderr


def nvra_of(path):
    return os.path.basename(path)[:-len('.rpm')]


def location(hub, pathinfo, nvra, sigkey=None):
    """Where the hub keeps an rpm (or its copy signed with sigkey)."""
    rinfo = hub.getRPM(nvra, strict=True)
    binfo = hub.getBuild(rinfo['build_id'], strict=True)
    rel = pathinfo.signed(rinfo, sigkey) if sigkey is not None else pathinfo.rpm(rinfo)
    return os.path.join(pathinfo.build(binfo), rel)


def checksig_ok(path, rpm_keyring, sigkey):
    rc, output = rpm_checksig(path, rpm_keyring)
    assert rc == 0, output
    assert 'key ID %s: OK' % sigkey in output, output


# -- import-sig -----------------------------------------------------------------------------

def test_import_sig_usage(run, tmp_path):
    usage_error(run('import-sig'), 'At least one package must be specified')
    usage_error(run('import-sig', str(tmp_path / 'nope.rpm')),
                'No such file: %s' % (tmp_path / 'nope.rpm'))


def test_import_sig(run, hub, imported, signed_rpms, pathinfo, rpm_keyring, tmp_path):
    build = signed_rpms.noarch
    key = signed_rpms.sigkey
    lines = ''.join('Importing signature [key %s] from %s...\nWriting signed copy\n'
                    % (key, p) for p in build.paths)
    assert ok(run('import-sig', '--test', *build.paths)) == lines
    for path in build.paths:
        assert hub.queryRPMSigs(rpm_id=nvra_of(path), sigkey=key) == []
    assert ok(run('import-sig', '--write', *build.paths)) == lines
    for path in build.paths:
        nvra = nvra_of(path)
        sigs = hub.queryRPMSigs(rpm_id=nvra, sigkey=key)
        assert len(sigs) == 1
        assert sigs[0]['sighash'] == koji.util.md5_constructor(
            koji.rip_rpm_sighdr(path)).hexdigest()
        rinfo = hub.getRPM(nvra)
        binfo = hub.getBuild(rinfo['build_id'])
        sighdr = os.path.join(pathinfo.build(binfo), pathinfo.sighdr(rinfo, key))
        with open(sighdr, 'rb') as fo:
            assert fo.read() == koji.rip_rpm_sighdr(path)
        copy = location(hub, pathinfo, nvra, key)
        assert filecmp.cmp(path, copy, shallow=False)
        checksig_ok(copy, rpm_keyring, key)
    assert ok(run('import-sig', *build.paths)) == ''.join(
        'Signature already imported: %s\n' % p for p in build.paths)
    # unsigned files: skipped, or (with --with-unsigned) the header import already stored
    unsigned = imported.noarch.paths
    assert ok(run('import-sig', *unsigned)) == ''.join(
        'Skipping unsigned package: %s\n' % p for p in unsigned)
    assert ok(run('import-sig', '--with-unsigned', *unsigned)) == ''.join(
        'Signature already imported: %s\n' % p for p in unsigned)
    # the same key, but another signature of the same rpm
    other = shutil.copy(imported.noarch.rpms[0], str(tmp_path))
    # signatures carry their creation second: make sure this one is newer
    time.sleep(1.1)
    sign_rpms([other], signed_rpms.key)
    assert koji.rip_rpm_sighdr(other) != koji.rip_rpm_sighdr(build.rpms[0])
    res = run('import-sig', other)
    assert ok(res) == ''
    assert res.stderr == ('signature mismatch: %s\n'
                          '  The system already has a signature for this rpm with key %s\n'
                          '  The two signature headers are not the same\n' % (other, key))


def test_import_sig_unknown_rpm(run, rpm_builds, tmp_path, signed_rpms):
    kit = build_kit(tmp_path / 'kit', 'kitunknown')
    signed = [shutil.copy(p, str(tmp_path)) for p in kit.paths]
    sign_rpms(signed, signed_rpms.key)
    assert ok(run('import-sig', *signed)) == ''.join(
        'No such rpm in system: %s\n' % nvra_of(p) for p in signed)
    # a .nosrc.rpm is looked up as arch src, as upstream does
    assert ok(run('import-sig', '--with-unsigned', rpm_builds.nosrc)) == \
        'No such rpm in system: kojitest-nosrc-0.1-1.src\n'


# -- write-signed-rpm -----------------------------------------------------------------------

def test_write_signed_rpm_usage(run):
    usage_error(run('write-signed-rpm'), 'A signature key must be specified')
    usage_error(run('write-signed-rpm', 'abcd1234'), 'At least one RPM must be specified')


def test_write_signed_rpm(run, hub, arch_signed, signed_rpms, pathinfo, rpm_keyring):
    key = signed_rpms.sigkey
    build = arch_signed
    copies = [location(hub, pathinfo, nvra_of(p), key) for p in build.paths]
    for copy in copies:
        os.remove(copy)
    binfo = hub.getBuild(build.nvr)
    rpms = hub.listRPMs(buildID=binfo['id'])
    expect = ''.join('[%d/%d] %s\n' % (i, len(rpms), r['nvr'] + '.' + r['arch'])
                     for i, r in enumerate(rpms, 1))
    # the key is matched case-insensitively; a build NVR stands for all its rpms
    assert ok(run('write-signed-rpm', key.upper(), build.nvr)) == expect
    for path, copy in zip(build.paths, copies):
        assert filecmp.cmp(path, copy, shallow=False)
        checksig_ok(copy, rpm_keyring, key)
    # rpm ids and NVRAs, and --buildid
    first = hub.getRPM(nvra_of(build.rpms[0]))
    out = ok(run('write-signed-rpm', key, str(first['id']), nvra_of(build.srpm)))
    assert out == '[1/2] %s\n[2/2] %s\n' % (nvra_of(build.rpms[0]), nvra_of(build.srpm))
    assert ok(run('write-signed-rpm', '--buildid', str(binfo['id']), key)) == expect
    # --all: every rpm with a signature of the key (other tests may add more)
    out = ok(run('write-signed-rpm', '--all', key))
    assert set(nvra_of(p) for p in build.paths) <= \
        set(line.split(' ', 1)[1] for line in out.splitlines())
    assert all(re.match(r'^\[\d+/\d+\] \S+$', line) for line in out.splitlines())


def test_write_signed_rpm_errors(run, hub, arch_signed, imported):
    res = run('write-signed-rpm', 'abcd1234', 'nosuch-1-1')
    assert res.returncode == 1 and res.stdout == ''
    assert re.match(LOG_ERROR + r'GenericError: No such rpm or build: nosuch-1-1$',
                    res.stderr), res.stderr
    # every line is printed before the hub refuses a key it has no signature for
    res = run('write-signed-rpm', 'abcd1234', nvra_of(arch_signed.srpm))
    assert res.returncode == 1
    assert res.stdout == '[1/1] %s\n' % nvra_of(arch_signed.srpm)
    assert re.match(LOG_ERROR + 'GenericError: ', res.stderr), res.stderr
    empty = hub.createEmptyBuild(uniq('emptypkg'), '1', '1', None)
    res = run('write-signed-rpm', '--buildid', str(empty), 'abcd1234')
    assert (res.returncode, res.stdout, res.stderr) == (0, '', 'No rpms found\n')


# -- list-signed ----------------------------------------------------------------------------

def test_list_signed(run, hub, arch_signed, signed_rpms, pathinfo):
    key = signed_rpms.sigkey
    build = arch_signed
    copies = sorted(location(hub, pathinfo, nvra_of(p), key) for p in build.paths)
    usage_error(run('list-signed'),
                'At least one from --build, --rpm, --tag needs to be specified.')
    assert sorted(ok(run('list-signed', '--build', build.nvr)).splitlines()) == copies
    binfo = hub.getBuild(build.nvr)
    out = ok(run('list-signed', '--build', str(binfo['id']), '--key', key))
    assert sorted(out.splitlines()) == copies
    assert ok(run('list-signed', '--build', build.nvr, '--key', 'abcd1234')) == ''
    rpm_copy = location(hub, pathinfo, nvra_of(build.srpm), key)
    assert ok(run('list-signed', '--rpm', nvra_of(build.srpm))) == rpm_copy + '\n'
    rinfo = hub.getRPM(nvra_of(build.srpm))
    assert ok(run('list-signed', '--rpm', str(rinfo['id']), '--key', key)) == rpm_copy + '\n'
    # the global --debug also names the signatures without a copy (the unsigned '' key)
    out = ok(run('--debug', 'list-signed', '--build', build.nvr))
    missing = sorted(location(hub, pathinfo, nvra_of(p), '') for p in build.paths)
    assert sorted(line[len('No copy: '):] for line in out.splitlines()
                  if line.startswith('No copy: ')) == missing
    # a tag: only what is tagged there
    tag = uniq('signed-tag')
    hub.createTag(tag)
    assert ok(run('list-signed', '--tag', tag)) == ''
    hub.packageListAdd(tag, build.name, hub.getLoggedInUser()['name'])
    hub.tagBuildBypass(tag, build.nvr)
    assert sorted(ok(run('list-signed', '--tag', tag)).splitlines()) == copies
    assert sorted(ok(run('list-signed', '--tag', tag, '--key', key)).splitlines()) == copies
    assert ok(run('list-signed', '--tag', tag, '--key', 'abcd1234')) == ''
    noarch = signed_rpms.noarch
    # --build adds nothing outside the tag; the tag's own rpms still count
    out = ok(run('list-signed', '--tag', tag, '--build', noarch.nvr))
    assert sorted(out.splitlines()) == copies


def test_list_signed_errors(run):
    res = run('list-signed', '--rpm', 'nosuch-1-1.noarch')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: No such rpm', res.stderr), res.stderr
    res = run('list-signed', '--build', 'nosuch-1-1')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: No such build', res.stderr), res.stderr


# -- remove-sig -----------------------------------------------------------------------------

def test_remove_sig_usage(run):
    usage_error(run('remove-sig'), 'Please specify an RPM')
    res = run('remove-sig', 'x-1-1.noarch')
    assert (res.returncode, res.stderr) == (1, 'Either --sigkey or --all options must be given\n')
    res = run('remove-sig', '--all', '--sigkey', 'abcd1234', 'x-1-1.noarch')
    assert (res.returncode, res.stderr) == (1, 'Conflicting options specified\n')


def test_remove_sig(run, hub, pathinfo, signed_rpms, tmp_path):
    key = signed_rpms.sigkey
    kit = build_kit(tmp_path / 'kit', uniq('kitsig'))
    signed = [shutil.copy(p, str(tmp_path)) for p in kit.paths]
    sign_rpms(signed, signed_rpms.key)
    hub_import(hub, kit.paths)
    nvra = nvra_of(kit.rpms[0])
    add_sig(hub, nvra, signed[1])
    hub.writeSignedRPM(nvra, key)
    copy = location(hub, pathinfo, nvra, key)
    rinfo = hub.getRPM(nvra)
    binfo = hub.getBuild(rinfo['build_id'])
    sighdr = os.path.join(pathinfo.build(binfo), pathinfo.sighdr(rinfo, key))
    assert os.path.exists(copy) and os.path.exists(sighdr)
    assert ok(run('remove-sig', '--sigkey', key, nvra)) == ''
    assert not os.path.exists(copy) and not os.path.exists(sighdr)
    assert [s['sigkey'] for s in hub.queryRPMSigs(rpm_id=nvra)] == ['']
    res = run('remove-sig', '--sigkey', key, nvra)
    assert (res.returncode, res.stdout) == (1, '')
    assert res.stderr == 'Signature removal failed: %s has no matching signatures to delete\n' \
        % nvra
    assert ok(run('remove-sig', '--all', nvra)) == ''
    assert hub.queryRPMSigs(rpm_id=nvra) == []
    res = run('remove-sig', '--all', 'nosuch-1-1.noarch')
    assert (res.returncode, res.stderr) == (1, 'No such rpm in system: nosuch-1-1.noarch\n')


# -- download-build -------------------------------------------------------------------------

BAR = re.compile(rb'^\[(=*) *\] +(\d+)% +([\d.]+ [KMG]?i?B) / ([\d.]+ [KMG]?i?B)\r$')


def downloaded(tmp_path):
    return sorted(os.listdir(str(tmp_path)))


def test_download_build(run, hub, imported, pathinfo, tmp_path):
    build = imported.arch
    res = run('download-build', build.nvr, cwd=str(tmp_path), text=False)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split(b'\n')
    assert lines[-1] == b''
    heads = [h.decode() for h in lines[0:-1:2]]
    bars = lines[1:-1:2]
    names = sorted(os.path.basename(p) for p in build.paths)
    found = [re.match(r'^Downloading \[(\d+)/(\d+)\]: (\S+)$', h) for h in heads]
    assert all(found), heads
    assert [(int(m.group(1)), int(m.group(2))) for m in found] == \
        [(i, len(names)) for i in range(1, len(names) + 1)]
    assert sorted(m.group(3) for m in found) == names
    for bar in bars:
        match = BAR.match(bar)
        assert match, bar
        assert match.group(1) == b'=' * 36 and match.group(2) == b'100'
        assert match.group(3) == match.group(4)
    assert downloaded(tmp_path) == names
    for path in build.paths:
        local = str(tmp_path / os.path.basename(path))
        stored = location(hub, pathinfo, nvra_of(path))
        assert filecmp.cmp(local, stored, shallow=False)
        # the file keeps the server's modification time
        assert int(os.path.getmtime(local)) == int(os.path.getmtime(stored))
    # a second run finds the files complete
    out = ok(run('download-build', '--noprogress', build.nvr, cwd=str(tmp_path)))
    for name in names:
        assert 'File %s already downloaded, skipping\n' % name in out
    assert re.fullmatch(r'(Downloading \[\d/\d\]: \S+\nFile \S+ already downloaded, '
                        r'skipping\n)+', out), out


def test_download_build_resume_and_checks(run, hub, imported, pathinfo, tmp_path):
    build = imported.arch
    name = os.path.basename(build.rpms[0])
    stored = location(hub, pathinfo, nvra_of(name))
    local = tmp_path / name
    with open(stored, 'rb') as fo:
        local.write_bytes(fo.read(1000))
    arch = build.arch
    out = ok(run('download-build', '--noprogress', '--arch', arch, build.nvr,
                 cwd=str(tmp_path)))
    assert out == 'Downloading [1/1]: %s\nAppending to existing file %s\n' % (name, name)
    assert filecmp.cmp(str(local), stored, shallow=False)
    # garbage of the right size: kept as "complete", then refused and deleted
    local.write_bytes(b'x' * os.path.getsize(stored))
    res = run('download-build', '-q', '--arch', arch, build.nvr, cwd=str(tmp_path))
    assert res.returncode == 1 and res.stdout == ''
    assert res.stderr.endswith('Downloaded rpm %s is not valid rpm file, deleting\n' % name)
    assert not local.exists()


def test_download_build_selection(run, hub, imported, pathinfo, tmp_path):
    build = imported.arch
    srpm = os.path.basename(build.srpm)
    rpms = sorted(os.path.basename(p) for p in build.rpms)

    def fetch(*args):
        where = tmp_path / uniq('d')
        where.mkdir()
        return run('download-build', '--noprogress', *args, cwd=str(where)), where
    res, where = fetch('--arch', 'src', build.nvr)
    assert ok(res) == 'Downloading [1/1]: %s\n' % srpm
    assert downloaded(where) == [srpm]
    res, where = fetch('-q', '--rpm', nvra_of(build.rpms[0]))
    assert (ok(res), downloaded(where)) == ('', [rpms[0]])
    # an NVRA without --rpm means its whole build
    res, where = fetch('-q', nvra_of(build.rpms[0]))
    assert downloaded(where) == sorted([srpm] + rpms)
    binfo = hub.getBuild(build.nvr)
    res, where = fetch('-q', str(binfo['id']))
    assert downloaded(where) == sorted([srpm] + rpms)
    tag = uniq('dl-tag')
    hub.createTag(tag)
    hub.packageListAdd(tag, build.name, hub.getLoggedInUser()['name'])
    hub.tagBuildBypass(tag, build.nvr)
    res, where = fetch('-q', '--latestfrom', tag, build.name)
    assert downloaded(where) == sorted([srpm] + rpms)


def test_download_build_errors(run, hub, imported, tmp_path):
    build = imported.arch

    def fails(*args, rc=1):
        res = run('download-build', *args, cwd=str(tmp_path))
        assert res.returncode == rc, res.stdout + res.stderr
        assert res.stdout == ''
        return res.stderr
    assert fails('--arch', 'ppc64', '--arch', 's390', build.nvr) == \
        'No ppc64 or s390 packages available for %s\n' % build.nvr
    assert fails('--arch', 'ppc64', '--nofailarch', build.nvr, rc=0) == \
        'No ppc64 packages available for %s\n' % build.nvr
    assert fails('nosuch-1-1') == 'No such build: nosuch-1-1\n'
    assert fails('999999') == 'No such build: 999999\n'
    assert fails('--rpm', 'nosuch-1-1.noarch') == 'No such rpm: nosuch-1-1.noarch\n'
    assert fails('--task-id', '999999') == ('No associated builds for task 999999\nIf this '
                                            'is a scratch build, try using download-task '
                                            'instead\n')
    assert fails('--type', 'image', build.nvr) == \
        'No image archives available for %s\n' % build.nvr
    assert fails('--topurl', '', build.nvr) == 'You must specify --topurl to download files\n'
    assert fails('--latestfrom', 'nosuch-tag', build.name).startswith(
        'Error finding latest build: ')
    tag = uniq('empty-tag')
    hub.createTag(tag)
    assert fails('--latestfrom', tag, build.name) == '%s has no builds of %s\n' % (
        tag, build.name)
    stderr = fails('--latestfrom', tag, '123', rc=2)
    assert stderr.endswith('koji: error: --latestfrom not compatible with build IDs, specify '
                           'a package name.\n')
    stderr = fails(rc=2)
    assert stderr.endswith('koji: error: Please specify a package N-V-R or build ID\n')
    stderr = fails('a', 'b', rc=2)
    assert stderr.endswith('koji: error: Only a single package N-V-R or build ID may be '
                           'specified\n')
    assert os.listdir(str(tmp_path)) == []


def test_download_build_signed(run, hub, arch_signed, signed_rpms, pathinfo, rpm_keyring,
                               tmp_path):
    key = signed_rpms.sigkey
    build = arch_signed
    names = sorted(os.path.basename(p) for p in build.paths)
    out = ok(run('download-build', '--noprogress', '--key', key, build.nvr, cwd=str(tmp_path)))
    assert sorted(re.findall(r'^Downloading \[\d/2\]: (\S+)$', out, re.M)) == names
    for path in build.paths:
        local = str(tmp_path / os.path.basename(path))
        assert filecmp.cmp(local, location(hub, pathinfo, nvra_of(path), key), shallow=False)
        assert filecmp.cmp(local, path, shallow=False)
        checksig_ok(local, rpm_keyring, key)
    # a key nobody signed with: each rpm is named and skipped ...
    other = tmp_path / 'other'
    other.mkdir()
    res = run('download-build', '--noprogress', '--key', 'abcd1234', build.nvr, cwd=str(other))
    assert (res.returncode, res.stdout) == (0, '')
    warned = ['No such sigkey abcd1234 for rpm %s-%s.rpm' % (build.nvr, n.rsplit('.', 2)[1])
              for n in names]
    assert sorted(res.stderr.splitlines()) == sorted(warned)
    assert downloaded(other) == []
    # ... or fetched unsigned with --fallback-unsigned
    res = run('download-build', '-q', '--key', 'abcd1234', '--fallback-unsigned', build.nvr,
              cwd=str(other))
    assert (res.returncode, res.stdout) == (0, '')
    assert downloaded(other) == names
    for path in build.paths:
        assert filecmp.cmp(str(other / os.path.basename(path)),
                           location(hub, pathinfo, nvra_of(path)), shallow=False)


def test_download_build_archives(run, hub, pathinfo, tmp_path):
    name = uniq('dlimg')
    build_id = hub.createEmptyBuild(name, '1', '1', None)
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'disk.iso').write_bytes(os.urandom(300000))
    (src / 'notes.txt').write_text('image notes\n')
    for fn in ('disk.iso', 'notes.txt'):
        serverdir = unique_path('test-archive')
        hub.uploadWrapper(str(src / fn), serverdir)
        hub.importArchive('%s/%s' % (serverdir, fn), hub.getBuild(build_id), 'image',
                          {'arch': 'x86_64'})
    dest = tmp_path / 'dest'
    dest.mkdir()
    out = ok(run('download-build', '--noprogress', '--type', 'image', str(build_id),
                 cwd=str(dest)))
    assert sorted(re.findall(r'^Downloading \[\d/2\]: (\S+)$', out, re.M)) == \
        ['disk.iso', 'notes.txt']
    binfo = hub.getBuild(build_id)
    for fn in ('disk.iso', 'notes.txt'):
        assert filecmp.cmp(str(dest / fn), os.path.join(pathinfo.imagebuild(binfo), fn),
                           shallow=False)
    # same size, other bytes: the checksum catches it
    (dest / 'disk.iso').write_bytes(os.urandom(300000))
    res = run('download-build', '-q', '--type', 'image', str(build_id), cwd=str(dest))
    assert res.returncode == 1
    assert res.stderr == "Downloaded archive disk.iso doesn't match checksum, deleting\n"
    assert not (dest / 'disk.iso').exists()
