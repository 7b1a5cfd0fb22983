"""The hub's WSGI application: request routing, XML-RPC in and out, multicall, faults.

Every request runs in one thread with its state on ``koji.context.context`` and one
database transaction: a fault rolls everything back, a successful call that wrote data
commits (with the preCommit/postCommit plugin callbacks around the commit).  The only
process-level state is what startup builds once: options, registry, plugins, policies.
"""
import datetime
import logging
import os
import re
import socket
import sys
import threading
import time
import traceback

import koji
from koji import xmlrpcplus
from koji._version import __version__
from koji.context import context
from koji.server import BadRequest, RequestTimeout, ServerError

from . import argcheck
from . import config as hubconfig
from . import db
from .encode import FastEncoder
from . import plugins as hubplugins
from . import prefetch
from .registry import HandlerRegistry

logger = logging.getLogger('koji.hub')

# calls LockOut still lets everyone make
LOCKOUT_EXEMPT = ('login', 'sslLogin', 'logout')
MULTICALL_NAMES = ('multiCall', 'system.multicall')
# upstream's multicall is a method of its request handler class
MULTICALL_UPSTREAM = argcheck.UpstreamName('ModXMLRPCRequestHandler.multiCall', True)
# top-level functions of auth.py that are calls of their own
AUTH_FUNCTIONS = ('login', 'sslLogin', 'logout', 'subsession', 'logoutChild',
                  'exclusiveSession', 'sharedSession')

OFFLINE_DEFAULT = 'server is offline'
STARTUP_ERROR = 'server startup error'
DB_OUTAGE = 'database outage'
LOCKOUT_MESSAGE = 'Server disabled for maintenance'

METHOD_NOT_ALLOWED = ('Method Not Allowed\n'
                      'This is an XML-RPC server. Only POST requests are accepted.\n')
READ_CHUNK = 65536
# arrays/structs nested deeper than this are refused before any call sees them
MAX_NESTING = 100
I8_MIN, I8_MAX = -2 ** 63, 2 ** 63 - 1
UPLOAD_CONTENT_TYPE = 'application/octet-stream'

# optional WSGI environ key / env var naming a log file (otherwise stderr = httpd error log)
ENVIRON_LOG_FILE = 'koji.hub.LogFile'
OS_ENV_LOG_FILE = 'KOJI_HUB_LOG_FILE'


class HubMarshaller(xmlrpcplus.ExtendedMarshaller):
    """Response marshaller: datetimes go out as ``isoformat(' ')`` strings, not dateTime."""

    dispatch = dict(xmlrpcplus.ExtendedMarshaller.dispatch)

    def _dump_datetime(self, value, write):
        self.dump_unicode(value.isoformat(' '), write)

    dispatch[datetime.datetime] = _dump_datetime


def encode_response(result):
    return FastEncoder(HubMarshaller).encode(result)


# characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF): a fault text holding one would make the whole reply unreadable
_NOT_XML_CHAR = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def _escape_char(match):
    code = ord(match.group(0))
    return '\\x%02x' % code if code < 0x100 else '\\u%04x' % code


def clean_fault_text(text):
    """Fault text safe to send: characters XML cannot carry are written as escapes."""
    if not isinstance(text, str):
        text = str(text)
    return _NOT_XML_CHAR.sub(_escape_char, text)


def encode_fault(fault):
    fault = xmlrpcplus.Fault(fault.faultCode, clean_fault_text(fault.faultString))
    return xmlrpcplus.dumps(fault, marshaller=HubMarshaller)


# ---------------------------------------------------------------------------
# logging

class HubFormatter(logging.Formatter):
    """Formatter that fills the per-request fields LogFormat may use."""

    def format(self, record):
        record.method = getattr(context, 'method', None)
        environ = getattr(context, 'environ', None) or {}
        if 'REMOTE_ADDR' in environ:
            record.remoteaddr = '%s:%s' % (environ.get('REMOTE_ADDR'),
                                           environ.get('REMOTE_PORT', '?'))
        else:
            record.remoteaddr = None
        record.user_id = record.user_name = record.session_id = record.callnum = None
        session = getattr(context, 'session', None)
        if session is not None:
            try:
                record.session_id = getattr(session, 'id', None)
                record.callnum = getattr(session, 'callnum', None)
                if getattr(session, 'logged_in', False):
                    record.user_id = session.user_id
                    user_data = getattr(session, 'user_data', None) or {}
                    record.user_name = user_data.get('name')
            except Exception:
                pass
        return super().format(record)


