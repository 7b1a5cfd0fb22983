"""koji-shadow's entry point: sessions, log, then scan and import/rebuild."""
import os
import socket
import sys

import requests

import koji

from ..common import ensure_connection, error
from .options import get_options
from .rules import Rules
from .tracker import BuildTracker

# a stalled remote should time out rather than hang the run
SOCKET_TIMEOUT = 180


class Shadow(object):
    """What every part of a run shares: both sessions, the options and the log."""

    def __init__(self, options, session, remote):
        self.options = options
        self.session = session
        self.remote = remote
        self.logfile = None
        self.tracker = None
        self.importing = bool(options.import_noarch or options.import_noarch_only)

    def log(self, msg):
        print(msg)
        sys.stdout.flush()
        if self.logfile is not None:
            os.write(self.logfile, ('%s\n' % msg).encode('utf-8'))

    def tag_successful(self, nvr, tag):
        try:
            self.session.tagBuildBypass(tag, nvr)
            self.log('tagged %s to %s' % (nvr, tag))
        except koji.TagError:
            self.log('NOTICE: %s already tagged in %s' % (nvr, tag))


def activate_session(session, options, log):
    if options.noauth:
        pass
    elif options.auth_cert and options.serverca:
        cert = os.path.expanduser(options.auth_cert)
        serverca = os.path.expanduser(options.serverca)
        if os.path.isfile(cert):
            session.ssl_login(cert=cert, serverca=serverca, proxyuser=options.runas)
    elif options.user:
        session.login()
    elif options.keytab and options.principal:
        session.gssapi_login(principal=options.principal, keytab=options.keytab,
                             proxyuser=options.runas)
    else:
        session.gssapi_login(proxyuser=options.runas)
    if not options.noauth and not session.logged_in:
        error('Error: unable to log in')
    ensure_connection(session)
    if options.debug:
        log('successfully connected to hub')


def check_remote(shadow):
    """Stop before any work if the remote hub cannot be reached at all."""
    try:
        shadow.remote.getAPIVersion()
    except requests.exceptions.ConnectionError as exc:
        error('Error: Unable to connect to remote server %s: %s' % (shadow.options.remote, exc))


def run(shadow, args):
    options = shadow.options
    tag = args[0] if args else None
    check_remote(shadow)
    if options.logfile:
        try:
            shadow.logfile = os.open(options.logfile, os.O_CREAT | os.O_RDWR | os.O_APPEND,
                                     0o666)
        except OSError:
            shadow.logfile = None
        if shadow.logfile is not None:
            shadow.log('logging to %s' % options.logfile)
            os.write(shadow.logfile, b'\n\n' + b'=' * 72 + b'\n')
    tracker = shadow.tracker
    if options.build:
        binfo = shadow.remote.getBuild(options.build, strict=True)
        tracker.scan_build(binfo['id'], tag=tag)
    elif tag is None:
        shadow.log('Tag is required')
        return 1
    else:
        shadow.log('Working on tag %s' % tag)
        tracker.scan_tag(tag)
    tracker.report()
    tracker.run_rebuilds(tag)
    if shadow.logfile is not None:
        os.close(shadow.logfile)
    return 0


def main(argv=None):
    options, args, messages = get_options(argv)
    socket.setdefaulttimeout(SOCKET_TIMEOUT)
    for msg in messages:
        print(msg)
    try:
        rules = Rules(options.config)
    except ValueError as exc:
        error(str(exc))
    session = koji.ClientSession(options.server, koji.grab_session_options(options))
    if not options.noauth:
        try:
            activate_session(session, options, print)
        except (koji.GenericError, OSError) as exc:
            error('Error: cannot log in to %s: %s' % (options.server, exc))
    remote_opts = {'anon_retry': True, 'debug_xmlrpc': options.debug_xmlrpc,
                   'debug': options.debug}
    for key in ('max_retries', 'retry_interval'):
        if getattr(options, key) is not None:
            remote_opts[key] = getattr(options, key)
    # the local topdir: where --link-imports puts files for the local hub
    koji.pathinfo.topdir = options.topdir
    remote = koji.ClientSession(options.remote, remote_opts)
    shadow = Shadow(options, session, remote)
    shadow.tracker = BuildTracker(shadow, rules)
    rv = 0
    try:
        if not options.skip_main:
            rv = run(shadow, args) or 0
    except KeyboardInterrupt:
        pass
    except SystemExit:
        rv = 1
    except koji.GenericError as exc:
        sys.stderr.write('Error: %s\n' % exc)
        rv = 1
    except OSError as exc:
        sys.stderr.write('Error: %s\n' % exc)
        rv = 1
    try:
        session.logout()
    except Exception:
        pass
    sys.exit(rv)
