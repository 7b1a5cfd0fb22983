"""host.initBuild / completeBuild / failBuild / moveBuildToScratch on a real database and
topdir, with real rpms uploaded into the task's work dir as kojid leaves them."""
import os
import shutil
import subprocess

import pytest

import koji
from koji.context import context
from kojihub.api.exports import RootExports
from kojihub.api.host_exports import HostExports
from kojihub.builds.builds import get_build
from kojihub.builds.rpms import list_rpms
from kojihub.core import db
from kojihub.tags import packages, tags, targets
from kojihub.tasks.tasks import get_task_info
from tests.cli.rpmkit import RPMBuild, build_kit, need_rpmbuild
from tests.fixtures.auth import start_request

host = HostExports()
root = RootExports()
BS = koji.BUILD_STATES


class World(object):
    """A target, two hosts, alice's build task opened by b1, a repo for buildroots."""

    def __init__(self, env, topdir, tmp_path):
        self.env = env
        self.topdir = topdir
        self.tmp = tmp_path
        self.b1 = env.add_host('b1')
        self.b2 = env.add_host('b2')
        env.act('tadmin')
        self.build_tag = tags.create_tag('bt-build', arches='x86_64')
        self.dest_tag = tags.create_tag('bt-dest')
        targets.create_build_target('bt', 'bt-build', 'bt-dest')
        packages.pkglist_add('bt-dest', 'bk-pkg', owner='tadmin')
        self.repo_id = db.nextval('repo_id_seq')
        db.InsertProcessor('repo', data={'id': self.repo_id, 'tag_id': self.build_tag,
                                         'state': koji.REPO_READY,
                                         'create_event': db.get_event()}).execute()
        self.task_id = self.new_task()

    def new_task(self, opts=None, who='b1'):
        self.env.act('alice', 'build')
        task_id = root.build('git+https://example.com/bk-pkg#abc', 'bt', opts or {})
        self.env.act(who, 'host.openTask')
        host.openTask(task_id)
        return task_id

    def act(self, who, method='host.completeBuild'):
        self.env.act(who, method)

    def fails(self, who, exc, func, *args, **kw):
        """The call raises exc; its request is rolled back as the dispatcher does."""
        self.act(who)
        with pytest.raises(exc) as info:
            func(*args, **kw)
        start_request(sinfo=self.env.sessions[who], ok=False)
        return str(info.value)

    def init(self, kit, task_id=None, draft=False):
        self.act('b1', 'host.initBuild')
        data = {'name': kit.name, 'version': kit.version, 'release': kit.release,
                'epoch': None, 'task_id': task_id or self.task_id, 'source': 'src'}
        if draft:
            data['draft'] = True
        return host.initBuild(data)

    def buildroot(self, task_id=None):
        self.act('b1', 'host.newBuildRoot')
        return host.newBuildRoot(self.repo_id, 'x86_64', task_id=task_id or self.task_id)

    def upload(self, kit, task_id=None, sub='x86_64', logs=('build.log', 'root.log')):
        """Copy the kit's rpms and some logs into the task's work dir (relative paths)."""
        reldir = os.path.join(koji.pathinfo.taskrelpath(task_id or self.task_id), sub)
        absdir = os.path.join(self.topdir, 'work', reldir)
        os.makedirs(absdir, exist_ok=True)
        srpm = os.path.join(reldir, os.path.basename(kit.srpm))
        shutil.copy2(kit.srpm, os.path.join(self.topdir, 'work', srpm))
        rpms = []
        for path in kit.rpms:
            rel = os.path.join(reldir, os.path.basename(path))
            shutil.copy2(path, os.path.join(self.topdir, 'work', rel))
            rpms.append(rel)
        lognames = []
        for name in logs:
            rel = os.path.join(reldir, name)
            with open(os.path.join(self.topdir, 'work', rel), 'w') as fo:
                fo.write('log %s\n' % name)
            lognames.append(rel)
        return srpm, rpms, {sub: lognames}

    def work(self, rel):
        return os.path.join(self.topdir, 'work', rel)


@pytest.fixture
def world(taskenv, topdir, tmp_path):
    return World(taskenv, topdir, tmp_path)


