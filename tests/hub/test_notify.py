"""Who gets notification mail, and the notification tasks the hub queues (real db).

The world: a build of ``nt-pkg`` owned by ``nt-builder``; the package is listed in
``nt-parent`` (owner ``nt-pkgowner``) and so, by inheritance, in ``nt-tag``; ``nt-other``
is an unrelated tag. Watchers and blocks are written straight into the tables so each
case is exactly what the test says.
"""
import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.builds.build_lifecycle import cancel_build
from kojihub.builds.build_write import new_build
from kojihub.builds.builds import get_build
from kojihub.notifications.notify import (build_notification, get_notification_recipients,
                                          host_tag_notification, tag_notification)
from kojihub.tags.packages import _direct_pkglist_add
from kojihub.tags.tagging import untag_build
from kojihub.tags.tags import create_tag
from kojihub.tags.targets import create_build_target, get_build_target
from kojihub.tasks.tasks import get_task_info
from tests.fixtures.auth import create_user_with

COMPLETE = koji.BUILD_STATES['COMPLETE']
FAILED = koji.BUILD_STATES['FAILED']
CANCELED = koji.BUILD_STATES['CANCELED']
BLOCKED = koji.USER_STATUS['BLOCKED']
GROUP = koji.USERTYPES['GROUP']


def mail(*names):
    return sorted('%s@example.com' % name for name in names)


class World(object):
    """Tags, users, the build and helpers to add watchers and blocks."""

    def __init__(self, env):
        self.env = env
        env.act('tadmin')
        context.opts.update(EmailDomain='example.com', NotifyOnSuccess=True,
                            DisableNotifications=False,
                            KojiWebURL='https://koji.example.com/koji')
        self.parent = create_tag('nt-parent')
        self.tag = create_tag('nt-tag', parent='nt-parent')
        self.other = create_tag('nt-other')
        self.users = {}
        for name in ('nt-builder', 'nt-pkgowner', 'nt-all', 'nt-pkgw', 'nt-tagw',
                     'nt-otherw', 'nt-success', 'nt-blocked', 'nt-otherblocked'):
            self.users[name] = create_user_with(name)['id']
        self.users['nt-group'] = create_user_with('nt-group', usertype=GROUP)['id']
        self.users['nt-disabled'] = create_user_with('nt-disabled', status=BLOCKED)['id']
        env.act('tadmin')
        _direct_pkglist_add(self.parent, 'nt-pkg', self.users['nt-pkgowner'], False, None,
                            False, False)
        self.pkg = db.QueryProcessor(columns=['id'], tables=['package'],
                                     clauses=["name = 'nt-pkg'"]).singleValue()
        self.build_id = new_build({'name': 'nt-pkg', 'version': '1', 'release': '1',
                                   'epoch': None, 'owner': self.users['nt-builder']})
        self.watch('nt-all')
        self.watch('nt-pkgw', package=True)
        self.watch('nt-tagw', tag=self.tag)
        self.watch('nt-otherw', tag=self.other)
        self.watch('nt-success', success_only=True)
        self.watch('nt-group')
        self.watch('nt-disabled')
        self.watch('nt-blocked')
        self.block('nt-blocked', package=True)
        self.watch('nt-otherblocked')
        self.block('nt-otherblocked', tag=self.other)
        context.cnx.commit()

    def watch(self, name, package=False, tag=None, success_only=False):
        db.InsertProcessor('build_notifications', data={
            'id': db.nextval('build_notifications_id_seq'), 'user_id': self.users[name],
            'package_id': self.pkg if package else None, 'tag_id': tag,
            'success_only': success_only, 'email': '%s@example.com' % name}).execute()

    def block(self, name, package=False, tag=None):
        db.InsertProcessor('build_notifications_block', data={
            'id': db.nextval('build_notifications_block_id_seq'),
            'user_id': self.users[name], 'package_id': self.pkg if package else None,
            'tag_id': tag}).execute()

    @property
    def build(self):
        return get_build(self.build_id, strict=True)


@pytest.fixture
def world(taskenv):
    return World(taskenv)


# everyone who should hear about nt-pkg in nt-tag when all went well
IN_TAG = ('nt-builder', 'nt-pkgowner', 'nt-all', 'nt-pkgw', 'nt-tagw', 'nt-success',
          'nt-group', 'nt-otherblocked')


