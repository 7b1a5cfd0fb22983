"""RPM file and header helpers: raw header slicing, signature splicing, header fields.

An rpm file is a 96 byte lead, a signature header (padded to a multiple of 8 bytes),
the main header and the compressed payload. The hub stores signatures as the raw
signature header bytes and makes signed copies by swapping that section in, so
most helpers here work on raw bytes without the rpm bindings. The bindings are
used only where rpm itself is the authority (header fields, check_rpm_file).
"""
import io
import os
import struct
import tempfile

from koji.constants import (
    RPM_HEADER_MAGIC,
    RPM_SIGTAG_DSA,
    RPM_SIGTAG_GPG,
    RPM_SIGTAG_PGP,
    RPM_SIGTAG_RSA,
    RPM_TAG_HEADERSIGNATURES,
    SUPPORTED_OPT_DEP_HDRS,
)
from koji.exceptions import GenericError
from koji.formatting import decode_bytes, hex_string

_RPM_MODULE = []


def _bindings():
    """The rpm bindings, imported on first use (None where they are missing, e.g. CLI-only).

    Importing rpm is a large share of a CLI start-up that most commands do not need.
    """
    if not _RPM_MODULE:
        try:
            import rpm
        except ImportError:
            rpm = None
        _RPM_MODULE.append(rpm)
    return _RPM_MODULE[0]


LEAD_SIZE = 96
# magic (3) + structure version (1) + reserved (4) + index count (4) + data length (4)
HEADER_PREAMBLE_SIZE = 16
INDEX_ENTRY_SIZE = 16

# header data types, as rpm numbers them
RPM_NULL_TYPE = 0
RPM_CHAR_TYPE = 1
RPM_INT8_TYPE = 2
RPM_INT16_TYPE = 3
RPM_INT32_TYPE = 4
RPM_INT64_TYPE = 5
RPM_STRING_TYPE = 6
RPM_BIN_TYPE = 7
RPM_STRING_ARRAY_TYPE = 8
RPM_I18NSTRING_TYPE = 9

_INT_FORMATS = {
    RPM_CHAR_TYPE: 'B',
    RPM_INT8_TYPE: 'B',
    RPM_INT16_TYPE: 'H',
    RPM_INT32_TYPE: 'I',
    RPM_INT64_TYPE: 'Q',
}
_TYPE_NAMES = {
    RPM_NULL_TYPE: 'NULL', RPM_CHAR_TYPE: 'CHAR', RPM_INT8_TYPE: 'INT8',
    RPM_INT16_TYPE: 'INT16', RPM_INT32_TYPE: 'INT32', RPM_INT64_TYPE: 'INT64',
    RPM_STRING_TYPE: 'STRING', RPM_BIN_TYPE: 'BIN', RPM_STRING_ARRAY_TYPE: 'STRING_ARRAY',
    RPM_I18NSTRING_TYPE: 'I18NSTRING',
}
# signature header tags reuse numbers of the main header, so they need their own names
_SIGTAG_NAMES = {
    62: 'HEADERSIGNATURES', 264: 'BADSHA1_1', 265: 'BADSHA1_2', 267: 'DSA', 268: 'RSA',
    269: 'SHA1', 270: 'LONGSIZE', 271: 'LONGARCHIVESIZE', 273: 'SHA256',
    274: 'FILESIGNATURES', 275: 'FILESIGNATURELENGTH', 276: 'VERITYSIGNATURES',
    277: 'VERITYSIGNATUREALGO', 1000: 'SIZE', 1001: 'LEMD5_1', 1002: 'PGP', 1003: 'LEMD5_2',
    1004: 'MD5', 1005: 'GPG', 1006: 'PGP5', 1007: 'PAYLOADSIZE', 1008: 'RESERVEDSPACE',
}


def multibyte(data):
    """Big-endian bytes -> int (rpm and OpenPGP store every number this way)."""
    return int.from_bytes(bytes(data), 'big')


# -- raw sections of an rpm file ------------------------------------------------------------


