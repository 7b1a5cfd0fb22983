"""Content generator imports on a real database and topdir: grants, CGImport of real rpms,
logs and a typed archive, reservations, and upstream's refusals."""
import hashlib
import io
import json
import os
import shutil
import tarfile

import pytest

import koji
from kojihub.api.exports import RootExports
from tests.cli.rpmkit import build_kit
from tests.fixtures.auth import start_request

root = RootExports()
CG = 'test-cg'


def sha256(path):
    with open(path, 'rb') as fo:
        return hashlib.sha256(fo.read()).hexdigest()


def md5(path):
    with open(path, 'rb') as fo:
        return hashlib.md5(fo.read()).hexdigest()


class World(object):
    """tadmin made CG test-cg (alice may import) and btype 'testtype'; kits are real rpms."""

    def __init__(self, env, topdir, tmp, kits):
        self.env, self.topdir, self.tmp, self.kits = env, topdir, tmp, kits
        env.act('tadmin', 'grantCGAccess')
        root.grantCGAccess('alice', CG, create=True)
        root.addBType('testtype')
        self.env.act('alice', 'CGImport')

    def fails(self, who, exc, func, *args, **kw):
        """func raises exc; the request is rolled back as the dispatcher does."""
        self.env.act(who)
        with pytest.raises(exc) as info:
            func(*args, **kw)
        start_request(sinfo=self.env.sessions[who] if who else None, ok=False)
        return str(info.value)

    def upload(self, name, kit=None, extra_files=()):
        """Files in work/<name>/ as the CLI uploads them; returns (dir, metadata)."""
        kit = kit or self.kits['pkg']
        workdir = os.path.join(self.topdir, 'work', name)
        os.makedirs(workdir)
        outputs = []
        for path in [kit.srpm] + list(kit.rpms):
            dst = os.path.join(workdir, os.path.basename(path))
            shutil.copy2(path, dst)
            arch = 'src' if dst.endswith('.src.rpm') else kit.arch
            outputs.append({'buildroot_id': 1, 'filename': os.path.basename(dst),
                            'filesize': os.path.getsize(dst), 'arch': arch,
                            'checksum': md5(dst), 'checksum_type': 'md5', 'type': 'rpm'})
        log = os.path.join(workdir, 'build.log')
        with open(log, 'w') as fo:
            fo.write('building\n')
        outputs.append({'buildroot_id': 1, 'filename': 'build.log', 'arch': 'noarch',
                        'filesize': os.path.getsize(log), 'checksum': sha256(log),
                        'checksum_type': 'sha256', 'type': 'log'})
        tarpath = os.path.join(workdir, 'sub', 'thing.tar.gz')
        os.makedirs(os.path.dirname(tarpath))
        with tarfile.open(tarpath, 'w:gz') as tar:
            data = b'payload\n'
            info = tarfile.TarInfo('payload.txt')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        outputs.append({'buildroot_id': 1, 'filename': 'thing.tar.gz', 'relpath': 'sub',
                        'subdir': 'parts', 'arch': 'noarch', 'type': 'tarball',
                        'filesize': os.path.getsize(tarpath), 'checksum': sha256(tarpath),
                        'checksum_type': 'sha256',
                        'extra': {'typeinfo': {'testtype': {'kind': 'demo'}}},
                        'components': [{'type': 'rpm', 'name': 'nosuch', 'version': '1',
                                        'release': '1', 'epoch': None, 'arch': 'noarch',
                                        'sigmd5': '0' * 32, 'signature': None}]})
        metadata = {
            'metadata_version': 0,
            'build': {'name': kit.name, 'version': kit.version, 'release': kit.release,
                      'source': 'git://example.com/pkg#abc', 'start_time': 1700000000,
                      'end_time': 1700000100, 'owner': 'bob',
                      'extra': {'typeinfo': {'testtype': {'note': 'hello'}}}},
            'buildroots': [{
                'id': 1, 'host': {'os': 'Fedora-40', 'arch': 'x86_64'},
                'content_generator': {'name': CG, 'version': '0.9'},
                'container': {'type': 'none', 'arch': 'x86_64'},
                'tools': [{'name': 'rpmbuild', 'version': '4.19'}],
                'components': [], 'extra': {'cg': {'note': 1}}}],
            'output': outputs,
        }
        return name, metadata


