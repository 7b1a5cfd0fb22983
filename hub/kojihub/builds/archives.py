"""Archives: archive types, archive records (+ maven/win/image facts) and archive import.

Stored archive files live under the build's type directory as koji.pathinfo computes it;
zip/tar member listings are read from those files.
"""
import json
import os
import tarfile
import time
import zipfile

import koji
from koji.context import context
from koji.plugin import run_callbacks
from koji.util import md5_constructor

from .build_write import new_typed_build
from .builds import get_build
from ..core.db import InsertProcessor, QueryProcessor, nextval
from ..core.lookup import lookup_name
from ..core.names import verify_name_internal
from .rpm_import import import_archive_file
from .rpms import apply_query_opts

TYPE_FIELDS = ('id', 'name', 'description', 'extensions', 'compression_type')

ARCHIVE_FIELDS = (
    ('archiveinfo.id', 'id'),
    ('archiveinfo.type_id', 'type_id'),
    ('archiveinfo.btype_id', 'btype_id'),
    ('btype.name', 'btype'),
    ('archiveinfo.build_id', 'build_id'),
    ('archiveinfo.buildroot_id', 'buildroot_id'),
    ('archiveinfo.filename', 'filename'),
    ('archiveinfo.size', 'size'),
    ('archiveinfo.checksum', 'checksum'),
    ('archiveinfo.checksum_type', 'checksum_type'),
    ('archiveinfo.metadata_only', 'metadata_only'),
    ('archiveinfo.extra', 'extra'),
    ('archivetypes.name', 'type_name'),
    ('archivetypes.description', 'type_description'),
    ('archivetypes.extensions', 'type_extensions'),
    ('archivetypes.compression_type', 'compression_type'),
)
ARCHIVE_JOINS = ['archivetypes ON archiveinfo.type_id = archivetypes.id',
                 'LEFT JOIN btype ON archiveinfo.btype_id = btype.id']

# type specific tables: btype -> (table, ((column, alias), ...))
TYPE_TABLES = {
    'maven': ('maven_archives', (('group_id', 'group_id'), ('artifact_id', 'artifact_id'),
                                 ('version', 'version'))),
    'win': ('win_archives', (('relpath', 'relpath'), ('platforms', 'platforms'),
                             ('flags', 'flags'))),
    'image': ('image_archives', (('arch', 'arch'),)),
}


def _decode_extra(row):
    if row.get('extra') is not None:
        row['extra'] = json.loads(row['extra'])
    return row


# -- archive types ------------------------------------------------------------------------


def get_archive_types():
    """Every archive type."""
    return QueryProcessor(columns=list(TYPE_FIELDS), tables=['archivetypes'],
                          opts={'order': 'id'}).execute()


def _match_extension(types, filename):
    """The type whose extension list holds the longest dotted suffix of filename."""
    parts = filename.split('.')
    by_ext = {}
    for atype in types:
        for ext in atype['extensions'].split():
            by_ext.setdefault(ext.lower(), []).append(atype)
    for start in range(1, len(parts)):
        matches = by_ext.get('.'.join(parts[start:]).lower(), [])
        if len(matches) > 1:
            raise koji.GenericError('multiple matches for file extension: %s'
                                    % '.'.join(parts[start:]))
        if matches:
            return matches[0]
    return None


def get_archive_type(filename=None, type_name=None, type_id=None, strict=False):
    """An archive type by id, by name, or by the extension of a file name."""
    if type_id is not None:
        clauses, values = ['id = %(id)s'], {'id': type_id}
    elif type_name is not None:
        clauses, values = ['name = %(name)s'], {'name': type_name}
    elif filename is not None:
        found = _match_extension(get_archive_types(), filename)
        if found is None and strict:
            raise koji.GenericError('unsupported file extension: %s' % filename)
        return found
    else:
        raise koji.GenericError('one of filename, type_name, or type_id must be specified')
    row = QueryProcessor(columns=list(TYPE_FIELDS), tables=['archivetypes'], clauses=clauses,
                         values=values).executeOne()
    if row is None and strict:
        raise koji.GenericError('Invalid archive type: %s' % (type_id if type_id is not None
                                                              else type_name))
    return row


