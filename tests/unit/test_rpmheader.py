"""koji.rpmheader against real rpms from rpmbuild / rpmsign (tests/fixtures/rpms.py)."""
import hashlib
import os
import shutil
import subprocess

import pytest
import rpm

import koji
import koji.util
from koji import rpmheader
from tests.fixtures.rpms import rpm_checksig

QF_FIELDS = ['NAME', 'VERSION', 'RELEASE', 'EPOCH', 'ARCH', 'SUMMARY', 'DESCRIPTION',
             'BUILDTIME', 'SIZE', 'LICENSE', 'SOURCERPM', 'URL', 'BUILDHOST', 'PAYLOADFORMAT']
INT_FIELDS = ('EPOCH', 'BUILDTIME', 'SIZE')
SEP = '@@kojitest@@'


def rpm_qf(path, fields):
    fmt = SEP.join('%%{%s}' % f for f in fields)
    out = subprocess.run(['rpm', '-qp', '--nosignature', '--nodigest', '--qf', fmt, path],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    values = {}
    for field, value in zip(fields, out.split(SEP)):
        if value == '(none)':
            value = None
        elif field in INT_FIELDS:
            value = int(value)
        values[field] = value
    return values


def unsigned_copy(src, tmp_path):
    dst = str(tmp_path / os.path.basename(src))
    shutil.copy2(src, dst)
    return dst


# -- header fields through the bindings ------------------------------------------------------


def test_header_fields_match_rpm_query(rpm_builds):
    for path in rpm_builds.paths:
        expected = rpm_qf(path, QF_FIELDS)
        got = koji.get_header_fields(path, QF_FIELDS)
        assert got == expected, path
        assert isinstance(got['NAME'], str)


def test_header_fields_of_header_object_and_case(rpm_builds):
    path = rpm_builds.arch.rpms[0]
    hdr = koji.get_rpm_header(path)
    with open(path, 'rb') as fo:
        hdr2 = koji.get_rpm_header(fo)
    assert hdr2[rpm.RPMTAG_NAME] == 'kojitest-arch'
    assert koji.get_header_field(hdr, 'name') == 'kojitest-arch'
    assert koji.get_header_fields(hdr, ['name', 'Arch']) == {'name': 'kojitest-arch',
                                                             'Arch': rpm_builds.arch.arch}
    assert 'kojitest-noarch' in koji.get_header_field(hdr, 'requirename')
    assert 'kojitest-extra' in koji.get_header_field(hdr, 'suggestname')
    with pytest.raises(koji.GenericError):
        koji.get_header_field(hdr, 'nosuchfield')
    everything = koji.get_header_fields(hdr)
    assert everything['NAME'] == 'kojitest-arch'
    assert everything['VERSION'] == '2.1'


def test_long_fallback_and_binary_fields(rpm_builds):
    hdr = koji.get_rpm_header(rpm_builds.noarch.rpms[0])
    assert koji.get_header_field(hdr, 'longsize') == koji.get_header_field(hdr, 'size')
    assert koji.get_header_field(hdr, 'longfilesizes') == \
        koji.get_header_field(hdr, 'filesizes')
    sigmd5 = koji.get_header_field(hdr, 'sigmd5')
    assert isinstance(sigmd5, bytes) and len(sigmd5) == 16
    assert koji.get_header_field(hdr, 'basenames') == ['kojitest-hello', 'data.txt']


def test_sigmd5_and_payloadhash(rpm_builds, tmp_path):
    for path in rpm_builds.paths:
        hdr = koji.get_rpm_header(path)
        sigmd5 = koji.get_header_field(hdr, 'sigmd5')
        payloadhash = koji.hex_string(sigmd5)
        assert payloadhash == rpm_qf(path, ['SIGMD5'])['SIGMD5']
        # SIGMD5 is the md5 of everything after the signature header
        start, size = koji.find_rpm_sighdr(path)
        with open(path, 'rb') as fo:
            fo.seek(start + size)
            assert hashlib.md5(fo.read()).hexdigest() == payloadhash
        sighdr = koji.RawHeader(koji.rip_rpm_sighdr(path))
        assert sighdr.get(koji.RPM_SIGTAG_MD5) == sigmd5
        assert koji.util.check_sigmd5(path)
    broken = unsigned_copy(rpm_builds.noarch.rpms[0], tmp_path)
    with open(broken, 'r+b') as fo:
        fo.seek(-20, os.SEEK_END)
        fo.write(b'corrupted payload!!!')
    assert not koji.util.check_sigmd5(broken)


def test_src_arch(rpm_builds):
    for build in rpm_builds.builds.values():
        srpm_hdr = koji.get_rpm_header(build.srpm)
        assert koji.get_header_field(srpm_hdr, 'arch', src_arch=True) == 'src'
        assert koji.get_header_field(srpm_hdr, 'arch') == rpm_qf(build.srpm, ['ARCH'])['ARCH']
        assert koji.get_header_field(srpm_hdr, 'nosource') == []
        bin_hdr = koji.get_rpm_header(build.rpms[0])
        assert koji.get_header_field(bin_hdr, 'arch', src_arch=True) == build.arch
    nosrc = koji.get_rpm_header(rpm_builds.nosrc)
    assert koji.get_header_fields(nosrc, ['arch'], src_arch=True) == {'arch': 'nosrc'}
    assert koji.get_header_field(nosrc, 'nosource') == [0]
    assert koji.get_header_field(nosrc, 'nopatch') == []


def test_filedigestalgo(rpm_builds):
    path = rpm_builds.arch.rpms[0]
    hdr = koji.get_rpm_header(path)
    expected = koji.RPM_FILEDIGESTALGO_IDS[hdr[rpm.RPMTAG_FILEDIGESTALGO]].lower()
    assert koji.util.filedigestAlgo(hdr) == expected == 'sha256'
    assert koji.util.filedigestAlgo(koji.RawHeader(koji.rip_rpm_hdr(path))) == 'sha256'
    assert koji.util.filedigestAlgo({}) == 'md5'
    assert koji.util.filedigestAlgo({koji.RPM_TAG_FILEDIGESTALGO: 99}) == 'unknown'


# -- raw sections and signatures -------------------------------------------------------------


def test_raw_sections(rpm_builds):
    path = rpm_builds.noarch.rpms[0]
    start, size = koji.find_rpm_sighdr(path)
    assert start == 96 and size % 8 == 0
    raw_sig = koji.rip_rpm_sighdr(path)
    assert len(raw_sig) == size
    assert koji.rpm_hdr_size(path, 96, pad=True) == size
    assert koji.rpm_hdr_size(path, 96) <= size
    raw_hdr = koji.rip_rpm_hdr(path)
    assert raw_hdr[:3] == koji.RPM_HEADER_MAGIC
    with open(path, 'rb') as fo:
        fo.seek(start + size)
        assert koji.rpm_hdr_size(fo) == len(raw_hdr)
        assert fo.tell() == start + size  # the file position is left alone
        assert fo.read(len(raw_hdr)) == raw_hdr
    assert koji.multibyte(b'\x01\x02') == 258
    assert koji.multibyte(b'') == 0


def test_get_sighdr_key(rpm_builds, signed_rpms):
    assert len(signed_rpms.sigkey) == 8 and signed_rpms.sigkey == signed_rpms.sigkey.lower()
    for path in signed_rpms.paths:
        assert koji.get_sighdr_key(koji.rip_rpm_sighdr(path)) == signed_rpms.sigkey
    for path in rpm_builds.paths:
        assert koji.get_sighdr_key(koji.rip_rpm_sighdr(path)) is None


def test_sigpacket_formats():
    keyid = bytes.fromhex('0123456789abcdef')
    # v3: version, hashed length 5, type, creation time, key id, algorithms, ...
    body = b'\x03\x05\x00' + b'\x00' * 4 + keyid + b'\x01\x08' + b'\x00' * 6
    old_format = bytes([0x88, len(body)]) + body
    assert koji.get_sigpacket_key_id(old_format) == '89abcdef'
    # v4 with the issuer only in the unhashed area, in a new-format packet
    issuer = bytes([9, 16]) + keyid
    body = b'\x04\x00\x01\x08' + b'\x00\x00' + bytes([0, len(issuer)]) + issuer + b'\x00' * 4
    new_format = bytes([0xc2, len(body)]) + body
    assert koji.get_sigpacket_key_id(new_format) == '89abcdef'
    with pytest.raises(koji.GenericError):
        koji.get_sigpacket_key_id(b'\x00garbage')


def test_splice_signature_into_unsigned(rpm_builds, signed_rpms, rpm_keyring, tmp_path):
    for name, build in rpm_builds.builds.items():
        signed = signed_rpms[name]
        for unsigned_path, signed_path in zip(build.paths, signed.paths):
            sighdr = koji.rip_rpm_sighdr(signed_path)
            src = unsigned_copy(unsigned_path, tmp_path)
            before = open(src, 'rb').read()
            dst = str(tmp_path / ('spliced-' + os.path.basename(src)))
            seen = hashlib.sha256()
            result = koji.splice_rpm_sighdr(sighdr, src, dst, bufsize=1000,
                                            callback=seen.update)
            assert result == dst
            data = open(dst, 'rb').read()
            assert open(src, 'rb').read() == before  # the source is untouched
            assert seen.hexdigest() == hashlib.sha256(data).hexdigest()
            assert data == open(signed_path, 'rb').read()
            assert koji.get_sighdr_key(koji.rip_rpm_sighdr(dst)) == signed_rpms.sigkey
            assert not [f for f in os.listdir(tmp_path) if f.startswith('.')]
            rc, out = rpm_checksig(dst, rpm_keyring)
            assert rc == 0, out
            assert 'key ID %s: OK' % signed_rpms.sigkey in out, out
            assert 'NOT OK' not in out and 'NOKEY' not in out, out


def test_spliced_reader_and_tempfile(rpm_builds, signed_rpms):
    src = rpm_builds.arch.rpms[0]
    signed_path = signed_rpms.arch.rpms[0]
    sighdr = koji.rip_rpm_sighdr(signed_path)
    with koji.spliced_sig_reader(src, sighdr, bufsize=333) as reader:
        assert reader.read() == open(signed_path, 'rb').read()
    # an unpadded signature header still gives a valid file
    raw = koji.RawHeader(sighdr)
    unpadded = sighdr[:raw.store_offset + raw.datalen]
    dst = koji.splice_rpm_sighdr(unpadded, src)
    try:
        assert open(dst, 'rb').read() == open(signed_path, 'rb').read()
    finally:
        os.unlink(dst)


def test_splice_failure_leaves_no_dst(tmp_path):
    src = tmp_path / 'junk.rpm'
    src.write_bytes(b'x' * 200)
    dst = str(tmp_path / 'out.rpm')
    with pytest.raises(koji.GenericError):
        koji.splice_rpm_sighdr(b'', str(src), dst)
    assert os.listdir(tmp_path) == ['junk.rpm']


def test_splice_rejects_bad_sighdr(rpm_builds, tmp_path):
    src = unsigned_copy(rpm_builds.noarch.rpms[0], tmp_path)
    dst = str(tmp_path / 'out.rpm')
    with pytest.raises(koji.GenericError):
        koji.splice_rpm_sighdr(b'not a signature header', src, dst)
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(src)]


