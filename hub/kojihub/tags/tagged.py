"""Reading tag contents: listTagged, listTaggedRPMS/Archives and the getLatest* calls.

A tag's content with inheritance is the tag followed by its flattened inheritance, in
order; only builds whose package the queried tag lists (inheritance and pkg_filter
included) and does not block count. "Latest" is, per package, the most recently tagged
build in the first tag of that order that has the package.

The whole selection, latest included, is one SQL statement: the inheritance order goes
in as an array (unnest WITH ORDINALITY gives each tag its position) and DISTINCT ON /
row_number() picks per package, so the cost does not grow with the number of tags.
"""
import json

import koji

from ..core.db import _multiRow, _singleValue
from ..api import counting
from ..api.counting import CountResult, take_count_request, take_page_request
from .inheritance import readFullInheritance
from ..core.lookup import lookup_name
from .packages import _compile_filters, _package_list_query, get_package_id
from .tags import get_tag, get_tag_id, get_tags_bulk
from ..core.versioning import eventCondition

# (expression, alias) of a listTagged record
TAGGED_FIELDS = (
    ('tag.id', 'tag_id'),
    ('tag.name', 'tag_name'),
    ('tag_listing.create_event', 'create_event'),
    ('build.id', 'build_id'),
    ('build.id', 'id'),
    ('build.version', 'version'),
    ('build.release', 'release'),
    ('build.epoch', 'epoch'),
    ('build.draft', 'draft'),
    ('build.state', 'state'),
    ('build.task_id', 'task_id'),
    ('build.start_time', 'start_time'),
    ('build.completion_time', 'completion_time'),
    ('build.promotion_time', 'promotion_time'),
    ('events.id', 'creation_event_id'),
    ('events.time', 'creation_time'),
    ('package.id', 'package_id'),
    ('package.name', 'package_name'),
    ('package.name', 'name'),
    ("package.name || '-' || build.version || '-' || build.release", 'nvr'),
    ('volume.id', 'volume_id'),
    ('volume.name', 'volume_name'),
    ('owner.id', 'owner_id'),
    ('owner.name', 'owner_name'),
    ('promoter.id', 'promoter_id'),
    ('promoter.name', 'promoter_name'),
)

# how countAndFilterResults may order listTagged records in SQL (see api/counting.py);
# the timestamps are left to the generic path
_TAGGED_KINDS = dict(
    [(alias, counting.INT) for alias in (
        'tag_id', 'create_event', 'build_id', 'id', 'epoch', 'state', 'task_id',
        'creation_event_id', 'package_id', 'volume_id', 'owner_id', 'promoter_id')]
    + [(alias, counting.TEXT) for alias in (
        'tag_name', 'version', 'release', 'package_name', 'name', 'nvr', 'volume_name',
        'owner_name', 'promoter_name', 'maven_group_id', 'maven_artifact_id',
        'maven_version', 'platform')]
    + [('draft', counting.BOOL)])
_PICKED_KINDS = dict((alias, counting.INT) for alias in ('tag_id', 'build_id', 'create_event'))
# the order of read_tagged_builds' records, on its output columns
_TAGGED_ORDER = '"_pos", "create_event" DESC, "build_id" DESC'

_TAGGED_JOINS = (
    'JOIN tag ON tag.id = tag_listing.tag_id',
    'JOIN build ON build.id = tag_listing.build_id',
    'JOIN events ON events.id = build.create_event',
    'JOIN package ON package.id = build.pkg_id',
    'JOIN volume ON volume.id = build.volume_id',
    'JOIN users AS owner ON owner.id = build.owner',
    'LEFT JOIN users AS promoter ON promoter.id = build.promoter',
)

# rpm keys of listTaggedRPMS (extra and sigkey are added on request)
TAGGED_RPM_FIELDS = (
    ('rpminfo.id', 'id'),
    ('rpminfo.name', 'name'),
    ('rpminfo.version', 'version'),
    ('rpminfo.release', 'release'),
    ('rpminfo.epoch', 'epoch'),
    ('rpminfo.arch', 'arch'),
    ('rpminfo.draft', 'draft'),
    ('rpminfo.build_id', 'build_id'),
    ('rpminfo.buildroot_id', 'buildroot_id'),
    ('rpminfo.payloadhash', 'payloadhash'),
    ('rpminfo.size', 'size'),
    ('rpminfo.buildtime', 'buildtime'),
    ('rpminfo.metadata_only', 'metadata_only'),
)

