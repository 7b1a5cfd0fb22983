"""The summary page (index): recent builds and tasks, the user's packages and notifications."""
import koji

from kojiweb import paging

from . import page


@page
def index(req, packageOrder='package_name', packageStart=None):
    user = req.user
    values = {}
    mc = req.server.multicall()
    builds = mc.listBuilds(userID=user['id'] if user else None,
                           queryOpts={'order': '-build_id', 'limit': 10})
    task_opts = {'parent': None, 'decode': True}
    if user:
        task_opts['owner'] = user['id']
    tasks = mc.listTasks(opts=task_opts, queryOpts={'order': '-id', 'limit': 10})
    notifs = mc.getBuildNotifications(user['id']) if user else None
    mc.call_all(strict=True)
    values['builds'] = builds.result
    values['tasks'] = tasks.result
    values['notifs'] = []
    if user:
        paging.paginate_results(req.server, values, 'listPackages',
                                kw={'userID': user['id'], 'with_dups': True},
                                start=packageStart, order=packageOrder,
                                default_order='package_name', data_name='packages',
                                prefix='package', page_size=10)
        notifs = notifs.result
        mc = req.server.multicall()
        lookups = [(mc.getPackage(n['package_id']) if n['package_id'] else None,
                    mc.getTag(n['tag_id'], event='auto') if n['tag_id'] else None)
                   for n in notifs]
        mc.call_all()
        for notif, (pkg, tag) in zip(notifs, lookups):
            notif['package'] = pkg.result if pkg else None
            notif['tag'] = tag.result if tag else None
        values['notifs'] = notifs
    values['taskLabel'] = koji.taskLabel
    return req.render('index.chtml', values, 'Build System Info', 'summary')
