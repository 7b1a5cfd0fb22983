"""koji-shadow's rebuild path between two real hubs, through the command line: the noarch
dependency is imported (hard-linked from the remote topdir), the archful build is rebuilt
in a SHADOWBUILD tag shaped like its remote buildroot, with a repo made for it and a build
task submitted on the local hub. A remote that faults mid-run, and one that is down from
the start, are resumed / refused cleanly.

There is no kojid here: a stand-in createrepo host answers the local newRepo tasks, and a
run is interrupted (SIGINT, as an operator's Ctrl-C) once it only waits for its builds.
"""
import os
import signal

import pytest

import koji
from tests.fixtures.hub import free_port, independent_hub
from tests.fixtures.shadow import (FaultProxy, RepoMaker, give_buildroot, import_build, login,
                                   make_runner, read_until)

TAG = 'dist-r1'
BR_TAG = 'r1-build'
SHADOW_TAG = 'SHADOWBUILD-%s' % BR_TAG
EXTRA = {'mock.package_manager': 'dnf'}


@pytest.fixture(scope='module')
def local_hub(hub_server, tmp_path_factory):
    with independent_hub(tmp_path_factory, 'rebuildlocal', 'kojirblocal',
                         name='local') as server:
        yield server


@pytest.fixture(scope='module')
def remote(hub_server, rpm_builds):
    """Tag dist-r1 holds a noarch build and an arch build; the arch build's buildroot (tag
    r1-build, with a tag extra) held the noarch one."""
    session = login(hub_server)
    session.createTag(TAG)
    session.createTag(BR_TAG, arches='x86_64', extra=EXTRA)
    for build in (rpm_builds.noarch, rpm_builds.arch):
        import_build(session, build)
        session.packageListAdd(TAG, build.name, owner='kojiadmin')
        session.tagBuildBypass(TAG, build.nvr)
    give_buildroot(hub_server, session, rpm_builds.arch.nvr, rpm_builds.noarch.nvr, BR_TAG)
    yield session
    session.logout()


@pytest.fixture(scope='module')
def local(local_hub):
    session = login(local_hub)
    session.createTag(TAG)
    yield session
    session.logout()


def build_tasks(session):
    return session.listTasks(opts={'method': 'build', 'decode': True},
                             queryOpts={'order': 'id'})


def interrupted_run(run, *args, **kw):
    """A koji-shadow run stopped with SIGINT once, after the scan, only polling remains:
    (returncode, stdout, stderr)."""
    proc = run(*args, popen=True, **kw)
    try:
        lines = read_until(proc, 'total:', after='Determining rebuild order')
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, ''.join(lines) + out, err


@pytest.fixture(scope='module')
def story(remote, local, hub_server, local_hub, rpm_builds, tmp_path_factory):
    """Once per module: a run whose remote faults while the rebuild is being set up, the
    run that resumes it (up to the submitted build task), and one more run."""
    run = make_runner(hub_server, local_hub, tmp_path_factory.mktemp('shadowrb'))
    proxy = FaultProxy(hub_server.base_url)
    story = {}
    # the remote topdir is on this host: imports are hard-linked from it
    common = dict(import_only=False, topurl='file://%s' % hub_server.topdir,
                  main='topdir = %s\n' % local_hub.topdir)
    args = ('--import-noarch', '--link-imports', '--arches', 'x86_64', TAG)
    try:
        proxy.fault_when = lambda method, params: method == 'getTag' and params[:1] == (BR_TAG,)
        story['faulted'] = run(*args, remote=proxy.base_url + '/kojihub', **common)
        story['faults'] = list(proxy.faulted)
        story['after_fault'] = {
            'tag': local.getTag(SHADOW_TAG), 'tasks': build_tasks(local),
            'requests': local.repo.queryQueue(), 'noarch': local.getBuild(rpm_builds.noarch.nvr)}
        proxy.fault_when = None
        maker = RepoMaker(local_hub, local, 'shadow-createrepo')
        maker.start()
        try:
            story['resumed'] = interrupted_run(run, *args, remote=proxy.base_url + '/kojihub',
                                               **common)
            story['tasks'] = build_tasks(local)
            story['requests'] = local.repo.queryQueue()
            story['event'] = local.getLastEvent()['id']
            story['again'] = interrupted_run(run, *args, **common)
        finally:
            maker.stop()
        story['repos_made'] = maker.made
    finally:
        proxy.close()
    return story