TAGGED_ARCHIVE_FIELDS = (
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
)

_ARCHIVE_TYPES = {
    'maven': ('maven_archives', (('group_id', 'maven_group_id'),
                                 ('artifact_id', 'maven_artifact_id'),
                                 ('version', 'maven_version'))),
    'win': ('win_archives', (('relpath', 'relpath'), ('platforms', 'platforms'),
                             ('flags', 'flags'))),
}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _like_prefix(prefix):
    return prefix.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'


def _load_extra(rows):
    for row in rows:
        if row.get('extra') is not None:
            row['extra'] = json.loads(row['extra'])
    return rows


def _tag_order(tag_id, event, inherit):
    """[(tag_id, pkg_filter patterns)] in the order the tags take effect."""
    links = readFullInheritance(tag_id, event=event)
    order = [(tag_id, [])] + [(link['parent_id'], link.get('filter') or [])
                              for link in links]
    return order, [tag_id] + [link['parent_id'] for link in links] if inherit else [tag_id]


def _visible_packages(order, event, package):
    """Ids of the packages the first tag of ``order`` lists unblocked, as readPackageList.

    The nearest entry wins (blocked or not) and pkg_filter regexes along the path hide
    parents' entries; the inheritance is the one already read, so no second walk.
    """
    tag_ids = []
    for tid, _ in order:
        if tid not in tag_ids:
            tag_ids.append(tid)
    rows = _package_list_query(tag_ids, package, None, event, False, False).execute()
    by_tag = {}
    for row in rows:
        by_tag.setdefault(row['tag_id'], []).append(row)
    decided = {}
    cache = {}
    for tid, patterns in order:
        progs = _compile_filters(patterns, cache)
        for row in by_tag.get(tid, ()):
            if row['package_id'] in decided:
                continue
            if progs and not all(prog.match(row['package_name']) for prog in progs):
                continue
            decided[row['package_id']] = row['blocked']
    return [pkg_id for pkg_id, blocked in decided.items() if not blocked]


