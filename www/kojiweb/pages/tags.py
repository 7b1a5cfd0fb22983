"""The tags list and one tag's page (taginfo), deleted tags included."""
import koji

from kojiweb import paging

from . import page
from .packages import _lookup

MAX_DEPTH = 7


@page
def tags(req, start=None, order=None, childID=None):
    server = req.server
    values = {'childID': childID, 'child': None}
    if childID:
        values['child'] = server.getTag(_lookup(childID), strict=True)
    paging.paginate_method(server, values, 'listTags', start=start, order=order,
                           default_order='name', data_name='tags')
    return req.render('tags.chtml', values, 'Tags', 'tags')


@page
def taginfo(req, tagID, all='0', packageOrder='package_name', packageStart=None,
            buildOrder='-completion_time', buildStart=None, childID=None):
    server = req.server
    tag = server.getTag(_lookup(tagID), strict=True, event='auto')
    values = {'tag': tag}
    if tag.get('revoke_event'):
        values['delete_ts'] = server.getEvent(tag['revoke_event'])['ts']
        return req.render('taginfo_deleted.chtml', values, tag['name'] + ' | Tag Info',
                          'tags')
    mc = server.multicall()
    npkgs = mc.count('listPackages', tagID=tag['id'], inherited=True, with_owners=False,
                     with_blocked=False)
    npkgs_all = mc.count('listPackages', tagID=tag['id'], inherited=True, with_owners=False)
    nbuilds = mc.count('listTagged', tag=tag['id'], inherit=True)
    inheritance = mc.getFullInheritance(tag['id'])
    src_targets = mc.getBuildTargets(buildTagID=tag['id'])
    dest_targets = mc.getBuildTargets(destTagID=tag['id'])
    repo = mc.getRepo(tag['id'], state=koji.REPO_READY)
    ext_repos = mc.getExternalRepoList(tag['id'])
    perms = mc.getAllPerms()
    nrequests = mc.repo.queryQueue([['tag_id', '=', tag['id']]], opts={'countOnly': True})
    child = mc.getTag(_lookup(childID), strict=True) if childID else None
    mc.call_all(strict=True)
    values['requestCount'] = nrequests.result
    values['numPackages'] = npkgs.result
    values['numPackagesBlocked'] = npkgs_all.result
    values['numBuilds'] = nbuilds.result
    show_all = all == '1'
    rows = []
    for link in inheritance.result:
        if not show_all and link['currdepth'] > MAX_DEPTH:
            continue
        rows.append(link)
    values['inheritance'] = rows
    values['truncated'] = len(rows) < len(inheritance.result)
    values['all'] = show_all
    values['srcTargets'] = sorted(src_targets.result, key=lambda t: t['name'])
    values['destTargets'] = sorted(dest_targets.result, key=lambda t: t['name'])
    values['repo'] = repo.result
    values['external_repos'] = ext_repos.result
    permnames = {p['id']: p['name'] for p in perms.result}
    values['permName'] = permnames.get(tag['perm_id']) if tag['perm_id'] else None
    values['child'] = child.result if child else None
    values['extra'] = sorted((tag.get('extra') or {}).items())
    return req.render('taginfo.chtml', values, tag['name'] + ' | Tag Info', 'tags')
