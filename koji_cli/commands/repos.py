"""Repo commands: regen-repo, request-repo, wait-repo, wait-repo-request, repoinfo,
dist-repo and mock-config."""
import os
from optparse import OptionParser

import koji
from koji_cli.commands.tasks import _should_wait, _watch_new_tasks
from koji_cli.lib import (_progress_callback, activate_session, ensure_connection, error,
                          get_usage_str, unique_path, warn)
from koji_cli.repowait import get_watcher, hub_has_requests, print_repo, wait_repo


def _repo_opt_options(parser):
    parser.add_option("--debuginfo", action="store_true", help="put debuginfo rpms in the repo")
    parser.add_option("--source", "--src", action="store_true",
                      help="put source rpms in each arch repo")
    parser.add_option("--separate-source", "--separate-src", action="store_true",
                      help="put source rpms in a src repo of their own")


def _wait_msg_options(parser, goptions, what):
    parser.add_option("--timeout", type="int", default=120,
                      help="minutes to wait %s (default: 120)" % what)
    parser.add_option("-v", "--verbose", action="store_true", help="report progress")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print less")


def _repo_opts(options):
    opts = {}
    if options.debuginfo:
        opts['debuginfo'] = True
    if options.source:
        opts['src'] = True
    if options.separate_source:
        opts['separate_src'] = True
    return opts


def _one_tag_arg(parser, options, args):
    if not args:
        parser.error("A tag name must be specified")
    if len(args) > 1:
        if options.target:
            parser.error("Only a single target may be specified")
        parser.error("Only a single tag name may be specified")
    return args[0]


def _fail_wait(options, err):
    error('' if options.quiet else 'Failed to get repo -- %s' % err)


# -- regen-repo / request-repo ---------------------------------------------------------------

def handle_regen_repo(goptions, session, args):
    "[admin] Make sure a tag has a current repo, regenerating it if needed"
    parser = OptionParser(usage=get_usage_str("usage: %prog regen-repo [options] <tag>"))
    parser.add_option("--target", action="store_true",
                      help="the argument is a build target; use its build tag")
    parser.add_option("--wait", action="store_true",
                      help="wait for the repo, even when running in the background")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="do not wait for the repo")
    parser.add_option("--make-task", action="store_true",
                      help="create a newRepo task directly instead of a repo request")
    _repo_opt_options(parser)
    _wait_msg_options(parser, goptions, "for the repo")
    options, args = parser.parse_args(args)
    if not options.make_task:
        if hub_has_requests(session):
            # the same as request-repo --current
            options.at_event = options.min_event = None
            options.current = True
            return _request_repo(goptions, session, parser, options, args)
        warn('Hub does not support repo requests, attempting to create a task directly.')
    tag = _one_tag_arg(parser, options, args)
    activate_session(session, goptions)
    if options.target:
        target = session.getBuildTarget(tag)
        if not target:
            parser.error("No such build target: %s" % tag)
        info = session.getTag(target['build_tag_name'], strict=True)
    else:
        info = session.getTag(tag)
        if not info:
            parser.error("No such tag: %s" % tag)
        if not session.getBuildTargets(buildTagID=info['id']):
            warn("%s is not a build tag" % info['name'])
    if not info['arches']:
        warn("Tag %s has an empty arch list" % info['name'])
    task_id = session.newRepo(info['name'], **_repo_opts(options))
    print("Regenerating repo for tag: %s" % info['name'])
    print("Created task: %d" % task_id)
    print("Task info: %s/taskinfo?taskID=%s" % (goptions.weburl, task_id))
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], goptions.quiet)


def handle_request_repo(goptions, session, args):
    "[misc] Ask the hub for a repo of a tag"
    parser = OptionParser(usage=get_usage_str("usage: %prog request-repo [options] <tag>"))
    parser.add_option("--target", action="store_true",
                      help="the argument is a build target; use its build tag")
    parser.add_option("--wait", action="store_true", help="wait until the repo exists")
    parser.add_option("--nowait", action="store_false", dest="wait",
                      help="return once the request is made (the default)")
    parser.add_option("--min-event", type="int", help="the repo must be at least this event")
    parser.add_option("--at-event", type="int", help="the repo must be at exactly this event")
    parser.add_option("--current", "--last", action="store_true",
                      help="the repo must reflect the tag as it is now")
    _repo_opt_options(parser)
    _wait_msg_options(parser, goptions, "for the repo")
    options, args = parser.parse_args(args)
    return _request_repo(goptions, session, parser, options, args)


