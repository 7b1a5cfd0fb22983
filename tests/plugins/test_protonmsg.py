"""protonmsg against a real RabbitMQ node (AMQP 1.0): what arrives for each hub event,
the proton_queue table while the broker is unreachable and its drain afterwards,
test_mode."""
import json
import os
import shutil

import psycopg2
import pytest

import koji

from tests.plugins.broker import Collector, Relay

PREFIX = 'koji'
ADDRESSES = [
    'package.add', 'package.update', 'package.block', 'package.unblock', 'package.remove',
    'task.free', 'task.open', 'task.closed', 'task.canceled', 'task.assigned', 'task.failed',
    'build.building', 'build.complete', 'build.deleted', 'build.failed', 'build.canceled',
    'build.tag', 'build.untag', 'build.promote',
    'import.build', 'import.rpm', 'import.cg', 'import.archive',
    'sign.rpm', 'repo.init', 'repo.done',
]


def conf(url, queue=True, extra=''):
    return """[broker]
urls = %s
topic_prefix = /topic/%s
connect_timeout = 5
send_timeout = 20
%s
[message]
extra_limit = 60
ttl = 600

[queue]
enabled = %s
batch_size = 100
max_age = 24
""" % (url, PREFIX, extra, 'true' if queue else 'false')


@pytest.fixture(scope='module')
def relay(rabbitmq):
    relay = Relay(rabbitmq.port)
    relay.up()
    yield relay
    relay.down()


@pytest.fixture(scope='module')
def hub(plugin_hub_factory, relay):
    server = plugin_hub_factory(['protonmsg'], configs={
        'protonmsg.conf': conf('amqp://127.0.0.1:%d' % relay.port)})
    admin = server.session()
    admin.createTag('dest')
    admin.packageListAdd('dest', 'seed', owner=server.admin_user)
    server.admin = admin
    return server


@pytest.fixture(scope='module')
def bus(rabbitmq):
    collector = Collector(rabbitmq.url, PREFIX, ADDRESSES)
    yield collector
    collector.close()


