"""Bad arguments over real HTTP: clean Koji faults with short messages, never faultCode 1.

Also: every ``host.*`` call refuses callers that are not build hosts, with the fault
upstream's Host() check gives, and argument errors name upstream's functions.
"""
import xmlrpc.client

import pytest

from tests.fixtures.hub import raw_post

PLAIN_USER = 'plainuser'
PLAIN_PASSWORD = 'plain-pw'


class WideMarshaller(xmlrpc.client.Marshaller):
    """Writes any int (also past 64 bits) and floats like inf as Python prints them."""

    dispatch = dict(xmlrpc.client.Marshaller.dispatch)

    def dump_wide_int(self, value, write):
        write('<value><i8>%d</i8></value>\n' % value)

    dispatch[int] = dump_wide_int


def body(method, args, kwargs=None):
    params = list(args)
    if kwargs:
        params.append(dict(kwargs, __starstar=True))
    marshaller = WideMarshaller('utf-8', allow_none=True)
    return ("<?xml version='1.0'?><methodCall><methodName>%s</methodName>%s</methodCall>"
            % (method, marshaller.dumps(tuple(params))))


def fault(hub_server, method, *args, headers=None, **kwargs):
    """The fault a call gives (fails the test if the call succeeds or the reply is bad)."""
    status, _, data = raw_post(hub_server.url, body(method, args, kwargs),
                               headers=headers() if callable(headers) else headers)
    assert status == 200, data[:300]
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    return exc.value.faultCode, exc.value.faultString


@pytest.fixture(scope='module')
def admin(hub_server):
    return hub_server.login_headers()


@pytest.fixture(scope='module')
def plain(hub_server, admin):
    status, _, data = raw_post(hub_server.url, body('createUser', [PLAIN_USER]),
                               headers=admin())
    user_id = xmlrpc.client.loads(data)[0][0]
    hub_server.set_password(PLAIN_USER, PLAIN_PASSWORD)
    return user_id, hub_server.login_headers(PLAIN_USER, PLAIN_PASSWORD)


def _required_args(spec):
    """Placeholder values for the parameters without defaults."""
    count = 0
    for arg in spec['args']:
        if isinstance(arg, str) and arg not in (spec['argspec'][1], spec['argspec'][2]):
            count += 1
    return [None] * count


def test_every_host_call_needs_a_host(hub_server, plain):
    user_id, headers = plain
    specs = {entry['name']: entry for entry in hub_server.call('_listapi')}
    host_calls = sorted(name for name in hub_server.call('system.listMethods')
                        if name.startswith('host.'))
    assert 'host.writeSignedRPM' in host_calls and 'host.getID' in host_calls
    for name in host_calls:
        args = _required_args(specs[name])
        assert fault(hub_server, name, *args) == (1002, 'Not logged-in'), name
        assert fault(hub_server, name, *args, headers=headers) == (
            1002, 'User %i is not a host' % user_id), name


def test_write_signed_rpm_needs_a_host(hub_server, admin):
    # even an admin: host.* is for build hosts (the root call writeSignedRPM is not)
    code, text = fault(hub_server, 'host.writeSignedRPM', 'bash-1-1.noarch', 'abcd1234',
                       headers=admin)
    assert (code, text) == (1002, 'User 1 is not a host')


def test_maven_host_call_checks_the_host_first(hub_server):
    # EnableMaven is off on the test hub: the host check still comes first
    assert fault(hub_server, 'host.updateMavenBuildRootList', 1, 2, []) == (
        1002, 'Not logged-in')


@pytest.mark.parametrize('method, args, kwargs', [
    ('listTags', [None, None, True, -1], {}),
    ('listTagged', ['robust-tag'], {'prefix': -1}),
    ('listBuilds', [], {'taskID': True}),
    ('listBuilds', [], {'taskID': ''}),
    ('login', [0], {}),
    ('getTaskInfo', [float('inf')], {}),
    ('getTaskInfo', [float('nan')], {}),
    ('checkUpload', ['up', 'x' * 5000], {}),
    ('listTasks', [True], {}),
    ('echo', [2 ** 70], {}),
    ('count', [['listTags']], {}),
    ('repo.query', [[['id', '=', 1]]], {'fields': 2.5}),
    ('queryHistory', [], {'tables': True}),
    ('queryHistory', [], {'queryOpts': True}),
    ('getChangelogEntries', [], {'taskID': {'a': 1}, 'filepath': 'x'}),
])
def test_bad_arguments_anonymous(hub_server, admin, method, args, kwargs):
    raw_post(hub_server.url, body('createTag', ['robust-tag']), headers=admin())
    code, text = fault(hub_server, method, *args, **kwargs)
    assert code in (1000, 1002, 1004, 1019), (code, text)
    assert len(text) < 300 and 'Traceback' not in text and '<class' not in text


