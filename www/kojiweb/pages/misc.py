"""The API listing and the reports index."""
from . import page


@page
def api(req):
    server = req.server
    methods = sorted(server._listapi(), key=lambda m: m['name'])
    try:
        version = server.getKojiVersion()
    except Exception:
        version = "Can't determine (older then 1.23)"
    values = {'methods': methods, 'koji_hub_url': req.opts['KojiHubURL'],
              'koji_version': version}
    return req.render('api.chtml', values, 'API', 'api')


@page
def reports(req):
    return req.render('reports.chtml', {}, 'Reports', 'reports')
