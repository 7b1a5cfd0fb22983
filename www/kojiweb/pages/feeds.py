"""recentbuilds: the RSS 2.0 feed of the latest builds (of a tag, package or user)."""
import email.utils

import koji

from . import Text, page
from .packages import _lookup


@page
def recentbuilds(req, user=None, tag=None, package=None):
    server = req.server
    tagObj = server.getTag(_lookup(tag), strict=True) if tag else None
    userObj = server.getUser(_lookup(user), strict=True) if user else None
    packageObj = server.getPackage(_lookup(package)) if package else None
    if package and packageObj is None:
        raise koji.GenericError('No such package: %s' % package)
    if tagObj is not None:
        builds = server.listTagged(tagObj['id'], inherit=True,
                                   package=packageObj and packageObj['name'],
                                   owner=userObj and userObj['name'])
        builds.sort(key=lambda b: b.get('completion_ts') or b.get('creation_ts') or 0,
                    reverse=True)
        builds = builds[:20]
    else:
        builds = server.listBuilds(packageID=packageObj and packageObj['id'],
                                   userID=userObj and userObj['id'],
                                   queryOpts={'order': '-completion_time', 'limit': 20})
    mc = server.multicall()
    tasks = [mc.getTaskInfo(b['task_id']) if b['task_id'] else mc.echo(None)
             for b in builds]
    logs = [mc.getChangelogEntries(b['build_id'], queryOpts={'limit': 3}) for b in builds]
    mc.call_all()
    for build, task, log in zip(builds, tasks, logs):
        result = task.result
        build['task'] = result if isinstance(result, dict) and 'faultCode' not in result \
            else None
        build['changelog'] = log.result if isinstance(log.result, list) else []
        ts = build.get('completion_ts') or build.get('creation_ts')
        build['pubDate'] = email.utils.formatdate(ts, usegmt=True) if ts else ''
        build['stateName'] = koji.BUILD_STATES[build['state']].lower()
    title = '%s: recent builds' % (req.opts.get('SiteName') or 'Koji')
    if packageObj:
        title += ' of package ' + packageObj['name']
    if tagObj:
        title += ' into tag ' + tagObj['name']
    if userObj:
        title += ' by user ' + userObj['name']
    env = req.environ
    base = '%s://%s%s' % (env.get('wsgi.url_scheme', 'http'),
                          env.get('HTTP_HOST') or env.get('SERVER_NAME', 'localhost'),
                          env.get('SCRIPT_NAME', '/koji'))
    values = {'builds': builds, 'feedTitle': title, 'weburl': base}
    text = req.render_bare('recentbuilds.chtml', values)
    return Text(text, 'text/xml')
