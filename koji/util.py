"""Assorted helpers shared by the hub, builder, CLI and utilities (``koji.util``)."""
import base64
import calendar
import datetime
import errno
import fnmatch
import hashlib
import json
import logging
import os
import re
import resource
import shutil
import stat
import sys
import tempfile
import time
import warnings
import zlib
from xmlrpc.client import DateTime

from koji.constants import (RPM_FILEDIGESTALGO_IDS, RPM_SIGTAG_MD5, RPM_TAG_FILEDIGESTALGO,
                            TASK_STATES)
from koji.exceptions import GenericError, ParameterError
# apply_argspec, decode_bytes and the rpm header helpers live in lower modules (so that
# these import no koji.util); koji.util keeps offering the names, as upstream's does
from koji.args import apply_argspec  # noqa: F401
from koji.formatting import decode_bytes, formatTime  # noqa: F401
from koji.nvr import parse_NVR
from koji.osutil import ensuredir
from koji.rpmheader import RawHeader, find_rpm_sighdr

# -- hashing ---------------------------------------------------------------------------------


def _fips_mode():
    getter = getattr(getattr(hashlib, '_hashlib', None), 'get_fips_mode', None)
    if getter is None:
        return False
    try:
        return bool(getter())
    except Exception:
        return False


def md5_constructor(*args, **kwargs):
    """hashlib.md5 that still works on FIPS systems (md5 is used only as a checksum)."""
    if _fips_mode():
        kwargs['usedforsecurity'] = False
    return hashlib.md5(*args, **kwargs)


class adler32_constructor(object):
    """hashlib-style wrapper around zlib.adler32 (the fast-upload checksum)."""

    digest_size = 4
    block_size = 1

    def __init__(self, arg=''):
        self._value = zlib.adler32(self._bytes(arg)) & 0xffffffff

    @staticmethod
    def _bytes(arg):
        if isinstance(arg, str):
            return arg.encode('utf-8')
        return arg

    def update(self, arg):
        self._value = zlib.adler32(self._bytes(arg), self._value) & 0xffffffff

    def digest(self):
        """The checksum as an int (unlike hashlib, which returns bytes)."""
        return self._value

    def hexdigest(self):
        return '%08x' % self._value

    def copy(self):
        dup = adler32_constructor()
        dup._value = self._value
        return dup


# -- warnings and text -----------------------------------------------------------------------


def deprecated(message):
    """Always emit a DeprecationWarning (not filtered away like the default)."""
    with warnings.catch_warnings():
        warnings.simplefilter('always', DeprecationWarning)
        warnings.warn(message, DeprecationWarning, stacklevel=2)


def _changelog_date(value):
    parsed = time.strptime(formatTime(value), '%Y-%m-%d %H:%M:%S')
    return time.strftime('%a %b %d %Y', parsed)


def formatChangelog(entries):
    """Render changelog entries the way they appear in a spec file."""
    blocks = []
    for entry in entries:
        date = _changelog_date(entry['date'])
        blocks.append('* %s %s\n%s\n\n' % (date, entry['author'], entry['text']))
    return ''.join(blocks)


DATE_RE = re.compile(r'(\d+)-(\d+)-(\d+)')
TIME_RE = re.compile(r'(\d+):(\d+):(\d+)')


def parseTime(val):
    """``YYYY-MM-DD[ HH:MM:SS]`` read as UTC -> epoch seconds; None if no date found."""
    date_match = DATE_RE.search(val)
    if not date_match:
        return None
    parts = [int(x) for x in date_match.groups()]
    time_match = TIME_RE.search(val[date_match.end():].strip())
    if time_match:
        parts.extend(int(x) for x in time_match.groups())
    else:
        parts.extend([0, 0, 0])
    return calendar.timegm(datetime.datetime(*parts).timetuple())


