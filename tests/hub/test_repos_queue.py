"""The repo request queue (repo.request / get / checkRequest / checkQueue ...) on a real db."""
import json

import pytest

import koji
from koji import xmlrpcplus
from koji.context import context
from kojihub.api.exports import RootExports
from kojihub.api.host_exports import HostExports
from kojihub.core import db
from kojihub.core.history import tag_first_change_event, tag_last_change_event
from kojihub.repos import opts as repo_opts
from kojihub.repos.exports import RepoExports
from kojihub.tags import external_repos, tags
from tests.fixtures.auth import create_user_with, open_session
from tests.hub.taskenv import taskenv  # noqa: F401

host = HostExports()
root = RootExports()
repo = RepoExports()


class World(object):

    def __init__(self, env):
        self.env = env
        self.host_id = env.add_host('b1', channels=('createrepo',))
        create_user_with('kojira', perms=['repo'])
        env.sessions['kojira'] = open_session('kojira')
        env.act('tadmin')
        self.tag_id = tags.create_tag('q-build', arches='x86_64')
        self.other_id = tags.create_tag('q-other', arches='x86_64')
        env.act('alice', 'repo.request')

    def run_task(self, task_id, result=None, fail=False):
        """b1 opens the task, makes the repo it asks for and closes it."""
        self.env.act('b1', 'host.openTask')
        host.openTask(task_id)
        args = root.getTaskInfo(task_id, request=True)['request']
        tag, kw = args[0], dict(args[1])
        kw.pop('__starstar', None)
        if fail:
            fault = xmlrpcplus.dumps(xmlrpcplus.Fault(1000, 'boom'), methodresponse=1)
            host.failTask(task_id, fault)
            self.env.act('kojira', 'repo.checkQueue')
            repo.checkQueue()
            return None
        if result is None:
            repo_id, event_id = host.repoInit(tag['id'], task_id=task_id, **kw)
            self.env.act('b1', 'host.repoDone')
            host.repoDone(repo_id, {})
            result = [repo_id, event_id]
        host.closeTask(task_id, xmlrpcplus.dumps((result,), methodresponse=1))
        self.env.act('kojira', 'repo.checkQueue')
        repo.checkQueue()
        return result


@pytest.fixture
def world(taskenv, topdir):  # noqa: F811
    return World(taskenv)


def test_request_makes_task_at_once(world):
    ret = repo.request('q-build', min_event='last')
    assert ret['repo'] is None and ret['duplicate'] is False
    req = ret['request']
    assert req['tag_name'] == 'q-build' and req['owner_name'] == 'alice'
    assert req['priority'] == koji.PRIO_DEFAULT and req['active'] is True
    assert req['min_event'] == tag_last_change_event(world.tag_id)
    assert req['task_id'] and req['tries'] == 1
    task = root.getTaskInfo(req['task_id'], request=True)
    assert task['method'] == 'newRepo' and task['priority'] == 15
    kojira_id = db.QueryProcessor(tables=['users'], columns=['id'],
                                  clauses=["name = 'kojira'"]).singleValue()
    assert task['owner'] == kojira_id
    assert list(task['request']) == [{'id': world.tag_id, 'name': 'q-build'},
                                     {'__starstar': True, 'opts': {}}]
    again = repo.request('q-build', min_event='last')
    assert again['duplicate'] is True and again['request']['id'] == req['id']
    check = repo.checkRequest(req['id'])
    assert check['repo'] is None and check['task']['id'] == req['task_id']

    world.run_task(req['task_id'])
    check = repo.checkRequest(req['id'])
    assert check['request']['active'] is False and check['repo']['id']
    assert 'task' not in check
    done = repo.request('q-build', min_event='last')
    assert done['repo']['id'] == check['repo']['id'] and done['request'] is None
    assert repo.get('q-build')['id'] == check['repo']['id']
    assert repo.get('q-build', opts={'debuginfo': True}) is None
    forced = repo.request('q-build', min_event='last', force=True)
    assert forced['request'] and forced['repo'] is None


