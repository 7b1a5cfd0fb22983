"""Commands for the package lists of tags."""
import time
from optparse import OptionParser

import koji
import koji.util
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str, warn


def _need_tag(session, name):
    """The tag record, or leave with the error every package command gives."""
    tag = session.getTag(name)
    if tag is None:
        error("No such tag: %s" % name)
    return tag


def _listed_names(session, tag_id, inherited=False):
    """Package names on a tag's list; owners are skipped to keep the query cheap.

    Hubs before 1.25 do not know ``with_owners`` and answer with a ParameterError.
    """
    kwargs = {'tagID': tag_id}
    if inherited:
        kwargs['inherited'] = True
    try:
        entries = session.listPackages(with_owners=False, **kwargs)
    except koji.ParameterError:
        entries = session.listPackages(**kwargs)
    return set(entry['package_name'] for entry in entries)


def _print_event(event):
    """The line event-aware listings print before their answer."""
    print("Querying at event %i (%s)" % (event['id'], time.asctime(time.localtime(event['ts']))))


def handle_add_pkg(goptions, session, args):
    "[admin] Put packages on the package list of a tag"
    usage = "usage: %prog add-pkg [options] --owner <owner> <tag> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", default=False,
                      help="add even where a block would stop it")
    parser.add_option("--owner", help="user owning the new entries")
    parser.add_option("--extra-arches", help="extra arches for the new entries")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify a tag and at least one package")
    if not options.owner:
        parser.error("Please specify an owner for the package(s)")
    # the owner is checked before logging in, as upstream's client does
    if not session.getUser(options.owner):
        error("No such user: %s" % options.owner)
    activate_session(session, goptions)
    tag = args[0]
    dsttag = _need_tag(session, tag)
    present = _listed_names(session, dsttag['id'])
    to_add = []
    for package in args[1:]:
        if package in present:
            print("Package %s already exists in tag %s" % (package, tag))
        else:
            to_add.append(package)
    opts = {'force': options.force, 'block': False}
    if options.extra_arches:
        opts['extra_arches'] = koji.parse_arches(options.extra_arches)
    print("Adding %i packages to tag %s" % (len(to_add), dsttag['name']))
    with session.multicall(strict=True) as m:
        for package in to_add:
            m.packageListAdd(tag, package, options.owner, **opts)


def _checked_removal(parser, goptions, session, args, inherited, message):
    """Shared start of block-pkg / remove-pkg: every package must be on the list.

    Nothing is changed when one is missing; each missing one is reported first.
    """
    if len(args) < 2:
        parser.error("Please specify a tag and at least one package")
    activate_session(session, goptions)
    tag = args[0]
    dsttag = _need_tag(session, tag)
    present = _listed_names(session, dsttag['id'], inherited=inherited)
    missing = False
    for package in args[1:]:
        if package not in present:
            warn(message % (package, tag))
            missing = True
    if missing:
        error(code=1)
    return tag


def handle_block_pkg(goptions, session, args):
    "[admin] Block packages in a tag"
    usage = "usage: %prog block-pkg [options] <tag> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", default=False,
                      help="block despite other blocks or owner restrictions")
    options, args = parser.parse_args(args)
    tag = _checked_removal(parser, goptions, session, args, True,
                           "Package %s doesn't exist in tag %s")
    with session.multicall(strict=True) as m:
        for package in args[1:]:
            # older hubs reject the force keyword, so it is sent only when asked for
            if options.force:
                m.packageListBlock(tag, package, force=True)
            else:
                m.packageListBlock(tag, package)


def handle_remove_pkg(goptions, session, args):
    "[admin] Take packages off the package list of a tag"
    usage = "usage: %prog remove-pkg [options] <tag> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", default=False,
                      help="remove even where a block would stop it")
    options, args = parser.parse_args(args)
    tag = _checked_removal(parser, goptions, session, args, False,
                           "Package %s is not in tag %s")
    with session.multicall(strict=True) as m:
        for package in args[1:]:
            if options.force:
                m.packageListRemove(tag, package, force=True)
            else:
                m.packageListRemove(tag, package)


def handle_unblock_pkg(goptions, session, args):
    "[admin] Lift the block of packages in a tag"
    usage = "usage: %prog unblock-pkg [options] <tag> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify a tag and at least one package")
    activate_session(session, goptions)
    tag = args[0]
    with session.multicall(strict=True) as m:
        for package in args[1:]:
            m.packageListUnblock(tag, package)


def handle_set_pkg_arches(goptions, session, args):
    "[admin] Set the extra arches of package list entries"
    usage = "usage: %prog set-pkg-arches [options] <arches> <tag> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", default=False,
                      help="change the entries even where policy would refuse")
    options, args = parser.parse_args(args)
    if len(args) < 3:
        parser.error("Please specify an archlist, a tag, and at least one package")
    activate_session(session, goptions)
    arches = koji.parse_arches(args[0])
    tag = args[1]
    with session.multicall(strict=True) as m:
        for package in args[2:]:
            m.packageListSetArches(tag, package, arches, force=options.force)