def test_recipients_in_tag(world):
    assert get_notification_recipients(world.build, world.tag, COMPLETE) == mail(*IN_TAG)
    # success-only watchers hear nothing of a failure
    failed = [n for n in IN_TAG if n != 'nt-success']
    assert get_notification_recipients(world.build, world.tag, FAILED) == mail(*failed)
    assert get_notification_recipients(world.build, world.tag, CANCELED) == mail(*failed)


def test_recipients_other_tag_and_no_tag(world):
    # the package is not listed in nt-other: no package owner; the tag block applies there
    assert get_notification_recipients(world.build, world.other, COMPLETE) == mail(
        'nt-builder', 'nt-all', 'nt-pkgw', 'nt-otherw', 'nt-success', 'nt-group')
    # without a tag only untagged watchers and blocks count
    assert get_notification_recipients(world.build, None, COMPLETE) == mail(
        'nt-builder', 'nt-all', 'nt-pkgw', 'nt-success', 'nt-group', 'nt-otherblocked')
    # nothing about a build: only watchers of everything
    assert get_notification_recipients(None, None, FAILED) == mail(
        'nt-all', 'nt-group', 'nt-blocked', 'nt-otherblocked')
    with pytest.raises(koji.GenericError, match='Invalid call'):
        get_notification_recipients(None, world.tag, COMPLETE)


def test_notify_on_success_off(world):
    context.opts['NotifyOnSuccess'] = False
    watchers = [n for n in IN_TAG if n not in ('nt-builder', 'nt-pkgowner')]
    assert get_notification_recipients(world.build, world.tag, COMPLETE) == mail(*watchers)
    # owners still hear about failures
    failed = [n for n in IN_TAG if n != 'nt-success']
    assert get_notification_recipients(world.build, world.tag, FAILED) == mail(*failed)


def test_blocks_disabled_and_groups_among_owners(world):
    env = world.env
    env.act('tadmin')
    # a block on everything silences even the build owner
    world.block('nt-builder')
    # the package owner in nt-other is a group: groups do not get owner mail
    _direct_pkglist_add(world.other, 'nt-pkg', world.users['nt-group'], False, None, False,
                        False)
    # blocking the package in the child tag drops the inherited owner there
    _direct_pkglist_add(world.tag, 'nt-pkg', world.users['nt-pkgowner'], True, None, False,
                        False)
    context.cnx.commit()
    expect = [n for n in IN_TAG if n not in ('nt-builder', 'nt-pkgowner')]
    assert get_notification_recipients(world.build, world.tag, COMPLETE) == mail(*expect)
    # the group still gets its watcher mail in nt-other
    assert 'nt-group@example.com' in get_notification_recipients(world.build, world.other,
                                                                 COMPLETE)
    # a disabled build owner gets nothing
    disabled = new_build({'name': 'nt-pkg', 'version': '1', 'release': '2', 'epoch': None,
                          'owner': world.users['nt-disabled']})
    got = get_notification_recipients(get_build(disabled), world.other, FAILED)
    assert 'nt-disabled@example.com' not in got
    assert 'nt-all@example.com' in got


def test_one_statement_whatever_the_number_of_users(world, monkeypatch):
    seen = []
    orig = db.CursorWrapper.execute

    def counting(self, operation, parameters=None, log_errors=True, **kwargs):
        seen.append(operation)
        return orig(self, operation, parameters, log_errors=log_errors, **kwargs)
    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    get_notification_recipients(world.build, world.tag, COMPLETE)
    few = len(seen)
    monkeypatch.setattr(db.CursorWrapper, 'execute', orig)
    for i in range(25):
        name = 'nt-many%d' % i
        world.users[name] = create_user_with(name)['id']
        world.watch(name, tag=world.tag if i % 2 else None)
        if i % 3 == 0:
            world.block(name)
    context.cnx.commit()
    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    del seen[:]
    got = get_notification_recipients(world.build, world.tag, COMPLETE)
    assert len(seen) == few
    # 25 new watchers, every third blocked (0, 3, ..., 24: 9 of them)
    assert len(got) == len(IN_TAG) + 16


def _task(task_id):
    info = get_task_info(task_id, request=True, strict=True)
    return info['method'], list(info['request']), info['owner']