def read_tagged_builds(tag, event=None, inherit=False, latest=False, package=None,
                       owner=None, type=None, extra=False, draft=None, prefix=None,
                       count=False, page=None):
    """Tagged build records of a tag id, newest tagging first, parents after the child.

    latest=True keeps one build per package, latest=N up to N. Always one query for
    the builds, whatever the depth of the inheritance or the number of builds.
    count=True gives only the number of records (the same query, counted in SQL);
    page (a counting.PageRequest) gives a counting.PageResult when SQL can order by its key.
    """
    if not _is_int(latest):
        latest = bool(latest)
    if latest is not True and latest is not False and latest < 1:
        latest = False
    if package is not None and not _is_int(package):
        package = get_package_id(package, strict=False)
        if package is None:
            return []
    order, tag_ids = _tag_order(tag, event, inherit)
    pkg_ids = _visible_packages(order, event, package)
    if not pkg_ids:
        return 0 if count else []
    fields = list(TAGGED_FIELDS)
    # joins the filters need; the picking step of latest=True reads only these
    filter_joins = ['JOIN build ON build.id = tag_listing.build_id']
    clauses = [eventCondition(event, 'tag_listing'), 'build.pkg_id = ANY(%(pkg_ids)s)']
    values = {'tag_ids': tag_ids, 'pkg_ids': pkg_ids}
    if owner is not None:
        if _is_int(owner):
            clauses.append('build.owner = %(owner)s')
        else:
            filter_joins.append('JOIN users AS owner ON owner.id = build.owner')
            clauses.append('owner.name = %(owner)s')
        values['owner'] = owner
    if draft is not None:
        clauses.append('build.draft = %(draft)s')
        values['draft'] = bool(draft)
    if prefix:
        filter_joins.append('JOIN package ON package.id = build.pkg_id')
        clauses.append("lower(package.name) LIKE lower(%(prefix)s)")
        values['prefix'] = _like_prefix(prefix)
    type_joins = []
    if type is None:
        pass
    elif type == 'maven':
        type_joins.append('JOIN maven_builds ON maven_builds.build_id = build.id')
        fields += [('maven_builds.group_id', 'maven_group_id'),
                   ('maven_builds.artifact_id', 'maven_artifact_id'),
                   ('maven_builds.version', 'maven_version')]
    elif type == 'win':
        type_joins.append('JOIN win_builds ON win_builds.build_id = build.id')
        fields.append(('win_builds.platform', 'platform'))
    elif type == 'image':
        type_joins.append('JOIN image_builds ON image_builds.build_id = build.id')
    else:
        btype = lookup_name('btype', type, strict=False)
        if btype is None:
            raise koji.GenericError('unsupported build type: %s' % type)
        type_joins.append('JOIN build_types ON build_types.build_id = build.id '
                          'AND build_types.btype_id = %(btype_id)s')
        values['btype_id'] = btype['id']
    filter_joins += type_joins
    joins = list(_TAGGED_JOINS) + type_joins
    if extra:
        fields.append(('build.extra', 'extra'))
    aliases = [alias for _, alias in fields]
    select = ', '.join('%s AS "%s"' % pair for pair in fields)
    # inh.pos is the tag's place in the inheritance order (1 = the tag itself)
    inh = ('tag_listing JOIN unnest(%(tag_ids)s::integer[]) WITH ORDINALITY '
           'AS inh(tag_id, pos) ON inh.tag_id = tag_listing.tag_id ')
    source = inh + ' '.join(joins)
    where = ' AND '.join(['tag_listing.tag_id = ANY(%(tag_ids)s)'] + clauses)
    outer_order = 'ORDER BY "_pos", "create_event" DESC, "build_id" DESC'
    rank_order = 'inh.pos, tag_listing.create_event DESC, build.id DESC'
    if latest is True:
        # pick per package on narrow rows first, then join the details of the winners only
        outer_select = ', '.join('%s AS "%s"' % (expr.replace('tag_listing.', 'picked.'), alias)
                                 for expr, alias in fields)
        outer_joins = ' '.join(join.replace('tag_listing.', 'picked.') for join in joins)
        sql = ('SELECT %s, picked.pos AS "_pos" FROM (SELECT DISTINCT ON (build.pkg_id) '
               'tag_listing.tag_id, tag_listing.build_id, tag_listing.create_event, inh.pos '
               'FROM %s WHERE %s ORDER BY build.pkg_id, %s) AS picked %s'
               % (outer_select, inh + ' '.join(filter_joins), where, rank_order,
                  outer_joins))
        order_by = 'ORDER BY picked.pos, picked.create_event DESC, picked.build_id DESC'
        if page is not None and not count:
            # the same winners, sliced before their details are joined
            picked = ('SELECT DISTINCT ON (build.pkg_id) tag_listing.tag_id, '
                      'tag_listing.build_id, tag_listing.create_event, inh.pos AS "_pos" '
                      'FROM %s WHERE %s ORDER BY build.pkg_id, %s'
                      % (inh + ' '.join(filter_joins), where, rank_order))
            result = _latest_page(page, picked, outer_select, outer_joins, values, aliases,
                                  _count_sql(inh + ' '.join(filter_joins), where, latest))
            if result is not None:
                if extra:
                    _load_extra(result.rows)
                return result
    elif latest:
        values['latest'] = latest
        sql = ('SELECT * FROM (SELECT %s, inh.pos AS "_pos", row_number() OVER '
               '(PARTITION BY build.pkg_id ORDER BY %s) AS "_rank" FROM %s WHERE %s) '
               'AS ranked WHERE "_rank" <= %%(latest)s'
               % (select, rank_order, source, where))
        order_by = outer_order
    else:
        sql = 'SELECT %s, inh.pos AS "_pos" FROM %s WHERE %s' % (select, source, where)
        order_by = 'ORDER BY %s' % rank_order
    count_sql = _count_sql(inh + ' '.join(filter_joins), where, latest)
    if count:
        return int(_singleValue(count_sql, values))
    names = aliases + ['_pos'] + (['_rank'] if latest and latest is not True else [])
    order = page and page.order_by(_TAGGED_KINDS, _TAGGED_ORDER, aliases)
    if order:
        # countAndFilterResults' page: sorted, sliced and counted in SQL
        result = page.run(sql, values, names, order, count_sql=count_sql)
        _strip_order_columns(result.rows)
        if extra:
            _load_extra(result.rows)
        return result
    rows = _multiRow(sql + ' ' + order_by, values, names)
    _strip_order_columns(rows)
    return _load_extra(rows) if extra else rows


