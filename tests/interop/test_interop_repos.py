"""Repo commands: upstream's 1.36.1 CLI and ours against the same hub.

Read-only commands (repoinfo, mock-config, wait-repo on a ready repo) run through both
clients on the same objects; commands that make requests or tasks run once per client on
twin worlds (tags whose names differ only by the world suffix), with the ids the hub hands
out masked.
"""
import re
import subprocess

import pytest

import koji
from tests.fixtures.cli import uniq
from tests.interop.compare import norm, same_batch, show, twin

# ids the hub hands out differently per world
NUMBERS = [
    (re.compile(r'(Got (?:repo|request|task):? )\d+'), r'\1N'),
    (re.compile(r'(repoID=|taskID=)\d+'), r'\1N'),
    (re.compile(r'(Created task: )\d+'), r'\1N'),
    (re.compile(r'(Failed to get repo -- .*?)\d+'), r'\1N'),
]


# upload progress lines carry times and speeds
PROGRESS = re.compile(r'^\[[= ]*\] .*$', re.M)


def masked(res):
    out = PROGRESS.sub('PROGRESS', res.stdout)
    err = res.stderr
    for regex, repl in NUMBERS:
        out, err = regex.sub(repl, out), regex.sub(repl, err)
    return subprocess.CompletedProcess(res.args, res.returncode, out, err)


@pytest.fixture(scope='module', autouse=True)
def many_repo_tasks(hub_server):
    """Requests here get newRepo tasks nobody runs; keep the hub's MaxRepoTasks limit out
    of the way, so each world's requests get tasks whatever ran before."""
    hub_server.restart({'MaxRepoTasks': 10000})
    yield
    hub_server.restart({})


@pytest.fixture(scope='module')
def repo_world(hub, hub_server, many_repo_tasks):
    """A build tag with arches and extras, a target, and repos with buildroots."""
    w = {'tag': uniq('rw-build'), 'dest': uniq('rw-dest'), 'bare': uniq('rw-bare')}
    w['tag_id'] = hub.createTag(w['tag'], arches='x86_64 i686', extra={
        'mock.package_manager': 'dnf', 'mock.yum.module_hotfixes': 1,
        'mock.yum.best': '1', 'mock.bootstrap_image': 'fedora:40',
        'mock.use_bootstrap': True, 'mock.releasever': '40', 'mock.forcearch': True,
        'rpm.macro.dist': '.fc40', 'rpm.macro.vendor': 'Tagged'})
    w['dest_id'] = hub.createTag(w['dest'])
    w['bare_id'] = hub.createTag(w['bare'])
    w['target'] = uniq('rw-target')
    hub.createBuildTarget(w['target'], w['tag'], w['dest'])
    hub_server.sql("INSERT INTO repo (tag_id, state, opts, custom_opts) VALUES "
                   "(%s, 1, '{}'::jsonb, '{}'::jsonb)", w['tag_id'])
    hub_server.sql("INSERT INTO repo (tag_id, state, dist, opts) VALUES "
                   "(%s, 2, TRUE, '{}'::jsonb)", w['dest_id'])
    w['repo'] = hub.getRepo(w['tag'])['id']
    w['dist_repo'] = hub.getRepo(w['dest'], state=koji.REPO_EXPIRED, dist=True)['id']
    # two buildroots of one task on the ready repo
    host = uniq('rw-host')
    hub.addHost(host, ['x86_64'])
    hub_server.set_password(host, 'hostpw')
    hsess = koji.ClientSession(hub_server.url, {'user': host, 'password': 'hostpw'})
    hsess.login()
    hsess.exclusiveSession()
    task_id = hub.makeTask('sleep', [1], arch='x86_64')
    hub.assignTask(task_id, host, force=True, override=True)
    hsess.host.openTask(task_id)
    w['task'] = task_id
    w['broots'] = [hsess.host.newBuildRoot(w['repo'], arch, task_id=task_id)
                   for arch in ('x86_64', 'i686')]
    hsess.logout()
    return w


def test_repoinfo(clients, repo_world):
    w = repo_world
    cmds = [
        ('repoinfo', str(w['repo'])),
        ('repoinfo', '--buildroots', str(w['repo']), str(w['dist_repo'])),
        ('repoinfo', '999999', str(w['dist_repo']), '--buildroots'),
        ('repoinfo',),
        ('repoinfo', 'notanumber'),
    ]
    for cmd, (theirs, ours) in same_batch(clients, cmds, noauth=True).items():
        assert norm(ours, usage_extra=True) == norm(theirs, usage_extra=True), \
            show(theirs, ours)
    out = clients.ours('repoinfo', '--buildroots', str(w['repo']), noauth=True).stdout
    assert 'Number of buildroots: 2\nBuildroots ID:\n' in out
    assert ' ' * 15 + str(w['broots'][0]) in out