# -- RawHeader --------------------------------------------------------------------------------


def test_rawheader_agrees_with_bindings(rpm_builds, signed_rpms):
    for path in rpm_builds.paths + signed_rpms.paths:
        hdr = koji.get_rpm_header(path)
        raw = koji.RawHeader(koji.rip_rpm_hdr(path), decode=True)
        assert raw.version() == 1
        assert 63 in raw.index  # HEADERIMMUTABLE region
        for tag in (rpm.RPMTAG_NAME, rpm.RPMTAG_VERSION, rpm.RPMTAG_RELEASE,
                    rpm.RPMTAG_LICENSE, rpm.RPMTAG_BUILDHOST):
            assert raw.get(tag) == hdr[tag], (path, tag)
            assert raw[tag] == hdr[tag]
        for tag in (rpm.RPMTAG_BUILDTIME, rpm.RPMTAG_SIZE):
            assert raw.get(tag, single=True) == hdr[tag]
        for tag in (rpm.RPMTAG_REQUIRENAME, rpm.RPMTAG_REQUIREFLAGS, rpm.RPMTAG_CHANGELOGTIME,
                    rpm.RPMTAG_CHANGELOGTEXT):
            assert raw.get(tag) == hdr[tag], (path, tag)
        assert raw.get(rpm.RPMTAG_SUMMARY, single=True) == hdr[rpm.RPMTAG_SUMMARY]
        assert raw.get('name') == hdr[rpm.RPMTAG_NAME]
        assert raw.get(rpm.RPMTAG_NAME, decode=False) == hdr[rpm.RPMTAG_NAME].encode()
        assert raw.get(99999, 'missing') == 'missing'
        with pytest.raises(KeyError):
            raw[99999]
        sig = koji.RawHeader(koji.rip_rpm_sighdr(path))
        assert koji.RPM_TAG_HEADERSIGNATURES in sig.index
        assert sig.get(koji.RPM_SIGTAG_MD5) == hdr[rpm.RPMTAG_SIGMD5]
        assert sig.get(koji.RPM_SIGTAG_RSA) == hdr[rpm.RPMTAG_RSAHEADER]
        assert sig.get(269, decode=True) == hdr[rpm.RPMTAG_SHA1HEADER]


