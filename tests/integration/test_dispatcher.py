"""The hub dispatcher over real HTTP, served by mod_wsgi-express (``hub_server`` fixture)."""
import contextlib
import os
import random
import textwrap
import xmlrpc.client

import pytest

import koji
from koji.xmlrpcplus import dumps
from tests.fixtures.hub import raw_post

psycopg2 = pytest.importorskip('psycopg2')

PLUGIN_SOURCE = '''
"""Test plugin: exports, callbacks and writes."""
import os

import koji
from koji.context import context
from koji.plugin import callback, export, export_as, export_in
from kojihub import InsertProcessor, get_event


def _log(text):
    with open(os.path.join(context.opts['KojiDir'], 'plugin-callbacks.log'), 'a') as fp:
        fp.write(text + '\\n')


@export
def pluginEcho(*args, **kw):
    """Echo with keywords."""
    return [list(args), kw]


@export_as('pluginRenamed')
def renamed():
    return 'renamed'


@export_in('testplug')
def whoami():
    return [context.session.user_id, context.method]


@export
def pluginAddPerm(name, fail=False):
    InsertProcessor('permissions', data={'name': name}).execute()
    if fail:
        raise koji.GenericError('failing after insert of %s' % name)
    return name


@export
def pluginEvents():
    return [get_event(), get_event()]


@callback('preCommit', 'postCommit')
def on_commit(cbtype, *args, **kw):
    _log('%s %s' % (cbtype, context.method))
'''


def fault_of(data):
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    return exc.value


def rpc(server, method, /, *args, headers=None, **kwargs):
    """Call and return the value, or the Fault instance (never raises for faults)."""
    params = list(args)
    if kwargs:
        params.append(dict(kwargs, __starstar=True))
    status, hdrs, data = raw_post(server.url, dumps(tuple(params), methodname=method),
                                  headers=headers() if callable(headers) else headers)
    assert status == 200, data
    assert hdrs['koji-version'] == koji.__version__
    assert hdrs['content-type'] == 'text/xml'
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault


def db_rows(server, sql, values=None):
    conn = psycopg2.connect(server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, values)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def add_user(server, name, password):
    db_rows(server, 'INSERT INTO users (name, password, status, usertype) '
                    'VALUES (%s, %s, 0, 0)', (name, password))


@contextlib.contextmanager
def hub_options(server, **opts):
    server.restart(opts)
    try:
        yield server
    finally:
        server.restart({})


# ---------------------------------------------------------------------------
# HTTP level

def test_get_is_405(hub_server):
    for method in ('GET', 'PUT', 'HEAD'):
        status, headers, data = raw_post(hub_server.url, b'', method=method)
        assert status == 405
        assert headers['allow'] == 'POST'
        assert headers['content-type'].startswith('text/plain')
        assert headers['koji-version'] == koji.__version__
        if method != 'HEAD':
            assert data == (b'Method Not Allowed\n'
                            b'This is an XML-RPC server. Only POST requests are accepted.\n')


def test_empty_and_unparseable(hub_server):
    status, headers, data = raw_post(hub_server.url, b'')
    assert (status, data) == (400, b'Invalid request: Empty request\n')
    assert headers['koji-version'] == koji.__version__
    assert headers['content-type'].startswith('text/plain')
    status, headers, data = raw_post(hub_server.url, b'<methodCall><methodName>hel')
    assert status == 400 and data.startswith(b'Invalid request: ')


def test_any_path_under_the_alias(hub_server):
    for suffix in ('', '/', '/ssllogin', '/anything/else'):
        status, _, data = raw_post(hub_server.url + suffix, dumps((), methodname='hello'))
        assert status == 200
        assert xmlrpc.client.loads(data)[0][0] == 'Hello World'


def test_basic_calls(hub_server):
    assert rpc(hub_server, 'hello') == 'Hello World'
    assert rpc(hub_server, 'hello', 1, 'two') == 'Hello World'
    assert rpc(hub_server, 'getAPIVersion') == 1
    assert rpc(hub_server, 'getKojiVersion') == koji.__version__
    assert rpc(hub_server, 'echo', 'a', None, [1, {'k': True}]) == ['a', None, [1, {'k': True}]]


