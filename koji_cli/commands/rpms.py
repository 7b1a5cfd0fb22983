"""Commands about single rpms and buildroots (rpminfo, list-buildroot) and name search."""
import os
import time
from optparse import OptionParser

import koji
from koji_cli.lib import ensure_connection, error, get_usage_str, warn

# what `search` can look for, in the order the usage text lists them
SEARCH_TYPES = ('package', 'build', 'tag', 'target', 'user', 'host', 'rpm', 'maven', 'win')

# header digests rpminfo prints when the hub reports them (hubs from 1.36 on)
_DIGEST_KEYS = ('sigmd5', 'sha1header', 'sha256header', 'sha3_256header')


def _epoch_prefix(rpm):
    return '' if rpm['epoch'] is None else '%s:' % rpm['epoch']


def _evr_label(rpm):
    return "%s%s-%s-%s" % (_epoch_prefix(rpm), rpm['name'], rpm['version'], rpm['release'])


def _print_origin(session, info):
    """Where the rpm comes from: its external repo, or its build, paths and srpm."""
    if info.get('external_repo_id'):
        repo = session.getExternalRepo(info['external_repo_id'])
        print("External Repository: %(name)s [%(id)i]" % repo)
        print("External Repository url: %(url)s" % repo)
        return
    if info['arch'] == 'src':
        srpm = info
    else:
        srpms = session.listRPMs(buildID=info['build_id'], arches='src')
        srpm = srpms[0] if srpms else None
    build = session.getBuild(info['build_id'])
    builddir = koji.pathinfo.build(build)
    print("Build: %(nvr)s [%(id)d]" % build)
    print("RPM Path: %s" % os.path.join(builddir, koji.pathinfo.rpm(info)))
    if srpm:
        print("SRPM: %s [%d]" % (_evr_label(srpm), srpm['id']))
        print("SRPM Path: %s" % os.path.join(builddir, koji.pathinfo.rpm(srpm)))
    else:
        print("SRPM: (none)")
        print("SRPM Path: (none)")
    print("Built: %s" % time.strftime('%a, %d %b %Y %H:%M:%S %Z',
                                      time.localtime(info['buildtime'])))


def _print_digests(info):
    shown = False
    for key in _DIGEST_KEYS:
        if info.get(key):
            shown = True
            print("%s: %s" % (key.upper(), info[key]))
    if not shown:
        # older hubs only give payloadhash; '::' marks a non-md5 legacy value
        label = "Legacy digest" if '::' in info['payloadhash'] else "SIGMD5"
        print("%s: %s" % (label, info['payloadhash']))


def _print_buildroot(session, buildroot_id):
    if buildroot_id is None:
        print("No buildroot data available")
        return
    br = session.getBuildroot(buildroot_id)
    if br['br_type'] == koji.BR_TYPES['STANDARD']:
        print("Buildroot: %(id)i (tag %(tag_name)s, arch %(arch)s, repo %(repo_id)i)" % br)
        print("Build Host: %(host_name)s" % br)
        print("Build Task: %(task_id)i" % br)
    else:
        print("Content generator: %(cg_name)s" % br)
        print("Buildroot: %(id)i" % br)
        print("Build Host OS: %(host_os)s (%(host_arch)s)" % br)


def _print_used_in(session, rpm_id):
    buildroots = session.listBuildroots(rpmID=rpm_id, queryOpts={'order': 'buildroot.id'})
    print("Used in %i buildroots:" % len(buildroots))
    if buildroots:
        print("  %8s %-28s %-8s %-29s" % ('id', 'build tag', 'arch', 'build host'))
        print("  %s %s %s %s" % ('-' * 8, '-' * 28, '-' * 8, '-' * 29))
    for br in buildroots:
        print("  %(id)8i %(tag_name)-28s %(arch)-8s %(host_name)-29s" % br)


def anon_handle_rpminfo(goptions, session, args):
    "[info] Show the details of rpms"
    usage = "usage: %prog rpminfo [options] <n-v-r.a|id> [<n-v-r.a|id> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--buildroots", action="store_true",
                      help="also list the buildroots that used the rpm")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify an RPM")
    ensure_connection(session, goptions)
    failed = False
    for rpm in args:
        info = session.getRPM(rpm)
        if info is None:
            warn("No such rpm: %s\n" % rpm)
            failed = True
            continue
        print("RPM: %s.%s [%d]" % (_evr_label(info), info['arch'], info['id']))
        if info.get('draft'):
            print("Draft: YES")
        _print_origin(session, info)
        _print_digests(info)
        print("Size: %s" % info['size'])
        if not info.get('external_repo_id'):
            headers = session.getRPMHeaders(rpmID=info['id'], headers=["license"])
            if 'license' in headers:
                print("License: %s" % headers['license'])
            print("Build ID: %s" % info['build_id'])
        _print_buildroot(session, info['buildroot_id'])
        if info.get('extra'):
            print("Extra: %r" % (info['extra'],))
        if options.buildroots:
            _print_used_in(session, info['id'])
    if failed:
        error()


def anon_handle_list_buildroot(goptions, session, args):
    "[info] List the rpms and archives a buildroot used or produced"
    usage = "usage: %prog list-buildroot [options] <buildroot-id>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--built", action="store_true",
                      help="list what the buildroot produced, not what it contained")
    parser.add_option("--verbose", "-v", action="store_true",
                      help="mark draft and update rpms")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Incorrect number of arguments")
    ensure_connection(session, goptions)
    buildroot_id = int(args[0])
    if options.built:
        opts = {'buildrootID': buildroot_id}
        kind = 'Built'
    else:
        opts = {'componentBuildrootID': buildroot_id}
        kind = 'Component'
    rpms = session.listRPMs(**opts)
    if rpms:
        print('%s RPMs:' % kind)
    rows = sorted((("%(nvr)s.%(arch)s" % r, r) for r in rpms), key=lambda row: row[0])
    for label, rpm in rows:
        if options.verbose:
            if rpm.get('draft'):
                label += " (,draft_%s)" % rpm['build_id']
            if rpm.get('is_update'):
                label += " [update]"
        print(label)
    archives = session.listArchives(**opts)
    if archives:
        if rpms:
            print('')
        print('%s Archives:' % kind)
    for filename in sorted(a['filename'] for a in archives):
        print(filename)


def anon_handle_search(goptions, session, args):
    "[search] Find names matching a pattern"
    usage = "usage: %prog search [options] <search_type> <pattern>"
    usage += '\n\nSearch types: %s\n' % ', '.join(SEARCH_TYPES)
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-r", "--regex", action="store_true",
                      help="the pattern is a regular expression")
    parser.add_option("--exact", action="store_true", help="only exact matches")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify search type")
    if len(args) < 2:
        parser.error("Please specify search pattern")
    search_type, pattern = args[0], args[1]
    if search_type not in SEARCH_TYPES:
        parser.error("No such search type: %s" % search_type)
    if options.regex:
        match = 'regexp'
    elif options.exact:
        match = 'exact'
    else:
        match = 'glob'
    ensure_connection(session, goptions)
    for row in session.search(pattern, search_type, match):
        print(row['name'])
