"""Parsing and labelling of package identities: N-V-R(.A), arches, draft releases, maven GAVs."""
import fnmatch
import re

from koji.constants import DRAFT_RELEASE_DELIMITER, DRAFT_RELEASE_FORMAT
from koji.exceptions import GenericError


def parse_NVR(nvr):
    """Split ``[E:]N-V-R`` into a dict with name, version, release and epoch ('' if none)."""
    rel_dash = nvr.rfind('-')
    if rel_dash == -1 or rel_dash == len(nvr) - 1:
        raise GenericError('invalid format: %s' % nvr)
    ver_dash = nvr.rfind('-', 0, rel_dash)
    if ver_dash == -1 or ver_dash == rel_dash - 1:
        raise GenericError('invalid format: %s' % nvr)
    name = nvr[:ver_dash]
    epoch = ''
    colon = name.find(':')
    if colon != -1:
        epoch = name[:colon]
        name = name[colon + 1:]
    # key order as upstream's (it shows wherever the dict is printed, e.g. fault texts)
    return {
        'release': nvr[rel_dash + 1:],
        'version': nvr[ver_dash + 1:rel_dash],
        'name': name,
        'epoch': epoch,
    }


def parse_NVRA(nvra):
    """Split ``N-V-R.A[.rpm][@location]``; adds arch, src and (if given) location."""
    location = None
    if '@' in nvra:
        nvra, location = nvra.split('@', 1)
    if nvra.endswith('.rpm'):
        nvra = nvra[:-4]
    dot = nvra.rfind('.')
    if dot == -1 or dot == len(nvra) - 1:
        raise GenericError('invalid format: %s' % nvra)
    arch = nvra[dot + 1:]
    result = parse_NVR(nvra[:dot])
    result['arch'] = arch
    result['src'] = (arch == 'src')
    if location:
        result['location'] = location
    return result


def _validate_nvr(nvr):
    if isinstance(nvr, str):
        nvr = parse_NVR(nvr)
    for field in ('version', 'release'):
        if not isinstance(nvr.get(field), str):
            # e.g. a number from `koji call`: a clean fault, not a TypeError traceback
            raise GenericError('Invalid %s value: %r (a string is required)'
                               % (field, nvr.get(field)))
    if '-' in nvr['version']:
        raise GenericError('The "-" character not allowed in version field')
    if '-' in nvr['release']:
        raise GenericError('The "-" character not allowed in release field')
    return nvr


def check_NVR(nvr, strict=False):
    """True if ``nvr`` (string or dict) is well formed; otherwise False, or raise if strict."""
    try:
        _validate_nvr(nvr)
    except GenericError:
        if strict:
            raise
        return False
    return True


def check_NVRA(nvra, strict=False):
    """Like check_NVR, and the arch may not contain a dot."""
    try:
        if isinstance(nvra, str):
            nvra = parse_NVRA(nvra)
        _validate_nvr(nvra)
        if '.' in nvra['arch']:
            raise GenericError('The "." character not allowed in arch field')
    except GenericError:
        if strict:
            raise
        return False
    return True


def is_debuginfo(name):
    """True for debuginfo/debugsource package names."""
    return (name.endswith('-debuginfo') or name.endswith('-debugsource') or
            '-debuginfo-' in name)


# (glob, canonical arch), first match wins
_CANON_ARCHES = (
    ('i?86', 'i386'),
    ('athlon', 'i386'),
    ('ia32e', 'x86_64'),
    ('ppc64le', 'ppc64le'),
    ('ppc64*', 'ppc64'),
    ('sparc64*', 'sparc64'),
    ('sparc*', 'sparc'),
    ('alpha*', 'alpha'),
    ('arm*h*', 'armhfp'),
    ('arm*', 'arm'),
)


def canonArch(arch):
    """Collapse an rpm arch to the canonical arch family used by hosts and tags."""
    for pattern, canon in _CANON_ARCHES:
        if fnmatch.fnmatchcase(arch, pattern):
            return canon
    return arch