def test_kwargs(hub_server):
    text = rpc(hub_server, 'system.methodHelp', method='hello')
    assert text.startswith('hello(*args)')
    rows = rpc(hub_server, 'filterResults', 'system.listMethods')
    assert 'hello' in rows
    # unknown keyword -> ParameterError
    fault = rpc(hub_server, 'getAPIVersion', verbose=True)
    assert fault.faultCode == 1019


def test_i8_values(hub_server):
    status, _, data = raw_post(hub_server.url, dumps((2 ** 40, -2 ** 62), methodname='echo'))
    assert b'<i8>1099511627776</i8>' in data
    assert xmlrpc.client.loads(data)[0][0] == [2 ** 40, -2 ** 62]
    body = ("<?xml version='1.0'?><methodCall><methodName>echo</methodName><params>"
            "<param><value><i8>9223372036854775807</i8></value></param>"
            "<param><value><int>-5</int></value></param></params></methodCall>")
    status, _, data = raw_post(hub_server.url, body)
    assert xmlrpc.client.loads(data)[0][0] == [2 ** 63 - 1, -5]
    # beyond 64 bits: refused as an argument no call can use
    body = body.replace('9223372036854775807', '99999999999999999999999')
    status, _, data = raw_post(hub_server.url, body)
    fault = fault_of(data)
    assert status == 200
    assert (fault.faultCode, fault.faultString) == (
        1019, 'Invalid argument: integer out of range')


def test_unknown_method_and_arg_counts(hub_server):
    fault = rpc(hub_server, 'noSuchMethod')
    assert (fault.faultCode, fault.faultString) == (1000, 'Invalid method: noSuchMethod')
    fault = rpc(hub_server, 'getAPIVersion', 1, 2)
    assert fault.faultCode == 1019
    assert rpc(hub_server, 'system.methodSignature').faultCode == 1019
    assert rpc(hub_server, 'showOpts', 1, 2, 3).faultCode == 1019
    # argument errors of the inner call made by count() are reported the same way
    assert rpc(hub_server, 'count', 'hello', x=1).faultCode == 1019


def test_fault_codes(hub_server):
    fault = rpc(hub_server, 'error')
    assert (fault.faultCode, fault.faultString) == (1000, 'test error')
    fault = rpc(hub_server, 'fault')
    assert (fault.faultCode, fault.faultString) == (1, "<class 'Exception'>: test exception")
    fault = rpc(hub_server, 'showOpts')
    assert fault.faultCode == 1004


def test_datetimes_are_strings(hub_server):
    headers = hub_server.login_headers()
    status, _, data = raw_post(hub_server.url, dumps((), methodname='getSessionInfo'),
                               headers=headers())
    assert b'dateTime.iso8601' not in data
    info = xmlrpc.client.loads(data)[0][0]
    assert isinstance(info['start_time'], str)
    # e.g. 2025-07-02 16:29:15.123456+00:00
    assert info['start_time'][10] == ' ' and info['start_time'][4] == '-'
    assert isinstance(info['start_ts'], float)


