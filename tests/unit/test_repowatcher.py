"""koji.util.RepoWatcher against a scripted hub (unit test of the one class).

The watcher must go through the request queue (repo.request, then repo.checkRequest),
check the repo it gets, and fail with upstream's messages.
"""
import logging

import pytest

import koji
from koji.util import RepoWatcher

TAG = {'id': 7, 'name': 'f-build'}


class Repo(object):
    """The repo.* namespace of the fake session."""

    def __init__(self, hub):
        self.hub = hub

    def request(self, tag, min_event=None, at_event=None, opts=None):
        self.hub.calls.append(('request', tag, min_event, at_event, opts))
        return self.hub.requests.pop(0)

    def checkRequest(self, req_id):
        self.hub.calls.append(('checkRequest', req_id))
        return self.hub.checks.pop(0)

    def get(self, tag, min_event=None, at_event=None, opts=None):
        self.hub.calls.append(('get', tag, min_event))
        return self.hub.gets.pop(0)


class Hub(object):
    def __init__(self, requests=(), checks=(), gets=(), tagged=None, last_event=100):
        self.requests = list(requests)
        self.checks = list(checks)
        self.gets = list(gets)
        self.tagged = tagged if tagged is not None else {}
        self.last_event = last_event
        self.calls = []
        self.repo = Repo(self)

    def getTag(self, tag, strict=False):
        assert tag in (TAG['id'], TAG['name'])
        return dict(TAG)

    def tagLastChangeEvent(self, tag):
        return self.last_event

    def listTagged(self, tag, event=None, package=None, inherit=False):
        return [b for b in self.tagged.get(package, []) if event is None or b['event'] <= event]


def _repo(repo_id, event, tag_id=TAG['id']):
    return {'id': repo_id, 'tag_id': tag_id, 'create_event': event, 'opts': {}}


def _req(req_id=3, min_event=90, active=True, task_id=None, task_state=None, repo_id=None):
    return {'id': req_id, 'min_event': min_event, 'active': active, 'task_id': task_id,
            'task_state': task_state, 'repo_id': repo_id, 'tries': 1}


def _watcher(hub, **kw):
    watcher = RepoWatcher(hub, TAG['name'], **kw)
    watcher.pause = lambda: hub.calls.append(('pause',))
    return watcher


def test_getrepo_returns_ready_repo():
    hub = Hub(requests=[{'repo': _repo(5, 120), 'request': None}])
    assert _watcher(hub, min_event='last').getRepo()['id'] == 5
    assert hub.calls == [('request', 7, 100, None, None)]


def test_getrepo_without_repo_gives_waitrepo_args_from_request():
    hub = Hub(requests=[{'repo': None, 'request': _req(min_event=88)}])
    watcher = _watcher(hub, nvrs=[])
    assert watcher.getRepo() is None
    assert watcher.task_args() == ['f-build', None, [], 88]


def test_getrepo_rejects_repo_older_than_min_event():
    hub = Hub(requests=[{'repo': _repo(5, 99), 'request': _req()}], last_event=100)
    assert _watcher(hub, min_event='last').getRepo() is None


def test_getrepo_does_not_request_before_builds_are_tagged():
    hub = Hub()
    assert _watcher(hub, nvrs=['foo-1-1']).getRepo() is None
    assert hub.calls == []


def test_waitrepo_watches_request_until_repo():
    req = _req(min_event=95)
    hub = Hub(requests=[{'repo': None, 'request': req}],
              checks=[{'repo': None, 'request': _req(task_id=40, task_state=0)},
                      {'repo': None, 'request': _req(task_id=40, task_state=1)},
                      {'repo': _repo(6, 96), 'request': _req(repo_id=6, active=False)}])
    repo = _watcher(hub).waitrepo()
    assert repo['id'] == 6
    assert hub.calls == [('request', 7, None, None, None), ('pause',), ('checkRequest', 3),
                         ('pause',), ('checkRequest', 3), ('pause',), ('checkRequest', 3)]


def test_waitrepo_inactive_request_fails():
    hub = Hub(requests=[{'repo': None, 'request': _req()}],
              checks=[{'repo': None, 'request': _req(active=False, task_id=4, task_state=5)}])
    with pytest.raises(koji.GenericError,
                       match='^Repo request inactive: task 4 state is FAILED$'):
        _watcher(hub).waitrepo()
    hub = Hub(requests=[{'repo': None, 'request': _req()}],
              checks=[{'repo': None, 'request': _req(active=False)}])
    with pytest.raises(koji.GenericError, match='^Repo request no longer active$'):
        _watcher(hub).waitrepo()


def test_waitrepo_timeout_message():
    hub = Hub(requests=[{'repo': None, 'request': _req()}],
              checks=[{'repo': None, 'request': _req()}])
    watcher = _watcher(hub)
    watcher.TIMEOUT = -1
    with pytest.raises(koji.GenericError, match=r'^Unsuccessfully waited \d+:\d\d for a new '
                                                r'f-build repo$'):
        watcher.waitrepo()


def test_waitrepo_waits_for_builds_then_requests_after_last_change():
    build = {'version': '1', 'release': '1', 'event': 150}
    hub = Hub(requests=[{'repo': _repo(9, 151), 'request': None}], last_event=150)
    watcher = _watcher(hub, nvrs=['foo-1-1'])
    # tagged while we pause
    watcher.pause = lambda: hub.tagged.setdefault('foo', [build])
    assert watcher.waitrepo()['id'] == 9
    assert hub.calls == [('request', 7, 150, None, None)]


