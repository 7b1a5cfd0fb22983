"""countAndFilterResults paged in SQL (api/counting.py) gives what the generic path gives.

The web's paged tables call countAndFilterResults('listTagged' / 'listPackages', ...);
the hub sorts, slices and counts those in SQL when it can.  Every answer here is compared,
as marshalled XML-RPC text, with the generic answer: the whole result sorted and sliced in
memory by apply_filter_opts.
"""
import itertools

import pytest

import koji
from koji.context import context
from kojihub.api import counting, misc
from kojihub.builds import build_write
from kojihub.core import db
from kojihub.tags import inheritance, packages, tagged, tags
from kojihub.tags.tagging import _tag_build

from tests.hub import test_tagged

# the same tag tree helpers as the listTagged tests
admin = test_tagged.admin
link = test_tagged.link

# names whose order differs between code points and a natural-language collation
NAMES = ('foo', 'Foo-devel', 'bar', 'bar_x', 'bar-x', 'baz', 'qux', 'zed', 'Zed2', 'a.b',
         'a1', 'B')

TAGGED_KEYS = ('tag_id', 'tag_name', 'create_event', 'build_id', 'id', 'version',
               'release', 'epoch', 'draft', 'state', 'task_id', 'completion_time',
               'start_time', 'promotion_time', 'creation_event_id', 'creation_time',
               'package_id', 'package_name', 'name', 'nvr', 'volume_id', 'volume_name',
               'owner_id', 'owner_name', 'promoter_id', 'promoter_name', 'nosuch', '')
PACKAGE_KEYS = ('blocked', 'extra_arches', 'owner_id', 'owner_name', 'package_id',
                'package_name', 'tag_id', 'tag_name', 'nosuch')
SLICES = [(offset, limit) for offset in (None, 0, 1, 3, 1000)
          for limit in (None, 0, 1, 2, 1000)]


@pytest.fixture
def data(admin, new_request):
    """root <- mid <- leaf (mid's link filters out ^z), plus 'other' with its own list;
    owners root and bob, blocks in leaf and other, builds tagged over several events."""
    ids = {}
    for name in ('root', 'mid', 'leaf', 'other'):
        ids[name] = tags.create_tag(name)
    inheritance.set_inheritance_data('mid', [link(ids['root'], pkg_filter='^[^zZ]')])
    inheritance.set_inheritance_data('leaf', [link(ids['mid'])])
    for i, pkg in enumerate(NAMES):
        packages.pkglist_add('root', pkg, owner='root' if i % 3 else 'bob',
                             extra_arches='x86_64' if i % 4 == 0 else None)
        if i % 2:
            packages.pkglist_add('other', pkg, owner='bob' if i % 3 else 'root')
    packages.pkglist_add('leaf', 'qux', owner='root', block=True)
    packages.pkglist_add('other', 'bar', owner='bob', block=True)
    packages.pkglist_add('leaf', 'extra-only', owner='bob')
    new_request(sinfo=admin)
    builds = []
    for i, pkg in enumerate(NAMES):
        for ver in ('1', '2', '10'):
            builds.append(build_write.new_build(
                {'name': pkg, 'version': ver, 'release': str(i % 2 + 1),
                 'epoch': None if i % 3 else i}))
    new_request(sinfo=admin)
    # a few taggings per request: some share an event (build id decides), some do not
    for n, build_id in enumerate(builds):
        _tag_build('root' if n % 5 else 'leaf', build_id, force=True)
        if n % 4 == 0:
            _tag_build('mid', build_id, force=True)
        if n % 3 == 0:
            new_request(sinfo=admin)
    new_request(sinfo=admin)
    ids['event'] = context.event_id if getattr(context, 'event_id', None) else None
    return ids


def marshal(value):
    return koji.xmlrpcplus.dumps((value,), methodresponse=1, allow_none=1)


def generic(method, args, kw, filter_opts):
    """countAndFilterResults as it is without paging in SQL."""
    results = list(context.handlers.call(method, *args, **kw) or ())
    return [len(results), misc.apply_filter_opts(results, filter_opts)]


def orders(keys):
    return [None] + [prefix + key for key in keys for prefix in ('', '-')]


