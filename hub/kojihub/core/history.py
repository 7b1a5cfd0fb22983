"""Events and the history of versioned tables (getEvent, getLastEvent, queryHistory).

Every versioned row records the event that created it and the one that revoked it, so the
full change log of a table is just its rows joined to ``events``.  queryHistory runs one
query per requested table; filter values are resolved once, before the table loop.
"""
import datetime
import numbers

import koji

from .db import QueryProcessor
from .lookup import get_id
from .versioning import _check_event, eventCondition

# versioned table -> its own (non-versioning) columns
HISTORY_TABLES = {
    'user_perms': ['user_id', 'perm_id'],
    'user_groups': ['user_id', 'group_id'],
    'cg_users': ['user_id', 'cg_id'],
    'tag_inheritance': ['tag_id', 'parent_id', 'priority', 'maxdepth', 'intransitive',
                        'noconfig', 'pkg_filter'],
    'tag_config': ['tag_id', 'arches', 'perm_id', 'locked', 'maven_support',
                   'maven_include_all'],
    'tag_extra': ['tag_id', 'key', 'value'],
    'build_target_config': ['build_target_id', 'build_tag', 'dest_tag'],
    'external_repo_config': ['external_repo_id', 'url'],
    'external_repo_data': ['external_repo_id', 'data'],
    'host_config': ['host_id', 'arches', 'capacity', 'description', 'comment', 'enabled'],
    'host_channels': ['host_id', 'channel_id'],
    'tag_external_repos': ['tag_id', 'external_repo_id', 'priority', 'merge_mode', 'arches'],
    'tag_listing': ['build_id', 'tag_id'],
    'tag_packages': ['package_id', 'tag_id', 'blocked', 'extra_arches'],
    'tag_package_owners': ['package_id', 'tag_id', 'owner'],
    'group_config': ['group_id', 'tag_id', 'blocked', 'exported', 'display_name',
                     'is_default', 'uservisible', 'description', 'langonly', 'biarchonly'],
    'group_req_listing': ['group_id', 'tag_id', 'req_id', 'blocked', 'type', 'is_metapkg'],
    'group_package_listing': ['group_id', 'tag_id', 'package', 'blocked', 'type',
                              'basearchonly', 'requires'],
}

# id column -> (joined table, SQL alias, result key of the name)
NAME_JOINS = {
    'user_id': ('users', 'h_user', 'user.name'),
    'perm_id': ('permissions', 'h_perm', 'permission.name'),
    'cg_id': ('content_generator', 'h_cg', 'content_generator.name'),
    'tag_id': ('tag', 'h_tag', 'tag.name'),
    'host_id': ('host', 'h_host', 'host.name'),
    'channel_id': ('channels', 'h_channel', 'channels.name'),
    'parent_id': ('tag', 'h_parent', 'parent.name'),
    'build_target_id': ('build_target', 'h_target', 'build_target.name'),
    'build_tag': ('tag', 'h_build_tag', 'build_tag.name'),
    'dest_tag': ('tag', 'h_dest_tag', 'dest_tag.name'),
    'external_repo_id': ('external_repo', 'h_erepo', 'external_repo.name'),
    'package_id': ('package', 'h_package', 'package.name'),
    'owner': ('users', 'h_owner', 'owner.name'),
    'req_id': ('groups', 'h_req', 'req.name'),
    'group_id': ('groups', 'h_group', 'group.name'),
}


def _epoch(expr):
    # date_part gives a float; EXTRACT gives numeric, which XML-RPC cannot carry
    return "date_part('epoch', %s)" % expr


# ---------------------------------------------------------------------------
# events

def get_event_info(id, strict=True):
    """getEvent: {id, ts} of one event."""
    _check_event(id)
    query = QueryProcessor(tables=['events'], columns=['id', _epoch('time')],
                           aliases=['id', 'ts'], clauses=['id = %(id)s'], values={'id': id})
    return query.executeOne(strict=strict)


