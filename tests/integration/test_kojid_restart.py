"""Rolling restart of real kojid processes: `koji restart-hosts` and the restartHosts call.

Reuses the two builders of test_kojid.py (its ``kojid_env`` fixture runs again for this
module, against this module's hub).  restartHosts makes, per enabled host, a `restart`
task (the daemon re-executes itself once idle) and a `restartVerify` task (which fails
unless the daemon really started after the restart task closed), both assigned to that
host; the parent closes when all of them did.
"""
import koji

from test_kojid import HOST_NAMES, _wait_for, _wait_state, kojid_env  # noqa: F401


def _starts(builder):
    """How many times the daemon has started (it logs one line per start)."""
    with open(builder.log, errors='replace') as fo:
        return fo.read().count('koji.build: Starting up')


def _check_restarted(env, parent, starts):
    admin = env['admin']
    info = _wait_state(env, parent, timeout=180)
    assert info['method'] == 'restartHosts'
    kids = admin.getTaskChildren(parent)
    hosts = dict((admin.getHost(name)['id'], name) for name in HOST_NAMES)
    by_label = dict((kid['label'], kid) for kid in kids)
    assert len(kids) == 2 * len(hosts), kids
    for host_id, name in hosts.items():
        restart = by_label['restart %i' % host_id]
        verify = by_label['sleep %i' % host_id]
        assert restart['method'] == 'restart' and verify['method'] == 'restartVerify'
        for kid in (restart, verify):
            assert kid['state'] == koji.TASK_STATES['CLOSED'], kid
            assert kid['host_id'] == host_id
        assert restart['completion_ts'] <= verify['start_ts']
        assert admin.getTaskResult(restart['id']) == 'graceful restart initiated'
    for name, builder in env['builders'].items():
        assert _starts(builder) == starts[name] + 1, builder.read_log()
        assert builder.proc.poll() is None
        with open(builder.log, errors='replace') as fo:
            log = fo.read()
        # (transient hub errors under load may be logged; these may not)
        for bad in ('Host mismatch', 'Restart failed', 'Error during shutdown'):
            assert bad not in log, log
    # both daemons are back and take work again
    for name in HOST_NAMES:
        _wait_for(lambda: admin.getHost(name)['ready'], 60, '%s to be ready' % name)
    task_ids = [admin.makeTask('sleep', [1]) for _ in range(4)]
    for task_id in task_ids:
        _wait_state(env, task_id)


def test_restart_hosts_cli(kojid_env, cli):  # noqa: F811
    builders = kojid_env['builders']
    starts = dict((name, _starts(b)) for name, b in builders.items())
    proc = cli('restart-hosts', '--nowait')
    assert (proc.returncode, proc.stdout) == (0, ''), proc.stderr
    active = [koji.TASK_STATES[s] for s in ('FREE', 'OPEN', 'ASSIGNED')]
    running = kojid_env['admin'].listTasks({'method': 'restartHosts', 'state': active})
    assert len(running) == 1
    parent = running[0]['id']
    # a second one is refused while the first runs
    again = cli('restart-hosts', '--nowait')
    assert again.returncode == 1
    assert 'Found other restartHosts tasks running.' in again.stderr
    assert 'Task ids: [%d]' % parent in again.stderr
    _check_restarted(kojid_env, parent, starts)


def test_restart_hosts_call_with_options(kojid_env):  # noqa: F811
    admin = kojid_env['admin']
    builders = kojid_env['builders']
    starts = dict((name, _starts(b)) for name, b in builders.items())
    parent = admin.restartHosts(options={'channel': 'default', 'arches': ['x86_64']})
    request = admin.getTaskInfo(parent, request=True)['request']
    assert request == [{'channel': 'default', 'arches': ['x86_64']}]
    _check_restarted(kojid_env, parent, starts)
