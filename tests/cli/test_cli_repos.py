"""Repo commands against the real hub: what they ask the hub for, and waits that end
when the hub's state changes underneath them (upstream parity of the output is in
tests/interop/test_interop_repos.py)."""
import threading
import time

import pytest

import koji
from tests.fixtures.cli import uniq


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.fixture(scope='module', autouse=True)
def fast_polls(hub_server):
    """Poll once a second, so that waits end soon after the hub state changes."""
    with open(hub_server.config_file, 'a') as fo:
        fo.write('poll_interval = 1\n')


def new_tag(hub, arches='x86_64'):
    name = uniq('cr')
    return hub.createTag(name, arches=arches), name


def add_ready_repo(hub_server, tag_id, opts='{}'):
    hub_server.sql("INSERT INTO repo (tag_id, state, opts, custom_opts) VALUES "
                   "(%s, 1, %s::jsonb, '{}'::jsonb)", tag_id, opts)


def queue_rows(hub, tag_id):
    return hub.repo.queryQueue([['tag_id', '=', tag_id]],
                               ['id', 'opts', 'min_event', 'at_event', 'active', 'repo_id'])


def satisfy_later(hub, hub_server, tag_id):
    """In a thread: once a request for the tag is queued, give it a fresh READY repo."""
    def work():
        deadline = time.time() + 60
        while time.time() < deadline:
            rows = [r for r in queue_rows(hub_session, tag_id) if r['active']]
            if rows:
                break
            time.sleep(0.2)
        else:
            return
        add_ready_repo(hub_server, tag_id)
        repo_id = hub_session.getRepo(tag_id)['id']
        hub_server.sql("UPDATE repo_queue SET repo_id = %s, active = FALSE WHERE id = %s",
                       repo_id, rows[0]['id'])
        result.append(repo_id)
    # a session of its own: ClientSession is not for two threads at once
    hub_session = koji.ClientSession(hub.baseurl)
    result = []
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, result


def test_request_repo_sends_opts_and_events(cli, hub):
    tag_id, tag = new_tag(hub)
    out = ok(cli('request-repo', tag, '--debuginfo', '--separate-src', '--min-event', '1'))
    rows = queue_rows(hub, tag_id)
    assert len(rows) == 1
    assert out.startswith('Got request: %i\n' % rows[0]['id'])
    assert rows[0]['opts'] == {'debuginfo': True, 'separate_src': True}
    assert rows[0]['min_event'] == 1
    # the same request again is the same queue entry
    assert ok(cli('request-repo', tag, '--debuginfo', '--separate-src',
                  '--min-event', '1')).startswith('Got request: %i\n' % rows[0]['id'])
    last = hub.tagLastChangeEvent(tag_id)
    ok(cli('request-repo', tag, '--current', '--src'))
    ok(cli('request-repo', tag, '--at-event', str(last)))
    rows = dict((r['id'], r) for r in queue_rows(hub, tag_id))
    assert len(rows) == 3
    newest = sorted(rows)
    assert (rows[newest[1]]['min_event'], rows[newest[1]]['opts']) == (last, {'src': True})
    assert (rows[newest[2]]['at_event'], rows[newest[2]]['min_event']) == (last, None)


def test_request_repo_wait_ends_with_the_repo(cli, hub, hub_server):
    tag_id, tag = new_tag(hub)
    thread, result = satisfy_later(hub, hub_server, tag_id)
    out = ok(cli('request-repo', '--wait', tag))
    thread.join(60)
    assert out == 'Got repo %i\nRepo info: %s/koji/repoinfo?repoID=%i\n' % (
        result[0], hub_server.base_url, result[0])


def test_regen_repo_is_request_current(cli, hub, hub_server):
    tag_id, tag = new_tag(hub)
    ok(cli('regen-repo', tag))
    rows = queue_rows(hub, tag_id)
    assert [r['min_event'] for r in rows] == [hub.tagLastChangeEvent(tag_id)]
    add_ready_repo(hub_server, tag_id)
    repo_id = hub.getRepo(tag)['id']
    assert ok(cli('regen-repo', tag)).startswith('Got repo %i\n' % repo_id)


def test_regen_repo_make_task(cli, hub):
    tag_id, tag = new_tag(hub)
    target = uniq('crt')
    hub.createBuildTarget(target, tag, tag)
    out = ok(cli('regen-repo', '--make-task', '--nowait', '--target', '--debuginfo', '--src',
                 target))
    lines = out.splitlines()
    assert lines[0] == 'Regenerating repo for tag: %s' % tag
    task_id = int(lines[1].split(': ')[1])
    info = hub.getTaskInfo(task_id, request=True)
    assert info['method'] == 'newRepo'
    args = koji.decode_args2(info['request'], ['tag', 'event', 'src', 'debuginfo',
                                               'separate_src', 'opts'], strict=False)
    assert args['tag'] == tag
    wanted = args.get('opts') or args
    assert (wanted.get('debuginfo'), wanted.get('src'), bool(wanted.get('separate_src'))) == \
        (True, True, False)


