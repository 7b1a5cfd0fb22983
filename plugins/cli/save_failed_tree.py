"""CLI command of the save_failed_tree plugin: have a failed task's buildroot uploaded."""
from optparse import OptionParser

import koji
from koji.plugin import export_cli
from koji_cli.lib import activate_session, watch_tasks

NOT_INSTALLED = ("* The save_failed_tree plugin appears to not be installed on the koji "
                 "hub.  Please contact the administrator.")


def _parser(options):
    parser = OptionParser(usage="%prog save-failed-tree [options] ID"
                          "\n(Specify the --help global option for a list of other help "
                          "options)")
    add = parser.add_option
    add("-f", "--full", action="store_true", default=False,
        help="save the whole buildroot, not only its builddir")
    add("-t", "--task", action="store_const", dest="mode", const="task", default="task",
        help="ID is a task (default)")
    add("-r", "--buildroot", action="store_const", dest="mode", const="buildroot",
        help="ID is a buildroot")
    add("--quiet", action="store_true", default=options.quiet,
        help="do not print task information")
    add("--nowait", action="store_true", help="do not wait for the task")
    return parser


@export_cli
def handle_save_failed_tree(options, session, args):
    "Upload the buildroot of a failed task as a tarball"
    parser = _parser(options)
    opts, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("List exactly one task or buildroot ID")
    try:
        id_val = int(args[0])
    except ValueError:
        parser.error("ID must be an integer")
    activate_session(session, options)
    if opts.mode == "buildroot":
        br_id = id_val
    else:
        buildroots = [br['id'] for br in session.listBuildroots(taskID=id_val)]
        if not buildroots:
            print("No buildroots for task %s" % id_val)
            return 1
        br_id = max(buildroots)
        if len(buildroots) > 1:
            print("Multiple buildroots for task. Choosing last one (%s)" % br_id)
    try:
        task_id = session.saveFailedTree(br_id, opts.full)
    except koji.GenericError as exc:
        if 'Invalid method' not in str(exc):
            raise
        print(NOT_INSTALLED)
        return 1
    if not opts.quiet:
        print("Created task %s for buildroot %s" % (task_id, br_id))
        print("Task info: %s/taskinfo?taskID=%s" % (options.weburl, task_id))
    if opts.nowait:
        return
    session.logout()
    return watch_tasks(session, [task_id], quiet=opts.quiet,
                       poll_interval=options.poll_interval, topurl=options.topurl)