def get_last_event(before=None, strict=True):
    """getLastEvent: the newest event, or the newest strictly before a timestamp."""
    clauses = []
    values = {}
    if before is not None:
        if isinstance(before, bool) or not isinstance(before, numbers.Real):
            raise koji.GenericError('Invalid type for before: %s' % type(before))
        clauses.append('time < to_timestamp(%(before)s)')
        values['before'] = before
    query = QueryProcessor(tables=['events'], columns=['id', _epoch('time')],
                           aliases=['id', 'ts'], clauses=clauses, values=values,
                           opts={'order': '-id', 'limit': 1})
    return query.executeOne(strict=strict)


# ---------------------------------------------------------------------------
# queryHistory

def _host_id(info):
    """Host id by id or name; None when there is none (the filter then matches nothing)."""
    if isinstance(info, dict):
        info = info.get('id', info.get('name'))
    if isinstance(info, int) and not isinstance(info, bool):
        clause = 'id = %(info)s'
    elif isinstance(info, str):
        clause = 'name = %(info)s'
    else:
        raise koji.ParameterError('Invalid name or id value: %s' % (info,))
    row = QueryProcessor(tables=['host'], columns=['id'], clauses=[clause],
                         values={'info': info}).executeOne()
    return None if row is None else row['id']


def _build_id(info):
    """Build id by id, N-V-R string or dict (strict)."""
    if isinstance(info, dict):
        if info.get('id') is not None:
            info = info['id']
        else:
            info = '%(name)s-%(version)s-%(release)s' % info
    if isinstance(info, int) and not isinstance(info, bool):
        clauses, values = ['build.id = %(id)s'], {'id': info}
    elif isinstance(info, str):
        nvr = koji.parse_NVR(info)
        clauses = ['package.name = %(name)s', 'build.version = %(version)s',
                   'build.release = %(release)s']
        values = {'name': nvr['name'], 'version': nvr['version'],
                  'release': nvr['release']}
    else:
        raise koji.ParameterError('Invalid build info: %r' % (info,))
    row = QueryProcessor(tables=['build'], columns=['build.id'], aliases=['id'],
                         joins=['package ON package.id = build.pkg_id'],
                         clauses=clauses, values=values).executeOne()
    if row is None:
        raise koji.GenericError('No such build: %s' % (info,))
    return row['id']


def _user_id(info):
    from ..users.users import get_user
    return get_user(info, strict=True, krb_princs=False)['id']


def _time_expr(name, value):
    """SQL for a timestamp filter value: epoch number or date text."""
    if isinstance(value, bool):
        raise koji.ParameterError('Invalid %s value: %r' % (name, value))
    if isinstance(value, numbers.Real):
        return 'to_timestamp(%%(%s)s)' % name
    if isinstance(value, datetime.datetime):
        return '%%(%s)s' % name
    if isinstance(value, str):
        return '%%(%s)s::timestamptz' % name
    raise koji.ParameterError('Invalid %s value: %r' % (name, value))


# the id column each filter selects on, per table where it differs from the plain one;
# upstream picks the last column of a table that names the filtered kind, so the tag
# filter of build targets means dest_tag, the user filter of user_groups the group, and
# the group filter of group_req_listing the required group
_TAG_COLUMN = {'build_target_config': 'dest_tag', 'tag_inheritance': None}
_USER_COLUMN = {'user_groups': 'group_id', 'tag_package_owners': 'owner'}
_GROUP_COLUMN = {'group_config': 'group_id', 'group_package_listing': 'group_id',
                 'group_req_listing': 'req_id'}