def test_request_bad_input(world):
    with pytest.raises(koji.ParameterError, match='The min_event and at_event options conflict'):
        repo.request('q-build', min_event=1, at_event=1)
    with pytest.raises(koji.ParameterError, match='Invalid event: 999999'):
        repo.request('q-build', at_event=999999)
    with pytest.raises(koji.ParameterError, match='Invalid event: 999999'):
        repo.request('q-build', min_event=999999)
    with pytest.raises(koji.ParameterError, match='Invalid repo option: bogus'):
        repo.request('q-build', opts={'bogus': True})
    with pytest.raises(koji.ParameterError, match='Repo opts must be a dictionary'):
        repo.request('q-build', opts=['src'])
    with pytest.raises(koji.GenericError, match='Maven support not enabled'):
        repo.request('q-build', opts={'maven': True})
    with pytest.raises(koji.GenericError):
        repo.request('no-such-tag')
    with pytest.raises(koji.ActionNotAllowed, match='only admins may create high-priority'):
        repo.request('q-build', priority=-5)
    with pytest.raises(koji.GenericError, match='No such request'):
        repo.checkRequest(424242)
    with pytest.raises(koji.ActionNotAllowed):
        repo.setRequestPriority(1, 3)
    world.env.act(None, 'repo.request')
    with pytest.raises(koji.ActionNotAllowed, match='must be logged in'):
        repo.request('q-build')


def test_priority_and_duplicates(world):
    first = repo.request('q-build', min_event='last', priority=3)['request']
    assert first['priority'] == koji.PRIO_DEFAULT + 3
    world.env.act('tadmin', 'repo.request')
    dup = repo.request('q-build', min_event='last', priority=-2)
    assert dup['duplicate'] and dup['request']['priority'] == koji.PRIO_DEFAULT - 2
    assert repo.queryQueue([['id', '=', first['id']]], ['priority'])[0]['priority'] == 18
    repo.setRequestPriority(first['id'], 30)
    assert repo.queryQueue([['id', '=', first['id']]], ['priority']) == [{'priority': 30}]
    # other opts, other tag: separate requests
    other = repo.request('q-build', min_event='last', opts={'src': True})
    assert not other['duplicate'] and other['request']['opts'] == {'src': True}
    assert not repo.request('q-other', min_event='last')['duplicate']


def test_check_queue_retries_and_limits(world):
    context.opts['MaxRepoTasks'] = 1
    context.opts['RepoRetries'] = 1
    first = repo.request('q-build', min_event='last')['request']
    second = repo.request('q-other', min_event='last')['request']
    assert first['task_id'] and second['task_id'] is None
    world.run_task(first['task_id'], fail=True)
    rows = {r['id']: r for r in repo.queryQueue(fields=['id', 'task_id', 'tries', 'active'])}
    # the failed one was retried: since the queue is in priority,id order it gets the slot
    assert rows[first['id']]['tries'] == 2 and rows[first['id']]['task_id'] != \
        first['task_id']
    assert rows[second['id']]['task_id'] is None
    world.run_task(rows[first['id']]['task_id'], fail=True)
    rows = {r['id']: r for r in repo.queryQueue(fields=['id', 'task_id', 'tries', 'active'])}
    assert rows[first['id']]['active'] is False
    assert rows[second['id']]['task_id'] is not None
    # a task reporting a repo of the wrong tag does not satisfy the request
    other_repo = world.run_task(rows[second['id']]['task_id'])
    req = repo.checkRequest(second['id'])
    assert req['request']['repo_id'] == other_repo[0]
    world.env.act('alice', 'repo.checkQueue')
    with pytest.raises(koji.ActionNotAllowed):
        repo.checkQueue()


def test_wrong_result_is_retried(world):
    req = repo.request('q-build', min_event='last')['request']
    world.env.act('tadmin')
    bogus = db.nextval('repo_id_seq')
    db.InsertProcessor('repo', data={'id': bogus, 'tag_id': world.other_id,
                                     'state': koji.REPO_READY, 'opts': '{}',
                                     'custom_opts': '{}',
                                     'create_event': db.get_event()}).execute()
    world.run_task(req['task_id'], result=[bogus, 1])
    row = repo.queryQueue([['id', '=', req['id']]], ['task_id', 'tries', 'active', 'repo_id'])
    assert row == [{'task_id': row[0]['task_id'], 'tries': 2, 'active': True,
                    'repo_id': None}]
    assert row[0]['task_id'] != req['task_id']


