"""The web's hub session: XML-RPC answers decoded from an element tree built in C.

The standard decoder calls back into Python for every start, end and piece of text of the
XML; a page of 200 tasks is about 20,000 elements and that was the largest part of the
tasks page's time.  Here expat and ElementTree's C tree builder do the parsing and a short
walk turns the tree into values.  Only the plain dialect the hub writes is taken this way
(its XML declaration, no DTD, comments or other markup declarations, known types in their
usual places); anything else goes to the standard decoder, so results and errors stay
exactly the standard ones.
"""
import xml.etree.ElementTree as ElementTree
from xmlrpc.client import Binary, DateTime, Fault

import koji
from koji import xmlrpcplus
from koji.xmlrpcplus import getparser

# what the hub starts every answer with (no encoding: the standard decoder then leaves
# strings alone, and it fails on some other declarations; those go to it)
DECLARATION = b"<?xml version='1.0'?>"


class Unusual(Exception):
    """Not the plain dialect: decode with the standard decoder."""


def _text(elem):
    if len(elem):
        raise Unusual(elem.tag)
    return elem.text or ''


def _int(elem):
    return int(_text(elem))


def _boolean(elem):
    text = _text(elem)
    if text == '1':
        return True
    if text == '0':
        return False
    raise Unusual('boolean')


def _double(elem):
    return float(_text(elem))


def _nil(elem):
    _text(elem)
    return None


def _datetime(elem):
    value = DateTime()
    value.decode(_text(elem))
    return value


def _base64(elem):
    value = Binary()
    value.decode(_text(elem).encode('ascii'))
    return value


def _array(elem):
    if len(elem) != 1 or elem[0].tag != 'data':
        raise Unusual('array')
    return [_value(item) for item in elem[0]]


def _struct(elem):
    result = {}
    for member in elem:
        if member.tag != 'member' or len(member) != 2:
            raise Unusual('member')
        name, value = member
        if name.tag != 'name':
            raise Unusual('name')
        result[_text(name)] = _value(value)
    return result


_TYPES = {'string': _text, 'int': _int, 'i4': _int, 'i8': _int, 'boolean': _boolean,
          'double': _double, 'nil': _nil, 'array': _array, 'struct': _struct,
          'dateTime.iso8601': _datetime, 'base64': _base64}


def _value(elem):
    if elem.tag != 'value':
        raise Unusual(elem.tag)
    if not len(elem):
        return elem.text or ''
    if len(elem) != 1:
        raise Unusual('value')
    typed = elem[0]
    convert = _TYPES.get(typed.tag)
    if convert is None:
        raise Unusual(typed.tag)
    return convert(typed)


def fast_loads(body):
    """The params tuple of a methodResponse (bytes), or Fault; Unusual when not plain."""
    root = _plain_tree(body)
    if root.tag != 'methodResponse' or len(root) != 1:
        raise Unusual(root.tag)
    top = root[0]
    if top.tag == 'fault':
        if len(top) != 1:
            raise Unusual('fault')
        fault = _value(top[0])
        if not isinstance(fault, dict):
            raise Unusual('fault')
        raise Fault(**fault)
    return _params(top)


def _plain_tree(body):
    if not body.startswith(DECLARATION) or b'<!' in body or b'<?' in body[2:]:
        raise Unusual('prolog')
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise Unusual('not well-formed')


def _params(elem):
    if elem.tag != 'params':
        raise Unusual(elem.tag)
    params = []
    for param in elem:
        if param.tag != 'param' or len(param) != 1:
            raise Unusual('param')
        params.append(_value(param[0]))
    return tuple(params)


def fast_call_params(body):
    """The params tuple of a methodCall (bytes) in the plain dialect; Unusual if not."""
    root = _plain_tree(body)
    if root.tag != 'methodCall' or len(root) not in (1, 2):
        raise Unusual(root.tag)
    if root[0].tag != 'methodName' or len(root[0]):
        raise Unusual('methodName')
    if len(root) == 1:
        return ()
    return _params(root[1])


def call_params(text):
    """The params of a stored methodCall (a task's request), as xmlrpcplus.loads gives
    them; anything but the plain dialect goes to it."""
    body = text.encode('utf-8')
    try:
        return fast_call_params(body)
    except (Unusual, ValueError, TypeError):
        return xmlrpcplus.loads(body)[0]


def standard_loads(body):
    """The standard decoder's answer for the same bytes."""
    parser, unmarshaller = getparser()
    parser.feed(body)
    parser.close()
    return unmarshaller.close()


def loads(body):
    try:
        return fast_loads(body)
    except (Unusual, ValueError, TypeError):
        return standard_loads(body)


class HubSession(koji.ClientSession):
    """koji.ClientSession whose answers are decoded by loads()."""

    def _read_xmlrpc_response(self, response, debug=False):
        if debug:
            return super()._read_xmlrpc_response(response, debug)
        result = loads(response.content)
        if len(result) == 1:
            result = result[0]
        return result
