"""Sessions, logins and permission checks for one hub request.

The dispatcher builds one ``Session`` per request (after ``context.method`` is known) and
stores it as ``context.session``; every domain module then asks it who the caller is and
what the caller may do.  The login calls registered on the hub are thin module-level
wrappers around the session's methods.
"""
import logging
import secrets
import socket
import string
import time
import urllib.parse

import koji
from koji.context import context

from ..users import perms as _perms
from ..users import users as _users
from .argcheck import call_checked
from .db import QueryProcessor, _dml, _singleValue, nextval

logger = logging.getLogger('koji.hub.auth')

# calls that may be repeated with the same callnum (they are idempotent and builders
# retry them after transport errors)
RetryWhitelist = [
    'host.taskWait',
    'host.taskUnwait',
    'host.taskSetWait',
    'host.updateHost',
    'host.setBuildRootState',
    'repoExpire',
    'repoDelete',
    'repoProblem',
    # our long poll commits while it waits, so its callnum is stored even when the
    # builder never got the answer (a hub restart mid-poll): asking again is harmless
    'host.getTasks',
]

# methods a session locked out by another exclusive session may still call
LOCK_EXEMPT_METHODS = ('exclusiveSession', 'login', 'logout')

# methods an expired session may call (renewal)
RENEWAL_METHODS = ('login', 'sslLogin')

_KEY_CHARS = string.ascii_letters + string.digits
_KEY_LENGTH = 19

_SESSION_FIELDS = (
    ('id', 'id'),
    ('user_id', 'user_id'),
    ('authtype', 'authtype'),
    ('callnum', 'callnum'),
    ('"exclusive"', 'exclusive'),
    ('expired', 'expired'),
    ('master', 'master'),
    ('hostip', 'hostip'),
    ('start_time', 'start_time'),
    ('update_time', 'update_time'),
    ('renew_time', 'renew_time'),
    ("date_part('epoch', start_time)", 'start_ts'),
    ("date_part('epoch', update_time)", 'update_ts'),
    ("date_part('epoch', renew_time)", 'renew_ts'),
)


def _opts():
    return getattr(context, 'opts', None) or {}


def _environ():
    return getattr(context, 'environ', None) or {}


def _raw_execute(sql, values):
    """Run a statement without flagging the request as a writer.

    Used for session bookkeeping (callnum) that must only persist if the call itself
    ends up committing.
    """
    cursor = context.cnx.cursor()
    try:
        cursor.execute(sql, values)
    finally:
        cursor.close()


# session ids and call numbers are INTEGER columns
_INT_MIN, _INT_MAX = -2 ** 31, 2 ** 31 - 1


def _parse_int(value, what):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise koji.AuthError('Invalid %s: %r' % (what, value))
    if not _INT_MIN <= number <= _INT_MAX:
        raise koji.AuthError('Invalid %s: %r' % (what, value))
    return number


def _session_info(session_id, key):
    return {'session-id': session_id, 'session-key': key, 'header-auth': True}


