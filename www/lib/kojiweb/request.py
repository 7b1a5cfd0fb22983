"""One web request: its parameters, the hub session, the logged-in user and rendering."""
import datetime
import os
import random
import threading
import time
import urllib.parse

import koji

from . import auth, hubcodec, templating, util


# mavenEnabled / winEnabled per hub URL: (monotonic time fetched, (maven, win))
FEATURE_TTL = 60
_features = {}
_features_lock = threading.Lock()


class Redirect(Exception):
    """Answer `302 Found` with this Location."""

    def __init__(self, location):
        super().__init__(location)
        self.location = location


class NotFound(Exception):
    """No such page: the 404 error page."""


class Request(object):
    """What a page handler gets: environ, params, opts, the hub session and the user."""

    def __init__(self, environ, opts, template_dir):
        self.environ = environ
        self.opts = opts
        self.template_dir = template_dir
        self.params = parse_params(environ.get('QUERY_STRING', ''))
        self.headers = []
        self.user = None
        self.username = None
        self.perms = None
        self.server = self._anon_session()
        self._identify()

    # -- hub session and user

    def _session_opts(self):
        opts = {'krbservice': self.opts['KrbService'], 'krb_rdns': self.opts['KrbRDNS'],
                'krb_canon_host': self.opts['KrbCanonHost'],
                'krbserver_realm': self.opts['KrbServerRealm']}
        ca = self.opts.get('KojiHubCA')
        if ca and os.path.exists(ca):
            opts['serverca'] = ca
        return opts

    def _anon_session(self):
        return hubcodec.HubSession(self.opts['KojiHubURL'], opts=self._session_opts())

    def _identify(self):
        username = auth.read_cookie(self.environ, self.opts)
        if not username:
            return
        # the user and their permissions (the header's admin links) in one round trip
        mc = self.server.multicall()
        user = mc.getUser(username)
        perms = mc.getUserPerms(username)
        mc.call_all()
        user = user.result
        try:
            self.perms = perms.result
        except koji.GenericError:
            self.perms = None
        if not user:
            raise koji.AuthError('could not get user for principal: %s' % username)
        self.username = username
        self.user = user
        # a valid cookie is refreshed on every request
        self.set_cookie(auth.make_cookie(username, self.opts, self.environ))

    def set_cookie(self, value):
        self.headers.append(('Set-Cookie', value))
        self.headers.append(('Cache-Control', 'no-cache="Set-Cookie, Set-Cookie2"'))

    def auth_type(self):
        """WebAuthType as an AUTHTYPES value (guessed from WebPrincipal / WebCert)."""
        kind = self.opts.get('WebAuthType')
        if kind is None:
            if self.opts.get('WebPrincipal'):
                return koji.AUTHTYPES['GSSAPI']
            if self.opts.get('WebCert'):
                return koji.AUTHTYPES['SSL']
            raise koji.ConfigurationError('WebAuthType is not set and neither WebPrincipal '
                                          'nor WebCert is configured')
        kind = kind.lower()
        if kind == 'gssapi':
            return koji.AUTHTYPES['GSSAPI']
        if kind == 'ssl':
            return koji.AUTHTYPES['SSL']
        raise koji.ConfigurationError('Invalid WebAuthType: %s' % kind)

    def proxy_login(self, username):
        """Log in to the hub as `username`, authenticated as the web server itself."""
        authtype = self.auth_type()
        if self.opts.get('WebCert'):
            ok = self.server.ssl_login(self.opts['WebCert'], None, self.opts['KojiHubCA'],
                                       proxyuser=username, proxyauthtype=authtype)
        elif self.opts.get('WebPrincipal'):
            ok = self.server.gssapi_login(principal=self.opts['WebPrincipal'],
                                          keytab=self.opts['WebKeytab'],
                                          ccache=self.opts['WebCCache'],
                                          proxyuser=username, proxyauthtype=authtype)
        else:
            raise koji.AuthError('KojiWeb is incorrectly configured for authentication, '
                                 'contact the system administrator')
        if not ok:
            raise koji.AuthError('could not login %s to the hub' % username)

    def assert_login(self):
        """Action pages: a valid cookie, a hub session as that user, and the CSRF token."""
        if not self.username:
            raise Redirect('login')
        self.proxy_login(self.username)
        if not auth.check_token(self.params.get('a'), self.username, self.opts):
            self.redirect_back(None, self.base_url().startswith('https://'))

    def construct_url(self, path):
        """scheme://SERVER_NAME[:SERVER_PORT]path, the port left out when it is the
        scheme's default."""
        env = self.environ
        scheme = env.get('wsgi.url_scheme', 'http')
        host = env.get('SERVER_NAME', 'localhost')
        port = str(env.get('SERVER_PORT', ''))
        if (scheme, port) in (('https', '443'), ('http', '80')) or not port:
            return '%s://%s%s' % (scheme, host, path)
        return '%s://%s:%s%s' % (scheme, host, port, path)

    def base_url(self):
        return self.construct_url(self.environ.get('SCRIPT_NAME', ''))

    def redirect_back(self, page, force_ssl):
        """Redirect to page (or a same-site Referer, or index) as an absolute URL."""
        env = self.environ
        local = '%s://%s' % (env.get('REQUEST_SCHEME', env.get('wsgi.url_scheme', 'http')),
                             env.get('SERVER_NAME', 'localhost'))
        if not page:
            referer = env.get('HTTP_REFERER', '')
            page = referer if referer.startswith(local) else 'index'
        if page.startswith('http'):
            if not page.startswith(local):
                # only this site's pages
                page = 'index'
        if page.startswith('http'):
            pass
        elif page.startswith('/'):
            page = self.construct_url(page)
        else:
            page = self.base_url() + '/' + page
        if force_ssl:
            page = page.replace('http:', 'https:', 1)
        elif not urllib.parse.urlsplit(page).port:
            # an https URL with a port of its own stays https: plain http to that port
            # (koji-dev's TLS port, say) cannot work
            page = page.replace('https:', 'http:', 1)
        raise Redirect(page)

    def user_perms(self):
        if self.perms is None:
            self.perms = self.server.getUserPerms(self.user['id']) if self.user else []
        return self.perms

    def is_admin(self):
        return 'admin' in self.user_perms()

    # -- output

    def token(self):
        return auth.token(self.username, self.opts) if self.username else ''

    def render(self, template, values, title, page_id=None):
        """Header + page template + footer, every value escaped."""
        base = self.base_values(title, page_id)
        base.update(values)
        base['vars'] = base
        if isinstance(base.get('extraFooter'), _LateTemplate):
            base['extraFooter'] = util.SafeValue(
                templating.render_source(base['extraFooter'].source, base))
        parts = [templating.render(self.template_dir, 'includes/header.chtml', base),
                 templating.render(self.template_dir, template, base),
                 templating.render(self.template_dir, 'includes/footer.chtml', base)]
        return ''.join(parts)

    def render_bare(self, template, values):
        """A template without the page header and footer (feeds)."""
        base = dict(values)
        base['vars'] = base
        base['util'] = util
        return templating.render(self.template_dir, template, base)

    def base_values(self, title, page_id):
        opts = self.opts
        site = opts.get('SiteName')
        token = self.token()
        maven, win = self._hub_features()
        values = {
            'siteName': site,
            'title': title,
            'pageID': page_id or '',
            'terms': '',
            'currentDate': str(datetime.datetime.now()),
            'currentUser': self.user,
            'authToken': token,
            'mavenEnabled': maven,
            'winEnabled': win,
            'LoginDisabled': opts.get('LoginDisabled'),
            'KojiGreeting': opts.get('KojiGreeting'),
            'greeting': _greeting(),
            'theme': lambda path: util.themePath(path, opts),
            'q': lambda value: urllib.parse.quote(str(value), safe=''),
            'img': lambda name: util.imageTag(name, opts),
            'util': util,
            'koji': koji,
            'S': util.safe,
            'tok': self.token_param,
            'P': self.pager,
            'sortlink': self.sortlink,
            'link': self.link,
            'isAdmin': self.is_admin(),
            'extraNav': self._local_snippet('extra-nav.html'),
            'extraFooter': self._local_snippet('extra-footer.html',
                                               literal=opts.get('LiteralFooter', True)),
            'extraBottom': self._local_snippet('extra-bottom.html'),
        }
        return values

    def _hub_features(self):
        """(mavenEnabled, winEnabled) of the hub, and the user's permissions if not known
        yet, in one round trip; the two flags (hub.conf settings) are kept for FEATURE_TTL
        seconds per hub URL, so most pages need no call for them."""
        url = self.opts['KojiHubURL']
        now = time.monotonic()
        with _features_lock:
            cached = _features.get(url)
        need_perms = self.user and self.perms is None
        if cached and now - cached[0] < FEATURE_TTL:
            if need_perms:
                self.perms = self.server.getUserPerms(self.user['id'])
            return cached[1]
        mc = self.server.multicall()
        maven = mc.mavenEnabled()
        win = mc.winEnabled()
        perms = mc.getUserPerms(self.user['id']) if need_perms else None
        mc.call_all(strict=True)
        if perms is not None:
            self.perms = perms.result
        flags = (maven.result, win.result)
        with _features_lock:
            _features[url] = (now, flags)
        return flags

    def _local_snippet(self, name, literal=True):
        """A site's own HTML snippet; the footer is a Cheetah template when LiteralFooter
        is off (rendered with the page's values when the footer is)."""
        path = util.themePath(name, self.opts, local=True)
        if not os.path.exists(path):
            return ''
        with open(path, encoding='utf-8') as fp:
            text = fp.read()
        if literal:
            return util.SafeValue(text)
        return _LateTemplate(text)

    def token_param(self, first=False):
        """`&a=<token>` (or `?a=` when first) for action links."""
        token = self.token()
        if not token:
            return ''
        return util.SafeValue(('?a=' if first else '&amp;a=') + token)

    def link(self, **changes):
        """This page's URL with some parameters changed (None drops one)."""
        params = dict(self.params)
        params.pop('a', None)
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        items = []
        for key, value in params.items():
            if isinstance(value, list):
                items.extend((key, v) for v in value)
            else:
                items.append((key, value))
        return self.page + ('?' + urllib.parse.urlencode(items) if items else '')

    def sortlink(self, label, field, values, prefix=''):
        """A column header that sorts by field, toggling the direction, with an arrow."""
        okey = prefix + 'Order' if prefix else 'order'
        skey = prefix + 'Start' if prefix else 'start'
        current = values.get(okey) or ''
        new = field
        arrow = ''
        if current.lstrip('-') == field:
            if current.startswith('-'):
                arrow = ' &#9660;'
            else:
                new = '-' + field
                arrow = ' &#9650;'
        href = self.link(**{okey: new, skey: None})
        return util.SafeValue('<a href="%s">%s</a>%s' % (
            util.escapeHTML(href), util.escapeHTML(label), arrow))

    def pager(self, values, prefix=''):
        """Previous/next links, the range shown, and a select of page numbers that jumps
        to the chosen page (a GET form: it also works without JavaScript, via its button).
        """
        def key(suffix):
            return prefix + suffix if prefix else suffix[0].lower() + suffix[1:]
        start, count, rng = values[key('Start')], values[key('Count')], values[key('Range')]
        skey = key('Start')
        pages = values[key('Pages')]
        if len(pages) <= 1 and start == 0:
            return ''
        esc = util.escapeHTML
        out = ['<span class="pager">']
        if start > 0:
            out.append('<a href="%s">&lt;&lt;&lt;</a>' % esc(
                self.link(**{skey: max(start - rng, 0)})))
        if count:
            total = self._pager_total(values, prefix)
            out.append('<span class="range">%d through %d%s</span>' % (
                start + 1, start + count, ' of %d' % total if total is not None else ''))
        if len(pages) > 1:
            out.append(self._page_jump(skey, rng, pages, values[key('CurrentPage')]))
        if count == rng:
            out.append('<a href="%s">&gt;&gt;&gt;</a>' % esc(
                self.link(**{skey: start + rng})))
        out.append('</span>')
        return util.SafeValue(' '.join(out))

    @staticmethod
    def _pager_total(values, prefix):
        names = [k for k in values if k.startswith('total')]
        # paging.py sets one total<DataName> per paged list; with several, match the prefix
        for name in names:
            if prefix and name[5:].lower().startswith(prefix.lower()):
                return values[name]
        return values[names[0]] if len(names) == 1 else None

    def _page_jump(self, skey, rng, pages, current):
        """`<form class="pageJump">`: this page's other parameters as hidden fields."""
        esc = util.escapeHTML
        out = ['<form class="pageJump" action="%s" method="get">' % esc(self.page)]
        for name, value in self.params.items():
            if name in (skey, 'a'):
                continue
            for item in (value if isinstance(value, list) else [value]):
                out.append('<input type="hidden" name="%s" value="%s"/>'
                           % (esc(name), esc(item)))
        out.append('<label>Page: <select name="%s" onchange="this.form.submit()">' % esc(skey))
        for page in pages:
            out.append('<option value="%d"%s>%d</option>' % (
                page * rng, ' selected="selected"' if page == current else '', page + 1))
        out.append('</select></label><noscript><input type="submit" value="Go"/></noscript>'
                   '</form>')
        return ''.join(out)


def _greeting():
    """A greeting picked at random from the CLI's list, as the header shows it."""
    try:
        from koji_cli.lib import greetings
    except ImportError:
        return 'hello'
    return random.choice(greetings)


class _LateTemplate(object):
    """A template snippet rendered when the footer is, with the footer's values."""

    def __init__(self, source):
        self.source = source


def parse_params(query):
    """Query string only, parsed strictly (a malformed one is an error); blanks kept;
    repeated keys become lists."""
    if not query:
        return {}
    pairs = urllib.parse.parse_qs(query, keep_blank_values=True, strict_parsing=True)
    return {k: (v[0] if len(v) == 1 else v) for k, v in pairs.items()}
