"""koji-gc's entry point: options, policy check, login, lock, then the actions in order."""
import sys

import requests

import koji
from koji.policy import PolicySyntaxError

from ..common import cert_usable, ensure_connection, error, have_gssapi
from . import lock
from .delete import handle_delete, handle_salvage
from .options import get_options
from .policy import load_policy
from .prune import handle_prune
from .trash import handle_trash


def activate_session(session, options):
    """Log in as upstream orders it: cert, then user/password, then GSSAPI."""
    if options.noauth:
        pass
    elif cert_usable(options.cert):
        session.ssl_login(options.cert, None, options.serverca, proxyuser=options.runas)
    elif options.user:
        session.login()
    elif have_gssapi():
        session.gssapi_login(principal=options.principal, keytab=options.keytab,
                             proxyuser=options.runas)
    if not options.noauth and not session.logged_in:
        error('Error: unable to log in, no authentication methods available')
    ensure_connection(session)
    if options.debug:
        print('successfully connected to hub')


def read_prune_policy(options):
    """The parsed [prune] policy (None if there is none); a syntax error ends the run."""
    if 'prune' not in options.action:
        return None
    config = options.config
    if not config.has_option('prune', 'policy'):
        return None
    try:
        return load_policy(config.get('prune', 'policy'), options.key_aliases)
    except PolicySyntaxError as exc:
        where = 'line %s: ' % exc.lineno if exc.lineno else ''
        text = ' (%s)' % exc.line if exc.line else ''
        error('Invalid prune policy: %s%s%s' % (where, exc.msg, text))


def run_actions(session, options, rules):
    activate_session(session, options)
    if not session.getTag(options.trashcan_tag, strict=False):
        error("Trashcan tag %s doesn't exist" % options.trashcan_tag)
    for action in options.action:
        if action == 'prune':
            handle_prune(session, options, rules)
        elif action == 'trash':
            handle_trash(session, options)
        elif action == 'delete':
            handle_delete(session, options)
        elif action == 'salvage':
            handle_salvage(session, options)


def _logout(session):
    try:
        session.logout()
    except Exception:
        pass


def main(argv=None):
    options, _args = get_options(argv)
    rules = read_prune_policy(options)
    session = koji.ClientSession(options.server, koji.grab_session_options(options))

    def busy():
        _logout(session)
        sys.exit(1)

    rv = 0
    try:
        fd = lock.acquire(options, busy)
        if not options.skip_main:
            run_actions(session, options, rules)
        lock.release(fd)
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        rv = exc.code if isinstance(exc.code, int) and exc.code else 1
    except (koji.GenericError, requests.exceptions.RequestException) as exc:
        sys.stderr.write('Error: %s\n' % exc)
        rv = 1
    _logout(session)
    if not options.skip_main or rv:
        sys.exit(rv)
