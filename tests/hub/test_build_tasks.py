"""build / chainBuild task creation, promoteBuild, mergeScratch, addBType and cancelBuild
of a running build, on a real database and topdir."""
import os

import pytest

import koji
import koji.tasks
from koji.context import context
from kojihub.api.exports import RootExports
from kojihub.api.host_exports import HostExports
from kojihub.builds.builds import get_build
from kojihub.builds.rpms import list_rpms
from kojihub.core import db
from kojihub.tasks.tasks import get_task_info
from tests.cli.rpmkit import build_kit
from tests.fixtures.auth import start_request
from tests.hub.test_build_import import World

host = HostExports()
root = RootExports()
BS = koji.BUILD_STATES
TS = koji.TASK_STATES


@pytest.fixture
def world(taskenv, topdir, tmp_path):
    return World(taskenv, topdir, tmp_path)


@pytest.fixture(scope='module')
def kits(tmp_path_factory):
    top = tmp_path_factory.mktemp('tkits')
    return {
        'noarch': build_kit(top / 'a', 'bk-pkg', '1.0', '1', noarch=True),
        'arch': build_kit(top / 'b', 'bk-pkg', '2.0', '1', noarch=False),
    }


def params(task_id):
    info = get_task_info(task_id, request=True)
    return info, koji.tasks.parse_task_params(info['method'], info['request'])


def test_build_makes_a_build_task(world):
    world.env.act('alice', 'build')
    task_id = root.build('git+https://example.com/x#1', 'bt', {'scratch': True,
                                                               'arch_override': 'x86_64'})
    info, p = params(task_id)
    assert info['method'] == 'build'
    assert info['owner'] == world.env.users['alice']['id']
    assert info['priority'] == koji.PRIO_DEFAULT
    assert info['arch'] == 'noarch'
    assert info['parent'] is None
    assert p == {'src': 'git+https://example.com/x#1', 'target': 'bt',
                 'opts': {'scratch': True, 'arch_override': 'x86_64'}}
    assert root.getChannel(info['channel_id'])['name'] == 'default'


def test_build_opts_none_becomes_empty_dict(world):
    world.env.act('alice', 'build')
    _info, p = params(root.build('cli-build/1/foo.src.rpm', 'bt'))
    assert p['opts'] == {}


def test_build_priority_and_channel(world):
    world.env.act('tadmin')
    root.addChannel('special')
    world.env.act('alice', 'build')
    task_id = root.build('cli-build/1/foo.src.rpm', 'bt', None, priority=5,
                         channel='special')
    info, _p = params(task_id)
    assert info['priority'] == koji.PRIO_DEFAULT + 5
    assert root.getChannel(info['channel_id'])['name'] == 'special'
    with pytest.raises(koji.ActionNotAllowed) as exc:
        root.build('cli-build/1/foo.src.rpm', 'bt', None, priority=-5)
    assert str(exc.value) == 'only admins may create high-priority tasks'
    start_request(ok=False)
    world.env.act('tadmin', 'build')
    info, _p = params(root.build('cli-build/1/foo.src.rpm', 'bt', None, priority=-5))
    assert info['priority'] == koji.PRIO_DEFAULT - 5


def test_build_channel_policy_applies(world):
    world.env.act('tadmin')
    root.addChannel('srpms')
    use_policy('channel', 'method build && match source *.src.rpm :: use srpms\n'
                          'all :: use default\n')
    world.env.act('alice', 'build')
    info, _p = params(root.build('cli-build/1/foo.src.rpm', 'bt'))
    assert root.getChannel(info['channel_id'])['name'] == 'srpms'
    info, _p = params(root.build('git+https://example.com/x#1', 'bt'))
    assert root.getChannel(info['channel_id'])['name'] == 'default'


def use_policy(name, text):
    from kojihub.core import policy
    context.opts = dict(context.opts, policy={name: text})
    context.policy = policy.load_policies(context.opts)


def test_build_needs_login_and_a_string_source(world):
    world.env.act(None, 'build')
    with pytest.raises(koji.ActionNotAllowed):
        root.build('cli-build/1/foo.src.rpm', 'bt')
    start_request(ok=False)
    world.env.act('alice', 'build')
    with pytest.raises(koji.ParameterError) as exc:
        root.build(['a'], 'bt')
    assert "expected type <class 'str'>" in str(exc.value)
    start_request(ok=False)


