"""Commands for external repositories and their links to tags."""
import time
from optparse import OptionParser

import koji
import koji.util
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str, warn


def anon_handle_list_external_repos(goptions, session, args):
    "[info] Print external repos, or those a tag uses"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-external-repos [options]"))
    parser.add_option("--url", help="only repos with this url")
    parser.add_option("--name", help="only the repo of this name")
    parser.add_option("--id", type="int", help="only the repo of this id")
    parser.add_option("--tag", help="only repos this tag uses")
    parser.add_option("--used", action="store_true",
                      help="show the tags that use the repos")
    parser.add_option("--inherit", action="store_true",
                      help="with --tag, include repos the tag inherits")
    parser.add_option("--event", type='int', metavar="EVENT#",
                      help="answer as of this event")
    parser.add_option("--ts", type='int', metavar="TIMESTAMP",
                      help="answer as of the last event before this time")
    parser.add_option("--repo", type='int', metavar="REPO#",
                      help="answer as of the event this (internal) repo was made at")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    ensure_connection(session, goptions)
    opts = {}
    event = koji.util.eventFromOpts(session, options)
    if event:
        opts['event'] = event['id']
        print("Querying at event %i (%s)"
              % (event['id'], time.asctime(time.localtime(event['ts']))))
    selected = options.id or options.name or None
    if options.tag:
        opts['tag_info'] = options.tag
        if options.inherit:
            if selected:
                parser.error("Can't select by repo when using --inherit")
            data = session.getExternalRepoList(**opts)
            layout = 'multitag'
        else:
            opts['repo_info'] = selected
            data = session.getTagExternalRepos(**opts)
            layout = 'tag'
    elif options.used:
        opts['repo_info'] = selected
        data = session.getTagExternalRepos(**opts)
        layout = 'multitag'
    else:
        opts['info'] = selected
        opts['url'] = options.url or None
        data = session.listExternalRepos(**opts)
        layout = 'basic'
    if layout == 'basic':
        row = "%(name)-25s %(url)s"
        header = "%-25s %s" % ("External repo name", "URL")
        widths = (25, 40)
    elif layout == 'tag':
        row = "%(priority)-3i %(external_repo_name)-25s %(merge_mode)-10s %(url)s"
        header = "%-3s %-25s %-10s URL" % ("Pri", "External repo name", "Mode")
        widths = (3, 25, 10, 40)
    else:
        row = "%(tag_name)-20s %(priority)-3i %(merge_mode)-10s %(external_repo_name)s"
        header = "%-20s %-3s %-10s %s" % ("Tag", "Pri", "Mode", "External repo name")
        widths = (20, 3, 10, 25)
    if not options.quiet:
        print(header)
        print(' '.join('-' * w for w in widths))
    for rinfo in data:
        # hubs before merge modes existed leave the key out
        rinfo.setdefault('merge_mode', None)
        print(row % rinfo)


def _split_tag_priority(value):
    """``TAG`` or ``TAG::N``; N of ``auto`` or ``-1`` means pick one automatically."""
    tag, sep, pri = value.rpartition('::')
    if not sep:
        return value, None
    if pri in ('auto', '-1'):
        return tag, None
    try:
        return tag, int(pri)
    except ValueError:
        raise koji.GenericError("Invalid priority: %s" % pri)


def _next_priority(session, tag):
    """A free priority after the tag's last repo, a multiple of 5 leaving room before it."""
    links = session.getTagExternalRepos(tag_info=tag)
    if not links:
        return 5
    return (links[-1]['priority'] + 7) // 5 * 5


