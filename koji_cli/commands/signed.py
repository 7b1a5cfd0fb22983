"""Commands for rpm signatures the hub stores and the signed copies written from them."""
import fnmatch
import os
import stat
import time
from optparse import SUPPRESS_HELP, OptionParser

import koji
from koji_cli.lib import activate_session, error, get_usage_str, warn

NVRA = "%(name)s-%(version)s-%(release)s.%(arch)s"


def _int_or_str(value):
    try:
        return int(value)
    except ValueError:
        return value


# -- write-signed-rpm ------------------------------------------------------------------------

def _split_rpm_args(args):
    """Sort command line words into rpm lookups (ids, NVRAs) and build NVRs.

    Many NVRs also parse as NVRAs; those that the hub does not know as rpms are tried as
    builds afterwards.
    """
    rpm_args, build_args = [], []
    for arg in args:
        if arg.isdigit():
            rpm_args.append(int(arg))
            continue
        try:
            koji.parse_NVRA(arg)
        except koji.GenericError:
            build_args.append(arg)
        else:
            rpm_args.append(arg)
    return rpm_args, build_args


def _rpms_from_args(session, args):
    """rpm records for a mix of rpm ids, NVRAs and build NVRs (all rpms of those builds)."""
    rpm_args, build_args = _split_rpm_args(args)
    rpms = []
    with session.multicall() as m:
        calls = [(arg, m.getRPM(arg, strict=False)) for arg in rpm_args]
    for arg, call in calls:
        if call.result:
            rpms.append(call.result)
        else:
            build_args.append(arg)
    with session.multicall() as m:
        calls = [(arg, m.getBuild(arg, strict=True)) for arg in build_args]
    build_ids = []
    for arg, call in calls:
        try:
            build_ids.append(call.result['id'])
        except koji.GenericError:
            raise koji.GenericError("No such rpm or build: %s" % arg)
    with session.multicall() as m:
        lists = [m.listRPMs(buildID=build_id) for build_id in build_ids]
    for call in lists:
        rpms.extend(call.result)
    return rpms


def handle_write_signed_rpm(goptions, session, args):
    "[admin] Have the hub write signed copies of rpms"
    usage = "usage: %prog write-signed-rpm [options] <signature-key> <n-v-r> [<n-v-r> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--all", action="store_true",
                      help="every rpm that has a signature with this key")
    parser.add_option("--buildid", help="every rpm of the build with this id")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("A signature key must be specified")
    if len(args) < 2 and not (options.all or options.buildid):
        parser.error("At least one RPM must be specified")
    key = args.pop(0).lower()
    activate_session(session, goptions)
    if options.all:
        sigs = session.queryRPMSigs(sigkey=key)
        with session.multicall() as m:
            calls = [m.getRPM(sig['rpm_id']) for sig in sigs]
        rpms = [call.result for call in calls]
    elif options.buildid:
        rpms = session.listRPMs(int(options.buildid))
    else:
        rpms = _rpms_from_args(session, args)
    if not rpms:
        warn('No rpms found')
    # every line is printed before the batch runs; a failure ends the command afterwards
    with session.multicall(strict=True) as m:
        for i, rpminfo in enumerate(rpms, 1):
            print("[%d/%d] %s" % (i, len(rpms), NVRA % rpminfo))
            m.writeSignedRPM(rpminfo['id'], key)


# -- list-signed -----------------------------------------------------------------------------

class _Index(object):
    """rpm and build records seen so far, fetched from the hub only when missing."""

    def __init__(self, session):
        self.session = session
        self.rpms = {}
        self.builds = {}

    def rpm(self, rpm_id):
        if rpm_id not in self.rpms:
            rinfo = self.session.getRPM(rpm_id)
            self.rpms[rinfo['id']] = rinfo
        return self.rpms[rpm_id]

    def build(self, build_id):
        if build_id not in self.builds:
            binfo = self.session.getBuild(build_id)
            self.builds[binfo['id']] = binfo
        return self.builds[build_id]


def _sigs_of_rpm(parser, session, index, value, qopts):
    rinfo = session.getRPM(_int_or_str(value), strict=True)
    index.rpms[rinfo['id']] = rinfo
    if rinfo.get('external_repo_id'):
        parser.error(("External rpm: " + NVRA + "@%(external_repo_name)s") % rinfo)
    return session.queryRPMSigs(rpm_id=rinfo['id'], **qopts)


