"""maven-build, maven-chain, wrapper-rpm, win-build and the image commands (spin-*,
image-build, image-build-indirection): the tasks they create on a real hub (EnableMaven
and EnableWin on), their output and their argument errors."""
import os

import pytest

import koji
from tests.fixtures.cli import uniq


@pytest.fixture(scope='module')
def world(hub_server, hub):
    hub_server.restart({'EnableMaven': True, 'EnableWin': True})
    hub.logout()
    hub.login()
    name = uniq('mi')
    hub.createTag(name + '-build', arches='x86_64')
    hub.createTag(name + '-dest')
    hub.createBuildTarget(name, name + '-build', name + '-dest')
    locked = uniq('mil')
    hub.createTag(locked + '-dest', locked=True)
    hub.createBuildTarget(locked, name + '-build', locked + '-dest')
    return {'target': name, 'locked': locked}


def task_of(res, hub_server):
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    task_id = int(lines[-2].split(': ')[1])
    url = '%s/koji/taskinfo?taskID=%d' % (hub_server.base_url, task_id)
    assert lines[-1] == 'Task info: ' + url
    return task_id


def request(hub, task_id):
    info = hub.getTaskInfo(task_id, request=True)
    return info, info['request']


def channel(hub, info):
    return hub.getChannel(info['channel_id'])['name']


def usage_error(res, message):
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.rstrip().endswith('error: %s' % message), res.stderr


# -- maven -------------------------------------------------------------------------------

def test_maven_build_options_become_task_opts(cli, hub, hub_server, world):
    res = cli('maven-build', '--nowait', '--scratch', '-G', 'install', '-D', 'a=1', '-D', 'b',
              '-E', 'X=y', '-p', 'zip', '--debug', '--skip-tag', '--background',
              world['target'], 'git://example.com/demo#abc')
    task_id = task_of(res, hub_server)
    assert res.stdout.startswith('Created task: ')
    info, req = request(hub, task_id)
    assert info['method'] == 'maven' and channel(hub, info) == 'maven'
    assert info['priority'] == koji.PRIO_DEFAULT + 5
    assert req[:2] == ['git://example.com/demo#abc', world['target']]
    assert req[2] == {'goals': ['install'], 'properties': {'a': '1', 'b': None},
                      'envs': {'X': 'y'}, 'packages': ['zip'], 'scratch': True,
                      'maven_options': ['--debug'], 'skip_tag': True}


def test_maven_build_from_ini(cli, hub, hub_server, world, tmp_path):
    ini = tmp_path / 'b.ini'
    ini.write_text('[demo]\nscmurl = git://example.com/demo#1\ngoals = a b\n'
                   'properties = x=1\n  y=2\n')
    task_id = task_of(cli('maven-build', '--nowait', '--ini', str(ini), world['target']),
                      hub_server)
    _info, req = request(hub, task_id)
    assert req[0] == 'git://example.com/demo#1'
    assert req[2] == {'goals': ['a', 'b'], 'properties': {'x': '1', 'y': '2'}}
    wrapper = tmp_path / 'w.ini'
    wrapper.write_text('[w]\ntype = wrapper\nscmurl = git://x#1\nbuildrequires = demo\n')
    usage_error(cli('maven-build', '--ini', str(wrapper), world['target']),
                'Section w does not contain a maven-build config')


def test_maven_build_argument_errors(cli, world):
    usage_error(cli('maven-build', world['target']),
                'Exactly two arguments (a build target and a SCM URL) are required')
    usage_error(cli('maven-build', '--ini', 'x.ini', world['target'], 'git://x#1'),
                'Exactly one argument (a build target) is required')
    usage_error(cli('maven-build', world['target'], 'no-url'), 'No such SCM URL: no-url')
    usage_error(cli('maven-build', 'nosuch-target', 'git://x#1'),
                'No such build target: nosuch-target')
    usage_error(cli('maven-build', world['locked'], 'git://x#1'),
                'Destination tag %s-dest is locked' % world['locked'])


