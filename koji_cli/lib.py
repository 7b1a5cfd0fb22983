"""Helpers shared by the CLI front end, the command handlers and CLI plugins.

Plugins import these names from ``koji_cli.lib``, so the names and call signatures
follow the upstream client.
"""
import hashlib
import json
import optparse
import os
import random
import socket
import string
import sys
import time
from contextlib import closing

import requests

import koji

# The words accepted as an alias of ``moshimoshi``; the command also greets with one.
greetings = (
    'hello', 'hi', 'yo', "what's up", "g'day", 'back to work', 'howdy', 'bonjour',
    'hallo', 'ciao', 'hola', 'ol\u00e1', 'dobr\u00fd den', 'zdravstvuite',
    'g\u00f3\u00f0an daginn', 'hej', 'tervehdys', 'gr\u00fcezi',
    'c\u00e9ad m\u00edle f\u00e1ilte', 'hyl\u00f4', 'bun\u0103 ziua', 'j\u00f3 napot',
    'dobre dan', '\u4f60\u597d', '\u3053\u3093\u306b\u3061\u306f',
    '\u0928\u092e\u0938\u094d\u0915\u093e\u0930', '\uc548\ub155\ud558\uc138\uc694',
)

# Help listing sections: key is the ``[key]`` docstring prefix of a handler.
categories = {
    'admin': 'admin commands',
    'bind': 'bind commands',
    'build': 'build commands',
    'download': 'download commands',
    'info': 'info commands',
    'misc': 'miscellaneous commands',
    'monitor': 'monitor commands',
    'search': 'search commands',
}

# Literal words that arg_filter turns into Python constants.
ARGMAP = {
    'None': None,
    'True': True,
    'False': False,
}

_USAGE_TAIL = "(Specify the --help global option for a list of other help options)"


def get_usage_str(usage):
    """Append the pointer to global help that every command's usage text carries."""
    return usage + "\n" + _USAGE_TAIL


def get_epilog_str(progname=None):
    """Text that ends the global --help and the ``help`` listing.

    It starts and ends with a newline, as the listing strips only the final one.
    """
    if progname is None:
        progname = os.path.basename(sys.argv[0]) or 'koji'
    names = ', '.join(sorted(list(categories) + ['all']))
    lines = [
        '',
        'Try "%s --help" for help about global options' % progname,
        'Try "%s help" to get all available commands' % progname,
        'Try "%s <command> --help" for help about the options of a particular command'
        % progname,
        'Try "%s help <category>" to get commands under a particular category' % progname,
        'Available categories are: %s' % names,
        '',
    ]
    return '\n'.join(lines)


def warn(msg):
    """Report a non-fatal problem on stderr."""
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def error(msg=None, code=1):
    """Report a fatal problem on stderr and leave with ``code``."""
    if msg:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()
    sys.exit(code)


def arg_filter(arg, parse_json=False):
    """Turn a command line word into the value a hub call most likely wants.

    Numbers become numbers and None/True/False become constants; optionally JSON is
    tried; anything else stays a string.
    """
    for convert in (int, float):
        try:
            return convert(arg)
        except ValueError:
            pass
    if arg in ARGMAP:
        return ARGMAP[arg]
    if parse_json:
        import json
        try:
            return json.loads(arg)
        except ValueError:
            pass
    return arg


def ensure_connection(session, options=None):
    """Make sure the hub answers before an anonymous command does its work.

    With ``force_auth`` the caller wants a real login even for read-only commands.
    """
    if options is not None and getattr(options, 'force_auth', False):
        activate_session(session, options)
        return
    try:
        ret = session.getAPIVersion()
    except requests.exceptions.ConnectionError:
        error("Error: Unable to connect to server")
    if ret != koji.API_VERSION:
        warn("WARNING: The server is at API version %d and the client is at %d"
             % (ret, koji.API_VERSION))


def _is_file(path):
    return bool(path) and os.path.isfile(path)