class _Filters(object):
    """History filters with their values resolved to ids once for all tables."""

    def __init__(self, kwargs):
        self.kw = kwargs
        self.values = {}
        resolvers = {
            'tag': lambda v: get_id('tag', v, strict=True),
            'build': _build_id,
            'host': _host_id,
            'channel': lambda v: get_id('channels', v, strict=False),
            'user': _user_id,
            'permission': lambda v: get_id('permissions', v, strict=True),
            'cg': lambda v: get_id('content_generator', v, strict=True),
            'external_repo': lambda v: get_id('external_repo', v, strict=True),
            'build_target': lambda v: get_id('build_target', v, strict=True),
            'group': lambda v: get_id('groups', v, strict=True),
            'editor': _user_id,
        }
        for key, func in resolvers.items():
            if key in kwargs:
                self.values[key] = func(kwargs[key])
        if 'package' in kwargs:
            from .lookup import lookup_name
            pkg = lookup_name('package', kwargs['package'], strict=True)
            self.values['package'] = pkg['id']
            self.values['package_name'] = str(kwargs['package'])
        for key in ('afterEvent', 'beforeEvent'):
            if key in kwargs:
                self.values[key] = _check_event(kwargs[key])
        for key in ('after', 'before'):
            if key in kwargs:
                self.values[key] = kwargs[key]
        if 'xkey' in kwargs:
            self.values['xkey'] = str(kwargs['xkey'])

    def apply(self, table, fields, clauses, columns):
        """Add this table's clauses (and flag columns); False when the table is skipped."""
        kw = self.kw
        t = table
        if 'tag' in kw:
            column = _TAG_COLUMN.get(table, 'tag_id')
            if table == 'tag_inheritance':
                clauses.append('%s.tag_id = %%(tag)s OR %s.parent_id = %%(tag)s' % (t, t))
            elif column in fields:
                clauses.append('%s.%s = %%(tag)s' % (t, column))
            else:
                return False
        simple = (('build', 'build_id'), ('host', 'host_id'), ('channel', 'channel_id'),
                  ('permission', 'perm_id'), ('cg', 'cg_id'),
                  ('external_repo', 'external_repo_id'),
                  ('build_target', 'build_target_id'), ('xkey', 'key'))
        for key, column in simple:
            if key in kw:
                if column not in fields:
                    return False
                clauses.append('%s.%s = %%(%s)s' % (t, column, key))
        if 'package' in kw:
            if 'package_id' in fields:
                clauses.append('%s.package_id = %%(package)s' % t)
            elif 'build_id' in fields:
                clauses.append('h_build.pkg_id = %(package)s')
            elif table == 'group_package_listing':
                clauses.append('%s.package = %%(package_name)s' % t)
            else:
                return False
        if 'user' in kw:
            column = _USER_COLUMN.get(table, 'user_id')
            if column not in fields:
                return False
            clauses.append('%s.%s = %%(user)s' % (t, column))
        if 'group' in kw:
            column = _GROUP_COLUMN.get(table)
            if column is None:
                return False
            clauses.append('%s.%s = %%(group)s' % (t, column))
        if 'active' in kw and kw['active'] is not None:
            if kw['active']:
                clauses.append('%s.active = TRUE' % t)
            else:
                clauses.append('%s.active IS NULL' % t)
        if 'editor' in kw:
            clauses.append('%s.creator_id = %%(editor)s OR %s.revoker_id = %%(editor)s'
                           % (t, t))
            columns.append(('%s.creator_id = %%(editor)s' % t, '_created_by'))
            columns.append(('%s.revoker_id = %%(editor)s' % t, '_revoked_by'))
        for key, suffix, op in (('after', 'after', '>'), ('before', 'before', '<')):
            if key in kw:
                expr = _time_expr(key, kw[key])
                clauses.append('ev1.time %s %s OR ev2.time %s %s' % (op, expr, op, expr))
                columns.append(('ev1.time %s %s' % (op, expr), '_created_%s' % suffix))
                columns.append(('ev2.time %s %s' % (op, expr), '_revoked_%s' % suffix))
        for key, suffix, op in (('afterEvent', 'after_event', '>'),
                                ('beforeEvent', 'before_event', '<')):
            if key in kw:
                clauses.append('%s.create_event %s %%(%s)s OR %s.revoke_event %s %%(%s)s'
                               % (t, op, key, t, op, key))
                columns.append(('%s.create_event %s %%(%s)s' % (t, op, key),
                                '_created_%s' % suffix))
                columns.append(('%s.revoke_event %s %%(%s)s' % (t, op, key),
                                '_revoked_%s' % suffix))
        return True


