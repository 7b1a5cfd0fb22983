"""A real kojira process against the hub over HTTP and a real database.

Repo rows are made in the hub's database (the hub makes them only through newRepo tasks)
and aged by moving their timestamps back; kojira runs in the foreground with a one second
sleeptime, and each test waits for the effect it expects to show up on the hub or disk.
"""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

import koji
from tests.fixtures.sessions import db_exec, make_builder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJIRA = os.path.join(ROOT, 'util', 'kojira')
WEEK = 7 * 24 * 3600
OLD = '30 days'  # far past every lifetime kojira uses here
WAIT = 60  # guard only: each wait ends as soon as its condition holds


def wait_for(predicate, what, timeout=WAIT):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(0.2)


@pytest.fixture(scope='module')
def kojira_user(hub_server, admin):
    admin.createUser('kojira')
    admin.grantPermission('kojira', 'repo', create=True)
    hub_server.set_password('kojira', 'kojirapw')
    return 'kojira'


class Kojira(object):
    """One kojira process with its own config and log file."""

    def __init__(self, hub, workdir, user, extra=None):
        self.hub = hub
        self.dir = workdir
        self.conf = os.path.join(workdir, 'kojira-%s.conf' % uuid.uuid4().hex[:6])
        self.log = self.conf[:-5] + '.log'
        self.out = self.conf[:-5] + '.out'
        opts = {'server': hub.url, 'topdir': hub.topdir, 'user': user,
                'password': 'kojirapw', 'logfile': self.log, 'sleeptime': 1,
                'reference_recheck_period': 0, 'recheck_period': 0,
                'max_delete_processes': 2}
        opts.update(extra or {})
        with open(self.conf, 'w') as fo:
            fo.write('[kojira]\n')
            for key, value in opts.items():
                fo.write('%s = %s\n' % (key, value))
        self.proc = None

    def start(self, *args):
        cmd = [sys.executable, KOJIRA, '-c', self.conf, '--fg', '--verbose'] + list(args)
        with open(self.out, 'ab') as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)
        return self

    def read_log(self):
        try:
            with open(self.log) as fo:
                return fo.read()
        except OSError:
            return ''

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError('kojira did not stop on SIGTERM:\n' + self.read_log())


@pytest.fixture(scope='module')
def kojira(hub_server, kojira_user, admin, tmp_path_factory):
    # a builder host so getAllArches has something to expand $arch with
    make_builder(hub_server, admin, 'kojira-arch-host')[1].logout()
    proc = Kojira(hub_server, str(tmp_path_factory.mktemp('kojira')), kojira_user).start()
    yield proc
    proc.stop()


def new_tag(admin, prefix='kr'):
    name = '%s-%s' % (prefix, uuid.uuid4().hex[:8])
    return admin.createTag(name, arches='x86_64'), name


def add_repo(hub, tag_id, state, age=None, end_event=False, dist=False, task_id=None,
             custom_opts='{}'):
    """A repo row (aged back by ``age``, e.g. '30 days'); returns its id."""
    rows = db_exec(hub, (
        "INSERT INTO repo (tag_id, state, dist, opts, custom_opts, task_id, "
        "creation_time, state_time, end_event) VALUES (%(tag)s, %(state)s, %(dist)s, "
        "'{}'::jsonb, %(custom)s::jsonb, %(task)s, "
        "NOW() - %(age)s::interval, NOW() - %(age)s::interval, "
        "CASE WHEN %(end)s THEN get_event() ELSE NULL END) RETURNING id"),
        {'tag': tag_id, 'state': state, 'dist': dist, 'task': task_id,
         'age': age or '0 seconds', 'end': end_event,
         'custom': None if dist else custom_opts})
    return rows[0][0]


def repo_dir(hub, tag_name, repo_id, dist=False):
    pathinfo = koji.PathInfo(topdir=hub.topdir)
    path = pathinfo.distrepo(repo_id, tag_name) if dist else pathinfo.repo(repo_id, tag_name)
    os.makedirs(os.path.join(path, 'x86_64', 'repodata'), exist_ok=True)
    koji.dump_json(os.path.join(path, 'repo.json'), {'id': repo_id, 'tag': tag_name})
    return path


def state(admin, repo_id):
    return admin.repoInfo(repo_id)['state']


