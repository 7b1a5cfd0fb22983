"""Commands that show builds: buildinfo, list-builds, list-untagged, latest-build, list-tagged."""
import os
import textwrap
import time
from optparse import OptionParser

import koji
import koji.util
from koji_cli.lib import TimeOption, ensure_connection, error, get_usage_str, warn

# column layouts shared by latest-build and list-tagged
_BUILD_HEADER = ("%-40s  %-20s  %s" % ("Build", "Tag", "Built by"),
                 "%s  %s  %s" % ("-" * 40, "-" * 20, "-" * 16))
_MAVEN_HEADER = ("%-40s  %-20s  %-20s  %-20s  %s"
                 % ("Build", "Tag", "Group Id", "Artifact Id", "Built by"),
                 "%s  %s  %s  %s  %s" % ("-" * 40, "-" * 20, "-" * 20, "-" * 20, "-" * 16))
_BUILD_ROW = "%(label)-40s  %(tag_name)-20s  %(owner_name)s"
_MAVEN_ROW = ("%(label)-40s  %(tag_name)-20s  %(maven_group_id)-20s  "
              "%(maven_artifact_id)-20s  %(owner_name)s")

_LIST_BUILDS_SORT_KEYS = ('build_id', 'owner_name', 'state')


# -- shared helpers ----------------------------------------------------------------------


def _print_sorted(lines):
    for line in sorted(lines):
        print(line)


def _tagged_build_lines(builds, btype, paths):
    """Rows of the build table latest-build and list-tagged print."""
    maven = btype == 'maven'
    lines = []
    for build in builds:
        if paths:
            label = koji.pathinfo.mavenbuild(build) if maven else koji.pathinfo.build(build)
        else:
            label = build['nvr']
        lines.append((_MAVEN_ROW if maven else _BUILD_ROW) % dict(build, label=label))
    return lines


def _print_build_header(btype):
    for line in (_MAVEN_HEADER if btype == 'maven' else _BUILD_HEADER):
        print(line)


def _rpm_label(rpm):
    return "%(name)s-%(version)s-%(release)s.%(arch)s" % rpm


# -- buildinfo -----------------------------------------------------------------------------


def _archive_sections(info, typed, others):
    """(heading, paths) of every archive group of a build, in the order shown.

    typed holds the maven, win and image listings; the rest are grouped by btype in the
    order the hub lists them.
    """
    pathinfo = koji.pathinfo
    builders = (
        ('Maven archives:', lambda a: os.path.join(pathinfo.mavenbuild(info),
                                                   pathinfo.mavenfile(a))),
        ('Windows archives:', lambda a: os.path.join(pathinfo.winbuild(info),
                                                     pathinfo.winfile(a))),
        ('Image archives:', lambda a: os.path.join(pathinfo.imagebuild(info), a['filename'])),
    )
    seen = set()
    sections = []
    for (heading, path_of), archives in zip(builders, typed):
        if archives:
            seen.update(a['id'] for a in archives)
            sections.append((heading, [path_of(a) for a in archives]))
    by_btype = {}
    for archive in others:
        if archive['id'] not in seen:
            by_btype.setdefault(archive['btype'], []).append(archive)
    for btype, archives in by_btype.items():
        typedir = pathinfo.typedir(info, btype)
        sections.append(('%s Archives:' % btype.capitalize(),
                         [os.path.join(typedir, a['filename']) for a in archives]))
    return sections


