"""Tag content reads (kojihub.tags.tagged): latest, inheritance, events, statement count."""
import pytest

import koji
from koji.context import context
from kojihub.builds import build_write
from kojihub.core import db
from kojihub.tags import inheritance, packages, tags
from kojihub.tags.tagged import TaggedExports as api
from kojihub.tags.tagging import _tag_build, _untag_build

KEYS = {'build_id', 'completion_time', 'create_event', 'creation_event_id', 'creation_time',
        'draft', 'epoch', 'id', 'name', 'nvr', 'owner_id', 'owner_name', 'package_id',
        'package_name', 'promoter_id', 'promoter_name', 'promotion_time', 'release',
        'start_time', 'state', 'tag_id', 'tag_name', 'task_id', 'version', 'volume_id',
        'volume_name'}


def link(parent_id, priority=0, pkg_filter=''):
    return {'parent_id': parent_id, 'priority': priority, 'maxdepth': None,
            'intransitive': False, 'noconfig': False, 'pkg_filter': pkg_filter}


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    make_user('bob')
    return login_as('root')


@pytest.fixture
def tree(admin, new_request):
    """root <- mid <- leaf (mid's link to root filters to ^(foo|bar)$)."""
    ids = {}
    for name in ('root', 'mid', 'leaf'):
        ids[name] = tags.create_tag(name)
    inheritance.set_inheritance_data('mid', [link(ids['root'], pkg_filter='^(foo|bar)$')])
    inheritance.set_inheritance_data('leaf', [link(ids['mid'])])
    for pkg in ('foo', 'bar', 'baz', 'qux'):
        packages.pkglist_add('root', pkg, owner='root')
    packages.pkglist_add('leaf', 'qux', owner='root', block=True)
    for name in ('foo', 'bar', 'baz', 'qux'):
        for ver in ('1', '2', '3'):
            ids['%s-%s' % (name, ver)] = build_write.new_build(
                {'name': name, 'version': ver, 'release': '1', 'epoch': None})
    new_request(sinfo=admin)
    return ids


def tag_in_steps(admin, new_request, pairs):
    """Tag each (tag, build) in its own request so every tagging has its own event."""
    events = []
    for tag, build in pairs:
        _tag_build(tag, build, force=True)
        events.append(context.event_id)
        new_request(sinfo=admin)
    return events


def nvrs(rows):
    return [row['nvr'] for row in rows]


def test_keys_order_and_faults(tree, admin, new_request):
    tag_in_steps(admin, new_request, [('root', 'foo-1-1'), ('root', 'bar-1-1'),
                                      ('root', 'foo-2-1')])
    rows = api.listTagged('root')
    assert set(rows[0]) == KEYS
    assert nvrs(rows) == ['foo-2-1', 'bar-1-1', 'foo-1-1']
    assert rows[0]['tag_name'] == 'root' and rows[0]['id'] == rows[0]['build_id']
    assert set(api.listTagged('root', extra=True)[0]) == KEYS | {'extra'}
    assert nvrs(api.listTagged('root', latest=True)) == ['foo-2-1', 'bar-1-1']
    assert nvrs(api.listTagged('root', package='foo')) == ['foo-2-1', 'foo-1-1']
    assert nvrs(api.listTagged('root', prefix='BA')) == ['bar-1-1']
    assert api.listTagged('root', package='nosuch') == []
    assert nvrs(api.listTagged('root', owner='root')) == nvrs(rows)
    assert api.listTagged('root', owner='bob') == []
    assert api.listTagged('root', draft=True) == []
    # the filters also apply where latest=True picks one build per package
    assert nvrs(api.listTagged('root', latest=True, prefix='BA')) == ['bar-1-1']
    assert nvrs(api.listTagged('root', latest=True, owner='root')) == ['foo-2-1', 'bar-1-1']
    owner_id = rows[0]['owner_id']
    assert nvrs(api.listTagged('root', latest=True, owner=owner_id)) == ['foo-2-1', 'bar-1-1']
    assert api.listTagged('root', latest=True, owner='bob') == []
    assert api.listTagged('root', latest=True, type='maven') == []
    assert api.listTagged('root', latest=True, type='rpm') == []  # no rpms imported
    with pytest.raises(koji.GenericError):
        api.listTagged('nosuch')
    assert api.listTagged('nosuch', strict=False) == []
    with pytest.raises(koji.GenericError, match='unsupported build type'):
        api.listTagged('root', type='nosuchtype')
    with pytest.raises(koji.GenericError, match='^No such entry in table tag: nosuch$'):
        api.getLatestBuilds('nosuch')
    with pytest.raises(koji.GenericError, match='^No such entry in table tag: nosuch$'):
        api.getLatestRPMS('nosuch')
    # an id is taken as it is
    assert api.getLatestBuilds(999999) == []


