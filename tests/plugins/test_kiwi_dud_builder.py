"""kiwi and dud builder plugins end to end: the hub plugins queue kiwiBuild / dudBuild, a
real kojid loading plugins/builder/kiwi.py and dud.py runs the parent and its per-arch
child with the mock backend, and the hub imports the image build (or moves it to
scratch).  mock, kiwi-ng, dnf download, createrepo and xorrisofs are stand-ins
(tests/fixtures/fake_mock.py, fake_kiwi_dud.py) that record the command lines."""
import json
import os
import subprocess

import pytest

import koji
from tests.integration.test_kojid_build import _result, build_env
from tests.integration.test_kojid_build_mock import FAKE_MOCK, MockBuilder
from tests.integration.test_kojid_repos import HUB_OPTS, _repo_for, _wait_task
from tests.plugins.conftest import BUILDER_PLUGINS, HUB_PLUGINS

HOST = 'kojid-kiwidud.test'
DESCRIPTION = """<?xml version="1.0" encoding="utf-8"?>
<image schemaversion="7.4" name="kiwi-demo">
  <description type="system">
    <author>Test</author>
    <contact>test@example.com</contact>
    <specification>demo image</specification>
  </description>
  <profiles>
    <profile name="Base" description="plain"/>
    <profile name="Cloud" description="for clouds" image="true"/>
  </profiles>
  <preferences>
    <version>1.0.0</version>
    <packagemanager>dnf</packagemanager>
    <type image="oem" filesystem="ext4" format="qcow2"/>
  </preferences>
  <repository type="rpm-md">
    <source path="https://example.com/should-be-replaced/"/>
  </repository>
  <include from="this://extra.xml"/>
  <packages type="image">
    <package name="bash"/>
  </packages>
</image>
"""
EXTRA = """<?xml version="1.0" encoding="utf-8"?>
<image schemaversion="7.4" name="extra">
  <packages type="image"><package name="extra-pkg"/></packages>
  <repository><source path="https://example.com/included-repo-dropped/"/></repository>
</image>
"""


class KiwiDudBuilder(MockBuilder):
    plugins = ('kiwi', 'dud')
    extra_conf = 'mockpath = %s\nallowed_scms = 127.0.0.1*:/*:no\n' % FAKE_MOCK


def git_repo(gitroot, name, files):
    """A bare repo gitroot/<name>.git (dumb HTTP ready) with files; returns the commit."""
    work = os.path.join(gitroot, 'work-%s' % name)
    for rel, text in files.items():
        path = os.path.join(work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as fo:
            fo.write(text)
    git = ['git', '-c', 'user.name=T', '-c', 'user.email=t@example.com']
    for cmd in (['init', '-q'], ['add', '.'], ['commit', '-q', '-m', 'import']):
        subprocess.run(git + cmd, cwd=work, check=True)
    bare = os.path.join(gitroot, '%s.git' % name)
    subprocess.run(['git', 'clone', '-q', '--bare', work, bare], check=True)
    subprocess.run(['git', 'update-server-info'], cwd=bare, check=True)
    return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=work, check=True, text=True,
                          stdout=subprocess.PIPE).stdout.strip()


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    sources = {}
    for name in ('kiwi', 'dud'):
        with open(os.path.join(BUILDER_PLUGINS, name + '.py')) as fo:
            sources[name] = fo.read()
    opts = dict(HUB_OPTS, PluginPath=HUB_PLUGINS, Plugins='kiwi dud')
    for env in build_env(hub_server, tmp_path_factory, KiwiDudBuilder, HOST, 'kd',
                         hub_opts=opts, plugins=sources):
        admin = env['admin']
        admin.addHostToChannel(HOST, 'image', create=True)
        for group in ('kiwi-build', 'dud-build'):
            admin.groupListAdd(env['build_tag'], group)
            admin.groupPackageListAdd(env['build_tag'], group, 'bash')
        for pkg in ('kiwi-demo-Cloud', 'kiwi-demo-Base', 'drv'):
            admin.packageListAdd(env['dest_tag'], pkg, owner=env['hub'].admin_user)
        env['repo'] = _repo_for(env, env['build_tag'], admin.getLastEvent()['id'])
        commit = git_repo(env['gitroot'], 'kiwi-desc', {
            'images/demo.kiwi': DESCRIPTION, 'images/extra.xml': EXTRA,
            'images/Makefile': 'prep:\n\techo prepared > prep.txt\n'})
        env['desc_url'] = '%skiwi-desc.git#%s' % (env['git_url'], commit)
        commit = git_repo(env['gitroot'], 'dud-extra', {'firmware/readme.txt': 'fw\n'})
        env['dud_scm'] = '%sdud-extra.git#%s' % (env['git_url'], commit)
        env['stub_url'] = admin.getExternalRepo('%s-dist' % env['build_tag'])['url'] \
            .replace('$arch', 'x86_64')
        env['broot_repo'] = '%s/repos/%s/%d/x86_64' % (env['hub'].topurl, env['build_tag'],
                                                       env['repo']['id'])
        yield env


