"""renameRPMSig: file a stored signature under another sigkey (a key imported under the
wrong id, or a key renamed).  The rpmsigs and rpm_checksum rows, the cached header and
the signed copy all move together; a failed file move puts the moved ones back and the
rows roll back with the call's transaction."""
import os

import koji
from koji.context import context

from ..core.db import UpdateProcessor
from .signatures import _internal_rpm, _norm_sigkey, _nvra, _sig_rows


def _moves(rinfo, binfo, oldkey, newkey):
    """[(old path, new path)] of the files to move, checked before anything moves."""
    builddir = koji.pathinfo.build(binfo)
    old_hdr = os.path.join(builddir, koji.pathinfo.sighdr(rinfo, oldkey))
    new_hdr = os.path.join(builddir, koji.pathinfo.sighdr(rinfo, newkey))
    if not os.path.exists(old_hdr):
        raise koji.GenericError('Missing signature header file: %s' % old_hdr)
    if os.path.lexists(new_hdr):
        raise koji.GenericError('Stray header file: %s' % new_hdr)
    moves = [(old_hdr, new_hdr)]
    old_copy = os.path.join(builddir, koji.pathinfo.signed(rinfo, oldkey))
    new_copy = os.path.join(builddir, koji.pathinfo.signed(rinfo, newkey))
    if os.path.lexists(new_copy):
        raise koji.GenericError('Stray signed copy: %s' % new_copy)
    if os.path.exists(old_copy):
        moves.append((old_copy, new_copy))
    return moves


def rename_rpm_sig(rpminfo, oldkey, newkey):
    """renameRPMSig (admin): the rpm's oldkey signature becomes a newkey one."""
    context.session.assertPerm('admin')
    oldkey = _norm_sigkey(oldkey)
    newkey = _norm_sigkey(newkey)
    rinfo, binfo = _internal_rpm(rpminfo)
    nvra = _nvra(rinfo)
    if not _sig_rows(rinfo['id'], oldkey):
        raise koji.GenericError('No %s signature for rpm %s' % (oldkey, nvra))
    if _sig_rows(rinfo['id'], newkey):
        raise koji.GenericError('A %s signature already exists for rpm %s' % (newkey, nvra))
    moves = _moves(rinfo, binfo, oldkey, newkey)
    for table in ('rpmsigs', 'rpm_checksum'):
        UpdateProcessor(table, data={'sigkey': newkey},
                        clauses=['rpm_id = %(rpm_id)s', 'sigkey = %(oldkey)s'],
                        values={'rpm_id': rinfo['id'], 'oldkey': oldkey}).execute()
    context.commit_pending = True
    done = []
    try:
        for old, new in moves:
            koji.ensuredir(os.path.dirname(new))
            os.rename(old, new)
            done.append((old, new))
    except OSError as exc:
        for old, new in reversed(done):
            os.rename(new, old)
        raise koji.GenericError('Cannot move %s: %s' % (exc.filename, exc.strerror))


class SigRenameExports(object):
    renameRPMSig = staticmethod(rename_rpm_sig)
