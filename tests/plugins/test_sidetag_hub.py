"""sidetag hub plugin over HTTP: its calls, sidetag.conf options, policy tests, remove_empty."""
import pytest

import koji

SIDETAG_CONF = """[sidetag]
remove_empty = on
allowed_suffixes = stage,test
trigger_new_repo = True
"""

POLICY = {
    # no side tag of a side tag, and bob may have at most 3
    'sidetag': """
        is_sidetag :: deny
        user bob && compare number_of_tags >= 3 :: deny
        all :: allow
    """,
    'package_list': """
        is_sidetag_owner :: allow
        is_sidetag :: deny
        all :: allow
    """,
}


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['sidetag_hub'], opts={'policy': POLICY},
                                configs={'sidetag.conf': SIDETAG_CONF})
    server.alice = server.add_user('alice', perms=['tag'])
    server.bob = server.add_user('bob', perms=['tag'])
    server.carol = server.add_user('carol', perms=['sidetag_admin'])
    admin = server.session()
    admin.createTag('base', arches='x86_64 aarch64')
    admin.createTag('other')
    admin.createTag('rich', parent='base', extra={
        'sidetag_debuginfo_allowed': True,
        'sidetag_rpm_macros_allowed': 'dist* _with_*'})
    admin.logout()
    return server


@pytest.fixture(scope='module')
def plain_hub(plugin_hub_factory):
    """The plugin with no sidetag.conf at all: every option at its default."""
    server = plugin_hub_factory(['sidetag_hub'])
    server.dave = server.add_user('dave')
    admin = server.session()
    admin.createTag('base')
    admin.logout()
    return server


def test_create_sidetag(hub):
    alice = hub.session('alice', hub.alice)
    ret = alice.createSideTag('base')
    assert sorted(ret) == ['id', 'name', 'request', 'task_id']
    assert ret['name'] == 'base-side-%d' % ret['id']
    assert ret['task_id'] is None
    # trigger_new_repo: the new tag's repo is asked for through the queue
    assert ret['request']['tag_id'] == ret['id']
    queued = alice.repo.queryQueue([['tag_id', '=', ret['id']]])
    assert [q['id'] for q in queued] == [ret['request']['id']]

    tag = alice.getTag(ret['id'])
    assert tag['name'] == ret['name']
    assert tag['arches'] == 'x86_64 aarch64'
    alice_id = alice.getLoggedInUser()['id']
    assert tag['extra'] == {'sidetag': True, 'sidetag_user': 'alice',
                            'sidetag_user_id': alice_id}
    assert [p['name'] for p in alice.getInheritanceData(ret['id'])] == ['base']
    target = alice.getBuildTarget(ret['name'])
    assert target['build_tag'] == target['dest_tag'] == ret['id']


def test_create_needs_login(hub):
    anon = koji.ClientSession(hub.url)
    with pytest.raises(koji.ActionNotAllowed):
        anon.createSideTag('base')


def test_debuginfo_and_suffix(hub):
    alice = hub.session('alice', hub.alice)
    ret = alice.createSideTag('other', debuginfo=True, suffix='stage')
    assert ret['name'] == 'other-side-%d-stage' % ret['id']
    assert alice.getTag(ret['id'])['extra']['with_debuginfo'] is True
    with pytest.raises(koji.GenericError) as exc:
        alice.createSideTag('other', suffix='nope')
    assert 'nope suffix is not allowed for sidetag' in str(exc.value)
    with pytest.raises(koji.GenericError):
        alice.createSideTag('no-such-tag')


def test_policy_is_sidetag_and_count(hub):
    bob = hub.session('bob', hub.bob)
    first = bob.createSideTag('base')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        bob.createSideTag(first['name'])
    assert 'policy violation (sidetag)' in str(exc.value)
    # the same count, a base tag that is no side tag: allowed
    bob.createSideTag('base')
    bob.createSideTag('base')
    # the fourth one: number_of_tags (his active side tags) is 3 now
    with pytest.raises(koji.ActionNotAllowed):
        bob.createSideTag('base')
    bob.removeSideTag(first['id'])
    bob.createSideTag('base')
    for tag in bob.listSideTags(user='bob'):
        bob.removeSideTag(tag['id'])


