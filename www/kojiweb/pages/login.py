"""Login (client cert or GSSAPI, proxied to the hub) and logout."""
import urllib.parse

import koji

from kojiweb import auth
from kojiweb.request import Redirect

from . import page


def _back(req, page_name, https):
    """Absolute URL of a page of this app (only a local page name is followed)."""
    target = page_name or ''
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith('/') or '\\' in target:
        target = ''
    env = req.environ
    host = env.get('HTTP_HOST') or env.get('SERVER_NAME', 'localhost')
    if not https:
        scheme = env.get('wsgi.url_scheme', 'http')
    else:
        scheme = 'https'
    script = env.get('SCRIPT_NAME', '/koji')
    return '%s://%s%s/%s' % (scheme, host, script, target)


@page
def login(req, page=None):
    env = req.environ
    authtype = req.auth_type()
    if authtype == koji.AUTHTYPES['SSL']:
        if env.get('wsgi.url_scheme') != 'https':
            dest = 'login'
            if page:
                dest += '?page=' + urllib.parse.quote(page, safe='')
            raise Redirect(_https(req, dest))
        verify = env.get('SSL_CLIENT_VERIFY')
        if verify != 'SUCCESS':
            raise koji.AuthError('could not verify client: %s' % verify)
        username = env.get('SSL_CLIENT_S_DN_CN')
        if not username:
            raise koji.AuthError('unable to get user information from client certificate')
    else:
        username = env.get('REMOTE_USER')
        if not username:
            raise koji.AuthError('configuration error: mod_auth_gssapi should have '
                                 'performed authentication before presenting this page')
    req.proxy_login(username)
    req.set_cookie(auth.make_cookie(username, req.opts, env))
    raise Redirect(_back(req, page, https=True))


def _https(req, dest):
    env = req.environ
    host = env.get('HTTP_HOST') or env.get('SERVER_NAME', 'localhost')
    host = host.split(':')[0]
    return 'https://%s%s/%s' % (host, env.get('SCRIPT_NAME', '/koji'), dest)


@page
def logout(req, page=None):
    req.headers = [h for h in req.headers if h[0] != 'Set-Cookie']
    req.set_cookie(auth.clear_cookie(req.environ))
    raise Redirect(_back(req, page, https=False))