def _request_params(parser, options):
    params = {}
    if options.at_event:
        if options.min_event or options.current:
            parser.error('Cannot specify both min-event and at-event')
        params['at_event'] = options.at_event
    elif options.current:
        if options.min_event:
            parser.error('Cannot specify both min-event and current')
        params['min_event'] = "last"
    elif options.min_event:
        params['min_event'] = options.min_event
    opts = _repo_opts(options)
    if opts:
        params['opts'] = opts
    return params


def _request_repo(goptions, session, parser, options, args):
    """request-repo (and regen-repo on a 1.35 hub): make a request, maybe wait for it."""
    _one_tag_arg(parser, options, args)
    params = _request_params(parser, options)
    activate_session(session, goptions)
    if options.target:
        target = session.getBuildTarget(args[0])
        if not target:
            parser.error("No such build target: %s" % args[0])
        tag = session.getTag(target['build_tag'], strict=True)
    else:
        tag = session.getTag(args[0])
        if not tag:
            parser.error("No such tag: %s" % args[0])
    if not tag['arches']:
        warn("Tag %s has an empty arch list" % tag['name'])
    watcher = get_watcher(goptions, options, session, tag['id'], **params)
    check = watcher.request()
    if check['repo']:
        print_repo(goptions, check['repo'])
        return
    req = check['request']
    if not options.wait:
        print('Got request: %(id)s' % req)
        if req.get('task_id'):
            print('Got task: %(task_id)s' % req)
            print('Task info: %s/taskinfo?taskID=%s' % (goptions.weburl, req['task_id']))
        return
    try:
        repo = watcher.wait_request(req)
    except koji.GenericError as err:
        _fail_wait(options, err)
    print_repo(goptions, repo)


# -- wait-repo / wait-repo-request -----------------------------------------------------------

def _wait_repo_tag(parser, session, options, tag_arg):
    """The tag to wait on, with the warnings about targets wait-repo gives."""
    if options.target:
        target = session.getBuildTarget(tag_arg)
        if not target:
            parser.error("No such build target: %s" % tag_arg)
        return session.getTag(target['build_tag'], strict=True)
    tag = session.getTag(tag_arg)
    if not tag:
        parser.error("No such tag: %s" % tag_arg)
    if not session.getBuildTargets(buildTagID=tag['id']):
        warn("%(name)s is not a build tag for any target" % tag)
        dest_targets = session.getBuildTargets(destTagID=tag['id'])
        if dest_targets:
            names = sorted(set(t['build_tag_name'] for t in dest_targets))
            warn("Suggested tags: %s" % ', '.join(names))
    return tag


def _warn_not_latest(session, tag, builds):
    for nvr in builds:
        latest = session.getLatestBuilds(tag['id'], package=nvr['name'])
        if not latest:
            warn("No %s builds in tag %s" % (nvr['name'], tag['name']))
            continue
        wanted = '%(name)s-%(version)s-%(release)s' % nvr
        if latest[0]['nvr'] != wanted:
            warn("nvr %s is not current in tag %s\n  latest build is %s"
                 % (wanted, tag['name'], latest[0]['nvr']))


