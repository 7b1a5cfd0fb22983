"""livecd / appliance / livemedia image builds on a real kojid (mock backend) with
stand-ins for mock and the image tools (tests/fixtures/fake_mock.py, fake_tools.py):
buildImage queues the parent, the child runs the tool on a kickstart whose repo is the
build tag's repo, and the hub imports the image, its logs and its rpm components."""
import json
import os

import pytest

import koji
from koji_cli.lib import unique_path
from tests.integration.test_kojid_build import _result, build_env
from tests.integration.test_kojid_build_mock import MockBuilder
from tests.integration.test_kojid_repos import HUB_OPTS, _repo_for, _wait_task

HOST = 'kojid-image.test'
KICKSTART = """lang en_US.UTF-8
keyboard us
rootpw --plaintext secret
repo --name=original --baseurl=http://example.com/should-be-replaced/
bootloader --append="console=ttyS0"
part / --size 100 --fstype ext4 --ondisk sda

%packages
bash
%end
"""


class ImageBuilder(MockBuilder):
    plugins = ()


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    for env in build_env(hub_server, tmp_path_factory, ImageBuilder, HOST, 'im',
                         hub_opts=HUB_OPTS):
        admin = env['admin']
        for kind in ('livecd', 'appliance', 'livemedia'):
            admin.addHostToChannel(HOST, kind, create=True)
            admin.groupListAdd(env['build_tag'], '%s-build' % kind)
            admin.groupPackageListAdd(env['build_tag'], '%s-build' % kind, 'bash')
        for pkg in ('lc-img', 'ap-img', 'lm-img'):
            admin.packageListAdd(env['dest_tag'], pkg, owner=env['hub'].admin_user)
        env['repo'] = _repo_for(env, env['build_tag'], admin.getLastEvent()['id'])
        ks = os.path.join(env['base'], 'demo.ks')
        with open(ks, 'w') as fo:
            fo.write(KICKSTART)
        env['ks'] = ks
        yield env


def _upload_ks(env, prefix):
    serverdir = unique_path(prefix)
    env['admin'].uploadWrapper(env['ks'], serverdir)
    return '%s/demo.ks' % serverdir


def _child(admin, task_id, method):
    [child] = [c for c in admin.getTaskChildren(task_id) if c['method'] == method]
    return child


def _tool_call(env, child_id, tool):
    [broot] = env['admin'].listBuildroots(taskID=child_id)
    name = '%s-%s-%s' % (broot['tag_name'], broot['id'], broot['repo_id'])
    with open(os.path.join(env['builder'].dir, name, 'root', 'tool-calls.jsonl')) as fo:
        calls = [json.loads(line) for line in fo]
    [call] = [c for c in calls if c['tool'] == tool]
    return broot, call


def _task_file(env, task_id, name):
    path = os.path.join(env['hub'].topdir, 'work', koji.pathinfo.taskrelpath(task_id), name)
    with open(path) as fo:
        return fo.read()


