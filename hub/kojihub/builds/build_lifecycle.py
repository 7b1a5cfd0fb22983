"""Build lifecycle calls: reset, delete, cancel, owner/timestamp fixes, references.

Every change to a build row goes through ``build_write.change_build`` so the pre/post
BuildStateChange callbacks fire the same way for each attribute.
"""
import logging
import os
import time
import xmlrpc.client

import koji
from koji.context import context

from .build_write import change_build
from .builds import get_build
from ..core.db import DeleteProcessor, QueryProcessor, UpdateProcessor, _multiRow
from ..tags.packages import get_package_id
from ..users.users import get_user

logger = logging.getLogger('koji.hub.builds')

STATES = koji.BUILD_STATES

# tables whose rows hang off a build's rpms / archives / the build itself, in the order
# they must be emptied so no foreign key is left dangling
_RPM_CHILDREN = ('rpmsigs', 'rpm_checksum', 'buildroot_listing', 'archive_rpm_components')
_ARCHIVE_CHILDREN = (('maven_archives', 'archive_id'), ('win_archives', 'archive_id'),
                     ('image_archives', 'archive_id'), ('buildroot_archives', 'archive_id'),
                     ('archive_rpm_components', 'archive_id'),
                     ('archive_components', 'archive_id'),
                     ('archive_components', 'component_id'))
_BUILD_CHILDREN = ('maven_builds', 'win_builds', 'image_builds', 'build_types',
                   'build_reservations', 'tag_listing')


def _remove_build_files(binfo):
    """Remove the build directory and, for other volumes, the DEFAULT-volume symlink."""
    builddir = koji.pathinfo.build(binfo)
    base = koji.pathinfo.build(dict(binfo, volume_name='DEFAULT'))
    if base != builddir and os.path.islink(base):
        os.unlink(base)
    if os.path.islink(builddir):
        os.unlink(builddir)
    elif os.path.lexists(builddir):
        koji.util.rmtree(builddir)


def _ids(table, build_id):
    query = QueryProcessor(columns=['id'], tables=[table], clauses=['build_id = %(b)s'],
                           values={'b': build_id}, opts={'asList': True})
    return [row[0] for row in query.execute()]


def _delete_any(table, column, ids):
    if ids:
        DeleteProcessor(table, clauses=['%s = ANY(%%(ids)s)' % column],
                        values={'ids': ids}).execute()


def reset_build(build):
    """resetBuild: strip a build of all content and history and leave it CANCELED.

    A repair tool for admins: rows are deleted outright (even tag history), so the NVR can
    be built again.
    """
    context.session.assertPerm('admin')
    binfo = get_build(build)
    if binfo is None:
        return
    build_id = binfo['id']
    rpm_ids = _ids('rpminfo', build_id)
    archive_ids = _ids('archiveinfo', build_id)

    def wipe():
        for table in _RPM_CHILDREN:
            _delete_any(table, 'rpm_id', rpm_ids)
        _delete_any('rpminfo', 'id', rpm_ids)
        for table, column in _ARCHIVE_CHILDREN:
            _delete_any(table, column, archive_ids)
        _delete_any('archiveinfo', 'id', archive_ids)
        for table in _BUILD_CHILDREN:
            _delete_any(table, 'build_id', [build_id])
        _remove_build_files(binfo)

    change_build(binfo, 'state', STATES['CANCELED'],
                 data={'state': STATES['CANCELED'], 'task_id': None, 'volume_id': 0},
                 rawdata={'completion_time': 'NOW()'}, prepare=wipe)


