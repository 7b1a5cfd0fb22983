"""Tags (createTag, editTag2/editTag, deleteTag, getTag, listTags, getBuildConfig,
checkTagAccess), in-process on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.tags import tags
from kojihub.tags.inheritance import InheritanceExports
from kojihub.tags.tags import TagExports
from kojihub.tags.targets import TargetExports

TAG_KEYS = {'arches', 'extra', 'id', 'locked', 'maven_include_all', 'maven_support', 'name',
            'perm', 'perm_id'}


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


api = PerCall(TagExports)
inh = PerCall(InheritanceExports)
tapi = PerCall(TargetExports)


def sql(query, values=None, fetch=True):
    cursor = context.cnx.cursor()
    cursor.execute(query, values or {})
    rows = cursor.fetchall() if fetch else None
    cursor.close()
    return rows


def new_event():
    """Let the next write start a new event (as a new call would)."""
    context.event_id = None


def link(parent, priority, **kw):
    data = {'parent_id': parent, 'priority': priority, 'maxdepth': None,
            'intransitive': False, 'noconfig': False, 'pkg_filter': ''}
    data.update(kw)
    return data


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')


@pytest.fixture
def plain(make_user, login_as):
    make_user('pleb')
    login_as('pleb')


# ---------------------------------------------------------------------------
# createTag / getTag / getTagID

def test_create_and_get(admin):
    tag_id = api.createTag('base', arches='x86_64  aarch64', extra={'a': 1, 'b': {'c': [1]}})
    info = api.getTag('base')
    assert set(info) == TAG_KEYS
    assert info == {'id': tag_id, 'name': 'base', 'arches': 'x86_64 aarch64', 'locked': False,
                    'perm': None, 'perm_id': None, 'maven_support': False,
                    'maven_include_all': False, 'extra': {'a': 1, 'b': {'c': [1]}}}
    assert api.getTag(tag_id) == info
    assert api.getTag({'id': tag_id}) == info
    assert api.getTag({'name': 'base'}) == info
    assert api.getTagID('base') == tag_id
    assert api.getTagID(tag_id) == tag_id
    assert api.getTag('nosuch') is None
    assert api.getTagID('nosuch') is None
    with pytest.raises(koji.GenericError) as exc:
        api.getTag('nosuch', strict=True)
    assert exc.value.faultCode == 1000
    with pytest.raises(koji.GenericError, match='^No such entry in table tag: nosuch$'):
        api.getTagID('nosuch', strict=True)
    with pytest.raises(koji.ParameterError, match=r'^Invalid name or id value: \[1, 2\]$'):
        api.getTag([1, 2])
    with pytest.raises(koji.ParameterError, match=r"^Invalid name or id value: \{'id': 'x'\}$"):
        api.getTag({'id': 'x'})
    with pytest.raises(koji.ParameterError, match=r"^Invalid name or id value: \{\}$"):
        api.getTag({})
    new_id = api.getTagID('fresh', create=True)
    assert api.getTagID('fresh') == new_id
    assert api.getTag('fresh') is None


def test_create_options_and_faults(admin):
    api.createTag('parent')
    tag_id = api.createTag('child', parent='parent', perm='admin', locked=True)
    info = api.getTag(tag_id)
    assert info['perm'] == 'admin' and info['perm_id'] == 1 and info['locked'] is True
    # no arches given: stored as '' (as upstream), so none are inherited from the parent
    assert info['arches'] == ''
    data = inh.getInheritanceData('child')
    assert [(d['name'], d['priority'], d['maxdepth'], d['pkg_filter']) for d in data] == \
        [('parent', 0, None, '')]
    with pytest.raises(koji.GenericError, match='already exists'):
        api.createTag('parent')
    with pytest.raises(koji.GenericError, match='could not be found'):
        api.createTag('orphan', parent='nosuch')
    with pytest.raises(koji.GenericError, match='^No such entry in table permissions: '):
        api.createTag('orphan', perm='nosuch-perm')
    with pytest.raises(koji.GenericError, match='RegexNameInternal'):
        api.createTag('bad name!')
    with pytest.raises(koji.GenericError, match='too long'):
        api.createTag('x' * 300)
    with pytest.raises(koji.GenericError, match='Maven support not enabled'):
        api.createTag('mvn', maven_support=True)
    with pytest.raises(koji.GenericError, match=r'Architecture can be only \[a-zA-Z0-9_-\]'):
        api.createTag('badarch', arches='x86_64,i686')
    assert api.getTag('orphan') is None and api.getTag('mvn') is None
    context.opts['EnableMaven'] = True
    api.createTag('mvn', maven_support=True, maven_include_all=True)
    info = api.getTag('mvn')
    assert info['maven_support'] is True and info['maven_include_all'] is True


def test_tag_permission_checks(make_user, login_as):
    make_user('root', perms=['admin'])
    make_user('pleb')
    make_user('tagger', perms=['tag'])
    login_as('root')
    api.createTag('t1')
    context.cnx.commit()
    login_as('pleb')
    for call, args in ((api.createTag, ('t2',)), (api.editTag2, ('t1',)),
                       (api.deleteTag, ('t1',)),
                       (api.editTag, ('t1', 't1', None, False, None))):
        with pytest.raises(koji.ActionNotAllowed) as exc:
            call(*args)
        assert exc.value.faultCode == 1004
    with pytest.raises(koji.ActionNotAllowed):
        inh.setInheritanceData('t1', [])
    login_as('tagger')
    api.createTag('t2', parent='t1')
    api.editTag2('t2', locked=True)
    api.deleteTag('t2')
    assert api.getTag('t2') is None


# ---------------------------------------------------------------------------
# editTag2 / editTag

def test_edit_tag_config_is_versioned(admin):
    tag_id = api.createTag('t1', arches='x86_64')
    create_event = context.event_id
    new_event()
    api.editTag2('t1', arches='i686 x86_64', locked=True, perm='admin')
    edit_event = context.event_id
    assert edit_event != create_event
    rows = sql('SELECT create_event, revoke_event, active, arches FROM tag_config '
               'WHERE tag_id = %(t)s ORDER BY create_event', {'t': tag_id})
    assert rows == [(create_event, edit_event, None, 'x86_64'),
                    (edit_event, None, True, 'i686 x86_64')]
    info = api.getTag('t1')
    assert (info['arches'], info['locked'], info['perm']) == ('i686 x86_64', True, 'admin')
    old = api.getTag('t1', event=create_event)
    assert (old['arches'], old['locked'], old['perm']) == ('x86_64', False, None)
    assert old['query_event'] == create_event
    # perm_id form, and clearing the permission
    new_event()
    api.editTag2('t1', perm_id=None)
    assert api.getTag('t1')['perm'] is None
    # both given: perm_id wins, as upstream
    new_event()
    api.editTag2('t1', perm='nosuchperm', perm_id='admin')
    assert api.getTag('t1')['perm'] == 'admin'
    # unknown options are ignored
    api.editTag2('t1', bogus=1)
    # no change -> no new config row
    new_event()
    api.editTag2('t1', arches='i686 x86_64', locked=True)
    assert sql('SELECT count(*) FROM tag_config WHERE tag_id = %(t)s',
               {'t': tag_id})[0][0] == 4
    with pytest.raises(koji.GenericError, match='No such tagInfo'):
        api.editTag2('nosuch', locked=True)
    with pytest.raises(koji.GenericError, match='Maven support not enabled'):
        api.editTag2('t1', maven_support=True)


def test_edit_tag_rename(admin):
    tag_id = api.createTag('old')
    api.createTag('other')
    api.editTag2('old', name='new')
    assert api.getTag('old') is None
    assert api.getTag('new')['id'] == tag_id
    with pytest.raises(koji.GenericError, match='already taken'):
        api.editTag2('new', name='other')
    with pytest.raises(koji.GenericError, match='RegexNameInternal'):
        api.editTag2('new', name='bad name')
    # a deleted tag still holds its name
    api.deleteTag('other')
    with pytest.raises(koji.GenericError, match='already taken'):
        api.editTag2('new', name='other')


def test_edit_tag_legacy(admin):
    tag_id = api.createTag('t1', extra={'k': 'v'})
    api.editTag(tag_id, 't1-renamed', 'ppc64le', True, 1)
    info = api.getTag(tag_id)
    assert (info['name'], info['arches'], info['locked'], info['perm_id']) == \
        ('t1-renamed', 'ppc64le', True, 1)
    assert info['extra'] == {'k': 'v'}
    api.editTag(tag_id, 't1-renamed', None, False, None, {'k': 'w'})
    info = api.getTag(tag_id)
    assert info['arches'] is None and info['perm_id'] is None and info['extra'] == {'k': 'w'}


def test_edit_tag_extra(admin):
    tag_id = api.createTag('t1', extra={'keep': 1, 'drop': 2, 'blockme': 3})
    first = context.event_id
    new_event()
    api.editTag2('t1', extra={'keep': 1, 'new': [1, 2], 'drop': 2},
                 remove_extra=[], block_extra=['blockme'])
    second = context.event_id
    # unchanged keys get no new row
    assert sql("SELECT count(*) FROM tag_extra WHERE tag_id = %(t)s AND key = 'keep'",
               {'t': tag_id})[0][0] == 1
    assert api.getTag('t1')['extra'] == {'keep': 1, 'new': [1, 2], 'drop': 2}
    assert api.getTag('t1', blocked=True)['extra'] == {
        'keep': [False, 1], 'new': [False, [1, 2]], 'drop': [False, 2],
        'blockme': [True, None]}
    new_event()
    # a blocked key is not an extra the tag has, so it cannot be removed
    with pytest.raises(koji.GenericError, match="Tag: t1 doesn't have extra: blockme"):
        api.editTag2('t1', remove_extra=['drop', 'blockme'])
    api.editTag2('t1', remove_extra=['drop'], extra={'keep': {'x': None}})
    assert api.getTag('t1', blocked=True)['extra'] == {
        'keep': [False, {'x': None}], 'new': [False, [1, 2]], 'blockme': [True, None]}
    # blocking again writes a new block row
    new_event()
    api.editTag2('t1', block_extra=['blockme'])
    assert sql("SELECT count(*) FROM tag_extra WHERE tag_id = %(t)s AND key = 'blockme'",
               {'t': tag_id})[0][0] == 3
    assert api.getTag('t1', event=first)['extra'] == {'keep': 1, 'drop': 2, 'blockme': 3}
    assert api.getTag('t1', event=second)['extra'] == {'keep': 1, 'new': [1, 2], 'drop': 2}
    with pytest.raises(koji.GenericError, match="doesn't have extra: nosuch"):
        api.editTag2('t1', remove_extra=['nosuch'])
    with pytest.raises(koji.GenericError, match='Can not both add/update and remove'):
        api.editTag2('t1', extra={'keep': 2}, remove_extra=['keep'])
    with pytest.raises(koji.GenericError,
                       match="Can not both add/update and remove tag-extra: 'keep'"):
        api.editTag2('t1', extra={'keep': 2}, block_extra=['keep'])
    with pytest.raises(koji.ParameterError):
        api.editTag2('t1', remove_extra='keep')


# ---------------------------------------------------------------------------
# deleteTag

def _seed_tag_rows(tag_id, user_id):
    """Rows of other domains that reference a tag (written directly)."""
    ev = sql('SELECT get_event()')[0][0]
    pkg = sql("INSERT INTO package (name) VALUES ('pkg1') RETURNING id")[0][0]
    sql('INSERT INTO tag_packages (package_id, tag_id, create_event, creator_id) '
        'VALUES (%(p)s, %(t)s, %(e)s, %(u)s)', {'p': pkg, 't': tag_id, 'e': ev, 'u': user_id},
        fetch=False)
    sql('INSERT INTO tag_package_owners (package_id, tag_id, owner, create_event, creator_id) '
        'VALUES (%(p)s, %(t)s, %(u)s, %(e)s, %(u)s)',
        {'p': pkg, 't': tag_id, 'e': ev, 'u': user_id}, fetch=False)
    grp = sql("INSERT INTO groups (name) VALUES ('build') RETURNING id")[0][0]
    sql('INSERT INTO group_config (group_id, tag_id, display_name, create_event, creator_id) '
        "VALUES (%(g)s, %(t)s, 'Build', %(e)s, %(u)s)",
        {'g': grp, 't': tag_id, 'e': ev, 'u': user_id},
        fetch=False)
    return pkg


def test_delete_tag(admin):
    user_id = context.session.user_id
    parent = api.createTag('parent')
    tag_id = api.createTag('doomed', parent='parent', arches='x86_64', extra={'k': 1})
    child = api.createTag('child', parent='doomed')
    tapi.createBuildTarget('tgt', 'doomed', 'parent')
    tapi.createBuildTarget('tgt2', 'parent', 'parent')
    pkg = _seed_tag_rows(tag_id, user_id)
    before = context.event_id
    new_event()
    api.deleteTag('doomed')
    gone = context.event_id
    assert api.getTag('doomed') is None
    assert api.getTag(tag_id) is None
    assert api.getTagID('doomed') == tag_id
    for table in ('tag_config', 'tag_extra', 'tag_inheritance', 'tag_packages',
                  'tag_package_owners', 'group_config'):
        rows = sql('SELECT active, revoke_event FROM %s WHERE tag_id = %%(t)s' % table,
                   {'t': tag_id})
        assert rows and all(r == (None, gone) for r in rows), table
    assert inh.getInheritanceData(child) == []
    assert [t['name'] for t in tapi.getBuildTargets()] == ['tgt2']
    assert tapi.getBuildTarget('tgt', event=before)['build_tag'] == tag_id
    # history still answers
    old = api.getTag('doomed', event=before)
    assert old['id'] == tag_id and old['extra'] == {'k': 1}
    auto = api.getTag('doomed', event='auto')
    assert auto['revoke_event'] == gone and auto['query_event'] == gone - 1
    assert auto['extra'] == {'k': 1} and auto['arches'] == 'x86_64'
    live = api.getTag('parent', event='auto')
    assert 'revoke_event' not in live and 'query_event' not in live
    assert pkg
    with pytest.raises(koji.GenericError):
        api.deleteTag('doomed')
    # re-creating the name reuses the id, with a clean config
    new_event()
    assert api.createTag('doomed') == tag_id
    info = api.getTag('doomed')
    assert info['arches'] == '' and info['extra'] == {}
    assert parent


# ---------------------------------------------------------------------------
# listTags

def test_list_tags(admin):
    user_id = context.session.user_id
    a = api.createTag('f40-build', perm='admin')
    b = api.createTag('f40')
    api.createTag('f41')
    api.createTag('deleted')
    api.deleteTag('deleted')
    tags_ = api.listTags()
    assert sorted(t['name'] for t in tags_) == ['f40', 'f40-build', 'f41']
    assert set(tags_[0]) == {'arches', 'id', 'locked', 'maven_include_all', 'maven_support',
                             'name', 'perm', 'perm_id'}
    row = [t for t in tags_ if t['id'] == a][0]
    assert row['perm'] == 'admin' and row['perm_id'] == 1
    noperm = api.listTags(perms=False)
    assert 'perm' not in noperm[0] and 'perm_id' not in noperm[0]
    assert [t['name'] for t in api.listTags(pattern='f40*', queryOpts={'order': 'name'})] == \
        ['f40', 'f40-build']
    assert [t['name'] for t in api.listTags(pattern='f4?')] in (['f40', 'f41'], ['f41', 'f40'])
    assert api.listTags(pattern='f4_') == []
    assert api.listTags(queryOpts={'countOnly': True}) == 3
    assert api.listTags(queryOpts={'order': '-name', 'limit': 1})[0]['name'] == 'f41'
    with pytest.raises(Exception, match='Invalid order'):
        api.listTags(queryOpts={'order': 'bogus'})
    # glob patterns match case-insensitively, as upstream's ILIKE
    assert [t['name'] for t in api.listTags(pattern='F40*', queryOpts={'order': 'name'})] \
        == [t['name'] for t in api.listTags(pattern='f40*', queryOpts={'order': 'name'})]
    # package filter
    pkg = _seed_tag_rows(b, user_id)
    rows = api.listTags(package='pkg1')
    assert [(r['id'], r['blocked'], r['extra_arches'], r['owner_id'], r['owner_name'])
            for r in rows] == [(b, False, None, user_id, 'root')]
    assert api.listTags(package=pkg) == rows
    with pytest.raises(koji.GenericError, match='No such package: '):
        api.listTags(package='nosuch')
    # build filter
    build = sql("INSERT INTO build (volume_id, pkg_id, version, release, state, owner, "
                "completion_time) VALUES (0, %(p)s, '1.0', '1', 1, %(u)s, NOW()) RETURNING id",
                {'p': pkg, 'u': user_id})[0][0]
    ev = sql('SELECT get_event()')[0][0]
    sql('INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id) '
        'VALUES (%(b)s, %(t)s, %(e)s, %(u)s)', {'b': build, 't': a, 'e': ev, 'u': user_id},
        fetch=False)
    assert [t['id'] for t in api.listTags(build=build)] == [a]
    assert [t['id'] for t in api.listTags(build='pkg1-1.0-1')] == [a]
    assert [t['id'] for t in api.listTags(build={'id': build})] == [a]
    with pytest.raises(koji.GenericError, match='No such build: '):
        api.listTags(build='nosuch-1-1')


# ---------------------------------------------------------------------------
# getBuildConfig

def test_build_config_inheritance(admin):
    top = api.createTag('top', arches='s390x',
                        extra={'a': 'top', 'b': 'top', 'c': 'top', 'z': 'top'})
    mid = api.createTag('mid', extra={'b': 'mid'})
    hidden = api.createTag('hidden', arches='ppc64le', extra={'h': 1, 'c': 'hidden'})
    deep = api.createTag('deep', extra={'d': 1})
    leaf = api.createTag('leaf', extra={'own': True})
    # arches NULL (only editTag2 can set that) is what getBuildConfig inherits into
    api.editTag2('mid', arches=None)
    api.editTag2('leaf', arches=None)
    inh.setInheritanceData(leaf, [link(mid, 10), link(hidden, 20, noconfig=True)])
    inh.setInheritanceData(mid, [link(top, 0)])
    inh.setInheritanceData(hidden, [link(deep, 0)])
    first = context.event_id
    cfg = api.getBuildConfig('leaf')
    assert set(cfg) == TAG_KEYS | {'config_inheritance'}
    assert cfg['arches'] == 's390x'
    # hidden's own config is left out, but deep (above the noconfig link) counts, as
    # upstream only looks at each link's own flag
    assert cfg['extra'] == {'own': True, 'b': 'mid', 'a': 'top', 'c': 'top', 'z': 'top',
                            'd': 1}
    src_top = {'id': top, 'name': 'top'}
    src_mid = {'id': mid, 'name': 'mid'}
    assert cfg['config_inheritance'] == {
        'arches': src_top,
        'extra': {'b': src_mid, 'a': src_top, 'c': src_top, 'z': src_top,
                  'd': {'id': deep, 'name': 'deep'}}}
    # block a key in the middle: hides it from the leaf
    new_event()
    api.editTag2('mid', block_extra=['a'])
    api.editTag2('leaf', arches='x86_64')
    cfg = api.getBuildConfig('leaf')
    assert cfg['arches'] == 'x86_64' and cfg['config_inheritance']['arches'] is None
    assert cfg['extra'] == {'own': True, 'b': 'mid', 'c': 'top', 'z': 'top', 'd': 1}
    assert 'a' not in cfg['config_inheritance']['extra']
    # the leaf's own block
    new_event()
    api.editTag2('leaf', block_extra=['z'])
    assert 'z' not in api.getBuildConfig('leaf')['extra']
    # at the older event
    old = api.getBuildConfig('leaf', event=first)
    assert old['arches'] == 's390x' and old['extra']['a'] == 'top' and old['extra']['z']
    assert old['query_event'] == first
    assert api.getBuildConfig(mid)['extra'] == {'b': 'mid', 'c': 'top', 'z': 'top'}
    with pytest.raises(koji.GenericError):
        api.getBuildConfig('nosuch')


def test_no_arches_is_empty_not_inherited(admin):
    api.createTag('archparent', arches='x86_64')
    child = api.createTag('archchild', parent='archparent')
    assert api.getTag(child)['arches'] == ''
    listed = api.listTags(pattern='archchild')
    assert [t['arches'] for t in listed] == ['']
    cfg = api.getBuildConfig(child)
    assert cfg['arches'] == '' and cfg['config_inheritance']['arches'] is None


def test_build_config_queries_are_bounded(admin, monkeypatch):
    from kojihub.core import db
    prev = api.createTag('t0', extra={'k0': 0})
    for i in range(1, 12):
        cur = api.createTag('t%d' % i, extra={'k%d' % i: i})
        inh.setInheritanceData(cur, [link(prev, 0)])
        prev = cur
    count = []
    orig = db.CursorWrapper.execute

    def counting(self, *args, **kwargs):
        count.append(1)
        return orig(self, *args, **kwargs)

    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    cfg = api.getBuildConfig('t11')
    assert len(cfg['extra']) == 12
    assert len(count) <= 6


# ---------------------------------------------------------------------------
# checkTagAccess

def test_check_tag_access(make_user, login_as):
    root = make_user('root', perms=['admin'])
    pleb = make_user('pleb')
    signer = make_user('signer', perms=['sign'])
    login_as('root')
    open_tag = api.createTag('open')
    locked = api.createTag('locked', locked=True)
    restricted = api.createTag('restricted', perm='sign')
    assert api.checkTagAccess(open_tag, pleb['id']) == (True, False, '')
    assert api.checkTagAccess(locked, pleb['id']) == (False, False, 'tag is locked')
    assert api.checkTagAccess(locked, root['id']) == (False, True, 'tag is locked')
    assert api.checkTagAccess(restricted, pleb['id']) == \
        (False, False, 'tag requires sign permission')
    assert api.checkTagAccess(restricted, signer['id']) == (True, False, '')
    assert api.checkTagAccess('restricted') == (False, True, 'tag requires sign permission')
    tags.assert_tag_access(restricted, root['id'], force=True)
    with pytest.raises(koji.ActionNotAllowed):
        tags.assert_tag_access(restricted, root['id'])
    context.cnx.commit()
    login_as('pleb')
    assert api.checkTagAccess(open_tag) == (True, False, '')
    context.session.user_id = None
    with pytest.raises(koji.GenericError, match='user_id is required'):
        api.checkTagAccess(open_tag)