@pytest.fixture(scope='module')
def kits(tmp_path_factory):
    top = tmp_path_factory.mktemp('bkits')
    return {
        'noarch': build_kit(top / 'a', 'bk-pkg', '1.0', '1', noarch=True),
        'arch': build_kit(top / 'b', 'bk-pkg', '2.0', '1', noarch=False),
        'other': build_kit(top / 'c', 'bk-other', '1.0', '1', noarch=True),
    }


def test_init_build_makes_building_build_owned_by_task_owner(world, kits):
    build_id = world.init(kits['noarch'])
    binfo = get_build(build_id, strict=True)
    assert binfo['state'] == BS['BUILDING']
    assert binfo['owner_name'] == 'alice'
    assert binfo['task_id'] == world.task_id
    assert binfo['completion_time'] is None
    assert binfo['source'] == 'src'
    assert binfo['nvr'] == 'bk-pkg-1.0-1'
    assert list(root.getBuildType(build_id)) == ['rpm']


def test_host_calls_need_the_host_running_the_task(world, kits):
    msg = world.fails('b2', koji.ActionNotAllowed, host.initBuild,
                      {'name': 'bk-pkg', 'version': '1.0', 'release': '1', 'epoch': None,
                       'task_id': world.task_id})
    assert msg == 'host %s does not own task %i' % (world.b2, world.task_id)
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])
    for func, args in ((host.completeBuild, (world.task_id, build_id, srpm, rpms)),
                       (host.failBuild, (world.task_id, build_id)),
                       (host.moveBuildToScratch, (world.task_id, srpm, rpms))):
        world.fails('b2', koji.ActionNotAllowed, func, *args)
        with pytest.raises(koji.AuthError):
            world.act('alice')
            func(*args)
        start_request(ok=False)
    world.act('b1')
    assert get_build(build_id)['state'] == BS['BUILDING']
    assert os.path.isfile(world.work(srpm))


def test_complete_build_imports_rpms_logs_and_buildroots(world, kits):
    kit = kits['noarch']
    build_id = world.init(kit)
    br_id = world.buildroot()
    srpm, rpms, logs = world.upload(kit)
    brmap = {srpm: br_id}
    brmap.update({r: br_id for r in rpms})
    seen = []

    def record(cbtype, **kw):
        seen.append((cbtype, kw.get('type'), kw.get('attribute')))
    names = ('preImport', 'postImport', 'preBuildStateChange', 'postBuildStateChange')
    for name in names:
        koji.plugin.callbacks[name].append(record)
    try:
        world.act('b1')
        result = host.completeBuild(world.task_id, build_id, srpm, rpms, brmap, logs)
    finally:
        for name in names:
            koji.plugin.callbacks[name].remove(record)
    assert result['id'] == build_id
    assert result['state'] == BS['COMPLETE']
    assert seen[0] == ('preImport', 'build', None)
    assert seen[-1] == ('postImport', 'build', None)
    assert ('preBuildStateChange', None, 'state') in seen
    assert seen.count(('preImport', 'rpm', None)) == 1 + len(rpms)
    world.act('alice', 'getBuild')
    binfo = get_build(build_id, strict=True)
    assert binfo['state'] == BS['COMPLETE'] and binfo['completion_time'] is not None
    listed = list_rpms(buildID=build_id)
    assert sorted(r['arch'] for r in listed) == sorted(['src'] + [kit.arch] * len(rpms))
    assert {r['buildroot_id'] for r in listed} == {br_id}
    builddir = koji.pathinfo.build(binfo)
    for r in listed:
        path = os.path.join(builddir, koji.pathinfo.rpm(r))
        assert os.path.isfile(path) and not os.path.islink(path)
    # the work area keeps links to the stored files
    assert os.path.islink(world.work(srpm))
    assert os.path.realpath(world.work(srpm)) == os.path.realpath(
        os.path.join(builddir, 'src', os.path.basename(srpm)))
    logdir = koji.pathinfo.build_logs(binfo)
    assert sorted(os.listdir(os.path.join(logdir, 'x86_64'))) == ['build.log', 'root.log']
    assert sorted(entry['name'] for entry in root.getBuildLogs(build_id)) == \
        ['build.log', 'root.log']
    sigs = root.queryRPMSigs(rpm_id=listed[0]['id'])
    assert [s['sigkey'] for s in sigs] == ['']
    assert os.path.isfile(os.path.join(builddir, koji.pathinfo.sighdr(listed[0], '')))
    # the payload checksum is the rpm's own
    assert root.getRPMChecksums(listed[0]['id'], checksum_types=['md5'])


