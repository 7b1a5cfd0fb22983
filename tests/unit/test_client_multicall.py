"""Both multicall APIs of ClientSession against the scripted hub."""
import pytest

from koji.client import ClientSession
from koji.exceptions import (
    ActionNotAllowed,
    GenericError,
    MultiCallInProgress,
    MultiCallNotReady,
    ParameterError,
)
from koji.multicall import MultiCallSession, VirtualCall
from koji.xmlrpcplus import Fault
from tests.unit.test_client_support import StubHub


@pytest.fixture
def hub():
    stub = StubHub().start()

    def get_tag(rec, name, strict=False):
        if name == 'missing':
            raise Fault(1000, 'No such tag: missing')
        if name == 'denied':
            raise Fault(1004, 'admin permission required')
        return {'name': name, 'strict': strict}

    stub.handlers['getTag'] = get_tag
    stub.handlers['host.getID'] = lambda rec: 17
    yield stub
    stub.stop()


@pytest.fixture
def session(hub):
    session = ClientSession(hub.url, {'user': 'alice', 'password': 'secret'})
    session.login()
    return session


# ---- legacy: session.multicall = True / session.multiCall() ---------------------------

def test_legacy_multicall(hub, session):
    session.multicall = True
    assert session.multicall
    assert session.getTag('f40', strict=True) is MultiCallInProgress
    assert session.getTag('missing') is MultiCallInProgress
    assert session.host.getID() is MultiCallInProgress
    assert hub.methods() == ['login']
    results = session.multiCall()
    assert not session.multicall
    assert results[0] == [{'name': 'f40', 'strict': True}]
    assert results[1]['faultCode'] == 1000
    assert results[1]['faultString'] == 'No such tag: missing'
    assert results[2] == [17]
    rec = hub.requests[-1]
    assert rec.method == 'multiCall'
    assert rec.header('Koji-Session-Callnum') == '0'
    assert rec.args == ([
        {'methodName': 'getTag', 'params': ['f40', {'strict': True, '__starstar': True}]},
        {'methodName': 'getTag', 'params': ['missing']},
        {'methodName': 'host.getID', 'params': []},
    ],)
    # the next call goes out directly again
    assert session.host.getID() == 17
    assert hub.requests[-1].header('Koji-Session-Callnum') == '1'


def test_legacy_strict_raises_first_fault(hub, session):
    session.multicall = True
    session.getTag('ok')
    session.getTag('denied')
    session.getTag('missing')
    with pytest.raises(ActionNotAllowed, match='admin permission required'):
        session.multiCall(strict=True)
    assert len(hub.calls('multiCall')) == 1


def test_legacy_batches(hub, session):
    session.multicall = True
    for i in range(5):
        session.getTag('t%d' % i)
    results = session.multiCall(batch=2)
    assert [r[0]['name'] for r in results] == ['t%d' % i for i in range(5)]
    sizes = [len(rec.args[0]) for rec in hub.calls('multiCall')]
    assert sizes == [2, 2, 1]
    assert [rec.header('Koji-Session-Callnum') for rec in hub.calls('multiCall')] == \
        ['0', '1', '2']


def test_legacy_strict_with_batches_runs_all(hub, session):
    session.multicall = True
    session.getTag('missing')
    session.getTag('a')
    session.getTag('b')
    with pytest.raises(GenericError, match='No such tag'):
        session.multiCall(strict=True, batch=1)
    assert len(hub.calls('multiCall')) == 3


def test_legacy_requires_flag_and_empty(hub, session):
    with pytest.raises(GenericError, match='multicall must be set'):
        session.multiCall()
    session.multicall = True
    assert session.multiCall() == []
    assert not session.multicall
    assert hub.methods() == ['login']


# ---- new style: session.multicall() -> MultiCallSession --------------------------------

def test_multicall_session(hub, session):
    with session.multicall() as m:
        assert isinstance(m, MultiCallSession)
        assert m.multicall is True
        tag = m.getTag('f40', strict=True)
        missing = m.getTag('missing')
        host = m.host.getID()
        other = m.callMethod('getTag', 'f41')
        assert isinstance(tag, VirtualCall)
        with pytest.raises(MultiCallNotReady):
            tag.result
        assert hub.methods() == ['login']
    assert tag.result == {'name': 'f40', 'strict': True}
    assert host.result == 17
    assert other.result == {'name': 'f41', 'strict': False}
    with pytest.raises(GenericError, match='No such tag: missing') as info:
        missing.result
    assert info.value.fromFault
    recs = hub.calls('multiCall')
    assert len(recs) == 1
    assert recs[0].args[0][0] == {'methodName': 'getTag',
                                  'params': ['f40', {'strict': True, '__starstar': True}]}
    assert recs[0].args[0][2] == {'methodName': 'host.getID', 'params': []}
    # the session itself was never in legacy mode
    assert not session.multicall


def test_multicall_session_strict(hub, session):
    with pytest.raises(ParameterError):
        with session.multicall(strict=True) as m:
            ok = m.getTag('ok')
            m.getTag()  # missing argument: ParameterError from the hub
    assert ok.result['name'] == 'ok'


def test_multicall_session_strict_fault(hub, session):
    m = session.multicall(strict=True, batch=2)
    first = m.getTag('a')
    m.getTag('denied')
    last = m.getTag('c')
    with pytest.raises(ActionNotAllowed):
        m.call_all()
    # every batch was sent before raising
    assert [len(r.args[0]) for r in hub.calls('multiCall')] == [2, 1]
    assert first.result['name'] == 'a'
    assert last.result['name'] == 'c'


def test_call_all_arguments_override(hub, session):
    m = session.multicall(strict=True)
    a = m.getTag('missing')
    results = m.call_all(strict=False, batch=1)
    assert results[0]['faultCode'] == 1000
    with pytest.raises(GenericError):
        a.result
    assert m.call_all() == []  # queue was emptied
    assert len(hub.calls('multiCall')) == 1


def test_multicall_alias_and_no_call_on_error(hub, session):
    with pytest.raises(RuntimeError):
        with session.multicall() as m:
            call = m.getTag('x')
            raise RuntimeError('stop')
    assert hub.calls('multiCall') == []
    with pytest.raises(MultiCallNotReady):
        call.result
    assert m.multiCall() == [[{'name': 'x', 'strict': False}]]


def test_virtual_call_format():
    call = VirtualCall('getBuild', ('foo-1-1',), {'strict': True})
    assert call.format() == {'methodName': 'getBuild',
                             'params': ('foo-1-1', {'strict': True, '__starstar': True})}
    assert VirtualCall('getBuild', (1,), {}).format() == {'methodName': 'getBuild',
                                                          'params': (1,)}
