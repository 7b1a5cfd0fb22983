"""The builds list and one build's page (buildinfo)."""
import os

import koji

from kojiweb import paging

from . import page
from .tasks import _int_param


def _prefix(value):
    """The first character, lowercased, if it is one of the prefix letters."""
    if value:
        value = value.lower()[0]
        if value in '0123456789abcdefghijklmnopqrstuvwxyz':
            return value
    return None


@page
def builds(req, userID=None, tagID=None, packageID=None, state=None, order='-build_id',
           start=None, prefix=None, inherited='1', latest='1', type=None):
    server = req.server
    values = {}
    user = tag = package = None
    if userID:
        user = server.getUser(int(userID) if str(userID).isdigit() else userID,
                              strict=True)
    if tagID:
        tag = server.getTag(int(tagID) if str(tagID).isdigit() else tagID, strict=True)
    if packageID:
        package = server.getPackage(int(packageID) if str(packageID).isdigit()
                                    else packageID, strict=True)
    prefix = _prefix(prefix)
    if state == 'all' or state is None:
        state = None
    else:
        state = int(state)
    btypes = sorted(b['name'] for b in server.listBTypes())
    if type not in btypes:
        type = None
    values.update(user=user, tag=tag, package=package, state=state, prefix=prefix,
                  inherited=inherited == '1', latest=latest == '1', type=type,
                  btypes=btypes, userID=userID, tagID=tagID, packageID=packageID,
                  users=server.listUsers(queryOpts={'order': 'name'}),
                  buildStates=sorted(koji.BUILD_STATES.items(), key=lambda i: i[1]),
                  prefixes='0123456789abcdefghijklmnopqrstuvwxyz')
    if tag:
        kw = {'package': package and package['name'], 'owner': user and user['name'],
              'type': type, 'inherit': inherited == '1', 'latest': latest == '1',
              'prefix': prefix}
        paging.paginate_results(server, values, 'listTagged', args=(tag['id'],), kw=kw,
                                start=start, order=order, default_order='-build_id',
                                data_name='builds')
    else:
        kw = {'userID': user and user['id'], 'packageID': package and package['id'],
              'type': type, 'state': state, 'prefix': prefix}
        paging.paginate_method(server, values, 'listBuilds', kw=kw, start=start,
                               order=order, default_order='-build_id', data_name='builds')
    return req.render('builds.chtml', values, 'Builds', 'builds')


def _rpm_sort(rpm):
    arch = rpm['arch']
    debug = koji.is_debuginfo(rpm['name'])
    return (arch != 'src', arch, debug, rpm['name'])


@page
def buildinfo(req, buildID):
    server = req.server
    build_id = _int_param(buildID, 'buildID')
    build = server.getBuild(build_id, strict=True)
    mc = server.multicall()
    tags = mc.listTags(build['id'])
    rpms = mc.listBuildRPMs(build['id'])
    btype = mc.getBuildType(build['id'])
    logs = mc.getBuildLogs(build['id'])
    archives = mc.listArchives(buildID=build['id'], queryOpts={'order': 'filename'})
    task = mc.getTaskInfo(build['task_id'], request=True) if build['task_id'] else None
    changelog = mc.getChangelogEntries(build['id'], queryOpts={'limit': 3})
    mc.call_all(strict=True)
    values = {'build': build, 'tags': tags.result, 'task': task.result if task else None,
              'changelog': changelog.result}
    values['rpms'] = sorted(rpms.result, key=_rpm_sort)
    srpm = [r for r in rpms.result if r['arch'] == 'src']
    headers = {}
    if srpm:
        headers = server.getRPMHeaders(srpm[0]['id'], headers=[
            'summary', 'description', 'license', 'disturl', 'vcs']) or {}
    values['summary'] = headers.get('summary')
    values['description'] = headers.get('description')
    values['license'] = headers.get('license')
    values['disturl'] = headers.get('disturl')
    values['vcs'] = headers.get('vcs')
    by_type = {}
    for archive in archives.result:
        by_type.setdefault(archive['btype'], []).append(archive)
    values['archivesByType'] = sorted(by_type.items())
    typeinfo = btype.result or {}
    values['btypes'] = sorted(typeinfo.keys())
    values['mavenbuild'] = typeinfo.get('maven')
    module = ((build.get('extra') or {}).get('typeinfo') or {}).get('module') or {}
    values['module_id'] = module.get('module_build_service_id')
    values['mbs_web_url'] = req.opts.get('MBS_WEB_URL')
    values['module_tag'] = None
    if module.get('content_koji_tag'):
        values['module_tag'] = server.getTag(module['content_koji_tag'])
    logs_by_dir = {}
    for entry in logs.result or []:
        logs_by_dir.setdefault(entry.get('dir') or '', []).append(entry)
    values['logsByDir'] = sorted(logs_by_dir.items())
    values['filesURL'] = req.opts['KojiFilesURL']
    state = koji.BUILD_STATES[build['state']]
    values['stateName'] = state.lower()
    values['canCancel'] = (state == 'BUILDING' and bool(req.user)
                           and (req.is_admin() or req.user['id'] == build['owner_id']))
    values['estCompletion'] = None
    if state == 'BUILDING':
        avg = server.getAverageBuildDuration(build['package_id'])
        if avg and build.get('start_ts'):
            values['estCompletion'] = build['start_ts'] + avg
    values['pathinfo'] = koji.PathInfo(topdir=req.opts['KojiFilesURL'])
    values['basename'] = os.path.basename
    values['taskLabel'] = koji.taskLabel
    return req.render('buildinfo.chtml', values, koji.buildLabel(build) + ' | Build Info',
                      'builds')
