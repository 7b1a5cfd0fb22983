"""RPMs: getRPM/listRPMs, external rpms and the header-backed reads (importRPM:
rpm_import.py).

Header facts come from the rpm bindings (koji.rpmheader); stored files sit where
koji.pathinfo says: <pathinfo.build(build)>/<pathinfo.rpm(rpm)>.
"""
import base64
import hashlib
import json
import logging
import os

import koji
from koji.context import context
from koji.util import filedigestAlgo, md5_constructor

from .builds import get_build
from ..core.db import InsertProcessor, QueryProcessor, Savepoint, nextval
from ..core.lookup import lookup_name

logger = logging.getLogger('koji.hub.rpms')

# (expression, alias) of an rpm record as getRPM returns it
RPM_FIELDS = (
    ('rpminfo.id', 'id'),
    ('rpminfo.build_id', 'build_id'),
    ('rpminfo.buildroot_id', 'buildroot_id'),
    ('rpminfo.name', 'name'),
    ('rpminfo.version', 'version'),
    ('rpminfo.release', 'release'),
    ('rpminfo.epoch', 'epoch'),
    ('rpminfo.arch', 'arch'),
    ('rpminfo.draft', 'draft'),
    ('rpminfo.external_repo_id', 'external_repo_id'),
    ('external_repo.name', 'external_repo_name'),
    ('rpminfo.payloadhash', 'payloadhash'),
    ('rpminfo.size', 'size'),
    ('rpminfo.buildtime', 'buildtime'),
    ('rpminfo.metadata_only', 'metadata_only'),
    ('rpminfo.extra', 'extra'),
)
RPM_JOIN = 'external_repo ON rpminfo.external_repo_id = external_repo.id'

# dependency header prefixes and their koji.DEP_* codes, in the order upstream reports them
DEP_TYPES = ('REQUIRE', 'PROVIDE', 'CONFLICT', 'OBSOLETE', 'SUGGEST', 'ENHANCE',
             'SUPPLEMENT', 'RECOMMEND')

FILE_FIELDS = ('name', 'digest', 'size', 'flags', 'digest_algo', 'user', 'group', 'mtime',
               'mode')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _fix_rpm_row(row):
    if row.get('extra') is not None:
        row['extra'] = json.loads(row['extra'])
    return row


def _rpm_query(clauses, values, extra_fields=(), joins=(), opts=None):
    fields = RPM_FIELDS + tuple(extra_fields)
    return QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                          tables=['rpminfo'], joins=[RPM_JOIN] + list(joins),
                          clauses=clauses, values=values, transform=_fix_rpm_row, opts=opts)


def get_rpm(rpminfo, strict=False, multi=False):
    """An rpm by id, 'N-V-R.A[@location]' or dict (id, or name/version/release/arch).

    Without a location several rows may match: internal non-draft wins, then the newest
    draft, then the newest external one. multi returns every match.
    """
    if _is_int(rpminfo):
        data = {'id': rpminfo}
    elif isinstance(rpminfo, str):
        data = koji.parse_NVRA(rpminfo)
    elif isinstance(rpminfo, dict):
        data = dict(rpminfo)
    else:
        raise koji.GenericError('Invalid type for rpminfo: %r' % type(rpminfo))
    values = {}
    if data.get('id') is not None:
        clauses = ['rpminfo.id = %(id)s']
        values['id'] = data['id']
    else:
        for key in ('name', 'version', 'release', 'arch'):
            if data.get(key) is None:
                raise koji.GenericError('Invalid rpminfo, missing %s: %r' % (key, rpminfo))
            values[key] = data[key]
        clauses = ['rpminfo.name = %(name)s', 'rpminfo.version = %(version)s',
                   'rpminfo.release = %(release)s', 'rpminfo.arch = %(arch)s']
    if data.get('location') is not None:
        values['repo_id'] = lookup_name('external_repo', data['location'], strict=True)['id']
        clauses.append('rpminfo.external_repo_id = %(repo_id)s')
    if multi:
        return _rpm_query(clauses, values, opts={'order': 'id'}).execute()
    # rank the candidates in SQL so one query picks the preferred row
    rank = ('CASE WHEN rpminfo.external_repo_id = 0 AND NOT rpminfo.draft THEN 0 '
            'WHEN rpminfo.external_repo_id = 0 THEN 1 ELSE 2 END')
    query = _rpm_query(clauses, values, extra_fields=[(rank, 'pref_rank')],
                       opts={'order': 'pref_rank,-id', 'limit': 1})
    rows = query.execute()
    if not rows:
        if strict:
            # the parsed lookup, as upstream reports it
            raise koji.GenericError('No such rpm: %r' % (data,))
        return None
    row = rows[0]
    del row['pref_rank']
    return row


