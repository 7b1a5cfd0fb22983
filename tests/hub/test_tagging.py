"""Tagging calls (kojihub.tags.tagging) in-process on a real database."""
import pytest

import koji
import koji.plugin
from koji.context import context
from kojihub.builds import build_write
from kojihub.core import db, policy
from kojihub.tags import inheritance, packages, tags
from kojihub.tags.tagged import TaggedExports as view
from kojihub.tags.tagging import TaggingExports as api


def link(parent_id, pkg_filter=''):
    return {'parent_id': parent_id, 'priority': 0, 'maxdepth': None, 'intransitive': False,
            'noconfig': False, 'pkg_filter': pkg_filter}


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    make_user('tagger', perms=['tag'])
    make_user('alice')
    return login_as('root')


@pytest.fixture
def env(admin, new_request):
    """base <- leaf, foo listed in base, bar blocked in leaf, two COMPLETE builds."""
    ids = {}
    for name in ('base', 'leaf', 'other'):
        ids[name] = tags.create_tag(name)
    inheritance.set_inheritance_data('leaf', [link(ids['base'])])
    packages.pkglist_add('base', 'foo', owner='root')
    packages.pkglist_add('base', 'bar', owner='root')
    packages.pkglist_add('leaf', 'bar', owner='root', block=True)
    packages.pkglist_add('other', 'foo', owner='root')
    ids['foo1'] = build_write.new_build({'name': 'foo', 'version': '1', 'release': '1',
                                         'epoch': None})
    ids['foo2'] = build_write.new_build({'name': 'foo', 'version': '2', 'release': '1',
                                         'epoch': None})
    ids['bar1'] = build_write.new_build({'name': 'bar', 'version': '1', 'release': '1',
                                         'epoch': None})
    ids['baz1'] = build_write.new_build({'name': 'baz', 'version': '1', 'release': '1',
                                         'epoch': None})
    new_request(sinfo=admin)
    return ids


@pytest.fixture
def callbacks():
    seen = []

    def record(cbtype, **kwargs):
        seen.append((cbtype, kwargs))

    names = ('preTag', 'postTag', 'preUntag', 'postUntag')
    for name in names:
        koji.plugin.callbacks[name].append(record)
    try:
        yield seen
    finally:
        for name in names:
            koji.plugin.callbacks[name].remove(record)


def set_policy(text):
    context.opts = dict(context.opts, policy={'tag': text})
    context.policy = policy.load_policies(context.opts)


def nvrs(rows):
    return [row['nvr'] for row in rows]


def listing_rows(tag_id):
    return db.QueryProcessor(tables=['tag_listing'],
                             columns=['build_id', 'active', 'create_event', 'revoke_event',
                                      'creator_id', 'revoker_id'],
                             clauses=['tag_id = %(t)s'], values={'t': tag_id},
                             opts={'order': 'create_event'}).execute()


def test_exports_names():
    names = {n for n in dir(api) if not n.startswith('_')}
    assert names == {'tagBuildBypass', 'untagBuildBypass', 'tagBuild', 'untagBuild',
                     'moveBuild', 'moveAllBuilds', 'massTag'}


def test_bypass_tag_untag_and_callbacks(env, admin, callbacks, new_request):
    api.tagBuildBypass('leaf', 'foo-1-1')
    assert [c[0] for c in callbacks] == ['preTag', 'postTag']
    cb = callbacks[0][1]
    assert set(cb) == {'tag', 'build', 'user', 'force'}
    assert cb['tag']['name'] == 'leaf' and cb['build']['nvr'] == 'foo-1-1'
    assert cb['user']['name'] == 'root' and cb['force'] is False
    assert nvrs(view.listTagged('leaf')) == ['foo-1-1']
    # already tagged: error unless forced, force re-creates the row
    with pytest.raises(koji.TagError, match='already tagged'):
        api.tagBuildBypass('leaf', 'foo-1-1')
    new_request(sinfo=admin)
    api.tagBuildBypass('leaf', 'foo-1-1', force=True)
    rows = listing_rows(env['leaf'])
    assert [r['active'] for r in rows] == [None, True]
    del callbacks[:]
    new_request(sinfo=admin)
    api.untagBuildBypass('leaf', 'foo-1-1')
    assert [c[0] for c in callbacks] == ['preUntag', 'postUntag']
    assert callbacks[0][1]['strict'] is True
    assert view.listTagged('leaf') == []
    with pytest.raises(koji.TagError, match='build foo-1-1 not in tag leaf'):
        api.untagBuildBypass('leaf', 'foo-1-1')
    assert api.untagBuildBypass('leaf', 'foo-1-1', strict=False) is None


