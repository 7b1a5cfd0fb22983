"""Build-notification subscriptions and blocks (who gets mail about which builds).

A package_id or tag_id of None is a wildcard. Users manage their own rows; admins anyone's.
Refusals are plain GenericErrors, as upstream's. Who actually gets mail is worked out in
notify.py.
"""
import koji
from koji.context import context

from ..core.db import DeleteProcessor, InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from ..tags.packages import get_package_id
from ..tags.tags import get_tag_id
from ..users.users import get_user

NOTIF_FIELDS = ('id', 'user_id', 'package_id', 'tag_id', 'success_only', 'email')
BLOCK_FIELDS = ('id', 'user_id', 'package_id', 'tag_id')


def _row_id(value):
    """Row ids arrive over XML-RPC; anything but an integer is a caller error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise koji.ParameterError('Invalid notification id: %r' % (value,))
    return value


def _query(table, fields, clause, values, many=True):
    query = QueryProcessor(columns=list(fields), tables=[table], clauses=[clause],
                           values=values, opts={'order': 'id'} if many else None)
    return query.execute() if many else query.executeOne()


def _user_id_arg(userID):
    """Id of the user a listing is about: the one given, else the caller."""
    return get_user(userID, strict=True)['id']


def get_build_notifications(user_id):
    """Subscriptions of one user id."""
    return _query('build_notifications', NOTIF_FIELDS, 'user_id = %(user_id)s',
                  {'user_id': user_id})


def get_build_notification_blocks(user_id):
    """Blocks of one user id."""
    return _query('build_notifications_block', BLOCK_FIELDS, 'user_id = %(user_id)s',
                  {'user_id': user_id})


def get_build_notifications_call(userID=None):
    """getBuildNotifications: a user's subscriptions (the caller's by default)."""
    return get_build_notifications(_user_id_arg(userID))


def get_build_notification_blocks_call(userID=None):
    """getBuildNotificationBlocks: a user's blocks (the caller's by default)."""
    return get_build_notification_blocks(_user_id_arg(userID))


def get_build_notification(id, strict=False):
    """getBuildNotification: one subscription by id."""
    row = _query('build_notifications', NOTIF_FIELDS, 'id = %(id)s', {'id': _row_id(id)},
                 many=False)
    if row is None and strict:
        raise koji.GenericError('No notification with ID %s found' % (id,))
    return row


def get_build_notification_block(id, strict=False):
    """getBuildNotificationBlock: one block by id."""
    row = _query('build_notifications_block', BLOCK_FIELDS, 'id = %(id)s',
                 {'id': _row_id(id)}, many=False)
    if row is None and strict:
        raise koji.GenericError('No notification block with ID %s found' % (id,))
    return row


def _caller():
    """The logged-in user's record; every write needs one."""
    if not context.session.logged_in:
        raise koji.GenericError('Not logged-in')
    return get_user(context.session.user_id, strict=True, krb_princs=False)


def _may_manage(caller, user_id):
    """Users manage their own subscriptions and blocks; admins anyone's."""
    return caller['id'] == user_id or context.session.hasPerm('admin')


def _subject_user(user_id):
    """The user a new subscription or block is for."""
    user = get_user(user_id, krb_princs=False)
    if user is None:
        raise koji.GenericError('No such user ID: %s' % (user_id,))
    return user


def _targets(package_id, tag_id):
    """Resolve optional package/tag arguments (None = all) to ids, refusing unknown ones."""
    if package_id is not None:
        package_id = get_package_id(package_id, strict=True)
    if tag_id is not None:
        tag_id = get_tag_id(tag_id, strict=True)
    return package_id, tag_id


def _refuse_duplicate(rows, **wanted):
    """The same subscription (or block) twice for one user is an error."""
    for row in rows:
        if all(row[key] == value for key, value in wanted.items()):
            raise koji.GenericError('notification already exists')


