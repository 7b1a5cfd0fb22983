"""Image build commands: spin-livecd, spin-livemedia, spin-appliance (buildImage),
image-build (buildImageOz) and image-build-indirection (buildImageIndirection).

A local kickstart (or indirection template) is uploaded to a fresh work dir first;
with an SCM URL the builder fetches it itself.  image-build and image-build-indirection
can take all their options from an ini file (--config).
"""
import os
from optparse import OptionParser

import koji
from koji_cli.commands.build_rpm import _priority
from koji_cli.commands.tasks import _should_wait
from koji_cli.lib import (_progress_callback, _running_in_bg, activate_session, get_usage_str,
                          unique_path, watch_tasks)

OZ_FORMATS = ('vmdk', 'qcow', 'qcow2', 'vdi', 'vpc', 'rhevm-ova', 'vsphere-ova',
              'vagrant-virtualbox', 'vagrant-libvirt', 'vagrant-vmware-fusion',
              'vagrant-hyperv', 'docker', 'raw-xz', 'liveimg-squashfs', 'tar-gz')

# options of spin-* passed on to the task when set
SPIN_PASSTHRU = ('format', 'install_tree_url', 'isoname', 'ksurl', 'ksversion', 'release',
                 'repo', 'scratch', 'skip_tag', 'specfile', 'vcpu', 'vmem', 'volid',
                 'optional_arches', 'lorax_dir', 'lorax_url', 'nomacboot', 'ksrepo',
                 'squashfs_only', 'compress_arg')
OZ_PASSTHRU = ('ksurl', 'ksversion', 'kickstart', 'scratch', 'repo', 'release', 'skip_tag',
               'specfile', 'distro', 'format', 'disk_size', 'ova_option',
               'factory_parameter', 'optional_arches', 'noverifyssl')
INDIRECTION_REQUIRED = ('name', 'version', 'arch', 'target', 'indirection_template',
                        'results_loc')
INDIRECTION_OPTIONAL = ('indirection_template_url', 'scratch', 'utility_image_task',
                        'utility_image_build', 'base_image_task', 'base_image_build',
                        'release', 'skip_tag')


def _upload_callback(options):
    if _running_in_bg() or options.noprogress:
        return None
    return _progress_callback


def _upload(session, options, path, prefix):
    """Send a local file to a fresh work dir; returns that dir (relative to work/)."""
    serverdir = unique_path(prefix)
    session.uploadWrapper(path, serverdir, callback=_upload_callback(options))
    print('')
    return serverdir


def _check_target(session, target):
    info = session.getBuildTarget(target)
    if not info:
        raise koji.GenericError("No such build target: %s" % target)
    if not session.getTag(info['dest_tag']):
        raise koji.GenericError("No such destination tag: %s" % info['dest_tag_name'])
    return info


def _finish(goptions, session, options, task_id, poll=True):
    if not goptions.quiet:
        print("Created task: %d" % task_id)
        print("Task info: %s/taskinfo?taskID=%s" % (goptions.weburl, task_id))
    if _should_wait(options.wait):
        session.logout()
        kwargs = {'poll_interval': goptions.poll_interval} if poll else {}
        return watch_tasks(session, [task_id], quiet=goptions.quiet, topurl=goptions.topurl,
                           **kwargs)


def _common_spin_options(parser, what):
    parser.add_option("--wait", action="store_true",
                      help="watch the %s task even when running in the background" % what)
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="only queue the %s task, do not watch it" % what)
    parser.add_option("--noprogress", action="store_true", help="draw no upload progress bar")
    parser.add_option("--background", action="store_true",
                      help="queue the %s task at a lower priority" % what)
    parser.add_option("--ksurl", metavar="SCMURL",
                      help="SCM URL of the checkout holding the kickstart file")


def _repo_option(parser, what):
    parser.add_option("--repo", action="append",
                      help="a repo to install the %s from instead of the build tag repo "
                           "(repeatable)" % what)


def _build_image(goptions, options, session, args, img_type):
    """Queue a livecd / appliance / livemedia task (the spin-* commands)."""
    if img_type not in ('livecd', 'appliance', 'livemedia'):
        raise koji.GenericError('Unrecognized image type: %s' % img_type)
    activate_session(session, goptions)
    name, version, target, arch, ksfile = args
    _check_target(session, target)
    if img_type == 'livemedia':
        arch = [koji.canonArch(a) for a in arch.split(',')]
    else:
        arch = koji.canonArch(arch)
    if not options.ksurl:
        serverdir = _upload(session, options, ksfile, 'cli-' + img_type)
        ksfile = os.path.join(serverdir, os.path.basename(ksfile))
    opts = {}
    for key in SPIN_PASSTHRU:
        value = getattr(options, key, None)
        if value is not None:
            opts[key] = value
    if 'optional_arches' in opts:
        opts['optional_arches'] = opts['optional_arches'].split(',')
    task_id = session.buildImage(name, version, arch, target, ksfile, img_type, opts=opts,
                                 priority=_priority(options))
    return _finish(goptions, session, options, task_id)


