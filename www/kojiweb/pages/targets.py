"""Build targets: the list and one target's page."""
import koji

from kojiweb import paging

from . import page


@page
def buildtargets(req, start=None, order='name'):
    values = {}
    paging.paginate_results(req.server, values, 'getBuildTargets', start=start, order=order,
                            default_order='name', data_name='targets')
    return req.render('buildtargets.chtml', values, 'Build Targets', 'buildtargets')


@page
def buildtargetinfo(req, targetID=None, name=None):
    server = req.server
    if targetID is not None:
        try:
            info = int(targetID)
        except ValueError:
            raise koji.GenericError('Invalid targetID: %s' % targetID)
    elif name is not None:
        info = name
    else:
        raise koji.GenericError('targetID or name must be provided')
    target = server.getBuildTarget(info)
    if target is None:
        raise koji.GenericError('No such build target: %s' % (targetID or name))
    mc = server.multicall()
    build_tag = mc.getTag(target['build_tag'])
    dest_tag = mc.getTag(target['dest_tag'])
    mc.call_all(strict=True)
    values = {'target': target, 'buildTag': build_tag.result, 'destTag': dest_tag.result}
    return req.render('buildtargetinfo.chtml', values,
                      target['name'] + ' | Build Target Info', 'buildtargets')