def test_livecd_build_imports_iso_with_components(env):
    admin = env['admin']
    ksfile = _upload_ks(env, 'cli-livecd')
    task_id = admin.buildImage('lc-img', '1.0', 'x86_64', env['target'], ksfile, 'livecd')
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    build = admin.getBuild('lc-img-1.0-1', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    report = admin.getTaskResult(task_id)
    assert report.startswith('livecd build results in: /'), report
    assert report.endswith('/packages/lc-img/1.0/1/images'), report
    [archive] = admin.listArchives(buildID=build['id'], type='image')
    assert archive['filename'] == 'lc-img-1.0-1.iso' and archive['arch'] == 'x86_64'
    comps = admin.listRPMs(imageID=archive['id'])
    assert comps and all(r['external_repo_id'] for r in comps)
    child = _child(admin, task_id, 'createLiveCD')
    broot, call = _tool_call(env, child['id'], 'livecd-creator')
    kskoji = '/chroot_tmpdir/koji-image-%s-%d.ks' % (env['build_tag'], child['id'])
    assert call['argv'][:2] == ['-c', call['argv'][1]]
    assert call['argv'][1].endswith(kskoji)
    assert call['argv'][2:4] == ['-d', '-v'] and call['argv'][-2:] == ['-f', 'lc-img-1.0-1']
    kstext = _task_file(env, child['id'], os.path.basename(kskoji))
    assert 'should-be-replaced' not in kstext
    assert 'repo --name="koji-%s-%d" --baseurl=' % (env['build_tag'], env['repo']['id']) \
        in kstext
    assert '/repos/%s/%d/x86_64' % (env['build_tag'], env['repo']['id']) in kstext
    manifest = _task_file(env, child['id'], 'manifest.log')
    assert 'Volume ID: lc-img-1.0-1\n' in manifest
    assert manifest.endswith('Size(bytes)  File Name\n2048         /\n5            '
                             '/readme.txt\n')
    logs = {log['name'] for log in admin.getBuildLogs(build['id'])}
    assert {'livecd.log', 'manifest.log'} <= logs
    [tagged] = admin.listTagged(env['dest_tag'], package='lc-img')
    assert tagged['nvr'] == 'lc-img-1.0-1'


def test_appliance_build(env):
    admin = env['admin']
    ksfile = _upload_ks(env, 'cli-appliance')
    task_id = admin.buildImage('ap-img', '2', 'x86_64', env['target'], ksfile, 'appliance',
                               {'format': 'qcow2', 'vcpu': '2', 'release': '5'})
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    build = admin.getBuild('ap-img-2-5', strict=True)
    names = sorted(a['filename'] for a in admin.listArchives(buildID=build['id']))
    assert names == ['ap-img-2-5-sda.qcow2', 'ap-img-2-5.xml']
    child = _child(admin, task_id, 'createAppliance')
    _broot, call = _tool_call(env, child['id'], 'appliance-creator')
    argv = call['argv']
    assert argv[argv.index('-o') + 1] == 'app-output'
    assert argv[argv.index('--vcpu'):] == ['--vcpu', '2', '--format', 'qcow2', '--name',
                                           'ap-img-2-5', '--version', '2', '--release', '5']
    xml = [a for a in admin.listArchives(buildID=build['id']) if a['filename'].endswith('xml')]
    assert admin.listRPMs(imageID=xml[0]['id']) == []


def test_scratch_livemedia(env):
    admin = env['admin']
    task_id = admin.buildImage('lm-img', '3', ['x86_64'], env['target'], 'demo.ks',
                               'livemedia', {'scratch': True, 'ksurl': None,
                                             'compress_arg': ['xz']})
    info = _wait_task(env, task_id, timeout=300)
    # without --ksurl the kickstart must have been uploaded: as upstream's, the child
    # fails fetching it from the work dir
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(Exception) as exc:
        admin.getTaskResult(task_id)
    assert '404' in str(exc.value) and 'work/demo.ks' in str(exc.value)
    ksfile = _upload_ks(env, 'cli-livemedia')
    task_id = admin.buildImage('lm-img', '3', ['x86_64'], env['target'], ksfile,
                               'livemedia', {'scratch': True, 'compress_arg': ['xz'],
                                             'release': '7'})
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    child = _child(admin, task_id, 'createLiveMedia')
    _broot, call = _tool_call(env, child['id'], 'livemedia-creator')
    argv = call['argv']
    assert argv[0] == '--ks' and '--no-virt' in argv
    assert argv[argv.index('--iso-name') + 1] == 'lm-img-x86_64-3-7.iso'
    assert argv[argv.index('--volid') + 1] == 'lm-img-3-7'
    assert '--macboot' in argv
    assert argv[argv.index('--extra-boot-args') + 1] == '"console=ttyS0"'
    assert argv[-2:] == ['--compress-arg', 'xz']
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % child['id'])
    assert os.path.isfile(os.path.join(scratch, argv[argv.index('--iso-name') + 1]))
    assert admin.getBuild('lm-img-3-7') is None


def test_imagefactory_tasks_are_refused_without_imagefactory(env):
    """As upstream's kojid without imgfac: the image parent and createImage refuse."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), 'builder'))
    from kojibuilder import images_oz
    from koji.tasks import RefuseTask
    if images_oz.ozif_enabled:
        pytest.skip('ImageFactory is installed here')
    admin = env['admin']
    args = ['oz-img', '1', ['x86_64'], env['target'], 'http://tree/$arch/']
    task_id = admin.buildImageOz(*args, {'scratch': True})
    handler = images_oz.BuildBaseImageTask(task_id, 'image', args + [{'scratch': True}],
                                           admin, None, workdir=str(env['base']))
    with pytest.raises(RefuseTask) as exc:
        handler.run()
    assert str(exc.value) == 'ImageFactory functions not available'
    # an arch the build tag lacks is refused before that
    bad = images_oz.BuildBaseImageTask(task_id, 'image', ['oz-img', '1', ['ppc64le'],
                                                          env['target'], 'http://t/'],
                                       admin, None, workdir=str(env['base']))
    with pytest.raises(koji.BuildError) as exc:
        bad.run()
    assert str(exc.value) == 'Invalid arch for build tag: ppc64le'
    child = images_oz.BaseImageTask(task_id, 'createImage',
                                    ['oz-img', '1', '1', 'x86_64', {}, 1, {}, 'http://t/'],
                                    admin, None, workdir=str(env['base']))
    with pytest.raises(RefuseTask):
        child.run()
    admin.cancelTask(task_id)