def test_chain_build(world):
    world.env.act('alice', 'chainBuild')
    srcs = [['git+https://example.com/a#1'], ['bk-pkg-1.0-1', 'git+https://example.com/b#2']]
    task_id = root.chainBuild(srcs, 'bt', {'skip_tag': False}, priority=3)
    info, p = params(task_id)
    assert info['method'] == 'chainbuild'
    assert info['priority'] == koji.PRIO_DEFAULT + 3
    assert p == {'srcs': srcs, 'target': 'bt', 'opts': {'skip_tag': False}}
    with pytest.raises(koji.ParameterError):
        root.chainBuild('git+https://example.com/a#1', 'bt')
    start_request(ok=False)


def complete(world, kit, task_id=None, draft=False):
    task_id = task_id or world.task_id
    build_id = world.init(kit, task_id=task_id, draft=draft)
    br_id = world.buildroot(task_id)
    srpm, rpms, logs = world.upload(kit, task_id=task_id)
    brmap = {rel: br_id for rel in [srpm] + rpms}
    world.act('b1')
    host.completeBuild(task_id, build_id, srpm, rpms, brmap, logs)
    return build_id


def test_promote_draft_build(world, kits):
    kit = kits['noarch']
    task_id = world.new_task({'draft': True})
    build_id = complete(world, kit, task_id=task_id, draft=True)
    draft = get_build(build_id)
    draft_dir = koji.pathinfo.build(draft)
    seen = []

    def record(cbtype, **kw):
        seen.append((cbtype, kw['draft_release'], kw['target_release'], kw['build']['release'],
                     kw['user']['name']))
    for name in ('preBuildPromote', 'postBuildPromote'):
        koji.plugin.callbacks[name].append(record)
    try:
        world.env.act('alice', 'promoteBuild')
        new = root.promoteBuild(build_id)
    finally:
        for name in ('preBuildPromote', 'postBuildPromote'):
            koji.plugin.callbacks[name].remove(record)
    draft_rel = '1,draft_%i' % build_id
    assert seen == [('preBuildPromote', draft_rel, '1', draft_rel, 'alice'),
                    ('postBuildPromote', draft_rel, '1', '1', 'alice')]
    assert new['id'] == build_id
    assert new['release'] == '1' and new['draft'] is False
    assert new['promoter_name'] == 'alice' and new['promotion_time'] is not None
    assert {r['draft'] for r in list_rpms(buildID=build_id)} == {False}
    assert not os.path.exists(draft_dir)
    assert os.path.isdir(os.path.join(koji.pathinfo.build(new), 'src'))
    # promoting again: not a draft any more
    with pytest.raises(koji.GenericError) as exc:
        root.promoteBuild(build_id)
    assert str(exc.value) == 'Cannot promote build bk-pkg-1.0-1. Reason: Not a draft build'
    start_request(ok=False)


def test_promote_refusals(world, kits):
    kit = kits['noarch']
    task_id = world.new_task({'draft': True})
    build_id = world.init(kit, task_id=task_id, draft=True)
    nvr = 'bk-pkg-1.0-1,draft_%i' % build_id
    world.env.act('alice', 'promoteBuild')
    with pytest.raises(koji.GenericError) as exc:
        root.promoteBuild(build_id)
    assert str(exc.value) == ('Cannot promote build %s. Reason: state (BUILDING) is not '
                              'COMPLETE.' % nvr)
    start_request(ok=False)
    srpm, rpms, logs = world.upload(kit, task_id=task_id)
    world.act('b1')
    host.completeBuild(task_id, build_id, srpm, rpms, None, logs)
    # bob neither owns it nor has draft-promoter
    world.env.act('bob', 'promoteBuild')
    with pytest.raises(koji.ActionNotAllowed) as exc:
        root.promoteBuild(build_id)
    assert str(exc.value).startswith('policy violation (draft_promotion)')
    start_request(ok=False)
    # a real build of the target NVR appears meanwhile
    world.env.act('tadmin')
    real_id = root.createEmptyBuild('bk-pkg', '1.0', '1', None)
    world.env.act('alice', 'promoteBuild')
    with pytest.raises(koji.GenericError) as exc:
        root.promoteBuild(build_id)
    assert str(exc.value) == ('Cannot promote build %s. Reason: Target build exists: '
                              'bk-pkg-1.0-1(#%i)' % (nvr, real_id))
    start_request(ok=False)


