"""What kojid hands ImageFactory: the TDL, the factory config, the formats and their
names, --factory-parameter merging, OVA parameters, the libvirt XML and the icicle's rpm
list (images_oz_conf), and the kickstart createImage prepares (images_oz)."""
import types
import xml.etree.ElementTree as ET

import pytest

import koji
from kojibuilder import images_oz, images_oz_conf as conf


def test_tdl_from_options():
    text = conf.make_tdl('img-1-2.x86_64', 'Fedora-38', 'x86_64', 'http://t/<&>/', 12)
    root = ET.fromstring(text)
    assert root.tag == 'template'
    assert root.findtext('name') == 'img-1-2.x86_64'
    assert [root.findtext('os/' + k) for k in ('name', 'version', 'arch')] == \
        ['Fedora', '38', 'x86_64']
    assert root.find('os/install').get('type') == 'url'
    # the URL is escaped, not pasted, into the XML
    assert root.findtext('os/install/url') == 'http://t/<&>/'
    assert root.findtext('os/icicle/extra_command') == (
        "rpm -qa --qf '%{NAME},%{VERSION},%{RELEASE},%{ARCH},%{EPOCH},%{SIZE},%{SIGMD5},"
        "%{BUILDTIME}\\n'")
    assert root.findtext('description') == 'img-1-2.x86_64 OS'
    assert root.findtext('disk/size') == '12'
    # no <packages>: ImageFactory would then boot the image to check them
    assert root.find('packages') is None and root.find('os/packages') is None


@pytest.mark.parametrize('arch, tdl', [('armhfp', 'armv7l'), ('armv7hl', 'armv7l'),
                                       ('aarch64', 'aarch64'), ('i386', 'i386')])
def test_tdl_arch(arch, tdl):
    text = conf.make_tdl('n', 'RHEL-9.2', arch, 'u', 10)
    assert ET.fromstring(text).findtext('os/arch') == tdl


@pytest.mark.parametrize('distro, parsed', [
    ('RHEL-9.2', ('RHEL-9', '2')), ('RHEL-5.11', ('RHEL-5', 'U11')),
    ('Fedora-38', ('Fedora', '38')), ('CentOS-7.9', ('CentOS-7', '9')),
    ('SL-6.4', ('SL-6', '4'))])
def test_parse_distro(distro, parsed):
    assert conf.parse_distro(distro) == parsed


@pytest.mark.parametrize('distro', ['Debian-12', None, ''])
def test_unknown_distro(distro):
    with pytest.raises(koji.BuildError) as exc:
        conf.parse_distro(distro)
    assert str(exc.value).startswith('Unknown or supported distro given: ')


def test_factory_config_keeps_everything_in_the_task():
    cfg = conf.factory_config('/w/tasks/1', 0)
    assert cfg['timeout'] is None
    assert cfg['image_manager'] == 'file'
    assert cfg['image_manager_args'] == {'storage_path': '/w/tasks/1/output_image'}
    for key in ('oz_data_dir', 'oz_screenshot_dir', 'imgdir', 'tmpdir'):
        assert cfg[key].startswith('/w/tasks/1/')
    assert cfg['oz_screenshot_dir'] == '/w/tasks/1/oz_screenshots'
    assert cfg['rhevm_image_format'] == 'qcow2' and cfg['tdl_require_root_pw'] is False
    assert conf.factory_config('/w', 7200)['timeout'] == 7200


def test_format_plan():
    # no --format: the raw image alone
    assert conf.format_plan(None) == {'raw': True}
    assert conf.format_plan([]) == {'raw': True}
    # formats: raw made (the others come from it) but not delivered
    assert conf.format_plan(['qcow2', 'docker']) == {'qcow2': True, 'docker': True,
                                                     'raw': False}
    assert conf.format_plan(['raw', 'vmdk']) == {'raw': True, 'vmdk': True}
    with pytest.raises(koji.ApplianceError) as exc:
        conf.format_plan(['qcow2', 'iso'])
    assert str(exc.value) == 'Invalid format: iso'