def run(env, call, *args, **kwargs):
    task_id = getattr(env['admin'], call)(*args, **kwargs)
    return task_id, _wait_task(env, task_id, timeout=300)


def child_of(env, task_id, method):
    children = env['admin'].getTaskChildren(task_id)
    [child] = [c for c in children if c['method'] == method]
    return child, children


def root_of(env, child_id):
    [broot] = env['admin'].listBuildroots(taskID=child_id)
    name = '%s-%s-%s' % (broot['tag_name'], broot['id'], broot['repo_id'])
    return broot, os.path.join(env['builder'].dir, name)


def jsonl(path):
    with open(path) as fo:
        return [json.loads(line) for line in fo]


def tool_argvs(env, child_id, tool):
    _broot, top = root_of(env, child_id)
    return [c['argv'] for c in jsonl(os.path.join(top, 'root', 'tool-calls.jsonl'))
            if c['tool'] == tool]


def chroot_cmds(env, child_id):
    """What each mock --chroot call ran, after the config reference."""
    _broot, top = root_of(env, child_id)
    return [c['argv'][2:] for c in jsonl(os.path.join(top, 'mock-calls.jsonl'))
            if '--chroot' in c['argv'] and c['argv'][-1] != 'uname -r']


def kiwi_argvs(env, child_id):
    """kiwi-ng's arguments as kojid gave them to mock."""
    return [cmd[5:] for cmd in chroot_cmds(env, child_id) if cmd[4] == 'kiwi-ng']


def failure(env, task_id):
    with pytest.raises(koji.GenericError) as exc:
        env['admin'].getTaskResult(task_id)
    return exc.value


# -- kiwi ------------------------------------------------------------------------------------