@pytest.fixture(scope='module')
def kits(tmp_path_factory):
    top = tmp_path_factory.mktemp('cgkits')
    return {'pkg': build_kit(top / 'a', 'cg-pkg', '1.0', '1', noarch=True),
            'other': build_kit(top / 'b', 'cg-other', '2.0', '3', noarch=True)}


@pytest.fixture
def world(taskenv, topdir, tmp_path, kits):
    return World(taskenv, topdir, tmp_path, kits)


def test_grant_list_revoke(world):
    env = world.env
    env.act('bob', 'listCGs')
    assert root.listCGs() == {CG: {'id': root.listCGs()[CG]['id'], 'users': ['alice']}}
    msg = world.fails('bob', koji.ActionNotAllowed, root.grantCGAccess, 'bob', CG)
    assert 'admin permission required' in msg
    msg = world.fails('tadmin', koji.GenericError, root.grantCGAccess, 'alice', CG)
    assert msg == 'User already has access to content generator %s' % CG
    msg = world.fails('tadmin', koji.GenericError, root.grantCGAccess, 'bob', 'nocg')
    assert msg == 'No such entry in table content_generator: nocg'
    env.act('tadmin', 'revokeCGAccess')
    root.revokeCGAccess('alice', CG)
    env.act('tadmin', 'listCGs')
    assert root.listCGs() == {}
    # a revoked grant may be given again
    env.act('tadmin', 'grantCGAccess')
    root.grantCGAccess('alice', CG)
    env.act('alice', 'listCGs')
    assert root.listCGs()[CG]['users'] == ['alice']


def test_import_and_read_back(world):
    directory, metadata = world.upload('cgup1')
    seen = []

    def record(cbtype, **kw):
        seen.append((cbtype, kw.get('type')))
    for name in ('preImport', 'postImport'):
        koji.plugin.callbacks[name].append(record)
    try:
        world.env.act('alice', 'CGImport')
        binfo = root.CGImport(metadata, directory)
    finally:
        for name in ('preImport', 'postImport'):
            koji.plugin.callbacks[name].remove(record)
    assert seen[0] == ('preImport', 'cg') and seen[-1] == ('postImport', 'cg')
    world.env.act('alice', 'getBuild')
    build = root.getBuild(binfo['id'])
    assert build['nvr'] == 'cg-pkg-1.0-1'
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    assert build['cg_name'] == CG
    assert build['owner_name'] == 'bob'
    assert build['source'] == 'git://example.com/pkg#abc'
    assert build['start_ts'] == 1700000000
    assert build['extra'] == {'typeinfo': {'testtype': {'note': 'hello'}}}
    assert sorted(root.getBuildType(binfo['id'])) == ['rpm', 'testtype']
    rpms = root.listRPMs(buildID=binfo['id'])
    assert sorted(r['arch'] for r in rpms) == ['noarch', 'src']
    br_id = rpms[0]['buildroot_id']
    br = root.getBuildroot(br_id)
    assert br['cg_name'] == CG and br['cg_version'] == '0.9'
    assert br['br_type'] == koji.BR_TYPES['EXTERNAL']
    assert br['host_os'] == 'Fedora-40' and br['container_type'] == 'none'
    assert br['extra'] == {'cg': {'note': 1}}
    assert [b['id'] for b in root.listBuildroots(buildrootID=br_id)] == [br_id]
    archives = root.listArchives(buildID=binfo['id'])
    assert len(archives) == 1
    arch = archives[0]
    assert arch['filename'] == 'thing.tar.gz' and arch['btype'] == 'testtype'
    assert arch['checksum_type'] == koji.CHECKSUM_TYPES['sha256']
    assert arch['extra'] == {'typeinfo': {'testtype': {'kind': 'demo'}}}
    assert arch['buildroot_id'] == br_id
    builddir = koji.pathinfo.build(build)
    assert os.path.isfile(os.path.join(builddir, 'files', 'testtype', 'parts',
                                       'thing.tar.gz'))
    assert [entry['name'] for entry in root.getBuildLogs(binfo['id'])] == \
        ['build.log', 'cg_import.log']
    with open(os.path.join(builddir, 'metadata.json')) as fo:
        assert json.load(fo)['build']['name'] == 'cg-pkg'
    # the unmatched component is only noted in the import log
    with open(os.path.join(builddir, 'data', 'logs', 'cg_import.log')) as fo:
        assert 'IGNORING unmatched rpm component' in fo.read()
    sigs = root.queryRPMSigs(rpm_id=rpms[0]['id'])
    assert [s['sigkey'] for s in sigs] == ['']


