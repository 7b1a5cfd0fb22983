"""HandlerRegistry: what gets registered under which name, and the introspection calls."""
import types
import xmlrpc.client

import pytest

import koji
import koji.plugin
from koji.xmlrpcplus import dumps
from kojihub.core.registry import HandlerRegistry, export_name, format_argdesc

BUILTINS = ['_listapi', 'system.listMethods', 'system.methodHelp', 'system.methodSignature']


class Facade(object):
    """A stand-in for RootExports."""

    alias = staticmethod(lambda x, y=2: (x, y))

    def plain(self, a, b=None, *args, **kw):
        """Plain method doc."""
        return a

    def nodoc(self):
        return 1

    def _private(self):
        return 'hidden'

    @staticmethod
    def static(tag, event=None, inherit=False):
        return tag

    class Nested(object):
        pass

    constant = 5


class HostExports(object):
    """Same class name as the real facade so Python mangles the names the same way."""

    def subtask2(self, __parent, __taskopts, __method, *args, **opts):
        return __parent


@pytest.fixture
def registry():
    reg = HandlerRegistry()
    reg.register_instance(Facade())
    return reg


def test_introspection_builtins_always_present():
    reg = HandlerRegistry()
    assert sorted(reg.funcs) == BUILTINS
    assert reg.system_listMethods() == BUILTINS


def test_register_instance_public_callables_only(registry):
    names = registry.system_listMethods()
    for name in ('plain', 'nodoc', 'static', 'alias'):
        assert name in names
    for name in ('_private', 'Nested', 'constant', '__init__'):
        assert name not in names
    assert 'multiCall' not in names
    assert 'system.multicall' not in names


def test_register_with_prefix():
    reg = HandlerRegistry()
    reg.register_instance(Facade(), prefix='host')
    assert 'host.plain' in reg.funcs
    assert 'plain' not in reg.funcs


def test_duplicate_names_refused(registry):
    with pytest.raises(koji.GenericError):
        registry.register_function(lambda: 1, name='plain')


def test_get_unknown_method(registry):
    with pytest.raises(koji.GenericError) as exc:
        registry.get('noSuchCall')
    assert str(exc.value) == 'Invalid method: noSuchCall'
    assert exc.value.faultCode == 1000


def test_listapi_bound_method_drops_self(registry):
    info = registry.describe('plain')
    assert info == {
        'name': 'plain',
        'doc': 'Plain method doc.',
        'argspec': [['a', 'b'], 'args', 'kw', [None], [], None, {}],
        'argdesc': '(a, b=None, *args, **kw)',
        'args': ['a', ['b', None], 'args', 'kw'],
    }


def test_listapi_staticmethod_and_alias(registry):
    info = registry.describe('static')
    assert info['argspec'] == [['tag', 'event', 'inherit'], None, None, [None, False], [],
                               None, {}]
    assert info['argdesc'] == '(tag, event=None, inherit=False)'
    assert info['args'] == ['tag', ['event', None], ['inherit', False]]
    assert info['doc'] is None
    assert registry.describe('alias')['argdesc'] == '(x, y=2)'


def test_listapi_shows_mangled_names():
    reg = HandlerRegistry()
    reg.register_instance(HostExports(), prefix='host')
    info = reg.describe('host.subtask2')
    assert info['args'] == ['_HostExports__parent', '_HostExports__taskopts',
                            '_HostExports__method', 'args', 'opts']
    assert info['argdesc'] == ('(_HostExports__parent, _HostExports__taskopts, '
                               '_HostExports__method, *args, **opts)')


def test_listapi_is_marshallable_and_complete(registry):
    result = registry.list_api()
    assert sorted(r['name'] for r in result) == sorted(registry.funcs)
    for entry in result:
        assert sorted(entry) == ['argdesc', 'args', 'argspec', 'doc', 'name']
        assert len(entry['argspec']) == 7
    # the whole thing must go over the wire
    dumps((result,), methodresponse=1)
    own = [r for r in result if r['name'] == '_listapi'][0]
    assert own['argspec'] == [[], None, None, None, [], None, {}]
    assert own['args'] == []


def test_listapi_odd_defaults_are_wire_safe():
    marker = object()

    def func(a, b=marker, *, c=marker, d):
        return a

    reg = HandlerRegistry()
    reg.register_function(func)
    info = reg.describe('func')
    assert info['argspec'][3] == [repr(marker)]
    assert info['argspec'][4] == ['c', 'd']
    assert info['argspec'][5] == {'c': repr(marker)}
    assert info['args'] == ['a', ['b', repr(marker)], ['c', repr(marker)], 'd']
    assert info['argdesc'] == '(a, b=%r, *, c=%r, d)' % (marker, marker)
    dumps((reg.list_api(),), methodresponse=1)


def test_method_signature_and_help(registry):
    assert registry.system_methodSignature('plain') == 'signatures not supported'
    assert registry.system_methodHelp('plain') == ('plain(a, b=None, *args, **kw)\n'
                                                   'description: Plain method doc.')
    assert registry.system_methodHelp('nodoc') == 'nodoc()'
    assert registry.system_methodHelp('missing') == ''
    assert registry.system_methodHelp('system.methodHelp').startswith(
        'system.methodHelp(method)\ndescription: ')


def test_register_plugin_exports():
    plugin = types.ModuleType('_koji_plugin__sample')

    @koji.plugin.export
    def plain_call(x):
        return x

    @koji.plugin.export_as('renamedCall')
    def other(x):
        return x

    @koji.plugin.export_in('sample')
    def nested(x):
        return x

    @koji.plugin.export_in('sample', alias='aliased')
    def nested2(x):
        return x

    def not_exported():
        return 1

    class Klass(object):
        exported = True

    for obj in (plain_call, other, nested, nested2, not_exported, Klass):
        setattr(plugin, obj.__name__, obj)
    plugin.some_value = 3
    reg = HandlerRegistry()
    names = reg.register_plugin(plugin)
    assert sorted(names) == ['plain_call', 'renamedCall', 'sample.aliased', 'sample.nested']
    assert reg.get('sample.nested') is nested
    assert 'Klass' not in reg.funcs and 'not_exported' not in reg.funcs


def test_export_name_rules():
    def f():
        pass
    assert export_name(f) == 'f'
    f.export_alias = 'g'
    assert export_name(f) == 'g'


def test_call_goes_through_argcheck(registry):
    assert registry.call('static', 'x') == 'x'
    with pytest.raises(koji.ParameterError):
        registry.call('nodoc', 1, 2)


def test_format_argdesc_plain_function():
    import inspect

    def f(a, *args, **kw):
        pass
    assert format_argdesc(inspect.getfullargspec(f)) == '(a, *args, **kw)'


def test_help_text_over_wire(registry):
    # methodHelp output travels as a plain string
    text = registry.system_methodHelp('plain')
    data = dumps((text,), methodresponse=1)
    assert xmlrpc.client.loads(data)[0][0] == text
