"""Every exported call, fed random arguments over real HTTP: no unexpected errors.

For each name of system.listMethods we send a few argument lists built from a seeded
random generator (None, bools, ints at and past column limits, inf/nan, long strings,
odd characters, nested lists and structs, bogus keyword arguments), anonymously and as
an admin, to a hub with its own throw-away database.  Every reply must be a well-formed
XML-RPC document, and a fault must be a Koji fault: faultCode 1 means the hub hit an
error it did not expect.  The seed and the order of calls are fixed, so a failure
reproduces.  KOJI_FUZZ_ROUNDS raises the number of argument lists per call and caller.
"""
import math
import os
import random
import xmlrpc.client

import pytest

from tests.fixtures.hub import raw_post

SEED = 20250702
ROUNDS = int(os.environ.get('KOJI_FUZZ_ROUNDS', '1'))

# calls the admin pass leaves alone: they end or change the session the pass runs on, or
# lock the admin out (user 1 is the admin, and small ints are in the value pool)
ADMIN_SKIP = ('logout', 'logoutChild', 'exclusiveSession', 'sharedSession', 'subsession',
              'disableUser', 'editUser', 'revokePermission', 'editPermission')

# faultCode 1 replies upstream gives on purpose, and so do we: an unknown queryOpts order
# term (a bare Exception in its QueryProcessor, hub-api.md) and the test call `fault`
UPSTREAM_CODE_1 = ("<class 'Exception'>: Invalid order: ",
                   "<class 'Exception'>: test exception")

# characters XML 1.0 can carry that still tend to upset code: tab/CR/LF, DEL, C1
# controls, line separators, a non-BMP character, a byte order mark
ODD_CHARS = '\t\r\n\x7f\x85\x9f\u2028\ufeff\U0001f600\u00e9%/\\.\'"*?[;<&'
KEY_POOL = ('name', 'id', 'order', 'limit', 'offset', 'countOnly', 'asList', 'extra',
            'arch', 'state', 'strict', 'event', 'opts', 'type', 'blocked', 'x', '')


class Fuzzer(object):
    """Random XML-RPC values from one seeded generator."""

    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def string(self):
        rnd = self.rnd
        kind = rnd.randrange(7)
        if kind == 0:
            return ''
        if kind == 1:
            return 'x' * rnd.choice((200, 5000))
        if kind == 2:
            return ''.join(rnd.choice(ODD_CHARS) for _ in range(rnd.randint(1, 12)))
        if kind == 3:
            return rnd.choice(('../../etc/passwd', '/', '.', 'a/b', '%s%d', "'; --",
                               'admin', 'noarch', 'src', '1', '-1', 'None', 'true'))
        if kind == 4:
            return 'x' * 129
        return ''.join(rnd.choice('abcdefghij0123456789-_.')
                       for _ in range(rnd.randint(1, 10)))

    def number(self):
        return self.rnd.choice((0, 1, -1, 2, 1000, 2 ** 31 - 1, 2 ** 31, -2 ** 31 - 1,
                                2 ** 63 - 1, -2 ** 63, 2 ** 70, 0.5, -0.0, 1e308,
                                math.inf, -math.inf, math.nan))

    def value(self, depth=0):
        rnd = self.rnd
        kind = rnd.randrange(10 if depth < 3 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return rnd.random() < 0.5
        if kind in (2, 3):
            return self.number()
        if kind in (4, 5):
            return self.string()
        if kind in (6, 7):
            return [self.value(depth + 1) for _ in range(rnd.randint(0, 3))]
        if kind == 8:
            return {rnd.choice(KEY_POOL): self.value(depth + 1)
                    for _ in range(rnd.randint(0, 3))}
        return xmlrpc.client.Binary(self.string().encode('utf-8'))

    def arguments(self, spec):
        """(args, kwargs) around the call's parameter list, sometimes deliberately off."""
        rnd = self.rnd
        names = [a if isinstance(a, str) else a[0] for a in spec['args']]
        count = rnd.randint(0, len(names) + 1)
        args = [self.value() for _ in range(count)]
        kwargs = {}
        if rnd.random() < 0.3:
            pool = names + ['bogus', 'queryOpts', 'strict']
            for _ in range(rnd.randint(1, 2)):
                kwargs[rnd.choice(pool)] = self.value()
        return args, kwargs


class WideMarshaller(xmlrpc.client.Marshaller):
    """Writes any int, also past 64 bits (a client may send one; the hub must cope)."""

    dispatch = dict(xmlrpc.client.Marshaller.dispatch)

    def dump_wide_int(self, value, write):
        tag = 'int' if -2 ** 31 <= value < 2 ** 31 else 'i8'
        write('<value><%s>%d</%s></value>\n' % (tag, value, tag))

    dispatch[int] = dump_wide_int


def encode(method, args, kwargs):
    params = list(args)
    if kwargs:
        params.append(dict(kwargs, __starstar=True))
    marshaller = WideMarshaller('utf-8', allow_none=True)
    return ("<?xml version='1.0'?>\n<methodCall>\n<methodName>%s</methodName>\n%s"
            "</methodCall>\n" % (method, marshaller.dumps(tuple(params))))


def check_reply(method, args, kwargs, status, data):
    where = '%s(*%.300r, **%.300r)' % (method, args, kwargs)
    assert status == 200, '%s: HTTP %s %r' % (where, status, data[:300])
    try:
        xmlrpc.client.loads(data, use_builtin_types=True)
    except xmlrpc.client.Fault as fault:
        assert isinstance(fault.faultCode, int), where
        if fault.faultCode == 1:
            assert fault.faultString.startswith(UPSTREAM_CODE_1), (
                '%s: unexpected error %s' % (where, fault.faultString[:500]))
    except Exception as exc:
        pytest.fail('%s: reply is not XML-RPC (%s): %r' % (where, exc, data[:300]))


@pytest.fixture(scope='module')
def api(hub_server):
    specs = {entry['name']: entry for entry in hub_server.call('_listapi')}
    names = hub_server.call('system.listMethods')
    assert set(names) <= set(specs)
    return [specs[name] for name in sorted(names)]


def run_pass(hub_server, api, seed, headers=None, skip=()):
    fuzz = Fuzzer(seed)
    sent = 0
    for spec in api:
        if spec['name'] in skip:
            continue
        for _ in range(ROUNDS):
            args, kwargs = fuzz.arguments(spec)
            body = encode(spec['name'], args, kwargs)
            status, _, data = raw_post(hub_server.url, body,
                                       headers=headers() if headers else None)
            check_reply(spec['name'], args, kwargs, status, data)
            sent += 1
    return sent


def test_fuzz_anonymous(hub_server, api):
    assert run_pass(hub_server, api, SEED) >= len(api)
    assert hub_server.call('hello') == 'Hello World'


def test_fuzz_admin(hub_server, api):
    headers = hub_server.login_headers()
    run_pass(hub_server, api, SEED + 1, headers=headers, skip=ADMIN_SKIP)
    # the session survived: the pass really ran as the admin
    status, _, data = raw_post(hub_server.url, encode('getLoggedInUser', (), {}),
                               headers=headers())
    user = xmlrpc.client.loads(data)[0][0]
    assert user['name'] == hub_server.admin_user