def test_wait_repo_with_request(cli, hub, hub_server):
    tag_id, tag = new_tag(hub)
    thread, result = satisfy_later(hub, hub_server, tag_id)
    res = cli('wait-repo', '--request', tag)
    thread.join(60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith('Got repo %i\n' % result[0])
    assert res.stderr == '%s is not a build tag for any target\n' % tag
    # with a repo that is current, anonymous waits return at once
    res = cli('wait-repo', '--quiet', tag, auth=False)
    assert (res.returncode, res.stdout) == (0, '')


def test_wait_repo_request_ends_with_the_repo(cli, hub, hub_server):
    tag_id, tag = new_tag(hub)
    req = hub.repo.request(tag)['request']
    thread, result = satisfy_later(hub, hub_server, tag_id)
    res = cli('wait-repo-request', str(req['id']))
    thread.join(60)
    # a wait ends silently (unless the repo was there at the first check already)
    assert res.returncode == 0, res.stderr
    assert res.stdout in ('', 'Got repo %i\nRepo info: %s/koji/repoinfo?repoID=%i\n'
                          % (result[0], hub_server.base_url, result[0]))
    assert ok(cli('wait-repo-request', str(req['id']))).startswith(
        'Got repo %i\n' % result[0])


def test_dist_repo_task_options(cli, hub, tmp_path):
    tag_id, tag = new_tag(hub, arches='x86_64 i686 noarch')
    comps = tmp_path / 'comps.xml'
    comps.write_text('<comps/>\n')
    out = ok(cli('dist-repo', '--nowait', tag, 'Aa11', 'bb22', '--with-src', '--latest-n',
                 '2', '--comps', str(comps), '--zck', '--skip-stat', '--volume', 'DEFAULT'))
    assert out.endswith('\nCreating dist repo for tag %s\n' % tag)
    tasks = hub.listTasks({'method': 'distRepo', 'state': [koji.TASK_STATES['FREE']]},
                          {'order': '-id', 'limit': 1})
    params = koji.decode_args(*hub.getTaskInfo(tasks[0]['id'], request=True)['request'])[0]
    assert params[0] == tag
    opts = params[3]
    assert sorted(opts['arch']) == ['i686', 'src', 'x86_64']
    assert (opts['latest'], opts['zck'], opts['createrepo_skip_stat']) == (2, True, True)
    assert opts['comps'].startswith('cli-dist-repo/') and opts['comps'].endswith('/comps.xml')
    assert [k.lower() for k in params[2]] == ['aa11', 'bb22']


def test_mock_config_file_urls(cli, hub, hub_server, tmp_path):
    tag_id, tag = new_tag(hub)
    add_ready_repo(hub_server, tag_id)
    repo_id = hub.getRepo(tag)['id']
    out_file = tmp_path / 'mock.cfg'
    assert ok(cli('mock-config', '--tag', tag, '-a', 'x86_64', '--topdir', '/srv/k',
                  '-o', str(out_file), auth=False)) == ''
    text = out_file.read_text()
    assert "config_opts['root'] = '%s-repo_%i'\n" % (tag, repo_id) in text
    assert 'baseurl=file:///srv/k/repos/%s/%i/x86_64\\n' % (tag, repo_id) in text
    out = ok(cli('mock-config', '--tag', tag, '-a', 'x86_64', '--latest', auth=False))
    assert 'baseurl=%s/repos/%s/latest/x86_64\\n' % (hub_server.topurl, tag) in out
    assert out.endswith('\n\n')


def test_repoinfo_missing_and_present(cli, hub, hub_server):
    tag_id, tag = new_tag(hub)
    add_ready_repo(hub_server, tag_id)
    repo_id = hub.getRepo(tag)['id']
    res = cli('repoinfo', str(repo_id), '999999', auth=False)
    assert res.returncode == 0
    assert res.stderr == 'No such repo: 999999\n\n'
    assert res.stdout.startswith('ID: %i\nTag ID: %i\nTag name: %s\nState: READY\n'
                                 % (repo_id, tag_id, tag))
    assert 'URL: %s/repos/%s/%i\n' % (hub_server.topurl, tag, repo_id) in res.stdout
    assert res.stdout.endswith('Dist repo?: no\nTask ID: None\nNumber of buildroots: 0\n')
