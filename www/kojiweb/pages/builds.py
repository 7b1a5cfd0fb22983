"""The builds list and one build's page (buildinfo)."""
import os

import koji

from kojiweb import paging, svg

from . import page
from .tasks import _int_param


def _lookup(value):
    return int(value) if str(value).isdigit() else value


def _prefix(value):
    """The first character, lowercased, if it is one of the prefix letters."""
    if value:
        value = value.lower()[0]
        if value in '0123456789abcdefghijklmnopqrstuvwxyz':
            return value
    return None


def _valid_order(order):
    try:
        paging.check_order(order, None)
    except koji.GenericError:
        return False
    return True


@page
def builds(req, userID=None, tagID=None, packageID=None, state=None, order='-build_id',
           start=None, prefix=None, inherited='1', latest='1', type=None):
    server = req.server
    values = {}
    # the lookups, the build types and the users of the filter in one round trip
    mc = server.multicall()
    user = mc.getUser(_lookup(userID), strict=True) if userID else None
    tag = mc.getTag(_lookup(tagID), strict=True) if tagID else None
    package = mc.getPackage(_lookup(packageID), strict=True) if packageID else None
    btypes = mc.listBTypes()
    users = mc.listUsers(queryOpts={'order': 'name'})
    prefix = _prefix(prefix)
    tagged = None
    by_name = userID and not str(userID).isdigit()
    if tagID and not type and not by_name and _valid_order(order):
        # nothing to check first: a tag's page of builds comes in the same round trip (the
        # lookups before it fail first, as they would on their own); a user given by name
        # may be found by Kerberos principal, so that needs the lookup's answer first
        kw = {'package': _lookup(packageID) if packageID else None,
              'owner': _lookup(userID) if userID else None, 'type': None,
              'inherit': inherited == '1', 'latest': latest == '1', 'prefix': prefix}
        tagged = paging.queue_results(mc, values, 'listTagged', args=(_lookup(tagID),),
                                      kw=kw, start=start, order=order,
                                      default_order='-build_id', data_name='builds')
    mc.call_all(strict=True)
    user, tag, package = [c.result if c else None for c in (user, tag, package)]
    if state == 'all' or state is None:
        state = None
    else:
        state = int(state)
    btypes = sorted(b['name'] for b in btypes.result)
    if type not in btypes:
        type = None
    values.update(user=user, tag=tag, package=package, state=state, prefix=prefix,
                  inherited=inherited == '1', latest=latest == '1', type=type,
                  btypes=btypes, userID=userID, tagID=tagID, packageID=packageID,
                  users=users.result,
                  buildStates=sorted(koji.BUILD_STATES.items(), key=lambda i: i[1]),
                  prefixes='0123456789abcdefghijklmnopqrstuvwxyz')
    if tagged is not None:
        tagged.finish()
    elif tag:
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


DURATION_BUILDS = 30
RPM_HEADERS = ['summary', 'description', 'license', 'disturl', 'vcs']


def _archive_url(pathinfo, build, btype, archive):
    """(label, download URL) of an archive, by build type."""
    if btype == 'maven':
        return archive['filename'], '/'.join([pathinfo.mavenbuild(build),
                                              pathinfo.mavenfile(archive)])
    if btype == 'win':
        return pathinfo.winfile(archive), '/'.join([pathinfo.winbuild(build),
                                                    pathinfo.winfile(archive)])
    if btype == 'image':
        return archive['filename'], '/'.join([pathinfo.imagebuild(build),
                                              archive['filename']])
    return archive['filename'], '/'.join([pathinfo.typedir(build, btype),
                                          archive['filename']])


def _srpm_task_headers(server, task, values):
    """Headers and changelog of an unfinished build, from its buildSRPMFromSCM task."""
    srpm_tasks = server.listTasks(opts={'parent': task['id'], 'method': 'buildSRPMFromSCM'})
    if not srpm_tasks or srpm_tasks[0]['state'] != koji.TASK_STATES['CLOSED']:
        return
    srpm_task = srpm_tasks[0]
    path = next((o for o in server.listTaskOutput(srpm_task['id'])
                 if o.endswith('.src.rpm')), None)
    if not path:
        return
    headers = server.getRPMHeaders(taskID=srpm_task['id'], filepath=path,
                                   headers=RPM_HEADERS)
    if headers:
        for key in RPM_HEADERS:
            values[key] = koji.fixEncoding(headers.get(key))
    changelog = server.getChangelogEntries(taskID=srpm_task['id'], filepath=path)
    if changelog:
        values['changelog'] = changelog