def test_at_event_and_custom_opts(world):
    event = tag_last_change_event(world.tag_id)
    req = repo.request('q-build', at_event=event, opts={'debuginfo': True})['request']
    task = root.getTaskInfo(req['task_id'], request=True)
    assert task['request'][1]['event'] == event
    assert task['request'][1]['opts'] == {'debuginfo': True}
    repo_id, _ = world.run_task(req['task_id'])
    info = root.repoInfo(repo_id)
    assert info['create_event'] == event and info['custom_opts'] == {'debuginfo': True}
    assert repo.checkRequest(req['id'])['repo']['id'] == repo_id
    # a custom repo is not handed to requests for the default options
    assert repo.get('q-build', at_event=event) is None
    assert repo.get('q-build', at_event=event, opts={'debuginfo': True})['id'] == repo_id
    assert repo.get('q-build', at_event=event, opts={'debuginfo': True, 'src': False})['id'] \
        == repo_id


def test_query_views(world):
    req = repo.request('q-build', min_event='last')['request']
    rows = repo.query([['tag_id', '=', world.tag_id]])
    assert rows == []
    queue = repo.queryQueue([['tag_name', '=', 'q-build']])
    assert [q['id'] for q in queue] == [req['id']]
    assert set(queue[0]) == {'id', 'tag_id', 'at_event', 'min_event', 'create_ts', 'task_id',
                             'tries', 'repo_id', 'opts', 'active', 'update_ts'}
    full = repo.queryQueue([['id', req['id']]], fields='**')[0]
    assert full['owner_name'] == 'alice' and full['task_state'] == koji.TASK_STATES['FREE']
    with pytest.raises(koji.ParameterError, match='Invalid field for query nope'):
        repo.query([['nope', '=', 1]])
    with pytest.raises(koji.ParameterError, match='Invalid operator: LIKE'):
        repo.query([['id', 'like', 1]])
    with pytest.raises(koji.ParameterError, match='Invalid clause'):
        repo.query([['id']])
    repo_id, _ = world.run_task(req['task_id'])
    rows = repo.query([['tag_id', '=', world.tag_id]], fields=['id', 'state', 'tag_name'],
                      opts={'order': '-id'})
    assert rows == [{'id': repo_id, 'state': koji.REPO_READY, 'tag_name': 'q-build'}]
    assert repo.query([['id', 'IN', [repo_id]], ['state', '!=', 3]], ['id']) == \
        [{'id': repo_id}]


def test_default_min_event_uses_lag(world):
    taginfo = tags.get_tag(world.tag_id)
    last = tag_last_change_event(world.tag_id)
    # all events are recent: nothing older than an hour ago, so the tag's first event
    assert repo_opts.default_min_event(taginfo) == tag_first_change_event(world.tag_id)
    context.opts['RepoLag'] = 0
    context.opts['RepoLagWindow'] = 1
    db._dml("UPDATE events SET time = time - '10 seconds'::interval", {})
    assert repo_opts.default_min_event(taginfo) == last


def test_repo_opts_defaults(world):
    taginfo = tags.get_tag(world.tag_id)
    assert repo_opts.get_repo_opts(taginfo) == (
        {'src': False, 'debuginfo': False, 'separate_src': False, 'maven': False}, {})
    context.opts['DebuginfoTags'] = 'q-*'
    context.opts['SourceTags'] = 'other'
    opts, custom = repo_opts.get_repo_opts(taginfo, {'src': True, 'debuginfo': True})
    assert opts['debuginfo'] is True and opts['src'] is True and custom == {'src': True}
    taginfo['extra'] = {'repo.opts': {'debuginfo': False, 'separate_src': True}}
    opts, custom = repo_opts.get_repo_opts(taginfo)
    assert opts['debuginfo'] is False and opts['separate_src'] is True
    taginfo['extra'] = {'with_debuginfo': False}
    assert repo_opts.get_repo_opts(taginfo)[0]['debuginfo'] is False


def test_update_end_events_and_auto_requests(world):
    req = repo.request('q-build', min_event='last')['request']
    repo_id, event_id = world.run_task(req['task_id'])
    assert root.repoInfo(repo_id)['end_event'] is None
    world.env.act('tadmin')
    tags.edit_tag('q-build', extra={'repo.auto': True, 'repo.lag': 0})
    db._dml("UPDATE events SET time = time - '10 seconds'::interval", {})
    context.opts['RepoLagWindow'] = 1
    world.env.act('kojira', 'repo.updateEndEvents')
    repo.updateEndEvents()
    changed = tag_last_change_event(world.tag_id)
    assert root.repoInfo(repo_id)['end_event'] == changed
    repo.autoRequests()
    queue = repo.queryQueue([['tag_id', '=', world.tag_id], ['active', 'IS', True]],
                            ['priority', 'min_event', 'task_id'])
    assert queue[0]['priority'] == koji.PRIO_DEFAULT + 5
    assert queue[0]['min_event'] <= changed and queue[0]['task_id']
    world.env.act('alice', 'repo.autoRequests')
    with pytest.raises(koji.ActionNotAllowed):
        repo.autoRequests()
    with pytest.raises(koji.ActionNotAllowed):
        repo.updateEndEvents()


