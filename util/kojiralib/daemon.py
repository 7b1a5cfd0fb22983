"""kojira's process: logging, login, the worker threads, the main loop and shutdown."""
import logging
import os
import pprint
import signal
import sys
import threading
import time
import traceback

import koji

from .deleter import Deleter
from .external import check_external_repos
from .janitor import Janitor
from .options import ConfigError, get_options
from .prune import Pruner

logger = logging.getLogger('koji.repo')


def quit(msg=None, code=1):
    if msg:
        logger.error(msg)
        sys.stderr.write('%s\n' % msg)
        sys.stderr.flush()
    sys.exit(code)


# seconds a worker thread may take to finish its current call at shutdown
THREAD_STOP_TIMEOUT = 30


class Kojira(object):
    """The janitor's state shared by the main loop and the worker threads."""

    def __init__(self, options, session):
        self.options = options
        self.session = session
        self.pathinfo = koji.PathInfo(topdir=options.topdir)
        self.deleter = Deleter(options.max_delete_processes)
        self.janitor = Janitor(options, self.pathinfo, self.deleter)
        self.pruner = Pruner(options, self.pathinfo, self.deleter, self.janitor)
        self.stopping = threading.Event()
        self.thread_names = ['currency', 'regen', 'autoregen', 'rmtree']
        if options.check_external_repos:
            self.thread_names.append('check_external')
        self.threads = {}

    # -- worker threads, each on its own subsession

    def work(self, name, session):
        """One unit of a worker thread's loop."""
        if name == 'currency':
            session.repo.updateEndEvents()
        elif name == 'regen':
            session.repo.checkQueue()
        elif name == 'autoregen':
            session.repo.autoRequests()
        elif name == 'rmtree':
            self.deleter.run()
        elif name == 'check_external':
            check_external_repos(session)

    def thread_loop(self, name, session):
        tlog = logging.getLogger('koji.repo.%s' % name)
        tlog.info('%s thread starting', name)
        try:
            while not self.stopping.is_set():
                self.work(name, session)
                self.stopping.wait(self.options.sleeptime)
        except Exception:
            tlog.exception('Error in %s thread', name)
            raise
        finally:
            try:
                session.logout()
            except Exception:
                pass

    def start_thread(self, name):
        subsession = self.session.subsession()
        thread = threading.Thread(name=name, target=self.thread_loop, args=(name, subsession),
                                  daemon=True)
        thread.start()
        self.threads[name] = thread

    def check_threads(self):
        for name in self.thread_names:
            if not self.threads[name].is_alive():
                logger.error('%s thread died. Restarting it.', name)
                self.start_thread(name)

    # -- the main loop

    def one_pass(self):
        self.janitor.update(self.session)
        logger.debug('Tracking %i repos, %i child processes', len(self.janitor.repos),
                     len(self.deleter.jobs))
        self.pruner.prune(self.session)
        self.check_threads()

    def run(self):
        def shutdown(*_args):
            raise SystemExit
        signal.signal(signal.SIGTERM, shutdown)
        exit_code = 0
        try:
            for name in self.thread_names:
                self.start_thread(name)
            logger.info('Entering main loop')
            while True:
                try:
                    self.one_pass()
                except (KeyboardInterrupt, SystemExit, koji.AuthError):
                    raise
                except Exception:
                    logger.error(''.join(traceback.format_exception(*sys.exc_info())))
                time.sleep(self.options.sleeptime)
        except KeyboardInterrupt:
            logger.warning('User exit')
        except koji.AuthExpired:
            logger.warning('Session expired')
            exit_code = 1
        except koji.AuthError:
            logger.warning('Authentication error')
            exit_code = 1
        except SystemExit:
            logger.warning('Shutting down')
        # later signals must not interrupt the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        self.stopping.set()
        # each worker logs its subsession out as it stops; the main logout waits for them,
        # so that the hub never closes a session family while a member closes itself
        for thread in self.threads.values():
            thread.join(THREAD_STOP_TIMEOUT)
        try:
            self.deleter.run()
            self.deleter.kill()
        finally:
            # a SIGTERM may have cut a call short and left its pooled connection half
            # read: log out over a fresh one
            self.session.new_session()
            try:
                self.session.logout()
            except Exception:
                logger.exception('Logout failed')
                exit_code = 1
        return exit_code


def setup_logging(options):
    if options.logfile:
        if not os.path.exists(options.logfile):
            try:
                open(options.logfile, 'w').close()
            except Exception:
                quit('Cannot create logfile: %s' % options.logfile)
        if not os.access(options.logfile, os.W_OK):
            quit('Cannot write to logfile: %s' % options.logfile)
        koji.add_file_logger('koji', options.logfile)
    klog = logging.getLogger('koji')
    if options.debug:
        klog.setLevel(logging.DEBUG)
    elif options.verbose:
        klog.setLevel(logging.INFO)
    elif options.quiet:
        klog.setLevel(logging.ERROR)
    else:
        klog.setLevel(logging.WARNING)


def _have_gssapi():
    try:
        import requests_gssapi  # noqa: F401
    except ImportError:
        return False
    return True


def login(options):
    """SSL certificate, then user/password, then GSSAPI; then the exclusive session."""
    session = koji.ClientSession(options.server, koji.grab_session_options(options))
    try:
        if options.cert is not None and os.path.isfile(options.cert):
            session.ssl_login(options.cert, None, options.serverca)
        elif options.user:
            session.login()
        elif _have_gssapi() and options.principal and options.keytab:
            session.gssapi_login(options.principal, options.keytab, options.ccache)
        else:
            quit('No username/password/certificate supplied and Kerberos missing or '
                 'not configured')
    except koji.AuthError as exc:
        quit(str(exc))
    try:
        session.exclusiveSession(force=options.force_lock)
    except koji.AuthLockError:
        quit('Error: Unable to get lock. Trying using --force-lock')
    if not session.logged_in:
        quit('Error: Unknown login error')
    return session


def main(argv=None):
    try:
        options = get_options(argv)
    except ConfigError as exc:
        quit(str(exc))
    if options.show_config:
        pprint.pprint(options.__dict__)
        sys.exit(0)
    setup_logging(options)
    session = login(options)
    if options.skip_main:
        sys.exit(0)
    if options.daemon:
        koji.daemonize()
    else:
        koji.add_stderr_logger('koji')
    sys.exit(Kojira(options, session).run())
