"""A multicall made only of getBuild entries reads its builds in one query
(core/prefetch.py): its answers must be exactly what the entries give one by one, faults
included, and it must not send a query per entry."""
import uuid

import pytest

from kojihub.core import db, dispatcher, prefetch

from tests.hub.test_builds_query import insert_build


@pytest.fixture
def builds(hub_context):
    """Builds committed (a multicall prefetches only outside a transaction), under names
    of this test's own."""
    tag = uuid.uuid4().hex[:6]
    owner = db._singleValue(
        "INSERT INTO users (name, status, usertype) VALUES (%(n)s, 0, 0) RETURNING id",
        {'n': 'mcp-owner-' + tag})
    ids = {}
    for i in range(6):
        ids['mcp%s-%d-1.0-1' % (tag, i)] = insert_build(
            'mcp%s-%d' % (tag, i), '1.0', '1', owner, i, extra={'n': i} if i % 2 else None)
    ids['mcp%s-0-2.0-1' % tag] = insert_build('mcp%s-0' % tag, '2.0', '1', owner, 9,
                                              epoch=3)
    hub_context.cnx.commit()
    return ids


def entries(builds):
    """Every kind of getBuild argument: NVRs, ids, dicts, misses, bad input, strict."""
    nvrs = list(builds)
    first, second = nvrs[0], nvrs[-1]
    name0 = first.rsplit('-', 2)[0]
    miss = name0.replace('-0', '-9') + '-1.0-1'
    calls = [[nvr] for nvr in nvrs] + [[bid] for bid in builds.values()]
    calls += [
        [first],                             # the same build twice
        ['3:' + second],                     # an epoch in the NVR is ignored
        [miss],                              # no such build
        [10 ** 9],                           # no such id
        [{'name': name0, 'version': '1.0', 'release': '1'}],
        [{'id': builds[nvrs[2]]}],
        ['no_dashes'],                       # parse error: a fault
        [miss, True],                        # strict miss: a fault
        [builds[nvrs[3]], True],
        [True],                              # a bool is no id
        [nvrs[4] + '\x00'],                  # NUL: the database refuses it
    ]
    return [{'methodName': 'getBuild', 'params': params} for params in calls]


def one_by_one(calls):
    """Each entry as its own multicall of one (below the prefetch's threshold)."""
    return [dispatcher.multicall([call])[0] for call in calls]


def plain(results):
    """Results without the tracebacks of unexpected errors (their line numbers differ)."""
    return [{k: v for k, v in r.items() if k != 'traceback'} if isinstance(r, dict) else r
            for r in results]


def test_prefetched_multicall_answers_as_entries_do(builds):
    calls = entries(builds)
    together = dispatcher.multicall(calls)
    alone = one_by_one(calls)
    assert plain(together) == plain(alone)
    nvrs, count = list(builds), len(builds)
    # the answers are the builds: found ones as [record], misses as [None], faults
    assert [r[0]['nvr'] for r in together[:count]] == nvrs
    assert [r[0]['id'] for r in together[count:2 * count]] == list(builds.values())
    assert together[1][0]['extra'] == {'n': 1}
    extra = together[2 * count:]
    assert extra[0][0]['nvr'] == nvrs[0] and extra[1][0]['nvr'] == nvrs[-1]
    assert extra[2] == [None] and extra[3] == [None]
    assert extra[4][0]['nvr'] == nvrs[0] and extra[5][0]['nvr'] == nvrs[2]
    assert 'invalid format: no_dashes' in extra[6]['faultString']
    assert extra[7]['faultString'].startswith('No such build')
    assert extra[8][0]['nvr'] == nvrs[3]
    # the encoded answer is byte for byte the one the entries give alone
    encode = dispatcher.encode_response
    assert encode(plain(together)) == encode(plain(alone))


def test_prefetch_sends_one_query_not_one_per_entry(builds, monkeypatch):
    calls = [{'methodName': 'getBuild', 'params': [nvr]} for nvr in builds] * 10
    sent = []
    real = db.CursorWrapper.execute

    def counting(self, operation, *args, **kwargs):
        sent.append(operation)
        return real(self, operation, *args, **kwargs)
    monkeypatch.setattr(db.CursorWrapper, 'execute', counting)
    results = dispatcher.multicall(calls)
    assert [r[0]['nvr'] for r in results] == list(builds) * 10
    assert len(sent) == 1, sent
    # ids and NVRs mixed: one query for each kind
    del sent[:]
    mixed = [{'methodName': 'getBuild', 'params': [bid]} for bid in builds.values()]
    dispatcher.multicall(calls + mixed)
    assert len(sent) == 2, sent


def test_no_prefetch_for_mixed_methods_or_inside_a_transaction(builds, monkeypatch):
    started = []
    real_start = prefetch.start

    def watch(calls):
        started.append(real_start(calls))
        return started[-1]
    monkeypatch.setattr(prefetch, 'start', watch)
    calls = [{'methodName': 'getBuild', 'params': [nvr]} for nvr in builds]
    dispatcher.multicall(calls + [{'methodName': 'getAPIVersion', 'params': []}])
    assert started == [False]
    db.get_event()                           # opens the request's transaction
    results = dispatcher.multicall(calls)
    assert started == [False, False]
    assert [r[0]['nvr'] for r in results] == list(builds)
    # nothing is left behind for the calls of the same request that follow
    assert not prefetch.active('getBuild')
