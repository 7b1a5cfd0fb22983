"""Commands that create, change, lock, list and describe tags."""
import fnmatch
import pprint
import time
from optparse import OptionParser

import koji
from koji.util import eventFromOpts
from koji_cli.lib import activate_session, arg_filter, ensure_connection, error, \
    get_usage_str


def add_event_options(parser):
    """The --event/--ts/--repo trio shared by the commands that can look into the past."""
    parser.add_option("--event", type='int', metavar="EVENT#",
                      help="show the state as it was at this event")
    parser.add_option("--ts", type='int', metavar="TIMESTAMP",
                      help="show the state as of the last event before this unix time")
    parser.add_option("--repo", type='int', metavar="REPO#",
                      help="show the state as of the creation of this repo")


def query_event(session, options):
    """Resolve the event options; announce the event and return it (or None)."""
    event = eventFromOpts(session, options)
    if event:
        event['timestr'] = time.asctime(time.localtime(event['ts']))
        print("Querying at event %(id)i (%(timestr)s)" % event)
    return event


def inheritance_flags(link):
    """Four-letter summary of a link: Maxdepth, Filter, Intransitive, Noconfig."""
    return ''.join([
        'M' if link.get('maxdepth') is not None else '.',
        'F' if link.get('pkg_filter') else '.',
        'I' if link.get('intransitive') else '.',
        'N' if link.get('noconfig') else '.',
    ])


def _require_perm(parser, session, perm):
    """Refuse early (as a usage error) when the user holds neither admin nor ``perm``."""
    if not (session.hasPerm('admin') or session.hasPerm(perm)):
        parser.error("This action requires %s or admin privileges" % perm)


def _tags_matching(session, patterns):
    """Every tag whose name matches one of the glob patterns, in the hub's order."""
    return [tag for tag in session.listTags()
            if any(fnmatch.fnmatch(tag['name'], pat) for pat in patterns)]


def handle_add_tag(goptions, session, args):
    "[admin] Create a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog add-tag [options] <name>"))
    parser.add_option("--parent", help="make this tag a parent of the new one (priority 0)")
    parser.add_option("--arches", help="architectures of the tag, comma or space separated")
    parser.add_option("--maven-support", action="store_true",
                      help="generate Maven repositories for the tag")
    parser.add_option("--include-all", action="store_true",
                      help="put every version of a package in generated Maven repos")
    parser.add_option("-x", "--extra", action="append", default=[], metavar="key=value",
                      help="an extra tag option; may be given several times")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a name for the tag")
    activate_session(session, goptions)
    _require_perm(parser, session, 'tag')
    opts = {}
    if options.parent:
        opts['parent'] = options.parent
    if options.arches:
        opts['arches'] = koji.parse_arches(options.arches)
    if options.maven_support:
        opts['maven_support'] = True
    if options.include_all:
        opts['maven_include_all'] = True
    if options.extra:
        extra = {}
        for item in options.extra:
            key, value = item.split('=', 1)
            extra[key] = arg_filter(value)
        opts['extra'] = extra
    session.createTag(args[0], **opts)


def handle_edit_tag(goptions, session, args):
    "[admin] Change the settings of a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog edit-tag [options] <name>"))
    parser.add_option("--arches", help="new architecture list of the tag")
    parser.add_option("--perm", help="permission needed to tag builds into the tag")
    parser.add_option("--no-perm", action="store_true",
                      help="let anyone with tagging rights use the tag again")
    parser.add_option("--lock", action="store_true", help="lock the tag")
    parser.add_option("--unlock", action="store_true", help="unlock the tag")
    parser.add_option("--rename", help="give the tag this new name")
    parser.add_option("--maven-support", action="store_true",
                      help="generate Maven repositories for the tag")
    parser.add_option("--no-maven-support", action="store_true",
                      help="stop generating Maven repositories for the tag")
    parser.add_option("--include-all", action="store_true",
                      help="put every version of a package in generated Maven repos")
    parser.add_option("--no-include-all", action="store_true",
                      help="put only the latest versions in generated Maven repos")
    parser.add_option("-x", "--extra", action="append", default=[], metavar="key=value",
                      help="set an extra tag option; may be given several times")
    parser.add_option("-r", "--remove-extra", action="append", default=[], metavar="key",
                      help="drop an extra option of this tag; may be given several times")
    parser.add_option("-b", "--block-extra", action="append", default=[], metavar="key",
                      help="stop an extra option from being inherited; repeatable")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a name for the tag")
    activate_session(session, goptions)
    opts = {}
    if options.arches:
        opts['arches'] = koji.parse_arches(options.arches)
    if options.no_perm:
        opts['perm'] = None
    elif options.perm:
        opts['perm'] = options.perm
    if options.unlock:
        opts['locked'] = False
    if options.lock:
        opts['locked'] = True
    if options.rename:
        opts['name'] = options.rename
    if options.maven_support:
        opts['maven_support'] = True
    if options.no_maven_support:
        opts['maven_support'] = False
    if options.include_all:
        opts['maven_include_all'] = True
    if options.no_include_all:
        opts['maven_include_all'] = False
    if options.extra:
        extra = {}
        for item in options.extra:
            key, value = item.split('=', 1)
            if key in extra:
                parser.error("Duplicate extra key: %s" % key)
            extra[key] = arg_filter(value, parse_json=True)
        opts['extra'] = extra
    opts['remove_extra'] = options.remove_extra
    opts['block_extra'] = options.block_extra
    session.editTag2(args[0], **opts)


