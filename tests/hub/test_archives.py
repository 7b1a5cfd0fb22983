"""Archive types, archive import and archive reads, in-process on a real database."""
import hashlib
import io
import os
import tarfile
import zipfile

import pytest

import koji
from kojihub.core import db
from kojihub.builds.archives import ArchiveExports, import_archive
from kojihub.builds.build_write import BuildWriteExports
from kojihub.builds.builds import get_build
from kojihub.core.lookup import lookup_name

TYPE_KEYS = {'compression_type', 'description', 'extensions', 'id', 'name'}
ARCHIVE_KEYS = {'btype', 'btype_id', 'build_id', 'buildroot_id', 'checksum', 'checksum_type',
                'compression_type', 'extra', 'filename', 'id', 'metadata_only', 'size',
                'type_description', 'type_extensions', 'type_id', 'type_name'}

api = ArchiveExports()


@pytest.fixture
def admin(make_user, login_as):
    make_user('archadmin', perms=['admin'])
    return login_as('archadmin')


@pytest.fixture
def build(topdir, admin):
    build_id = BuildWriteExports().createEmptyBuild('archpkg', '1.0', '1', None)
    return get_build(build_id, strict=True)


def write_tar(path):
    with tarfile.open(path, 'w:gz') as tar:
        data = b'tar member\n'
        info = tarfile.TarInfo('dir/member.txt')
        info.size = len(data)
        info.mode = 0o640
        info.mtime = 1700000000
        info.uname = 'someone'
        info.gname = 'grp'
        tar.addfile(info, io.BytesIO(data))
    return path


def write_zip(path):
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('a/b.txt', b'zip member')
        zf.writestr('a/', b'')
    return path


def test_archive_types(topdir, admin):
    types = api.getArchiveTypes()
    assert types and set(types[0]) == TYPE_KEYS
    by_name = {t['name']: t for t in types}
    tar = by_name['tar']
    assert api.getArchiveType(type_name='tar') == tar
    assert api.getArchiveType(type_id=tar['id']) == tar
    assert api.getArchiveType(filename='foo-1.0.tar.gz')['name'] == 'tar'
    assert api.getArchiveType(filename='foo.zip')['name'] == 'zip'
    assert api.getArchiveType(filename='foo.nosuchext') is None
    with pytest.raises(koji.GenericError):
        api.getArchiveType(filename='foo.nosuchext', strict=True)
    with pytest.raises(koji.GenericError):
        api.getArchiveType(type_name='nosuch', strict=True)
    with pytest.raises(koji.GenericError):
        api.getArchiveType()
    assert api.addArchiveType('kojitestfmt', 'Koji test format', 'ktf ktf2') is None
    new = api.getArchiveType(filename='x.ktf2')
    assert new['name'] == 'kojitestfmt' and new['compression_type'] is None
    with pytest.raises(koji.GenericError, match='already exists'):
        api.addArchiveType('kojitestfmt', 'again', 'zzz')
    with pytest.raises(koji.GenericError, match='already exists'):
        api.addArchiveType('other', 'dup ext', 'ktf')
    with pytest.raises(koji.GenericError):
        api.addArchiveType('other', 'bad', 'k$t')
    with pytest.raises(koji.GenericError):
        api.addArchiveType('other', 'bad', 'kk', compression_type='rar')


def test_add_archive_type_needs_admin(topdir, make_user, login_as):
    make_user('nobody')
    login_as('nobody')
    with pytest.raises(koji.ActionNotAllowed):
        api.addArchiveType('kojitestfmt', 'Koji test format', 'ktf')


