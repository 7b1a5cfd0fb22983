"""importRPM and the rpm reads with real rpms from rpmbuild, in-process on a real database."""
import base64
import hashlib
import os

import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.builds.build_write import BuildWriteExports
from kojihub.builds.buildroots import BuildrootExports
from kojihub.builds.rpm_import import RpmImportExports
from kojihub.builds.rpms import RpmExports
from kojihub.tasks.uploads import UploadExports

RPM_KEYS = {'arch', 'build_id', 'buildroot_id', 'buildtime', 'draft', 'epoch',
            'external_repo_id', 'external_repo_name', 'extra', 'id', 'metadata_only', 'name',
            'payloadhash', 'release', 'size', 'version'}
FILE_KEYS = {'digest', 'digest_algo', 'flags', 'group', 'md5', 'mode', 'mtime', 'name', 'size',
             'user'}


class RpmApi(RpmExports, RpmImportExports):
    """The rpm calls, importRPM included."""


api = RpmApi()
uapi = UploadExports()


@pytest.fixture
def admin(make_user, login_as):
    make_user('rpmadmin', perms=['admin'])
    return login_as('rpmadmin')


def upload(path, reldir):
    """Legacy uploadFile of a local file into work/<reldir>, as the CLI would."""
    with open(path, 'rb') as fo:
        data = fo.read()
    name = os.path.basename(path)
    digest = hashlib.sha256(data).hexdigest()
    assert uapi.uploadFile(reldir, name, len(data), ('sha256', digest), 0,
                           base64.b64encode(data).decode())
    assert uapi.uploadFile(reldir, name, len(data), ('sha256', digest), -1, '')
    return name


def rpm_query(path, fmt):
    import subprocess
    return subprocess.run(['rpm', '-qp', '--nosignature', '--nodigest', '--qf', fmt, path],
                          check=True, stdout=subprocess.PIPE, text=True).stdout


def import_build(build, reldir='cli-import/abc'):
    """Upload and import the srpm, then the binary rpms; returns the rpm records."""
    result = []
    for path in build.paths:
        name = upload(path, reldir)
        context.event_id = None
        result.append(api.importRPM(reldir, name))
    return result


def test_import_srpm_and_rpms(topdir, admin, rpm_builds):
    build = rpm_builds.arch
    records = import_build(build)
    srpm, binaries = records[0], records[1:]
    assert srpm['arch'] == 'src'
    binfo = srpm['build']
    assert (binfo['name'], binfo['version'], binfo['release']) == \
        (build.name, build.version, build.release)
    assert binfo['state'] == koji.BUILD_STATES['COMPLETE']
    assert binfo['volume_name'] == 'DEFAULT'
    builddir = koji.pathinfo.build(binfo)
    assert builddir == os.path.join(topdir, 'packages', build.name, build.version,
                                    build.release)
    for path, rec in zip(build.paths, records):
        assert rec['build_id'] == binfo['id']
        final = os.path.join(builddir, koji.pathinfo.rpm(rec))
        assert os.path.isfile(final) and not os.path.islink(final)
        with open(path, 'rb') as a, open(final, 'rb') as b:
            assert a.read() == b.read()
        # the upload is now a symlink to the stored file
        work = os.path.join(topdir, 'work', 'cli-import/abc', os.path.basename(path))
        assert os.path.islink(work) and os.path.realpath(work) == os.path.realpath(final)
        info = api.getRPM(rec['id'])
        assert set(info) == RPM_KEYS
        assert info['payloadhash'] == rpm_query(path, '%{SIGMD5}')
        assert info['buildtime'] == int(rpm_query(path, '%{BUILDTIME}'))
        assert info['size'] == os.path.getsize(path)
        assert info['external_repo_id'] == 0
        assert info['external_repo_name'] == 'INTERNAL'
        assert info['draft'] is False
        # unsigned: the header is cached under the empty sigkey
        sigpath = os.path.join(builddir, koji.pathinfo.sighdr(rec, ''))
        assert os.path.isfile(sigpath)
    assert [b['arch'] for b in binaries] == [build.arch] * len(build.rpms)
    rows = db.QueryProcessor(columns=['sigkey'], tables=['rpmsigs'],
                             clauses=['rpm_id = ANY(%(ids)s)'],
                             values={'ids': [r['id'] for r in records]}).execute()
    assert [r['sigkey'] for r in rows] == [''] * len(records)


