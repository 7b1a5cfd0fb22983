"""Resolve the id-or-name arguments that most hub calls accept for named objects."""
import koji

from .db import InsertProcessor, QueryProcessor

# tables whose rows are plain (id, name) pairs
NAMED_TABLES = ('package', 'tag', 'build_target', 'external_repo', 'channels', 'volume',
                'permissions', 'groups', 'btype', 'content_generator', 'users', 'archivetypes')


def lookup_name(table, info, strict=False, create=False):
    """Return {'id', 'name'} for an id, a name or a dict holding either.

    With create=True a missing name is inserted (ids cannot be created). With strict=True a
    missing object raises GenericError, otherwise None is returned.
    """
    if table not in NAMED_TABLES:
        raise koji.GenericError('not a named table: %s' % table)
    if isinstance(info, dict):
        if info.get('id') is not None:
            info = info['id']
        elif info.get('name') is not None:
            info = info['name']
        else:
            raise koji.ParameterError('Invalid name or id value: %r' % (info,))
    if isinstance(info, bool) or not isinstance(info, (int, str)):
        raise koji.ParameterError('Invalid name or id value: %r' % (info,))
    if isinstance(info, int):
        clause, values = 'id = %(info)s', {'info': info}
    else:
        clause, values = 'name = %(info)s', {'info': info}
    query = QueryProcessor(columns=['id', 'name'], tables=[table], clauses=[clause],
                           values=values, prepare=True)
    row = query.executeOne()
    if row is not None:
        return row
    if create:
        if not isinstance(info, str):
            raise koji.GenericError('Name must be a string to create it: %r' % (info,))
        return create_named(table, info)
    if strict:
        raise koji.GenericError('No such entry in table %s: %s' % (table, info))
    return None


def create_named(table, name):
    """Insert a name, or take the row a concurrent call inserted first (no unique
    violation when two clients bring the same new package at once)."""
    insert = InsertProcessor(table, data={'name': name},
                             rawdata={'id': "nextval('%s_id_seq')" % table})
    insert.on_conflict_do_nothing = True
    new_id = insert.execute(returning='id')
    if new_id is None:
        query = QueryProcessor(columns=['id', 'name'], tables=[table],
                               clauses=['name = %(name)s'], values={'name': name})
        return query.executeOne(strict=True)
    return {'id': new_id, 'name': name}


def get_id(table, info, strict=False, create=False):
    """Id for lookup_name's arguments, or None."""
    row = lookup_name(table, info, strict=strict, create=create)
    if row is None:
        return None
    return row['id']


def name_or_id_clause(table, info):
    """(clause, values) selecting a row of a named table by id, name or dict of either.

    Worded as upstream's: anything else is 'Invalid name or id value'.
    """
    if isinstance(info, dict):
        if 'id' in info:
            try:
                info = int(info['id'])
            except (TypeError, ValueError):
                raise koji.ParameterError('Invalid name or id value: %s' % (info,))
        elif 'name' in info:
            info = info['name']
        else:
            raise koji.ParameterError('Invalid name or id value: %s' % (info,))
    if isinstance(info, int):
        return '%s.id = %%(%s_id)s' % (table, table), {'%s_id' % table: info}
    if isinstance(info, str):
        return '%s.name = %%(%s_name)s' % (table, table), {'%s_name' % table: info}
    raise koji.ParameterError('Invalid name or id value: %s' % (info,))