def _draft_clause(draft):
    # external rpms have a NULL draft flag; they count as not draft
    return 'rpminfo.draft IS TRUE' if draft else 'rpminfo.draft IS NOT TRUE'


def list_rpms(buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None,
              hostID=None, arches=None, queryOpts=None, draft=None):
    """RPM records filtered by build, buildroot, image, component buildroot, host, arches."""
    extra = [("rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release", 'nvr')]
    joins = []
    clauses = []
    values = {}
    if buildID is not None:
        clauses.append('rpminfo.build_id = %(buildID)s')
        values['buildID'] = buildID
    if buildrootID is not None:
        clauses.append('rpminfo.buildroot_id = %(buildrootID)s')
        values['buildrootID'] = buildrootID
    if imageID is not None:
        joins.append('archive_rpm_components ON rpminfo.id = archive_rpm_components.rpm_id')
        clauses.append('archive_rpm_components.archive_id = %(imageID)s')
        values['imageID'] = imageID
    if componentBuildrootID is not None:
        extra += [('buildroot_listing.buildroot_id', 'component_buildroot_id'),
                  ('buildroot_listing.is_update', 'is_update')]
        joins.append('buildroot_listing ON rpminfo.id = buildroot_listing.rpm_id')
        clauses.append('buildroot_listing.buildroot_id = %(componentBuildrootID)s')
        values['componentBuildrootID'] = componentBuildrootID
    if hostID is not None:
        joins.append('standard_buildroot ON '
                     'rpminfo.buildroot_id = standard_buildroot.buildroot_id')
        clauses.append('standard_buildroot.host_id = %(hostID)s')
        values['hostID'] = hostID
    if arches is not None:
        if isinstance(arches, (list, tuple)):
            clauses.append('rpminfo.arch = ANY(%(arches)s)')
            values['arches'] = list(arches)
        elif isinstance(arches, str):
            clauses.append('rpminfo.arch = %(arches)s')
            values['arches'] = arches
        else:
            raise koji.GenericError('Invalid type for "arches" parameter: %s' % type(arches))
    if draft is not None:
        clauses.append(_draft_clause(draft))
    return _rpm_query(clauses, values, extra_fields=extra, joins=joins,
                      opts=queryOpts).execute()


def list_build_rpms(build):
    """Every rpm of one build."""
    binfo = get_build(build, strict=True)
    return list_rpms(buildID=binfo['id'])


# the fields an external rpm record needs, with the types accepted for each
EXTERNAL_RPM_TYPES = (
    ('name', str), ('version', str), ('release', str), ('epoch', (int, type(None))),
    ('arch', str), ('payloadhash', str), ('size', int), ('buildtime', int),
)


def _clean_external_rpminfo(rpminfo):
    """Only the known fields, each present and of the right type (bool is no int here)."""
    if not isinstance(rpminfo, dict):
        raise koji.GenericError('Invalid type for rpminfo: %r' % type(rpminfo))
    clean = {}
    for field, types in EXTERNAL_RPM_TYPES:
        if field not in rpminfo:
            raise koji.GenericError('%s field missing: %r' % (field, rpminfo))
        value = rpminfo[field]
        if not isinstance(value, types) or isinstance(value, bool):
            raise koji.GenericError('Invalid value for %s: %r' % (field, value))
        clean[field] = value
    if len(clean['arch']) > 16:
        # rpminfo.arch is VARCHAR(16)
        raise koji.GenericError('Invalid value for arch: %r' % clean['arch'])
    return clean


