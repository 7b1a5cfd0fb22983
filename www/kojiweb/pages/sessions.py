"""The current user's active hub sessions, and logging one of them out."""
import koji

from kojiweb import paging
from kojiweb.request import Redirect

from . import page
from .tasks import _int_param


@page
def activesession(req, start=None, order=None):
    values = {'sessions': []}
    data = []
    if req.user:
        # the hub answers this for a logged-in session only
        req.proxy_login(req.username)
        data = req.server.getSessionInfo(details=True, user_id=req.user['id']) or []
        for item in data:
            item['authtype_name'] = koji.AUTHTYPES.get(item.get('authtype'), '')
            start_ts = item.get('start_ts') or item.get('start_time')
            item['start'] = start_ts
    paging.paginate_list(values, data, start=start, order=order, default_order='-id',
                         data_name='sessions')
    return req.render('activesession.chtml', values, 'Active sessions', 'activesession')


@page
def activesessiondelete(req, sessionID):
    req.assert_login()
    req.server.logout(session_id=_int_param(sessionID, 'sessionID'))
    raise Redirect('activesession')
