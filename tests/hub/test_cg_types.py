"""CGImport of other build shapes (draft, legacy image archives, metadata-only outputs),
rollback when a plugin refuses the import, and access rules of reservations."""
import os
import shutil

import pytest

import koji
from kojihub.api.exports import RootExports
from tests.hub.test_cg import CG, World, md5, sha256  # noqa: F401  (fixtures below)

root = RootExports()


@pytest.fixture(scope='module')
def kits(tmp_path_factory):
    from tests.cli.rpmkit import build_kit
    top = tmp_path_factory.mktemp('cgkits2')
    return {'pkg': build_kit(top / 'a', 'cg-pkg', '1.0', '1', noarch=True)}


@pytest.fixture
def world(taskenv, topdir, tmp_path, kits):
    return World(taskenv, topdir, tmp_path, kits)


def test_draft_import(world):
    directory, metadata = world.upload('draft0')
    metadata['build']['draft'] = True
    # archives cannot be drafts
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg == 'Draft build not supported'
    directory, metadata = world.upload('draft1')
    metadata['build']['draft'] = True
    metadata['output'] = [o for o in metadata['output'] if o['type'] in ('rpm', 'log')]
    world.env.act('alice', 'CGImport')
    binfo = root.CGImport(metadata, directory)
    assert binfo['draft'] is True
    assert binfo['release'] == '1,draft_%s' % binfo['id']
    world.env.act('alice', 'listRPMs')
    rpms = root.listRPMs(buildID=binfo['id'])
    assert rpms and all(r['draft'] for r in rpms)
    # the real NVR is still free
    assert root.getBuild('cg-pkg-1.0-1') is None
    # a draft rpm cannot be a component
    rpm = [r for r in rpms if r['arch'] == 'noarch'][0]
    directory, metadata = world.upload('draft2')
    metadata['buildroots'][0]['components'] = [
        {'type': 'rpm', 'name': rpm['name'], 'version': rpm['version'], 'arch': 'noarch',
         'release': rpm['release'], 'epoch': None, 'sigmd5': rpm['payloadhash'],
         'signature': None}]
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg == 'Draft rpm not supported'


def test_legacy_image_and_metadata_only_archives(world):
    directory, metadata = world.upload('img1')
    workdir = os.path.join(world.topdir, 'work', directory)
    iso = os.path.join(workdir, 'disk.iso')
    with open(iso, 'wb') as fo:
        fo.write(b'\0' * 4096)
    metadata['build']['extra'] = {'image': {}}
    outputs = [o for o in metadata['output'] if o['type'] in ('rpm', 'log')]
    outputs.append({'buildroot_id': 1, 'filename': 'disk.iso', 'type': 'iso',
                    'arch': 'x86_64', 'filesize': 4096, 'checksum': md5(iso),
                    'checksum_type': 'md5', 'extra': {'image': {'arch': 'x86_64'}}})
    meta_only = os.path.join(workdir, 'ghost.qcow2')
    with open(meta_only, 'wb') as fo:
        fo.write(b'ghost')
    outputs.append({'buildroot_id': 1, 'filename': 'ghost.qcow2', 'type': 'qcow2',
                    'arch': 'x86_64', 'filesize': 5, 'checksum': sha256(meta_only),
                    'checksum_type': 'sha256', 'metadata_only': True,
                    'extra': {'image': {'arch': 'x86_64'}}})
    metadata['output'] = outputs
    world.env.act('alice', 'CGImport')
    binfo = root.CGImport(metadata, directory)
    world.env.act('alice', 'listArchives')
    assert sorted(root.getBuildType(binfo['id'])) == ['image', 'rpm']
    listed = root.listArchives(buildID=binfo['id'], type='image')
    archives = {a['filename']: a for a in listed}
    assert archives['disk.iso']['arch'] == 'x86_64'
    assert archives['disk.iso']['checksum_type'] == koji.CHECKSUM_TYPES['md5']
    assert archives['ghost.qcow2']['metadata_only'] is True
    imagedir = koji.pathinfo.imagebuild(root.getBuild(binfo['id']))
    assert os.path.isfile(os.path.join(imagedir, 'disk.iso'))
    assert not os.path.exists(os.path.join(imagedir, 'ghost.qcow2'))
    # the build's extra keeps the legacy key and gains its typeinfo
    assert root.getBuild(binfo['id'])['extra'] == {'image': {}, 'typeinfo': {'image': {}}}


