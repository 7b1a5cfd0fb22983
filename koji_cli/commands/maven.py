"""Maven and Windows build commands: maven-build, maven-chain, wrapper-rpm, win-build.

Like build, they only queue a task (mavenBuild, chainMaven, wrapperRPM, winBuild) after
the checks a client can make itself, then watch it.  Maven parameters come either from
options or from .ini sections (koji.util.parse_maven_param).
"""
from optparse import OptionParser

import koji
from koji_cli.commands.build_rpm import BACKGROUND_PRIORITY, _priority
from koji_cli.commands.tasks import _should_wait, _watch_new_tasks
from koji_cli.lib import activate_session, get_usage_str


def _wait_options(parser):
    parser.add_option("--wait", action="store_true",
                      help="watch the task even when running in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="only queue the task, do not watch it")


def _check_dest(parser, session, target, scratch):
    """The target and its destination tag exist; the tag is open unless scratch."""
    build_target = session.getBuildTarget(target)
    if not build_target:
        parser.error("No such build target: %s" % target)
    dest_tag = session.getTag(build_target['dest_tag'])
    if not dest_tag:
        parser.error("No such destination tag: %s" % build_target['dest_tag_name'])
    if dest_tag['locked'] and not scratch:
        parser.error("Destination tag %s is locked" % dest_tag['name'])


def _print_task(goptions, task_id):
    print("Created task: %d" % task_id)
    print("Task info: %s/taskinfo?taskID=%s" % (goptions.weburl, task_id))


def _single_section(parser, options, wanted_type, what):
    """(section name, params) of the one ini section to use, of the wanted type."""
    try:
        params = koji.util.parse_maven_param(options.inis, scratch=options.scratch,
                                             section=options.section)
    except ValueError as exc:
        parser.error(exc.args[0])
    section, opts = list(params.items())[0]
    if wanted_type is None:
        if opts.pop('type', 'maven') != 'maven':
            parser.error("Section %s does not contain a %s config" % (section, what))
    elif opts.get('type') != wanted_type:
        parser.error("Section %s does not contain a %s config" % (section, what))
    return section, opts


# -- maven-build -------------------------------------------------------------------------

def _maven_build_parser(goptions):
    usage = "usage: %prog maven-build [options] <target> <URL>"
    usage += "\n       %prog maven-build --ini=CONFIG... [options] <target>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--patches", metavar="URL",
                      help="SCM URL of a directory of patches applied before the build")
    parser.add_option("-G", "--goal", action="append", dest="goals", metavar="GOAL",
                      default=[], help="an extra goal to run before \"deploy\"")
    parser.add_option("-P", "--profile", action="append", dest="profiles",
                      metavar="PROFILE", default=[], help="a Maven profile to enable")
    parser.add_option("-D", "--property", action="append", dest="properties",
                      metavar="NAME=VALUE", default=[], help="a system property for Maven")
    parser.add_option("-E", "--env", action="append", dest="envs", metavar="NAME=VALUE",
                      default=[], help="an environment variable of the build")
    parser.add_option("-p", "--package", action="append", dest="packages",
                      metavar="PACKAGE", default=[],
                      help="an extra package to install in the buildroot")
    parser.add_option("-J", "--jvm-option", action="append", dest="jvm_options",
                      metavar="OPTION", default=[], help="an option for the JVM")
    parser.add_option("-M", "--maven-option", action="append", dest="maven_options",
                      metavar="OPTION", default=[], help="an option for Maven")
    parser.add_option("--ini", action="append", dest="inis", metavar="CONFIG", default=[],
                      help="read the build parameters from this .ini file")
    parser.add_option("-s", "--section", help="the .ini section to read")
    parser.add_option("--debug", action="store_true", help="run Maven with --debug")
    parser.add_option("--specfile", metavar="URL",
                      help="SCM URL of a spec file fragment for wrapper rpms")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    parser.add_option("--scratch", action="store_true", help="make a scratch build")
    _wait_options(parser)
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print no task information")
    parser.add_option("--background", action="store_true",
                      help="queue the build at a lower priority")
    return parser


def handle_maven_build(goptions, session, args):
    "[build] Build a Maven package from source"
    parser = _maven_build_parser(goptions)
    options, args = parser.parse_args(args)
    if options.inis:
        if len(args) != 1:
            parser.error("Exactly one argument (a build target) is required")
    elif len(args) != 2:
        parser.error("Exactly two arguments (a build target and a SCM URL) are required")
    activate_session(session, goptions)
    target = args[0]
    _check_dest(parser, session, target, options.scratch)
    if options.inis:
        _section, opts = _single_section(parser, options, None, 'maven-build')
        source = opts.pop('scmurl')
    else:
        source = args[1]
        opts = koji.util.maven_opts(options, scratch=options.scratch)
    if '://' not in source:
        parser.error("No such SCM URL: %s" % source)
    if options.debug:
        opts.setdefault('maven_options', []).append('--debug')
    if options.skip_tag:
        opts['skip_tag'] = True
    task_id = session.mavenBuild(source, target, opts, priority=_priority(options))
    if not options.quiet:
        _print_task(goptions, task_id)
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], options.quiet)


# -- wrapper-rpm -------------------------------------------------------------------------