def _read_at(f, ofs, size):
    """Read ``size`` bytes at ``ofs`` from a path or a seekable file object."""
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, 'rb') as fo:
            fo.seek(ofs)
            return fo.read(size)
    fo = f
    pos = fo.tell()
    try:
        if ofs is not None:
            fo.seek(ofs)
        return fo.read(size)
    finally:
        fo.seek(pos)


def rpm_hdr_size(f, ofs=None, pad=False):
    """Byte size of the header at ``ofs`` (preamble included), so sections can be sliced."""
    if ofs is None and isinstance(f, (str, bytes, os.PathLike)):
        ofs = 0
    if ofs is None:
        ofs = f.tell()
    preamble = _read_at(f, ofs, HEADER_PREAMBLE_SIZE)
    if len(preamble) < HEADER_PREAMBLE_SIZE or preamble[:3] != RPM_HEADER_MAGIC:
        raise GenericError('No rpm header found at offset %s' % ofs)
    il = multibyte(preamble[8:12])
    dl = multibyte(preamble[12:16])
    size = HEADER_PREAMBLE_SIZE + INDEX_ENTRY_SIZE * il + dl
    if pad:
        size += (8 - size % 8) % 8
    return size


def find_rpm_sighdr(path):
    """(offset, padded size) of the signature header, which follows the 96 byte lead."""
    return (LEAD_SIZE, rpm_hdr_size(path, LEAD_SIZE, pad=True))


def rip_rpm_sighdr(src):
    """Raw (padded) signature header of an rpm: what the hub stores as a signature."""
    start, size = find_rpm_sighdr(src)
    data = _read_at(src, start, size)
    if len(data) != size:
        raise GenericError('Truncated signature header in %s' % src)
    return data


def rip_rpm_hdr(src):
    """Raw main header of an rpm: the bytes the header signatures and SIGMD5 cover."""
    start, sigsize = find_rpm_sighdr(src)
    start += sigsize
    size = rpm_hdr_size(src, start)
    data = _read_at(src, start, size)
    if len(data) != size:
        raise GenericError('Truncated header in %s' % src)
    return data


# -- OpenPGP signature packets --------------------------------------------------------------


def _pgp_packet_body(packet):
    """Body of the first OpenPGP packet; old and new length formats both occur in rpms."""
    packet = bytes(packet)
    if not packet or not packet[0] & 0x80:
        raise GenericError('Not an OpenPGP packet')
    first = packet[0]
    if first & 0x40:
        # new format: length in one, two or five octets
        o1 = packet[1]
        if o1 < 192:
            return packet[2:2 + o1]
        if o1 < 224:
            length = ((o1 - 192) << 8) + packet[2] + 192
            return packet[3:3 + length]
        if o1 == 255:
            return packet[6:6 + multibyte(packet[2:6])]
        raise GenericError('Partial-length OpenPGP packets are not supported')
    ltype = first & 0x03
    if ltype == 3:
        return packet[1:]  # indeterminate length: the rest of the data
    nbytes = (1, 2, 4)[ltype]
    length = multibyte(packet[1:1 + nbytes])
    return packet[1 + nbytes:1 + nbytes + length]


def _pgp_subpackets(data):
    """Yield (type, body) of the v4 signature subpackets in ``data``."""
    i = 0
    while i < len(data):
        o1 = data[i]
        if o1 < 192:
            length, i = o1, i + 1
        elif o1 < 255:
            length, i = ((o1 - 192) << 8) + data[i + 1] + 192, i + 2
        else:
            length, i = multibyte(data[i + 1:i + 5]), i + 5
        if length == 0:
            break
        yield data[i] & 0x7f, data[i + 1:i + length]
        i += length