FUZZ_BODIES = [
    b'\x00\x01\x02\xff' * 50,
    b'<?xml version="1.0"?>',
    b'<methodCall/>',
    b'<methodCall><methodName></methodName></methodCall>',
    b'<methodCall><methodName>hello</methodName><params><param></param></params>'
    b'</methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><int>x</int>'
    b'</value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><base64>!!!'
    b'</base64></value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><dateTime.iso8601>'
    b'yesterday</dateTime.iso8601></value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><bogus>1</bogus>'
    b'</value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><struct><member>'
    b'<value><int>1</int></value></member></struct></value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><array><data>'
    b'</array></value></param></params></methodCall>',
    b'<methodResponse><params><param><value><int>1</int></value></param></params>'
    b'</methodResponse>',
    b'<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1'
    b'</int></value></member><member><name>faultString</name><value><string>x</string>'
    b'</value></member></struct></value></fault></methodResponse>',
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
    b'"&lol;&lol;&lol;&lol;">]><methodCall><methodName>echo</methodName><params><param>'
    b'<value><string>&lol2;</string></value></param></params></methodCall>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<methodCall><methodName>echo</methodName><params><param><value><string>&e;'
    b'</string></value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params>' +
    b'<param><value><array><data><value>' * 3000 + b'x' +
    b'</value></data></array></value></param>' * 3000 + b'</params></methodCall>',
    b'<methodCall><methodName>multiCall</methodName><params><param><value><int>5</int>'
    b'</value></param></params></methodCall>',
    b'<methodCall><methodName>multiCall</methodName><params><param><value><array><data>'
    b'<value><string>x</string></value><value><struct><member><name>methodName</name>'
    b'<value><int>3</int></value></member><member><name>params</name><value><int>3</int>'
    b'</value></member></struct></value></data></array></value></param></params>'
    b'</methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><struct><member>'
    b'<name>__starstar</name><value><boolean>1</boolean></value></member><member>'
    b'<name>not an identifier</name><value><int>1</int></value></member></struct>'
    b'</value></param></params></methodCall>',
    b'<methodCall><methodName>echo</methodName><params><param><value><double>nan'
    b'</double></value></param></params></methodCall>',
    '<methodCall><methodName>\u00e9cho</methodName></methodCall>'.encode('utf-8'),
    '<methodCall><methodName>echo</methodName><params><param><value><string>\u00e9'
    '</string></value></param></params></methodCall>'.encode('latin-1'),
]


def check_clean(status, headers, data):
    """A hub answer is either a 400 text or a well-formed XML-RPC reply, never a 500."""
    assert status in (200, 400), (status, data[:300])
    assert headers.get('koji-version') == koji.__version__
    if status == 400:
        assert data.startswith(b'Invalid request: ')
        return None
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as fault:
        assert isinstance(fault.faultCode, int)
        assert 'Traceback' not in fault.faultString
        return fault


@pytest.mark.parametrize('index', range(len(FUZZ_BODIES)))
def test_malformed_bodies(hub_server, index):
    status, headers, data = raw_post(hub_server.url, FUZZ_BODIES[index])
    check_clean(status, headers, data)


def test_random_mutations(hub_server):
    base = dumps(('text', 12, [1, 2.5, None], {'a': [True, 'x']},
                  {'__starstar': True, 'b': 1}), methodname='echo').encode('utf-8')
    rnd = random.Random(1234)
    for _ in range(150):
        body = bytearray(base)
        for _ in range(rnd.randint(1, 6)):
            pos = rnd.randrange(len(body))
            action = rnd.random()
            if action < 0.4:
                body[pos] = rnd.randrange(256)
            elif action < 0.7:
                del body[pos:pos + rnd.randint(1, 20)]
            else:
                body[pos:pos] = bytes(rnd.choice([b'<', b'>', b'&', b'"', b'\x00', b'<value>']))
        status, headers, data = raw_post(hub_server.url, bytes(body))
        check_clean(status, headers, data)
    # the server is still fine afterwards
    assert rpc(hub_server, 'hello') == 'Hello World'


def test_wrong_types_are_faults(hub_server):
    for method, args in [('system.methodHelp', [[1, 2]]), ('count', [5]),
                         ('filterResults', ['echo', {'filterOpts': 5, '__starstar': True}]),
                         ('filterResults', ['system.listMethods',
                                            {'filterOpts': {'order': 'x'},
                                             '__starstar': True}]),
                         ('getSessionInfo', ['x', 'y']), ('logout', ['abc'])]:
        status, headers, data = raw_post(hub_server.url, dumps(tuple(args), methodname=method))
        assert status == 200
        check_clean(status, headers, data)


# ---------------------------------------------------------------------------
# introspection

