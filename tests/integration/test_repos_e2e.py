"""Repos on demand, end to end: one hub, a real kojid (createrepo channel) and a real kojira.

Nothing here calls repo.checkQueue: kojira's threads start the newRepo tasks, request
repos for ``repo.auto`` tags, expire repos that are no longer current and delete expired
ones from disk; kojid runs the tasks.  kojira runs with a one second sleeptime and
lifetimes of one second so each effect shows up within a few passes; every wait ends as
soon as its condition holds (the timeouts are guards only).
"""
import gzip
import os
import subprocess
import sys
import textwrap
import uuid
import xml.etree.ElementTree as ET

import pytest

import koji
from tests.cli.rpmkit import build_kit
from tests.integration.test_kojid import PLUGIN, Builder, _admin_session, _wait_for
from tests.integration.test_kojid_repos import HUB_OPTS, _import
from tests.integration.test_kojira import Kojira

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = 'repos-e2e.test'
COMMON = '{http://linux.duke.edu/metadata/common}'
REPOMD = '{http://linux.duke.edu/metadata/repo}'
WAIT = 180

HOLD_PLUGIN = '''
import os
import time

from koji.tasks import BaseTaskHandler


class HoldRepoTask(BaseTaskHandler):
    """A buildroot on a repo for as long as a flag file is absent, as a build keeps one."""
    Methods = ['holdrepo']
    _taskWeight = 0.1

    def handler(self, repo_id, flag):
        br_id = self.session.host.newBuildRoot(repo_id, 'x86_64', task_id=self.id)
        while not os.path.exists(flag):
            time.sleep(0.2)
        self.session.host.setBuildRootState(br_id, 'EXPIRED', task_id=self.id)
        return br_id
'''


@pytest.fixture(scope='module')
def stack(hub_server, tmp_path_factory):
    for tool in ('createrepo_c', 'rpmbuild'):
        if not os.path.exists('/usr/bin/' + tool):
            pytest.skip('%s is not installed' % tool)
    hub_server.restart(HUB_OPTS)
    base = str(tmp_path_factory.mktemp('repos-e2e'))
    plugindir = os.path.join(base, 'plugins')
    os.makedirs(plugindir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN) + HOLD_PLUGIN)
    admin = _admin_session(hub_server)
    admin.createUser('kojira')
    admin.grantPermission('kojira', 'repo', create=True)
    hub_server.set_password('kojira', 'kojirapw')
    builder = Builder(hub_server, base, HOST, plugindir)
    admin.addHost(HOST, ['x86_64', 'noarch'])
    admin.addHostToChannel(HOST, 'createrepo')
    admin.removeHostFromChannel(HOST, 'default')
    hub_server.set_password(HOST, builder.password)
    kojira = Kojira(hub_server, base, 'kojira', extra={
        'repo_lifetime': 1, 'expired_repo_lifetime': 1})
    try:
        builder.start()
        _wait_for(lambda: (admin.getHost(HOST) or {}).get('ready'), 60,
                  'host %s to check in\n%s' % (HOST, builder.read_log()))
        kojira.start()
        yield {'hub': hub_server, 'admin': admin, 'builder': builder, 'kojira': kojira,
               'base': base}
    finally:
        kojira.stop()
        builder.stop()
        admin.logout()


def _logs(env):
    return 'kojid:\n%s\nkojira:\n%s' % (env['builder'].read_log()[-6000:],
                                        env['kojira'].read_log()[-6000:])


def _wait(env, predicate, what):
    try:
        return _wait_for(predicate, WAIT, what, interval=0.3)
    except AssertionError as exc:
        raise AssertionError('%s\n%s' % (exc, _logs(env)))


def _uniq(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:6])


def _tag(env, builds=(), extra=None):
    admin = env['admin']
    name = _uniq('e2e')
    admin.createTag(name, arches='x86_64', extra=extra or {})
    for build in builds:
        _add(env, name, build)
    return name


