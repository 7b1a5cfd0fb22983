"""Task read calls (getTaskInfo, listTasks, requests, results, trees) on a real database."""
import base64
import datetime

import pytest

import koji
from koji import xmlrpcplus
from koji.args import encode_args
from kojihub.core import db
from kojihub.tasks.tasks import TaskQueryExports

api = TaskQueryExports()
STATES = koji.TASK_STATES
UTC = datetime.timezone.utc
T0 = datetime.datetime(2024, 3, 1, tzinfo=UTC)

INFO_KEYS = {'arch', 'awaited', 'channel_id', 'completion_time', 'completion_ts',
             'create_time', 'create_ts', 'host_id', 'id', 'label', 'method', 'owner',
             'parent', 'priority', 'start_time', 'start_ts', 'state', 'waiting', 'weight'}
LIST_KEYS = INFO_KEYS | {'owner_name', 'owner_type', 'request', 'result'}


def result_xml(value):
    return xmlrpcplus.dumps((value,), methodresponse=1, allow_none=1)


def fault_xml(code, text):
    return xmlrpcplus.dumps(xmlrpcplus.Fault(code, text))


def insert_task(owner, method='sleep', args=(), kwargs=None, state=STATES['FREE'],
                arch='noarch', parent=None, label=None, channel_id=1, host_id=None,
                result=None, day=0, started=None, completed=None, priority=20):
    request = xmlrpcplus.dumps(encode_args(*args, **(kwargs or {})), methodname=method)
    data = {
        'state': state, 'owner': owner, 'method': method, 'arch': arch, 'parent': parent,
        'label': label, 'channel_id': channel_id, 'host_id': host_id, 'request': request,
        'result': result, 'priority': priority, 'weight': 1.5,
        'create_time': T0 + datetime.timedelta(days=day),
        'start_time': None if started is None else T0 + datetime.timedelta(days=started),
        'completion_time': (None if completed is None
                            else T0 + datetime.timedelta(days=completed)),
    }
    db.InsertProcessor('task', data=data).execute()
    return db.currval('task_id_seq')


def insert_host(name, user_id):
    host_id = db.nextval('host_id_seq')
    db.InsertProcessor('host', data={'id': host_id, 'user_id': user_id,
                                     'name': name}).execute()
    return host_id


@pytest.fixture
def tasks(make_user, hub_context):
    """A tree (root -> a, b; a -> a1, a2) plus some independent tasks."""
    alice = make_user('alice')
    bob = make_user('bob')
    hostuser = make_user('builder1', usertype=koji.USERTYPES['HOST'])
    host_id = insert_host('builder1', hostuser['id'])
    ids = {'alice': alice['id'], 'bob': bob['id'], 'host': host_id}
    ids['root'] = insert_task(alice['id'], 'build', ['git://x/foo#1', 'f40'],
                              {'opts': {'scratch': True}}, state=STATES['OPEN'],
                              host_id=host_id, day=0, started=0)
    ids['a'] = insert_task(alice['id'], 'buildArch', ['work/x.src.rpm', 'f40-build', 'x86_64'],
                           state=STATES['CLOSED'], arch='x86_64', parent=ids['root'],
                           label='x86_64', host_id=host_id, result=result_xml({'rpms': [1]}),
                           day=1, started=1, completed=2)
    ids['b'] = insert_task(alice['id'], 'buildArch', ['work/x.src.rpm', 'f40-build', 'i686'],
                           state=STATES['FAILED'], arch='i686', parent=ids['root'],
                           label='i686', result=fault_xml(1005, 'mock failed'), day=1,
                           started=1, completed=3, channel_id=2)
    ids['a1'] = insert_task(alice['id'], 'createrepo', [1], parent=ids['a'], label='r1',
                            state=STATES['CANCELED'], day=2, completed=2)
    ids['a2'] = insert_task(alice['id'], 'createrepo', [2], parent=ids['a'], label='r2',
                            state=STATES['ASSIGNED'], host_id=host_id, day=2)
    ids['solo'] = insert_task(bob['id'], 'sleep', [5], day=5, priority=10)
    return ids