def _sigs_of_build(session, index, value, qopts):
    binfo = session.getBuild(_int_or_str(value), strict=True)
    index.builds[binfo['id']] = binfo
    sigs = []
    for rinfo in session.listRPMs(buildID=binfo['id']):
        index.rpms[rinfo['id']] = rinfo
        sigs += session.queryRPMSigs(rpm_id=rinfo['id'], **qopts)
    return sigs


def _sigs_of_tag(session, index, value, qopts):
    """Signatures of the rpms tagged (without inheritance) in a tag, and those rpm ids."""
    rpms, builds = session.listTaggedRPMS(_int_or_str(value), inherit=False, latest=False)
    for binfo in builds:
        index.builds.setdefault(binfo['id'], binfo)
    calls = []
    # batches keep one huge tag from becoming one huge hub request
    with session.multicall(batch=5000) as m:
        for rinfo in rpms:
            index.rpms.setdefault(rinfo['id'], rinfo)
            calls.append(m.queryRPMSigs(rpm_id=rinfo['id'], **qopts))
    sigs = []
    for call in calls:
        sigs.extend(call.result)
    return sigs, set(rinfo['id'] for rinfo in rpms)


def handle_list_signed(goptions, session, args):
    "[admin] Show which signed rpm copies exist on disk"
    usage = "usage: %prog list-signed [options]"
    description = "This reads koji's topdir, so it has to be mounted locally."
    parser = OptionParser(usage=get_usage_str(usage), description=description)
    # accepted for old scripts; the global --debug is what shows missing copies
    parser.add_option("--debug", action="store_true", default=goptions.debug,
                      help=SUPPRESS_HELP)
    parser.add_option("--key", help="only copies signed with this key")
    parser.add_option("--build", help="only rpms of this build")
    parser.add_option("--rpm", help="only this rpm")
    parser.add_option("--tag", help="only rpms tagged in this tag")
    options, args = parser.parse_args(args)
    if not options.build and not options.tag and not options.rpm:
        parser.error("At least one from --build, --rpm, --tag needs to be specified.")
    activate_session(session, goptions)
    qopts = {'sigkey': options.key} if options.key else {}
    index = _Index(session)
    sigs = []
    tagged = None
    if options.rpm:
        sigs += _sigs_of_rpm(parser, session, index, options.rpm, qopts)
    if options.build:
        sigs += _sigs_of_build(session, index, options.build, qopts)
    if options.tag:
        tag_sigs, tagged = _sigs_of_tag(session, index, options.tag, qopts)
        sigs += tag_sigs
    for sig in sigs:
        if tagged is not None and sig['rpm_id'] not in tagged:
            continue
        rinfo = index.rpm(sig['rpm_id'])
        binfo = index.build(rinfo['build_id'])
        binfo['name'] = binfo['package_name']
        signedpath = "%s/%s" % (koji.pathinfo.build(binfo),
                                koji.pathinfo.signed(rinfo, sig['sigkey']))
        if not os.path.exists(signedpath):
            if goptions.debug:
                print("No copy: %s" % signedpath)
            continue
        print(signedpath)


# -- remove-sig ------------------------------------------------------------------------------

def handle_remove_sig(goptions, session, args):
    "[admin] Delete rpm signatures and their signed copies"
    usage = "usage: %prog remove-sig [options] <rpm-id/n-v-r.a/rpminfo>"
    description = "Koji keeps its data immutable and auditable; removing signatures " \
        "breaks that, so keep this for emergencies."
    parser = OptionParser(usage=get_usage_str(usage), description=description)
    parser.add_option("--sigkey", action="store", default=None,
                      help="the signature key to remove")
    parser.add_option("--all", action="store_true", default=False,
                      help="remove the signatures of every key")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("Please specify an RPM")
    if not options.all and not options.sigkey:
        error("Either --sigkey or --all options must be given")
    if options.all and options.sigkey:
        error("Conflicting options specified")
    activate_session(session, goptions)
    rpminfo = args[0]
    try:
        session.deleteRPMSig(rpminfo, sigkey=options.sigkey, all_sigs=options.all)
    except koji.GenericError as e:
        msg = str(e)
        if msg.startswith("No such rpm"):
            error("No such rpm in system: %s" % rpminfo)
        error("Signature removal failed: %s" % msg)