def test_package_list_checks(env, admin, make_user, login_as, new_request):
    with pytest.raises(koji.TagError, match='Package baz not in list for leaf'):
        api.tagBuildBypass('leaf', 'baz-1-1')
    with pytest.raises(koji.TagError, match='Package bar blocked in leaf'):
        api.tagBuildBypass('leaf', 'bar-1-1')
    # tagging into base works: only leaf blocks bar
    api.tagBuildBypass('base', 'bar-1-1')
    # admin + force lists the package
    api.tagBuildBypass('leaf', 'baz-1-1', force=True)
    assert packages.check_tag_package('leaf', 'baz')
    # a tag-perm user cannot force the package list
    login_as('tagger')
    with pytest.raises(koji.TagError, match='not in list'):
        api.tagBuildBypass('other', 'baz-1-1', force=True)


def test_perm_and_state_faults(env, make_user, login_as, new_request):
    login_as('alice')
    with pytest.raises(koji.ActionNotAllowed):
        api.tagBuildBypass('leaf', 'foo-1-1')
    with pytest.raises(koji.ActionNotAllowed):
        api.massTag('leaf', ['foo-1-1'])
    sinfo = login_as('root')
    bid = build_write.new_build({'name': 'foo', 'version': '3', 'release': '1', 'epoch': None,
                                 'state': koji.BUILD_STATES['FAILED']})
    new_request(sinfo=sinfo)
    with pytest.raises(koji.TagError, match='not complete: state FAILED'):
        api.tagBuildBypass('leaf', bid)
    with pytest.raises(koji.GenericError, match='No such'):
        api.tagBuildBypass('nosuchtag', 'foo-1-1')
    with pytest.raises(koji.GenericError, match='No such build'):
        api.tagBuildBypass('leaf', 'nosuch-1-1')


def test_tag_policy_data(env, admin, new_request):
    seen = []
    from kojihub.tags import tagging
    real = tagging.assert_policy

    def spy(name, data, force=False, **kw):
        seen.append((name, dict(data), force))
        return real(name, data, force=force, **kw)

    tagging.assert_policy = spy
    try:
        api.tagBuildBypass('leaf', 'foo-1-1')
        api.untagBuildBypass('leaf', 'foo-1-1')
    finally:
        tagging.assert_policy = real
    assert seen == [
        ('tag', {'tag': env['leaf'], 'build': env['foo1'], 'fromtag': None,
                 'operation': 'tag'}, False),
        ('tag', {'tag': None, 'build': env['foo1'], 'fromtag': env['leaf'],
                 'operation': 'untag'}, False)]
    new_request(sinfo=admin)
    set_policy('operation untag :: deny no untagging\nall :: allow')
    api.tagBuildBypass('leaf', 'foo-1-1')
    with pytest.raises(koji.ActionNotAllowed, match='no untagging'):
        api.untagBuild('leaf', 'foo-1-1')
    # admin force overrides the denial
    api.untagBuild('leaf', 'foo-1-1', force=True)
    assert view.listTagged('leaf') == []