def test_introspection(hub_server):
    names = rpc(hub_server, 'system.listMethods')
    for name in ('_listapi', 'system.listMethods', 'system.methodSignature',
                 'system.methodHelp', 'hello', 'echo', 'login', 'sslLogin', 'logout',
                 'subsession', 'logoutChild', 'exclusiveSession', 'sharedSession',
                 'getLoggedInUser', 'showSession', 'getSessionInfo', 'count',
                 'filterResults', 'countAndFilterResults', 'showOpts', 'getKojiVersion'):
        assert name in names
    assert 'multiCall' not in names and 'system.multicall' not in names
    assert not [n for n in names if n.startswith('_') and n != '_listapi']
    api = rpc(hub_server, '_listapi')
    assert sorted(e['name'] for e in api) == sorted(names)
    by_name = {e['name']: e for e in api}
    assert by_name['hello']['argspec'] == [[], 'args', None, None, [], None, {}]
    assert by_name['hello']['argdesc'] == '(*args)'
    assert by_name['hello']['args'] == ['args']
    assert by_name['showOpts']['args'] == [['as_string', True]]
    assert by_name['showOpts']['argdesc'] == '(as_string=True)'
    assert by_name['count']['args'] == ['methodName', 'args', 'kw']
    assert by_name['system.methodHelp']['args'] == ['method']
    assert rpc(hub_server, 'system.methodSignature', 'hello') == 'signatures not supported'
    assert rpc(hub_server, 'system.methodHelp', 'nope') == ''
    help_text = rpc(hub_server, 'system.methodHelp', 'showOpts')
    assert help_text.startswith('showOpts(as_string=True)\ndescription: ')


# ---------------------------------------------------------------------------
# multicall

def test_multicall_encoding(hub_server):
    calls = [{'methodName': 'hello', 'params': []},
             {'methodName': 'error', 'params': []},
             {'methodName': 'echo', 'params': [1, 2]},
             {'methodName': 'nope', 'params': []},
             {'methodName': 'system.methodHelp', 'params': [{'method': 'hello',
                                                             '__starstar': True}]},
             {'methodName': 'multiCall',
              'params': [[{'methodName': 'echo', 'params': ['deep']},
                          {'methodName': 'fault', 'params': []}]]}]
    for name in ('multiCall', 'system.multicall'):
        result = rpc(hub_server, name, calls)
        assert result[0] == ['Hello World']
        assert result[1]['faultCode'] == 1000
        assert result[1]['faultString'] == 'test error'
        assert isinstance(result[1]['traceback'], list) and result[1]['traceback']
        assert result[2] == [[1, 2]]
        assert result[3]['faultString'] == 'Invalid method: nope'
        assert result[4][0].startswith('hello(*args)')
        inner = result[5][0]
        assert inner[0] == [['deep']]
        assert inner[1]['faultCode'] == 1
        assert inner[1]['faultString'] == 'test exception'
    assert rpc(hub_server, 'multiCall', []) == []


def test_client_session_multicall(hub_server):
    session = koji.ClientSession(hub_server.url)
    assert session.hello() == 'Hello World'
    assert session.hub_version_str == koji.__version__
    with session.multicall() as m:
        a = m.echo(1)
        b = m.getAPIVersion()
        c = m.error()
    assert a.result == [1]
    assert b.result == 1
    with pytest.raises(koji.GenericError):
        c.result


@pytest.fixture(scope='module')
def plugin_server(hub_server, tmp_path_factory):
    plugdir = tmp_path_factory.mktemp('hubplugins')
    (plugdir / 'testplug.py').write_text(textwrap.dedent(PLUGIN_SOURCE))
    os.chmod(str(plugdir), 0o755)
    hub_server.restart({'Plugins': 'testplug', 'PluginPath': '/nonexistent:%s' % plugdir})
    try:
        yield hub_server
    finally:
        hub_server.restart({})


def callback_log(server):
    path = os.path.join(server.topdir, 'plugin-callbacks.log')
    if not os.path.exists(path):
        return []
    with open(path) as fp:
        lines = fp.read().splitlines()
    os.unlink(path)
    return lines


def perm_names(server, prefix):
    rows = db_rows(server, 'SELECT name FROM permissions WHERE name LIKE %s ORDER BY name',
                   (prefix + '%',))
    return [r[0] for r in rows]