def test_get_rpm_lookups(topdir, admin, rpm_builds):
    records = import_build(rpm_builds.noarch)
    rec = records[1]
    nvra = '%(name)s-%(version)s-%(release)s.%(arch)s' % rec
    assert api.getRPM(nvra)['id'] == rec['id']
    assert api.getRPM(dict(rec))['id'] == rec['id']
    assert api.getRPM({'name': rec['name'], 'version': rec['version'],
                       'release': rec['release'], 'arch': rec['arch']})['id'] == rec['id']
    assert [r['id'] for r in api.getRPM(nvra, multi=True)] == [rec['id']]
    assert api.getRPM('nosuch-1-1.noarch') is None
    assert api.getRPM(999999) is None
    with pytest.raises(koji.GenericError) as exc:
        api.getRPM(999999, strict=True)
    assert str(exc.value) == "No such rpm: {'id': 999999}"
    # the parsed N-V-R.A, in upstream's key order
    with pytest.raises(koji.GenericError) as exc:
        api.getRPM('nosuch-1-2.noarch', strict=True)
    assert str(exc.value) == ("No such rpm: {'release': '2', 'version': '1', 'name': 'nosuch', "
                              "'epoch': '', 'arch': 'noarch', 'src': False}")
    with pytest.raises(koji.GenericError):
        api.getRPM(nvra + '@nosuchrepo')


def test_external_rpm_preference(topdir, admin, rpm_builds):
    records = import_build(rpm_builds.noarch)
    rec = records[1]
    repo_id = db.nextval('external_repo_id_seq')
    db.InsertProcessor('external_repo', data={'id': repo_id, 'name': 'extrepo'}).execute()
    ext_id = db.nextval('rpminfo_id_seq')
    db.InsertProcessor('rpminfo', data={
        'id': ext_id, 'name': rec['name'], 'version': rec['version'],
        'release': rec['release'], 'arch': rec['arch'], 'epoch': None,
        'external_repo_id': repo_id, 'payloadhash': 'ab' * 16, 'size': 1,
        'buildtime': 1}).execute()
    nvra = '%(name)s-%(version)s-%(release)s.%(arch)s' % rec
    assert api.getRPM(nvra)['id'] == rec['id']
    ext = api.getRPM(nvra + '@extrepo')
    assert ext['id'] == ext_id and ext['external_repo_name'] == 'extrepo'
    assert ext['build_id'] is None and ext['draft'] is None
    assert {r['id'] for r in api.getRPM(nvra, multi=True)} == {rec['id'], ext_id}
    # without the internal row the external one is found
    db._dml('DELETE FROM rpmsigs WHERE rpm_id = %(id)s', {'id': rec['id']})
    db._dml('DELETE FROM rpminfo WHERE id = %(id)s', {'id': rec['id']})
    assert api.getRPM(nvra)['id'] == ext_id


def test_list_rpms_filters(topdir, admin, rpm_builds):
    arch_recs = import_build(rpm_builds.arch)
    noarch_recs = import_build(rpm_builds.noarch, reldir='cli-import/def')
    bid = arch_recs[0]['build_id']
    rows = api.listRPMs(buildID=bid)
    assert {r['id'] for r in rows} == {r['id'] for r in arch_recs}
    assert set(rows[0]) == RPM_KEYS | {'nvr'}
    assert rows[0]['nvr'] == rpm_builds.arch.nvr
    assert api.listBuildRPMs(rpm_builds.arch.nvr) == rows
    assert {r['arch'] for r in api.listRPMs(arches='src')} == {'src'}
    assert len(api.listRPMs(arches=['src', 'noarch'])) == 2 + len(rpm_builds.noarch.rpms)
    assert api.listRPMs(buildID=bid, queryOpts={'countOnly': True}) == len(arch_recs)
    assert [r['id'] for r in api.listRPMs(queryOpts={'order': '-id', 'limit': 1})] == \
        [noarch_recs[-1]['id']]
    assert api.listRPMs(draft=True) == []
    assert len(api.listRPMs(draft=False)) == len(arch_recs) + len(noarch_recs)
    assert api.listRPMs(hostID=1) == []
    assert api.listRPMs(imageID=1) == []
    with pytest.raises(koji.GenericError):
        api.listRPMs(arches=5)


