"""import, import-archive, import-sig, the signed-copy commands and download-build:
upstream's CLI against ours.

An rpm can be imported only once, so state-changing commands run on twin worlds: each
client imports rpms of its own, built by rpmbuild for it, whose names differ only by
the world suffix; the outputs are compared once the suffix (and the random upload
directory of --link) is evened out. Commands run inside the world's folder with relative
paths, so the printed paths match too.

download-build only reads: both clients download the same build into two empty folders,
and the outputs, the files and their times must match.

Upstream's client reads rpm headers with the rpm bindings, which its venv lacks: it gets
the system's through PYTHONPATH (a folder holding only a link to them).
"""
import filecmp
import os
import re
import shutil
import subprocess

import pytest

import koji
from koji_cli.lib import unique_path
from tests.cli.rpmkit import build_kit, sign_rpms
from tests.interop.compare import norm, same, show, suffix, twin

LINKED = re.compile(r'cli-import/\d+\.\d+\.[A-Za-z]{8}/')


@pytest.fixture(scope='module')
def clients(interop_clients, upstream_koji, tmp_path_factory):
    import rpm
    shim = str(tmp_path_factory.mktemp('rpmshim'))
    os.symlink(os.path.dirname(rpm.__file__), os.path.join(shim, 'rpm'))
    interop_clients.env['PYTHONPATH'] = shim
    check = upstream_koji.run_python('import rpm', env={'PYTHONPATH': shim})
    if check.returncode:
        pytest.skip('the rpm bindings do not load in the upstream venv: %s' % check.stderr)
    return interop_clients


def scrub(res):
    """The result with the random upload directory of --link masked."""
    return subprocess.CompletedProcess(res.args, res.returncode,
                                       LINKED.sub('cli-import/X/', res.stdout),
                                       LINKED.sub('cli-import/X/', res.stderr))


def rel(path, top):
    return os.path.relpath(path, top)


def world_rpms(base, w, gpg_key, *names):
    """Kits named <name>-<suffix> in base/<suffix>, with signed copies in signed/."""
    top = os.path.join(str(base), w.sfx)
    kits = {}
    for name in names:
        kit = build_kit(top, w.n(name))
        signed_dir = os.path.join(top, 'signed')
        os.makedirs(signed_dir, exist_ok=True)
        signed = [shutil.copy(p, signed_dir) for p in kit.paths]
        sign_rpms(signed, gpg_key)
        kits[name] = (kit, signed)
    return top, kits


def test_import_twins(clients, hub, gpg_key, tmp_path):
    def script(w):
        top, kits = world_rpms(tmp_path, w, gpg_key, 'kii', 'kib', 'kil')

        def run(*args):
            return scrub(w.run(*args, cwd=top))
        kii, kib, kil = (kits[n][0] for n in ('kii', 'kib', 'kil'))
        paths = [rel(p, top) for p in kii.paths]
        out = [run('import', '--test', *paths)]
        out.append(run('import', *paths[1:]))
        out.append(run('import', *reversed(paths)))
        out.append(run('import', *paths))
        # binary only: created build with an epoch, then the srpm
        out.append(run('import', '--test', '--create-build', rel(kib.rpms[0], top)))
        out.append(run('import', '--create-build', '--src-epoch', '3', rel(kib.rpms[0], top)))
        out.append(run('import', rel(kib.srpm, top)))
        out.append(run('import', '--link', *[rel(p, top) for p in kil.paths]))
        build = hub.getBuild(kib.nvr)
        assert build['epoch'] == 3
        # a dead build, with and without --create-build
        hub.resetBuild(kil.nvr)
        out.append(run('import', *[rel(p, top) for p in kil.paths]))
        out.append(run('import', '--create-build', *[rel(p, top) for p in kil.paths]))
        out.append(run('import', 'nosuch.rpm'))
        return out
    results = twin(clients, script)
    assert results[2][1].startswith('uploading SRPMS/kii-WORLD-1.0-1.src.rpm... done\n')
    assert 'Linking rpm to: ' in results[7][1]


