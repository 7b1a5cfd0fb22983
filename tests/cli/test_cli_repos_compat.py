"""koji_cli.repowait.wait_repo, the polling wait used with hubs older than 1.35 (no request
queue), against a scripted session: this hub can only be a new one."""
import koji
from koji_cli import repowait


class OldHub(object):
    """getRepo answers in turn; getLatestBuilds by event."""

    def __init__(self, repos, latest=None):
        self.repos = list(repos)
        self.latest = latest or {}
        self.calls = []

    def getTag(self, tag_id, strict=False):
        return {'id': tag_id, 'name': 'f40-build'}

    def getRepo(self, tag_id):
        self.calls.append('getRepo')
        return self.repos.pop(0) if len(self.repos) > 1 else self.repos[0]

    def getLatestBuilds(self, tag, event=None, package=None):
        return self.latest.get(event, [])


def no_sleep(monkeypatch):
    monkeypatch.setattr(repowait.time, 'sleep', lambda secs: None)


def test_new_repo(monkeypatch):
    no_sleep(monkeypatch)
    hub = OldHub([{'id': 1, 'create_event': 10}] * 3 + [{'id': 2, 'create_event': 12}])
    ok, msg = repowait.wait_repo(hub, 5, [], poll_interval=0, timeout=1)
    assert ok
    assert msg == 'Successfully waited 0:00 for a new f40-build repo'
    assert hub.calls == ['getRepo'] * 4


def test_builds_in_repo(monkeypatch):
    no_sleep(monkeypatch)
    builds = [koji.parse_NVR('foo-1-1'), koji.parse_NVR('bar-2-1')]
    present = [{'version': '1', 'release': '1'}, {'version': '2', 'release': '1'}]
    hub = OldHub([None, {'id': 1, 'create_event': 10}, {'id': 2, 'create_event': 20}],
                 latest={20: present})
    ok, msg = repowait.wait_repo(hub, 5, builds, poll_interval=0, timeout=1)
    assert ok
    assert msg == ('Successfully waited 0:00 for foo-1-1 and bar-2-1 to appear in the '
                   'f40-build repo')


def test_timeouts(monkeypatch):
    no_sleep(monkeypatch)
    ok, msg = repowait.wait_repo(OldHub([None]), 5, [], timeout=0)
    assert (ok, msg) == (False, 'Unsuccessfully waited 0:00 for a new f40-build repo')
    builds = [koji.parse_NVR(n) for n in ('a-1-1', 'b-1-1', 'c-1-1')]
    ok, msg = repowait.wait_repo(OldHub([{'id': 1, 'create_event': 3}]), 5, builds,
                                 timeout=0)
    assert (ok, msg) == (False, 'Unsuccessfully waited 0:00 for a-1-1, b-1-1, and c-1-1 to '
                                'appear in the f40-build repo')
