"""Human-facing text: timestamps, task labels, text clean-up, tracebacks with locals."""
import datetime
import os
import sys
import traceback
import xmlrpc.client

import dateutil.parser
import dateutil.tz

from koji.args import decode_args2
from koji.constants import NONPRINTABLE_CHARS
from koji.exceptions import ParameterError
from koji.nvr import buildLabel
from koji.task_signatures import parse_task_params

# -- time ------------------------------------------------------------------------------------


def formatTime(value):
    """Render a timestamp as ``YYYY-MM-DD HH:MM:SS`` (local time for numbers); '' if empty.

    Strings are assumed to be in that form already and only lose their
    fractional seconds (and anything after them).
    """
    if not value:
        return ''
    if isinstance(value, xmlrpc.client.DateTime):
        value = datetime.datetime.strptime(value.value, '%Y%m%dT%H:%M:%S')
    elif isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value)
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%d %H:%M:%S')
    dot = value.rfind('.')
    if dot != -1:
        return value[:dot]
    return value


def formatTimeLong(value):
    """Render a timestamp in local time as ``Www, DD Mon YYYY HH:MM:SS TZ``; '' if empty."""
    if not value:
        return ''
    if isinstance(value, str):
        stamp = dateutil.parser.parse(value)
    elif isinstance(value, xmlrpc.client.DateTime):
        stamp = dateutil.parser.parse(value.value)
    elif isinstance(value, (int, float)):
        stamp = datetime.datetime.fromtimestamp(value)
    else:
        stamp = value
    local = dateutil.tz.tzlocal()
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=local)
    stamp = stamp.astimezone(local)
    return stamp.strftime('%a, %d %b %Y %H:%M:%S %Z')


# -- task labels -----------------------------------------------------------------------------

# Fallback parameter names for labelling when koji.tasks is not available; the
# authoritative table is koji.tasks.LEGACY_SIGNATURES.
_LABEL_PARAMS = {
    'build': ('src', 'target', 'opts'),
    'maven': ('url', 'target', 'opts'),
    'buildSRPMFromSCM': ('url', 'build_tag', 'opts'),
    'buildArch': ('pkg', 'root', 'arch', 'keep_srpm', 'opts'),
    'buildMaven': ('url', 'build_tag', 'opts'),
    'wrapperRPM': ('spec_url', 'build_target', 'build', 'task', 'opts'),
    'winbuild': ('name', 'source_url', 'target', 'opts'),
    'vmExec': ('name', 'task_info', 'opts'),
    'buildNotification': ('recipients', 'build', 'target', 'weburl'),
    'newRepo': ('tag', 'event', 'src', 'debuginfo', 'separate_src', 'opts'),
    'distRepo': ('tag', 'repo_id', 'keys', 'task_opts'),
    'createrepo': ('repo_id', 'arch', 'oldrepo'),
    'createdistrepo': ('tag', 'repo_id', 'arch', 'keys', 'opts'),
    'dependantTask': ('wait_list', 'task_list'),
    'chainbuild': ('srcs', 'target', 'opts'),
    'chainmaven': ('builds', 'target', 'opts'),
    'waitrepo': ('tag', 'newer_than', 'nvrs', 'min_event'),
    'livecd': ('name', 'version', 'arch', 'target', 'ksfile', 'opts'),
    'appliance': ('name', 'version', 'arch', 'target', 'ksfile', 'opts'),
    'image': ('name', 'version', 'arches', 'target', 'inst_tree', 'opts'),
    'livemedia': ('name', 'version', 'arches', 'target', 'ksfile', 'opts'),
    'createLiveCD': ('name', 'version', 'release', 'arch', 'target_info', 'build_tag',
                     'repo_info', 'ksfile', 'opts'),
    'createAppliance': ('name', 'version', 'release', 'arch', 'target_info', 'build_tag',
                        'repo_info', 'ksfile', 'opts'),
    'createImage': ('name', 'version', 'release', 'arch', 'target_info', 'build_tag',
                    'repo_info', 'inst_tree', 'opts'),
    'createLiveMedia': ('name', 'version', 'release', 'arch', 'target_info', 'build_tag',
                        'repo_info', 'ksfile', 'opts'),
    'indirectionimage': ('opts',),
    'restart': ('host',),
    'restartVerify': ('task_id', 'host'),
}