def test_generic_import_and_reads(topdir, build, tmp_path):
    lookup_name('btype', 'kojitestbtype', create=True)
    src = write_tar(str(tmp_path / 'bundle-1.0.tar.gz'))
    with open(src, 'rb') as fo:
        content = fo.read()
    seen = []
    from koji import plugin

    def cb(cbtype, *args, **kws):
        seen.append((cbtype, kws['type'], kws['build_type']))
    plugin.register_callback('preImport', cb)
    plugin.register_callback('postImport', cb)
    try:
        info = import_archive(src, build, 'kojitestbtype', None)
    finally:
        for name in ('preImport', 'postImport'):
            plugin.callbacks[name].remove(cb)
    assert seen == [('preImport', 'archive', 'kojitestbtype'),
                    ('postImport', 'archive', 'kojitestbtype')]
    assert set(info) == ARCHIVE_KEYS
    assert info['btype'] == 'kojitestbtype' and info['type_name'] == 'tar'
    assert info['checksum'] == hashlib.md5(content).hexdigest()
    assert info['checksum_type'] == koji.CHECKSUM_TYPES['md5']
    assert info['size'] == len(content)
    final = os.path.join(koji.pathinfo.typedir(build, 'kojitestbtype'), 'bundle-1.0.tar.gz')
    assert final == os.path.join(topdir, 'packages/archpkg/1.0/1/files/kojitestbtype/'
                                 'bundle-1.0.tar.gz')
    with open(final, 'rb') as fo:
        assert fo.read() == content
    assert os.path.islink(src)
    assert api.getArchive(info['id']) == info
    assert api.getArchive(999999) is None
    with pytest.raises(koji.GenericError):
        api.getArchive(999999, strict=True)
    assert [a['id'] for a in api.listArchives(buildID=build['id'])] == [info['id']]
    assert [a['id'] for a in api.listArchives(type='kojitestbtype')] == [info['id']]
    assert api.listArchives(filename='bundle-1.0.tar.gz', size=len(content),
                            checksum=info['checksum'], queryOpts={'countOnly': True}) == 1
    assert api.listArchives(type='rpm') == []
    with pytest.raises(koji.GenericError, match='No archives found'):
        api.listArchives(buildID=999999, strict=True)
    with pytest.raises(koji.GenericError):
        api.listArchives(type='nosuchbtype')
    members = api.listArchiveFiles(info['id'])
    assert members == [{'archive_id': info['id'], 'name': 'dir/member.txt', 'size': 11,
                        'mtime': 1700000000, 'mode': 0o640, 'user': 'someone',
                        'group': 'grp'}]
    assert api.getArchiveFile(info['id'], 'dir/member.txt') == members[0]
    assert api.getArchiveFile(info['id'], 'nope') is None
    with pytest.raises(koji.GenericError):
        api.getArchiveFile(info['id'], 'nope', strict=True)


def test_import_archive_call_image_zip(topdir, build, tmp_path):
    workdir = os.path.join(topdir, 'work', 'cli-import', 'img')
    os.makedirs(workdir)
    write_zip(os.path.join(workdir, 'disk.zip'))
    assert api.importArchive('cli-import/img/disk.zip', build['nvr'], 'image',
                             {'arch': 'x86_64'}) is None
    [info] = api.listArchives(buildID=build['id'], type='image')
    assert info['arch'] == 'x86_64'
    full = api.getArchive(info['id'])
    assert full['arch'] == 'x86_64' and full['rootid'] is False
    assert os.path.isfile(os.path.join(koji.pathinfo.imagebuild(build), 'disk.zip'))
    members = api.listArchiveFiles(info['id'])
    assert [m['name'] for m in members] == ['a/b.txt']
    assert set(members[0]) == {'archive_id', 'mtime', 'name', 'size'}
    assert api.listArchiveFiles(info['id'], queryOpts={'countOnly': True}) == 1
    types = db.QueryProcessor(columns=['btype.name'], aliases=['name'], tables=['build_types'],
                              joins=['btype ON btype.id = build_types.btype_id'],
                              clauses=['build_id = %(id)s'],
                              values={'id': build['id']}).execute()
    assert [t['name'] for t in types] == ['image']


def test_import_archive_call_errors(topdir, build, make_user, login_as):
    with pytest.raises(koji.GenericError, match='unsupported archive type'):
        api.importArchive('x/y.zip', build['id'], 'kojitestbtype', {})
    with pytest.raises(koji.GenericError):
        api.importArchive('../y.zip', build['id'], 'image', {'arch': 'noarch'})
    with pytest.raises(koji.GenericError, match='No such file'):
        api.importArchive('x/y.zip', build['id'], 'image', {'arch': 'noarch'})
    with pytest.raises(koji.GenericError, match='Maven support not enabled'):
        api.importArchive('x/y.jar', build['id'], 'maven', {})
    make_user('imgonly')
    login_as('imgonly')
    with pytest.raises(koji.ActionNotAllowed):
        api.importArchive('x/y.zip', build['id'], 'image', {'arch': 'noarch'})
