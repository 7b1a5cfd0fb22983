"""Importing all the rpm files of a build at once (completeBuild, mergeScratch).

rpms.import_rpm handles one file with a few statements; a build from the builder can
carry hundreds of rpms, so here the headers are read first, then every row goes in with
one statement per table (rpminfo, rpmsigs) whatever the count.  The plugin callbacks
still fire once per rpm, as upstream's per-file import fires them.

Files move with ``Moves``: each move is recorded so a failing call can put every file
back where the builder uploaded it (the database side is rolled back by the caller's
transaction).
"""
import logging
import os

import koji
from koji.context import context
from koji.plugin import run_callbacks
from koji.util import md5_constructor, move_and_symlink
from koji.constants import RPM_SIGTAG_MD5

from .build_write import new_typed_build
from ..core.db import BulkInsertProcessor, QueryProcessor, _multiRow

logger = logging.getLogger('koji.hub.rpm_batch')

_HEADER_FIELDS = ['name', 'version', 'release', 'epoch', 'arch', 'sourcepackage',
                  'buildtime', 'sourcerpm', 'sigmd5']


class Moves(object):
    """File moves (and files written) of one call, undone together when the call fails."""

    def __init__(self):
        self.moved = []
        self.written = []
        self.dirs = []

    def ensuredir(self, path):
        """Create path, remembering the directories this call created."""
        missing = []
        cur = path
        while cur and cur != '/' and not os.path.lexists(cur):
            missing.append(cur)
            cur = os.path.dirname(cur)
        koji.ensuredir(path)
        self.dirs.extend(missing)

    def move(self, src, dst):
        """Move a regular file src to dst (which must not exist), leaving a symlink."""
        if os.path.lexists(dst):
            raise koji.GenericError('Error importing file, %s already exists' % dst)
        if os.path.islink(src) or not os.path.isfile(src):
            raise koji.GenericError('Error importing file, %s is not a regular file' % src)
        self.ensuredir(os.path.dirname(dst))
        move_and_symlink(src, dst)
        self.moved.append((src, dst))

    def write(self, path, data):
        self.ensuredir(os.path.dirname(path))
        with open(path, 'wb') as fo:
            fo.write(data)
        self.written.append(path)

    def undo(self):
        for path in reversed(self.written):
            try:
                os.unlink(path)
            except OSError:
                logger.exception('Could not remove %s', path)
        for src, dst in reversed(self.moved):
            try:
                if os.path.islink(src):
                    os.unlink(src)
                os.rename(dst, src)
            except OSError:
                logger.exception('Could not move %s back to %s', dst, src)
        # the deepest directories were recorded first within each ensuredir call
        for path in sorted(set(self.dirs), key=len, reverse=True):
            try:
                os.rmdir(path)
            except OSError:
                pass
        self.moved, self.written, self.dirs = [], [], []


def read_rpm(fn):
    """Header facts of one rpm file, in rpminfo terms (arch 'src' for a source rpm)."""
    hdr = koji.get_rpm_header(fn)
    fields = koji.get_header_fields(hdr, _HEADER_FIELDS)
    if fields['sourcepackage'] == 1:
        fields['arch'] = 'src'
    if not fields.get('sigmd5'):
        raise koji.GenericError('No SIGMD5 header in %s' % fn)
    fields['payloadhash'] = koji.hex_string(fields.pop('sigmd5'))
    fields['fn'] = fn
    return fields


def _check_names(binfo, infos, wrapper):
    """Each file is named after its header and (unless wrapper) belongs to binfo's srpm."""
    nvr = dict(binfo)
    if binfo.get('draft'):
        nvr['release'] = koji.parse_target_release(binfo['release'])
    srpmname = '%(name)s-%(version)s-%(release)s.src.rpm' % nvr
    for info in infos:
        basename = os.path.basename(info['fn'])
        expected = '%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % info
        if basename != expected:
            raise koji.GenericError('bad filename: %s (expected %s)' % (basename, expected))
        if wrapper:
            continue
        if info['sourcepackage'] != 1:
            if info['sourcerpm'] != srpmname:
                raise koji.GenericError('srpm mismatch for %s: %s (expected %s)'
                                        % (info['fn'], info['sourcerpm'], srpmname))
        elif basename != srpmname:
            raise koji.GenericError('srpm mismatch for %s: %s (expected %s)'
                                    % (info['fn'], basename, srpmname))


def _check_new(binfo, infos):
    """No NVRA twice in the list, and (for a real build) none already stored: one query."""
    seen = set()
    for info in infos:
        key = (info['name'], info['version'], info['release'], info['arch'])
        if key in seen:
            raise koji.GenericError('Duplicate rpm in import: %s-%s-%s.%s' % key)
        seen.add(key)
    if binfo.get('draft') or not infos:
        return
    query = QueryProcessor(
        columns=['rpminfo.name', 'rpminfo.version', 'rpminfo.release', 'rpminfo.arch'],
        aliases=['name', 'version', 'release', 'arch'], tables=['rpminfo'],
        joins=['unnest(%(names)s::text[], %(versions)s::text[], %(releases)s::text[], '
               '%(arches)s::text[]) AS n(name, version, release, arch) '
               'ON rpminfo.name = n.name AND rpminfo.version = n.version '
               'AND rpminfo.release = n.release AND rpminfo.arch = n.arch'],
        clauses=['rpminfo.external_repo_id = 0', 'NOT rpminfo.draft'],
        values={'names': [i['name'] for i in infos],
                'versions': [i['version'] for i in infos],
                'releases': [i['release'] for i in infos],
                'arches': [i['arch'] for i in infos]},
        opts={'limit': 1})
    row = query.executeOne()
    if row:
        raise koji.GenericError('RPM already imported: %(name)s-%(version)s-%(release)s.'
                                '%(arch)s' % row)


