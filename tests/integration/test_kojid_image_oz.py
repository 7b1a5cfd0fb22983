"""ImageFactory image builds (image, createImage, indirectionimage) end to end: our CLI
queues them on the test hub, a real kojid runs them with the stand-in imgfac of
tests/fixtures/imgfac_stub on its PYTHONPATH (it records what kojid asks of ImageFactory
in imgfac-calls.jsonl) and the host's qemu-img / xz make the other formats; the hub
imports the images, their logs and their rpm components."""
import json
import lzma
import os
import shutil
import subprocess
import tarfile

import pytest

import koji
from tests.fixtures.cli import ROOT, our_cli
from tests.integration.test_kojid_build import BuildBuilder, _result, build_env
from tests.integration.test_kojid_maven import git_pom_repo
from tests.integration.test_kojid_repos import HUB_OPTS, _repo_for, _wait_task

HOST = 'kojid-oz.test'
STUB = os.path.join(ROOT, 'tests', 'fixtures', 'imgfac_stub')
TREE = 'http://127.0.0.1:9/trees/f38/$arch/os/'
KICKSTART = """lang en_US.UTF-8
keyboard us
rootpw --plaintext secret
repo --name=original --baseurl=http://example.com/should-be-replaced/
part / --size 100 --fstype ext4

%packages
bash
coreutils
%end
"""
# ImageFactory's ReservationManager port range in the stand-in
MIN_PORT, MAX_PORT = 1025, 65535


class OzBuilder(BuildBuilder):
    plugins = ()

    @property
    def extra_env(self):
        return {'PYTHONPATH': STUB, 'IMGFAC_STUB_LOG': self.calls_file}

    @property
    def calls_file(self):
        return os.path.join(self.dir, 'imgfac-calls.jsonl')


def _add_i386(env):
    """The stub distribution (the same rpm files) for i386 too (the repo arch of i686,
    the canonical arch), and the tag and host."""
    stub = env['stub'].path
    i386 = os.path.join(stub, 'i386')
    os.makedirs(i386)
    for name in os.listdir(os.path.join(stub, 'x86_64')):
        if name.endswith('.rpm'):
            shutil.copy(os.path.join(stub, 'x86_64', name), i386)
    subprocess.run(['createrepo_c', '-q', i386], check=True)
    admin = env['admin']
    admin.editTag2(env['build_tag'], arches='x86_64 i686')
    admin.editHost(HOST, arches='x86_64 i386 noarch')


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    missing = [t for t in ('qemu-img', 'xz', 'mksquashfs') if not shutil.which(t)]
    if missing:
        pytest.skip('not installed (make deps): %s' % ', '.join(missing))
    for env in build_env(hub_server, tmp_path_factory, OzBuilder, HOST, 'oz',
                         hub_opts=HUB_OPTS):
        admin = env['admin']
        admin.addHostToChannel(HOST, 'image', create=True)
        for pkg in ('oz-img', 'oz-fail', 'oz-indirect'):
            admin.packageListAdd(env['dest_tag'], pkg, owner=env['hub'].admin_user)
        _add_i386(env)
        env['repo'] = _repo_for(env, env['build_tag'], admin.getLastEvent()['id'])
        ks = os.path.join(env['base'], 'demo.ks')
        with open(ks, 'w') as fo:
            fo.write(KICKSTART)
        env['ks'] = ks
        yield env


