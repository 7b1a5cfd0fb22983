"""The packages list and one package's page (packageinfo)."""
import koji

from kojiweb import paging, svg

from . import page
from .builds import _prefix


def _lookup(value):
    return int(value) if str(value).isdigit() else value


@page
def packages(req, tagID=None, userID=None, order='package_name', start=None, prefix=None,
             inherited='1', blocked='1'):
    server = req.server
    values = {}
    tag = server.getTag(_lookup(tagID), strict=True) if tagID else None
    user = server.getUser(_lookup(userID), strict=True) if userID else None
    prefix = _prefix(prefix)
    values.update(tag=tag, user=user, tagID=tagID, userID=userID, prefix=prefix,
                  inherited=inherited == '1', blocked=blocked == '1',
                  prefixes='0123456789abcdefghijklmnopqrstuvwxyz')
    kw = {'tagID': tag and tag['id'], 'userID': user and user['id'], 'prefix': prefix,
          'inherited': inherited == '1', 'with_blocked': blocked == '1'}
    paging.paginate_method(server, values, 'listPackages', kw=kw, start=start, order=order,
                           default_order='package_name', data_name='packages')
    return req.render('packages.chtml', values, 'Packages', 'packages')


@page
def packageinfo(req, packageID, tagOrder='name', tagStart=None, buildOrder='-completion_time',
                buildStart=None):
    server = req.server
    package = server.getPackage(_lookup(packageID))
    if package is None:
        raise koji.GenericError('No such package ID: %s' % packageID)
    values = {'package': package}
    # both paged tables in one round trip
    mc = server.multicall()
    tags = paging.queue_method(mc, values, 'listTags', kw={'package': package['id']},
                               start=tagStart, order=tagOrder, default_order='name',
                               data_name='tags', prefix='tag')
    builds = paging.queue_method(mc, values, 'listBuilds', kw={'packageID': package['id']},
                                 start=buildStart, order=buildOrder,
                                 default_order='-completion_time', data_name='builds',
                                 prefix='build')
    mc.call_all(strict=True)
    tags.finish()
    builds.finish()
    # the builds on this page, over time
    values['durationsSVG'] = svg.build_durations(values['builds'])
    return req.render('packageinfo.chtml', values, package['name'] + ' | Package Info',
                      'packages')