def _latest_page(page, picked, outer_select, outer_joins, values, aliases, count_sql):
    """countAndFilterResults' page of the latest builds when its key is a column of the
    winners (tag, build, tagging event): only the page's winners get their details."""
    order = page.order_by(_PICKED_KINDS, _TAGGED_ORDER, aliases)
    if order is None:
        return None
    sliced = ('SELECT *, count(*) OVER () AS "_total" FROM (%s) AS winners ORDER BY %s%s'
              % (picked, order, page.slice_sql()))
    sql = ('SELECT %s, picked."_pos", picked."_total" FROM (%s) AS picked %s ORDER BY %s'
           % (outer_select, sliced, outer_joins, order))
    result = page.result(_multiRow(sql, values, aliases + ['_pos', '_total']), values,
                         count_sql)
    _strip_order_columns(result.rows)
    return result


def _strip_order_columns(rows):
    for row in rows:
        row.pop('_pos')
        row.pop('_rank', None)


def _count_sql(source, where, latest):
    """SQL counting the records read_tagged_builds would return, on the narrow joins only
    (the detail joins follow foreign keys and cannot drop a row)."""
    if latest is True:
        sql = 'SELECT count(DISTINCT build.pkg_id) FROM %s WHERE %s' % (source, where)
    elif latest:
        sql = ('SELECT coalesce(sum(least(n, %%(latest)s)), 0) FROM (SELECT count(*) AS n '
               'FROM %s WHERE %s GROUP BY build.pkg_id) AS per_package' % (source, where))
    else:
        sql = 'SELECT count(*) FROM %s WHERE %s' % (source, where)
    return sql


def _lookup_tag(tag, strict, event):
    info = get_tag(tag, strict=strict, event=event)
    return None if info is None else info['id']


def list_tagged(tag, event=None, inherit=False, prefix=None, latest=False, package=None,
                owner=None, type=None, strict=True, extra=False, draft=None):
    """listTagged: builds in a tag (see read_tagged_builds)."""
    # count('listTagged', ...) asks for the number only (see api/misc.py); taken here so
    # that nothing this call runs sees it
    count_only = take_count_request('listTagged')
    # likewise countAndFilterResults('listTagged', ...) offers its filterOpts
    page = take_page_request('listTagged')
    tag_id = _lookup_tag(tag, strict, event)
    if tag_id is None:
        return []
    result = read_tagged_builds(tag_id, event=event, inherit=inherit, latest=latest,
                                package=package, owner=owner, type=type, extra=extra,
                                draft=draft, prefix=prefix, count=count_only, page=page)
    return CountResult(result) if count_only else result