def activate_session(session, options):
    """Log in with the first method the options allow, then check the connection."""
    if session.logged_in:
        return
    authtype = getattr(options, 'authtype', None)
    noauth = authtype == 'noauth' or bool(getattr(options, 'noauth', False))
    runas = getattr(options, 'runas', None)
    if noauth:
        pass
    elif authtype == 'ssl' or (_is_file(getattr(options, 'cert', None)) and authtype is None):
        session.ssl_login(options.cert, None, options.serverca, proxyuser=runas)
    elif authtype == 'password' or (getattr(options, 'user', None) and authtype is None):
        session.login()
    elif authtype == 'kerberos' or authtype is None:
        principal = getattr(options, 'principal', None)
        try:
            if principal:
                session.gssapi_login(principal=principal, keytab=options.keytab,
                                     proxyuser=runas)
            else:
                session.gssapi_login(proxyuser=runas)
        except socket.error as e:
            detail = e.args[1] if len(e.args) > 1 else e
            warn("Could not connect to Kerberos authentication service: %s" % detail)
    if not noauth and not session.logged_in:
        error("Unable to log in, no authentication methods available")
    ensure_connection(session)
    if getattr(options, 'debug', False):
        print("successfully connected to hub")


def _running_in_bg():
    """True when we should not draw progress bars or watch tasks interactively."""
    try:
        return (not os.isatty(0)) or (os.getpgrp() != os.tcgetpgrp(0))
    except OSError:
        return True


def _format_size(size):
    """Human readable size with two decimals, as the progress lines show it."""
    for limit, unit in ((1024 ** 3, 'GiB'), (1024 ** 2, 'MiB'), (1024, 'KiB')):
        if size >= limit:
            return "%0.2f %s" % (float(size) / limit, unit)
    return "%0.2f B" % size


