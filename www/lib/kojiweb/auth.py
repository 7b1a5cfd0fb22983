"""The signed `user` cookie and the CSRF token `a`, in upstream's formats."""
import datetime
import hashlib
import http.cookies
import os
import time

import koji

COOKIE = 'user'
TOKEN_STEP = 15  # minutes


def _secret(opts):
    secret = opts.get('Secret')
    value = getattr(secret, 'value', secret)
    if not value:
        raise koji.AuthError('Unable to authenticate, server secret not configured')
    return value


def sign(payload, opts):
    """`<sha256(payload + Secret)>:<payload>`."""
    digest = hashlib.sha256((payload + _secret(opts)).encode('utf-8')).hexdigest()
    return '%s:%s' % (digest, payload)


def cookie_path(environ):
    """dirname(SCRIPT_NAME): `/koji` gives `/`."""
    return os.path.dirname(environ.get('SCRIPT_NAME', '/koji')) or '/'


def make_cookie(username, opts, environ, now=None):
    """The Set-Cookie value that logs `username` in (refreshed on each request)."""
    now = int(time.time() if now is None else now)
    value = sign('%s:%d' % (username, now), opts)
    morsel = http.cookies.SimpleCookie()
    morsel[COOKIE] = value
    item = morsel[COOKIE]
    item['secure'] = True
    item['path'] = cookie_path(environ)
    item['expires'] = opts['LoginTimeout'] * 60 * 60
    return item.OutputString() + '; HttpOnly; SameSite=Strict'


def clear_cookie(environ):
    morsel = http.cookies.SimpleCookie()
    morsel[COOKIE] = ''
    item = morsel[COOKIE]
    item['path'] = cookie_path(environ)
    item['expires'] = 0
    return item.OutputString()


def read_cookie(environ, opts, now=None):
    """The user name of a valid, unexpired cookie, else None (anonymous)."""
    raw = environ.get('HTTP_COOKIE')
    if not raw:
        return None
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(raw)
    except http.cookies.CookieError:
        return None
    if COOKIE not in jar:
        return None
    value = jar[COOKIE].value
    parts = value.split(':', 1)
    if len(parts) != 2:
        return None
    payload = parts[1]
    if sign(payload, opts) != value:
        return None
    fields = payload.rsplit(':', 1)
    if len(fields) != 2:
        return None
    user, stamp = fields
    try:
        stamp = float(stamp)
    except ValueError:
        return None
    now = time.time() if now is None else now
    if stamp < now - opts['LoginTimeout'] * 60 * 60:
        return None
    return user


def _quarter(when):
    return when.replace(minute=when.minute - when.minute % TOKEN_STEP, second=0,
                        microsecond=0)


def token(username, opts, when=None):
    """sha256(username + str(local time at the 15-minute boundary) + Secret)."""
    if not username:
        return ''
    when = _quarter(when or datetime.datetime.now())
    data = username + str(when) + _secret(opts)
    return hashlib.sha256(data.encode('utf-8')).hexdigest()


def check_token(value, username, opts, when=None):
    """True for the tokens of this quarter hour and the two before it."""
    if not value or not username:
        return False
    when = _quarter(when or datetime.datetime.now())
    for back in (0, 1, 2):
        moment = when - datetime.timedelta(minutes=TOKEN_STEP * back)
        if value == token(username, opts, moment):
            return True
    return False