def build_references(build, limit=None, lazy=False):
    """buildReferences: what still depends on a build (see deleteBuild).

    rpms/archives are what was produced in buildroots that contained this build's
    content; last_used is when such a buildroot was last created. lazy stops at the
    first non-empty answer.
    """
    build_id = get_build(build, strict=True)['id']
    ret = {}
    opts = {'limit': limit} if limit is not None else {}

    query = QueryProcessor(columns=['tag_id', 'tag.name'], aliases=['tag_id', 'name'],
                           tables=['tag_listing'], joins=['tag ON tag_listing.tag_id = tag.id'],
                           clauses=['build_id = %(build_id)s', 'active = TRUE'],
                           values={'build_id': build_id}, opts=opts)
    ret['tags'] = query.execute()
    if lazy and ret['tags']:
        return ret

    values = {'build_id': build_id}
    own_rpms = 'SELECT id FROM rpminfo WHERE build_id = %(build_id)s'
    own_archives = 'SELECT id FROM archiveinfo WHERE build_id = %(build_id)s'
    brs_with_rpms = ('SELECT buildroot_id FROM buildroot_listing WHERE rpm_id IN (%s)'
                     % own_rpms)
    brs_with_archives = ('SELECT buildroot_id FROM buildroot_archives WHERE archive_id IN '
                         '(%s)' % own_archives)

    fields = ('id', 'name', 'version', 'release', 'arch', 'build_id')
    query = QueryProcessor(columns=['rpminfo.%s' % f for f in fields], aliases=list(fields),
                           tables=['rpminfo'],
                           clauses=['buildroot_id IN (%s UNION %s)'
                                    % (brs_with_rpms, brs_with_archives)],
                           values=values, opts=dict(opts, order='id'))
    ret['rpms'] = query.execute()
    if lazy and ret['rpms']:
        return ret

    sql = ('SELECT archive_id FROM archive_rpm_components WHERE rpm_id IN (%s) UNION '
           'SELECT archive_id FROM archive_components WHERE component_id IN (%s) '
           'ORDER BY archive_id' % (own_rpms, own_archives))
    if limit is not None:
        sql += ' LIMIT %d' % int(limit)
    ret['component_of'] = [r['archive_id'] for r in _multiRow(sql, values, ['archive_id'])]
    if lazy and ret['component_of']:
        return ret

    fields = ('id', 'type_id', 'build_id', 'filename')
    query = QueryProcessor(columns=['archiveinfo.%s' % f for f in fields],
                           aliases=list(fields), tables=['archiveinfo'],
                           clauses=['buildroot_id IN (%s UNION %s)'
                                    % (brs_with_rpms, brs_with_archives)],
                           values=values, opts=dict(opts, order='id'))
    ret['archives'] = query.execute()
    if lazy and ret['archives']:
        return ret

    query = QueryProcessor(columns=["date_part('epoch', MAX(events.time))"], aliases=['ts'],
                           tables=['standard_buildroot'],
                           joins=['events ON standard_buildroot.create_event = events.id'],
                           clauses=['buildroot_id IN (%s UNION %s)'
                                    % (brs_with_rpms, brs_with_archives)],
                           values=values)
    ret['last_used'] = query.singleValue(strict=False)
    if lazy and ret['last_used']:
        return ret

    ret['images'] = list(ret['component_of'])
    return ret


def delete_build(build, strict=True, min_ref_age=604800):
    """deleteBuild: mark an unreferenced build DELETED and remove its files.

    The rows stay (history and buildroot listings still point at them); only the
    signatures go with the files. Returns False instead of raising when not strict.
    """
    context.session.assertPerm('admin')
    binfo = get_build(build, strict=True)
    refs = build_references(binfo['id'], limit=10, lazy=True)
    problem = None
    if refs.get('tags'):
        problem = 'Cannot delete build, tagged: %s' % refs['tags']
    elif refs.get('rpms'):
        problem = 'Cannot delete build, used in buildroots: %s' % refs['rpms']
    elif refs.get('component_of'):
        problem = 'Cannot delete build, used as component of: %r' % refs['component_of']
    elif refs.get('archives'):
        problem = 'Cannot delete build, used in archive buildroots: %s' % refs['archives']
    elif refs.get('last_used') and time.time() - refs['last_used'] < min_ref_age:
        problem = 'Cannot delete build, used in recent buildroot'
    if problem:
        if strict:
            raise koji.GenericError(problem)
        return False
    _delete_build(binfo)
    return True


def _delete_build(binfo):
    """Mark DELETED, drop signature rows and tag listings, and clear the files."""
    values = {'build_id': binfo['id']}

    def wipe():
        DeleteProcessor('rpmsigs', clauses=['rpm_id IN (SELECT id FROM rpminfo '
                                            'WHERE build_id = %(build_id)s)'],
                        values=values).execute()
        revoke = UpdateProcessor('tag_listing', clauses=['build_id = %(build_id)s'],
                                 values=values)
        revoke.make_revoke()
        revoke.execute()
        _remove_build_files(binfo)

    change_build(binfo, 'state', STATES['DELETED'], data={'state': STATES['DELETED']},
                 prepare=wipe)


