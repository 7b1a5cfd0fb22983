"""Commands that add, change, remove and draw tag inheritance links."""
import sys
from optparse import SUPPRESS_HELP, OptionParser

from koji_cli.commands.tags import add_event_options, inheritance_flags, query_event
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str, warn

_PRIORITY_CLASH = ("Error: There is already an active inheritance with that priority on %s, "
                   "please specify a different priority with --priority.")


def _get_tag(parser, session, name, **opts):
    tag = session.getTag(name, **opts)
    if not tag:
        parser.error("No such tag: %s" % name)
    return tag


def handle_add_tag_inheritance(goptions, session, args):
    "[admin] Give a tag another parent"
    usage = "usage: %prog add-tag-inheritance [options] <tag> <parent-tag>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--priority", help="priority of the new link (0 by default)")
    parser.add_option("--maxdepth", help="how many levels may be inherited through the link")
    parser.add_option("--intransitive", action="store_true",
                      help="do not pass this link on to the tag's own children")
    parser.add_option("--noconfig", action="store_true",
                      help="inherit packages only, not build configuration")
    parser.add_option("--pkg-filter", help="only inherit packages matching this regex")
    parser.add_option("--force", action="store_true",
                      help="add the link even if the parent is already a parent")
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("This command takes exactly two arguments: a tag name or ID and that "
                     "tag's new parent name or ID")
    activate_session(session, goptions)
    tag = _get_tag(parser, session, args[0])
    parent = _get_tag(parser, session, args[1])
    links = session.getInheritanceData(tag['id'])
    # the priority travels as typed (the hub casts it); only the clash check needs a number
    priority = options.priority or 0
    same_parent = [link for link in links if link['parent_id'] == parent['id']]
    same_priority = [link for link in links if link['priority'] == int(priority)]
    if same_parent and not options.force:
        warn("Error: You are attempting to add %s as %s's parent even though it already is "
             "%s's parent." % (parent['name'], tag['name'], tag['name']))
        error("Please use --force if this is what you really want to do.")
    if same_priority:
        error(_PRIORITY_CLASH % tag['name'])
    maxdepth = None
    if options.maxdepth and options.maxdepth.isdigit():
        maxdepth = int(options.maxdepth)
    links.append({
        'parent_id': parent['id'],
        'priority': priority,
        'maxdepth': maxdepth,
        'intransitive': bool(options.intransitive),
        'noconfig': bool(options.noconfig),
        'pkg_filter': options.pkg_filter or '',
    })
    session.setInheritanceData(tag['id'], links)


def _check_link_args(parser, args):
    if len(args) < 1:
        parser.error("This command takes at least one argument: a tag name or ID")
    if len(args) > 3:
        parser.error("This command takes at most three argument: a tag name or ID, a parent "
                     "tag name or ID, and a priority")


def _select_link(parser, session, args):
    """The one inheritance link the <tag> [<parent> [<priority>]] arguments point at.

    Returns (tag, link); errors out when nothing or more than one link matches.
    """
    tag = _get_tag(parser, session, args[0])
    parent = priority = None
    if len(args) > 1:
        parent = _get_tag(parser, session, args[1])
        if len(args) > 2:
            priority = args[2]
    links = session.getInheritanceData(tag['id'])
    if parent and links:
        links = [link for link in links if link['parent_id'] == parent['id']]
    if priority and links:
        links = [link for link in links if link['priority'] == int(priority)]
    if not links:
        error("No inheritance link found to remove.  Please check your arguments")
    if len(links) > 1:
        print("Multiple matches for tag.")
        if not parent:
            error("Please specify a parent on the command line.")
        if not priority:
            error("Please specify a priority on the command line.")
        error("Error: Key constraints may be broken.  Exiting.")
    return tag, links[0]


def _replace_link(session, tag, old, new):
    """Send the tag's links with ``old`` swapped for ``new``."""
    links = session.getInheritanceData(tag['id'])
    links[links.index(old)] = new
    session.setInheritanceData(tag['id'], links)


