"""Packages and tag package lists (tag_packages + tag_package_owners).

A tag's effective package list is its own entries plus those it inherits; the nearest
entry for a package wins, so a block in a child hides the parent's entry. The inherited
list is read with one query over every tag of the inheritance and resolved in memory,
because the list of a deep tag can hold thousands of packages.
"""
import logging
import re

import koji
from koji.context import context
from koji.plugin import run_callbacks

from ..api import counting
from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor
from ..core.lookup import create_named, lookup_name
from ..core.names import verify_name_internal
from ..users.users import get_session_user, get_user
from ..core.versioning import eventCondition

logger = logging.getLogger('koji.hub.packages')

# how countAndFilterResults may order listPackages records in SQL (see api/counting.py)
_ENTRY_KINDS = {'blocked': counting.BOOL, 'extra_arches': counting.TEXT,
                'owner_id': counting.INT, 'owner_name': counting.TEXT,
                'package_id': counting.INT, 'package_name': counting.TEXT,
                'tag_id': counting.INT, 'tag_name': counting.TEXT}
# list_packages' order of the entries of one tag, or of all tags with with_dups: packages
# as they first come in (tag, name) order, each with its entries in tag order
_ENTRY_ORDER = 'min("tag_id") OVER (PARTITION BY "package_id"), "package_name", "tag_id"'

ENTRY_KEYS = ('blocked', 'extra_arches', 'owner_id', 'owner_name', 'package_id',
              'package_name', 'tag_id', 'tag_name')


# ---------------------------------------------------------------------------
# neighbours (imported late: tags and inheritance are separate modules that may import us)

def _get_tag(taginfo, strict=True, event=None):
    from . import tags
    return tags.get_tag(taginfo, strict=strict, event=event)


def _get_tag_id(taginfo, strict=False):
    from . import tags
    return tags.get_tag_id(taginfo, strict=strict)


def _full_inheritance(tag_id, event=None):
    from . import inheritance
    return inheritance.readFullInheritance(tag_id, event=event)


# ---------------------------------------------------------------------------
# packages

def lookup_package(info, strict=False, create=False):
    """{id, name} of a package given by id, name or dict; create makes a missing name."""
    row = lookup_name('package', info, strict=strict and not create)
    if row is None and create:
        if not isinstance(info, str):
            raise koji.GenericError('Name must be a string to create a package: %r'
                                    % (info,))
        verify_name_internal(info)
        row = create_named('package', info)
    return row


def get_package_id(info, strict=False, create=False):
    """Id of a package given by id, name or dict (see lookup_package)."""
    row = lookup_package(info, strict=strict, create=create)
    return None if row is None else row['id']


def get_package_id_by_name(name, strict=False):
    """The getPackageID call: names only, unlike get_package_id."""
    query = QueryProcessor(tables=['package'], columns=['id'], clauses=['name = %(name)s'],
                           values={'name': name})
    value = query.singleValue(strict=False)
    if value is None and strict:
        raise koji.GenericError('No such package name: %s' % name)
    return value


def list_packages_simple(prefix=None, queryOpts=None):
    """All packages (id and name), optionally those whose name starts with prefix."""
    clauses = []
    values = {}
    if prefix:
        escaped = prefix.replace('\\', '\\\\')
        escaped = escaped.replace('%', '\\%').replace('_', '\\_')
        clauses.append('package.name ILIKE %(prefix)s')
        values['prefix'] = escaped + '%'
    opts = dict(queryOpts or {})
    if not opts.get('order') and not opts.get('countOnly'):
        opts['order'] = 'package_name'
    query = QueryProcessor(tables=['package'], columns=['package.id', 'package.name'],
                           aliases=['package_id', 'package_name'], clauses=clauses,
                           values=values, opts=opts)
    return query.execute()


# ---------------------------------------------------------------------------
# reading package lists

def _sort_key(value):
    """Sort key that copes with None and mixed types (Python-side queryOpts)."""
    if value is None:
        return (0, 0, '')
    if isinstance(value, (bool, int, float)):
        return (1, value, '')
    return (2, 0, str(value))