def test_components_and_tools_recorded(world):
    directory, metadata = world.upload('cgup2')
    world.env.act('alice', 'CGImport')
    first = root.CGImport(metadata, directory)
    world.env.act('alice', 'listRPMs')
    rpm = [r for r in root.listRPMs(buildID=first['id']) if r['arch'] == 'noarch'][0]
    archive = root.listArchives(buildID=first['id'])[0]
    directory, metadata = world.upload('cgup3', kit=world.kits['other'])
    comps = [{'type': 'rpm', 'name': rpm['name'], 'version': rpm['version'],
              'release': rpm['release'], 'epoch': None, 'arch': 'noarch',
              'sigmd5': rpm['payloadhash'], 'signature': None},
             {'type': 'kojifile', 'filename': archive['filename'],
              'filesize': archive['size'], 'checksum': archive['checksum'],
              'checksum_type': 'sha256', 'nvr': first['nvr'], 'archive_id': archive['id']}]
    metadata['buildroots'][0]['components'] = comps
    metadata['output'][-1]['components'] = comps
    world.env.act('alice', 'CGImport')
    second = root.CGImport(metadata, directory)
    world.env.act('alice', 'listRPMs')
    br_id = root.listRPMs(buildID=second['id'])[0]['buildroot_id']
    assert [r['id'] for r in root.listRPMs(componentBuildrootID=br_id)] == [rpm['id']]
    assert [a['id'] for a in root.listArchives(componentBuildrootID=br_id)] == \
        [archive['id']]
    from kojihub.core.db import QueryProcessor
    tools = QueryProcessor(columns=['tool', 'version'], tables=['buildroot_tools_info'],
                           clauses=['buildroot_id = %(id)s'], values={'id': br_id}).execute()
    assert tools == [{'tool': 'rpmbuild', 'version': '4.19'}]
    new_archive = root.listArchives(buildID=second['id'])[0]
    assert [r['id'] for r in root.listRPMs(imageID=new_archive['id'])] == [rpm['id']]
    bad = dict(comps[1], checksum='0' * 64)
    directory, metadata = world.upload('cgup4', kit=world.kits['other'])
    metadata['build']['release'] = '4'
    metadata['buildroots'][0]['components'] = [bad]
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg.startswith('Component field checksum does not match for archive_id=%s'
                          % archive['id'])


def failing(world, name, change, exc=koji.GenericError, who='alice'):
    directory, metadata = world.upload(name)
    change(metadata)
    msg = world.fails(who, exc, root.CGImport, metadata, directory)
    # nothing was imported and the uploads are where they were
    world.env.act('alice', 'getBuild')
    assert root.getBuild('cg-pkg-1.0-1') is None
    for out in metadata['output']:
        path = os.path.join(world.topdir, 'work', name, out.get('relpath', ''),
                            out['filename'])
        assert not os.path.exists(path) or not os.path.islink(path)
    return msg