def test_component_buildroot_listing(topdir, admin, rpm_builds):
    recs = import_build(rpm_builds.noarch)
    br_id = db.nextval('buildroot_id_seq')
    db.InsertProcessor('buildroot', data={'id': br_id, 'br_type': 1,
                                          'container_type': 'chroot',
                                          'container_arch': 'x86_64', 'host_os': 'linux',
                                          'host_arch': 'x86_64',
                                          'extra': '{"a": 1}'}).execute()
    db.InsertProcessor('buildroot_listing', data={'buildroot_id': br_id,
                                                  'rpm_id': recs[1]['id'],
                                                  'is_update': True}).execute()
    rows = api.listRPMs(componentBuildrootID=br_id)
    assert [(r['id'], r['component_buildroot_id'], r['is_update']) for r in rows] == \
        [(recs[1]['id'], br_id, True)]
    bapi = BuildrootExports()
    listing = bapi.getBuildrootListing(br_id)
    assert set(listing[0]) == {'arch', 'build_id', 'draft', 'epoch', 'external_repo_id',
                               'external_repo_name', 'is_update', 'name', 'release',
                               'rpm_id', 'version'}
    br = bapi.getBuildroot(br_id)
    assert br['extra'] == {'a': 1} and br['arch'] == 'x86_64' and br['host_id'] is None
    assert [b['id'] for b in bapi.listBuildroots(rpmID=recs[1]['id'])] == [br_id]
    assert bapi.listBuildroots(buildrootID=[br_id], queryOpts={'countOnly': True}) == 1
    assert bapi.getBuildroot(999999) is None
    with pytest.raises(koji.GenericError):
        bapi.getBuildroot(999999, strict=True)


def test_header_reads(topdir, admin, rpm_builds):
    recs = import_build(rpm_builds.noarch)
    binary = recs[1]
    deps = api.getRPMDeps(binary['id'])
    provides = [d for d in deps if d['type'] == koji.DEP_PROVIDE]
    assert 'kojitest-virtual' in [d['name'] for d in provides]
    requires = api.getRPMDeps(binary['id'], depType=koji.DEP_REQUIRE)
    assert '/bin/sh' in [d['name'] for d in requires]
    assert {d['type'] for d in requires} == {koji.DEP_REQUIRE}
    recommends = api.getRPMDeps(binary['id'], depType=koji.DEP_RECOMMEND)
    assert [d['name'] for d in recommends] == ['kojitest-arch']
    as_list = api.getRPMDeps(binary['id'], queryOpts={'asList': True})
    assert len(as_list) == len(deps) and len(as_list[0]) == 4
    assert api.getRPMDeps(binary['id'], queryOpts={'countOnly': True}) == len(deps)
    assert api.getRPMDeps(999999) == []
    with pytest.raises(koji.GenericError):
        api.getRPMDeps(999999, strict=True)

    files = api.listRPMFiles(binary['id'])
    names = sorted(f['name'] for f in files)
    assert names == ['/usr/bin/kojitest-hello', '/usr/share/kojitest-noarch/data.txt']
    assert set(files[0]) == FILE_KEYS
    one = api.getRPMFile(binary['id'], '/usr/bin/kojitest-hello')
    assert one['rpm_id'] == binary['id'] and one['mode'] & 0o777 == 0o755
    assert one['digest'] == hashlib.sha256(
        b'#!/bin/sh\necho "hello from kojitest"\n').hexdigest()
    assert one['digest_algo'] == 'sha256'
    assert api.getRPMFile(binary['id'], '/nope') == {}
    with pytest.raises(koji.GenericError):
        api.getRPMFile(binary['id'], '/nope', strict=True)
    assert api.listRPMFiles(binary['id'], queryOpts={'order': '-name', 'limit': 1})[0][
        'name'] == names[-1]

    hdrs = api.getRPMHeaders(binary['id'], headers=['name', 'summary', 'sigmd5'])
    assert hdrs['name'] == 'kojitest-noarch'
    assert hdrs['summary'].startswith('Noarch test package')
    assert base64.b64decode(hdrs['sigmd5']).hex() == binary['payloadhash']
    assert api.getRPMHeaders(999999) == {}
    with pytest.raises(koji.GenericError):
        api.getRPMHeaders()
    with pytest.raises(koji.GenericError):
        api.getRPMHeaders(taskID=1, filepath='../x.rpm')