def get_sigpacket_key_id(sigpacket):
    """Short id (last 8 hex digits, lowercase) of the key that made an OpenPGP signature."""
    body = _pgp_packet_body(sigpacket)
    if not body:
        raise GenericError('Empty OpenPGP signature packet')
    version = body[0]
    if version == 3:
        # version, hashed length (5), type, creation time (4), then the 8 byte key id
        return hex_string(body[11:15]).lower()
    if version in (4, 5):
        hashed_len = multibyte(body[4:6])
        hashed = body[6:6 + hashed_len]
        ofs = 6 + hashed_len
        unhashed = body[ofs + 2:ofs + 2 + multibyte(body[ofs:ofs + 2])]
        fingerprint = None
        for stype, sdata in list(_pgp_subpackets(hashed)) + list(_pgp_subpackets(unhashed)):
            if stype == 16 and len(sdata) == 8:  # issuer key id
                return hex_string(sdata[4:]).lower()
            if stype == 33 and fingerprint is None:  # issuer fingerprint (v4: 20 bytes)
                fingerprint = sdata[1:]
        if fingerprint:
            if version == 5:
                return hex_string(fingerprint[:8][4:]).lower()
            return hex_string(fingerprint[-4:]).lower()
        raise GenericError('OpenPGP signature has no issuer')
    raise GenericError('Unknown OpenPGP signature version: %r' % version)


def get_sighdr_key(sighdr):
    """Signing key id of a raw signature header, or None when nothing signed it."""
    hdr = RawHeader(sighdr)
    for tag in (RPM_SIGTAG_GPG, RPM_SIGTAG_PGP, RPM_SIGTAG_DSA, RPM_SIGTAG_RSA):
        sig = hdr.get(tag)
        if sig:
            return get_sigpacket_key_id(sig)
    return None


# -- pure python header parser --------------------------------------------------------------


class RawHeader(object):
    """Parse rpm header bytes directly: signature headers carry tags the bindings hide."""

    def __init__(self, data, decode=False):
        data = bytes(data)
        if data[:3] != RPM_HEADER_MAGIC:
            raise GenericError('Invalid rpm header: bad magic')
        if len(data) < HEADER_PREAMBLE_SIZE:
            raise GenericError('Invalid rpm header: too short')
        il = multibyte(data[8:12])
        dl = multibyte(data[12:16])
        self.store_offset = HEADER_PREAMBLE_SIZE + INDEX_ENTRY_SIZE * il
        if len(data) < self.store_offset + dl:
            raise GenericError('Invalid rpm header: truncated')
        self.header = data
        self.datalen = dl
        self.decode = decode
        self.index = {}
        for i in range(il):
            ofs = HEADER_PREAMBLE_SIZE + INDEX_ENTRY_SIZE * i
            tag, dtype, offset, count = struct.unpack('>iIiI', data[ofs:ofs + 16])
            self.index[tag] = (tag, dtype, offset, count)

    def version(self):
        """Header structure version: the byte after the magic."""
        return self.header[3]

    def decode_bytes(self, value):
        """bytes -> str the way koji decodes header strings (utf-8, else latin-9)."""
        return decode_bytes(value)

    def _store(self):
        start = self.store_offset
        return self.header[start:start + self.datalen]

    def _raw_value(self, entry):
        """Value of one index entry: list of ints, bytes, or list of bytes strings."""
        _tag, dtype, offset, count = entry
        store = self._store()
        if dtype in _INT_FORMATS:
            fmt = _INT_FORMATS[dtype]
            size = struct.calcsize(fmt)
            return list(struct.unpack('>%d%s' % (count, fmt),
                                      store[offset:offset + size * count]))
        if dtype == RPM_BIN_TYPE:
            return store[offset:offset + count]
        if dtype in (RPM_STRING_TYPE, RPM_STRING_ARRAY_TYPE, RPM_I18NSTRING_TYPE):
            if dtype == RPM_STRING_TYPE:
                count = 1
            values = []
            pos = offset
            for _ in range(count):
                end = store.index(b'\0', pos)
                values.append(store[pos:end])
                pos = end + 1
            if dtype == RPM_STRING_TYPE:
                return values[0]
            return values
        if dtype == RPM_NULL_TYPE:
            return None
        raise GenericError('Unknown rpm header data type: %r' % dtype)

    def _tagnum(self, key):
        if isinstance(key, int):
            return key
        rpm = _bindings()
        if rpm is not None and isinstance(key, str):
            num = getattr(rpm, 'RPMTAG_%s' % key.upper(), None)
            if num is not None:
                return num
        raise KeyError(key)

    def get(self, key, default=None, decode=None, single=False):
        """Value of a tag (number or rpm tag name); ``single`` gives just the first item."""
        try:
            entry = self.index[self._tagnum(key)]
        except KeyError:
            return default
        value = self._raw_value(entry)
        if decode is None:
            decode = self.decode
        if decode:
            if isinstance(value, bytes) and entry[1] != RPM_BIN_TYPE:
                value = self.decode_bytes(value)
            elif isinstance(value, list):
                value = [self.decode_bytes(v) if isinstance(v, bytes) else v for v in value]
        if single and isinstance(value, list):
            value = value[0] if value else None
        return value

    def __getitem__(self, key):
        entry = self.index[self._tagnum(key)]
        return self.get(entry[0])

    def _is_sighdr(self):
        return RPM_TAG_HEADERSIGNATURES in self.index

    def dump(self, sig=None):
        """Print every entry, for poking at a header by hand; sig=None guesses the kind."""
        if sig is None:
            sig = self._is_sighdr()
        print('HEADER version %s, %d entries, %d data bytes'
              % (self.version(), len(self.index), self.datalen))
        for tag in sorted(self.index, key=lambda t: self.index[t][2]):
            _tag, dtype, offset, count = self.index[tag]
            if sig:
                name = _SIGTAG_NAMES.get(tag, '?')
            elif _bindings() is not None:
                name = _bindings().tagnames.get(tag, '?')
            else:
                name = '?'
            value = self._raw_value(self.index[tag])
            if isinstance(value, bytes) and dtype == RPM_BIN_TYPE:
                value = hex_string(value)
            text = repr(value)
            if len(text) > 72:
                text = text[:69] + '...'
            print('  tag %d (%s) type %s ofs %d count %d: %s'
                  % (tag, name, _TYPE_NAMES.get(dtype, dtype), offset, count, text))


