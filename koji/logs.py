"""Attach and detach the standard Koji log handlers (file, stderr, syslog, mail).

Daemons (hub, kojid, kojira) configure logging by logger name through these.
"""
import logging
import logging.handlers
import os
import pwd
import socket

FILE_FORMAT = '%(asctime)s [%(levelname)s] %(name)s: %(message)s'
STDERR_FORMAT = '%(asctime)s [%(levelname)s] {%(process)d} %(name)s:%(lineno)d %(message)s'
SYSLOG_FORMAT = '%(name)s: %(message)s'
MAIL_FORMAT = '%(pathname)s:%(lineno)d [%(levelname)s] %(message)s'


def add_file_logger(logger, fn):
    """Log to file ``fn`` (reopened if rotated); silently skipped if it cannot be written."""
    if not os.path.exists(fn):
        try:
            with open(fn, 'w'):
                pass
        except (ValueError, OSError):
            return
    if not os.path.isfile(fn) or not os.access(fn, os.W_OK):
        return
    handler = logging.handlers.WatchedFileHandler(fn)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    logging.getLogger(logger).addHandler(handler)
    return handler


def add_stderr_logger(logger):
    """Log everything (DEBUG and up) to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(STDERR_FORMAT))
    handler.setLevel(logging.DEBUG)
    logging.getLogger(logger).addHandler(handler)
    return handler


def add_sys_logger(logger):
    """Log INFO and up to the local syslog, daemon facility."""
    handler = logging.handlers.SysLogHandler(
        address='/dev/log', facility=logging.handlers.SysLogHandler.LOG_DAEMON)
    handler.setFormatter(logging.Formatter(SYSLOG_FORMAT))
    handler.setLevel(logging.INFO)
    logging.getLogger(logger).addHandler(handler)
    return handler


def add_mail_logger(logger, addr):
    """Mail ERROR records to the comma separated addresses in ``addr`` (no-op if empty)."""
    if not addr:
        return
    recipients = [a.strip() for a in addr.split(',') if a.strip()]
    host = socket.getfqdn()
    sender = '%s@%s' % (pwd.getpwuid(os.getuid())[0], host)
    handler = logging.handlers.SMTPHandler('localhost', sender, recipients,
                                           '%s: error notice' % host)
    handler.setFormatter(logging.Formatter(MAIL_FORMAT))
    handler.setLevel(logging.ERROR)
    logging.getLogger(logger).addHandler(handler)
    return handler


def remove_log_handler(logger, handler):
    """Detach ``handler`` from the named logger."""
    logging.getLogger(logger).removeHandler(handler)
