"""Repo calls over HTTP: who may call host.repoInit / repoDone / distRepoMove, and a
request -> newRepo task -> repoInit -> repoDone round trip through koji.ClientSession."""
import os

import pytest

import koji
from koji import xmlrpcplus
from tests.fixtures.sessions import client, make_builder


@pytest.fixture(scope='module')
def builder(hub_server, admin):
    host_id, session = make_builder(hub_server, admin, 'repobuilder1')
    admin.addHostToChannel('repobuilder1', 'createrepo', create=True)
    yield host_id, session
    session.logout()


@pytest.fixture(scope='module')
def tag(admin):
    admin.createTag('http-repo-build', arches='x86_64')
    return 'http-repo-build'


def test_host_repo_calls_need_a_host(hub_server, admin, builder, tag):
    anon = client(hub_server)
    with pytest.raises(koji.AuthError):
        anon.host.repoInit(tag)
    for call, args in (('repoInit', (tag,)), ('repoDone', (1, {})),
                       ('distRepoMove', (1, 'tasks/1/1', 'x86_64'))):
        with pytest.raises(koji.AuthError):
            getattr(admin.host, call)(*args)
    with pytest.raises(koji.ActionNotAllowed):
        anon.newRepo(tag)
    with pytest.raises(koji.GenericError):
        admin.newRepo('no-such-tag')


def test_request_to_ready_repo(hub_server, admin, builder, tag):
    host_id, host = builder
    ret = admin.repo.request(tag, min_event='last')
    req = ret['request']
    assert ret['duplicate'] is False and req['task_id']
    task_id = req['task_id']
    assert admin.assignTask(task_id, 'repobuilder1', force=True, override=True)
    info = host.host.openTask(task_id)
    assert info['method'] == 'newRepo'
    args, kw = koji.decode_args(*xmlrpcplus.loads(info['request'])[0])
    repo_id, event_id = host.host.repoInit(args[0]['id'], task_id=task_id, **kw)
    repodir = os.path.join(hub_server.topdir, 'repos', tag, str(repo_id))
    assert os.path.isfile(os.path.join(repodir, 'x86_64', 'pkglist'))
    reldir = 'tasks/%i/%i' % (task_id % 10000, task_id)
    host.uploadWrapper(__file__, reldir, name='repomd.xml')
    host.host.repoDone(repo_id, {'x86_64': [reldir, ['repomd.xml']]})
    assert os.path.isfile(os.path.join(repodir, 'x86_64', 'repodata', 'repomd.xml'))
    host.host.closeTask(task_id, xmlrpcplus.dumps(([repo_id, event_id],), methodresponse=1))
    check = admin.repo.checkRequest(req['id'])
    assert check['request']['active'] is False and check['repo']['id'] == repo_id
    assert admin.repoInfo(repo_id)['state'] == koji.REPO_READY
    rows = admin.repo.query([['tag_name', '=', tag]], ['id', 'state'])
    assert rows == [{'id': repo_id, 'state': koji.REPO_READY}]
    assert admin.repo.request(tag, min_event='last')['repo']['id'] == repo_id