def test_mock_config(clients, repo_world, tmp_path):
    w = repo_world
    cmds = [
        ('mock-config', '--tag', w['tag'], '--arch', 'x86_64'),
        ('mock-config', '--tag', w['tag'], '--arch', 'ppc64le', '--latest', '-n', 'myroot'),
        ('mock-config', '--target', w['target'], '-a', 'i686', '--topdir', '/srv/koji',
         '--topurl', 'http://ignored/', '--mockdir', '/m', '--distribution', 'D',
         '--yum-proxy', 'http://proxy:3128'),
        ('mock-config', '--buildroot', str(w['broots'][1])),
        ('mock-config', '--buildroot', str(w['broots'][0]), '--latest', 'posname'),
        ('mock-config', '--task', str(w['task'])),
        ('mock-config', '--task', str(w['task']), '-n', 'a', 'b'),
        ('mock-config', '--tag', w['tag']),
        ('mock-config', '--tag', w['bare'], '-a', 'x86_64'),
        ('mock-config', '--tag', 'no-such-tag-' + uniq('x'), '-a', 'x86_64'),
        ('mock-config', '--target', 'no-such-target', '-a', 'x86_64'),
        ('mock-config', '--buildroot', 'x'),
        ('mock-config', '--buildroot', '999999'),
        ('mock-config', '--task', 'x'),
        ('mock-config', '--task', '999999'),
        ('mock-config',),
    ]
    for cmd, (theirs, ours) in same_batch(clients, cmds, noauth=True).items():
        assert norm(ours, usage_extra=True) == norm(theirs, usage_extra=True), \
            show(theirs, ours)
    # -o writes the same text (without print's extra newline)
    for who in ('theirs', 'ours'):
        res = clients.run(who, 'mock-config', '--tag', w['tag'], '-a', 'x86_64', '-o',
                          str(tmp_path / who), noauth=True)
        assert res.returncode == 0 and res.stdout == '', res.stderr
    assert (tmp_path / 'ours').read_text() == (tmp_path / 'theirs').read_text()
    assert "baseurl=" in (tmp_path / 'ours').read_text()


def test_wait_repo_read_only(clients, repo_world):
    w = repo_world
    cmds = [
        ('wait-repo', w['tag']),
        ('wait-repo', w['tag'], '--quiet'),
        ('wait-repo', '--target', w['target'], '--no-request'),
        ('wait-repo', '--target', 'no-such-target'),
        ('wait-repo', 'no-such-tag'),
        ('wait-repo',),
        ('wait-repo', 'a', 'b'),
    ]
    for cmd, (theirs, ours) in same_batch(clients, cmds, noauth=True).items():
        assert norm(masked(ours), usage_extra=True) == \
            norm(masked(theirs), usage_extra=True), show(theirs, ours)


def test_wait_repo_builds(clients, hub, hub_server, repo_world):
    w = repo_world
    pkg = uniq('rw-pkg')
    hub.packageListAdd(w['tag'], pkg, owner=hub.getLoggedInUser()['name'])
    for rel in ('1', '2'):
        hub.createEmptyBuild(pkg, '1.0', rel, None)
    hub.tagBuildBypass(w['tag'], '%s-1.0-1' % pkg)
    # a repo made after the tagging holds the build
    hub_server.sql("INSERT INTO repo (tag_id, state, opts, custom_opts) VALUES "
                   "(%s, 1, '{}'::jsonb, '{}'::jsonb)", w['tag_id'])
    cmds = [
        ('wait-repo', w['tag'], '--build', '%s-1.0-1' % pkg, '-v'),
        ('wait-repo', w['tag'], '--build', 'notannvr'),
    ]
    for cmd, (theirs, ours) in same_batch(clients, cmds, noauth=True).items():
        assert norm(masked(ours), usage_extra=True) == \
            norm(masked(theirs), usage_extra=True), show(theirs, ours)


def test_request_and_regen_repo(clients, hub, hub_server):
    def script(w):
        tag = w.n('rq')
        tag_id = hub.createTag(tag, arches='x86_64')
        noarch = w.n('rq-noarch')
        hub.createTag(noarch)
        out = [w.run('request-repo', tag)]
        out.append(w.run('request-repo', tag, '--debuginfo', '--src', '--min-event', '1'))
        out.append(w.run('request-repo', noarch, '--separate-src'))
        out.append(w.run('request-repo', '--at-event', '5', '--min-event', '3', tag))
        out.append(w.run('request-repo', '--at-event', '5', '--current', tag))
        out.append(w.run('request-repo', '--last', '--min-event', '3', tag))
        out.append(w.run('request-repo'))
        out.append(w.run('request-repo', 'a', 'b'))
        out.append(w.run('request-repo', '--target', 'a', 'b'))
        out.append(w.run('request-repo', '--target', w.n('nosuch')))
        out.append(w.run('request-repo', w.n('nosuch')))
        out.append(w.run('regen-repo', tag))
        out.append(w.run('regen-repo', '--make-task', '--nowait', tag))
        out.append(w.run('regen-repo', '--make-task', '--nowait', '--debuginfo',
                         '--separate-src', noarch))
        out.append(w.run('regen-repo', '--make-task'))
        out.append(w.run('regen-repo', '--make-task', '--target', 'a', 'b'))
        # a ready repo satisfies the next request straight away
        hub_server.sql("INSERT INTO repo (tag_id, state, opts, custom_opts) VALUES "
                       "(%s, 1, %s::jsonb, '{}'::jsonb)", tag_id,
                       '{"debuginfo": false, "src": false, "separate_src": false, '
                       '"maven": false}')
        out.append(w.run('request-repo', tag))
        out.append(w.run('request-repo', tag, '--wait'))
        out.append(w.run('regen-repo', tag, '--wait'))
        out.append(w.run('wait-repo', '--request', tag, '-v'))
        out.append(w.run('wait-repo', '--request', tag, '--quiet'))
        return [masked(res) for res in out]
    results = twin(clients, script, usage_extra=True)
    assert results[0][1].startswith('Got request: N\n')
    assert results[-3][1] == ('Got repo N\nRepo info: %s/koji/repoinfo?repoID=N\n'
                              % clients.hub.base_url)
    assert results[-2][1].endswith('Got repo N\nRepo info: %s/koji/repoinfo?repoID=N\n'
                                   % clients.hub.base_url)