def test_plugin_exports(plugin_server):
    names = rpc(plugin_server, 'system.listMethods')
    for name in ('pluginEcho', 'pluginRenamed', 'testplug.whoami', 'pluginAddPerm'):
        assert name in names
    assert 'renamed' not in names and 'whoami' not in names and 'on_commit' not in names
    assert rpc(plugin_server, 'pluginEcho', 1, x=2) == [[1], {'x': 2}]
    assert rpc(plugin_server, 'pluginRenamed') == 'renamed'
    assert rpc(plugin_server, 'testplug.whoami') == [None, 'testplug.whoami']
    headers = plugin_server.login_headers()
    user_id, method = rpc(plugin_server, 'testplug.whoami', headers=headers)
    assert isinstance(user_id, int) and method == 'testplug.whoami'
    help_text = rpc(plugin_server, 'system.methodHelp', 'pluginEcho')
    assert help_text == 'pluginEcho(*args, **kw)\ndescription: Echo with keywords.'


def test_commit_callbacks_and_rollback(plugin_server):
    callback_log(plugin_server)
    assert rpc(plugin_server, 'hello') == 'Hello World'
    assert callback_log(plugin_server) == []
    assert rpc(plugin_server, 'pluginAddPerm', 'cbtest_one') == 'cbtest_one'
    assert callback_log(plugin_server) == ['preCommit pluginAddPerm',
                                           'postCommit pluginAddPerm']
    fault = rpc(plugin_server, 'pluginAddPerm', 'cbtest_two', fail=True)
    assert fault.faultString == 'failing after insert of cbtest_two'
    assert callback_log(plugin_server) == []
    assert perm_names(plugin_server, 'cbtest_') == ['cbtest_one']


def test_multicall_savepoints(plugin_server):
    callback_log(plugin_server)
    result = rpc(plugin_server, 'multiCall', [
        {'methodName': 'pluginAddPerm', 'params': ['mc_a']},
        {'methodName': 'pluginAddPerm', 'params': ['mc_b', {'fail': True,
                                                            '__starstar': True}]},
        {'methodName': 'pluginAddPerm', 'params': ['mc_c']},
        {'methodName': 'pluginAddPerm', 'params': ['mc_a']},   # duplicate -> db error
        {'methodName': 'multiCall', 'params': [[
            {'methodName': 'pluginAddPerm', 'params': ['mc_d']},
            {'methodName': 'pluginAddPerm', 'params': ['mc_e', {'fail': True,
                                                                '__starstar': True}]},
        ]]},
        {'methodName': 'pluginAddPerm', 'params': ['mc_f']},
    ])
    assert result[0] == ['mc_a']
    assert result[1]['faultString'] == 'failing after insert of mc_b'
    assert result[2] == ['mc_c']
    assert result[3]['faultCode'] == 1
    assert result[4][0][0] == ['mc_d']
    assert result[4][0][1]['faultCode'] == 1000
    assert result[5] == ['mc_f']
    assert perm_names(plugin_server, 'mc_') == ['mc_a', 'mc_c', 'mc_d', 'mc_f']
    # one commit for the whole multicall
    assert callback_log(plugin_server) == ['preCommit multiCall', 'postCommit multiCall']


def test_events_per_multicall_entry(plugin_server):
    one, two = rpc(plugin_server, 'pluginEvents')
    assert one == two
    result = rpc(plugin_server, 'multiCall', [{'methodName': 'pluginEvents', 'params': []},
                                              {'methodName': 'pluginEvents', 'params': []}])
    first, second = result[0][0], result[1][0]
    assert first[0] == first[1] and second[0] == second[1]
    assert first[0] != second[0]


def test_log_has_request_fields(plugin_server):
    headers = plugin_server.login_headers()
    rpc(plugin_server, 'error', headers=headers)
    log = plugin_server.read_log()
    assert 'm=error u=%s' % plugin_server.admin_user in log
    assert 'Call error failed: test error' in log


# ---------------------------------------------------------------------------
# offline, lockout, debugging options (each restarts the hub)

def test_server_offline(hub_server):
    with hub_options(hub_server, ServerOffline=True):
        fault = rpc(hub_server, 'hello')
        assert (fault.faultCode, fault.faultString) == (1014, 'server is offline')
        assert rpc(hub_server, 'login', 'a', 'b').faultCode == 1014
    with hub_options(hub_server, ServerOffline=True, OfflineMessage='gone fishing'):
        assert rpc(hub_server, 'hello').faultString == 'gone fishing'
    assert rpc(hub_server, 'hello') == 'Hello World'