def test_kiwi_build_imports_bundle(env):
    admin = env['admin']
    task_id, info = run(env, 'kiwiBuild', env['target'], ['x86_64'], env['desc_url'],
                        'images/demo.kiwi')
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    # the profile the description marks as the image's names the package
    build = admin.getBuild('kiwi-demo-Cloud-1.0.0-1', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    assert build['task_id'] == task_id
    report = admin.getTaskResult(task_id)
    assert report.startswith('image build results in: /')
    assert report.endswith('/packages/kiwi-demo-Cloud/1.0.0/1/images')
    child, children = child_of(env, task_id, 'createKiwiImage')
    assert sorted(c['method'] for c in children) == ['createKiwiImage', 'tagBuild']
    assert (child['arch'], child['label'], child['channel_id']) == \
        ('x86_64', 'x86_64', info['channel_id'])
    stem = 'kiwi-demo-Cloud.x86_64-1.0.0-Build1'
    archives = {a['filename']: a
                for a in admin.listArchives(buildID=build['id'], type='image')}
    assert sorted(archives) == sorted([stem + '.qcow2', stem + '.qcow2.sha256',
                                       stem + '.packages', stem + '.verified'])
    assert archives[stem + '.qcow2']['arch'] == 'x86_64'
    comps = admin.listRPMs(imageID=archives[stem + '.qcow2']['id'])
    assert comps and all(r['external_repo_id'] for r in comps)
    [tagged] = admin.listTagged(env['dest_tag'], package='kiwi-demo-Cloud')
    assert tagged['nvr'] == 'kiwi-demo-Cloud-1.0.0-1'

    assert len(tool_argvs(env, child['id'], 'kiwi-ng')) == 2
    [build_argv, bundle_argv] = kiwi_argvs(env, child['id'])
    assert build_argv == ['--kiwi-file', 'demo.x86_64.kiwi', '--debug', '--logfile',
                          '/tmp/image-root.x86_64.log', 'system', 'build', '--description',
                          'kiwi-desc/images', '--target-dir', '/builddir/result/image']
    assert bundle_argv == ['--debug', '--logfile', '/tmp/kiwi-result-bundle.x86_64.log',
                           'result', 'bundle', '--target-dir', '/builddir/result/image',
                           '--bundle-dir', '/builddir/result/bundle', '--id', '1']
    assert chroot_cmds(env, child['id']) == [
        ['--cwd', '/chroot_tmpdir', '--chroot', '--', 'kiwi-ng'] + build_argv,
        ['--cwd', '/chroot_tmpdir', '--chroot', '--', 'kiwi-ng'] + bundle_argv]
    _broot, top = root_of(env, child['id'])
    with open(os.path.join(top, 'mock-calls.jsonl')) as fo:
        config = json.loads(fo.readline())['config']
    assert "config_opts['chroot_setup_cmd'] = 'install @kiwi-build'\n" in config

    # the description kiwi got: koji's repo only, the include merged, the build's name
    desc = admin.downloadTaskOutput(child['id'], 'demo.x86_64.kiwi').decode()
    assert 'should-be-replaced' not in desc and 'included-repo-dropped' not in desc
    assert '<source path="%s"/>' % env['broot_repo'] in desc
    assert '<package name="extra-pkg"/>' in desc and '<include' not in desc
    assert 'name="kiwi-demo-Cloud"' in desc
    assert '<release-version>1.0.0</release-version>' in desc
    logs = {log['name'] for log in admin.getBuildLogs(build['id'])}
    assert {'image-root.x86_64.log', 'kiwi-result-bundle.x86_64.log'} <= logs


def test_kiwi_scratch_with_options(env):
    admin = env['admin']
    task_id, info = run(env, 'kiwiBuild', env['target'], ['x86_64'], env['desc_url'],
                        'images/demo.kiwi', scratch=True, profile='Base', type='oem',
                        type_attr=['format=vmdk'], release='7', version='2.0',
                        repo_releasever='40', make_prep=True, repos=[env['stub_url']],
                        result_bundle_name_format='%N-%v-%I', use_buildroot_repo=False)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    child, children = child_of(env, task_id, 'createKiwiImage')
    assert [c['method'] for c in children] == ['createKiwiImage']
    report = admin.getTaskResult(task_id)
    assert report == 'Scratch image build results in: %s' % os.path.join(
        env['hub'].topdir, 'work', koji.pathinfo.taskrelpath(child['id']))
    assert admin.getBuild('kiwi-demo-Base-2.0-7') is None
    [build_argv, bundle_argv] = kiwi_argvs(env, child['id'])
    assert build_argv[:4] == ['--profile', 'Base', '--type', 'oem']
    assert build_argv[-2:] == ['--set-type-attr', 'format=vmdk']
    assert bundle_argv[-4:] == ['--id', '7', '--bundle-format', '%N-%v-%I']
    assert chroot_cmds(env, child['id'])[0] == [
        '--cwd', '/chroot_tmpdir/kiwi-desc/images', '--chroot', '--', 'make', 'prep']
    _broot, top = root_of(env, child['id'])
    assert os.path.isfile(os.path.join(top, 'root/chroot_tmpdir/kiwi-desc/images/prep.txt'))
    # scratch: the files and the description (a log of the task) moved to scratch/
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % child['id'])
    with open(os.path.join(scratch, 'demo.x86_64.kiwi')) as fo:
        desc = fo.read()
    assert '<source path="%s"/>' % env['stub_url'] in desc
    assert env['broot_repo'] not in desc
    assert '<release-version>40</release-version>' in desc
    assert '<version>2.0</version>' in desc
    assert sorted(os.listdir(scratch)) == sorted([
        'kiwi-demo-Base-2.0-7.vmdk', 'kiwi-demo-Base-2.0-7.vmdk.sha256',
        'kiwi-demo-Base-2.0-7.packages', 'kiwi-demo-Base-2.0-7.verified',
        'demo.x86_64.kiwi'])


