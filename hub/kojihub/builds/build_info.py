"""Per-build details beyond the build row: type facts, changelogs, logs, next release.

getMavenBuild/getWinBuild/getImageBuild and the matching archive calls read the
type-specific tables; getChangelogEntries reads the changelog out of the stored source
rpm (or a task's output rpm) through the rpm bindings, since the database keeps no
changelog; getBuildLogs walks the build's log directory.
"""
import calendar
import datetime
import logging
import os
import xmlrpc.client

import koji
import koji.util

from .builds import find_build_id, get_build
from ..core.db import QueryProcessor
from .rpms import apply_query_opts, list_rpms

logger = logging.getLogger('koji.hub.build_info')

# table and columns of each legacy build type, in the key order upstream reports
_TYPED_BUILDS = {
    'maven': ('maven_builds', ('build_id', 'group_id', 'artifact_id', 'version')),
    'win': ('win_builds', ('build_id', 'platform')),
    'image': ('image_builds', ('build_id',)),
}
_TYPED_ARCHIVES = {
    'maven': ('maven_archives', ('archive_id', 'group_id', 'artifact_id', 'version')),
    'win': ('win_archives', ('archive_id', 'relpath', 'platforms', 'flags')),
    'image': ('image_archives', ('archive_id', 'arch')),
}


def _typed_build(btype, buildInfo, strict):
    build_id = find_build_id(buildInfo, strict=strict)
    if not build_id:
        return None
    table, columns = _TYPED_BUILDS[btype]
    query = QueryProcessor(columns=list(columns), tables=[table],
                           clauses=['build_id = %(build_id)s'], values={'build_id': build_id})
    return query.executeOne(strict=strict)


def get_build_type(buildInfo, strict=False):
    """{btype name: typeinfo} of a build: maven/win/image from their tables, other types
    from extra['typeinfo']."""
    build = get_build(buildInfo, strict=strict)
    if build is None:
        return None
    query = QueryProcessor(columns=['btype.name'], aliases=['name'],
                           tables=['build_types'],
                           joins=['btype ON build_types.btype_id = btype.id'],
                           clauses=['build_types.build_id = %(build_id)s'],
                           values={'build_id': build['id']}, opts={'asList': True})
    typeinfo = (build.get('extra') or {}).get('typeinfo') or {}
    result = {}
    for (name,) in query.execute():
        if name in _TYPED_BUILDS:
            result[name] = _typed_build(name, build['id'], False)
        else:
            result[name] = typeinfo.get(name)
    return result


def get_maven_build(buildInfo, strict=False):
    """Maven coordinates of a build (None when it is not a maven build)."""
    return _typed_build('maven', buildInfo, strict)


def get_win_build(buildInfo, strict=False):
    """Windows platform of a build (None when it is not a windows build)."""
    return _typed_build('win', buildInfo, strict)


def get_image_build(buildInfo, strict=False):
    """{'build_id'} when the build is an image build, else None."""
    return _typed_build('image', buildInfo, strict)


def _typed_archive(btype, archive_id, strict, extra_columns=()):
    table, columns = _TYPED_ARCHIVES[btype]
    fields = [('%s.%s' % (table, col), col) for col in columns] + list(extra_columns)
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=[table], clauses=['%s.archive_id = %%(archive_id)s' % table],
                           values={'archive_id': archive_id})
    return query.executeOne(strict=strict)


def get_maven_archive(archive_id, strict=False):
    """Maven coordinates of one archive, or None."""
    return _typed_archive('maven', archive_id, strict)


def get_win_archive(archive_id, strict=False):
    """relpath, platforms and flags of one windows archive, or None."""
    return _typed_archive('win', archive_id, strict)


def get_image_archive(archive_id, strict=False):
    """Arch of one image archive; rootid says whether rpm components are recorded."""
    rootid = ('EXISTS (SELECT 1 FROM archive_rpm_components AS arc '
              'WHERE arc.archive_id = image_archives.archive_id)', 'rootid')
    return _typed_archive('image', archive_id, strict, extra_columns=[rootid])


# -- changelogs ---------------------------------------------------------------------------


def _epoch_arg(value, name):
    """before/after as epoch seconds; datetimes and text are read as UTC."""
    if isinstance(value, bool):
        raise koji.GenericError('Invalid type for %s: %s' % (name, type(value)))
    if isinstance(value, int):
        return value
    if isinstance(value, xmlrpc.client.DateTime):
        value = datetime.datetime.strptime(value.value, '%Y%m%dT%H:%M:%S')
    if isinstance(value, datetime.datetime):
        return calendar.timegm(value.utctimetuple())
    if isinstance(value, str):
        seconds = koji.util.parseTime(value)
        if seconds is None:
            raise koji.GenericError('Invalid time for %s: %s' % (name, value))
        return seconds
    raise koji.GenericError('Invalid type for %s: %s' % (name, type(value)))


def _changelog_source(buildID, taskID, filepath, strict):
    """Path of the rpm whose header holds the changelog, or None when there is none."""
    if buildID:
        build = get_build(buildID)
        if not build:
            if strict:
                raise koji.GenericError('No such build: %s' % buildID)
            return None
        srpms = list_rpms(buildID=build['id'], arches='src')
        if not srpms:
            if strict:
                raise koji.GenericError("Build %s doesn't have srpms" % buildID)
            return None
        path = os.path.join(koji.pathinfo.build(build), koji.pathinfo.rpm(srpms[0]))
    elif taskID:
        if not filepath:
            raise koji.GenericError('filepath must be specified with taskID')
        if filepath.startswith('/') or '../' in filepath:
            raise koji.GenericError('Invalid filepath: %s' % filepath)
        path = os.path.join(koji.pathinfo.work(), koji.pathinfo.taskrelpath(taskID), filepath)
    else:
        raise koji.GenericError('either buildID or taskID and filepath must be specified')
    if not os.path.exists(path):
        if strict:
            raise koji.GenericError("SRPM %s doesn't exist" % path)
        return None
    return path