# -- splicing a signature header into an rpm ------------------------------------------------


def _padded(sighdr):
    sighdr = bytes(sighdr)
    return sighdr + b'\0' * ((8 - len(sighdr) % 8) % 8)


class SplicedSigStreamReader(io.RawIOBase):
    """Stream an rpm with another signature header in place, without a temp copy."""

    def __init__(self, path, sighdr, bufsize):
        super(SplicedSigStreamReader, self).__init__()
        self.bufsize = bufsize
        if bytes(sighdr[:3]) != RPM_HEADER_MAGIC:
            raise GenericError('Not an rpm signature header')
        start, size = find_rpm_sighdr(path)
        self._fo = open(path, 'rb')
        self._prefix = self._fo.read(start) + _padded(sighdr)
        self._fo.seek(start + size)
        self._buf = b''

    def readable(self):
        return True

    def _next_chunk(self):
        if self._prefix:
            chunk, self._prefix = self._prefix, b''
            return chunk
        return self._fo.read(self.bufsize)

    def readinto(self, b):
        want = len(b)
        while len(self._buf) < want:
            chunk = self._next_chunk()
            if not chunk:
                break
            self._buf += chunk
        n = min(want, len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self):
        if not self.closed:
            self._fo.close()
        super(SplicedSigStreamReader, self).close()


def spliced_sig_reader(path, sighdr, bufsize=8192):
    """Buffered reader of ``path`` with ``sighdr`` spliced in (e.g. to stream a signed copy)."""
    return io.BufferedReader(SplicedSigStreamReader(path, sighdr, bufsize), buffer_size=bufsize)


def splice_rpm_sighdr(sighdr, src, dst=None, bufsize=8192, callback=None):
    """Write src with ``sighdr`` spliced in; readers never see a half-written dst."""
    placeholder = None
    if dst is None:
        fd, dst = tempfile.mkstemp(suffix='.rpm')
        os.close(fd)
        placeholder = dst
    dirname = os.path.dirname(os.path.abspath(dst))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(dst), dir=dirname)
    try:
        with os.fdopen(fd, 'wb') as out:
            with spliced_sig_reader(src, sighdr, bufsize=bufsize) as reader:
                while True:
                    buf = reader.read(bufsize)
                    if not buf:
                        break
                    out.write(buf)
                    if callback:
                        callback(buf)
        os.chmod(tmp, 0o644)
        os.rename(tmp, dst)
    except BaseException:
        for path in (tmp, placeholder):
            if path and os.path.exists(path):
                os.unlink(path)
        raise
    return dst