def check(method, args, kw, keys, pushed=None):
    """Compare both paths for every order key (both ways, None first and last) and a
    spread of slices; returns how many answers were paged in SQL."""
    calls = misc.MiscExports()
    used = []
    real_result = counting.PageRequest.result

    def spy(rows, values, count_sql):
        used.append(1)
        return real_result(rows, values, count_sql)

    counting.PageRequest.result = staticmethod(spy)
    try:
        combos = itertools.cycle(itertools.product(SLICES, (False, True)))
        for order in orders(keys):
            for _ in range(3):
                (offset, limit), none_greatest = next(combos)
                opts = {'order': order, 'offset': offset, 'limit': limit}
                if none_greatest:
                    opts['noneGreatest'] = True
                expect = generic(method, args, kw, dict(opts))
                got = calls.countAndFilterResults(method, *args, filterOpts=dict(opts),
                                                  **kw)
                assert marshal(got) == marshal(expect), (method, args, kw, opts)
        # the web's own calls: default order, every slice
        for offset, limit in SLICES:
            opts = {'order': keys[0], 'offset': offset, 'limit': limit}
            got = calls.countAndFilterResults(method, *args, filterOpts=dict(opts), **kw)
            assert marshal(got) == marshal(generic(method, args, kw, opts)), opts
    finally:
        counting.PageRequest.result = staticmethod(real_result)
    assert getattr(context, 'page_request', None) is None
    return len(used)


TAGGED_VARIANTS = [
    {}, {'inherit': True}, {'inherit': True, 'latest': True},
    {'inherit': True, 'latest': 2}, {'latest': True}, {'inherit': True, 'package': 'bar'},
    {'inherit': True, 'latest': True, 'prefix': 'b'}, {'inherit': True, 'owner': 'root'},
    {'inherit': True, 'latest': True, 'extra': True}, {'inherit': True, 'draft': False},
    {'inherit': True, 'type': 'maven'},
]


@pytest.mark.parametrize('tag', ['root', 'leaf', 'mid'])
def test_list_tagged_pages_equal_generic(data, tag):
    paged = 0
    for kw in TAGGED_VARIANTS:
        paged += check('listTagged', (tag,), kw, ('-build_id',) + TAGGED_KEYS)
    # only unknown keys and timestamps took the generic path
    assert paged > 0


PACKAGE_VARIANTS = [
    {'userID': 'root', 'with_dups': True}, {'userID': 'bob', 'with_dups': True},
    {'userID': 'bob', 'with_dups': True, 'with_blocked': False},
    {'tagID': 'root'}, {'tagID': 'other', 'with_dups': True},
    {'tagID': 'other', 'with_blocked': False}, {'tagID': 'leaf', 'with_owners': False},
    {'tagID': 'other', 'userID': 'bob'}, {'pkgID': 'bar', 'with_dups': True},
    {'pkgID': 'bar', 'userID': 'bob', 'with_dups': True},
    # the generic path: inheritance, prefix, one owner's entries without dups
    {'tagID': 'leaf', 'inherited': True}, {'tagID': 'leaf', 'inherited': True,
                                           'with_dups': True},
    {'userID': 'root'}, {'tagID': 'root', 'prefix': 'b'},
]


def test_list_packages_pages_equal_generic(data):
    paged = 0
    for kw in PACKAGE_VARIANTS:
        paged += check('listPackages', (), kw, ('package_name',) + PACKAGE_KEYS)
    assert paged > 0


def test_list_packages_at_an_event(data, admin, new_request):
    event = db._singleValue('SELECT max(id) FROM events')
    packages.pkglist_add('root', 'late', owner='bob')
    packages.pkglist_setowner('root', 'foo', 'bob')
    new_request(sinfo=admin)
    for kw in ({'userID': 'bob', 'with_dups': True, 'event': event},
               {'tagID': 'root', 'event': event}):
        assert check('listPackages', (), kw, ('package_name',) + PACKAGE_KEYS) > 0