def _cli(env, *args):
    """Our CLI (a process of its own) as admin; returns the task id it created."""
    hub = env['hub']
    cmd = ['-c', hub.config_file, '-p', hub.profile, '--user', hub.admin_user,
           '--password', hub.admin_password] + list(args)
    res = our_cli().run(cmd, env=dict(os.environ, HOME=env['base']), cwd=env['base'],
                        timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    [line] = [ln for ln in res.stdout.splitlines() if ln.startswith('Created task: ')]
    return int(line.split(': ')[1])


def _image_build(env, *args):
    return _cli(env, 'image-build', '--nowait', '--noprogress', '--distro', 'Fedora-38',
                '--kickstart', env['ks'], *args)


def _children(admin, task_id, method='createImage'):
    return {c['arch']: c for c in admin.getTaskChildren(task_id) if c['method'] == method}


def _calls(env, call, **match):
    with open(env['builder'].calls_file) as fo:
        calls = [json.loads(line) for line in fo]
    return [c for c in calls if c['call'] == call
            and all(c.get(k) == v for k, v in match.items())]


def _base_call(env, arch_name):
    """The stand-in's record of the base image build whose TDL names arch_name."""
    found = [c for c in _calls(env, 'builder_for_base_image')
             if '<name>%s</name>' % arch_name in c['template']]
    assert len(found) == 1, found
    return found[0]


def _paths(env):
    """The hub's (and kojid's) file layout."""
    return koji.PathInfo(topdir=env['hub'].topdir)


def _archive_path(env, build, archive):
    return os.path.join(_paths(env).imagebuild(build), archive['filename'])


@pytest.fixture(scope='module')
def image_task(env):
    """oz-img-1.0-3, built once per test process for the tests that need it (the image
    build test and the indirection tests may run in different processes)."""
    task_id = _image_build(env, '--release', '3', '--disk-size', '12', '--format', 'qcow2',
                           '--format', 'raw-xz', '--format', 'vagrant-libvirt',
                           '--format', 'docker', '--factory-parameter', 'oz_extra', 'yes',
                           '--factory-parameter', 'install_script', 'ignored',
                           '--ova-option', 'vsphere_product=Koji',
                           'oz-img', '1.0', env['target'], TREE, 'x86_64', 'i686')
    _wait_task(env, task_id, timeout=300)
    return task_id


SCRATCH_FORMATS = ['qcow2', 'raw', 'tar-gz', 'liveimg-squashfs', 'vpc', 'rhevm-ova']


@pytest.fixture(scope='module')
def scratch_task(env):
    """A scratch oz-img-2.0 image build (x86_64), once per test process."""
    args = sum((['--format', fmt] for fmt in SCRATCH_FORMATS), [])
    task_id = _image_build(env, '--scratch', *args, 'oz-img', '2.0', env['target'], TREE,
                           'x86_64')
    _wait_task(env, task_id, timeout=300)
    return task_id


def test_image_build_two_arches_imports_every_format(env, image_task):
    admin = env['admin']
    task_id = image_task
    info = admin.getTaskInfo(task_id)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    build = admin.getBuild('oz-img-1.0-3', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    assert _result(env, task_id) == 'image build results in: %s' % \
        _paths(env).imagebuild(build)
    children = _children(admin, task_id)
    # the CLI asks for canonical arches: i686 is i386
    assert sorted(children) == ['i386', 'x86_64']
    archives = {a['filename']: a
                for a in admin.listArchives(buildID=build['id'], type='image')}
    expected = {'demo.ks': 'ks'}
    for arch, child in children.items():
        img = 'oz-img-1.0-3.%s' % arch
        expected.update({
            'tdl-%s.xml' % arch: 'xml',
            'koji-oz-build-%d-base.ks' % child['id']: 'ks',
            '%s.qcow2' % img: 'qcow2', 'libvirt-qcow2-%s.xml' % arch: 'xml',
            '%s.raw.xz' % img: 'raw-xz', 'libvirt-raw-xz-%s.xml' % arch: 'xml',
            '%s.vagrant-libvirt.box' % img: 'box',
            'libvirt-vagrant-libvirt-%s.xml' % arch: 'xml',
            '%s.tar.xz' % img: 'tar'})
    assert {name: a['type_name'] for name, a in archives.items()} == expected
    # the user's kickstart is imported once, not per arch
    assert archives['oz-img-1.0-3.i386.qcow2']['arch'] == 'i386'

    qcow2 = archives['oz-img-1.0-3.x86_64.qcow2']
    with open(_archive_path(env, build, qcow2), 'rb') as fo:
        assert fo.read(4) == b'QFI\xfb'
    with lzma.open(_archive_path(env, build, archives['oz-img-1.0-3.i386.raw.xz'])) as fo:
        disk = fo.read()
    assert len(disk) == 2 * 1024 * 1024 and disk.startswith(b'stand-in disk of oz-img')
    with tarfile.open(_archive_path(env, build, archives['oz-img-1.0-3.x86_64.tar.xz'])) as tar:
        assert 'repositories' in tar.getnames()
    box = archives['oz-img-1.0-3.x86_64.vagrant-libvirt.box']
    with tarfile.open(_archive_path(env, build, box)) as tar:
        ovf = tar.extractfile('box.ovf').read().decode()
    assert '"rhevm_ova_format": "vagrant-libvirt"' in ovf
    with open(_archive_path(env, build, archives['libvirt-qcow2-x86_64.xml'])) as fo:
        lxml = fo.read()
    assert '<name>oz-img-1.0-3.x86_64</name>' in lxml
    assert 'file="oz-img-1.0-3.x86_64.qcow2"' in lxml and 'type="qcow2"' in lxml
    with open(_archive_path(env, build, archives['libvirt-vagrant-libvirt-x86_64.xml'])) as fo:
        assert 'type-warning=' in fo.read()

    # the rpms the kickstart installed, from the tag's external repo
    comps = admin.listRPMs(imageID=qcow2['id'])
    assert sorted(r['name'] for r in comps) == ['bash', 'coreutils']
    assert all(r['external_repo_id'] for r in comps)
    assert admin.listRPMs(imageID=archives['tdl-x86_64.xml']['id']) == []
    logs = {(log['dir'], log['name']) for log in admin.getBuildLogs(build['id'])}
    # (qemu-img and xz print nothing: their empty logs are not uploaded)
    assert {('image', 'oz-x86_64.log'), ('image', 'oz-i386.log')} <= logs
    [tagged] = admin.listTagged(env['dest_tag'], package='oz-img')
    assert tagged['nvr'] == 'oz-img-1.0-3'

    # what kojid asked of ImageFactory
    for arch, child in children.items():
        call = _base_call(env, 'oz-img-1.0-3.%s' % arch)
        tdl = call['template']
        assert '<arch>%s</arch>' % arch in tdl and '<size>12</size>' in tdl
        assert '<name>Fedora</name>' in tdl and '<version>38</version>' in tdl
        assert "<install type=\"url\">" in tdl or "<install type='url'>" in tdl
        assert '<url>%s</url>' % TREE.replace('$arch', arch) in tdl
        params = call['parameters']
        assert params['oz_extra'] == 'yes' and params['offline_icicle'] is True
        ks = params['install_script']
        repo_url = '%s/repos/%s/%d/%s' % (env['hub'].topurl, env['build_tag'],
                                          env['repo']['id'], arch)
        assert 'repo --name="koji-override-0" --baseurl=%s' % repo_url in ks
        assert 'should-be-replaced' not in ks
        assert 'url --url="%s"' % TREE.replace('$arch', arch) in ks
        assert call['listen_port'] == MIN_PORT + child['id'] % (MAX_PORT - MIN_PORT)
        with open(os.path.join(_paths(env).build(build), 'data', 'logs', 'image',
                               'oz-%s.log' % arch)) as fo:
            oz_log = fo.read()
        assert 'stand-in Oz install of oz-img-1.0-3.%s' % arch in oz_log
    [config] = [c['configuration'] for c in _calls(env, 'ApplicationConfiguration')
                if c['configuration']['imgdir'].startswith(
                    os.path.join(env['builder'].dir, 'work', _paths(env).taskrelpath(
                        children['x86_64']['id'])))]
    assert config['image_manager'] == 'file' and config['timeout'] is None
    assert config['image_manager_args']['storage_path'].endswith('/output_image')
    targets = _calls(env, 'builder_for_target_image')
    kinds = sorted(c['target'] for c in targets)
    assert kinds == ['OVA', 'OVA', 'docker', 'docker', 'rhevm', 'rhevm']
    docker = [c for c in targets if c['target'] == 'docker'][0]['parameters']
    assert docker == {'compress': 'xz', 'oz_extra': 'yes', 'install_script': 'ignored'}
    rhevm = [c for c in targets if c['target'] == 'rhevm'][0]['parameters']
    assert rhevm['rhevm_ova_format'] == 'vagrant-libvirt'
    assert rhevm['vsphere_product'] == 'Koji'


def test_scratch_image_build(env, scratch_task):
    admin = env['admin']
    formats = SCRATCH_FORMATS
    task_id = scratch_task
    info = admin.getTaskInfo(task_id)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    child = _children(admin, task_id)['x86_64']
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % child['id'])
    img = 'oz-img-2.0-1.x86_64'
    files = sorted(os.listdir(scratch))
    assert files == sorted(
        ['demo.ks', 'koji-oz-build-%d-base.ks' % child['id'], 'tdl-x86_64.xml',
         'oz-x86_64.log']
        + ['libvirt-%s-x86_64.xml' % fmt for fmt in formats]
        + [img + ext for ext in ('.qcow2', '.raw', '.tar.gz', '.liveimg.squashfs', '.vhd',
                                 '.rhevm.ova')])
    with tarfile.open(os.path.join(scratch, img + '.tar.gz')) as tar:
        assert tar.getnames() == ['disk.raw']
    with open(os.path.join(scratch, img + '.liveimg.squashfs'), 'rb') as fo:
        assert fo.read(4) == b'hsqs'
    with open(os.path.join(scratch, img + '.vhd'), 'rb') as fo:
        assert fo.read()[-512:].startswith(b'conectix')
    with tarfile.open(os.path.join(scratch, img + '.rhevm.ova')) as tar:
        assert tar.getnames() == ['box.ovf', 'disk.img']
    assert _result(env, task_id) == 'Scratch image build results in: %s' % os.path.join(
        _paths(env).work(), _paths(env).taskrelpath(child['id']))
    result = admin.getTaskResult(child['id'])
    assert result['rpmlist'] == [] and result['logs'] == ['oz-x86_64.log']
    assert admin.getBuild('oz-img-2.0-1') is None


def test_imagefactory_failure_fails_the_build(env):
    admin = env['admin']
    task_id = _image_build(env, '--factory-parameter', 'stub_fail',
                           'No disk activity in 300 seconds, failing',
                           'oz-fail', '1', env['target'], TREE, 'x86_64')
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['FAILED']
    child = _children(admin, task_id)['x86_64']
    with pytest.raises(koji.ApplianceError) as exc:
        admin.getTaskResult(child['id'])
    assert str(exc.value) == ('Image status is FAILED: Automated install failed or prompted '
                              'for input. See the screenshot in the task results for more '
                              'information')
    outputs = admin.listTaskOutput(child['id'])
    assert 'screenshot.png' in outputs and 'oz-x86_64.log' in outputs
    log = admin.downloadTaskOutput(child['id'], 'oz-x86_64.log').decode()
    assert 'No disk activity in 300 seconds' in log
    assert _calls(env, 'os_plugin.abort')
    build = admin.getBuild('oz-fail-1-1', strict=True)
    assert build['state'] == koji.BUILD_STATES['FAILED']


def _indirection(env, *args):
    return _cli(env, 'image-build-indirection', '--nowait', '--noprogress', '--arch',
                'x86_64', '--target', env['target'], *args)


def test_indirection_scratch_from_task_and_build(env, image_task, scratch_task):
    admin = env['admin']
    scratch_child = _children(admin, scratch_task)['x86_64']['id']
    template = os.path.join(env['base'], 'indirection.tmpl')
    with open(template, 'w') as fo:
        fo.write('copy the kernel out\n')
    task_id = _indirection(env, '--scratch', '--name', 'oz-indirect', '--version', '1',
                           '--release', '1', '--base-image-task',
                           str(scratch_child), '--utility-image-build',
                           'oz-img-1.0-3', '--indirection-template', template,
                           '--results-loc', 'out/vmlinuz.qcow2')
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    assert _result(env, task_id) == 'Scratch image build results in: %s' % os.path.join(
        _paths(env).work(), _paths(env).taskrelpath(task_id))
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % task_id)
    assert sorted(os.listdir(scratch)) == ['oz-indirection.log', 'vmlinuz.qcow2']
    with open(os.path.join(scratch, 'vmlinuz.qcow2')) as fo:
        made = json.load(fo)
    assert made['results'] == '/out/vmlinuz.qcow2'
    assert made['customizations'] == 'copy the kernel out\n'
    # the scratch image, where the work dir's link to the scratch area is
    assert made['base_data'] == os.path.join(
        _paths(env).work(), _paths(env).taskrelpath(scratch_child),
        'oz-img-2.0-1.x86_64.qcow2')
    build = admin.getBuild('oz-img-1.0-3')
    assert made['utility_data'] == os.path.join(_paths(env).imagebuild(build),
                                                'oz-img-1.0-3.x86_64.qcow2')
    assert '<name>oz-img-2.0-1.x86_64</name>' in made['base_template']
    assert 'indirection.tmpl' in admin.listTaskOutput(task_id)


