"""CLI command of the kiwi plugin: kiwi-build."""
from optparse import OptionParser

from koji import canonArch
from koji.plugin import export_cli
from koji_cli.lib import _running_in_bg, activate_session, warn, watch_tasks


def _parser():
    parser = OptionParser(usage="%prog kiwi-build [options] <target> <description_scm> "
                          "<description_path>\n(Specify the --help global option for a "
                          "list of other help options)")
    add = parser.add_option
    add("--scratch", action="store_true", default=False, help="make a scratch build")
    add("--version", help="version of the image (instead of the description's)")
    add("--release", help="release of the image")
    add("--repo", action="append",
        help="install from this repo instead of the build tag's (repeatable)")
    add("--repo-releasever", help="releasever of the image's repos")
    add("--noprogress", action="store_true", help="no upload progress")
    add("--kiwi-profile", action="store", default=None,
        help="profile of the description to build")
    add("--type", help="build type (instead of the description's)")
    add("--type-attr", action="append", default=[],
        help="attribute of the build type (repeatable)")
    add("--result-bundle-name-format", help="name format of the result bundle")
    add("--make-prep", action="store_true", default=False,
        help="run 'make prep' in the checkout first")
    add("--buildroot-repo", action="store_true", dest="use_buildroot_repo", default=False,
        help="also install from the buildroot repo (on anyway without --repo)")
    add("--can-fail", action="store", dest="optional_arches", metavar="ARCH1,ARCH2,...",
        default="", help="arches whose failure does not fail the build, comma separated")
    add("--arch", action="append", dest="arches", default=[], help="build only these arches")
    add("--nowait", action="store_false", dest="wait", default=True)
    add("--wait", action="store_true", help="wait even when running in the background")
    return parser


@export_cli
def handle_kiwi_build(goptions, session, args):
    "[build] Build an image with kiwi"
    parser = _parser()
    options, args = parser.parse_args(args)
    if len(args) != 3:
        parser.error("Incorrect number of arguments")
    target, scm, path = args
    activate_session(session, goptions)
    kwargs = {'arches': [], 'target': target, 'desc_url': scm, 'desc_path': path}
    if options.scratch:
        kwargs['scratch'] = True
    if options.optional_arches:
        kwargs['optional_arches'] = [canonArch(arch)
                                     for arch in options.optional_arches.split(',') if arch]
    simple = (('kiwi_profile', 'profile'), ('version', 'version'), ('release', 'release'),
              ('type', 'type'), ('type_attr', 'type_attr'),
              ('result_bundle_name_format', 'result_bundle_name_format'),
              ('repo', 'repos'), ('repo_releasever', 'repo_releasever'))
    if options.make_prep:
        kwargs['make_prep'] = True
    for opt, key in simple:
        if getattr(options, opt):
            kwargs[key] = getattr(options, opt)
    if options.arches:
        kwargs['arches'] = [canonArch(arch) for arch in options.arches]
    if session.hub_version < (1, 35, 0):
        warn("hub version is < 1.35, buildroot repo is always used in addition to specified "
             "repos")
    elif options.use_buildroot_repo:
        kwargs['use_buildroot_repo'] = True
    elif not options.repo:
        warn("no repos given, using buildroot repo")
        kwargs['use_buildroot_repo'] = True
    task_id = session.kiwiBuild(**kwargs)
    if not goptions.quiet:
        print("Created task: %d" % task_id)
        print("Task info: %s/taskinfo?taskID=%s" % (goptions.weburl, task_id))
    if options.wait or (options.wait is None and not _running_in_bg()):
        session.logout()
        return watch_tasks(session, [task_id], quiet=goptions.quiet,
                           poll_interval=goptions.poll_interval, topurl=goptions.topurl)