def test_policy_is_sidetag_owner(hub):
    alice = hub.session('alice', hub.alice)
    bob = hub.session('bob', hub.bob)
    mine = alice.createSideTag('other')
    alice.packageListAdd(mine['name'], 'pkg-a', owner='alice')
    with pytest.raises(koji.ActionNotAllowed):
        bob.packageListAdd(mine['name'], 'pkg-b', owner='bob')
    assert [p['package_name'] for p in alice.listPackages(tagID=mine['id'])] == ['pkg-a']
    bob.packageListAdd('other', 'pkg-b', owner='bob')


def test_list_sidetags(hub):
    alice = hub.session('alice', hub.alice)
    one = alice.createSideTag('rich')
    hub.session('bob', hub.bob).createSideTag('other')
    mine = alice.listSideTags(user='alice')
    assert one['id'] in [t['id'] for t in mine]
    alice_id = alice.getLoggedInUser()['id']
    for item in mine:
        assert sorted(item) == ['id', 'name', 'user_id', 'user_name']
        assert item['user_name'] == 'alice'
        assert int(item['user_id']) == alice_id
    assert [t['id'] for t in alice.listSideTags(basetag='rich')] == [one['id']]
    bob_tags = alice.listSideTags(user='bob')
    assert bob_tags and all(t['user_name'] == 'bob' for t in bob_tags)
    everything = {t['id'] for t in alice.listSideTags()}
    assert {t['id'] for t in mine} | {t['id'] for t in bob_tags} <= everything
    assert alice.listSideTags(basetag='rich', queryOpts={'countOnly': True}) == 1
    with pytest.raises(koji.GenericError):
        alice.listSideTags(user='nobody-at-all')


def test_remove_sidetag_access(hub):
    alice = hub.session('alice', hub.alice)
    bob = hub.session('bob', hub.bob)
    mine = alice.createSideTag('other')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        bob.removeSideTag(mine['name'])
    assert 'This is not your sidetag' in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        alice.removeSideTag('other')
    assert 'Not a sidetag: other' in str(exc.value)
    alice.removeSideTag(mine['name'])
    assert alice.getTag(mine['id']) is None
    assert alice.getBuildTarget(mine['name']) is None
    # an admin may remove anybody's
    theirs = bob.createSideTag('other')
    hub.session().removeSideTag(theirs['id'])
    assert bob.getTag(theirs['id']) is None


def test_remove_checks_the_target(hub):
    alice = hub.session('alice', hub.alice)
    admin = hub.session()
    mine = alice.createSideTag('other')
    admin.deleteBuildTarget(mine['name'])
    with pytest.raises(koji.GenericError) as exc:
        alice.removeSideTag(mine['id'])
    assert 'Target is missing for sidetag' in str(exc.value)
    admin.createBuildTarget(mine['name'], mine['name'], 'other')
    with pytest.raises(koji.GenericError) as exc:
        alice.removeSideTag(mine['id'])
    assert 'Target does not match sidetag' in str(exc.value)


