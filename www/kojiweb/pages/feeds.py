"""recentbuilds: the RSS 2.0 feed of the latest builds (of a tag, package or user)."""
import datetime
import email.utils
import time

import koji
from koji.util import formatChangelog

from . import Text, page
from .packages import _lookup


def _rss_time(ts):
    return email.utils.formatdate(ts, usegmt=True)


def _completion_ts(build):
    """completion_ts, or completion_time read (listTagged has only the latter)."""
    if build.get('completion_ts'):
        return build['completion_ts']
    value = build.get('completion_time')
    if not value:
        return None
    try:
        when = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.timestamp()


@page
def recentbuilds(req, user=None, tag=None, package=None):
    server = req.server
    tagObj = server.getTag(_lookup(tag), strict=True) if tag is not None else None
    userObj = server.getUser(_lookup(user), strict=True) if user is not None else None
    packageObj = server.getPackage(_lookup(package), strict=True) if package else None
    if tagObj is not None:
        builds = server.listTagged(tagObj['id'], inherit=True,
                                   package=packageObj and packageObj['name'] or None,
                                   owner=userObj and userObj['name'] or None)
        # newest first, unfinished (no completion time) before all
        builds.sort(key=lambda b: (b.get('completion_time') is None,
                                   str(b.get('completion_time') or '')), reverse=True)
        builds = builds[:20]
    else:
        kw = {}
        if userObj:
            kw['userID'] = userObj['id']
        if packageObj:
            kw['packageID'] = packageObj['id']
        builds = server.listBuilds(queryOpts={'order': '-completion_time', 'limit': 20}, **kw)
    mc = server.multicall()
    tasks = [mc.getTaskInfo(b['task_id'], request=True) if b.get('task_id') else None
             for b in builds]
    logs = [mc.getChangelogEntries(b['build_id'], queryOpts={'limit': 3})
            if b['state'] == koji.BUILD_STATES['COMPLETE'] else None for b in builds]
    mc.call_all()
    items = []
    for build, task, log in zip(builds, tasks, logs):
        task = task.result if task is not None else None
        if not isinstance(task, dict) or 'faultCode' in task:
            task = None
        changelog = log.result if log is not None else None
        title = '%s: %s' % (koji.BUILD_STATES[build['state']].lower(), koji.buildLabel(build))
        if task and task.get('request') and len(task['request']) > 1:
            title += ', target: %s' % task['request'][1]
        items.append({
            'title': title, 'build_id': build['build_id'],
            'pubDate': _rss_time(_completion_ts(build)) if _completion_ts(build) else None,
            'changelog': formatChangelog(changelog)
            if isinstance(changelog, list) and changelog else None})
    site = req.opts.get('SiteName')
    about = ''
    if packageObj:
        about += ' of package ' + packageObj['name']
    if tagObj:
        about += ' into tag ' + tagObj['name']
    if userObj:
        about += ' by user ' + userObj['name']
    query = []
    if tagObj:
        query.append('tagID=%i' % tagObj['id'])
    if userObj:
        query.append('userID=%i' % userObj['id'])
    if packageObj:
        query.append('packageID=%i' % packageObj['id'])
    weburl = req.base_url()
    values = {'entries': items, 'feedTitle': '%s: recent builds%s' % (site or '', about),
              'about': about, 'site': site or '', 'weburl': weburl,
              'channelLink': '%s/builds%s' % (weburl, '?' + '&'.join(query) if query else ''),
              'pubDate': _rss_time(time.time())}
    text = req.render_bare('recentbuilds.chtml', values)
    return Text(text, 'text/xml')
