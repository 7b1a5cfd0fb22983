"""Login (client cert or GSSAPI, proxied to the hub) and logout."""
import koji

from kojiweb import auth

from . import page


@page
def login(req, page=None):
    env = req.environ
    authtype = req.auth_type()
    if authtype == koji.AUTHTYPES['SSL']:
        if env.get('wsgi.url_scheme') != 'https':
            dest = 'login'
            if page:
                dest += '?page=' + page
            req.redirect_back(dest, force_ssl=True)
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
    req.redirect_back(page, force_ssl=True)


@page
def logout(req, page=None):
    req.headers = [h for h in req.headers if h[0] != 'Set-Cookie']
    req.set_cookie(auth.clear_cookie(req.environ))
    req.redirect_back(page, force_ssl=False)
