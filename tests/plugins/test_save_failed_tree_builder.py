"""save_failed_tree end to end: the hub plugin queues the task on the buildroot's host, a
real kojid with the builder plugin tars the buildroot (minus filtered paths) and uploads
it to the task's output."""
import io
import os
import tarfile

import pytest

import koji
from tests.plugins.conftest import start_kojid, stop_kojid, wait_task
from tests.plugins.test_task_plugins import failed_task

HOST = 'sftbuilder'


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['save_failed_tree'], opts={'RunInterval': 1}, configs={
        'save_failed_tree.conf': '[permissions]\nallowed_methods = *\n'})
    admin = server.session()
    admin.createTag('rtag', arches='x86_64')
    admin.addHost('bx86', ['x86_64'])
    server.admin = admin
    server.alice = server.add_user('alice')
    return server


@pytest.fixture(scope='module')
def builder(hub, tmp_path_factory):
    """kojid as host sftbuilder, loading save_failed_tree from plugins/builder."""
    base = str(tmp_path_factory.mktemp('sftkojid'))
    confdir = os.path.join(base, 'plugin-conf')
    os.makedirs(confdir)
    with open(os.path.join(confdir, 'save_failed_tree.conf'), 'w') as fp:
        fp.write('[filters]\npaths = */secret*\n[general]\nvolume = DEFAULT\n')
    proc = start_kojid(hub, base, HOST, ['save_failed_tree'],
                       env={'KOJI_BUILDER_PLUGIN_CONFIG_DIR': confdir})
    yield proc
    stop_kojid(proc)


def make_tree(builder, hub, br_id):
    """The buildroot's root dir as the builder left it."""
    repo_id = hub.admin.getBuildroot(br_id)['repo_id']
    root = os.path.join(builder.base, 'rtag-%d-%d' % (br_id, repo_id), 'root')
    for rel, text in (('builddir/build/BUILD/x.c', 'int x;\n'),
                      ('builddir/secret.txt', 'hidden\n'),
                      ('etc/os-release', 'ID=test\n')):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as fp:
            fp.write(text)
    return root


def tar_members(hub, task_id, br_id):
    data = hub.admin.downloadTaskOutput(task_id, 'broot-%d.tar.gz' % br_id)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return sorted(m.name.split('/root/', 1)[1] if '/root/' in m.name else m.name
                      for m in tar.getmembers() if m.isfile())


def test_builddir_saved(hub, builder):
    _task, (br_id,) = failed_task(hub, 'alice', host=HOST)
    make_tree(builder, hub, br_id)
    alice = hub.session('alice', hub.alice)
    task_id = alice.saveFailedTree(br_id)
    info = wait_task(alice, task_id)
    assert info['state'] == koji.TASK_STATES['CLOSED'], alice.getTaskResult(task_id)
    assert alice.listTaskOutput(task_id) == ['broot-%d.tar.gz' % br_id]
    assert tar_members(hub, task_id, br_id) == ['builddir/build/BUILD/x.c']


def test_full_tree_saved(hub, builder):
    _task, (br_id,) = failed_task(hub, 'alice', host=HOST)
    make_tree(builder, hub, br_id)
    task_id = hub.admin.saveFailedTree(br_id, full=True)
    assert wait_task(hub.admin, task_id)['state'] == koji.TASK_STATES['CLOSED']
    assert tar_members(hub, task_id, br_id) == ['builddir/build/BUILD/x.c', 'etc/os-release']


def test_missing_tree_fails(hub, builder):
    _task, (br_id,) = failed_task(hub, 'alice', host=HOST)
    task_id = hub.admin.saveFailedTree(br_id)
    assert wait_task(hub.admin, task_id)['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.GenericError) as exc:
        hub.admin.getTaskResult(task_id)
    assert 'Buildroot directory is missing' in str(exc.value)