def add_archive_type(name, description, extensions, compression_type=None):
    """addArchiveType (admin): extensions is a space separated list, none already known."""
    context.session.assertPerm('admin')
    verify_name_internal(name)
    if compression_type not in ('zip', 'tar', None):
        raise koji.GenericError('Unsupported compression type %s' % compression_type)
    if not isinstance(extensions, str) or not extensions.split():
        raise koji.GenericError('No file extensions given')
    if not isinstance(description, str):
        raise koji.GenericError('Invalid description: %r' % (description,))
    types = get_archive_types()
    if any(t['name'] == name for t in types):
        raise koji.GenericError('archivetype %s already exists' % name)
    known = {ext.lower() for t in types for ext in t['extensions'].split()}
    for ext in extensions.split():
        if not ext.replace('.', '').isalnum():
            raise koji.GenericError('No such %s file extension' % ext)
        if ext.lower() in known:
            raise koji.GenericError('file extension %s already exists' % ext)
    InsertProcessor('archivetypes', data={'name': name, 'description': description,
                                          'extensions': extensions,
                                          'compression_type': compression_type}).execute()
    context.commit_pending = True


# -- archive records ----------------------------------------------------------------------


def list_archives(buildID=None, buildrootID=None, componentBuildrootID=None, hostID=None,
                  type=None, filename=None, size=None, checksum=None, checksum_type=None,
                  typeInfo=None, queryOpts=None, imageID=None, archiveID=None, strict=False):
    """Archive records matching every given filter (type adds that type's own fields)."""
    fields = list(ARCHIVE_FIELDS)
    joins = list(ARCHIVE_JOINS)
    clauses = []
    values = {}
    simple = (('archiveinfo.build_id', 'buildID', buildID),
              ('archiveinfo.buildroot_id', 'buildrootID', buildrootID),
              ('archiveinfo.filename', 'filename', filename),
              ('archiveinfo.size', 'size', size),
              ('archiveinfo.checksum', 'checksum', checksum),
              ('archiveinfo.checksum_type', 'checksum_type', checksum_type),
              ('archiveinfo.id', 'archiveID', archiveID))
    for column, key, value in simple:
        if value is not None:
            clauses.append('%s = %%(%s)s' % (column, key))
            values[key] = value
    if componentBuildrootID is not None:
        fields += [('buildroot_archives.buildroot_id', 'component_buildroot_id'),
                   ('buildroot_archives.project_dep', 'project')]
        joins.append('buildroot_archives ON archiveinfo.id = buildroot_archives.archive_id')
        clauses.append('buildroot_archives.buildroot_id = %(componentBuildrootID)s')
        values['componentBuildrootID'] = componentBuildrootID
    if imageID is not None:
        joins.append('archive_components ON archiveinfo.id = archive_components.component_id')
        clauses.append('archive_components.archive_id = %(imageID)s')
        values['imageID'] = imageID
    if hostID is not None:
        fields.append(('standard_buildroot.host_id', 'host_id'))
        joins.append('standard_buildroot ON '
                     'archiveinfo.buildroot_id = standard_buildroot.buildroot_id')
        clauses.append('standard_buildroot.host_id = %(hostID)s')
        values['hostID'] = hostID
    typeInfo = typeInfo or {}
    if type is None:
        pass
    elif type in TYPE_TABLES:
        table, columns = TYPE_TABLES[type]
        joins.append('%s ON archiveinfo.id = %s.archive_id' % (table, table))
        for column, alias in columns:
            fields.append(('%s.%s' % (table, column), alias))
            if typeInfo.get(alias) is not None:
                key = 'ti_' + alias
                if type == 'win' and alias in ('platforms', 'flags'):
                    # space separated lists: every requested item must be present
                    items = typeInfo[alias]
                    if isinstance(items, str):
                        items = items.split()
                    clauses.append("%s.%s ~ ALL(%%(%s)s)" % (table, column, key))
                    values[key] = [r'(^|\s)%s(\s|$)' % _re_escape(i) for i in items]
                else:
                    clauses.append('%s.%s = %%(%s)s' % (table, column, key))
                    values[key] = typeInfo[alias]
    else:
        btype = lookup_name('btype', type, strict=False)
        if btype is None:
            raise koji.GenericError('unsupported archive type: %s' % type)
        if typeInfo:
            raise koji.GenericError('typeInfo queries not supported for type %(name)s' % btype)
        clauses.append('archiveinfo.btype_id = %(btype_id)s')
        values['btype_id'] = btype['id']
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=['archiveinfo'], joins=joins, clauses=clauses,
                           values=values, transform=_decode_extra, opts=queryOpts)
    result = query.execute()
    if strict and not result:
        raise koji.GenericError('No archives found.')
    return result


def _re_escape(text):
    return ''.join('\\' + ch if not ch.isalnum() else ch for ch in text)