def test_external_repo_data_counts_as_tag_change(world):
    world.env.act('tadmin')
    external_repos.create_external_repo('ext', 'http://example.com/repo/')
    external_repos.add_external_repo_to_tag('q-build', 'ext', 10)
    world.env.act('kojira', 'repo.setExternalRepoData')
    before = tag_last_change_event(world.tag_id)
    repo.setExternalRepoData('ext', {'max_ts': 1234})
    world.env.act('kojira', 'repo.setExternalRepoData')
    assert repo.getExternalRepoData('ext') == {'max_ts': 1234}
    after = tag_last_change_event(world.tag_id)
    assert after > before
    assert tag_first_change_event(world.tag_id, after=before) == after
    assert tag_last_change_event(world.tag_id, before=after) == before
    # a tag without the external repo is not affected
    assert tag_last_change_event(world.other_id) < after
    with pytest.raises(koji.ParameterError):
        repo.setExternalRepoData('ext', None)
    world.env.act('alice', 'repo.setExternalRepoData')
    with pytest.raises(koji.ActionNotAllowed):
        repo.setExternalRepoData('ext', {'max_ts': 1})


def test_done_hook_satisfies_matching_requests(world):
    a = repo.request('q-build', min_event='last')['request']
    b = repo.request('q-build', min_event='last', opts={'src': False})['request']
    c = repo.request('q-build', min_event='last', opts={'src': True})['request']
    repo_id, _ = world.run_task(a['task_id'])
    states = {r['id']: r for r in repo.queryQueue(fields=['id', 'repo_id', 'active'])}
    assert states[a['id']]['repo_id'] == repo_id
    assert states[b['id']]['repo_id'] == repo_id
    assert states[c['id']]['repo_id'] is None and states[c['id']]['active'] is True
    assert json.dumps(root.repoInfo(repo_id)['custom_opts']) == '{}'


def test_maven_task_limit(world):
    context.opts['EnableMaven'] = True
    context.opts['MaxRepoTasksMaven'] = 1
    world.env.act('tadmin')
    tags.create_tag('q-mvn1', maven_support=True)
    tags.create_tag('q-mvn2', maven_support=True)
    world.env.act('alice', 'repo.request')
    first = repo.request('q-mvn1', min_event='last', opts={'maven': True})['request']
    second = repo.request('q-mvn2', min_event='last', opts={'maven': True})['request']
    plain = repo.request('q-build', min_event='last')['request']
    assert first['task_id'] and second['task_id'] is None and plain['task_id']
    world.env.act('kojira', 'repo.checkQueue')
    repo.checkQueue()
    assert repo.queryQueue([['id', '=', second['id']]], ['task_id']) == [{'task_id': None}]
    world.run_task(first['task_id'], fail=True)
    rows = {r['id']: r for r in repo.queryQueue(fields=['id', 'task_id'])}
    # the failed maven request is retried first (queue order), the other still waits
    assert rows[first['id']]['task_id'] and rows[second['id']]['task_id'] is None


def test_failed_early_pass_does_not_fail_the_request(world):
    from kojihub.core import policy
    # a channel policy that cannot place newRepo tasks makes the queue pass fail
    context.policy = policy.load_policies({'policy': {
        'channel': 'method newRepo :: frobnicate\nall :: use default\n'}})
    ret = repo.request('q-build', min_event='last')
    req = ret['request']
    assert req['task_id'] is None and req['active'] is True and req['tries'] == 0
    assert db.QueryProcessor(tables=['task'], columns=['id'], opts={'countOnly': True},
                             clauses=["method = 'newRepo'"]).execute() == 0
    world.env.act('kojira', 'repo.checkQueue')
    with pytest.raises(koji.GenericError, match='invalid channel policy'):
        repo.checkQueue()
