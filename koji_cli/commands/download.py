"""download-build: fetch the rpms or archives of a build from the file store (topurl)."""
from optparse import OptionParser

from requests.exceptions import HTTPError

import koji
from koji_cli.lib import (download_archive, download_rpm, ensure_connection, error,
                          get_usage_str, warn)


def _parser(goptions):
    usage = "usage: %prog download-build [options] <n-v-r|build_id>"
    usage += "\n\nFetches the files of one build entry into the current directory."
    usage += "\nScratch builds have no build entry; download-task gets their files.\n"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--arch", "-a", dest="arches", metavar="ARCH", action="append",
                      default=[], help="only rpms of this arch (repeatable)")
    parser.add_option("--type",
                      help="fetch the archives of this build type instead of rpms "
                           "(maven, win, image, remote-sources, ...)")
    parser.add_option("--latestfrom", dest="latestfrom",
                      help="the argument is a package: take its latest build in this tag")
    parser.add_option("--debuginfo", action="store_true", help="include debuginfo rpms")
    parser.add_option("--task-id", action="store_true",
                      help="the argument is the id of the task that made the build")
    parser.add_option("--rpm", action="store_true", help="the argument is one rpm to fetch")
    parser.add_option("--key", help="fetch the copies signed with this key")
    parser.add_option("--fallback-unsigned", action="store_true",
                      help="with --key: take the unsigned rpm where no signed copy exists")
    parser.add_option("--topurl", metavar="URL", default=goptions.topurl,
                      help="base URL of the koji file store")
    parser.add_option("--noprogress", action="store_true", help="no progress bar")
    parser.add_option("--nofailarch", action="store_true",
                      help="only warn when --arch matches no rpm")
    parser.add_option("-q", "--quiet", action="store_true", default=goptions.quiet,
                      help="print nothing but errors")
    return parser


def _find_build(parser, session, options, build):
    """(build record or None, rpm record when --rpm) for the command's argument."""
    rpminfo = None
    if build.isdigit():
        if options.latestfrom:
            parser.error("--latestfrom not compatible with build IDs, specify a package name.")
        build = int(build)
        if options.task_id:
            builds = session.listBuilds(taskID=build)
            if not builds:
                error("No associated builds for task %s\nIf this is a scratch build, try "
                      "using download-task instead" % build)
            build = builds[0]['build_id']
    if options.latestfrom:
        try:
            builds = session.listTagged(options.latestfrom, latest=True, package=build,
                                        type=options.type)
        except koji.GenericError as e:
            error("Error finding latest build: %s" % e)
        if not builds:
            error("%s has no builds of %s" % (options.latestfrom, build))
        return builds[0], rpminfo, build
    if options.rpm:
        rpminfo = session.getRPM(build)
        if rpminfo is None:
            error("No such rpm: %s" % build)
        return session.getBuild(rpminfo['build_id']), rpminfo, build
    # an rpm named without --rpm stands for the build it belongs to
    try:
        koji.parse_NVRA(build)
        build = session.getRPM(build)['build_id']
    except Exception:
        pass
    return session.getBuild(build), rpminfo, build


def _select_rpms(session, options, info, rpminfo):
    """rpms to fetch; None when --nofailarch turned "nothing for these arches" into a
    warning."""
    arches = options.arches or None
    if options.rpm:
        all_rpms = [rpminfo]
    else:
        all_rpms = session.listRPMs(buildID=info['id'], arches=arches)
    if not all_rpms:
        if arches:
            msg = "No %s packages available for %s" % (
                " or ".join(arches), koji.buildLabel(info))
            if options.nofailarch:
                warn(msg)
                return None
            error(msg)
        error("No packages available for %s" % koji.buildLabel(info))
    return [r for r in all_rpms if options.debuginfo or not koji.is_debuginfo(r['name'])]


def _split_by_key(session, options, rpms):
    """(rpms with a signature of --key, rpms to fetch unsigned instead)."""
    with session.multicall() as m:
        calls = [m.queryRPMSigs(rpm_id=r['id'], sigkey=options.key) for r in rpms]
    signed, unsigned = [], []
    for rpm, call in zip(rpms, calls):
        if call.result:
            signed.append(rpm)
            continue
        warn("No such sigkey %s for rpm %s" % (options.key, "%(nvr)s-%(arch)s.rpm" % rpm))
        if options.fallback_unsigned:
            unsigned.append(rpm)
    return signed, unsigned


def anon_handle_download_build(goptions, session, args):
    "[download] Fetch the files of a build"
    parser = _parser(goptions)
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("Please specify a package N-V-R or build ID")
    elif len(args) > 1:
        parser.error("Only a single package N-V-R or build ID may be specified")
    ensure_connection(session, goptions)
    info, rpminfo, build = _find_build(parser, session, options, args[0])
    if info is None:
        error("No such build: %s" % build)
    if not options.topurl:
        error("You must specify --topurl to download files")
    archives, rpms, unsigned = [], [], []
    if options.type:
        archives = session.listArchives(buildID=info['id'], type=options.type)
        if not archives:
            error("No %s archives available for %s" % (options.type, koji.buildLabel(info)))
    else:
        rpms = _select_rpms(session, options, info, rpminfo)
        if rpms is None:
            return
    if options.key:
        rpms, unsigned = _split_by_key(session, options, rpms)
    total = len(rpms) + len(unsigned) + len(archives)
    common = dict(quiet=options.quiet, noprogress=options.noprogress, size=total)
    number = 0
    for rpm in rpms:
        number += 1
        try:
            download_rpm(info, rpm, options.topurl, sigkey=options.key, num=number, **common)
        except HTTPError as err:
            # the signature row may outlive its signed copy (pruned copies)
            if not (options.key and options.fallback_unsigned
                    and err.response.status_code == 404):
                raise
            warn("Signed copy not present, will download unsigned copy")
            download_rpm(info, rpm, options.topurl, sigkey=None, num=number, **common)
    for rpm in unsigned:
        number += 1
        download_rpm(info, rpm, options.topurl, sigkey=None, num=number, **common)
    for archive in archives:
        number += 1
        download_archive(info, archive, options.topurl, num=number, **common)
