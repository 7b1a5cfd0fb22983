"""Task creation and the state machine (kojihub.tasks.task_actions) on a real database."""
import pytest

import koji
import koji.plugin
from kojihub.tasks import task_actions as ta
from kojihub.api.exports import RootExports
from kojihub.tasks.host_calls import close_task, open_task
from kojihub.tasks.tasks import get_task_info, get_task_request
from koji import xmlrpcplus

api = RootExports()
S = koji.TASK_STATES


def channel_id(name):
    from kojihub.core.lookup import get_id
    return get_id('channels', name, strict=True)


@pytest.fixture
def callbacks():
    seen = []

    def record(cbtype, **kw):
        seen.append((cbtype, kw['attribute'], kw['old'], kw['new'], kw['info'].get('id')))
    for name in ('preTaskStateChange', 'postTaskStateChange'):
        koji.plugin.callbacks[name].append(record)
    yield seen
    for name in ('preTaskStateChange', 'postTaskStateChange'):
        koji.plugin.callbacks[name].remove(record)


def test_make_task_needs_admin_and_refuses_owner(taskenv):
    taskenv.act('alice', 'makeTask')
    with pytest.raises(koji.ActionNotAllowed):
        api.makeTask('sleep', [1])
    # a non-admin is refused for the permission first, owner= or not (as upstream)
    with pytest.raises(koji.ActionNotAllowed) as exc:
        api.makeTask('sleep', [1], owner='alice')
    assert 'owner option' not in str(exc.value) and 'admin' in str(exc.value)
    taskenv.act('tadmin', 'makeTask')
    with pytest.raises(koji.ActionNotAllowed, match='The owner option is not allowed here'):
        api.makeTask('sleep', [1], owner='alice')
    task_id = api.makeTask('sleep', [1], arch='x86_64')
    info = get_task_info(task_id, request=True)
    assert info['state'] == S['FREE']
    assert info['owner'] == taskenv.users['tadmin']['id']
    assert info['priority'] == koji.PRIO_DEFAULT
    assert info['channel_id'] == channel_id('default')
    assert info['arch'] == 'x86_64'
    assert list(info['request']) == [1]
    assert info['parent'] is None and info['label'] is None


def test_make_task_defaults_and_callbacks(taskenv, callbacks):
    taskenv.act('alice')
    task_id = ta.make_task('sleep', [5, {'x': 1, '__starstar': True}])
    assert get_task_info(task_id)['arch'] == 'noarch'
    assert list(get_task_request(task_id)) == [5, {'x': 1, '__starstar': True}]
    assert callbacks[0][:4] == ('preTaskStateChange', 'state', None, 'FREE')
    assert callbacks[1] == ('postTaskStateChange', 'state', None, 'FREE', task_id)


def test_child_inherits_owner_priority_and_label_dedup(taskenv):
    taskenv.act('alice')
    parent = ta.make_task('build', ['git://x#1', 'f40'], priority=10)
    child = ta.make_task('buildArch', ['x', 'tag', 'x86_64', True], parent=parent,
                         label='x86_64', arch='x86_64')
    again = ta.make_task('buildArch', ['x', 'tag', 'x86_64', True], parent=parent,
                         label='x86_64')
    assert again == child
    info = get_task_info(child)
    assert info['owner'] == taskenv.users['alice']['id']
    assert info['priority'] == 10
    assert info['parent'] == parent
    with pytest.raises(koji.GenericError):
        ta.make_task('sleep', [1], label='top')


def test_channel_policy(taskenv):
    from kojihub.core import db
    taskenv.add_host('b1', channels=('default', 'createrepo'))
    taskenv.act('alice')
    # default policy: has req_channel :: req / is_child_task :: parent / all :: use default
    t1 = ta.make_task('sleep', [1], channel='createrepo')
    assert get_task_info(t1)['channel_id'] == channel_id('createrepo')
    child = ta.make_task('sleep', [1], parent=t1, label='a')
    assert get_task_info(child)['channel_id'] == channel_id('createrepo')
    with pytest.raises(koji.GenericError):
        ta.make_task('sleep', [1], channel='nosuchchannel')
    from koji.context import context
    context.policy = dict(context.policy or {})
    from kojihub.core import policy
    rules = policy.load_policies({'policy': {
        'channel': 'method newRepo :: use createrepo\nmethod bad :: frobnicate\n'}})
    context.policy = rules
    t2 = ta.make_task('newRepo', ['f40-build'])
    assert get_task_info(t2)['channel_id'] == channel_id('createrepo')
    assert get_task_info(ta.make_task('sleep', [1]))['channel_id'] == channel_id('default')
    with pytest.raises(koji.GenericError) as exc:
        ta.make_task('bad', [])
    assert 'invalid channel policy' in str(exc.value)
    assert db.QueryProcessor(tables=['task'], columns=['id'],
                             opts={'countOnly': True}).execute() == 4