def test_wait_repo_request(clients, hub, hub_server):
    def script(w):
        tag = w.n('wrr')
        tag_id = hub.createTag(tag, arches='x86_64')
        req = hub.repo.request(tag)['request']
        # a request that was given up on fails the wait
        dead = hub.repo.request(tag, opts={'debuginfo': True})['request']
        hub_server.sql("UPDATE repo_queue SET active = FALSE WHERE id = %s", dead['id'])
        out = [w.run('wait-repo-request', str(dead['id']))]
        out.append(w.run('wait-repo-request', str(dead['id']), '--quiet'))
        out.append(w.run('wait-repo-request'))
        out.append(w.run('wait-repo-request', '1', '2'))
        hub_server.sql("INSERT INTO repo (tag_id, state, opts, custom_opts) VALUES "
                       "(%s, 1, '{}'::jsonb, '{}'::jsonb)", tag_id)
        repo_id = hub.getRepo(tag)['id']
        hub_server.sql("UPDATE repo_queue SET repo_id = %s, active = FALSE WHERE id = %s",
                       repo_id, req['id'])
        out.append(w.run('wait-repo-request', str(req['id'])))
        return [masked(res) for res in out]
    results = twin(clients, script, usage_extra=True)
    assert results[-1][1].startswith('Got repo N\n')


def test_dist_repo(clients, hub, tmp_path):
    comps = tmp_path / 'comps.xml'
    comps.write_text('<comps/>\n')
    multilib = tmp_path / 'multilib.conf'
    multilib.write_text('[multilib]\n')

    def script(w):
        tag = w.n('dr')
        hub.createTag(tag, arches='x86_64 noarch')
        child = w.n('dr-child')
        hub.createTag(child, parent=tag)
        bare = w.n('dr-bare')
        hub.createTag(bare)
        out = [w.run('dist-repo', '--nowait', tag, 'abcd1234')]
        out.append(w.run('dist-repo', '--nowait', child, 'abcd1234', '--with-src',
                         '--split-debuginfo', '--non-latest', '--noinherit', '--zck',
                         '--zck-dict-dir', '/d', '--write-signed-rpms', '--skip-stat',
                         '--event', '1'))
        out.append(w.run('dist-repo', '--nowait', tag, '--allow-missing-signatures',
                         '-a', 'ppc64le', '-a', 'noarch', '--latest-n', '2', '--no-skip-stat'))
        out.append(w.run('dist-repo', '--nowait', bare, 'k1', '-a', 'x86_64'))
        out.append(w.run('dist-repo', '--nowait', bare, 'k1'))
        out.append(w.run('dist-repo', '--nowait', tag, 'k1', '-a', 'noarch'))
        out.append(w.run('dist-repo', '--nowait', tag, 'k1', '--comps', str(comps),
                         '--multilib', str(multilib), '-a', 'x86_64', '-a', 'i686'))
        out.append(w.run('dist-repo', '--nowait', tag, 'k1', '--multilib', str(multilib)))
        out.append(w.run('dist-repo', '--nowait', tag, 'k1', '--multilib', '/no/such'))
        out.append(w.run('dist-repo', '--nowait', tag, 'k1', '--comps', '/no/such'))
        out.append(w.run('dist-repo', '--nowait', tag, 'k1', '--delta-rpms', tag))
        out.append(w.run('dist-repo', tag))
        out.append(w.run('dist-repo'))
        out.append(w.run('dist-repo', tag, '--allow-missing-signatures',
                         '--skip-missing-signatures'))
        out.append(w.run('dist-repo', tag, 'k', '--non-latest', '--latest-n', '3'))
        out.append(w.run('dist-repo', w.n('nosuch'), 'k'))
        return [masked(res) for res in out]
    results = twin(clients, script, usage_extra=True)
    assert results[0][1] == 'Creating dist repo for tag dr-WORLD\n'