def handle_add_external_repo(goptions, session, args):
    "[admin] Create an external repo and/or attach one to tags"
    usage = "usage: %prog add-external-repo [options] <name> [<url>]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-t", "--tag", action="append", metavar="TAG",
                      help="also attach the repo to TAG; TAG::N sets priority N")
    parser.add_option("-p", "--priority", type='int',
                      help="priority of the repo in the tags it is attached to")
    parser.add_option("-m", "--mode", help="merge mode of the tag link")
    parser.add_option("-a", "--arches", metavar="ARCH1,ARCH2, ...",
                      help="use only these arches of the repo")
    options, args = parser.parse_args(args)
    activate_session(session, goptions)
    if options.mode:
        if options.mode not in koji.REPO_MERGE_MODES:
            parser.error('Invalid mode: %s' % options.mode)
        if not options.tag:
            parser.error('The --mode option can only be used with --tag')
    if len(args) == 1:
        rinfo = session.getExternalRepo(args[0], strict=True)
        if not options.tag:
            parser.error("A url is required to create an external repo entry")
    elif len(args) == 2:
        rinfo = session.createExternalRepo(args[0], args[1])
        print("Created external repo %i" % rinfo['id'])
    else:
        parser.error("Incorrect number of arguments")
    for value in options.tag or ():
        tag, priority = _split_tag_priority(value)
        if priority is None:
            if options.priority is not None:
                priority = options.priority
            else:
                priority = _next_priority(session, tag)
        callopts = {}
        if options.mode:
            callopts['merge_mode'] = options.mode
        if options.arches:
            callopts['arches'] = options.arches
        session.addExternalRepoToTag(tag, rinfo['name'], priority, **callopts)
        print("Added external repo %s to tag %s (priority %i)" % (rinfo['name'], tag, priority))


def handle_edit_external_repo(goptions, session, args):
    "[admin] Change an external repo or its settings in a tag"
    usage = "usage: %prog edit-external-repo [options] <name>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--url", help="new url of the repo")
    parser.add_option("--name", help="new name of the repo")
    parser.add_option("-t", "--tag", metavar="TAG",
                      help="change the settings of the repo in this tag")
    parser.add_option("-p", "--priority", metavar="PRIORITY", type='int',
                      help="new priority of the repo in the --tag tag")
    parser.add_option("-m", "--mode", metavar="MODE",
                      help="new merge mode in the --tag tag (%s)"
                      % ", ".join(sorted(koji.REPO_MERGE_MODES)))
    parser.add_option("-a", "--arches", metavar="ARCH1,ARCH2, ...",
                      help="use only these arches of the repo in the --tag tag")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Incorrect number of arguments")
    repo_opts = {}
    if options.url:
        repo_opts['url'] = options.url
    if options.name:
        repo_opts['name'] = options.name
    link_opts = {}
    if options.tag:
        if options.priority is not None:
            link_opts['priority'] = options.priority
        if options.mode:
            link_opts['merge_mode'] = options.mode
        if options.arches is not None:
            link_opts['arches'] = options.arches
        if not link_opts:
            parser.error("At least, one of priority and merge mode should be specified")
        link_opts['tag_info'] = options.tag
        link_opts['repo_info'] = args[0]
    else:
        for name in ('priority', 'mode', 'arches'):
            if getattr(options, name) is not None:
                parser.error("If %s is specified, --tag must be specified as well" % name)
    if not (repo_opts or link_opts):
        parser.error("No changes specified")
    activate_session(session, goptions)
    if repo_opts:
        session.editExternalRepo(args[0], **repo_opts)
    if link_opts:
        session.editTagExternalRepo(**link_opts)


def handle_remove_external_repo(goptions, session, args):
    "[admin] Detach an external repo from tags, or delete it"
    usage = "usage: %prog remove-external-repo <repo> [<tag> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--alltags", action="store_true", help="detach it from every tag")
    parser.add_option("--force", action="store_true", help="delete it even if tags use it")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("Incorrect number of arguments")
    activate_session(session, goptions)
    repo = args[0]
    tags = args[1:]
    delete = not tags
    current = [link['tag_name'] for link in session.getTagExternalRepos(repo_info=repo)]
    if options.alltags:
        delete = False
        if tags:
            parser.error("Do not specify tags when using --alltags")
        if not current:
            if not options.force:
                warn("External repo %s not associated with any tags" % repo)
                return 0
            delete = True
        tags = current
    if delete:
        if current and not options.force:
            warn("Error: external repo %s used by tag(s): %s" % (repo, ', '.join(current)))
            error("Use --force to remove anyway")
        session.deleteExternalRepo(repo)
        return
    for tag in tags:
        if tag not in current:
            print("External repo %s not associated with tag %s" % (repo, tag))
            continue
        session.removeExternalRepoFromTag(tag, repo)
