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


def _error_page(environ, opts, status, error, debug):
    explanation, detail = util.explainError(error)
    values = {'siteName': opts.get('SiteName') if opts else None, 'explanation': explanation,
              'error': detail, 'status': status,
              'tb': traceback.format_exc() if debug else None,
              'theme': lambda p: util.themePath(p, opts or {})}
    try:
        return render(TEMPLATES, 'error.chtml', values)
    except Exception:
        return '<html><body><h2>Error</h2><p>%s</p></body></html>' % util.escapeHTML(
            explanation)


def _prepare(environ):
    """Page name of the request, or a Redirect for an empty path."""
    path = environ.get('PATH_INFO', '')
    if not path:
        raise Redirect(environ.get('REQUEST_URI', environ.get('SCRIPT_NAME', '')) + '/')
    name = path.strip('/').split('/')[0] or 'index'
    return name


def application(environ, start_response):
    method = environ.get('REQUEST_METHOD', 'GET').upper()
    base_headers = [('Allow', 'GET, POST, HEAD')]
    if method not in ALLOWED:
        body = b'Method Not Allowed'
        start_response('405 Method Not Allowed', base_headers + [
            ('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
        return [body]
    opts = None
    req = None
    try:
        opts = _options(environ)
        name = _prepare(environ)
        handler = pages.HANDLERS.get(name)
        if handler is None:
            raise NotFound(name)
        req = Request(environ, opts, TEMPLATES)
        req.page = name
        result = _call(handler, req)
        return _respond(start_response, req, result, method, base_headers)
    except Redirect as redirect:
        headers = base_headers + (req.headers if req else []) + [
            ('Location', redirect.location), ('Content-Type', 'text/html'),
            ('Content-Length', '0')]
        start_response('302 Found', headers)
        return [b'']
    except NotFound as exc:
        status = '404 Not Found'
        text = _error_page(environ, opts, status,
                           koji.GenericError('No such page: %s' % exc), False)
    except Exception as exc:
        log.exception('error in %s', environ.get('PATH_INFO'))
        status = '500 Internal Server Error'
        debug = bool(opts and opts.get('PythonDebug'))
        text = _error_page(environ, opts, status, exc, debug)
    body = text.encode('utf-8')
    start_response(status, base_headers + [('Content-Type', 'text/html; charset=UTF-8'),
                                           ('Content-Length', str(len(body)))])
    return [b''] if method == 'HEAD' else [body]


def _respond(start_response, req, result, method, base_headers):
    if isinstance(result, pages.Stream):
        headers = base_headers + req.headers + result.headers
        start_response(result.status, headers)
        return [] if method == 'HEAD' else result.body
    content_type = 'text/html; charset=UTF-8'
    if isinstance(result, pages.Text):
        content_type = result.content_type
        result = result.text
    body = result.encode('utf-8')
    headers = base_headers + req.headers + [('Content-Type', content_type),
                                            ('Content-Length', str(len(body)))]
    start_response('200 OK', headers)
    return [b''] if method == 'HEAD' else [body]