def test_locked_tag_and_tag_perm(env, admin, make_user, login_as, new_request):
    api.tagBuildBypass('leaf', 'foo-1-1')
    tags.edit_tag('leaf', locked=True)
    tags.edit_tag('other', perm='tag')
    new_request(sinfo=admin)
    with pytest.raises(koji.ActionNotAllowed, match='locked'):
        api.untagBuild('leaf', 'foo-1-1')
    with pytest.raises(koji.ActionNotAllowed, match='locked'):
        api.tagBuild('leaf', 'foo-2-1')
    api.untagBuild('leaf', 'foo-1-1', force=True)
    login_as('alice')
    with pytest.raises(koji.ActionNotAllowed, match='requires tag permission'):
        api.tagBuild('other', 'foo-2-1')
    # bypass calls only look at the tag perm and policy, not the lock
    login_as('tagger')
    api.tagBuildBypass('leaf', 'foo-2-1')


def test_tag_build_makes_task(env, admin, new_request):
    task_id = api.tagBuild('leaf', 'foo-2-1')
    task = db.QueryProcessor(tables=['task'], columns=['method', 'priority', 'owner',
                                                       'request', 'state'],
                             clauses=['id = %(id)s'], values={'id': task_id}).executeOne()
    assert task['method'] == 'tagBuild' and task['priority'] == 10
    params, method = koji.xmlrpcplus.loads(task['request'])
    assert method == 'tagBuild'
    assert list(params) == [env['leaf'], env['foo2'], False, None]
    # nothing is tagged until the task runs
    assert view.listTagged('leaf') == []
    task_id = api.moveBuild('base', 'leaf', 'foo-2-1')
    request = db.QueryProcessor(tables=['task'], columns=['request'], clauses=['id = %(id)s'],
                                values={'id': task_id}).singleValue()
    assert list(koji.xmlrpcplus.loads(request)[0]) == [env['leaf'], env['foo2'], False,
                                                       env['base']]
    with pytest.raises(koji.TagError, match='Package baz not in list'):
        api.tagBuild('leaf', 'baz-1-1')


def test_move_all_builds_chain(env, admin, new_request):
    api.tagBuildBypass('base', 'foo-1-1')
    new_request(sinfo=admin)
    api.tagBuildBypass('base', 'foo-2-1')
    new_request(sinfo=admin)
    task_ids = api.moveAllBuilds('base', 'other', 'foo')
    assert len(task_ids) == 2
    rows = db.QueryProcessor(tables=['task'], columns=['id', 'method', 'request'],
                             clauses=['id = ANY(%(ids)s)'], values={'ids': task_ids},
                             opts={'order': 'id'}).execute()
    assert [r['method'] for r in rows] == ['dependantTask', 'dependantTask']
    first = koji.xmlrpcplus.loads(rows[0]['request'])[0]
    second = koji.xmlrpcplus.loads(rows[1]['request'])[0]
    # oldest first, each waiting on the one before
    assert first[0] == [] and first[1][0][1][1] == env['foo1']
    assert second[0] == [task_ids[0]] and second[1][0][1][1] == env['foo2']


def test_mass_tag_and_untag_build_login(env, admin, login_as, new_request):
    api.massTag('base', ['foo-1-1', env['foo2']])
    assert sorted(nvrs(view.listTagged('base'))) == ['foo-1-1', 'foo-2-1']
    context.session.logout()
    new_request()
    with pytest.raises(koji.ActionNotAllowed):
        api.untagBuild('base', 'foo-1-1')


def test_history_rows(env, admin, new_request):
    api.tagBuildBypass('base', 'foo-1-1')
    ev1 = context.event_id
    new_request(sinfo=admin)
    api.untagBuildBypass('base', 'foo-1-1')
    ev2 = context.event_id
    new_request(sinfo=admin)
    rows = listing_rows(env['base'])
    assert len(rows) == 1
    assert rows[0]['create_event'] == ev1 and rows[0]['revoke_event'] == ev2
    assert rows[0]['active'] is None and rows[0]['revoker_id'] == rows[0]['creator_id']