def _print_buildinfo(session, build, info, changelog):
    """Everything buildinfo shows about one build (info is its getBuild record)."""
    task_id = koji.util.extract_build_task(info)
    with session.multicall(strict=True) as m:
        tags = m.listTags(build)
        task = m.getTaskInfo(task_id, request=True) if task_id else None
        maven = m.getMavenBuild(info['id'])
        win = m.getWinBuild(info['id'])
        typed = [m.listArchives(buildID=info['id'], type=t) for t in ('maven', 'win', 'image')]
        others = m.listArchives(buildID=info['id'])
        rpms = m.listRPMs(buildID=info['id'])
        entries = m.getChangelogEntries(info['id']) if changelog else None
    task = task.result if task else None
    state = koji.BUILD_STATES[info['state']]
    print("BUILD: %(name)s-%(version)s-%(release)s [%(id)d]" % info)
    if info.get('draft'):
        print("Draft: YES")
    print("State: %s" % state)
    if state == 'BUILDING':
        print("Reserved by: %s" % info['cg_name'])
    print("Built by: %s" % info['owner_name'])
    if info.get('source') is not None:
        print("Source: %s" % info['source'])
    if 'volume_name' in info:
        print("Volume: %s" % info['volume_name'])
    if task:
        print("Task: %s %s" % (task['id'], koji.taskLabel(task)))
    else:
        print("Task: none")
    print("Finished: %s" % koji.formatTimeLong(info['completion_ts']))
    if info.get('promotion_ts'):
        print("Promoted by: %s" % info['promoter_name'])
        print("Promoted at: %s" % koji.formatTimeLong(info['promotion_ts']))
    if maven.result:
        print("Maven groupId: %s" % maven.result['group_id'])
        print("Maven artifactId: %s" % maven.result['artifact_id'])
        print("Maven version: %s" % maven.result['version'])
    if win.result:
        print("Windows build platform: %s" % win.result['platform'])
    print("Tags: %s" % ' '.join(tag['name'] for tag in tags.result))
    if info.get('extra'):
        print("Extra: %r" % (info['extra'],))
    for heading, paths in _archive_sections(info, [c.result for c in typed], others.result):
        print(heading)
        for path in paths:
            print(path)
    _print_build_rpms(session, info, rpms.result)
    if entries is not None and entries.result:
        print("Changelog:")
        print(koji.util.formatChangelog(entries.result))


def _print_build_rpms(session, info, rpms):
    """RPM paths of a build, each with the keys it has signatures for."""
    if not rpms:
        return
    with session.multicall(strict=True) as m:
        sigs = [m.queryRPMSigs(rpm['id']) for rpm in rpms]
    print("RPMs:")
    builddir = koji.pathinfo.build(info)
    for rpm, call in zip(rpms, sigs):
        line = os.path.join(builddir, koji.pathinfo.rpm(rpm))
        keys = sorted(sig['sigkey'] for sig in call.result if sig['sigkey'])
        if keys:
            line += '\tSignatures: %s' % ', '.join(keys)
        print(line)


def anon_handle_buildinfo(goptions, session, args):
    "[info] Show the details of builds"
    usage = "usage: %prog buildinfo [options] <n-v-r> [<n-v-r> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--changelog", action="store_true",
                      help="add the changelog of the build's source rpm")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a build")
    ensure_connection(session, goptions)
    failed = False
    for build in args:
        if build.isdigit():
            build = int(build)
        info = session.getBuild(build)
        if info is None:
            warn("No such build: %s\n" % build)
            failed = True
            continue
        _print_buildinfo(session, build, info, options.changelog)
    if failed:
        error()


# -- list-builds ---------------------------------------------------------------------------


def _id_or(value, lookup):
    """An int given on the command line as is, otherwise what lookup finds (or None)."""
    try:
        return int(value)
    except ValueError:
        return lookup(value)


def _volume_id(session, name):
    for volume in session.listVolumes():
        if volume['name'] == name:
            return volume['id']
    return None


def _user_id(session, name):
    user = session.getUser(name)
    return user['id'] if user else None


def _build_state(parser, value):
    try:
        state = int(value)
    except ValueError:
        if value not in koji.BUILD_STATES:
            parser.error("Invalid state: %s" % value)
        return koji.BUILD_STATES[value]
    if state < 0 or state > 4:
        parser.error("Invalid state: %s" % value)
    return state


