"""Tag inheritance (getInheritanceData, setInheritanceData, getFullInheritance) on deep,
diamond-shaped and looping graphs, in-process on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.tags import inheritance
from kojihub.tags.inheritance import InheritanceExports
from kojihub.tags.tags import TagExports

LINK_KEYS = {'child_id', 'intransitive', 'maxdepth', 'name', 'noconfig', 'parent_id',
             'pkg_filter', 'priority'}
FULL_KEYS = LINK_KEYS | {'currdepth', 'filter', 'nextdepth'}
REVERSE_KEYS = FULL_KEYS - {'child_id'} | {'tag_id'}


class PerCall(object):
    """Exports wrapper giving each call its own event, as separate hub calls would get."""

    def __init__(self, exports):
        self.exports = exports

    def __getattr__(self, name):
        func = getattr(self.exports, name)

        def call(*args, **kwargs):
            context.event_id = None
            return func(*args, **kwargs)
        return call


api = PerCall(InheritanceExports)
tapi = PerCall(TagExports)


def link(parent, priority, **kw):
    data = {'parent_id': parent, 'priority': priority, 'maxdepth': None,
            'intransitive': False, 'noconfig': False, 'pkg_filter': ''}
    data.update(kw)
    return data


def names(full, key='name'):
    return [entry[key] for entry in full]


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')


@pytest.fixture
def mk(admin):
    """Factory: create tags by name and return {name: id}."""
    ids = {}

    def make(*tag_names):
        for name in tag_names:
            ids[name] = tapi.createTag(name)
        return ids
    return make


def tree(full):
    """(name, currdepth, parent-of-entry name) triples for compact assertions."""
    return [(e['name'], e['currdepth']) for e in full]


# ---------------------------------------------------------------------------
# getInheritanceData / setInheritanceData

def test_set_and_get_links(mk):
    t = mk('child', 'p1', 'p2', 'p3')
    assert api.setInheritanceData('child', [link('p2', 20, maxdepth=3, pkg_filter='^foo'),
                                            link(t['p1'], 10, intransitive=True)]) is None
    first = context.event_id
    data = api.getInheritanceData('child')
    assert [set(d) for d in data] == [LINK_KEYS] * 2
    assert data == [
        {'child_id': t['child'], 'parent_id': t['p1'], 'name': 'p1', 'priority': 10,
         'maxdepth': None, 'intransitive': True, 'noconfig': False, 'pkg_filter': ''},
        {'child_id': t['child'], 'parent_id': t['p2'], 'name': 'p2', 'priority': 20,
         'maxdepth': 3, 'intransitive': False, 'noconfig': False, 'pkg_filter': '^foo'}]
    assert api.getInheritanceData(t['child']) == data
    # modify one, add one, delete one: a single event
    api.setInheritanceData('child', [link('p2', 5, noconfig=True), link('p3', 30),
                                     {'parent_id': 'p1', 'delete link': True}])
    second = context.event_id
    data2 = api.getInheritanceData('child')
    assert [(d['name'], d['priority'], d['noconfig']) for d in data2] == \
        [('p2', 5, True), ('p3', 30, False)]
    assert api.getInheritanceData('child', event=first) == data
    rows = db._multiRow('SELECT parent_id, create_event, revoke_event FROM tag_inheritance '
                        'WHERE tag_id = %(t)s ORDER BY create_event, parent_id',
                        {'t': t['child']}, ['parent_id', 'create', 'revoke'])
    assert rows == [{'parent_id': t['p1'], 'create': first, 'revoke': second},
                    {'parent_id': t['p2'], 'create': first, 'revoke': second},
                    {'parent_id': t['p2'], 'create': second, 'revoke': None},
                    {'parent_id': t['p3'], 'create': second, 'revoke': None}]
    # identical data is a no-op (no new rows)
    api.setInheritanceData('child', [link('p2', 5, noconfig=True)])
    assert db._singleValue('SELECT count(*) FROM tag_inheritance') == 4
    # the alternative spelling of the delete flag, and deleting a missing link is ignored
    api.setInheritanceData('child', [{'parent_id': 'p3', 'delete_link': True},
                                     {'parent_id': 'p1', 'delete link': True}])
    assert names(api.getInheritanceData('child')) == ['p2']
    # clear replaces everything
    api.setInheritanceData('child', [link('p1', 1)], clear=True)
    assert names(api.getInheritanceData('child')) == ['p1']
    api.setInheritanceData('child', [], clear=True)
    assert api.getInheritanceData('child') == []
    with pytest.raises(koji.GenericError):
        api.getInheritanceData('nosuch')


def test_set_links_faults(mk):
    mk('child', 'p1', 'p2')
    api.setInheritanceData('child', [link('p1', 10)])
    with pytest.raises(koji.GenericError, match='priorities must be unique'):
        api.setInheritanceData('child', [link('p2', 10)])
    # swapping priorities in one call is fine
    api.setInheritanceData('child', [link('p2', 10), link('p1', 20)])
    with pytest.raises(koji.GenericError, match='No value for maxdepth'):
        bad = link('p1', 1)
        del bad['maxdepth']
        api.setInheritanceData('child', [bad])
    with pytest.raises(koji.GenericError, match='Invalid pkg_filter'):
        api.setInheritanceData('child', [link('p1', 1, pkg_filter='(unclosed')])
    with pytest.raises(koji.GenericError, match='inherit from itself'):
        api.setInheritanceData('child', [link('child', 1)])
    with pytest.raises(koji.GenericError):
        api.setInheritanceData('child', [link('nosuch', 1)])
    for bad in (link('p1', 'x1'), link('p1', 1, maxdepth=-1), link('p1', 1, maxdepth='x'),
                link('p1', 1, intransitive='yes'), link('p1', 1, pkg_filter=3)):
        with pytest.raises(koji.ParameterError):
            api.setInheritanceData('child', [bad])
    assert [(d['name'], d['priority']) for d in api.getInheritanceData('child')] == \
        [('p2', 10), ('p1', 20)]


def test_set_links_needs_tag_perm(make_user, login_as):
    make_user('root', perms=['admin'])
    make_user('pleb')
    make_user('tagger', perms=['tag'])
    login_as('root')
    tapi.createTag('a')
    tapi.createTag('b')
    context.cnx.commit()
    login_as('pleb')
    with pytest.raises(koji.ActionNotAllowed):
        api.setInheritanceData('a', [link('b', 1)])
    assert api.getInheritanceData('a') == []
    login_as('tagger')
    api.setInheritanceData('a', [link('b', 1)])
    assert names(api.getInheritanceData('a')) == ['b']


# ---------------------------------------------------------------------------
# getFullInheritance

def chain(mk, count, **first_link):
    """t0 <- t1 <- ... <- t{count-1}; returns ids."""
    t = mk(*['t%d' % i for i in range(count)])
    for i in range(1, count):
        extra = first_link if i == count - 1 else {}
        api.setInheritanceData('t%d' % i, [link('t%d' % (i - 1), 10, **extra)])
    return t


def test_full_deep_chain(mk):
    t = chain(mk, 8)
    full = api.getFullInheritance('t7')
    assert [set(e) for e in full] == [FULL_KEYS] * 7
    assert tree(full) == [('t%d' % i, 7 - i) for i in range(6, -1, -1)]
    assert [e['child_id'] for e in full] == [t['t%d' % i] for i in range(7, 0, -1)]
    assert all(e['nextdepth'] is None and e['filter'] == [] for e in full)
    assert api.getFullInheritance(t['t7']) == full
    assert api.getFullInheritance('t0') == []


def test_full_maxdepth(mk):
    chain(mk, 8, maxdepth=2)
    full = api.getFullInheritance('t7')
    assert [(e['name'], e['currdepth'], e['nextdepth']) for e in full] == \
        [('t6', 1, 2), ('t5', 2, 1), ('t4', 3, 0)]
    # a limit further up applies from there on
    api.setInheritanceData('t7', [link('t6', 10)])
    api.setInheritanceData('t4', [link('t3', 10, maxdepth=0)])
    full = api.getFullInheritance('t7')
    assert [(e['name'], e['nextdepth']) for e in full] == \
        [('t6', None), ('t5', None), ('t4', None), ('t3', 0)]
    # the tighter of the two limits wins
    api.setInheritanceData('t7', [link('t6', 10, maxdepth=5)])
    api.setInheritanceData('t4', [link('t3', 10, maxdepth=3)])
    full = api.getFullInheritance('t7')
    assert [(e['name'], e['nextdepth']) for e in full] == \
        [('t6', 5), ('t5', 4), ('t4', 3), ('t3', 2), ('t2', 1), ('t1', 0)]
    assert api.getFullInheritance('t7', reverse=False) == full
    # maxdepth 0 on the first link: only the parent itself
    api.setInheritanceData('t7', [link('t6', 10, maxdepth=0)])
    assert names(api.getFullInheritance('t7')) == ['t6']
    # a link's maxdepth under a limited path is capped by the budget before the level
    # is counted (upstream's rule): t3's maxdepth 1 under budget 3 leaves 0 below t2
    api.setInheritanceData('t7', [link('t6', 10)])
    api.setInheritanceData('t4', [link('t3', 10)])
    api.setInheritanceData('t5', [link('t4', 10, maxdepth=3)])
    api.setInheritanceData('t3', [link('t2', 10, maxdepth=1)])
    full = api.getFullInheritance('t7')
    assert [(e['name'], e['nextdepth']) for e in full] == \
        [('t6', None), ('t5', None), ('t4', 3), ('t3', 2), ('t2', 0)]


def diamond(mk):
    """top <- left (10), top <- right (20), left <- base, right <- base, base <- root."""
    t = mk('top', 'left', 'right', 'base', 'root')
    api.setInheritanceData('top', [link('left', 10), link('right', 20)])
    api.setInheritanceData('left', [link('base', 10)])
    api.setInheritanceData('right', [link('base', 10)])
    api.setInheritanceData('base', [link('root', 10)])
    return t


def test_full_diamond(mk):
    t = diamond(mk)
    full = api.getFullInheritance('top')
    assert tree(full) == [('left', 1), ('base', 2), ('root', 3), ('right', 1)]
    assert full[1]['child_id'] == t['left']
    # priority decides which path comes first
    api.setInheritanceData('top', [link('left', 30), link('right', 20)])
    full = api.getFullInheritance('top')
    assert tree(full) == [('right', 1), ('base', 2), ('root', 3), ('left', 1)]
    assert full[1]['child_id'] == t['right']


def test_full_diamond_maxdepth(mk):
    t = diamond(mk)
    # the first path stops at left; base comes through right
    api.setInheritanceData('top', [link('left', 10, maxdepth=0), link('right', 20)])
    assert tree(api.getFullInheritance('top')) == \
        [('left', 1), ('right', 1), ('base', 2), ('root', 3)]
    # the first path reaches base but not root; the second path goes further, so base
    # is listed (and walked) again from there
    api.setInheritanceData('top', [link('left', 10, maxdepth=1), link('right', 20)])
    full = api.getFullInheritance('top')
    assert [(e['name'], e['currdepth'], e['child_id']) for e in full] == \
        [('left', 1, t['top']), ('base', 2, t['left']), ('right', 1, t['top']),
         ('base', 2, t['right']), ('root', 3, t['base'])]
    # both limited: root never shows
    api.setInheritanceData('top', [link('left', 10, maxdepth=1),
                                   link('right', 20, maxdepth=1)])
    assert names(api.getFullInheritance('top')) == ['left', 'base', 'right']


def test_full_intransitive(mk):
    t = mk('app', 'mid', 'side', 'deep')
    api.setInheritanceData('app', [link('mid', 10)])
    api.setInheritanceData('mid', [link('side', 10, intransitive=True), link('deep', 20)])
    api.setInheritanceData('side', [link('deep', 10)])
    # mid sees side (and what side inherits)
    full = api.getFullInheritance('mid')
    assert [(e['name'], e['intransitive']) for e in full] == \
        [('side', True), ('deep', False)]
    assert full[1]['child_id'] == t['side']
    # app does not get side through mid
    full = api.getFullInheritance('app')
    assert [(e['name'], e['child_id']) for e in full] == \
        [('mid', t['app']), ('deep', t['mid'])]
    # reverse: mid inherits side, but app does not
    rev = api.getFullInheritance('side', reverse=True)
    assert [(e['name'], e['tag_id'], e['parent_id']) for e in rev] == \
        [('mid', t['mid'], t['side'])]
    # reverse: an intransitive link is listed but not followed, and mid, reached
    # through it first, is not listed again through its own link to deep
    rev = api.getFullInheritance('deep', reverse=True)
    assert [(e['name'], e['currdepth']) for e in rev] == [('side', 1), ('mid', 2)]


def test_full_filters_and_noconfig(mk):
    t = mk('a', 'b', 'c', 'd')
    api.setInheritanceData('a', [link('b', 10, pkg_filter='^foo', noconfig=True)])
    api.setInheritanceData('b', [link('c', 10)])
    api.setInheritanceData('c', [link('d', 10, pkg_filter='bar$')])
    full = api.getFullInheritance('a')
    assert [(e['name'], e['filter'], e['pkg_filter'], e['noconfig']) for e in full] == \
        [('b', ['^foo'], '^foo', True), ('c', ['^foo'], '', False),
         ('d', ['^foo', 'bar$'], 'bar$', False)]
    rev = api.getFullInheritance('d', reverse=True)
    assert [set(e) for e in rev] == [REVERSE_KEYS] * 3
    assert [(e['name'], e['filter'], e['tag_id']) for e in rev] == \
        [('c', ['bar$'], t['c']), ('b', ['bar$'], t['b']), ('a', ['bar$', '^foo'], t['a'])]


def test_full_reverse_maxdepth(mk):
    t = mk('base', 'one', 'two', 'three')
    api.setInheritanceData('one', [link('base', 10)])
    api.setInheritanceData('two', [link('one', 10, maxdepth=0)])
    api.setInheritanceData('three', [link('two', 10)])
    rev = api.getFullInheritance('base', reverse=True)
    # two only sees one itself, so it does not inherit base
    assert names(rev) == ['one']
    api.setInheritanceData('two', [link('one', 10, maxdepth=1)])
    rev = api.getFullInheritance('base', reverse=True)
    assert [(e['name'], e['currdepth'], e['nextdepth']) for e in rev] == \
        [('one', 1, None), ('two', 2, None), ('three', 3, None)]
    assert t


def test_full_loops_are_pruned(mk):
    t = mk('x', 'y', 'z')
    api.setInheritanceData('x', [link('y', 10)])
    api.setInheritanceData('y', [link('z', 10)])
    api.setInheritanceData('z', [link('x', 10)])
    assert names(api.getFullInheritance('x')) == ['y', 'z']
    assert names(api.getFullInheritance('z')) == ['x', 'y']
    assert names(api.getFullInheritance('x', reverse=True)) == ['z', 'y']
    assert t


def test_full_at_event(mk):
    diamond(mk)
    before = api.getFullInheritance('top')
    event = db._singleValue('SELECT max(id) FROM events')
    api.setInheritanceData('left', [{'parent_id': 'base', 'delete link': True}])
    api.setInheritanceData('top', [link('left', 10, pkg_filter='x')])
    after = api.getFullInheritance('top')
    assert tree(after) == [('left', 1), ('right', 1), ('base', 2), ('root', 3)]
    assert api.getFullInheritance('top', event=event) == before
    assert api.getFullInheritance('root', reverse=True, event=event) != \
        api.getFullInheritance('root', reverse=True)


def test_full_bad_arguments(mk):
    mk('a')
    for key in ('stops', 'jumps'):
        with pytest.raises(koji.ParameterError) as exc:
            api.getFullInheritance('a', **{key: {'x': 1}})
        assert exc.value.faultCode == 1019
        assert str(exc.value) == '%s option has been removed since 1.26' % key
        # an empty value is accepted, as upstream does
        assert api.getFullInheritance('a', **{key: {}}) == []
    with pytest.raises(koji.ParameterError) as exc:
        api.getFullInheritance('a', bogus=1)
    assert str(exc.value) == "getFullInheritance() got an unexpected keyword argument 'bogus'"
    with pytest.raises(koji.GenericError):
        api.getFullInheritance('nosuch')
    with pytest.raises(koji.GenericError, match="^Invalid event: 'x'$"):
        api.getFullInheritance('a', event='x')


def test_full_uses_one_query(mk, monkeypatch):
    chain(mk, 12)
    diamond(mk)
    count = []
    orig = db.CursorWrapper.execute

    def counting(self, *args, **kwargs):
        count.append(args[0])
        return orig(self, *args, **kwargs)

    t11, root = tapi.getTagID('t11'), tapi.getTagID('root')
    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    full = inheritance.readFullInheritance(t11)
    assert len(full) == 11 and len(count) == 1
    count.clear()
    rev = inheritance.readFullInheritance(root, reverse=True)
    assert names(rev) == ['base', 'left', 'top', 'right'] and len(count) == 1


def test_full_by_name_id_or_dict_in_one_statement(mk, monkeypatch):
    t = diamond(mk)
    event = db.get_event()
    api.setInheritanceData('left', [link('root', 5)])
    sent = []
    real = db.CursorWrapper.execute

    def counting(self, operation, *args, **kwargs):
        sent.append(operation)
        return real(self, operation, *args, **kwargs)
    for reverse in (False, True):
        for when in (None, event):
            start = 'root' if reverse else 'top'
            by_id = api.getFullInheritance(t[start], reverse=reverse, event=when)
            assert by_id
            assert api.getFullInheritance({'name': start}, reverse=reverse,
                                          event=when) == by_id
            monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
            del sent[:]
            assert api.getFullInheritance(start, reverse=reverse, event=when) == by_id
            monkeypatch.setattr(db.CursorWrapper, 'execute', real)
            # the name is resolved in the inheritance query itself
            assert len(sent) == 1, sent
    # the event is honoured on the name path: left's second parent came later
    assert tree(api.getFullInheritance('left', event=event)) == [('base', 1), ('root', 2)]
    assert tree(api.getFullInheritance('left')) == [('root', 1), ('base', 1)]
    # a tag with no links, by name: an empty list; no such tag: upstream's lookup fault
    assert api.getFullInheritance('root') == []
    with pytest.raises(koji.GenericError, match='No such entry in table tag: nosuch'):
        api.getFullInheritance('nosuch')
    with pytest.raises(koji.GenericError, match='No such entry in table tag: nosuch'):
        api.getFullInheritance('nosuch', reverse=True)