def _known_external_rpm(rpminfo, repo, strict):
    """The record already stored for this NVRA in repo, or None.

    strict refuses any existing record; otherwise it is reused when the payload matches.
    """
    old = get_rpm(dict(rpminfo, location=repo['id']))
    if old is None:
        return None
    label = '%(name)s-%(version)s-%(release)s.%(arch)s@%(external_repo_name)s' % old
    if strict:
        raise koji.GenericError('external rpm already exists: %s' % label)
    if old['payloadhash'] != rpminfo['payloadhash']:
        raise koji.GenericError('hash changed for external rpm: %s (%s -> %s)'
                                % (label, old['payloadhash'], rpminfo['payloadhash']))
    return old


def add_external_rpm(rpminfo, external_repo, strict=True):
    """Record an rpm that lives in an external repo (no build, no file); returns getRPM's record.

    Access checks are the caller's. A concurrent insert of the same rpm is treated like
    an existing one.
    """
    clean = _clean_external_rpminfo(rpminfo)
    repo = lookup_name('external_repo', external_repo, strict=True)
    if repo['id'] == 0:
        raise koji.GenericError('Not an external repo: %s' % repo['name'])
    old = _known_external_rpm(clean, repo, strict)
    if old is not None:
        return old
    data = dict(clean, id=nextval('rpminfo_id_seq'), external_repo_id=repo['id'],
                build_id=None, buildroot_id=None)
    savepoint = Savepoint('external_rpm_insert')
    try:
        InsertProcessor('rpminfo', data=data).execute()
    except Exception:
        # most likely another request stored the same rpm in the meantime
        savepoint.rollback()
        old = _known_external_rpm(clean, repo, strict)
        if old is not None:
            return old
        raise
    savepoint.release()
    context.commit_pending = True
    return get_rpm(data['id'], strict=True)


def add_external_rpm_call(rpminfo, external_repo, strict=True):
    """addExternalRPM: admin records an external rpm (mostly for testing); returns None."""
    context.session.assertPerm('admin')
    add_external_rpm(rpminfo, external_repo, strict=strict)


# -- header backed reads ----------------------------------------------------------------


def _rpm_path(rpmID, strict, what='RPM'):
    """(rpm record, stored path) of an internal rpm, or (None, None) when not available."""
    rinfo = get_rpm(rpmID)
    if not rinfo or not rinfo['build_id']:
        if strict:
            raise koji.GenericError("%s %s doesn't exist" % (what, rpmID))
        return None, None
    binfo = get_build(rinfo['build_id'], strict=True)
    path = os.path.join(koji.pathinfo.build(binfo), koji.pathinfo.rpm(rinfo))
    if not os.path.exists(path):
        if strict:
            raise koji.GenericError("RPM file of %s doesn't exist" % rpmID)
        return rinfo, None
    return rinfo, path


def apply_query_opts(rows, queryOpts):
    """countOnly/order/offset/limit over a python list (header data is not in the db)."""
    opts = queryOpts or {}
    order = opts.get('order')
    if order and rows and isinstance(rows[0], dict):
        for key in reversed(order.split(',')):
            reverse = key.startswith('-')
            key = key.lstrip('-')
            rows.sort(key=lambda row: (row.get(key) is None, row.get(key)), reverse=reverse)
    offset = opts.get('offset')
    if offset:
        rows = rows[offset:]
    limit = opts.get('limit')
    if limit is not None:
        rows = rows[:limit]
    if opts.get('countOnly'):
        return len(rows)
    return rows