def test_bad_checksum(world):
    def change(md):
        md['output'][0]['checksum'] = 'f' * 32
    msg = failing(world, 'bad1', change)
    assert msg.startswith('File checksum mismatch for cg-pkg-1.0-1.src.rpm: ffff')


def test_bad_size(world):
    def change(md):
        md['output'][1]['filesize'] += 1
    msg = failing(world, 'bad2', change)
    assert "doesn't match. Corrupted upload?" in msg


def test_missing_file(world):
    def change(md):
        md['output'].append(dict(md['output'][-2], filename='nosuch.log'))
    msg = failing(world, 'bad3', change)
    assert msg == 'No such file: %s' % os.path.join(world.topdir, 'work', 'bad3', 'nosuch.log')


def test_unknown_btype(world):
    def change(md):
        md['build']['extra']['typeinfo']['nosuchtype'] = {}
    msg = failing(world, 'bad4', change)
    assert msg == 'No such entry in table btype: nosuchtype'


def test_output_type_not_in_build(world):
    def change(md):
        md['build']['extra'] = {}
    msg = failing(world, 'bad5', change)
    assert msg == 'Output type testtype not listed in build types'


def test_bad_shapes(world):
    def change(md):
        del md['build']['source']
    assert failing(world, 'shape1', change) == 'Invalid metadata: build.source is missing'

    def change2(md):
        md['output'][0]['filesize'] = 'big'
    assert failing(world, 'shape2', change2) == \
        'Invalid metadata: output[0].filesize must be a size in bytes'

    def change3(md):
        md['output'][0]['checksum_type'] = 'adler32'
    assert failing(world, 'shape3', change3) == 'Unsupported checksum type: adler32'

    def change4(md):
        md['output'][0]['relpath'] = '../..'
    assert failing(world, 'shape4', change4).startswith('Invalid path: shape4/../..')

    def change5(md):
        md['buildroots'][0]['components'] = [{'type': 'odd'}]
    assert failing(world, 'shape5', change5) == 'No such component type: odd'
    msg = world.fails('alice', koji.GenericError, root.CGImport, '[1]', 'x')
    assert msg == 'Invalid metadata: document must be a map'
    msg = world.fails('alice', koji.ParameterError, root.CGImport, None, {})
    assert msg.startswith("Invalid type for value '{}'")


def test_bad_version_and_buildroot(world):
    def change(md):
        md['metadata_version'] = 1
    assert failing(world, 'bad6', change) == 'No such metadata version: 1'

    def change2(md):
        md['buildroots'][0]['id'] = 7
    assert failing(world, 'bad7', change2) == 'Buildroot id not used in output: 7'


def test_no_access(world):
    def change(md):
        pass
    msg = failing(world, 'bad8', change, exc=koji.AuthError, who='bob')
    assert msg == 'Content generator access required (%s)' % CG


def test_cg_import_policy(world):
    from koji.context import context
    import koji.policy
    from kojihub.core import policy
    saved = context.policy if hasattr(context, 'policy') else None
    context.opts['policy']['cg_import'] = 'all :: deny no cg today'
    context.policy = None
    try:
        policy_obj = policy.get_policy(context.opts)
        context.policy = policy_obj
        msg = failing(world, 'bad9', lambda md: None, exc=koji.ActionNotAllowed)
    finally:
        context.opts['policy']['cg_import'] = 'all :: allow'
        context.policy = saved
    assert 'cg_import' in msg and 'no cg today' in msg
    assert koji.policy  # imported for the ruleset classes


def test_existing_nvr(world):
    directory, metadata = world.upload('dup1')
    world.env.act('alice', 'CGImport')
    binfo = root.CGImport(metadata, directory)
    directory, metadata = world.upload('dup2')
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory)
    assert msg == 'Build already exists: cg-pkg-1.0-1 (id=%s)' % binfo['id']


