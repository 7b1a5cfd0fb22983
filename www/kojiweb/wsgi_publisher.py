"""WSGI entry of the web UI (`Alias /koji .../wsgi_publisher.py`): dispatch to pages."""
import inspect
import logging
import os
import sys
import threading
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
for _path in (HERE, os.path.join(os.path.dirname(HERE), 'lib'), os.path.dirname(
        os.path.dirname(HERE))):
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.append(_path)

import koji  # noqa: E402
from kojiweb import config, util  # noqa: E402
from kojiweb.request import NotFound, Redirect, Request  # noqa: E402
from kojiweb.templating import render  # noqa: E402

import pages  # noqa: E402

TEMPLATES = os.path.join(HERE, 'templates')
# .../koji-web/scripts next to .../koji-web/static, installed or in a checkout (www/)
STATIC = os.path.join(os.path.dirname(HERE), 'static')
ALLOWED = ('GET', 'POST', 'HEAD')
_opts_cache = {}
_opts_lock = threading.Lock()
log = logging.getLogger('koji.web')


def _options(environ):
    key = (environ.get('koji.web.ConfigFile'), environ.get('koji.web.ConfigDir'))
    with _opts_lock:
        opts = _opts_cache.get(key)
        if opts is None:
            opts = config.load(environ)
            # not a web.conf option (as upstream): where themes and snippets are looked up
            opts['KojiStaticDir'] = STATIC
            libpath = opts.get('LibPath')
            if libpath and os.path.isdir(libpath) and libpath not in sys.path:
                sys.path.insert(0, libpath)
            _opts_cache[key] = opts
        return opts


def _call(handler, req):
    """Pass the query parameters the handler names (others dropped, unless **kwargs)."""
    sig = inspect.signature(handler)
    params = list(sig.parameters.values())[1:]
    kwargs = {}
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params)
    names = {p.name for p in params if p.kind != p.VAR_KEYWORD}
    for key, value in req.params.items():
        if key in names or takes_any:
            kwargs[key] = value
    for p in params:
        if p.kind != p.VAR_KEYWORD and p.default is p.empty and p.name not in kwargs:
            raise koji.GenericError('missing required parameter: %s' % p.name)
    return handler(req, **kwargs)


def _error_page(environ, opts, exc=None, message=None):
    """The error page: header, explanation, the exception (shown by its debug level), the
    traceback only with PythonDebug."""
    opts = opts or {}
    if exc is not None:
        tb_short = ''.join(traceback.format_exception_only(type(exc), exc))
        tb_long = traceback.format_exc()
        explanation, level = util.explainError(exc)
        title = 'Outage' if isinstance(exc, koji.ServerOffline) else 'Error'
    else:
        tb_short = tb_long = ''
        explanation, level, title = 'Unknown error', 0, 'Error'
    if message:
        explanation = message
    values = {'siteName': opts.get('SiteName'), 'title': title, 'pageID': title.lower(),
              'explanation': explanation, 'debug_level': level, 'tb_short': tb_short,
              'tb_long': tb_long if opts.get('PythonDebug') else 'Full tracebacks disabled',
              'currentDate': '', 'currentUser': None, 'authToken': '', 'terms': '',
              'mavenEnabled': False, 'winEnabled': False, 'isAdmin': False,
              'LoginDisabled': opts.get('LoginDisabled'),
              'KojiGreeting': opts.get('KojiGreeting'), 'util': util, 'koji': koji,
              'extraNav': '', 'extraFooter': '', 'extraBottom': '',
              'theme': lambda p: util.themePath(p, opts),
              'img': lambda name: util.imageTag(name, opts)}
    try:
        return ''.join(render(TEMPLATES, name, values) for name in (
            'includes/header.chtml', 'error.chtml', 'includes/footer.chtml'))
    except Exception:
        log.exception('error rendering the error page')
        return '<html><body><h4>Error</h4><div>%s</div></body></html>' % util.escapeHTML(
            explanation)


def _prepare(environ):
    """Page name of the request, or a Redirect for an empty path."""
    path = environ.get('PATH_INFO', '')
    if not path:
        raise Redirect(environ.get('REQUEST_URI', environ.get('SCRIPT_NAME', '')) + '/')
    name = path.strip('/').split('/')[0] or 'index'
    return name


def _close(server):
    rsession = getattr(server, 'rsession', None)
    if rsession is not None:
        try:
            rsession.close()
        except Exception:
            pass


def _finish(req):
    """Log out the hub session a proxied login opened for this request, and close the
    hub connections (a streamed answer closes them when its body is done)."""
    if req is None:
        return
    if req.server.logged_in:
        try:
            req.server.logout()
        except Exception:
            log.exception('hub logout failed')
    if not getattr(req, 'streaming', False):
        _close(req.server)


def _closing(body, server):
    try:
        yield from body
    finally:
        _close(server)


def application(environ, start_response):
    method = environ.get('REQUEST_METHOD', 'GET').upper()
    base_headers = [('Allow', 'GET, POST, HEAD')]
    opts = None
    req = None
    try:
        opts = _options(environ)
        if method not in ALLOWED:
            status = '405 Method Not Allowed'
            text = _error_page(environ, opts, message='Method Not Allowed')
        else:
            name = _prepare(environ)
            handler = pages.HANDLERS.get(name)
            if handler is None:
                raise NotFound(name)
            req = Request(environ, opts, TEMPLATES)
            req.page = name
            result = _call(handler, req)
            return _respond(start_response, req, result, method, base_headers)
    except Redirect as redirect:
        text = '<p>Redirect: <a href="%s">here</a></p>\n' % util.escapeHTML(
            redirect.location)
        body = text.encode('utf-8')
        headers = base_headers + (req.headers if req else []) + [
            ('Location', redirect.location), ('Content-Type', 'text/html'),
            ('Content-Length', str(len(body)))]
        start_response('302 Found', headers)
        return [b''] if method == 'HEAD' else [body]
    except NotFound:
        status = '404 Not Found'
        uri = environ.get('REQUEST_URI') or (environ.get('SCRIPT_NAME', '')
                                             + environ.get('PATH_INFO', ''))
        text = _error_page(environ, opts, message='Not found: %s' % uri)
    except Exception as exc:
        log.exception('error in %s', environ.get('PATH_INFO'))
        status = '500 Internal Server Error'
        text = _error_page(environ, opts, exc=exc)
    finally:
        _finish(req)
    body = text.encode('utf-8')
    start_response(status, base_headers + [('Content-Type', 'text/html'),
                                           ('Content-Length', str(len(body)))])
    return [b''] if method == 'HEAD' else [body]


def _respond(start_response, req, result, method, base_headers):
    if isinstance(result, pages.Stream):
        headers = base_headers + req.headers + result.headers
        start_response(result.status, headers)
        if method == 'HEAD':
            return []
        req.streaming = True
        return _closing(result.body, req.server)
    content_type = 'text/html'
    if isinstance(result, pages.Text):
        content_type = result.content_type
        result = result.text
    body = result.encode('utf-8')
    headers = base_headers + req.headers + [('Content-Type', content_type),
                                            ('Content-Length', str(len(body)))]
    start_response('200 OK', headers)
    return [b''] if method == 'HEAD' else [body]