def test_get_task_info(tasks):
    info = api.getTaskInfo(tasks['a'])
    assert set(info) == INFO_KEYS
    assert info['id'] == tasks['a'] and info['parent'] == tasks['root']
    assert info['method'] == 'buildArch' and info['label'] == 'x86_64'
    assert info['state'] == STATES['CLOSED'] and info['owner'] == tasks['alice']
    assert info['host_id'] == tasks['host'] and info['channel_id'] == 1
    assert info['weight'] == 1.5 and info['priority'] == 20
    assert info['create_ts'] == (T0 + datetime.timedelta(days=1)).timestamp()
    assert info['completion_ts'] == (T0 + datetime.timedelta(days=2)).timestamp()
    assert api.getTaskInfo(tasks['solo'])['start_ts'] is None
    # request=True adds the decoded params
    full = api.getTaskInfo(tasks['root'], request=True)
    assert set(full) == INFO_KEYS | {'request'}
    assert full['request'] == ('git://x/foo#1', 'f40',
                               {'opts': {'scratch': True}, '__starstar': True})
    # string ids and lists of ids
    assert api.getTaskInfo(str(tasks['a'])) == info
    many = api.getTaskInfo([tasks['b'], 999999, tasks['a'], tasks['b']])
    assert [t and t['id'] for t in many] == [tasks['b'], None, tasks['a'], tasks['b']]
    assert many[2] == info
    assert api.getTaskInfo([tasks['a']], request=True)[0]['request'][2] == 'x86_64'


def test_get_task_info_missing(tasks):
    assert api.getTaskInfo(999999) is None
    with pytest.raises(koji.GenericError, match='query returned no rows') as exc:
        api.getTaskInfo(999999, strict=True)
    assert exc.value.faultCode == 1000
    with pytest.raises(koji.GenericError):
        api.getTaskInfo([tasks['a'], 999999], strict=True)
    with pytest.raises(koji.ParameterError):
        api.getTaskInfo('abc')


def test_get_task_request(tasks):
    assert api.getTaskRequest(tasks['solo']) == (5,)
    assert api.getTaskRequest(tasks['a1']) == (1,)
    with pytest.raises(koji.GenericError, match='No such task'):
        api.getTaskRequest(999999)


def test_base64_request_is_decoded(tasks):
    old = xmlrpcplus.dumps((7, 'x'), methodname='sleep')
    db.UpdateProcessor('task', data={'request': base64.b64encode(old.encode()).decode()},
                       clauses=['id = %(id)s'], values={'id': tasks['solo']}).execute()
    assert api.getTaskRequest(tasks['solo']) == (7, 'x')
    rows = api.listTasks({'id': tasks['solo'], 'decode': True})
    assert rows[0]['request'] == (7, 'x')


def test_get_task_result(tasks):
    assert api.getTaskResult(tasks['a']) == {'rpms': [1]}
    with pytest.raises(xmlrpcplus.Fault) as exc:
        api.getTaskResult(tasks['b'])
    assert exc.value.faultCode == 1005 and exc.value.faultString == 'mock failed'
    # the hub's client side turns it back into the koji exception class
    assert isinstance(koji.convertFault(exc.value), koji.BuildError)
    assert api.getTaskResult(tasks['b'], raise_fault=False) == {
        'faultCode': 1005, 'faultString': 'mock failed'}
    with pytest.raises(koji.GenericError, match='Task %d is canceled' % tasks['a1']):
        api.getTaskResult(tasks['a1'])
    for key in ('root', 'a2', 'solo'):
        with pytest.raises(koji.GenericError, match='Task %d is not finished' % tasks[key]):
            api.getTaskResult(tasks[key])
    with pytest.raises(koji.GenericError, match='No such task'):
        api.getTaskResult(999999)


def test_task_finished(tasks):
    assert api.taskFinished(tasks['a']) and api.taskFinished(tasks['a1'])
    assert api.taskFinished(tasks['b'])
    assert not api.taskFinished(tasks['root']) and not api.taskFinished(tasks['a2'])