def anon_handle_wait_repo(goptions, session, args):
    "[monitor] Wait until a tag has a current repo (or one with given builds)"
    parser = OptionParser(usage=get_usage_str("usage: %prog wait-repo [options] <tag>"))
    parser.add_option("--build", metavar="NVR", dest="builds", action="append", default=[],
                      help="wait until this build is in the repo (repeatable)")
    parser.add_option("--target", action="store_true",
                      help="the argument is a build target; use its build tag")
    parser.add_option("--request", action="store_true",
                      help="make a repo request (needs a login)")
    parser.add_option("--no-request", action="store_false", dest="request",
                      help="do not make a repo request (the default)")
    parser.add_option("--timeout", type="int", default=120,
                      help="minutes to wait before giving up (default: 120)")
    parser.add_option("-v", "--verbose", action="store_true", help="report progress")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="print nothing; the exit code tells the result")
    options, args = parser.parse_args(args)
    builds = [koji.parse_NVR(build) for build in options.builds]
    if not args:
        parser.error("Please specify a tag name")
    if len(args) > 1:
        parser.error("Only one tag may be specified")
    compat = not hub_has_requests(session)
    anon = True
    if options.request:
        if compat:
            error('Hub does not support repo requests')
        goptions.noauth = False
        activate_session(session, goptions)
        anon = False
    elif options.request is None and not compat:
        warn('The --request option is recommended for faster results')
    ensure_connection(session, goptions)
    tag = _wait_repo_tag(parser, session, options, args[0])
    if not options.request and not compat and not tag['extra'].get('repo.auto'):
        warn("This tag is not configured for automatic regeneration")
    _warn_not_latest(session, tag, builds)
    if compat:
        ok, msg = wait_repo(session, tag['id'], builds, poll_interval=goptions.poll_interval,
                            timeout=options.timeout)
        if not ok:
            error('' if options.quiet else msg)
        if not options.quiet:
            print(msg)
        return
    # with builds any repo holding them will do; without, the repo must be current
    min_event = None if builds else "last"
    watcher = get_watcher(goptions, options, session, tag['id'], nvrs=options.builds,
                          min_event=min_event)
    try:
        repo = watcher.waitrepo(anon=anon)
    except koji.GenericError as err:
        _fail_wait(options, err)
    if not options.quiet:
        print_repo(goptions, repo)


def handle_wait_repo_request(goptions, session, args):
    "[monitor] Wait for a repo request to be fulfilled"
    parser = OptionParser(usage=get_usage_str(
        "usage: %prog wait-repo-request [options] <request-id>"))
    _wait_msg_options(parser, goptions, "")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("A request id must be specified")
    if len(args) > 1:
        parser.error("This command only accepts one argument")
    activate_session(session, goptions)
    check = session.repo.checkRequest(args[0])
    if check['repo']:
        print_repo(goptions, check['repo'])
        return
    req = check['request']
    watcher = get_watcher(goptions, options, session, req['tag_id'])
    try:
        watcher.wait_request(req)
    except koji.GenericError as err:
        _fail_wait(options, err)


# -- repoinfo --------------------------------------------------------------------------------

def anon_handle_repoinfo(goptions, session, args):
    "[info] Show repo details"
    parser = OptionParser(usage=get_usage_str(
        "usage: %prog repoinfo [options] <repo-id> [<repo-id> ...]"))
    parser.add_option("--buildroots", action="store_true",
                      help="list the buildroots using each repo")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a repo ID")
    ensure_connection(session, goptions)
    paths = koji.PathInfo(topdir=goptions.topurl)
    with session.multicall() as mc:
        calls = [mc.repoInfo(repo_id, strict=False) for repo_id in args]
    for repo_id, call in zip(args, calls):
        rinfo = call.result
        if not rinfo:
            warn("No such repo: %s\n" % repo_id)
            continue
        url = paths.repo(rinfo['id'], rinfo['tag_name'])
        if rinfo['dist']:
            base = paths.distrepo(rinfo['id'], rinfo['tag_name'])
        else:
            base = url
        print('ID: %s' % rinfo['id'])
        print('Tag ID: %s' % rinfo['tag_id'])
        print('Tag name: %s' % rinfo['tag_name'])
        print('State: %s' % koji.REPO_STATES[rinfo['state']])
        print('Created: %s' % koji.formatTimeLong(rinfo['create_ts']))
        print('Created event: %s' % rinfo['create_event'])
        print('URL: %s' % url)
        print('Repo json: %s' % os.path.join(base, 'repo.json'))
        print('Dist repo?: %s' % ('yes' if rinfo['dist'] else 'no'))
        print('Task ID: %s' % rinfo['task_id'])
        try:
            broots = session.listBuildroots(repoID=rinfo['id'])
        except koji.ParameterError:
            # hubs before 1.33 cannot filter buildroots by repo
            if options.buildroots:
                warn("--buildroots option is available with hub 1.33 or newer")
            continue
        print('Number of buildroots: %i' % len(broots))
        if options.buildroots and broots:
            print('Buildroots ID:')
            for broot in broots:
                print(' ' * 15 + '%s' % broot['id'])


