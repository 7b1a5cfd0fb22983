"""Task commands against the real hub.

Tasks are made with the hub's makeTask as admin and driven through their states by a host
account logged in over HTTP, so the client sees exactly what a builder would leave behind.
Output files are written straight into the hub's KojiDir.
"""
import os
import re
import time
import uuid

import pytest

import koji
from koji import xmlrpcplus
from tests.fixtures.cli import our_cli
from tests.fixtures.sessions import client, db_exec

LOG_ERROR = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[ERROR\] koji: '
S = koji.TASK_STATES


@pytest.fixture(scope='module')
def cli(hub_server, tmp_path_factory):
    home = tmp_path_factory.mktemp('home')
    # the shared client config, polling without pauses
    config = str(home / 'koji.conf')
    with open(hub_server.config_file) as src, open(config, 'w') as dst:
        dst.write(src.read().rstrip('\n') + '\npoll_interval = 0\n')

    def run(*args, **kw):
        cmd = ['-c', config, '-p', hub_server.profile]
        if kw.get('auth', True):
            cmd += ['--user', hub_server.admin_user, '--password', hub_server.admin_password]
        env = dict(os.environ, HOME=str(home))
        return our_cli().run(cmd + list(args), env=env, cwd=kw.get('cwd') or os.getcwd(),
                             timeout=120)
    return run


@pytest.fixture(scope='module')
def admin(hub_server):
    session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    session.login()
    yield session
    session.logout()


@pytest.fixture(scope='module')
def methods(admin):
    return set(admin.system.listMethods())


def need(methods, *names):
    missing = [n for n in names if n not in methods]
    if missing:
        pytest.skip('hub does not register %s yet' % ', '.join(missing))


@pytest.fixture(scope='module')
def builder(hub_server, admin):
    name = 'clibuilder-%s' % uuid.uuid4().hex[:6]
    host_id = admin.addHost(name, ['x86_64'])
    db_exec(hub_server, 'UPDATE users SET password = %(pw)s WHERE name = %(name)s',
            {'pw': 'hostpw', 'name': name})
    session = client(hub_server, name, 'hostpw')
    session.login()
    session.exclusiveSession()
    yield {'id': host_id, 'name': name, 'session': session}
    session.logout()


def open_task(admin, builder, task_id):
    """Put a task on our builder and open it, the way the scheduler and kojid would."""
    host = builder['session']
    host.host.updateHost(0.0, True)
    admin.assignTask(task_id, builder['name'], force=True)
    return host.host.openTask(task_id)


def close_task(builder, task_id, result='ok'):
    builder['session'].host.closeTask(
        task_id, xmlrpcplus.dumps((result,), methodresponse=1, allow_none=1))


def fail_task(builder, task_id, message):
    builder['session'].host.failTask(task_id, xmlrpcplus.dumps(
        xmlrpcplus.Fault(1005, message)))


def write_output(hub_server, task_id, files, volume=None):
    base = hub_server.topdir
    if volume:
        base = os.path.join(base, 'vol', volume)
    path = os.path.join(base, 'work', koji.pathinfo.taskrelpath(task_id))
    os.makedirs(path, exist_ok=True)
    for name, content in files.items():
        with open(os.path.join(path, name), 'w') as f:
            f.write(content)
        os.chmod(os.path.join(path, name), 0o644)
    # the hub process may run as another account
    for root, dirs, _ in os.walk(hub_server.topdir):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)


def ok(res):
    assert res.returncode == 0, (res.stdout, res.stderr)
    return res.stdout


@pytest.fixture
def closed_task(hub_server, admin, builder, methods):
    need(methods, 'assignTask')
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    open_task(admin, builder, task_id)
    write_output(hub_server, task_id, {'build.log': 'hello log\n', 'out.txt': 'data\n'})
    close_task(builder, task_id)
    return task_id


# -- make-task / list-tasks -----------------------------------------------------------------