_log_handler = None


def setup_logging1(environ=None):
    """Send koji.* logs to stderr (httpd's error log) or a configured file, early on."""
    global _log_handler
    log = logging.getLogger('koji')
    if _log_handler is None:
        fname = (environ or {}).get(ENVIRON_LOG_FILE) or os.environ.get(OS_ENV_LOG_FILE)
        if fname:
            from logging.handlers import WatchedFileHandler
            handler = WatchedFileHandler(fname)
        else:
            handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(HubFormatter(hubconfig.option_default('LogFormat')))
        log.addHandler(handler)
        _log_handler = handler
    log.setLevel(logging.WARNING)


def setup_logging2(opts):
    """Apply LogLevel / LogFormat / KojiDebug once the config is known."""
    log = logging.getLogger('koji')
    default_level = 'WARNING'
    for word in (opts.get('LogLevel') or '').split():
        if ':' in word:
            name, level = word.split(':', 1)
            if name != 'koji' and not name.startswith('koji.'):
                name = 'koji.' + name
            level = _level(level)
            if level is not None:
                logging.getLogger(name).setLevel(level)
        else:
            default_level = word
    level = _level(default_level)
    log.setLevel(logging.WARNING if level is None else level)
    if opts.get('KojiDebug'):
        log.setLevel(logging.DEBUG)
    if _log_handler is not None and opts.get('LogFormat'):
        _log_handler.setFormatter(HubFormatter(opts['LogFormat']))


def _level(name):
    value = logging.getLevelName(name.upper())
    if isinstance(value, int):
        return value
    logger.warning('Unknown log level: %r', name)
    return None


_statm = {'pid': None, 'fd': None}
_PAGE_KIB = os.sysconf('SC_PAGE_SIZE') // 1024


def _rss_kib():
    """Resident set size of this process in KiB (0 if unknown).

    Read twice per request, so it keeps /proc/self/statm open (per process: the fd must
    not be shared across a fork) and costs one pread.
    """
    pid = os.getpid()
    try:
        if _statm['pid'] != pid:
            _statm['fd'] = os.open('/proc/self/statm', os.O_RDONLY)
            _statm['pid'] = pid
        return int(os.pread(_statm['fd'], 128, 0).split()[1]) * _PAGE_KIB
    except (OSError, ValueError, IndexError):
        return 0


# ---------------------------------------------------------------------------
# one-time startup

class HubState(object):
    """What startup produced: options, handler registry, plugin tracker, policies."""

    def __init__(self):
        self.opts = None
        self.registry = None
        self.plugins = None
        self.policy = None
        self.error = None


_state = None
_state_lock = threading.Lock()


def get_registry(opts, tracker):
    """Register the facades, auth calls and plugin exports."""
    from . import auth
    from ..api.exports import NAMESPACES, RootExports
    from ..api.upstream_names import FUNCTION_NAMES
    registry = HandlerRegistry()
    registry.register_instance(RootExports(), function_names=FUNCTION_NAMES)
    for prefix, facade in NAMESPACES.items():
        registry.register_instance(facade(), prefix=prefix, function_names=FUNCTION_NAMES)
    for fname in AUTH_FUNCTIONS:
        registry.register_function(getattr(auth, fname), name=fname)
    if tracker is not None:
        hubplugins.register_plugins(tracker, registry, opts)
    return registry


def load_policy(opts, tracker):
    """Parse the [policy] rule sets once (plugins may add policy tests)."""
    from . import policy as hubpolicy
    return hubpolicy.get_policy(opts, tracker)


def server_setup(environ):
    """Build the process state; a failure leaves the hub answering 'server startup error'."""
    state = HubState()
    try:
        setup_logging1(environ)
        opts = hubconfig.load_config(environ)
        setup_logging2(opts)
        hubconfig.setup_rlimits(opts, logger=logger)
        db.provideDBopts(**hubconfig.db_options(opts))
        tracker = hubplugins.load_plugins(opts)
        state.plugins = tracker
        state.registry = get_registry(opts, tracker)
        state.policy = load_policy(opts, tracker)
        state.opts = opts
    except Exception:
        logger.error('Hub startup failed', exc_info=True)
        state.error = STARTUP_ERROR
    return state