# -- dist-repo -------------------------------------------------------------------------------

_DIST_REPO_USAGE = (
    "usage: %prog dist-repo [options] <tag> <key_id> [<key_id> ...]\n\n"
    "A dist repo is made by a distRepo task like any other task. To keep only one\n"
    "distRepo task per tag running, an admin (with the 'tag' permission) can set the\n"
    "tag's extra field 'distrepo.cancel_others' to True\n"
    "(koji edit-tag -x distrepo.cancel_others=True)\n")


def _dist_repo_parser():
    parser = OptionParser(usage=get_usage_str(_DIST_REPO_USAGE))
    add = parser.add_option
    add('--allow-missing-signatures', action='store_true', default=False,
        help='use the unsigned copy of rpms without a wanted signature')
    add("-a", "--arch", action='append', default=[],
        help="an arch to include (repeatable; default: the tag's arches)")
    add("--with-src", action='store_true', help='also make a src repo')
    add("--split-debuginfo", action='store_true', default=False,
        help='put debuginfo in a repo of its own per arch')
    add('--comps', help='a local comps file to include')
    add('--delta-rpms', metavar='REPO', default=[], action='append',
        help='make delta rpms against this dist repo (id, or a tag with a dist repo); '
             'repeatable')
    add('--event', type='int', help='use the tag content of this event')
    add("--volume", help="make the repo on this volume")
    add('--non-latest', dest='latest', default=True, action='store_false',
        help='include older builds too')
    add("--latest-n", type='int', metavar="N", help="include the N latest builds")
    add('--multilib', default=None, metavar="CONFIG",
        help='add multilib packages as this local config file says')
    add("--noinherit", action='store_true', default=False, help='ignore tag inheritance')
    add("--wait", action="store_true",
        help="watch the task, even when running in the background")
    add("--nowait", action="store_false", dest="wait", help="do not watch the task")
    add('--skip-missing-signatures', action='store_true', default=False,
        help='leave out rpms without a wanted signature')
    add('--zck', action='store_true', default=False, help='also make zchunk metadata')
    add('--zck-dict-dir', action='store', default=None,
        help='zchunk dictionary directory (on the builder)')
    add("--write-signed-rpms", action='store_true', default=False,
        help='write signed copies of the rpms as needed')
    add("--skip-stat", action='store_true', default=None, dest='skip_stat',
        help="let createrepo skip stat of the rpms (overrides the builder)")
    add("--no-skip-stat", action='store_false', default=None, dest='skip_stat',
        help="make createrepo stat the rpms (overrides the builder)")
    return parser


def _upload_local(session, parser, path, serverdir):
    if not os.path.exists(path):
        parser.error('could not find %s' % path)
    session.uploadWrapper(path, serverdir, callback=_progress_callback)
    print('')
    return os.path.join(serverdir, os.path.basename(path))


def _delta_repos(parser, session, wanted):
    found = []
    for repo in wanted:
        if repo.isdigit():
            rinfo = session.repoInfo(int(repo), strict=True)
        else:
            rinfo = session.getRepo(repo, dist=True) or \
                session.getRepo(repo, state=koji.REPO_STATES['EXPIRED'], dist=True)
            if not rinfo:
                parser.error("Can't find repo for tag: %s" % repo)
        found.append(rinfo['id'])
    return found


def _dist_arches(parser, session, taginfo, options):
    allowed = taginfo['arches'] or ''
    if not allowed:
        for link in session.getFullInheritance(taginfo['name']):
            allowed = session.getTag(link['parent_id'])['arches'] or ''
            if allowed:
                break
    if not options.arch:
        options.arch = allowed.split()
        if not options.arch:
            parser.error('No arches given and no arches associated with tag')
        return
    for arch in options.arch:
        if not allowed:
            warn('Tag %s has an empty arch list' % taginfo['name'])
        elif arch not in allowed:
            warn('%s is not in the list of tag arches' % arch)