def _list_builds_filters(parser, options, session):
    """The listBuilds keyword arguments the options ask for (lookups done on the way)."""
    opts = {}
    for key in ('type', 'prefix', 'pattern'):
        if getattr(options, key) is not None:
            opts[key] = getattr(options, key)
    if options.no_draft and options.draft_only:
        # (sic) the upstream client spells it this way
        parser.error("--draft-only conflits with --no-draft")
    if options.no_draft:
        opts['draft'] = False
    elif options.draft_only:
        opts['draft'] = True
    if options.cg:
        opts['cgID'] = options.cg
    lookups = (
        ('package', 'packageID', 'package', session.getPackageID),
        ('owner', 'userID', 'user', lambda name: _user_id(session, name)),
        ('volume', 'volumeID', 'volume', lambda name: _volume_id(session, name)),
    )
    for option, key, label, lookup in lookups:
        value = getattr(options, option)
        if value:
            found = _id_or(value, lookup)
            if found is None:
                parser.error("No such %s: %s" % (label, value))
            opts[key] = found
    if options.state:
        opts['state'] = _build_state(parser, options.state)
    if options.before:
        opts['completeBefore'] = options.before
    if options.after:
        opts['completeAfter'] = options.after
    if options.task:
        try:
            opts['taskID'] = int(options.task)
        except ValueError:
            parser.error("Task id must be an integer")
    if options.source:
        opts['source'] = options.source
    return opts


def _query_builds(parser, session, opts):
    if not opts:
        parser.error("Filter must be provided for list")
    try:
        return session.listBuilds(**opts)
    except koji.ParameterError as e:
        # hubs older than the pattern / cgID filters
        for arg, option in (('pattern', 'pattern'), ('cgID', 'cg')):
            if e.args[0].endswith("'%s'" % arg):
                parser.error("The hub doesn't support the '%s' argument, please try"
                             " filtering the result on your local instead." % option)
        raise


def anon_handle_list_builds(goptions, session, args):
    "[info] List builds matching filters"
    usage = "usage: %prog list-builds [options]"
    parser = OptionParser(usage=get_usage_str(usage), option_class=TimeOption)
    parser.add_option("--package", help="only builds of this package (name or id)")
    parser.add_option("--buildid", help="only this build (id or NVR)")
    parser.add_option("--before", type="time",
                      help="only builds completed before this time; " + TimeOption.get_help())
    parser.add_option("--after", type="time",
                      help="only builds completed after this time (same formats as --before)")
    parser.add_option("--state", help="only builds in this state (name or number)")
    parser.add_option("--task", help="only builds made by this task id")
    parser.add_option("--type", help="only builds of this build type")
    parser.add_option("--prefix", help="only builds whose name starts with this")
    parser.add_option("--pattern", help="only builds whose NVR matches this glob")
    parser.add_option("--cg", help="only builds imported by this content generator")
    parser.add_option("--source", help="only builds whose source matches this glob")
    parser.add_option("--owner", help="only builds owned by this user (name or id)")
    parser.add_option("--volume", help="only builds on this volume (name or id)")
    parser.add_option("--draft-only", action="store_true", help="only draft builds")
    parser.add_option("--no-draft", action="store_true", help="leave draft builds out")
    parser.add_option("-k", "--sort-key", action="append", metavar='FIELD', default=[],
                      help="sort by this field; one of build_id, owner_name, state "
                           "(may be repeated)")
    parser.add_option("-r", "--reverse", action="store_true", default=False,
                      help="reverse the sort order")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    ensure_connection(session, goptions)
    opts = _list_builds_filters(parser, options, session)
    if options.buildid:
        build = _id_or(options.buildid, lambda value: value)
        data = [session.getBuild(build)]
        if data[0] is None:
            parser.error("No such build: '%s'" % build)
    else:
        data = _query_builds(parser, session, opts)
    keys = options.sort_key or ['build_id']
    for key in options.sort_key:
        if key not in _LIST_BUILDS_SORT_KEYS:
            warn("Invalid sort_key: %s." % key)
    data = sorted(data, key=lambda b: [b.get(k) for k in keys], reverse=options.reverse)
    if not options.quiet:
        print("%-55s  %-16s  %s" % ("Build", "Built by", "State"))
        print("%s  %s  %s" % ("-" * 55, "-" * 16, "-" * 16))
    for build in data:
        print("%-55s  %-16s  %s" % (build['nvr'], build['owner_name'],
                                    koji.BUILD_STATES[build['state']]))


# -- list-untagged -------------------------------------------------------------------------