_ARCH_RE = re.compile(r'^[a-zA-Z0-9_-]+$')


def parse_arches(arches, to_list=False, strict=False, allow_none=False):
    """Normalize user input naming arches into a space separated string (or a list).

    Commas count as separators unless ``strict``; each arch may only use
    ``[a-zA-Z0-9_-]``.
    """
    if arches is None and allow_none:
        arches = ''
    if isinstance(arches, (list, tuple)):
        arches = ' '.join(arches)
    if not strict:
        arches = arches.replace(',', ' ')
    arch_list = arches.split()
    for arch in arch_list:
        if not _ARCH_RE.match(arch):
            raise GenericError('Architecture can be only [a-zA-Z0-9_-]')
    if to_list:
        return arch_list
    return ' '.join(arch_list)


def buildLabel(buildInfo, showEpoch=False):
    """``[E:]N-V-R`` for a build dict (prefers package_name over name)."""
    epoch = ''
    if showEpoch and buildInfo.get('epoch') is not None:
        epoch = '%i:' % buildInfo['epoch']
    name = buildInfo.get('package_name', buildInfo.get('name'))
    return '%s%s-%s-%s' % (epoch, name, buildInfo.get('version'), buildInfo.get('release'))


def gen_draft_release(target_release, build_id):
    """Release used by a draft build until it is promoted."""
    return DRAFT_RELEASE_FORMAT.format(target_release=target_release, build_id=build_id)


_DRAFT_RE = re.compile(r'^(?P<target>.+)%sdraft_\d+$' % re.escape(DRAFT_RELEASE_DELIMITER))


def parse_target_release(draft_release):
    """Recover the target release from a draft release string."""
    match = _DRAFT_RE.match(draft_release or '')
    if not match:
        raise GenericError('draft release: %s is not in valid format' % draft_release)
    return match.group('target')


def mavenLabel(maveninfo):
    """``group_id-artifact_id-version`` of a maven build."""
    return '%(group_id)s-%(artifact_id)s-%(version)s' % maveninfo


def maven_info_to_nvr(maveninfo):
    """Map maven coordinates onto build NVR fields (release and epoch left unset)."""
    name = '%s-%s' % (maveninfo['group_id'], maveninfo['artifact_id'])
    return {
        'name': name,
        'version': maveninfo['version'].replace('-', '_'),
        'release': None,
        'epoch': None,
        'package_name': name,
    }


_POM_FIELDS = ('groupId', 'artifactId', 'version')


def parse_pom(path=None, contents=None):
    """groupId, artifactId and version of a maven pom, given as a path or as its text.

    Values of the project itself win; those of its <parent> fill what the project leaves
    out, as maven inherits them.
    """
    import xml.etree.ElementTree as ET
    if path:
        with open(path, 'rb') as fo:
            contents = fo.read()
    if not contents:
        raise GenericError('either a path to a pom file or the contents of a pom file '
                           'must be specified')
    try:
        root = ET.fromstring(contents)
    except ET.ParseError as e:
        raise GenericError('could not parse POM %s: %s' % (path or '<contents>', e))

    def local(tag):
        return tag.rsplit('}', 1)[-1]
    values = {}
    inherited = {}
    for child in root:
        name = local(child.tag)
        if name in _POM_FIELDS:
            values[name] = (child.text or '').strip()
        elif name == 'parent':
            for sub in child:
                if local(sub.tag) in _POM_FIELDS:
                    inherited[local(sub.tag)] = (sub.text or '').strip()
    for field in _POM_FIELDS:
        if field not in values and field in inherited:
            values[field] = inherited[field]
        if field not in values:
            raise GenericError('could not extract %s from POM: %s'
                               % (field, path or '<contents>'))
    return values


def pom_to_maven_info(pominfo):
    """Rename pom keys (groupId, ...) to koji's maven info keys (group_id, ...)."""
    return {
        'group_id': pominfo['groupId'],
        'artifact_id': pominfo['artifactId'],
        'version': pominfo['version'],
    }
