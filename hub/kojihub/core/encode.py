"""Fast XML-RPC encoding of call results, byte for byte what the hub's marshaller writes.

Big answers (listTagged of a whole distribution, multicalls of hundreds of builds) spend
most of their hub time in xmlrpc.client's Marshaller, which makes a method call and a
dispatch lookup for every value.  This encoder handles the types call results are made of
inline; anything else (DateTime, Binary, objects, enums, recursive or very deep data) goes
to the marshaller itself, so the output and the errors stay exactly the same.
"""
import base64
import datetime
import re
import types

from xmlrpc.client import MAXINT, MININT

from koji.xmlrpcplus import MAXI8, MINI8

# deeper than this, the marshaller takes over (and reports recursive data as it does)
_FAST_DEPTH = 64
_PATTERN_TYPE = type(re.compile(''))
_NEEDS_ESCAPE = re.compile('[&<>]').search


def _escape(text):
    if _NEEDS_ESCAPE(text) is None:
        return text
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def _int_text(value):
    if MININT <= value <= MAXINT:
        return '<value><int>%d</int></value>\n' % value
    if MINI8 <= value <= MAXI8:
        return '<value><i8>%d</i8></value>\n' % value
    raise OverflowError('long int exceeds XML-RPC limits')


def _str_text(value):
    if '&' in value or '<' in value or '>' in value:
        value = value.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return '<value><string>' + value + '</string></value>\n'


def _bool_text(value):
    return '<value><boolean>1</boolean></value>\n' if value else \
        '<value><boolean>0</boolean></value>\n'


def _datetime_text(value):
    return _str_text(value.isoformat(' '))


def _float_text(value):
    return '<value><double>%r</double></value>\n' % value


def _nil_text(value):
    return '<value><nil/></value>'


# leaf types (exact types: subclasses go to the marshaller, as they would there)
_LEAVES = {str: _str_text, int: _int_text, bool: _bool_text, type(None): _nil_text,
           datetime.datetime: _datetime_text, float: _float_text}


_MEMBER_HEADS = {}
_MEMBER_HEADS_MAX = 8192


class FastEncoder(object):
    """One response: ``encode(result)`` gives the methodResponse document."""

    def __init__(self, marshaller_class):
        self.marshaller = marshaller_class('utf-8', allow_none=True)
        # '<member>\n<name>key</name>\n' per key: result rows repeat their keys, and so
        # do responses (shared; bounded, as keys of extra/metadata dicts are anyone's)
        self.names = _MEMBER_HEADS

    def encode(self, result):
        out = ["<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"]
        self._dump(result, out.append, 0)
        out.append('</param>\n</params>\n</methodResponse>\n')
        return ''.join(out)

    def _slow(self, value, write):
        self.marshaller._Marshaller__dump(value, write)

    def _dump(self, value, write, depth):
        kind = type(value)
        leaf = _LEAVES.get(kind)
        if leaf is not None:
            write(leaf(value))
        elif depth > _FAST_DEPTH:
            self._slow(value, write)
        elif kind is dict:
            self._struct(value, write, depth)
        elif kind is list or kind is tuple:
            self._array(value, write, depth)
        elif kind is types.GeneratorType:
            self._array(list(value), write, depth)
        elif kind is bytes or kind is bytearray:
            write('<value><base64>\n%s</base64></value>\n'
                  % base64.encodebytes(value).decode('ascii'))
        elif kind is _PATTERN_TYPE:
            write(_str_text(repr(value)))
        else:
            self._slow(value, write)

    def _struct(self, value, write, depth):
        leaves = _LEAVES
        names = self.names
        parts = ['<value><struct>\n']
        add = parts.append
        for key, item in value.items():
            head = names.get(key)
            if head is None:
                if not isinstance(key, str):
                    raise TypeError('dictionary key must be string')
                head = '<member>\n<name>%s</name>\n' % _escape(key)
                if len(names) < _MEMBER_HEADS_MAX:
                    names[key] = head
            leaf = leaves.get(type(item))
            if leaf is None:
                add(head)
                write(''.join(parts))
                parts = []
                add = parts.append
                self._dump(item, write, depth + 1)
                add('</member>\n')
            else:
                add(head)
                add(leaf(item))
                add('</member>\n')
        add('</struct></value>\n')
        write(''.join(parts))

    def _array(self, value, write, depth):
        leaves = _LEAVES
        write('<value><array><data>\n')
        for item in value:
            leaf = leaves.get(type(item))
            if leaf is None:
                self._dump(item, write, depth + 1)
            else:
                write(leaf(item))
        write('</data></array></value>\n')
