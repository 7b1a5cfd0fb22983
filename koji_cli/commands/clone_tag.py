"""clone-tag: make a tag hold what another tag holds.

The copy itself is one hub call (snapshotTag for a new tag, snapshotTagModify for an
existing one); the client only checks the request and picks the event.
"""
import time
from optparse import SUPPRESS_HELP, OptionParser

import koji
import koji.util
from koji_cli.lib import activate_session, get_usage_str

PARTS = ('config', 'groups', 'pkgs', 'builds')


def _parser():
    usage = ("usage: %prog clone-tag [options] <src-tag> <dst-tag>"
             "\nThe destination tag is created when it does not exist yet")
    parser = OptionParser(usage=get_usage_str(usage))
    add = parser.add_option
    add('--config', action='store_true', help="copy the tag configuration too")
    add('--groups', action='store_true', help="copy the comps groups too")
    add('--pkgs', action='store_true', help="copy the package list too")
    add('--builds', action='store_true', help="tag the source's builds into the copy")
    add('--all', action='store_true', help="short for --config --groups --pkgs --builds")
    add('--latest-only', action='store_true',
        help="only the latest build of each package")
    add('--inherit-builds', action='store_true',
        help="also the builds the source tag inherits")
    add('--ts', type='int', metavar='TIMESTAMP',
        help="copy the state of the last event before this time")
    add('--no-delete', action='store_false', dest='delete', default=True,
        help="keep what the destination has and the source lacks")
    add('--event', type='int', help="copy the state at this event")
    add('--repo', type='int', help="copy the state this repo was made from")
    add('-v', '--verbose', action='store_true', help=SUPPRESS_HELP)
    add('--notify', action='store_true', default=False,
        help="notify about the builds tagged or untagged")
    add('-f', '--force', action='store_true', help="clone from or into locked tags")
    add('-n', '--test', action='store_true', help=SUPPRESS_HELP)
    add('--batch', type='int', default=100, metavar='SIZE', help=SUPPRESS_HELP)
    return parser


def _event(session, options):
    """The event to clone at (an empty dict for now), announced when one was asked for."""
    event = koji.util.eventFromOpts(session, options) or {}
    if event:
        print("Cloning at event %i (%s)" % (event['id'], time.asctime(time.localtime(
            event['ts']))))
    return event


def handle_clone_tag(goptions, session, args):
    "[admin] Copy the content of one tag onto another"
    parser = _parser()
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("This command takes two arguments: <src-tag> <dst-tag>")
    activate_session(session, goptions)
    if not options.test and not (session.hasPerm('admin') or session.hasPerm('tag')):
        parser.error("This action requires tag or admin privileges")
    src, dst = args
    if src == dst:
        parser.error('Source and destination tags must be different.')
    if options.batch < 0:
        parser.error("batch size must be bigger than zero")
    if options.all:
        for part in PARTS:
            setattr(options, part, True)
    event_id = _event(session, options).get('id')
    if options.builds and not options.pkgs:
        parser.error("--builds can't be used without also specifying --pkgs")
    try:
        srctag = session.getBuildConfig(src, event=event_id)
    except koji.GenericError:
        parser.error("No such src-tag: %s" % src)
    dsttag = session.getTag(dst)
    if not options.force and (srctag['locked'] or (dsttag and dsttag['locked'])):
        parser.error("Error: You are attempting to clone from or to a tag which is locked.\n"
                     "Please use --force if this is what you really want to do.")
    if options.test:
        parser.error("server-side operation, test output is no longer available")
    what = dict((part, getattr(options, part)) for part in PARTS)
    what.update(latest_only=options.latest_only, inherit_builds=options.inherit_builds,
                event=event_id, force=options.force)
    if dsttag:
        session.snapshotTagModify(srctag['id'], dst, remove=options.delete, **what)
    else:
        session.snapshotTag(srctag['id'], dst, **what)