def test_startup_errors(hub_server):
    with hub_options(hub_server, MaxJobs='lots'):
        fault = rpc(hub_server, 'hello')
        assert (fault.faultCode, fault.faultString) == (1014, 'server startup error')
        assert 'Hub startup failed' in hub_server.read_log()
    with hub_options(hub_server, Plugins='no_such_plugin', PluginPath=hub_server.workdir):
        fault = rpc(hub_server, 'hello')
        assert (fault.faultCode, fault.faultString) == (1014, 'configuration error')


def test_database_outage(hub_server):
    dsn = psycopg2.extensions.make_dsn(hub_server.dsn, dbname='no_such_db_for_koji_tests')
    with hub_options(hub_server, DBConnectionString=dsn):
        fault = rpc(hub_server, 'hello')
        assert (fault.faultCode, fault.faultString) == (1014, 'database outage')


def test_lockout(hub_server):
    add_user(hub_server, 'lockout_user', 'pw1')
    with hub_options(hub_server, LockOut=True):
        assert rpc(hub_server, 'hello').faultCode == 1014
        admin = hub_server.login_headers()
        assert rpc(hub_server, 'hello', headers=admin) == 'Hello World'
        assert rpc(hub_server, 'multiCall', [{'methodName': 'hello', 'params': []}],
                   headers=admin) == [['Hello World']]
        user = hub_server.login_headers('lockout_user', 'pw1')
        fault = rpc(hub_server, 'hello', headers=user)
        assert fault.faultCode == 1014
        assert rpc(hub_server, 'logout', headers=user) is None
        assert rpc(hub_server, 'logout', headers=admin) is None


def test_max_request_length(hub_server):
    with hub_options(hub_server, MaxRequestLength=1000):
        status, _, data = raw_post(hub_server.url, dumps(('x' * 2000,), methodname='echo'))
        assert (status, data) == (400, b'Invalid request: Request too long\n')
        assert rpc(hub_server, 'echo', 'x' * 500) == ['x' * 500]


def test_traceback_options(hub_server):
    with hub_options(hub_server, KojiTraceback='normal'):
        text = rpc(hub_server, 'fault').faultString
        assert text.startswith('Traceback (most recent call last)')
        assert 'Exception: test exception' in text
        assert rpc(hub_server, 'error').faultString == 'test error'
    with hub_options(hub_server, KojiTraceback='extended', KojiDebug=True):
        text = rpc(hub_server, 'fault').faultString
        assert 'Traceback' in text and 'test exception' in text
        fault = rpc(hub_server, 'error')
        assert fault.faultCode == 1000
        assert 'Traceback' in fault.faultString and 'test error' in fault.faultString


def test_memory_warning(hub_server):
    with hub_options(hub_server, MemoryWarnThreshold=1):
        assert rpc(hub_server, 'echo', 'y' * 3000000)[0] == 'y' * 3000000
        assert 'Memory usage of process' in hub_server.read_log()


# ---------------------------------------------------------------------------
# two servers, one database

def test_two_servers_share_state(hub_server_pair):
    first, second = hub_server_pair
    assert first.url != second.url
    headers = first.login_headers()
    # a session made through one server is good on the other (state is in the db)
    user = rpc(second, 'getLoggedInUser', headers=headers)
    assert user['name'] == first.admin_user
    assert rpc(first, 'createUser', 'stateless_user', headers=headers) > 0
    info = rpc(second, 'getUser', 'stateless_user')
    assert info['name'] == 'stateless_user'
    # call numbers are checked against the database, whichever process answers
    sid, key = headers()['Koji-Session-Id'], headers()['Koji-Session-Key']
    fixed = {'Koji-Session-Id': sid, 'Koji-Session-Key': key, 'Koji-Session-Callnum': '100'}
    assert rpc(first, 'createUser', 'stateless_two', headers=fixed) > 0
    assert rpc(second, 'createUser', 'stateless_three', headers=fixed).faultCode == 1009
    for server in (first, second):
        for _ in range(3):
            assert rpc(server, 'getUser', 'stateless_two')['name'] == 'stateless_two'
            assert rpc(server, 'getUser', 'stateless_three') is None
