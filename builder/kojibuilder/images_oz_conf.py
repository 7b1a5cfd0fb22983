"""What kojid hands ImageFactory and what it makes of ImageFactory's answers, as plain
functions (no imgfac needed, so they are unit-tested on their own): the factory
configuration of a task, the TDL template, the image formats and their file names,
``--factory-parameter`` merging, the OVA / vagrant target parameters, the libvirt XML
rewritten for each delivered format, and the rpm list read from the icicle.
"""
import os
import xml.dom.minidom
import xml.etree.ElementTree as ET

import koji

# the installed-package query Oz runs in the finished guest; its lines come back as the
# icicle's <extra> elements.  "\\n" stays a backslash and an n: rpm's --qf reads it.
ICICLE_QUERY = ("rpm -qa --qf '%{NAME},%{VERSION},%{RELEASE},%{ARCH},%{EPOCH},%{SIZE},"
                "%{SIGMD5},%{BUILDTIME}\\n'")

# format -> (qemu can use it as a disk, how it is made from the raw base image)
FORMATS = {
    'docker': (False, 'docker'),
    'liveimg-squashfs': (False, 'squashfs'),
    'qcow': (True, 'convert'),
    'qcow2': (True, 'convert'),
    'raw': (True, 'base'),
    'raw-xz': (False, 'xz'),
    'rhevm-ova': (False, 'ova'),
    'tar-gz': (False, 'targz'),
    'vagrant-hyperv': (False, 'ova'),
    'vagrant-libvirt': (False, 'ova'),
    'vagrant-virtualbox': (False, 'ova'),
    'vagrant-vmware-fusion': (False, 'ova'),
    'vdi': (True, 'convert'),
    'vmdk': (True, 'convert'),
    'vpc': (True, 'convert'),
    'vsphere-ova': (False, 'ova'),
}

# vagrant boxes are OVAs to ImageFactory: (the OVA target, the parameters that make the
# box, which of them --factory-parameter may not override)
VAGRANT_OVA = {
    'vagrant-virtualbox': ('vsphere-ova', {'vsphere_ova_format': 'vagrant-virtualbox'}),
    'vagrant-libvirt': ('rhevm-ova', {'rhevm_ova_format': 'vagrant-libvirt'}),
    'vagrant-vmware-fusion': ('vsphere-ova', {'vsphere_ova_format': 'vagrant-vmware-fusion',
                                              'vsphere_vmdk_format': 'standard'}),
    'vagrant-hyperv': ('hyperv-ova', {'hyperv_ova_format': 'hyperv-vagrant'}),
}

SKIPPED_RPMS = ('buildsys-build', 'gpg-pubkey')


def factory_config(workdir, install_timeout=0):
    """ImageFactory's configuration for one task: every cache and store in the task's
    work dir, so no image or metadata of another build can leak in."""
    return {
        'oz_data_dir': os.path.join(workdir, 'oz_data'),
        'oz_screenshot_dir': os.path.join(workdir, 'oz_screenshots'),
        'imgdir': os.path.join(workdir, 'scratch_images'),
        'tmpdir': os.path.join(workdir, 'oz-tmp'),
        'verbose': True,
        'timeout': install_timeout or None,
        'output': 'log',
        'raw': False,
        'debug': True,
        'image_manager': 'file',
        'plugins': '/etc/imagefactory/plugins.d',
        'rhevm_image_format': 'qcow2',
        'tdl_require_root_pw': False,
        'image_manager_args': {'storage_path': os.path.join(workdir, 'output_image')},
    }


def parse_distro(distro):
    """(os name, os version) of the TDL from --distro (RHEL-X.Y, Fedora-NN, CentOS-X.Y,
    SL-X.Y); RHEL 5 minors are update numbers to Oz (U<minor>)."""
    distro = distro or ''
    if distro.startswith('RHEL'):
        major, minor = distro.split('.')
        if major == 'RHEL-5':
            minor = 'U%s' % minor
        return major, minor
    if distro.startswith('Fedora'):
        name, version = distro.split('-')
        return name, version
    if distro.startswith(('CentOS', 'SL')):
        major, minor = distro.split('.')
        return major, minor
    raise koji.BuildError('Unknown or supported distro given: %s' % (distro or None))


def tdl_arch(arch):
    """Oz knows the 32-bit arm arches as armv7l."""
    return 'armv7l' if arch in ('armhfp', 'armv7hnl', 'armv7hl') else arch


