"""CLI commands of the sidetag hub plugin: add-, edit-, list- and remove-sidetag."""
from optparse import OptionParser

import koji
from koji.plugin import export_cli
from koji_cli.commands import anon_handle_wait_repo
from koji_cli.lib import activate_session, arg_filter

HELP_HINT = "\n(Specify the --help global option for a list of other help options)"


def _parser(synopsis):
    return OptionParser(usage="%prog " + synopsis + HELP_HINT)


@export_cli
def handle_add_sidetag(options, session, args):
    "Create a side tag of a base tag"
    parser = _parser("add-sidetag [options] <basetag>")
    parser.add_option("-q", "--quiet", action="store_true", default=options.quiet,
                      help="Do not print the name of the new side tag")
    parser.add_option("-w", "--wait", action="store_true",
                      help="Then wait for the side tag's repo")
    parser.add_option("--debuginfo", action="store_true",
                      help="Include debuginfo packages in the buildroot repo")
    parser.add_option("--suffix", action="store",
                      help="Append this suffix (one the hub allows) to the name")
    opts, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Only argument is basetag")
    activate_session(session, options)
    kwargs = {"debuginfo": opts.debuginfo}
    if opts.suffix:
        kwargs["suffix"] = opts.suffix
    try:
        tag = session.createSideTag(args[0], **kwargs)
    except koji.ActionNotAllowed:
        parser.error("Policy violation")
    except koji.ParameterError as exc:
        if 'suffix' not in str(exc):
            raise
        parser.error("Hub is older and doesn't support --suffix, please run it without it")
    if not opts.quiet:
        print(tag["name"])
    if opts.wait:
        wait_args = ["--target", tag["name"]]
        if opts.quiet:
            wait_args.append("--quiet")
        return anon_handle_wait_repo(options, session, wait_args)


@export_cli
def handle_remove_sidetag(options, session, args):
    "Remove side tags"
    parser = _parser("remove-sidetag [options] <sidetag> ...")
    opts, args = parser.parse_args(args)
    if not args:
        parser.error("Sidetag argument is required")
    activate_session(session, options)
    with session.multicall(strict=True) as mcall:
        for sidetag in args:
            mcall.removeSideTag(sidetag)


@export_cli
def handle_list_sidetags(options, session, args):
    "List side tags"
    parser = _parser("list-sidetags [options]")
    parser.add_option("--basetag", action="store", help="Only side tags of this base tag")
    parser.add_option("--user", action="store", help="Only side tags of this user")
    parser.add_option("--mine", action="store_true", help="Only my side tags")
    opts, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    if opts.mine and opts.user:
        parser.error("Specify only one from --user --mine")
    user = opts.user
    if opts.mine:
        activate_session(session, options)
        user = session.getLoggedInUser()["name"]
    for tag in session.listSideTags(basetag=opts.basetag, user=user):
        print(tag["name"])


@export_cli
def handle_edit_sidetag(options, session, args):
    "Change the debuginfo or rpm macro settings of a side tag"
    parser = _parser("edit-sidetag [options] <sidetag>")
    parser.add_option("--debuginfo", action="store_true", default=None,
                      help="Turn debuginfo in the side tag's repo on")
    parser.add_option("--no-debuginfo", action="store_false", dest="debuginfo")
    parser.add_option("--rpm-macro", action="append", default=[], metavar="key=value",
                      dest="rpm_macros", help="Set an rpm macro for the side tag")
    parser.add_option("--remove-rpm-macro", action="append", default=[], metavar="key",
                      dest="remove_rpm_macros", help="Drop an rpm macro of the side tag")
    opts, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Only argument is sidetag")
    if opts.debuginfo is None and not opts.rpm_macros and not opts.remove_rpm_macros:
        parser.error("At least one option needs to be specified")
    activate_session(session, options)
    kwargs = {}
    if opts.debuginfo is not None:
        kwargs["debuginfo"] = opts.debuginfo
    if opts.rpm_macros:
        macros = {}
        for item in opts.rpm_macros:
            key, value = item.split("=", 1)
            macros[key] = arg_filter(value)
        kwargs["rpm_macros"] = macros
    if opts.remove_rpm_macros:
        kwargs["remove_rpm_macros"] = opts.remove_rpm_macros
    session.editSideTag(args[0], **kwargs)