@pytest.mark.parametrize('fmt, name', [
    ('raw', 'i.raw'), ('qcow2', 'i.qcow2'), ('qcow', 'i.qcow'), ('vmdk', 'i.vmdk'),
    ('vdi', 'i.vdi'), ('vpc', 'i.vhd'), ('raw-xz', 'i.raw.xz'), ('tar-gz', 'i.tar.gz'),
    ('liveimg-squashfs', 'i.liveimg.squashfs'), ('rhevm-ova', 'i.rhevm.ova'),
    ('vsphere-ova', 'i.vsphere.ova'), ('vagrant-libvirt', 'i.vagrant-libvirt.box'),
    ('vagrant-hyperv', 'i.vagrant-hyperv.box'), ('docker', 'i.tar.xz')])
def test_output_names(fmt, name):
    assert conf.output_name('i', fmt) == name


def test_every_format_has_a_way_to_be_made():
    task = images_oz.BaseImageTask.__new__(images_oz.BaseImageTask)
    for fmt, (_qemu, kind) in conf.FORMATS.items():
        assert fmt == 'raw' or callable(getattr(task, '_build_' + kind))


def test_factory_parameters_merge():
    params = {'install_script': 'ks', 'offline_icicle': True}
    pairs = [['install_script', 'other'], ['oz_extra', 'yes'], ('offline_icicle', 'no')]
    conf.merge_factory_params(params, pairs, ['install_script'])
    assert params == {'install_script': 'ks', 'offline_icicle': 'no', 'oz_extra': 'yes'}
    assert conf.merge_factory_params({'a': 1}, None) == {'a': 1}


def test_ova_targets():
    assert conf.ova_target('rhevm-ova') == ('rhevm', {}, [])
    assert conf.ova_target('vsphere-ova', ['vsphere_product=Koji', 'x=1']) == \
        ('vsphere', {'vsphere_product': 'Koji', 'x': '1'}, [])
    assert conf.ova_target('vagrant-libvirt') == \
        ('rhevm', {'rhevm_ova_format': 'vagrant-libvirt'}, ['rhevm_ova_format'])
    assert conf.ova_target('vagrant-virtualbox', ['vsphere_ova_format=no']) == \
        ('vsphere', {'vsphere_ova_format': 'vagrant-virtualbox'}, ['vsphere_ova_format'])
    assert conf.ova_target('vagrant-vmware-fusion') == \
        ('vsphere', {'vsphere_ova_format': 'vagrant-vmware-fusion',
                     'vsphere_vmdk_format': 'standard'},
         ['vsphere_ova_format', 'vsphere_vmdk_format'])
    assert conf.ova_target('vagrant-hyperv') == \
        ('hyperv', {'hyperv_ova_format': 'hyperv-vagrant'}, ['hyperv_ova_format'])


def test_convert_commands():
    assert conf.convert_cmd('vmdk', 'a.raw', 'b.vmdk') == \
        ['/usr/bin/qemu-img', 'convert', '-f', 'raw', '-O', 'vmdk', 'a.raw', 'b.vmdk']
    # qcow images are compressed
    assert conf.convert_cmd('qcow', 'a', 'b')[:3] == ['/usr/bin/qemu-img', 'convert', '-c']


LIBVIRT = """<domain type='kvm'><name>factory-name</name><devices>
<disk type='file' device='disk'><driver name='qemu' type='raw'/>
<source file='/store/abc.body'/><target dev='vda'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source dev='/dev/sr0'/>
</disk></devices></domain>"""


def test_libvirt_xml_names_the_delivered_image():
    root = ET.fromstring(conf.fix_libvirt_xml(LIBVIRT, 'img-1-1.x86_64', 'qcow2'))
    assert root.findtext('name') == 'img-1-1.x86_64'
    sources = root.findall('devices/disk/source')
    assert sources[0].get('file') == 'img-1-1.x86_64.qcow2'
    assert sources[1].get('dev') == '/dev/sr0' and sources[1].get('file') is None
    driver = root.find('devices/disk/driver')
    assert driver.get('type') == 'qcow2' and driver.get('type-warning') is None
    # a format qemu cannot run gets a warning on the driver
    driver = ET.fromstring(conf.fix_libvirt_xml(LIBVIRT, 'i', 'vagrant-libvirt')).find(
        'devices/disk/driver')
    assert driver.get('type') == 'vagrant-libvirt'
    assert 'vagrant-libvirt' in driver.get('type-warning')


