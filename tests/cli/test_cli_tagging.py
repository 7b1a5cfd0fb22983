"""tag-build, untag-build, move-build and clone-tag against the real hub (and kojid).

Set-up goes through the hub API: every test makes its own uniquely named tags and
packages with cheap empty builds (createEmptyBuild). The tagging tasks are run by a
real kojid process (the ``builder`` fixture) where a test needs them to finish; one
test tags a build imported from real rpms and checks its rpms show up in the tag.
"""
import os
import re
import textwrap
import time
import uuid

import pytest

import koji
from tests.fixtures.cli import LOG_ERROR, uniq
from tests.integration.test_kojid import PLUGIN, Builder, _host_ready, _wait_for

BUILDER_NAME = 'kojid-tagging.test'


def ok(res):
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert res.stderr == ''
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.endswith('koji: error: %s\n' % message), res.stderr


def tagged(hub, tag, inherit=False):
    return sorted(b['nvr'] for b in hub.listTagged(tag, inherit=inherit))


@pytest.fixture
def world(hub):
    """Tags src/dst listing two packages, three builds of a and one of b."""
    w = {'src': uniq('ts'), 'dst': uniq('td'), 'a': uniq('ta'), 'b': uniq('tb')}
    for tag in ('src', 'dst'):
        hub.createTag(w[tag])
        for pkg in ('a', 'b'):
            hub.packageListAdd(w[tag], w[pkg], 'kojiadmin')
    for version in ('1', '2', '3'):
        hub.createEmptyBuild(w['a'], version, '1', None)
    hub.createEmptyBuild(w['b'], '1', '1', None)
    w['a1'], w['a2'], w['a3'] = ['%s-%s-1' % (w['a'], v) for v in '123']
    w['b1'] = '%s-1-1' % w['b']
    return w


@pytest.fixture(scope='module')
def builder(hub_server, hub, tmp_path_factory):
    """One kojid process checked in with the module's hub (scheduler every second)."""
    hub_server.restart({'RunInterval': 1})
    base = str(tmp_path_factory.mktemp('kojid'))
    plugindir = os.path.join(base, 'plugins')
    os.makedirs(plugindir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN))
    proc = Builder(hub_server, base, BUILDER_NAME, plugindir)
    hub.addHost(BUILDER_NAME, ['x86_64', 'noarch'])
    hub_server.set_password(BUILDER_NAME, proc.password)
    proc.start()
    try:
        _wait_for(lambda: _host_ready(hub, BUILDER_NAME), 60,
                  'kojid to check in\n%s' % proc.read_log())
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope='module')
def fast(builder, hub_server, tmp_path_factory):
    """Global options pointing at a copy of the client config that polls every second."""
    path = str(tmp_path_factory.mktemp('conf') / 'koji.conf')
    with open(hub_server.config_file) as src, open(path, 'w') as dst:
        dst.write(src.read() + 'poll_interval = 1\n')
    return ('-c', path)


def task_ids(out, pattern=r'^Created task (\d+)'):
    return [int(x) for x in re.findall(pattern, out, re.M)]


# -- tag-build ------------------------------------------------------------------------------

def test_tag_build_nowait_prints_task_ids(cli, hub, world):
    w = world
    out = ok(cli('tag-build', '--nowait', w['dst'], w['a1'], w['b1']))
    ids = task_ids(out)
    assert out == 'Created task %d\nCreated task %d\n' % tuple(ids)
    dst_id = hub.getTag(w['dst'])['id']
    for task_id, nvr in zip(ids, (w['a1'], w['b1'])):
        info = hub.getTaskInfo(task_id, request=True)
        assert info['method'] == 'tagBuild'
        assert info['request'][:2] == [dst_id, hub.getBuild(nvr)['id']]
        # tagging goes ahead of ordinary tasks (default priority 20)
        assert info['priority'] == 10


def test_tag_build_errors(cli, hub, world):
    w = world
    res = cli('tag-build', w['dst'])
    usage_error(res, "This command takes at least two arguments: a tag name/ID and one or "
                     "more package n-v-r's")
    assert res.stderr.startswith('Usage: koji tag-build [options] <tag> <pkg> [<pkg> ...]\n')
    other = uniq('tn')
    hub.createEmptyBuild(other, '1', '1', None)
    res = cli('tag-build', '--nowait', w['dst'], '%s-1-1' % other)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'TagError: Package %s not in list for %s\n$'
                    % (other, w['dst']), res.stderr), res.stderr
    res = cli('tag-build', '--nowait', w['dst'], 'nosuch-1-1')
    assert res.returncode == 1
    assert 'GenericError: No such build' in res.stderr


