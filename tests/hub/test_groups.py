"""Comps groups of tags (kojihub.tags.groups) in-process on a real database."""
import pytest

import koji
from kojihub.core import db
from kojihub.tags import inheritance, tags
from kojihub.tags.groups import GroupExports as api

GROUP_KEYS = {'biarchonly', 'blocked', 'description', 'display_name', 'exported', 'group_id',
              'is_default', 'langonly', 'name', 'tag_id', 'uservisible', 'packagelist',
              'grouplist'}
PKG_KEYS = {'basearchonly', 'blocked', 'group_id', 'package', 'requires', 'tag_id', 'type'}
REQ_KEYS = {'blocked', 'group_id', 'is_metapkg', 'name', 'req_id', 'tag_id', 'type'}


def link(parent_id, priority=0):
    return {'parent_id': parent_id, 'priority': priority, 'maxdepth': None,
            'intransitive': False, 'noconfig': False, 'pkg_filter': ''}


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
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


def groups_of(tag, **kwargs):
    return dict((g['name'], g) for g in api.getTagGroups(tag, **kwargs))


def pkgs(group):
    return sorted(p['package'] for p in group['packagelist'])


def test_exports_names():
    names = {n for n in dir(api) if not n.startswith('_')}
    assert names == {'groupListAdd', 'groupListRemove', 'groupListBlock', 'groupListUnblock',
                     'groupPackageListAdd', 'groupPackageListRemove',
                     'groupPackageListBlock', 'groupPackageListUnblock', 'groupReqListAdd',
                     'groupReqListRemove', 'groupReqListBlock', 'groupReqListUnblock',
                     'getTagGroups'}


def test_add_and_read(chain, new_request, admin):
    api.groupListAdd('base', 'build', description='Build root', is_default=True,
                     bogus='ignored')
    api.groupListAdd('base', 'srpm-build')
    api.groupPackageListAdd('base', 'build', 'gcc')
    api.groupPackageListAdd('base', 'build', 'make', type='default', basearchonly=True,
                            requires='gcc')
    api.groupReqListAdd('base', 'build', 'srpm-build')
    new_request(sinfo=admin)
    groups = groups_of('base')
    assert set(groups) == {'build', 'srpm-build'}
    build = groups['build']
    assert set(build) == GROUP_KEYS
    assert build['display_name'] == 'build' and build['description'] == 'Build root'
    assert build['is_default'] is True and build['uservisible'] is True
    assert build['exported'] is True and build['biarchonly'] is False
    assert build['blocked'] is False and build['tag_id'] == chain['base']
    assert pkgs(build) == ['gcc', 'make']
    make = [p for p in build['packagelist'] if p['package'] == 'make'][0]
    assert set(make) == PKG_KEYS
    assert (make['type'], make['basearchonly'], make['requires']) == ('default', True, 'gcc')
    gcc = [p for p in build['packagelist'] if p['package'] == 'gcc'][0]
    assert gcc['type'] == 'mandatory' and gcc['basearchonly'] is None
    assert len(build['grouplist']) == 1
    req = build['grouplist'][0]
    assert set(req) == REQ_KEYS
    assert (req['name'], req['type'], req['is_metapkg']) == ('srpm-build', 'mandatory', False)
    # options: no packages / reqs requested
    group = groups_of('base', incl_pkgs=False, incl_reqs=False)['build']
    assert 'packagelist' not in group and 'grouplist' not in group
    # inherited by default, not with inherit=False
    assert set(groups_of('leaf')) == {'build', 'srpm-build'}
    assert groups_of('leaf', inherit=False) == {}
    # update keeps untouched fields
    api.groupListAdd('base', 'build', display_name='Build')
    new_request(sinfo=admin)
    build = groups_of('base')['build']
    assert build['display_name'] == 'Build' and build['description'] == 'Build root'
    with pytest.raises(koji.GenericError, match='not present in tag'):
        api.groupPackageListAdd('mid', api_group('other'), 'x')


