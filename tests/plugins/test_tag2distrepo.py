"""tag2distrepo: tagging into (or out of) a tag with tag2distrepo.enabled queues distRepo."""
import pytest

import koji


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['tag2distrepo'])
    admin = server.session()
    admin.createTag('dist', arches='x86_64 aarch64', extra={
        'tag2distrepo.enabled': True, 'tag2distrepo.inherit': True,
        'tag2distrepo.split_debuginfo': True})
    admin.createTag('plain', arches='x86_64')
    admin.createTag('noarch-dist', extra={'tag2distrepo.enabled': True})
    for tag in ('dist', 'plain', 'noarch-dist'):
        admin.packageListAdd(tag, 'pkg', owner=server.admin_user)
    server.admin = admin
    return server


def dist_tasks(session):
    return session.listTasks(opts={'method': 'distRepo', 'decode': True},
                             queryOpts={'order': 'id'})


def test_tagging_queues_dist_repo(hub):
    admin = hub.admin
    build_id = admin.createEmptyBuild('pkg', '1', '1', None)
    admin.tagBuildBypass('dist', build_id)
    tasks = dist_tasks(admin)
    assert len(tasks) == 1
    task = tasks[0]
    assert task['priority'] == 15
    assert admin.getChannel(task['channel_id'])['name'] == 'createrepo'
    name, repo_id, keys, opts = task['request']
    assert (name, keys) == ('dist', [])
    repo = admin.repoInfo(repo_id)
    assert repo['dist'] is True and repo['state'] == koji.REPO_INIT
    assert opts == {'arch': ['x86_64', 'aarch64'], 'comp': None, 'delta': [],
                    'event': repo['create_event'], 'inherit': True, 'latest': False,
                    'multilib': False, 'split_debuginfo': True,
                    'skip_missing_signatures': False, 'allow_missing_signatures': True}
    admin.untagBuild('dist', build_id)
    assert len(dist_tasks(admin)) == 2


def test_other_tags_untouched(hub):
    admin = hub.admin
    before = len(dist_tasks(admin))
    build_id = admin.createEmptyBuild('pkg', '2', '1', None)
    admin.tagBuildBypass('plain', build_id)
    assert len(dist_tasks(admin)) == before


def test_enabled_tag_without_arches_fails_the_tagging(hub):
    admin = hub.admin
    build_id = admin.createEmptyBuild('pkg', '3', '1', None)
    with pytest.raises(koji.CallbackError) as exc:
        admin.tagBuildBypass('noarch-dist', build_id)
    assert 'Tag noarch-dist has no arches configured but tag2distrepo is enabled' \
        in str(exc.value)
    assert admin.listTagged('noarch-dist') == []
