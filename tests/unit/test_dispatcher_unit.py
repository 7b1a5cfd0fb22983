"""The hub WSGI dispatcher in-process, with a fake database connection and session.

The same behaviour is checked over real HTTP in tests/integration/test_dispatcher.py;
here we reach the corners that are awkward from outside (timeouts, commit hooks,
savepoint statements, startup failures).
"""
import datetime
import io
import logging
import socket
import xmlrpc.client

import pytest

import koji
import koji.plugin
from koji.context import context
from koji.xmlrpcplus import dumps
from kojihub.core import config as hubconfig
from kojihub.core import dispatcher
from kojihub.api.misc import MiscExports
from kojihub.core.registry import HandlerRegistry


class FakeCursor(object):
    def __init__(self, log):
        self.log = log

    def execute(self, sql, values=None, log_errors=True):
        self.log.append(sql)

    def close(self):
        pass


class FakeCnx(object):
    def __init__(self):
        self.sql = []
        self.commits = 0
        self.rollbacks = 0

    def cursor(self):
        return FakeCursor(self.sql)

    def commit(self):
        self.sql.append('COMMIT')
        self.commits += 1

    def rollback(self):
        self.sql.append('ROLLBACK')
        self.rollbacks += 1

    def close(self):
        pass


class FakeSession(object):
    def __init__(self, admin=False):
        self.logged_in = admin
        self.admin = admin
        self.user_id = 1 if admin else None
        self.user_data = {'name': 'boss'} if admin else {}
        self.id = 7 if admin else None
        self.callnum = 3 if admin else None

    def hasPerm(self, name):
        return self.admin

    def assertPerm(self, name):
        if not self.admin:
            raise koji.ActionNotAllowed('%s permission required' % name)


class TestCalls(MiscExports):
    """Extra calls for exercising transactions."""

    def write(self, value=None):
        context.commit_pending = True
        return value

    def unmarshallable(self):
        return {1: 2}

    def writeThenFail(self):
        context.commit_pending = True
        raise koji.GenericError('failed after writing')

    def event(self):
        if getattr(context, 'event_id', None) is None:
            context.event_id = len(EVENTS) + 100
            EVENTS.append(context.event_id)
        return context.event_id

    def when(self):
        return datetime.datetime(2025, 7, 2, 16, 29, 15, 123456,
                                 tzinfo=datetime.timezone.utc)

    def boom(self):
        secret_local = 'visible-in-extended'  # noqa: F841
        raise ValueError('kaboom')

    def raw_fault(self):
        raise xmlrpc.client.Fault(4242, 'stored fault')

    def control_chars(self, plain=False):
        text = 'bad \x00\x01 \xff \ufffe end'
        if plain:
            raise ValueError(text)
        raise koji.GenericError(text)

    def login(self, *args):
        return 'logged in'


EVENTS = []


@pytest.fixture
def hub(monkeypatch):
    """Patch the dispatcher to a fake state; returns a helper object."""
    state = dispatcher.HubState()
    state.opts = hubconfig.postprocess(hubconfig.default_options())
    state.registry = HandlerRegistry()
    state.registry.register_instance(TestCalls())
    state.policy = {}
    cnx = FakeCnx()
    session = {'admin': False}
    monkeypatch.setattr(dispatcher, 'get_state', lambda environ: state)
    monkeypatch.setattr(dispatcher.db, 'connect', lambda: cnx)
    monkeypatch.setattr(dispatcher, '_new_session',
                        lambda: setattr(context, 'session', FakeSession(session['admin'])))
    del EVENTS[:]

    class Hub(object):
        pass
    h = Hub()
    h.state, h.opts, h.cnx, h.session = state, state.opts, cnx, session
    h.request = request
    h.call = call
    return h


def request(body, method='POST', content_type='text/xml', environ=None, stream=None):
    if isinstance(body, str):
        body = body.encode('utf-8')
    env = {'REQUEST_METHOD': method, 'CONTENT_TYPE': content_type,
           'CONTENT_LENGTH': str(len(body)), 'wsgi.input': stream or io.BytesIO(body),
           'REMOTE_ADDR': '10.1.2.3', 'REMOTE_PORT': '555'}
    env.update(environ or {})
    out = {}

    def start_response(status, headers):
        out['status'] = status
        out['headers'] = dict(headers)
    data = b''.join(dispatcher.application(env, start_response))
    assert out['headers']['Koji-Version'] == koji.__version__
    assert int(out['headers']['Content-Length']) == len(data)
    return out['status'], out['headers'], data


