"""Commands for build targets (which tag a build uses, which tag it lands in)."""
from optparse import OptionParser

import koji
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str


def _require_target_perm(parser, session):
    if not (session.hasPerm('admin') or session.hasPerm('target')):
        parser.error("This action requires target or admin privileges")


def _check_build_tag(session, name):
    """A build tag must exist and have arches, or builds could not run in it."""
    tag = session.getTag(name)
    if not tag:
        error("No such tag: %s" % name)
    if not tag.get("arches", None):
        error("Build tag has no arches: %s" % name)
    return tag


def handle_add_target(goptions, session, args):
    "[admin] Define a build target"
    usage = "usage: %prog add-target <name> <build tag> <dest tag>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify a target name, a build tag, and destination tag")
    if len(args) > 3:
        parser.error("Incorrect number of arguments")
    name, build_tag = args[:2]
    # without a destination, builds land in the tag named like the target
    dest_tag = args[2] if len(args) > 2 else name
    activate_session(session, goptions)
    _require_target_perm(parser, session)
    _check_build_tag(session, build_tag)
    if not session.getTag(dest_tag):
        error("No such destination tag: %s" % dest_tag)
    session.createBuildTarget(name, build_tag, dest_tag)


def handle_edit_target(goptions, session, args):
    "[admin] Rename a build target or change its tags"
    parser = OptionParser(usage=get_usage_str("usage: %prog edit-target [options] <name>"))
    parser.add_option("--rename", help="give the target this new name")
    parser.add_option("--build-tag", help="build in this tag from now on")
    parser.add_option("--dest-tag", help="put finished builds into this tag from now on")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a build target")
    activate_session(session, goptions)
    _require_target_perm(parser, session)
    target = session.getBuildTarget(args[0])
    if target is None:
        raise koji.GenericError("No such build target: %s" % args[0])
    new_name = options.rename or target['name']
    build_tag = target['build_tag_name']
    dest_tag = target['dest_tag_name']
    if options.build_tag:
        _check_build_tag(session, options.build_tag)
        build_tag = options.build_tag
    if options.dest_tag:
        if not session.getTag(options.dest_tag):
            error("No such destination tag: %s" % options.dest_tag)
        dest_tag = options.dest_tag
    session.editBuildTarget(target['name'], new_name, build_tag, dest_tag)


def handle_remove_target(goptions, session, args):
    "[admin] Delete a build target"
    parser = OptionParser(usage=get_usage_str("usage: %prog remove-target [options] <name>"))
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a build target to remove")
    activate_session(session, goptions)
    _require_target_perm(parser, session)
    target = session.getBuildTarget(args[0])
    if not target:
        error("No such build target: %s" % args[0])
    session.deleteBuildTarget(target['id'])


def anon_handle_list_targets(goptions, session, args):
    "[info] Show build targets with their tags"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-targets [options]"))
    parser.add_option("--name", help="show only the target of this name")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    ensure_connection(session, goptions)
    targets = session.getBuildTargets(options.name)
    if not targets:
        if options.name:
            parser.error("No such build target: %s" % options.name)
        parser.error("No targets were found")
    if not options.quiet:
        print("%-30s %-30s %-30s" % ('Name', 'Buildroot', 'Destination'))
        print("-" * 93)
    for target in sorted(targets, key=lambda t: t['name']):
        print("%(name)-30s %(build_tag_name)-30s %(dest_tag_name)-30s" % target)