def test_merge_scratch(world, kits, tmp_path):
    noarch_kit = build_kit(tmp_path / 'mix', 'bk-mix', '1.0', '1', noarch=False)
    world.env.act('tadmin')
    # the real build: made by a build task, with x86_64 rpms
    task_id = world.new_task()
    build_id = complete(world, noarch_kit, task_id=task_id)
    world.act('b1', 'host.closeTask')
    host.closeTask(task_id, 'ok')
    # a scratch build task whose buildArch child made "aarch64" rpms
    scratch = world.new_task({'scratch': True})
    world.act('b1', 'host.subtask')
    child = host.subtask('buildArch', ['x.src.rpm', world.build_tag, 'aarch64', True, {}],
                         scratch, label='aarch64', arch='aarch64')
    world.act('b1', 'host.openTask')
    assert host.openTask(child)
    br_id = world.buildroot(child)
    childdir = koji.pathinfo.task(child)
    os.makedirs(childdir, exist_ok=True)
    import shutil
    shutil.copy2(noarch_kit.srpm, childdir)
    # an aarch64 rpm: same content, header arch changed by rebuilding for that target
    arch_rpm = _aarch64_rpm(noarch_kit, tmp_path)
    if arch_rpm is None:
        pytest.skip('rpmbuild cannot target aarch64 here')
    shutil.copy2(arch_rpm, childdir)
    with open(os.path.join(childdir, 'build.log'), 'w') as fo:
        fo.write('log\n')
    world.act('b1', 'host.closeTask')
    host.closeTask(child, 'ok')
    host.closeTask(scratch, 'ok')
    world.env.act('alice', 'mergeScratch')
    with pytest.raises(koji.ActionNotAllowed):
        root.mergeScratch(scratch)
    start_request(ok=False)
    world.env.act('tadmin', 'mergeScratch')
    assert root.mergeScratch(scratch) == build_id
    arches = sorted(r['arch'] for r in list_rpms(buildID=build_id))
    assert arches == sorted(['src', noarch_kit.arch, 'aarch64'])
    aarch = [r for r in list_rpms(buildID=build_id) if r['arch'] == 'aarch64'][0]
    assert aarch['buildroot_id'] == br_id
    binfo = get_build(build_id)
    assert os.path.isfile(os.path.join(koji.pathinfo.build(binfo), koji.pathinfo.rpm(aarch)))
    assert os.path.isfile(os.path.join(koji.pathinfo.build_logs(binfo), 'aarch64',
                                       'build.log'))
    # the same arches again: refused
    with pytest.raises(koji.ImportError):
        root.mergeScratch(scratch)
    start_request(ok=False)