def get_state(environ):
    global _state
    if _state is None:
        with _state_lock:
            if _state is None:
                _state = server_setup(environ)
    return _state


def reset_state():
    """Forget the startup state (tests; the next request sets up again)."""
    global _state
    with _state_lock:
        _state = None


# ---------------------------------------------------------------------------
# request body

def read_body(environ, max_length):
    """Read the whole request body, enforcing MaxRequestLength."""
    stream = environ.get('wsgi.input')
    raw_length = environ.get('CONTENT_LENGTH')
    length = None
    if raw_length not in (None, ''):
        try:
            length = int(raw_length)
        except ValueError:
            raise BadRequest('Invalid request: Bad Content-Length')
        if length < 0:
            raise BadRequest('Invalid request: Bad Content-Length')
        if max_length and length > max_length:
            raise BadRequest('Invalid request: Request too long')
    if stream is None:
        raise BadRequest('Invalid request: Empty request')
    chunks = []
    total = 0
    while length is None or total < length:
        want = READ_CHUNK if length is None else min(READ_CHUNK, length - total)
        try:
            chunk = stream.read(want)
        except socket.timeout:
            raise RequestTimeout('Timed out reading request body')
        except OSError as exc:
            if 'timed out' in str(exc).lower() or 'timeout' in str(exc).lower():
                raise RequestTimeout('Timed out reading request body')
            raise BadRequest('Invalid request: read error (%s)' % exc)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if max_length and total > max_length:
            raise BadRequest('Invalid request: Request too long')
    body = b''.join(chunks)
    if not body:
        raise BadRequest('Invalid request: Empty request')
    return body


def parse_request(body):
    """Decode a methodCall document into (params, method); 400 if it is not one."""
    try:
        parser, unmarshaller = xmlrpcplus.getparser()
        parser.feed(body)
        parser.close()
        params = unmarshaller.close()
        method = unmarshaller.getmethodname()
    except Exception as exc:
        reason = str(exc).strip() or exc.__class__.__name__
        raise BadRequest('Invalid request: %s' % reason)
    if not method:
        raise BadRequest('Invalid request: no methodName')
    return params, method


def check_params(params):
    """Refuse arguments no call can use: deeper than MAX_NESTING, integers beyond 64 bits.

    Such values would only fail later, deep inside a call or when the reply is encoded.
    """
    stack = [(params, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, tuple)):
            items = value
        elif isinstance(value, dict):
            items = value.values()
        elif isinstance(value, int) and not isinstance(value, bool):
            if not I8_MIN <= value <= I8_MAX:
                raise koji.ParameterError('Invalid argument: integer out of range')
            continue
        else:
            continue
        if depth >= MAX_NESTING:
            raise koji.ParameterError('Invalid argument: nested more than %d levels deep'
                                      % MAX_NESTING)
        stack.extend((item, depth + 1) for item in items)


# ---------------------------------------------------------------------------
# faults

def fault_from_exception():
    """Turn the exception being handled into an XML-RPC Fault per KojiDebug/KojiTraceback."""
    etype, value = sys.exc_info()[:2]
    opts = getattr(context, 'opts', None) or {}
    tb_style = opts.get('KojiTraceback')
    if isinstance(value, koji.GenericError):
        code = getattr(value, 'faultCode', koji.GenericError.faultCode)
        if opts.get('KojiDebug'):
            if tb_style == 'extended':
                text = koji.format_exc_plus()
            else:
                text = traceback.format_exc()
        else:
            text = str(value)
        logger.info('Call %s failed: %s', getattr(context, 'method', None), value,
                    exc_info=logger.isEnabledFor(logging.DEBUG))
    else:
        code = 1
        if tb_style == 'normal':
            text = traceback.format_exc()
        elif tb_style == 'extended':
            text = koji.format_exc_plus()
        else:
            text = '%s: %s' % (etype, value)
        logger.error('Unexpected error in %s', getattr(context, 'method', None), exc_info=True)
    return xmlrpcplus.Fault(code, text)


def offline_body(message):
    return encode_fault(xmlrpcplus.Fault(koji.ServerOffline.faultCode, message))


# ---------------------------------------------------------------------------
# calls

def _new_session():
    """Build the auth session for this request from its headers."""
    from . import auth
    context.session = auth.Session()