def test_signature_twins(clients, hub, hub_server, gpg_key, tmp_path):
    key = gpg_key.sigkey

    def script(w):
        top, kits = world_rpms(tmp_path, w, gpg_key, 'kis', 'kir')

        def run(*args, **kw):
            return w.run(*args, cwd=top, **kw)
        kis, signed = kits['kis']
        kir, kir_signed = kits['kir']
        hub_import(hub, kis.paths + kir.paths)
        spaths = [rel(p, top) for p in signed]
        out = [run('import-sig', '--test', *spaths)]
        out.append(run('import-sig', *spaths))
        out.append(run('import-sig', '--write', *spaths))
        out.append(run('import-sig', *[rel(p, top) for p in kis.paths]))
        out.append(run('import-sig', '--with-unsigned', *[rel(p, top) for p in kis.paths]))
        out.append(run('import-sig', rel(kir_signed[0], top), 'missing.rpm'))
        # write-signed-rpm: by build, rpm, id, --buildid; refusals
        for path in signed:
            os.remove(signed_copy(hub, hub_server, os.path.basename(path)[:-4], key))
        out.append(run('write-signed-rpm', key.upper(), kis.nvr))
        rinfo = hub.getRPM(os.path.basename(kis.rpms[0])[:-4])
        out.append(run('write-signed-rpm', key, str(rinfo['id']),
                       os.path.basename(kis.srpm)[:-4]))
        out.append(run('write-signed-rpm', '--buildid', str(rinfo['build_id']), key))
        out.append(run('write-signed-rpm', key, w.n('nosuch') + '-1-1'))
        out.append(run('write-signed-rpm', 'abcd1234', kir.nvr))
        # list-signed
        out.append(run('list-signed', '--build', kis.nvr))
        # the global --debug: stdout only, the client library logs differently
        debug = run('--debug', 'list-signed', '--build', kis.nvr)
        out.append(subprocess.CompletedProcess(debug.args, debug.returncode, debug.stdout, ''))
        out.append(run('list-signed', '--rpm', os.path.basename(kis.srpm)[:-4], '--key', key))
        out.append(run('list-signed', '--build', kir.nvr, '--key', key))
        tag = w.n('sigtag')
        hub.createTag(tag)
        hub.packageListAdd(tag, kis.name, hub.getLoggedInUser()['name'])
        hub.tagBuildBypass(tag, kis.nvr)
        # upstream's --tag mode keeps only the first signature row of each rpm (and fails
        # on --key or on rpms without any): ours lists every copy, so upstream's listing
        # is a part of ours
        tagged[w.who] = [norm(run('list-signed', '--tag', tag), w.sfx),
                         norm(run('list-signed', '--tag', tag, '--build', kir.nvr), w.sfx)]
        out.append(run('list-signed', '--rpm', w.n('nosuch') + '-1-1.noarch'))
        # remove-sig
        nvra = os.path.basename(kis.rpms[0])[:-4]
        out.append(run('remove-sig', '--sigkey', key, nvra))
        out.append(run('remove-sig', '--sigkey', key, nvra))
        out.append(run('remove-sig', '--all', nvra))
        out.append(run('remove-sig', '--all', w.n('nosuch') + '-1-1.noarch'))
        out.append(run('list-signed', '--build', kis.nvr))
        return out
    tagged = {}
    results = twin(clients, script)
    assert results[1][1].startswith('Importing signature [key %s] from signed/' % key)
    for theirs, ours in zip(tagged['theirs'], tagged['ours']):
        assert (theirs[0], theirs[2]) == (ours[0], ours[2]) == (0, '')
        assert set(theirs[1].splitlines()) <= set(ours[1].splitlines())
        lines = ours[1].splitlines()
        assert len(lines) == 2 and all('/kis-WORLD/' in x and '/data/signed/%s/' % key in x
                                       for x in lines), lines
    assert results[6][1].startswith('[1/2] kis-WORLD-1.0-1.')


def hub_import(hub, paths):
    for path in sorted(paths, key=lambda p: not p.endswith('.src.rpm')):
        serverdir = unique_path('test-import')
        hub.uploadWrapper(path, serverdir)
        hub.importRPM(serverdir, os.path.basename(path))


def signed_copy(hub, hub_server, nvra, key):
    pathinfo = koji.PathInfo(topdir=hub_server.topdir)
    rinfo = hub.getRPM(nvra, strict=True)
    binfo = hub.getBuild(rinfo['build_id'])
    return os.path.join(pathinfo.build(binfo), pathinfo.signed(rinfo, key))