def call(method, *args, **kwargs):
    """Returns the result, or the xmlrpc Fault instance."""
    params = list(args)
    if kwargs:
        params.append(dict(kwargs, __starstar=True))
    status, headers, data = request(dumps(tuple(params), methodname=method))
    assert status == '200 OK'
    assert headers['Content-Type'] == 'text/xml'
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as fault:
        return fault


# ---------------------------------------------------------------------------
# HTTP level

def test_not_post(hub):
    status, headers, data = request('', method='GET')
    assert status == '405 Method Not Allowed'
    assert headers['Allow'] == 'POST'
    assert headers['Content-Type'] == 'text/plain'
    assert data == (b'Method Not Allowed\n'
                    b'This is an XML-RPC server. Only POST requests are accepted.\n')


def test_empty_and_bad_bodies(hub):
    assert request('')[::2] == ('400 Bad Request', b'Invalid request: Empty request\n')
    status, headers, data = request('<methodCall><oops')
    assert status == '400 Bad Request' and data.startswith(b'Invalid request: ')
    assert headers['Content-Type'] == 'text/plain'
    status, _, data = request(dumps(('x',), methodresponse=1))
    assert status == '400 Bad Request'


def test_request_too_long(hub):
    hub.opts['MaxRequestLength'] = 100
    body = dumps(('x' * 200,), methodname='echo')
    assert request(body)[::2] == ('400 Bad Request', b'Invalid request: Request too long\n')
    # without a Content-Length the limit is enforced while reading
    status, _, data = request(body, environ={'CONTENT_LENGTH': ''})
    assert data == b'Invalid request: Request too long\n'
    hub.opts['MaxRequestLength'] = 10000
    assert call('echo', 'x' * 200) == ['x' * 200]


def test_bad_content_length(hub):
    status, _, data = request('abc', environ={'CONTENT_LENGTH': 'many'})
    assert status == '400 Bad Request'


def test_socket_timeout_gives_408(hub):
    class Slow(object):
        def read(self, size=-1):
            raise socket.timeout('timed out')
    status, headers, data = request(dumps((), methodname='hello'), stream=Slow())
    assert status == '408 Request Timeout'
    assert headers['Content-Type'] == 'text/plain'


# ---------------------------------------------------------------------------
# calls, faults, marshalling

def test_basic_calls(hub):
    assert call('hello') == 'Hello World'
    assert call('getAPIVersion') == 1
    assert call('getKojiVersion') == koji.__version__
    assert call('echo', 1, 'two', None, [3]) == [1, 'two', None, [3]]


def test_kwargs_and_arg_errors(hub):
    assert call('write', value=5) == 5
    fault = call('getAPIVersion', 1)
    assert fault.faultCode == 1019
    fault = call('hello', x=1)
    assert fault.faultCode == 1019
    fault = call('nope')
    assert (fault.faultCode, fault.faultString) == (1000, 'Invalid method: nope')


def test_big_ints_and_datetimes(hub):
    status, _, data = request(dumps((2 ** 40, -2 ** 63), methodname='echo'))
    assert b'<i8>1099511627776</i8>' in data
    assert call('echo', 2 ** 40) == [2 ** 40]
    status, _, data = request(dumps((), methodname='when'))
    assert b'dateTime' not in data
    assert call('when') == '2025-07-02 16:29:15.123456+00:00'
    # incoming dateTime values arrive as DateTime objects and go back unchanged
    value = xmlrpc.client.DateTime('20250702T16:29:15')
    assert call('echo', value)[0] == value


def test_unmarshallable_result_is_fault(hub):
    status, _, data = request(dumps((), methodname='unmarshallable'))
    assert status == '200 OK'
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    assert exc.value.faultCode == 1


def test_out_of_range_argument_is_parameter_error(hub):
    body = ("<?xml version='1.0'?><methodCall><methodName>echo</methodName><params>"
            "<param><value><i8>99999999999999999999999</i8></value></param>"
            "</params></methodCall>")
    status, _, data = request(body)
    assert status == '200 OK'
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    assert (exc.value.faultCode, exc.value.faultString) == (
        1019, 'Invalid argument: integer out of range')


def test_fault_strings(hub):
    fault = call('boom')
    assert fault.faultCode == 1
    assert fault.faultString == "<class 'ValueError'>: kaboom"
    assert call('error').faultString == 'test error'
    assert call('fault').faultString == "<class 'Exception'>: test exception"
    fault = call('raw_fault')
    assert (fault.faultCode, fault.faultString) == (4242, 'stored fault')

    hub.opts['KojiTraceback'] = 'normal'
    text = call('boom').faultString
    assert text.startswith('Traceback') and 'ValueError: kaboom' in text
    assert 'visible-in-extended' not in text
    assert call('error').faultString == 'test error'
    hub.opts['KojiTraceback'] = 'extended'
    assert 'visible-in-extended' in call('boom').faultString

    hub.opts['KojiDebug'] = True
    hub.opts['KojiTraceback'] = None
    text = call('error').faultString
    assert text.startswith('Traceback') and 'GenericError: test error' in text
    assert call('error').faultCode == 1000


