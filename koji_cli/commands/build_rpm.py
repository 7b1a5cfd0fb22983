"""Commands that start rpm builds (build, chain-build) and promote-build for drafts.

The hub only queues a task; a builder does the work. These commands check what the
client can check up front (target, destination tag lock, argument shapes), upload a local
SRPM when given one, and then watch the task as every task-creating command does.
"""
import json
import os
import textwrap
from optparse import OptionParser

import koji
from koji_cli.commands.tasks import _should_wait, _watch_new_tasks
from koji_cli.lib import (_progress_callback, _running_in_bg, activate_session, error,
                          get_usage_str, unique_path, warn)

# a --background build is queued at this priority, relative to koji.PRIO_DEFAULT
BACKGROUND_PRIORITY = 5
# the opts keys passed to the hub when set on the command line
BUILD_OPT_KEYS = ('skip_tag', 'scratch', 'repo_id', 'fail_fast', 'wait_repo', 'wait_builds',
                  'rebuild_srpm', 'draft')


def _wait_options(parser):
    parser.add_option("--wait", action="store_true",
                      help="watch the task even when running in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="only queue the task, do not watch it")


def _priority(options):
    return BACKGROUND_PRIORITY if options.background else None


def _announce_and_watch(goptions, session, options, task_id):
    """Print the task header lines and watch the task when the rules say so."""
    if not options.quiet:
        print("Created task: %d" % task_id)
        print("Task info: %s/taskinfo?taskID=%s" % (goptions.weburl, task_id))
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], options.quiet)
    return None


# -- build -----------------------------------------------------------------------------------

BUILD_USAGE = """\
    usage: %prog build [options] <target> <srpm path or scm url>

    The target names a build tag (what the buildroot is made from) and a
    destination tag (where the finished build is tagged).

    '%prog list-targets' shows the targets of the hub.
    More detail can be found in the documentation.
    https://docs.pagure.org/koji/HOWTO/#package-organization"""


def _build_parser(goptions):
    parser = OptionParser(usage=get_usage_str(textwrap.dedent(BUILD_USAGE)))
    parser.add_option("--skip-tag", action="store_true",
                      help="do not tag the build in the destination tag")
    parser.add_option("--scratch", action="store_true",
                      help="scratch build: results are kept, nothing is imported")
    parser.add_option("--rebuild-srpm", action="store_true", dest="rebuild_srpm",
                      help="rebuild the srpm in the buildroot (scratch builds only)")
    parser.add_option("--no-rebuild-srpm", action="store_false", dest="rebuild_srpm",
                      help="use the srpm as given (scratch builds only)")
    _wait_options(parser)
    parser.add_option("--wait-repo", action="store_true",
                      help="the builder first waits for a current repo of the build tag")
    parser.add_option("--wait-build", metavar="NVR", action="append", dest="wait_builds",
                      default=[],
                      help="the builder first waits for this build in the buildroot repo "
                           "(repeatable)")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print no upload or task information")
    parser.add_option("--arch-override", help="build only for these arches (scratch only)")
    parser.add_option("--fail-fast", action="store_true",
                      help="fail at the first failed arch, whatever the tag allows")
    parser.add_option("--repo-id", type="int", help="build against this repo")
    parser.add_option("--noprogress", action="store_true",
                      help="draw no upload progress bar")
    parser.add_option("--background", action="store_true",
                      help="queue the build at a lower priority")
    parser.add_option("--custom-user-metadata", type="str",
                      help="a JSON object stored in the build's "
                           "extra.custom_user_metadata")
    parser.add_option("--draft", action="store_true", help="make a draft build")
    return parser


def _check_build_args(parser, options, args):
    """Argument rules checked before logging in; returns the custom metadata dict."""
    if len(args) != 2:
        parser.error("Exactly two arguments (a build target and a SCM URL or srpm file) are "
                     "required")
    if options.rebuild_srpm is not None and not options.scratch:
        parser.error("--no-/rebuild-srpm is only allowed for --scratch builds")
    if options.arch_override and not options.scratch:
        parser.error("--arch_override is only allowed for --scratch builds")
    if options.scratch and options.draft:
        parser.error("--scratch and --draft cannot be both specfied")
    metadata = {}
    if options.custom_user_metadata:
        try:
            metadata = json.loads(options.custom_user_metadata)
        except ValueError:
            parser.error("--custom-user-metadata is not valid JSON")
    if not isinstance(metadata, dict):
        parser.error("--custom-user-metadata must be a JSON object")
    return metadata


