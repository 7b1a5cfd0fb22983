"""CG output files: checked against the metadata before the import starts (size,
checksum, buildroot, type), then stored: rpms and logs by the builds/ helpers, archives
here (the checksum the CG gave, its extra, an optional subdir) with their components.
Every file move goes through the caller's Moves so a failed import puts them back."""
import hashlib
import json
import os

import koji
from koji.context import context
from koji.plugin import run_callbacks
from koji.util import joinpath, md5_constructor

from ..builds.archives import TYPE_TABLES, get_archive, get_archive_type
from ..builds.build_info import get_build_type
from ..builds.rpm_batch import import_build_log, import_rpms
from ..core.db import BulkInsertProcessor, InsertProcessor, nextval
from ..core.lookup import lookup_name
from ..tasks.uploads import get_verify_class
from .components import match_components
from .metadata import LEGACY_BTYPES, work_path


def _file_checksum(path, checksum_type):
    chksum = get_verify_class(checksum_type)()
    with open(path, 'rb') as fo:
        for block in iter(lambda: fo.read(1048576), b''):
            chksum.update(block)
    return chksum.hexdigest()


def _archive_btype(fileinfo, typeinfo):
    """(btype, type info) of an archive output, from a legacy key or extra.typeinfo."""
    extra = fileinfo.get('extra', {})
    btype = None
    type_info = None
    for key in extra:
        if key not in LEGACY_BTYPES:
            continue
        if btype is not None:
            raise koji.GenericError('Output file has multiple types: %(filename)s' % fileinfo)
        btype = key
        type_info = extra[key]
        if fileinfo.get('subdir'):
            raise koji.GenericError('subdir field not allowed for legacy btypes')
    for key in extra.get('typeinfo', {}):
        if btype == key:
            raise koji.GenericError('Duplicate typeinfo for: %r' % btype)
        elif btype is not None:
            raise koji.GenericError('Output file has multiple types: %(filename)s' % fileinfo)
        btype = key
        type_info = extra['typeinfo'][key]
    if btype is None:
        raise koji.GenericError('No typeinfo for: %(filename)s' % fileinfo)
    if btype not in typeinfo:
        raise koji.GenericError('Output type %s not listed in build types' % btype)
    return btype, type_info


def prep_outputs(metadata, directory, br_prep, typeinfo, log):
    """Checked copies of metadata['output'] with the hub's facts under 'hub.*' keys."""
    outputs = []
    for fileinfo in metadata['output']:
        fileinfo = fileinfo.copy()
        path = work_path(directory, fileinfo.get('relpath') or '', fileinfo['filename'])
        if not os.path.isfile(path):
            raise koji.GenericError('No such file: %s' % path)
        fileinfo['hub.path'] = path
        filesize = os.path.getsize(path)
        if filesize != fileinfo['filesize']:
            raise koji.GenericError("File size %s for %s (expected %s) doesn't match. "
                                    "Corrupted upload?"
                                    % (filesize, fileinfo['filename'], fileinfo['filesize']))
        digest = _file_checksum(path, fileinfo['checksum_type'])
        if fileinfo['checksum'] != digest:
            raise koji.GenericError('File checksum mismatch for %s: %s != %s'
                                    % (fileinfo['filename'], fileinfo['checksum'], digest))
        if fileinfo['buildroot_id'] not in br_prep:
            raise koji.GenericError('Missing buildroot metadata for id %(buildroot_id)r'
                                    % fileinfo)
        if fileinfo['type'] not in ('rpm', 'log'):
            btype, type_info = _archive_btype(fileinfo, typeinfo)
            fileinfo['hub.btype'] = btype
            fileinfo['hub.type_info'] = type_info
            if 'components' in fileinfo:
                if btype in ('maven', 'win'):
                    raise koji.GenericError('Component list not allowed for archives of '
                                            'type %s' % btype)
                rpms, archives = match_components(fileinfo['components'], log)
                fileinfo['hub.rpmlist'] = rpms
                fileinfo['hub.archives'] = archives
        if fileinfo['type'] == 'rpm':
            if fileinfo.get('subdir'):
                raise koji.GenericError('subdir field not allowed for rpm outputs')
            koji.check_NVRA(fileinfo['filename'], strict=True)
        outputs.append(fileinfo)
    return outputs