def _references_text(refs):
    parts = []
    for key, label in (('rpms', 'rpms'), ('component_of', 'images/archives'),
                       ('archives', 'archives buildroots')):
        if refs.get(key):
            parts.append("%s: %s" % (label, refs[key]))
    return ', '.join(parts)


def anon_handle_list_untagged(goptions, session, args):
    "[info] List builds that are in no tag"
    usage = "usage: %prog list-untagged [options] [<package>]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--paths", action="store_true", help="print build directories")
    parser.add_option("--show-references", action="store_true",
                      help="add what still refers to each build")
    options, args = parser.parse_args(args)
    if len(args) > 1:
        parser.error("Only one package name may be specified")
    ensure_connection(session, goptions)
    opts = {}
    if args:
        if session.getPackageID(args[0]) is None:
            error("No such package: %s" % args[0])
        opts['name'] = args[0]
    builds = session.untaggedBuilds(**opts)
    refs = {}
    if options.show_references:
        print("(Showing build references)")
        with session.multicall(strict=True, batch=10000) as m:
            calls = [(b['id'], m.buildReferences(b['id'])) for b in builds]
        refs = dict((build_id, _references_text(call.result)) for build_id, call in calls)
    lines = []
    for build in builds:
        if options.paths:
            line = koji.pathinfo.build(build)
        else:
            line = "%(name)s-%(version)s-%(release)s" % build
        if options.show_references:
            line += " " + refs[build['id']]
        lines.append(line)
    _print_sorted(lines)


# -- latest-build --------------------------------------------------------------------------


def _latest_rpm_lines(session, tag, package, arch, paths):
    rpms, builds = session.getLatestRPMS(tag, package=package, arch=arch)
    if not paths:
        return [_rpm_label(rpm) for rpm in rpms]
    names = dict((b['build_id'], b['package_name']) for b in builds)
    lines = []
    for rpm in rpms:
        # as upstream: the build directory is made of the rpm's version and release
        # under the package name, on the default volume
        builddir = koji.pathinfo.build({'name': names[rpm['build_id']],
                                        'version': rpm['version'],
                                        'release': rpm['release']})
        lines.append(os.path.join(builddir, koji.pathinfo.rpm(rpm)))
    return lines


def anon_handle_latest_build(goptions, session, args):
    "[info] Show the latest builds of packages in a tag"
    usage = textwrap.dedent("""\
        usage: %prog latest-build [options] <tag> <package> [<package> ...]

        Give a tag, not a build target: for what a target's buildroots get, pass
        its build tag (see '%prog list-targets --name=<target>').""")
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--arch", help="list the latest rpms of this arch instead")
    parser.add_option("--all", action="store_true",
                      help="every package of the tag (no package arguments)")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    parser.add_option("--paths", action="store_true", help="print paths instead of names")
    parser.add_option("--type", help="only builds of this build type (maven, win, image, "
                                     "or a content generator type)")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("A tag name must be specified")
    ensure_connection(session, goptions)
    if options.all:
        if len(args) > 1:
            parser.error("A package name may not be combined with --all")
        packages = [None]
    else:
        if len(args) < 2:
            parser.error("A tag name and package name must be specified")
        packages = args[1:]
    tag = args[0]
    header_due = not options.quiet
    for package in packages:
        if options.arch:
            lines = _latest_rpm_lines(session, tag, package, options.arch, options.paths)
        else:
            kwargs = {'package': package}
            if options.type:
                kwargs['type'] = options.type
            builds = session.getLatestBuilds(tag, **kwargs)
            lines = _tagged_build_lines(builds, options.type, options.paths)
            if header_due:
                _print_build_header(options.type)
                header_due = False
        _print_sorted(lines)


# -- list-tagged ---------------------------------------------------------------------------


def _list_tagged_opts(options, package):
    opts = {'latest': options.latest, 'inherit': options.inherit}
    if options.latest_n is not None:
        opts['latest'] = options.latest_n
    if package:
        opts['package'] = package
    if options.arch:
        options.rpms = True
        opts['arch'] = options.arch
    if options.sigs:
        opts['rpmsigs'] = True
        options.rpms = True
    if options.type:
        opts['type'] = options.type
    elif options.no_draft:
        opts['draft'] = False
    elif options.draft_only:
        opts['draft'] = True
    return opts


