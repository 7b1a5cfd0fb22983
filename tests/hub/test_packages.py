"""Packages and tag package lists (kojihub.tags.packages) in-process on a real database."""
import pytest

import koji
import koji.plugin
from koji.context import context
from kojihub.core import db
from kojihub.tags import inheritance, packages, tags
from kojihub.tags.packages import PackageExports as api

ENTRY_KEYS = {'blocked', 'extra_arches', 'owner_id', 'owner_name', 'package_id',
              'package_name', 'tag_id', 'tag_name'}


def link(parent_id, priority=0, maxdepth=None, intransitive=False, noconfig=False,
         pkg_filter=''):
    return {'parent_id': parent_id, 'priority': priority, 'maxdepth': maxdepth,
            'intransitive': intransitive, 'noconfig': noconfig, 'pkg_filter': pkg_filter}


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    make_user('alice')
    make_user('bob')
    return login_as('root')


@pytest.fixture
def chain(admin, new_request):
    """base <- mid <- leaf, committed; returns {name: id}."""
    ids = {}
    for name in ('base', 'mid', 'leaf'):
        ids[name] = tags.create_tag(name)
    inheritance.set_inheritance_data('mid', [link(ids['base'])])
    inheritance.set_inheritance_data('leaf', [link(ids['mid'])])
    new_request(sinfo=admin)
    return ids


def by_name(rows):
    return dict((row['package_name'], row) for row in rows)


@pytest.fixture
def callbacks():
    seen = []

    def record(cbtype, **kwargs):
        seen.append((cbtype, kwargs))

    names = ('prePackageListChange', 'postPackageListChange')
    for name in names:
        koji.plugin.callbacks[name].append(record)
    try:
        yield seen
    finally:
        for name in names:
            koji.plugin.callbacks[name].remove(record)


def test_exports_names():
    names = {n for n in dir(api) if not n.startswith('_')}
    assert names == {'packageListAdd', 'packageListRemove', 'packageListBlock',
                     'packageListUnblock', 'packageListSetOwner', 'packageListSetArches',
                     'getPackageID', 'getPackage', 'listPackages', 'listPackagesSimple',
                     'checkTagPackage', 'getPackageConfig'}


def test_get_package_and_id(admin):
    assert api.getPackage('foo') is None
    with pytest.raises(koji.GenericError):
        api.getPackage('foo', strict=True)
    pkg = api.getPackage('foo', create=True)
    assert set(pkg) == {'id', 'name'} and pkg['name'] == 'foo'
    assert api.getPackage(pkg['id']) == pkg
    assert api.getPackage({'name': 'foo'}) == pkg
    assert api.getPackage('foo', create=True) == pkg
    assert api.getPackageID('foo') == pkg['id']
    assert api.getPackageID('nope') is None
    with pytest.raises(koji.GenericError, match='No such package name: nope'):
        api.getPackageID('nope', strict=True)
    with pytest.raises(koji.GenericError):
        api.getPackage('bad name!', create=True)


def test_list_packages_simple(admin):
    for name in ('alpha', 'Beta', 'beta2', 'gamma', 'under_score', 'underXscore'):
        packages.lookup_package(name, create=True)
    rows = api.listPackagesSimple()
    assert [r['package_name'] for r in rows] == sorted(
        ['alpha', 'Beta', 'beta2', 'gamma', 'under_score', 'underXscore'])
    assert set(rows[0]) == {'package_id', 'package_name'}
    assert {r['package_name'] for r in api.listPackagesSimple('be')} == {'Beta', 'beta2'}
    assert [r['package_name'] for r in api.listPackagesSimple('under_')] == ['under_score']
    assert api.listPackagesSimple(queryOpts={'countOnly': True}) == 6
    rows = api.listPackagesSimple(queryOpts={'order': '-package_name', 'limit': 2})
    assert [r['package_name'] for r in rows] == ['under_score', 'underXscore']
    # no filter at all: listPackages delegates
    assert api.listPackages(prefix='g') == api.listPackagesSimple('g')


