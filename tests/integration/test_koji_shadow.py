"""koji-shadow between two real hubs on this machine (two databases, two topdirs, each
served over HTTP): the builds of a tag on the remote hub appear on the local one."""
import configparser
import os
import subprocess
import sys

import pytest

import koji
from tests.fixtures.hub import independent_hub
from tests.fixtures.sessions import client
from tests.fixtures.shadow import (ROOT, SHADOW, give_buildroot, import_build, login,
                                   make_runner)

TAG = 'dist-f1'

HELP_OPTIONS = (
    '--config-file', '--keytab', '--principal', '--runas', '--user', '--password',
    '--noauth', '--test', '--debug', '--first-one', '--debug-xmlrpc', '--skip-main',
    '--max-jobs', '--build', '--server', '--remote', '--prefer-new', '--import-noarch-only',
    '--import-noarch', '--link-imports', '--remote-topurl', '--workpath', '--auth-cert',
    '--serverca', '--rules', '--rules-greylist', '--rules-blacklist', '--rules-ignorelist',
    '--rules-excludelist', '--rules-includelist', '--rules-protectlist', '--tag-build',
    '--logfile', '--arches', '--priority')


@pytest.fixture(scope='module')
def local_hub(hub_server, tmp_path_factory):
    """A second, independent hub: its own database and topdir."""
    with independent_hub(tmp_path_factory, 'localhub', 'kojilocal', name='local') as server:
        yield server


@pytest.fixture(scope='module')
def remote(hub_server, rpm_builds):
    """The remote hub with tag dist-f1: a noarch build, an arch build, two empty ones."""
    session = login(hub_server)
    session.createTag(TAG)
    for build in (rpm_builds.noarch, rpm_builds.arch):
        import_build(session, build)
        session.packageListAdd(TAG, build.name, owner='kojiadmin')
        session.tagBuildBypass(TAG, build.nvr)
    for name in ('ignoreme', 'blockme'):
        build_id = session.createEmptyBuild(name, '1', '1', None)
        session.packageListAdd(TAG, name, owner='kojiadmin')
        session.tagBuildBypass(TAG, build_id)
    yield session
    session.logout()


@pytest.fixture(scope='module')
def local(local_hub, rpm_builds):
    session = login(local_hub)
    session.createTag(TAG)
    session.packageListAdd(TAG, rpm_builds.noarch.name, owner='kojiadmin')
    yield session
    session.logout()


@pytest.fixture
def shadow(hub_server, local_hub, tmp_path):
    return make_runner(hub_server, local_hub, tmp_path)


def rpm_names(session, nvr):
    build = session.getBuild(nvr)
    if not build:
        return []
    return sorted('%(name)s.%(arch)s' % r for r in session.listRPMs(build['id']))


def test_help_lists_every_option():
    res = subprocess.run([sys.executable, SHADOW, '--help'], capture_output=True, text=True)
    assert res.returncode == 0
    for opt in HELP_OPTIONS:
        assert opt in res.stdout, opt
    assert '--auth-ca' not in res.stdout


def test_config_is_required():
    res = subprocess.run([sys.executable, SHADOW, TAG], capture_output=True, text=True)
    assert res.returncode == 2 and '-c' in res.stderr


@pytest.fixture(scope='module')
def imported(remote, local, hub_server, local_hub, rpm_builds, tmp_path_factory):
    """The import story, run once per module (so the tests hold in any order): a test-mode
    run, a run whose binary rpm download fails, the run that resumes (with --link-imports:
    downloaded straight into the local work area), and one more."""
    run = make_runner(hub_server, local_hub, tmp_path_factory.mktemp('shadow'))
    noarch = rpm_builds.noarch
    story = {'test': run('--test', TAG)}
    story['after_test'] = local.getBuild(noarch.nvr)
    info = remote.getBuild(noarch.nvr)
    binary = [r for r in remote.listRPMs(info['id']) if r['arch'] == 'noarch'][0]
    path = os.path.join(koji.PathInfo(hub_server.topdir).build(info),
                        koji.PathInfo(hub_server.topdir).rpm(binary))
    assert os.path.exists(path)
    os.rename(path, path + '.hidden')
    try:
        story['failed'] = run(TAG)
    finally:
        os.rename(path + '.hidden', path)
    story['after_failed'] = rpm_names(local, noarch.nvr)
    story['resumed'] = run('--tag-build', '--link-imports', TAG,
                           main='topdir = %s\n' % local_hub.topdir)
    story['after_resumed'] = rpm_names(local, noarch.nvr)
    story['again'] = run(TAG)
    story['after_again'] = rpm_names(local, noarch.nvr)
    story['binary'] = binary
    return story


