"""Build-notification subscriptions and blocks (who gets mail about which builds).

A package_id or tag_id of None is a wildcard. Users manage their own rows; admins anyone's.
"""
import koji
from koji.context import context

from .db import DeleteProcessor, InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from .packages import get_package_id
from .tags import get_tag_id
from .users import get_user

NOTIF_FIELDS = ('id', 'user_id', 'package_id', 'tag_id', 'success_only', 'email')
BLOCK_FIELDS = ('id', 'user_id', 'package_id', 'tag_id')


def _query(table, fields, clause, values, strict=False, many=True):
    query = QueryProcessor(columns=list(fields), tables=[table], clauses=[clause],
                           values=values, opts={'order': 'id'} if many else None)
    return query.execute() if many else query.executeOne()


def _user_id_arg(userID):
    """Id of the user a listing is about: the one given, else the caller (maybe None)."""
    if userID is not None:
        return get_user(userID, strict=True)['id']
    return context.session.user_id


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
    user_id = _user_id_arg(userID)
    if user_id is None:
        return []
    return get_build_notifications(user_id)


def get_build_notification_blocks_call(userID=None):
    """getBuildNotificationBlocks: a user's blocks (the caller's by default)."""
    user_id = _user_id_arg(userID)
    if user_id is None:
        return []
    return get_build_notification_blocks(user_id)


def get_build_notification(id, strict=False):
    """getBuildNotification: one subscription by id."""
    row = _query('build_notifications', NOTIF_FIELDS, 'id = %(id)s', {'id': id}, many=False)
    if row is None and strict:
        raise koji.GenericError('No notification with ID %s found' % (id,))
    return row


def get_build_notification_block(id, strict=False):
    """getBuildNotificationBlock: one block by id."""
    row = _query('build_notifications_block', BLOCK_FIELDS, 'id = %(id)s', {'id': id},
                 many=False)
    if row is None and strict:
        raise koji.GenericError('No notification block with ID %s found' % (id,))
    return row


def _assert_owner(user_id):
    """Only the subscriber or an admin may touch a subscription."""
    session = context.session
    session.assertLogin()
    if session.user_id != user_id and not session.hasPerm('admin'):
        raise koji.ActionNotAllowed('user %s cannot change notifications of user %s'
                                    % (session.user_id, user_id))


def _targets(package_id, tag_id):
    """Resolve optional package/tag arguments (None = all) to ids, refusing unknown ones."""
    if package_id is not None:
        package_id = get_package_id(package_id, strict=True)
    if tag_id is not None:
        tag_id = get_tag_id(tag_id, strict=True)
    return package_id, tag_id


def _exists(table, data, exclude_id=None):
    """True when a row with the same settings is already there (NULL equals NULL)."""
    clauses = ['%s IS NOT DISTINCT FROM %%(%s)s' % (key, key) for key in sorted(data)]
    values = dict(data)
    if exclude_id is not None:
        clauses.append('id != %(exclude_id)s')
        values['exclude_id'] = exclude_id
    query = QueryProcessor(columns=['id'], tables=[table], clauses=clauses, values=values,
                           opts={'limit': 1})
    return bool(query.execute())


def create_notification(user_id, package_id, tag_id, success_only):
    """createNotification: subscribe a user; mail goes to <user>@EmailDomain."""
    context.session.assertLogin()
    user = get_user(user_id, strict=True)
    _assert_owner(user['id'])
    package_id, tag_id = _targets(package_id, tag_id)
    data = {'user_id': user['id'], 'package_id': package_id, 'tag_id': tag_id,
            'success_only': bool(success_only)}
    if _exists('build_notifications', data):
        raise koji.GenericError('notification already exists')
    data['email'] = '%s@%s' % (user['name'], context.opts.get('EmailDomain'))
    data['id'] = nextval('build_notifications_id_seq')
    InsertProcessor('build_notifications', data=data).execute()
    context.commit_pending = True


def update_notification(id, package_id, tag_id, success_only):
    """updateNotification: change what a subscription covers."""
    context.session.assertLogin()
    orig = get_build_notification(id, strict=True)
    _assert_owner(orig['user_id'])
    package_id, tag_id = _targets(package_id, tag_id)
    data = {'user_id': orig['user_id'], 'package_id': package_id, 'tag_id': tag_id,
            'success_only': bool(success_only)}
    if _exists('build_notifications', data, exclude_id=orig['id']):
        raise koji.GenericError('notification already exists')
    del data['user_id']
    UpdateProcessor('build_notifications', data=data, clauses=['id = %(id)s'],
                    values={'id': orig['id']}).execute()
    context.commit_pending = True


def delete_notification(id):
    """deleteNotification: drop a subscription."""
    context.session.assertLogin()
    orig = get_build_notification(id, strict=True)
    _assert_owner(orig['user_id'])
    DeleteProcessor('build_notifications', clauses=['id = %(id)s'],
                    values={'id': orig['id']}).execute()
    context.commit_pending = True


def create_notification_block(user_id, package_id=None, tag_id=None):
    """createNotificationBlock: silence mail for a package and/or tag."""
    context.session.assertLogin()
    user = get_user(user_id, strict=True)
    _assert_owner(user['id'])
    package_id, tag_id = _targets(package_id, tag_id)
    data = {'user_id': user['id'], 'package_id': package_id, 'tag_id': tag_id}
    if _exists('build_notifications_block', data):
        raise koji.GenericError('notification block already exists')
    data['id'] = nextval('build_notifications_block_id_seq')
    InsertProcessor('build_notifications_block', data=data).execute()
    context.commit_pending = True


def delete_notification_block(id):
    """deleteNotificationBlock: lift a block."""
    context.session.assertLogin()
    orig = get_build_notification_block(id, strict=True)
    _assert_owner(orig['user_id'])
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