def test_add_and_list(chain, callbacks):
    with pytest.raises(koji.GenericError, match='owner not specified'):
        api.packageListAdd('base', 'foo')
    assert api.packageListAdd('base', 'foo', owner='alice', extra_arches='x86_64 ppc64le') \
        is None
    rows = api.listPackages(tagID='base')
    assert len(rows) == 1
    entry = rows[0]
    assert set(entry) == ENTRY_KEYS
    assert entry['package_name'] == 'foo' and entry['tag_name'] == 'base'
    assert entry['owner_name'] == 'alice' and entry['blocked'] is False
    assert entry['extra_arches'] == 'x86_64 ppc64le'
    rows = api.listPackages(tagID='base', with_owners=False)
    assert set(rows[0]) == ENTRY_KEYS - {'owner_id', 'owner_name'}
    # callbacks with the upstream arguments
    assert [c[0] for c in callbacks] == ['prePackageListChange', 'postPackageListChange']
    kwargs = callbacks[0][1]
    assert set(kwargs) == {'action', 'tag', 'package', 'owner', 'block', 'extra_arches',
                           'force', 'update', 'user'}
    assert kwargs['action'] == 'add' and kwargs['tag']['name'] == 'base'
    assert kwargs['package']['name'] == 'foo' and kwargs['user']['name'] == 'root'
    assert kwargs['owner'] == entry['owner_id']
    # force makes the caller the owner
    api.packageListAdd('base', 'bar', force=True)
    assert by_name(api.listPackages(tagID='base'))['bar']['owner_name'] == 'root'
    # same data again: no change, no callback
    del callbacks[:]
    api.packageListAdd('base', 'foo', owner='alice')
    assert callbacks == []


def test_inherited_blocks_and_dups(chain, new_request, admin):
    api.packageListAdd('base', 'foo', owner='alice')
    api.packageListAdd('base', 'bar', owner='alice')
    api.packageListAdd('base', 'baz', owner='alice')
    # other data than the inherited entry: mid gets an entry of its own
    api.packageListAdd('mid', 'bar', owner='bob', extra_arches='s390x')
    new_request(sinfo=admin)
    api.packageListBlock('mid', 'baz')
    new_request(sinfo=admin)
    assert {r['package_name'] for r in api.listPackages(tagID='leaf')} == set()
    rows = by_name(api.listPackages(tagID='leaf', inherited=True))
    assert set(rows) == {'foo', 'bar', 'baz'}
    assert rows['bar']['tag_name'] == 'mid' and rows['bar']['owner_name'] == 'bob'
    assert rows['foo']['tag_name'] == 'base'
    assert rows['baz']['blocked'] is True and rows['baz']['tag_name'] == 'mid'
    rows = by_name(api.listPackages(tagID='leaf', inherited=True, with_blocked=False))
    # blocked rows are left out at every level (as upstream): base's baz shows
    assert set(rows) == {'foo', 'bar', 'baz'}
    assert rows['baz']['tag_name'] == 'base' and rows['bar']['tag_name'] == 'mid'
    dups = api.listPackages(tagID='leaf', inherited=True, with_dups=True)
    assert sorted((r['package_name'], r['tag_name']) for r in dups) == [
        ('bar', 'base'), ('bar', 'mid'), ('baz', 'base'), ('baz', 'mid'), ('foo', 'base')]
    assert api.checkTagPackage('leaf', 'foo') is True
    assert api.checkTagPackage('leaf', 'baz') is False
    assert api.checkTagPackage('leaf', 'nope') is False
    assert api.checkTagPackage('nope', 'foo') is False
    assert api.getPackageConfig('leaf', 'bar')['tag_name'] == 'mid'
    assert api.getPackageConfig('leaf', 'nope') is None
    # user filter: only the user's rows count, at every level (bar: base's entry)
    rows = by_name(api.listPackages(tagID='leaf', userID='alice', inherited=True))
    assert set(rows) == {'foo', 'baz', 'bar'}
    assert rows['bar']['tag_name'] == 'base' and rows['baz']['tag_name'] == 'mid'
    rows = api.listPackages(userID='bob')
    assert [(r['package_name'], r['tag_name']) for r in rows] == [('bar', 'mid')]
    # what `koji userinfo` asks for (mid's block of baz kept alice as owner)
    assert api.listPackages(userID='alice', with_dups=True,
                            queryOpts={'countOnly': True}) == 4
    rows = api.listPackages(pkgID='bar', with_dups=True)
    assert sorted(r['tag_name'] for r in rows) == ['base', 'mid']
    # without dups (and without a tag) one entry per package, as upstream keys them
    assert len(api.listPackages(pkgID='bar')) == 1
    rows = api.listPackages(tagID='leaf', inherited=True, prefix='BA')
    assert {r['package_name'] for r in rows} == {'bar', 'baz'}
    assert api.listPackages(tagID='leaf', inherited=True,
                            queryOpts={'countOnly': True}) == 3
    rows = api.listPackages(tagID='leaf', inherited=True,
                            queryOpts={'order': '-package_name', 'limit': 2})
    assert [r['package_name'] for r in rows] == ['foo', 'baz']
    with pytest.raises(koji.GenericError):
        api.listPackages(tagID='nope')


