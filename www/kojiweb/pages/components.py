"""Lists of a buildroot's or image's rpms and archives, buildroots of a repo, and one
external repo."""
import koji

from kojiweb import paging

from . import page
from .tasks import _int_param


def _source(req, type, buildrootID, imageID):
    """(buildroot, image, list kwargs) for rpmlist/archivelist."""
    server = req.server
    if type not in ('component', 'built', 'image'):
        raise koji.GenericError('Invalid type: %s' % type)
    if type == 'image':
        if imageID is None:
            raise koji.GenericError('imageID must be provided with type=image')
        image = server.getArchive(_int_param(imageID, 'imageID'), strict=True)
        return None, image, {'imageID': image['id']}
    if buildrootID is None:
        raise koji.GenericError('buildrootID must be provided')
    br = server.getBuildroot(_int_param(buildrootID, 'buildrootID'))
    if br is None:
        raise koji.GenericError('unknown buildroot ID: %s' % buildrootID)
    key = 'componentBuildrootID' if type == 'component' else 'buildrootID'
    return br, None, {key: br['id']}


@page
def rpmlist(req, type, buildrootID=None, imageID=None, start=None, order='nvr'):
    br, image, kw = _source(req, type, buildrootID, imageID)
    values = {'type': type, 'buildroot': br, 'image': image}
    paging.paginate_method(req.server, values, 'listRPMs', kw=kw, start=start, order=order,
                           default_order='nvr', data_name='rpms')
    return req.render('rpmlist.chtml', values, 'RPM List', 'hosts')


@page
def archivelist(req, type, buildrootID=None, imageID=None, start=None, order='filename'):
    br, image, kw = _source(req, type, buildrootID, imageID)
    values = {'type': type, 'buildroot': br, 'image': image}
    paging.paginate_method(req.server, values, 'listArchives', kw=kw, start=start,
                           order=order, default_order='filename', data_name='archives')
    return req.render('archivelist.chtml', values, 'Archive List', 'hosts')


@page
def buildroots(req, repoID=None, order='id', start=None, state=None):
    kw = {}
    if repoID:
        kw['repoID'] = _int_param(repoID, 'repoID')
    if state in (None, '', 'all'):
        state = None
    else:
        state = _int_param(state, 'state')
        kw['state'] = state
    values = {'repoID': repoID, 'state': state,
              'states': sorted(koji.BR_STATES.items(), key=lambda i: i[1])}
    paging.paginate_method(req.server, values, 'listBuildroots', kw=kw, start=start,
                           order=order, default_order='id', data_name='buildroots')
    return req.render('buildroots.chtml', values, 'Buildroots', 'buildroots')


@page
def externalrepoinfo(req, extrepoID):
    server = req.server
    ident = int(extrepoID) if str(extrepoID).isdigit() else extrepoID
    repo = server.getExternalRepo(ident, strict=True)
    values = {'extRepo': repo, 'repoTags': server.getTagExternalRepos(repo_info=repo['id'])}
    return req.render('externalrepoinfo.chtml', values, repo['name'] + ' | External Repo Info',
                      'tags')
