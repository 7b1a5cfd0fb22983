"""Buildroots (buildrootinfo), repos (repoinfo) and the repo request queue (reporequest,
reporequests)."""
import json

import koji

from kojiweb import paging, util

from . import page
from .packages import _lookup
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
    values = {'repo': repo, 'repoID': repoID, 'url': None, 'numBuildroots': 0,
              'requests': []}
    if repo:
        mc = server.multicall()
        nbr = mc.listBuildroots(repoID=repo['id'], queryOpts={'countOnly': True})
        requests = mc.repo.queryQueue([['repo_id', '=', repo['id']]], ['id'])
        mc.call_all(strict=True)
        values['numBuildroots'] = nbr.result
        values['requests'] = requests.result
        top = req.opts['KojiFilesURL'].rstrip('/')
        if repo.get('dist'):
            values['url'] = '%s/repos-dist/%s/%s' % (top, repo['tag_name'], repo['id'])
        else:
            values['url'] = '%s/repos/%s/%s' % (top, repo['tag_name'], repo['id'])
        values['stateName'] = koji.REPO_STATES[repo['state']].lower()
    return req.render('repoinfo.chtml', values, 'Repo Info', 'tags')


@page
def reporequest(req, reqID):
    server = req.server
    req_id = _int_param(reqID, 'reqID')
    rows = server.repo.queryQueue([['id', '=', req_id]], '**')
    if not rows:
        raise koji.GenericError('No such repo request: %s' % req_id)
    request = rows[0]
    values = {'req_id': req_id, 'rq': request, 'event': None, 'eventKind': None}
    # a request names either the exact event or the oldest acceptable one
    for kind in ('at_event', 'min_event'):
        if request.get(kind):
            values['event'] = server.getEvent(request[kind])
            values['eventKind'] = kind
            break
    values['optsJSON'] = json.dumps(request['opts'], indent=4, sort_keys=True) \
        if request.get('opts') else None
    return req.render('reporequest.chtml', values, 'Repo Request', 'tags')


@page
def reporequests(req, active='true', tag=None, start=None, order=None):
    server = req.server
    clauses = []
    active = str(active).lower()
    if active == 'all':
        desc = 'Recent repo requests'
    elif active in ('false', 'no', '0'):
        active = 'false'
        desc = 'Inactive repo requests'
        clauses.append(['active', False])
    else:
        active = 'true'
        desc = 'Active repo requests'
        clauses.append(['active', True])
    taginfo = None
    if tag:
        taginfo = server.getTag(_lookup(tag), strict=True, event='auto')
        clauses.append(['tag_id', taginfo['id']])
        desc += ' for tag %s' % taginfo['name']
    values = {'desc': desc, 'active': active, 'tag': taginfo and taginfo['name'],
              'tagInfo': taginfo}
    paging.paginate_method(server, values, 'repo.queryQueue', args=(clauses, '**'),
                           start=start, order=order, default_order='-id', data_name='reqs',
                           opts_arg='opts')
    return req.render('reporequests.chtml', values, 'Repo Requests', 'tags')