def get_archive(archive_id, strict=False):
    """One archive with its maven/win/image fields (image adds rootid)."""
    fields = list(ARCHIVE_FIELDS)
    joins = list(ARCHIVE_JOINS)
    for btype, (table, columns) in TYPE_TABLES.items():
        joins.append('LEFT JOIN %s ON archiveinfo.id = %s.archive_id' % (table, table))
        fields.append(('%s.archive_id' % table, '_has_%s' % btype))
        fields += [('%s.%s' % (table, column), '_%s_%s' % (btype, alias))
                   for column, alias in columns]
    fields.append(('EXISTS (SELECT 1 FROM archive_rpm_components AS arc '
                   'WHERE arc.archive_id = archiveinfo.id)', '_rootid'))
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=['archiveinfo'], joins=joins,
                           clauses=['archiveinfo.id = %(id)s'], values={'id': archive_id},
                           transform=_decode_extra)
    row = query.executeOne()
    if row is None:
        if strict:
            raise koji.GenericError('No such archive: %s' % archive_id)
        return None
    result = {key: value for key, value in row.items() if not key.startswith('_')}
    for btype, (_table, columns) in TYPE_TABLES.items():
        if row['_has_%s' % btype] is not None:
            for _column, alias in columns:
                result[alias] = row['_%s_%s' % (btype, alias)]
            if btype == 'image':
                result['rootid'] = row['_rootid']
    return result


def archive_path(archive, build):
    """Absolute path of a stored archive file."""
    btype = archive.get('btype')
    if btype == 'maven':
        return os.path.join(koji.pathinfo.mavenbuild(build), koji.pathinfo.mavenfile(archive))
    if btype == 'win':
        return os.path.join(koji.pathinfo.winbuild(build), koji.pathinfo.winfile(archive))
    if btype == 'image':
        return os.path.join(koji.pathinfo.imagebuild(build), archive['filename'])
    if btype:
        return os.path.join(koji.pathinfo.typedir(build, btype), archive['filename'])
    raise koji.GenericError('Unsupported archive type')


def _zip_members(archive_id, path):
    with zipfile.ZipFile(path) as archive:
        for entry in archive.infolist():
            if entry.filename.endswith('/'):
                continue
            yield {'archive_id': archive_id, 'name': entry.filename,
                   'size': entry.file_size,
                   'mtime': int(time.mktime(entry.date_time + (0, 0, -1)))}


def _tar_members(archive_id, path):
    with tarfile.open(path) as archive:
        for entry in archive:
            if entry.isdir():
                continue
            yield {'archive_id': archive_id, 'name': entry.name, 'size': entry.size,
                   'mtime': int(entry.mtime), 'mode': entry.mode, 'user': entry.uname,
                   'group': entry.gname}


def _archive_members(archive_id, strict):
    archive = get_archive(archive_id, strict=True)
    build = get_build(archive['build_id'], strict=True)
    path = archive_path(archive, build)
    kind = archive['compression_type']
    if kind == 'zip':
        return list(_zip_members(archive['id'], path))
    if kind == 'tar':
        return list(_tar_members(archive['id'], path))
    if strict:
        raise koji.GenericError('Unsupported archive type: %s' % archive['type_name'])
    return []


def list_archive_files(archive_id, queryOpts=None, strict=False):
    """Members of a stored zip or tar archive."""
    return apply_query_opts(_archive_members(archive_id, strict), queryOpts)


def get_archive_file(archive_id, filename, strict=False):
    """One member of a stored zip/tar archive, None when absent and not strict."""
    for member in _archive_members(archive_id, strict):
        if member['name'] == filename:
            return member
    if strict:
        raise koji.GenericError('No such file: %s in archive#%s' % (filename, archive_id))
    return None


# -- import ------------------------------------------------------------------------------


def _file_md5(path):
    chk = md5_constructor()
    with open(path, 'rb') as fo:
        for block in iter(lambda: fo.read(1048576), b''):
            chk.update(block)
    return chk.hexdigest()


def _type_row(type, typeInfo, buildinfo):
    """Row for the type specific table and the directory the file goes to."""
    if type == 'maven':
        for key in ('group_id', 'artifact_id', 'version'):
            if not typeInfo.get(key):
                raise koji.GenericError('Missing maven info: %s' % key)
        row = {key: typeInfo[key] for key in ('group_id', 'artifact_id', 'version')}
        destdir = os.path.join(koji.pathinfo.mavenbuild(buildinfo),
                               koji.pathinfo.mavenrepo(row))
        return row, destdir
    if type == 'win':
        relpath = (typeInfo.get('relpath') or '').strip('/')
        if relpath and (os.path.normpath(relpath).startswith('..')
                        or os.path.isabs(relpath)):
            raise koji.GenericError('Invalid relpath: %s' % relpath)
        platforms = typeInfo.get('platforms') or []
        flags = typeInfo.get('flags') or []
        row = {'relpath': relpath,
               'platforms': ' '.join(platforms) if isinstance(platforms, list) else platforms,
               'flags': ' '.join(flags) if isinstance(flags, list) else flags}
        return row, os.path.join(koji.pathinfo.winbuild(buildinfo), relpath)
    if type == 'image':
        if not typeInfo.get('arch'):
            raise koji.GenericError('Missing image info: arch')
        return {'arch': typeInfo['arch']}, koji.pathinfo.imagebuild(buildinfo)
    return None, koji.pathinfo.typedir(buildinfo, type)