def test_rpm_checksums(topdir, admin, rpm_builds):
    recs = import_build(rpm_builds.noarch)
    rec = recs[1]
    assert api.getRPMChecksums(rec['id']) == {'': {'md5': None, 'sha256': None}}
    # a signed copy on disk gets its checksums computed and cached
    binfo = rec['build']
    signed = os.path.join(koji.pathinfo.build(binfo), koji.pathinfo.signed(rec, ''))
    os.makedirs(os.path.dirname(signed))
    with open(signed, 'wb') as fo:
        fo.write(b'signed bytes')
    res = api.getRPMChecksums(rec['id'], checksum_types=['sha256'])
    assert res == {'': {'sha256': hashlib.sha256(b'signed bytes').hexdigest()}}
    assert api.getRPMChecksums(rec['id'], checksum_types=['sha256', 'md5'],
                               cacheonly=True) == {
        '': {'sha256': hashlib.sha256(b'signed bytes').hexdigest(), 'md5': None}}
    with pytest.raises(koji.GenericError):
        api.getRPMChecksums(rec['id'], checksum_types=['crc'])
    with pytest.raises(koji.GenericError):
        api.getRPMChecksums('x')


def test_import_errors(topdir, admin, make_user, login_as, rpm_builds):
    build = rpm_builds.noarch
    with pytest.raises(koji.GenericError, match='No such file'):
        api.importRPM('cli-import/abc', 'missing.rpm')
    with pytest.raises(koji.GenericError):
        api.importRPM('../etc', 'passwd')
    # a binary rpm without its build
    name = upload(build.rpms[0], 'cli-import/x1')
    with pytest.raises(koji.GenericError, match='No matching build'):
        api.importRPM('cli-import/x1', name)
    # the same srpm twice: the file is already in place
    import_build(build, reldir='cli-import/x2')
    name = upload(build.srpm, 'cli-import/x3')
    with pytest.raises(koji.GenericError):
        api.importRPM('cli-import/x3', name)
    make_user('plain')
    login_as('plain')
    with pytest.raises(koji.ActionNotAllowed):
        api.importRPM('cli-import/x3', name)


def test_import_callbacks(topdir, admin, rpm_builds, monkeypatch):
    seen = []

    def fake(cbtype, *args, **kws):
        seen.append((cbtype, kws.get('type'), kws.get('filepath')))
    # registered as a plugin would (the hub skips work for callbacks nobody listens to)
    from koji import plugin
    for name in ('preBuildStateChange', 'postBuildStateChange', 'preImport', 'postImport'):
        monkeypatch.setitem(plugin.callbacks, name, [fake])
    import_build(rpm_builds.noarch)
    kinds = [s[0] for s in seen]
    assert kinds[:2] == ['preBuildStateChange', 'postBuildStateChange']
    assert kinds.count('preImport') == kinds.count('postImport') == 1 + len(
        rpm_builds.noarch.rpms)
    pre = [s for s in seen if s[0] == 'preImport'][0]
    assert pre[1] == 'rpm' and pre[2].endswith('.src.rpm')


def test_create_empty_build(topdir, admin):
    bapi = BuildWriteExports()
    build_id = bapi.createEmptyBuild('emptypkg', '1.0', '1', None)
    from kojihub.builds.builds import get_build
    binfo = get_build(build_id)
    assert binfo['nvr'] == 'emptypkg-1.0-1'
    assert binfo['state'] == koji.BUILD_STATES['COMPLETE']
    assert binfo['owner_name'] == 'rpmadmin'
    with pytest.raises(koji.GenericError, match='already exists'):
        context.event_id = None
        bapi.createEmptyBuild('emptypkg', '1.0', '1', None)
    # as upstream: no draft of an NVR that already has a real build
    with pytest.raises(koji.GenericError) as exc:
        bapi.createEmptyBuild('emptypkg', '1.0', '1', None, draft=True)
    assert str(exc.value) == 'Target build already exists: emptypkg-1.0-1 (id=%d)' % build_id
    draft_id = bapi.createEmptyBuild('emptypkg', '1.0', '2', None, draft=True)
    draft = get_build(draft_id)
    assert draft['draft'] is True and draft['release'] == '2,draft_%d' % draft_id
    other = bapi.createEmptyBuild('emptypkg', '2.0', '1', 3, owner='rpmadmin')
    assert get_build(other)['epoch'] == 3
    with pytest.raises(koji.GenericError):
        bapi.createEmptyBuild('emptypkg', '2-0', '1', None)
