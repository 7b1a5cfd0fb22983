"""The file manifest of an ISO-9660 image (manifest.log of livecd / livemedia tasks).

Upstream reads the image with pycdio; this reads the primary volume descriptor and the
directory records itself, so kojid needs no libcdio.  Output lines as upstream's: the
volume's ids, then "Size(bytes)  File Name" and one "%-10d   path" line per file and
per directory ('/'-terminated).
"""
import struct

SECTOR = 2048

# (label, offset, length) of the ids in the primary volume descriptor
PVD_IDS = (('Application ID', 574, 128), ('Preparer ID', 446, 128),
           ('Publisher ID', 318, 128), ('System ID', 8, 32), ('Volume ID', 40, 32),
           ('Volumeset ID', 190, 128))


def _pvd(fo):
    fo.seek(16 * SECTOR)
    while True:
        block = fo.read(SECTOR)
        if len(block) < SECTOR or block[1:6] != b'CD001':
            raise ValueError('not an ISO-9660 image')
        if block[0] == 1:
            return block
        if block[0] == 255:
            raise ValueError('ISO-9660 image without a primary volume descriptor')


def _record(data, pos):
    """(name, extent, size, is_dir, length) of the directory record at pos."""
    length = data[pos]
    extent = struct.unpack_from('<I', data, pos + 2)[0]
    size = struct.unpack_from('<I', data, pos + 10)[0]
    flags = data[pos + 25]
    name_len = data[pos + 32]
    raw = data[pos + 33:pos + 33 + name_len]
    if raw == b'\x00':
        name = '.'
    elif raw == b'\x01':
        name = '..'
    else:
        # as libcdio translates plain ISO-9660 names: no version, lower case
        name = raw.decode('ascii', 'replace').split(';', 1)[0].rstrip('.').lower()
    return name, extent, size, bool(flags & 2), length


def _readdir(fo, extent, size):
    fo.seek(extent * SECTOR)
    data = fo.read(size)
    entries = []
    pos = 0
    while pos < len(data):
        if data[pos] == 0:
            # records do not cross sectors: skip to the next one
            pos = (pos // SECTOR + 1) * SECTOR
            continue
        name, ext, sz, is_dir, length = _record(data, pos)
        entries.append((name, ext, sz, is_dir))
        pos += length
    return entries


def _listdir(fo, extent, size, path):
    lines = []
    for name, ext, sz, is_dir in _readdir(fo, extent, size):
        if name == '..':
            continue
        if name == '.':
            lines.append('%-10d   %s\n' % (sz, path))
        elif is_dir:
            lines.extend(_listdir(fo, ext, sz, path + name + '/'))
        else:
            lines.append('%-10d   %s\n' % (sz, path + name))
    return lines


def iso_manifest(image):
    """The manifest text of the image file."""
    with open(image, 'rb') as fo:
        pvd = _pvd(fo)
        text = ''
        for label, offset, length in PVD_IDS:
            value = pvd[offset:offset + length].decode('ascii', 'replace').rstrip(' \x00')
            text += '%s: %s\n' % (label, value)
        text += '\nSize(bytes)  File Name\n'
        _name, extent, size, _is_dir, _len = _record(pvd, 156)
        text += ''.join(_listdir(fo, extent, size, '/'))
    return text


def write_manifest(image, manifile):
    with open(manifile, 'w', encoding='utf-8') as fo:
        fo.write(iso_manifest(image))