def test_latest_with_inheritance_and_filters(tree, admin, new_request):
    tag_in_steps(admin, new_request, [
        ('root', 'foo-3-1'),   # newest foo overall, but in the parent
        ('mid', 'foo-1-1'),    # mid has foo: mid wins over root even though older
        ('root', 'bar-1-1'),
        ('root', 'bar-2-1'),
        ('root', 'baz-3-1'),   # filtered out of mid's view of root by pkg_filter
        ('root', 'qux-1-1'),   # blocked in leaf
        ('leaf', 'bar-1-1'),   # leaf has bar: the older build wins there
    ])
    latest = api.listTagged('leaf', inherit=True, latest=True)
    assert nvrs(latest) == ['bar-1-1', 'foo-1-1']
    assert [r['tag_name'] for r in latest] == ['leaf', 'mid']
    assert nvrs(api.getLatestBuilds('leaf')) == ['bar-1-1', 'foo-1-1']
    assert nvrs(api.getLatestBuilds('leaf', package='foo')) == ['foo-1-1']
    # without latest: child first, newest tagging first within a tag, parents after
    assert nvrs(api.listTagged('leaf', inherit=True)) == [
        'bar-1-1', 'foo-1-1', 'bar-2-1', 'bar-1-1', 'foo-3-1']
    assert nvrs(api.listTagged('leaf', inherit=True, latest=2)) == [
        'bar-1-1', 'foo-1-1', 'bar-2-1', 'foo-3-1']
    # the root itself sees everything it lists
    assert nvrs(api.getLatestBuilds('root')) == ['qux-1-1', 'baz-3-1', 'bar-2-1', 'foo-3-1']
    # without inherit only the tag's own builds, still cut down by its package list
    assert nvrs(api.listTagged('mid')) == ['foo-1-1']


def test_count_matches_the_listing(tree, admin, new_request):
    """count('listTagged', ...) counts in SQL: the same number as the listing's length."""
    from kojihub.api.misc import MiscExports
    tag_in_steps(admin, new_request, [
        ('root', 'foo-3-1'), ('mid', 'foo-1-1'), ('root', 'bar-1-1'), ('root', 'bar-2-1'),
        ('root', 'baz-3-1'), ('root', 'qux-1-1'), ('leaf', 'bar-1-1'), ('root', 'foo-2-1'),
    ])
    variants = [
        {}, {'inherit': True}, {'inherit': True, 'latest': True},
        {'inherit': True, 'latest': 2}, {'inherit': True, 'latest': 1},
        {'inherit': True, 'package': 'bar'}, {'inherit': True, 'prefix': 'b'},
        {'inherit': True, 'owner': 'root'}, {'inherit': True, 'draft': False},
    ]
    misc = MiscExports()
    for tag in ('root', 'mid', 'leaf'):
        for kwargs in variants:
            listing = api.listTagged(tag, **kwargs)
            assert misc.count('listTagged', tag, **kwargs) == len(listing), (tag, kwargs)
    # a tag without the package in its list, and a missing tag (not strict)
    assert misc.count('listTagged', 'leaf', package='qux') == 0
    assert misc.count('listTagged', 'no-such-tag', strict=False) == 0
    # other calls are still counted by their result; nothing is left asking for counts
    assert misc.count('listTags') == len(tags.list_tags())
    assert len(api.listTagged('root')) == misc.count('listTagged', 'root') > 0