def test_make_task_and_list(cli, admin):
    out = ok(cli('make-task', '--arch', 'x86_64', '--priority', '17', 'sleep', '5'))
    match = re.match(r'^Created task id (\d+)\n$', out)
    assert match, out
    task_id = int(match.group(1))
    info = admin.getTaskInfo(task_id, request=True)
    assert info['method'] == 'sleep' and info['priority'] == 17 and info['arch'] == 'x86_64'
    assert info['request'] == [5]
    out = ok(cli('list-tasks', '--method', 'sleep'))
    lines = out.splitlines()
    assert lines[0] == 'ID       Pri  Owner                State    Arch       Name'
    row = '%-8s %-4s %-20s %-8s %-10s sleep (x86_64)' % (task_id, 17, 'kojiadmin', 'FREE',
                                                         'x86_64')
    assert row in lines
    quiet = ok(cli('list-tasks', '--method', 'sleep', '--quiet'))
    assert row in quiet.splitlines() and not quiet.startswith('ID ')
    assert ok(cli('list-tasks', '--method', 'nosuchmethod')) == '(no tasks)\n'
    admin.cancelTask(task_id)


def test_list_tasks_threads_children(cli, admin, builder, methods):
    need(methods, 'assignTask')
    parent = admin.makeTask('waittest', [1], arch='x86_64')
    open_task(admin, builder, parent)
    kid = builder['session'].host.subtask('sleep', [2], parent, label='k')
    out = ok(cli('list-tasks', '--quiet', '--host', builder['name']))
    lines = out.splitlines()
    prow = [i for i, line in enumerate(lines) if line.startswith('%-8s ' % parent)]
    assert prow, out
    # the free child is not on the host, so it shows only in the unfiltered list
    out = ok(cli('list-tasks', '--quiet'))
    lines = out.splitlines()
    idx = [i for i, line in enumerate(lines) if line.startswith('%-8s ' % parent)][0]
    assert lines[idx + 1].startswith('%-8s ' % kid)
    # the label column starts at 55; a depth-1 child gets ' +' in front of it
    assert lines[idx + 1][55:63] == ' +sleep ', lines[idx + 1]
    admin.cancelTask(parent)


def test_list_tasks_errors(cli):
    res = cli('list-tasks', '--all')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: --all must be used with --after\n')
    res = cli('list-tasks', '--user', 'nosuchuser-xyz')
    assert res.returncode == 1 and res.stdout == 'No such user: nosuchuser-xyz\n'
    res = cli('list-tasks', '--channel', 'nosuchchan-xyz')
    assert res.returncode == 1 and res.stdout == 'No such channel: nosuchchan-xyz\n'


# -- taskinfo -------------------------------------------------------------------------------

def test_taskinfo_block(cli, admin, builder, closed_task, hub_server):
    info = admin.getTaskInfo(closed_task)
    out = ok(cli('taskinfo', str(closed_task), auth=False))
    rel = koji.pathinfo.taskrelpath(closed_task)
    expected = [
        'Task: %d' % closed_task,
        'Type: sleep',
        'Owner: kojiadmin',
        'State: closed',
        'Created: %s' % time.asctime(time.localtime(info['create_ts'])),
        'Started: %s' % time.asctime(time.localtime(info['start_ts'])),
        'Finished: %s' % time.asctime(time.localtime(info['completion_ts'])),
        'Host: %s' % builder['name'],
        'Log Files:',
        '  %s/work/%s/build.log' % (hub_server.topdir, rel),
        'Output:',
        '  %s/work/%s/out.txt' % (hub_server.topdir, rel),
        '',
    ]
    assert out == '\n'.join(expected) + '\n'
    out = ok(cli('taskinfo', '-v', str(closed_task), auth=False))
    assert 'Type: sleep\nRequest Parameters:\n' in out