def test_priority_policy(taskenv):
    from koji.context import context
    from kojihub.core import policy
    context.policy = policy.load_policies({'policy': {
        'priority': 'method sleep :: set 5\nmethod build :: adjust +3\n'
                    'method x :: junk\nall :: stay'}})
    taskenv.act('alice')
    assert get_task_info(ta.make_task('sleep', [1]))['priority'] == 5
    assert get_task_info(ta.make_task('build', ['s', 't'], priority=30))['priority'] == 33
    assert get_task_info(ta.make_task('fork', []))['priority'] == 20
    with pytest.raises(koji.GenericError):
        ta.make_task('x', [])


def make_tree(env):
    env.act('alice')
    root = ta.make_task('build', ['src', 'target'])
    a = ta.make_task('buildArch', [1], parent=root, label='a')
    b = ta.make_task('buildArch', [2], parent=root, label='b')
    a1 = ta.make_task('createrepo', [1, 'x86_64', None], parent=a, label='a1')
    return root, a, b, a1


def states(*ids):
    return [get_task_info(i)['state'] for i in ids]


def test_cancel_permissions_and_recursion(taskenv, callbacks):
    root, a, b, a1 = make_tree(taskenv)
    taskenv.act('bob', 'cancelTask')
    with pytest.raises(koji.ActionNotAllowed):
        api.cancelTask(root)
    taskenv.act('alice', 'cancelTask')
    # cancelTask answers None, as upstream's does
    assert api.cancelTask(a, recurse=False) is None
    assert states(root, a, b, a1) == [S['FREE'], S['CANCELED'], S['FREE'], S['FREE']]
    assert api.cancelTask(root) is None
    assert states(root, a, b, a1) == [S['CANCELED']] * 4
    done = get_task_info(root)['completion_time']
    assert done is not None
    # finished tasks stay as they are
    assert api.cancelTask(root) is None
    assert get_task_info(root)['completion_time'] == done
    assert ta.Task(root).cancel() is True
    post = [c for c in callbacks if c[0] == 'postTaskStateChange' and c[3] == 'CANCELED']
    assert sorted(c[4] for c in post) == sorted([a, root, b, a1])


def test_cancel_by_admin_and_by_host(taskenv):
    host = taskenv.add_host('b1')
    root, a, b, a1 = make_tree(taskenv)
    taskenv.act('tadmin', 'cancelTask')
    api.cancelTask(b)
    taskenv.act('b1', 'host.openTask')
    assert open_task(a)['id'] == a
    assert get_task_info(a)['host_id'] == host
    taskenv.act('b1', 'cancelTask')
    api.cancelTask(a)   # the host running the task may cancel it
    assert states(a, a1) == [S['CANCELED'], S['CANCELED']]


def test_cancel_full_and_children(taskenv):
    root, a, b, a1 = make_tree(taskenv)
    taskenv.act('alice', 'cancelTaskFull')
    with pytest.raises(koji.ActionNotAllowed):
        api.cancelTaskFull(root)
    with pytest.raises(koji.ActionNotAllowed):
        api.freeTask(root)
    api.cancelTaskChildren(a)
    assert states(a, a1) == [S['FREE'], S['CANCELED']]
    taskenv.act('tadmin', 'cancelTaskFull')
    with pytest.raises(koji.GenericError):
        api.cancelTaskFull(a)
    api.cancelTaskFull(a, strict=False)
    assert states(root, a, b) == [S['CANCELED']] * 3
    taskenv.act(None, 'cancelTaskChildren')
    with pytest.raises(koji.ActionNotAllowed):
        api.cancelTaskChildren(root)