def _history_query(table, filters, queryOpts):
    """The QueryProcessor for one table, or None when a filter does not apply to it."""
    fields = HISTORY_TABLES[table]
    columns = [('%s.%s' % (table, name), name) for name in fields]
    for name in ('create_event', 'revoke_event', 'creator_id', 'revoker_id', 'active'):
        columns.append(('%s.%s' % (table, name), name))
    columns += [('creator.name', 'creator_name'), ('revoker.name', 'revoker_name'),
                (_epoch('ev1.time'), 'create_ts'), (_epoch('ev2.time'), 'revoke_ts')]
    joins = ['events AS ev1 ON ev1.id = %s.create_event' % table,
             'LEFT OUTER JOIN events AS ev2 ON ev2.id = %s.revoke_event' % table,
             'users AS creator ON creator.id = %s.creator_id' % table,
             'LEFT OUTER JOIN users AS revoker ON revoker.id = %s.revoker_id' % table]
    renames = {}
    for name in fields:
        if name == 'build_id':
            joins.append('LEFT OUTER JOIN build AS h_build ON h_build.id = %s.build_id'
                         % table)
            joins.append('LEFT OUTER JOIN package AS h_bpkg ON h_bpkg.id = h_build.pkg_id')
            columns += [('h_bpkg.name', 'name'), ('h_build.version', 'version'),
                        ('h_build.release', 'release'), ('h_build.epoch', 'epoch'),
                        ('h_build.state', 'h_build_state')]
            renames['h_build_state'] = 'build.state'
            continue
        join = NAME_JOINS.get(name)
        if join is None:
            continue
        jtable, alias, key = join
        if name == 'group_id' and table == 'user_groups':
            jtable = 'users'
        joins.append('LEFT OUTER JOIN %s AS %s ON %s.id = %s.%s'
                     % (jtable, alias, alias, table, name))
        internal = '%s_name' % alias
        columns.append(('%s.name' % alias, internal))
        renames[internal] = key
    clauses = []
    if not filters.apply(table, fields, clauses, columns):
        return None
    opts = dict(queryOpts or {})
    if not opts.get('order') and not opts.get('countOnly'):
        opts['order'] = 'create_event'
    order_map = {}
    for internal, key in renames.items():
        for expr, alias in columns:
            if alias == internal:
                order_map[key] = expr

    def transform(row):
        for internal, key in renames.items():
            if internal in row:
                row[key] = row.pop(internal)
        return dict(sorted(row.items()))

    return QueryProcessor(columns=[c[0] for c in columns], aliases=[c[1] for c in columns],
                          tables=[table], joins=joins, clauses=clauses,
                          values=filters.values, transform=transform, opts=opts,
                          order_map=order_map)


def query_history(tables=None, **kwargs):
    """queryHistory: {table: [rows]} of versioned rows matching the filters.

    Tables a filter cannot apply to (e.g. ``build`` for user_perms) are left out of the
    answer; unknown keyword arguments are ignored as upstream does.
    """
    if tables is None:
        tables = sorted(HISTORY_TABLES)
    for table in tables:
        if table not in HISTORY_TABLES:
            raise koji.GenericError('No such history table: %s' % table)
    queryOpts = kwargs.pop('queryOpts', None)
    filters = _Filters(kwargs)
    ret = {}
    for table in tables:
        query = _history_query(table, filters, queryOpts)
        if query is not None:
            ret[table] = query.execute()
    return ret


# ---------------------------------------------------------------------------
# tag change events (what makes a repo of the tag out of date)

# versioned tables whose rows change what a repo of the tag would contain
REPO_TAG_TABLES = ('tag_listing', 'tag_inheritance', 'tag_config', 'tag_extra',
                   'tag_packages', 'tag_external_repos', 'group_package_listing',
                   'group_req_listing', 'group_config')
# versioned tables of the external repos a tag uses
REPO_EREPO_TABLES = ('external_repo_config', 'external_repo_data')


def _tag_ids(tag_id, event=None, inherit=True):
    """The tag's id followed by its ancestors' ids (when inherit)."""
    ids = [tag_id]
    if inherit:
        from ..tags.inheritance import readFullInheritance
        for link in readFullInheritance(tag_id, event=event):
            if link['parent_id'] not in ids:
                ids.append(link['parent_id'])
    return ids