class Session(object):
    """Authentication state of the current request.

    A request without session headers (or URL session args) is anonymous; otherwise the
    session row must match id, key and client ip, or the request fails.
    """

    def __init__(self, args=None, hostip=None):
        self.logged_in = False
        self.id = None
        self.key = None
        self.user_id = None
        self.user_data = {}
        self.session_data = {}
        self.authtype = None
        self.hostip = None
        self.master = None
        self.exclusive = False
        self.lockerror = None
        self.callnum = None
        self.message = ''
        self._perms = None
        self._groups = None

        found = self._read_credentials(args)
        if found is None:
            return
        session_id, key, callnum = found
        self.hostip = self.get_remote_ip(override=hostip)
        row = self._fetch_session(session_id, key, self.hostip)
        if row is None:
            raise koji.AuthError('Invalid session or bad credentials')
        self._check_expiry(row)
        self._check_callnum(row, callnum)

        # update_time is committed right away so the session looks alive even if the call
        # fails; the callnum is written afterwards and is only kept if the call commits
        _raw_execute('UPDATE sessions SET update_time = NOW() WHERE id = %(id)s',
                     {'id': session_id})
        context.cnx.commit()
        if callnum is not None:
            _raw_execute('UPDATE sessions SET callnum = %(callnum)s WHERE id = %(id)s',
                         {'callnum': callnum, 'id': session_id})

        self.user_data = self.checkLoginAllowed(row['user_id'])
        self.session_data = row
        self.logged_in = True
        self.id = session_id
        self.key = key
        self.user_id = row['user_id']
        self.authtype = row['authtype']
        self.master = row['master']
        self.callnum = callnum
        self._check_exclusive(row)

    # -- request parsing and validation

    def _read_credentials(self, args):
        """Return (session_id, key, callnum) from headers or the query string, or None."""
        environ = _environ()
        if 'HTTP_KOJI_SESSION_ID' in environ:
            session_id = _parse_int(environ['HTTP_KOJI_SESSION_ID'], 'session id')
            key = environ.get('HTTP_KOJI_SESSION_KEY')
            callnum = environ.get('HTTP_KOJI_SESSION_CALLNUM')
            if callnum is None:
                callnum = environ.get('HTTP_KOJI_CALLNUM')
        else:
            if args is None:
                args = environ.get('QUERY_STRING', '')
            if _opts().get('DisableURLSessions', False) or not args:
                return None
            try:
                parsed = urllib.parse.parse_qs(args, strict_parsing=True)
            except ValueError as ex:
                raise koji.AuthError('Invalid session args: %s' % ex)
            for field in ('session-id', 'session-key'):
                if field not in parsed:
                    raise koji.AuthError("'%s' not specified in session args" % field)
            session_id = _parse_int(parsed['session-id'][0], 'session id')
            key = parsed['session-key'][0]
            callnum = parsed.get('callnum', [None])[0]
        if callnum is not None:
            callnum = _parse_int(callnum, 'callnum')
        return session_id, key, callnum

    @staticmethod
    def _fetch_session(session_id, key, hostip):
        columns = [c for c, _ in _SESSION_FIELDS]
        aliases = [a for _, a in _SESSION_FIELDS]
        query = QueryProcessor(tables=['sessions'], columns=columns, aliases=aliases,
                               clauses=['id = %(id)s', 'key = %(key)s',
                                        'hostip = %(hostip)s', 'closed IS FALSE'],
                               values={'id': session_id, 'key': key, 'hostip': hostip},
                               prepare=True)
        return query.executeOne()

    def _check_expiry(self, row):
        """Mark a session past SessionRenewalTimeout expired; only renewal may continue."""
        timeout = _opts().get('SessionRenewalTimeout', 1440)
        if not row['expired'] and timeout:
            since = row['renew_ts'] or row['start_ts']
            if time.time() > since + timeout * 60:
                # expire the whole session family; committed because the call fails next
                _raw_execute('UPDATE sessions SET expired = TRUE '
                             'WHERE id = %(id)s OR master = %(id)s', {'id': row['id']})
                context.cnx.commit()
                row['expired'] = True
        if row['expired'] and getattr(context, 'method', None) not in RENEWAL_METHODS:
            raise koji.AuthExpired('session "%i" has expired' % row['id'])

    @staticmethod
    def _check_callnum(row, callnum):
        lastcall = row['callnum']
        if callnum is None or lastcall is None:
            return
        if lastcall > callnum:
            raise koji.SequenceError('%d > %d (session %d)' % (lastcall, callnum, row['id']))
        if lastcall == callnum:
            method = getattr(context, 'method', None) or 'UNKNOWN'
            if method not in RetryWhitelist:
                raise koji.RetryError('unable to retry call %d (method %s) for session %d'
                                      % (callnum, method, row['id']))

    def _check_exclusive(self, row):
        if row['exclusive']:
            self.exclusive = True
            return
        excl_id = _singleValue('SELECT id FROM sessions WHERE user_id = %(user_id)s '
                               'AND "exclusive" = TRUE AND closed IS FALSE',
                               {'user_id': row['user_id']}, strict=False)
        if not excl_id:
            return
        if excl_id == row['master']:
            # our master session holds the lock, so we share it
            self.exclusive = True
            return
        self.lockerror = 'User locked by another session'
        method = getattr(context, 'method', None)
        # method is None for raw uploads, which are not refused here
        if method is not None and method not in LOCK_EXEMPT_METHODS:
            raise koji.AuthLockError(self.lockerror)

    def get_remote_ip(self, override=None):
        """Client address the session is bound to ('-' when CheckClientIP is off)."""
        if not _opts().get('CheckClientIP', True):
            return '-'
        if override is not None:
            return override
        hostip = _environ().get('REMOTE_ADDR')
        if hostip is None:
            return '-'
        if hostip == '127.0.0.1':
            # local clients are bound to the hub host's address, as a remote one would be
            try:
                hostip = socket.gethostbyname(socket.gethostname())
            except OSError:
                pass
        return hostip

    def __str__(self):
        if not self.logged_in:
            return 'session: not logged in'
        return 'session %d: user %s (%d), authtype %s, hostip %s, master %s, ' \
               'exclusive %s, callnum %s' % (
                   self.id, self.user_data.get('name'), self.user_id, self.authtype,
                   self.hostip, self.master, self.exclusive, self.callnum)

    # -- permissions and identity

    def getPerms(self):
        """Names of the caller's permissions, group-inherited ones included (cached)."""
        if not self.logged_in:
            return []
        if self._perms is None:
            self._perms = _perms.get_user_perms(self.user_id)
        return list(self._perms)

    def hasPerm(self, name):
        """Exact permission test: admin does NOT imply other permissions here."""
        return name in self.getPerms()

    def assertPerm(self, name):
        """Fail unless the caller has the permission or is admin."""
        if self.hasPerm(name) or self.hasPerm('admin'):
            return
        msg = '%s permission required' % name
        if self.logged_in:
            msg += ' (logged in as %s)' % self.user_data['name']
        else:
            msg += ' (user not logged in)'
        raise koji.ActionNotAllowed(msg)

    def assertLogin(self):
        if not self.logged_in:
            raise koji.ActionNotAllowed('you must be logged in for this operation')

    def getGroups(self):
        """{group_id: name} of the groups the caller belongs to (cached)."""
        if not self.logged_in:
            return {}
        if self._groups is None:
            self._groups = _users.get_user_groups(self.user_id)
        return dict(self._groups)

    def isUser(self, user_id):
        """True if the caller is user_id or a member of group user_id."""
        if not self.logged_in:
            return False
        return user_id == self.user_id or user_id in self.getGroups()

    def assertUser(self, user_id):
        if not self.isUser(user_id) and not self.hasPerm('admin'):
            raise koji.AuthError('Not owner')

    def getUserId(self, username):
        """Id of the user with this name, or None."""
        return _singleValue('SELECT id FROM users WHERE name = %(name)s',
                            {'name': username}, strict=False)

    def getHostId(self):
        """Host id of the logged-in user, or None if the caller is not a host.

        Asked by the host.* guard and again by the call itself: one query per request.
        """
        if not self.logged_in:
            return None
        cached = getattr(self, '_host_id_cache', None)
        if cached is not None and cached[0] == self.user_id:
            return cached[1]
        host_id = _singleValue('SELECT id FROM host WHERE user_id = %(user_id)s',
                               {'user_id': self.user_id}, strict=False)
        self._host_id_cache = (self.user_id, host_id)
        return host_id

    def checkLoginAllowed(self, user_id):
        """Return the user's {name, status, usertype}; fail if the user may not log in."""
        query = QueryProcessor(tables=['users'], columns=['name', 'status', 'usertype'],
                               clauses=['id = %(user_id)s'], values={'user_id': user_id},
                               prepare=True)
        data = query.executeOne()
        if data is None:
            raise koji.AuthError('invalid user_id: %s' % user_id)
        if data['status'] != koji.USER_STATUS['NORMAL']:
            raise koji.AuthError('logins by %s are not allowed' % data['name'])
        return data

    # -- kerberos helpers (the data lives in users.py)

    def checkKrbPrincipal(self, krb_principal):
        """Fail unless the principal's realm is in AllowedKrbRealms."""
        _users.check_krb_principal(krb_principal)

    def getUserIdFromKerberos(self, krb_principal):
        self.checkKrbPrincipal(krb_principal)
        return _singleValue('SELECT user_id FROM user_krb_principals '
                            'WHERE krb_principal = %(krb)s', {'krb': krb_principal},
                            strict=False)

    def createUser(self, name, usertype=None, status=None, krb_principal=None,
                   krb_princ_check=True):
        return _users.create_user(name, usertype=usertype, status=status,
                                  krb_principal=krb_principal,
                                  krb_princ_check=krb_princ_check)

    def createUserFromKerberos(self, krb_principal):
        """Create (or attach to a same-named user) for a principal 'name@REALM'."""
        self.checkKrbPrincipal(krb_principal)
        name = krb_principal.split('@', 1)[0]
        user_id = self.getUserId(name)
        if user_id:
            _users.set_krb_principal(user_id, krb_principal, krb_princ_check=False)
            return user_id
        return _users.create_user(name, krb_principal=krb_principal, krb_princ_check=False)

    def setKrbPrincipal(self, name, krb_principal, krb_princ_check=True):
        return _users.set_krb_principal(name, krb_principal, krb_princ_check=krb_princ_check)

    def removeKrbPrincipal(self, name, krb_principal):
        return _users.remove_krb_principal(name, krb_principal)

    # -- logins

    def login(self, user, password, opts=None, renew=False, exclusive=False):
        """Password login; returns the session info dict."""
        if opts is None:
            opts = {}
        if not isinstance(opts, dict):
            raise koji.ParameterError('opts must be a dict')
        if not isinstance(password, str) or not password:
            raise koji.AuthError('invalid username or password')
        self._assert_not_logged_in()
        hostip = self.get_remote_ip(override=opts.get('hostip'))
        if not isinstance(user, str):
            raise koji.AuthError('invalid username or password')
        user_id = _singleValue('SELECT id FROM users WHERE name = %(user)s '
                               'AND password = %(password)s',
                               {'user': user, 'password': password}, strict=False)
        if not user_id:
            raise koji.AuthError('invalid username or password')
        return self._finish_login(user_id, hostip, koji.AUTHTYPES['NORMAL'], renew,
                                  exclusive)

    def sslLogin(self, proxyuser=None, proxyauthtype=None, renew=False, exclusive=None):
        """Login from httpd's authentication: GSSAPI (REMOTE_USER) or a client cert."""
        self._assert_not_logged_in()
        environ = _environ()
        opts = _opts()
        if environ.get('REMOTE_USER'):
            username = environ['REMOTE_USER']
            client_dn = username
            authtype = koji.AUTHTYPES['GSSAPI']
        else:
            verify = environ.get('SSL_CLIENT_VERIFY')
            if verify != 'SUCCESS':
                raise koji.AuthError('could not verify client: %s' % verify)
            component = opts.get('DNUsernameComponent', 'CN')
            username = environ.get('SSL_CLIENT_S_DN_%s' % component)
            if not username:
                raise koji.AuthError('unable to get user information (%s) from client '
                                     'certificate' % component)
            client_dn = environ.get('SSL_CLIENT_S_DN')
            authtype = koji.AUTHTYPES['SSL']

        if proxyuser:
            username, authtype = self._proxy_identity(client_dn, authtype, proxyuser,
                                                      proxyauthtype)

        by_principal = authtype == koji.AUTHTYPES['GSSAPI'] and '@' in username
        if by_principal:
            user_id = self.getUserIdFromKerberos(username)
        else:
            user_id = self.getUserId(username)
        if not user_id:
            if not opts.get('LoginCreatesUser', True):
                raise koji.AuthError('Unknown user: %s' % username)
            if by_principal:
                user_id = self.createUserFromKerberos(username)
            else:
                user_id = self.createUser(username)
        return self._finish_login(user_id, self.get_remote_ip(), authtype, renew, exclusive)

    def _assert_not_logged_in(self):
        """A live session may not log in again; an expired one may (that is renewal)."""
        if self.logged_in and not self.session_data.get('expired'):
            raise koji.AuthError('Already logged in')

    @staticmethod
    def _proxy_identity(client_dn, authtype, proxyuser, proxyauthtype):
        """Check the authenticated client may act for proxyuser; return (name, authtype)."""
        opts = _opts()
        if authtype == koji.AUTHTYPES['GSSAPI']:
            allowed = opts.get('ProxyPrincipals', '') or ''
            allowed = [p.strip() for p in allowed.split(',')]
        else:
            allowed = opts.get('ProxyDNs', '') or ''
            allowed = [p.strip() for p in allowed.split('|')]
        if not client_dn or client_dn not in allowed:
            raise koji.AuthError('%s is not authorized to login other users' % client_dn)
        if proxyauthtype is not None:
            if proxyauthtype != authtype and not opts.get('AllowProxyAuthType', False):
                raise koji.AuthError('Proxy must use same auth mechanism as hub (behaviour '
                                     'can be overriden via AllowProxyAuthType hub option)')
            if proxyauthtype not in (koji.AUTHTYPES['GSSAPI'], koji.AUTHTYPES['SSL']):
                raise koji.AuthError('Proxied authtype %s is not valid for sslLogin'
                                     % proxyauthtype)
            authtype = proxyauthtype
        return proxyuser, authtype

    def _finish_login(self, user_id, hostip, authtype, renew, exclusive):
        user_data = self.checkLoginAllowed(user_id)
        if renew and self.logged_in and user_id != self.user_id:
            raise koji.AuthError('Session renewal is only possible for the same user')
        sinfo = self.createSession(user_id, hostip, authtype, renew=renew)
        if sinfo is not None:
            self.user_data = user_data
            if exclusive and not self.exclusive:
                self.makeExclusive()
        return sinfo

    @staticmethod
    def _new_key(user_id):
        return '%s-%s' % (user_id, ''.join(secrets.choice(_KEY_CHARS)
                                           for _ in range(_KEY_LENGTH)))

    def createSession(self, user_id, hostip, authtype, master=None, renew=False):
        """Open a session (or, with renew, re-key the current one); return its info.

        With master set the new session is a subsession and this object is unchanged.
        Renewing a subsession whose master is closed gives None.
        """
        key = self._new_key(user_id)
        if renew and self.logged_in and master is None:
            if self.master is not None:
                master_open = _singleValue('SELECT id FROM sessions WHERE id = %(id)s '
                                           'AND closed IS FALSE', {'id': self.master},
                                           strict=False)
                if not master_open:
                    return None
            # the client restarts its call numbers after a renewal
            _dml('UPDATE sessions SET key = %(key)s, expired = FALSE, renew_time = NOW(), '
                 'callnum = NULL WHERE id = %(id)s', {'key': key, 'id': self.id})
            session_id = self.id
        else:
            session_id = nextval('sessions_id_seq')
            _dml('INSERT INTO sessions (id, user_id, key, hostip, authtype, master) '
                 'VALUES (%(id)s, %(user_id)s, %(key)s, %(hostip)s, %(authtype)s, '
                 '%(master)s)',
                 {'id': session_id, 'user_id': user_id, 'key': key, 'hostip': hostip,
                  'authtype': authtype, 'master': master})
        if master is None:
            if session_id != self.id:
                # a brand new top-level session
                self.master = None
                self.exclusive = False
                self.lockerror = None
                self.hostip = hostip
            self.logged_in = True
            self.id = session_id
            self.key = key
            self.user_id = user_id
            self.authtype = authtype
            self.callnum = None
            self._perms = None
            self._groups = None
        return _session_info(session_id, key)

    # -- session management

    def makeExclusive(self, force=False):
        """Make this session the user's only exclusive session."""
        if self.master is not None:
            raise koji.GenericError('subsessions cannot become exclusive')
        if self.exclusive:
            return
        if not self.logged_in:
            # nothing to lock for anonymous callers
            return
        # serialize concurrent attempts for this user on the user row
        _singleValue('SELECT id FROM users WHERE id = %(user_id)s FOR UPDATE',
                     {'user_id': self.user_id}, strict=False)
        excl_id = _singleValue('SELECT id FROM sessions WHERE user_id = %(user_id)s '
                               'AND "exclusive" = TRUE AND closed IS FALSE FOR UPDATE',
                               {'user_id': self.user_id}, strict=False)
        if excl_id:
            if not force:
                raise koji.AuthLockError('Cannot get exclusive session')
            _dml('UPDATE sessions SET expired = TRUE, "exclusive" = NULL, closed = TRUE '
                 'WHERE id = %(id)s', {'id': excl_id})
        _dml('UPDATE sessions SET "exclusive" = TRUE WHERE id = %(id)s', {'id': self.id})
        self.exclusive = True
        self.lockerror = None

    def makeShared(self):
        """Leave exclusive mode."""
        if not self.logged_in:
            return
        _dml('UPDATE sessions SET "exclusive" = NULL WHERE id = %(id)s', {'id': self.id})
        self.exclusive = False

    def _close(self, clause, values):
        _dml('UPDATE sessions SET expired = TRUE, "exclusive" = NULL, closed = TRUE '
             'WHERE ' + clause, values)

    def logout(self, session_id=None):
        """Close a session (default: ours) together with its subsessions."""
        if not self.logged_in:
            raise koji.AuthError('Not logged in')
        if session_id is None:
            session_id = self.id
        elif session_id != self.id and not self.hasPerm('admin'):
            owner = _singleValue('SELECT user_id FROM sessions WHERE id = %(id)s',
                                 {'id': session_id}, strict=False)
            if owner != self.user_id:
                raise koji.ActionNotAllowed('only admins or owners may logout other '
                                            'sessions')
        self._close('id = %(id)s OR master = %(id)s', {'id': session_id})
        if session_id == self.id:
            self.logged_in = False
            self.exclusive = False
            self._perms = None
            self._groups = None

    def logoutChild(self, session_id):
        """Close one subsession of the current session."""
        if not self.logged_in:
            raise koji.AuthError('Not logged in')
        self._close('id = %(id)s AND master = %(master)s',
                    {'id': session_id, 'master': self.id})

    def subsession(self):
        """Open a child session for the same user (used per task by builders)."""
        if not self.logged_in:
            raise koji.AuthError('Not logged in')
        master = self.master or self.id
        return self.createSession(self.user_id, self.hostip, self.authtype, master=master)