def test_tag_notification_task(world):
    env = world.env
    env.act('alice')
    alice = env.users['alice']['id']
    task_id = tag_notification(True, world.tag, None, world.build_id, alice)
    method, request, owner = _task(task_id)
    assert (method, owner) == ('tagNotification', alice)
    assert request == [mail(*IN_TAG), True, world.tag, None, world.build_id, alice, False,
                       '']
    # a move tells both tags' audiences, each tag judged with its own blocks
    task_id = tag_notification(False, world.tag, world.other, world.build_id, 'alice',
                               failure_msg='policy says no')
    method, request, owner = _task(task_id)
    expect = set(IN_TAG) | {'nt-otherw'}
    expect.discard('nt-success')
    assert request == [mail(*expect), False, world.tag, world.other, world.build_id, alice,
                       False, 'policy says no']
    # nothing to send
    assert tag_notification(True, world.tag, None, world.build_id, alice,
                            ignore_success=True) is None
    assert tag_notification(True, world.tag, None, 999999, alice) is None
    assert tag_notification(True, None, None, world.build_id, alice) is None


def test_disable_notifications(world):
    env = world.env
    context.opts['DisableNotifications'] = True
    env.act('tadmin')
    before = db._singleValue('SELECT COUNT(*) FROM task')
    assert tag_notification(True, world.tag, None, world.build_id, None) is None
    assert tag_notification(False, world.tag, world.other, world.build_id, None) is None
    assert build_notification(999999, world.build_id) is None
    assert db._singleValue('SELECT COUNT(*) FROM task') == before


def test_untag_queues_tag_notification(world):
    env = world.env
    env.act('tadmin')
    from kojihub.tags.tagging import _tag_build
    _tag_build(world.tag, world.build_id)
    context.cnx.commit()
    env.act('tadmin', 'untagBuild')
    untag_build(world.tag, world.build_id)
    rows = db.QueryProcessor(columns=['id'], tables=['task'],
                             clauses=["method = 'tagNotification'"]).execute()
    assert len(rows) == 1
    method, request, owner = _task(rows[0]['id'])
    assert request[:6] == [mail(*IN_TAG), True, None, world.tag, world.build_id,
                           env.users['tadmin']['id']]


def test_cancel_build_queues_build_notification(world):
    env = world.env
    env.act('tadmin')
    create_build_target('nt-target', 'nt-parent', 'nt-tag')
    from kojihub.tasks.task_actions import make_task
    build_task = make_task('build', ['git://example.com/nt-pkg#1', 'nt-target', {}])
    building = new_build({'name': 'nt-pkg', 'version': '2', 'release': '1', 'epoch': None,
                          'owner': world.users['nt-builder'],
                          'state': koji.BUILD_STATES['BUILDING'], 'task_id': build_task})
    with pytest.raises(koji.GenericError, match='incomplete builds'):
        build_notification(build_task, building)
    context.cnx.commit()
    env.act('bob', 'cancelBuild')
    db._dml('UPDATE build SET owner = %(u)s WHERE id = %(b)s',
            {'u': env.users['bob']['id'], 'b': building})
    assert cancel_build(building) is True
    rows = db.QueryProcessor(columns=['id'], tables=['task'],
                             clauses=["method = 'buildNotification'"]).execute()
    assert len(rows) == 1
    method, request, owner = _task(rows[0]['id'])
    recipients, binfo, target, weburl = request
    assert owner == env.users['bob']['id']
    expect = set(IN_TAG) - {'nt-success', 'nt-builder'}
    assert recipients == sorted(mail(*expect) + ['bob@example.com'])
    assert binfo['id'] == building and binfo['state'] == CANCELED
    assert target == get_build_target('nt-target')
    assert weburl == 'https://koji.example.com/koji'


def test_host_tag_notification(world):
    env = world.env
    env.add_host('nt-host.example.com')
    env.act('alice', 'host.tagNotification')
    with pytest.raises(koji.AuthError):
        host_tag_notification(True, world.tag, None, world.build_id, 'alice')
    env.act('nt-host.example.com', 'host.tagNotification')
    assert host_tag_notification(True, world.tag, None, world.build_id, 'alice') is None
    rows = db.QueryProcessor(columns=['id'], tables=['task'],
                             clauses=["method = 'tagNotification'"]).execute()
    assert len(rows) == 1
    assert _task(rows[0]['id'])[1][0] == mail(*IN_TAG)
