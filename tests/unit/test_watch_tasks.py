"""watch_tasks / TaskWatcher against a scripted session: exact lines and return codes."""
import pytest

import koji
from koji_cli import lib
from koji_cli.lib import TaskWatcher, watch_tasks

S = koji.TASK_STATES


class FakeSession(object):
    """Each poll of getTaskInfo advances that task one step along its script."""

    def __init__(self, scripts, children=None, faults=None, outputs=None, hosts=None):
        self.scripts = dict((k, list(v)) for k, v in scripts.items())
        self.children = children or {}
        self.faults = faults or {}
        self.outputs = outputs or {}
        self.hosts = hosts or {1: 'builder1.example.com'}
        self.current = {}

    def getTaskInfo(self, task_id, request=False):
        script = self.scripts.get(task_id)
        if script is None:
            return None
        if len(script) > 1:
            self.current[task_id] = script.pop(0)
        else:
            self.current[task_id] = script[0]
        info = dict(self.current[task_id])
        info.setdefault('id', task_id)
        info.setdefault('method', 'sleep')
        info.setdefault('arch', 'noarch')
        info.setdefault('request', [1])
        info.setdefault('host_id', None)
        return info

    def getTaskChildren(self, task_id):
        return [{'id': c} for c in self.children.get(task_id, []) if c in self.current
                or self._visible(task_id)]

    def _visible(self, parent):
        # children show up once the parent has been seen open
        return self.current.get(parent, {}).get('state') != S['FREE']

    def getHost(self, host_id):
        return {'id': host_id, 'name': self.hosts[host_id]}

    def getTaskResult(self, task_id):
        raise self.faults[task_id]

    def listTaskOutput(self, task_id, all_volumes=False):
        return self.outputs.get(task_id, {})


def st(name, host=None):
    return {'state': S[name], 'host_id': host}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(lib.watch_tasks.__globals__['time'], 'sleep', lambda s: None)


def test_success_tree(capsys):
    session = FakeSession({
        100: [st('FREE'), st('OPEN', 1), st('OPEN', 1), st('CLOSED')],
        101: [st('OPEN', 1), st('CLOSED')],
    }, children={100: [101]})
    assert watch_tasks(session, [100], poll_interval=0) == 0
    assert capsys.readouterr().out == (
        "Watching tasks (this may be safely interrupted)...\n"
        "100 sleep (noarch): free\n"
        "100 sleep (noarch): free -> open (builder1.example.com)\n"
        "  101 sleep (noarch): open (builder1.example.com)\n"
        "  101 sleep (noarch): open (builder1.example.com) -> closed\n"
        "  0 free  1 open  1 done  0 failed\n"
        "100 sleep (noarch): open (builder1.example.com) -> closed\n"
        "  0 free  0 open  2 done  0 failed\n"
        "\n"
        "100 sleep (noarch) completed successfully\n")


def test_failure_with_logs(capsys):
    session = FakeSession(
        {200: [st('OPEN', 1), st('FAILED')]},
        faults={200: koji.BuildError('mock exited with status 1')},
        outputs={200: {'build.log': ['DEFAULT'], 'root.log': ['DEFAULT', 'vol2'],
                       'x.rpm': ['DEFAULT']}})
    assert watch_tasks(session, [200], poll_interval=0, topurl='http://host/kojifiles') == 1
    assert capsys.readouterr().out == (
        "Watching tasks (this may be safely interrupted)...\n"
        "200 sleep (noarch): open (builder1.example.com)\n"
        "200 sleep (noarch): open (builder1.example.com) -> FAILED: BuildError: mock exited"
        " with status 1\n"
        "  Relevant logs:\n"
        "  http://host/kojifiles/work/tasks/200/200/build.log\n"
        "  http://host/kojifiles/work/tasks/200/200/root.log\n"
        "  http://host/kojifiles/vol/vol2/work/tasks/200/200/root.log\n"
        "  0 free  0 open  0 done  1 failed\n"
        "\n"
        "200 sleep (noarch) failed\n")


def test_first_seen_failed_child_indent(capsys):
    session = FakeSession(
        {300: [st('OPEN', 1), st('OPEN', 1), st('CLOSED')], 301: [st('FAILED')]},
        children={300: [301]}, faults={301: koji.GenericError('boom')},
        outputs={301: {'x.log': ['DEFAULT']}})
    assert watch_tasks(session, [300], poll_interval=0, topurl='http://t') == 0
    out = capsys.readouterr().out
    assert ("  301 sleep (noarch): FAILED: GenericError: boom\n"
            "    Relevant logs:\n"
            "    http://t/work/tasks/301/301/x.log\n") in out
    assert out.endswith("300 sleep (noarch) completed successfully\n")


def test_canceled_and_quiet(capsys):
    session = FakeSession({400: [st('FREE'), st('CANCELED')]})
    assert watch_tasks(session, [400], quiet=True, poll_interval=0) == 1
    assert capsys.readouterr().out == ''
    session = FakeSession({400: [st('FREE'), st('CANCELED')]})
    assert watch_tasks(session, [400], poll_interval=0) == 1
    assert capsys.readouterr().out.endswith("\n400 sleep (noarch) was canceled\n")


def test_failed_child_does_not_fail_parent_result(capsys):
    session = FakeSession(
        {500: [st('OPEN', 1), st('OPEN', 1), st('CLOSED')], 501: [st('FAILED')]},
        children={500: [501]}, faults={501: koji.GenericError('x')})
    assert watch_tasks(session, [500], poll_interval=0) == 0


def test_unknown_task(capsys):
    with pytest.raises(SystemExit) as exc:
        watch_tasks(FakeSession({}), [999], poll_interval=0)
    assert exc.value.code == 1
    assert capsys.readouterr().out.endswith("No such task id: 999\n")
    with pytest.raises(SystemExit):
        watch_tasks(FakeSession({}), [999], quiet=True, poll_interval=0)
    assert capsys.readouterr().out == ''


def test_empty_list():
    assert watch_tasks(FakeSession({}), [], poll_interval=0) is None


def test_keyboard_interrupt(capsys, monkeypatch):
    session = FakeSession({600: [st('OPEN', 1)]})

    def interrupt(seconds):
        raise KeyboardInterrupt()
    monkeypatch.setattr(lib.watch_tasks.__globals__['time'], 'sleep', interrupt)
    monkeypatch.setattr('sys.argv', ['/usr/bin/koji'])
    with pytest.raises(KeyboardInterrupt):
        watch_tasks(session, [600], poll_interval=0)
    assert capsys.readouterr().out.endswith(
        "Tasks still running. You can continue to watch with the 'koji watch-task' command.\n"
        "Running Tasks:\n"
        "600 sleep (noarch): open (builder1.example.com)\n")


def test_has_not_completed_line(capsys):
    watcher = TaskWatcher(700, FakeSession({700: [st('ASSIGNED', 1)]}), quiet=True)
    watcher.update()
    assert not watcher.is_done()
    lib.display_task_results({700: watcher})
    assert capsys.readouterr().out == "700 sleep (noarch) has not completed\n"
    assert watcher.display_state(watcher.info) == 'assigned (builder1.example.com)'