def test_edit_sidetag(hub):
    alice = hub.session('alice', hub.alice)
    plain = alice.createSideTag('other')
    with pytest.raises(koji.GenericError) as exc:
        alice.editSideTag(plain['id'], debuginfo=True)
    assert 'Debuginfo setting is not allowed in parent tag.' in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        alice.editSideTag(plain['id'], rpm_macros={'dist': '.x'})
    assert 'RPM macros change is not allowed in parent tag.' in str(exc.value)

    rich = alice.createSideTag('rich')
    macros = {'distcore': '.el9', '_with_foo': 1}
    alice.editSideTag(rich['id'], debuginfo=True, rpm_macros=macros)
    extra = alice.getTag(rich['id'])['extra']
    assert extra['with_debuginfo'] is True
    assert extra['rpm.macro.distcore'] == '.el9'
    assert extra['rpm.macro._with_foo'] == 1
    alice.editSideTag(rich['id'], debuginfo=False, remove_rpm_macros=['distcore'])
    extra = alice.getTag(rich['id'])['extra']
    assert extra['with_debuginfo'] is False
    assert 'rpm.macro.distcore' not in extra and 'rpm.macro._with_foo' in extra

    with pytest.raises(koji.GenericError) as exc:
        alice.editSideTag(rich['id'], rpm_macros={'optflags': '-O0'})
    assert 'RPM macro optflags editing is not allowed via parent tag' in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        alice.editSideTag(rich['id'], rpm_macros={'d': 'x'})
    assert "Invalid macro name 'd'" in str(exc.value)
    with pytest.raises(koji.GenericError) as exc:
        alice.editSideTag(rich['id'], extra={'foo': 1})
    assert 'Extra can be modified only with sidetag_admin or admin permissions.' \
        in str(exc.value)
    bob = hub.session('bob', hub.bob)
    with pytest.raises(koji.ActionNotAllowed):
        bob.editSideTag(rich['id'], debuginfo=True)


def test_edit_extra_as_sidetag_admin(hub):
    carol = hub.session('carol', hub.carol)
    mine = carol.createSideTag('base')
    carol.editSideTag(mine['id'], extra={'foo': 'bar'})
    assert carol.getTag(mine['id'])['extra']['foo'] == 'bar'
    carol.editSideTag(mine['id'], remove_extra=['foo'])
    assert 'foo' not in carol.getTag(mine['id'])['extra']


def test_remove_empty(hub):
    admin = hub.session()
    alice = hub.session('alice', hub.alice)
    side = alice.createSideTag('other')
    admin.packageListAdd('other', 'emptypkg', owner='kojiadmin')
    builds = []
    for rel in ('1', '2'):
        build_id = admin.createEmptyBuild('emptypkg', '1.0', rel, None)
        admin.tagBuildBypass(side['name'], build_id)
        builds.append(build_id)
    admin.untagBuild(side['name'], builds[0])
    assert admin.getTag(side['id']) is not None
    # the last build leaves: the side tag and its target go
    admin.untagBuild(side['name'], builds[1])
    assert admin.getTag(side['id']) is None
    assert admin.getBuildTarget(side['name']) is None


def test_defaults_without_config(plain_hub):
    dave = plain_hub.session('dave', plain_hub.dave)
    ret = dave.createSideTag('base')
    assert ret['name'] == 'base-side-%d' % ret['id']
    assert ret['request'] is None
    assert dave.repo.queryQueue([['tag_id', '=', ret['id']]]) == []
    with pytest.raises(koji.GenericError) as exc:
        dave.createSideTag('base', suffix='stage')
    assert 'stage suffix is not allowed for sidetag' in str(exc.value)
    # remove_empty is off: emptying the tag keeps it
    admin = plain_hub.session()
    admin.packageListAdd('base', 'keep', owner='kojiadmin')
    build_id = admin.createEmptyBuild('keep', '1', '1', None)
    admin.tagBuildBypass(ret['name'], build_id)
    admin.untagBuild(ret['name'], build_id)
    assert admin.getTag(ret['id']) is not None


def test_name_template(plugin_hub_factory):
    server = plugin_hub_factory(['sidetag_hub'], configs={
        'sidetag.conf': '[sidetag]\nname_template = st-{tag_id}-of-{basetag}\n'})
    admin = server.session()
    admin.createTag('base')
    ret = admin.createSideTag('base')
    assert ret['name'] == 'st-%d-of-base' % ret['id']
