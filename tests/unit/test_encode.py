"""The hub's fast response encoder writes what the marshaller writes, byte for byte."""
import datetime
import random
import re
import xmlrpc.client

import pytest

from koji import xmlrpcplus
from kojihub.core.dispatcher import HubMarshaller
from kojihub.core.encode import FastEncoder


def reference(value):
    return xmlrpcplus.dumps((value,), methodresponse=1, marshaller=HubMarshaller)


def fast(value):
    return FastEncoder(HubMarshaller).encode(value)


class Obj(object):
    def __init__(self):
        self.a = 1
        self.b = 'x<y'


class Text(str):
    pass


LEAVES = [
    None, True, False, 0, -1, 2 ** 31 - 1, -2 ** 31, 2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1,
    -2 ** 63, 0.0, -1.5, 1e300, float('inf'), float('nan'), '', 'plain', 'a&b<c>d',
    'ünïcødé ✓', '\t\n\r', 'x' * 3000, b'', b'\x00\xffbytes', bytearray(b'ba'),
    datetime.datetime(2026, 12, 7, 14, 0, 0), datetime.datetime(2026, 1, 2, 3, 4, 5, 678),
    datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
    xmlrpc.client.DateTime('20261207T10:00:00'), xmlrpc.client.Binary(b'bin'),
    re.compile('^a.*b$'), Obj(), (1, 'two'), [], {},
]


def random_value(rnd, depth=0):
    if depth > 4 or rnd.random() < 0.4:
        return rnd.choice(LEAVES)
    if rnd.random() < 0.5:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 5))]
    return {rnd.choice(['id', 'name', 'a&b', '<k>', 'ü', 'x%d' % rnd.randint(0, 9)]):
            random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 5))}


@pytest.mark.parametrize('value', LEAVES, ids=['leaf%d' % i for i in range(len(LEAVES))])
def test_leaves(value):
    assert fast(value) == reference(value)


def test_random_structures():
    rnd = random.Random(1234)
    for _ in range(2000):
        value = random_value(rnd)
        assert fast(value) == reference(value)


def test_generators_and_deep_nesting():
    assert fast((i for i in range(3))) == reference([0, 1, 2])
    deep = 'leaf'
    for i in range(200):
        deep = [deep] if i % 2 else {'k': deep}
    assert fast(deep) == reference(deep)


@pytest.mark.parametrize('value', [
    2 ** 63, -2 ** 63 - 1, {1: 'int key'}, {'k': set([1])}, Text('sub'), object(),
], ids=['i8-high', 'i8-low', 'int-key', 'set', 'str-subclass', 'object'])
def test_errors_match(value):
    with pytest.raises(Exception) as theirs:
        reference(value)
    with pytest.raises(theirs.type) as ours:
        fast(value)
    assert str(ours.value) == str(theirs.value)


def test_recursive_data_is_refused():
    loop = []
    loop.append(loop)
    with pytest.raises(TypeError, match='recursive'):
        fast(loop)
    table = {}
    table['self'] = table
    with pytest.raises(TypeError, match='recursive'):
        fast(table)