def test_subdir_refused_for_legacy_types_and_rpms(world):
    directory, metadata = world.upload('sub1')
    metadata['output'][0]['subdir'] = 'x'
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg == 'subdir field not allowed for rpm outputs'


def test_plugin_refusal_puts_files_back(world):
    directory, metadata = world.upload('plug1')

    def refuse(cbtype, **kw):
        if kw.get('type') == 'cg':
            raise koji.CallbackError('not today')
    koji.plugin.callbacks['postImport'].append(refuse)
    try:
        msg = world.fails('alice', koji.CallbackError, root.CGImport, metadata, directory)
    finally:
        koji.plugin.callbacks['postImport'].remove(refuse)
    assert 'not today' in msg
    world.env.act('alice', 'getBuild')
    assert root.getBuild('cg-pkg-1.0-1') is None
    for out in metadata['output']:
        path = os.path.join(world.topdir, 'work', directory, out.get('relpath', ''),
                            out['filename'])
        assert os.path.isfile(path) and not os.path.islink(path)
    builddir = koji.pathinfo.build({'name': 'cg-pkg', 'version': '1.0', 'release': '1',
                                    'volume_name': 'DEFAULT'})
    assert not os.path.exists(builddir)
    # the same upload imports fine afterwards
    world.env.act('alice', 'CGImport')
    assert root.CGImport(metadata, directory)['nvr'] == 'cg-pkg-1.0-1'


def test_reservation_checks(world):
    world.env.act('tadmin', 'grantCGAccess')
    root.grantCGAccess('bob', 'other-cg', create=True)
    world.env.act('alice', 'CGInitBuild')
    res = root.CGInitBuild(CG, {'name': 'cg-pkg', 'version': '1.0', 'release': '1'})
    msg = world.fails('alice', koji.GenericError, root.CGInitBuild, CG,
                      {'name': 'cg-pkg', 'version': '1.0', 'release': '1'})
    assert msg.startswith('Build already exists') or msg == 'Build is already reserved'
    msg = world.fails('bob', koji.GenericError, root.CGRefundBuild, 'other-cg',
                      res['build_id'], res['token'])
    assert msg == 'Build ID %s is not reserved by this CG' % res['build_id']
    directory, metadata = world.upload('rsv1')
    metadata['build']['build_id'] = res['build_id']
    metadata['build']['release'] = '2'
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory,
                      token=res['token'])
    assert msg == 'Build (%i) NVR is different' % res['build_id']
    metadata['build']['release'] = '1'
    metadata['build']['draft'] = True
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory,
                      token=res['token'])
    assert msg == 'Draft field does not match reservation (build id = %s)' % res['build_id']


def test_volume_policy_places_cg_build(world):
    from koji.context import context
    from kojihub.builds.volumes import VolumeExports
    from kojihub.core import policy
    world.env.act('tadmin', 'addVolume')
    os.makedirs(os.path.join(world.topdir, 'vol', 'cgvol'))
    VolumeExports().addVolume('cgvol')
    saved = (context.opts, getattr(context, 'policy', None))
    context.opts = dict(context.opts, policy=dict(context.opts['policy'],
                                                  volume='cg_match_any %s :: cgvol\n'
                                                         'all :: DEFAULT\n' % CG))
    context.policy = policy.load_policies(context.opts)
    try:
        directory, metadata = world.upload('vol1')
        world.env.act('alice', 'CGImport')
        binfo = root.CGImport(metadata, directory)
    finally:
        context.opts, context.policy = saved
    assert binfo['volume_name'] == 'cgvol'
    builddir = koji.pathinfo.build(binfo)
    assert builddir.startswith(os.path.join(world.topdir, 'vol', 'cgvol') + '/')
    assert os.path.isfile(os.path.join(builddir, 'metadata.json'))
    # the DEFAULT location links to it
    base = koji.pathinfo.build(dict(binfo, volume_name='DEFAULT'))
    assert os.path.islink(base) and os.path.realpath(base) == os.path.realpath(builddir)


POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>%s</artifactId>
  <version>1.0</version>
</project>
"""


def maven_upload(world, name, artifact='cgart', pom_artifact='cgart'):
    directory, metadata = world.upload(name)
    workdir = os.path.join(world.topdir, 'work', directory)
    gav = {'group_id': 'org.example', 'artifact_id': artifact, 'version': '1.0'}
    metadata['build']['extra'] = {'maven': dict(gav)}
    outputs = [o for o in metadata['output'] if o['type'] == 'log']
    for fn, data in (('%s-1.0.pom' % artifact, POM % pom_artifact),
                     ('%s-1.0.jar' % artifact, 'PK\x05\x06' + '\0' * 18)):
        path = os.path.join(workdir, fn)
        with open(path, 'w') as fo:
            fo.write(data)
        outputs.append({'buildroot_id': 1, 'filename': fn, 'type': 'maven',
                        'arch': 'noarch', 'filesize': os.path.getsize(path),
                        'checksum': md5(path), 'checksum_type': 'md5',
                        'extra': {'maven': dict(gav)}})
    metadata['output'] = outputs
    return directory, metadata


def test_maven_outputs(world):
    directory, metadata = maven_upload(world, 'mvn1')
    world.env.act('alice', 'CGImport')
    binfo = root.CGImport(metadata, directory)
    world.env.act('alice', 'getMavenBuild')
    assert root.getMavenBuild(binfo['id']) == {
        'build_id': binfo['id'], 'group_id': 'org.example', 'artifact_id': 'cgart',
        'version': '1.0'}
    archives = root.listArchives(buildID=binfo['id'], type='maven')
    assert sorted(a['filename'] for a in archives) == ['cgart-1.0.jar', 'cgart-1.0.pom']
    assert {a['artifact_id'] for a in archives} == {'cgart'}
    mavendir = os.path.join(koji.pathinfo.mavenbuild(binfo),
                            koji.pathinfo.mavenrepo(archives[0]))
    assert sorted(os.listdir(mavendir)) == sorted(
        fn + ext for fn in ('cgart-1.0.jar', 'cgart-1.0.pom') for ext in ('', '.md5', '.sha1'))


def test_maven_pom_must_match(world):
    directory, metadata = maven_upload(world, 'mvn2', pom_artifact='other')
    msg = world.fails('alice', koji.BuildError, root.CGImport, metadata, directory)
    assert msg == ('Maven info from .pom file (org.example-other-1.0) does not match '
                   'user-supplied typeInfo (org.example-cgart-1.0)')
    world.env.act('alice', 'getBuild')
    assert root.getBuild('cg-pkg-1.0-1') is None
    # the subdir field is not for legacy types
    directory, metadata = maven_upload(world, 'mvn3')
    metadata['output'][-1]['subdir'] = 'x'
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg == 'subdir field not allowed for legacy btypes'


def test_failure_midway_moves_files_back(world):
    directory, metadata = world.upload('mid1')
    workdir = os.path.join(world.topdir, 'work', directory)
    tarball = [o for o in metadata['output'] if o['filename'] == 'thing.tar.gz'][0]
    # a second copy of the tarball from another upload dir lands on the same name
    os.makedirs(os.path.join(workdir, 'again'))
    shutil.copy2(os.path.join(workdir, 'sub', 'thing.tar.gz'),
                 os.path.join(workdir, 'again', 'thing.tar.gz'))
    metadata['output'].append(dict(tarball, relpath='again', components=[]))
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg.startswith('Error importing archive file, ')
    assert msg.endswith('/files/testtype/parts/thing.tar.gz already exists')
    world.env.act('alice', 'getBuild')
    assert root.getBuild('cg-pkg-1.0-1') is None
    for out in metadata['output']:
        path = os.path.join(workdir, out.get('relpath', ''), out['filename'])
        assert os.path.isfile(path) and not os.path.islink(path), path
    builddir = koji.pathinfo.build({'name': 'cg-pkg', 'version': '1.0', 'release': '1',
                                    'volume_name': 'DEFAULT'})
    assert not os.path.exists(builddir)