def _applyQueryOpts(results, queryOpts):
    """countOnly/order/offset/limit applied to an in-memory result list."""
    if not queryOpts:
        return results
    results = list(results)
    order = queryOpts.get('order')
    if order:
        terms = [t.strip() for t in order.split(',') if t.strip()]
        # stable sorts applied last term first give a multi-key ordering
        for term in reversed(terms):
            reverse = term.startswith('-')
            key = term[1:] if reverse else term
            if results and key not in results[0]:
                raise koji.ParameterError('Invalid order term: %s' % key)
            results.sort(key=lambda row: _sort_key(row.get(key)), reverse=reverse)
    offset = queryOpts.get('offset')
    if offset:
        results = results[offset:]
    limit = queryOpts.get('limit')
    if limit is not None:
        results = results[:limit]
    if queryOpts.get('countOnly'):
        return len(results)
    return results


def _package_list_query(tag_ids, pkgID, userID, event, with_owners, blocked_clause,
                        ordered=True):
    columns = ['package.id', 'package.name', 'tag.id', 'tag.name',
               'tag_packages.extra_arches', 'tag_packages.blocked']
    aliases = ['package_id', 'package_name', 'tag_id', 'tag_name', 'extra_arches', 'blocked']
    joins = ['tag ON tag.id = tag_packages.tag_id',
             'package ON package.id = tag_packages.package_id']
    clauses = [eventCondition(event, 'tag_packages')]
    values = {}
    if with_owners or userID is not None:
        columns += ['users.id', 'users.name']
        aliases += ['owner_id', 'owner_name']
        joins += ['tag_package_owners ON tag_package_owners.tag_id = tag_packages.tag_id '
                  'AND tag_package_owners.package_id = tag_packages.package_id',
                  'users ON users.id = tag_package_owners.owner']
        clauses.append(eventCondition(event, 'tag_package_owners'))
    if tag_ids is not None:
        if len(tag_ids) == 1:
            clauses.append('tag_packages.tag_id = %(tag_id)s')
            values['tag_id'] = tag_ids[0]
        else:
            clauses.append('tag_packages.tag_id IN %(tag_ids)s')
            values['tag_ids'] = tuple(tag_ids)
    if pkgID is not None:
        if isinstance(pkgID, int):
            clauses.append('package.id = %(pkg_id)s')
        else:
            clauses.append('package.name = %(pkg_id)s')
        values['pkg_id'] = pkgID
    if userID is not None:
        clauses.append('users.id = %(user_id)s')
        values['user_id'] = userID
    if blocked_clause:
        clauses.append('NOT tag_packages.blocked')
    return QueryProcessor(tables=['tag_packages'], columns=columns, aliases=aliases,
                          joins=joins, clauses=clauses, values=values,
                          opts={'order': 'tag_id,package_name'} if ordered else {})


def _compile_filters(patterns, cache):
    progs = []
    for pattern in patterns or ():
        prog = cache.get(pattern)
        if prog is None:
            prog = cache[pattern] = re.compile(pattern)
        progs.append(prog)
    return progs


def readPackageList(tagID=None, userID=None, pkgID=None, event=None, inherit=False,
                    with_dups=False, with_owners=True, with_blocked=True):
    """{package_id: entry} of the package list entries of a tag, an owner or a package.

    The owner and with_blocked=False conditions select rows at every level, as upstream
    does: a blocked entry left out this way does not hide what a parent lists. With
    inherit (and a tag), parents' entries count in inheritance order, cut down by the
    pkg_filter regexes along each path, and the nearest entry wins. with_dups gives
    every entry seen as {package_id: [entries]} (nearest first) instead.
    """
    if tagID is None and userID is None and pkgID is None:
        raise koji.GenericError('tag,user, and/or pkg must be specified')
    if userID is not None and not with_owners:
        raise koji.GenericError("userID and with_owners=False can't be used together")
    if tagID is None or not inherit:
        order = [(tagID, [])]
        tag_ids = None if tagID is None else [tagID]
    else:
        links = _full_inheritance(tagID, event=event)
        order = [(tagID, [])] + [(link['parent_id'], link['filter']) for link in links]
        tag_ids = list(dict.fromkeys(tag_id for tag_id, _ in order))
    query = _package_list_query(tag_ids, pkgID, userID, event, with_owners,
                                not with_blocked)
    by_tag = {}
    for row in query.execute():
        by_tag.setdefault(row['tag_id'] if tag_ids else None, []).append(row)
    packages = {}
    cache = {}
    for pos, (tag_id, patterns) in enumerate(order):
        progs = _compile_filters(patterns, cache)
        for row in by_tag.get(tag_id if tag_ids else None, ()):
            pkg_id = row['package_id']
            if pos and not with_dups and pkg_id in packages:
                continue
            if progs and not all(prog.match(row['package_name']) for prog in progs):
                continue
            if with_dups:
                # a tag reached twice gives its rows twice, as upstream's walk does
                packages.setdefault(pkg_id, []).append(dict(row))
            else:
                packages[pkg_id] = row
    return packages


