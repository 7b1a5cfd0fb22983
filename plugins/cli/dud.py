"""CLI command of the dud plugin: dud-build (driver update disks)."""
from optparse import OptionParser

from koji import canonArch
from koji.plugin import export_cli
from koji_cli.lib import _running_in_bg, activate_session, watch_tasks


def _parser():
    parser = OptionParser(usage="%prog dud-build [options] <koji_target> --scmurl=<git_repo> "
                          "<dud_name><version> <pkg(nvr optional)> [<pkg> ...]"
                          "\n(Specify the --help global option for a list of other help "
                          "options)")
    add = parser.add_option
    add("--scratch", action="store_true", default=False, help="make a scratch build")
    add("--scmurl", metavar="SCMURL", default=None,
        help="repository of extra (non-rpm) content for the ISO")
    add("--alldeps", action="store_true", default=False,
        help="put every dependency of the packages on the ISO too")
    add("--arch", action="append", dest="arches", default=[], help="build only these arches")
    add("--can-fail", action="store", dest="optional_arches", metavar="ARCH1,ARCH2,...",
        default="", help="arches whose failure does not fail the build, comma separated")
    add("--nowait", action="store_false", dest="wait", default=True)
    add("--wait", action="store_true", help="wait even when running in the background")
    return parser


@export_cli
def handle_dud_build(goptions, session, args):
    "[build] Build a driver update disk"
    parser = _parser()
    options, args = parser.parse_args(args)
    if len(args) < 4:
        parser.error("Incorrect number of arguments")
    target, dud_name, dud_version, pkg_list = args[0], args[1], args[2], args[3:]
    activate_session(session, goptions)
    kwargs = {'scratch': options.scratch, 'alldeps': options.alldeps,
              'scmurl': options.scmurl,
              'optional_arches': [canonArch(arch)
                                  for arch in options.optional_arches.split(',') if arch]}
    arches = [canonArch(arch) for arch in options.arches]
    task_id = session.dudBuild(target=target, arches=arches, dud_version=dud_version,
                               dud_name=dud_name, pkg_list=pkg_list, **kwargs)
    if not goptions.quiet:
        print("Created task: %d" % task_id)
        print("Task info: %s/taskinfo?taskID=%s" % (goptions.weburl, task_id))
    if options.wait or (options.wait is None and not _running_in_bg()):
        session.logout()
        return watch_tasks(session, [task_id], quiet=goptions.quiet,
                           poll_interval=goptions.poll_interval, topurl=goptions.topurl)
