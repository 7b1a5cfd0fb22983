"""ensuredir, JSON helpers and daemonize."""
import os

import pytest

import koji
from tests.fixtures.procs import fork_child


def test_ensuredir(tmp_path):
    target = tmp_path / 'a' / 'b' / '..' / 'c'
    result = koji.ensuredir(str(target))
    assert result == str(tmp_path / 'a' / 'c')
    assert os.path.isdir(result)
    # idempotent
    assert koji.ensuredir(result + '/') == result


def test_ensuredir_blocked_by_file(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(OSError):
        koji.ensuredir(str(blocker))
    with pytest.raises(OSError):
        koji.ensuredir(str(blocker / 'sub'))


def test_ensuredir_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert koji.ensuredir('x/y') == 'x/y'
    assert os.path.isdir(tmp_path / 'x' / 'y')


def test_json_round_trip(tmp_path):
    path = str(tmp_path / 'data.json')
    data = {'b': [1, 2, None], 'a': 'caf\xe9'}
    koji.dump_json(path, data, sort_keys=True)
    text = open(path, encoding='utf-8').read()
    assert text.index('"a"') < text.index('"b"')
    assert '    ' in text  # indent=4 default
    assert koji.load_json(path) == data


def test_daemonize_detaches(tmp_path):
    marker = tmp_path / 'marker'

    def detach():
        koji.daemonize()
        with open(str(marker), 'w') as handle:
            handle.write('%s %s %s' % (os.getcwd(), os.getsid(0) == os.getpid(),
                                       os.getpid()))

    pid = fork_child(detach)
    os.waitpid(pid, 0)
    import time
    for _ in range(100):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    cwd, leader, _pid = marker.read_text().split()
    assert cwd == '/'
    # after the second fork the daemon is not a session leader
    assert leader == 'False'