def list_packages(tagID=None, userID=None, pkgID=None, prefix=None, inherited=False,
                  with_dups=False, event=None, queryOpts=None, with_owners=True,
                  with_blocked=True):
    """Package list entries by tag, owner and/or package; all packages without filters."""
    # countAndFilterResults('listPackages', ...) offers its filterOpts (api/counting.py)
    page = counting.take_page_request('listPackages')
    if tagID is None and userID is None and pkgID is None:
        return list_packages_simple(prefix, queryOpts)
    if tagID is not None:
        tagID = _get_tag_id(tagID, strict=True)
    if userID is not None:
        userID = get_user(userID, strict=True, krb_princs=False)['id']
    if pkgID is not None:
        pkgID = get_package_id(pkgID, strict=True)
    if userID is not None and not with_owners:
        # readPackageList's fault
        page = None
    if (page is not None and not prefix and not queryOpts
            and (tagID is None or not inherited) and (with_dups or tagID is not None)):
        result = _page_package_list(page, tagID, userID, pkgID, event, with_owners,
                                    with_blocked)
        if result is not None:
            return result
    packages = readPackageList(tagID=tagID, userID=userID, pkgID=pkgID, event=event,
                               inherit=inherited, with_dups=with_dups,
                               with_owners=with_owners, with_blocked=with_blocked)
    if with_dups:
        results = [row for rows in packages.values() for row in rows]
    else:
        results = list(packages.values())
    if prefix:
        prefix = prefix.lower()
        results = [row for row in results if row['package_name'].lower().startswith(prefix)]
    return _applyQueryOpts(results, queryOpts)


def _page_package_list(page, tag_id, user_id, pkg_id, event, with_owners, with_blocked):
    """countAndFilterResults' page of the entries of one tag, or of every tag (with_dups),
    without inheritance: then the entries are the query's rows as they are, and SQL can
    sort, slice and count them as list_packages would."""
    query = _package_list_query(None if tag_id is None else [tag_id], pkg_id, user_id, event,
                                with_owners, not with_blocked, ordered=False)
    names = list(query._fields())
    order = page.order_by(_ENTRY_KINDS, _ENTRY_ORDER, names)
    if order is None:
        return None
    return page.run(str(query), query.values, names, order)


def check_tag_package(tag, pkg):
    """True when the package is listed, unblocked, in the tag (inheritance included)."""
    tag_id = _get_tag_id(tag, strict=False)
    pkg_id = get_package_id(pkg, strict=False)
    if tag_id is None or pkg_id is None:
        return False
    entry = readPackageList(tagID=tag_id, pkgID=pkg_id, inherit=True,
                            with_owners=False).get(pkg_id)
    return entry is not None and not entry['blocked']


def get_package_config(tag, pkg, event=None):
    """The entry that decides a package in a tag (inheritance included), or None."""
    tag_id = _get_tag_id(tag, strict=False)
    pkg_id = get_package_id(pkg, strict=False)
    if tag_id is None or pkg_id is None:
        return None
    return readPackageList(tagID=tag_id, pkgID=pkg_id, inherit=True, event=event).get(pkg_id)


# ---------------------------------------------------------------------------
# policy

def _assert_package_list_policy(tag_id, action, package, force):
    """package_list policy; an admin passing force overrides a denial."""
    from ..core import policy
    context.session.assertLogin()
    data = {'tag': tag_id, 'action': action, 'package': package, 'force': force}
    policy.assert_policy('package_list', data, force=force)


# ---------------------------------------------------------------------------
# changing package lists

