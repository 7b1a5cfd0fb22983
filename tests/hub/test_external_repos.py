"""External repos and their tag links (kojihub.tags.external_repos) on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.core import history
from kojihub.tags.external_repos import ExternalRepoExports as api
from kojihub.tags.external_repos import RepoExports as repo_api

from tests.fixtures.auth import end_request

LINK_KEYS = {'arches', 'external_repo_id', 'external_repo_name', 'merge_mode', 'priority',
             'tag_id', 'tag_name', 'url'}


def make_tag(name, parent=None):
    from kojihub.tags import tags
    return tags.create_tag(name, parent=parent)


@pytest.fixture
def admin(make_user, login_as):
    user = make_user('erepoadmin', perms=['admin'])
    login_as('erepoadmin')
    return user


def test_create_get_list(hub_context, admin):
    repo = api.createExternalRepo('fedora', 'http://example.com/repo/$arch')
    assert set(repo) == {'id', 'name', 'url'}
    assert repo['url'] == 'http://example.com/repo/$arch/'
    assert api.getExternalRepo('fedora') == repo
    assert api.getExternalRepo(repo['id']) == repo
    assert api.getExternalRepo('nope') is None
    with pytest.raises(koji.GenericError):
        api.getExternalRepo('nope', strict=True)
    with pytest.raises(koji.GenericError):
        api.createExternalRepo('fedora', 'http://other/')
    api.createExternalRepo('epel', 'http://example.com/epel/')
    names = [r['name'] for r in api.listExternalRepos(queryOpts={'order': 'name'})]
    assert names == ['epel', 'fedora']
    assert api.listExternalRepos(url='http://example.com/epel/')[0]['name'] == 'epel'
    assert api.listExternalRepos(queryOpts={'countOnly': True}) == 2
    assert api.listExternalRepos(info='fedora') == [repo]


def test_perms(hub_context, make_user, login_as):
    make_user('plain')
    login_as('plain')
    with pytest.raises(koji.ActionNotAllowed):
        api.createExternalRepo('x', 'http://x/')
    with pytest.raises(koji.ActionNotAllowed):
        api.addExternalRepoToTag('t', 'x', 1)
    with pytest.raises(koji.ActionNotAllowed):
        repo_api.setExternalRepoData(1, {})


def test_edit_delete_and_events(hub_context, admin):
    repo = api.createExternalRepo('r1', 'http://a/')
    end_request()
    ev_created = history.get_last_event()['id']
    api.editExternalRepo('r1', name='r1b', url='http://b')
    end_request()
    assert api.getExternalRepo(repo['id'])['url'] == 'http://b/'
    assert api.getExternalRepo('r1b')['id'] == repo['id']
    # the url is versioned: the old one is still visible at the old event
    assert api.getExternalRepo(repo['id'], event=ev_created)['url'] == 'http://a/'
    api.createExternalRepo('r2', 'http://c/')
    with pytest.raises(koji.GenericError):
        api.editExternalRepo('r1b', name='r2')

    tag_id = make_tag('erepo-tag')
    api.addExternalRepoToTag('erepo-tag', 'r1b', 5)
    end_request()
    api.deleteExternalRepo('r1b')
    end_request()
    assert api.getExternalRepo('r1b') is None
    assert api.getTagExternalRepos(tag_info=tag_id) == []
    hist = history.query_history(external_repo='r1b')
    assert len(hist['external_repo_config']) == 2
    assert hist['tag_external_repos'][0]['active'] is None
    # the name can be used again
    again = api.createExternalRepo('r1b', 'http://d/')
    assert again['id'] == repo['id']


def test_tag_links(hub_context, admin):
    tag_id = make_tag('links-tag')
    api.createExternalRepo('ra', 'http://ra/')
    api.createExternalRepo('rb', 'http://rb/')
    api.addExternalRepoToTag('links-tag', 'rb', 20, merge_mode='simple', arches='x86_64 i686')
    api.addExternalRepoToTag(tag_id, 'ra', 10)
    with pytest.raises(koji.GenericError):
        api.addExternalRepoToTag(tag_id, 'ra', 30)
    api.createExternalRepo('rc', 'http://rc/')
    with pytest.raises(koji.GenericError):
        api.addExternalRepoToTag(tag_id, 'rc', 10)
    with pytest.raises(koji.GenericError):
        api.addExternalRepoToTag(tag_id, 'rc', 30, merge_mode='fancy')
    with pytest.raises(koji.GenericError):
        api.addExternalRepoToTag(tag_id, 'rc', 'high')
    end_request()
    ev = history.get_last_event()['id']

    links = api.getTagExternalRepos(tag_info='links-tag')
    assert [set(link) for link in links] == [LINK_KEYS, LINK_KEYS]
    assert [(x['external_repo_name'], x['priority'], x['merge_mode'], x['arches'])
            for x in links] == [('ra', 10, 'koji', None),
                                ('rb', 20, 'simple', 'x86_64 i686')]
    assert links[0]['url'] == 'http://ra/' and links[0]['tag_name'] == 'links-tag'
    assert [x['tag_name'] for x in api.getTagExternalRepos(repo_info='rb')] == ['links-tag']

    assert api.editTagExternalRepo(tag_id, 'ra', priority=10) is False
    assert api.editTagExternalRepo(tag_id, 'ra', priority=15, arches='aarch64') is True
    with pytest.raises(koji.GenericError):
        api.editTagExternalRepo(tag_id, 'ra', priority=20)
    end_request()
    links = api.getTagExternalRepos(tag_info=tag_id)
    assert (links[0]['priority'], links[0]['arches']) == (15, 'aarch64')
    assert api.getTagExternalRepos(tag_info=tag_id, event=ev)[0]['priority'] == 10

    api.removeExternalRepoFromTag(tag_id, 'ra')
    with pytest.raises(koji.GenericError):
        api.removeExternalRepoFromTag(tag_id, 'ra')
    with pytest.raises(koji.GenericError):
        api.editTagExternalRepo(tag_id, 'ra', priority=1)
    assert [x['external_repo_name'] for x in api.getTagExternalRepos(tag_info=tag_id)] == \
        ['rb']


def test_external_repo_list_inherited(hub_context, admin):
    make_tag('el-base')
    make_tag('el-mid', parent='el-base')
    child = make_tag('el-child', parent='el-mid')
    for name in ('shared', 'baseonly', 'childonly'):
        api.createExternalRepo(name, 'http://%s/' % name)
    api.addExternalRepoToTag('el-base', 'shared', 1)
    api.addExternalRepoToTag('el-base', 'baseonly', 2)
    api.addExternalRepoToTag('el-child', 'childonly', 50)
    api.addExternalRepoToTag('el-child', 'shared', 60)
    end_request()
    result = api.getExternalRepoList(child)
    assert [(x['external_repo_name'], x['tag_name'], x['priority']) for x in result] == [
        ('childonly', 'el-child', 50), ('shared', 'el-child', 60),
        ('baseonly', 'el-base', 2)]
    assert set(result[0]) == LINK_KEYS
    ev = history.get_last_event()['id']
    api.removeExternalRepoFromTag('el-child', 'shared')
    end_request()
    result = api.getExternalRepoList('el-child')
    assert [(x['external_repo_name'], x['tag_name']) for x in result] == [
        ('childonly', 'el-child'), ('shared', 'el-base'), ('baseonly', 'el-base')]
    assert len(api.getExternalRepoList('el-child', event=ev)) == 3
    assert api.getExternalRepoList('el-child', event=ev)[1]['tag_name'] == 'el-child'
    assert [x['external_repo_name'] for x in api.getExternalRepoList('el-mid')] == \
        ['shared', 'baseonly']


def test_external_repo_data(hub_context, admin):
    repo = api.createExternalRepo('tracked', 'http://t/')
    assert repo_api.getExternalRepoData('tracked') is None
    repo_api.setExternalRepoData(repo['id'], {'max_ts': 1234})
    end_request()
    assert repo_api.getExternalRepoData(repo['id']) == {'max_ts': 1234}
    repo_api.setExternalRepoData(repo['id'], {'max_ts': 5678})
    end_request()
    assert repo_api.getExternalRepoData('tracked') == {'max_ts': 5678}
    rows = history.query_history(tables=['external_repo_data'],
                                 external_repo='tracked')['external_repo_data']
    assert [r['data'] for r in rows] == [{'max_ts': 1234}, {'max_ts': 5678}]
    with pytest.raises(koji.GenericError):
        repo_api.setExternalRepoData(repo['id'], 'not a dict')
    with pytest.raises(koji.GenericError):
        repo_api.getExternalRepoData('nope')
    assert context.session.logged_in


def test_link_arguments_as_upstream(hub_context, admin):
    """Comma separated arches, '' kept, digit-string priority, merge_mode None."""
    tag_id = make_tag('args-tag')
    for name in ('a1', 'a2', 'a3'):
        api.createExternalRepo(name, 'http://%s/' % name)
    api.addExternalRepoToTag(tag_id, 'a1', '7', arches='x86_64,i686')
    api.addExternalRepoToTag(tag_id, 'a2', 8, merge_mode=None, arches='')
    with pytest.raises(koji.ParameterError,
                       match="Invalid type for value 'high': <class 'str'>"):
        api.addExternalRepoToTag(tag_id, 'a3', 'high')
    end_request()
    assert [(x['external_repo_name'], x['priority'], x['merge_mode'], x['arches'])
            for x in api.getExternalRepoList(tag_id)] == [
        ('a1', 7, 'koji', 'x86_64 i686'), ('a2', 8, 'koji', '')]
    # editing takes space separated arches only
    with pytest.raises(koji.GenericError, match=r'Architecture can be only'):
        api.editTagExternalRepo(tag_id, 'a1', arches='s390x,ppc64le')
    # deleting a repo leaves kojira's tracking data
    repo_api.setExternalRepoData('a2', {'max_ts': 1})
    end_request()
    api.deleteExternalRepo('a2')
    end_request()
    assert api.getExternalRepo('a2') is None
    rows = history.query_history(tables=['external_repo_data'],
                                 external_repo='a2')['external_repo_data']
    assert [r['active'] for r in rows] == [True]