def create_notification(user_id, package_id, tag_id, success_only):
    """createNotification: subscribe a user; mail goes to <user>@EmailDomain."""
    caller = _caller()
    user = _subject_user(user_id)
    if not _may_manage(caller, user['id']):
        raise koji.GenericError('user %s cannot create notifications for user %s'
                                % (caller['name'], user['name']))
    package_id, tag_id = _targets(package_id, tag_id)
    success_only = bool(success_only)
    _refuse_duplicate(get_build_notifications(user['id']), package_id=package_id,
                      tag_id=tag_id, success_only=success_only)
    data = {'id': nextval('build_notifications_id_seq'), 'user_id': user['id'],
            'package_id': package_id, 'tag_id': tag_id, 'success_only': success_only,
            'email': '%s@%s' % (user['name'], context.opts.get('EmailDomain'))}
    InsertProcessor('build_notifications', data=data).execute()
    context.commit_pending = True


def update_notification(id, package_id, tag_id, success_only):
    """updateNotification: change what a subscription covers.

    As upstream, asking for the settings the subscription already has counts as a
    duplicate too.
    """
    caller = _caller()
    orig = get_build_notification(id, strict=True)
    if not _may_manage(caller, orig['user_id']):
        raise koji.GenericError('user %i cannot update notifications for user %i'
                                % (caller['id'], orig['user_id']))
    package_id, tag_id = _targets(package_id, tag_id)
    success_only = bool(success_only)
    _refuse_duplicate(get_build_notifications(orig['user_id']), package_id=package_id,
                      tag_id=tag_id, success_only=success_only)
    data = {'package_id': package_id, 'tag_id': tag_id, 'success_only': success_only}
    UpdateProcessor('build_notifications', data=data, clauses=['id = %(id)s'],
                    values={'id': orig['id']}).execute()
    context.commit_pending = True


def delete_notification(id):
    """deleteNotification: drop a subscription."""
    orig = get_build_notification(id, strict=True)
    caller = _caller()
    if not _may_manage(caller, orig['user_id']):
        raise koji.GenericError('user %i cannot delete notifications for user %i'
                                % (caller['id'], orig['user_id']))
    DeleteProcessor('build_notifications', clauses=['id = %(id)s'],
                    values={'id': orig['id']}).execute()
    context.commit_pending = True


def create_notification_block(user_id, package_id=None, tag_id=None):
    """createNotificationBlock: silence mail for a package and/or tag."""
    caller = _caller()
    user = _subject_user(user_id)
    if not _may_manage(caller, user['id']):
        raise koji.GenericError('user %s cannot create notification blocks for user %s'
                                % (caller['name'], user['name']))
    package_id, tag_id = _targets(package_id, tag_id)
    _refuse_duplicate(get_build_notification_blocks(user['id']), package_id=package_id,
                      tag_id=tag_id)
    data = {'id': nextval('build_notifications_block_id_seq'), 'user_id': user['id'],
            'package_id': package_id, 'tag_id': tag_id}
    InsertProcessor('build_notifications_block', data=data).execute()
    context.commit_pending = True


def delete_notification_block(id):
    """deleteNotificationBlock: lift a block."""
    orig = get_build_notification_block(id, strict=True)
    caller = _caller()
    if not _may_manage(caller, orig['user_id']):
        raise koji.GenericError('user %i cannot delete notification blocks for user %i'
                                % (caller['id'], orig['user_id']))
    DeleteProcessor('build_notifications_block', clauses=['id = %(id)s'],
                    values={'id': orig['id']}).execute()
    context.commit_pending = True


class NotificationExports(object):
    """Notification calls, bound into RootExports."""

    getBuildNotifications = staticmethod(get_build_notifications_call)
    getBuildNotification = staticmethod(get_build_notification)
    getBuildNotificationBlocks = staticmethod(get_build_notification_blocks_call)
    getBuildNotificationBlock = staticmethod(get_build_notification_block)
    createNotification = staticmethod(create_notification)
    updateNotification = staticmethod(update_notification)
    deleteNotification = staticmethod(delete_notification)
    createNotificationBlock = staticmethod(create_notification_block)
    deleteNotificationBlock = staticmethod(delete_notification_block)