# -- calls registered on the hub under these names

# The login calls take any arguments (as upstream's wrappers do) and pass them on to the
# Session method: arguments that do not fit it are the caller's error, not the hub's.

def login(*args, **opts):
    return call_checked(context.session.login, args, opts)


def sslLogin(*args, **opts):
    return call_checked(context.session.sslLogin, args, opts)


def logout(session_id=None):
    return context.session.logout(session_id)


def subsession():
    return context.session.subsession()


def logoutChild(session_id):
    return context.session.logoutChild(session_id)


def exclusiveSession(*args, **opts):
    """Make this session exclusive"""
    return call_checked(context.session.makeExclusive, args, opts)


def sharedSession():
    """Drop out of exclusive mode"""
    return context.session.makeShared()


def assert_host_session():
    """The caller must be a build host on an exclusive session (upstream's Host().verify())."""
    session = getattr(context, 'session', None)
    if session is None or not session.logged_in:
        raise koji.AuthError('Not logged-in')
    if session.getHostId() is None:
        raise koji.AuthError('User %i is not a host' % session.user_id)
    if not session.exclusive:
        raise koji.AuthError('This method requires an exclusive session')


_INFO_FIELDS = ('authtype', 'callnum', 'exclusive', 'expired', 'master', 'renew_time',
                'renew_ts', 'start_time', 'start_ts', 'update_time', 'update_ts', 'user_id')