def test_taskinfo_recurse_and_errors(cli, admin, builder, methods):
    need(methods, 'assignTask')
    parent = admin.makeTask('waittest', [1], arch='x86_64')
    open_task(admin, builder, parent)
    kid = builder['session'].host.subtask('sleep', [2], parent, label='r')
    out = ok(cli('taskinfo', '-r', str(parent), auth=False))
    assert '\n  Task: %d\n  Type: sleep\n' % kid in out
    assert '  No outputs reported [1]\n' in out
    assert ('[1] Not all tasks produce outputs, and task outputs are not retained '
            'indefinitely.\n') in out
    admin.cancelTask(parent)
    res = cli('taskinfo', '999999', auth=False)
    assert res.returncode == 1
    assert re.search(LOG_ERROR + 'GenericError: No such task: 999999$', res.stderr.strip())
    res = cli('taskinfo', 'abc', auth=False)
    assert res.returncode == 2


# -- watch-task / watch-logs ----------------------------------------------------------------

def test_watch_task_closed(cli, closed_task):
    res = cli('watch-task', str(closed_task), auth=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout == (
        'Watching tasks (this may be safely interrupted)...\n'
        '%d sleep (x86_64): closed\n\n'
        '%d sleep (x86_64) completed successfully\n' % (closed_task, closed_task))
    res = cli('watch-task', '--quiet', str(closed_task), auth=False)
    assert res.returncode == 0 and res.stdout == ''


def test_watch_task_failed_with_logs(cli, admin, builder, hub_server, methods):
    need(methods, 'assignTask')
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    open_task(admin, builder, task_id)
    write_output(hub_server, task_id, {'build.log': 'x\n', 'root.log': 'y\n'})
    fail_task(builder, task_id, 'mock failed')
    res = cli('watch-task', str(task_id), auth=False)
    assert res.returncode == 1
    rel = koji.pathinfo.taskrelpath(task_id)
    assert res.stdout == (
        'Watching tasks (this may be safely interrupted)...\n'
        '%(id)d sleep (x86_64): FAILED: BuildError: mock failed\n'
        '  Relevant logs:\n'
        '  %(top)s/work/%(rel)s/build.log\n'
        '  %(top)s/work/%(rel)s/root.log\n\n'
        '%(id)d sleep (x86_64) failed\n' % {'id': task_id, 'top': hub_server.topurl,
                                            'rel': rel})


def test_watch_task_errors(cli, admin):
    res = cli('watch-task', '999999', auth=False)
    assert res.returncode == 1
    assert res.stdout.endswith('No such task id: 999999\n')
    res = cli('watch-task', 'x', auth=False)
    assert res.returncode == 2 and 'koji: error: task id must be an integer' in res.stderr
    res = cli('watch-task', auth=False)
    assert res.returncode == 2
    assert 'koji: error: at least one task id must be specified' in res.stderr
    res = cli('watch-task', '--method', 'sleep', '1', auth=False)
    assert 'Selection options cannot be combined with a task list' in res.stderr
    res = cli('watch-task', '--method', 'nosuchmethod', auth=False)
    assert res.returncode == 0 and res.stdout == '(no tasks)\n'


def test_watch_task_canceled(cli, admin):
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    admin.cancelTask(task_id)
    res = cli('watch-task', str(task_id), auth=False)
    assert res.returncode == 1
    assert res.stdout.endswith('%d sleep (x86_64) was canceled\n' % task_id)


def test_watch_logs(cli, closed_task, methods):
    need(methods, 'downloadTaskOutput')
    res = cli('watch-logs', str(closed_task), auth=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout == ('Watching logs (this may be safely interrupted)...\n'
                          '==> %d:DEFAULT:build.log: <==\nhello log\n' % closed_task)


# -- changing tasks -------------------------------------------------------------------------

def test_cancel(cli, admin):
    t1 = admin.makeTask('sleep', [1], arch='x86_64')
    t2 = admin.makeTask('sleep', [1], arch='x86_64')
    ok(cli('cancel', str(t1), str(t2)))
    assert admin.getTaskInfo(t1)['state'] == S['CANCELED']
    assert admin.getTaskInfo(t2)['state'] == S['CANCELED']
    res = cli('cancel', 'not a build')
    assert res.returncode == 2
    assert 'please specify only task ids (integer) or builds (n-v-r)' in res.stderr
    res = cli('cancel', '999999')
    assert res.returncode == 1 and res.stderr.strip()


def test_cancel_justone(cli, admin, builder, methods):
    need(methods, 'assignTask')
    parent = admin.makeTask('waittest', [1], arch='x86_64')
    open_task(admin, builder, parent)
    kid = builder['session'].host.subtask('sleep', [2], parent, label='j')
    ok(cli('cancel', '--justone', str(parent)))
    assert admin.getTaskInfo(parent)['state'] == S['CANCELED']
    assert admin.getTaskInfo(kid)['state'] == S['FREE']
    admin.cancelTask(kid)


def test_free_task(cli, admin, builder, methods):
    need(methods, 'assignTask', 'freeTask')
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    open_task(admin, builder, task_id)
    assert ok(cli('free-task', str(task_id))) == ''
    assert admin.getTaskInfo(task_id)['state'] == S['FREE']
    # freeing a FREE task fails, as upstream's hub takes state 0 for a missing task
    res = cli('free-task', str(task_id))
    assert res.returncode == 1
    assert res.stderr.endswith('GenericError: No such task: %d\n' % task_id), res.stderr
    res = cli('free-task', 'x')
    assert res.returncode == 2 and 'task_id must be an integer' in res.stderr
    res = cli('free-task')
    assert res.returncode == 2 and 'please specify at least one task_id' in res.stderr
    admin.cancelTask(task_id)


def test_assign_task(cli, admin, builder, methods):
    need(methods, 'assignTask')
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    out = ok(cli('assign-task', str(task_id), builder['name']))
    assert out == 'assigned task %d to host %s\n' % (task_id, builder['name'])
    info = admin.getTaskInfo(task_id)
    assert info['state'] == S['ASSIGNED'] and info['host_id'] == builder['id']
    res = cli('assign-task', '999999', builder['name'])
    assert res.returncode == 1 and 'No such task: 999999' in res.stderr
    res = cli('assign-task', str(task_id), 'nosuchhost-xyz')
    assert res.returncode == 1 and 'No such host: nosuchhost-xyz' in res.stderr
    admin.cancelTask(task_id)


def test_set_task_priority(cli, admin, closed_task):
    task_id = admin.makeTask('sleep', [1], arch='x86_64', priority=30)
    assert ok(cli('set-task-priority', '--priority', '7', str(task_id))) == ''
    assert admin.getTaskInfo(task_id)['priority'] == 7
    res = cli('set-task-priority', '--priority', '7', str(closed_task))
    assert res.returncode == 0
    assert "Can't update task priority on closed task: %d" % closed_task in res.stderr
    res = cli('set-task-priority', str(task_id))
    assert res.returncode == 2 and 'You must specify --priority' in res.stderr
    admin.cancelTask(task_id)


def test_resubmit(cli, admin, methods):
    need(methods, 'resubmitTask')
    task_id = admin.makeTask('sleep', [3], arch='x86_64')
    admin.cancelTask(task_id)
    res = cli('resubmit', '--nowait', str(task_id))
    out = ok(res)
    assert out.startswith('Resubmitting the following task:\nTask: %d\nType: sleep\n'
                          'Request Parameters:\n' % task_id)
    match = re.search(r'Resubmitted task %d as new task (\d+)\n$' % task_id, out)
    assert match, out
    new = admin.getTaskInfo(int(match.group(1)), request=True)
    assert new['method'] == 'sleep' and new['request'] == [3]
    # not running in a terminal counts as background: no watching without --wait
    out = ok(cli('resubmit', '--quiet', str(task_id)))
    assert out == ''
    admin.cancelTask(new['id'])


def test_restart_hosts(cli, admin, methods):
    need(methods, 'restartHosts')
    ok(cli('restart-hosts', '--nowait', '--force'))
    tasks = admin.listTasks({'method': 'restartHosts',
                             'state': [S['FREE'], S['OPEN'], S['ASSIGNED']]})
    assert tasks
    res = cli('restart-hosts', '--nowait')
    assert res.returncode == 1
    assert 'Found other restartHosts tasks running.' in res.stderr
    assert 'Use --force to run anyway' in res.stderr
    for task in tasks:
        admin.cancelTask(task['id'])


# -- scheduler ------------------------------------------------------------------------------

def test_scheduler_info_and_logs(cli, admin, builder, methods):
    need(methods, 'scheduler.getTaskRuns', 'scheduler.getLogMessages', 'assignTask')
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    open_task(admin, builder, task_id)
    out = ok(cli('scheduler-info', '--task', str(task_id), auth=False))
    lines = out.splitlines()
    assert lines[0].split() == ['Task', 'Host', 'State', 'Created', 'Started', 'Ended']
    assert lines[1] == '-' * len(lines[0])
    assert any(line.startswith('%-9s %-20s' % (task_id, builder['name'])) for line in lines)
    out = ok(cli('-q', 'scheduler-info', '--task', str(task_id), '--host', builder['name'],
                 auth=False))
    assert 'Host data for %s:' % builder['name'] in out
    out = ok(cli('scheduler-logs', '--task', str(task_id)))
    lines = out.splitlines()
    assert lines[0].split() == ['Task', 'Host', 'Time', 'Message']
    assert lines[1] == '-' * len(lines[0])
    res = cli('scheduler-info', '--state', 'BOGUS', auth=False)
    assert res.returncode == 2
    admin.cancelTask(task_id)


# -- downloads ------------------------------------------------------------------------------

def test_download_logs(cli, closed_task, tmp_path, methods):
    need(methods, 'downloadTaskOutput')
    out = ok(cli('download-logs', '-d', 'logs', str(closed_task), auth=False,
                 cwd=str(tmp_path)))
    path = 'logs/x86_64-%d/build.log' % closed_task
    assert out == 'Downloading: %s\n' % path
    assert (tmp_path / path).read_text() == 'hello log\n'
    out = ok(cli('download-logs', '-c', '-d', 'logs', str(closed_task), auth=False,
                 cwd=str(tmp_path)))
    assert out == 'Continuing: %s\n' % path
    assert (tmp_path / path).read_text() == 'hello log\n'


def test_download_task(cli, closed_task, tmp_path, methods):
    need(methods, 'listTaskOutput')
    out = ok(cli('download-task', str(closed_task), auth=False, cwd=str(tmp_path)))
    assert out == 'No files for download found.\n'
    out = ok(cli('download-task', '--all', '--logs', '--noprogress', str(closed_task),
                 auth=False, cwd=str(tmp_path)))
    assert out == ('Downloading [1/2]: build.x86_64.log\n'
                   'Downloading [2/2]: out.x86_64.txt\n')
    assert (tmp_path / 'build.x86_64.log').read_text() == 'hello log\n'
    assert (tmp_path / 'out.x86_64.txt').read_text() == 'data\n'
    # with the bar: upstream's download_file line, sizes in human units
    out = ok(cli('download-task', '--logs', '--dirpertask', str(closed_task), auth=False,
                 cwd=str(tmp_path)))
    bar = '[%s] 100%%    10.00 B\n' % ('=' * 36)  # '\r' + print() reads as one newline
    assert out == 'Downloading [1/1]: %d/build.log\n%s' % (closed_task, bar), repr(out)
    res = cli('download-task', '--filter', 'a', '--skip', 'b', '1', auth=False)
    assert res.returncode == 2
    assert 'Only filter or skip may be specified. Not both.' in res.stderr