def test_maven_chain_parses_configs(cli, hub, hub_server, world, tmp_path):
    conf = tmp_path / 'chain.ini'
    conf.write_text('[a]\nscmurl = git://x/a#1\n\n[b]\nscmurl = git://x/b#1\n'
                    'buildrequires = a\n')
    res = cli('maven-chain', '--nowait', '--force', world['target'], str(conf))
    task_id = task_of(res, hub_server)
    info, req = request(hub, task_id)
    assert info['method'] == 'chainmaven'
    assert req[0] == {'a': {'scmurl': 'git://x/a#1'},
                      'b': {'scmurl': 'git://x/b#1', 'buildrequires': ['a']}}
    assert req[1:] == [world['target'], {'force': True}]
    bad = tmp_path / 'bad.ini'
    bad.write_text('[a]\nscmurl = git://x/a#1\nbuildrequires = zz\n')
    usage_error(cli('maven-chain', world['target'], str(bad)),
                'No possible build order, missing/circular dependencies')
    usage_error(cli('maven-chain', world['target']),
                'Two arguments (a build target and a config file) are required')


def test_wrapper_rpm(cli, hub, hub_server, world):
    build_id = hub.createEmptyBuild(uniq('wr'), '1', '1', None)
    res = cli('wrapper-rpm', '--nowait', '--create-draft', world['target'], str(build_id),
              'git://x/spec#1')
    assert res.stdout.startswith('Will create a draft build instead\nCreated task: ')
    task_id = task_of(res, hub_server)
    info, req = request(hub, task_id)
    assert info['method'] == 'wrapperRPM' and channel(hub, info) == 'maven'
    assert req[0] == 'git://x/spec#1' and req[2]['id'] == build_id
    assert req[4] == {'draft': True, 'create_build': True, 'wait_builds': []}
    usage_error(cli('wrapper-rpm', '--scratch', '--create-draft', world['target'], '1',
                    'git://x#1'),
                '--scratch and --create-draft cannot be both specfied')
    usage_error(cli('wrapper-rpm', world['target'], '1'),
                'You must provide a build target, a build ID or NVR, and a SCM URL to a '
                'specfile fragment')


def test_win_build_waits_in_vm_channel(cli, hub, hub_server, world):
    res = cli('win-build', '--nowait', '--cpus', '2', '--static-mac', world['target'],
              'git://x/win#1', 'win7')
    task_id = task_of(res, hub_server)
    info, req = request(hub, task_id)
    assert info['method'] == 'winbuild' and channel(hub, info) == 'vm'
    assert info['state'] == koji.TASK_STATES['FREE']
    assert req == ['win7', 'git://x/win#1', world['target'],
                   {'cpus': 2, 'static_mac': True}]
    usage_error(cli('win-build', world['target'], 'git://x#1'),
                'Exactly three arguments (a build target, a SCM URL, and a VM name) are '
                'required')


# -- images ------------------------------------------------------------------------------

def test_spin_livecd_uploads_kickstart(cli, hub, hub_server, world, tmp_path):
    ks = tmp_path / 'demo.ks'
    ks.write_text('part / --size 100\n')
    res = cli('spin-livecd', '--nowait', '--noprogress', '--volid', 'VOL', 'demo', '1',
              world['target'], 'i686', str(ks))
    assert res.stdout.startswith(
        'spin-livecd is deprecated and will be replaced with spin-livemedia\n\n')
    task_id = task_of(res, hub_server)
    info, req = request(hub, task_id)
    assert info['method'] == 'livecd' and info['arch'] == 'i386'
    assert channel(hub, info) == 'livecd'
    assert req[:4] == ['demo', '1', 'i386', world['target']]
    assert req[4].startswith('cli-livecd/') and req[4].endswith('/demo.ks')
    with open(os.path.join(hub_server.topdir, 'work', req[4])) as fo:
        assert fo.read() == 'part / --size 100\n'
    assert req[5] == {'volid': 'VOL'}
    usage_error(cli('spin-livecd', '--volid', 'V' * 33, 'a', '1', world['target'], 'x86_64',
                    'k.ks'), 'Volume ID has a maximum length of 32 characters')