def test_anon_waitrepo_uses_repo_get():
    hub = Hub(gets=[None, _repo(2, 100)])
    assert _watcher(hub).waitrepo(anon=True)['id'] == 2
    assert hub.calls == [('get', 7, None), ('pause',), ('get', 7, None)]


def test_conflicting_events_and_waitrepo_limits():
    with pytest.raises(koji.ParameterError, match='Cannot specify both min_event and at_event'):
        RepoWatcher(Hub(), 7, min_event=3, at_event=4)
    with pytest.raises(koji.GenericError, match='at_event not supported by waitrepo task'):
        RepoWatcher(Hub(), 7, at_event=4).task_args()
    with pytest.raises(koji.GenericError, match='opts not supported by waitrepo task'):
        RepoWatcher(Hub(), 7, opts={'src': True}).task_args()


def test_pauses_fixed_by_default_growing_with_first_pause():
    watcher = RepoWatcher(Hub(), 7)
    assert [watcher.next_delay() for _ in range(3)] == [6, 6, 6]
    watcher.PAUSE = 60
    watcher.FIRST_PAUSE = 1
    assert [watcher.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_request_progress_restarts_short_pauses():
    hub = Hub(requests=[{'repo': None, 'request': _req()}],
              checks=[{'repo': None, 'request': _req()},
                      {'repo': None, 'request': _req(task_id=40, task_state=0)},
                      {'repo': _repo(6, 96), 'request': _req(repo_id=6, active=False)}])
    watcher = RepoWatcher(hub, TAG['name'])
    watcher.PAUSE = 60
    watcher.FIRST_PAUSE = 1
    delays = []
    watcher.pause = lambda: delays.append(watcher.next_delay())
    assert watcher.waitrepo()['id'] == 6
    # nothing new after the first check, then the task appears
    assert delays == [1, 2, 1]


def test_messages_are_upstreams():
    records = []

    class Handler(logging.Handler):
        def emit(self, record):
            records.append((record.levelname, record.getMessage()))
    logger = logging.getLogger('test-repowatcher')
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Handler())
    hub = Hub(requests=[{'repo': None, 'request': _req()}],
              checks=[{'repo': None, 'request': _req(task_id=40, task_state=1)},
                      {'repo': _repo(6, 96), 'request': _req(repo_id=6, active=False)}])
    watcher = RepoWatcher(hub, TAG['name'], logger=logger)
    watcher.PAUSE = 0
    repo = watcher.waitrepo()
    req = _req()
    check = {'repo': None, 'request': _req(task_id=40, task_state=1)}
    assert records == [
        ('INFO', 'Waiting on repo for f-build'),
        ('DEBUG', 'min_event = None, nvrs = []'),
        ('INFO', 'Requesting a repo'),
        ('DEBUG', 'self.session.repo.request(7, min_event=None, at_event=None, opts=None)'),
        ('INFO', 'Got request: 3'),
        ('DEBUG', 'Request data: %s' % req),
        ('INFO', 'Updated min_event from hub: 90'),
        ('DEBUG', 'Pausing'),
        ('DEBUG', 'Request check: %r' % check),
        ('INFO', 'Request updated: task_id: None -> 40'),
        ('INFO', 'Request updated: task_state: None -> OPEN'),
        ('DEBUG', 'Pausing'),
        ('DEBUG', 'Request check: %r' % {'repo': _repo(6, 96),
                                         'request': _req(repo_id=6, active=False)}),
        ('DEBUG', 'Repo satisfies our conditions'),
        ('DEBUG', 'Got repo: %r' % repo),
    ]


class LegacyHub(Hub):
    def __init__(self, first_change):
        super(LegacyHub, self).__init__()
        self.first_change = first_change

    def getLastEvent(self, before=None, strict=True):
        self.calls.append(('getLastEvent', before))
        return {'id': 80, 'ts': before - 1}

    def tagFirstChangeEvent(self, tag, after=None):
        self.calls.append(('tagFirstChangeEvent', tag, after))
        return self.first_change


def _waitrepo_task(hub):
    from koji.tasks import WaitrepoTask
    return WaitrepoTask(1, 'waitrepo', ['f-build'], hub, object())


def test_waitrepo_legacy_newer_than():
    hub = LegacyHub(first_change=85)
    task = _waitrepo_task(hub)
    assert task._legacy_min_event('f-build', 'now') == 'last'
    assert task._legacy_min_event('f-build', 1000.5) == 85
    assert hub.calls == [('getLastEvent', 1000.5), ('tagFirstChangeEvent', 'f-build', 80)]
    # no change since then: the last change will do
    assert _waitrepo_task(LegacyHub(first_change=None))._legacy_min_event('f-build', 5) == 'last'
    with pytest.raises(koji.GenericError, match='Invalid value for newer_than: soon'):
        task._legacy_min_event('f-build', 'soon')


def test_waitrepo_newer_than_conflicts_with_min_event():
    task = _waitrepo_task(LegacyHub(first_change=None))
    with pytest.raises(koji.GenericError, match='newer_than and min_event args confict'):
        task.handler('f-build', newer_than='now', min_event=5)
