"""Search: the form, its results, and the jump to the info page of a single match."""
import re

import koji

from kojiweb import paging
from kojiweb.request import Redirect

from . import page

INFO_PAGES = {
    'package': ('packageinfo', 'packageID'), 'build': ('buildinfo', 'buildID'),
    'tag': ('taginfo', 'tagID'), 'target': ('buildtargetinfo', 'targetID'),
    'user': ('userinfo', 'userID'), 'host': ('hostinfo', 'hostID'),
    'rpm': ('rpminfo', 'rpmID'), 'maven': ('archiveinfo', 'archiveID'),
    'win': ('archiveinfo', 'archiveID'),
}
LABELS = [('package', 'Packages'), ('build', 'Builds'), ('tag', 'Tags'),
          ('target', 'Build Targets'), ('user', 'Users'), ('host', 'Hosts'),
          ('rpm', 'RPMs'), ('maven', 'Maven Artifacts'), ('win', 'Windows Artifacts')]


@page
def search(req, start=None, order=None, terms=None, type=None, match='glob'):
    server = req.server
    values = {'terms': '', 'type': type, 'match': match, 'error': None,
              'results': None, 'labels': LABELS}
    if terms:
        terms = terms.strip()
        values['terms'] = terms
        if match not in ('glob', 'regexp', 'exact'):
            raise koji.GenericError('No such match type: %r' % (match,))
        if match == 'regexp':
            try:
                re.compile(terms)
            except re.error:
                values['error'] = 'Invalid regular expression'
                values['terms'] = ''
                return req.render('search.chtml', values, 'Search', 'search')
        if type not in INFO_PAGES:
            raise koji.GenericError('unknown search type: %s' % type)
        default = '-id' if type in ('build', 'rpm', 'maven', 'win') else 'name'
        results = paging.paginate_method(server, values, 'search', args=(terms, type, match),
                                         start=start, order=order, default_order=default,
                                         data_name='results')
        if not start and len(results) == 1:
            page_name, key = INFO_PAGES[type]
            raise Redirect('%s?%s=%i' % (page_name, key, results[0]['id']))
        values['infoPage'] = INFO_PAGES[type]
    return req.render('search.chtml', values, 'Search', 'search')