def _label_params(method, request):
    """Named task parameters, or None when the method is not one we know how to label."""
    try:
        return parse_task_params(method, request)
    except TypeError:
        # method unknown to the signature table
        if method not in _LABEL_PARAMS:
            return None
    if (len(request) == 1 and isinstance(request[0], dict) and
            '__method__' in request[0]):
        return dict(request[0])
    names = _LABEL_PARAMS.get(method)
    if names is None:
        return None
    try:
        return decode_args2(request, names)
    except TypeError as exc:
        raise ParameterError(str(exc))


def _scm_label(url):
    """``<repo path>[:<module>]:<revision>`` from an SCM url."""
    module = ''
    hash_at = url.find('#')
    if '?' in url:
        module = url[url.find('?') + 1:hash_at]
    path_start = url.find('/', url.find('://') + 3)
    path_end = url.find('?')
    if path_end == -1:
        path_end = hash_at
    repo = url[path_start:path_end]
    rev = url[hash_at + 1:]
    if module:
        return '%s:%s:%s' % (repo, module, rev)
    return '%s:%s' % (repo, rev)


def _source_label(src):
    if '://' in src:
        return _scm_label(src)
    return os.path.basename(src)


def _arches_label(arches):
    if isinstance(arches, (list, tuple)):
        return ','.join(str(a) for a in arches)
    return str(arches)


def _waitrepo_label(p):
    label = str(p['tag'])
    nvrs = p.get('nvrs')
    if isinstance(nvrs, list):
        label += ', ' + ', '.join(nvrs)
    return label


def _wrapper_label(p):
    if p.get('build'):
        return '%s, %s' % (p['build_target']['name'], buildLabel(p['build']))
    return p['build_target']['name']


def _image_label(p):
    arch = p['arches'] if 'arches' in p else p['arch']
    source = p['inst_tree'] if 'inst_tree' in p else os.path.basename(p['ksfile'])
    return '%s, %s-%s, %s' % (_arches_label(arch), p['name'], p['version'], source)


def _create_image_label(p):
    source = p['inst_tree'] if 'inst_tree' in p else p['ksfile']
    return '%s, %s-%s-%s, %s, %s' % (p['target_info']['name'], p['name'], p['version'],
                                     p['release'], os.path.basename(source), p['arch'])


def _indirection_label(p):
    opts = p['opts']
    return '%s, %s, %s' % (opts['name'], opts['version'], opts['release'])


_LABELERS = {
    'build': lambda p: '%s, %s' % (p['target'], _source_label(p['src'])),
    'maven': lambda p: '%s, %s' % (p['target'], _source_label(p['url'])),
    'buildSRPMFromSCM': lambda p: _scm_label(p['url']),
    'buildArch': lambda p: '%s, %s' % (os.path.basename(p['pkg']), p['arch']),
    'buildMaven': lambda p: p['build_tag']['name'],
    'wrapperRPM': _wrapper_label,
    'winbuild': lambda p: '%s, %s' % (p['target'], _scm_label(p['source_url'])),
    'vmExec': lambda p: p['name'],
    'buildNotification': lambda p: buildLabel(p['build']),
    'newRepo': lambda p: str(p['tag']),
    'distRepo': lambda p: str(p['tag']),
    'createrepo': lambda p: p['arch'],
    'createdistrepo': lambda p: '%s, %s' % (p['repo_id'], p['arch']),
    'dependantTask': lambda p: ', '.join(str(sub[0]) for sub in p['task_list']),
    'chainbuild': lambda p: p['target'],
    'chainmaven': lambda p: p['target'],
    'waitrepo': _waitrepo_label,
    'livecd': _image_label,
    'appliance': _image_label,
    'image': _image_label,
    'livemedia': _image_label,
    'createLiveCD': _create_image_label,
    'createAppliance': _create_image_label,
    'createImage': _create_image_label,
    'createLiveMedia': _create_image_label,
    'indirectionimage': _indirection_label,
    'restart': lambda p: p['host']['name'],
    'restartVerify': lambda p: p['host']['name'],
}