def _check_lockout(method):
    opts = context.opts
    if not opts.get('LockOut') or method in LOCKOUT_EXEMPT:
        return
    if not context.session.hasPerm('admin'):
        raise koji.ServerOffline(LOCKOUT_MESSAGE)


def _decode_args(params):
    from koji.args import decode_args
    return decode_args(*params)


def dispatch(method, params):
    """Run one call by name (multicall included, so multicalls may nest)."""
    if method in MULTICALL_NAMES:
        args, kwargs = _decode_args(params)
        return argcheck.call_checked(multicall, args, kwargs, upstream=MULTICALL_UPSTREAM)
    registry = context.handlers
    func = registry.get(method)
    args, kwargs = _decode_args(params)
    return registry.call_checked(method, func, args, kwargs)


def _drop_event():
    if hasattr(context, 'event_id'):
        del context.event_id


def multicall(calls):
    """Run several calls in one request; each gets a savepoint and its own event.

    Results: ``[value]`` on success, ``{faultCode, faultString}`` for an XML-RPC fault,
    ``{faultCode, faultString, traceback}`` for any other exception.
    """
    if not isinstance(calls, (list, tuple)):
        raise koji.ParameterError('multiCall takes an array of calls')
    depth = getattr(context, 'multicall_depth', 0) + 1
    context.multicall_depth = depth
    outer_method = getattr(context, 'method', None)
    spname = 'multiCall_loop_%d' % depth
    results = []
    prefetching = prefetch.start(calls)
    try:
        for call in calls:
            savepoint = db.Savepoint(spname)
            try:
                if not isinstance(call, dict):
                    raise koji.ParameterError('multiCall entries must be structs')
                if 'methodName' not in call or 'params' not in call:
                    raise koji.ParameterError('multiCall entries need methodName and params')
                method = call['methodName']
                params = call['params']
                if not isinstance(method, str):
                    raise koji.ParameterError('methodName must be a string')
                if not isinstance(params, (list, tuple)):
                    raise koji.ParameterError('params must be an array')
                context.method = method
                result = dispatch(method, params)
            except xmlrpcplus.Fault as fault:
                _rollback_savepoint(savepoint)
                results.append({'faultCode': fault.faultCode,
                                'faultString': clean_fault_text(fault.faultString)})
            except Exception:
                _rollback_savepoint(savepoint)
                results.append(_multicall_fault())
            else:
                _release_savepoint(savepoint)
                results.append([result])
            finally:
                context.method = outer_method
                _drop_event()
    finally:
        context.multicall_depth = depth - 1
        if prefetching:
            prefetch.stop()
    return results


def _rollback_savepoint(savepoint):
    savepoint.rollback()
    _release_savepoint(savepoint)


def _release_savepoint(savepoint):
    release = getattr(savepoint, 'release', None)
    if release is not None:
        release()


def _multicall_fault():
    etype, value, tb = sys.exc_info()
    code = getattr(value, 'faultCode', 1)
    if not isinstance(code, int) or isinstance(code, bool):
        code = 1
    log = logger.info if isinstance(value, koji.GenericError) else logger.error
    log('multicall entry %s failed: %s', getattr(context, 'method', None), value,
        exc_info=not isinstance(value, koji.GenericError))
    return {
        'faultCode': code,
        'faultString': clean_fault_text(', '.join(str(arg) for arg in value.args)),
        'traceback': [clean_fault_text(line)
                      for line in traceback.format_exception(etype, value, tb)],
    }


def handle_rpc(environ):
    """An XML-RPC POST: read, decode, authenticate, dispatch."""
    body = read_body(environ, context.opts.get('MaxRequestLength'))
    params, method = parse_request(body)
    context.method = method
    context.params = params
    _new_session()
    _check_lockout(method)
    logger.debug('Handler: %s', method)
    check_params(params)
    return dispatch(method, params)


def handle_upload(environ):
    """A raw chunk upload (octet-stream POST); the implementation lives in uploads.py."""
    context.method = None
    _new_session()
    _check_lockout('handle_upload')
    from ..tasks import uploads
    return uploads.handle_upload(environ)


def _commit():
    """Commit if the call wrote anything, running the plugin hooks around the commit."""
    if not getattr(context, 'commit_pending', False):
        return
    from koji.plugin import run_callbacks
    run_callbacks('preCommit')
    context.cnx.commit()
    context.commit_pending = False
    run_callbacks('postCommit')


