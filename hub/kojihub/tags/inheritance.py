"""Tag inheritance: direct parent links (tag_inheritance) and the flattened chain.

The flattened chain drives package lists, tagged builds, comps groups and build config,
so it is computed from one query that fetches every link reachable from the tag (a
recursive CTE), and then walked in memory: no query per tag.
"""
import logging
import re

import koji
from koji.context import context

from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor
from ..core.lookup import get_id
from ..core.versioning import eventCondition

logger = logging.getLogger('koji.hub.inheritance')

LINK_FIELDS = ('parent_id', 'priority', 'maxdepth', 'intransitive', 'noconfig', 'pkg_filter')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _tag_id(tag):
    return get_id('tag', tag, strict=True)


def _link_query(clauses, values, event, reverse=False, start=None):
    """Active-at-event links; `name` is the parent's name (the child's when reverse).

    With `start` (a condition on tag_inheritance naming `start.id`), the query reads the
    tag `start` (selected by `clauses`) LEFT JOINed to the links the condition accepts,
    and each row carries `start_id`.
    """
    named = 'tag_inheritance.tag_id' if reverse else 'tag_inheritance.parent_id'
    columns = ['tag_inheritance.tag_id', 'tag_inheritance.parent_id', 'tag.name',
               'tag_inheritance.priority', 'tag_inheritance.maxdepth',
               'tag_inheritance.intransitive', 'tag_inheritance.noconfig',
               'tag_inheritance.pkg_filter']
    aliases = ['tag_id' if reverse else 'child_id', 'parent_id', 'name', 'priority',
               'maxdepth', 'intransitive', 'noconfig', 'pkg_filter']
    active = eventCondition(event, 'tag_inheritance')
    if start is None:
        return QueryProcessor(columns=columns, aliases=aliases, tables=['tag_inheritance'],
                              joins=['tag ON tag.id = %s' % named],
                              clauses=[active] + clauses,
                              values=values, opts={'order': 'priority'}, prepare=True)
    joins = ['LEFT JOIN (tag_inheritance JOIN tag ON tag.id = %s) ON %s AND %s'
             % (named, active, start)]
    return QueryProcessor(columns=['start.id'] + columns, aliases=['start_id'] + aliases,
                          tables=['tag AS start'], joins=joins, clauses=clauses,
                          values=values, opts={'order': 'priority'}, prepare=True)


def readInheritanceData(tag_id, event=None):
    """Direct parent links of a tag, by priority."""
    return _link_query(['tag_inheritance.tag_id = %(tag_id)s'], {'tag_id': tag_id},
                       event).execute()


def readDescendantsData(tag_id, event=None):
    """Direct child links of a tag, by priority (keys use tag_id for the child)."""
    return _link_query(['tag_inheritance.parent_id = %(tag_id)s'], {'tag_id': tag_id},
                       event, reverse=True).execute()


def _read_graph(tag, event, reverse):
    """All links reachable from a tag in one query, grouped by the tag they start from.

    `tag` is an id (taken as is) or a name, resolved in the same statement, so a lookup
    by name costs no extra round trip. Returns (tag_id, {tag_id: [link, ...]}) with each
    list ordered by priority (then the other end's id, for a stable walk); a name no tag
    has raises GenericError, as the separate lookup did.
    """
    cond = eventCondition(event, 'ti')
    if reverse:
        near, far = 'parent_id', 'tag_id'
    else:
        near, far = 'tag_id', 'parent_id'
    if _is_int(tag):
        seed, values = '%(tag_id)s::integer', {'tag_id': tag}
    else:
        # not `start.id`: a correlated seed would re-run the recursion for every link
        seed, values = 'id FROM tag WHERE name = %(tag_name)s', {'tag_name': tag}
    reach = ('tag_inheritance.%s IN (WITH RECURSIVE reach(id) AS ('
             'SELECT %s UNION '
             'SELECT ti.%s FROM tag_inheritance ti JOIN reach ON ti.%s = reach.id '
             'WHERE %s) SELECT id FROM reach)' % (near, seed, far, near, cond))
    start_key = 'parent_id' if reverse else 'child_id'
    other = 'tag_id' if reverse else 'parent_id'
    if _is_int(tag):
        tag_id = tag
        links = _link_query([reach], values, event, reverse=reverse).execute()
    else:
        # the start tag LEFT JOINed to its links: one row of NULLs when it has none, no
        # row when there is no such tag
        links = _link_query(['start.name = %(tag_name)s'], values, event, reverse=reverse,
                            start=reach).execute()
        if not links:
            raise koji.GenericError('No such entry in table tag: %s' % tag)
        tag_id = links[0]['start_id']
        if links[0][start_key] is None:
            links = []
    graph = {}
    for link in links:
        link.pop('start_id', None)
        graph.setdefault(link[start_key], []).append(link)
    for node_links in graph.values():
        node_links.sort(key=lambda lnk: (lnk['priority'], lnk[other]))
    return tag_id, graph