def test_pkg_filter(admin, new_request):
    base = tags.create_tag('f-base')
    child = tags.create_tag('f-child')
    grand = tags.create_tag('f-grand')
    inheritance.set_inheritance_data(child, [link(base, pkg_filter='^(foo|bar)')])
    inheritance.set_inheritance_data(grand, [link(child, pkg_filter='^b')])
    for name in ('foo', 'bar', 'baz'):
        api.packageListAdd(base, name, owner='alice')
    new_request(sinfo=admin)
    assert {r['package_name'] for r in api.listPackages(child, inherited=True)} == \
        {'foo', 'bar'}
    assert {r['package_name'] for r in api.listPackages(grand, inherited=True)} == {'bar'}


def test_block_unblock(chain, new_request, admin, callbacks):
    with pytest.raises(koji.GenericError, match='not in tag listing'):
        api.packageListBlock('leaf', packages.lookup_package('foo', create=True)['id'])
    api.packageListAdd('base', 'foo', owner='alice')
    new_request(sinfo=admin)
    api.packageListBlock('leaf', 'foo')
    new_request(sinfo=admin)
    assert api.checkTagPackage('leaf', 'foo') is False
    # adding it again leaves the block as it is; unblocking through add needs force
    api.packageListAdd('leaf', 'foo', owner='alice')
    assert api.getPackageConfig('leaf', 'foo')['blocked'] is True
    with pytest.raises(koji.GenericError, match='package foo is blocked in tag leaf'):
        api.packageListAdd('leaf', 'foo', owner='alice', block=False)
    # unblocking the leaf's own block lets base's entry show through again
    del callbacks[:]
    api.packageListUnblock('leaf', 'foo')
    new_request(sinfo=admin)
    assert set(callbacks[0][1]) == {'action', 'tag', 'package', 'user'}
    assert callbacks[0][1]['action'] == 'unblock'
    assert api.getPackageConfig('leaf', 'foo')['tag_name'] == 'base'
    with pytest.raises(koji.GenericError, match='NOT blocked'):
        api.packageListUnblock('leaf', 'foo')
    # an inherited block is overridden by an unblocked entry in the child
    api.packageListBlock('mid', 'foo')
    new_request(sinfo=admin)
    api.packageListUnblock('leaf', 'foo')
    new_request(sinfo=admin)
    entry = api.getPackageConfig('leaf', 'foo')
    assert entry['tag_name'] == 'leaf' and entry['blocked'] is False
    assert entry['owner_name'] == 'alice'
    # force unblocks through add (a new owner alone leaves the block)
    api.packageListAdd('mid', 'foo', owner='bob', force=True)
    new_request(sinfo=admin)
    assert api.getPackageConfig('mid', 'foo')['blocked'] is True
    api.packageListAdd('mid', 'foo', owner='bob', block=False, force=True)
    new_request(sinfo=admin)
    entry = api.getPackageConfig('mid', 'foo')
    assert entry['blocked'] is False and entry['owner_name'] == 'bob'
    with pytest.raises(koji.GenericError, match='no data'):
        api.packageListUnblock('base', packages.lookup_package('zzz', create=True)['id'])