def handle_spin_livecd(goptions, session, args):
    """[build] Create a live CD image given a kickstart file"""
    usage = "usage: %prog spin-livecd [options] <name> <version> <target> <arch> " \
            "<kickstart-file>"
    parser = OptionParser(usage=get_usage_str(usage))
    _common_spin_options(parser, 'livecd')
    parser.add_option("--ksversion", metavar="VERSION",
                      help="kickstart syntax version of the file")
    parser.add_option("--scratch", action="store_true", help="make a scratch image")
    _repo_option(parser, 'LiveCD')
    parser.add_option("--release", help="use this release")
    parser.add_option("--volid", help="the volume id of the image")
    parser.add_option("--specfile", metavar="URL",
                      help="SCM URL of a spec file fragment for wrapper rpms")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    options, args = parser.parse_args(args)
    print('spin-livecd is deprecated and will be replaced with spin-livemedia')
    if len(args) != 5:
        parser.error("Five arguments are required: a name, a version, an architecture, "
                     "a build target, and a relative path to a kickstart file.")
    if options.volid is not None and len(options.volid) > 32:
        parser.error('Volume ID has a maximum length of 32 characters')
    return _build_image(goptions, options, session, args, 'livecd')


def handle_spin_livemedia(goptions, session, args):
    """[build] Create a livemedia image given a kickstart file"""
    usage = "usage: %prog spin-livemedia [options] <name> <version> <target> <arch> " \
            "<kickstart-file>"
    parser = OptionParser(usage=get_usage_str(usage))
    _common_spin_options(parser, 'livemedia')
    parser.add_option("--install-tree-url", metavar="URL", help="URL of the install tree")
    parser.add_option("--ksversion", metavar="VERSION",
                      help="kickstart syntax version of the file")
    parser.add_option("--scratch", action="store_true", help="make a scratch image")
    _repo_option(parser, 'LiveMedia')
    parser.add_option("--release", help="use this release")
    parser.add_option("--volid", help="the volume id of the image")
    parser.add_option("--specfile", metavar="URL",
                      help="SCM URL of a spec file fragment for wrapper rpms")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    parser.add_option("--can-fail", action="store", dest="optional_arches",
                      metavar="ARCH1,ARCH2,...", default="",
                      help="comma-separated arches whose failure does not fail the build")
    parser.add_option('--lorax_dir', metavar='DIR',
                      help='dir of the lorax templates inside the --lorax_url checkout')
    parser.add_option('--lorax_url', metavar='URL',
                      help='SCM URL of custom lorax templates replacing the default ones')
    parser.add_option('--nomacboot', action="store_true",
                      help="give livemedia-creator --nomacboot")
    parser.add_option('--ksrepo', action="store_true",
                      help="keep the repos of the kickstart")
    parser.add_option('--squashfs-only', action="store_true",
                      help="make a plain squashfs filesystem")
    parser.add_option('--compress-arg', action="append", default=[], metavar="ARG OPT",
                      help="a compression argument (repeatable)")
    options, args = parser.parse_args(args)
    if len(args) != 5:
        parser.error("Five arguments are required: a name, a version, a build target, "
                     "an architecture, and a relative path to a kickstart file.")
    if options.lorax_url is not None and options.lorax_dir is None:
        parser.error('The "--lorax_url" option requires that "--lorax_dir" also be used.')
    if options.volid is not None and len(options.volid) > 32:
        parser.error('Volume ID has a maximum length of 32 characters')
    return _build_image(goptions, options, session, args, 'livemedia')


def handle_spin_appliance(goptions, session, args):
    """[build] Create an appliance given a kickstart file"""
    usage = "usage: %prog spin-appliance [options] <name> <version> <target> <arch> " \
            "<kickstart-file>"
    parser = OptionParser(usage=get_usage_str(usage))
    _common_spin_options(parser, 'appliance')
    parser.add_option("--ksversion", metavar="VERSION",
                      help="kickstart syntax version of the file")
    parser.add_option("--scratch", action="store_true", help="make a scratch appliance")
    _repo_option(parser, 'appliance')
    parser.add_option("--release", help="use this release")
    parser.add_option("--specfile", metavar="URL",
                      help="SCM URL of a spec file fragment for wrapper rpms")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    parser.add_option("--vmem", metavar="VMEM", default=None,
                      help="memory of the appliance in MB (default 512)")
    parser.add_option("--vcpu", metavar="VCPU", default=None,
                      help="virtual cpus of the appliance (default 1)")
    parser.add_option("--format", metavar="DISK_FORMAT", default='raw',
                      help="disk format: raw (default), qcow, qcow2 or vmx")
    options, args = parser.parse_args(args)
    print('spin-appliance is deprecated and will be replaced with image-build')
    if len(args) != 5:
        parser.error("Five arguments are required: a name, a version, an architecture, "
                     "a build target, and a relative path to a kickstart file.")
    return _build_image(goptions, options, session, args, 'appliance')