def _format_secs(t):
    """Elapsed time as HH:MM:SS."""
    t = int(t)
    return "%02d:%02d:%02d" % (t // 3600, (t % 3600) // 60, t % 60)


def _progress_callback(uploaded, total, piece, time, total_time):
    """Upload progress bar; fits ClientSession's upload callback signature."""
    fraction = float(uploaded) / float(total) if total else 0.0
    if not time:
        speed = "- B/sec"
    elif uploaded == total:
        # finished: show the average over the whole upload
        speed = _format_size(float(total) / float(total_time)) + "/sec"
    else:
        speed = _format_size(float(piece) / float(time)) + "/sec"
    bar = '=' * int(fraction * 36)
    sys.stdout.write("[% -36s] % 4s % 8s % 10s % 14s\r" % (
        bar, "%02d%%" % (fraction * 100), _format_secs(total_time),
        _format_size(uploaded), speed))
    sys.stdout.flush()


def list_task_output_all_volumes(session, task_id):
    """Map each output file of a task to its volumes, also against old hubs.

    Hubs without the ``all_volumes`` flag only know the default volume.
    """
    try:
        return session.listTaskOutput(task_id, all_volumes=True)
    except koji.ParameterError as e:
        if 'all_volumes' not in str(e):
            raise
    return dict((name, ['DEFAULT']) for name in session.listTaskOutput(task_id))


def _check_time(option, opt, value):
    """optparse checker for type 'time': a unix timestamp or any date dateutil reads."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        import dateutil.parser
        when = dateutil.parser.parse(value)
    except Exception:
        raise optparse.OptionValueError(
            "option %s: invalid time specification: %r" % (opt, value))
    return time.mktime(when.timetuple())


class TimeOption(optparse.Option):
    """An optparse Option that also knows ``type='time'`` (value becomes a float ts)."""

    TYPES = optparse.Option.TYPES + ('time',)
    TYPE_CHECKER = dict(optparse.Option.TYPE_CHECKER, time=_check_time)

    @classmethod
    def get_help(cls):
        return "time is a unix timestamp or a date/time dateutil can parse, " \
            "e.g. \"2020-12-31 12:35\""


# -- uploads and downloads of build content -------------------------------------------------

def unique_path(prefix):
    """A fresh server-side upload directory below ``prefix``.

    The time keeps listings of the work area readable; the random letters keep two
    clients starting in the same instant apart.
    """
    letters = ''.join(random.choice(string.ascii_letters) for _ in range(8))
    return '%s/%r.%s' % (prefix, time.time(), letters)


def linked_upload(localfile, path, name=None):
    """Hard-link a local file into the hub's work area instead of sending it.

    Only possible when the client shares the hub's file system (``topdir``); the new
    directory gets the owner of the work area so the hub can still clean it up.
    """
    if name is None:
        name = os.path.basename(localfile)
    old_umask = os.umask(0o02)
    try:
        work = koji.pathinfo.work()
        dest_dir = os.path.join(work, path)
        dst = os.path.join(dest_dir, name)
        koji.ensuredir(dest_dir)
        st = os.stat(work)
        os.chown(dest_dir, st.st_uid, st.st_gid)
        print("Linking rpm to: %s" % dst)
        os.link(localfile, dst)
    finally:
        os.umask(old_umask)


def _download_progress(download_t, download_d, size=None):
    """Download bar: share done (``???%`` when the total is unknown) and amounts."""
    if download_t:
        fraction = float(download_d) / float(download_t)
        percent = "%3d%%" % (fraction * 100)
    else:
        fraction, percent = 0.0, "???%"
    amount = _format_size(download_d)
    if size:
        amount = "%s / %s" % (amount, _format_size(size))
    sys.stdout.write("[% -36s] % 4s % 10s\r" % ('=' * int(fraction * 36), percent, amount))
    sys.stdout.flush()


def _last_modified(response):
    """The response's Last-Modified as a local timestamp, or None."""
    value = response.headers.get('last-modified')
    if not value:
        return None
    import dateutil.parser
    import dateutil.tz
    when = dateutil.parser.parse(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dateutil.tz.gettz())
    return time.mktime(when.astimezone(dateutil.tz.gettz()).timetuple())


def download_file(url, relpath, quiet=False, noprogress=False, size=None, num=None,
                  filesize=None):
    """Fetch url into relpath (relative to the current directory).

    ``num``/``size`` number the "Downloading" line. With a known ``filesize`` an
    existing partial file is resumed with a Range request and a complete one is left
    alone; checking the result is the caller's job. The file keeps the server's mtime.
    """
    if '/' in relpath:
        koji.ensuredir(os.path.dirname(relpath))
    if not quiet:
        if size and num:
            print("Downloading [%d/%d]: %s" % (num, size, relpath))
        else:
            print("Downloading: %s" % relpath)
    show = not (quiet or noprogress)
    headers = {}
    pos = 0
    if filesize:
        f = open(relpath, 'ab')
        pos = f.tell()
        if pos == filesize:
            f.close()
            if not quiet:
                print("File %s already downloaded, skipping" % relpath)
            return
        if pos:
            if not quiet:
                print("Appending to existing file %s" % relpath)
            headers['Range'] = 'bytes=%d-' % pos
    else:
        f = open(relpath, 'wb')
    mtime = None
    try:
        request = koji.request_with_retry().get(url, headers=headers, stream=True)
        with closing(request) as response:
            if response.status_code in (200, 416):
                # the whole file is coming (or our part was bogus): start over
                f.close()
                f = open(relpath, 'wb')
                pos = 0
            response.raise_for_status()
            length = filesize or int(response.headers.get('content-length') or 0)
            for chunk in response.iter_content(chunk_size=1024 ** 2):
                pos += len(chunk)
                f.write(chunk)
                if show:
                    _download_progress(length, pos, filesize)
            if not length and show:
                _download_progress(pos, pos, filesize)
            mtime = _last_modified(response)
    finally:
        f.close()
        if pos == 0:
            os.unlink(relpath)
        elif mtime:
            os.utime(relpath, (time.time(), mtime))
    if show:
        print('')


def _rpm_ident(hdr):
    """The value the hub keeps as an rpm's payloadhash: hex SIGMD5, else the best digest."""
    sigmd5 = koji.get_header_field(hdr, 'sigmd5')
    if sigmd5:
        return koji.hex_string(sigmd5)
    for label, tag in (('sha3-256', 'sha3_256header'), ('sha256', 'sha256header'),
                       ('sha1', 'sha1header')):
        try:
            value = koji.get_header_field(hdr, tag)
        except koji.GenericError:
            continue
        if value:
            return '%s::%s' % (label, value)
    raise koji.GenericError('No known header digests found')


def download_rpm(build, rpm, topurl, sigkey=None, quiet=False, noprogress=False, num=None,
                 size=None):
    """download_file for one rpm of a build, then make sure it is the rpm the hub knows.

    A bad download is deleted and ends the command.
    """
    pi = koji.PathInfo(topdir=topurl)
    if sigkey:
        fname = pi.signed(rpm, sigkey)
        filesize = None
    else:
        fname = pi.rpm(rpm)
        filesize = rpm['size']
    path = os.path.basename(fname)
    download_file(os.path.join(pi.build(build), fname), path, quiet=quiet,
                  noprogress=noprogress, filesize=filesize, num=num, size=size)
    if not sigkey:
        # the hub records the size of the unsigned file only
        got = os.path.getsize(path)
        if got != rpm['size']:
            os.unlink(path)
            error("Downloaded rpm %s size %d does not match db size %d, deleting"
                  % (path, got, rpm['size']))
    try:
        koji.check_rpm_file(path)
    except koji.GenericError as ex:
        os.unlink(path)
        warn(str(ex))
        error("Downloaded rpm %s is not valid rpm file, deleting" % path)
    if _rpm_ident(koji.get_rpm_header(path)) != rpm['payloadhash']:
        os.unlink(path)
        error("Downloaded rpm %s doesn't match db, deleting" % path)


def _archive_location(pi, build, archive):
    """(url, local relative path) of an archive; legacy btypes keep their own layout."""
    btype = archive['btype']
    if btype == 'maven':
        return os.path.join(pi.mavenbuild(build), pi.mavenfile(archive)), pi.mavenfile(archive)
    if btype == 'win':
        return os.path.join(pi.winbuild(build), pi.winfile(archive)), pi.winfile(archive)
    if btype == 'image':
        return os.path.join(pi.imagebuild(build), archive['filename']), archive['filename']
    return (os.path.join(pi.typedir(build, btype), archive['filename']), archive['filename'])


_ARCHIVE_HASHES = {'md5': koji.util.md5_constructor, 'sha1': hashlib.sha1,
                   'sha256': hashlib.sha256}


def download_archive(build, archive, topurl, quiet=False, noprogress=False, num=None,
                     size=None):
    """download_file for one archive of a build, then check its size and checksum."""
    url, path = _archive_location(koji.PathInfo(topdir=topurl), build, archive)
    download_file(url, path, quiet=quiet, noprogress=noprogress, filesize=archive['size'],
                  num=num, size=size)
    if os.path.getsize(path) != archive['size']:
        os.unlink(path)
        error("Downloaded rpm %s size does not match db size, deleting" % path)
    maker = _ARCHIVE_HASHES.get(koji.CHECKSUM_TYPES.get(archive['checksum_type']))
    if maker is None:
        error("Unknown checksum type: %s" % archive['checksum_type'])
    chk = maker()
    with open(path, 'rb') as fo:
        for block in iter(lambda: fo.read(1024 ** 2), b''):
            chk.update(block)
    if chk.hexdigest() != archive['checksum']:
        os.unlink(path)
        error("Downloaded archive %s doesn't match checksum, deleting" % path)


# -- other names CLI plugins and scripts import from here ----------------------------------

OptionParser = optparse.OptionParser
_check_time_option = _check_time


def print_task_headers():
    """Column headers of the task lines print_task writes."""
    print("ID       Pri  Owner                State    Arch       Name")


def print_task(task, depth=0):
    """One task line; children (depth > 0) get a ``+`` under their parent."""
    row = dict(task, state=koji.TASK_STATES.get(task['state'], 'BADSTATE'))
    indent = "  " * (depth - 1) + " +" if depth else ''
    print("%(id)-8s %(priority)-4s %(owner_name)-20s %(state)-8s %(arch)-10s " % row
          + indent + koji.taskLabel(row))


def print_task_recurse(task, depth=0):
    """A task line, then its ``children`` (nested task dicts) below it."""
    print_task(task, depth)
    for child in task.get('children', ()):
        print_task_recurse(child, depth + 1)


def format_inheritance_flags(parent):
    """The M/F/I/N column of an inheritance link, a dot for each flag not set."""
    flags = (('M', parent['maxdepth'] is not None), ('F', parent['pkg_filter']),
             ('I', parent['intransitive']), ('N', parent['noconfig']))
    return ''.join(code if isset else '.' for code, isset in flags)


def truncate_string(s, length=47):
    """s on one line, cut to length with ``...`` appended when longer; '' for nothing."""
    if not s:
        return ''
    s = s.replace('\n', ' ')
    return s[:length] + '...' if len(s) > length else s


class DatetimeJSONEncoder(json.JSONEncoder):
    """JSON output of hub results: DateTime values as their string."""

    def default(self, o):
        if isinstance(o, koji.xmlrpcplus.DateTime):
            return str(o)
        return json.JSONEncoder.default(self, o)


def _list_tasks(options, session):
    """The task selection of list-tasks (kept in its command module)."""
    from koji_cli.commands.tasks import _list_tasks as list_tasks
    return list_tasks(options, session)


# the watchers and the pre-1.35 repo wait live in modules of their own
from koji_cli.repowait import wait_repo  # noqa: E402,F401
from koji_cli.watch import (  # noqa: E402,F401
    TaskWatcher, display_task_results, display_tasklist_status, watch_logs, watch_tasks)
from koji_cli.watch import _write_bytes as bytes_to_stdout  # noqa: E402,F401