def handle_dist_repo(goptions, session, args):
    """[misc] Make a signed yum repo (a dist repo) of a tag's rpms"""
    parser = _dist_repo_parser()
    options, args = parser.parse_args(args)
    if not args:
        parser.error('You must provide a tag to generate the repo from')
    if len(args) < 2 and not options.allow_missing_signatures:
        parser.error('Please specify one or more GPG key IDs (or --allow-missing-signatures)')
    if options.allow_missing_signatures and options.skip_missing_signatures:
        parser.error('allow_missing_signatures and skip_missing_signatures are mutually '
                     'exclusive')
    if not options.latest and options.latest_n:
        parser.error("Only --non-latest or --latest-n=N may be specified. Not both.")
    activate_session(session, goptions)
    serverdir = unique_path('cli-dist-repo')
    if options.comps:
        options.comps = _upload_local(session, parser, options.comps, serverdir)
    deltas = _delta_repos(parser, session, options.delta_rpms)
    tag, keys = args[0], args[1:]
    taginfo = session.getTag(tag)
    if not taginfo:
        parser.error('No such tag: %s' % tag)
    _dist_arches(parser, session, taginfo, options)
    if options.multilib:
        if not os.path.exists(options.multilib):
            parser.error('could not find %s' % options.multilib)
        for arch, multi in (('x86_64', 'i686'), ('s390x', 's390'), ('ppc64', 'ppc')):
            if arch in options.arch and multi not in options.arch:
                parser.error('The multilib arch (%s) must be included' % multi)
        options.multilib = _upload_local(session, parser, options.multilib, serverdir)
    if 'noarch' in options.arch:
        options.arch.remove('noarch')
    if options.with_src and 'src' not in options.arch:
        options.arch.append('src')
    if not options.arch:
        parser.error('No arches left.')
    opts = {
        'arch': options.arch,
        'comps': options.comps,
        'delta': deltas,
        'event': options.event,
        'volume': options.volume,
        'inherit': not options.noinherit,
        'multilib': options.multilib,
        'split_debuginfo': options.split_debuginfo,
        'skip_missing_signatures': options.skip_missing_signatures,
        'allow_missing_signatures': options.allow_missing_signatures,
        'zck': options.zck,
        'zck_dict_dir': options.zck_dict_dir,
        'write_signed_rpms': options.write_signed_rpms,
        'latest': options.latest_n or options.latest,
    }
    if options.skip_stat is not None:
        opts['createrepo_skip_stat'] = options.skip_stat
    task_id = session.distRepo(tag, keys, **opts)
    print("Creating dist repo for tag " + tag)
    if _should_wait(options.wait):
        return _watch_new_tasks(goptions, session, [task_id], goptions.quiet)


# -- mock-config -----------------------------------------------------------------------------

def _mock_config_parser():
    parser = OptionParser(usage=get_usage_str("usage: %prog mock-config [options]"))
    add = parser.add_option
    add("-a", "--arch", help="the arch of the buildroot")
    add("-n", "--name", help="the root name (default: TAG-repo_REPOID)")
    add("--tag", help="a config for this (build) tag")
    add("--target", help="a config for the build tag of this target")
    add("--task", help="a config like the one this task's last buildroot used")
    add("--latest", action="store_true",
        help="point at the tag's 'latest' repo link instead of a fixed repo")
    add("--buildroot", help="a config like the one of this buildroot id")
    add("--mockdir", default="/var/lib/mock", metavar="DIR", help="the mock base directory")
    add("--topdir", metavar="DIR",
        help="use file:// repo urls under this directory (wins over --topurl)")
    add("--topurl", metavar="URL", help="the URL Koji files are served under")
    add("--distribution", default="Koji Testing", help="the %distribution macro")
    add("--yum-proxy", help="a proxy for the package manager")
    add("-o", metavar="FILE", dest="ofile", help="write the config to this file")
    return parser


def _int_option(parser, value, message):
    try:
        return int(value)
    except ValueError:
        parser.error(message)


def _mock_source(parser, session, options, opts):
    """Fill tag_name/repoid in opts from the one selection option; returns the arch."""
    if options.buildroot:
        br_id = _int_option(parser, options.buildroot, "Buildroot id must be an integer")
        broot = session.getBuildroot(br_id)
        if broot is None:
            error("No such buildroot: %r" % br_id)
    elif options.task:
        task_id = _int_option(parser, options.task, "Task id must be an integer")
        broots = session.listBuildroots(taskID=task_id)
        if not broots:
            error("No buildroots for task %s (or no such task)" % options.task)
        if len(broots) > 1:
            print("Multiple buildroots found: %s" % [br['id'] for br in broots])
        broot = broots[-1]
        if not options.name:
            options.name = "%s-task_%i" % (broot['tag_name'], task_id)
    elif options.tag or options.target:
        return _mock_tag_source(parser, session, options, opts)
    else:
        parser.error("Please specify one of: --tag, --target, --task, --buildroot")
    opts['repoid'] = 'latest' if options.latest else broot['repo_id']
    opts['tag_name'] = broot['tag_name']
    return broot['arch']