def test_indirection_build_from_scm_template(env, image_task):
    admin = env['admin']
    commit = git_pom_repo(env['gitroot'], 'indtmpl', '0',
                          files={'indirect.tmpl': 'build the thing\n'})
    url = '%s/indtmpl.git#%s' % (env['git_url'], commit)
    children = _children(admin, image_task)
    task_id = _indirection(env, '--name', 'oz-indirect', '--version', '2', '--release', '4',
                           '--base-image-build', 'oz-img-1.0-3', '--utility-image-task',
                           str(children['x86_64']['id']), '--indirection-template',
                           'indirect.tmpl', '--indirection-template-url', url,
                           '--results-loc', '/out/result.raw.xz')
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    build = admin.getBuild('oz-indirect-2-4', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    assert _result(env, task_id) == 'image build results in: %s' % \
        _paths(env).imagebuild(build)
    [archive] = admin.listArchives(buildID=build['id'], type='image')
    assert (archive['filename'], archive['type_name'], archive['arch']) == \
        ('result.raw.xz', 'raw-xz', 'x86_64')
    logs = {log['name'] for log in admin.getBuildLogs(build['id'])}
    assert 'oz-indirection.log' in logs
    [tagged] = admin.listTagged(env['dest_tag'], package='oz-indirect')
    assert tagged['nvr'] == 'oz-indirect-2-4'


def test_indirection_failures(env, image_task):
    admin = env['admin']
    template = os.path.join(env['base'], 'failing.tmpl')
    with open(template, 'w') as fo:
        fo.write('STUB-FAIL\n')
    # an input task that is not a createImage
    task_id = _indirection(env, '--scratch', '--name', 'oz-indirect', '--version', '1',
                           '--release', '2', '--base-image-task', str(image_task),
                           '--utility-image-build', 'oz-img-1.0-3',
                           '--indirection-template', template, '--results-loc', 'r.qcow2')
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.BuildError) as exc:
        admin.getTaskResult(task_id)
    assert str(exc.value) == ("Input task method must be 'createImage' - actual method "
                              "(image)")
    # ImageFactory's indirection fails
    child = _children(admin, image_task)['x86_64']
    task_id = _indirection(env, '--scratch', '--name', 'oz-indirect', '--version', '1',
                           '--release', '2', '--base-image-task', str(child['id']),
                           '--utility-image-build', 'oz-img-1.0-3',
                           '--indirection-template', template, '--results-loc', 'r.qcow2')
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.ApplianceError) as exc:
        admin.getTaskResult(task_id)
    assert str(exc.value).startswith('Image status is FAILED: ')
    assert 'customizations failed' in str(exc.value)
    log = admin.downloadTaskOutput(task_id, 'oz-indirection.log').decode()
    assert 'customizations failed' in log