def make_tdl(name, distro, arch, inst_tree, disk_size):
    """The TDL (ImageFactory's template XML) of a URL install of inst_tree.

    It has no <packages>: with one ImageFactory would boot the image and ssh in to check
    them, which docker images cannot take; the kickstart installs the packages."""
    os_name, os_version = parse_distro(distro)
    root = ET.Element('template')
    ET.SubElement(root, 'name').text = name
    os_el = ET.SubElement(root, 'os')
    for tag, text in (('name', os_name), ('version', os_version), ('arch', tdl_arch(arch))):
        ET.SubElement(os_el, tag).text = text
    install = ET.SubElement(os_el, 'install', type='url')
    ET.SubElement(install, 'url').text = inst_tree
    icicle = ET.SubElement(os_el, 'icicle')
    ET.SubElement(icicle, 'extra_command').text = ICICLE_QUERY
    ET.SubElement(root, 'description').text = '%s OS' % name
    disk = ET.SubElement(root, 'disk')
    ET.SubElement(disk, 'size').text = str(disk_size)
    ET.indent(root)
    return ET.tostring(root, encoding='unicode') + '\n'


def format_plan(formats):
    """{format: delivered?} of what to make; the raw image is always made (the others
    come from it) but delivered only when asked for or when nothing else is."""
    formats = formats or []
    for fmt in formats:
        if fmt not in FORMATS:
            raise koji.ApplianceError('Invalid format: %s' % fmt)
    plan = dict((fmt, True) for fmt in formats)
    plan.setdefault('raw', not formats)
    return plan


def output_name(imgname, fmt):
    """The file name a delivered format gets in the task output (and the build)."""
    if 'ova' in fmt or fmt in ('raw-xz', 'liveimg-squashfs', 'tar-gz'):
        return '%s.%s' % (imgname, fmt.replace('-', '.'))
    if fmt.startswith('vagrant'):
        # not .ova: a box is what vagrant users look for
        return '%s.%s.box' % (imgname, fmt)
    if fmt == 'docker':
        return '%s.tar.xz' % imgname
    if fmt == 'vpc':
        return '%s.vhd' % imgname
    return '%s.%s' % (imgname, fmt)


def merge_factory_params(params, pairs, fixed=()):
    """Add the --factory-parameter (name, value) pairs to params, in place; names in
    fixed are kojid's own and keep kojid's value."""
    for pair in pairs or ():
        key, value = pair[0], pair[1]
        if key not in fixed:
            params[key] = value
    return params


def ova_target(fmt, ova_options=None):
    """(ImageFactory target type, parameters, fixed parameter names) of an OVA format.

    --ova-option NAME=VALUE pairs are the starting parameters; vagrant boxes are an OVA
    of another target with the box flavour set (and not overridable)."""
    params = dict(opt.split('=') for opt in ova_options or ())
    fixed = []
    if fmt in VAGRANT_OVA:
        fmt, extra = VAGRANT_OVA[fmt]
        params.update(extra)
        fixed = sorted(extra)
    return fmt.replace('-ova', ''), params, fixed


def convert_cmd(fmt, src, dest):
    """qemu-img's command line for the plain conversions (qcow2 goes through imgfac's
    qemu_convert_cmd instead, which pins the qcow2 compat level)."""
    cmd = ['/usr/bin/qemu-img', 'convert', '-f', 'raw', '-O', fmt, src, dest]
    if fmt == 'qcow':
        cmd.insert(2, '-c')
    return cmd


def fix_libvirt_xml(xmltext, imgname, fmt):
    """ImageFactory's libvirt domain XML, made to describe the delivered image: the
    domain is named after the image and its disk points at <imgname>.<fmt>."""
    doc = xml.dom.minidom.parseString(xmltext)  # nosec - produced by ImageFactory
    doc.getElementsByTagName('name')[0].firstChild.nodeValue = imgname
    for source in doc.getElementsByTagName('source'):
        if source.hasAttribute('file'):
            source.setAttribute('file', '%s.%s' % (imgname, fmt))
    driver = doc.getElementsByTagName('driver')[0]
    driver.setAttribute('type', fmt)
    if not FORMATS.get(fmt, (False,))[0]:
        driver.setAttribute('type-warning',
                            '%s is not a disk format qemu reads: convert the image, then '
                            'fix this driver type and the disk source' % fmt)
    return doc.toprettyxml()


def icicle_rpms(icicle):
    """The installed rpms (hub rpmlist entries) in an icicle's <extra> query lines."""
    doc = xml.dom.minidom.parseString(icicle)  # nosec - produced by ImageFactory
    rpms = []
    for extra in doc.getElementsByTagName('extra'):
        text = ''.join(node.nodeValue for node in extra.childNodes
                       if node.nodeType == node.TEXT_NODE)
        for line in text.splitlines():
            if not line.strip():
                continue
            name, version, release, arch, epoch, size, sigmd5, buildtime = \
                line.strip().split(',')
            if name in SKIPPED_RPMS:
                continue
            rpms.append({'name': name, 'version': version, 'release': release,
                         'arch': arch, 'epoch': None if epoch == '(none)' else int(epoch),
                         'size': int(size), 'payloadhash': sigmd5,
                         'buildtime': int(buildtime)})
    return rpms
