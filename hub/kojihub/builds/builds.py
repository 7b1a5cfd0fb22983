"""Builds: the read side (getBuild, findBuildID, listBuilds, build types).

Build rows are written by createEmptyBuild, imports and the builder flow (later work);
everything here only reads, always in one query per call.
"""
import datetime
import json
import xmlrpc.client

import koji

from ..core import prefetch
from ..core.db import PREPARE_INT_ARRAYS, QueryProcessor
from ..core.lookup import lookup_name
from ..users.users import get_user

# name of the NVR expression, shared by getBuild/listBuilds and pattern matching
NVR_EXPR = "package.name || '-' || build.version || '-' || build.release"

# (expression, alias) pairs common to getBuild and listBuilds
_BUILD_FIELDS = (
    ('build.id', 'build_id'),
    ('build.version', 'version'),
    ('build.release', 'release'),
    ('build.epoch', 'epoch'),
    ('build.draft', 'draft'),
    ('build.state', 'state'),
    ('build.task_id', 'task_id'),
    ('build.source', 'source'),
    ('build.extra', 'extra'),
    ('build.start_time', 'start_time'),
    ("date_part('epoch', build.start_time)", 'start_ts'),
    ('build.completion_time', 'completion_time'),
    ("date_part('epoch', build.completion_time)", 'completion_ts'),
    ('build.promotion_time', 'promotion_time'),
    ("date_part('epoch', build.promotion_time)", 'promotion_ts'),
    ('events.id', 'creation_event_id'),
    ('events.time', 'creation_time'),
    ("date_part('epoch', events.time)", 'creation_ts'),
    ('package.id', 'package_id'),
    ('package.name', 'package_name'),
    ('package.name', 'name'),
    (NVR_EXPR, 'nvr'),
    ('volume.id', 'volume_id'),
    ('volume.name', 'volume_name'),
    ('owner.id', 'owner_id'),
    ('owner.name', 'owner_name'),
    ('promoter.id', 'promoter_id'),
    ('promoter.name', 'promoter_name'),
)

_BUILD_TABLES = ['build']
_BUILD_JOINS = [
    'events ON build.create_event = events.id',
    'package ON build.pkg_id = package.id',
    'volume ON build.volume_id = volume.id',
    'users AS owner ON build.owner = owner.id',
    'LEFT JOIN users AS promoter ON build.promoter = promoter.id',
]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _decode_extra(row):
    """Rows carry extra as JSON text; callers expect the decoded value."""
    if row.get('extra') is not None:
        row['extra'] = json.loads(row['extra'])
    return row


def time_arg(value):
    """Normalize a time filter (epoch seconds, ISO text, xmlrpc DateTime, datetime).

    Numbers become tz-aware UTC datetimes so the comparison does not depend on the hub's
    or the database session's local time zone.
    """
    if isinstance(value, bool):
        raise koji.ParameterError('invalid time value: %r' % (value,))
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if isinstance(value, xmlrpc.client.DateTime):
        return datetime.datetime.strptime(value.value, '%Y%m%dT%H:%M:%S')
    if isinstance(value, (str, datetime.datetime)):
        return value
    raise koji.ParameterError('invalid time value: %r' % (value,))


def glob_to_like(pattern):
    """Turn shell wildcards into LIKE wildcards (SQL wildcards are kept as given)."""
    return pattern.replace('*', '%').replace('?', '_')


def _nvr_data(X):
    """name/version/release dict from an NVR string or a dict."""
    if isinstance(X, str):
        return koji.parse_NVR(X)
    if isinstance(X, dict):
        if not all(X.get(k) is not None for k in ('name', 'version', 'release')):
            raise koji.GenericError('did not provide name, version, and release')
        return X
    raise koji.GenericError('Invalid type for argument: %r' % type(X))


def _build_clause(buildInfo):
    """One WHERE clause and its values selecting a build by id, NVR or dict."""
    if _is_int(buildInfo):
        return 'build.id = %(build_id)s', {'build_id': buildInfo}
    if isinstance(buildInfo, dict) and buildInfo.get('id') is not None:
        if not _is_int(buildInfo['id']):
            raise koji.GenericError('Invalid build id: %r' % (buildInfo['id'],))
        return 'build.id = %(build_id)s', {'build_id': buildInfo['id']}
    data = _nvr_data(buildInfo)
    return ('package.name = %(name)s AND build.version = %(version)s '
            'AND build.release = %(release)s',
            {'name': data['name'], 'version': data['version'], 'release': data['release']})