def handle_remove_tag(goptions, session, args):
    "[admin] Delete a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog remove-tag [options] <name>"))
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a tag to remove")
    activate_session(session, goptions)
    _require_perm(parser, session, 'tag')
    tag = session.getTag(args[0])
    if tag is None:
        error("No such tag: %s" % args[0])
    session.deleteTag(tag['id'])


def handle_lock_tag(goptions, session, args):
    "[admin] Lock tags against changes"
    usage = "usage: %prog lock-tag [options] <tag> [<tag> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--perm", help="permission the lock requires (admin by default)")
    parser.add_option("--glob", action="store_true",
                      help="take the arguments as glob patterns of tag names")
    parser.add_option("--master", action="store_true",
                      help="set the master lock instead of a permission")
    parser.add_option("-n", "--test", action="store_true",
                      help="only tell what would be changed")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a tag")
    activate_session(session, goptions)
    perm_ids = dict((perm['name'], perm['id']) for perm in session.getAllPerms())
    perm = options.perm or 'admin'
    # an unknown permission name ends the command with a KeyError, as upstream does
    perm_id = perm_ids[perm]
    if options.glob:
        tags = _tags_matching(session, args)
        if not tags:
            print("No tags matched")
    else:
        tags = [session.getTag(name, strict=True) for name in args]
    for tag in tags:
        if options.master:
            if tag['locked']:
                print("Tag %s: master lock already set" % tag['name'])
            elif options.test:
                print("Would have set master lock for: %s" % tag['name'])
            else:
                session.editTag2(tag['id'], locked=True)
        elif tag['perm_id'] == perm_id:
            print("Tag %s: %s permission already required" % (tag['name'], perm))
        elif options.test:
            print("Would have set permission requirement %s for tag %s" % (perm, tag['name']))
        else:
            session.editTag2(tag['id'], perm=perm_id)


def handle_unlock_tag(goptions, session, args):
    "[admin] Lift the locks of tags"
    usage = "usage: %prog unlock-tag [options] <tag> [<tag> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--glob", action="store_true",
                      help="take the arguments as glob patterns of tag names")
    parser.add_option("-n", "--test", action="store_true",
                      help="only tell what would be changed")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a tag")
    activate_session(session, goptions)
    if options.glob:
        tags = _tags_matching(session, args)
        if not tags:
            print("No tags matched")
    else:
        tags = []
        for name in args:
            tag = session.getTag(name)
            if tag is None:
                parser.error("No such tag: %s" % name)
            tags.append(tag)
    for tag in tags:
        changes = {}
        if tag['locked']:
            changes['locked'] = False
        if tag['perm_id']:
            changes['perm'] = None
        if not changes:
            print("Tag %s: not locked" % tag['name'])
        elif options.test:
            print("Tag %s: skipping changes: %r" % (tag['name'], changes))
        else:
            session.editTag2(tag['id'], **changes)


def _lookup_build_config(parser, session, name, event_opts):
    """getBuildConfig by name, then by id for numeric arguments; unknown is a usage error."""
    info = session.getBuildConfig(name, **event_opts)
    if info is None:
        try:
            info = session.getBuildConfig(int(name), **event_opts)
        except ValueError:
            info = None
    if info is None:
        parser.error('No such tag: %s' % name)
    return info


def _repo_label(session, tag_id):
    repo = session.getRepo(tag_id)
    if repo is None:
        return "no active repo"
    return "repo#%(id)i: %(creation_time)s" % repo


