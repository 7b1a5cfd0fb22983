"""Signatures: cached rpm signature headers (rpmsigs) and signed copies built from them.

A signature is stored as the raw signature header of the rpm under
pathinfo.sighdr(rpm, sigkey) plus an rpmsigs row; a signed copy is the stored rpm with
that header spliced in, written to pathinfo.signed(rpm, sigkey). Unsigned headers use
the empty sigkey so the (rpm_id, sigkey) uniqueness still holds for them.
"""
import base64
import binascii
import hashlib
import logging
import os

import koji
from koji.constants import RPM_HEADER_MAGIC, RPM_SIGTAG_MD5
from koji.context import context
from koji.plugin import run_callbacks
from koji.util import md5_constructor

from .builds import get_build
from ..core.db import BulkInsertProcessor, DeleteProcessor, InsertProcessor, QueryProcessor
from .rpms import get_rpm

logger = logging.getLogger('koji.hub.signatures')

_HASHES = {'md5': md5_constructor, 'sha1': hashlib.sha1, 'sha256': hashlib.sha256}


def _nvra(rinfo):
    return '%(name)s-%(version)s-%(release)s.%(arch)s' % rinfo


def _internal_rpm(an_rpm):
    """(rpm, build) of an rpm we store files for; external rpms have no build dir."""
    rinfo = get_rpm(an_rpm, strict=True)
    if rinfo['external_repo_id']:
        raise koji.GenericError('Not an internal rpm: %s (from %s)'
                                % (an_rpm, rinfo['external_repo_name']))
    binfo = get_build(rinfo['build_id'], strict=True)
    return rinfo, binfo


def _norm_sigkey(sigkey):
    if not isinstance(sigkey, str):
        raise koji.GenericError('Invalid sigkey: %r' % (sigkey,))
    return sigkey.lower()


def _sig_rows(rpm_id, sigkey=None):
    clauses = ['rpm_id = %(rpm_id)s']
    if sigkey is not None:
        clauses.append('sigkey = %(sigkey)s')
    return QueryProcessor(columns=['rpm_id', 'sigkey', 'sighash'], tables=['rpmsigs'],
                          clauses=clauses, values={'rpm_id': rpm_id, 'sigkey': sigkey},
                          opts={'order': 'sigkey'}).execute()


def add_rpm_sig(an_rpm, sighdr):
    """Record a raw signature header for an internal rpm (no permission check).

    The header must belong to this rpm (its MD5 tag matches the payload hash) so signed
    copies made from it verify; the key comes from the header itself, not the caller.
    """
    sighdr = bytes(sighdr)
    if sighdr[:3] != RPM_HEADER_MAGIC:
        raise koji.GenericError('Invalid signature header: bad magic')
    rinfo, binfo = _internal_rpm(an_rpm)
    builddir = koji.pathinfo.build(binfo)
    if not os.path.isdir(builddir):
        raise koji.GenericError('No such directory: %s' % builddir)
    rawhdr = koji.RawHeader(sighdr)
    sigmd5 = rawhdr.get(RPM_SIGTAG_MD5)
    if sigmd5 is not None and koji.hex_string(sigmd5) != rinfo['payloadhash']:
        raise koji.GenericError('wrong md5 for %s: %s' % (_nvra(rinfo), koji.hex_string(sigmd5)))
    sigkey = (koji.get_sighdr_key(sighdr) or '').lower()
    sighash = md5_constructor(sighdr).hexdigest()
    rows = _sig_rows(rinfo['id'], sigkey)
    if rows:
        if rows[0]['sighash'] == sighash:
            raise koji.GenericError('Signature already imported: %s (key %s)'
                                    % (_nvra(rinfo), sigkey))
        raise koji.GenericError('Signature mismatch for %s (key %s): a different signature '
                                'is already stored' % (_nvra(rinfo), sigkey))
    run_callbacks('preRPMSign', sigkey=sigkey, sighash=sighash, build=binfo, rpm=rinfo)
    InsertProcessor('rpmsigs', data={'rpm_id': rinfo['id'], 'sigkey': sigkey,
                                     'sighash': sighash}).execute()
    context.commit_pending = True
    sigpath = os.path.join(builddir, koji.pathinfo.sighdr(rinfo, sigkey))
    koji.ensuredir(os.path.dirname(sigpath))
    with open(sigpath, 'wb') as fo:
        fo.write(sighdr)
    run_callbacks('postRPMSign', sigkey=sigkey, sighash=sighash, build=binfo, rpm=rinfo)


def add_rpm_sig_call(an_rpm, data):
    """addRPMSig: store a base64 signature header (sign permission)."""
    context.session.assertPerm('sign')
    if isinstance(data, bytes):
        data = data.decode('ascii', 'replace')
    if not isinstance(data, str):
        raise koji.GenericError('Signature data must be a base64 string')
    try:
        sighdr = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise koji.GenericError('Signature data is not valid base64')
    return add_rpm_sig(an_rpm, sighdr)


def query_rpm_sigs(rpm_id=None, sigkey=None, queryOpts=None):
    """queryRPMSigs: stored signatures {rpm_id, sigkey, sighash}; rpm by id, NVRA or dict."""
    clauses = []
    values = {}
    if rpm_id is not None:
        if not isinstance(rpm_id, int) or isinstance(rpm_id, bool):
            rpm_id = get_rpm(rpm_id, strict=True)['id']
        clauses.append('rpm_id = %(rpm_id)s')
        values['rpm_id'] = rpm_id
    if sigkey is not None:
        clauses.append('sigkey = %(sigkey)s')
        values['sigkey'] = _norm_sigkey(sigkey)
    return QueryProcessor(columns=['rpm_id', 'sigkey', 'sighash'], tables=['rpmsigs'],
                          clauses=clauses, values=values, opts=queryOpts).execute()