def handle_set_pkg_owner(goptions, session, args):
    "[admin] Give package list entries of a tag a new owner"
    usage = "usage: %prog set-pkg-owner [options] <owner> <tag> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", default=False,
                      help="change the entries even where policy would refuse")
    options, args = parser.parse_args(args)
    if len(args) < 3:
        parser.error("Please specify an owner, a tag, and at least one package")
    activate_session(session, goptions)
    owner, tag = args[0], args[1]
    with session.multicall(strict=True) as m:
        for package in args[2:]:
            m.packageListSetOwner(tag, package, owner, force=options.force)


def handle_set_pkg_owner_global(goptions, session, args):
    "[admin] Give packages a new owner in every tag that lists them"
    usage = "usage: %prog set-pkg-owner-global [options] <owner> <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--verbose", action="store_true", help="report every entry")
    parser.add_option("--test", action="store_true",
                      help="only report what would change")
    parser.add_option("--old-user", "--from", action="store",
                      help="only touch entries owned by this user")
    options, args = parser.parse_args(args)
    if options.old_user:
        if len(args) < 1:
            parser.error("Please specify an owner")
    elif len(args) < 2:
        parser.error("Please specify an owner and at least one package")
    activate_session(session, goptions)
    owner = args[0]
    packages = args[1:]
    user = session.getUser(owner)
    if not user:
        error("No such user: %s" % owner)
    query = {'with_dups': True}
    old_user = None
    if options.old_user:
        old_user = session.getUser(options.old_user)
        if not old_user:
            error("No such user: %s" % options.old_user)
        query['userID'] = old_user['id']
    entries = []
    for package in packages:
        found = session.listPackages(pkgID=package, **query)
        if not found:
            print("No data for package %s" % package)
            continue
        entries.extend(found)
    if not packages and old_user:
        entries = session.listPackages(**query)
        if not entries:
            error("No data for user %s" % old_user['name'])
    for entry in entries:
        if entry['owner_id'] == user['id']:
            if options.verbose:
                # upstream names the last package given on the command line here
                shown = packages[-1] if packages else entry['package_name']
                print("Preserving owner=%s for package %s in tag %s"
                      % (user['name'], shown, entry['tag_name']))
            continue
        change = "%s in tag %s: %s -> %s" % (entry['package_name'], entry['tag_name'],
                                             entry['owner_name'], user['name'])
        if options.test:
            print("Would have changed owner for %s" % change)
            continue
        if options.verbose:
            print("Changing owner for %s" % change)
        session.packageListSetOwner(entry['tag_id'], entry['package_name'], user['id'])


def anon_handle_list_pkgs(goptions, session, args):
    "[info] Print the package lists of tags, users or packages"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-pkgs [options]"))
    parser.add_option("--owner", help="only entries owned by this user")
    parser.add_option("--tag", help="only entries of this tag")
    parser.add_option("--package", help="only entries of this package")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    parser.add_option("--noinherit", action="store_true",
                      help="ignore the inheritance of the tag")
    parser.add_option("--show-blocked", action="store_true",
                      help="include blocked entries")
    parser.add_option("--show-dups", action="store_true",
                      help="include entries hidden by an inheriting tag")
    parser.add_option("--event", type='int', metavar="EVENT#",
                      help="answer as of this event")
    parser.add_option("--ts", type='int', metavar="TIMESTAMP",
                      help="answer as of the last event before this time")
    parser.add_option("--repo", type='int', metavar="REPO#",
                      help="answer as of the event this repo was made at")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    ensure_connection(session, goptions)
    opts = {}
    if options.owner:
        user = session.getUser(options.owner)
        if user is None:
            parser.error("No such user: %s" % options.owner)
        opts['userID'] = user['id']
    if options.tag:
        tag = session.getTag(options.tag)
        if tag is None:
            parser.error("No such tag: %s" % options.tag)
        opts['tagID'] = tag['id']
    if options.package:
        opts['pkgID'] = options.package
    event = koji.util.eventFromOpts(session, options)
    allpkgs = not opts
    if allpkgs:
        if options.event or options.ts or options.repo:
            parser.error("--event and --ts makes sense only with --tag, --owner or --package")
        if options.show_blocked:
            parser.error("--show-blocked makes sense only with --tag, --owner or --package")
    opts['inherited'] = not options.noinherit
    # superseded entries only exist within one tag's inheritance
    opts['with_dups'] = options.show_dups if options.tag else True
    if options.show_blocked:
        opts['with_blocked'] = True
    if event:
        opts['event'] = event['id']
        _print_event(event)
    data = session.listPackages(**opts)
    if not data:
        error("(no matching packages)")
    if not options.quiet:
        if allpkgs:
            print("Package")
            print('-' * 23)
        else:
            print("%-23s %-23s %-16s %-15s" % ('Package', 'Tag', 'Extra Arches', 'Owner'))
            print("%s %s %s %s" % ('-' * 23, '-' * 23, '-' * 16, '-' * 15))
    for pkg in data:
        if allpkgs:
            print(pkg['package_name'])
            continue
        blocked = pkg.get('blocked', False)
        if blocked and not options.show_blocked:
            continue
        if 'tag_id' not in pkg:
            print(pkg['package_name'])
            continue
        row = dict(pkg)
        if row.get('extra_arches') is None:
            row['extra_arches'] = ""
        line = "%(package_name)-23s %(tag_name)-23s %(extra_arches)-16s %(owner_name)-15s" % row
        if blocked:
            line += " [BLOCKED]"
        print(line)
