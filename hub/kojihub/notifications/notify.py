"""Notification mail: who hears about a build or tag change, and the tasks that tell them.

The hub only decides who gets mail; the message itself is written and sent by kojid's
``buildNotification`` / ``tagNotification`` task handlers. Recipients are the users
watching the package and/or tag (build_notifications), the build owner and the
package's owner in the tag, minus disabled users and anyone with a matching block.
All of that is settled by one SQL statement per notification, whatever the number of
users involved.
"""
import logging

import koji
import koji.tasks
from koji.context import context

from ..builds.builds import get_build
from ..core.db import _multiRow
from ..tags.packages import readPackageList
from ..core.policy import _assert_host_session
from ..tags.tags import get_tag
from ..users.users import get_user

logger = logging.getLogger('koji.hub.notify')

# candidates (tag the mail is about, user, address or NULL for "<name>@EmailDomain",
# whether a group account may receive it), filtered by account state and blocks
_RECIPIENTS_SQL = """
WITH tags AS (
    SELECT DISTINCT unnest(%(tag_ids)s::integer[]) AS tag_id
), candidates AS (
    SELECT tags.tag_id AS for_tag, bn.user_id, bn.email, TRUE AS groups_ok
      FROM tags
      JOIN build_notifications AS bn
        ON bn.tag_id IS NULL OR bn.tag_id = tags.tag_id
     WHERE (bn.package_id IS NULL OR bn.package_id = %(package_id)s)
       AND (%(complete)s OR NOT bn.success_only)
    UNION ALL
    SELECT owners.for_tag, owners.user_id, NULL, owners.groups_ok
      FROM unnest(%(owner_tags)s::integer[], %(owner_ids)s::integer[],
                  %(owner_groups)s::boolean[]) AS owners(for_tag, user_id, groups_ok)
)
SELECT DISTINCT COALESCE(candidates.email, users.name || '@' || %(domain)s)
  FROM candidates
  JOIN users ON users.id = candidates.user_id
 WHERE users.status = %(normal_status)s
   AND (users.usertype = %(normal_type)s
        OR (candidates.groups_ok AND users.usertype = %(group_type)s))
   AND NOT EXISTS (
       SELECT 1 FROM build_notifications_block AS blk
        WHERE blk.user_id = candidates.user_id
          AND (blk.package_id IS NULL OR blk.package_id = %(package_id)s)
          AND (blk.tag_id IS NULL OR blk.tag_id = candidates.for_tag))
 ORDER BY 1
"""


def _package_owner(package_id, tag_id):
    """The owner of the package's (inherited, unblocked) entry in the tag, or None."""
    entry = readPackageList(tagID=tag_id, pkgID=package_id, inherit=True).get(package_id)
    if entry is None or entry['blocked']:
        # the list may just have changed under us; nobody to add then
        return None
    return entry['owner_id']


def notification_recipients(build, tag_ids, state):
    """Sorted addresses to tell about ``build`` (may be None) in any of ``tag_ids``.

    A tag id of None stands for "no tag": only watchers and blocks without a tag count.
    ``state`` is a BUILD_STATES value; success-only watchers hear of COMPLETE only, and
    the owners hear of a success only when NotifyOnSuccess is on.
    """
    tag_ids = list(tag_ids) or [None]
    complete = state == koji.BUILD_STATES['COMPLETE']
    owners = []
    package_id = None
    if build:
        package_id = build['package_id']
        if context.opts.get('NotifyOnSuccess', True) or not complete:
            for tag_id in tag_ids:
                owners.append((tag_id, build['owner_id'], True))
                if tag_id is not None:
                    pkg_owner = _package_owner(package_id, tag_id)
                    if pkg_owner is not None:
                        owners.append((tag_id, pkg_owner, False))
    values = {
        'tag_ids': tag_ids,
        'package_id': package_id,
        'complete': complete,
        'owner_tags': [row[0] for row in owners],
        'owner_ids': [row[1] for row in owners],
        'owner_groups': [row[2] for row in owners],
        'domain': '%s' % (context.opts.get('EmailDomain'),),
        'normal_status': koji.USER_STATUS['NORMAL'],
        'normal_type': koji.USERTYPES['NORMAL'],
        'group_type': koji.USERTYPES['GROUP'],
    }
    return [row['email'] for row in _multiRow(_RECIPIENTS_SQL, values, ['email'])]


def get_notification_recipients(build, tag_id, state):
    """Addresses to tell about a build's event in one tag (or none: tag_id None)."""
    if not build and tag_id:
        raise koji.GenericError('Invalid call')
    return notification_recipients(build, [tag_id], state)


def tag_notification(is_successful, tag_id, from_id, build_id, user_id,
                     ignore_success=False, failure_msg=''):
    """Queue a tagNotification task for a tag, untag or move; returns its id or None."""
    if context.opts.get('DisableNotifications'):
        return None
    if user_id and not isinstance(user_id, int):
        user_id = get_user(user_id, strict=True)['id']
    build = get_build(build_id)
    if build is None:
        # nothing left to tell anyone about
        return None
    tag_ids = []
    for tag in (tag_id, from_id):
        if tag:
            info = get_tag(tag)
            if info is not None:
                tag_ids.append(info['id'])
    if not tag_ids:
        return None
    state = koji.BUILD_STATES['COMPLETE' if is_successful else 'FAILED']
    recipients = notification_recipients(build, tag_ids, state)
    if not recipients or (is_successful and ignore_success):
        return None
    from ..tasks.task_actions import make_task
    return make_task('tagNotification', [recipients, is_successful, tag_id, from_id,
                                         build_id, user_id, ignore_success, failure_msg])


def _get_build_target(task_id):
    """The target a build task was asked to build for, if it named an existing one."""
    from ..tags.targets import get_build_target
    from ..tasks.tasks import get_task_info
    info = get_task_info(task_id, request=True)
    if info is None or info['method'] not in ('build', 'maven', 'winbuild'):
        return None
    try:
        params = koji.tasks.parse_task_params(info['method'], info['request'])
    except (TypeError, koji.ParameterError):
        logger.warning('cannot read the target of task %s', task_id)
        return None
    target = params.get('target')
    if not target:
        return None
    return get_build_target(target)


def build_notification(task_id, build_id):
    """Queue a buildNotification task for a finished build; returns its id or None."""
    if context.opts.get('DisableNotifications'):
        return None
    build = get_build(build_id, strict=True)
    if build['state'] == koji.BUILD_STATES['BUILDING']:
        raise koji.GenericError('never send notifications for incomplete builds')
    target = _get_build_target(task_id)
    dest_tag = target['dest_tag'] if target else None
    recipients = notification_recipients(build, [dest_tag], build['state'])
    if not recipients:
        return None
    web_url = context.opts.get('KojiWebURL', 'http://localhost/koji')
    from ..tasks.task_actions import make_task
    return make_task('buildNotification', [recipients, build, target, web_url])


def host_tag_notification(is_successful, tag_id, from_id, build_id, user_id,
                          ignore_success=False, failure_msg=''):
    """host.tagNotification: a tagBuild task reports how its tagging went."""
    _assert_host_session()
    tag_notification(is_successful, tag_id, from_id, build_id, user_id,
                     ignore_success=ignore_success, failure_msg=failure_msg)


class NotifyHostExports(object):
    """host.tagNotification, bound into HostExports."""

    tagNotification = staticmethod(host_tag_notification)
