"""Koji's enums and fixed values: state numbers, rpm tag ids, defaults.

The numeric values travel over the wire and are stored in the database, so they
must never change order.
"""
import collections.abc
import re


class Enum(dict):
    """Read-only two-way mapping between a fixed list of names and their positions.

    ``E['NAME']`` gives the number, ``E[3]`` (or a slice) gives the name(s), so the
    same object serves the database (numbers) and the user interface (names).
    """

    def __init__(self, names):
        self._order = tuple(names)
        super().__init__((name, num) for num, name in enumerate(self._order))

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):
            return self._order[key]
        return super().__getitem__(key)

    def get(self, key, default=None):
        """Look up in either direction; ``default`` when unknown."""
        try:
            return self[key]
        except (IndexError, KeyError):
            return default

    def getnum(self, key, default=None):
        """Return the number for a name or a valid number; ``default`` when unknown."""
        try:
            value = self[key]
        except (IndexError, KeyError):
            return default
        if isinstance(key, int):
            return key
        return value

    def _read_only(self, *args, **kwargs):
        raise NotImplementedError

    __setitem__ = _read_only
    __delitem__ = _read_only
    clear = _read_only
    pop = _read_only
    popitem = _read_only
    update = _read_only
    setdefault = _read_only
    getvalue = _read_only

    def __reduce__(self):
        # dict's default pickling would call __setitem__, which is blocked
        return (self.__class__, (self._order,))

    def __copy__(self):
        return self.__class__(self._order)

    def __deepcopy__(self, memo):
        return self.__class__(self._order)


API_VERSION = 1

TASK_STATES = Enum((
    'FREE',
    'OPEN',
    'CLOSED',
    'CANCELED',
    'ASSIGNED',
    'FAILED',
))

BUILD_STATES = Enum((
    'BUILDING',
    'COMPLETE',
    'DELETED',
    'FAILED',
    'CANCELED',
))

USERTYPES = Enum((
    'NORMAL',
    'HOST',
    'GROUP',
))

USER_STATUS = Enum((
    'NORMAL',
    'BLOCKED',
))

AUTHTYPES = Enum((
    'NORMAL',
    'KERBEROS',
    'SSL',
    'GSSAPI',
))

REPO_STATES = Enum((
    'INIT',
    'READY',
    'EXPIRED',
    'DELETED',
    'PROBLEM',
))

REPO_INIT = REPO_STATES['INIT']
REPO_READY = REPO_STATES['READY']
REPO_EXPIRED = REPO_STATES['EXPIRED']
REPO_DELETED = REPO_STATES['DELETED']
REPO_PROBLEM = REPO_STATES['PROBLEM']

REPO_MERGE_MODES = set(['koji', 'simple', 'bare'])

BR_STATES = Enum((
    'INIT',
    'WAITING',
    'BUILDING',
    'EXPIRED',
))

BR_TYPES = Enum((
    'STANDARD',
    'EXTERNAL',
))

TAG_UPDATE_TYPES = Enum((
    'VOLUME_CHANGE',
    'IMPORT',
    'MANUAL',
    'DRAFT_PROMOTION',
))

CHECKSUM_TYPES = Enum((
    'md5',
    'sha1',
    'sha256',
))

# dependency kinds as stored for rpm deps
DEP_REQUIRE = 0
DEP_PROVIDE = 1
DEP_OBSOLETE = 2
DEP_CONFLICT = 3
DEP_SUGGEST = 4
DEP_ENHANCE = 5
DEP_SUPPLEMENT = 6
DEP_RECOMMEND = 7

# rpm dependency comparison flags
RPMSENSE_LESS = 2
RPMSENSE_GREATER = 4
RPMSENSE_EQUAL = 8

# rpm file format
RPM_HEADER_MAGIC = b'\x8e\xad\xe8'
RPM_TAG_HEADERSIGNATURES = 62
RPM_TAG_FILEDIGESTALGO = 5011
RPM_SIGTAG_DSA = 267
RPM_SIGTAG_RSA = 268
RPM_SIGTAG_PGP = 1002
RPM_SIGTAG_MD5 = 1004
RPM_SIGTAG_GPG = 1005

# OpenPGP hash algorithm ids (RFC 4880); rpm leaves the tag out for md5
RPM_FILEDIGESTALGO_IDS = {
    None: 'MD5',
    1: 'MD5',
    2: 'SHA1',
    3: 'RIPEMD160',
    8: 'SHA256',
    9: 'SHA384',
    10: 'SHA512',
    11: 'SHA224',
}

# Default storage root. The package namespace (koji.BASEDIR) is the live value:
# callers replace it there, and PathInfo reads it from there.
BASEDIR = '/mnt/koji'

PRIO_DEFAULT = 20

DEFAULT_REQUEST_TIMEOUT = 60 * 60 * 12
DEFAULT_AUTH_TIMEOUT = 60

DRAFT_RELEASE_DELIMITER = ','
DRAFT_RELEASE_FORMAT = '{target_release}' + DRAFT_RELEASE_DELIMITER + 'draft_{build_id}'

CONTROL_CHARS = [chr(i) for i in range(32)]
NONPRINTABLE_CHARS = ''.join([c for c in CONTROL_CHARS if c not in '\r\n\t'])
ENTITY_RE = re.compile(r'&[A-Za-z0-9]+;')

PythonImportError = ImportError  # the builtin; koji.ImportError is the fault class

# Optional (weak) dependency header names and whether the rpm bindings know them.
_OPT_DEP_HDRS = [
    '%s%s' % (kind, part)
    for kind in ('SUGGEST', 'ENHANCE', 'SUPPLEMENT', 'RECOMMEND')
    for part in ('NAME', 'VERSION', 'FLAGS')
]


class _OptDepHeaders(collections.abc.Mapping):
    """{header name: known to the rpm bindings}, probed on first use.

    Importing rpm costs a noticeable share of every CLI start-up, and most commands
    never read rpm headers, so the probe waits until somebody asks.
    """

    def __init__(self):
        self._known = None

    def _probe(self):
        if self._known is None:
            try:
                import rpm
            except ImportError:
                rpm = None
            self._known = dict((hdr, hasattr(rpm, 'RPMTAG_%s' % hdr))
                               for hdr in _OPT_DEP_HDRS)
        return self._known

    def __getitem__(self, key):
        return self._probe()[key]

    def __iter__(self):
        return iter(self._probe())

    def __len__(self):
        return len(self._probe())

    def __repr__(self):
        return repr(self._probe())


SUPPORTED_OPT_DEP_HDRS = _OptDepHeaders()
