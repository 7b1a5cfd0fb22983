"""Commands that put builds into tags, take them out, or move them between tags.

Tagging and moving go through hub tasks (a builder does the write, so the tag policy
and notifications run there); untagging is immediate.
"""
import itertools
from optparse import OptionParser

import koji
from koji_cli.commands.tasks import _should_wait, _watch_new_tasks
from koji_cli.lib import activate_session, error, get_usage_str, warn


def _nvr(entry):
    """name-version-release of a tag_listing history row."""
    return '%s-%s-%s' % (entry['name'], entry['version'], entry['release'])


def _wait_options(parser, plural):
    what = 'tasks' if plural else 'the task'
    parser.add_option("--wait", action="store_true",
                      help="watch %s even when running in the background" % what)
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="only create %s, do not watch" % what)


def handle_tag_build(goptions, session, args):
    "[bind] Add one or more builds to a tag"
    usage = "usage: %prog tag-build [options] <tag> <pkg> [<pkg> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", help="override checks where allowed")
    _wait_options(parser, False)
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("This command takes at least two arguments: a tag name/ID and one or "
                     "more package n-v-r's")
    activate_session(session, goptions)
    task_ids = []
    for build in args[1:]:
        task_id = session.tagBuild(args[0], build, force=options.force)
        task_ids.append(task_id)
        print("Created task %d" % task_id)
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, task_ids, goptions.quiet)


def handle_move_build(goptions, session, args):
    "[bind] Move one or more builds from one tag to another"
    usage = "usage: %prog move-build [options] <tag1> <tag2> <pkg> [<pkg> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--force", action="store_true", help="override checks where allowed")
    _wait_options(parser, True)
    parser.add_option("--all", action="store_true",
                      help="the <pkg> arguments are package names: move all their builds")
    options, args = parser.parse_args(args)
    if len(args) < 3:
        if options.all:
            parser.error("This command, with --all, takes at least three arguments: two tags "
                         "and one or more package names")
        parser.error("This command takes at least three arguments: two tags and one or more "
                     "package n-v-r's")
    activate_session(session, goptions)
    tag1, tag2 = args[:2]
    task_ids = []
    if options.all:
        for name in args[2:]:
            if not session.getPackage(name):
                print("No such package: %s, skipping." % name)
                continue
            task_ids.extend(session.moveAllBuilds(tag1, tag2, name, options.force))
    else:
        builds = []
        for arg in args[2:]:
            build = session.getBuild(arg)
            if not build:
                print("No such build: %s, skipping." % arg)
            elif build not in builds:
                builds.append(build)
        for build in builds:
            task_id = session.moveBuild(tag1, tag2, build['id'], options.force)
            task_ids.append(task_id)
            print("Created task %d, moving %s" % (task_id, koji.buildLabel(build)))
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, task_ids, goptions.quiet)


def _tagged_by_package(session, tag, packages):
    """Active tag_listing rows of the tag for each package, in argument order."""
    with session.multicall() as m:
        calls = [m.queryHistory(tables=['tag_listing'], tag=tag, package=pkg, active=True)
                 for pkg in packages]
    return list(itertools.chain.from_iterable(c.result['tag_listing'] for c in calls))


def _tagged(session, tag):
    return session.queryHistory(tables=['tag_listing'], tag=tag, active=True)['tag_listing']


def _all_but_latest(rows, verbose):
    """Rows of every package except its most recently tagged build."""
    rows = sorted(rows, key=lambda r: r['create_event'], reverse=True)
    seen = set()
    older = []
    for row in rows:
        if row['name'] in seen:
            older.append(row)
            continue
        seen.add(row['name'])
        if verbose:
            print("Leaving latest build for package %s: %s" % (row['name'], _nvr(row)))
    return older


def _named_builds(session, tag, nvrs, force):
    """Rows for explicit NVRs; one that is not in the tag is an error unless forced."""
    for nvr in nvrs:
        # only to refuse malformed arguments the way the hub would
        koji.parse_NVR(nvr)
    present = dict((_nvr(row), row) for row in _tagged(session, tag['id']))
    found = []
    for nvr in nvrs:
        row = present.get(nvr)
        if row is not None:
            found.append(row)
            continue
        if session.getBuild(nvr):
            warn("Build %s not in tag %s" % (nvr, tag['name']))
        else:
            warn("No such build: %s" % nvr)
        if not force:
            error()
    return found


def handle_untag_build(goptions, session, args):
    "[bind] Take one or more builds out of a tag"
    usage = "usage: %prog untag-build [options] <tag> <pkg> [<pkg> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--all", action="store_true",
                      help="the <pkg> arguments are package names: untag all their builds")
    parser.add_option("--non-latest", action="store_true",
                      help="the <pkg> arguments are package names: untag all their builds "
                           "but the latest")
    parser.add_option("-n", "--test", action="store_true",
                      help="only show what would be untagged")
    parser.add_option("-v", "--verbose", action="store_true", help="say what is done")
    parser.add_option("--force", action="store_true",
                      help="override checks where allowed")
    options, args = parser.parse_args(args)
    if options.non_latest and options.force:
        if not args:
            parser.error("Please specify a tag")
    elif len(args) < 2:
        parser.error("This command takes at least two arguments: a tag name/ID and one or "
                     "more package n-v-r's or package names")
    activate_session(session, goptions)
    tag = session.getTag(args[0])
    if not tag:
        parser.error("No such tag: %s" % args[0])
    if options.all:
        builds = _tagged_by_package(session, args[0], args[1:])
    elif options.non_latest:
        if len(args) == 1:
            rows = _tagged(session, args[0])
        else:
            rows = _tagged_by_package(session, args[0], args[1:])
        builds = _all_but_latest(rows, options.verbose)
    else:
        builds = _named_builds(session, tag, args[1:], options.force)
    builds.reverse()
    with session.multicall(strict=True) as m:
        for row in builds:
            if options.test:
                print("would have untagged %s" % _nvr(row))
                continue
            if options.verbose:
                print("untagging %s" % _nvr(row))
            m.untagBuild(tag['name'], _nvr(row), force=options.force)