def _check_target(parser, session, options, target):
    """The target to pass to the hub (None for `none` with --repo-id)."""
    if target.lower() == "none" and options.repo_id:
        options.skip_tag = True
        return None
    build_target = session.getBuildTarget(target)
    if not build_target:
        parser.error("No such build target: %s" % target)
    dest_tag = session.getTag(build_target['dest_tag'])
    if not dest_tag:
        parser.error("No such destination tag: %s" % build_target['dest_tag_name'])
    if dest_tag['locked'] and not options.scratch:
        parser.error("Destination tag %s is locked" % dest_tag['name'])
    return target


def _build_opts(options, metadata):
    opts = {}
    if options.arch_override:
        opts['arch_override'] = koji.parse_arches(options.arch_override)
    for key in BUILD_OPT_KEYS:
        value = getattr(options, key)
        if value is not None:
            opts[key] = value
    opts['custom_user_metadata'] = metadata
    return opts


def upload_srpm(session, options, path):
    """Send a local srpm to a fresh upload dir; returns the path the hub takes."""
    if not options.quiet:
        print("Uploading srpm: %s" % path)
    serverdir = unique_path('cli-build')
    quiet_bar = _running_in_bg() or options.noprogress or options.quiet
    session.uploadWrapper(path, serverdir, callback=None if quiet_bar else _progress_callback)
    # ends the progress line (an empty line when there was none)
    print('')
    return "%s/%s" % (serverdir, os.path.basename(path))


def handle_build(goptions, session, args):
    "[build] Build a package from source"
    parser = _build_parser(goptions)
    options, args = parser.parse_args(args)
    metadata = _check_build_args(parser, options, args)
    activate_session(session, goptions)
    target = _check_target(parser, session, options, args[0])
    opts = _build_opts(options, metadata)
    source = args[1]
    if '://' not in source:
        source = upload_srpm(session, options, source)
    task_id = session.build(source, target, opts, priority=_priority(options))
    return _announce_and_watch(goptions, session, options, task_id)


# -- chain-build -----------------------------------------------------------------------------

def _looks_like_nvr(src):
    return '/' not in src and not src.endswith('.rpm') and len(src.split('-')) >= 3


def chain_levels(sources):
    """Group the sources into build levels at each lone ':'; empty levels vanish."""
    levels = []
    level = []
    for src in sources:
        if src == ':':
            if level:
                levels.append(level)
                level = []
        elif '://' in src or _looks_like_nvr(src):
            level.append(src)
        else:
            error('"%s" is not a SCM URL or package N-V-R' % src)
    if level:
        levels.append(level)
    return levels


def handle_chain_build(goptions, session, args):
    "[build] Build one or more packages from source"
    usage = "usage: %prog chain-build [options] <target> <URL> [<URL> [:] <URL> [:] <URL> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    _wait_options(parser)
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print no task information")
    parser.add_option("--background", action="store_true",
                      help="queue the builds at a lower priority")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("At least two arguments (a build target and a SCM URL) are required")
    activate_session(session, goptions)
    target = args[0]
    build_target = session.getBuildTarget(target)
    if not build_target:
        parser.error("No such build target: %s" % target)
    dest_tag = session.getTag(build_target['dest_tag'], strict=True)
    if dest_tag['locked']:
        parser.error("Destination tag %s is locked" % dest_tag['name'])
    # later levels build against earlier ones only if the build tag sees the dest tag
    ancestors = session.getFullInheritance(build_target['build_tag'])
    seen = [build_target['build_tag']] + [a['parent_id'] for a in ancestors]
    if dest_tag['id'] not in seen:
        warn("Packages in destination tag %(dest_tag_name)s are not inherited by build tag "
             "%(build_tag_name)s" % build_target)
        error("Target %s is not usable for a chain-build" % build_target['name'])
    levels = chain_levels(args[1:])
    if len(levels) < 2:
        parser.error('You must specify at least one dependency between builds with : (colon)\n'
                     'If there are no dependencies, use the build command instead')
    task_id = session.chainBuild(levels, target, priority=_priority(options))
    return _announce_and_watch(goptions, session, options, task_id)


# -- promote-build ---------------------------------------------------------------------------

def handle_promote_build(goptions, session, args):
    "[misc] Promote a draft build"
    usage = "usage: %prog promote-build [options] <draft-build>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option('-f', '--force', action='store_true', default=False,
                      help='promote even where the policy says no (admin only)')
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify a draft build")
    draft = args[0]
    try:
        draft = int(draft)
    except ValueError:
        pass
    activate_session(session, goptions)
    if options.force and not session.hasPerm('admin'):
        parser.error("--force requires admin privilege")
    binfo = session.getBuild(draft)
    if not binfo:
        error("No such build: %s" % draft)
    if not binfo.get('draft'):
        error("Not a draft build: %s" % draft)
    promoted = session.promoteBuild(binfo['id'], force=options.force)
    print("%s has been promoted to %s" % (binfo['nvr'], promoted['nvr']))