def _add(env, tag, build):
    env['admin'].packageListAdd(tag, build.name, owner=env['hub'].admin_user)
    env['admin'].tagBuildBypass(tag, build.nvr)


def _kit(env, prefix):
    name = _uniq(prefix)
    build = build_kit(os.path.join(env['base'], 'rpmbuild-' + name), name)
    _import(env['admin'], build)
    return build


def _packages(env, tag, repo_id):
    """Package names in the x86_64 repodata of a repo."""
    datadir = os.path.join(env['hub'].topdir, 'repos', tag, str(repo_id), 'x86_64', 'repodata')
    root = ET.parse(os.path.join(datadir, 'repomd.xml')).getroot()
    href = [d.find(REPOMD + 'location').get('href') for d in root.findall(REPOMD + 'data')
            if d.get('type') == 'primary'][0]
    with gzip.open(os.path.join(os.path.dirname(datadir), href)) as fo:
        return sorted(p.find(COMMON + 'name').text
                      for p in ET.parse(fo).getroot().findall(COMMON + 'package'))


def _ready_repo(env, tag, min_event):
    """Wait for the tag's current repo to be at least min_event (nobody asks for one)."""
    def current():
        repo = env['admin'].getRepo(tag)
        return repo if repo and repo['create_event'] >= min_event else None
    return _wait(env, current, 'a repo of %s from event %s' % (tag, min_event))


def _request(env, tag):
    """repo.request for the tag's latest state; the repo once kojira and kojid made it.

    (Without min_event the hub allows its RepoLag, as upstream's does.)
    """
    admin = env['admin']
    check = admin.repo.request(tag, min_event=admin.tagLastChangeEvent(tag))
    if check['repo']:
        return check['repo']
    req_id = check['request']['id']

    def done():
        status = admin.repo.checkRequest(req_id)
        assert status['request']['active'] or status['repo'], status
        return status['repo']
    return _wait(env, done, 'request %s of %s' % (req_id, tag))


def test_auto_tags_regenerate_by_themselves(stack):
    admin = stack['admin']
    first = _kit(stack, 'e2e-auto')
    tag = _tag(stack, [first], extra={'repo.auto': True})
    repo = _ready_repo(stack, tag, admin.tagLastChangeEvent(tag))
    assert _packages(stack, tag, repo['id']) == [first.name]
    # a newly tagged build: kojira asks for a new repo, kojid makes it
    second = _kit(stack, 'e2e-auto')
    _add(stack, tag, second)
    new = _ready_repo(stack, tag, admin.tagLastChangeEvent(tag))
    assert new['id'] != repo['id']
    assert _packages(stack, tag, new['id']) == sorted([first.name, second.name])
    # the queue entries were kojira's
    rows = admin.repo.queryQueue([['tag_id', '=', admin.getTag(tag)['id']]],
                                 ['owner_name', 'repo_id'])
    assert rows and set(r['owner_name'] for r in rows) == {'kojira'}


def test_tagging_regenerates_and_unrelated_change_does_not(stack):
    admin = stack['admin']
    base = _kit(stack, 'e2e-base')
    tag = _tag(stack, [base])
    repo = _request(stack, tag)
    assert _packages(stack, tag, repo['id']) == [base.name]
    # a change to another tag: the same repo satisfies the next request at once
    other = _tag(stack)
    admin.packageListAdd(other, base.name, owner=stack['hub'].admin_user)
    admin.tagBuildBypass(other, base.nvr)
    check = admin.repo.request(tag, min_event=admin.tagLastChangeEvent(tag))
    assert check['repo']['id'] == repo['id'] and check.get('request') is None
    # tagging a build: the next request makes a new repo with it
    extra = _kit(stack, 'e2e-extra')
    _add(stack, tag, extra)
    check = admin.repo.request(tag, min_event=admin.tagLastChangeEvent(tag))
    assert check['repo'] is None and check['request']['active']
    new = _request(stack, tag)
    assert new['id'] > repo['id']
    assert _packages(stack, tag, new['id']) == sorted([base.name, extra.name])


