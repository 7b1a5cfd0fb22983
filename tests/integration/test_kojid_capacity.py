"""Capacity under load and `koji make-task` with real kojid processes.

Reuses the builders, plugin and hub set-up of test_kojid.py (its ``kojid_env`` fixture
runs again for this module, against this module's hub).

The bound checked here comes from TaskScheduler._fits (hub/kojihub/scheduler.py): a task
of weight w is assigned to a host only while ``capacity - load > max(0, w - overcommit)``
where load is the summed weight of the host's non-waiting ASSIGNED/OPEN tasks.  So right
after an assignment ``load < capacity + min(w, overcommit)``.  A new task weighs the schema
default 1.0 until the builder opens it and sets its handler's weight (0.25 for sleep,
0.75 for the plugin's heavysleep), which only lowers the load.  Hence at any instant the
OPEN weight of a host is < capacity + min(1.0, CapacityOvercommit) (default overcommit 5).
"""
import re
import time

import koji

from test_kojid import HOST_NAMES, _wait_for, kojid_env  # noqa: F401

CAPACITY = {HOST_NAMES[0]: 2.0, HOST_NAMES[1]: 3.0}
OVERCOMMIT = 5   # the hub default (scheduler._OPTION_DEFAULTS['CapacityOvercommit'])
NEW_TASK_WEIGHT = 1.0   # schema default for task.weight
NTASKS = 50


def test_capacity_respected_under_50_tasks(kojid_env):  # noqa: F811
    admin = kojid_env['admin']
    host_ids = {}
    for name, capacity in CAPACITY.items():
        admin.editHost(name, capacity=capacity)
        host_ids[admin.getHost(name)['id']] = name
    bound = dict((hid, CAPACITY[name] + min(NEW_TASK_WEIGHT, OVERCOMMIT))
                 for hid, name in host_ids.items())
    task_ids = []
    for i in range(NTASKS):
        if i % 2:
            task_ids.append(admin.makeTask('heavysleep', [1]))
        else:
            task_ids.append(admin.makeTask('sleep', [1]))
    open_state = koji.TASK_STATES['OPEN']
    samples = 0
    peak = dict((hid, 0.0) for hid in host_ids)
    deadline = time.time() + 90
    while True:
        running = admin.listTasks(opts={'id': task_ids, 'state': [open_state]})
        load = dict((hid, 0.0) for hid in host_ids)
        for task in running:
            assert task['host_id'] in load, task
            load[task['host_id']] += task['weight']
        samples += 1
        for hid, total in load.items():
            peak[hid] = max(peak[hid], total)
            assert total < bound[hid], (host_ids[hid], total, bound[hid], running)
        left = admin.listTasks(opts={'id': task_ids,
                                     'state': [koji.TASK_STATES[s] for s in
                                               ('FREE', 'ASSIGNED', 'OPEN')]},
                               queryOpts={'countOnly': True})
        if not left:
            break
        assert time.time() < deadline, '%d tasks still not finished' % left
        time.sleep(0.1)
    tasks = admin.listTasks(opts={'id': task_ids})
    assert len(tasks) == NTASKS
    assert set(koji.TASK_STATES[t['state']] for t in tasks) == {'CLOSED'}
    per_host = dict((hid, 0) for hid in host_ids)
    for task in tasks:
        per_host[task['host_id']] += 1
    assert all(per_host.values()), per_host
    assert samples > 10
    # the builders really ran several tasks at once
    assert any(v > NEW_TASK_WEIGHT for v in peak.values()), peak


def test_plugin_task_via_cli_make_task(kojid_env, cli):  # noqa: F811
    admin = kojid_env['admin']
    # make-task passes words as positional arguments (numbers become numbers)
    proc = cli('make-task', 'plugtask', 'one', '2')
    assert proc.returncode == 0, proc.stderr
    match = re.search(r'Created task id (\d+)', proc.stdout)
    assert match, proc.stdout
    task_id = int(match.group(1))

    done = (koji.TASK_STATES['CLOSED'], koji.TASK_STATES['FAILED'])

    def finished():
        info = admin.getTaskInfo(task_id)
        return info if info['state'] in done else None
    info = _wait_for(finished, 60, 'task %d to finish' % task_id)
    assert info['state'] == koji.TASK_STATES['CLOSED'], admin.getTaskInfo(task_id)
    assert info['method'] == 'plugtask'
    result = admin.getTaskResult(task_id)
    assert result['args'] == ['one', 2]
    assert result['kwarg1'] is None
    assert result['host'] == info['host_id']