def test_kiwi_missing_description_fails_the_parent(env):
    task_id, info = run(env, 'kiwiBuild', env['target'], ['x86_64'], env['desc_url'],
                        'images/nope.kiwi')
    assert info['state'] == koji.TASK_STATES['FAILED']
    assert str(failure(env, task_id)).endswith(
        "Kiwi description nope.kiwi can't be parsed as XML.")
    assert env['admin'].getTaskChildren(task_id) == []


def test_kiwi_failure_fails_the_build(env):
    admin = env['admin']
    task_id, info = run(env, 'kiwiBuild', env['target'], ['x86_64'], env['desc_url'],
                        'images/demo.kiwi', type='nosuchtype', release='90')
    assert info['state'] == koji.TASK_STATES['FAILED']
    child, _children = child_of(env, task_id, 'createKiwiImage')
    assert child['state'] == koji.TASK_STATES['FAILED']
    assert str(failure(env, child['id'])).endswith('Kiwi failed')
    assert str(failure(env, task_id)).endswith('Kiwi failed')
    build = admin.getBuild('kiwi-demo-Cloud-1.0.0-90', strict=True)
    assert build['state'] == koji.BUILD_STATES['FAILED']
    # the tool's log still reaches the task
    log = admin.downloadTaskOutput(child['id'], 'image-root.x86_64.log').decode()
    assert '--type nosuchtype' in log


def test_kiwi_bad_arch_refused(env):
    task_id, info = run(env, 'kiwiBuild', env['target'], ['ppc64le'], env['desc_url'],
                        'images/demo.kiwi', scratch=True)
    assert info['state'] == koji.TASK_STATES['FAILED']
    assert str(failure(env, task_id)).endswith('Invalid arch for build tag: ppc64le')


# -- dud -------------------------------------------------------------------------------------

def iso_files(path):
    """(volume id, {name: bytes}) of the stand-in's flat ISO."""
    with open(path, 'rb') as fo:
        data = fo.read()
    volid = data[16 * 2048 + 40:16 * 2048 + 72].decode().strip()
    out = {}
    offset = 18 * 2048
    while data[offset]:
        length = data[offset]
        rec = data[offset:offset + length]
        extent = int.from_bytes(rec[2:6], 'little')
        size = int.from_bytes(rec[10:14], 'little')
        name = rec[33:33 + rec[32]]
        if name not in (b'\0', b'\1'):
            out[name.decode().split(';')[0]] = data[extent * 2048:extent * 2048 + size]
        offset += length
    return volid, out


