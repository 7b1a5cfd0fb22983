"""The structure of CG metadata, checked before any of it is used.

Upstream's importer trusts the document and fails with whatever Python error a missing
key or a wrong type causes; here every such case is a GenericError naming the field.
The checks follow docs/content_generator_metadata (cg-metadata.md)."""
import math

import koji

COMPONENT_TYPES = ('rpm', 'file', 'kojifile')
# checksum types a CG may use for its outputs: the hub can verify them and record them
OUTPUT_CHECKSUMS = ('md5', 'sha256')
# the largest value an INTEGER column (ids) or BIGINT column (sizes) takes
MAX_INT = 2 ** 31 - 1
MAX_BIGINT = 2 ** 63 - 1


def _fail(where, what):
    raise koji.GenericError('Invalid metadata: %s %s' % (where, what))


def _is_int(value, limit=MAX_INT):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit


def _need(data, key, where, kind, optional=False):
    """data[key] (None when optional and absent) after checking its type."""
    if not isinstance(data, dict):
        _fail(where, 'must be a map')
    if key not in data:
        if optional:
            return None
        _fail('%s.%s' % (where, key), 'is missing')
    value = data[key]
    field = '%s.%s' % (where, key)
    if kind == 'str':
        if not isinstance(value, str):
            _fail(field, 'must be a string')
    elif kind == 'id':
        if not _is_int(value):
            _fail(field, 'must be a positive integer')
    elif kind == 'size':
        if not _is_int(value, MAX_BIGINT):
            _fail(field, 'must be a size in bytes')
    elif kind == 'time':
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or not 0 <= value < 253402300800:
            _fail(field, 'must be seconds since the epoch')
    elif kind == 'map':
        if not isinstance(value, dict):
            _fail(field, 'must be a map')
    elif kind == 'list':
        if not isinstance(value, list):
            _fail(field, 'must be a list')
    elif kind == 'key':
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            _fail(field, 'must be an integer or a string')
    return value


def _check_build(build):
    where = 'build'
    for key in ('name', 'version', 'release', 'source'):
        _need(build, key, where, 'str')
    for key in ('start_time', 'end_time'):
        _need(build, key, where, 'time')
    if build.get('build_id') is not None:
        _need(build, 'build_id', where, 'id')
    task_id = build.get('task_id')
    if isinstance(task_id, int) and not isinstance(task_id, bool) and not _is_int(task_id):
        _fail('build.task_id', 'must be a positive integer')
    epoch = build.get('epoch')
    if epoch is not None and not _is_int(epoch):
        _fail('build.epoch', 'must be a positive integer or null')
    if build.get('owner') is not None:
        _need(build, 'owner', where, 'str')
    if 'extra' not in build:
        _fail('build.extra', 'is missing')
    extra = build['extra']
    if extra is not None:
        if not isinstance(extra, dict):
            _fail('build.extra', 'must be a map')
        if 'typeinfo' in extra and not isinstance(extra['typeinfo'], dict):
            _fail('build.extra.typeinfo', 'must be a map')
        for btype in extra.get('typeinfo') or {}:
            if not isinstance((extra['typeinfo'][btype]), (dict, type(None))):
                _fail('build.extra.typeinfo.%s' % btype, 'must be a map')
        for btype in ('maven', 'win', 'image'):
            if btype in extra and not isinstance(extra[btype], dict):
                _fail('build.extra.%s' % btype, 'must be a map')


def check_components(components, where):
    if not isinstance(components, list):
        _fail(where, 'must be a list')
    for index, comp in enumerate(components):
        here = '%s[%i]' % (where, index)
        kind = _need(comp, 'type', here, 'str')
        if kind not in COMPONENT_TYPES:
            raise koji.GenericError('No such component type: %s' % kind)
        if kind == 'rpm':
            for key in ('name', 'version', 'release', 'arch'):
                _need(comp, key, here, 'str')
        elif kind == 'file':
            _need(comp, 'filename', here, 'str')
            _need(comp, 'filesize', here, 'size')
            _need(comp, 'checksum', here, 'str')
            if _need(comp, 'checksum_type', here, 'str') not in koji.CHECKSUM_TYPES:
                _fail('%s.checksum_type' % here, 'is not a known checksum type')
        else:
            _need(comp, 'archive_id', here, 'id')


def _check_buildroots(buildroots):
    for index, brdata in enumerate(buildroots):
        here = 'buildroots[%i]' % index
        _need(brdata, 'id', here, 'key')
        for key, fields in (('host', ('os', 'arch')), ('content_generator', ('name', 'version')),
                            ('container', ('type', 'arch'))):
            part = _need(brdata, key, here, 'map')
            for field in fields:
                _need(part, field, '%s.%s' % (here, key), 'str')
        tools = _need(brdata, 'tools', here, 'list')
        for num, tool in enumerate(tools):
            _need(tool, 'name', '%s.tools[%i]' % (here, num), 'str')
            _need(tool, 'version', '%s.tools[%i]' % (here, num), 'str')
        check_components(_need(brdata, 'components', here, 'list'), here + '.components')


def _check_outputs(outputs):
    for index, fileinfo in enumerate(outputs):
        here = 'output[%i]' % index
        _need(fileinfo, 'buildroot_id', here, 'key')
        for key in ('filename', 'checksum', 'type'):
            _need(fileinfo, key, here, 'str')
        _need(fileinfo, 'filesize', here, 'size')
        if _need(fileinfo, 'checksum_type', here, 'str') not in OUTPUT_CHECKSUMS:
            raise koji.GenericError('Unsupported checksum type: %(checksum_type)s' % fileinfo)
        for key in ('relpath', 'subdir'):
            if fileinfo.get(key) is not None:
                _need(fileinfo, key, here, 'str')
        if not fileinfo['filename'] or '/' in fileinfo['filename'] or \
                fileinfo['filename'] in ('.', '..'):
            _fail('%s.filename' % here, 'must be a plain file name')
        extra = fileinfo.get('extra')
        if extra is not None:
            _need(fileinfo, 'extra', here, 'map')
            if 'typeinfo' in extra:
                _need(extra, 'typeinfo', here + '.extra', 'map')
        if 'components' in fileinfo:
            check_components(fileinfo['components'], here + '.components')


def check_version(metadata):
    """The format version (0 is the only one) of a document that must be a map."""
    if not isinstance(metadata, dict):
        _fail('document', 'must be a map')
    return _need(metadata, 'metadata_version', 'metadata', 'key')


def check_nvr(data, where='build'):
    """name, version, release strings and an optional integer epoch."""
    if not isinstance(data, dict):
        _fail(where, 'must be a map')
    for key in ('name', 'version', 'release'):
        _need(data, key, where, 'str')
    epoch = data.get('epoch')
    if epoch is not None and not _is_int(epoch):
        _fail('%s.epoch' % where, 'must be a positive integer or null')


def check_metadata(metadata):
    """GenericError unless the document has the fields (and types) the import reads."""
    _check_build(_need(metadata, 'build', 'metadata', 'map'))
    _check_buildroots(_need(metadata, 'buildroots', 'metadata', 'list'))
    _check_outputs(_need(metadata, 'output', 'metadata', 'list'))