def _next_depth(link_max, budget):
    """Depth budget below the tag a link leads to (None = no limit), as upstream counts it.

    With a budget already set, the link's own maxdepth is capped by it before the level
    just taken is subtracted, so a link maxdepth under a limited path counts one less.
    """
    if link_max is None:
        return None if budget is None else budget - 1
    if budget is None:
        return link_max
    return min(link_max, budget) - 1


def _sufficient(previous, nextdepth, noconfig):
    """Whether an earlier visit of a tag already covers a new path to it."""
    lastdepth = previous['nextdepth']
    if nextdepth is None:
        if lastdepth is not None:
            return False
    elif lastdepth is not None and lastdepth < nextdepth:
        return False
    if previous['noconfig'] and not noconfig:
        return False
    # a filtered earlier visit may have hidden something this path shows
    return not previous['filter']


def readFullInheritance(tag_id, event=None, reverse=False):
    """The flattened inheritance of a tag, in the order it takes effect.

    Depth-first by priority. A tag reached again is listed (and walked) again unless an
    earlier visit covers the new path: it went at least as deep, had no package filter,
    and was not noconfig where the new path is not. Loops are pruned. Intransitive links
    count only at the first level; in reverse they are listed but not followed, and a
    descendant is left out when its link's maxdepth does not reach the start tag.
    """
    tag_id, graph = _read_graph(tag_id, event, reverse)
    order = []
    history = {}  # tag -> the entries already listed for it
    step = 'tag_id' if reverse else 'parent_id'

    def walk(node, currdepth, budget, noconfig, pfilter, path):
        if budget is not None and budget < 1:
            return
        for link in graph.get(node, ()):
            target = link[step]
            if target in path:
                if event is None:
                    logger.warning('Inheritance loop detected at %s -> %s, pruning',
                                   node, target)
                continue
            if link['intransitive'] and currdepth > 1 and not reverse:
                continue
            if reverse:
                if link['maxdepth'] is not None and link['maxdepth'] < currdepth - 1:
                    continue
                nextdepth = None
            else:
                nextdepth = _next_depth(link['maxdepth'], budget)
            # once a noconfig link is met, it holds for the rest of this tag's links too
            noconfig = noconfig or link['noconfig']
            filt = list(pfilter)
            if link['pkg_filter']:
                filt.append(link['pkg_filter'])
            entry = dict(link, currdepth=currdepth, nextdepth=nextdepth, filter=filt)
            earlier = history.setdefault(target, [])
            if any(_sufficient(prev, nextdepth, noconfig) for prev in earlier):
                continue
            earlier.append(entry)
            order.append(entry)
            if reverse and link['intransitive']:
                continue
            walk(target, currdepth + 1, nextdepth, noconfig, filt, path | {target})

    walk(tag_id, 1, None, False, [], frozenset([tag_id]))
    return order


def get_inheritance_data(tag, event=None):
    """getInheritanceData: direct parent links of a tag."""
    return readInheritanceData(_tag_id(tag), event)


def get_full_inheritance(tag, event=None, reverse=False, **kwargs):
    """getFullInheritance: the removed stops/jumps options are refused explicitly."""
    for key, value in kwargs.items():
        if key not in ('stops', 'jumps'):
            raise koji.ParameterError(
                "getFullInheritance() got an unexpected keyword argument '%s'" % key)
        if value:
            raise koji.ParameterError('%s option has been removed since 1.26' % key)
    if not _is_int(tag) and not isinstance(tag, str):
        tag = _tag_id(tag)
    # a name is resolved inside the inheritance query itself
    return readFullInheritance(tag, event, reverse)