def _aarch64_rpm(kit, tmp_path):
    import subprocess
    top = str(tmp_path / 'aarch')
    for sub in ('BUILD', 'RPMS', 'SRPMS', 'tmp', 'SOURCES', 'SPECS'):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
    proc = subprocess.run(['rpmbuild', '--rebuild', '--target', 'aarch64',
                           '--define', '_topdir %s' % top, '--define', '_tmppath %s/tmp' % top,
                           kit.srpm], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode:
        return None
    for sub, _dirs, files in os.walk(os.path.join(top, 'RPMS')):
        for fn in files:
            if fn.endswith('.aarch64.rpm'):
                return os.path.join(sub, fn)
    return None


def test_merge_scratch_refusals(world):
    world.env.act('tadmin', 'mergeScratch')
    with pytest.raises(koji.ImportError) as exc:
        root.mergeScratch(999999)
    assert str(exc.value) == 'No such task: 999999'
    start_request(ok=False)
    world.env.act('tadmin', 'mergeScratch')
    with pytest.raises(koji.ImportError) as exc:
        root.mergeScratch(world.task_id)
    assert str(exc.value) == 'task %i did not complete successfully' % world.task_id
    start_request(ok=False)
    world.act('b1', 'host.closeTask')
    host.closeTask(world.task_id, 'ok')
    world.env.act('tadmin', 'mergeScratch')
    with pytest.raises(koji.ImportError) as exc:
        root.mergeScratch(world.task_id)
    assert str(exc.value) == 'task %i is not a scratch build' % world.task_id
    start_request(ok=False)


def test_add_btype(world):
    world.env.act('alice', 'addBType')
    with pytest.raises(koji.ActionNotAllowed):
        root.addBType('newtype')
    start_request(ok=False)
    world.env.act('tadmin', 'addBType')
    assert root.addBType('newtype') is None
    assert [b['name'] for b in root.listBTypes({'name': 'newtype'})] == ['newtype']
    with pytest.raises(koji.GenericError) as exc:
        root.addBType('newtype')
    assert str(exc.value) == 'btype already exists'
    start_request(ok=False)


def test_cancel_build_cancels_its_task_tree(world, kits):
    build_id = world.init(kits['noarch'])
    world.act('b1', 'host.subtask')
    child = host.subtask('buildArch', ['x.src.rpm', world.build_tag, 'x86_64', True, {}],
                         world.task_id, label='x86_64')
    world.env.act('bob', 'cancelBuild')
    with pytest.raises(koji.ActionNotAllowed):
        root.cancelBuild(build_id)
    start_request(ok=False)
    world.env.act('alice', 'cancelBuild')
    assert root.cancelBuild(build_id) is True
    assert get_build(build_id)['state'] == BS['CANCELED']
    assert get_task_info(world.task_id)['state'] == TS['CANCELED']
    assert get_task_info(child)['state'] == TS['CANCELED']
    assert root.cancelBuild(build_id) is False
    # the host can no longer complete it
    msg = world.fails('b1', koji.ActionNotAllowed, host.failBuild, world.task_id, build_id)
    assert 'does not own task' in msg
    assert db is not None


def test_cancel_task_cancels_its_building_build(world, kits):
    build_id = world.init(kits['noarch'])
    world.env.act('alice', 'cancelTask')
    root.cancelTask(world.task_id)
    assert get_task_info(world.task_id)['state'] == TS['CANCELED']
    binfo = get_build(build_id)
    assert binfo['state'] == BS['CANCELED'] and binfo['completion_time'] is not None


def test_init_build_again_and_recycling(world, kits):
    kit = kits['noarch']
    build_id = world.init(kit)
    # the same (restarted) task asking again gets the same build
    assert world.init(kit) == build_id
    task2 = world.new_task()
    msg = world.fails('b1', koji.GenericError, host.initBuild,
                      {'name': kit.name, 'version': kit.version, 'release': kit.release,
                       'epoch': None, 'task_id': task2})
    assert msg == 'Build already in progress (task %i)' % world.task_id
    world.act('b1', 'host.failBuild')
    host.failBuild(world.task_id, build_id)
    # a failed build without content is reused by the next attempt
    assert world.init(kit, task_id=task2) == build_id
    binfo = get_build(build_id)
    assert (binfo['state'], binfo['task_id']) == (BS['BUILDING'], task2)
    srpm, rpms, logs = world.upload(kit, task_id=task2)
    world.act('b1')
    host.completeBuild(task2, build_id, srpm, rpms, None, logs)
    task3 = world.new_task()
    msg = world.fails('b1', koji.GenericError, host.initBuild,
                      {'name': kit.name, 'version': kit.version, 'release': kit.release,
                       'epoch': None, 'task_id': task3})
    assert msg.startswith('Build already exists (id=%i, state=COMPLETE): ' % build_id)


def test_promote_draft_on_other_volume_leaves_links(world, kits):
    os.makedirs(os.path.join(world.topdir, 'vol', 'vol2'))
    world.env.act('tadmin')
    root.addVolume('vol2')
    use_policy('volume', 'all :: vol2\n')
    task_id = world.new_task({'draft': True})
    build_id = complete(world, kits['noarch'], task_id=task_id, draft=True)
    draft = get_build(build_id)
    assert draft['volume_name'] == 'vol2'
    world.env.act('alice', 'promoteBuild')
    new = root.promoteBuild(build_id)
    newdir = koji.pathinfo.build(new)
    assert newdir == os.path.join(world.topdir, 'vol', 'vol2', 'packages', 'bk-pkg', '1.0',
                                  '1')
    assert os.path.isdir(newdir) and not os.path.islink(newdir)
    base = koji.pathinfo.build(dict(new, volume_name='DEFAULT'))
    assert os.path.islink(base) and os.path.realpath(base) == os.path.realpath(newdir)
    olddir = koji.pathinfo.build(draft)
    assert os.path.islink(olddir) and os.path.realpath(olddir) == os.path.realpath(newdir)
    # the draft's DEFAULT link is gone
    assert not os.path.lexists(koji.pathinfo.build(dict(draft, volume_name='DEFAULT')))


def test_build_priority_out_of_range_is_a_clean_fault(world):
    world.env.act('alice', 'build')
    with pytest.raises(koji.ParameterError):
        root.build('cli-build/1/foo.src.rpm', 'bt', None, priority=2147483640)
    start_request(ok=False)
