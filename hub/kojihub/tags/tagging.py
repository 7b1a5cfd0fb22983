"""Tagging: putting builds into tags and taking them out (tag_listing writes).

tag_listing is versioned, so a tagging is a created row and an untagging a revoked one;
history and "as of event" reads come for free. The policy, lock and package-list checks
live in the exported calls, the row writes and callbacks in ``_tag_build`` /
``_untag_build`` so the builder's host.tagBuild and imports can share them.
"""
import logging

import koji
from koji.context import context
from koji.plugin import run_callbacks

from ..builds.builds import get_build
from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, _dml
from ..notifications.notify import tag_notification
from .packages import _direct_pkglist_add, get_package_id, readPackageList
from ..core.policy import assert_policy
from .tags import assert_tag_access, get_tag
from ..users.users import get_session_user

logger = logging.getLogger('koji.hub.tagging')


def _user_info(user_id=None):
    """The acting user's record: the given id, else whoever is logged in."""
    if user_id is None and context.session.user_id is None:
        raise koji.GenericError('a logged-in user is required for tagging')
    return get_session_user(user_id)


def set_tag_update(tag_id, utype, event_id=None, user_id=None):
    """Record a change to a tag's content that tag_listing does not show (import, volume)."""
    if isinstance(utype, str):
        utype = koji.TAG_UPDATE_TYPES[utype]
    if user_id is None:
        user_id = context.session.user_id
    if event_id is None:
        _dml('INSERT INTO tag_updates (tag_id, updater_id, update_type) '
             'VALUES (%(tag_id)s, %(user_id)s, %(utype)s)',
             {'tag_id': tag_id, 'user_id': user_id, 'utype': utype})
    else:
        _dml('INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) '
             'VALUES (%(tag_id)s, %(event_id)s, %(user_id)s, %(utype)s)',
             {'tag_id': tag_id, 'event_id': event_id, 'user_id': user_id, 'utype': utype})


def _check_package_listed(tag, build, force):
    """A build may only enter a tag listing its package unblocked; admin+force adds it."""
    pkg_id = build['package_id']
    entry = readPackageList(tagID=tag['id'], pkgID=pkg_id, inherit=True,
                            with_owners=False).get(pkg_id)
    if entry is None:
        error = 'Package %s not in list for %s' % (build['name'], tag['name'])
    elif entry['blocked']:
        error = 'Package %s blocked in %s' % (build['name'], tag['name'])
    else:
        return
    if not (force and context.session.hasPerm('admin')):
        raise koji.TagError(error)
    logger.info('force: %s, so listing %s in %s', error, build['name'], tag['name'])
    _direct_pkglist_add(tag['id'], pkg_id, context.session.user_id, False, None, True,
                        False)


def _assert_complete(build):
    if build['state'] != koji.BUILD_STATES['COMPLETE']:
        raise koji.TagError('build %s not complete: state %s'
                            % (build['nvr'], koji.BUILD_STATES[build['state']]))


def _tag_build(tag, build, user_id=None, force=False):
    """Write the tag_listing row (re-tagging an already tagged build needs force)."""
    _write_tagging(get_tag(tag, strict=True), get_build(build, strict=True), user_id, force)


def _write_tagging(tag, build, user_id=None, force=False):
    """_tag_build for a tag and build already read."""
    user = _user_info(user_id)
    _assert_complete(build)
    _check_package_listed(tag, build, force)
    run_callbacks('preTag', tag=tag, build=build, user=user, force=force)
    values = {'tag_id': tag['id'], 'build_id': build['id']}
    clauses = ['tag_id = %(tag_id)s', 'build_id = %(build_id)s']
    current = QueryProcessor(columns=['build_id'], tables=['tag_listing'],
                             clauses=clauses + ['active = TRUE'], values=values,
                             opts={'rowlock': True}).executeOne()
    if current is not None:
        if not force:
            raise koji.TagError('build %s already tagged (%s)' % (build['nvr'], tag['name']))
        update = UpdateProcessor('tag_listing', clauses=clauses, values=values)
        update.make_revoke(user_id=user['id'])
        update.execute()
    insert = InsertProcessor('tag_listing', data=values)
    insert.make_create(user_id=user['id'])
    insert.execute()
    run_callbacks('postTag', tag=tag, build=build, user=user, force=force)


def _untag_build(tag, build, user_id=None, strict=True, force=False):
    """Revoke the tag_listing row; strict makes a build that is not there an error."""
    _write_untagging(get_tag(tag, strict=True), get_build(build, strict=True), user_id,
                     strict, force)


def _write_untagging(tag, build, user_id=None, strict=True, force=False):
    """_untag_build for a tag and build already read."""
    user = _user_info(user_id)
    run_callbacks('preUntag', tag=tag, build=build, user=user, force=force, strict=strict)
    update = UpdateProcessor('tag_listing', clauses=['tag_id = %(tag_id)s',
                                                     'build_id = %(build_id)s'],
                             values={'tag_id': tag['id'], 'build_id': build['id']})
    update.make_revoke(user_id=user['id'])
    if update.execute() == 0 and strict:
        raise koji.TagError('build %s not in tag %s' % (build['nvr'], tag['name']))
    run_callbacks('postUntag', tag=tag, build=build, user=user, force=force, strict=strict)