def _change_event(agg, tag_ids, op=None, event=None, erepos=True):
    """min/max of every change event of the tags (one statement).

    op/event bound the events ('<' before, '>' after); with erepos the config and data
    changes of the external repos linked to the tags (as of ``event``) count as well.
    """
    def cond(col):
        return '' if op is None else ' AND %s %s %%(event)s' % (col, op)
    parts = ['SELECT update_event AS ev FROM tag_updates WHERE tag_id = ANY(%%(tags)s)%s'
             % cond('update_event')]
    for table in REPO_TAG_TABLES:
        for col in ('create_event', 'revoke_event'):
            parts.append('SELECT %s AS ev FROM %s WHERE tag_id = ANY(%%(tags)s)%s'
                         % (col, table, cond(col)))
    if erepos:
        links = ('SELECT external_repo_id FROM tag_external_repos '
                 'WHERE tag_id = ANY(%%(tags)s) AND %s'
                 % eventCondition(event, 'tag_external_repos'))
        for table in REPO_EREPO_TABLES:
            for col in ('create_event', 'revoke_event'):
                parts.append('SELECT %s AS ev FROM %s WHERE external_repo_id IN (%s)%s'
                             % (col, table, links, cond(col)))
    sql = 'SELECT %s(ev) FROM (%s) AS changes' % (agg, '\nUNION ALL\n'.join(parts))
    from .db import _singleValue
    return _singleValue(sql, {'tags': list(tag_ids), 'event': event}, strict=False)


def _event_arg(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise koji.ParameterError(f"Invalid type for value '{value}': {type(value)}, "
                                  f"expected type {int}")
    return value


def tag_changed_since_event(event, taglist):
    """tagChangedSinceEvent: True if any of the listed tags changed after the event.

    No inheritance is followed: callers pass the whole tag list they care about.
    """
    _check_event(event)
    if not isinstance(taglist, (list, tuple)):
        taglist = [taglist]
    ids = [t for t in taglist if isinstance(t, int) and not isinstance(t, bool)]
    if len(ids) != len(taglist):
        from ..tags.tags import get_tag_id
        ids = [get_tag_id(t, strict=True) for t in taglist]
    if not ids:
        return False
    last = get_last_event(strict=False)
    if last is None or event > last['id']:
        raise koji.GenericError('Event %i is in the future' % event)
    found = _change_event('max', ids, '>', event, erepos=False)
    return found is not None


def tag_last_change_event(tag, before=None, inherit=True):
    """tagLastChangeEvent: newest event strictly before ``before`` touching the tag.

    Follows inheritance (as of ``before``) and the tag's external repos; a deleted tag
    answers its deletion event (or earlier changes when ``before`` is given).
    """
    from ..tags.tags import get_tag
    before = _event_arg(before, 'before')
    taginfo = get_tag(tag, strict=True, event='auto')
    tag_delete = taginfo.get('revoke_event')
    if before is None and tag_delete:
        return tag_delete
    ids = _tag_ids(taginfo['id'], event=before, inherit=inherit)
    last = _change_event('max', ids, None if before is None else '<', before)
    if last is None:
        return None
    if tag_delete:
        return min(tag_delete, last)
    return last


def tag_first_change_event(tag, after=None, inherit=True):
    """tagFirstChangeEvent: first event strictly after ``after`` touching the tag.

    With after=None this is the tag's creation event; None when nothing changed since.
    """
    from ..tags.tags import get_tag_id
    tag_id = get_tag_id(tag, strict=True)
    after = _event_arg(after, 'after')
    query = QueryProcessor(tables=['tag_config'], columns=['min(create_event)'],
                           aliases=['ev'], clauses=['tag_id = %(tag_id)s'],
                           values={'tag_id': tag_id})
    created = query.singleValue(strict=False)
    if after is None:
        return created
    ids = _tag_ids(tag_id, event=after, inherit=inherit)
    first = _change_event('min', ids, '>', after)
    if first is None:
        return None
    return max(first, created) if created is not None else first


class HistoryExports(object):
    """History calls, bound into RootExports."""

    getEvent = staticmethod(get_event_info)
    getLastEvent = staticmethod(get_last_event)
    queryHistory = staticmethod(query_history)
    tagChangedSinceEvent = staticmethod(tag_changed_since_event)
    tagLastChangeEvent = staticmethod(tag_last_change_event)
    tagFirstChangeEvent = staticmethod(tag_first_change_event)
