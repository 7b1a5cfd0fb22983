"""Commands for rpm signatures the hub stores and the signed copies written from them."""
import os
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