@pytest.mark.parametrize('style', [None, 'normal', 'extended'])
@pytest.mark.parametrize('debug', [False, True])
def test_fault_text_never_carries_control_characters(hub, style, debug):
    hub.opts['KojiTraceback'] = style
    hub.opts['KojiDebug'] = debug
    for plain in (False, True):
        status, _, data = request(dumps((plain,), methodname='control_chars'))
        assert status == '200 OK'
        # a strict XML parser reads the reply
        with pytest.raises(xmlrpc.client.Fault) as exc:
            xmlrpc.client.loads(data)
        text = exc.value.faultString
        assert '\\x00\\x01 \xff \\ufffe end' in text
        assert '\x00' not in text
    # the same inside a multicall reply
    result = call('multiCall', [{'methodName': 'control_chars', 'params': []}])
    assert result[0]['faultString'] == 'bad \\x00\\x01 \xff \\ufffe end'
    # lone surrogates (undecodable bytes kept by surrogateescape) cannot be sent either
    assert dispatcher.clean_fault_text('a\udcff\U0001f600') == 'a\\udcff\U0001f600'


def test_deeply_nested_arguments_are_refused(hub):
    body = ("<?xml version='1.0'?><methodCall><methodName>echo</methodName><params>"
            "<param><value>%s</value></param></params></methodCall>"
            % ('<array><data><value>' * 500 + '<int>1</int>'
               + '</value></data></array>' * 500))
    status, _, data = request(body)
    assert status == '200 OK'
    with pytest.raises(xmlrpc.client.Fault) as exc:
        xmlrpc.client.loads(data)
    assert (exc.value.faultCode, exc.value.faultString) == (
        1019, 'Invalid argument: nested more than 100 levels deep')
    ok = [[[[1]]]]
    assert call('echo', ok) == [ok]


def test_argument_errors_name_upstream_functions(hub):
    # TestCalls is registered like upstream's RootExports methods: named by class
    fault = call('echo', foo=1)
    assert (fault.faultCode, fault.faultString) == (
        1019, "TestCalls.echo() got an unexpected keyword argument 'foo'")
    fault = call('getAPIVersion', 1)
    assert fault.faultString == ('TestCalls.getAPIVersion() takes 1 positional argument '
                                 'but 2 were given')
    fault = call('multiCall')
    assert fault.faultString == ('ModXMLRPCRequestHandler.multiCall() missing 1 required '
                                 "positional argument: 'calls'")


def test_host_calls_need_a_host_session(hub, monkeypatch):
    seen = []

    def host_call(value):
        seen.append(value)
        return value
    hub.state.registry.register_function(host_call, name='host.sample')
    fault = call('host.sample', 5)
    assert (fault.faultCode, fault.faultString) == (1002, 'Not logged-in')
    assert seen == []
    # a call whose arguments do not fit fails on them first, as upstream's would
    assert call('host.sample').faultCode == 1019
    # calls reached through count/filterResults are guarded the same way
    assert call('count', 'host.sample', 5).faultString == 'Not logged-in'
    assert seen == []


# ---------------------------------------------------------------------------
# transactions

@pytest.fixture
def hooks():
    seen = []

    def pre(cbtype, *args, **kwargs):
        seen.append(cbtype)

    pre.callbacks = ('preCommit', 'postCommit')
    koji.plugin.register_callback('preCommit', pre)
    koji.plugin.register_callback('postCommit', pre)
    yield seen
    koji.plugin.callbacks['preCommit'].remove(pre)
    koji.plugin.callbacks['postCommit'].remove(pre)


def test_commit_only_when_written(hub, hooks):
    assert call('hello') == 'Hello World'
    assert hub.cnx.commits == 0 and hooks == []
    assert call('write', 1) == 1
    assert hub.cnx.commits == 1
    assert hooks == ['preCommit', 'postCommit']
    assert hub.cnx.sql[-2:] == ['COMMIT', 'ROLLBACK']  # final rollback is a no-op


def test_fault_rolls_back(hub, hooks):
    fault = call('writeThenFail')
    assert fault.faultString == 'failed after writing'
    assert hub.cnx.commits == 0 and hooks == []
    assert hub.cnx.rollbacks >= 1


