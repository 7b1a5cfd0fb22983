"""The search call: find objects of one type by name (glob, regexp or exact match).

Every type is a single parameterized query answering {id, name}; the search terms never
reach the SQL text.
"""
import re

import psycopg2

import koji

from ..core.db import QueryProcessor, Savepoint

_NVR = "package.name || '-' || build.version || '-' || build.release"
_NVRA = ("rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release || '.' "
         "|| rpminfo.arch || '.rpm'")
_WIN_PATH = "trim(leading '/' from win_archives.relpath || '/' || archiveinfo.filename)"

# type -> (table, joins, id expression, name expression, expression matched, extra clauses)
SEARCH_TYPES = {
    'package': ('package', [], 'package.id', 'package.name', 'package.name', []),
    'build': ('build', ['package ON build.pkg_id = package.id'], 'build.id', _NVR, _NVR, []),
    'tag': ('tag', ['tag_config ON tag.id = tag_config.tag_id'], 'tag.id', 'tag.name',
            'tag.name', ['tag_config.active IS TRUE']),
    'target': ('build_target',
               ['build_target_config ON build_target.id = build_target_config.build_target_id'],
               'build_target.id', 'build_target.name', 'build_target.name',
               ['build_target_config.active IS TRUE']),
    'user': ('users', [], 'users.id', 'users.name', 'users.name', []),
    'host': ('host', [], 'host.id', 'host.name', 'host.name', []),
    'rpm': ('rpminfo', [], 'rpminfo.id', _NVRA, _NVRA, []),
    'maven': ('archiveinfo', ['maven_archives ON archiveinfo.id = maven_archives.archive_id'],
              'archiveinfo.id', 'archiveinfo.filename', 'archiveinfo.filename', []),
    'win': ('archiveinfo', ['win_archives ON archiveinfo.id = win_archives.archive_id'],
            'archiveinfo.id', _WIN_PATH, 'archiveinfo.filename', []),
}


def glob_to_like(terms):
    """Shell glob -> LIKE pattern; literal % and _ are escaped so only * and ? are wild."""
    terms = terms.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    return terms.replace('*', '%').replace('?', '_')


def search(terms, type, matchType, queryOpts=None):
    """search: [{id, name}] of objects of a type whose name matches the terms."""
    if not terms:
        raise koji.GenericError('empty search terms')
    if type == 'file':
        # file search has never been implemented upstream; answer consistently
        return []
    spec = SEARCH_TYPES.get(type)
    if spec is None:
        raise koji.GenericError('unknown search type: %s' % type)
    table, joins, id_expr, name_expr, match_expr, clauses = spec
    if matchType == 'glob':
        oper = 'ILIKE'
        terms = glob_to_like(terms)
    elif matchType == 'regexp':
        oper = '~*'
        try:
            re.compile(terms)
        except re.error as exc:
            raise koji.GenericError('Invalid regex: %s (%s)' % (terms, exc))
    else:
        oper = '='
    query = QueryProcessor(columns=[id_expr, name_expr], aliases=['id', 'name'],
                           tables=[table], joins=joins,
                           clauses=clauses + ['%s %s %%(terms)s' % (match_expr, oper)],
                           values={'terms': terms}, opts=queryOpts)
    if matchType != 'regexp':
        return query.execute()
    # PostgreSQL regexes differ from Python's; a pattern only it rejects is a user error
    savepoint = Savepoint('search_regexp')
    try:
        result = query.execute()
    except koji.ParameterError as exc:
        # the database layer reports a value it refused as ParameterError (core/db.py)
        if not isinstance(exc.__cause__, psycopg2.DataError):
            raise
        savepoint.rollback()
        raise koji.GenericError('Invalid regex: %s (%s)'
                                % (terms, str(exc.__cause__).strip()))
    savepoint.release()
    return result


class SearchExports(object):
    """The search call, bound into RootExports."""

    search = staticmethod(search)
