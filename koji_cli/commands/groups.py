"""Commands for the comps groups of tags: groups, their packages and requirements."""
import pprint
import time
from optparse import OptionParser

import koji
import koji.util
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str

try:
    import defusedxml.ElementTree as ElementTree
except ImportError:  # pragma: no cover - defusedxml is a dependency, the stdlib a fallback
    import xml.etree.ElementTree as ElementTree


def _tag_and_group(parser, args, message="Please specify a tag name and a group name"):
    if len(args) != 2:
        parser.error(message)
    return args[0], args[1]


def _group_admin_start(parser, goptions, session, tag):
    """Login, permission and tag checks shared by add/block/remove-group."""
    activate_session(session, goptions)
    if not (session.hasPerm('admin') or session.hasPerm('tag')):
        parser.error("This action requires tag or admin privileges")
    dsttag = session.getTag(tag)
    if not dsttag:
        error("No such tag: %s" % tag)
    return dsttag


def _groups_by_name(session, tag):
    """Inherited groups of a tag by name, blocked ones included."""
    found = session.getTagGroups(tag, inherit=True, incl_blocked=True)
    return dict((group['name'], group) for group in found)


def handle_add_group(goptions, session, args):
    "[admin] Add a comps group to a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog add-group <tag> <group>"))
    options, args = parser.parse_args(args)
    tag, group = _tag_and_group(parser, args)
    _group_admin_start(parser, goptions, session, tag)
    names = set(g['name'] for g in session.getTagGroups(tag, inherit=False))
    if group in names:
        error("Group %s already exists for tag %s" % (group, tag))
    session.groupListAdd(tag, group)


def handle_block_group(goptions, session, args):
    "[admin] Block a comps group in a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog block-group <tag> <group>"))
    options, args = parser.parse_args(args)
    tag, group = _tag_and_group(parser, args)
    _group_admin_start(parser, goptions, session, tag)
    groups = _groups_by_name(session, tag)
    if group not in groups:
        error("Group %s doesn't exist within tag %s" % (group, tag))
    if groups[group]['blocked']:
        error("Group %s is already blocked in this tag" % group)
    session.groupListBlock(tag, group)


def handle_remove_group(goptions, session, args):
    "[admin] Drop a comps group from a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog remove-group <tag> <group>"))
    options, args = parser.parse_args(args)
    tag, group = _tag_and_group(parser, args)
    dsttag = _group_admin_start(parser, goptions, session, tag)
    groups = _groups_by_name(session, tag)
    entry = groups.get(group)
    if entry is None:
        error("Group %s doesn't exist within tag %s" % (group, tag))
    if entry['blocked']:
        error("Group %s is blocked in this tag. You could use unblock-group to unblock it"
              % group)
    if entry['tag_id'] != dsttag['id']:
        error("The entry for group %s is inherited from %s. You could use block-group to "
              "prevent this" % (group, _tag_name(session, entry['tag_id'])))
    session.groupListRemove(tag, group)


def handle_unblock_group(goptions, session, args):
    "[admin] Lift the block of a comps group in a tag"
    usage = "usage: %prog unblock-group [options] <tag> <group>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    tag, group = _tag_and_group(parser, args, "You must specify a tag name and group name")
    activate_session(session, goptions)
    session.groupListUnblock(tag, group)


_PKG_ARGS_MSG = "You must specify a tag name, group name, and one or more package names"
# own wording of the extra usage paragraph upstream prints for block-group-pkg
_BLOCK_NOTE = ("\nA block is inherited by child tags too, so blocking a package is not the "
               "same as removing it.")
_REQ_ARGS_MSG = "You must specify a tag name and two group names"


def _group_pkg_command(goptions, session, args, cmd, method):
    """add/block/unblock-group-pkg: one plain hub call per package, in order."""
    usage = "usage: %%prog %s [options] <tag> <group> <pkg> [<pkg> ...]" % cmd
    if cmd == 'block-group-pkg':
        usage += _BLOCK_NOTE
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) < 3:
        parser.error(_PKG_ARGS_MSG)
    tag, group = args[0], args[1]
    activate_session(session, goptions)
    call = getattr(session, method)
    for pkg in args[2:]:
        call(tag, group, pkg)


def _group_req_command(goptions, session, args, cmd, method, last):
    """add/block/unblock-group-req: exactly one requirement per call."""
    usage = "usage: %%prog %s [options] <tag> <%s> %s" % (
        cmd, 'target group' if cmd == 'add-group-req' else 'group', last)
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) != 3:
        parser.error(_REQ_ARGS_MSG)
    activate_session(session, goptions)
    getattr(session, method)(*args)


def handle_add_group_pkg(goptions, session, args):
    "[admin] Add packages to a comps group of a tag"
    _group_pkg_command(goptions, session, args, 'add-group-pkg', 'groupPackageListAdd')


def handle_block_group_pkg(goptions, session, args):
    "[admin] Block packages in a comps group of a tag"
    _group_pkg_command(goptions, session, args, 'block-group-pkg', 'groupPackageListBlock')