def handle_edit_tag_inheritance(goptions, session, args):
    "[admin] Change a parent link of a tag"
    usage = "usage: %prog edit-tag-inheritance [options] <tag> <parent> [<priority>]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--priority", help="new priority of the link")
    parser.add_option("--maxdepth", help="new depth limit of the link ('none' to drop it)")
    parser.add_option("--intransitive", action="store_true",
                      help="do not pass this link on to the tag's own children")
    parser.add_option("--noconfig", action="store_true",
                      help="inherit packages only, not build configuration")
    parser.add_option("--pkg-filter", help="only inherit packages matching this regex")
    options, args = parser.parse_args(args)
    _check_link_args(parser, args)
    activate_session(session, goptions)
    tag, link = _select_link(parser, session, args)
    links = session.getInheritanceData(tag['id'])
    if options.priority is not None and \
            [other for other in links if other['priority'] == int(options.priority)]:
        error(_PRIORITY_CLASH % tag['name'])
    new = dict(link)
    if options.priority is not None and options.priority.isdigit():
        new['priority'] = int(options.priority)
    if options.maxdepth is not None:
        if options.maxdepth.isdigit():
            new['maxdepth'] = int(options.maxdepth)
        elif options.maxdepth.lower() == 'none':
            new['maxdepth'] = None
        else:
            error("Invalid maxdepth: %s" % options.maxdepth)
    if options.intransitive:
        new['intransitive'] = True
    if options.noconfig:
        new['noconfig'] = True
    if options.pkg_filter:
        new['pkg_filter'] = options.pkg_filter
    _replace_link(session, tag, link, new)


def handle_remove_tag_inheritance(goptions, session, args):
    "[admin] Drop a parent link of a tag"
    usage = "usage: %prog remove-tag-inheritance <tag> <parent> [<priority>]"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    _check_link_args(parser, args)
    activate_session(session, goptions)
    tag, link = _select_link(parser, session, args)
    _replace_link(session, tag, link, dict(link, **{'delete link': True}))


def _draw_inheritance(links, reverse):
    """Print getFullInheritance entries as a tree, one line per link.

    ``open_depths`` holds the depths whose branch continues further down, so their
    vertical bar is drawn through the lines in between.
    """
    same = 'parent_id' if reverse else 'child_id'
    shown_id = 'tag_id' if reverse else 'parent_id'
    open_depths = []
    for pos, link in enumerate(links):
        depth = link['currdepth']
        more = any(later[same] == link[same] for later in links[pos + 1:])
        line = inheritance_flags(link)
        col = 0
        for level in open_depths:
            if level < depth:
                line += ' ' * ((level - col) * 3 - 1) + '\u2502'
                col = level
        line += ' ' * ((depth - col) * 3 - 1) + ('\u251c' if more else '\u2514') + '\u2500'
        line += '%s (%i)' % (link['name'], link[shown_id])
        if more:
            if not open_depths or open_depths[-1] != depth:
                open_depths.append(depth)
        elif open_depths and open_depths[-1] == depth:
            open_depths.pop()
        sys.stdout.write(line + '\n')


def anon_handle_list_tag_inheritance(goptions, session, args):
    "[info] Draw the inheritance tree of a tag"
    usage = """usage: %prog list-tag-inheritance [options] <tag>

Draws the inheritance tree of a tag. Each line starts with four flag
columns, '.' when the flag is off:
 M - the link has a maxdepth limit
 F - the link has a package filter
 I - the link is intransitive (inheritance does not go on past it)
 N - noconfig: the parent's build configuration is not inherited
The taginfo command shows the maxdepth and filter values."""
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--reverse", action="store_true",
                      help="draw the tags that inherit from this one instead")
    parser.add_option("--stop", help=SUPPRESS_HELP)
    parser.add_option("--jump", help=SUPPRESS_HELP)
    add_event_options(parser)
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("This command takes exactly one argument: a tag name or ID")
    for gone in ('stop', 'jump'):
        if getattr(options, gone):
            parser.error("--%s option has been removed in 1.26" % gone)
    ensure_connection(session, goptions)
    event = query_event(session, options)
    event_opts = {'event': event['id']} if event else {}
    tag = _get_tag(parser, session, args[0], **event_opts)
    opts = {'reverse': bool(options.reverse)}
    opts.update(event_opts)
    sys.stdout.write('     %s (%i)\n' % (tag['name'], tag['id']))
    _draw_inheritance(session.getFullInheritance(tag['id'], **opts), options.reverse)
