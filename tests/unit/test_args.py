"""The __starstar keyword convention and small XML-RPC helpers."""
import pytest

import koji
from koji.xmlrpcplus import Fault, dumps


def test_encode_args_without_kwargs_is_identity():
    assert koji.encode_args(1, 'a') == (1, 'a')
    assert koji.encode_args() == ()


def test_encode_args_appends_flagged_struct():
    args = koji.encode_args('f40', event=5, inherit=True)
    assert args == ('f40', {'event': 5, 'inherit': True, '__starstar': True})


@pytest.mark.parametrize('args, kwargs', [
    ((), {}),
    ((1, 2), {}),
    ((), {'a': 1}),
    (('x', [1, 2], {'plain': 'dict'}), {'strict': True, 'queryOpts': {'limit': 3}}),
])
def test_round_trip(args, kwargs):
    assert koji.decode_args(*koji.encode_args(*args, **kwargs)) == (args, kwargs)


def test_decode_args_leaves_plain_dict_alone():
    params = (1, {'a': 1})
    assert koji.decode_args(*params) == (params, {})
    params = (1, {'a': 1, '__starstar': False})
    assert koji.decode_args(*params) == (params, {})


def test_decode_args_does_not_modify_input():
    last = {'a': 1, '__starstar': True}
    koji.decode_args(last)
    assert last == {'a': 1, '__starstar': True}


def test_decode_args2():
    params = koji.encode_args(1, 2, c=3)
    assert koji.decode_args2(params, ['a', 'b', 'c']) == {'a': 1, 'b': 2, 'c': 3}
    assert koji.decode_args2((1,), ['a', 'b']) == {'a': 1}
    with pytest.raises(TypeError):
        koji.decode_args2((1, 2, 3), ['a'])
    assert koji.decode_args2((1, 2, 3), ['a'], strict=False) == {'a': 1}


def test_decode_int():
    assert koji.decode_int(5) == 5
    assert koji.decode_int('12345678901') == 12345678901
    with pytest.raises(ValueError):
        koji.decode_int('x')


def test_safe_xmlrpc_loads():
    data = dumps((42,), methodresponse=1)
    assert koji.safe_xmlrpc_loads(data) == ((42,), None)
    fault = koji.safe_xmlrpc_loads(dumps(Fault(1000, 'boom')))
    assert isinstance(fault, Fault)
    assert fault.faultCode == 1000
