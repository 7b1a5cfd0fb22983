"""Buildroot records: getBuildroot, listBuildroots, getBuildrootListing (read side).

Buildroots are written by the builder flow (host.newBuildRoot & co.) and content
generator imports; these reads cover standard and CG buildroots alike.
"""
import json

import koji

from ..core.db import QueryProcessor

BR_FIELDS = (
    ('buildroot.id', 'id'),
    ('buildroot.br_type', 'br_type'),
    ('buildroot.cg_id', 'cg_id'),
    ('content_generator.name', 'cg_name'),
    ('buildroot.cg_version', 'cg_version'),
    ('buildroot.container_arch', 'container_arch'),
    ('buildroot.container_arch', 'arch'),
    ('buildroot.container_type', 'container_type'),
    ('buildroot.host_os', 'host_os'),
    ('buildroot.host_arch', 'host_arch'),
    ('buildroot.extra', 'extra'),
    ('standard_buildroot.state', 'state'),
    ('standard_buildroot.task_id', 'task_id'),
    ('host.id', 'host_id'),
    ('host.name', 'host_name'),
    ('repo.id', 'repo_id'),
    ('repo.state', 'repo_state'),
    ('tag.id', 'tag_id'),
    ('tag.name', 'tag_name'),
    ('create_events.id', 'create_event_id'),
    ('create_events.time', 'create_event_time'),
    ("date_part('epoch', create_events.time)", 'create_ts'),
    ('retire_events.id', 'retire_event_id'),
    ('retire_events.time', 'retire_event_time'),
    ("date_part('epoch', retire_events.time)", 'retire_ts'),
    ('repo_create.id', 'repo_create_event_id'),
    ('repo_create.time', 'repo_create_event_time'),
)
BR_JOINS = (
    'LEFT JOIN standard_buildroot ON standard_buildroot.buildroot_id = buildroot.id',
    'LEFT JOIN content_generator ON buildroot.cg_id = content_generator.id',
    'LEFT JOIN host ON host.id = standard_buildroot.host_id',
    'LEFT JOIN repo ON repo.id = standard_buildroot.repo_id',
    'LEFT JOIN tag ON tag.id = repo.tag_id',
    'LEFT JOIN events AS create_events ON create_events.id = standard_buildroot.create_event',
    'LEFT JOIN events AS retire_events ON standard_buildroot.retire_event = retire_events.id',
    'LEFT JOIN events AS repo_create ON repo_create.id = repo.create_event',
)


def _decode_extra(row):
    if row.get('extra') is not None:
        row['extra'] = json.loads(row['extra'])
    return row


def _eq_or_any(column, key, value, values):
    if isinstance(value, (list, tuple)):
        values[key] = list(value)
        return '%s = ANY(%%(%s)s)' % (column, key)
    values[key] = value
    return '%s = %%(%s)s' % (column, key)


def query_buildroots(hostID=None, tagID=None, state=None, rpmID=None, archiveID=None,
                     taskID=None, buildrootID=None, repoID=None, queryOpts=None):
    """Buildroots filtered by host, tag, state, rpm, archive, task, id or repo."""
    fields = list(BR_FIELDS)
    joins = list(BR_JOINS)
    clauses = []
    values = {}
    if buildrootID is not None:
        clauses.append(_eq_or_any('buildroot.id', 'buildrootID', buildrootID, values))
    if hostID is not None:
        clauses.append(_eq_or_any('host.id', 'hostID', hostID, values))
    if tagID is not None:
        clauses.append(_eq_or_any('tag.id', 'tagID', tagID, values))
    if state is not None:
        clauses.append(_eq_or_any('standard_buildroot.state', 'state', state, values))
    if rpmID is not None:
        joins.insert(0, 'buildroot_listing ON buildroot.id = buildroot_listing.buildroot_id')
        fields.append(('buildroot_listing.is_update', 'is_update'))
        clauses.append('buildroot_listing.rpm_id = %(rpmID)s')
        values['rpmID'] = rpmID
    if archiveID is not None:
        joins.append('buildroot_archives ON buildroot.id = buildroot_archives.buildroot_id')
        clauses.append('buildroot_archives.archive_id = %(archiveID)s')
        values['archiveID'] = archiveID
    if taskID is not None:
        clauses.append('standard_buildroot.task_id = %(taskID)s')
        values['taskID'] = taskID
    if repoID:
        clauses.append('repo.id = %(repoID)s')
        values['repoID'] = repoID
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=['buildroot'], joins=joins, clauses=clauses, values=values,
                           transform=_decode_extra, opts=queryOpts)
    return query.execute()


def get_buildroot(buildrootID, strict=False):
    """One buildroot record, None when missing and not strict."""
    if not isinstance(buildrootID, int) or isinstance(buildrootID, bool):
        raise koji.GenericError('Invalid buildroot id: %r' % (buildrootID,))
    rows = query_buildroots(buildrootID=buildrootID)
    if not rows:
        if strict:
            raise koji.GenericError('No such buildroot: %r' % buildrootID)
        return None
    return rows[0]


def get_buildroot_listing(id):
    """The rpms installed in a buildroot."""
    fields = (
        ('buildroot_listing.rpm_id', 'rpm_id'),
        ('buildroot_listing.is_update', 'is_update'),
        ('rpminfo.name', 'name'),
        ('rpminfo.version', 'version'),
        ('rpminfo.release', 'release'),
        ('rpminfo.epoch', 'epoch'),
        ('rpminfo.arch', 'arch'),
        ('rpminfo.build_id', 'build_id'),
        ('rpminfo.draft', 'draft'),
        ('rpminfo.external_repo_id', 'external_repo_id'),
        ('external_repo.name', 'external_repo_name'),
    )
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=['buildroot_listing'],
                           joins=['rpminfo ON buildroot_listing.rpm_id = rpminfo.id',
                                  'external_repo ON '
                                  'rpminfo.external_repo_id = external_repo.id'],
                           clauses=['buildroot_listing.buildroot_id = %(br_id)s'],
                           values={'br_id': id})
    return query.execute()


class BuildrootExports(object):
    """Buildroot read calls, bound into RootExports."""

    getBuildroot = staticmethod(get_buildroot)
    listBuildroots = staticmethod(query_buildroots)
    getBuildrootListing = staticmethod(get_buildroot_listing)