def test_test_mode_imports_nothing(imported, rpm_builds):
    res = imported['test']
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'Working on tag %s' % TAG in res.stdout
    assert 'Skipping import of %s (test mode)' % rpm_builds.noarch.nvr in res.stdout
    assert imported['after_test'] is None


def test_import_resumes_after_a_failure(imported, local, hub_server, local_hub, rpm_builds):
    noarch = rpm_builds.noarch
    res = imported['failed']
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'Error: import of %s failed' % noarch.nvr in res.stdout
    # the srpm made it, the binary did not
    assert imported['after_failed'] == ['%s.src' % noarch.name]

    res = imported['resumed']
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert 'Ignored Build: ignoreme-1-1' in out
    assert 'Blocked build blockme-1-1' in out
    assert 'Skipping archful build: %s' % rpm_builds.arch.nvr in out
    assert 'tagged %s to %s' % (noarch.nvr, TAG) in out
    both = ['%s.noarch' % noarch.name, '%s.src' % noarch.name]
    assert imported['after_resumed'] == both
    local_build = local.getBuild(noarch.nvr)
    assert local_build['state'] == koji.BUILD_STATES['COMPLETE']
    assert [b['nvr'] for b in local.listTagged(TAG)] == [noarch.nvr]
    assert local.getBuild(rpm_builds.arch.nvr) is None
    assert local.getBuild('ignoreme-1-1') is None and local.getBuild('blockme-1-1') is None

    # the files came over the wire from the remote topurl into the local topdir; with
    # --link-imports the binary went straight into the local work area, no upload
    local_paths = koji.PathInfo(local_hub.topdir)
    assert os.path.isfile(os.path.join(local_paths.build(local_build),
                                       local_paths.rpm(imported['binary'])))
    assert 'Downloading %s/packages/' % hub_server.topurl in out
    assert ' to %s/work/koji-shadow/' % local_hub.topdir in out
    assert 'Uploading' not in out

    # nothing left to do: a third run finds the build in common
    res = imported['again']
    assert res.returncode == 0
    assert 'Common build %s' % noarch.nvr in res.stdout
    assert 'Downloading' not in res.stdout
    assert imported['after_again'] == both


def test_single_build_and_unknown_tag(shadow, remote, local, rpm_builds, tmp_path):
    logfile = tmp_path / 'shadow.log'
    res = shadow('--build', rpm_builds.arch.nvr, '--logfile', str(logfile))
    assert res.returncode == 0, res.stderr
    assert 'Skipping archful build: %s' % rpm_builds.arch.nvr in res.stdout
    assert 'Skipping archful build: %s' % rpm_builds.arch.nvr in logfile.read_text()
    res = shadow('no-such-tag')
    assert res.returncode == 1
    assert 'no-such-tag' in res.stderr


@pytest.fixture(scope='module')
def with_buildroot(imported, remote, hub_server, rpm_builds):
    """After the imports (the noarch dep is common locally): the arch build gets a remote
    buildroot of tag f1-build that holds the noarch build."""
    remote.createTag('f1-build')
    give_buildroot(hub_server, remote, rpm_builds.arch.nvr, rpm_builds.noarch.nvr,
                   'f1-build')


def test_rebuild_scans_buildroot_deps(shadow, with_buildroot, local, rpm_builds):
    arch, noarch = rpm_builds.arch, rpm_builds.noarch
    assert local.getBuild(noarch.nvr)['state'] == koji.BUILD_STATES['COMPLETE']
    res = shadow_rebuild(shadow, '--test', '--build', arch.nvr)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert 'Missing build %s. Scanning deps...' % arch.nvr in out
    assert ' Common build %s (from %s)' % (noarch.nvr, arch.nvr) in out
    assert 'rebuild: %s' % arch.nvr in out
    assert 'Skipping rebuild of %s (test mode)' % arch.nvr in out
    # test mode pretends the rebuild worked (it started while scanning, as upstream)
    assert 'common: 2 grey: 0 missing: 0 noroot: 0 pending: 0 total: 2' in out
    assert local.getTag('SHADOWBUILD-f1-build') is None


def shadow_rebuild(shadow, *args):
    """koji-shadow without import_noarch_only (the fixture's config sets it)."""
    return shadow(*args, import_only=False)