def test_wait_repo_build_returns_when_build_is_in_repo(stack):
    admin = stack['admin']
    hub = stack['hub']
    base = _kit(stack, 'e2e-wbase')
    tag = _tag(stack, [base])
    _request(stack, tag)
    late = _kit(stack, 'e2e-late')
    admin.packageListAdd(tag, late.name, owner=hub.admin_user)
    out = os.path.join(stack['base'], 'wait-repo-%s.out' % tag)
    cmd = [sys.executable, os.path.join(ROOT, 'cli', 'koji'), '-c', hub.config_file,
           '-p', hub.profile, '--user', hub.admin_user, '--password', hub.admin_password,
           'wait-repo', '-v', '--request', '--build', late.nvr, '--timeout', '5', tag]
    with open(out, 'w') as fo:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=stack['base']))
    try:
        # the client is waiting for the build (it cannot be done before it is tagged)
        waiting = 'Waiting for nvrs [%r] in tag %s' % (late.nvr, tag)

        def started():
            with open(out) as fo:
                return proc.poll() is not None or waiting in fo.read()
        _wait(stack, started, 'the client to wait')
        assert proc.poll() is None, open(out).read()
        admin.tagBuildBypass(tag, late.nvr)
        rc = proc.wait(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(out) as fo:
        text = fo.read()
    assert rc == 0, text + _logs(stack)
    repo_id = int(text.split('Got repo ')[1].split()[0])
    assert late.name in _packages(stack, tag, repo_id), text
    assert admin.repoInfo(repo_id)['create_event'] >= admin.tagLastChangeEvent(tag)


def test_expired_repos_deleted_only_when_unreferenced(stack):
    admin = stack['admin']
    hub = stack['hub']
    tag = _tag(stack)
    pathinfo = koji.PathInfo(topdir=hub.topdir)
    used = _request(stack, tag)['id']
    # a task on kojid holds a buildroot on the first repo (before it can expire)
    flag = os.path.join(stack['base'], 'release-%s' % used)
    task_id = admin.makeTask('holdrepo', [used, flag], channel='createrepo')
    try:
        _wait(stack, lambda: admin.listBuildroots(repoID=used), 'the buildroot on %s' % used)
        repos = [used]
        for _ in range(2):
            # any change of the tag makes the next request need a new repo
            admin.packageListAdd(tag, _uniq('e2e-pkg'), owner=hub.admin_user)
            repos.append(_request(stack, tag)['id'])
        used, unused, current = repos
        assert len(set(repos)) == 3
        paths = dict((r, pathinfo.repo(r, tag)) for r in repos)
        # kojira expires both old repos and removes the unreferenced one from disk
        _wait(stack, lambda: admin.repoInfo(unused)['state'] == koji.REPO_DELETED,
              'repo %s deleted' % unused)
        _wait(stack, lambda: not os.path.exists(paths[unused]), 'dir of %s removed' % unused)
        _wait(stack, lambda: 'Repo %s still has 1 references' % used
              in stack['kojira'].read_log(), 'kojira to skip repo %s' % used)
        assert admin.repoInfo(used)['state'] == koji.REPO_EXPIRED
        assert os.path.isdir(paths[used])
        assert admin.repoInfo(current)['state'] == koji.REPO_READY
        assert os.path.isdir(paths[current])
        # once the buildroot is gone, so is the repo
        open(flag, 'w').close()
        _wait(stack, lambda: admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['CLOSED'],
              'the holdrepo task to finish')
        _wait(stack, lambda: admin.repoInfo(used)['state'] == koji.REPO_DELETED,
              'repo %s deleted' % used)
        _wait(stack, lambda: not os.path.exists(paths[used]), 'dir of %s removed' % used)
        assert admin.repoInfo(current)['state'] == koji.REPO_READY
    finally:
        open(flag, 'w').close()