def find_build_id(X, strict=False):
    """Build id for an id, NVR string or dict (id or name/version/release), or None."""
    clause, values = _build_clause(X)
    query = QueryProcessor(columns=['build.id'], aliases=['id'], tables=['build'],
                           joins=['package ON build.pkg_id = package.id'],
                           clauses=[clause], values=values)
    build_id = query.singleValue(strict=False)
    if build_id is None and strict:
        raise koji.GenericError('No such build: %r' % (X,))
    return build_id


_GET_BUILD_FIELDS = _BUILD_FIELDS + (
    ('build.id', 'id'),
    ('build.cg_id', 'cg_id'),
    ('content_generator.name', 'cg_name'),
)
_GET_BUILD_JOINS = _BUILD_JOINS + [
    'LEFT JOIN content_generator ON build.cg_id = content_generator.id']


def _get_build_query(clauses, values, prepare=False):
    return QueryProcessor(columns=[f[0] for f in _GET_BUILD_FIELDS],
                          aliases=[f[1] for f in _GET_BUILD_FIELDS], tables=_BUILD_TABLES,
                          joins=_GET_BUILD_JOINS, clauses=clauses, values=values,
                          transform=_decode_extra, prepare=prepare)


def _prefetch_key(buildInfo):
    """The key a getBuild argument is prefetched under, or None (dicts, bad NVRs)."""
    if _is_int(buildInfo):
        return buildInfo
    if isinstance(buildInfo, str) and '\x00' not in buildInfo:
        # (a NUL would fail the whole batch query: that entry asks alone, and fails)
        try:
            data = koji.parse_NVR(buildInfo)
        except koji.GenericError:
            return None
        return (data['name'], data['version'], data['release'])
    return None


@prefetch.register('getBuild')
def prefetch_builds(entries):
    """The records a multicall of getBuild entries names, in two queries at most."""
    ids, nvrs = set(), set()
    for params in entries:
        key = _prefetch_key(params[0]) if params else None
        if isinstance(key, tuple):
            nvrs.add(key)
        elif key is not None:
            ids.add(key)
    found = {}
    if ids:
        for row in _get_build_query(['build.id = ANY(%(ids)s)'], {'ids': sorted(ids)},
                                    prepare=PREPARE_INT_ARRAYS).execute():
            found[row['id']] = row
    if nvrs:
        names, versions, releases = zip(*sorted(nvrs))
        clause = ('(package.name, build.version, build.release) IN (SELECT * FROM '
                  'unnest(%(names)s::text[], %(versions)s::text[], %(releases)s::text[]))')
        rows = _get_build_query([clause], {'names': list(names), 'versions': list(versions),
                                           'releases': list(releases)}).execute()
        for row in rows:
            found[(row['package_name'], row['version'], row['release'])] = row
    return found


def get_build(buildInfo, strict=False):
    """The full build record (getBuild), or None when it does not exist and not strict."""
    if prefetch.active('getBuild'):
        build = prefetch.lookup('getBuild', _prefetch_key(buildInfo))
        if build is not None:
            return dict(build)
    clause, values = _build_clause(buildInfo)
    build = _get_build_query([clause], values, prepare=True).executeOne()
    if build is None and strict:
        raise koji.GenericError('No such build: %r' % (buildInfo,))
    return build


def _ref_id(table, value, label):
    """Id for a filter given as id or name; unknown names are an error, not 'no rows'."""
    if value is None or _is_int(value):
        return value
    row = lookup_name(table, value, strict=False)
    if row is None:
        raise koji.GenericError('No such %s: %s' % (label, value))
    return row['id']


def _user_id(value):
    if value is None or _is_int(value):
        return value
    return get_user(value, strict=True, krb_princs=False)['id']


def _in_or_eq(column, key, value, values):
    """Clause comparing column with one value or any of a list of values."""
    if isinstance(value, (list, tuple)):
        values[key] = list(value)
        return '%s = ANY(%%(%s)s)' % (column, key)
    values[key] = value
    return '%s = %%(%s)s' % (column, key)