def test_import_archive_twins(clients, hub, tmp_path):
    def script(w):
        top = tmp_path / w.sfx
        top.mkdir()
        (top / 'disk.iso').write_bytes(b'\0' * 5000)
        (top / 'notes.txt').write_text('notes\n')

        def run(*args):
            return scrub(w.run(*args, cwd=str(top)))
        nvr = w.n('kia') + '-1.0-1'
        out = [run('import-archive', '--type', 'image', '--type-info', 'x86_64', nvr,
                   'disk.iso')]
        out.append(run('import-archive', '--create-build', '--type', 'image', '--type-info',
                       'x86_64', nvr, 'disk.iso', 'notes.txt'))
        build_id = hub.createEmptyBuild(w.n('kib'), '1', '2', None)
        out.append(run('import-archive', '--type', 'image', '--type-info', 'ppc64le',
                       '--noprogress', str(build_id), 'disk.iso'))
        out.append(run('import-archive', '--link', '--type', 'image', '--type-info', 'ppc64le',
                       str(build_id), 'notes.txt'))
        out.append(run('import-archive', '--type', 'image', '--type-info', 'x86_64', nvr,
                       'disk.iso'))
        return out
    results = twin(clients, script)
    assert results[1][1] == ('Uploading archive: disk.iso\n\nImported: disk.iso\n'
                             'Uploading archive: notes.txt\n\nImported: notes.txt\n')


USAGE = [
    ('import',),
    ('import', '--src-epoch', 'x', 'a.rpm'),
    ('import-sig',),
    ('import-sig', '/nonexistent.rpm'),
    ('import-archive', 'x-1-1'),
    ('import-archive', 'x-1-1', 'a.iso'),
    ('import-archive', '--type', 'rpm', 'x-1-1', 'a.iso'),
    ('import-archive', '--type', 'image', 'x-1-1', 'a.iso'),
    ('import-archive', '--type', 'win', 'x-1-1', 'a.iso'),
    ('import-archive', '--type', 'win', '--type-info', 'x', 'x-1-1', 'a.iso'),
    ('import-archive', '--type', 'maven', 'x-1-1', 'a.iso'),
    ('import-archive', '--type', 'image', '--type-info', 'x86_64', 'nosuch-1-1', 'a.iso'),
    ('write-signed-rpm',),
    ('write-signed-rpm', 'abcd1234'),
    ('list-signed',),
    ('remove-sig',),
    ('remove-sig', 'x-1-1.noarch'),
    ('remove-sig', '--all', '--sigkey', 'k', 'x-1-1.noarch'),
    ('remove-sig', '--sigkey', 'k', 'nosuch-1-1.noarch'),
    ('download-build',),
    ('download-build', 'a', 'b'),
    ('download-build', 'nosuch-1-1'),
    ('download-build', '999999'),
    ('download-build', '--rpm', 'nosuch-1-1.noarch'),
    ('download-build', '--task-id', '999999'),
    ('download-build', '--latestfrom', 'nosuch-tag', 'pkg'),
    ('download-build', '--latestfrom', 'nosuch-tag', '123'),
]


@pytest.mark.parametrize('args', USAGE, ids=[' '.join(a) or 'none' for a in USAGE])
def test_errors(clients, args):
    same(clients, *args, usage_extra=True)


@pytest.fixture(scope='module')
def dl_build(hub, hub_server, gpg_key, tmp_path_factory):
    """A build with an srpm, a noarch rpm, signed copies and two image archives."""
    top = str(tmp_path_factory.mktemp('dl'))
    kit = build_kit(top, 'kid-%s' % suffix())
    signed = [shutil.copy(p, os.path.join(top, 'SPECS')) for p in kit.paths]
    sign_rpms(signed, gpg_key)
    hub_import(hub, kit.paths)
    for path in signed:
        nvra = os.path.basename(path)[:-4]
        hub.addRPMSig(nvra, koji.util.base64encode(koji.rip_rpm_sighdr(path)))
        hub.writeSignedRPM(nvra, gpg_key.sigkey)
    binfo = hub.getBuild(kit.nvr)
    for fn, size in (('disk.iso', 3 * 1024 * 1024 + 100), ('notes.txt', 50)):
        path = os.path.join(top, fn)
        with open(path, 'wb') as fo:
            fo.write(os.urandom(size))
        serverdir = unique_path('test-archive')
        hub.uploadWrapper(path, serverdir)
        hub.importArchive('%s/%s' % (serverdir, fn), binfo, 'image', {'arch': 'x86_64'})
    tag = 'dltag-%s' % suffix()
    hub.createTag(tag)
    hub.packageListAdd(tag, kit.name, hub.getLoggedInUser()['name'])
    hub.tagBuildBypass(tag, kit.nvr)
    return kit, tag