def _revoke_entry(tag_id, pkg_id, tables=('tag_packages', 'tag_package_owners')):
    for table in tables:
        update = UpdateProcessor(table, clauses=['tag_id = %(tag_id)s',
                                                 'package_id = %(pkg_id)s'],
                                 values={'tag_id': tag_id, 'pkg_id': pkg_id})
        update.make_revoke()
        update.execute()


def _write_entry(tag_id, pkg_id, blocked, extra_arches, owner):
    """Replace the tag's own entry: a new config row and a new owner row, always both."""
    _revoke_entry(tag_id, pkg_id, tables=['tag_packages'])
    insert = InsertProcessor('tag_packages', data={
        'tag_id': tag_id, 'package_id': pkg_id, 'blocked': blocked,
        'extra_arches': extra_arches})
    insert.make_create()
    insert.execute()
    _write_owner(tag_id, pkg_id, owner)


def _write_owner(tag_id, pkg_id, owner):
    _revoke_entry(tag_id, pkg_id, tables=['tag_package_owners'])
    insert = InsertProcessor('tag_package_owners', data={
        'tag_id': tag_id, 'package_id': pkg_id, 'owner': owner})
    insert.make_create()
    insert.execute()


def _caller():
    if context.session.user_id is None:
        return None
    return get_session_user()


def pkglist_add(taginfo, pkginfo, owner=None, block=None, extra_arches=None, force=False,
                update=False):
    """Add or update a package's entry in a tag (package_list policy applies)."""
    return _direct_pkglist_add(taginfo, pkginfo, owner, block, extra_arches, force, update,
                               policy=True)


def _direct_pkglist_add(taginfo, pkginfo, owner, block, extra_arches, force, update,
                        policy=False):
    """pkglist_add without the policy check (for internal callers that did their own).

    The entry the tag shows now (its own or inherited) is the starting point: what the
    call leaves out is taken from it, and nothing is written when neither the data nor
    the owner differ from it (unless forced). A new entry needs an owner (force: the
    caller); unblocking a blocked package or updating a package the tag has no data
    for needs force. A change of data rewrites the tag's entry with its owner row; a
    change of owner alone rewrites only the owner row.
    """
    tag = _get_tag(taginfo, strict=True)
    pkg = lookup_package(pkginfo, strict=False)
    if pkg is None and not isinstance(pkginfo, str):
        raise koji.GenericError('No such package: %s' % (pkginfo,))
    if owner is not None:
        owner = get_user(owner, strict=True, krb_princs=False)['id']
    if update:
        action = 'update'
    elif block:
        action = 'block'
    else:
        action = 'add'
    if policy:
        _assert_package_list_policy(tag['id'], action, pkginfo, force)
    if pkg is None:
        pkg = lookup_package(pkginfo, create=True)
    if extra_arches is not None:
        extra_arches = koji.parse_arches(extra_arches, strict=True, allow_none=True)
    user = _caller()
    previous = readPackageList(tag['id'], pkgID=pkg['id'], inherit=True).get(pkg['id'])
    changed = changed_owner = False
    if previous is None:
        block = bool(block)
        if update and not force:
            raise koji.GenericError('cannot update: tag %s has no data for package %s'
                                    % (tag['name'], pkg['name']))
    else:
        if owner is None:
            owner = previous['owner_id']
        changed_owner = previous['owner_id'] != owner
        block = previous['blocked'] if block is None else bool(block)
        if extra_arches is None:
            extra_arches = previous['extra_arches']
        changed = (previous['blocked'] != block
                   or previous['extra_arches'] != extra_arches)
        if not changed and not changed_owner and not force:
            return None
        if previous['blocked'] and not block and not force:
            raise koji.GenericError('package %s is blocked in tag %s'
                                    % (pkg['name'], tag['name']))
    if owner is None:
        if not force:
            raise koji.GenericError('owner not specified')
        owner = context.session.user_id
    cbargs = dict(action=action, tag=tag, package=pkg, owner=owner, block=block,
                  extra_arches=extra_arches, force=force, update=update, user=user)
    run_callbacks('prePackageListChange', **cbargs)
    if previous is None or changed:
        _write_entry(tag['id'], pkg['id'], block, extra_arches, owner)
    elif changed_owner:
        _write_owner(tag['id'], pkg['id'], owner)
    run_callbacks('postPackageListChange', **cbargs)
    return None