def list_builds(packageID=None, userID=None, taskID=None, prefix=None, state=None,
                volumeID=None, source=None, createdBefore=None, createdAfter=None,
                completeBefore=None, completeAfter=None, type=None, typeInfo=None,
                queryOpts=None, pattern=None, cgID=None, draft=None, promotedBefore=None,
                promotedAfter=None, promoter=None):
    """Builds matching every given filter (listBuilds).

    Ids may also be given as names (package, owner, volume, content generator, promoter);
    taskID=-1 selects builds that have any task. Time filters take epoch seconds or text.
    """
    fields = list(_BUILD_FIELDS)
    joins = list(_BUILD_JOINS)
    clauses = []
    values = {}
    if packageID is not None:
        clauses.append('package.id = %(packageID)s')
        values['packageID'] = _ref_id('package', packageID, 'package')
    if userID is not None:
        clauses.append('owner.id = %(userID)s')
        values['userID'] = _user_id(userID)
    if taskID is not None:
        if taskID == -1:
            clauses.append('build.task_id IS NOT NULL')
        else:
            clauses.append('build.task_id = %(taskID)s')
            values['taskID'] = taskID
    if prefix:
        clauses.append("package.name ILIKE %(prefix)s || '%%'")
        values['prefix'] = prefix.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    if state is not None:
        clauses.append(_in_or_eq('build.state', 'state', state, values))
    if volumeID is not None:
        clauses.append('volume.id = %(volumeID)s')
        values['volumeID'] = _ref_id('volume', volumeID, 'volume')
    if source is not None:
        clauses.append('build.source ILIKE %(source)s')
        values['source'] = glob_to_like(source)
    if pattern:
        clauses.append('%s ILIKE %%(pattern)s' % NVR_EXPR)
        values['pattern'] = glob_to_like(pattern)
    if cgID is not None:
        clauses.append('build.cg_id = %(cgID)s')
        values['cgID'] = _ref_id('content_generator', cgID, 'content generator')
    if draft is not None:
        clauses.append('build.draft = %(draft)s')
        values['draft'] = bool(draft)
    if promoter is not None:
        clauses.append('build.promoter = %(promoter)s')
        values['promoter'] = _user_id(promoter)
    time_filters = (
        ('createdBefore', createdBefore, 'events.time', '<'),
        ('createdAfter', createdAfter, 'events.time', '>'),
        ('completeBefore', completeBefore, 'build.completion_time', '<'),
        ('completeAfter', completeAfter, 'build.completion_time', '>'),
        ('promotedBefore', promotedBefore, 'build.promotion_time', '<'),
        ('promotedAfter', promotedAfter, 'build.promotion_time', '>'),
    )
    for key, value, column, op in time_filters:
        if value is not None:
            clauses.append('%s %s %%(%s)s' % (column, op, key))
            values[key] = time_arg(value)
    typeInfo = typeInfo or {}
    if type is None:
        pass
    elif type == 'maven':
        joins.append('maven_builds ON build.id = maven_builds.build_id')
        fields += [('maven_builds.group_id', 'maven_group_id'),
                   ('maven_builds.artifact_id', 'maven_artifact_id'),
                   ('maven_builds.version', 'maven_version')]
        for key in ('group_id', 'artifact_id', 'version'):
            if typeInfo.get(key) is not None:
                clauses.append('maven_builds.%s = %%(mvn_%s)s' % (key, key))
                values['mvn_' + key] = typeInfo[key]
    elif type == 'win':
        joins.append('win_builds ON build.id = win_builds.build_id')
        fields.append(('win_builds.platform', 'platform'))
        if typeInfo.get('platform') is not None:
            clauses.append('win_builds.platform = %(win_platform)s')
            values['win_platform'] = typeInfo['platform']
    elif type == 'image':
        joins.append('image_builds ON build.id = image_builds.build_id')
    else:
        btype = lookup_name('btype', type, strict=False)
        if btype is None:
            raise koji.GenericError('unsupported build type: %s' % type)
        joins.append('build_types ON build.id = build_types.build_id '
                     'AND build_types.btype_id = %(btype_id)s')
        values['btype_id'] = btype['id']
    query = QueryProcessor(columns=[f[0] for f in fields], aliases=[f[1] for f in fields],
                           tables=_BUILD_TABLES, joins=joins, clauses=clauses,
                           values=values, opts=queryOpts, transform=_decode_extra)
    return query.execute()


def list_btypes(query=None, queryOpts=None):
    """Registered build types, optionally one by {'name': ...} or {'id': ...}."""
    query = query or {}
    clauses = []
    values = {}
    if query.get('name') is not None:
        clauses.append('name = %(name)s')
        values['name'] = query['name']
    if query.get('id') is not None:
        clauses.append('id = %(id)s')
        values['id'] = query['id']
    return QueryProcessor(columns=['id', 'name'], tables=['btype'], clauses=clauses,
                          values=values, opts=queryOpts).execute()


class BuildQueryExports(object):
    """Read-only build calls, bound into RootExports."""

    getBuild = staticmethod(get_build)
    findBuildID = staticmethod(find_build_id)
    listBuilds = staticmethod(list_builds)
    listBTypes = staticmethod(list_btypes)