def test_metadata_as_uploaded_file_and_bad_json(world):
    directory, metadata = world.upload('mdfile')
    with open(os.path.join(world.topdir, 'work', directory, 'metadata.json'), 'w') as fo:
        json.dump(metadata, fo)
    world.env.act('alice', 'CGImport')
    binfo = root.CGImport('metadata.json', directory)
    assert binfo['nvr'] == 'cg-pkg-1.0-1'
    msg = world.fails('alice', koji.GenericError, root.CGImport, 'other.json', directory)
    assert msg == 'No such file: other.json'
    msg = world.fails('alice', koji.GenericError, root.CGImport, '{bad', directory)
    assert msg == "Invalid json data: '{bad'"


def test_reserve_import_and_refund(world):
    kit = world.kits['pkg']
    world.env.act('alice', 'CGInitBuild')
    res = root.CGInitBuild(CG, {'name': kit.name, 'version': kit.version,
                                'release': kit.release})
    assert set(res) == {'build_id', 'token'} and len(res['token']) == 64
    world.env.act('alice', 'getBuild')
    binfo = root.getBuild(res['build_id'])
    assert binfo['state'] == koji.BUILD_STATES['BUILDING'] and binfo['cg_name'] == CG
    msg = world.fails('bob', koji.AuthError, root.CGInitBuild, CG,
                      {'name': 'x', 'version': '1', 'release': '1'})
    assert msg == 'Content generator access required (%s)' % CG
    directory, metadata = world.upload('res1')
    metadata['build']['build_id'] = res['build_id']
    msg = world.fails('alice', koji.GenericError, root.CGImport, metadata, directory,
                      token='wrong')
    assert msg == "Token doesn't match build ID %s" % res['build_id']
    msg = world.fails('alice', koji.GenericError, root.CGImport, dict(
        metadata, build=dict(metadata['build'], build_id=None)), directory, token='x')
    assert msg == 'Reservation token given, but no build_id in metadata'
    world.env.act('alice', 'CGImport')
    done = root.CGImport(metadata, directory, token=res['token'])
    assert done['id'] == res['build_id']
    assert done['state'] == koji.BUILD_STATES['COMPLETE'] and done['owner_name'] == 'bob'
    msg = world.fails('alice', koji.GenericError, root.CGRefundBuild, CG, res['build_id'],
                      res['token'])
    assert msg == 'Build ID %s is not in BUILDING state' % res['build_id']

    world.env.act('alice', 'CGInitBuild')
    res2 = root.CGInitBuild(CG, {'name': 'cg-refund', 'version': '1', 'release': '1'})
    msg = world.fails('alice', koji.GenericError, root.CGRefundBuild, CG, res2['build_id'],
                      'nope')
    assert msg == "Token doesn't match build ID %s" % res2['build_id']
    msg = world.fails('alice', koji.GenericError, root.CGRefundBuild, CG, res2['build_id'],
                      res2['token'], koji.BUILD_STATES['COMPLETE'])
    assert msg == 'Only FAILED/CANCELED build states are allowed'
    world.env.act('alice', 'CGRefundBuild')
    root.CGRefundBuild(CG, res2['build_id'], res2['token'], koji.BUILD_STATES['CANCELED'])
    world.env.act('alice', 'getBuild')
    assert root.getBuild(res2['build_id'])['state'] == koji.BUILD_STATES['CANCELED']
    # a refunded NVR may be reserved again
    world.env.act('alice', 'CGInitBuild')
    res3 = root.CGInitBuild(CG, {'name': 'cg-refund', 'version': '1', 'release': '1'})
    assert res3['build_id'] == res2['build_id'] and res3['token'] != res2['token']


def test_anonymous_calls(world):
    msg = world.fails(None, koji.AuthError, root.CGInitBuild, CG,
                      {'name': 'x', 'version': '1', 'release': '1'})
    assert msg == 'Not logged-in'
    msg = world.fails(None, koji.GenericError, root.CGInitBuild, 'nosuch-cg',
                      {'name': 'x', 'version': '1', 'release': '1'})
    assert msg == 'No such entry in table content_generator: nosuch-cg'
    world.env.act(None, 'listCGs')
    assert list(root.listCGs()) == [CG]
