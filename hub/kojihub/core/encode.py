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


class FastEncoder(object):
    """One response: ``encode(result)`` gives the methodResponse document."""

    def __init__(self, marshaller_class):
        self.marshaller = marshaller_class('utf-8', allow_none=True)

    def encode(self, result):
        out = ["<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"]
        self._dump(result, out.append, 0)
        out.append('</param>\n</params>\n</methodResponse>\n')
        return ''.join(out)

    def _slow(self, value, write):
        self.marshaller._Marshaller__dump(value, write)

    def _scalar(self, value, kind):
        """Text of a leaf value, or None when it is not one we handle here."""
        if kind is str:
            return '<value><string>%s</string></value>\n' % _escape(value)
        if kind is int:
            return _int_text(value)
        if value is None:
            return '<value><nil/></value>'
        if kind is bool:
            return '<value><boolean>1</boolean></value>\n' if value else \
                '<value><boolean>0</boolean></value>\n'
        if kind is datetime.datetime:
            return '<value><string>%s</string></value>\n' % _escape(value.isoformat(' '))
        if kind is float:
            return '<value><double>%r</double></value>\n' % value
        return None

    def _dump(self, value, write, depth):
        kind = type(value)
        text = self._scalar(value, kind)
        if text is not None:
            write(text)
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
            write('<value><string>%s</string></value>\n' % _escape(repr(value)))
        else:
            self._slow(value, write)

    def _struct(self, value, write, depth):
        scalar = self._scalar
        write('<value><struct>\n')
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError('dictionary key must be string')
            text = scalar(item, type(item))
            if text is None:
                write('<member>\n<name>%s</name>\n' % _escape(key))
                self._dump(item, write, depth + 1)
                write('</member>\n')
            else:
                write('<member>\n<name>%s</name>\n%s</member>\n' % (_escape(key), text))
        write('</struct></value>\n')

    def _array(self, value, write, depth):
        scalar = self._scalar
        write('<value><array><data>\n')
        for item in value:
            text = scalar(item, type(item))
            if text is None:
                self._dump(item, write, depth + 1)
            else:
                write(text)
        write('</data></array></value>\n')