def test_complete_build_failure_leaves_uploads_in_place(world, kits):
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['other'])
    msg = world.fails('b1', koji.GenericError, host.completeBuild, world.task_id, build_id,
                      srpm, rpms, None, logs)
    assert msg == ('Unable to complete build: name mismatch (build: bk-pkg, rpm: bk-other)')
    world.act('b1')
    assert get_build(build_id)['state'] == BS['BUILDING']
    for rel in [srpm] + rpms + logs['x86_64']:
        assert os.path.isfile(world.work(rel)) and not os.path.islink(world.work(rel))
    binfo = get_build(build_id)
    assert not os.path.exists(koji.pathinfo.build(binfo))


def test_complete_build_undoes_moves_when_a_late_step_fails(world, kits):
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])

    def boom(cbtype, **kw):
        if kw.get('type') == 'build':
            raise koji.CallbackError('no')
    koji.plugin.callbacks['postImport'].append(boom)
    try:
        world.fails('b1', koji.CallbackError, host.completeBuild, world.task_id, build_id,
                    srpm, rpms, None, logs)
    finally:
        koji.plugin.callbacks['postImport'].remove(boom)
    world.act('b1')
    binfo = get_build(build_id)
    assert binfo['state'] == BS['BUILDING']
    assert list_rpms(buildID=build_id) == []
    for rel in [srpm] + rpms + logs['x86_64']:
        assert os.path.isfile(world.work(rel)) and not os.path.islink(world.work(rel))
    builddir = koji.pathinfo.build(binfo)
    assert not os.path.exists(builddir)
    # a retry goes through
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms, None, logs)
    assert get_build(build_id)['state'] == BS['COMPLETE']


def test_complete_build_checks_paths_and_buildroots(world, kits):
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])
    msg = world.fails('b1', koji.GenericError, host.completeBuild, world.task_id, build_id,
                      'tasks/nope.src.rpm', rpms)
    assert msg == 'No such file: %s' % world.work('tasks/nope.src.rpm')
    world.fails('b1', koji.GenericError, host.completeBuild, world.task_id, build_id,
                '../../etc/passwd', rpms)
    msg = world.fails('b1', koji.GenericError, host.completeBuild, world.task_id, build_id,
                      srpm, rpms, {srpm: 999999})
    assert msg == 'no buildroot with ID: 999999'
    msg = world.fails('b1', koji.GenericError, host.completeBuild, world.task_id, build_id,
                      rpms[0], [])
    assert msg == 'not a source package: %s' % world.work(rpms[0])
    world.fails('b1', koji.ParameterError, host.completeBuild, world.task_id, build_id,
                srpm, 'notalist')
    world.act('b1')
    assert get_build(build_id)['state'] == BS['BUILDING']


def test_complete_build_twice_is_refused(world, kits):
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms, None, logs)
    srpm2, rpms2, logs2 = world.upload(kits['noarch'], sub='again')
    msg = world.fails('b1', koji.GenericError, host.completeBuild, world.task_id, build_id,
                      srpm2, rpms2)
    assert msg == 'Unable to complete build: state is COMPLETE'


def test_noarch_copies_from_several_arches_import_once(world, kits):
    kit = kits['noarch']
    build_id = world.init(kit)
    srpm, rpms, logs = world.upload(kit, sub='x86_64')
    _srpm2, rpms2, logs2 = world.upload(kit, sub='aarch64', logs=('build.log',))
    logs.update(logs2)
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms + rpms2, None, logs)
    listed = list_rpms(buildID=build_id)
    assert sorted(r['arch'] for r in listed) == ['noarch', 'src']
    # the second copy stays in the work area
    assert os.path.isfile(world.work(rpms2[0])) and not os.path.islink(world.work(rpms2[0]))