def _maven_sums(mavendir, moves):
    """.md5 and .sha1 files next to each file of a maven dir (kept when present)."""
    names = os.listdir(mavendir)
    for name in names:
        path = os.path.join(mavendir, name)
        if os.path.splitext(name)[1] in ('.md5', '.sha1') or not os.path.isfile(path):
            continue
        for ext, constructor in (('.md5', md5_constructor), ('.sha1', hashlib.sha1)):
            if name + ext in names:
                continue
            digest = constructor()
            with open(path, 'rb') as fo:
                for block in iter(lambda: fo.read(1048576), b''):
                    digest.update(block)
            moves.write(path + ext, digest.hexdigest().encode())


def _check_pom(path, filename, type_info):
    """A pom must describe the artifact its typeinfo names, under the expected name."""
    pom_info = koji.pom_to_maven_info(koji.parse_pom(path))
    if koji.mavenLabel(pom_info) != koji.mavenLabel(type_info):
        raise koji.BuildError('Maven info from .pom file (%s) does not match user-supplied '
                              'typeInfo (%s)'
                              % (koji.mavenLabel(pom_info), koji.mavenLabel(type_info)))
    if filename != '%(artifact_id)s-%(version)s.pom' % type_info:
        raise koji.BuildError('Maven info (%s) is not consistent with pom filename (%s)'
                              % (koji.mavenLabel(type_info), filename))


def _type_dir(binfo, btype, type_info, fileinfo):
    """(type table row or None, destination dir) of an archive."""
    if btype == 'maven':
        row = {key: type_info[key] for key in ('group_id', 'artifact_id', 'version')}
        return row, joinpath(koji.pathinfo.mavenbuild(binfo), koji.pathinfo.mavenrepo(row))
    if btype == 'win':
        relpath = type_info['relpath'].strip('/')
        if not type_info['platforms']:
            raise koji.BuildError('no value for platforms')
        row = {'relpath': relpath, 'platforms': ' '.join(type_info['platforms']),
               'flags': ' '.join(type_info['flags']) if type_info.get('flags') else None}
        destdir = koji.pathinfo.winbuild(binfo)
        return row, joinpath(destdir, relpath) if relpath else destdir
    if btype == 'image':
        return {'arch': type_info['arch']}, koji.pathinfo.imagebuild(binfo)
    destdir = koji.pathinfo.typedir(binfo, btype)
    if fileinfo.get('subdir'):
        destdir = joinpath(destdir, fileinfo['subdir'])
    return None, destdir