def queue_rows(server):
    conn = psycopg2.connect(server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute('SELECT address, props, body FROM proton_queue ORDER BY id')
            return cur.fetchall()
    finally:
        conn.close()


def one(bus, address):
    """The one message to this address among those that arrived (a call may cause other
    events too, e.g. the notification task of an untag)."""
    got = [msg for addr, msg in bus.wait(1) if addr == address]
    assert len(got) == 1, got
    return got[0].properties, json.loads(got[0].body)


def test_package_messages(hub, bus):
    admin = hub.admin
    bus.wait(0)
    admin.packageListAdd('dest', 'pkg-one', owner=hub.admin_user)
    props, body = one(bus, 'package.add')
    assert props == {'type': 'PackageListChange', 'tag': 'dest', 'package': 'pkg-one',
                     'action': 'add', 'user': hub.admin_user}
    assert body['action'] == 'add'
    assert body['tag']['name'] == 'dest' and body['package']['name'] == 'pkg-one'
    assert body['user']['name'] == hub.admin_user
    for key in ('owner', 'block', 'extra_arches', 'force', 'update'):
        assert key in body
    admin.packageListBlock('dest', 'pkg-one')
    assert one(bus, 'package.block')[0]['action'] == 'block'
    admin.packageListUnblock('dest', 'pkg-one')
    assert one(bus, 'package.unblock')[0]['action'] == 'unblock'
    admin.packageListRemove('dest', 'pkg-one')
    props, body = one(bus, 'package.remove')
    assert props['package'] == 'pkg-one'
    assert sorted(body) == ['action', 'package', 'tag', 'user']


def test_build_messages(hub, bus):
    admin = hub.admin
    bus.wait(0)
    build_id = admin.createEmptyBuild('seed', '1.0', '1', None)
    props, body = one(bus, 'build.complete')
    assert props == {'type': 'BuildStateChange', 'name': 'seed', 'version': '1.0',
                     'release': '1', 'attribute': 'state', 'old': None, 'new': 'COMPLETE'}
    assert body['info']['id'] == build_id
    assert body['old'] is None and body['new'] == 1 and body['attribute'] == 'state'
    assert body['btypes'] == {}
    # datetimes arrive as strings
    assert isinstance(body['info']['creation_time'], str)

    admin.tagBuildBypass('dest', build_id)
    props, body = one(bus, 'build.tag')
    assert props == {'type': 'Tag', 'tag': 'dest', 'name': 'seed', 'version': '1.0',
                     'release': '1', 'user': hub.admin_user}
    assert sorted(body) == ['build', 'force', 'tag', 'user']
    assert body['build']['id'] == build_id

    admin.untagBuild('dest', build_id)
    props, body = one(bus, 'build.untag')
    assert props['type'] == 'Untag' and props['tag'] == 'dest'
    assert sorted(body) == ['build', 'force', 'strict', 'tag', 'user']

    admin.deleteBuild(build_id)
    props, body = one(bus, 'build.deleted')
    assert (props['old'], props['new']) == ('COMPLETE', 'DELETED')


def test_extra_limit(hub, bus):
    admin = hub.admin
    small = admin.createEmptyBuild('seed', '2.0', '1', None)
    big = admin.createEmptyBuild('seed', '2.0', '2', None)
    hub.sql('UPDATE build SET extra = %s WHERE id = %s', json.dumps({'a': 1}), small)
    hub.sql('UPDATE build SET extra = %s WHERE id = %s', json.dumps({'a': 'x' * 100}), big)
    bus.wait(0)
    admin.tagBuildBypass('dest', small)
    assert one(bus, 'build.tag')[1]['build']['extra'] == {'a': 1}
    admin.tagBuildBypass('dest', big)
    assert 'extra' not in one(bus, 'build.tag')[1]['build']


def test_promote_message(hub, bus):
    admin = hub.admin
    build_id = admin.createEmptyBuild('seed', '3.0', '1', None, draft=True)
    bus.wait(1)
    admin.promoteBuild(build_id)
    props, body = one(bus, 'build.promote')
    assert props['type'] == 'BuildPromote' and props['build_id'] == build_id
    assert props['draft_release'] == '1,draft_%d' % build_id
    assert props['target_release'] == '1' and props['release'] == '1'
    assert props['user'] == hub.admin_user
    assert sorted(body) == ['build', 'draft_release', 'target_release', 'user']


def test_task_message(hub, bus):
    admin = hub.admin
    task_id = admin.makeTask('sleep', [1])
    props, body = one(bus, 'task.free')
    assert props['id'] == task_id and props['new'] == 'FREE'
    admin.cancelTask(task_id)
    props, body = one(bus, 'task.canceled')
    assert props == {'type': 'TaskStateChange', 'id': task_id, 'parent': None,
                     'method': 'sleep', 'attribute': 'state', 'old': 'FREE',
                     'new': 'CANCELED'}
    assert body['info']['id'] == task_id and body['new'] == 'CANCELED'


def test_import_and_sign_messages(hub, bus, rpm_builds, signed_rpms):
    admin = hub.admin
    build = rpm_builds.noarch
    updir = os.path.join(hub.topdir, 'work', 'pm-import')
    os.makedirs(updir)
    for path in build.paths:
        shutil.copy(path, updir)
    hub.runas.chown_tree(updir)
    bus.wait(0)
    admin.importRPM('pm-import', os.path.basename(build.srpm))
    props, body = one(bus, 'import.rpm')
    assert props == {'type': 'Import', 'importType': 'rpm', 'name': build.name,
                     'version': build.version, 'release': build.release}
    assert body['type'] == 'rpm' and body['rpm']['arch'] == 'src'
    assert body['build']['name'] == build.name
    rpm_path = build.rpms[0]
    rpminfo = admin.importRPM('pm-import', os.path.basename(rpm_path))
    props, body = one(bus, 'import.rpm')
    assert body['rpm']['id'] == rpminfo['id']
    signed = [p for p in signed_rpms.noarch.rpms
              if os.path.basename(p) == os.path.basename(rpm_path)][0]
    admin.addRPMSig(rpminfo['id'], koji.util.base64encode(koji.rip_rpm_sighdr(signed)))
    props, body = one(bus, 'sign.rpm')
    assert props == {'type': 'RPMSign', 'sigkey': signed_rpms.sigkey, 'name': build.name,
                     'version': build.version, 'release': build.release,
                     'rpm_name': build.name, 'rpm_version': build.version,
                     'rpm_release': build.release, 'rpm_arch': 'noarch'}
    assert sorted(body) == ['build', 'rpm', 'sighash', 'sigkey']


def test_queue_while_broker_unreachable(hub, bus, relay):
    admin = hub.admin
    bus.wait(0)
    relay.down()
    try:
        admin.packageListAdd('dest', 'while-down', owner=hub.admin_user)
        admin.packageListBlock('dest', 'while-down')
    finally:
        relay.up()
    rows = queue_rows(hub)
    assert [r[0] for r in rows] == ['package.add', 'package.block']
    assert rows[0][1]['package'] == 'while-down'
    assert rows[0][2]['package']['name'] == 'while-down'
    # back: the next call sends its own message, then the queued ones
    admin.packageListAdd('dest', 'after', owner=hub.admin_user)
    got = bus.wait(3)
    assert sorted((a, m.properties['package']) for a, m in got) == [
        ('package.add', 'after'), ('package.add', 'while-down'),
        ('package.block', 'while-down')]
    assert queue_rows(hub) == []


def test_queue_disabled_loses_messages(plugin_hub_factory, relay):
    server = plugin_hub_factory(['protonmsg'], configs={
        'protonmsg.conf': conf('amqp://127.0.0.1:%d' % relay.port, queue=False)})
    admin = server.session()
    admin.createTag('lost')
    relay.down()
    try:
        admin.packageListAdd('lost', 'pkg', owner=server.admin_user)
    finally:
        relay.up()
    assert queue_rows(server) == []
    assert 'could not send 1 messages. db queue disabled' in server.read_log()


def test_test_mode(plugin_hub_factory, rabbitmq):
    counting = Relay(rabbitmq.port)
    counting.up()
    try:
        url = 'amqp://127.0.0.1:%d' % counting.port
        server = plugin_hub_factory(['protonmsg'], configs={
            'protonmsg.conf': conf(url, extra='test_mode = true\n')})
        admin = server.session()
        server.sql("INSERT INTO proton_queue (address, props, body) "
                   "VALUES ('build.tag', '{}', '{}')")
        admin.createTag('tm')
        admin.packageListAdd('tm', 'pkg', owner=server.admin_user)
        # nothing reached the broker; the queued row counts as sent
        assert counting.accepted == 0
        assert queue_rows(server) == []

        failing = plugin_hub_factory(['protonmsg'], configs={
            'protonmsg.conf': conf(url, extra='test_mode = true\ntest_mode_fail = 100\n')})
        admin = failing.session()
        admin.createTag('tm')
        admin.packageListAdd('tm', 'pkg', owner=failing.admin_user)
        assert [r[0] for r in queue_rows(failing)] == ['package.add']
        assert counting.accepted == 0
    finally:
        counting.down()