def test_rawheader_dump_and_errors(rpm_builds, capsys):
    path = rpm_builds.noarch.rpms[0]
    koji.RawHeader(koji.rip_rpm_hdr(path)).dump()
    out = capsys.readouterr().out
    assert '(NAME)' in out and 'kojitest-noarch' in out
    koji.RawHeader(koji.rip_rpm_sighdr(path)).dump()
    out = capsys.readouterr().out
    assert '(MD5)' in out and '(HEADERSIGNATURES)' in out
    with pytest.raises(koji.GenericError):
        koji.RawHeader(b'not a header at all')
    with pytest.raises(koji.GenericError):
        koji.RawHeader(koji.rip_rpm_hdr(path)[:100])


# -- check_rpm_file ---------------------------------------------------------------------------


def test_check_rpm_file(rpm_builds, tmp_path):
    for path in rpm_builds.paths:
        koji.check_rpm_file(path)
    with open(rpm_builds.arch.rpms[0], 'rb') as fo:
        fo.seek(10)
        koji.check_rpm_file(fo)
        assert fo.tell() == 10
    garbage = tmp_path / 'garbage.rpm'
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(koji.GenericError):
        koji.check_rpm_file(str(garbage))
    empty = tmp_path / 'empty.rpm'
    empty.write_bytes(b'')
    with pytest.raises(koji.GenericError):
        koji.check_rpm_file(str(empty))
    truncated = tmp_path / 'truncated.rpm'
    truncated.write_bytes(open(rpm_builds.arch.rpms[0], 'rb').read()[:300])
    with pytest.raises(koji.GenericError):
        koji.check_rpm_file(str(truncated))
    with pytest.raises(koji.GenericError):
        koji.check_rpm_file(str(tmp_path / 'missing.rpm'))


def test_reexports():
    for name in ('multibyte', 'find_rpm_sighdr', 'rpm_hdr_size', 'rip_rpm_sighdr',
                 'rip_rpm_hdr', 'get_sigpacket_key_id', 'get_sighdr_key', 'RawHeader',
                 'SplicedSigStreamReader', 'spliced_sig_reader', 'splice_rpm_sighdr',
                 'get_rpm_header', 'get_header_field', 'get_header_fields', 'check_rpm_file',
                 'hex_string'):
        assert hasattr(koji, name), name
    assert koji.hex_string is koji.formatting.hex_string
    assert koji.RawHeader is rpmheader.RawHeader