@page
def buildinfo(req, buildID):
    server = req.server
    build_id = _int_param(buildID, 'buildID')
    try:
        build = server.getBuild(build_id, strict=True)
    except koji.GenericError:
        raise koji.GenericError('No such build ID: %i' % build_id)
    topurl = req.opts['KojiFilesURL']
    pathinfo = koji.PathInfo(topdir=topurl)
    mc = server.multicall()
    tags = mc.listTags(build['id'])
    rpms = mc.listBuildRPMs(build['id'])
    btype = mc.getBuildType(build['id'])
    logs = mc.getBuildLogs(build['id'])
    archives = mc.listArchives(buildID=build['id'], queryOpts={'order': 'filename'})
    task = mc.getTaskInfo(build['task_id'], request=True) if build.get('task_id') else None
    history = mc.listBuilds(packageID=build['package_id'],
                            queryOpts={'order': '-build_id', 'limit': DURATION_BUILDS})
    mc.call_all(strict=True)
    values_chart = svg.build_durations(history.result, current=build['id'])
    typeinfo = btype.result or {}
    values = {'build': build, 'task': task.result if task else None, 'changelog': None}
    values['durationsSVG'] = values_chart
    values['durationCount'] = len(history.result)
    for key in RPM_HEADERS:
        values[key] = None
    values['tags'] = sorted(tags.result, key=lambda t: t['name'])
    plain = sorted([r for r in rpms.result if not koji.is_debuginfo(r['name'])],
                   key=lambda r: r['name'])
    debug = sorted([r for r in rpms.result if koji.is_debuginfo(r['name'])],
                   key=lambda r: r['name'])
    by_arch = {}
    for rpm in plain + debug:
        by_arch.setdefault(rpm['arch'], []).append(rpm)
    values['rpmsByArch'] = sorted(by_arch.items(), key=lambda i: (i[0] != 'src', i[0]))
    if 'src' in by_arch:
        srpm = by_arch['src'][0]
        headers = server.getRPMHeaders(srpm['id'], headers=RPM_HEADERS) or {}
        for key in RPM_HEADERS:
            values[key] = koji.fixEncoding(headers.get(key))
        values['changelog'] = server.getChangelogEntries(build['id'])
    if values['task'] and build['state'] != koji.BUILD_STATES['COMPLETE']:
        _srpm_task_headers(server, values['task'], values)
    index = {}
    for archive in archives.result:
        kind = archive['btype']
        archive['display'], archive['dl_url'] = _archive_url(pathinfo, build, kind, archive)
        ext = os.path.splitext(archive['filename'])[1][1:]
        index.setdefault(kind, {}).setdefault(ext, []).append(archive)
    values['archiveIndex'] = sorted((kind, sorted(exts.items()))
                                    for kind, exts in index.items())
    logs_by_dir = {}
    for entry in logs.result or []:
        entry['dl_url'] = '%s/%s' % (topurl, entry['path'])
        logdir = '' if entry.get('dir') == '.' else (entry.get('dir') or '')
        logs_by_dir.setdefault(logdir, []).append(entry)
    values['logsByDir'] = sorted(logs_by_dir.items())
    values['start_ts'] = build.get('start_ts') or build.get('creation_ts')
    if ('maven' in typeinfo or 'win' in typeinfo) and values['task']:
        values['start_ts'] = values['task']['start_ts']
    values['mavenbuild'] = typeinfo.get('maven')
    values['module_id'] = values['module_tag'] = None
    values['mbs_web_url'] = req.opts.get('MBS_WEB_URL')
    if 'module' in typeinfo:
        module = typeinfo['module'] or {}
        if module.get('content_koji_tag'):
            values['module_tag'] = server.getTag(module['content_koji_tag'], event='auto')
        values['module_id'] = module.get('module_build_service_id')
    state = koji.BUILD_STATES[build['state']]
    values['stateName'] = state.lower()
    values['canCancel'] = (state == 'BUILDING' and bool(req.user)
                           and (req.is_admin() or req.user['id'] == build['owner_id']))
    values['estCompletion'] = None
    if state == 'BUILDING':
        avg = server.getAverageBuildDuration(build['package_id'])
        if avg is not None and build.get('creation_ts'):
            values['estCompletion'] = build['creation_ts'] + avg
    values['pathinfo'] = pathinfo
    values['taskLabel'] = koji.taskLabel
    return req.render('buildinfo.chtml', values, koji.buildLabel(build) + ' | Build Info',
                      'builds')
