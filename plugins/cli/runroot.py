"""CLI command of the runroot plugin: run a command in a buildroot on a builder."""
import sys
import time
from optparse import OptionParser

import koji
from koji.plugin import export_cli
from koji_cli.lib import activate_session, list_task_output_all_volumes, watch_tasks

NOT_INSTALLED = ("* The runroot plugin appears to not be installed on the koji hub.  "
                 "Please contact the administrator.")


def _parser(options):
    parser = OptionParser(usage="%prog runroot [options] <tag> <arch> <command>"
                          "\n(Specify the --help global option for a list of other help "
                          "options)")
    parser.disable_interspersed_args()
    add = parser.add_option
    add("-p", "--package", action="append", default=[],
        help="install this package in the buildroot too")
    add("-m", "--mount", action="append", default=[],
        help="mount this path read-write in the buildroot")
    add("--skip-setarch", action="store_true", default=False,
        help="do not run the command under setarch")
    add("-w", "--weight", type="int", help="weight of the task")
    add("--channel-override", help="queue the task in this channel instead")
    add("--task-id", action="store_true", default=False, help="print the task id")
    add("--use-shell", action="store_true", default=False,
        help="give the command to a shell as one string")
    add("--new-chroot", action="store_true", default=None,
        help="have mock use --new-chroot (systemd-nspawn)")
    add("--old-chroot", action="store_false", default=None, dest="new_chroot",
        help="have mock use --old-chroot")
    add("--repo-id", type="int", help="use this repo")
    add("--nowait", action="store_false", dest="wait", default=True,
        help="do not wait for the task")
    add("--watch", action="store_true", help="watch the task instead of printing its log")
    add("--quiet", action="store_true", default=options.quiet,
        help="print neither the log nor task information")
    return parser


def _print_log(session, task_id):
    output = list_task_output_all_volumes(session, task_id)
    for volume in output.get('runroot.log', []):
        data = session.downloadTaskOutput(task_id, 'runroot.log', volume=volume)
        # whatever the command printed, byte for byte
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


@export_cli
def handle_runroot(options, session, args):
    "[admin] Run a command in a buildroot of a tag"
    parser = _parser(options)
    opts, args = parser.parse_args(args)
    if len(args) < 3:
        parser.error("Incorrect number of arguments")
    activate_session(session, options)
    tag, arch = args[0], args[1]
    command = ' '.join(args[2:]) if opts.use_shell else args[2:]
    kwargs = {'channel': opts.channel_override, 'packages': opts.package,
              'mounts': opts.mount, 'repo_id': opts.repo_id,
              'skip_setarch': opts.skip_setarch, 'weight': opts.weight}
    # sent only when asked for, as older builders do not know it
    if opts.new_chroot is not None:
        kwargs['new_chroot'] = opts.new_chroot
    try:
        task_id = session.runroot(tag, arch, command, **kwargs)
    except koji.GenericError as exc:
        if 'Invalid method' in str(exc):
            print(NOT_INSTALLED)
        raise
    if opts.task_id:
        print(task_id)
    if not opts.wait:
        return
    if opts.watch:
        session.logout()
        return watch_tasks(session, [task_id], quiet=opts.quiet,
                           poll_interval=options.poll_interval, topurl=options.topurl)
    try:
        while not session.taskFinished(task_id):
            time.sleep(options.poll_interval)
    except KeyboardInterrupt:
        print("User interrupt: canceling runroot task")
        session.cancelTask(task_id)
        raise
    sys.stdout.flush()
    if not opts.quiet:
        _print_log(session, task_id)
    info = session.getTaskInfo(task_id)
    if info is None or koji.TASK_STATES[info['state']] in ('FAILED', 'CANCELED'):
        sys.exit(1)
