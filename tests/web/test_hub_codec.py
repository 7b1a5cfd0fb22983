"""The web's XML-RPC decoder (kojiweb.hubcodec) gives the standard decoder's answers."""
import os
import sys
import xml.parsers.expat
import xmlrpc.client

import pytest

from koji import xmlrpcplus

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'www', 'lib')
if LIB not in sys.path:
    sys.path.append(LIB)

from kojiweb import hubcodec  # noqa: E402

VALUES = [
    0, 1, -7, 2 ** 31 - 1, 2 ** 40, -2 ** 62, True, False, 0.5, -1e300, 1.0, None, '',
    'plain', 'a <tag> & "quotes" \'apos\'', 'ünïcödé ☃ \U0001f600', ' spaced \n lines\t',
    "<?xml version='1.0'?>\n<methodCall><!-- x --></methodCall>", '<!DOCTYPE x>', ']]>',
    [], {}, [1, 'two', None, [3, [4, {}]]], {'a': 1, 'b': None, 'c': [{'d': 'e'}]},
    {'': 'empty key', 'dup': 1}, xmlrpc.client.DateTime('20261207T17:31:46'),
    xmlrpc.client.Binary(b'\x00\x01binary\xff'),
    [{'id': i, 'request': xmlrpcplus.dumps((i, 'x86_64', None), 'createrepo'),
      'weight': 1.5, 'owner_name': 'kojiadmin', 'result': None} for i in range(30)],
]


def standard(body):
    parser, unmarshaller = xmlrpcplus.getparser()
    parser.feed(body)
    parser.close()
    return unmarshaller.close()


def outcome(func, body):
    """(result, exception type and text) of a decoder, for comparing two of them."""
    try:
        return ('ok', xmlrpcplus.dumps(func(body), methodresponse=None)), None
    except Exception as exc:
        return None, (type(exc), str(exc))


@pytest.mark.parametrize('value', VALUES, ids=lambda v: repr(v)[:30])
def test_plain_answers_decode_alike_without_the_standard_decoder(value):
    body = xmlrpcplus.dumps((value,), methodresponse=1).encode('utf-8')
    fast = hubcodec.fast_loads(body)
    assert xmlrpcplus.dumps(fast, methodresponse=None) == \
        xmlrpcplus.dumps(standard(body), methodresponse=None)
    assert type(fast[0]) is type(standard(body)[0])


def test_faults_are_raised_alike():
    body = xmlrpcplus.dumps(xmlrpc.client.Fault(1000, 'no such <tag>'),
                            methodresponse=1).encode()
    with pytest.raises(xmlrpc.client.Fault) as fast:
        hubcodec.fast_loads(body)
    with pytest.raises(xmlrpc.client.Fault) as std:
        standard(body)
    assert (fast.value.faultCode, fast.value.faultString) == \
        (std.value.faultCode, std.value.faultString) == (1000, 'no such <tag>')


HEAD = b"<?xml version='1.0'?>\n"
UNUSUAL = [
    # other declarations, a DTD, comments, other types, other shapes, bad XML or values
    b"<?xml version='1.0' encoding='utf-8'?>\n<methodResponse><params><param><value>"
    b"<string>x</string></value></param></params></methodResponse>",
    b"<methodResponse><params><param><value><string>x</string></value></param></params>"
    b"</methodResponse>",
    HEAD + b'<!DOCTYPE m [<!ENTITY a "aaaa">]><methodResponse><params><param><value>'
    b'<string>&a;</string></value></param></params></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><!-- c --><string>x</string></value>'
    b'</param></params></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><i2>5</i2></value></param></params>'
    b'</methodResponse>',
    HEAD + b'<methodResponse><params><param><value><bigdecimal>5.1</bigdecimal></value>'
    b'</param></params></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><array><value><int>1</int></value>'
    b'</array></value></param></params></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><struct><member><value><int>1</int>'
    b'</value></member></struct></value></param></params></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><boolean>2</boolean></value></param>'
    b'</params></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><int>x</int></value></param></params>'
    b'</methodResponse>',
    HEAD + b'<methodResponse><params><param><value><int></int></value></param></params>'
    b'</methodResponse>',
    HEAD + b'<methodResponse><params><param><value><bogus>1</bogus></value></param>'
    b'</params></methodResponse>',
    HEAD + b'<methodResponse></methodResponse>',
    HEAD + b'<methodResponse><params><param><value><string>x</string></value></param>'
    b'</params>',
    HEAD + b'<methodResponse><fault><value><struct><member><name>faultCode</name><value>'
    b'<int>1</int></value></member><member><name>other</name><value><int>1</int></value>'
    b'</member></struct></value></fault></methodResponse>',
    HEAD + b'<methodResponse><params/></methodResponse>',
]


@pytest.mark.parametrize('body', UNUSUAL)
def test_anything_else_is_left_to_the_standard_decoder(body):
    fast_ok = True
    try:
        hubcodec.fast_loads(body)
    except (hubcodec.Unusual, ValueError, TypeError):
        fast_ok = False
    except xmlrpc.client.Fault:
        pass
    # the answer (or error) of loads() is the standard decoder's
    assert outcome(hubcodec.loads, body) == outcome(standard, body)
    if body.endswith(b'<params/></methodResponse>'):
        assert fast_ok
    else:
        assert not fast_ok


def test_bad_xml_raises_the_standard_error():
    with pytest.raises(xml.parsers.expat.ExpatError):
        hubcodec.loads(HEAD + b'<methodResponse><params>')


def test_the_web_session_decodes_with_it(monkeypatch):
    calls = []
    monkeypatch.setattr(hubcodec, 'standard_loads', lambda body: calls.append(body))

    class Response(object):
        content = xmlrpcplus.dumps(([{'id': 1}],), methodresponse=1).encode()

    session = hubcodec.HubSession('http://127.0.0.1:1/kojihub')
    assert session._read_xmlrpc_response(Response()) == [{'id': 1}]
    assert calls == []


CALLS = [(), (1, 'x86_64', None, None), ('dist-foo', {'scratch': True, 'opts': [1, 2.5]}),
         ('git://example.com/x.git#abc', 'target', {'repo_id': 7})]


@pytest.mark.parametrize('params', CALLS, ids=repr)
def test_task_requests_decode_alike(params, monkeypatch):
    text = xmlrpcplus.dumps(params, 'someMethod')
    expect = xmlrpcplus.loads(text)[0]
    # the plain dialect never reaches the standard decoder
    monkeypatch.setattr(hubcodec.xmlrpcplus, 'loads', None)
    got = hubcodec.call_params(text)
    assert xmlrpcplus.dumps(got) == xmlrpcplus.dumps(expect) and got == expect


@pytest.mark.parametrize('text', [
    "<methodCall><methodName>x</methodName><params><param><value><int>1</int></value>"
    "</param></params></methodCall>",
    "<?xml version='1.0'?>\n<methodCall><methodName>x</methodName><params><param><value>"
    "<i1>1</i1></value></param></params></methodCall>",
    "<?xml version='1.0'?>\n<methodCall><methodName>x</methodName><params><param><value>"
    "<int>one</int></value></param></params></methodCall>",
    "<?xml version='1.0'?>\n<methodCall><methodName>x</methodName>",
])
def test_unusual_task_requests_go_to_the_standard_decoder(text):
    assert outcome(hubcodec.call_params, text) == \
        outcome(lambda t: xmlrpcplus.loads(t)[0], text)
