"""Policies at hub start-up over HTTP: bad [policy] text, plugin tests, evalPolicy."""
import os
import textwrap
import xmlrpc.client

import pytest

PLUGIN_SOURCE = '''
from koji.policy import BaseSimpleTest


class FlavorTest(BaseSimpleTest):
    """flavor PAT: data flavor equals one of the words."""
    name = 'flavor'

    def run(self, data):
        return data.get('flavor') in self.str.split()[1:]
'''


def call(server, method, *args):
    try:
        return server.call(method, *args)
    except xmlrpc.client.Fault as fault:
        return fault


@pytest.fixture
def restore(hub_server):
    yield hub_server
    hub_server.restart({})


def test_invalid_policy_fails_startup(restore):
    server = restore
    server.restart({'policy': {'tag': 'operation tag :: allow\nbogus_test x :: deny\n'}})
    fault = call(server, 'hello')
    assert isinstance(fault, xmlrpc.client.Fault)
    assert (fault.faultCode, fault.faultString) == (1014, 'server startup error')
    log = server.read_log()
    assert 'Invalid policy configuration' in log
    assert "policy 'tag'" in log and 'bogus_test' in log and 'line ' in log


def test_plugin_policy_tests_and_eval(restore, tmp_path_factory):
    server = restore
    plugdir = tmp_path_factory.mktemp('policyplugins')
    (plugdir / 'flavors.py').write_text(textwrap.dedent(PLUGIN_SOURCE))
    os.chmod(str(plugdir), 0o755)
    server.restart({'Plugins': 'flavors', 'PluginPath': str(plugdir),
                    'policy': {'flavor_check': 'flavor sweet :: allow\nall :: deny sour'}})
    assert call(server, 'hello') == 'Hello World'
    if 'evalPolicy' not in server.call('system.listMethods'):
        pytest.skip('evalPolicy is not registered yet')
    assert server.call('evalPolicy', 'flavor_check', {'flavor': 'sweet'}) == 'allow'
    assert server.call('evalPolicy', 'flavor_check', {'flavor': 'salty'}) == 'deny sour'
    assert server.call('evalPolicy', 'priority', {}) == 'stay'
    fault = call(server, 'evalPolicy', 'no_such_policy', {})
    assert fault.faultString == 'no such policy: no_such_policy'