def _mock_tag_source(parser, session, options, opts):
    if not options.arch:
        error("Please specify an arch")
    if options.tag:
        tag = session.getTag(options.tag)
        if not tag:
            parser.error("No such tag: %s" % options.tag)
        config = session.getBuildConfig(tag['id'])
        if not config:
            error("Could not get config info for tag: %(name)s" % tag)
        opts['tag_name'] = tag['name']
        repo_tag = config['id']
    else:
        target = session.getBuildTarget(options.target)
        if not target:
            parser.error("No such build target: %s" % options.target)
        opts['tag_name'] = target['build_tag_name']
        repo_tag = target['build_tag']
    if options.latest:
        opts['repoid'] = 'latest'
    else:
        repo = session.getRepo(repo_tag)
        if not repo:
            error("Could not get a repo for tag: %s" % opts['tag_name'])
        opts['repoid'] = repo['id']
    return options.arch


def _mock_tag_opts(buildcfg, arch, opts):
    """The genMockConfig options a tag's extra settings give."""
    extra = buildcfg['extra']
    if arch and 'mock.forcearch' in extra and bool(extra['mock.forcearch']):
        opts['forcearch'] = arch
    if 'mock.package_manager' in extra:
        opts['package_manager'] = extra['mock.package_manager']
    if 'mock.yum.module_hotfixes' in extra:
        opts['module_hotfixes'] = extra['mock.yum.module_hotfixes']
    if 'mock.yum.best' in extra:
        opts['yum_best'] = int(extra['mock.yum.best'])
    opts['use_bootstrap_image'] = 'mock.bootstrap_image' in extra
    if opts['use_bootstrap_image']:
        opts['bootstrap_image'] = extra['mock.bootstrap_image']
    if 'mock.bootstrap_image_ready' in extra:
        opts['bootstrap_image_ready'] = bool(extra['mock.bootstrap_image_ready'])
    for key, name in (('mock.use_bootstrap', 'use_bootstrap'),
                      ('mock.module_setup_commands', 'module_setup_commands'),
                      ('mock.releasever', 'releasever')):
        if key in extra:
            opts[name] = extra[key]
    opts['tag_macros'] = dict(('%' + key[len('rpm.macro.'):], value)
                              for key, value in extra.items()
                              if key.startswith('rpm.macro.'))


def anon_handle_mock_config(goptions, session, args):
    "[info] Write a mock config for a tag, target, task or buildroot"
    parser = _mock_config_parser()
    options, args = parser.parse_args(args)
    ensure_connection(session, goptions)
    if args:
        # the root name may also come as an argument
        if options.name:
            parser.error("Name already specified via option")
        options.name = args[0]
    opts = {}
    for key in ('topdir', 'topurl', 'distribution', 'mockdir', 'yum_proxy'):
        if getattr(options, key, None) is not None:
            opts[key] = getattr(options, key)
    if opts.get('topdir'):
        opts.pop('topurl', None)
    elif not opts.get('topurl'):
        opts['topurl'] = goptions.topurl
    arch = _mock_source(parser, session, options, opts)
    name = options.name or "%(tag_name)s-repo_%(repoid)s" % opts
    event = None
    if opts['repoid'] != 'latest':
        event = session.repoInfo(opts['repoid'])['create_event']
    buildcfg = session.getBuildConfig(opts['tag_name'], event=event)
    if arch:
        if not buildcfg['arches']:
            warn("Tag %s has an empty arch list" % opts['tag_name'])
        elif arch not in buildcfg['arches']:
            warn('%s is not in the list of tag arches' % arch)
    _mock_tag_opts(buildcfg, arch, opts)
    output = koji.genMockConfig(name, arch, **opts)
    if options.ofile:
        with open(options.ofile, 'wt') as handle:
            handle.write(output)
    else:
        print(output)