def import_archive(binfo, br_id, fileinfo, moves, build_types=None):
    """Record and store one archive output; returns the archive record.

    build_types (the build's type names) saves a lookup per archive.
    """
    if binfo.get('draft'):
        # only rpms may be drafts so far
        raise koji.GenericError('Draft build not supported')
    path = fileinfo['hub.path']
    btype = fileinfo['hub.btype']
    type_info = fileinfo['hub.type_info']
    filename = koji.fixEncoding(os.path.basename(path))
    archiveinfo = {
        'buildroot_id': br_id,
        'build_id': binfo['id'],
        'filename': filename,
        'size': os.path.getsize(path),
        # prep_outputs already verified the CG's checksum
        'checksum': fileinfo['checksum'],
        'checksum_type': koji.CHECKSUM_TYPES[fileinfo['checksum_type']],
    }
    archivetype = get_archive_type(filename, strict=True)
    archiveinfo['type_id'] = archivetype['id']
    btype_row = lookup_name('btype', btype, strict=False)
    if btype_row is None:
        raise koji.BuildError('unsupported build type: %s' % btype)
    if build_types is None:
        build_types = get_build_type(binfo, strict=True)
    if btype_row['name'] not in build_types:
        raise koji.ImportError('Build does not have type %s' % btype_row['name'])
    archiveinfo['btype_id'] = btype_row['id']
    metadata_only = bool(fileinfo.get('metadata_only', False))
    if metadata_only:
        if fileinfo['checksum_type'] not in ('md5', 'sha256'):
            raise koji.GenericError('Unsupported checksum type: %(checksum_type)s' % fileinfo)
        archiveinfo['size'] = fileinfo['filesize']
        archiveinfo['metadata_only'] = True
    if fileinfo.get('extra') is not None:
        archiveinfo['extra'] = json.dumps(fileinfo['extra'])
    run_callbacks('preImport', type='archive', archive=archiveinfo, build=binfo,
                  build_type=btype, filepath=path, fileinfo=fileinfo)
    archiveinfo['id'] = nextval('archiveinfo_id_seq')
    type_row, destdir = _type_dir(binfo, btype, type_info, fileinfo)
    if btype == 'maven' and archivetype['name'] == 'pom' and not metadata_only:
        _check_pom(path, filename, type_info)
    InsertProcessor('archiveinfo', data=archiveinfo).execute()
    if type_row is not None:
        type_row['archive_id'] = archiveinfo['id']
        InsertProcessor(TYPE_TABLES[btype][0], data=type_row).execute()
    context.commit_pending = True
    if not metadata_only:
        final = joinpath(destdir, filename)
        if os.path.exists(final):
            raise koji.GenericError('Error importing archive file, %s already exists' % final)
        if os.path.islink(path) or not os.path.isfile(path):
            raise koji.GenericError('Error importing archive file, %s is not a regular file'
                                    % path)
        moves.move(path, final)
        if btype == 'maven':
            _maven_sums(destdir, moves)
    if 'components' in fileinfo:
        _import_components(archiveinfo['id'], fileinfo)
    archiveinfo = get_archive(archiveinfo['id'], strict=True)
    run_callbacks('postImport', type='archive', archive=archiveinfo, build=binfo,
                  build_type=btype, filepath=path, fileinfo=fileinfo)
    return archiveinfo


def _import_components(archive_id, fileinfo):
    rpm_ids = sorted({r['id'] for r in fileinfo['hub.rpmlist']})
    if rpm_ids:
        BulkInsertProcessor('archive_rpm_components',
                            data=[{'archive_id': archive_id, 'rpm_id': i}
                                  for i in rpm_ids]).execute()
    archive_ids = sorted({a['id'] for a in fileinfo['hub.archives']})
    if archive_ids:
        BulkInsertProcessor('archive_components',
                            data=[{'archive_id': archive_id, 'component_id': i}
                                  for i in archive_ids]).execute()


def import_outputs(binfo, outputs, brmap, moves):
    """Store every prepared output in the build: the rpms together (a few statements for
    all of them), then logs and archives."""
    rpms = []
    others = []
    for fileinfo in outputs:
        br_id = brmap.get(fileinfo['buildroot_id'])
        if br_id is None:
            raise koji.GenericError('Unable to map buildroot %(buildroot_id)s' % fileinfo)
        if fileinfo['type'] == 'rpm':
            if fileinfo.get('metadata_only', False):
                raise koji.GenericError('Metadata-only imports are not supported for rpms')
            rpms.append((fileinfo['hub.path'], br_id, fileinfo))
        else:
            others.append((fileinfo, br_id))
    if rpms:
        import_rpms(binfo, rpms, moves)
    build_types = None
    for fileinfo, br_id in others:
        if fileinfo['type'] == 'log':
            if fileinfo.get('metadata_only', False):
                continue
            import_build_log(fileinfo['hub.path'], binfo, subdir=fileinfo.get('subdir'),
                             moves=moves)
        else:
            if build_types is None:
                build_types = set(get_build_type(binfo, strict=True))
            import_archive(binfo, br_id, fileinfo, moves, build_types)