def api_group(name):
    from kojihub.tags import groups
    return groups.lookup_group(name, create=True)['id']


def test_blocks_hide_inherited(chain, new_request, admin):
    api.groupListAdd('base', 'build')
    api.groupListAdd('base', 'extra')
    api.groupPackageListAdd('base', 'build', 'gcc')
    api.groupPackageListAdd('base', 'build', 'make')
    api.groupReqListAdd('base', 'build', 'extra')
    new_request(sinfo=admin)
    api.groupPackageListBlock('mid', 'build', 'make')
    api.groupReqListBlock('mid', 'build', 'extra')
    new_request(sinfo=admin)
    build = groups_of('leaf')['build']
    assert pkgs(build) == ['gcc'] and build['grouplist'] == []
    build = groups_of('leaf', incl_blocked=True)['build']
    blocked = [p for p in build['packagelist'] if p['blocked']]
    assert [(p['package'], p['tag_id']) for p in blocked] == [('make', chain['mid'])]
    assert [r['blocked'] for r in build['grouplist']] == [True]
    # blocking an already blocked entry fails as adding does (upstream); both need force
    with pytest.raises(koji.GenericError, match='package make blocked in group build'):
        api.groupPackageListBlock('leaf', 'build', 'make')
    with pytest.raises(koji.GenericError, match='blocked in group'):
        api.groupPackageListAdd('leaf', 'build', 'make')
    with pytest.raises(koji.GenericError, match='requirement on group extra blocked'):
        api.groupReqListAdd('leaf', 'build', 'extra')
    # unblock works only where the block is
    with pytest.raises(koji.GenericError, match='NOT blocked'):
        api.groupPackageListUnblock('leaf', 'build', 'make')
    api.groupPackageListUnblock('mid', 'build', 'make')
    api.groupReqListUnblock('mid', 'build', 'extra')
    new_request(sinfo=admin)
    build = groups_of('leaf')['build']
    assert pkgs(build) == ['gcc', 'make'] and len(build['grouplist']) == 1
    # group blocks
    api.groupListBlock('mid', 'extra')
    new_request(sinfo=admin)
    groups = groups_of('leaf')
    assert set(groups) == {'build'}
    # a requirement on a blocked group disappears
    assert groups['build']['grouplist'] == []
    groups = groups_of('leaf', incl_blocked=True)
    assert groups['extra']['blocked'] is True and groups['extra']['packagelist'] == []
    with pytest.raises(koji.GenericError, match='group extra is blocked in tag leaf'):
        api.groupListAdd('leaf', 'extra')
    with pytest.raises(koji.GenericError, match='blocked in tag'):
        api.groupPackageListAdd('leaf', 'extra', 'foo')
    api.groupListAdd('leaf', 'extra', force=True)
    new_request(sinfo=admin)
    assert 'extra' in groups_of('leaf')
    with pytest.raises(koji.GenericError, match='NOT blocked'):
        api.groupListUnblock('leaf', 'extra')
    api.groupListUnblock('mid', 'extra')
    new_request(sinfo=admin)
    assert 'extra' in groups_of('mid')


def test_remove(chain, new_request, admin):
    api.groupListAdd('base', 'build')
    api.groupListAdd('base', 'extra')
    api.groupPackageListAdd('base', 'build', 'gcc')
    api.groupReqListAdd('base', 'build', 'extra')
    new_request(sinfo=admin)
    api.groupPackageListRemove('base', 'build', 'gcc')
    api.groupReqListRemove('base', 'build', 'extra', force=True)
    new_request(sinfo=admin)
    build = groups_of('base')['build']
    assert build['packagelist'] == [] and build['grouplist'] == []
    with pytest.raises(koji.GenericError, match='No group'):
        api.groupListRemove('leaf', 'build')
    api.groupListRemove('leaf', 'build', force=True)
    api.groupListRemove('base', 'build')
    new_request(sinfo=admin)
    assert set(groups_of('leaf')) == {'extra'}