def get_changelog_entries(buildID=None, taskID=None, filepath=None, author=None, before=None,
                          after=None, queryOpts=None, strict=False):
    """Changelog entries of a build's srpm (or of rpm filepath in a task's output).

    Newest first unless queryOpts orders otherwise; 'date' orders by the timestamp.
    before/after compare with the entry time (exclusive). Missing sources give [] unless
    strict.
    """
    queryOpts = dict(queryOpts or {})
    if queryOpts.get('order') in ('date', '-date'):
        queryOpts['order'] = queryOpts['order'].replace('date', 'date_ts')
    path = _changelog_source(buildID, taskID, filepath, strict)
    if path is None:
        return apply_query_opts([], queryOpts)
    before = _epoch_arg(before, 'before') if before else None
    after = _epoch_arg(after, 'after') if after else None
    try:
        fields = koji.get_header_fields(path, ['changelogtime', 'changelogname',
                                               'changelogtext'])
    except koji.GenericError:
        raise
    except Exception as exc:
        raise koji.GenericError('Unable to read rpm header of %s: %s' % (path, exc))
    entries = []
    for when, who, text in zip(fields['changelogtime'], fields['changelogname'],
                               fields['changelogtext']):
        if author and author != who:
            continue
        if before and not when < before:
            continue
        if after and not when > after:
            continue
        date = datetime.datetime.fromtimestamp(when).isoformat(' ')
        entries.append({'date': date, 'date_ts': when, 'author': who, 'text': text})
    entries = apply_query_opts(entries, queryOpts)
    if queryOpts.get('asList') and isinstance(entries, list):
        entries = [[e['date'], e['author'], e['text']] for e in entries]
    return koji.fixEncodingRecurse(entries, remove_nonprintable=True)


# -- build logs and release numbers -------------------------------------------------------


def get_build_logs(build):
    """Regular files under the build's log directory: name, dir (relative), path (from top)."""
    binfo = get_build(build, strict=True)
    logdir = koji.pathinfo.build_logs(binfo)
    if not os.path.exists(logdir):
        return []
    if not os.path.isdir(logdir):
        raise koji.GenericError('Not a directory: %s' % logdir)
    topdir = koji.pathinfo.topdir
    logs = []
    for dirpath, _dirs, files in os.walk(logdir):
        subdir = os.path.relpath(dirpath, logdir)
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                logger.warning('Symlink under logs dir: %s', path)
                continue
            if not os.path.isfile(path):
                logger.warning('Non-regular file under logs dir: %s', path)
                continue
            logs.append({'name': name, 'dir': subdir, 'path': os.path.relpath(path, topdir)})
    return logs


def _bump_release(release, incr):
    """release with its counter raised by incr: 'N', 'N.suffix' or 'x.y.N' forms."""
    if release.isdigit():
        return str(int(release) + incr)
    parts = release.split('.')
    if len(parts) == 2 and parts[0].isdigit():
        return '%d.%s' % (int(parts[0]) + incr, parts[1])
    if len(parts) == 3 and parts[2].isdigit():
        return '%s.%s.%d' % (parts[0], parts[1], int(parts[2]) + incr)
    raise koji.BuildError('Unable to increment release value: %s' % release)


def _name_version(build_info):
    if isinstance(build_info, dict) and build_info.get('id') is None:
        if not build_info.get('name') or not build_info.get('version'):
            raise koji.ParameterError('build_info needs name and version: %r' % (build_info,))
        return build_info['name'], build_info['version']
    build = get_build(build_info, strict=True)
    return build['name'], build['version']


def get_next_release(build_info, incr=1):
    """The release a new build of build_info's name and version should get.

    Counts from the newest non-draft build that is building, complete or deleted.
    """
    if isinstance(incr, bool) or not isinstance(incr, int):
        raise koji.ParameterError('incr parameter must be an integer')
    name, version = _name_version(build_info)
    states = [koji.BUILD_STATES[s] for s in ('COMPLETE', 'DELETED', 'BUILDING')]
    query = QueryProcessor(columns=['build.id', 'build.release'], aliases=['id', 'release'],
                           tables=['build'], joins=['package ON build.pkg_id = package.id'],
                           clauses=['NOT build.draft', 'package.name = %(name)s',
                                    'build.state = ANY(%(states)s)',
                                    'build.version = %(version)s'],
                           values={'name': name, 'version': version, 'states': states},
                           opts={'order': '-id', 'limit': 1})
    row = query.executeOne()
    if row is None or not row['release']:
        return str(incr)
    return _bump_release(row['release'], incr)


class BuildInfoExports(object):
    """Build detail calls, bound into RootExports."""

    getBuildType = staticmethod(get_build_type)
    getMavenBuild = staticmethod(get_maven_build)
    getWinBuild = staticmethod(get_win_build)
    getImageBuild = staticmethod(get_image_build)
    getMavenArchive = staticmethod(get_maven_archive)
    getWinArchive = staticmethod(get_win_archive)
    getImageArchive = staticmethod(get_image_archive)
    getChangelogEntries = staticmethod(get_changelog_entries)
    getBuildLogs = staticmethod(get_build_logs)
    getNextRelease = staticmethod(get_next_release)
