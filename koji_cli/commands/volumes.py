"""Commands for storage volumes: add-volume, list-volumes, set-build-volume.

As in upstream's client, add-volume and set-build-volume look the volume up before
logging in, so an unknown or duplicate volume is reported without authenticating.
"""
from optparse import OptionParser

from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str


def handle_add_volume(goptions, session, args):
    "[admin] Register a new storage volume"
    usage = "usage: %prog add-volume <volume-name>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Command requires exactly one volume-name.")
    name = args[0]
    if session.getVolume(name):
        error("Volume %s already exists" % name)
    activate_session(session, goptions)
    volinfo = session.addVolume(name)
    print("Added volume %s with id %i" % (volinfo['name'], volinfo['id']))


def anon_handle_list_volumes(goptions, session, args):
    "[info] Show the names of the storage volumes"
    usage = "usage: %prog list-volumes"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.parse_args(args)
    ensure_connection(session, goptions)
    for volinfo in session.listVolumes():
        print(volinfo['name'])


def _builds_to_move(session, volinfo, nvrs):
    """Build records that exist and are not on the volume yet; the others are reported."""
    builds = []
    for nvr in nvrs:
        binfo = session.getBuild(nvr)
        if not binfo:
            print("No such build: %s" % nvr)
        elif binfo['volume_id'] == volinfo['id']:
            print("Build %s already on volume %s" % (nvr, volinfo['name']))
        else:
            builds.append(binfo)
    return builds


def handle_set_build_volume(goptions, session, args):
    "[admin] Move builds to another storage volume"
    usage = "usage: %prog set-build-volume <volume> <n-v-r> [<n-v-r> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-v", "--verbose", action="store_true",
                      help="Print each build as it moves")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("You must provide a volume and at least one build")
    volinfo = session.getVolume(args[0])
    if not volinfo:
        error("No such volume: %s" % args[0])
    activate_session(session, goptions)
    builds = _builds_to_move(session, volinfo, args[1:])
    if not builds:
        error("No builds to move")
    for binfo in builds:
        session.changeBuildVolume(binfo['id'], volinfo['id'])
        if options.verbose:
            print("%s: %s -> %s" % (binfo['nvr'], binfo['volume_name'], volinfo['name']))
