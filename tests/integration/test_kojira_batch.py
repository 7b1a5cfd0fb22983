"""kojira's repo pass is batched: a thousand repo rows cost a handful of hub requests."""
import optparse
import os
import sys
import time

import pytest

import koji
from tests.fixtures.sessions import client, db_exec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'util'))

from kojiralib import options as kopts  # noqa: E402
from kojiralib.deleter import Deleter  # noqa: E402
from kojiralib.janitor import Janitor  # noqa: E402
from kojiralib.prune import Pruner  # noqa: E402


class CountingSession(koji.ClientSession):
    """Counts the HTTP requests (a multicall is one)."""
    requests = 0

    def _sendCall(self, handler, headers, request):
        CountingSession.requests += 1
        return super()._sendCall(handler, headers, request)


@pytest.fixture(scope='module')
def session(hub_server):
    admin = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    admin.login()
    admin.createUser('kojira-batch')
    admin.grantPermission('kojira-batch', 'repo', create=True)
    admin.logout()
    hub_server.set_password('kojira-batch', 'pw')
    sess = CountingSession(hub_server.url, {'user': 'kojira-batch', 'password': 'pw'})
    sess.login()
    yield sess
    sess.logout()


def test_thousand_rows_in_a_few_requests(hub_server, session, tmp_path):
    tag_id = db_exec(hub_server, "INSERT INTO tag (name) VALUES ('batch-tag') RETURNING id")[0][0]
    # 250 each: stale INIT, old non-current READY, old EXPIRED, current READY
    db_exec(hub_server, (
        "INSERT INTO repo (tag_id, state, opts, custom_opts, creation_time, state_time, "
        "end_event) SELECT %(tag)s, s.state, '{}', '{}', NOW() - '30 days'::interval, "
        "NOW() - '30 days'::interval, CASE WHEN s.state = 1 AND n %% 2 = 0 "
        "THEN get_event() END FROM generate_series(1, 250) AS n, "
        "(VALUES (0), (1), (2), (1)) AS s(state)"), {'tag': tag_id})
    options = kopts.finish(optparse.Values(dict(kopts.DEFAULTS, topdir=str(tmp_path))))
    pathinfo = koji.PathInfo(topdir=str(tmp_path))
    deleter = Deleter(2)
    janitor = Janitor(options, pathinfo, deleter)
    pruner = Pruner(options, pathinfo, deleter, janitor)
    CountingSession.requests = 0
    start = time.time()
    janitor.update(session)
    pruner.prune(session)
    elapsed = time.time() - start
    counts = dict((state, n) for state, n in db_exec(
        hub_server, "SELECT state, COUNT(*) FROM repo WHERE tag_id = %(tag)s GROUP BY state",
        {'tag': tag_id}))
    assert counts == {koji.REPO_PROBLEM: 250, koji.REPO_READY: 250,
                      koji.REPO_EXPIRED: 250, koji.REPO_DELETED: 250}
    # query, marks, references, deletions, getBuildTargets, listVolumes
    assert CountingSession.requests <= 6
    print('one pass over 1000 rows: %.2fs, %d requests' % (elapsed, CountingSession.requests))