def read_tagged_rpms(tag, package=None, arch=None, event=None, inherit=False, latest=True,
                     rpmsigs=False, owner=None, type=None, extra=True, draft=None):
    """[rpms, builds] of a tag id: the builds as read_tagged_builds, their rpms in one query."""
    builds = read_tagged_builds(tag, event=event, inherit=inherit, latest=latest,
                                package=package, owner=owner, type=type, draft=draft)
    if not builds:
        return [[], builds]
    fields = list(TAGGED_RPM_FIELDS)
    joins = []
    build_ids = []
    for build in builds:
        if build['build_id'] not in build_ids:
            build_ids.append(build['build_id'])
    clauses = ['rpminfo.build_id = ANY(%(build_ids)s)']
    values = {'build_ids': build_ids}
    if arch:
        if isinstance(arch, (list, tuple)):
            clauses.append('rpminfo.arch = ANY(%(arch)s)')
            values['arch'] = list(arch)
        else:
            clauses.append('rpminfo.arch = %(arch)s')
            values['arch'] = arch
    if rpmsigs:
        fields.append(('rpmsigs.sigkey', 'sigkey'))
        joins.append('LEFT JOIN rpmsigs ON rpmsigs.rpm_id = rpminfo.id')
    if extra:
        fields.append(('rpminfo.extra', 'extra'))
    # rpms follow the order of their builds, then name/arch inside a build
    sql = ('SELECT %s FROM rpminfo JOIN unnest(%%(build_ids)s::integer[]) WITH ORDINALITY '
           'AS b(build_id, pos) ON b.build_id = rpminfo.build_id %s WHERE %s '
           'ORDER BY b.pos, rpminfo.name, rpminfo.arch, rpminfo.id'
           % (', '.join('%s AS "%s"' % pair for pair in fields), ' '.join(joins),
              ' AND '.join(clauses)))
    rpms = _multiRow(sql, values, [alias for _, alias in fields])
    return [_load_extra(rpms) if extra else rpms, builds]


def list_tagged_rpms(tag, event=None, inherit=False, latest=False, package=None, arch=None,
                     rpmsigs=False, owner=None, type=None, strict=True, extra=True,
                     draft=None):
    """listTaggedRPMS: [rpms, builds] for a tag."""
    tag_id = _lookup_tag(tag, strict, event)
    if tag_id is None:
        return []
    return read_tagged_rpms(tag_id, event=event, inherit=inherit, latest=latest,
                            package=package, arch=arch, rpmsigs=rpmsigs, owner=owner,
                            type=type, extra=extra, draft=draft)


def read_tagged_archives(tag, package=None, event=None, inherit=False, latest=True,
                         type=None, extra=True):
    """[archives, builds] of a tag id; type maven/win also requires that archive metadata."""
    if type is not None and type not in _ARCHIVE_TYPES:
        raise koji.GenericError('unsupported archive type: %s' % type)
    builds = read_tagged_builds(tag, event=event, inherit=inherit, latest=latest,
                                package=package, type=type)
    if not builds:
        return [[], builds]
    fields = list(TAGGED_ARCHIVE_FIELDS)
    joins = ['JOIN btype ON btype.id = archiveinfo.btype_id']
    if type is not None:
        table, columns = _ARCHIVE_TYPES[type]
        joins.append('JOIN %s ON %s.archive_id = archiveinfo.id' % (table, table))
        fields += [('%s.%s' % (table, col), alias) for col, alias in columns]
    if extra:
        fields.append(('archiveinfo.extra', 'extra'))
    build_ids = []
    for build in builds:
        if build['build_id'] not in build_ids:
            build_ids.append(build['build_id'])
    sql = ('SELECT %s FROM archiveinfo JOIN unnest(%%(build_ids)s::integer[]) '
           'WITH ORDINALITY AS b(build_id, pos) ON b.build_id = archiveinfo.build_id %s '
           'ORDER BY b.pos, archiveinfo.filename, archiveinfo.id'
           % (', '.join('%s AS "%s"' % pair for pair in fields), ' '.join(joins)))
    archives = _multiRow(sql, {'build_ids': build_ids}, [alias for _, alias in fields])
    return [_load_extra(archives) if extra else archives, builds]


def list_tagged_archives(tag, event=None, inherit=False, latest=False, package=None,
                         type=None, strict=True, extra=True):
    """listTaggedArchives: [archives, builds] for a tag."""
    tag_id = _lookup_tag(tag, strict, event)
    if tag_id is None:
        return []
    return read_tagged_archives(tag_id, event=event, inherit=inherit, latest=latest,
                                package=package, type=type, extra=extra)


def _tag_id_or_fail(tag):
    """A tag id as upstream's latest-build calls take it: ids are used unchecked."""
    if isinstance(tag, int):
        return tag
    return get_tag_id(tag, strict=True)


def get_latest_builds(tag, event=None, package=None, type=None, draft=None):
    """getLatestBuilds: the latest build per package, inheritance included."""
    return read_tagged_builds(_tag_id_or_fail(tag), event=event, inherit=True, latest=True,
                              package=package, type=type, draft=draft)