def duration(start):
    """Time elapsed since ``start`` (epoch seconds) as ``M:SS``."""
    elapsed = time.time() - start
    return '%i:%02i' % (int(elapsed // 60), int(elapsed % 60))


def printList(lst):
    """English enumeration: 'a', 'a and b', 'a, b, and c'."""
    if not lst:
        return ''
    if len(lst) == 1:
        return lst[0]
    if len(lst) == 2:
        return '%s and %s' % (lst[0], lst[1])
    return '%s, and %s' % (', '.join(lst[:-1]), lst[-1])


def base64encode(s, as_bytes=False):
    """base64 of a str (utf-8) or bytes; str result unless ``as_bytes``."""
    if isinstance(s, str):
        s = s.encode('utf-8')
    data = base64.b64encode(s)
    if as_bytes:
        return data
    return data.decode('ascii')


base64decode = base64.b64decode


def multi_fnmatch(s, patterns):
    """True if ``s`` matches any glob (``patterns`` is a list or a space separated string)."""
    if isinstance(patterns, str):
        patterns = patterns.split()
    return any(fnmatch.fnmatch(s, pat) for pat in patterns)


def to_list(lst):
    """``lst`` itself if a list, else list(lst)."""
    if isinstance(lst, list):
        return lst
    return list(lst)


def format_shell_cmd(cmd, text_width=80):
    """Wrap a command (list of words) into backslash-continued lines for logs."""
    width = text_width - 2  # room for the trailing ' \'
    lines = []
    line = ''
    for word in cmd:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = ''
        line = '%s %s' % (line, word) if line else word
    if line:
        lines.append(line)
    return ' \\\n'.join(lines)


# -- dicts -----------------------------------------------------------------------------------


def dslice(dict_, keys, strict=True):
    """Sub-dict with ``keys``; a missing key raises KeyError unless not strict."""
    result = {}
    for key in keys:
        if strict or key in dict_:
            result[key] = dict_[key]
    return result


def dslice_ex(dict_, keys, strict=True):
    """Copy of ``dict_`` without ``keys``; a missing key raises KeyError unless not strict."""
    result = dict(dict_)
    for key in keys:
        if strict or key in result:
            del result[key]
    return result


def extract_build_task(binfo):
    """Task id of a build: ``task_id``, or the legacy OSBS location in ``extra``."""
    task_id = binfo.get('task_id')
    if task_id is None:
        extra = binfo.get('extra')
        if extra is not None:
            task_id = extra.get('container_koji_task_id')
    return task_id


class DataWalker(object):
    """Rebuild nested lists/tuples/dicts, passing every value (bottom up) through a callback."""

    def __init__(self, data, callback, kwargs=None):
        self.data = data
        self.callback = callback
        self.kwargs = kwargs if kwargs is not None else {}

    def walk(self):
        return self._walk(self.data)

    def _walk(self, value):
        if isinstance(value, tuple):
            value = tuple(self._walk(v) for v in value)
        elif isinstance(value, list):
            value = [self._walk(v) for v in value]
        elif isinstance(value, dict):
            value = dict((self._walk(k), self._walk(v)) for k, v in value.items())
        return self.callback(value, **self.kwargs)


def encode_datetime(value):
    """datetime / xmlrpc DateTime -> ``isoformat(' ')`` string; anything else unchanged."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(' ')
    if isinstance(value, DateTime):
        return datetime.datetime(*value.timetuple()[:6]).isoformat(' ')
    return value


def encode_datetime_recurse(value):
    """encode_datetime applied throughout nested data."""
    return DataWalker(value, encode_datetime).walk()


# -- calling ---------------------------------------------------------------------------------


def call_with_argcheck(func, args, kwargs=None):
    """Call ``func``; a signature mismatch becomes ParameterError.

    Only a TypeError raised by the call itself is converted: one raised
    inside ``func`` is a real bug and propagates unchanged.
    """
    if kwargs is None:
        kwargs = {}
    try:
        return func(*args, **kwargs)
    except TypeError as exc:
        if sys.exc_info()[2].tb_next is None:
            # no deeper frame: the failure happened while binding the arguments
            raise ParameterError(str(exc))
        raise


# -- hidden and lazy values ------------------------------------------------------------------


class HiddenValue(object):
    """Wraps a secret so printing or logging it does not reveal it."""

    def __init__(self, value):
        if isinstance(value, HiddenValue):
            value = value.value
        self.value = value

    def __str__(self):
        return '[value hidden]'

    def __repr__(self):
        return 'HiddenValue()'


class LazyValue(object):
    """A deferred call, evaluated by get() (once, if ``cache``)."""

    def __init__(self, func, args, kwargs=None, cache=False):
        self.func = func
        self.args = args
        self.kwargs = kwargs if kwargs is not None else {}
        self.cache = cache

    def get(self):
        if hasattr(self, '_value'):
            return self._value
        value = self.func(*self.args, **self.kwargs)
        if self.cache:
            self._value = value
        return value


class LazyString(LazyValue):
    """A LazyValue evaluated when converted to str (cheap to pass to logging)."""

    def __str__(self):
        return str(self.get())


def lazy_eval(value):
    """Resolve a LazyValue; other values pass through."""
    if isinstance(value, LazyValue):
        return value.get()
    return value


class LazyDict(dict):
    """dict whose LazyValue values are evaluated when read."""

    def __getitem__(self, key):
        return lazy_eval(super().__getitem__(key))

    def lazyset(self, key, func, args, kwargs=None, cache=False):
        self[key] = LazyValue(func, args, kwargs=kwargs, cache=cache)

    def get(self, *args, **kwargs):
        return lazy_eval(super().get(*args, **kwargs))

    def copy(self):
        return LazyDict(self)

    def values(self):
        return [lazy_eval(v) for v in super().values()]

    def items(self):
        return [(k, lazy_eval(v)) for k, v in super().items()]

    def itervalues(self):
        for value in super().values():
            yield lazy_eval(value)

    def iteritems(self):
        for key, value in super().items():
            yield key, lazy_eval(value)

    def pop(self, key, *args, **kwargs):
        return lazy_eval(super().pop(key, *args, **kwargs))

    def popitem(self):
        key, value = super().popitem()
        return key, lazy_eval(value)


class LazyRecord(object):
    """Object whose LazyValue attributes are evaluated on access; may extend a ``base``."""

    def __init__(self, base=None):
        if base is not None:
            self.__dict__.update(base.__dict__)
        self._base_record = base

    def __getattribute__(self, name):
        try:
            value = object.__getattribute__(self, name)
        except AttributeError:
            base = object.__getattribute__(self, '_base_record')
            value = getattr(base, name)
        return lazy_eval(value)


def lazysetattr(object, name, func, args, kwargs=None, cache=False):
    """Set a lazily computed attribute on a LazyRecord."""
    if not isinstance(object, LazyRecord):
        raise TypeError('object does not support lazy attributes')
    setattr(object, name, LazyValue(func, args, kwargs=kwargs, cache=cache))


# -- files -----------------------------------------------------------------------------------


def safer_move(src, dst):
    """Move ``src`` to ``dst``, refusing to replace anything already at ``dst``."""
    if os.path.exists(dst):
        raise GenericError('Destination exists: %s' % dst)
    if os.path.islink(dst):
        raise GenericError('Destination is a symlink: %s' % dst)
    shutil.move(src, dst)


def move_and_symlink(src, dst, relative=True, create_dir=False):
    """Move ``src`` to ``dst`` and leave a symlink (relative by default) at ``src``."""
    if create_dir:
        ensuredir(os.path.dirname(dst))
    safer_move(src, dst)
    target = dst
    if relative:
        target = os.path.relpath(dst, os.path.dirname(src))
    os.symlink(target, src)


def joinpath(path, *paths):
    """os.path.join that refuses later segments which are absolute or climb out with '..'."""
    cleaned = []
    for segment in paths:
        norm = os.path.normpath(segment)
        if norm == '..' or norm.startswith('../') or norm.startswith('/'):
            raise ValueError('Invalid path segment: %s' % segment)
        cleaned.append(norm)
    return os.path.join(path, *cleaned)


class SimpleProxyLogger(object):
    """Records log calls in a file so a forked child can hand them to the parent."""

    DEBUG = logging.DEBUG
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR

    def __init__(self, filename):
        self.outfile = open(filename, 'wt', encoding='utf-8')

    def __enter__(self):
        return self

    def __exit__(self, _type, value, traceback):
        self.outfile.close()

    def log(self, level, msg, *args, **kwargs):
        try:
            msg = msg % args
        except Exception:
            msg = '%s %r' % (msg, args)
        self.outfile.write(json.dumps([level, str(msg)]) + '\n')
        self.outfile.flush()

    def info(self, msg, *args, **kwargs):
        self.log(self.INFO, msg, *args, **kwargs)

    def warning(self, msg, *args, **kwargs):
        self.log(self.WARNING, msg, *args, **kwargs)

    def error(self, msg, *args, **kwargs):
        self.log(self.ERROR, msg, *args, **kwargs)

    def debug(self, msg, *args, **kwargs):
        self.log(self.DEBUG, msg, *args, **kwargs)

    @staticmethod
    def send(filename, logger):
        """Replay the records of ``filename`` into a real logger."""
        with open(filename, 'rt', encoding='utf-8') as handle:
            for line in handle:
                try:
                    level, msg = json.loads(line)
                except Exception:
                    level, msg = logging.ERROR, 'Bad log data: %r' % line
                logger.log(level, msg)


def _strip_cwd(dev):
    """Unlink the non-directories in cwd; return its subdirectories on device ``dev``."""
    subdirs = []
    try:
        names = os.listdir('.')
    except FileNotFoundError:
        return subdirs
    for name in names:
        try:
            st = os.lstat(name)
        except FileNotFoundError:
            continue
        if st.st_dev != dev:
            continue  # never cross into another filesystem
        if stat.S_ISDIR(st.st_mode):
            subdirs.append(name)
        else:
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass
    return subdirs


def _rmtree_nofork(path, logger):
    """Delete a tree using only relative names from inside it (no long paths).

    Changes the working directory, hence it runs in a forked child.
    """
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise GenericError('Not a directory: %s' % path)
    dev = st.st_dev
    os.chdir(path)
    depth = 0
    while True:
        subdirs = _strip_cwd(dev)
        if subdirs:
            os.chdir(subdirs[0])
            depth += 1
            continue
        if depth == 0:
            break
        current = os.path.basename(os.getcwd())
        os.chdir('..')
        depth -= 1
        try:
            os.rmdir(current)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    os.chdir('/')
    os.rmdir(path)
    logger.debug('removed %s', path)


def rmtree(path, logger=None, background=False):
    """Remove a directory tree without crossing filesystems.

    The walk runs in a forked child so the caller's cwd is untouched. With
    ``background`` returns ``[pid, check]`` where ``check()`` waits and raises on
    failure; otherwise waits itself.
    """
    logger = logger or logging.getLogger('koji')
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        logger.warning('No such file/dir %s for removal', path)
        return None
    if not stat.S_ISDIR(st.st_mode):
        raise GenericError('Not a directory: %s' % path)
    path = os.path.abspath(path)
    fd, logfile = tempfile.mkstemp(prefix='rmtree-', suffix='.log')
    os.close(fd)
    pid = os.fork()
    if not pid:
        status = 1
        try:
            with SimpleProxyLogger(logfile) as proxy:
                try:
                    _rmtree_nofork(path, proxy)
                    status = 0
                except Exception as exc:
                    proxy.error('rmtree failed: %s', exc)
        finally:
            os._exit(status)

    def check():
        _pid, status = os.waitpid(pid, 0)
        try:
            SimpleProxyLogger.send(logfile, logger)
        finally:
            try:
                os.unlink(logfile)
            except OSError:
                pass
        if not isSuccess(status):
            raise GenericError(parseStatus(status, 'rmtree process'))
        if os.path.exists(path):
            raise GenericError('Failed to remove directory: %s' % path)

    if background:
        return [pid, check]
    return check()


# -- processes -------------------------------------------------------------------------------


def parseStatus(rv, prefix):
    """Describe a wait() status for messages; ``prefix`` may be a list of words."""
    if isinstance(prefix, (list, tuple)):
        prefix = ' '.join(prefix)
    if os.WIFSIGNALED(rv):
        return '%s was killed by signal %i' % (prefix, os.WTERMSIG(rv))
    if os.WIFEXITED(rv):
        return '%s exited with status %i' % (prefix, os.WEXITSTATUS(rv))
    return '%s terminated for unknown reasons' % prefix


def isSuccess(rv):
    """True for a wait() status of a clean exit 0."""
    return os.WIFEXITED(rv) and os.WEXITSTATUS(rv) == 0


def setup_rlimits(opts, logger=None):
    """Apply ``RLIMIT_*`` options ('SOFT' or 'SOFT HARD') to this process."""
    logger = logger or logging.getLogger('koji')
    for key in opts:
        if not key.startswith('RLIMIT_') or not opts[key]:
            continue
        rcode = getattr(resource, key, None)
        if rcode is None:
            continue
        current = resource.getrlimit(rcode)
        try:
            limits = [int(x) for x in str(opts[key]).split()]
        except ValueError:
            logger.error('Invalid resource limit: %s=%s', key, opts[key])
            continue
        if len(limits) not in (1, 2):
            logger.error('Invalid resource limit: %s=%s', key, opts[key])
            continue
        if len(limits) == 1:
            limits.append(current[1])
        logger.warning('Setting resource limit: %s = %r', key, limits)
        try:
            resource.setrlimit(rcode, tuple(limits))
        except (ValueError, OSError) as exc:
            logger.error('Unable to set %s: %s', key, exc)


def tsort(parts):
    """Order ``{name: set(deps)}`` into a list of sets, each needing only earlier sets."""
    remaining = dict((name, set(deps)) for name, deps in parts.items())
    result = []
    while remaining:
        level = set(name for name, deps in remaining.items() if not deps)
        if not level:
            raise ValueError('total ordering not possible')
        result.append(level)
        remaining = dict((name, deps - level) for name, deps in remaining.items()
                         if name not in level)
    return result


# -- rpm files -------------------------------------------------------------------------------


def filedigestAlgo(hdr):
    """Lowercase name of the file digest algorithm of an rpm header (rpm omits it for md5)."""
    try:
        algo_id = hdr[RPM_TAG_FILEDIGESTALGO]
    except (KeyError, ValueError):
        algo_id = None
    if isinstance(algo_id, list):
        algo_id = algo_id[0] if algo_id else None
    return RPM_FILEDIGESTALGO_IDS.get(algo_id, 'unknown').lower()


def check_sigmd5(filename):
    """True if the md5 over header+payload matches SIGMD5; catches corrupt copies cheaply."""
    start, size = find_rpm_sighdr(filename)
    with open(filename, 'rb') as fo:
        fo.seek(start)
        sighdr = RawHeader(fo.read(size))
        sigmd5 = sighdr.get(RPM_SIGTAG_MD5)
        if not sigmd5:
            return False
        md5 = md5_constructor()
        while True:
            chunk = fo.read(1024 * 1024)
            if not chunk:
                break
            md5.update(chunk)
    return md5.digest() == sigmd5


# -- CLI helpers -----------------------------------------------------------------------------


def eventFromOpts(session, opts):
    """Event dict chosen by the standard --event / --ts / --repo options, else None."""
    event_id = getattr(opts, 'event', None)
    if event_id:
        return session.getEvent(event_id)
    ts = getattr(opts, 'ts', None)
    if ts is not None:
        return session.getLastEvent(before=ts)
    repo = getattr(opts, 'repo', None)
    if repo is not None:
        rinfo = session.repoInfo(repo, strict=True)
        return {'id': rinfo['create_event'], 'ts': rinfo['create_ts']}
    return None


def checkForBuilds(session, tag, builds, event, latest=False):
    """True if every build (dict with name/version/release) is in ``tag`` at ``event``.

    With ``latest`` the build must be the latest of its package there.
    """
    for build in builds:
        if latest:
            tagged = session.getLatestBuilds(tag, event=event, package=build['name'])
        else:
            tagged = session.listTagged(tag, event=event, package=build['name'], inherit=True)
        if not any(t['version'] == build['version'] and t['release'] == build['release']
                   for t in tagged):
            return False
    return True


# -- waiting for repos -----------------------------------------------------------------------


class RepoWatcher(object):
    """Finds, or waits for, a repo of a tag that meets a task's conditions.

    The conditions are a minimum event (``min_event``; "last" = the tag's last change), an
    exact event (``at_event``), repo options (``opts``) and builds that must be in the repo
    (``nvrs``). Waiting goes through the hub's repo request queue (``repo.request`` and
    ``repo.checkRequest``): the hub starts the regeneration, we only watch the request.
    Progress goes to ``logger`` with upstream's messages (the CLI prints them).
    """

    # seconds between checks
    PAUSE = 6
    # minutes before giving up
    TIMEOUT = 120
    # when set (seconds), pauses start this short and double up to PAUSE, and start short
    # again whenever the request moves; None keeps every pause at PAUSE
    FIRST_PAUSE = None

    WATCH_FIELDS = ('task_id', 'task_state', 'repo_id', 'active', 'tries')

    def __init__(self, session, tag, nvrs=None, min_event=None, at_event=None, opts=None,
                 logger=None):
        self.session = session
        self.taginfo = session.getTag(tag, strict=True)
        self.start = None
        self.nvrs = list(nvrs or [])
        # the builds need not exist yet
        self.builds = [parse_NVR(nvr) for nvr in self.nvrs]
        self.at_event = at_event
        if min_event is None:
            self.min_event = None
        elif at_event is not None:
            raise ParameterError('Cannot specify both min_event and at_event')
        elif min_event == 'last':
            self.min_event = session.tagLastChangeEvent(self.taginfo['id'])
        else:
            self.min_event = int(min_event)
        # None means the tag's default options
        self.opts = opts
        self.logger = logger or logging.getLogger('koji')
        self._task_request = None
        self._delay = None

    def get_start(self):
        """When the waiting started (the clock starts at the first wait, not at init)."""
        if not self.start:
            self.start = time.time()
        return self.start

    def _builds_tagged(self, event=None):
        return checkForBuilds(self.session, self.taginfo['id'], self.builds, event=event)

    def getRepo(self):
        """A matching repo if the hub has one now, else None (never waits).

        Without a repo the request made here is kept for task_args().
        """
        self.logger.info('Need a repo for %s', self.taginfo['name'])
        if self.builds and not self._builds_tagged():
            # a request is pointless while the builds are not even tagged
            self.logger.debug('Builds %s not present in tag %s', self.nvrs,
                              self.taginfo['name'])
            return None
        check = self.request()
        repoinfo = check.get('repo')
        if repoinfo:
            self.logger.info('Request yielded repo: %r', check)
            if self.check_repo(repoinfo):
                return repoinfo
        self._task_request = check['request']
        return None

    def task_args(self):
        """Arguments of a waitrepo task that waits for what this watcher wants."""
        if self.at_event:
            raise GenericError('at_event not supported by waitrepo task')
        min_event = self.min_event
        if min_event is None and self._task_request:
            min_event = self._task_request['min_event']
        if self.opts:
            raise GenericError('opts not supported by waitrepo task')
        # the legacy newer_than argument stays None
        return [self.taginfo['name'], None, self.nvrs, min_event]

    def waitrepo(self, anon=False):
        """Block until a matching repo exists and return it.

        Logged in, it files a request and watches it; ``anon`` sessions cannot request,
        so they look for the repo directly with repo.get.
        """
        self.logger.info('Waiting on repo for %s', self.taginfo['name'])
        self.get_start()
        min_event = self.min_event
        self.logger.debug('min_event = %r, nvrs = %r', min_event, self.nvrs)
        req = None
        while True:
            if req:
                repoinfo = self.wait_request(req)
                if self.check_repo(repoinfo):
                    break
                if self.at_event is not None:
                    raise GenericError('Failed at_event request')
                # the tag changed again (or the request was too loose): ask again
                min_event = self.session.tagLastChangeEvent(self.taginfo['id'])
                self.logger.error('Repo request did not satisfy conditions')
            elif anon:
                repoinfo = self.session.repo.get(self.taginfo['id'], min_event=min_event,
                                                 at_event=self.at_event, opts=self.opts)
                if repoinfo and self.check_repo(repoinfo):
                    break
            if self.builds:
                self.wait_builds(self.builds)
                min_event = self.session.tagLastChangeEvent(self.taginfo['id'])
                self.logger.debug('Updated min_event to last change: %s', min_event)
            if not anon:
                check = self.request(min_event)
                repoinfo = check.get('repo')
                if repoinfo:
                    self.logger.debug('Request yielded repo: %r', check)
                    if self.check_repo(repoinfo):
                        break
                else:
                    req = check['request']
                    self.logger.info('Got request: %(id)s', req)
                    self.logger.debug('Request data: %s', req)
                    if min_event in ('last', None):
                        min_event = req['min_event']
                        self.logger.info('Updated min_event from hub: %s', min_event)
            self.pause()
        self.logger.debug('Got repo: %r', repoinfo)
        return repoinfo

    def request(self, min_event=None):
        """repo.request for our tag and conditions; returns the hub's answer."""
        if min_event is None:
            min_event = self.min_event
        self.logger.info('Requesting a repo')
        self.logger.debug('self.session.repo.request(%s, min_event=%s, at_event=%s, opts=%r)',
                          self.taginfo['id'], min_event, self.at_event, self.opts)
        return self.session.repo.request(self.taginfo['id'], min_event=min_event,
                                         at_event=self.at_event, opts=self.opts)

    def wait_request(self, req):
        """Watch a queued request until it yields a repo; fails when it goes inactive."""
        self.get_start()
        seen = dict((f, req.get(f)) for f in self.WATCH_FIELDS)
        while True:
            check = self.session.repo.checkRequest(req['id'])
            self.logger.debug('Request check: %r', check)
            repo = check.get('repo')
            if repo:
                return repo
            request = check['request']
            for field in self.WATCH_FIELDS:
                old, new = seen[field], request[field]
                if old == new:
                    continue
                seen[field] = new
                # progress: the next change (e.g. the task closing) may come soon
                self._delay = None
                if field == 'task_state':
                    old, new = _task_state_name(old), _task_state_name(new)
                self.logger.info('Request updated: %s: %s -> %s', field, old, new)
            if self.check_timeout():
                raise GenericError('Unsuccessfully waited %s for a new %s repo'
                                   % (duration(self.start), self.taginfo['name']))
            if not request['active']:
                if request['task_id']:
                    # client 1.36 names the task and its state (cli.md, wait-repo)
                    raise GenericError('Repo request inactive: task %s state is %s'
                                       % (request['task_id'],
                                          _task_state_name(request['task_state'])))
                raise GenericError('Repo request no longer active')
            self.pause()

    def wait_builds(self, builds):
        """Wait until every build is tagged (a repo without them would not do)."""
        self.get_start()
        self.logger.info('Waiting for nvrs %s in tag %s', self.nvrs, self.taginfo['name'])
        while True:
            if checkForBuilds(self.session, self.taginfo['id'], builds, event=None):
                self.logger.debug('Successfully waited for nvrs %s in tag %s', self.nvrs,
                                  self.taginfo['name'])
                return
            if self.check_timeout():
                raise GenericError('Unsuccessfully waited %s for %s to appear in the %s repo'
                                   % (duration(self.start), printList(self.nvrs),
                                      self.taginfo['name']))
            self.logger.debug('Waiting for nvrs %s in tag %s', self.nvrs, self.taginfo['name'])
            self.pause()

    def check_repo(self, repoinfo):
        """True if the repo meets every condition (tag, event, opts, builds)."""
        if repoinfo['tag_id'] != self.taginfo['id']:
            self.logger.error('Got repo for wrong tag, expected %s, got %s',
                              self.taginfo['id'], repoinfo['tag_id'])
            return False
        if self.at_event is not None:
            if repoinfo['create_event'] != self.at_event:
                self.logger.info('Got repo with wrong event. %s != %s',
                                 repoinfo['create_event'], self.at_event)
                return False
        elif self.min_event is not None and repoinfo['create_event'] < self.min_event:
            self.logger.info('Got repo before min event. %s < %s',
                             repoinfo['create_event'], self.min_event)
            return False
        if self.opts is not None and repoinfo['opts'] != self.opts:
            self.logger.info('Got repo with wrong opts. %s != %s', repoinfo['opts'], self.opts)
            return False
        if self.builds and not self._builds_tagged(event=repoinfo['create_event']):
            self.logger.info('Got repo without needed builds')
            return False
        self.logger.debug('Repo satisfies our conditions')
        return True

    def next_delay(self):
        """Length of the next pause (see FIRST_PAUSE)."""
        if self.FIRST_PAUSE is None:
            return self.PAUSE
        if self._delay is None:
            self._delay = min(self.FIRST_PAUSE, self.PAUSE)
        else:
            self._delay = min(self._delay * 2, self.PAUSE)
        return self._delay

    def pause(self):
        self.logger.debug('Pausing')
        time.sleep(self.next_delay())

    def check_timeout(self):
        return (time.time() - self.get_start()) > self.TIMEOUT * 60.0


def _task_state_name(state):
    if state is None:
        return None
    try:
        return TASK_STATES[state]
    except (KeyError, IndexError, TypeError):
        return state


# maven build parameters live in their own module; upstream has them here
from koji.maven_params import (MavenConfigOptAdapter, maven_opts, maven_params,  # noqa: E402,F401
                               parse_maven_chain, parse_maven_param, parse_maven_params,
                               wrapper_params)