def pkglist_remove(taginfo, pkginfo, force=False):
    """Drop a tag's own entry for a package (inherited entries show through again).

    Removing a block this way is allowed too; unblock is the gentler alternative.
    """
    tag = _get_tag(taginfo, strict=True)
    pkg = lookup_package(pkginfo, strict=True)
    _assert_package_list_policy(tag['id'], 'remove', pkg['id'], force)
    user = _caller()
    run_callbacks('prePackageListChange', action='remove', tag=tag, package=pkg, user=user)
    # the owner row stays, as upstream leaves it
    _revoke_entry(tag['id'], pkg['id'], tables=['tag_packages'])
    run_callbacks('postPackageListChange', action='remove', tag=tag, package=pkg, user=user)
    return None


def pkglist_block(taginfo, pkginfo, force=False):
    """Block a package the tag lists (directly or by inheritance)."""
    tag = _get_tag(taginfo, strict=True)
    pkg = lookup_package(pkginfo, strict=True)
    if not readPackageList(tag['id'], pkgID=pkg['id'], inherit=True, with_owners=False):
        raise koji.GenericError('Package %s is not in tag listing for %s'
                                % (pkg['name'], tag['name']))
    return pkglist_add(taginfo, pkginfo, block=True, force=force)


def pkglist_unblock(taginfo, pkginfo, force=False):
    """Lift a block: drop the tag's own block, or override an inherited one.

    The package stays listed afterwards, with the previous owner, even when nothing
    else would list it.
    """
    tag = _get_tag(taginfo, strict=True)
    pkg = lookup_package(pkginfo, strict=True)
    _assert_package_list_policy(tag['id'], 'unblock', pkg['id'], force)
    user = _caller()
    previous = readPackageList(tag['id'], pkgID=pkg['id'], inherit=True).get(pkg['id'])
    if previous is None:
        raise koji.GenericError('no data (blocked or otherwise) for package %s in tag %s'
                                % (pkg['name'], tag['name']))
    if not previous['blocked']:
        raise koji.GenericError('package %s NOT blocked in tag %s'
                                % (pkg['name'], tag['name']))
    run_callbacks('prePackageListChange', action='unblock', tag=tag, package=pkg, user=user)
    if previous['tag_id'] != tag['id']:
        _write_entry(tag['id'], pkg['id'], False, previous['extra_arches'],
                     previous['owner_id'])
    else:
        _revoke_entry(tag['id'], pkg['id'], tables=['tag_packages'])
        now = readPackageList(tag['id'], pkgID=pkg['id'], inherit=True).get(pkg['id'])
        if now is None or now['blocked']:
            _write_entry(tag['id'], pkg['id'], False, previous['extra_arches'],
                         previous['owner_id'])
    run_callbacks('postPackageListChange', action='unblock', tag=tag, package=pkg, user=user)
    return None


def pkglist_setowner(taginfo, pkginfo, owner, force=False):
    """Change the owner of a package's entry in a tag."""
    return pkglist_add(taginfo, pkginfo, owner=owner, force=force, update=True)


def pkglist_setarches(taginfo, pkginfo, arches, force=False):
    """Set the extra arches of a package's entry in a tag."""
    return pkglist_add(taginfo, pkginfo, extra_arches=arches, force=force, update=True)


class PackageExports(object):
    """Package and package list calls, bound into RootExports."""

    packageListAdd = staticmethod(pkglist_add)
    packageListRemove = staticmethod(pkglist_remove)
    packageListBlock = staticmethod(pkglist_block)
    packageListUnblock = staticmethod(pkglist_unblock)
    packageListSetOwner = staticmethod(pkglist_setowner)
    packageListSetArches = staticmethod(pkglist_setarches)
    getPackageID = staticmethod(get_package_id_by_name)
    getPackage = staticmethod(lookup_package)
    listPackages = staticmethod(list_packages)
    listPackagesSimple = staticmethod(list_packages_simple)
    checkTagPackage = staticmethod(check_tag_package)
    getPackageConfig = staticmethod(get_package_config)