def _rollback():
    context.commit_pending = False
    cnx = getattr(context, 'cnx', None)
    if cnx is None:
        return
    try:
        cnx.rollback()
    except Exception:
        logger.error('Rollback failed', exc_info=True)


def run_handler(handler, environ):
    """Run a request handler and return the encoded response (result or fault) as bytes."""
    start = time.time()
    try:
        result = handler(environ)
        response = encode_response(result).encode('utf-8')
        _commit()
    except ServerError:
        _rollback()
        raise
    except xmlrpcplus.Fault as fault:
        _rollback()
        logger.info('Call %s returned fault %s', getattr(context, 'method', None),
                    fault.faultCode)
        response = encode_fault(fault).encode('utf-8')
    except Exception:
        _rollback()
        response = encode_fault(fault_from_exception()).encode('utf-8')
    logger.debug('Returning %d bytes after %.3f seconds', len(response), time.time() - start)
    return response


# ---------------------------------------------------------------------------
# WSGI

def _respond(start_response, status, body, content_type='text/xml', extra=()):
    if isinstance(body, str):
        body = body.encode('utf-8')
    headers = [('Content-Type', content_type),
               ('Content-Length', str(len(body))),
               ('Koji-Version', __version__)]
    headers.extend(extra)
    start_response(status, headers)
    return [body]


def _handle(environ, start_response):
    if environ.get('REQUEST_METHOD') != 'POST':
        return _respond(start_response, '405 Method Not Allowed', METHOD_NOT_ALLOWED,
                        content_type='text/plain', extra=[('Allow', 'POST')])
    state = get_state(environ)
    if state.error:
        return _respond(start_response, '200 OK', offline_body(state.error))
    opts = state.opts
    if opts.get('ServerOffline'):
        return _respond(start_response, '200 OK',
                        offline_body(opts.get('OfflineMessage') or OFFLINE_DEFAULT))
    context.opts = opts
    context.handlers = state.registry
    context.policy = state.policy
    context.environ = environ
    context.commit_pending = False
    context.method = None
    try:
        context.cnx = db.connect()
    except Exception:
        logger.error('Cannot connect to the database', exc_info=True)
        return _respond(start_response, '200 OK', offline_body(DB_OUTAGE))
    if environ.get('CONTENT_TYPE') == UPLOAD_CONTENT_TYPE:
        handler = handle_upload
    else:
        handler = handle_rpc
    try:
        response = run_handler(handler, environ)
    except BadRequest as exc:
        return _respond(start_response, '400 Bad Request', '%s\n' % exc,
                        content_type='text/plain')
    except RequestTimeout as exc:
        return _respond(start_response, '408 Request Timeout', '%s\n' % exc,
                        content_type='text/plain')
    return _respond(start_response, '200 OK', response)


def application(environ, start_response):
    """WSGI entry point (mod_wsgi calls this for every request under /kojihub)."""
    context._threadclear()
    rss_before = _rss_kib()
    try:
        return _handle(environ, start_response)
    except Exception:
        # last resort: a bug in the dispatcher itself still answers with a fault
        logger.error('Unhandled error in hub dispatcher', exc_info=True)
        body = encode_fault(xmlrpcplus.Fault(1, 'internal hub error'))
        return _respond(start_response, '200 OK', body)
    finally:
        _finish_request(environ, rss_before)


def _finish_request(environ, rss_before):
    """Leave no transaction open and no request state behind; warn on memory growth."""
    cnx = getattr(context, 'cnx', None)
    if cnx is not None:
        try:
            cnx.rollback()
        except Exception:
            logger.warning('Dropping database connection after failed rollback',
                           exc_info=True)
            try:
                cnx.close()
            except Exception:
                pass
    opts = getattr(context, 'opts', None) or {}
    threshold = opts.get('MemoryWarnThreshold')
    method = getattr(context, 'method', None)
    if threshold and rss_before:
        rss_after = _rss_kib()
        if rss_after - rss_before > threshold:
            logger.warning('Memory usage of process %d grew from %d KiB to %d KiB '
                           '(+%d KiB) processing request %s', os.getpid(), rss_before,
                           rss_after, rss_after - rss_before, method)
    context._threadclear()