def handle_wrapper_rpm(goptions, session, args):
    """[build] Build wrapper rpms for any archives associated with a build."""
    usage = "usage: %prog wrapper-rpm [options] <target> <build-id|n-v-r> <URL>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--create-build", action="store_true",
                      help="put the wrapper rpms in a new build")
    parser.add_option("--ini", action="append", dest="inis", metavar="CONFIG", default=[],
                      help="read the build parameters from this .ini file")
    parser.add_option("-s", "--section", help="the .ini section to read")
    parser.add_option("--skip-tag", action="store_true",
                      help="do not tag a newly created build")
    parser.add_option("--scratch", action="store_true", help="make a scratch build")
    _wait_options(parser)
    parser.add_option("--background", action="store_true",
                      help="queue the build at a lower priority")
    parser.add_option("--create-draft", action="store_true",
                      help="put the wrapper rpms in a new draft build")
    parser.add_option("--wait-repo", action="store_true",
                      help="the builder first waits for a current repo of the build tag")
    parser.add_option("--wait-build", metavar="NVR", action="append", dest="wait_builds",
                      default=[],
                      help="the builder first waits for this build in the buildroot repo")
    options, args = parser.parse_args(args)
    if options.inis:
        if len(args) != 1:
            parser.error("Exactly one argument (a build target) is required")
    elif len(args) < 3:
        parser.error("You must provide a build target, a build ID or NVR, "
                     "and a SCM URL to a specfile fragment")
    if options.create_draft:
        print("Will create a draft build instead")
        options.create_build = True
        if options.scratch:
            parser.error("--scratch and --create-draft cannot be both specfied")
    activate_session(session, goptions)
    target = args[0]
    if options.inis:
        _section, params = _single_section(parser, options, 'wrapper', 'wrapper-rpm')
        url = params['scmurl']
        package = params['buildrequires'][0]
        target_info = session.getBuildTarget(target, strict=True)
        latest = session.getLatestBuilds(target_info['dest_tag'], package=package)
        if not latest:
            parser.error("No build of %s in %s" % (package, target_info['dest_tag_name']))
        build = latest[0]['nvr']
    else:
        build = args[1]
        if build.isdigit():
            build = int(build)
        url = args[2]
    opts = {}
    if options.create_draft:
        opts['draft'] = True
    for key in ('create_build', 'skip_tag', 'scratch', 'wait_repo', 'wait_builds'):
        value = getattr(options, key)
        if value is not None:
            opts[key] = value
    task_id = session.wrapperRPM(build, url, target, _priority(options), opts=opts)
    _print_task(goptions, task_id)
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], goptions.quiet)


# -- maven-chain -------------------------------------------------------------------------

def handle_maven_chain(goptions, session, args):
    "[build] Run a set of Maven builds in dependency order"
    usage = "usage: %prog maven-chain [options] <target> <config> [<config> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--skip-tag", action="store_true", help="do not tag the builds")
    parser.add_option("--scratch", action="store_true", help="make scratch builds")
    parser.add_option("--debug", action="store_true", help="run Maven with --debug")
    parser.add_option("--force", action="store_true",
                      help="rebuild every package, even unchanged ones")
    _wait_options(parser)
    parser.add_option("--background", action="store_true",
                      help="queue the builds at a lower priority")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Two arguments (a build target and a config file) are required")
    activate_session(session, goptions)
    target = args[0]
    _check_dest(parser, session, target, options.scratch)
    opts = {}
    for key in ('skip_tag', 'scratch', 'debug', 'force'):
        if getattr(options, key):
            opts[key] = True
    try:
        builds = koji.util.parse_maven_chain(args[1:], scratch=opts.get('scratch'))
    except ValueError as exc:
        parser.error(exc.args[0])
    task_id = session.chainMaven(builds, target, opts, priority=_priority(options))
    _print_task(goptions, task_id)
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], goptions.quiet)


# -- win-build ---------------------------------------------------------------------------

WIN_OPT_KEYS = ('winspec', 'patches', 'cpus', 'mem', 'static_mac', 'specfile', 'scratch',
                'repo_id', 'skip_tag')


def handle_win_build(goptions, session, args):
    """[build] Build a Windows package from source"""
    usage = "usage: %prog win-build [options] <target> <URL> <VM>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--winspec", metavar="URL",
                      help="SCM URL of the build descriptor (default: the root of the "
                           "sources)")
    parser.add_option("--patches", metavar="URL",
                      help="SCM URL of a directory of patches applied before the build")
    parser.add_option("--cpus", type="int", help="cpus of the build VM (admins only)")
    parser.add_option("--mem", type="int",
                      help="memory of the build VM in megabytes (admins only)")
    parser.add_option("--static-mac", action="store_true",
                      help="keep the MAC address of the VM when cloning it")
    parser.add_option("--specfile", metavar="URL",
                      help="SCM URL of a spec file fragment for wrapper rpms")
    parser.add_option("--scratch", action="store_true", help="make a scratch build")
    parser.add_option("--repo-id", type="int", help="build against this repo")
    parser.add_option("--skip-tag", action="store_true", help="do not tag the build")
    parser.add_option("--background", action="store_true",
                      help="queue the build at a lower priority")
    _wait_options(parser)
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print no task information")
    options, args = parser.parse_args(args)
    if len(args) != 3:
        parser.error(
            "Exactly three arguments (a build target, a SCM URL, and a VM name) are required")
    activate_session(session, goptions)
    target = args[0]
    if target.lower() == "none" and options.repo_id:
        target = None
        options.skip_tag = True
    else:
        _check_dest(parser, session, target, options.scratch)
    opts = {}
    for key in WIN_OPT_KEYS:
        value = getattr(options, key)
        if value is not None:
            opts[key] = value
    task_id = session.winBuild(args[2], args[1], target, opts, priority=_priority(options))
    if not options.quiet:
        _print_task(goptions, task_id)
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], options.quiet)


__all__ = ['handle_maven_build', 'handle_wrapper_rpm', 'handle_maven_chain',
           'handle_win_build', 'BACKGROUND_PRIORITY']