def _check_link(link, tag_id):
    """Validate one change entry before anything is written."""
    if not isinstance(link, dict):
        raise koji.ParameterError('inheritance link must be a struct: %r' % (link,))
    deleting = link.get('delete link') or link.get('delete_link')
    fields = ('parent_id',) if deleting else LINK_FIELDS
    for field in fields:
        if field not in link:
            raise koji.GenericError('No value for %s' % field)
    parent_id = _tag_id(link['parent_id'])
    if parent_id == tag_id:
        raise koji.GenericError('A tag cannot inherit from itself')
    if deleting:
        return {'parent_id': parent_id, 'delete link': True}
    priority = link['priority']
    if isinstance(priority, str) and priority.strip().lstrip('-').isdigit():
        # upstream's CLI sends --priority unconverted; the upstream hub lets the db cast it
        priority = int(priority)
    if not _is_int(priority):
        raise koji.ParameterError('priority must be an integer: %r' % (link['priority'],))
    maxdepth = link['maxdepth']
    if maxdepth is not None and (not _is_int(maxdepth) or maxdepth < 0):
        raise koji.ParameterError('maxdepth must be a non-negative integer or None: %r'
                                  % (maxdepth,))
    for flag in ('intransitive', 'noconfig'):
        if not isinstance(link[flag], bool):
            raise koji.ParameterError('%s must be a boolean: %r' % (flag, link[flag]))
    pkg_filter = link['pkg_filter']
    if pkg_filter is None:
        pkg_filter = ''
    if not isinstance(pkg_filter, str):
        raise koji.ParameterError('pkg_filter must be a string: %r' % (pkg_filter,))
    if pkg_filter:
        try:
            re.compile(pkg_filter)
        except re.error as exc:
            raise koji.GenericError('Invalid pkg_filter %r: %s' % (pkg_filter, exc))
    return {'parent_id': parent_id, 'priority': priority, 'maxdepth': maxdepth,
            'intransitive': link['intransitive'], 'noconfig': link['noconfig'],
            'pkg_filter': pkg_filter}


def _write_inheritance_data(tag_id, changes, clear=False):
    """Apply link changes as one event: revoke changed/deleted links, insert new ones."""
    context.session.assertPerm('tag')
    if isinstance(changes, dict):
        changes = [changes]
    if not isinstance(changes, (list, tuple)):
        raise koji.ParameterError('inheritance data must be a list of links')
    checked = [_check_link(link, tag_id) for link in changes]
    current = {link['parent_id']: link for link in readInheritanceData(tag_id)}
    final = dict(current)
    updates = {}
    for link in checked:
        parent_id = link['parent_id']
        orig = current.get(parent_id)
        if link.get('delete link'):
            if orig is not None:
                updates[parent_id] = link
                final.pop(parent_id, None)
            continue
        if orig is not None and all(orig[f] == link[f] for f in LINK_FIELDS):
            final[parent_id] = orig
            updates.pop(parent_id, None)
            continue
        updates[parent_id] = link
        final[parent_id] = link
    if clear:
        kept = {link['parent_id'] for link in checked if not link.get('delete link')}
        for parent_id in list(final):
            if parent_id not in kept:
                updates[parent_id] = {'parent_id': parent_id, 'delete link': True}
                del final[parent_id]
    if not updates:
        return None
    by_priority = {}
    for link in final.values():
        by_priority.setdefault(link['priority'], []).append(link['parent_id'])
    for priority, parents in sorted(by_priority.items()):
        if len(parents) > 1:
            raise koji.GenericError('Inheritance priorities must be unique (pri %s: %r )'
                                    % (priority, sorted(parents)))
    revoked = [pid for pid in updates if pid in current]
    if revoked:
        update = UpdateProcessor('tag_inheritance',
                                 clauses=['tag_id = %(tag_id)s', 'parent_id = ANY(%(ids)s)'],
                                 values={'tag_id': tag_id, 'ids': revoked})
        update.make_revoke()
        update.execute()
    for parent_id, link in sorted(updates.items()):
        if link.get('delete link'):
            continue
        data = {f: link[f] for f in LINK_FIELDS}
        data['tag_id'] = tag_id
        insert = InsertProcessor('tag_inheritance', data=data)
        insert.make_create()
        insert.execute()
    return None


def set_inheritance_data(tag, data, clear=False):
    """setInheritanceData: add, change or delete ('delete link': True) parent links."""
    context.session.assertPerm('tag')
    return _write_inheritance_data(_tag_id(tag), data, clear=clear)


class InheritanceExports(object):
    """Inheritance calls of the hub API."""

    getInheritanceData = staticmethod(get_inheritance_data)
    setInheritanceData = staticmethod(set_inheritance_data)
    getFullInheritance = staticmethod(get_full_inheritance)