def handle_unblock_group_pkg(goptions, session, args):
    "[admin] Lift the block of packages in a comps group of a tag"
    _group_pkg_command(goptions, session, args, 'unblock-group-pkg',
                       'groupPackageListUnblock')


def handle_add_group_req(goptions, session, args):
    "[admin] Make a comps group require another group"
    _group_req_command(goptions, session, args, 'add-group-req', 'groupReqListAdd',
                       '<required group>')


def handle_block_group_req(goptions, session, args):
    "[admin] Block a requirement of a comps group"
    _group_req_command(goptions, session, args, 'block-group-req', 'groupReqListBlock',
                       '<blocked req>')


def handle_unblock_group_req(goptions, session, args):
    "[admin] Lift the block of a comps group requirement"
    _group_req_command(goptions, session, args, 'unblock-group-req', 'groupReqListUnblock',
                       '<requirement>')


def _remove_group_entries(goptions, session, args, kind):
    """remove-group-pkg / remove-group-req: check every entry first, then one multicall.

    Only entries the tag itself holds (not blocked, not inherited) can be removed.
    """
    if kind == 'pkg':
        usage = "usage: %prog remove-group-pkg [options] <tag> <group> <pkg> [<pkg> ...]"
        words = ('Package', 'packagelist', 'package', 'unblock-group-pkg', 'block-group-pkg')
    else:
        usage = "usage: %prog remove-group-req [options] <tag> <group> <req> [<req> ...]"
        words = ('Req', 'grouplist', 'name', 'unblock-group-req', 'block-group-req')
    label, listkey, namekey, unblock_cmd, block_cmd = words
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) < 3:
        parser.error(_PKG_ARGS_MSG if kind == 'pkg' else
                     "You must specify a tag name, group name, and one or more "
                     "requirement names")
    tag, group = args[0], args[1]
    activate_session(session, goptions)
    dsttag = session.getTag(tag)
    if not dsttag:
        error("No such tag: %s" % tag)
    found = [g for g in session.getTagGroups(tag, incl_blocked=True) if g['name'] == group]
    if not found:
        error("Group %s is not present in tag %s" % (group, tag))
    entries = dict((e[namekey], e) for e in found[0].get(listkey) or [])
    bad = False
    for name in args[2:]:
        entry = entries.get(name)
        if entry is None:
            print("%s %s is not included in this group" % (label, name))
        elif entry['blocked']:
            print("%s %s is blocked in this group. You could use %s to unblock it"
                  % (label, name, unblock_cmd))
        elif entry['tag_id'] != dsttag['id']:
            print("The entry for %s %s is inherited from %s. You could use %s to prevent this"
                  % (label.lower(), name, _tag_name(session, entry['tag_id']), block_cmd))
        else:
            continue
        bad = True
    if bad:
        error("Invalid parameters")
    method = 'groupPackageListRemove' if kind == 'pkg' else 'groupReqListRemove'
    with session.multicall(strict=True) as m:
        for name in args[2:]:
            getattr(m, method)(tag, group, name)


def handle_remove_group_pkg(goptions, session, args):
    "[admin] Take packages out of a comps group of a tag"
    _remove_group_entries(goptions, session, args, 'pkg')


def handle_remove_group_req(goptions, session, args):
    "[admin] Take requirements out of a comps group of a tag"
    _remove_group_entries(goptions, session, args, 'req')


def _tag_name(session, tag_id, cache=None):
    """Name of a tag id for display; the bare id when the hub no longer knows it."""
    if cache is not None and tag_id in cache:
        return cache[tag_id]
    tag = session.getTag(tag_id, strict=False)
    name = tag_id if tag is None else tag['name']
    if cache is not None:
        cache[tag_id] = name
    return name


def anon_handle_list_groups(goptions, session, args):
    "[info] Print the comps groups of a tag"
    usage = "usage: %prog list-groups [options] <tag> [<group>]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--event", type='int', metavar="EVENT#",
                      help="answer as of this event")
    parser.add_option("--ts", type='int', metavar="TIMESTAMP",
                      help="answer as of the last event before this time")
    parser.add_option("--repo", type='int', metavar="REPO#",
                      help="answer as of the event this repo was made at")
    parser.add_option("--show-blocked", action="store_true", dest="incl_blocked",
                      help="include blocked groups and packages")
    options, args = parser.parse_args(args)
    if len(args) < 1 or len(args) > 2:
        parser.error("Incorrect number of arguments")
    ensure_connection(session, goptions)
    opts = {}
    if options.incl_blocked:
        opts['incl_blocked'] = True
    event = koji.util.eventFromOpts(session, options)
    if event:
        opts['event'] = event['id']
        print("Querying at event %i (%s)"
              % (event['id'], time.asctime(time.localtime(event['ts']))))
    groups = sorted(session.getTagGroups(args[0], **opts), key=lambda g: g['name'])
    names = {}
    for group in groups:
        if len(args) > 1 and group['name'] != args[1]:
            continue
        print("%s  [%s]" % (group['name'], _tag_name(session, group['tag_id'], names)))
        for req in sorted(group['grouplist'], key=lambda r: r['name']):
            print("  @%s  [%s]" % (req['name'], _tag_name(session, req['tag_id'], names)))
        for pkg in sorted(group['packagelist'], key=lambda p: p['package']):
            line = "  %s: %s, %s  [%s]" % (pkg['package'], pkg['basearchonly'], pkg['type'],
                                           _tag_name(session, pkg['tag_id'], names))
            if pkg['blocked']:
                line += " [BLOCKED]"
            print(line)


