"""Notification subscription and block commands against the real hub.

The hub is shared by the module, so every test makes its own uniquely named users, tags
and packages through the hub API, then drives the commands as those users.
"""
import re
import uuid

import psycopg2
import pytest

from tests.fixtures.cli import LOG_ERROR, uniq

NOTIF_MASK = "%6s %-25s %-25s %-20s %-12s"
BLOCK_MASK = "%6s %-25s %-25s"
NOTIF_HEAD = NOTIF_MASK % ('ID', 'Tag', 'Package', 'E-mail', 'Success-only')
BLOCK_HEAD = BLOCK_MASK % ('ID', 'Tag', 'Package')


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ''
    return res.stdout


def usage_error(res, command, message):
    """Parser errors: exit 2, the usage line first and the message last."""
    assert res.returncode == 2, res
    assert res.stderr.startswith('Usage: koji %s' % command), res.stderr
    assert res.stderr.endswith('\nkoji: error: %s\n' % message), res.stderr


def fault(res, pattern):
    assert res.returncode == 1, res
    assert re.search(LOG_ERROR + 'GenericError: ' + pattern, res.stderr, re.M), res.stderr


@pytest.fixture(scope='module')
def email_domain(hub):
    """What the hub appends to user names (EmailDomain, None when unset)."""
    name = uniq('probe')
    hub.createUser(name)
    user = hub.getUser(name)
    hub.createNotification(user['id'], None, None, False)
    notif = hub.getBuildNotifications(user['id'])[0]
    hub.deleteNotification(notif['id'])
    return notif['email'].split('@', 1)[1]