def _print_taginfo(session, info, perms, event, event_opts, maven):
    print("Tag: %(name)s [%(id)d]" % info)
    print("Arches: %s" % info['arches'])
    groups = sorted(group['name'] for group in session.getTagGroups(info['id'], **event_opts))
    print("Groups: " + ', '.join(groups))
    if info.get('locked'):
        print('LOCKED')
    if info.get('perm_id') is not None:
        print("Required permission: %r" % perms.get(info['perm_id'], info['perm_id']))
    if maven:
        print("Maven support?: %s" % ('yes' if info.get('maven_support') else 'no'))
        print("Include all Maven archives?: %s"
              % ('yes' if info.get('maven_include_all') else 'no'))
    if 'extra' in info:
        print("Tag options:")
        inherited = (info.get('config_inheritance') or {}).get('extra') or {}
        for key in sorted(info['extra']):
            line = "  %s : %s" % (key, pprint.pformat(info['extra'][key]))
            if key in inherited:
                line = "%-30s [%s]" % (line, inherited[key]['name'])
            print(line)
    into = session.getBuildTargets(destTagID=info['id'], **event_opts)
    build_from = session.getBuildTargets(buildTagID=info['id'], **event_opts)
    repos = {}
    if not event:
        for target in into + build_from:
            if target['build_tag'] not in repos:
                repos[target['build_tag']] = _repo_label(session, target['build_tag'])
    if into:
        print("Targets that build into this tag:")
        for target in into:
            if event:
                print("  %s (%s)" % (target['name'], target['build_tag_name']))
            else:
                print("  %s (%s, %s)" % (target['name'], target['build_tag_name'],
                                         repos[target['build_tag']]))
    if build_from:
        print("This tag is a buildroot for one or more targets")
        if not event:
            print("Current repo: %s" % repos[info['id']])
        print("Targets that build from this tag:")
        for target in build_from:
            print("  %s" % target['name'])
    elif not event:
        print("Current repo: %s" % _repo_label(session, info['id']))
    erepos = session.getTagExternalRepos(tag_info=info['id'], **event_opts)
    if erepos:
        print("External repos:")
        for rinfo in erepos:
            rinfo = dict(rinfo)
            if 'arches' not in rinfo:
                rinfo['arches'] = '-'
            elif not rinfo['arches']:
                rinfo['arches'] = 'inherited from tag'
            print("  %(priority)3i %(external_repo_name)s (%(url)s, merge mode: "
                  "%(merge_mode)s), arches: %(arches)s" % rinfo)
    print("Inheritance:")
    for link in session.getInheritanceData(info['id'], **event_opts):
        link = dict(link, flags=inheritance_flags(link))
        print("  %(priority)-4d %(flags)s %(name)s [%(parent_id)s]" % link)
        if link['maxdepth'] is not None:
            print("    maxdepth: %(maxdepth)s" % link)
        if link['pkg_filter']:
            print("    package filter: %(pkg_filter)s" % link)


def anon_handle_taginfo(goptions, session, args):
    "[info] Show the settings, targets and parents of tags"
    usage = "usage: %prog taginfo [options] <tag> [<tag> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    add_event_options(parser)
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a tag")
    ensure_connection(session, goptions)
    event = query_event(session, options)
    event_opts = {'event': event['id']} if event else {}
    perms = dict((perm['id'], perm['name']) for perm in session.getAllPerms())
    tags = [_lookup_build_config(parser, session, name, event_opts) for name in args]
    maven = session.mavenEnabled()
    for num, info in enumerate(tags):
        if num:
            print('')
        _print_taginfo(session, info, perms, event, event_opts, maven)


def anon_handle_list_tags(goptions, session, args):
    "[info] List tag names"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-tags [options] [pattern]"))
    parser.add_option("--show-id", action="store_true", help="add the tag id to each name")
    parser.add_option("--verbose", action="store_true",
                      help="mark locked tags and tags that need a permission")
    parser.add_option("--unlocked", action="store_true",
                      help="leave out locked tags and tags that need a permission")
    parser.add_option("--build", help="only tags holding this build")
    parser.add_option("--package", help="only tags listing this package")
    options, patterns = parser.parse_args(args)
    ensure_connection(session, goptions)
    pkg_id = build_id = None
    if options.package:
        pkginfo = session.getPackage(options.package)
        if not pkginfo:
            parser.error("No such package: %s" % options.package)
        pkg_id = pkginfo['id']
    if options.build:
        buildinfo = session.getBuild(options.build)
        if not buildinfo:
            parser.error("No such build: %s" % options.build)
        build_id = buildinfo['id']
    if not patterns:
        tags = session.listTags(build_id, pkg_id)
    else:
        tags = _list_tags_by_pattern(session, build_id, pkg_id, patterns)
    tags.sort(key=lambda tag: tag['name'])
    for tag in tags:
        if options.unlocked and (tag['locked'] or tag['perm']):
            continue
        line = tag['name']
        if options.show_id:
            line += " [%i]" % tag['id']
        if options.verbose:
            if tag['locked']:
                line += " [LOCKED]"
            if tag['perm']:
                line += " [%s perm required]" % tag['perm']
        print(line)


def _list_tags_by_pattern(session, build_id, pkg_id, patterns):
    """One listTags call per pattern in a multicall; old hubs get matched here instead."""
    try:
        with session.multicall(strict=True) as m:
            calls = [m.listTags(build=build_id, package=pkg_id, pattern=pat)
                     for pat in patterns]
    except koji.ParameterError as e:
        if 'pattern' not in str(e):
            raise
        everything = session.listTags(build_id, pkg_id)
        tags = []
        for pat in patterns:
            tags.extend(t for t in everything if fnmatch.fnmatch(t['name'], pat))
        return tags
    tags = []
    for call in calls:
        tags.extend(call.result)
    return tags