def _new_ids(count):
    rows = _multiRow("SELECT nextval('rpminfo_id_seq') FROM generate_series(1, %(n)s)",
                     {'n': count}, ['id'])
    return [row['id'] for row in rows]


def _sig_rows(infos):
    """(rpmsigs rows, sig headers) for the new rpms; each header must match its payload."""
    rows = []
    headers = []
    for info in infos:
        sighdr = koji.rip_rpm_sighdr(info['fn'])
        sigmd5 = koji.RawHeader(sighdr).get(RPM_SIGTAG_MD5)
        if sigmd5 is not None and koji.hex_string(sigmd5) != info['payloadhash']:
            raise koji.GenericError('wrong md5 for %s: %s'
                                    % (os.path.basename(info['fn']), koji.hex_string(sigmd5)))
        sigkey = (koji.get_sighdr_key(sighdr) or '').lower()
        rows.append({'rpm_id': info['id'], 'sigkey': sigkey,
                     'sighash': md5_constructor(sighdr).hexdigest()})
        headers.append(sighdr)
    return rows, headers


def import_rpms(binfo, files, moves, wrapper=False, fileinfo=None):
    """Import the rpm files (list of (path, buildroot id)) into build binfo.

    Rows, files (moved into pathinfo.build + pathinfo.rpm, a symlink left behind) and
    signature headers; returns the rpm records as rpms.import_rpm returns them.  An entry
    may carry a third item, the fileinfo the callbacks get for that file (CG imports).
    """
    state = koji.BUILD_STATES[binfo['state']]
    if state in ('FAILED', 'CANCELED', 'DELETED'):
        raise koji.GenericError('Build is %s: %s' % (state, binfo['nvr']))
    infos = []
    for entry in files:
        info = read_rpm(entry[0])
        info['buildroot_id'] = entry[1]
        info['fileinfo'] = entry[2] if len(entry) > 2 else fileinfo
        infos.append(info)
    _check_names(binfo, infos, wrapper)
    _check_new(binfo, infos)
    if not infos:
        return []
    new_typed_build(binfo, 'rpm')
    draft = bool(binfo.get('draft'))
    records = []
    for info, rpm_id in zip(infos, _new_ids(len(infos))):
        rpminfo = {key: info[key] for key in ('name', 'version', 'release', 'epoch', 'arch',
                                              'sourcepackage', 'buildtime', 'sourcerpm',
                                              'payloadhash', 'buildroot_id')}
        rpminfo.update({'id': rpm_id, 'build_id': binfo['id'], 'draft': draft,
                        'size': os.path.getsize(info['fn']), 'external_repo_id': 0})
        info['id'] = rpm_id
        run_callbacks('preImport', type='rpm', rpm=rpminfo, build=binfo, filepath=info['fn'],
                      fileinfo=info['fileinfo'])
        records.append(rpminfo)
    rows = [{k: v for k, v in r.items() if k not in ('sourcepackage', 'sourcerpm')}
            for r in records]
    BulkInsertProcessor('rpminfo', data=rows).execute()
    context.commit_pending = True
    for info, rpminfo in zip(infos, records):
        run_callbacks('postImport', type='rpm', rpm=rpminfo, build=binfo, filepath=info['fn'],
                      fileinfo=info['fileinfo'])
        rpminfo['build'] = binfo
        rpminfo['brootid'] = rpminfo['buildroot_id']
    sig_rows, headers = _sig_rows(infos)
    builddir = koji.pathinfo.build(binfo)
    for info, rpminfo in zip(infos, records):
        moves.move(info['fn'], os.path.join(builddir, koji.pathinfo.rpm(rpminfo)))
    for row, sighdr, rpminfo in zip(sig_rows, headers, records):
        run_callbacks('preRPMSign', sigkey=row['sigkey'], sighash=row['sighash'],
                      build=binfo, rpm=rpminfo)
    BulkInsertProcessor('rpmsigs', data=sig_rows).execute()
    for row, sighdr, rpminfo in zip(sig_rows, headers, records):
        moves.write(os.path.join(builddir, koji.pathinfo.sighdr(rpminfo, row['sigkey'])),
                    sighdr)
        run_callbacks('postRPMSign', sigkey=row['sigkey'], sighash=row['sighash'],
                      build=binfo, rpm=rpminfo)
    return records


def import_build_log(fn, binfo, subdir=None, moves=None):
    """Move one log file into the build's log dir (a subdir per arch).

    ``moves`` records the move so the caller can undo it; without it the move is final.
    """
    logdir = koji.pathinfo.build_logs(binfo)
    if subdir:
        logdir = os.path.join(logdir, subdir)
    final = os.path.join(logdir, os.path.basename(fn))
    if os.path.exists(final):
        raise koji.GenericError('Error importing build log. %s already exists.' % final)
    if os.path.islink(fn) or not os.path.isfile(fn):
        raise koji.GenericError('Error importing build log. %s is not a regular file.' % fn)
    (moves or Moves()).move(fn, final)