def test_icicle_rpms():
    icicle = ('<icicle><extra>bash,5.2,1.fc38,x86_64,(none),123,abcd,1700000000</extra>'
              '<extra>gpg-pubkey,1,2,(none),(none),0,0,0</extra>'
              '<extra>perl-X,1,1,noarch,4,5,ef01,1600000000\nzsh,1,1,x86_64,0,9,aa,17'
              '</extra></icicle>')
    assert conf.icicle_rpms(icicle) == [
        {'name': 'bash', 'version': '5.2', 'release': '1.fc38', 'arch': 'x86_64',
         'epoch': None, 'size': 123, 'payloadhash': 'abcd', 'buildtime': 1700000000},
        {'name': 'perl-X', 'version': '1', 'release': '1', 'arch': 'noarch', 'epoch': 4,
         'size': 5, 'payloadhash': 'ef01', 'buildtime': 1600000000},
        {'name': 'zsh', 'version': '1', 'release': '1', 'arch': 'x86_64', 'epoch': 0,
         'size': 9, 'payloadhash': 'aa', 'buildtime': 17}]


KS = """lang en_US.UTF-8
rootpw --plaintext x
repo --name=orig --baseurl=http://example.com/orig/
url --url=http://example.com/tree/

%packages
bash
%end
"""


def _oz_task(tmp_path, opts, allow_noverifyssl=False):
    task = images_oz.OzImageTask.__new__(images_oz.OzImageTask)
    task.opts = opts
    task.arch = 'aarch64'
    task.options = types.SimpleNamespace(topurl='http://koji.test/kojifiles',
                                         allow_noverifyssl=allow_noverifyssl)
    task.repo_info = {'id': 42}
    task.target_info = {'build_tag_name': 'f38-build'}
    path = tmp_path / 'in.ks'
    path.write_text(KS)
    return task, str(path)


def test_kickstart_gets_the_tag_repo_and_the_tree(tmp_path):
    task, path = _oz_task(tmp_path, {})
    text = str(task.prepareKickstart(path, 'http://tree/aarch64/').handler)
    assert 'example.com/orig' not in text and 'example.com/tree' not in text
    assert ('repo --name="koji-override-0" '
            '--baseurl=http://koji.test/kojifiles/repos/f38-build/42/aarch64') in text
    assert 'url --url="http://tree/aarch64/"' in text
    assert 'noverifyssl' not in text


def test_kickstart_user_repos_and_noverifyssl(tmp_path):
    task, path = _oz_task(tmp_path, {'repo': ['http://r/$arch/', 'http://r/$arch/'],
                                     'noverifyssl': True}, allow_noverifyssl=True)
    text = str(task.prepareKickstart(path, 'http://tree/').handler)
    # duplicates once, $arch replaced
    assert text.count('--baseurl=http://r/aarch64/') == 1
    assert 'repo --name="koji-override-0" --baseurl=http://r/aarch64/ --noverifyssl' in text
    assert 'url --url="http://tree/" --noverifyssl' in text
    assert 'koji.test' not in text


def test_kickstart_noverifyssl_needs_the_builder_option(tmp_path):
    task, path = _oz_task(tmp_path, {'noverifyssl': True})
    with pytest.raises(koji.BuildError) as exc:
        task.prepareKickstart(path, 'http://tree/')
    assert str(exc.value) == 'noverifyssl option is not enabled'


def test_unreadable_kickstart(tmp_path):
    task, path = _oz_task(tmp_path, {})
    with open(path, 'a') as fo:
        fo.write('nosuchcommand --x\n')
    with pytest.raises(koji.BuildError) as exc:
        task.readKickstart(path)
    assert str(exc.value).startswith("Failed to parse kickstart file '%s' : " % path)