@pytest.fixture
def world(hub, hub_server):
    """Two password users, a tag and a package (listed in the tag)."""
    w = {'alice': uniq('na'), 'bob': uniq('nb'), 'tag': uniq('ntag'), 'pkg': uniq('npkg'),
         'password': uuid.uuid4().hex}
    for who in ('alice', 'bob'):
        hub.createUser(w[who])
        w[who + '_id'] = hub.getUser(w[who])['id']
    conn = psycopg2.connect(hub_server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute('UPDATE users SET password = %s WHERE name IN (%s, %s)',
                        (w['password'], w['alice'], w['bob']))
    finally:
        conn.close()
    w['tag_id'] = hub.createTag(w['tag'])
    hub.packageListAdd(w['tag'], w['pkg'], w['alice'])
    w['pkg_id'] = hub.getPackageID(w['pkg'])
    return w


def as_user(cli, w, who):
    def run(*args):
        return cli(*args, user=w[who], password=w['password'])
    return run


def test_add_notification_usage(cli, world):
    w = world
    alice = as_user(cli, w, 'alice')
    usage_error(alice('add-notification'), 'add-notification',
                'Command need at least one from --tag or --package options.')
    usage_error(alice('add-notification', '--tag', w['tag'], 'extra'), 'add-notification',
                'This command takes no arguments')
    usage_error(alice('add-notification', '--package', 'no-' + w['pkg']), 'add-notification',
                'No such package: no-%s' % w['pkg'])
    usage_error(alice('add-notification', '--tag', 'no-' + w['tag']), 'add-notification',
                'No such tag: no-%s' % w['tag'])
    usage_error(alice('add-notification', '--tag', w['tag'], '--user', w['bob']),
                'add-notification', '--user requires admin permission')


def test_add_list_edit_remove(cli, hub, world, email_domain):
    w = world
    alice = as_user(cli, w, 'alice')
    email = '%s@%s' % (w['alice'], email_domain)
    assert ok(alice('add-notification', '--tag', w['tag'], '--package', w['pkg'],
                    '--success-only')) == ''
    # an admin may subscribe someone else
    assert ok(cli('add-notification', '--user', w['alice'], '--package', w['pkg'])) == ''
    notifs = hub.getBuildNotifications(w['alice_id'])
    assert [(n['tag_id'], n['package_id'], n['success_only']) for n in notifs] == [
        (w['tag_id'], w['pkg_id'], True), (None, w['pkg_id'], False)]
    first, second = notifs[0]['id'], notifs[1]['id']
    # the same subscription again is the hub's refusal
    fault(cli('add-notification', '--user', w['alice'], '--package', w['pkg']),
          'notification already exists')

    expect = '\n'.join([
        'Notifications', NOTIF_HEAD, '-' * len(NOTIF_HEAD),
        NOTIF_MASK % (first, w['tag'], w['pkg'], email, 'yes'),
        NOTIF_MASK % (second, '*', w['pkg'], email, 'no'),
        '', 'No notification blocks', ''])
    assert ok(cli('list-notifications', '--user', w['alice'], auth=False)) == expect
    assert ok(alice('list-notifications', '--mine')) == expect

    # edit: only what is given changes; '*' means any
    assert ok(alice('edit-notification', '--tag', '*', str(first))) == ''
    assert ok(alice('edit-notification', '--tag', w['tag'], '--success-only',
                    str(second))) == ''
    got = dict((n['id'], (n['tag_id'], n['package_id'], n['success_only']))
               for n in hub.getBuildNotifications(w['alice_id']))
    assert got == {first: (None, w['pkg_id'], True), second: (w['tag_id'], w['pkg_id'], True)}
    assert ok(alice('edit-notification', '--package', '*', '--no-success-only',
                    str(second))) == ''
    assert hub.getBuildNotification(second)['package_id'] is None
    assert hub.getBuildNotification(second)['success_only'] is False
    # an edit that would give alice the same subscription twice is refused
    fault(alice('edit-notification', '--tag', '*', '--package', w['pkg'], '--success-only',
                str(second)),
          'notification already exists')
    # bob may not touch alice's subscriptions
    bob = as_user(cli, w, 'bob')
    fault(bob('edit-notification', '--success-only', str(first)),
          'user %d cannot update notifications for user %d' % (w['bob_id'], w['alice_id']))
    fault(bob('remove-notification', str(first)),
          'user %d cannot delete notifications for user %d' % (w['bob_id'], w['alice_id']))

    assert ok(alice('remove-notification', str(first))) == \
        'Notification %d successfully removed.\n' % first
    assert ok(alice('-q', 'remove-notification', str(second))) == ''
    assert hub.getBuildNotifications(w['alice_id']) == []
    assert ok(alice('list-notifications', '--mine')) == \
        'No notifications\n\nNo notification blocks\n'
    fault(alice('remove-notification', str(first)), 'No notification with ID %d found' % first)


def test_edit_remove_usage(cli, world):
    alice = as_user(cli, world, 'alice')
    usage_error(alice('edit-notification', '--tag', '*'), 'edit-notification',
                'Only argument is notification ID')
    usage_error(alice('edit-notification', '--tag', '*', '1', '2'), 'edit-notification',
                'Only argument is notification ID')
    usage_error(alice('edit-notification', 'one'), 'edit-notification',
                'Notification ID has to be numeric')
    usage_error(alice('edit-notification', '12'), 'edit-notification',
                'Command need at least one option')
    usage_error(alice('remove-notification'), 'remove-notification',
                'At least one notification id has to be specified')
    usage_error(alice('remove-notification', '1', 'x'), 'remove-notification',
                'All notification ids has to be integers')
    usage_error(alice('unblock-notification'), 'unblock-notification',
                'At least one notification block id has to be specified')
    usage_error(alice('unblock-notification', 'x'), 'unblock-notification',
                'All notification block ids has to be integers')
    usage_error(alice('list-notifications'), 'list-notifications', 'Use --user or --mine.')
    usage_error(alice('list-notifications', '--mine', 'x'), 'list-notifications',
                'This command takes no arguments')
    res = cli('list-notifications', '--user', 'no-' + world['alice'], auth=False)
    assert (res.returncode, res.stdout, res.stderr) == (
        1, '', 'No such user: no-%s\n' % world['alice'])


def test_block_unblock(cli, hub, world):
    w = world
    alice = as_user(cli, w, 'alice')
    usage_error(alice('block-notification'), 'block-notification',
                'One of --tag, --package or --all must be specified.')
    usage_error(alice('block-notification', '--all', '--user', w['bob']),
                'block-notification', '--user requires admin permission')
    assert ok(alice('block-notification', '--all')) == ''
    assert ok(alice('block-notification', '--tag', w['tag'])) == ''
    usage_error(alice('block-notification', '--all'), 'block-notification',
                'Notification already exists.')
    assert ok(cli('block-notification', '--user', w['alice'], '--package', w['pkg'],
                  '--tag', w['tag'])) == ''
    blocks = hub.getBuildNotificationBlocks(w['alice_id'])
    assert [(b['tag_id'], b['package_id']) for b in blocks] == [
        (None, None), (w['tag_id'], None), (w['tag_id'], w['pkg_id'])]
    expect = '\n'.join([
        'No notifications', '', 'Notification blocks', BLOCK_HEAD, '-' * len(BLOCK_HEAD),
        BLOCK_MASK % (blocks[0]['id'], '*', '*'),
        BLOCK_MASK % (blocks[1]['id'], w['tag'], '*'),
        BLOCK_MASK % (blocks[2]['id'], w['tag'], w['pkg']), ''])
    assert ok(alice('list-notifications', '--mine')) == expect

    bob = as_user(cli, w, 'bob')
    fault(bob('unblock-notification', str(blocks[0]['id'])),
          'user %d cannot delete notification blocks for user %d'
          % (w['bob_id'], w['alice_id']))
    assert ok(alice('unblock-notification', str(blocks[0]['id']), str(blocks[1]['id']))) == (
        'Notification block %d successfully removed.\n'
        'Notification block %d successfully removed.\n' % (blocks[0]['id'], blocks[1]['id']))
    assert ok(cli('-q', 'unblock-notification', str(blocks[2]['id']))) == ''
    assert hub.getBuildNotificationBlocks(w['alice_id']) == []