def test_web_calls_are_paged_in_sql(data, monkeypatch):
    """The web's userinfo and latest-builds calls never sort the whole result in memory."""
    def no_generic(results, filter_opts):
        raise AssertionError('sorted in memory')

    monkeypatch.setattr(misc, 'apply_filter_opts', no_generic)
    calls = misc.MiscExports()
    for start in (0, 2, 50):
        total, rows = calls.countAndFilterResults(
            'listPackages', userID='bob', with_dups=True,
            filterOpts={'offset': start, 'limit': 10, 'order': 'package_name'})
        assert total == len(packages.list_packages(userID='bob', with_dups=True)) > 2
        total, rows = calls.countAndFilterResults(
            'listTagged', 'leaf', inherit=True, latest=True, package=None, owner=None,
            type=None, prefix=None,
            filterOpts={'offset': start, 'limit': 50, 'order': '-build_id'})
        assert total == len(context.handlers.call('listTagged', 'leaf', inherit=True,
                                                  latest=True)) > 2
    # a key SQL cannot order alike falls back to the generic path
    with pytest.raises(AssertionError, match='in memory'):
        calls.countAndFilterResults('listTagged', 'leaf', filterOpts={'order': 'creation_time'})


def test_odd_filter_opts_behave_as_generic(data):
    calls = misc.MiscExports()
    with pytest.raises(koji.ParameterError):
        calls.countAndFilterResults('listTagged', 'root', filterOpts='x')
    with pytest.raises(koji.ParameterError):
        calls.countAndFilterResults('listPackages', userID='bob', filterOpts=['x'])
    for opts in ({'offset': -3}, {'limit': -2}, {'offset': 2, 'limit': 3, 'countOnly': True},
                 {'order': '-'}, {'order': ''}, {'offset': True, 'limit': 2}):
        for method, args, kw in (('listTagged', ('root',), {'inherit': True}),
                                 ('listPackages', (), {'userID': 'bob', 'with_dups': True})):
            got = calls.countAndFilterResults(method, *args, filterOpts=dict(opts), **kw)
            assert marshal(got) == marshal(generic(method, args, kw, opts)), opts
    # faults of the call itself come through unchanged
    with pytest.raises(koji.GenericError):
        calls.countAndFilterResults('listTagged', 'no-such-tag', filterOpts={'limit': 5})
    assert calls.countAndFilterResults('listTagged', 'no-such-tag', strict=False,
                                       filterOpts={'limit': 5}) == [0, []]
    with pytest.raises(koji.GenericError):
        calls.countAndFilterResults('listPackages', userID='nobody', with_dups=True,
                                    filterOpts={'limit': 5})
    with pytest.raises(koji.GenericError, match='with_owners'):
        calls.countAndFilterResults('listPackages', userID='bob', with_owners=False,
                                    with_dups=True, filterOpts={'limit': 5})
    # nothing is left asking for a page: the plain calls still give plain lists
    assert isinstance(context.handlers.call('listTagged', 'root'), list)
    assert isinstance(packages.list_packages(userID='bob', with_dups=True), list)


def test_statement_count_does_not_grow_with_rows(data, admin, new_request):
    """A paged call costs the same statements for a few rows as for many (no per-row
    query), and reads only its page back."""
    statements = []
    fetched = []
    real_execute = db.CursorWrapper.execute
    real_multi = counting._multiRow
    modules = (counting, tagged)

    def counting_execute(self, operation, parameters=None, **kwargs):
        statements.append(operation)
        return real_execute(self, operation, parameters, **kwargs)

    def counting_multi(sql, values, names):
        rows = real_multi(sql, values, names)
        fetched.append(len(rows))
        return rows

    def run():
        del statements[:]
        del fetched[:]
        db.CursorWrapper.execute = counting_execute
        for module in modules:
            module._multiRow = counting_multi
        try:
            calls = misc.MiscExports()
            a = calls.countAndFilterResults('listPackages', userID='bob', with_dups=True,
                                            filterOpts={'limit': 3, 'order': 'package_name'})
            b = calls.countAndFilterResults('listTagged', 'leaf', inherit=True, latest=True,
                                            filterOpts={'limit': 3, 'order': '-build_id'})
        finally:
            db.CursorWrapper.execute = real_execute
            for module in modules:
                module._multiRow = real_multi
        return a[0], b[0], len(statements), list(fetched)

    small = run()
    for i in range(40):
        name = 'many%02d' % i
        packages.pkglist_add('root', name, owner='bob')
        packages.pkglist_add('other', name, owner='bob')
        _tag_build('root', build_write.new_build({'name': name, 'version': '1',
                                                  'release': '1', 'epoch': None}),
                   force=True)
    new_request(sinfo=admin)
    big = run()
    assert big[0] >= small[0] + 80 and big[1] >= small[1] + 40
    assert big[2] == small[2]
    assert big[3] == small[3] == [3, 3]