def _owner_rows(tag_id, pkg_name):
    """(active, owner) of every tag_package_owners row of a package in a tag."""
    cur = context.cnx.cursor()
    cur.execute("SELECT active, owner FROM tag_package_owners JOIN package "
                "ON package.id = package_id WHERE tag_id = %(t)s AND package.name = %(p)s "
                "ORDER BY create_event", {'t': tag_id, 'p': pkg_name})
    rows = cur.fetchall()
    cur.close()
    return rows


def test_owner_rows_written_as_upstream(chain, new_request, admin):
    """A change of an entry's data rewrites its owner row too; remove leaves it."""
    api.packageListAdd('base', 'own', owner='alice')
    new_request(sinfo=admin)
    alice = _owner_rows(chain['base'], 'own')
    assert [r[0] for r in alice] == [True]
    api.packageListBlock('base', 'own')
    new_request(sinfo=admin)
    rows_owner = _owner_rows(chain['base'], 'own')
    assert [r[0] for r in rows_owner] == [None, True]
    assert rows_owner[0][1] == rows_owner[1][1]
    api.packageListRemove('base', 'own', force=True)
    new_request(sinfo=admin)
    assert [r[0] for r in _owner_rows(chain['base'], 'own')] == [None, True]
    assert api.getPackageConfig('base', 'own') is None


def test_block_only_entry_then_unblock(chain, new_request, admin):
    api.packageListAdd('base', 'solo', owner='alice', block=True)
    new_request(sinfo=admin)
    assert api.getPackageConfig('base', 'solo')['blocked'] is True
    api.packageListUnblock('base', 'solo')
    new_request(sinfo=admin)
    entry = api.getPackageConfig('base', 'solo')
    assert entry['blocked'] is False and entry['owner_name'] == 'alice'


def test_set_owner_arches_remove(chain, new_request, admin, callbacks):
    with pytest.raises(koji.GenericError, match='cannot update'):
        api.packageListSetOwner('base', packages.lookup_package('foo', create=True)['id'],
                                'bob')
    api.packageListAdd('base', 'foo', owner='alice', extra_arches='x86_64')
    new_request(sinfo=admin)
    del callbacks[:]
    api.packageListSetOwner('base', 'foo', 'bob')
    new_request(sinfo=admin)
    assert callbacks[0][1]['action'] == 'update' and callbacks[0][1]['update'] is True
    entry = api.getPackageConfig('base', 'foo')
    assert entry['owner_name'] == 'bob' and entry['extra_arches'] == 'x86_64'
    api.packageListSetArches('base', 'foo', 'aarch64 s390x')
    new_request(sinfo=admin)
    entry = api.getPackageConfig('base', 'foo')
    assert entry['owner_name'] == 'bob' and entry['extra_arches'] == 'aarch64 s390x'
    with pytest.raises(koji.GenericError, match=r'Architecture can be only \[a-zA-Z0-9_-\]'):
        api.packageListSetArches('base', 'foo', 'bad/arch')
    # set-owner on an inherited entry writes only an owner row in the child (as
    # upstream), so the inherited entry still decides
    api.packageListSetOwner('leaf', 'foo', 'alice')
    new_request(sinfo=admin)
    entry = api.getPackageConfig('leaf', 'foo')
    assert (entry['tag_name'], entry['owner_name']) == ('base', 'bob')
    # set-arches on it copies the entry into the child, with the child's owner row
    api.packageListSetArches('leaf', 'foo', 'ppc64le')
    new_request(sinfo=admin)
    entry = api.getPackageConfig('leaf', 'foo')
    assert (entry['tag_name'], entry['owner_name'], entry['extra_arches']) == \
        ('leaf', 'bob', 'ppc64le')
    del callbacks[:]
    api.packageListRemove('leaf', 'foo')
    new_request(sinfo=admin)
    assert callbacks[0][1]['action'] == 'remove'
    assert api.getPackageConfig('leaf', 'foo')['tag_name'] == 'base'
    # history rows are revoked, not deleted
    cur = context.cnx.cursor()
    cur.execute("SELECT count(*) FROM tag_packages WHERE tag_id = %(t)s",
                {'t': chain['leaf']})
    assert cur.fetchone()[0] == 1
    cur.close()