def test_spin_livemedia_and_appliance(cli, hub, hub_server, world):
    res = cli('spin-livemedia', '--nowait', '--ksurl', 'git://x/ks#1', '--can-fail', 'i686',
              '--nomacboot', 'lm', '2', world['target'], 'x86_64,i686', 'lm.ks')
    task_id = task_of(res, hub_server)
    info, req = request(hub, task_id)
    assert info['method'] == 'livemedia' and info['arch'] == 'noarch'
    assert req[2] == ['x86_64', 'i386'] and req[4] == 'lm.ks'
    assert req[5] == {'ksurl': 'git://x/ks#1', 'optional_arches': ['i686'],
                      'nomacboot': True, 'compress_arg': []}
    usage_error(cli('spin-livemedia', '--lorax_url', 'git://l#1', 'a', '1', world['target'],
                    'x86_64', 'k.ks'),
                'The "--lorax_url" option requires that "--lorax_dir" also be used.')
    res = cli('spin-appliance', '--nowait', '--ksurl', 'git://x/ks#1', 'ap', '1',
              world['target'], 'x86_64', 'ap.ks')
    assert res.stdout.startswith('spin-appliance is deprecated and will be replaced with '
                                 'image-build\nCreated task: ')
    _info, req = request(hub, task_of(res, hub_server))
    assert req[5] == {'format': 'raw', 'ksurl': 'git://x/ks#1'}
    res = cli('spin-appliance', 'a', '1', 'nosuch', 'x86_64', 'k.ks', '--ksurl', 'git://k#1')
    assert res.returncode == 1 and 'No such build target: nosuch' in res.stderr


def test_image_build_options_and_config(cli, hub, hub_server, world, tmp_path):
    usage_error(cli('image-build', 'a', '1', world['target'], 'http://tree', 'x86_64',
                    '--ksurl', 'git://k#1'),
                'You must specify --distro. Examples: Fedora-16, RHEL-6.4, SL-6.4 or '
                'CentOS-6.4')
    usage_error(cli('image-build', 'a', '1', world['target'], 'http://tree'),
                'At least five arguments are required: a name, a version, a build target, '
                'a URL to an install tree, and 1 or more architectures.')
    conf = tmp_path / 'img.conf'
    conf.write_text('[image-build]\nname = img\nversion = 3\ntarget = %s\n'
                    'install_tree = http://tree/\narches = x86_64,i686\nformat = qcow2,raw\n'
                    'distro = Fedora-40\nksurl = git://k#1\nkickstart = a.ks\n\n'
                    '[ova-options]\nvsphere_product_version = 1\n' % world['target'])
    res = cli('image-build', '--nowait', '--config', str(conf))
    info, req = request(hub, task_of(res, hub_server))
    assert info['method'] == 'image' and channel(hub, info) == 'image'
    assert req[:5] == ['img', '3', ['x86_64', 'i386'], world['target'], 'http://tree/']
    assert req[5] == {'ksurl': 'git://k#1', 'kickstart': 'a.ks', 'distro': 'Fedora-40',
                      'format': ['qcow2', 'raw'], 'disk_size': 10,
                      'ova_option': ['vsphere_product_version=1'], 'optional_arches': ''}


def test_image_build_indirection(cli, hub, hub_server, world, tmp_path):
    res = cli('image-build-indirection', '--base-image-task', '1', '--utility-image-task',
              '2', '--name', 'x')
    assert res.returncode == 1
    assert res.stdout == ('Missing the following required options: --version --arch '
                          '--target --indirection-template --results-loc\n')
    assert 'Missing required options specified above' in res.stderr
    res = cli('image-build-indirection', '--base-image-task', '1')
    assert res.returncode == 1
    assert 'You must specify either a utility-image task or build ID/NVR' in res.stderr
    tpl = tmp_path / 'tpl.xml'
    tpl.write_text('<template/>')
    res = cli('image-build-indirection', '--nowait', '--noprogress', '--scratch',
              '--base-image-task', '1', '--utility-image-build', 'u-1-1', '--name', 'ind',
              '--version', '1', '--arch', 'x86_64', '--target', world['target'],
              '--indirection-template', str(tpl), '--results-loc', '/out')
    info, req = request(hub, task_of(res, hub_server))
    assert info['method'] == 'indirectionimage' and info['arch'] == 'x86_64'
    opts = req[0]
    assert opts['indirection_template'].startswith('work/cli-image-indirection/')
    assert opts['base_image_task'] == '1' and opts['utility_image_build'] == 'u-1-1'
    assert opts['release'] is None and opts['scratch'] is True