def test_get_task_children(tasks):
    children = api.getTaskChildren(tasks['root'])
    assert [c['id'] for c in children] == [tasks['a'], tasks['b']]
    assert all(set(c) == INFO_KEYS for c in children)
    with_req = api.getTaskChildren(tasks['a'], request=True)
    assert [c['request'] for c in with_req] == [(1,), (2,)]
    assert api.getTaskChildren(tasks['solo']) == []
    assert api.getTaskChildren(999999) == []
    with pytest.raises(koji.GenericError):
        api.getTaskChildren(999999, strict=True)


def test_get_task_descendents(tasks):
    tree = api.getTaskDescendents(tasks['root'])
    assert set(tree) == {str(tasks[k]) for k in ('root', 'a', 'b', 'a1', 'a2')}
    assert [t['id'] for t in tree[str(tasks['root'])]] == [tasks['a'], tasks['b']]
    assert [t['id'] for t in tree[str(tasks['a'])]] == [tasks['a1'], tasks['a2']]
    assert tree[str(tasks['b'])] == [] and tree[str(tasks['a1'])] == []
    assert tree[str(tasks['a'])][0] == api.getTaskChildren(tasks['a'])[0]
    sub = api.getTaskDescendents(tasks['a'], request=True)
    assert set(sub) == {str(tasks[k]) for k in ('a', 'a1', 'a2')}
    assert sub[str(tasks['a'])][1]['request'] == (2,)
    assert api.getTaskDescendents(tasks['solo']) == {str(tasks['solo']): []}


def test_get_task_descendents_is_one_query(tasks, monkeypatch):
    from kojihub.core import db as hubdb
    calls = []
    orig = hubdb.QueryProcessor.execute

    def counting(self):
        calls.append(str(self))
        return orig(self)
    monkeypatch.setattr(hubdb.QueryProcessor, 'execute', counting)
    api.getTaskDescendents(tasks['root'], request=True)
    assert len(calls) == 1


def ids_of(rows):
    return sorted(r['id'] for r in rows)


def test_list_tasks_keys_and_raw(tasks):
    rows = api.listTasks()
    assert len(rows) == 6
    assert all(set(r) == LIST_KEYS for r in rows)
    solo = [r for r in rows if r['id'] == tasks['solo']][0]
    assert solo['owner_name'] == 'bob' and solo['owner_type'] == koji.USERTYPES['NORMAL']
    assert solo['request'].startswith('<?xml') and solo['result'] is None


def test_list_tasks_filters(tasks):
    t = tasks
    assert ids_of(api.listTasks({'id': t['a']})) == [t['a']]
    assert ids_of(api.listTasks({'id': [t['a'], t['b']]})) == sorted([t['a'], t['b']])
    assert ids_of(api.listTasks({'arch': ['x86_64', 'i686']})) == sorted([t['a'], t['b']])
    assert ids_of(api.listTasks({'arch': 'i686'})) == [t['b']]
    assert len(api.listTasks({'not_arch': ['noarch']})) == 2
    open_states = [STATES['FREE'], STATES['OPEN'], STATES['ASSIGNED']]
    assert ids_of(api.listTasks({'state': open_states})) == sorted(
        [t['root'], t['a2'], t['solo']])
    assert ids_of(api.listTasks({'not_state': open_states})) == sorted(
        [t['a'], t['b'], t['a1']])
    assert ids_of(api.listTasks({'owner': t['bob']})) == [t['solo']]
    assert len(api.listTasks({'owner': [t['alice'], t['bob']]})) == 6
    assert len(api.listTasks({'not_owner': t['bob']})) == 5
    assert ids_of(api.listTasks({'host_id': t['host']})) == sorted([t['root'], t['a'], t['a2']])
    assert ids_of(api.listTasks({'host_id': None})) == sorted([t['b'], t['a1'], t['solo']])
    assert ids_of(api.listTasks({'not_host_id': None})) == sorted(
        [t['root'], t['a'], t['a2']])
    assert ids_of(api.listTasks({'channel_id': 2})) == [t['b']]
    assert len(api.listTasks({'not_channel_id': [2]})) == 5
    assert ids_of(api.listTasks({'parent': None})) == sorted([t['root'], t['solo']])
    assert ids_of(api.listTasks({'parent': t['a']})) == sorted([t['a1'], t['a2']])
    assert ids_of(api.listTasks({'parent': [t['root'], t['a']]})) == sorted(
        [t['a'], t['b'], t['a1'], t['a2']])
    assert ids_of(api.listTasks({'not_parent': None})) == sorted(
        [t['a'], t['b'], t['a1'], t['a2']])
    assert ids_of(api.listTasks({'not_parent': t['root']})) == sorted([t['a1'], t['a2']])
    assert ids_of(api.listTasks({'method': 'createrepo'})) == sorted([t['a1'], t['a2']])
    assert api.listTasks({'id': []}) == []
    assert ids_of(api.listTasks({'owner': t['alice'], 'parent': None})) == [t['root']]