def import_archive(filepath, buildinfo, type, typeInfo, buildroot_id=None, fileinfo=None):
    """Record and store the file at filepath as an archive of buildinfo; returns the record.

    type is a build type name: maven/win/image use their own tables, any other registered
    btype is a generic archive stored under files/<btype>/.
    """
    if not os.path.exists(filepath):
        raise koji.GenericError('No such file: %s' % filepath)
    typeInfo = typeInfo or {}
    btype = lookup_name('btype', type, strict=False)
    if btype is None:
        raise koji.GenericError('unsupported archive type: %s' % type)
    if type in ('maven', 'win'):
        has = QueryProcessor(columns=['build_id'], tables=['%s_builds' % type],
                             clauses=['build_id = %(id)s'],
                             values={'id': buildinfo['id']}).executeOne()
        if has is None:
            raise koji.GenericError('Build %s is not a %s build' % (buildinfo['nvr'], type))
    else:
        new_typed_build(buildinfo, type)
    filename = os.path.basename(filepath)
    archivetype = get_archive_type(filename=filename, strict=True)
    type_row, destdir = _type_row(type, typeInfo, buildinfo)
    archiveinfo = {
        'id': nextval('archiveinfo_id_seq'),
        'type_id': archivetype['id'],
        'btype_id': btype['id'],
        'build_id': buildinfo['id'],
        'buildroot_id': buildroot_id,
        'filename': filename,
        'size': os.path.getsize(filepath),
        'checksum': _file_md5(filepath),
        'checksum_type': koji.CHECKSUM_TYPES['md5'],
    }
    if fileinfo:
        for key in ('size', 'checksum'):
            if key in fileinfo and fileinfo[key] != archiveinfo[key]:
                raise koji.GenericError('File %s: %s mismatch (%s != %s)'
                                        % (filename, key, fileinfo[key], archiveinfo[key]))
    run_callbacks('preImport', type='archive', archive=archiveinfo, build=buildinfo,
                  build_type=type, filepath=filepath, fileinfo=fileinfo)
    InsertProcessor('archiveinfo', data=archiveinfo).execute()
    if type_row is not None:
        type_row['archive_id'] = archiveinfo['id']
        InsertProcessor(TYPE_TABLES[type][0], data=type_row).execute()
    context.commit_pending = True
    import_archive_file(filepath, destdir)
    archiveinfo = get_archive(archiveinfo['id'], strict=True)
    run_callbacks('postImport', type='archive', archive=archiveinfo, build=buildinfo,
                  build_type=type, filepath=filepath, fileinfo=fileinfo)
    return archiveinfo


IMPORT_PERMS = {'maven': 'maven-import', 'win': 'win-import', 'image': 'image-import'}


def import_archive_call(filepath, buildinfo, type, typeInfo):
    """importArchive: a work-area file (path relative to work/) joins an existing build."""
    if type not in IMPORT_PERMS:
        raise koji.GenericError('unsupported archive type: %s' % type)
    context.session.assertPerm(IMPORT_PERMS[type])
    if type == 'maven' and not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')
    if type == 'win' and not context.opts.get('EnableWin'):
        raise koji.GenericError('Windows support not enabled')
    if not isinstance(filepath, str) or filepath.startswith('/') or \
            os.path.normpath(filepath).startswith('..'):
        raise koji.GenericError('Invalid file path: %s' % (filepath,))
    buildinfo = get_build(buildinfo, strict=True)
    fullpath = os.path.join(koji.pathinfo.work(), os.path.normpath(filepath))
    import_archive(fullpath, buildinfo, type, typeInfo)


class ArchiveExports(object):
    """Archive calls, bound into RootExports."""

    getArchiveTypes = staticmethod(get_archive_types)
    getArchiveType = staticmethod(get_archive_type)
    addArchiveType = staticmethod(add_archive_type)
    listArchives = staticmethod(list_archives)
    getArchive = staticmethod(get_archive)
    listArchiveFiles = staticmethod(list_archive_files)
    getArchiveFile = staticmethod(get_archive_file)
    importArchive = staticmethod(import_archive_call)