def delete_rpm_sig(rpminfo, sigkey=None, all_sigs=False):
    """deleteRPMSig: drop signature rows, cached headers, signed copies and their checksums.

    Admin only, and one key must be named unless all_sigs is set, since this cannot be
    undone.
    """
    context.session.assertPerm('admin')
    if all_sigs:
        sigkey = None
    elif not sigkey:
        raise koji.GenericError('No signature specified')
    else:
        sigkey = _norm_sigkey(sigkey)
    rinfo, binfo = _internal_rpm(rpminfo)
    rows = _sig_rows(rinfo['id'], sigkey)
    if not rows:
        raise koji.GenericError('%s has no matching signatures to delete' % _nvra(rinfo))
    clauses = ['rpm_id = %(rpm_id)s']
    values = {'rpm_id': rinfo['id'], 'sigkey': sigkey}
    if sigkey is not None:
        clauses.append('sigkey = %(sigkey)s')
    for table in ('rpm_checksum', 'rpmsigs'):
        DeleteProcessor(table, clauses=clauses, values=values).execute()
    context.commit_pending = True
    builddir = koji.pathinfo.build(binfo)
    paths = [os.path.join(builddir, koji.pathinfo.signed(rinfo, row['sigkey'])) for row in rows]
    paths += [os.path.join(builddir, koji.pathinfo.sighdr(rinfo, row['sigkey']))
              for row in rows]
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.error('Cannot remove %s: %s', path, exc)
            raise koji.GenericError('File %s cannot be deleted.' % path)
    logger.warning('Signature(s) %s of %s deleted by %s',
                   ', '.join(row['sigkey'] or '(unsigned)' for row in rows), _nvra(rinfo),
                   context.session.user_data.get('name') if context.session.logged_in else '?')


def _checksum_types():
    names = (context.opts.get('RPMDefaultChecksums') or 'md5 sha256').split()
    for name in names:
        if name not in _HASHES:
            raise koji.GenericError('Unsupported checksum type in RPMDefaultChecksums: %s'
                                    % name)
    return names


def write_signed_rpm(an_rpm, sigkey, force=False):
    """Write the signed copy of an rpm from its cached header (no permission check).

    An existing copy is kept unless force is set; checksums of the copy are recorded in
    rpm_checksum while it is written, so getRPMChecksums need not read it again.
    """
    sigkey = _norm_sigkey(sigkey)
    rinfo, binfo = _internal_rpm(an_rpm)
    builddir = koji.pathinfo.build(binfo)
    rpm_path = os.path.join(builddir, koji.pathinfo.rpm(rinfo))
    if not os.path.exists(rpm_path):
        raise koji.GenericError('No such path: %s' % rpm_path)
    if not os.path.isfile(rpm_path):
        raise koji.GenericError('Not a regular file: %s' % rpm_path)
    rows = _sig_rows(rinfo['id'], sigkey)
    if not rows:
        raise koji.GenericError('No cached signature for key %s on %s' % (sigkey, _nvra(rinfo)))
    signedpath = os.path.join(builddir, koji.pathinfo.signed(rinfo, sigkey))
    if os.path.exists(signedpath) and not force:
        return
    sigpath = os.path.join(builddir, koji.pathinfo.sighdr(rinfo, sigkey))
    try:
        with open(sigpath, 'rb') as fo:
            sighdr = fo.read()
    except FileNotFoundError:
        raise koji.GenericError('Missing signature header file: %s' % sigpath)
    if md5_constructor(sighdr).hexdigest() != rows[0]['sighash']:
        raise koji.GenericError('Cached signature header %s does not match its sighash'
                                % sigpath)
    ctypes = _checksum_types()
    sums = {name: _HASHES[name]() for name in ctypes}

    def update(buf):
        for chk in sums.values():
            chk.update(buf)
    koji.ensuredir(os.path.dirname(signedpath))
    koji.splice_rpm_sighdr(sighdr, rpm_path, dst=signedpath, callback=update)
    values = {'rpm_id': rinfo['id'], 'sigkey': sigkey}
    DeleteProcessor('rpm_checksum', clauses=['rpm_id = %(rpm_id)s', 'sigkey = %(sigkey)s'],
                    values=values).execute()
    if sums:
        BulkInsertProcessor('rpm_checksum', data=[
            {'rpm_id': rinfo['id'], 'sigkey': sigkey, 'checksum': chk.hexdigest(),
             'checksum_type': koji.CHECKSUM_TYPES[name]} for name, chk in sums.items()
        ]).execute()
    context.commit_pending = True


def write_signed_rpm_call(an_rpm, sigkey, force=False):
    """writeSignedRPM: sign permission, then write_signed_rpm."""
    context.session.assertPerm('sign')
    return write_signed_rpm(an_rpm, sigkey, force=force)


class SignatureExports(object):
    """Signature calls, bound into RootExports."""

    addRPMSig = staticmethod(add_rpm_sig_call)
    queryRPMSigs = staticmethod(query_rpm_sigs)
    deleteRPMSig = staticmethod(delete_rpm_sig)
    writeSignedRPM = staticmethod(write_signed_rpm_call)


class SignatureHostExports(object):
    """host.writeSignedRPM: build hosts only, as every host.* call (core/registry.py)."""

    writeSignedRPM = staticmethod(write_signed_rpm)
