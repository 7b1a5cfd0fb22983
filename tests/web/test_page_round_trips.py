"""Hub round trips of pages, in-process against a scripted hub (no servers started).

A tag's builds page asks for its lookups and its page of builds in one multicall when it
has nothing to check first; its errors stay those of the lookups.
"""
import os
import sys

import pytest

import koji
from koji.multicall import MultiCallSession

WWW = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'www')
for _path in (os.path.join(WWW, 'kojiweb'), os.path.join(WWW, 'lib')):
    if _path not in sys.path:
        sys.path.append(_path)

import pages  # noqa: E402

TAG = {'id': 5, 'name': 'dist-foo'}
USER = {'id': 7, 'name': 'alice'}
PACKAGE = {'id': 9, 'name': 'bash'}
BUILDS = [{'build_id': 3, 'nvr': 'bash-1-1'}, {'build_id': 2, 'nvr': 'bash-1-0'}]


class ScriptedHub(object):
    """Answers multiCall payloads from a table of methods; records each round trip."""

    multicall = False

    def __init__(self, faults=()):
        self.trips = []
        self.faults = dict(faults)

    def _callMethod(self, name, args, kwargs):
        assert name == 'multiCall'
        calls = args[0]
        self.trips.append([(c['methodName'], c['params']) for c in calls])
        return [self._answer(c['methodName'], c['params']) for c in calls]

    def _answer(self, method, params):
        if method in self.faults:
            return {'faultCode': 1000, 'faultString': self.faults[method]}
        if method == 'countAndFilterResults':
            return [[42, BUILDS]]
        return [{'getTag': TAG, 'getUser': USER, 'getPackage': PACKAGE,
                 'listBTypes': [{'id': 1, 'name': 'rpm'}, {'id': 2, 'name': 'maven'}],
                 'listUsers': [USER]}[method]]


class Req(object):
    def __init__(self, hub):
        self.server = self
        self.hub = hub
        self.rendered = None

    def multicall(self):
        return MultiCallSession(self.hub, strict=True)

    def render(self, template, values, title, page):
        self.rendered = values
        return ''


def run(faults=(), **params):
    hub = ScriptedHub(faults)
    req = Req(hub)
    pages.HANDLERS['builds'](req, **params)
    return hub.trips, req.rendered


def paged_call(trip):
    [call] = [params for method, params in trip if method == 'countAndFilterResults']
    return call


def test_tag_builds_in_one_round_trip():
    trips, values = run(tagID='5', packageID='9', userID='7', prefix='B', start='50')
    assert len(trips) == 1
    params = paged_call(trips[0])
    kw = params[-1]
    assert params[:2] == ('listTagged', 5)
    assert kw.pop('__starstar') is True
    assert kw == {'filterOpts': {'offset': 50, 'limit': 50, 'order': '-build_id'},
                  'package': 9, 'owner': 7, 'type': None, 'inherit': True, 'latest': True,
                  'prefix': 'b'}
    assert values['builds'] == BUILDS and values['totalBuilds'] == 42
    assert values['tag'] == TAG and values['user'] == USER and values['package'] == PACKAGE
    assert values['start'] == 50 and values['order'] == '-build_id'


@pytest.mark.parametrize('params', [
    {'tagID': '5', 'type': 'maven'},      # the type is checked against listBTypes first
    {'tagID': '5', 'userID': 'alice'},    # a name may be a Kerberos principal
])
def test_tag_builds_that_need_the_lookups_first(params):
    trips, values = run(**params)
    assert len(trips) == 2
    assert 'countAndFilterResults' not in [m for m, _ in trips[0]]
    params = paged_call(trips[1])
    assert params[:2] == ('listTagged', 5)
    assert values['builds'] == BUILDS


def test_lookup_faults_come_first():
    with pytest.raises(koji.GenericError, match='no such tag'):
        run(faults={'getTag': 'no such tag', 'countAndFilterResults': 'other'}, tagID='6')
    with pytest.raises(koji.GenericError, match='no such package'):
        run(faults={'getPackage': 'no such package'}, tagID='5', packageID='x')
    # a bad order is reported after the lookups, as before
    with pytest.raises(koji.GenericError, match='no such tag'):
        run(faults={'getTag': 'no such tag'}, tagID='6', order='bad order')
    with pytest.raises(koji.GenericError, match='Invalid order'):
        run(tagID='5', order='bad order')