def get_rpm_deps(rpmID, depType=None, queryOpts=None, strict=False):
    """Dependencies (requires, provides, ...) read from the stored rpm's header."""
    queryOpts = queryOpts or {}
    _rinfo, path = _rpm_path(rpmID, strict)
    if path is None:
        return apply_query_opts([], queryOpts)
    wanted = [dep for dep in DEP_TYPES
              if depType is None or depType == getattr(koji, 'DEP_' + dep)]
    names = []
    for dep in wanted:
        names += [dep + 'NAME', dep + 'VERSION', dep + 'FLAGS']
    fields = koji.get_header_fields(path, names)
    results = []
    for dep in wanted:
        dep_id = getattr(koji, 'DEP_' + dep)
        for name, version, flags in zip(fields[dep + 'NAME'], fields[dep + 'VERSION'],
                                        fields[dep + 'FLAGS']):
            if queryOpts.get('asList'):
                results.append([name, version, flags, dep_id])
            else:
                results.append({'name': name, 'version': version, 'flags': flags,
                                'type': dep_id})
    return apply_query_opts(results, queryOpts)


def _rpm_files(path):
    hdr = koji.get_rpm_header(path)
    fields = koji.get_header_fields(hdr, ['filenames', 'filedigests', 'filesizes',
                                          'fileflags', 'fileusername', 'filegroupname',
                                          'filemtimes', 'filemodes'])
    algo = filedigestAlgo(hdr)
    for name, digest, size, flags, user, group, mtime, mode in zip(
            fields['filenames'], fields['filedigests'], fields['filesizes'],
            fields['fileflags'], fields['fileusername'], fields['filegroupname'],
            fields['filemtimes'], fields['filemodes']):
        yield {'name': name, 'digest': digest, 'md5': digest, 'digest_algo': algo,
               'size': size, 'flags': flags, 'user': user, 'group': group, 'mtime': mtime,
               'mode': mode}


def list_rpm_files(rpmID, queryOpts=None):
    """Files an rpm contains, from its header."""
    queryOpts = queryOpts or {}
    _rinfo, path = _rpm_path(rpmID, False)
    if path is None:
        return apply_query_opts([], queryOpts)
    results = list(_rpm_files(path))
    if queryOpts.get('asList'):
        results = [[row[key] for key in FILE_FIELDS] for row in results]
    return apply_query_opts(results, queryOpts)


def get_rpm_file(rpmID, filename, strict=False):
    """One file entry of an rpm (with rpm_id), {} when absent and not strict."""
    rinfo, path = _rpm_path(rpmID, strict)
    if path is not None:
        for row in _rpm_files(path):
            if row['name'] == filename:
                row['rpm_id'] = rinfo['id']
                return row
    if strict:
        raise koji.GenericError('No file: %s found in RPM: %s' % (filename, rpmID))
    return {}


def get_rpm_headers(rpmID=None, taskID=None, filepath=None, headers=None, strict=False):
    """Header fields of a stored rpm, or of an rpm in a task's output directory."""
    if rpmID is not None:
        rinfo = get_rpm(rpmID)
        if not rinfo or not rinfo['build_id']:
            if strict:
                raise koji.GenericError('No such rpm: %s' % rpmID)
            return {}
        binfo = get_build(rinfo['build_id'], strict=True)
        path = os.path.join(koji.pathinfo.build(binfo), koji.pathinfo.rpm(rinfo))
    elif taskID is not None:
        if not filepath:
            raise koji.GenericError('filepath must be specified with taskID')
        if filepath.startswith('/') or '..' in filepath.split('/'):
            raise koji.GenericError('Invalid filepath: %s' % filepath)
        path = os.path.join(koji.pathinfo.task(taskID), filepath)
    else:
        raise koji.GenericError('either rpmID or taskID and filepath must be specified')
    if not os.path.exists(path):
        if strict:
            raise koji.GenericError('Missing rpm file: %s' % path)
        return {}
    result = koji.get_header_fields(path, headers)
    for key, value in result.items():
        if isinstance(value, bytes):
            # raw binary tags cannot travel as XML-RPC strings
            result[key] = base64.b64encode(value).decode('ascii')
    return result