class SessionExports(object):
    """Session introspection calls, bound into RootExports."""

    @staticmethod
    def showSession():
        """Return a debug description of the caller's session."""
        return '%s' % context.session

    @staticmethod
    def getSessionInfo(details=False, user_id=None):
        """Return the caller's session, or with user_id that user's active sessions.

        Listing another user's sessions needs admin.  None when not logged in.
        """
        session = context.session
        if not session.logged_in:
            return None
        wanted = list(_INFO_FIELDS)
        if details:
            wanted += ['hostip', 'id']
        fields = [(c, a) for c, a in _SESSION_FIELDS if a in wanted]
        columns = [c for c, _ in fields]
        aliases = [a for _, a in fields]
        if user_id is not None:
            uid = _users.get_user(user_id, strict=True)['id']
            if uid != session.user_id and not session.hasPerm('admin'):
                raise koji.ActionNotAllowed('only admins or owners may see all active '
                                            'sessions')
            query = QueryProcessor(tables=['sessions'], columns=columns, aliases=aliases,
                                   clauses=['user_id = %(user_id)s', 'expired IS FALSE'],
                                   values={'user_id': uid}, opts={'order': 'id'},
                                   order_map={'id': 'id'})
            return query.execute()
        # the caller's own session as read when the call came in (as upstream): callnum
        # is the previous call's
        return {key: session.session_data[key] for key in wanted}

    @staticmethod
    def getLoggedInUser():
        """The caller's user record plus authtype and first krb principal (or None)."""
        session = context.session
        if not session.logged_in:
            return None
        user = _users.get_user(session.user_id, strict=True)
        user['authtype'] = session.authtype
        principals = user.get('krb_principals') or []
        user['krb_principal'] = principals[0] if principals else None
        return user