# -- image-build (Oz / ImageFactory) -----------------------------------------------------

def _image_build_parser():
    usage = "usage: %prog image-build [options] <name> <version> <target> " \
            "<install-tree-url> <arch> [<arch> ...]"
    usage += "\n       %prog image-build --config <FILE>\n"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--background", action="store_true",
                      help="queue the image task at a lower priority")
    parser.add_option("--config",
                      help="read every image-build option from this file (command line "
                           "options are then ignored)")
    parser.add_option("--disk-size", default=10, help="disk size in gigabytes")
    parser.add_option("--distro",
                      help="the distribution the image is based on: RHEL-X.Y, CentOS-X.Y, "
                           "SL-X.Y or Fedora-NN, built in this system")
    parser.add_option("--format", default=[], action="append",
                      help="convert the image to this format (%s; repeatable); the raw "
                           "image is then left out unless 'raw' is given too"
                           % ', '.join(OZ_FORMATS))
    parser.add_option("--kickstart", help="a local kickstart file")
    parser.add_option("--ksurl", metavar="SCMURL",
                      help="SCM URL of the checkout holding the kickstart file")
    parser.add_option("--ksversion", metavar="VERSION",
                      help="kickstart syntax version of the file")
    parser.add_option("--noprogress", action="store_true", help="draw no upload progress bar")
    parser.add_option("--noverifyssl", action="store_true",
                      help="noverifyssl for the install tree and the repos (if the builder "
                           "allows it)")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="only queue the image task, do not watch it")
    parser.add_option("--ova-option", action="append",
                      help="a name=value override of the OVA description XML")
    parser.add_option("--factory-parameter", nargs=2, action="append",
                      help="a NAME VALUE pair passed to Image Factory (repeatable)")
    parser.add_option("--release", help="use this release")
    parser.add_option("--repo", action="append",
                      help="a repo to install the image from instead of the build tag repo "
                           "(repeatable)")
    parser.add_option("--scratch", action="store_true", help="make a scratch image")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    parser.add_option("--can-fail", action="store", dest="optional_arches",
                      metavar="ARCH1,ARCH2,...", default="",
                      help="comma-separated arches whose failure does not fail the build")
    parser.add_option("--specfile", metavar="URL",
                      help="SCM URL of a spec file fragment for wrapper rpms")
    parser.add_option("--wait", action="store_true",
                      help="watch the image task even when running in the background")
    return parser


def _image_build_config(parser, options):
    """The positional arguments and the options an image-build --config file gives."""
    section = 'image-build'
    config = koji.read_config_files([(options.config, True)])
    if not config.has_section(section):
        parser.error("single section called [%s] is required" % section)
    args = []
    for key in ('name', 'version', 'target', 'install_tree'):
        args.append(config.get(section, key))
        config.remove_option(section, key)
    args.extend(config.get(section, 'arches').split(','))
    config.remove_option(section, 'arches')
    for key in ('repo', 'format'):
        if config.has_option(section, key):
            setattr(options, key, config.get(section, key).split(','))
            config.remove_option(section, key)
    if config.has_option(section, 'can_fail'):
        options.optional_arches = config.get(section, 'can_fail').split(',')
        config.remove_option(section, 'can_fail')
    for key, value in config.items(section):
        setattr(options, key, value)
    if config.has_section('ova-options'):
        options.ova_option = ['%s=%s' % kv for kv in config.items('ova-options')]
    if config.has_section('factory-parameters'):
        options.factory_parameter = list(config.items('factory-parameters'))
    return args