def test_blocked_dep_breaks_the_rebuild(shadow, with_buildroot, rpm_builds):
    arch, noarch = rpm_builds.arch, rpm_builds.noarch
    res = shadow('--test', '--build', arch.nvr, import_only=False,
                 rules='greylist = %s\n' % arch.nvr)
    assert 'Greylisted build %s' % arch.nvr in res.stdout
    res = shadow('--test', '--build', arch.nvr, import_only=False,
                 rules='whitelist = %s\n' % arch.nvr, blacklist=noarch.nvr)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert ' Blocked build %s (from %s)' % (noarch.nvr, arch.nvr) in out
    assert "Can't rebuild %s, %s is blocked" % (arch.nvr, noarch.nvr) in out
    assert 'rebuild: %s' % arch.nvr not in out
    assert 'brokendeps: 1' in out


def test_bad_config(tmp_path):
    conf = tmp_path / 'bad.conf'
    conf.write_text('[main]\nserver = a\nserver = b\n')
    res = subprocess.run([sys.executable, SHADOW, '-c', str(conf), TAG],
                         capture_output=True, text=True)
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert "option 'server' in section 'main' already exists" in res.stderr
    conf.write_text('[main]\nnoauth = true\n[rules]\nsubstitutions =\n    a b c\n')
    res = subprocess.run([sys.executable, SHADOW, '-c', str(conf), TAG],
                         capture_output=True, text=True)
    assert res.returncode == 1 and 'Bad substitution: a b c' in res.stderr


def test_rebuild_tag_sync(with_buildroot, remote, local, hub_server, local_hub, rpm_builds,
                          tmp_path):
    """The rebuild set-up against both real hubs, in-process (no kojid here to run the
    build itself): the SHADOWBUILD tag, its deps, package list and build group."""
    sys.path.insert(0, os.path.join(ROOT, 'util'))
    from kojimaint.shadow import builds, options as shadow_options, rebuild, rules
    from kojimaint.shadow.main import Shadow
    from kojimaint.shadow.tracker import BuildTracker

    opts = shadow_options.make_parser().get_default_values()
    opts.arches = 'x86_64 noarch'
    opts.remote_topurl = hub_server.topurl
    opts.workpath = str(tmp_path)
    remote.editTag2('f1-build', extra={'mock.package_manager': 'dnf'})
    session = login(local_hub)
    shadow = Shadow(opts, session, client(hub_server))
    shadow.log = lambda msg: None
    shadow.tracker = BuildTracker(shadow, rules.Rules(configparser.ConfigParser()))
    build = builds.TrackedBuild(shadow, remote.getBuild(rpm_builds.arch.nvr)['id'])
    assert build.state == 'missing' and build.br_tag == 'f1-build'
    assert build.base == [rpm_builds.noarch.name]
    dep = builds.TrackedBuild(shadow, remote.getBuild(rpm_builds.noarch.nvr)['id'])
    assert dep.state == 'common'
    build.revised_deps = [dep]

    taginfo = rebuild._shadow_tag(shadow, build)
    tag = local.getTag('SHADOWBUILD-f1-build')
    assert tag['id'] == taginfo['id'] and tag['perm'] == 'admin'
    assert tag['arches'] == 'x86_64 noarch'
    assert tag['extra'] == {'mock.package_manager': 'dnf'}
    event = rebuild.sync_buildroot_tag(shadow, build, taginfo)
    assert event == local.getLastEvent()['id']
    assert [b['nvr'] for b in local.listTagged(tag['id'])] == [rpm_builds.noarch.nvr]
    assert [p['package_name'] for p in local.listPackages(tagID=tag['id'])] == \
        [rpm_builds.noarch.name]
    groups = local.getTagGroups(tag['id'])
    assert [g['name'] for g in groups] == ['build']
    assert [p['package'] for p in groups[0]['packagelist']] == [rpm_builds.noarch.name]
    # a second pass changes nothing: no new event
    assert rebuild.sync_buildroot_tag(shadow, build, taginfo) == event
    assert [b['nvr'] for b in local.listTagged(tag['id'])] == [rpm_builds.noarch.nvr]

    src = rebuild.upload_source(shadow, build)
    assert src.endswith('/%s.src.rpm' % rpm_builds.arch.nvr)
    assert os.path.isfile(os.path.join(local_hub.topdir, 'work', src))
    session.logout()
