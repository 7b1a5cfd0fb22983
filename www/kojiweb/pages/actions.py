"""Actions that change the hub: every one needs the login cookie and the CSRF token `a`
(Request.assert_login), and the hub itself enforces the permissions."""
import koji

from kojiweb.request import Redirect

from . import page
from .tasks import _int_param


@page
def canceltask(req, taskID):
    req.assert_login()
    task_id = _int_param(taskID, 'taskID')
    req.server.cancelTask(task_id)
    raise Redirect('taskinfo?taskID=%i' % task_id)


@page
def resubmittask(req, taskID):
    req.assert_login()
    new_id = req.server.resubmitTask(_int_param(taskID, 'taskID'))
    raise Redirect('taskinfo?taskID=%i' % new_id)


@page
def freetask(req, taskID):
    req.assert_login()
    task_id = _int_param(taskID, 'taskID')
    req.server.freeTask(task_id)
    raise Redirect('taskinfo?taskID=%i' % task_id)


@page
def cancelbuild(req, buildID):
    req.assert_login()
    build_id = _int_param(buildID, 'buildID')
    build = req.server.getBuild(build_id)
    if build is None:
        raise koji.GenericError('unknown build ID: %i' % build_id)
    if not req.server.cancelBuild(build['id']):
        raise koji.GenericError('unable to cancel build')
    raise Redirect('buildinfo?buildID=%i' % build['id'])


def _notif_ids(req, package, tag):
    pkg_id = None if package in (None, '', 'all') else _int_param(package, 'package')
    tag_id = None if tag in (None, '', 'all') else _int_param(tag, 'tag')
    return pkg_id, tag_id


def _notif_form(req, notif):
    values = {'notif': notif,
              'packages': req.server.listPackagesSimple(queryOpts={'order': 'package_name'}),
              'tags': req.server.listTags(queryOpts={'order': 'name'})}
    return req.render('notificationedit.chtml', values, 'Edit Notification', 'summary')


@page
def notificationcreate(req, add=None, cancel=None, package=None, tag=None,
                       success_only=None):
    req.assert_login()
    if add is not None:
        pkg_id, tag_id = _notif_ids(req, package, tag)
        req.server.createNotification(req.user['id'], pkg_id, tag_id,
                                      success_only is not None)
        raise Redirect('index')
    if cancel is not None:
        raise Redirect('index')
    return _notif_form(req, None)


@page
def notificationedit(req, notificationID, save=None, cancel=None, package=None, tag=None,
                     success_only=None):
    req.assert_login()
    notif = req.server.getBuildNotification(_int_param(notificationID, 'notificationID'))
    if notif is None:
        raise koji.GenericError('no notification with ID: %s' % notificationID)
    if save is not None:
        pkg_id, tag_id = _notif_ids(req, package, tag)
        req.server.updateNotification(notif['id'], pkg_id, tag_id,
                                      success_only is not None)
        raise Redirect('index')
    if cancel is not None:
        raise Redirect('index')
    return _notif_form(req, notif)


@page
def notificationdelete(req, notificationID):
    req.assert_login()
    notif = req.server.getBuildNotification(_int_param(notificationID, 'notificationID'))
    if not notif:
        raise koji.GenericError('no notification with ID: %s' % notificationID)
    req.server.deleteNotification(notif['id'])
    raise Redirect('index')