def test_list_tasks_time_filters(tasks):
    t = tasks
    day = 86400
    t0 = T0.timestamp()
    assert ids_of(api.listTasks({'createdBefore': t0 + day / 2})) == [t['root']]
    assert ids_of(api.listTasks({'createdAfter': t0 + 4 * day})) == [t['solo']]
    assert ids_of(api.listTasks({'createdAfter': '2024-03-05 00:00:00+00'})) == [t['solo']]
    assert ids_of(api.listTasks({'startedAfter': t0})) == sorted([t['a'], t['b']])
    assert ids_of(api.listTasks({'startedBefore': t0 + day / 2})) == [t['root']]
    assert ids_of(api.listTasks({'completeBefore': t0 + 2.5 * day})) == sorted(
        [t['a'], t['a1']])
    assert ids_of(api.listTasks({'completeAfter': t0 + 2.5 * day})) == [t['b']]
    assert ids_of(api.listTasks({'completedAfter': t0 + 2.5 * day})) == [t['b']]
    assert ids_of(api.listTasks({'completedBefore': t0 + 2.5 * day})) == sorted(
        [t['a'], t['a1']])


def test_list_tasks_decode(tasks):
    rows = {r['id']: r for r in api.listTasks({'decode': True})}
    assert rows[tasks['solo']]['request'] == (5,)
    assert rows[tasks['solo']]['result'] is None
    assert rows[tasks['a']]['result'] == {'rpms': [1]}
    assert rows[tasks['b']]['result'] == {'faultCode': 1005, 'faultString': 'mock failed'}
    assert rows[tasks['root']]['request'][2] == {'opts': {'scratch': True},
                                                 '__starstar': True}
    # decoding also works on rows returned as lists
    keys = sorted(LIST_KEYS)
    lists = api.listTasks({'decode': True, 'id': tasks['a']}, {'asList': True})
    assert lists[0][keys.index('result')] == {'rpms': [1]}
    assert lists[0][keys.index('request')] == ('work/x.src.rpm', 'f40-build', 'x86_64')
    assert lists[0][keys.index('owner_name')] == 'alice'


def test_list_tasks_query_opts(tasks):
    assert api.listTasks(queryOpts={'countOnly': True}) == 6
    # koji userinfo: top-level tasks of a user
    assert api.listTasks({'owner': tasks['alice'], 'parent': None},
                         {'countOnly': True}) == 1
    assert api.listTasks({'decode': True}, {'countOnly': True}) == 6
    rows = api.listTasks(queryOpts={'order': 'priority,create_time'})
    assert rows[0]['id'] == tasks['solo']
    rows = api.listTasks(queryOpts={'order': '-id', 'offset': 1, 'limit': 2})
    all_ids = sorted((r['id'] for r in api.listTasks()), reverse=True)
    assert [r['id'] for r in rows] == all_ids[1:3]
    by_owner = api.listTasks(queryOpts={'order': 'owner_name,id'})
    assert [r['owner_name'] for r in by_owner] == ['alice'] * 5 + ['bob']
    # upstream's QueryProcessor raises a bare Exception (a faultCode 1 reply)
    with pytest.raises(Exception, match='^Invalid order: nosuch$'):
        api.listTasks(queryOpts={'order': 'nosuch'})