# -- header access through the rpm bindings -------------------------------------------------


def _need_rpm():
    rpm = _bindings()
    if rpm is None:
        raise GenericError('rpm python bindings are not available')
    return rpm


def get_rpm_header(f, ts=None):
    """rpm header of a path or file object; signatures are not checked (keys may be unknown)."""
    rpm = _need_rpm()
    if ts is None:
        ts = rpm.TransactionSet()
        ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, 'rb') as fo:
            return ts.hdrFromFdno(fo.fileno())
    return ts.hdrFromFdno(f.fileno())


def _decode_value(value):
    if isinstance(value, bytes):
        return decode_bytes(value)
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    return value


def _is_source(hdr):
    try:
        return bool(hdr[_bindings().RPMTAG_SOURCEPACKAGE])
    except Exception:
        return False


def get_header_field(hdr, name, src_arch=False):
    """One header field by (case-insensitive) name, normalized the way koji stores it."""
    rpm = _need_rpm()
    name = name.upper()
    if src_arch and name == 'ARCH' and _is_source(hdr):
        # rpm reports the build arch of a source rpm; koji files it as src or nosrc
        if hdr[rpm.RPMTAG_NOSOURCE] or hdr[rpm.RPMTAG_NOPATCH]:
            return 'nosrc'
        return 'src'
    if name in SUPPORTED_OPT_DEP_HDRS and not SUPPORTED_OPT_DEP_HDRS[name]:
        return []
    tag = getattr(rpm, 'RPMTAG_%s' % name, None)
    if tag is None:
        raise GenericError('No such rpm header field: %s' % name)
    value = hdr[tag]
    if name.startswith('LONG') and value in (None, [], b'', ''):
        # old rpms only carry the 32 bit variant
        short = getattr(rpm, 'RPMTAG_%s' % name[4:], None)
        if short is not None:
            value = hdr[short]
    if name in ('NOSOURCE', 'NOPATCH'):
        # some bindings give a bare int for a one element list
        if value is None:
            value = []
        elif not isinstance(value, list):
            value = [value]
    if name.startswith('SIG') or name.endswith('HEADER'):
        return value
    return _decode_value(value)


def get_header_fields(X, fields=None, src_arch=False):
    """Dict of header fields of a header or an rpm path (every tag when fields is None)."""
    rpm = _need_rpm()
    if isinstance(X, (str, bytes, os.PathLike)):
        hdr = get_rpm_header(X)
    else:
        hdr = X
    if fields is None:
        fields = [rpm.tagnames[tag] for tag in hdr.keys() if tag in rpm.tagnames]
    ret = {}
    for field in fields:
        ret[field] = get_header_field(hdr, field, src_arch=src_arch)
    return ret


def check_rpm_file(rpmfile):
    """Raise GenericError unless rpmfile (path or file object) is an rpm we can read."""
    try:
        if isinstance(rpmfile, (str, bytes, os.PathLike)):
            with open(rpmfile, 'rb') as fo:
                _check_rpm_fo(fo)
        else:
            _check_rpm_fo(rpmfile)
    except GenericError:
        raise
    except Exception as e:
        raise GenericError('Unable to read rpm file %s: %s' % (getattr(rpmfile, 'name',
                                                                       rpmfile), e))


def _check_rpm_fo(fo):
    pos = fo.tell()
    try:
        fo.seek(0)
        lead = fo.read(LEAD_SIZE)
        if len(lead) != LEAD_SIZE or lead[:4] != b'\xed\xab\xee\xdb':
            raise GenericError('Not an rpm file (bad lead): %s' % getattr(fo, 'name', fo))
        fo.seek(0)
        hdr = RawHeader(rip_rpm_hdr(fo))
        if not hdr.index:
            raise GenericError('Empty rpm header: %s' % getattr(fo, 'name', fo))
        if _bindings() is not None:
            fo.seek(0)
            get_rpm_header(fo)
    finally:
        fo.seek(pos)