def test_noarch_copies_built_twice_are_one_package(world, kits, tmp_path):
    kit = kits['noarch']
    # the same spec built again: other build times and host, the same package
    other = build_kit(tmp_path / 'again', 'bk-pkg', '1.0', '1', noarch=True)
    build_id = world.init(kit)
    srpm, rpms, logs = world.upload(kit, sub='x86_64')
    _s, rpms2, _l = world.upload(other, sub='aarch64', logs=())
    world.act('b1')
    # identical file lists and deps: the copies are accepted as the same package
    host.completeBuild(world.task_id, build_id, srpm, rpms + rpms2, None, logs)
    assert len(list_rpms(buildID=build_id)) == 2


def test_fail_build(world, kits):
    build_id = world.init(kits['noarch'])
    states = []

    def record(cbtype, **kw):
        states.append((cbtype, kw['old'], kw['new']))
    for name in ('preBuildStateChange', 'postBuildStateChange'):
        koji.plugin.callbacks[name].append(record)
    try:
        world.act('b1', 'host.failBuild')
        host.failBuild(world.task_id, build_id)
    finally:
        for name in ('preBuildStateChange', 'postBuildStateChange'):
            koji.plugin.callbacks[name].remove(record)
    assert states == [('preBuildStateChange', BS['BUILDING'], BS['FAILED']),
                      ('postBuildStateChange', BS['BUILDING'], BS['FAILED'])]
    binfo = get_build(build_id)
    assert binfo['state'] == BS['FAILED'] and binfo['completion_time'] is not None
    msg = world.fails('b1', koji.GenericError, host.failBuild, world.task_id, build_id)
    assert msg == 'cannot update build %i, state: FAILED' % build_id


def test_build_notification_task_on_complete_and_fail(world, kits):
    build_id = world.init(kits['noarch'])
    world.act('b1', 'host.failBuild')
    host.failBuild(world.task_id, build_id)
    rows = db.QueryProcessor(columns=['id'], tables=['task'],
                             clauses=["method = 'buildNotification'"]).execute()
    assert len(rows) == 1


def test_move_build_to_scratch(world, kits):
    kit = kits['arch']
    task_id = world.new_task({'scratch': True})
    srpm, rpms, logs = world.upload(kit, task_id=task_id)
    logs[''] = logs.pop('x86_64')[:1]
    world.act('b1', 'host.moveBuildToScratch')
    host.moveBuildToScratch(task_id, srpm, rpms, logs=logs)
    dest = os.path.join(world.topdir, 'scratch', 'alice', 'task_%i' % task_id)
    assert sorted(os.listdir(dest)) == sorted(
        [os.path.basename(srpm)] + [os.path.basename(r) for r in rpms] + ['logs'])
    assert os.listdir(os.path.join(dest, 'logs')) == ['build.log']
    assert os.path.islink(world.work(srpm))
    # nothing in the database
    world.act('alice', 'getBuild')
    assert root.listBuilds(taskID=task_id) == []


def test_move_build_to_scratch_missing_file(world, kits):
    task_id = world.new_task({'scratch': True})
    srpm, rpms, logs = world.upload(kits['arch'], task_id=task_id)
    msg = world.fails('b1', koji.GenericError, host.moveBuildToScratch, task_id, srpm,
                      rpms + ['tasks/missing.x86_64.rpm'])
    assert msg == 'No such file: %s' % world.work('tasks/missing.x86_64.rpm')
    assert os.path.isfile(world.work(srpm)) and not os.path.islink(world.work(srpm))


def test_draft_build_and_existing_target(world, kits):
    kit = kits['noarch']
    build_id = world.init(kit, draft=True)
    binfo = get_build(build_id)
    assert binfo['draft'] is True
    assert binfo['release'] == '1,draft_%i' % build_id
    srpm, rpms, logs = world.upload(kit)
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms, None, logs)
    listed = list_rpms(buildID=build_id)
    assert {r['draft'] for r in listed} == {True}
    assert {r['release'] for r in listed} == {'1'}
    binfo = get_build(build_id)
    assert os.path.isdir(os.path.join(koji.pathinfo.build(binfo), 'src'))