def handle_image_build(goptions, session, args):
    """[build] Create a disk image given an install tree"""
    parser = _image_build_parser()
    options, args = parser.parse_args(args)
    if options.config:
        args = _image_build_config(parser, options)
    elif len(args) < 5:
        parser.error("At least five arguments are required: a name, a version, "
                     "a build target, a URL to an install tree, and 1 or more architectures.")
    if not options.ksurl and not options.kickstart:
        parser.error('You must specify --kickstart')
    if not options.distro:
        parser.error(
            "You must specify --distro. Examples: Fedora-16, RHEL-6.4, SL-6.4 or CentOS-6.4")
    activate_session(session, goptions)
    target = args[2]
    _check_target(session, target)
    arches = [koji.canonArch(a) for a in args[4:]]
    if not options.ksurl:
        serverdir = _upload(session, options, options.kickstart, 'cli-image')
        options.kickstart = os.path.join('work', serverdir,
                                         os.path.basename(options.kickstart))
    opts = {}
    for key in OZ_PASSTHRU:
        value = getattr(options, key, None)
        if value is not None:
            opts[key] = value
    task_id = session.buildImageOz(args[0], args[1], arches, target, args[3], opts=opts,
                                   priority=_priority(options))
    return _finish(goptions, session, options, task_id)


# -- image-build-indirection -------------------------------------------------------------

def _indirection_parser():
    usage = "usage: %prog image-build-indirection [base_image] [utility_image] " \
            "[indirection_build_template]"
    usage += "\n       %prog image-build --config <FILE>\n"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--config",
                      help="read every option from this file (command line options are then "
                           "ignored)")
    parser.add_option("--background", action="store_true",
                      help="queue the image task at a lower priority")
    parser.add_option("--name", help="name of the output image")
    parser.add_option("--version", help="version of the output image")
    parser.add_option("--release", help="release of the output image")
    parser.add_option("--arch", help="arch of the output and input images")
    parser.add_option("--target", help="build target of the indirection build")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    parser.add_option("--base-image-task", help="createImage task id of the base image")
    parser.add_option("--base-image-build", help="NVR or build id of the base image")
    parser.add_option("--utility-image-task",
                      help="createImage task id of the utility image")
    parser.add_option("--utility-image-build", help="NVR or build id of the utility image")
    parser.add_option("--indirection-template",
                      help="the template driving the indirection plugin (a local file, or a "
                           "file in the --indirection-template-url checkout)")
    parser.add_option("--indirection-template-url",
                      help="SCM URL of the checkout holding the template")
    parser.add_option("--results-loc",
                      help="path inside the working image the results are taken from")
    parser.add_option("--scratch", action="store_true", help="make a scratch image")
    parser.add_option("--wait", action="store_true",
                      help="watch the image task even when running in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="only queue the image task, do not watch it")
    parser.add_option("--noprogress", action="store_true", help="draw no upload progress bar")
    return parser


def handle_image_build_indirection(goptions, session, args):
    """[build] Create a disk image using other disk images via the Indirection plugin"""
    parser = _indirection_parser()
    options, args = parser.parse_args(args)
    if options.config:
        section = 'image-build-indirection'
        config = koji.read_config_files([(options.config, True)])
        if not config.has_section(section):
            parser.error("single section called [%s] is required" % section)
        for opt in parser.option_list:
            if opt.dest and config.has_option(section, opt.dest):
                setattr(options, opt.dest, config.get(section, opt.dest))
    _build_image_indirection(goptions, options, session)


def _build_image_indirection(goptions, options, session):
    if bool(options.utility_image_task) == bool(options.utility_image_build):
        raise koji.GenericError("You must specify either a utility-image task or build ID/NVR")
    if bool(options.base_image_task) == bool(options.base_image_build):
        raise koji.GenericError("You must specify either a base-image task or build ID/NVR")
    missing = [key for key in INDIRECTION_REQUIRED if not getattr(options, key, None)]
    if missing:
        print("Missing the following required options: %s"
              % ' '.join('--%s' % key.replace('_', '-') for key in missing))
        raise koji.GenericError("Missing required options specified above")
    activate_session(session, goptions)
    info = session.getBuildTarget(options.target)
    if not info:
        # upstream names the lookup result here, not the target
        raise koji.GenericError("No such build target: %s" % info)
    if not session.getTag(info['dest_tag']):
        raise koji.GenericError("No such destination tag: %s" % info['dest_tag_name'])
    options.arch = koji.canonArch(options.arch)
    if not options.indirection_template_url:
        if not options.scratch:
            raise koji.GenericError(
                "Non-scratch builds must provide a URL for the indirection template")
        template = options.indirection_template
        serverdir = _upload(session, options, template, 'cli-image-indirection')
        options.indirection_template = os.path.join('work', serverdir,
                                                    os.path.basename(template))
    opts = {key: getattr(options, key, None)
            for key in INDIRECTION_REQUIRED + INDIRECTION_OPTIONAL}
    task_id = session.buildImageIndirection(opts=opts, priority=_priority(options))
    return _finish(goptions, session, options, task_id, poll=False)
