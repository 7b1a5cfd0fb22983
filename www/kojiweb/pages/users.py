"""The users list and one user's page (userinfo)."""
import koji

from kojiweb import paging

from . import page
from .builds import _prefix
from .packages import _lookup


@page
def users(req, order='name', start=None, prefix=None):
    server = req.server
    prefix = _prefix(prefix)
    values = {'prefix': prefix, 'prefixes': '0123456789abcdefghijklmnopqrstuvwxyz'}
    paging.paginate_method(server, values, 'listUsers', kw={'prefix': prefix}, start=start,
                           order=order, default_order='name', data_name='users')
    return req.render('users.chtml', values, 'Users', 'users')


@page
def userinfo(req, userID, packageOrder='package_name', packageStart=None,
             buildOrder='-completion_time', buildStart=None):
    server = req.server
    user = server.getUser(_lookup(userID), strict=True)
    values = {'user': user, 'userStatus': koji.USER_STATUS[user['status']].lower()}
    # the task count and both paged tables in one round trip
    mc = server.multicall()
    ntasks = mc.listTasks(opts={'owner': user['id'], 'parent': None},
                          queryOpts={'countOnly': True})
    pkgs = paging.queue_results(mc, values, 'listPackages',
                                kw={'userID': user['id'], 'with_dups': True},
                                start=packageStart, order=packageOrder,
                                default_order='package_name', data_name='packages',
                                prefix='package', page_size=10)
    builds = paging.queue_method(mc, values, 'listBuilds', kw={'userID': user['id']},
                                 start=buildStart, order=buildOrder,
                                 default_order='-completion_time', data_name='builds',
                                 prefix='build', page_size=10)
    mc.call_all(strict=True)
    values['taskCount'] = ntasks.result
    pkgs.finish()
    builds.finish()
    return req.render('userinfo.chtml', values, user['name'] + ' | User Info', 'users')