def test_tag_build_waits_for_kojid(cli, hub, world, fast):
    w = world
    res = cli(*fast, 'tag-build', '--wait', w['dst'], w['a1'], w['a2'])
    out = ok(res)
    first, second = task_ids(out)
    lines = out.splitlines()
    assert lines[:3] == ['Created task %d' % first, 'Created task %d' % second,
                         'Watching tasks (this may be safely interrupted)...']
    assert lines[-3:] == ['', '%d tagBuild (noarch) completed successfully' % first,
                          '%d tagBuild (noarch) completed successfully' % second]
    assert '  0 free  0 open  2 done  0 failed' in lines
    assert tagged(hub, w['dst']) == [w['a1'], w['a2']]
    for task_id in (first, second):
        info = hub.getTaskInfo(task_id)
        assert koji.TASK_STATES[info['state']] == 'CLOSED'
        assert hub.getHost(info['host_id'])['name'] == BUILDER_NAME
        assert hub.getTaskResult(task_id) is None
    # the tagging is recorded as done by the task owner
    hist = hub.queryHistory(tables=['tag_listing'], tag=w['dst'], build=w['a1'])
    assert [r['creator_name'] for r in hist['tag_listing']] == ['kojiadmin']


def test_tag_build_task_failure(cli, hub, world, fast):
    """The hub queues a tagging of an already tagged build; the task itself fails."""
    w = world
    hub.tagBuildBypass(w['dst'], w['b1'])
    res = cli(*fast, 'tag-build', '--wait', w['dst'], w['b1'])
    assert res.returncode == 1, (res.stdout, res.stderr)
    task_id, = task_ids(res.stdout)
    # the watcher last saw the task free, assigned or open (a fast builder skips some)
    line = (r'^%d tagBuild \(noarch\): (free|(assigned|open) \(%s\)) -> FAILED: TagError: '
            r'build %s already tagged \(%s\)$'
            % (task_id, re.escape(BUILDER_NAME), w['b1'], w['dst']))
    assert re.search(line, res.stdout, re.M), res.stdout
    assert res.stdout.endswith('\n%d tagBuild (noarch) failed\n' % task_id)
    assert koji.TASK_STATES[hub.getTaskInfo(task_id)['state']] == 'FAILED'
    with pytest.raises(koji.TagError, match='already tagged'):
        hub.getTaskResult(task_id)
    # --force re-tags it
    out = ok(cli(*fast, 'tag-build', '--wait', '--force', w['dst'], w['b1']))
    assert out.endswith('completed successfully\n')
    hist = hub.queryHistory(tables=['tag_listing'], tag=w['dst'], build=w['b1'])
    assert sorted(r['active'] is True for r in hist['tag_listing']) == [False, True]


def _import_build(hub, build):
    """Upload and import a real srpm and its rpms; returns the build record."""
    serverdir = 'cli-tagging/%s' % uuid.uuid4().hex[:8]
    for path in build.paths:
        hub.uploadWrapper(path, serverdir)
        hub.importRPM(serverdir, os.path.basename(path))
    return hub.getBuild(build.nvr, strict=True)