def test_events(chain, new_request, admin):
    api.packageListAdd('base', 'foo', owner='alice')
    new_request(sinfo=admin)
    first = db._singleValue('SELECT max(id) FROM events')
    api.packageListBlock('leaf', 'foo')
    api.packageListSetOwner('base', 'foo', 'bob')
    new_request(sinfo=admin)
    api.packageListRemove('base', 'foo')
    new_request(sinfo=admin)
    assert api.listPackages(tagID='leaf', inherited=True, with_blocked=False) == []
    old = api.listPackages(tagID='leaf', inherited=True, event=first)
    assert [(r['tag_name'], r['owner_name'], r['blocked']) for r in old] == \
        [('base', 'alice', False)]
    assert api.getPackageConfig('base', 'foo', event=first)['owner_name'] == 'alice'
    assert api.getPackageConfig('base', 'foo') is None


def test_policy_and_login(chain, make_user, login_as, new_request):
    new_request()
    with pytest.raises(koji.ActionNotAllowed):
        api.packageListAdd('base', 'foo', owner='alice')
    login_as('alice')
    with pytest.raises(koji.ActionNotAllowed, match='package_list'):
        api.packageListAdd('base', 'foo', owner='alice')
    with pytest.raises(koji.ActionNotAllowed):
        api.packageListRemove('base', packages.lookup_package('foo', create=True)['id'])
    make_user('tagger', perms=['tag'])
    login_as('tagger')
    api.packageListAdd('base', 'foo', owner='alice')
    assert api.checkTagPackage('base', 'foo') is True


def test_inherited_listing_query_count(admin, new_request, monkeypatch):
    """The inherited list costs a fixed number of statements, whatever its size."""
    ids = [tags.create_tag('q%d' % i) for i in range(6)]
    for child, parent in zip(ids[1:], ids[:-1]):
        inheritance.set_inheritance_data(child, [link(parent)])
    for i, tag_id in enumerate(ids):
        for j in range(8):
            api.packageListAdd(tag_id, 'p%d-%d' % (i, j), owner='alice')
    new_request(sinfo=admin)
    statements = []
    real = db.CursorWrapper.execute

    def counting(self, operation, parameters=None, **kwargs):
        statements.append(operation)
        return real(self, operation, parameters, **kwargs)

    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    rows = api.listPackages(tagID=ids[-1], inherited=True)
    assert len(rows) == 48
    assert len(statements) <= 4, statements


def test_configured_policy_and_force(chain, new_request, admin):
    """The hub's package_list policy decides; admin + force overrides a denial."""
    context.opts['policy'] = dict(context.opts.get('policy') or {},
                                  package_list='match action block :: allow\n'
                                               'all :: deny frozen')
    context.policy = {}
    try:
        with pytest.raises(koji.ActionNotAllowed, match='frozen'):
            api.packageListAdd('base', 'foo', owner='alice')
        api.packageListAdd('base', 'foo', owner='alice', force=True)
        api.packageListBlock('mid', 'foo')
        new_request(sinfo=admin)
        assert api.getPackageConfig('leaf', 'foo')['blocked'] is True
    finally:
        context.policy = {}
