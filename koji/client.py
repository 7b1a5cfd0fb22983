"""The hub client: ClientSession and the HTTP helpers it relies on.

A ClientSession turns ``session.someMethod(*args, **kwargs)`` into one XML-RPC POST to the
hub (wire.md sections 1-4), keeps the login state (session id/key/callnum headers), renews
expired sessions, retries transport failures (wire.md section 9) and offers the multicall
(``koji.multicall``) and upload (``koji.upload``) front ends.
"""
import errno
import functools
import http.client
import logging
import os
import re
import tempfile
import time
import traceback
import urllib.parse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from koji.args import encode_args
from koji.constants import AUTHTYPES, DEFAULT_AUTH_TIMEOUT, DEFAULT_REQUEST_TIMEOUT
from koji.exceptions import (
    AuthError,
    AuthExpired,
    GenericError,
    GSSAPIAuthError,
    MultiCallInProgress,
    ParameterError,
    ServerOffline,
    convertFault,
)
from koji.multicall import MultiCallHack, VirtualMethod, first_fault, split_batches
from koji.rpmheader import check_rpm_file
from koji.upload import UploadMixin
from koji.xmlrpcplus import Fault, dumps, getparser

USER_AGENT = 'koji/1'
# hubs older than 1.23 send no Koji-Version header and have no getKojiVersion call
OLDEST_HUB_VERSION = '1.22.0'
GSSAPI_DEBUG_DOC = ('Use following documentation to debug kerberos/gssapi auth issues. '
                    'https://docs.pagure.org/koji/kerberos_gssapi_debug/')