# -- rename-sig ------------------------------------------------------------------------------

def handle_rename_sig(goptions, session, args):
    "[admin] File an rpm's signature under a different sigkey"
    usage = "usage: %prog rename-sig [options] <rpm-id/n-v-r.a/rpminfo> <oldkey> <newkey>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) != 3:
        parser.error("This command takes exactly three arguments")
    rpminfo, oldkey, newkey = args
    activate_session(session, goptions)
    try:
        session.renameRPMSig(rpminfo, oldkey, newkey)
    except koji.GenericError as e:
        # the hub's message names the rpm and keys already
        error(str(e))


# -- prune-signed-copies ---------------------------------------------------------------------

def _asctime(ts):
    return time.asctime(time.localtime(ts))


def _read_patterns(path):
    with open(path) as fo:
        return [line.strip() for line in fo.readlines()]


class _Pruner(object):
    """Decides, build by build, whether its signed copies may go, and removes them.

    A build keeps its copies while it is (or, within --days, was) the latest of its
    package in some tag, or while a protected tag holds (held, within --days) it.
    """

    def __init__(self, session, options, cutoff):
        self.session = session
        self.opts = options
        self.cutoff = cutoff
        self.debug = options.debug
        self.total_files = 0
        self.total_space = 0

    def say(self, msg):
        if self.debug:
            print(msg)

    # -- is the build still wanted?

    @staticmethod
    def _histline(event_id, entry):
        if event_id == entry['revoke_event']:
            when = entry['revoke_ts']
            fmt = "Untagged %(name)s-%(version)s-%(release)s from %(tag_name)s"
        elif event_id == entry['create_event']:
            when = entry['create_ts']
            fmt = "Tagged %(name)s-%(version)s-%(release)s with %(tag_name)s"
            if entry['active']:
                fmt += " [still active]"
        else:
            raise koji.GenericError("No such event: (%r, %r)" % (event_id, entry))
        return "%s: %s" % (_asctime(when), fmt % entry)

    def _skip_tag(self, tag_name, nvr):
        if tag_name == self.opts.trashcan_tag:
            self.say("Ignoring trashcan tag for build %s" % nvr)
            return True
        for pattern in self.opts.ignore_tag:
            if fnmatch.fnmatch(tag_name, pattern):
                self.say("Ignoring tag %s for build %s" % (tag_name, nvr))
                return True
        return False

    def _protected(self, tag_name, nvr, ours):
        if not any(fnmatch.fnmatch(tag_name, p) for p in self.opts.protect_tag):
            return False
        if ours['revoke_event'] is None:
            self.say("Build %s has protected tag %s" % (nvr, tag_name))
            return True
        if ours['revoke_ts'] > self.cutoff:
            self.say("Build %s had protected tag %s until %s"
                     % (nvr, tag_name, _asctime(ours['revoke_ts'])))
            return True
        return False

    @staticmethod
    def _timeline(hist):
        """(event, is_create, entry) in event order; at one event revokes come first."""
        events = []
        for entry in hist:
            events.append((entry['create_event'], 1, entry))
            if entry['revoke_event'] is not None:
                events.append((entry['revoke_event'], 0, entry))
        events.sort(key=lambda ev: ev[:2])
        return events

    def _after_ours(self, events, binfo, nvr, tag_name):
        """Our latest tagging's entry and the events that follow it."""
        for index in range(len(events) - 1, -1, -1):
            event_id, is_create, entry = events[index]
            if is_create and entry['build_id'] == binfo['id']:
                if self.debug:
                    print(self._histline(event_id, entry))
                return entry, events[index + 1:]
        raise koji.GenericError("No creation event found for %s in %s" % (nvr, tag_name))

    def _lost_latest(self, later, binfo, nvr, tag_name):
        """(revoked ts, replaced ts) after our tagging; both None: still latest."""
        revoked = replaced = None
        covering = set()
        for event_id, is_create, entry in later:
            if self.debug:
                print(self._histline(event_id, entry))
            if entry['build_id'] == binfo['id']:
                if is_create:
                    raise koji.GenericError("Duplicate creation event found for %s in %s"
                                            % (nvr, tag_name))
                revoked = entry['revoke_ts']
                break
            if is_create:
                replaced = entry['create_ts']
                if entry['active']:
                    break
                # a newer build that is untagged later may uncover ours again
                covering.add(entry['build_id'])
            else:
                covering.discard(entry['build_id'])
                if replaced is not None and not covering:
                    replaced = None
        return revoked, replaced

    def keep(self, binfo, nvr):
        """True when the build was latest (or protected) since the cutoff."""
        tags = {}
        for entry in self.session.queryHistory(build=binfo['id'])['tag_listing']:
            tags.setdefault(entry['tag.name'], 1)
        self.say("Tags: %s" % list(tags.keys()))
        last_latest = None
        for tag_name in tags:
            if self._skip_tag(tag_name, nvr):
                continue
            hist = self.session.queryHistory(tag=tag_name,
                                             package=binfo['name'])['tag_listing']
            if not hist:
                raise koji.GenericError("No history found for %s in %s" % (nvr, tag_name))
            ours, later = self._after_ours(self._timeline(hist), binfo, nvr, tag_name)
            if not later:
                self.say("%s is latest in tag %s" % (nvr, tag_name))
                return True
            if self._protected(tag_name, nvr, ours):
                return True
            revoked, replaced = self._lost_latest(later, binfo, nvr, tag_name)
            stamps = [] if last_latest is None else [last_latest]
            if revoked is None and replaced is None:
                self.say("%s is latest (again) in tag %s" % (nvr, tag_name))
                return True
            if revoked is None:
                stamps.append(replaced)
                self.say("tag %s: %s not latest (replaced %s)"
                         % (tag_name, nvr, _asctime(replaced)))
            elif replaced is None:
                stamps.append(revoked)
                self.say("tag %s: %s not latest (revoked %s)"
                         % (tag_name, nvr, _asctime(revoked)))
            else:
                stamps.append(min(revoked, replaced))
                self.say("tag %s: %s not latest (revoked %s, replaced %s)"
                         % (tag_name, nvr, _asctime(revoked), _asctime(replaced)))
            last_latest = max(stamps)
            if last_latest > self.cutoff:
                self.say("%s was latest past the cutoff" % nvr)
                return True
        return False

    # -- removing copies

    def _rmdir(self, path, shown):
        if self.opts.test:
            print("Would have removed dir: %s" % path)
            return
        if self.opts.verbose:
            print("Removing dir: %s" % path)
        try:
            os.rmdir(path)
        except OSError as e:
            # upstream names the last file here, not the directory
            print("Error removing %s: %s" % (shown, e))

    def _unlink(self, path):
        """(removed or would be, size) of one signed copy."""
        try:
            st = os.lstat(path)
        except OSError:
            return False, 0
        if not stat.S_ISREG(st.st_mode):
            print("Skipping %s. Not a regular file" % path)
            return False, 0
        if st.st_mtime > self.cutoff:
            print("Skipping %s. File newer than cutoff" % path)
            return False, 0
        if self.opts.test:
            print("Would have unlinked: %s" % path)
        else:
            if self.opts.verbose:
                print("Unlinking: %s" % path)
            try:
                os.unlink(path)
            except OSError as e:
                print("Error removing %s: %s" % (path, e))
                print("This script needs write access to %s" % koji.BASEDIR)
                return False, 0
        return True, st.st_size

    def prune(self, binfo, nvr):
        rpms = self.session.listRPMs(buildID=binfo['id'])
        with self.session.multicall() as m:
            calls = [m.queryRPMSigs(rpm_id=rinfo['id']) for rinfo in rpms]
        by_sig = {}
        for rinfo, call in zip(rpms, calls):
            for sig in call.result:
                by_sig.setdefault(sig['sigkey'], []).append(rinfo)
        if not by_sig:
            self.say("(build has no signatures)")
        builddir = koji.pathinfo.build(binfo)
        files = space = 0
        for sigkey, sig_rpms in by_sig.items():
            archdirs = {}
            sigdirs = {}
            path = None
            for rinfo in sig_rpms:
                path = "%s/%s" % (builddir, koji.pathinfo.signed(rinfo, sigkey))
                removed, size = self._unlink(path)
                if not removed:
                    continue
                files += 1
                space += size
                archdirs[os.path.dirname(path)] = 1
                sigdirs[os.path.dirname(os.path.dirname(path))] = 1
            for archdir in archdirs:
                self._rmdir(archdir, path)
            if len(sigdirs) == 1:
                self._rmdir(list(sigdirs)[0], path)
            elif len(sigdirs) > 1:
                warn("More than one signature dir for %s: %r" % (sigkey, sigdirs))
        if files:
            self.total_files += files
            self.total_space += space
            if self.opts.verbose:
                print("Build: %s, Removed %i signed copies (%i bytes). Total: %i/%i"
                      % (nvr, files, space, self.total_files, self.total_space))
        elif by_sig:
            self.say("(build has no signed copies)")


