"""Matching CG component lists (rpm, file, kojifile entries) to what Koji already has.

One query per component kind for the whole list.  Unmatched rpms and files are logged
to the import's log and skipped, as upstream does until external references are tracked;
a draft rpm is refused.
"""
import koji

from ..core.db import QueryProcessor

COMPONENT_TYPES = ('rpm', 'file', 'kojifile')


def _rpm_rows(comps):
    """{(name, version, release, arch): [rows]} of every rpm of those NVRAs."""
    if not comps:
        return {}
    query = QueryProcessor(
        tables=['rpminfo'],
        columns=['rpminfo.id', 'rpminfo.name', 'rpminfo.version', 'rpminfo.release',
                 'rpminfo.arch', 'rpminfo.epoch', 'rpminfo.payloadhash',
                 'rpminfo.external_repo_id', 'rpminfo.build_id', 'rpminfo.draft'],
        aliases=['id', 'name', 'version', 'release', 'arch', 'epoch', 'payloadhash',
                 'external_repo_id', 'build_id', 'draft'],
        joins=['unnest(%(names)s::text[], %(versions)s::text[], %(releases)s::text[], '
               '%(arches)s::text[]) AS n(name, version, release, arch) '
               'ON rpminfo.name = n.name AND rpminfo.version = n.version '
               'AND rpminfo.release = n.release AND rpminfo.arch = n.arch'],
        values={'names': [c.get('name') for c in comps],
                'versions': [c.get('version') for c in comps],
                'releases': [c.get('release') for c in comps],
                'arches': [c.get('arch') for c in comps]},
        opts={'order': 'id'})
    found = {}
    for row in query.execute():
        key = (row['name'], row['version'], row['release'], row['arch'])
        found.setdefault(key, []).append(row)
    return found


def _pick_rpm(rows):
    """The rpm an NVRA means, as getRPM picks it: the internal non-draft one, else the
    newest draft (which a CG may not use), else an external one."""
    internal = [r for r in rows if not r['external_repo_id']]
    nondraft = [r for r in internal if not r['draft']]
    if nondraft:
        return nondraft[0]
    if internal:
        raise koji.GenericError('Draft rpm not supported')
    return rows[-1] if rows else None


def _file_rows(comps):
    if not comps:
        return []
    query = QueryProcessor(
        tables=['archiveinfo'],
        columns=['id', 'filename', 'size', 'checksum', 'checksum_type', 'build_id'],
        clauses=['filename = ANY(%(names)s)'],
        values={'names': sorted({c['filename'] for c in comps})}, opts={'order': 'id'})
    return query.execute()


def _kojifile_rows(comps):
    ids = sorted({c['archive_id'] for c in comps})
    if not ids:
        return {}
    query = QueryProcessor(
        tables=['archiveinfo'],
        columns=['archiveinfo.id', 'archiveinfo.filename', 'archiveinfo.size',
                 'archiveinfo.checksum', 'archiveinfo.checksum_type', 'archiveinfo.build_id',
                 "package.name || '-' || build.version || '-' || build.release"],
        aliases=['id', 'filename', 'size', 'checksum', 'checksum_type', 'build_id', 'nvr'],
        joins=['build ON archiveinfo.build_id = build.id',
               'package ON build.pkg_id = package.id'],
        clauses=['archiveinfo.id = ANY(%(ids)s)'], values={'ids': ids})
    return {row['id']: row for row in query.execute()}


def _check_kojifile(comp, archive):
    if archive is None:
        raise koji.GenericError('No such archive: %s' % comp['archive_id'])
    for key in ('nvr', 'filename'):
        if key not in comp:
            raise koji.GenericError('%s field missing for component, archive_id=%s'
                                    % (key, archive['id']))
    expected = {
        'nvr': archive['nvr'],
        'filename': archive['filename'],
        'filesize': int(archive['size']),
        'checksum': archive['checksum'],
        'checksum_type': koji.CHECKSUM_TYPES[archive['checksum_type']],
    }
    for key, value in expected.items():
        if key in comp and value != comp[key]:
            raise koji.GenericError('Component field %s does not match for archive_id=%s: '
                                    '%s != %s' % (key, archive['id'], value, comp[key]))


def match_components(components, log):
    """(rpm rows, archive rows) that the component list names; log(level, msg) notes
    what was skipped."""
    rpm_comps, file_comps, koji_comps = [], [], []
    for comp in components:
        kind = comp['type']
        if kind == 'rpm':
            if 'location' in comp:
                raise koji.GenericError('External rpms not allowed')
            if 'id' in comp:
                raise koji.GenericError("Unexpected 'id' field in component")
            rpm_comps.append(comp)
        elif kind == 'file':
            file_comps.append(comp)
        elif kind == 'kojifile':
            koji_comps.append(comp)
        else:
            raise koji.GenericError('No such component type: %(type)s' % comp)
    rpms = []
    found = _rpm_rows(rpm_comps)
    for comp in rpm_comps:
        row = _pick_rpm(found.get((comp['name'], comp['version'], comp['release'],
                                   comp['arch']), []))
        if row is None:
            log('warning', 'IGNORING unmatched rpm component: %r' % comp)
            continue
        if row['payloadhash'] != comp.get('sigmd5'):
            log('warning', 'IGNORING rpm component (md5 mismatch): %r' % comp)
        rpms.append(row)
    archives = []
    rows = _file_rows(file_comps)
    for comp in file_comps:
        mismatches = 0
        match = None
        for row in rows:
            if row['filename'] != comp['filename'] or row['size'] != comp['filesize']:
                continue
            if row['checksum_type'] != koji.CHECKSUM_TYPES[comp['checksum_type']]:
                mismatches += 1
                continue
            if row['checksum'] == comp['checksum']:
                match = row
                break
        if match is not None:
            archives.append(match)
            continue
        log('error', 'Failed to match archive %(filename)s (size %(filesize)s, '
                     'sum %(checksum)s' % comp)
        if mismatches:
            log('error', 'Match failed with %i type mismatches' % mismatches)
        log('warning', 'IGNORING unmatched archive: %r' % comp)
    kojifiles = _kojifile_rows(koji_comps)
    for comp in koji_comps:
        archive = kojifiles.get(comp['archive_id'])
        _check_kojifile(comp, archive)
        archives.append(archive)
    return rpms, archives