def _tagged_rpm_paths(rpms, builds, sigs):
    """Paths of tagged rpms; with sigs the signed copy, and only where it exists here."""
    dirs = {}
    for build in builds:
        builddir = koji.pathinfo.build(build)
        if sigs and not os.path.isdir(builddir):
            warn('Build directory not found: %s' % builddir)
        else:
            dirs[build['id']] = builddir
    lines = []
    for rpm in rpms:
        builddir = dirs.get(rpm['build_id'])
        if not builddir:
            continue
        if sigs:
            path = os.path.join(builddir, koji.pathinfo.signed(rpm, rpm['sigkey']))
            if os.path.exists(path):
                lines.append(path)
        else:
            lines.append(os.path.join(builddir, koji.pathinfo.rpm(rpm)))
    return lines


def _tagged_rpm_lines(rpms, sigs):
    lines = []
    for rpm in rpms:
        line = _rpm_label(rpm)
        if rpm.get('draft'):
            line += ' (,draft_%s)' % rpm['build_id']
        if sigs:
            line = '%s %s' % (rpm['sigkey'], line)
        lines.append(line)
    return lines


def anon_handle_list_tagged(goptions, session, args):
    "[info] List the builds or rpms of a tag"
    usage = "usage: %prog list-tagged [options] <tag> [<package>]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--arch", action="append", default=[],
                      help="list the rpms of this arch (may be repeated)")
    parser.add_option("--rpms", action="store_true", help="list rpms, not builds")
    parser.add_option("--inherit", action="store_true", help="include inherited content")
    parser.add_option("--latest", action="store_true",
                      help="only the latest build of each package")
    parser.add_option("--latest-n", type='int', metavar="N",
                      help="only the latest N builds of each package")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    parser.add_option("--paths", action="store_true", help="print paths instead of names")
    parser.add_option("--sigs", action="store_true", help="show the signature keys of rpms")
    parser.add_option("--type", help="only builds of this build type (maven, win, image)")
    parser.add_option("--event", type='int', metavar="EVENT#",
                      help="as the tag was at this event")
    parser.add_option("--ts", type='int', metavar="TIMESTAMP",
                      help="as the tag was at the last event before this time")
    parser.add_option("--repo", type='int', metavar="REPO#",
                      help="as the tag was when this repo was made")
    parser.add_option("--draft-only", action="store_true", help="only draft builds/rpms")
    parser.add_option("--no-draft", action="store_true", help="leave draft builds/rpms out")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("A tag name must be specified")
    if len(args) > 2:
        parser.error("Only one package name may be specified")
    if options.no_draft and options.draft_only:
        parser.error("--draft-only conflicts with --no-draft")
    ensure_connection(session, goptions)
    tag = args[0]
    opts = _list_tagged_opts(options, args[1] if len(args) > 1 else None)
    event = koji.util.eventFromOpts(session, options)
    event_id = None
    if event:
        event_id = opts['event'] = event['id']
        if not options.quiet:
            print("Querying at event %i (%s)"
                  % (event['id'], time.asctime(time.localtime(event['ts']))))
    if not session.getTag(tag, event=event_id):
        parser.error("No such tag: %s" % tag)
    if options.sigs and options.paths:
        packages_dir = os.path.join(koji.BASEDIR, 'packages')
        if not os.path.exists(packages_dir):
            error("'list-tagged --sigs --paths' requires accessible %s" % packages_dir)
    if options.rpms:
        rpms, builds = session.listTaggedRPMS(tag, **opts)
        if options.paths:
            lines = _tagged_rpm_paths(rpms, builds, options.sigs)
        else:
            lines = _tagged_rpm_lines(rpms, options.sigs)
    else:
        builds = session.listTagged(tag, **opts)
        lines = _tagged_build_lines(builds, options.type, options.paths)
        if not options.quiet:
            _print_build_header(options.type)
    _print_sorted(lines)
