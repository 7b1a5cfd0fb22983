"""runroot and save-failed-tree through upstream's 1.36.1 client (its bundled plugins) and
ours on the same hub: same output, exit codes and task requests."""
import re

import pytest

from tests.interop.compare import norm, show
from tests.plugins.test_sidetag_interop import Both
from tests.plugins.test_task_plugins import failed_task

NUM = re.compile(r'\b\d+\b')


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['runroot_hub', 'save_failed_tree'], configs={
        'save_failed_tree.conf': '[permissions]\nallowed_methods = buildArch\n'})
    server.rooter = server.add_user('rooter', perms=['runroot'])
    server.plain = server.add_user('plain')
    admin = server.session()
    admin.addChannel('runroot')
    admin.createTag('rtag', arches='x86_64')
    admin.addHost('bx86', ['x86_64'])
    admin.addHostToChannel('bx86', 'runroot')
    server.admin = admin
    return server


@pytest.fixture(scope='module')
def both(upstream_koji, hub, tmp_path_factory):
    return Both(upstream_koji, hub, str(tmp_path_factory.mktemp('home')))


def same(both, *args, **kw):
    """Same output from both clients, task ids aside."""
    theirs = both.run('theirs', *args, **kw)
    ours = both.run('ours', *args, **kw)

    def even(res):
        rc, out, err = norm(res, usage=True)
        return rc, NUM.sub('N', out), err
    assert even(ours) == even(theirs), show(theirs, ours)
    return theirs, ours


def requests_of(hub, results):
    out = []
    for res in results:
        task_id = int(NUM.findall(res.stdout)[-1])
        info = hub.admin.getTaskInfo(task_id, request=True)
        out.append((info['method'], info['request'], info['channel_id'], info['arch'],
                    info['priority']))
    return out


@pytest.mark.parametrize('args', [
    ('runroot', '--nowait', '--task-id', 'rtag', 'x86_64', 'ls', '-l'),
    ('runroot', '--nowait', '--task-id', '--use-shell', '-p', 'a', '--mount', '/mnt/x',
     '--skip-setarch', '--new-chroot', '--weight', '3', '--repo-id', '7', 'rtag', 'noarch',
     'echo', '$X'),
    ('runroot', '--nowait', '--task-id', '--old-chroot', '--channel-override', 'default',
     'rtag', 'x86_64', 'true'),
])
def test_runroot_same_task(both, hub, args):
    theirs, ours = same(both, *args, user='rooter', password=hub.rooter)
    assert theirs.returncode == 0
    req_theirs, req_ours = requests_of(hub, [theirs, ours])
    assert req_theirs == req_ours


@pytest.mark.parametrize('args', [
    ('runroot',),
    ('runroot', 'rtag', 'x86_64'),
    ('runroot', '--weight', 'x', 'rtag', 'x86_64', 'true'),
    ('runroot', '--nowait', 'no-such-tag', 'x86_64', 'true'),
    ('save-failed-tree',),
    ('save-failed-tree', 'abc'),
    ('save-failed-tree', '1', '2'),
    ('save-failed-tree', '--nowait', '99999'),
    ('save-failed-tree', '--nowait', '-r', '99999'),
])
def test_errors_same(both, args):
    theirs, _ = both.same(*args)
    assert theirs.returncode != 0 or 'No buildroots' in theirs.stdout


def test_runroot_needs_permission(both, hub):
    theirs, _ = both.same('runroot', '--nowait', 'rtag', 'x86_64', 'true', user='plain',
                          password=hub.plain)
    assert theirs.returncode == 1


def test_save_failed_tree_same(both, hub):
    results = []
    for who in ('theirs', 'ours'):
        task_id, brs = failed_task(hub, 'kojiadmin', buildroots=2)
        res = both.run(who, 'save-failed-tree', '--nowait', str(task_id))
        assert res.returncode == 0, res.stderr
        results.append((res, brs))
    (theirs, brs_t), (ours, brs_o) = results
    assert NUM.sub('N', ours.stdout) == NUM.sub('N', theirs.stdout)
    requests = [r[1] for r in requests_of(hub, [theirs, ours])]
    assert requests == [[brs_t[1], False], [brs_o[1], False]]
    _task, (br_id,) = failed_task(hub, 'kojiadmin', method='runroot')
    theirs, ours = both.same('save-failed-tree', '--nowait', '-r', str(br_id))
    assert theirs.returncode == 1
