"""A private RabbitMQ node with the AMQP 1.0 plugin, a switchable TCP relay in front of it,
and a message collector, for the protonmsg tests.

- ``RabbitNode``: its own node name, ports and data folders (under a temporary folder), so
  it neither needs nor disturbs a system broker.  Starting it takes a while, so the
  ``rabbitmq`` fixture keeps one per test session (per xdist worker).
- ``Relay``: a TCP relay the hub connects through; ``down()`` closes it and every
  connection through it (the broker is unreachable: connection refused), ``up()`` opens
  it again on the same port.
- ``Collector``: one AMQP receiver per address, messages kept per address.
"""
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

RABBIT_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
START_TIMEOUT = 180


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


class RabbitNode(object):
    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.dist_port = free_port()
        self.name = 'kojitest%d@localhost' % self.port
        self.proc = None

    @property
    def url(self):
        return 'amqp://127.0.0.1:%d' % self.port

    def env(self):
        base = self.workdir
        env = dict(os.environ)
        env.update({
            'HOME': base,
            'RABBITMQ_NODENAME': self.name,
            'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'RABBITMQ_MNESIA_BASE': os.path.join(base, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(base, 'log'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(base, 'enabled_plugins'),
            'RABBITMQ_CONFIG_FILE': os.path.join(base, 'rabbitmq'),
            'RABBITMQ_PID_FILE': os.path.join(base, 'rabbitmq.pid'),
        })
        return env

    def start(self):
        with open(os.path.join(self.workdir, 'enabled_plugins'), 'w') as fp:
            fp.write('[rabbitmq_amqp1_0].\n')
        with open(os.path.join(self.workdir, 'rabbitmq.conf'), 'w') as fp:
            fp.write('listeners.tcp.default = 127.0.0.1:%d\n' % self.port)
        out = open(os.path.join(self.workdir, 'server.out'), 'ab')
        try:
            self.proc = subprocess.Popen([RABBIT_SERVER], env=self.env(), cwd=self.workdir,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            out.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not port_open(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(os.path.join(self.workdir, 'server.out'), errors='replace') as fp:
                    raise RuntimeError('RabbitMQ did not start:\n' + fp.read()[-3000:])
            time.sleep(0.5)

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait()


@pytest.fixture(scope='session')
def rabbitmq(tmp_path_factory):
    """A running RabbitMQ node (AMQP 1.0) of this test session."""
    if not os.access(RABBIT_SERVER, os.X_OK):
        if os.environ.get('KOJI_TEST_REQUIRE_BROKER'):
            pytest.fail('RabbitMQ is not installed (%s)' % RABBIT_SERVER)
        pytest.skip('RabbitMQ is not installed')
    pytest.importorskip('proton')
    # short: the node's socket paths must fit in a unix socket name
    workdir = str(tmp_path_factory.mktemp('rmq'))
    node = RabbitNode(workdir)
    node.start()
    yield node
    node.stop()
    shutil.rmtree(os.path.join(workdir, 'mnesia'), ignore_errors=True)


class Relay(object):
    """Forwards 127.0.0.1:<port> to the broker while up."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = free_port()
        self.listener = None
        self.conns = []
        self.accepted = 0
        self.lock = threading.Lock()

    def up(self):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('127.0.0.1', self.port))
        sock.listen(16)
        self.listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def down(self):
        sock, self.listener = self.listener, None
        if sock is not None:
            # shutdown wakes the thread blocked in accept(); close alone would not
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, sock):
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                server = socket.create_connection(('127.0.0.1', self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Collector(object):
    """Receivers on '/topic/<prefix>.<address>' for each address; ``wait`` gathers."""

    def __init__(self, url, prefix, addresses):
        from proton.utils import BlockingConnection
        self.conn = BlockingConnection(url, timeout=30)
        self.receivers = {}
        for address in addresses:
            self.receivers[address] = self.conn.create_receiver(
                '/topic/%s.%s' % (prefix, address), credit=100)
        self.got = []

    def _poll(self):
        from proton import Timeout
        found = False
        for address, receiver in self.receivers.items():
            while True:
                try:
                    msg = receiver.receive(timeout=0.05)
                except Timeout:
                    break
                receiver.accept()
                self.got.append((address, msg))
                found = True
        return found

    def wait(self, count, timeout=60):
        """Poll until at least ``count`` messages arrived in all (or timeout); return
        them all and forget them."""
        deadline = time.monotonic() + timeout
        while len(self.got) < count and time.monotonic() < deadline:
            self._poll()
        # whatever else is already there (a test checks there is nothing extra)
        while self._poll():
            pass
        got, self.got = self.got, []
        return got

    def close(self):
        self.conn.close()