def test_init_build_draft_refused_when_target_exists(world, kits):
    kit = kits['noarch']
    build_id = world.init(kit)
    task2 = world.new_task({'draft': True})
    msg = world.fails('b1', koji.GenericError, host.initBuild,
                      {'name': kit.name, 'version': kit.version, 'release': kit.release,
                       'epoch': None, 'task_id': task2, 'draft': True})
    assert msg == 'Target build already exists: bk-pkg-1.0-1 (id=%i)' % build_id


def test_completed_build_on_volume_policy_volume(world, kits):
    vol = os.path.join(world.topdir, 'vol', 'vol2')
    os.makedirs(vol)
    world.env.act('tadmin')
    root.addVolume('vol2')
    from kojihub.core import policy
    context.opts = dict(context.opts, policy={'volume': 'all :: vol2\n'})
    context.policy = policy.load_policies(context.opts)
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms, None, logs)
    binfo = get_build(build_id)
    assert binfo['volume_name'] == 'vol2'
    assert koji.pathinfo.build(binfo).startswith(vol)
    base = koji.pathinfo.build(dict(binfo, volume_name='DEFAULT'))
    assert os.path.islink(base)
    assert os.path.realpath(base) == os.path.realpath(koji.pathinfo.build(binfo))


SUBPKG_SPEC = """\
Name: bk-many
Version: %(version)s
Release: 1
Summary: many subpackages
License: MIT
BuildArch: noarch

%%description
many

%(subs)s
%%install
mkdir -p %%{buildroot}/usr/share/bk-many
touch %%{buildroot}/usr/share/bk-many/main
%(installs)s

%%files
/usr/share/bk-many/main
%(files)s
"""


def many_kit(topdir, version, count):
    """A noarch build with ``count`` subpackages (count + 1 rpms and an srpm)."""
    subs = ''.join('%%package s%i\nSummary: s%i\n%%description s%i\ns%i\n\n' % (i, i, i, i)
                   for i in range(count))
    installs = ''.join('touch %%{buildroot}/usr/share/bk-many/s%i\n' % i
                       for i in range(count))
    files = ''.join('%%files s%i\n/usr/share/bk-many/s%i\n' % (i, i) for i in range(count))
    for sub in ('SPECS', 'BUILD', 'RPMS', 'SRPMS', 'SOURCES', 'tmp'):
        os.makedirs(os.path.join(str(topdir), sub), exist_ok=True)
    spec = os.path.join(str(topdir), 'SPECS', 'bk-many.spec')
    with open(spec, 'w') as fo:
        fo.write(SUBPKG_SPEC % {'version': version, 'subs': subs, 'installs': installs,
                                'files': files})
    subprocess.run(['rpmbuild', '-ba', '--define', '_topdir %s' % topdir,
                    '--define', '_tmppath %s/tmp' % topdir, spec], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nvr = 'bk-many-%s-1' % version
    rpmdir = os.path.join(str(topdir), 'RPMS', 'noarch')
    return RPMBuild(name='bk-many', version=version, release='1', arch='noarch',
                    srpm=os.path.join(str(topdir), 'SRPMS', nvr + '.src.rpm'),
                    rpms=sorted(os.path.join(rpmdir, f) for f in os.listdir(rpmdir)))


def test_import_statements_do_not_grow_with_rpm_count(world, tmp_path, monkeypatch):
    need_rpmbuild()
    world.env.act('tadmin')
    packages.pkglist_add('bt-dest', 'bk-many', owner='tadmin')
    kits = [many_kit(tmp_path / 'small', '1', 1), many_kit(tmp_path / 'big', '2', 40)]
    assert len(kits[1].rpms) == 41
    counts = []
    counting = [False]
    real = db.CursorWrapper.execute

    def execute(self, operation, parameters=None, log_errors=True, **kwargs):
        if counting[0]:
            counts[-1] += 1
        return real(self, operation, parameters, log_errors, **kwargs)
    monkeypatch.setattr(db.CursorWrapper, 'execute', execute)
    for kit in kits:
        task_id = world.new_task()
        build_id = world.init(kit, task_id=task_id)
        br_id = world.buildroot(task_id)
        srpm, rpms, logs = world.upload(kit, task_id=task_id)
        brmap = {rel: br_id for rel in [srpm] + rpms}
        world.act('b1')
        counts.append(0)
        counting[0] = True
        host.completeBuild(task_id, build_id, srpm, rpms, brmap, logs)
        counting[0] = False
        assert len(list_rpms(buildID=build_id)) == len(kit.rpms) + 1
    assert counts[0] == counts[1], counts


def test_task_state_unchanged_by_import(world, kits):
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms, None, logs)
    assert get_task_info(world.task_id)['state'] == koji.TASK_STATES['OPEN']


