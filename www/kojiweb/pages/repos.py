"""Buildroots (buildrootinfo) and repos (repoinfo)."""
import koji

from kojiweb import util

from . import page
from .tasks import _int_param


@page
def buildrootinfo(req, buildrootID):
    server = req.server
    br = server.getBuildroot(_int_param(buildrootID, 'buildrootID'))
    if br is None:
        raise koji.GenericError('unknown buildroot ID: %s' % buildrootID)
    values = {'buildroot': br}
    if br['br_type'] == koji.BR_TYPES['STANDARD']:
        values['task'] = server.getTaskInfo(br['task_id'], request=True) \
            if br['task_id'] else None
        values['taskLabel'] = koji.taskLabel
        return req.render('buildrootinfo.chtml', values,
                          util.brLabel(br) + ' | Buildroot Info', 'hosts')
    return req.render('buildrootinfo_cg.chtml', values,
                      util.brLabel(br) + ' | Buildroot Info', 'hosts')


@page
def repoinfo(req, repoID):
    server = req.server
    repo = server.repoInfo(_int_param(repoID, 'repoID'), strict=False)
    values = {'repo': repo, 'repoID': repoID, 'url': None, 'numBuildroots': 0}
    if repo:
        values['numBuildroots'] = server.listBuildroots(repoID=repo['id'],
                                                        queryOpts={'countOnly': True})
        top = req.opts['KojiFilesURL'].rstrip('/')
        if repo.get('dist'):
            values['url'] = '%s/repos-dist/%s/%s' % (top, repo['tag_name'], repo['id'])
        else:
            values['url'] = '%s/repos/%s/%s' % (top, repo['tag_name'], repo['id'])
        values['stateName'] = koji.REPO_STATES[repo['state']].lower()
    return req.render('repoinfo.chtml', values, 'Repo Info', 'tags')