def _prune_builds(parser, session, options):
    """[(nvr, build)] to look at: the one --build, or every COMPLETE build (by NVR)."""
    if options.build:
        binfo = session.getBuild(options.build)
        if not binfo:
            parser.error('No such build: %s' % options.build)
        return [("%(name)s-%(version)s-%(release)s" % binfo, binfo)]
    if options.verbose:
        print("Getting builds...")
    qopts = {'state': koji.BUILD_STATES['COMPLETE'],
             'queryOpts': {'limit': 50000, 'offset': 0, 'order': 'build_id'}}
    if options.package:
        qopts['packageID'] = session.getPackage(options.package)['id']
    builds = []
    while True:
        chunk = session.listBuilds(**qopts)
        if not chunk:
            break
        builds.extend((b['nvr'], b) for b in chunk)
        qopts['queryOpts']['offset'] += qopts['queryOpts']['limit']
    if options.verbose:
        print("...got %i builds" % len(builds))
    builds.sort(key=lambda item: item[0])
    return builds


def handle_prune_signed_copies(goptions, session, args):
    "[admin] Delete signed rpm copies of builds that stopped being latest"
    usage = "usage: %prog prune-signed-copies [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-n", "--test", action="store_true", help="only say what would go")
    parser.add_option("-v", "--verbose", action="store_true", help="say what is removed")
    parser.add_option("--days", type="int", default=5,
                      help="days a build must have been not latest")
    parser.add_option("-p", "--package", "--pkg", help="only builds of this package")
    parser.add_option("-b", "--build", help="only this build")
    parser.add_option("-i", "--ignore-tag", action="append", default=[],
                      help="tag pattern not to count when deciding latest-ness")
    parser.add_option("--ignore-tag-file", help="file of ignore patterns, one a line")
    parser.add_option("-r", "--protect-tag", action="append", default=[],
                      help="tag pattern whose builds keep their copies")
    parser.add_option("--protect-tag-file", help="file of protect patterns, one a line")
    parser.add_option("--trashcan-tag", default="trashcan", help="the trashcan tag's name")
    # kept for old scripts; defaults to the global --debug
    parser.add_option("--debug", action="store_true", default=goptions.debug,
                      help=SUPPRESS_HELP)
    options, args = parser.parse_args(args)
    if options.ignore_tag_file:
        options.ignore_tag.extend(_read_patterns(options.ignore_tag_file))
    if options.protect_tag_file:
        options.protect_tag.extend(_read_patterns(options.protect_tag_file))
    if options.debug:
        options.verbose = True
    cutoff = time.time() - options.days * 24 * 3600
    if options.debug:
        print("Cutoff date: %s" % _asctime(cutoff))
    activate_session(session, goptions)
    pruner = _Pruner(session, options, cutoff)
    for nvr, binfo in _prune_builds(parser, session, options):
        binfo.setdefault('id', binfo.get('build_id'))
        binfo.setdefault('name', binfo.get('package_name'))
        pruner.say("DEBUG: %s" % nvr)
        if pruner.keep(binfo, nvr):
            continue
        pruner.prune(binfo, nvr)
    print("--- Grand Totals ---")
    print("Files: %i" % pruner.total_files)
    print("Bytes: %i" % pruner.total_space)