def test_failing_precommit_callback(hub):
    def bad(cbtype, **kwargs):
        raise RuntimeError('no commit today')
    koji.plugin.register_callback('preCommit', bad)
    try:
        fault = call('write', 1)
    finally:
        koji.plugin.callbacks['preCommit'].remove(bad)
    assert fault.faultCode == koji.CallbackError.faultCode
    assert hub.cnx.commits == 0


def test_multicall_results_and_savepoints(hub, hooks):
    calls = [{'methodName': 'write', 'params': [1]},
             {'methodName': 'writeThenFail', 'params': []},
             {'methodName': 'echo', 'params': ['a', {'__starstar': True, 'b': 1}]},
             {'methodName': 'raw_fault', 'params': []},
             {'methodName': 'nope', 'params': []},
             {'methodName': 'echo'},
             'junk',
             {'methodName': 'system.multicall',
              'params': [[{'methodName': 'hello', 'params': []}]]}]
    result = call('multiCall', calls)
    assert result[0] == [1]
    assert result[1]['faultCode'] == 1000
    assert result[1]['faultString'] == 'failed after writing'
    assert isinstance(result[1]['traceback'], list)
    assert 'failed after writing' in result[1]['traceback'][-1]
    assert result[2]['faultCode'] == 1019  # echo takes no kwargs
    assert result[3] == {'faultCode': 4242, 'faultString': 'stored fault'}
    assert result[4]['faultString'] == 'Invalid method: nope'
    assert result[5]['faultCode'] == 1019
    assert result[6]['faultCode'] == 1019
    assert result[7] == [[['Hello World']]]
    savepoints = [s for s in hub.cnx.sql if 'SAVEPOINT' in s]
    assert savepoints[:5] == ['SAVEPOINT multiCall_loop_1',
                              'RELEASE SAVEPOINT multiCall_loop_1',
                              'SAVEPOINT multiCall_loop_1',
                              'ROLLBACK TO SAVEPOINT multiCall_loop_1',
                              'RELEASE SAVEPOINT multiCall_loop_1']
    assert 'SAVEPOINT multiCall_loop_2' in savepoints
    # one commit for the whole request
    assert hub.cnx.commits == 1
    assert hooks == ['preCommit', 'postCommit']


def test_multicall_events_are_per_call(hub):
    result = call('multiCall', [{'methodName': 'event', 'params': []},
                                {'methodName': 'event', 'params': []}])
    assert result[0] != result[1]
    assert call('multiCall', 'notalist').faultCode == 1019


# ---------------------------------------------------------------------------
# offline / lockout

def test_server_offline(hub):
    hub.opts['ServerOffline'] = True
    fault = call('hello')
    assert (fault.faultCode, fault.faultString) == (1014, 'server is offline')
    hub.opts['OfflineMessage'] = 'back soon'
    assert call('hello').faultString == 'back soon'


def test_startup_error(hub):
    hub.state.error = dispatcher.STARTUP_ERROR
    fault = call('hello')
    assert (fault.faultCode, fault.faultString) == (1014, 'server startup error')


def test_database_outage(hub, monkeypatch):
    def broken():
        raise RuntimeError('no db')
    monkeypatch.setattr(dispatcher.db, 'connect', broken)
    fault = call('hello')
    assert (fault.faultCode, fault.faultString) == (1014, 'database outage')


def test_lockout(hub):
    hub.opts['LockOut'] = True
    assert call('hello').faultCode == 1014
    assert call('login', 'x', 'y') == 'logged in'
    hub.session['admin'] = True
    assert call('hello') == 'Hello World'


def test_show_opts(hub):
    assert call('showOpts').faultCode == 1004
    hub.session['admin'] = True
    text = call('showOpts')
    assert text.startswith('{') and "'MaxJobs': 15" in text
    opts = call('showOpts', as_string=False)
    assert opts['MaxJobs'] == 15
    assert opts['policy']['build_rpm'] == hubconfig.DEFAULT_POLICIES['build_rpm']


