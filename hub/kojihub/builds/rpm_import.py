"""importRPM: an rpm file from the work area becomes an rpminfo row, a stored file and
its signature header record.

The flow needs both the rpm reads (rpms.py) and the signature records (signatures.py,
which itself reads rpms), so it lives above both of them.
"""
import os

import koji
from koji.context import context
from koji.plugin import run_callbacks
from koji.util import move_and_symlink

from .build_write import new_build, new_typed_build
from .builds import get_build
from .signatures import add_rpm_sig
from ..core.db import InsertProcessor, QueryProcessor, nextval


def _src_build(rpminfo):
    """Build of a source rpm, created when missing.

    Like upstream's importRPM this does not consult the volume policy: the new build
    lands on DEFAULT and applyVolumePolicy can move it afterwards.
    """
    nvr = {'name': rpminfo['name'], 'version': rpminfo['version'],
           'release': rpminfo['release']}
    binfo = get_build(nvr)
    if binfo:
        return binfo
    return get_build(new_build(dict(nvr, epoch=rpminfo['epoch'])), strict=True)


def _binary_build(rpminfo):
    """Build named by a binary rpm's SOURCERPM header; it must exist and be usable."""
    srpm = rpminfo.get('sourcerpm')
    if not srpm:
        raise koji.GenericError('No source rpm recorded in %(name)s-%(version)s-%(release)s'
                                % rpminfo)
    binfo = get_build(koji.parse_NVRA(srpm))
    if binfo is None:
        raise koji.GenericError('No matching build')
    state = koji.BUILD_STATES[binfo['state']]
    if state in ('FAILED', 'CANCELED', 'DELETED'):
        raise koji.GenericError('Build is %s: %s' % (state, binfo['nvr']))
    return binfo


def _assert_new_rpm(rpminfo, buildinfo):
    """An internal non-draft NVRA exists only once; say so instead of a db error."""
    if buildinfo.get('draft'):
        return
    clauses = ['name = %(name)s', 'version = %(version)s', 'release = %(release)s',
               'arch = %(arch)s', 'external_repo_id = 0', 'NOT draft']
    query = QueryProcessor(columns=['id'], tables=['rpminfo'], clauses=clauses,
                           values=rpminfo)
    if query.executeOne() is not None:
        raise koji.GenericError('RPM already imported: %(name)s-%(version)s-%(release)s.'
                                '%(arch)s' % rpminfo)


def import_rpm(fn, buildinfo=None, brootid=None, wrapper=False, fileinfo=None):
    """Insert the rpminfo row for the rpm file fn; returns the record plus 'build'.

    A source rpm creates its build if needed; a binary rpm joins the build its SOURCERPM
    names unless buildinfo is given.
    """
    if not os.path.exists(fn):
        raise koji.GenericError('No such file: %s' % fn)
    hdr = koji.get_rpm_header(fn)
    fields = koji.get_header_fields(hdr, ['name', 'version', 'release', 'epoch', 'arch',
                                          'sourcepackage', 'buildtime', 'sourcerpm'],
                                    src_arch=True)
    keys = ('name', 'version', 'release', 'epoch', 'arch', 'buildtime')
    rpminfo = {key: fields[key] for key in keys}
    is_src = bool(fields['sourcepackage'])
    rpminfo['sourcerpm'] = fields['sourcerpm']
    koji.check_NVRA(rpminfo, strict=True)
    if buildinfo is None:
        buildinfo = _src_build(rpminfo) if is_src else _binary_build(rpminfo)
    elif not wrapper:
        srpm_name = '%(name)s-%(version)s-%(release)s.src.rpm' % buildinfo
        expected = srpm_name if not is_src else None
        if expected and rpminfo['sourcerpm'] != expected:
            raise koji.GenericError('srpm mismatch for %s: %s (expected %s)'
                                    % (fn, rpminfo['sourcerpm'], expected))
        if is_src and (rpminfo['name'], rpminfo['version'], rpminfo['release']) != \
                (buildinfo['name'], buildinfo['version'], buildinfo['release']):
            raise koji.GenericError('srpm mismatch for %s: build is %s'
                                    % (fn, buildinfo['nvr']))
    _assert_new_rpm(rpminfo, buildinfo)
    new_typed_build(buildinfo, 'rpm')
    sigmd5 = koji.get_header_field(hdr, 'sigmd5')
    if not sigmd5:
        raise koji.GenericError('No SIGMD5 header in %s' % fn)
    rpminfo.update({
        'id': nextval('rpminfo_id_seq'),
        'build_id': buildinfo['id'],
        'size': os.path.getsize(fn),
        'payloadhash': koji.hex_string(sigmd5),
        'buildroot_id': brootid,
        'external_repo_id': 0,
        'draft': bool(buildinfo.get('draft')),
    })
    run_callbacks('preImport', type='rpm', rpm=rpminfo, build=buildinfo, filepath=fn,
                  fileinfo=fileinfo)
    data = {key: value for key, value in rpminfo.items() if key != 'sourcerpm'}
    InsertProcessor('rpminfo', data=data).execute()
    context.commit_pending = True
    run_callbacks('postImport', type='rpm', rpm=rpminfo, build=buildinfo, filepath=fn,
                  fileinfo=fileinfo)
    rpminfo['build'] = buildinfo
    rpminfo['brootid'] = brootid
    return rpminfo


def import_archive_file(filepath, destdir):
    """Move an uploaded file into destdir, leaving a symlink behind in the work area."""
    final = os.path.join(destdir, os.path.basename(filepath))
    if os.path.lexists(final):
        raise koji.GenericError('Error importing archive file, %s already exists' % final)
    if os.path.islink(filepath) or not os.path.isfile(filepath):
        raise koji.GenericError('Error importing archive file, %s is not a regular file'
                                % filepath)
    move_and_symlink(filepath, final, create_dir=True)
    return final


def import_rpm_file(fn, buildinfo, rpminfo):
    """Put an imported rpm file where pathinfo.build + pathinfo.rpm say it lives."""
    final = os.path.join(koji.pathinfo.build(buildinfo), koji.pathinfo.rpm(rpminfo))
    return import_archive_file(fn, os.path.dirname(final))


def _store_import_sig(rpminfo, sighdr):
    """Record the signature header of an imported rpm.

    Unsigned rpms are recorded under the empty sigkey, as upstream does, so writing signed
    copies later can splice headers.
    """
    add_rpm_sig(rpminfo['id'], sighdr)


def import_rpm_call(path, basename):
    """importRPM: import work/<path>/<basename> (admin); returns the rpm record."""
    context.session.assertPerm('admin')
    if not isinstance(path, str) or not isinstance(basename, str):
        raise koji.GenericError('Invalid upload path')
    if '/' in basename or basename.startswith('.'):
        raise koji.GenericError('Invalid upload filename: %s' % basename)
    reldir = os.path.normpath(path)
    if path.startswith('/') or reldir.startswith('..'):
        raise koji.GenericError('Invalid upload directory: %s' % path)
    fn = os.path.join(koji.pathinfo.work(), reldir, basename)
    if not os.path.exists(fn):
        raise koji.GenericError('No such file: %s' % fn)
    rpminfo = import_rpm(fn)
    import_rpm_file(fn, rpminfo['build'], rpminfo)
    final = os.path.join(koji.pathinfo.build(rpminfo['build']), koji.pathinfo.rpm(rpminfo))
    _store_import_sig(rpminfo, koji.rip_rpm_sighdr(final))
    return rpminfo


class RpmImportExports(object):
    """importRPM, bound into RootExports."""

    importRPM = staticmethod(import_rpm_call)