def cancel_build(build_id, cancel_task=True):
    """Move a BUILDING build to CANCELED (and its task tree); False if it was not building."""
    binfo = get_build(build_id, strict=True)
    if binfo['state'] != STATES['BUILDING']:
        return False
    new = change_build(binfo, 'state', STATES['CANCELED'],
                       data={'state': STATES['CANCELED']},
                       rawdata={'completion_time': 'NOW()'},
                       clauses=['state = %(building)s'],
                       values={'building': STATES['BUILDING']})
    if new is None:
        return False
    DeleteProcessor('build_reservations', clauses=['build_id = %(id)s'],
                    values={'id': binfo['id']}).execute()
    if binfo['task_id'] is not None:
        from ..notifications.notify import build_notification
        build_notification(binfo['task_id'], binfo['id'])
    if cancel_task and binfo['task_id'] is not None:
        from ..tasks.task_actions import Task
        Task(binfo['task_id']).cancelFull(strict=False)
    return True


def cancel_build_call(buildID, strict=False):
    """cancelBuild: the owner or an admin stops a build in progress."""
    context.session.assertLogin()
    binfo = get_build(buildID, strict=strict)
    if binfo is None:
        return False
    if binfo['owner_id'] != context.session.user_id and not context.session.hasPerm('admin'):
        raise koji.ActionNotAllowed('Cannot cancel build, not owner')
    return cancel_build(binfo['id'])


def set_build_owner(build, user):
    """setBuildOwner: hand a build to another user (admin repair)."""
    context.session.assertPerm('admin')
    binfo = get_build(build, strict=True)
    uinfo = get_user(user, strict=True)
    change_build(binfo, 'owner_id', uinfo['id'], data={'owner': uinfo['id']})


def set_build_timestamp(build, ts):
    """setBuildTimestamp: correct a build's completion time (epoch seconds or DateTime)."""
    context.session.assertPerm('admin')
    binfo = get_build(build, strict=True)
    if isinstance(ts, xmlrpc.client.DateTime):
        # DateTime carries no zone; like upstream, read it as hub-local time
        try:
            ts = time.mktime(time.strptime(str(ts), '%Y%m%dT%H:%M:%S'))
        except ValueError:
            raise koji.GenericError('Invalid time: %s' % ts)
    elif isinstance(ts, bool) or not isinstance(ts, (int, float)):
        raise koji.GenericError('Invalid type for timestamp')
    change_build(binfo, 'completion_ts', ts,
                 rawdata={'completion_time': 'TO_TIMESTAMP(%(ts)s)'}, values={'ts': float(ts)})


def untagged_builds(name=None, queryOpts=None, draft=None):
    """untaggedBuilds: COMPLETE builds with no active tag listing (cleanup candidates)."""
    clauses = ['build.state = %(complete)s',
               'NOT EXISTS (SELECT 1 FROM tag_listing WHERE tag_listing.build_id = build.id '
               'AND tag_listing.active = TRUE)']
    values = {'complete': STATES['COMPLETE']}
    if name is not None:
        clauses.append('package.name = %(name)s')
        values['name'] = name
    if draft is not None:
        clauses.append('build.draft = %(draft)s')
        values['draft'] = bool(draft)
    fields = (('build.id', 'id'), ('package.name', 'name'), ('build.version', 'version'),
              ('build.release', 'release'))
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=['build'], joins=['package ON package.id = build.pkg_id'],
                           clauses=clauses, values=values, opts=queryOpts)
    return query.execute()


def get_average_build_duration(package, age=None):
    """getAverageBuildDuration: mean seconds of a package's completed real builds.

    Imports (no task, no koji_task_id in extra) are left out as they would drag the
    average towards zero; age limits it to builds started in the last ``age`` months.
    """
    package_id = get_package_id(package)
    if not package_id:
        return None
    clauses = ['build.pkg_id = %(pkg)s', 'build.state = %(complete)s',
               "(build.task_id IS NOT NULL OR build.extra LIKE '%%koji_task_id%%')"]
    values = {'pkg': package_id, 'complete': STATES['COMPLETE']}
    if age is not None:
        clauses.append('build.start_time > NOW() - make_interval(months => %(age)s)')
        values['age'] = int(age)
    query = QueryProcessor(columns=["date_part('epoch', AVG(build.completion_time - "
                                    "events.time))"], aliases=['avg'],
                           tables=['build'], joins=['events ON build.create_event = events.id'],
                           clauses=clauses, values=values)
    return query.singleValue(strict=False)


class BuildLifecycleExports(object):
    """Build lifecycle calls, bound into RootExports."""

    resetBuild = staticmethod(reset_build)
    deleteBuild = staticmethod(delete_build)
    cancelBuild = staticmethod(cancel_build_call)
    setBuildOwner = staticmethod(set_build_owner)
    setBuildTimestamp = staticmethod(set_build_timestamp)
    buildReferences = staticmethod(build_references)
    untaggedBuilds = staticmethod(untagged_builds)
    getAverageBuildDuration = staticmethod(get_average_build_duration)