def _policy(tag_id, build_id, fromtag_id, operation, force):
    data = {'tag': tag_id, 'build': build_id, 'fromtag': fromtag_id, 'operation': operation}
    assert_policy('tag', data, force=force)


def tag_build_bypass(tag, build, force=False, notify=False):
    """tagBuildBypass: tag at once, for sync and import tools (tag perm + policy)."""
    context.session.assertPerm('tag')
    tag = get_tag(tag, strict=True)
    build = get_build(build, strict=True)
    _policy(tag['id'], build['id'], None, 'tag', force)
    _write_tagging(tag, build, force=force)
    if notify:
        tag_notification(True, tag['id'], None, build['id'], context.session.user_id)


def untag_build_bypass(tag, build, strict=True, force=False, notify=False):
    """untagBuildBypass: untag at once, for sync and import tools (tag perm + policy)."""
    context.session.assertPerm('tag')
    tag = get_tag(tag, strict=True)
    build = get_build(build, strict=True)
    _policy(None, build['id'], tag['id'], 'untag', force)
    _write_untagging(tag, build, strict=strict, force=force)
    if notify:
        tag_notification(True, None, tag['id'], build['id'], context.session.user_id)


def tag_build(tag, build, force=False, fromtag=None):
    """tagBuild: check everything a user can be refused for, then queue the tagBuild task."""
    context.session.assertLogin()
    build = get_build(build, strict=True)
    tag = get_tag(tag, strict=True)
    fromtag_id = None
    if fromtag is not None:
        fromtag_id = get_tag(fromtag, strict=True)['id']
    _assert_complete(build)
    assert_tag_access(tag['id'], force=force)
    if fromtag_id is not None:
        assert_tag_access(fromtag_id, force=force)
    _check_package_listed(tag, build, force)
    _policy(tag['id'], build['id'], fromtag_id, 'tag' if fromtag_id is None else 'move', force)
    from ..tasks.task_actions import make_task
    return make_task('tagBuild', [tag['id'], build['id'], force, fromtag_id], priority=10)


def untag_build(tag, build, strict=True, force=False):
    """untagBuild: untag at once (no task) after the policy and tag access checks."""
    context.session.assertLogin()
    user_id = context.session.user_id
    tag = get_tag(tag, strict=True)
    build = get_build(build, strict=True)
    _policy(None, build['id'], tag['id'], 'untag', force)
    assert_tag_access(tag['id'], user_id=user_id, force=force)
    _write_untagging(tag, build, strict=strict, force=force)
    tag_notification(True, None, tag['id'], build['id'], user_id)


def move_build(tag1, tag2, build, force=False):
    """moveBuild: a tagBuild into tag2 that also takes the build out of tag1."""
    return tag_build(tag2, build, force=force, fromtag=tag1)


def move_all_builds(tag1, tag2, package, force=False):
    """moveAllBuilds: one tagBuild task per build of the package, chained oldest first.

    Each task waits on the previous one (dependantTask), so the newest build ends up
    tagged last and stays the latest in tag2.
    """
    context.session.assertLogin()
    fromtag = get_tag(tag1, strict=True)
    totag = get_tag(tag2, strict=True)
    pkg_id = get_package_id(package, strict=True)
    assert_tag_access(totag['id'], force=force)
    assert_tag_access(fromtag['id'], force=force)
    from .tagged import read_tagged_builds
    builds = read_tagged_builds(fromtag['id'], package=pkg_id)
    if builds:
        _check_package_listed(totag, builds[0], force)
    for build in builds:
        _policy(totag['id'], build['build_id'], fromtag['id'], 'move', force)
    from ..tasks.task_actions import make_task
    wait_on = []
    task_ids = []
    for build in reversed(builds):
        request = [['tagBuild', [totag['id'], build['build_id'], force, fromtag['id']],
                    {'priority': 15}]]
        task_id = make_task('dependantTask', [wait_on, request])
        wait_on = [task_id]
        task_ids.append(task_id)
    return task_ids


def mass_tag(tag, builds):
    """massTag: tag many builds in the given order, skipping access checks and policy."""
    context.session.assertPerm('tag')
    tag = get_tag(tag, strict=True)
    user = _user_info()
    logger.debug('mass-tagging %d builds into %s for %s', len(builds), tag['name'],
                 user['name'])
    for build in builds:
        binfo = get_build(build, strict=True)
        _tag_build(tag['id'], binfo['id'], user_id=user['id'], force=True)


class TaggingExports(object):
    """Tagging calls of the hub API."""

    tagBuildBypass = staticmethod(tag_build_bypass)
    untagBuildBypass = staticmethod(untag_build_bypass)
    tagBuild = staticmethod(tag_build)
    untagBuild = staticmethod(untag_build)
    moveBuild = staticmethod(move_build)
    moveAllBuilds = staticmethod(move_all_builds)
    massTag = staticmethod(mass_tag)