def _task_label(taskInfo):
    method = taskInfo['method']
    arch = taskInfo['arch']
    extra = ''
    labeler = _LABELERS.get(method)
    if labeler is not None and 'request' in taskInfo:
        try:
            params = _label_params(method, taskInfo['request'])
        except ParameterError:
            return '%s (%s, unknown args)' % (method, arch)
        if params is not None:
            extra = labeler(params)
    if extra:
        return '%s (%s)' % (method, extra)
    return '%s (%s)' % (method, arch)


def taskLabel(taskInfo):
    """One-line description of a task, ``method (details)``, for listings."""
    try:
        return _task_label(taskInfo)
    except Exception:
        return 'malformed task'


# -- text clean-up ---------------------------------------------------------------------------

_NONPRINTABLE_TABLE = dict((ord(c), None) for c in NONPRINTABLE_CHARS)
_NONPRINTABLE_TABLE[0xfffd] = None  # replacement char left by a lossy decode


def removeNonprintable(value):
    """Drop control characters (except tab, CR, LF) that break XML and terminals."""
    if isinstance(value, bytes):
        return value.translate(None, NONPRINTABLE_CHARS.encode('ascii'))
    return value.translate(_NONPRINTABLE_TABLE)


def fix_encoding(value, fallback='iso8859-15', remove_nonprintable=False):
    """Make ``value`` a clean str: bytes are decoded (utf-8, else ``fallback``)."""
    if isinstance(value, bytes):
        try:
            value = value.decode('utf-8')
        except UnicodeDecodeError:
            value = value.decode(fallback)
    if remove_nonprintable and isinstance(value, str):
        return removeNonprintable(value)
    return value


def fixEncoding(value, fallback='iso8859-15', remove_nonprintable=False):
    """fix_encoding, mapping every falsy value to ''."""
    if not value:
        return ''
    return fix_encoding(value, fallback, remove_nonprintable)


def fixEncodingRecurse(value, fallback='iso8859-15', remove_nonprintable=False):
    """fix_encoding applied through lists, tuples and dicts (keys included)."""
    if isinstance(value, tuple):
        return tuple(fixEncodingRecurse(v, fallback, remove_nonprintable) for v in value)
    if isinstance(value, list):
        return [fixEncodingRecurse(v, fallback, remove_nonprintable) for v in value]
    if isinstance(value, dict):
        return dict((fixEncodingRecurse(k, fallback, remove_nonprintable),
                     fixEncodingRecurse(v, fallback, remove_nonprintable))
                    for k, v in value.items())
    if isinstance(value, (str, bytes)):
        return fix_encoding(value, fallback, remove_nonprintable)
    return value


def hex_string(s):
    """Lowercase hex of bytes (or of the code points of a str)."""
    if isinstance(s, str):
        return ''.join('%02x' % ord(c) for c in s)
    return bytes(s).hex()


# -- tracebacks ------------------------------------------------------------------------------


def format_exc_plus():
    """Traceback of the exception being handled plus every frame's locals (debug faults)."""
    etype, evalue, first_tb = sys.exc_info()
    if first_tb is None:
        return ''
    tb = first_tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    frames = []
    frame = tb.tb_frame
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()
    parts = [''.join(traceback.format_exception(etype, evalue, first_tb))]
    parts.append('Locals by frame, innermost last\n')
    for frame in frames:
        code = frame.f_code
        parts.append('\nFrame %s in %s at line %s\n'
                     % (code.co_name, code.co_filename, frame.f_lineno))
        for key, value in list(frame.f_locals.items()):
            try:
                text = '%s' % (value,)
            except Exception:
                # a broken __str__ must not hide the original error
                text = '<ERROR WHILE PRINTING VALUE>'
            parts.append('  %20s = %s\n' % (key, text))
    return ''.join(parts)


def decode_bytes(data, fallback='iso8859-15'):
    """bytes -> str, trying utf-8 first; str passes through."""
    if isinstance(data, str):
        return data
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data.decode(fallback)