def test_init_repos_marked_problem(hub_server, admin, kojira):
    tag_id, _name = new_tag(admin)
    task_id = admin.makeTask('sleep', [1], arch='noarch')
    admin.cancelTask(task_id)
    stale = add_repo(hub_server, tag_id, koji.REPO_INIT, age='3 hours')
    failed = add_repo(hub_server, tag_id, koji.REPO_INIT, task_id=task_id)
    young = add_repo(hub_server, tag_id, koji.REPO_INIT)
    wait_for(lambda: state(admin, stale) == koji.REPO_PROBLEM, 'stale INIT -> PROBLEM')
    wait_for(lambda: state(admin, failed) == koji.REPO_PROBLEM, 'canceled task -> PROBLEM')
    # the three rows were read in the same pass; the young one is left as it is
    assert state(admin, young) == koji.REPO_INIT


def test_old_noncurrent_repos_expire(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    build_tag = admin.createTag(name + '-build', arches='x86_64')
    admin.createBuildTarget(name + '-target', build_tag, tag_id)
    old = add_repo(hub_server, tag_id, koji.REPO_READY, age=OLD, end_event=True)
    current = add_repo(hub_server, tag_id, koji.REPO_READY, age=OLD)
    custom = add_repo(hub_server, tag_id, koji.REPO_READY, age=OLD,
                      custom_opts='{"debuginfo": true}')
    young = add_repo(hub_server, tag_id, koji.REPO_READY, end_event=True)
    # the newest, though not current, repo of a build tag is kept
    bt_old = add_repo(hub_server, build_tag, koji.REPO_READY, age=OLD, end_event=True)
    bt_latest = add_repo(hub_server, build_tag, koji.REPO_READY, age=OLD, end_event=True)
    for repo_id in (old, custom, bt_old):
        wait_for(lambda: state(admin, repo_id) == koji.REPO_EXPIRED,
                 'repo %s expired' % repo_id)
    assert [state(admin, r) for r in (current, young, bt_latest)] == [koji.REPO_READY] * 3


def test_expired_repos_deleted_unless_referenced(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    keep = add_repo(hub_server, tag_id, koji.REPO_EXPIRED, age=OLD)
    gone = add_repo(hub_server, tag_id, koji.REPO_EXPIRED, age=OLD)
    problem = add_repo(hub_server, tag_id, koji.REPO_PROBLEM, age=OLD)
    fresh = add_repo(hub_server, tag_id, koji.REPO_EXPIRED)
    paths = dict((r, repo_dir(hub_server, name, r)) for r in (keep, gone, problem, fresh))
    # a live buildroot on 'keep'
    host_id, host = make_builder(hub_server, admin, 'kr-host-%s' % uuid.uuid4().hex[:6])
    task_id = admin.makeTask('sleep', [1], arch='x86_64')
    admin.assignTask(task_id, host.getLoggedInUser()['name'], force=True, override=True)
    host.host.openTask(task_id)
    br_id = host.host.newBuildRoot(keep, 'x86_64', task_id=task_id)
    for repo_id in (gone, problem):
        wait_for(lambda: state(admin, repo_id) == koji.REPO_DELETED,
                 'repo %s deleted' % repo_id)
        wait_for(lambda: not os.path.exists(paths[repo_id]), 'dir of %s removed' % repo_id)
    assert state(admin, keep) == koji.REPO_EXPIRED
    assert os.path.isdir(paths[keep])
    assert state(admin, fresh) == koji.REPO_EXPIRED and os.path.isdir(paths[fresh])
    assert 'Repo %s still has 1 references' % keep in kojira.read_log()
    # once the buildroot is retired the repo goes too
    host.host.setBuildRootState(br_id, 'EXPIRED', task_id=task_id)
    wait_for(lambda: state(admin, keep) == koji.REPO_DELETED, 'unreferenced repo deleted')
    wait_for(lambda: not os.path.exists(paths[keep]), 'its directory removed')
    host.logout()


def test_currency_thread_fills_end_events(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    repo_id = add_repo(hub_server, tag_id, koji.REPO_READY)
    assert admin.repoInfo(repo_id)['end_event'] is None
    admin.packageListAdd(name, 'kr-pkg-' + name, owner=admin.getLoggedInUser()['name'])
    change = admin.tagLastChangeEvent(tag_id)
    wait_for(lambda: admin.repoInfo(repo_id)['end_event'] == change, 'end_event set')


def test_autoregen_thread_requests_auto_tags(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    plain_id, _plain = new_tag(admin)
    admin.editTag2(name, extra={'repo.auto': True})

    def queued(tag):
        return admin.repo.queryQueue([['tag_id', '=', tag]], ['id', 'priority', 'owner_name'])
    rows = wait_for(lambda: queued(tag_id), 'automatic request')
    assert [(r['priority'], r['owner_name']) for r in rows] == [(25, 'kojira')]
    assert queued(plain_id) == []


def test_regen_thread_retries_failed_requests(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    req = admin.repo.request(name)['request']

    def row():
        return admin.repo.queryQueue([['id', '=', req['id']]], ['task_id', 'tries'])[0]
    first = wait_for(lambda: row()['task_id'], 'first newRepo task')
    admin.cancelTask(first)
    again = wait_for(lambda: row()['task_id'] not in (None, first) and row(), 'a retry')
    assert again['tries'] == 2
    assert admin.getTaskInfo(again['task_id'])['method'] == 'newRepo'


def test_dist_repos_and_other_volumes(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    vol = 'krvol-' + name[-8:]
    os.makedirs(os.path.join(hub_server.topdir, 'vol', vol))
    admin.addVolume(vol)
    pathinfo = koji.PathInfo(topdir=hub_server.topdir)
    # old, no longer current dist repos: all but the newest expire
    older = add_repo(hub_server, tag_id, koji.REPO_READY, age=OLD, dist=True, end_event=True)
    newest = add_repo(hub_server, tag_id, koji.REPO_READY, age=OLD, dist=True, end_event=True)
    # an expired dist repo living on the other volume, linked from the default one
    gone = add_repo(hub_server, tag_id, koji.REPO_EXPIRED, age=OLD, dist=True)
    real = pathinfo.distrepo(gone, name, volume=vol)
    os.makedirs(os.path.join(real, 'x86_64'))
    koji.dump_json(os.path.join(real, 'repo.json'), {'id': gone, 'volume': vol})
    link = pathinfo.distrepo(gone, name)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(real, link)
    # and a stray directory there
    stray = pathinfo.distrepo(880000 + tag_id, name, volume=vol)
    os.makedirs(stray)
    age_path(stray, 2 * WEEK)
    wait_for(lambda: state(admin, older) == koji.REPO_EXPIRED, 'older dist repo expired')
    wait_for(lambda: state(admin, gone) == koji.REPO_DELETED, 'dist repo deleted')
    wait_for(lambda: not os.path.exists(real), 'its directory on the volume removed')
    assert not os.path.lexists(link)
    wait_for(lambda: not os.path.exists(stray), 'stray dir on the volume pruned')
    assert state(admin, newest) == koji.REPO_READY


def age_path(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_stray_directories_pruned(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    deleted = add_repo(hub_server, tag_id, koji.REPO_DELETED, age=OLD)
    recent_deleted = add_repo(hub_server, tag_id, koji.REPO_DELETED)
    live = add_repo(hub_server, tag_id, koji.REPO_READY)
    unknown = 900000 + tag_id
    paths = {}
    for repo_id in (deleted, recent_deleted, live, unknown, unknown + 1):
        paths[repo_id] = repo_dir(hub_server, name, repo_id)
        age_path(paths[repo_id], 2 * WEEK)
    age_path(paths[recent_deleted], 0)  # the newer of state_ts and mtime counts
    age_path(paths[unknown + 1], 60)  # too young to be pruned
    latest = os.path.join(os.path.dirname(paths[live]), 'latest')
    os.symlink(str(live), latest)
    wait_for(lambda: not os.path.exists(paths[deleted]), 'deleted repo dir pruned')
    wait_for(lambda: not os.path.exists(paths[unknown]), 'unknown repo dir pruned')
    # a pruning pass covers the whole tag dir: the rest was judged in the same pass
    for repo_id in (recent_deleted, live, unknown + 1):
        assert os.path.isdir(paths[repo_id])
    assert os.path.islink(latest)


REPOMD = '''<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <revision>1</revision>
  <data type="primary"><timestamp>%d</timestamp></data>
  <data type="filelists"><timestamp>%d.7</timestamp></data>
</repomd>
'''


def serve_repomd(hub, relpath, stamps):
    path = os.path.join(hub.topdir, relpath, 'repodata')
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, 'repomd.xml'), 'w') as fo:
        fo.write(REPOMD % stamps)
    return '%s/%s/' % (hub.topurl, relpath)


def test_external_repo_max_ts(hub_server, admin, kojira):
    tag_id, name = new_tag(admin)
    plain_url = serve_repomd(hub_server, 'ext/%s/plain' % name, (1700000000, 1700000100))
    serve_repomd(hub_server, 'ext/%s/arch/x86_64' % name, (1700000200, 1700000050))
    arch_url = '%s/ext/%s/arch/$arch/' % (hub_server.topurl, name)
    plain = admin.createExternalRepo(name + '-plain', plain_url)['id']
    arched = admin.createExternalRepo(name + '-arch', arch_url)['id']
    unused = admin.createExternalRepo(name + '-unused', plain_url)['id']
    admin.addExternalRepoToTag(name, plain, 5)
    admin.addExternalRepoToTag(name, arched, 10)

    def data(erepo):
        return admin.repo.getExternalRepoData(erepo)
    assert wait_for(lambda: data(plain), 'plain max_ts') == {'max_ts': 1700000101}
    assert wait_for(lambda: data(arched), 'arch max_ts') == {'max_ts': 1700000200}
    assert data(unused) is None
    # a newer timestamp is stored; the stored one is never lowered
    serve_repomd(hub_server, 'ext/%s/plain' % name, (1700000500, 1700000000))
    wait_for(lambda: data(plain) == {'max_ts': 1700000500}, 'newer max_ts')
    serve_repomd(hub_server, 'ext/%s/arch/x86_64' % name, (1600000000, 1600000000))
    serve_repomd(hub_server, 'ext/%s/plain' % name, (1700000900, 1700000000))
    wait_for(lambda: data(plain) == {'max_ts': 1700000900}, 'second newer max_ts')
    assert data(arched) == {'max_ts': 1700000200}


def test_exclusive_session_and_sigterm(hub_server, admin, tmp_path):
    # an account of its own: the module's kojira keeps its exclusive session meanwhile
    user = 'kojira-term'
    admin.createUser(user)
    admin.grantPermission(user, 'repo')
    hub_server.set_password(user, 'kojirapw')
    first = Kojira(hub_server, str(tmp_path), user, {'check_external_repos': False})
    first.start()
    try:
        wait_for(lambda: 'Entering main loop' in first.read_log(), 'kojira main loop')
        second = Kojira(hub_server, str(tmp_path), user)
        res = subprocess.run([sys.executable, KOJIRA, '-c', second.conf, '--fg'],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 1
        assert res.stderr.endswith('Error: Unable to get lock. Trying using --force-lock\n')
        assert first.proc.poll() is None
    finally:
        rc = first.stop()
    assert rc == 0, first.read_log()
    assert 'Shutting down' in first.read_log()
    # the main session and the worker subsessions are all closed
    open_sessions = db_exec(hub_server, (
        "SELECT COUNT(*) FROM sessions JOIN users ON users.id = sessions.user_id "
        "WHERE users.name = %(name)s AND NOT sessions.closed"), {'name': user})
    assert open_sessions[0][0] == 0


def test_skip_main_logs_in_and_exits(hub_server, admin, tmp_path):
    user = 'kojira-skip'
    admin.createUser(user)
    admin.grantPermission(user, 'repo')
    hub_server.set_password(user, 'kojirapw')
    proc = Kojira(hub_server, str(tmp_path), user)
    res = subprocess.run([sys.executable, KOJIRA, '-c', proc.conf, '--skip-main'],
                         capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stdout, res.stderr) == (0, '', '')
    # it logged in, and its session is gone with it
    rows = db_exec(hub_server, (
        'SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT closed) FROM sessions JOIN users ON '
        'users.id = sessions.user_id WHERE users.name = %(name)s'), {'name': user})
    assert rows[0] == (1, 0)
    # a wrong password is fatal
    bad = Kojira(hub_server, str(tmp_path), user, {'password': 'wrong'})
    res = subprocess.run([sys.executable, KOJIRA, '-c', bad.conf, '--skip-main'],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and res.stdout == ''