_HASHES = {'md5': md5_constructor, 'sha1': hashlib.sha1, 'sha256': hashlib.sha256,
           'sha512': hashlib.sha512}


def get_rpm_checksums(rpm_id, checksum_types=None, cacheonly=False):
    """{sigkey: {type: hexdigest or None}} of the signed copies, filling the cache."""
    if not _is_int(rpm_id):
        raise koji.GenericError('rpm_id must be an integer')
    rinfo = get_rpm(rpm_id, strict=True)
    if not checksum_types:
        checksum_types = (context.opts.get('RPMDefaultChecksums') or 'md5 sha256').split()
    if not isinstance(checksum_types, list):
        raise koji.GenericError('checksum_type must be a list')
    for ctype in checksum_types:
        if ctype not in koji.CHECKSUM_TYPES:
            raise koji.GenericError("Checksum_type %s isn't supported" % ctype)
    sigkeys = [row[0] for row in QueryProcessor(
        columns=['sigkey'], tables=['rpmsigs'], clauses=['rpm_id = %(rpm_id)s'],
        values={'rpm_id': rpm_id}, opts={'asList': True}).execute()]
    if not sigkeys:
        return {}
    type_ids = [koji.CHECKSUM_TYPES[ctype] for ctype in checksum_types]
    query = QueryProcessor(columns=['checksum', 'checksum_type', 'sigkey'],
                           tables=['rpm_checksum'],
                           clauses=['rpm_id = %(rpm_id)s', 'checksum_type = ANY(%(types)s)'],
                           values={'rpm_id': rpm_id, 'types': type_ids})
    rows = query.execute()
    if len(rows) < len(type_ids) * len(sigkeys) and not cacheonly:
        have = {(row['sigkey'], row['checksum_type']) for row in rows}
        binfo = get_build(rinfo['build_id'], strict=True) if rinfo['build_id'] else None
        inserts = []
        for sigkey in sigkeys:
            missing = [ct for ct in checksum_types
                       if (sigkey, koji.CHECKSUM_TYPES[ct]) not in have]
            if not missing or binfo is None:
                continue
            path = os.path.join(koji.pathinfo.build(binfo), koji.pathinfo.signed(rinfo, sigkey))
            if not os.path.exists(path):
                continue
            sums = {ct: _HASHES[ct]() for ct in missing}
            with open(path, 'rb') as fo:
                for block in iter(lambda: fo.read(1048576), b''):
                    for chk in sums.values():
                        chk.update(block)
            for ct, chk in sums.items():
                inserts.append({'rpm_id': rpm_id, 'sigkey': sigkey,
                                'checksum': chk.hexdigest(),
                                'checksum_type': koji.CHECKSUM_TYPES[ct]})
        if inserts:
            from ..core.db import BulkInsertProcessor
            BulkInsertProcessor('rpm_checksum', data=inserts).execute()
            context.commit_pending = True
            rows = query.execute()
    result = {sigkey: {ct: None for ct in checksum_types} for sigkey in sigkeys}
    for row in rows:
        result[row['sigkey']][koji.CHECKSUM_TYPES[row['checksum_type']]] = row['checksum']
    return result


class RpmExports(object):
    """RPM calls, bound into RootExports."""

    addExternalRPM = staticmethod(add_external_rpm_call)
    getRPM = staticmethod(get_rpm)
    listRPMs = staticmethod(list_rpms)
    listBuildRPMs = staticmethod(list_build_rpms)
    getRPMDeps = staticmethod(get_rpm_deps)
    getRPMHeaders = staticmethod(get_rpm_headers)
    listRPMFiles = staticmethod(list_rpm_files)
    getRPMFile = staticmethod(get_rpm_file)
    getRPMChecksums = staticmethod(get_rpm_checksums)