_CONN_ERRNOS = (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE)
# RemoteDisconnected derives from both BadStatusLine and ConnectionResetError
_CONN_ERROR_TYPES = (http.client.BadStatusLine, http.client.IncompleteRead,
                     ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
_CERT_ERROR_MARKERS = (
    'certificate verify failed',
    'certificate revoked',
    'certificate expired',
    'certificate required',
    'certificate unknown',
    'bad certificate',
    'unknown ca',
    'pem lib',
)


def _nested_errors(err, depth=0):
    """Yield err and the exceptions wrapped inside it (requests/urllib3 nest them deeply)."""
    yield err
    if depth >= 6:
        return
    inner = [a for a in getattr(err, 'args', ()) if isinstance(a, BaseException)]
    for attr in ('reason', '__cause__'):
        value = getattr(err, attr, None)
        if isinstance(value, BaseException) and value is not err:
            inner.append(value)
    for sub in inner:
        yield from _nested_errors(sub, depth + 1)


def is_conn_error(e):
    """True if e looks like a dropped (keep-alive) connection, worth one immediate resend."""
    for err in _nested_errors(e):
        if isinstance(err, _CONN_ERROR_TYPES):
            return True
        if getattr(err, 'errno', None) in _CONN_ERRNOS:
            return True
    return False


def is_requests_cert_error(e):
    """True if e is a TLS failure caused by a certificate: retrying cannot help."""
    if not isinstance(e, requests.exceptions.SSLError):
        return False
    text = str(e).lower()
    return any(marker in text for marker in _CERT_ERROR_MARKERS)


def is_transport_error(e):
    """True for failures of the HTTP exchange itself (as opposed to hub faults)."""
    if isinstance(e, (Fault, GenericError)):
        return False
    if is_requests_cert_error(e):
        return False
    return isinstance(e, (requests.exceptions.RequestException, http.client.HTTPException,
                          OSError))


def request_with_retry(retries=3, backoff_factor=0.3,
                       status_forcelist=(500, 502, 504, 408, 429), session=None):
    """A requests.Session that retries connection problems and the given HTTP statuses."""
    if session is None:
        session = requests.Session()
    retry = Retry(total=retries, read=retries, connect=retries,
                  backoff_factor=backoff_factor, status_forcelist=status_forcelist)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session


def _check_rpm(fileobj):
    """Sanity-check a downloaded rpm."""
    check_rpm_file(fileobj)


def downloadFile(url, path=None, fo=None):
    """Download url into fo (an open binary file) or, without fo, into the file at path.

    The byte count is checked against Content-Length so truncated transfers are caught;
    rpms are sanity-checked afterwards.
    """
    if fo is None and not path:
        raise GenericError('downloadFile needs a path or a file object')
    own_file = fo is None
    if own_file:
        fo = open(path, 'wb')
    try:
        start = fo.tell() if fo.seekable() else None
        written = 0
        with request_with_retry().get(url, stream=True) as resp:
            resp.raise_for_status()
            expected = resp.headers.get('Content-Length')
            if resp.headers.get('Content-Encoding'):
                expected = None  # iter_content decodes, so the sizes differ
            for chunk in resp.iter_content(chunk_size=65536):
                fo.write(chunk)
                written += len(chunk)
        fo.flush()
        if expected is not None and int(expected) != written:
            raise GenericError("Downloaded file %s doesn't match expected size (%s vs %s)"
                               % (url, expected, written))
        if (path or url).endswith('.rpm'):
            try:
                if own_file:
                    _check_rpm(path)
                elif start is not None:
                    fo.seek(start)
                    _check_rpm(fo)
            except Exception as ex:
                raise GenericError('Downloaded rpm %s is corrupted:\n%s' % (url, ex))
    finally:
        if own_file:
            fo.close()


def openRemoteFile(relpath, topurl=None, topdir=None, tempdir=None):
    """Open a file of the koji store for reading, over HTTP (topurl) or locally (topdir)."""
    if topurl:
        url = '%s/%s' % (topurl.rstrip('/'), relpath)
        fo = tempfile.TemporaryFile(dir=tempdir)
        try:
            downloadFile(url, path=relpath, fo=fo)
        except BaseException:
            fo.close()
            raise
        fo.seek(0)
        return fo
    if topdir:
        return open('%s/%s' % (topdir, relpath), 'rb')
    raise GenericError('No access method for remote file: %s' % relpath)


def _force_https(url):
    """Certificate and GSSAPI logins need TLS whatever scheme the profile gives."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == 'https':
        return url
    return parts._replace(scheme='https').geturl()


def describe_exception(err):
    """'<module>.<Class>: <message>' and a newline, as the traceback module prints it.

    The koji exception classes are shown under the package name (koji.AuthError), where
    callers know them from.
    """
    text = ''.join(traceback.format_exception_only(type(err), err))
    cls = type(err)
    if cls.__module__ == 'koji.exceptions':
        text = text.replace('koji.exceptions.%s' % cls.__qualname__,
                            'koji.%s' % cls.__qualname__, 1)
    return text


def _version_tuple(text):
    """'1.35.3' -> (1, 35, 3); trailing non-digits of a part are ignored."""
    parts = []
    for piece in str(text).split('.'):
        match = re.match(r'\d+', piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)


def renew_expired_session(func):
    """Decorator: on AuthExpired re-run the last login with renew=True, then retry once."""
    @functools.wraps(func)
    def _call_renewing(self, *args, **kwargs):
        try:
            return func(self, *args, **kwargs)
        except AuthExpired:
            if self._renewing or not self.auth_method:
                raise
            self.logger.info('Session expired, renewing it')
            self._renew_session()
            return func(self, *args, **kwargs)
    return _call_renewing


class ClientSession(UploadMixin):
    """Connection to one hub; unknown attributes become remote method calls."""

    renew_expired_session = staticmethod(renew_expired_session)
    _is_transport_error = staticmethod(is_transport_error)

    def __init__(self, baseurl, opts=None, sinfo=None, auth_method=None):
        self.baseurl = baseurl
        self.opts = dict(opts) if opts else {}
        if self.opts.get('timeout') is None:
            self.opts['timeout'] = DEFAULT_REQUEST_TIMEOUT
        self.logger = logging.getLogger('koji')
        self.authtype = None
        self.exclusive = False
        self.auth_method = auth_method
        self.retries = 0
        self.rsession = None
        self._renewing = False
        self._login_timeout = False
        self._hub_version_str = None
        self._calls = []
        self._multicall = MultiCallHack(self)
        self.setSession(sinfo)
        self.new_session()

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return VirtualMethod(self._callMethod, name, self)

    def __del__(self):
        # __init__ may have failed before the attributes existed
        if self.__dict__.get('logged_in') and self.__dict__.get('rsession') is not None:
            try:
                self.logout()
            except Exception:
                pass

    # ---- session state -------------------------------------------------------------

    def setSession(self, sinfo):
        """Install hub session info (None means logged out); numbering restarts at 0."""
        self.logged_in = bool(sinfo)
        self.sinfo = sinfo if sinfo else None
        self.callnum = 0
        if not sinfo:
            self.exclusive = False

    def new_session(self):
        """Start a fresh requests.Session (dropping pooled, possibly dead, connections)."""
        if self.rsession is not None:
            try:
                self.rsession.close()
            except Exception:
                pass
        self.rsession = requests.Session()

    def _forget(self):
        """Drop session info without logging out, e.g. in a forked child."""
        self.new_session()
        self.setSession(None)

    @property
    def multicall(self):
        return self._multicall

    @multicall.setter
    def multicall(self, value):
        self._multicall.value = bool(value)

    @property
    def hub_version_str(self):
        if self._hub_version_str is None:
            try:
                self._hub_version_str = self._call_with_retries('getKojiVersion', (), {})
            except GenericError as err:
                if 'Invalid method' not in str(err):
                    raise
                self._hub_version_str = OLDEST_HUB_VERSION
        return self._hub_version_str

    @property
    def hub_version(self):
        return _version_tuple(self.hub_version_str)

    # ---- authentication ------------------------------------------------------------

    def login(self, opts=None, renew=False):
        """Password login with opts user/password; False if the hub gave no session."""
        kwargs = {'opts': opts}
        if renew:
            kwargs['renew'] = True
            kwargs['exclusive'] = self.exclusive
        user = self.opts.get('user')
        password = self.opts.get('password')
        sinfo = self._callMethod('login', (user, password), kwargs)
        if not sinfo:
            return False
        self.setSession(sinfo)
        self.authtype = AUTHTYPES['NORMAL']
        self.auth_method = {'method': 'login', 'kwargs': {'opts': opts}}
        return True

    def _login_kwargs(self, proxyuser, proxyauthtype, renew):
        """sslLogin's keyword arguments, as upstream's client sends them."""
        kwargs = {'proxyuser': proxyuser}
        if renew:
            kwargs['renew'] = True
            kwargs['exclusive'] = self.exclusive
        if proxyauthtype is not None:
            kwargs['proxyauthtype'] = proxyauthtype
        return kwargs

    def ssl_login(self, cert=None, ca=None, serverca=None, proxyuser=None, proxyauthtype=None,
                  renew=False):
        """Log in with a client certificate (ca is accepted for compatibility, unused)."""
        cert = cert or self.opts.get('cert')
        serverca = serverca or self.opts.get('serverca')
        if cert is None:
            raise AuthError('No client cert provided')
        if not os.access(cert, os.R_OK):
            raise AuthError("Certificate %s doesn't exist or is not accessible" % cert)
        if serverca and not os.access(serverca, os.R_OK):
            raise AuthError("Server CA %s doesn't exist or is not accessible" % serverca)
        # the https URL stays, whatever the outcome (as upstream)
        self.baseurl = _force_https(self.baseurl)
        self.new_session()
        saved = (self.opts.get('cert'), self.opts.get('serverca'))
        self.opts['cert'] = cert
        self.opts['serverca'] = serverca
        self._login_timeout = True
        sinfo = None
        e_str = None
        try:
            sinfo = self._callMethod('sslLogin', (),
                                     self._login_kwargs(proxyuser, proxyauthtype, renew))
        except Exception as err:
            e_str = 'ssl auth failed: %s' % describe_exception(err)
            self.logger.debug(e_str)
            sinfo = None
        finally:
            self._login_timeout = False
        if not sinfo:
            self.opts['cert'], self.opts['serverca'] = saved
            msg = 'unable to obtain a session'
            if e_str:
                msg += ' (%s)' % e_str
            raise AuthError(msg)
        self.setSession(sinfo)
        self.authtype = AUTHTYPES['SSL']
        self.auth_method = {'method': 'ssl_login', 'kwargs': {
            'cert': cert, 'ca': ca, 'serverca': serverca, 'proxyuser': proxyuser,
            'proxyauthtype': proxyauthtype}}
        return True

    def gssapi_login(self, principal=None, keytab=None, ccache=None, proxyuser=None,
                     proxyauthtype=None, renew=False):
        """Log in with Kerberos (SPNEGO) credentials through requests-gssapi.

        Connection errors are retried (max_retries, retry_interval); TLS errors and hub
        faults end the attempt at once.
        """
        try:
            import requests_gssapi
        except ImportError:
            raise ImportError('Please install requests-gssapi to use GSSAPI authentication')
        env = {}
        if keytab:
            env['KRB5_CLIENT_KTNAME'] = keytab
        if ccache:
            env['KRB5CCNAME'] = ccache
        saved_env = {key: os.environ.get(key) for key in env}
        auth_kwargs = {'mutual_authentication': requests_gssapi.OPTIONAL}
        if principal:
            auth_kwargs['principal'] = principal
        old_baseurl = self.baseurl
        self.baseurl = _force_https(self.baseurl)
        self.new_session()
        kwargs = self._login_kwargs(proxyuser, proxyauthtype, renew)
        sinfo = None
        e_str = None
        os.environ.update(env)
        self._login_timeout = True
        try:
            self.opts['auth'] = requests_gssapi.HTTPKerberosAuth(**auth_kwargs)
            for tries in range(self._opt('max_retries', 30)):
                try:
                    sinfo = self._callMethod('sslLogin', (), kwargs, retry=False)
                    break
                except Exception as err:
                    if not is_conn_error(err) or \
                            isinstance(err, requests.exceptions.SSLError):
                        raise
                    self.logger.info('Try #%s for call %s (sslLogin) failed: %s',
                                     tries, self.callnum, err)
                    time.sleep(self._opt('retry_interval', 20))
        except Exception as err:
            e_str = '(gssapi auth failed: %s)\n%s' % (
                describe_exception(err).strip('\n'), GSSAPI_DEBUG_DOC)
            self.logger.error(e_str)
            self.baseurl = old_baseurl
        finally:
            self._login_timeout = False
            self.opts.pop('auth', None)
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if not sinfo:
            msg = 'unable to obtain a session'
            if e_str:
                msg += ' %s' % e_str
            raise GSSAPIAuthError(msg)
        self.setSession(sinfo)
        self.authtype = AUTHTYPES['GSSAPI']
        self.auth_method = {'method': 'gssapi_login', 'kwargs': {
            'principal': principal, 'keytab': keytab, 'ccache': ccache,
            'proxyuser': proxyuser, 'proxyauthtype': proxyauthtype}}
        return True

    def _renew_session(self):
        """Repeat the stored login with renew=True; the hub keeps the session id."""
        method = self.auth_method or {}
        login = getattr(type(self), method.get('method') or '', None)
        if login is None:
            raise AuthExpired('session expired and no login method to renew it')
        kwargs = dict(method.get('kwargs') or {})
        kwargs['renew'] = True
        self._renewing = True
        try:
            ok = login(self, **kwargs)
        finally:
            self._renewing = False
        if not ok:
            raise AuthExpired('unable to renew the expired session')

    def subsession(self):
        """Open a hub subsession and return a new ClientSession bound to it."""
        sinfo = self.callMethod('subsession')
        child = type(self)(self.baseurl, self.opts, sinfo, auth_method=self.auth_method)
        child.authtype = self.authtype
        return child

    def exclusiveSession(self, *args, **kwargs):
        """Ask the hub to make this session exclusive (force=True steals the lock)."""
        result = self._callMethod('exclusiveSession', args, kwargs)
        if not self._multicall.value:
            self.exclusive = True
        return result

    def sharedSession(self, *args, **kwargs):
        result = self._callMethod('sharedSession', args, kwargs)
        if not self._multicall.value:
            self.exclusive = False
        return result

    def logout(self, session_id=None):
        """Close the session (or another one by id) on the hub; never retried."""
        if not self.logged_in:
            return
        try:
            self._logout(session_id)
        except AuthError:
            # already expired/closed on the hub, e.g. by a forced exclusive login
            pass
        if session_id is None or session_id == self.sinfo.get('session-id'):
            self.setSession(None)
            self.auth_method = None

    def _logout(self, session_id=None):
        """Send logout once; hubs predating the session_id parameter get a bare logout()."""
        try:
            return self._call_once('logout', (session_id,))
        except ParameterError:
            if session_id is not None:
                raise
            return self._call_once('logout', ())

    # ---- calling the hub -----------------------------------------------------------

    def callMethod(self, name, *args, **opts):
        """Call hub method name with the given arguments."""
        return self._callMethod(name, args, opts)

    @renew_expired_session
    def _callMethod(self, name, args, kwargs=None, retry=True):
        """Send one call (or queue it while the legacy multicall flag is set)."""
        if self._multicall.value:
            if kwargs:
                args = encode_args(*args, **kwargs)
            self._calls.append({'methodName': name, 'params': tuple(args)})
            return MultiCallInProgress
        return self._call_with_retries(name, args, kwargs, retry)

    def _opt(self, key, default):
        value = self.opts.get(key)
        return default if value is None else value

    def _call_with_retries(self, name, args, kwargs=None, retry=True):
        """The retry policy of wire.md section 9 around one prepared request.

        The identical request (same callnum) is resent, so the hub can detect a repeat.
        """
        callnum = self.callnum if self.logged_in else None
        handler, headers, request = self._prepCall(name, args, kwargs)
        max_retries = self._opt('max_retries', 30)
        interval = self._opt('retry_interval', 20)
        tries = 0
        self.retries = 0
        while True:
            tries += 1
            self.retries += 1
            try:
                return self._sendCall(handler, headers, request)
            except Fault as fault:
                err = convertFault(fault)
                if isinstance(err, ServerOffline) and self.opts.get('offline_retry'):
                    wait = self._opt('offline_retry_interval', 20)
                    self.logger.info('Hub is offline, retrying call %s (%s) in %s seconds',
                                     callnum, name, wait)
                    time.sleep(wait)
                    tries = 0
                    continue
                raise err
            except (SystemExit, KeyboardInterrupt):
                raise
            except Exception as err:
                self.new_session()
                if is_requests_cert_error(err):
                    raise
                if not self.logged_in and not self.opts.get('anon_retry'):
                    raise
                if not retry or tries > max_retries:
                    raise
                self.logger.info('Try #%s for call %s (%s) failed: %s', tries, callnum, name,
                                 err)
                if self.opts.get('debug'):
                    self.logger.debug(traceback.format_exc())
                if tries > 1:
                    time.sleep(interval)

    def _call_once(self, name, args, kwargs=None):
        """Send one call without queuing, retries or renewal; faults come back converted."""
        handler, headers, request = self._prepCall(name, args, kwargs)
        try:
            return self._sendCall(handler, headers, request)
        except Fault as fault:
            raise convertFault(fault)

    def _session_auth(self, handler):
        """Attach session credentials to a request, consuming one call number."""
        if not self.logged_in:
            return handler, {}
        callnum = self.callnum
        self.callnum += 1
        if self.sinfo.get('header-auth'):
            return handler, {
                'Koji-Session-Id': str(self.sinfo['session-id']),
                'Koji-Session-Key': str(self.sinfo['session-key']),
                'Koji-Session-Callnum': str(callnum),
            }
        # hubs before 1.30 only read the credentials from the query string
        query = urllib.parse.urlencode([('session-id', self.sinfo['session-id']),
                                        ('session-key', self.sinfo['session-key']),
                                        ('callnum', callnum)])
        return '%s%s%s' % (handler, '&' if '?' in handler else '?', query), {}

    def _prepCall(self, name, args, kwargs=None):
        """Build (url, headers, body) for an XML-RPC call."""
        if name == 'rawUpload':
            return self._prepUpload(*args, **(kwargs or {}))
        params = encode_args(*args, **(kwargs or {}))
        request = dumps(params, name, allow_none=1).encode('utf-8')
        if name == 'sslLogin':
            handler = self.baseurl.rstrip('/') + '/ssllogin'
        else:
            handler = self.baseurl
        headers = {
            'User-Agent': USER_AGENT,
            'Content-Type': 'text/xml',
            'Content-Length': str(len(request)),
        }
        handler, auth_headers = self._session_auth(handler)
        headers.update(auth_headers)
        return handler, headers, request

    def _prepUpload(self, chunk, offset, path, name, verify='adler32', overwrite=False,
                    volume=None):
        """Build (url, headers, body) for one raw upload chunk (wire.md section 8.1)."""
        query = [('filename', name), ('filepath', path)]
        if verify:
            query.append(('fileverify', verify))
        query.append(('offset', str(offset)))
        if overwrite:
            query.append(('overwrite', '1'))
        if volume is not None:
            query.append(('volume', volume))
        handler = '%s?%s' % (self.baseurl, urllib.parse.urlencode(query))
        headers = {
            'User-Agent': USER_AGENT,
            'Content-Type': 'application/octet-stream',
            'Content-length': str(len(chunk)),
        }
        handler, auth_headers = self._session_auth(handler)
        headers.update(auth_headers)
        return handler, headers, chunk

    def _sendCall(self, handler, headers, request):
        """POST once, plus one immediate resend if a kept-alive connection was dropped."""
        try:
            return self._sendOneCall(handler, headers, request)
        except Exception as err:
            if not is_conn_error(err):
                raise
            self.logger.debug('Connection error (%s), reconnecting', err)
            self.new_session()
        return self._sendOneCall(handler, headers, request)

    def _timeout(self):
        if self._login_timeout:
            return self._opt('auth_timeout', DEFAULT_AUTH_TIMEOUT)
        return self._opt('timeout', DEFAULT_REQUEST_TIMEOUT)

    def _sendOneCall(self, handler, headers, request):
        callopts = {
            'headers': headers,
            'data': request,
            'stream': True,
            'timeout': self._timeout(),
        }
        if self.opts.get('serverca'):
            callopts['verify'] = self.opts['serverca']
        elif self.opts.get('no_ssl_verify'):
            callopts['verify'] = False
        if self.opts.get('cert'):
            callopts['cert'] = self.opts['cert']
        if self.opts.get('auth') is not None:
            callopts['auth'] = self.opts['auth']
        debug_xmlrpc = self.opts.get('debug_xmlrpc')
        if debug_xmlrpc:
            self.logger.debug('url: %s', handler)
            self.logger.debug('headers: %r', headers)
            body = request if len(request) <= 1024 else request[:1024] + b'...'
            self.logger.debug('data: %r', body)
        response = self.rsession.post(handler, **callopts)
        try:
            version = response.headers.get('Koji-Version')
            if version:
                self._hub_version_str = version
            response.raise_for_status()
            return self._read_xmlrpc_response(response, debug_xmlrpc)
        finally:
            response.close()

    def _read_xmlrpc_response(self, response, debug=False):
        """Parse a streamed methodResponse; a fault reply raises xmlrpc Fault."""
        parser, unmarshaller = getparser()
        for chunk in response.iter_content(65536):
            if debug:
                self.logger.debug('body: %r', chunk)
            parser.feed(chunk)
        parser.close()
        result = unmarshaller.close()
        if len(result) == 1:
            result = result[0]
        return result

    # ---- legacy multicall ----------------------------------------------------------

    def multiCall(self, strict=False, batch=None):
        """Send the calls queued since ``session.multicall = True``.

        Returns one entry per call: ``[result]`` or a fault struct. strict raises the first
        fault once all results are in; batch splits the calls into several requests.
        """
        if not self._multicall.value:
            raise GenericError(
                'ClientSession.multicall must be set to True before calling multiCall()')
        self._multicall.value = False
        calls, self._calls = self._calls, []
        if not calls:
            return []
        results = []
        for group in split_batches(calls, batch):
            results.extend(self._callMethod('multiCall', (group,), {}))
        if strict:
            err = first_fault(results)
            if err is not None:
                raise err
        return results