@pytest.mark.parametrize('method, args, kwargs', [
    ('addHost', ['robust-host', 0], {}),
    ('addHost', ['robust-host', None], {}),
    ('addHost', ['h' * 200, ['x86_64']], {}),
    ('createUser', ['robust-user', True], {}),
    ('checkUpload', ['up', 'x' * 5000], {}),
    ('editHost', ['robust-host2'], {'capacity': 0.5}),
    ('makeTask', [], {}),
    ('listArchives', [], {'type': []}),
    ('getArchiveType', [{'x': 1}], {}),
    ('uploadFile', ['up', 'a', 1, None, 0, {}], {}),
    ('mergeScratch', [[1]], {}),
])
def test_bad_arguments_admin(hub_server, admin, method, args, kwargs):
    raw_post(hub_server.url, body('addHost', ['robust-host2', ['x86_64']]), headers=admin())
    code, text = fault(hub_server, method, *args, headers=admin, **kwargs)
    assert code in (1000, 1019), (code, text)
    assert len(text) < 300 and 'Traceback' not in text and '<class' not in text


def test_callnum_out_of_range(hub_server):
    sinfo = hub_server.call('login', hub_server.admin_user, hub_server.admin_password)
    headers = {'Koji-Session-Id': str(sinfo['session-id']),
               'Koji-Session-Key': sinfo['session-key'],
               'Koji-Session-Callnum': str(2 ** 31)}
    assert fault(hub_server, 'getLoggedInUser', headers=headers) == (
        1002, "Invalid callnum: '2147483648'")


def test_deep_array(hub_server):
    deep = ('<array><data><value>' * 500 + '<int>1</int>' + '</value></data></array>' * 500)
    text = ("<?xml version='1.0'?><methodCall><methodName>echo</methodName><params>"
            "<param><value>%s</value></param></params></methodCall>" % deep)
    status, _, data = raw_post(hub_server.url, text)
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    assert (exc.value.faultCode, exc.value.faultString) == (
        1019, 'Invalid argument: nested more than 100 levels deep')


def test_raw_upload_offset_out_of_range(hub_server, admin):
    status, _, data = raw_post(hub_server.url + '?filename=a&filepath=up/o&offset=%d'
                               % 2 ** 70, b'x', headers=dict(
                                   admin(), **{'Content-Type': 'application/octet-stream'}))
    assert status == 200
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    assert (exc.value.faultCode, exc.value.faultString) == (
        1000, 'Invalid upload offset: %d' % 2 ** 70)


@pytest.mark.parametrize('method, args, kwargs, expected', [
    # upstream's RootExports methods, with Python's wording (self counts)
    ('getTaskInfo', [1, 2, 3, 4], {},
     'RootExports.getTaskInfo() takes from 2 to 4 positional arguments but 5 were given'),
    ('echo', [], {'foo': 1}, "RootExports.echo() got an unexpected keyword argument 'foo'"),
    ('importRPM', [1, 2, 3], {},
     'RootExports.importRPM() takes 3 positional arguments but 4 were given'),
    # upstream's class-level aliases of module functions
    ('getBuild', [1, 2, 3], {},
     'get_build() takes from 1 to 2 positional arguments but 3 were given'),
    ('listTags', [], {'nosuch': 1}, "list_tags() got an unexpected keyword argument 'nosuch'"),
    ('getRepo', [], {}, "old_get_repo() missing 1 required positional argument: 'tag'"),
    # the other facades
    ('host.getID', [1], {}, 'HostExports.getID() takes 1 positional argument but 2 were given'),
    ('repo.references', [], {},
     "RepoExports.references() missing 1 required positional argument: 'repo_id'"),
    ('multiCall', [], {},
     "ModXMLRPCRequestHandler.multiCall() missing 1 required positional argument: 'calls'"),
])
def test_argument_errors_name_upstream(hub_server, method, args, kwargs, expected):
    assert fault(hub_server, method, *args, **kwargs) == (1019, expected)


def test_unknown_order_is_upstreams_bare_exception(hub_server):
    assert fault(hub_server, 'listTags', queryOpts={'order': 'bogus'}) == (
        1, "<class 'Exception'>: Invalid order: bogus")