def both_download(clients, tmp_path, *args, prepare=None, noauth=True):
    """Run download-build through both clients in fresh folders; compare everything."""
    dirs = {}
    results = {}
    for who in ('theirs', 'ours'):
        where = tmp_path / ('%s-%s' % (who, suffix()))
        where.mkdir()
        if prepare:
            prepare(where)
        dirs[who] = where
        results[who] = clients.run(who, 'download-build', *args, cwd=str(where), noauth=noauth)
    theirs, ours = results['theirs'], results['ours']
    assert norm(ours) == norm(theirs), show(theirs, ours)
    names = sorted(os.listdir(str(dirs['theirs'])))
    assert sorted(os.listdir(str(dirs['ours']))) == names
    for name in names:
        a, b = str(dirs['theirs'] / name), str(dirs['ours'] / name)
        assert filecmp.cmp(a, b, shallow=False), name
        if prepare is None:
            # downloads take the server's time (files left alone keep their own)
            assert int(os.path.getmtime(a)) == int(os.path.getmtime(b)), name
    return theirs, names


def test_download_build(clients, dl_build, gpg_key, tmp_path):
    kit, tag = dl_build
    key = gpg_key.sigkey
    res, names = both_download(clients, tmp_path, kit.nvr)
    assert names == sorted(os.path.basename(p) for p in kit.paths)
    assert '[====================================] 100% ' in res.stdout
    both_download(clients, tmp_path, '--noprogress', kit.nvr)
    both_download(clients, tmp_path, '-q', '--key', key, kit.nvr)
    both_download(clients, tmp_path, '--noprogress', '--key', 'abcd1234', kit.nvr)
    both_download(clients, tmp_path, '--key', 'abcd1234', '--fallback-unsigned', kit.nvr)
    both_download(clients, tmp_path, '--arch', 'src', '--noprogress', kit.nvr)
    both_download(clients, tmp_path, '--arch', 'ppc64', '--arch', 's390', kit.nvr)
    both_download(clients, tmp_path, '--arch', 'ppc64', '--nofailarch', kit.nvr)
    both_download(clients, tmp_path, '--rpm', os.path.basename(kit.rpms[0])[:-4])
    both_download(clients, tmp_path, '--noprogress', os.path.basename(kit.srpm)[:-4])
    both_download(clients, tmp_path, '--latestfrom', tag, '--noprogress', kit.name)
    both_download(clients, tmp_path, '--latestfrom', tag, 'nosuch')
    both_download(clients, tmp_path, '--topurl', '', kit.nvr)
    res, names = both_download(clients, tmp_path, '--type', 'image', kit.nvr)
    assert names == ['disk.iso', 'notes.txt']
    both_download(clients, tmp_path, '--type', 'maven', kit.nvr)
    both_download(clients, tmp_path, '--debuginfo', '--noprogress', kit.nvr, noauth=False)


def test_download_build_existing_files(clients, hub, hub_server, dl_build, tmp_path):
    kit, tag = dl_build
    pathinfo = koji.PathInfo(topdir=hub_server.topdir)
    rinfo = hub.getRPM(os.path.basename(kit.rpms[0])[:-4])
    binfo = hub.getBuild(kit.nvr)
    stored = os.path.join(pathinfo.build(binfo), pathinfo.rpm(rinfo))
    name = os.path.basename(stored)
    with open(stored, 'rb') as fo:
        content = fo.read()

    def partial(where):
        (where / name).write_bytes(content[:2000])

    def complete(where):
        (where / name).write_bytes(content)

    def garbage(where):
        (where / name).write_bytes(b'x' * len(content))
    res, names = both_download(clients, tmp_path, kit.nvr, prepare=partial)
    assert 'Appending to existing file %s\n' % name in res.stdout
    res, names = both_download(clients, tmp_path, kit.nvr, prepare=complete)
    assert 'File %s already downloaded, skipping\n' % name in res.stdout
    # the rpm check's own message comes from the library and is worded differently; the
    # command's verdict and exit code must match
    theirs = clients.theirs('download-build', '--arch', 'noarch', kit.nvr,
                            cwd=str(_prepared(tmp_path, garbage)), noauth=True)
    ours = clients.ours('download-build', '--arch', 'noarch', kit.nvr,
                        cwd=str(_prepared(tmp_path, garbage)), noauth=True)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), \
        show(theirs, ours)
    last = 'Downloaded rpm %s is not valid rpm file, deleting\n' % name
    assert theirs.stderr.endswith(last) and ours.stderr.endswith(last), show(theirs, ours)


def _prepared(tmp_path, prepare):
    where = tmp_path / suffix()
    where.mkdir()
    prepare(where)
    return where
