"""Koji's XML-RPC dialect: i8 integers, nil, generators as arrays, regexes as text."""
import re
import types
import xmlrpc.client as xmlrpc_client
from xmlrpc.client import DateTime, Fault, getparser, loads  # noqa: F401  (re-exported)

try:
    import defusedxml.xmlrpc as _defused
    _defused.monkey_patch()
except ImportError:  # defusedxml is optional; the stdlib expat parser is still used
    pass

MAXI8 = 2 ** 63 - 1
MINI8 = -2 ** 63
_PATTERN_TYPE = type(re.compile(''))


class ExtendedMarshaller(xmlrpc_client.Marshaller):
    """Marshaller that knows 64-bit ints, generators, regexes and datetimes."""

    dispatch = dict(xmlrpc_client.Marshaller.dispatch)

    def _dump_int(self, value, write):
        if xmlrpc_client.MININT <= value <= xmlrpc_client.MAXINT:
            write('<value><int>%d</int></value>\n' % value)
        elif MINI8 <= value <= MAXI8:
            write('<value><i8>%d</i8></value>\n' % value)
        else:
            raise OverflowError('long int exceeds XML-RPC limits')

    dispatch[int] = _dump_int

    def _dump_generator(self, value, write):
        self.dump_array(list(value), write)

    dispatch[types.GeneratorType] = _dump_generator

    def _dump_re(self, value, write):
        self.dump_unicode(repr(value), write)

    dispatch[_PATTERN_TYPE] = _dump_re


def dumps(params, methodname=None, methodresponse=None, encoding=None, allow_none=1,
          marshaller=None):
    """Encode params as a methodCall, a methodResponse or bare data (Koji flavour)."""
    if isinstance(params, Fault):
        methodresponse = 1
    elif not isinstance(params, tuple):
        raise TypeError('argument must be tuple or Fault instance')
    elif methodresponse and len(params) != 1:
        raise ValueError('response tuple must be a singleton')
    if not encoding:
        encoding = 'utf-8'
    if marshaller is None:
        marshaller = ExtendedMarshaller
    m = marshaller(encoding, allow_none=True)
    data = m.dumps(params)
    if encoding != 'utf-8':
        xmlheader = "<?xml version='1.0' encoding='%s'?>\n" % str(encoding)
    else:
        xmlheader = "<?xml version='1.0'?>\n"
    if methodname:
        parts = (xmlheader, '<methodCall>\n<methodName>', methodname,
                 '</methodName>\n', data, '</methodCall>\n')
    elif methodresponse:
        parts = (xmlheader, '<methodResponse>\n', data, '</methodResponse>\n')
    else:
        return data
    return ''.join(parts)