def test_remote_fault_leaves_nothing_half_done(story, local, local_hub, hub_server,
                                               remote, rpm_builds):
    arch, noarch = rpm_builds.arch, rpm_builds.noarch
    res = story['faulted']
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert [m for m, _p in story['faults']] == ['getTag']
    assert 'Error: rebuild of %s failed: injected fault for getTag' % arch.nvr in out
    assert 'Did not get a task for %s' % arch.nvr in out
    after = story['after_fault']
    # the dependency was imported; the shadow tag was not made without its extra
    assert after['noarch']['state'] == koji.BUILD_STATES['COMPLETE']
    assert after['tag'] is None and after['tasks'] == [] and after['requests'] == []

    # --link-imports with the remote topdir on this host: the rpms are hard links
    assert 'Linked %s/packages/' % hub_server.topdir in out and 'Uploading' not in out
    rinfo = remote.getBuild(noarch.nvr)
    remote_paths = koji.PathInfo(hub_server.topdir)
    local_paths = koji.PathInfo(local_hub.topdir)
    linfo = local.getBuild(noarch.nvr)
    rpms = local.listRPMs(linfo['id'])
    assert sorted(r['arch'] for r in rpms) == ['noarch', 'src']
    for rpminfo in rpms:
        there = os.path.join(remote_paths.build(rinfo), remote_paths.rpm(rpminfo))
        here = os.path.join(local_paths.build(linfo), local_paths.rpm(rpminfo))
        assert os.path.samefile(there, here)


def test_rebuild_submitted_after_resume(story, local, local_hub, rpm_builds):
    arch, noarch = rpm_builds.arch, rpm_builds.noarch
    code, out, err = story['resumed']
    assert code == 0, out + err
    assert 'Traceback' not in err
    # the dependency is not imported twice
    assert ' Common build %s (from %s)' % (noarch.nvr, arch.nvr) in out
    assert not [line for line in out.splitlines() if noarch.name in line
                and ('Linked' in line or 'Downloading' in line)]
    assert len(local.listRPMs(local.getBuild(noarch.nvr)['id'])) == 2
    assert 'rebuild: %s' % arch.nvr in out and 'Waiting on repo' in out

    # the shadow build tag: made once with the remote extra, holding the resolved deps
    tag = local.getTag(SHADOW_TAG)
    assert tag['perm'] == 'admin' and tag['arches'] == 'x86_64'
    assert tag['extra'] == EXTRA
    assert [b['nvr'] for b in local.listTagged(tag['id'])] == [noarch.nvr]
    assert [p['package_name'] for p in local.listPackages(tagID=tag['id'])] == [noarch.name]
    groups = local.getTagGroups(tag['id'])
    assert [g['name'] for g in groups] == ['build']
    assert [p['package'] for p in groups[0]['packagelist']] == [noarch.name]

    # one repo, made for that tag at the request, and one build task against it
    assert len(story['repos_made']) == 1
    repo = local.repoInfo(story['repos_made'][0])
    assert repo['tag_name'] == SHADOW_TAG and repo['state'] == koji.REPO_READY
    tasks = story['tasks']
    assert len(tasks) == 1
    task = tasks[0]
    src, target, opts = task['request'][:3]
    assert target is None and opts == {'repo_id': repo['id']}
    assert src.startswith('koji-shadow/') and src.endswith('/%s.src.rpm' % arch.nvr)
    assert task['priority'] == 20 + 5 and task['owner_name'] == local_hub.admin_user
    assert task['state'] == koji.TASK_STATES['FREE']
    with open(os.path.join(local_hub.topdir, 'work', src), 'rb') as fp:
        uploaded = fp.read()
    with open(arch.srpm, 'rb') as fp:
        assert uploaded == fp.read()
    assert 'pending: 1' in out.split('Determining rebuild order')[1]


def test_next_run_finds_the_submitted_rebuild(story, local, rpm_builds):
    arch = rpm_builds.arch
    code, out, err = story['again']
    assert code == 0, out + err
    task_id = story['tasks'][0]['id']
    assert 'Rebuild in progress: %s (task %i)' % (arch.nvr, task_id) in out
    assert 'rebuild: %s' % arch.nvr not in out
    # nothing new on the local hub: no second task, repo or tag change
    assert [t['id'] for t in build_tasks(local)] == [task_id]
    assert len(story['repos_made']) == 1
    assert local.getLastEvent()['id'] == story['event']


def test_remote_down_from_the_start(remote, local, hub_server, local_hub, tmp_path):
    run = make_runner(hub_server, local_hub, tmp_path)
    before = local.getLastEvent()['id']
    down = 'http://127.0.0.1:%d/kojihub' % free_port()
    res = run('--import-noarch', TAG, import_only=False, remote=down,
              main='max_retries = 1\nretry_interval = 0\n')
    assert res.returncode == 1
    assert res.stderr.startswith('Error: Unable to connect to remote server %s' % down)
    assert 'Traceback' not in res.stderr
    assert 'Working on tag' not in res.stdout
    assert local.getLastEvent()['id'] == before
