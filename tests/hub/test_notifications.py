"""Build-notification subscriptions and blocks on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.core.lookup import lookup_name
from kojihub.notifications.notifications import NotificationExports
from kojihub.tags.tags import create_tag

api = NotificationExports()

NOTIF_KEYS = {'email', 'id', 'package_id', 'success_only', 'tag_id', 'user_id'}
BLOCK_KEYS = {'id', 'package_id', 'tag_id', 'user_id'}


@pytest.fixture
def env(hub_context, make_user, login_as):
    """Two users, an admin, a package and a tag; logged in as alice."""
    context.opts['EmailDomain'] = 'example.com'
    users = {
        'alice': make_user('alice'),
        'bob': make_user('bob'),
        'boss': make_user('boss', perms=['admin']),
    }
    login_as('boss')
    pkg = lookup_name('package', 'notepkg', create=True)
    tag_id = create_tag('note-tag')
    context.cnx.commit()
    login_as('alice')
    return {'users': users, 'pkg': pkg['id'], 'tag': tag_id, 'login': login_as}


def test_create_list_update_delete(env):
    alice = env['users']['alice']
    assert api.createNotification(alice['id'], env['pkg'], env['tag'], True) is None
    api.createNotification('alice', None, None, False)
    notifs = api.getBuildNotifications()
    assert len(notifs) == 2
    assert all(set(n) == NOTIF_KEYS for n in notifs)
    first = notifs[0]
    assert first['email'] == 'alice@example.com'
    assert (first['user_id'], first['package_id'], first['tag_id'], first['success_only']) \
        == (alice['id'], env['pkg'], env['tag'], True)
    assert api.getBuildNotifications('alice') == notifs
    assert api.getBuildNotifications(env['users']['bob']['id']) == []
    assert api.getBuildNotification(first['id']) == first

    # the same subscription twice is refused, on create and on update
    with pytest.raises(koji.GenericError, match='already exists'):
        api.createNotification(alice['id'], env['pkg'], env['tag'], True)
    with pytest.raises(koji.GenericError, match='already exists'):
        api.updateNotification(notifs[1]['id'], env['pkg'], env['tag'], True)
    # upstream counts a subscription's own current settings as a duplicate as well
    with pytest.raises(koji.GenericError, match='already exists'):
        api.updateNotification(first['id'], env['pkg'], env['tag'], 1)

    api.updateNotification(first['id'], 'notepkg', None, False)
    changed = api.getBuildNotification(first['id'])
    assert (changed['package_id'], changed['tag_id'], changed['success_only']) == \
        (env['pkg'], None, False)

    api.deleteNotification(first['id'])
    assert api.getBuildNotification(first['id']) is None
    with pytest.raises(koji.GenericError):
        api.getBuildNotification(first['id'], strict=True)
    with pytest.raises(koji.GenericError):
        api.deleteNotification(first['id'])


def test_unknown_targets_refused(env):
    alice = env['users']['alice']
    with pytest.raises(koji.GenericError):
        api.createNotification(alice['id'], 'no-such-pkg', None, False)
    with pytest.raises(koji.GenericError):
        api.createNotification(alice['id'], None, 'no-such-tag', False)
    with pytest.raises(koji.GenericError):
        api.createNotification('no-such-user', None, None, False)
    with pytest.raises(koji.GenericError):
        api.createNotificationBlock(alice['id'], package_id='no-such-pkg')
    assert api.getBuildNotifications() == []


def test_owner_or_admin(env):
    bob = env['users']['bob']
    alice = env['users']['alice']
    # alice may not subscribe bob (upstream refuses with a plain GenericError)
    with pytest.raises(koji.GenericError,
                       match='^user alice cannot create notifications for user bob$'):
        api.createNotification(bob['id'], None, None, False)
    with pytest.raises(koji.GenericError, match='cannot create notification blocks'):
        api.createNotificationBlock(bob['id'])
    # an admin may manage anyone's
    env['login']('boss')
    api.createNotification(bob['id'], env['pkg'], None, False)
    api.createNotificationBlock(bob['id'], tag_id=env['tag'])
    context.cnx.commit()
    notif = api.getBuildNotifications(bob['id'])[0]
    block = api.getBuildNotificationBlocks(bob['id'])[0]
    env['login']('alice')
    with pytest.raises(koji.GenericError, match='cannot update notifications for user %i'
                       % bob['id']):
        api.updateNotification(notif['id'], None, None, True)
    with pytest.raises(koji.GenericError, match='cannot delete notifications'):
        api.deleteNotification(notif['id'])
    with pytest.raises(koji.GenericError, match='cannot delete notification blocks'):
        api.deleteNotificationBlock(block['id'])
    # bob himself may
    env['login']('bob')
    api.updateNotification(notif['id'], None, None, True)
    assert api.getBuildNotification(notif['id'])['success_only'] is True
    api.deleteNotificationBlock(block['id'])
    assert api.getBuildNotificationBlocks() == []
    assert api.getBuildNotifications(alice['id']) == []


def test_anonymous(env, new_request):
    api.createNotification('alice', None, None, False)
    api.createNotificationBlock('alice', package_id=env['pkg'])
    context.cnx.commit()
    notif = api.getBuildNotifications()[0]
    block = api.getBuildNotificationBlocks()[0]
    new_request()
    # nobody to default to
    with pytest.raises(koji.GenericError, match='No user provided'):
        api.getBuildNotifications()
    with pytest.raises(koji.GenericError, match='No user provided'):
        api.getBuildNotificationBlocks()
    assert api.getBuildNotifications('alice') == [notif]
    for call, args in ((api.createNotification, ('alice', None, None, False)),
                       (api.updateNotification, (notif['id'], None, None, False)),
                       (api.deleteNotification, (notif['id'],)),
                       (api.createNotificationBlock, ('alice',)),
                       (api.deleteNotificationBlock, (block['id'],))):
        with pytest.raises(koji.GenericError, match='^Not logged-in$'):
            call(*args)
    # unknown ids are reported before the login check, as upstream does
    with pytest.raises(koji.GenericError, match='No notification with ID'):
        api.deleteNotification(999999)
    with pytest.raises(koji.ParameterError):
        api.getBuildNotification('one')


def test_blocks(env):
    alice = env['users']['alice']
    assert api.createNotificationBlock(alice['id'], package_id=env['pkg']) is None
    api.createNotificationBlock('alice', tag_id='note-tag')
    blocks = api.getBuildNotificationBlocks()
    assert [set(b) for b in blocks] == [BLOCK_KEYS, BLOCK_KEYS]
    assert [(b['package_id'], b['tag_id']) for b in blocks] == \
        [(env['pkg'], None), (None, env['tag'])]
    with pytest.raises(koji.GenericError, match='already exists'):
        api.createNotificationBlock(alice['id'], package_id=env['pkg'])
    assert api.getBuildNotificationBlock(blocks[0]['id']) == blocks[0]
    api.deleteNotificationBlock(blocks[0]['id'])
    assert api.getBuildNotificationBlock(blocks[0]['id']) is None
    with pytest.raises(koji.GenericError):
        api.getBuildNotificationBlock(blocks[0]['id'], strict=True)
    assert len(api.getBuildNotificationBlocks('alice')) == 1