def get_latest_rpms(tag, package=None, arch=None, event=None, rpmsigs=False, type=None,
                    draft=None):
    """getLatestRPMS: [rpms, builds] of the latest builds, inheritance included."""
    return read_tagged_rpms(_tag_id_or_fail(tag), package=package, arch=arch, event=event,
                            inherit=True, latest=True, rpmsigs=rpmsigs, type=type,
                            draft=draft)


def maven_tag_archives(tag_id, event_id=None, inherit=True):
    """Maven archives visible in a tag, one per group:artifact:version, nearest first.

    In tags without maven_include_all only the latest build of a package (per tag)
    contributes; with it every tagged build does.
    """
    order, tag_ids = _tag_order(tag_id, event_id, inherit)
    pkg_ids = _visible_packages(order, event_id, None)
    if not pkg_ids:
        return []
    include_all = dict((tid, info['maven_include_all'])
                       for tid, info in get_tags_bulk(tag_ids, event=event_id).items())
    fields = list(TAGGED_ARCHIVE_FIELDS) + [
        ('maven_archives.group_id', 'group_id'),
        ('maven_archives.artifact_id', 'artifact_id'),
        ('maven_archives.version', 'version'),
        ('tag_listing.tag_id', 'tag_id'),
        ('tag.name', 'tag_name'),
        ('build.pkg_id', 'pkg_id'),
        ('package.name', 'pkg_name'),
        ('tag_listing.create_event', 'tag_event'),
    ]
    sql = ('SELECT %s FROM tag_listing JOIN unnest(%%(tag_ids)s::integer[]) WITH ORDINALITY '
           'AS inh(tag_id, pos) ON inh.tag_id = tag_listing.tag_id '
           'JOIN tag ON tag.id = tag_listing.tag_id '
           'JOIN build ON build.id = tag_listing.build_id '
           'JOIN package ON package.id = build.pkg_id '
           'JOIN maven_builds ON maven_builds.build_id = build.id '
           'JOIN archiveinfo ON archiveinfo.build_id = build.id '
           'JOIN btype ON btype.id = archiveinfo.btype_id '
           'JOIN maven_archives ON maven_archives.archive_id = archiveinfo.id '
           'WHERE %s AND tag_listing.tag_id = ANY(%%(tag_ids)s) '
           'AND build.pkg_id = ANY(%%(pkg_ids)s) AND build.state = %%(complete)s '
           'ORDER BY inh.pos, tag_listing.create_event DESC, build.id DESC, archiveinfo.id'
           % (', '.join('%s AS "%s"' % pair for pair in fields),
              eventCondition(event_id, 'tag_listing')))
    rows = _multiRow(sql, {'tag_ids': tag_ids, 'pkg_ids': pkg_ids,
                           'complete': koji.BUILD_STATES['COMPLETE']},
                     [alias for _, alias in fields])
    result = []
    seen_gav = set()
    chosen = {}  # (tag_id, pkg_id) -> the build that is latest there
    for row in rows:
        if not include_all.get(row['tag_id']):
            key = (row['tag_id'], row['pkg_id'])
            if chosen.setdefault(key, row['build_id']) != row['build_id']:
                continue
        gav = (row['group_id'], row['artifact_id'], row['version'])
        if gav in seen_gav:
            continue
        seen_gav.add(gav)
        result.append(row)
    return result


def get_latest_maven_archives(tag, event=None, inherit=True):
    """getLatestMavenArchives: latest maven archives per group:artifact:version."""
    return maven_tag_archives(_tag_id_or_fail(tag), event_id=event, inherit=inherit)


class TaggedExports(object):
    """Tag content calls of the hub API."""

    listTagged = staticmethod(list_tagged)
    listTaggedRPMS = staticmethod(list_tagged_rpms)
    listTaggedArchives = staticmethod(list_tagged_archives)
    getLatestBuilds = staticmethod(get_latest_builds)
    getLatestRPMS = staticmethod(get_latest_rpms)
    getLatestMavenArchives = staticmethod(get_latest_maven_archives)