def anon_handle_show_groups(goptions, session, args):
    "[info] Dump the comps group data of a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog show-groups [options] <tag>"))
    parser.add_option("--comps", action="store_true", help="write comps XML")
    parser.add_option("-x", "--expand", action="store_true", default=False,
                      help="with --comps, inline the packages of required groups")
    parser.add_option("--spec", action="store_true", help="write a buildgroups spec file")
    parser.add_option("--show-blocked", action="store_true", dest="incl_blocked",
                      help="include blocked entries")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Incorrect number of arguments")
    if options.incl_blocked and (options.comps or options.spec):
        parser.error("--show-blocked doesn't make sense for comps/spec output")
    ensure_connection(session, goptions)
    opts = {}
    if options.incl_blocked:
        opts['incl_blocked'] = True
    groups = session.getTagGroups(args[0], **opts)
    if options.comps:
        print(koji.generate_comps(groups, expand_groups=options.expand))
    elif options.spec:
        print(koji.make_groups_spec(groups, name='buildgroups', buildgroup='build'))
    else:
        pprint.pprint(groups)


# -- import-comps ----------------------------------------------------------------------------

_PACKAGE_TYPES = ('default', 'optional', 'conditional', 'mandatory')


def _local(tag):
    """Element name without a namespace, so namespaced comps files read the same."""
    return tag.rsplit('}', 1)[-1]


def _untranslated(elem, name):
    """Text of the child ``name`` that carries no xml:lang, as comps readers show it."""
    for child in elem:
        if _local(child.tag) != name:
            continue
        if any(_local(key) == 'lang' for key in child.attrib):
            continue
        return child.text
    return None


def _flag(elem, name, default):
    text = _untranslated(elem, name)
    if text is None:
        return default
    return text.strip().lower() in ('true', 'yes', '1')


def parse_comps(path):
    """Groups of a comps file: [(id, group options, [(package, package options)])].

    Only what import-comps sends to the hub is kept; group requirements and metapkgs are
    not carried over, as upstream's libcomps-based import does not either.
    """
    root = ElementTree.parse(path).getroot()
    groups = []
    for elem in root:
        if _local(elem.tag) != 'group':
            continue
        opts = {
            'display_name': _untranslated(elem, 'name'),
            'is_default': _flag(elem, 'default', False),
            'uservisible': _flag(elem, 'uservisible', True),
            'description': _untranslated(elem, 'description'),
            'langonly': _untranslated(elem, 'langonly'),
            'biarchonly': _flag(elem, 'biarchonly', False),
        }
        packages = []
        for plist in elem:
            if _local(plist.tag) != 'packagelist':
                continue
            for req in plist:
                if _local(req.tag) != 'packagereq':
                    continue
                ptype = req.get('type', 'default')
                if ptype not in _PACKAGE_TYPES:
                    ptype = 'unknown'
                popts = {'type': ptype,
                         'basearchonly': (req.get('basearchonly') or '').lower() == 'true'}
                if ptype == 'conditional':
                    popts['requires'] = req.get('requires')
                packages.append(((req.text or '').strip(), popts))
        groups.append(((_untranslated(elem, 'id') or '').strip(), opts, packages))
    return groups


def handle_import_comps(goptions, session, args):
    "[misc] Load comps groups and their packages from a comps XML file"
    parser = OptionParser(usage=get_usage_str("usage: %prog import-comps [options] <file> <tag>"))
    parser.add_option("--force", action="store_true", help="import even over blocks")
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("Incorrect number of arguments")
    activate_session(session, goptions)
    filename, tag = args
    if session.getTag(tag) is None:
        error("No such tag: %s" % tag)
    try:
        groups = parse_comps(filename)
    except (OSError, ValueError, ElementTree.ParseError) as e:
        error("Unable to read comps file %s: %s" % (filename, e))
    for group_id, opts, packages in groups:
        print("Group: %s (%s)" % (group_id, opts['display_name']))
        session.groupListAdd(tag, group_id, force=options.force, **opts)
        for name, popts in packages:
            shown = ', '.join("%r: %r" % (key, popts[key]) for key in sorted(popts))
            print("  Package: %s: {%s}" % (name, shown))
            session.groupPackageListAdd(tag, group_id, name, force=options.force, **popts)
