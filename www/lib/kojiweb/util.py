"""Formatting helpers the templates call; every value is escaped unless it is a SafeValue."""
import datetime
import html
import stat
import urllib.parse

import koji
from koji.formatting import formatTime, formatTimeLong  # noqa: F401 (templates use them)


class SafeValue(str):
    """Markup built by the web code from escaped parts: the template filter keeps it."""


def escapeHTML(value):
    """Escape &, <, >, " and ' (None gives '')."""
    if value is None:
        return ''
    if isinstance(value, SafeValue):
        return value
    return html.escape(str(value), quote=True)


def safe(fmt, *args):
    """Interpolate escaped arguments into trusted markup."""
    return SafeValue(fmt % tuple(escapeHTML(a) for a in args))


def url(page, **params):
    """`page?k=v&...` with the values URL-encoded (None values left out)."""
    items = [(k, v) for k, v in params.items() if v is not None]
    if not items:
        return page
    return page + '?' + urllib.parse.urlencode(items)


def themePath(path, opts, local=False):
    """URL of a static file, from the theme folder when KojiTheme names one that has it."""
    import os
    theme = opts.get('KojiTheme')
    staticdir = opts.get('KojiStaticDir', STATIC_DIR)
    if theme and os.path.exists(os.path.join(staticdir, 'themes', theme, path)):
        if local:
            return os.path.join(staticdir, 'themes', theme, path)
        return '/koji-static/themes/%s/%s' % (theme, path)
    if local:
        return os.path.join(staticdir, path)
    return '/koji-static/' + path


STATIC_DIR = '/usr/share/koji-web/static'


def imageTag(name, opts):
    return safe('<img class="stateimg" src="%s" title="%s" alt="%s"/>',
                themePath('images/%s.png' % name, opts), name, name)


def stateName(stateID):
    return koji.BUILD_STATES[stateID].lower()


def taskState(stateID):
    return koji.TASK_STATES[stateID].lower()


def brStateName(stateID):
    return koji.BR_STATES[stateID].lower()


def repoStateName(stateID):
    if stateID == koji.REPO_INIT:
        return 'initializing'
    return koji.REPO_STATES[stateID].lower()


def yesno(value):
    return 'yes' if value else 'no'


def formatTimestampDifference(start, end):
    """`H:MM:SS` between two unix times (or datetimes)."""
    if start is None or end is None:
        return ''
    if isinstance(start, datetime.datetime):
        start = start.timestamp()
    if isinstance(end, datetime.datetime):
        end = end.timestamp()
    diff = int(round(end - start))
    return '%d:%02d:%02d' % (diff // 3600, diff // 60 % 60, diff % 60)


def formatThousands(value):
    return '{:,}'.format(int(value))


def formatNatural(value):
    """Bytes in the largest unit that keeps the number at or above 1."""
    value = float(value or 0)
    for unit in ('B', 'KB', 'MB', 'GB', 'TB'):
        if value < 1024 or unit == 'TB':
            return '%.2f %s' % (value, unit) if unit != 'B' else '%d B' % value
        value /= 1024.0


def formatMode(mode):
    """`-rwxr-xr-x` as ls shows it."""
    return stat.filemode(mode)


def formatRPM(rpminfo, link=True):
    """name-[epoch:]version-release.arch, with ` (draft_<build id>)` for draft rpms."""
    epoch = '%s:' % rpminfo['epoch'] if rpminfo.get('epoch') else ''
    suffix = ' (draft_%s)' % rpminfo.get('build_id', '???') if rpminfo.get('draft') else ''
    label = '%s-%s%s-%s.%s%s' % (rpminfo['name'], epoch, rpminfo['version'],
                                 rpminfo['release'], rpminfo['arch'], suffix)
    if link:
        return safe('<a href="rpminfo?rpmID=%s">%s</a>', rpminfo['id'], label)
    return label


def brLabel(brinfo):
    """tag-id-repo for standard buildroots, cg:id for content generators'."""
    if brinfo['br_type'] == koji.BR_TYPES['STANDARD']:
        return '%(tag_name)s-%(id)i-%(repo_id)i' % brinfo
    return '%(cg_name)s:%(id)i' % brinfo


def formatDep(name, version, flags):
    text = name
    if flags & (koji.RPMSENSE_LESS | koji.RPMSENSE_GREATER | koji.RPMSENSE_EQUAL):
        text += ' '
        if flags & koji.RPMSENSE_LESS:
            text += '<'
        if flags & koji.RPMSENSE_GREATER:
            text += '>'
        if flags & koji.RPMSENSE_EQUAL:
            text += '='
        if version:
            text += ' ' + version
    return text


def rowToggle(counter):
    """Alternate row classes; counter is a one-item list the template increments."""
    counter[0] += 1
    return 'row-odd' if counter[0] % 2 else 'row-even'


def taskScratchClass(task):
    request = task.get('request') or []
    if task.get('method') == 'build' and len(request) >= 3:
        opts = request[2] or {}
        if isinstance(opts, dict) and opts.get('scratch'):
            return 'scratch'
    return ''


def explainError(error):
    """(explanation, debug level) of an exception, with upstream's wording.

    Level 0 hides the exception text on the error page, 1 shows it, 2 also the traceback
    (when PythonDebug is on).
    """
    import socket
    import ssl
    import xmlrpc.client
    from xml.parsers.expat import ExpatError
    if isinstance(error, koji.ServerOffline):
        return 'The server is offline. Please try again later.', 0
    if isinstance(error, koji.ActionNotAllowed):
        return ('The web interface has tried to do something that your account is not '
                'allowed to do. This is most likely a bug in the web interface.'), 2
    if isinstance(error, koji.FunctionDeprecated):
        return ('The web interface has tried to access a deprecated function. This is most '
                'likely a bug in the web interface.'), 2
    if isinstance(error, koji.RetryError):
        return ('The web interface is having difficulty communicating with the main server '
                'and was unable to retry an operation. Most likely this indicates a network '
                'issue, but it could also be a configuration issue.'), 1
    if isinstance(error, koji.GenericError):
        if getattr(error, 'fromFault', False):
            return ('An error has occurred on the main server. This could be a software '
                    'bug, a server configuration issue, or possibly something else.'), 2
        return ('An error has occurred in the web interface code. This could be due to a '
                'bug or a configuration issue.'), 2
    if isinstance(error, (socket.error, ssl.SSLError)):
        return ('The web interface is having difficulty communicating with the main '
                'server. This most likely indicates a network issue.'), 1
    if isinstance(error, (xmlrpc.client.ProtocolError, ExpatError)):
        return ('The main server returned an invalid response. This could be caused by a '
                'network issue or load issues on the server.'), 1
    return 'An error has occurred while processing your request.', 2


# rpm file flag bits and the words fileinfo shows for them
FILE_FLAGS = {1: 'configuration', 2: 'documentation', 4: 'icon', 8: 'missing ok',
              16: "don't replace", 64: 'ghost', 128: 'license', 256: 'readme',
              512: 'exclude', 1024: 'unpatched', 2048: 'public key'}


def formatFileFlags(flags):
    """The names of the rpm file flags set in flags."""
    return [desc for flag, desc in FILE_FLAGS.items() if flags & flag]
