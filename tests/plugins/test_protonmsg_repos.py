"""protonmsg repo.init / repo.done: a real kojid makes the build tag's repo (newRepo from
the repo queue) while the hub runs protonmsg against the test RabbitMQ node."""
import json

import pytest

from tests.plugins.broker import Collector
from tests.plugins.conftest import plugin_build_env

HOST = 'kojid-protonmsg.test'
CONF = """[broker]
urls = %s
topic_prefix = /topic/kojirepo
connect_timeout = 5
send_timeout = 20
"""


@pytest.fixture(scope='module')
def bus(rabbitmq):
    collector = Collector(rabbitmq.url, 'kojirepo', ['repo.init', 'repo.done'])
    yield collector
    collector.close()


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory, rabbitmq, bus):
    yield from plugin_build_env(hub_server, tmp_path_factory, HOST, 'pm', 'protonmsg',
                                'protonmsg.conf', CONF % rabbitmq.url)


def test_repo_messages(env, bus):
    repo = env['repo']
    got = bus.wait(2)
    init = [m for a, m in got if a == 'repo.init']
    done = [m for a, m in got if a == 'repo.done']
    assert len(init) == 1 and len(done) == 1
    assert init[0].properties == {'type': 'RepoInit', 'tag': env['build_tag'],
                                  'repo_id': repo['id'], 'task_id': repo['task_id']}
    body = json.loads(init[0].body)
    assert body['repo_id'] == repo['id'] and body['tag']['name'] == env['build_tag']
    assert done[0].properties == {'type': 'RepoDone', 'tag': env['build_tag'],
                                  'repo_id': repo['id'], 'task_id': repo['task_id'],
                                  'expire': False}
    body = json.loads(done[0].body)
    assert body['repo']['id'] == repo['id'] and body['task_id'] is None
    assert sorted(body) == ['data', 'expire', 'repo', 'task_id']