def test_free_assign_and_priority(taskenv):
    host = taskenv.add_host('b1')
    root, a, b, a1 = make_tree(taskenv)
    taskenv.act('alice', 'assignTask')
    with pytest.raises(koji.ActionNotAllowed):
        api.assignTask(root, 'b1')
    with pytest.raises(koji.ActionNotAllowed):
        api.setTaskPriority(root, 5)
    taskenv.act('tadmin', 'assignTask')
    assert api.assignTask(root, 'b1') is True
    assert get_task_info(root)['state'] == S['ASSIGNED']
    assert get_task_info(root)['host_id'] == host
    # an assigned task is not taken from its host without force
    taskenv.add_host('b2')
    taskenv.act('tadmin', 'assignTask')
    assert api.assignTask(root, 'b2') is False
    assert api.assignTask(root, 'b2', force=True) is True
    api.freeTask(root)
    info = get_task_info(root)
    assert (info['state'], info['host_id']) == (S['FREE'], None)
    # a FREE task cannot be freed: upstream's hub takes state 0 for a missing task
    with pytest.raises(koji.GenericError, match='No such task: %i' % root):
        api.freeTask(root)
    api.setTaskPriority(root, 3)
    assert [get_task_info(i)['priority'] for i in (root, a, b, a1)] == [3, 3, 3, 3]
    api.setTaskPriority(a, 9, recurse=False)
    assert [get_task_info(i)['priority'] for i in (a, a1)] == [9, 3]
    api.cancelTask(b)
    with pytest.raises(koji.GenericError):
        api.setTaskPriority(b, 1)
    with pytest.raises(koji.GenericError, match='Cannot free task %i, state is CANCELED' % b):
        api.freeTask(b)


def test_open_race_and_close(taskenv):
    taskenv.add_host('b1')
    taskenv.add_host('b2')
    taskenv.act('alice')
    task_id = ta.make_task('sleep', [1])
    taskenv.act('b1', 'host.openTask')
    opened = open_task(task_id)
    assert opened['state'] == S['OPEN'] and opened['request'].startswith('<?xml')
    taskenv.act('b2', 'host.openTask')
    assert open_task(task_id) is None
    taskenv.act('b1', 'host.closeTask')
    close_task(task_id, xmlrpcplus.dumps((42,), methodresponse=1, allow_none=1))
    taskenv.act('alice', 'getTaskResult')
    assert api.getTaskResult(task_id) == 42
    assert api.taskFinished(task_id)


def test_resubmit(taskenv):
    taskenv.act('alice')
    task_id = ta.make_task('sleep', [7], arch='x86_64', priority=12, channel='default')
    taskenv.act('bob', 'resubmitTask')
    with pytest.raises(koji.GenericError):
        api.resubmitTask(task_id)   # not finished
    taskenv.act('alice', 'cancelTask')
    api.cancelTask(task_id)
    taskenv.act('bob', 'resubmitTask')
    with pytest.raises(koji.ActionNotAllowed):
        api.resubmitTask(task_id)
    taskenv.act('alice', 'resubmitTask')
    new_id = api.resubmitTask(task_id)
    info = get_task_info(new_id, request=True)
    assert new_id != task_id
    assert (info['method'], list(info['request']), info['arch'], info['priority'], info['state'],
            info['owner']) == ('sleep', [7], 'x86_64', 12, S['FREE'],
                               taskenv.users['alice']['id'])


def test_restart_hosts(taskenv):
    taskenv.act('alice', 'restartHosts')
    with pytest.raises(koji.ActionNotAllowed):
        api.restartHosts()
    taskenv.act('tadmin', 'restartHosts')
    task_id = api.restartHosts()
    info = get_task_info(task_id, request=True)
    assert info['method'] == 'restartHosts' and info['priority'] == 5
    assert list(info['request']) == []
    other = api.restartHosts(priority=10, options={'channel': 'default'})
    assert list(get_task_request(other)) == [{'channel': 'default'}]
    assert get_task_info(other)['priority'] == 10
    with pytest.raises(koji.ParameterError):
        api.restartHosts(options='all')