ODD_SPEC = """\
Name: bk-pkg
Version: 1.0
Release: 1
Summary: noarch with a file list of its own
License: MIT
BuildArch: noarch

%%description
odd

%%install
mkdir -p %%{buildroot}/usr/share/bk-pkg
touch %%{buildroot}/usr/share/bk-pkg/%(fname)s

%%files
/usr/share/bk-pkg/%(fname)s
"""


def test_noarch_copies_with_other_files_are_a_build_error(world, kits, tmp_path):
    need_rpmbuild()
    top = str(tmp_path / 'odd')
    for sub in ('SPECS', 'BUILD', 'RPMS', 'SRPMS', 'SOURCES', 'tmp'):
        os.makedirs(os.path.join(top, sub))
    spec = os.path.join(top, 'SPECS', 'odd.spec')
    with open(spec, 'w') as fo:
        fo.write(ODD_SPEC % {'fname': 'another-file'})
    subprocess.run(['rpmbuild', '-bb', '--define', '_topdir %s' % top,
                    '--define', '_tmppath %s/tmp' % top, spec], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    odd_rpm = os.path.join(top, 'RPMS', 'noarch', 'bk-pkg-1.0-1.noarch.rpm')
    kit = kits['noarch']
    build_id = world.init(kit)
    srpm, rpms, logs = world.upload(kit, sub='x86_64')
    reldir = os.path.join(koji.pathinfo.taskrelpath(world.task_id), 'aarch64')
    os.makedirs(world.work(reldir))
    other = os.path.join(reldir, os.path.basename(odd_rpm))
    shutil.copy2(odd_rpm, world.work(other))
    msg = world.fails('b1', koji.BuildError, host.completeBuild, world.task_id, build_id,
                      srpm, rpms + [other], None, logs)
    assert msg.startswith('The following noarch package built differently on different '
                          'architectures: bk-pkg-1.0-1.noarch.rpm\n')
    world.act('b1')
    assert get_build(build_id)['state'] == BS['BUILDING']
    # the builders' rpmdiff hashes saying the copies are the same let it through
    hashfile = os.path.join(reldir, 'noarch_rpmdiff.json')
    koji.dump_json(world.work(hashfile),
                   {str(world.task_id): {'bk-pkg-1.0-1.noarch.rpm': 'same-hash'}})
    logs['aarch64'] = [hashfile]
    host.completeBuild(world.task_id, build_id, srpm, rpms + [other], None, logs)
    assert sorted(r['arch'] for r in list_rpms(buildID=build_id)) == ['noarch', 'src']


def test_an_rpm_stored_by_another_build_is_refused(world, kits):
    from kojihub.builds import rpm_batch
    build_id = world.init(kits['noarch'])
    srpm, rpms, logs = world.upload(kits['noarch'])
    world.act('b1')
    host.completeBuild(world.task_id, build_id, srpm, rpms, None, logs)
    stored = [r for r in list_rpms(buildID=build_id) if r['arch'] == 'noarch'][0]
    infos = [dict(stored, fn='x'), {'name': 'zz', 'version': '1', 'release': '1',
                                    'arch': 'noarch', 'fn': 'y'}]
    with pytest.raises(koji.GenericError) as exc:
        rpm_batch._check_new({'draft': False}, infos)
    assert str(exc.value) == 'RPM already imported: bk-pkg-1.0-1.noarch'
    # drafts may repeat an NVRA; a list naming one twice never passes
    rpm_batch._check_new({'draft': True}, infos)
    with pytest.raises(koji.GenericError) as exc:
        rpm_batch._check_new({'draft': True}, infos + infos[1:])
    assert str(exc.value) == 'Duplicate rpm in import: zz-1-1.noarch'