def test_tag_build_real_rpms(cli, hub, fast, rpm_builds):
    real = rpm_builds.noarch
    binfo = _import_build(hub, real)
    assert binfo['state'] == koji.BUILD_STATES['COMPLETE']
    tag = uniq('trpm')
    hub.createTag(tag)
    hub.packageListAdd(tag, real.name, 'kojiadmin')
    out = ok(cli(*fast, 'tag-build', '--wait', tag, real.nvr))
    assert out.endswith('tagBuild (noarch) completed successfully\n')
    rpms, builds = hub.listTaggedRPMS(tag)
    assert [b['nvr'] for b in builds] == [real.nvr]
    names = sorted('%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % r for r in rpms)
    assert names == sorted(os.path.basename(p) for p in real.paths)


def test_tag_build_quiet_wait(cli, hub, world, fast):
    w = world
    res = cli(*fast, '-q', 'tag-build', '--wait', w['src'], w['a3'])
    assert (res.returncode, res.stderr) == (0, '')
    task_id, = task_ids(res.stdout)
    assert res.stdout == 'Created task %d\n' % task_id
    assert tagged(hub, w['src']) == [w['a3']]


# -- move-build -----------------------------------------------------------------------------

def test_move_build_nowait(cli, hub, world):
    w = world
    for nvr in (w['a1'], w['b1']):
        hub.tagBuildBypass(w['src'], nvr)
    res = cli('move-build', '--nowait', w['src'], w['dst'], w['a1'], 'nosuch-1-1', w['a1'],
              w['b1'])
    out = ok(res)
    ids = task_ids(out, r'^Created task (\d+), moving')
    assert out == ('No such build: nosuch-1-1, skipping.\n'
                   'Created task %d, moving %s\n'
                   'Created task %d, moving %s\n' % (ids[0], w['a1'], ids[1], w['b1']))
    src_id = hub.getTag(w['src'])['id']
    request = hub.getTaskInfo(ids[0], request=True)['request']
    assert request[3] == src_id


def test_move_build_waits_for_kojid(cli, hub, world, fast):
    w = world
    hub.tagBuildBypass(w['src'], w['a1'])
    out = ok(cli(*fast, 'move-build', '--wait', w['src'], w['dst'], w['a1']))
    assert out.endswith('completed successfully\n')
    assert tagged(hub, w['src']) == []
    assert tagged(hub, w['dst']) == [w['a1']]


def test_move_build_all(cli, hub, world, fast):
    w = world
    for nvr in (w['a1'], w['a2'], w['a3'], w['b1']):
        hub.tagBuildBypass(w['src'], nvr)
    out = ok(cli(*fast, 'move-build', '--all', '--wait', w['src'], w['dst'], w['a'],
                 'nopkg-x'))
    assert out.startswith('No such package: nopkg-x, skipping.\n'
                          'Watching tasks (this may be safely interrupted)...\n')
    # three chained dependantTasks, each with a tagBuild child
    assert out.count('dependantTask') >= 3
    assert out.count(' completed successfully\n') == 3
    assert tagged(hub, w['src']) == [w['b1']]
    assert tagged(hub, w['dst']) == [w['a1'], w['a2'], w['a3']]
    # oldest first, so the newest build is still the latest in the destination
    assert hub.getLatestBuilds(w['dst'], package=w['a'])[0]['nvr'] == w['a3']


def test_move_build_errors(cli, world):
    w = world
    usage_error(cli('move-build', w['src'], w['dst']),
                "This command takes at least three arguments: two tags and one or more "
                "package n-v-r's")
    usage_error(cli('move-build', '--all', w['src'], w['dst']),
                "This command, with --all, takes at least three arguments: two tags and one "
                "or more package names")


# -- untag-build ----------------------------------------------------------------------------

def _tag_all(hub, w, tag='src'):
    for nvr in (w['a1'], w['a2'], w['a3'], w['b1']):
        hub.tagBuildBypass(w[tag], nvr)


def test_untag_build_named(cli, hub, world):
    w = world
    _tag_all(hub, w)
    out = ok(cli('untag-build', '-v', w['src'], w['a1'], w['b1']))
    # builds are untagged in reverse argument order
    assert out == 'untagging %s\nuntagging %s\n' % (w['b1'], w['a1'])
    assert tagged(hub, w['src']) == [w['a2'], w['a3']]


def test_untag_build_missing(cli, hub, world):
    w = world
    _tag_all(hub, w)
    hub.untagBuildBypass(w['src'], w['a2'])
    res = cli('untag-build', w['src'], w['a1'], w['a2'])
    assert (res.returncode, res.stdout) == (1, '')
    assert res.stderr == 'Build %s not in tag %s\n' % (w['a2'], w['src'])
    # nothing was untagged
    assert tagged(hub, w['src']) == [w['a1'], w['a3'], w['b1']]
    res = cli('untag-build', w['src'], 'nosuch-1-1')
    assert (res.returncode, res.stderr) == (1, 'No such build: nosuch-1-1\n')
    res = cli('untag-build', '--force', '-v', w['src'], w['a1'], w['a2'], 'nosuch-1-1')
    assert res.returncode == 0
    assert res.stderr == ('Build %s not in tag %s\nNo such build: nosuch-1-1\n'
                          % (w['a2'], w['src']))
    assert res.stdout == 'untagging %s\n' % w['a1']
    assert tagged(hub, w['src']) == [w['a3'], w['b1']]
    res = cli('untag-build', w['src'], 'notannvr')
    assert res.returncode == 1
    assert 'GenericError: invalid format: notannvr' in res.stderr


def test_untag_build_all_and_test_mode(cli, hub, world):
    w = world
    _tag_all(hub, w)
    out = ok(cli('untag-build', '--all', '--test', w['src'], w['a']))
    # most recently tagged first
    assert out == ''.join('would have untagged %s\n' % w[k] for k in ('a3', 'a2', 'a1'))
    assert len(tagged(hub, w['src'])) == 4
    out = ok(cli('untag-build', '--all', w['src'], w['a']))
    assert out == ''
    assert tagged(hub, w['src']) == [w['b1']]


def test_untag_build_non_latest(cli, hub, world):
    w = world
    _tag_all(hub, w)
    hub.createEmptyBuild(w['b'], '2', '1', None)
    hub.tagBuildBypass(w['src'], '%s-2-1' % w['b'])
    out = ok(cli('untag-build', '--non-latest', '-v', w['src'], w['a']))
    assert out == ('Leaving latest build for package %s: %s\n'
                   'untagging %s\nuntagging %s\n' % (w['a'], w['a3'], w['a1'], w['a2']))
    assert tagged(hub, w['src']) == [w['a3'], w['b1'], '%s-2-1' % w['b']]
    # with --force and no package: every package of the tag
    out = ok(cli('untag-build', '--non-latest', '--force', '-n', '-v', w['src']))
    assert out == ('Leaving latest build for package %s: %s-2-1\n'
                   'Leaving latest build for package %s: %s\n'
                   'would have untagged %s\n' % (w['b'], w['b'], w['a'], w['a3'], w['b1']))


def test_untag_build_errors(cli, world):
    w = world
    usage_error(cli('untag-build', w['src']),
                "This command takes at least two arguments: a tag name/ID and one or more "
                "package n-v-r's or package names")
    usage_error(cli('untag-build', '--non-latest', '--force'), 'Please specify a tag')
    usage_error(cli('untag-build', 'nosuch-' + w['src'], w['a1']),
                'No such tag: nosuch-%s' % w['src'])
    res = cli('untag-build', '--all', w['src'], 'nopkg-' + w['a'])
    assert res.returncode == 1
    assert re.search(LOG_ERROR + 'GenericError: ', res.stderr), res.stderr


# -- clone-tag ------------------------------------------------------------------------------

@pytest.fixture
def source(hub, world):
    """world's src given a parent, config, groups, owners, blocks and tagged builds."""
    w = world
    w['parent'] = uniq('tp')
    hub.createTag(w['parent'])
    w['c'] = uniq('tc')
    hub.packageListAdd(w['parent'], w['c'], 'kojiadmin')
    hub.createEmptyBuild(w['c'], '1', '1', None)
    w['c1'] = '%s-1-1' % w['c']
    hub.tagBuildBypass(w['parent'], w['c1'])
    hub.setInheritanceData(w['src'], [{'parent_id': hub.getTag(w['parent'])['id'],
                                       'priority': 0, 'maxdepth': None,
                                       'intransitive': False, 'noconfig': False,
                                       'pkg_filter': ''}])
    hub.editTag2(w['src'], arches='x86_64 aarch64', extra={'mock.new_chroot': 0})
    hub.packageListBlock(w['src'], w['b'])
    hub.groupListAdd(w['src'], 'build', display_name='Build')
    hub.groupPackageListAdd(w['src'], 'build', 'bash')
    for nvr in (w['a1'], w['a2'], w['a3']):
        hub.tagBuildBypass(w['src'], nvr)
    return w


def listed(hub, tag):
    """NVRs of the tag's own active taggings, whatever its package list says."""
    rows = hub.queryHistory(tables=['tag_listing'], tag=tag, active=True)['tag_listing']
    return sorted('%(name)s-%(version)s-%(release)s' % r for r in rows)


def groups(hub, tag):
    return sorted((g['name'], sorted(p['package'] for p in g['packagelist']))
                  for g in hub.getTagGroups(tag))


def packages(hub, tag, inherited=False):
    return sorted((p['package_name'], p['blocked'], p['owner_name'])
                  for p in hub.listPackages(tagID=tag, inherited=inherited))


def test_clone_tag_new(cli, hub, source):
    w = source
    new = uniq('tnew')
    assert ok(cli('clone-tag', '--all', w['src'], new)) == ''
    info = hub.getTag(new)
    assert info['arches'] == 'x86_64 aarch64'
    assert info['extra'] == {'mock.new_chroot': 0}
    assert hub.getInheritanceData(new) == []
    assert packages(hub, new) == packages(hub, w['src'], inherited=True)
    assert (w['c'], False, 'kojiadmin') in packages(hub, new)
    assert groups(hub, new) == [('build', ['bash'])]
    # the inherited build is not copied without --inherit-builds
    assert tagged(hub, new) == [w['a1'], w['a2'], w['a3']]
    latest = uniq('tlat')
    ok(cli('clone-tag', '--pkgs', '--builds', '--latest-only', '--inherit-builds', w['src'],
           latest))
    assert tagged(hub, latest) == [w['a3'], w['c1']]
    assert hub.getTag(latest)['arches'] == ''
    assert groups(hub, latest) == []


def test_clone_tag_existing(cli, hub, source):
    w = source
    hub.tagBuildBypass(w['dst'], w['b1'])
    hub.groupListAdd(w['dst'], 'extra')
    ok(cli('clone-tag', '--all', '--no-delete', w['src'], w['dst']))
    # b is blocked in the copy now, so listTagged hides b1; its tagging stays
    assert tagged(hub, w['dst']) == [w['a1'], w['a2'], w['a3']]
    assert listed(hub, w['dst']) == [w['a1'], w['a2'], w['a3'], w['b1']]
    assert groups(hub, w['dst']) == [('build', ['bash']), ('extra', [])]
    ok(cli('clone-tag', '--all', w['src'], w['dst']))
    assert listed(hub, w['dst']) == [w['a1'], w['a2'], w['a3']]
    assert groups(hub, w['dst']) == [('build', ['bash'])]
    assert hub.getTag(w['dst'])['arches'] == 'x86_64 aarch64'


def test_clone_tag_at_event(cli, hub, source):
    w = source
    event = hub.getLastEvent()
    # --ts has whole seconds: keep the later changes out of the event's second
    time.sleep(1.5)
    hub.untagBuildBypass(w['src'], w['a1'])
    hub.tagBuildBypass(w['src'], w['b1'], force=True)
    new = uniq('tev')
    out = ok(cli('clone-tag', '--pkgs', '--builds', '--event', str(event['id']), w['src'],
                 new))
    assert re.match(r'^Cloning at event %d \(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\)\n$'
                    % event['id'], out), out
    assert tagged(hub, new) == [w['a1'], w['a2'], w['a3']]
    ts_new = uniq('tts')
    out = ok(cli('clone-tag', '--pkgs', '--builds', '--ts', str(int(event['ts']) + 1),
                 w['src'], ts_new))
    assert out.startswith('Cloning at event ')
    assert tagged(hub, ts_new) == [w['a1'], w['a2'], w['a3']]
    now = uniq('tnow')
    ok(cli('clone-tag', '--pkgs', '--builds', w['src'], now))
    assert tagged(hub, now) == [w['a2'], w['a3'], w['b1']]


def test_clone_tag_checks(cli, hub, source):
    w = source
    usage_error(cli('clone-tag', w['src']),
                'This command takes two arguments: <src-tag> <dst-tag>')
    usage_error(cli('clone-tag', w['src'], w['src']),
                'Source and destination tags must be different.')
    usage_error(cli('clone-tag', '--batch', '-1', w['src'], w['dst']),
                'batch size must be bigger than zero')
    usage_error(cli('clone-tag', '--builds', w['src'], w['dst']),
                "--builds can't be used without also specifying --pkgs")
    usage_error(cli('clone-tag', 'no-' + w['src'], w['dst']), 'No such src-tag: no-%s'
                % w['src'])
    usage_error(cli('clone-tag', '--test', '--all', w['src'], w['dst']),
                'server-side operation, test output is no longer available')
    hub.editTag2(w['dst'], locked=True)
    usage_error(cli('clone-tag', '--all', w['src'], w['dst']),
                'Error: You are attempting to clone from or to a tag which is locked.\n'
                'Please use --force if this is what you really want to do.')
    assert tagged(hub, w['dst']) == []
    ok(cli('clone-tag', '--force', '--all', '-v', '--notify', w['src'], w['dst']))
    assert tagged(hub, w['dst']) == [w['a1'], w['a2'], w['a3']]


def test_clone_tag_needs_permission(cli, hub, hub_server, source):
    w = source
    user = uniq('tu')
    hub.createUser(user)
    password = uuid.uuid4().hex
    hub_server.set_password(user, password)
    res = cli('clone-tag', '--all', w['src'], uniq('tx'), user=user, password=password)
    usage_error(res, 'This action requires tag or admin privileges')
    # test mode skips the permission check and stops at the server-side notice
    res = cli('clone-tag', '--test', w['src'], uniq('tx'), user=user, password=password)
    usage_error(res, 'server-side operation, test output is no longer available')
    hub.grantPermission(user, 'tag')
    new = uniq('tok')
    ok(cli('clone-tag', '--pkgs', w['src'], new, user=user, password=password))
    assert packages(hub, new) == packages(hub, w['src'], inherited=True)