def test_count_and_filter(hub):
    state = hub.state
    state.registry.register_function(
        lambda: [{'n': 3, 'x': None}, {'n': 1, 'x': 'b'}, {'n': 2, 'x': 'a'}], name='rows')
    assert call('count', 'rows') == 3
    assert call('count', 'echo', 1, 2) == 2
    assert call('count', 'getAPIVersion') == 1
    assert call('filterResults', 'rows', filterOpts={'order': 'n'}) == [
        {'n': 1, 'x': 'b'}, {'n': 2, 'x': 'a'}, {'n': 3, 'x': None}]
    assert [r['n'] for r in call('filterResults', 'rows',
                                 filterOpts={'order': '-n', 'limit': 2})] == [3, 2]
    assert [r['n'] for r in call('filterResults', 'rows',
                                 filterOpts={'order': 'x'})] == [3, 2, 1]
    assert [r['n'] for r in call('filterResults', 'rows',
                                 filterOpts={'order': 'x', 'noneGreatest': True})] == [2, 1, 3]
    assert call('countAndFilterResults', 'rows', filterOpts={'offset': 1, 'order': 'n'}) == [
        3, [{'n': 2, 'x': 'a'}, {'n': 3, 'x': None}]]
    assert call('count', 'nope').faultString == 'Invalid method: nope'


# ---------------------------------------------------------------------------
# logging, memory, startup

def test_formatter_fields(hub):
    context._threadclear()
    context.method = 'someCall'
    context.environ = {'REMOTE_ADDR': '1.2.3.4', 'REMOTE_PORT': '99'}
    context.session = FakeSession(admin=True)
    fmt = dispatcher.HubFormatter('%(method)s|%(user_name)s|%(remoteaddr)s|%(user_id)s|'
                                  '%(session_id)s|%(callnum)s|%(message)s')
    record = logging.LogRecord('koji.hub', logging.INFO, __file__, 1, 'hi', (), None)
    try:
        assert fmt.format(record) == 'someCall|boss|1.2.3.4:99|1|7|3|hi'
    finally:
        context._threadclear()
    record = logging.LogRecord('koji.hub', logging.INFO, __file__, 1, 'hi', (), None)
    assert fmt.format(record) == 'None|None|None|None|None|None|hi'


def test_log_levels():
    log = logging.getLogger('koji')
    sub = logging.getLogger('koji.db')
    old = log.level, sub.level
    try:
        dispatcher.setup_logging2({'LogLevel': 'INFO db:DEBUG'})
        assert log.level == logging.INFO and sub.level == logging.DEBUG
        dispatcher.setup_logging2({'LogLevel': 'ERROR', 'KojiDebug': True})
        assert log.level == logging.DEBUG
    finally:
        log.setLevel(old[0])
        sub.setLevel(old[1])


def test_memory_warning(hub, monkeypatch, caplog):
    sizes = iter([1000, 50000])
    monkeypatch.setattr(dispatcher, '_rss_kib', lambda: next(sizes))
    with caplog.at_level(logging.WARNING, logger='koji.hub'):
        assert call('hello') == 'Hello World'
    assert 'Memory usage of process' in caplog.text
    assert 'hello' in caplog.text


@pytest.fixture
def keep_logging(monkeypatch):
    """server_setup configures the koji logger; undo that for the rest of the suite."""
    log = logging.getLogger('koji')
    level, handlers = log.level, list(log.handlers)
    monkeypatch.setattr(dispatcher, '_log_handler', None)
    yield
    log.setLevel(level)
    log.handlers[:] = handlers


def test_server_setup_failures(tmp_path, monkeypatch, keep_logging):
    monkeypatch.delenv('KOJI_HUB_CONFIG', raising=False)
    missing = {'koji.hub.ConfigFile': str(tmp_path / 'nope.conf'),
               'koji.hub.ConfigDir': str(tmp_path / 'nodir')}
    assert dispatcher.server_setup(missing).error == 'server startup error'

    conf = tmp_path / 'hub.conf'
    conf.write_text('[hub]\nMaxJobs = lots\n')
    environ = {'koji.hub.ConfigFile': str(conf), 'koji.hub.ConfigDir': str(tmp_path)}
    assert dispatcher.server_setup(environ).error == 'server startup error'

    conf.write_text('[hub]\nPlugins = no_such_plugin_xyz\nPluginPath = %s\n' % tmp_path)
    state = dispatcher.server_setup(environ)
    assert state.error is None
    assert state.opts['ServerOffline'] is True
    assert state.opts['OfflineMessage'] == 'configuration error'

    conf.write_text('[hub]\nDBName = koji\n')
    state = dispatcher.server_setup(environ)
    assert state.error is None and state.opts['ServerOffline'] is False
    names = state.registry.system_listMethods()
    for name in ('hello', 'login', 'sslLogin', 'logout', 'subsession', 'logoutChild',
                 'exclusiveSession', 'sharedSession', 'getLoggedInUser', 'getUser',
                 'grantPermission', '_listapi', 'system.listMethods'):
        assert name in names
    assert 'multiCall' not in names