def test_event_queries(tree, admin, new_request):
    events = tag_in_steps(admin, new_request, [('root', 'foo-1-1'), ('root', 'foo-2-1')])
    _untag_build('root', 'foo-2-1')
    new_request(sinfo=admin)
    assert nvrs(api.getLatestBuilds('leaf')) == ['foo-1-1']
    assert nvrs(api.getLatestBuilds('leaf', event=events[1])) == ['foo-2-1']
    assert nvrs(api.listTagged('root', event=events[0])) == ['foo-1-1']
    assert api.listTagged('root', event=events[0] - 1) == []
    assert api.listTagged('root', event=events[1], latest=True)[0]['create_event'] == \
        events[1]


def test_rpms_and_archives(tree, admin, new_request):
    tag_in_steps(admin, new_request, [('root', 'foo-1-1'), ('root', 'foo-2-1')])
    for arch in ('x86_64', 'src'):
        db.InsertProcessor('rpminfo', data={
            'build_id': tree['foo-2'], 'name': 'foo', 'version': '2', 'release': '1',
            'epoch': None, 'arch': arch, 'draft': False, 'external_repo_id': 0,
            'payloadhash': 'ab' * 16, 'size': 10, 'buildtime': 1, 'extra': None}).execute()
    rpms, builds = api.getLatestRPMS('leaf')
    assert nvrs(builds) == ['foo-2-1']
    assert sorted(r['arch'] for r in rpms) == ['src', 'x86_64']
    assert set(rpms[0]) == {'arch', 'build_id', 'buildroot_id', 'buildtime', 'draft', 'epoch',
                            'id', 'metadata_only', 'name', 'payloadhash', 'release', 'size',
                            'version', 'extra'}
    rpms, builds = api.listTaggedRPMS('root', arch='src', rpmsigs=True, extra=False)
    assert [r['arch'] for r in rpms] == ['src'] and rpms[0]['sigkey'] is None
    assert nvrs(builds) == ['foo-2-1', 'foo-1-1']
    assert api.listTaggedRPMS('nosuch', strict=False) == []
    archives, builds = api.listTaggedArchives('root')
    assert archives == [] and nvrs(builds) == ['foo-2-1', 'foo-1-1']
    with pytest.raises(koji.GenericError, match='unsupported archive type'):
        api.listTaggedArchives('root', type='image')
    assert api.getLatestMavenArchives('leaf') == []


def test_statement_count_is_constant(tree, admin, new_request):
    """listTagged(inherit, latest) costs the same number of statements for 1 or many builds."""
    statements = []
    real = db.CursorWrapper.execute

    def counting(self, operation, parameters=None, **kwargs):
        statements.append(operation)
        return real(self, operation, parameters, **kwargs)

    def count():
        del statements[:]
        db.CursorWrapper.execute = counting
        try:
            rows = api.listTagged('leaf', inherit=True, latest=True)
        finally:
            db.CursorWrapper.execute = real
        return len(rows), len(statements), [s for s in statements if 'tag_listing' in s]

    tag_in_steps(admin, new_request, [('root', 'foo-1-1')])
    small = count()
    for key in ('foo-2', 'foo-3', 'bar-1', 'bar-2', 'bar-3'):
        _tag_build('root', tree[key], force=True)
    _tag_build('mid', tree['foo-2'], force=True)
    _tag_build('leaf', tree['bar-2'], force=True)
    new_request(sinfo=admin)
    big = count()
    assert small[0] == 1 and big[0] == 2
    assert small[1] == big[1] <= 6
    # exactly one statement reads the tag listings, and it is the DISTINCT ON query
    assert len(big[2]) == 1 and 'DISTINCT ON' in big[2][0]


def test_bad_event_is_upstreams_generic_error(tree, admin, new_request):
    with pytest.raises(koji.GenericError) as info:
        api.listTagged('root', event='yesterday')
    assert type(info.value) is koji.GenericError
    assert str(info.value) == "Invalid event: 'yesterday'"