def test_dud_build_imports_iso(env):
    admin = env['admin']
    task_id, info = run(env, 'dudBuild', 'drv', '1.0', ['x86_64'], env['target'],
                        ['make', 'sed-1-1'], scmurl=env['dud_scm'])
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    build = admin.getBuild('drv-1.0-1', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    assert admin.getTaskResult(task_id).endswith('/packages/drv/1.0/1/images')
    child, children = child_of(env, task_id, 'createDudIso')
    assert sorted(c['method'] for c in children) == ['createDudIso', 'tagBuild']
    [archive] = admin.listArchives(buildID=build['id'], type='image')
    assert (archive['filename'], archive['arch']) == ('dd-drv-1.0-1.x86_64.iso', 'x86_64')
    comps = sorted(r['name'] for r in admin.listRPMs(imageID=archive['id']))
    assert comps == ['make', 'sed']
    cwd = ['--cwd', '/chroot_tmpdir', '--chroot', '--']
    assert chroot_cmds(env, child['id']) == [
        cwd + ['/usr/bin/dnf', 'download', 'make'],
        cwd + ['/usr/bin/dnf', 'download', 'sed-1-1'],
        cwd + ['/usr/bin/mkdir', '-p', './dd/rpms/x86_64/repodata/', '-p', './dd/src/'],
        cwd + ['/usr/bin/sh', '-c',
               '/usr/bin/echo -e "Driver Update Disk version 3\\c" > ./dd/rhdd3'],
        cwd + ['/usr/bin/cp', '-aR', 'dud-extra', './dd/'],
        cwd + ['/usr/bin/sh', '-c', '/usr/bin/cp *.rpm ./dd/rpms/x86_64/'],
        cwd + ['/usr/bin/createrepo', '-q', '--workers=1', './dd/rpms/x86_64/'],
        cwd + ['/usr/bin/sh', '-c', '/usr/bin/xorrisofs -quiet -lR -V OEMDRV -input-charset '
               'utf8 -o dd-drv-1.0-1.x86_64.iso ./dd -v']]
    _broot, top = root_of(env, child['id'])
    assert "config_opts['chroot_setup_cmd'] = 'install @dud-build'\n" in \
        jsonl(os.path.join(top, 'mock-calls.jsonl'))[0]['config']
    path = os.path.join(koji.pathinfo.imagebuild(build), archive['filename'])
    volid, files = iso_files(path.replace(koji.pathinfo.topdir, env['hub'].topdir, 1))
    assert volid == 'OEMDRV'
    assert files['RHDD3'] == b'Driver Update Disk version 3'
    listing = files['FILES.TXT'].decode().split()
    assert {'rhdd3', 'dud-extra/firmware/readme.txt', 'rpms/x86_64/make-1-1.noarch.rpm',
            'rpms/x86_64/sed-1-1.noarch.rpm', 'rpms/x86_64/repodata/repomd.xml'} \
        <= set(listing)
    [tagged] = admin.listTagged(env['dest_tag'], package='drv')
    assert tagged['nvr'] == 'drv-1.0-1'


def test_dud_scratch_alldeps(env):
    admin = env['admin']
    task_id, info = run(env, 'dudBuild', 'drv', '2.0', [], env['target'], ['make'],
                        scratch=True, alldeps=True)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    child, children = child_of(env, task_id, 'createDudIso')
    assert len(children) == 1 and child['arch'] == 'x86_64'
    assert admin.getTaskResult(task_id).startswith('Scratch image build results in: ')
    assert tool_argvs(env, child['id'], 'dnf') == [['download', '--resolve', '--alldeps',
                                                    'make']]
    assert admin.getBuild('drv-2.0-1') is None
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % child['id'])
    assert os.listdir(scratch) == ['dd-drv-2.0-1.x86_64.iso']


def test_dud_missing_package_fails_the_build(env):
    admin = env['admin']
    task_id, info = run(env, 'dudBuild', 'drv', '3.0', ['x86_64'], env['target'],
                        ['make', 'no-such-pkg'])
    assert info['state'] == koji.TASK_STATES['FAILED']
    child, _children = child_of(env, task_id, 'createDudIso')
    assert str(failure(env, child['id'])).endswith(
        "DUD build failed while getting the involved rpm 'no-such-pkg': 256")
    assert admin.getBuild('drv-3.0-1', strict=True)['state'] == koji.BUILD_STATES['FAILED']
    # no ISO step ran
    assert tool_argvs(env, child['id'], 'xorrisofs') == []


def test_dud_version_with_hyphen_refused(env):
    task_id, info = run(env, 'dudBuild', 'drv', '4-1', ['x86_64'], env['target'], ['make'])
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.ApplianceError) as exc:
        env['admin'].getTaskResult(task_id)
    assert str(exc.value).endswith('The Version may not have a hyphen')
    assert env['admin'].getTaskChildren(task_id) == []