def test_events(chain, new_request, admin):
    api.groupListAdd('base', 'build')
    api.groupPackageListAdd('base', 'build', 'gcc')
    new_request(sinfo=admin)
    first = db._singleValue('SELECT max(id) FROM events')
    api.groupPackageListBlock('leaf', 'build', 'gcc')
    api.groupListAdd('base', 'later')
    new_request(sinfo=admin)
    assert pkgs(groups_of('leaf')['build']) == []
    old = groups_of('leaf', event=first)
    assert set(old) == {'build'} and pkgs(old['build']) == ['gcc']


def test_permissions(chain, make_user, login_as):
    make_user('alice')
    login_as('alice')
    for call, args in ((api.groupListAdd, ('base', 'g')),
                       (api.groupListRemove, ('base', 'g')),
                       (api.groupListBlock, ('base', 'g')),
                       (api.groupListUnblock, ('base', 'g')),
                       (api.groupPackageListAdd, ('base', 'g', 'p')),
                       (api.groupPackageListRemove, ('base', 'g', 'p')),
                       (api.groupPackageListBlock, ('base', 'g', 'p')),
                       (api.groupPackageListUnblock, ('base', 'g', 'p')),
                       (api.groupReqListAdd, ('base', 'g', 'r')),
                       (api.groupReqListRemove, ('base', 'g', 'r')),
                       (api.groupReqListBlock, ('base', 'g', 'r')),
                       (api.groupReqListUnblock, ('base', 'g', 'r'))):
        with pytest.raises(koji.ActionNotAllowed):
            call(*args)
    assert api.getTagGroups('base') == []
    make_user('tagger', perms=['tag'])
    login_as('tagger')
    api.groupListAdd('base', 'g')
    assert 'g' in groups_of('base')


def test_query_count(admin, new_request, monkeypatch):
    """Reading inherited groups costs a fixed number of statements."""
    ids = [tags.create_tag('q%d' % i) for i in range(5)]
    for child, parent in zip(ids[1:], ids[:-1]):
        inheritance.set_inheritance_data(child, [link(parent)])
    for i, tag_id in enumerate(ids):
        api.groupListAdd(tag_id, 'g%d' % i)
        for j in range(4):
            api.groupPackageListAdd(tag_id, 'g%d' % i, 'p%d' % j)
        if i:
            api.groupReqListAdd(tag_id, 'g%d' % i, 'g%d' % (i - 1))
    new_request(sinfo=admin)
    statements = []
    real = db.CursorWrapper.execute

    def counting(self, operation, parameters=None, **kwargs):
        statements.append(operation)
        return real(self, operation, parameters, **kwargs)

    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    groups = groups_of(ids[-1])
    assert len(groups) == 5 and all(len(g['packagelist']) == 4 for g in groups.values())
    assert len(groups['g4']['grouplist']) == 1
    assert len(statements) <= 5, statements


def _row_count(table, tag_id):
    return db._singleValue('SELECT count(*) FROM %s WHERE tag_id = %%(t)s' % table,
                           {'t': tag_id})


def test_same_data_again_as_upstream(chain, new_request, admin):
    """force rewrites an unchanged package entry, but not a group or a requirement."""
    api.groupListAdd('base', 'build')
    api.groupListAdd('base', 'extra')
    api.groupPackageListAdd('base', 'build', 'gcc')
    api.groupReqListAdd('base', 'build', 'extra')
    new_request(sinfo=admin)
    base = chain['base']
    api.groupListAdd('base', 'build', force=True)
    api.groupReqListAdd('base', 'build', 'extra', force=True)
    new_request(sinfo=admin)
    assert _row_count('group_config', base) == 2
    assert _row_count('group_req_listing', base) == 1
    api.groupPackageListAdd('base', 'build', 'gcc')
    new_request(sinfo=admin)
    assert _row_count('group_package_listing', base) == 1
    api.groupPackageListAdd('base', 'build', 'gcc', force=True)
    new_request(sinfo=admin)
    assert _row_count('group_package_listing', base) == 2
