"""RPM builds end to end, builder side: a real kojid with the rpmbuild buildroot backend.

The hub runs over HTTP; the build tag's repo is made by newRepo through the repo handlers
from a stub distribution (tests/fixtures/stubrepo.py) linked as an external repo; the
buildroot is filled by dnf --installroot and the package compiled by the host's gcc
through rpmbuild, which checks BuildRequires against the buildroot's rpm database.
"""
import json
import os
import shutil
import subprocess
import textwrap

import pytest

import koji
from koji_cli.lib import unique_path
from tests.fixtures import stubrepo
from tests.integration.test_kojid import PLUGIN, Builder, _admin_session, _wait_for
from tests.integration.test_kojid_repos import HUB_OPTS, _repo_for, _wait_task

HOST = 'kojid-build.test'
REQUIRED_CALLS = ('host.newBuildRoot', 'host.setBuildRootList', 'host.repoInit',
                  'repo.request', 'makeTask', 'getBuildrootListing')
BUILD_CALLS = ('host.initBuild', 'host.completeBuild', 'host.failBuild')

SPEC = """\
%%global debug_package %%{nil}
Name: %(name)s
Version: 1.0
Release: 1%%{?dist}
Summary: compiled test package
License: MIT
# the stub distribution has no glibc to satisfy the binary's libc requires
AutoReq: no
%(buildarch)s
Source0: hello.c
%(sources)s
BuildRequires: gcc make %(breq)s

%%description
A tiny C program.

%%prep
cp %%{SOURCE0} .

%%build
%(build)s
%(compile)s

%%install
install -D -m 0755 %(name)s %%{buildroot}/usr/bin/%(name)s

%%files
/usr/bin/%(name)s
%(subpackage)s
"""
SUBPACKAGE = """
%%package doc
Summary: documentation
BuildArch: noarch

%%description doc
Docs.

%%files doc
"""
HELLO = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'


# a %build that fails unless it runs without network (only lo in its namespace)
NO_NETWORK = 'test "$(wc -l < /proc/self/net/dev)" -le 3'


def spec_text(name, breq='', build='', sources='', noarch=False, subpackage=False):
    """A C program (or, noarch, its source as a script) with extra BuildRequires,
    %build lines and sources."""
    return SPEC % {'name': name, 'breq': breq, 'build': build, 'sources': sources,
                   'buildarch': 'BuildArch: noarch' if noarch else '',
                   'compile': ('cp hello.c %s' if noarch else 'gcc -o %s hello.c') % name,
                   'subpackage': SUBPACKAGE % {} if subpackage else ''}


def make_srpm(base, name, breq='', build='', noarch=False, subpackage=False):
    """rpmbuild -bs a C package; returns the srpm path."""
    topdir = os.path.join(base, 'srpm-%s' % name)
    for sub in ('SPECS', 'SOURCES', 'SRPMS'):
        os.makedirs(os.path.join(topdir, sub), exist_ok=True)
    with open(os.path.join(topdir, 'SOURCES', 'hello.c'), 'w') as fo:
        fo.write(HELLO)
    spec = os.path.join(topdir, 'SPECS', '%s.spec' % name)
    with open(spec, 'w') as fo:
        fo.write(spec_text(name, breq, build, noarch=noarch, subpackage=subpackage))
    subprocess.run(['rpmbuild', '-bs', '--define', '_topdir %s' % topdir, spec], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(topdir, 'SRPMS', '%s-1.0-1.src.rpm' % name)


def make_git_repo(gitroot, name, breq=''):
    """A bare repo gitroot/<name>.git (dumb HTTP ready) holding a spec, its source and a
    Makefile whose `sources` target makes the second source; returns the commit."""
    work = os.path.join(gitroot, 'work-%s' % name)
    os.makedirs(work)
    with open(os.path.join(work, 'hello.c'), 'w') as fo:
        fo.write(HELLO)
    with open(os.path.join(work, 'Makefile'), 'w') as fo:
        fo.write('sources:\n\techo fetched > fetched.txt\n')
    with open(os.path.join(work, '%s.spec' % name), 'w') as fo:
        fo.write(spec_text(name, breq, sources='Source1: fetched.txt'))
    git = ['git', '-c', 'user.name=T', '-c', 'user.email=t@example.com']
    for cmd in (['init', '-q'], ['add', '.'], ['commit', '-q', '-m', 'import']):
        subprocess.run(git + cmd, cwd=work, check=True)
    bare = os.path.join(gitroot, '%s.git' % name)
    subprocess.run(['git', 'clone', '-q', '--bare', work, bare], check=True)
    subprocess.run(['git', 'update-server-info'], cwd=bare, check=True)
    return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=work, check=True, text=True,
                          stdout=subprocess.PIPE).stdout.strip()


def upload_srpm(admin, path):
    """Upload as the CLI does; returns the path relative to the work dir."""
    serverdir = unique_path('cli-build')
    admin.uploadWrapper(path, serverdir)
    return '%s/%s' % (serverdir, os.path.basename(path))


class BuildBuilder(Builder):
    """A kojid with a chosen buildroot backend and its own mock config dir."""

    backend = 'rpmbuild'
    # git over dumb HTTP from the test's server; no common repo
    extra_conf = 'allowed_scms = 127.0.0.1*:/*:no\n'

    plugins = ()

    def write_conf(self):
        super(BuildBuilder, self).write_conf()
        if self.plugins:
            with open(self.conf) as fo:
                text = fo.read()
            with open(self.conf, 'w') as fo:
                fo.write(text.replace('plugins = testtasks',
                                      'plugins = testtasks ' + ' '.join(self.plugins)))
        with open(self.conf, 'a') as fo:
            fo.write('buildroot_backend = %s\n' % self.backend)
            fo.write('mock_confdir = %s\n' % os.path.join(self.dir, 'mockconf'))
            fo.write(self.extra_conf)


def build_env(hub_server, tmp_path_factory, builder_class, host, prefix, hub_opts=None,
              plugins=None):
    """Hub, stub repo, a kojid and a build tag with a READY repo (a generator).

    plugins: {name: source} of extra builder plugins (the builder class lists them)."""
    methods = set(koji.ClientSession(hub_server.url).system.listMethods())
    missing = [m for m in REQUIRED_CALLS if m not in methods]
    if missing:
        pytest.skip('hub lacks calls: %s' % ', '.join(missing))
    for tool in ('createrepo_c', 'mergerepo_c', 'rpmbuild', 'dnf'):
        if not shutil.which(tool):
            pytest.skip('%s is not installed' % tool)
    hub_server.restart(hub_opts or HUB_OPTS)
    base = str(tmp_path_factory.mktemp(prefix))
    plugindir = os.path.join(base, 'plugins')
    os.makedirs(plugindir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN))
    for name, text in (plugins or {}).items():
        with open(os.path.join(plugindir, '%s.py' % name), 'w') as fo:
            fo.write(text)
    stub = stubrepo.make_stub_repo(os.path.join(base, 'dist'))
    server, url = stubrepo.serve(stub.path)
    gitroot = os.path.join(base, 'git')
    os.makedirs(gitroot)
    git_server, git_url = stubrepo.serve(gitroot)
    admin = _admin_session(hub_server)
    builder = builder_class(hub_server, base, host, plugindir)
    admin.addHost(host, ['x86_64', 'noarch'])
    admin.addHostToChannel(host, 'createrepo')
    hub_server.set_password(host, builder.password)
    build_tag, dest_tag = '%s-build' % prefix, '%s-dest' % prefix
    admin.createTag(build_tag, arches='x86_64')
    admin.createTag(dest_tag)
    admin.createBuildTarget('%s-target' % prefix, build_tag, dest_tag)
    stubrepo.add_to_build_tag(admin, build_tag, url)
    try:
        builder.start()
        _wait_for(lambda: (admin.getHost(host) or {}).get('ready'), 60,
                  'host %s to check in\n%s' % (host, builder.read_log()))
        env = {'hub': hub_server, 'admin': admin, 'builder': builder, 'base': base,
               'build_tag': build_tag, 'dest_tag': dest_tag, 'target': '%s-target' % prefix,
               'methods': methods, 'stub': stub, 'gitroot': gitroot,
               'git_url': 'git+' + git_url}
        env['repo'] = _repo_for(env, build_tag, None)
        yield env
    finally:
        builder.stop()
        for srv in (server, git_server):
            srv.shutdown()
            srv.server_close()
        admin.logout()


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    yield from build_env(hub_server, tmp_path_factory, BuildBuilder, HOST, 'bt')


# the user calls that queue these tasks, when the hub has them
USER_CALLS = {'build': 'build', 'chainbuild': 'chainBuild'}


def _run_task(env, method, args):
    call = USER_CALLS.get(method)
    if call in env['methods']:
        task_id = getattr(env['admin'], call)(*args)
    else:
        task_id = env['admin'].makeTask(method, args)
    return task_id, _wait_task(env, task_id, timeout=240)


def _result(env, task_id):
    try:
        return env['admin'].getTaskResult(task_id)
    except koji.GenericError as exc:
        raise AssertionError('task failed: %s\n%s' % (exc, env['builder'].read_log()))


def test_buildarch_compiles_in_dnf_root(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-hello', subpackage=True))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    result = _result(env, task_id)
    taskdir = koji.pathinfo.taskrelpath(task_id)
    # each package, the noarch subpackage too, under its own name
    assert result['rpms'] == ['%s/bt-hello-1.0-1.x86_64.rpm' % taskdir,
                              '%s/bt-hello-doc-1.0-1.noarch.rpm' % taskdir]
    assert result['srpms'] == ['%s/bt-hello-1.0-1.src.rpm' % taskdir]
    logs = set(os.path.basename(p) for p in result['logs'])
    assert {'mock_config.log', 'root.log', 'build.log'} <= logs
    output = admin.listTaskOutput(task_id)
    assert 'bt-hello-1.0-1.x86_64.rpm' in output and 'build.log' in output
    # the rpm holds a real binary from the host's gcc
    rpm = os.path.join(env['hub'].topdir, 'work', taskdir, 'bt-hello-1.0-1.x86_64.rpm')
    files = subprocess.run(['rpm', '-qpl', rpm], stdout=subprocess.PIPE, text=True).stdout
    assert '/usr/bin/bt-hello' in files
    # headers the build system sets
    hdr = koji.get_header_fields(os.path.join(env['hub'].topdir, 'work', result['srpms'][0]),
                                 ['vendor', 'packager', 'distribution'])
    assert hdr == {'vendor': 'Koji', 'packager': 'Koji', 'distribution': 'Koji'}
    # the buildroot as the hub knows it: its repo, the stub rpms dnf installed
    broot = admin.getBuildroot(result['brootid'])
    assert broot['repo_id'] == env['repo']['id'] and broot['task_id'] == task_id
    assert broot['state'] == koji.BR_STATES['EXPIRED']
    listing = admin.getBuildrootListing(result['brootid'])
    names = set(r['name'] for r in listing)
    assert set(stubrepo.BUILD_GROUP) <= names
    assert all(r['external_repo_name'] == '%s-dist' % env['build_tag'] for r in listing)


def test_missing_buildrequires_fails_with_reason(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-needy', breq='bt-nosuchdep'))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.BuildError) as exc:
        admin.getTaskResult(task_id)
    msg = str(exc.value)
    assert 'error building package (arch x86_64)' in msg
    assert 'bt-nosuchdep' in msg
    log = admin.downloadTaskOutput(task_id, 'build.log').decode()
    assert 'Failed build dependencies' in log and 'bt-nosuchdep' in log
    # the buildroot does not outlive the task
    brs = admin.listBuildroots(taskID=task_id)
    assert [b['state'] for b in brs] == [koji.BR_STATES['EXPIRED']]


def test_rebuild_srpm_applies_tag_macros(env):
    admin = env['admin']
    admin.editTag2(env['build_tag'], extra={'rpm.macro.dist': '.bt1'})
    try:
        repo = _repo_for(env, env['build_tag'], admin.getLastEvent()['id'])
        srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-dist'))
        args = [srpm, env['build_tag'], {'repo_id': repo['id']}]
        task_id, info = _run_task(env, 'rebuildSRPM', args)
        result = _result(env, task_id)
    finally:
        admin.editTag2(env['build_tag'], remove_extra=['rpm.macro.dist'])
        # later builds take the latest repo: make one without the macro
        _repo_for(env, env['build_tag'], admin.getLastEvent()['id'])
    taskdir = koji.pathinfo.taskrelpath(task_id)
    assert result['srpm'] == '%s/bt-dist-1.0-1.bt1.src.rpm' % taskdir
    assert result['source'] == {'source': 'bt-dist-1.0-1.bt1.src.rpm',
                                'url': 'bt-dist-1.0-1.bt1.src.rpm'}
    listing = admin.getBuildrootListing(result['brootid'])
    assert set(stubrepo.SRPM_GROUP) <= set(r['name'] for r in listing)


def test_build_task_imports_rpms(env):
    missing = [m for m in BUILD_CALLS if m not in env['methods']]
    if missing:
        pytest.skip('hub lacks build calls: %s' % ', '.join(missing))
    admin = env['admin']
    admin.packageListAdd(env['dest_tag'], 'bt-full', owner=env['hub'].admin_user)
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-full'))
    task_id, info = _run_task(env, 'build', [srpm, env['target'], {}])
    _result(env, task_id)
    [build] = admin.listBuilds(taskID=task_id)
    assert build['name'] == 'bt-full' and build['version'] == '1.0'
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    rpms = admin.listRPMs(buildID=build['build_id'])
    assert sorted(r['arch'] for r in rpms) == ['src', 'x86_64']
    # each rpm names the buildroot it was built in, whose listing the hub has
    brs = set(r['buildroot_id'] for r in rpms)
    assert len(brs) == 1 and admin.getBuildrootListing(brs.pop())
    tagged = [b['nvr'] for b in admin.listTagged(env['dest_tag'])]
    assert tagged == [build['nvr']]
    children = dict((t['label'], t) for t in admin.getTaskChildren(task_id))
    assert children['srpm']['method'] == 'rebuildSRPM'
    assert children['x86_64']['method'] == 'buildArch'
    assert children['tag']['method'] == 'tagBuild'


def _need_build_calls(env):
    missing = [m for m in BUILD_CALLS if m not in env['methods']]
    if missing:
        pytest.skip('hub lacks build calls: %s' % ', '.join(missing))


def test_srpm_from_scm_runs_source_command(env):
    admin = env['admin']
    commit = make_git_repo(env['gitroot'], 'bt-scm')
    url = '%sbt-scm.git#%s' % (env['git_url'], commit)
    args = [url, env['build_tag'], {'repo_id': env['repo']['id']}]
    task_id, info = _run_task(env, 'buildSRPMFromSCM', args)
    result = _result(env, task_id)
    assert result['srpm'] == '%s/bt-scm-1.0-1.src.rpm' % koji.pathinfo.taskrelpath(task_id)
    assert result['source'] == {'url': url, 'source': url}
    # checkout.log is task output, but (as upstream) not one of the buildroot's logs
    assert 'checkout.log' in admin.listTaskOutput(task_id)
    assert 'checkout.log' not in [os.path.basename(p) for p in result['logs']]
    # `make sources` made the second source, which is in the srpm
    srpm = os.path.join(env['hub'].topdir, 'work', result['srpm'])
    files = subprocess.run(['rpm', '-qpl', srpm], stdout=subprocess.PIPE, text=True).stdout
    assert sorted(files.split()) == ['bt-scm.spec', 'fetched.txt', 'hello.c']
    listing = admin.getBuildrootListing(result['brootid'])
    assert set(stubrepo.SRPM_GROUP) <= set(r['name'] for r in listing)


def test_scm_not_allowed(env):
    url = 'git+http://scm.example.com/nope.git#abc'
    args = [url, env['build_tag'], {'repo_id': env['repo']['id']}]
    task_id, info = _run_task(env, 'buildSRPMFromSCM', args)
    with pytest.raises(koji.BuildError) as exc:
        env['admin'].getTaskResult(task_id)
    assert 'scm.example.com:/nope.git is not in the list of allowed SCMs' in str(exc.value)


def test_chain_build_waits_for_repo(env):
    _need_build_calls(env)
    admin = env['admin']
    for name in ('bt-chain-a', 'bt-chain-b'):
        admin.packageListAdd(env['dest_tag'], name, owner=env['hub'].admin_user)
    # the build tag sees the dest tag, so level 1 can use what level 0 built
    dest_id = admin.getTag(env['dest_tag'])['id']
    admin.setInheritanceData(env['build_tag'], [{
        'parent_id': dest_id, 'priority': 10, 'maxdepth': None, 'intransitive': False,
        'noconfig': False, 'pkg_filter': ''}])
    first = make_git_repo(env['gitroot'], 'bt-chain-a')
    second = make_git_repo(env['gitroot'], 'bt-chain-b', breq='bt-chain-a')
    srcs = [['%sbt-chain-a.git#%s' % (env['git_url'], first)],
            ['%sbt-chain-b.git#%s' % (env['git_url'], second)]]
    task_id, info = _run_task(env, 'chainbuild', [srcs, env['target'], {}])
    _result(env, task_id)
    labels = sorted(t['label'] for t in admin.getTaskChildren(task_id))
    assert labels == ['build 0,0', 'build 1,0', 'wait 1']
    [build_b] = admin.listBuilds(packageID=admin.getPackageID('bt-chain-b'))
    assert build_b['source'].endswith('bt-chain-b.git#%s' % second)
    rpms = admin.listRPMs(buildID=build_b['build_id'], arches='x86_64')
    names = [r['name'] for r in admin.getBuildrootListing(rpms[0]['buildroot_id'])]
    assert 'bt-chain-a' in names


def test_noarch_package_builds_in_a_host_arch_root(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-noarch', noarch=True))
    # the root of a noarch build is one of the arches the host and the tag share
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'noarch', True,
                                                 {'repo_id': env['repo']['id']}])
    result = _result(env, task_id)
    assert [os.path.basename(p) for p in result['rpms']] == ['bt-noarch-1.0-1.noarch.rpm']
    # the digest the hub uses to compare noarch copies from several arches
    assert '%s/noarch_rpmdiff.json' % koji.pathinfo.taskrelpath(task_id) in result['logs']
    hashes = json.loads(admin.downloadTaskOutput(task_id, 'noarch_rpmdiff.json'))
    assert list(hashes) == [str(task_id)]
    assert list(hashes[str(task_id)]) == ['bt-noarch-1.0-1.noarch.rpm']
    broot = admin.getBuildroot(result['brootid'])
    assert broot['arch'] == 'x86_64'


def test_scratch_build_is_not_imported(env):
    _need_build_calls(env)
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-scratch'))
    task_id, info = _run_task(env, 'build', [srpm, env['target'], {'scratch': True}])
    _result(env, task_id)
    assert admin.listBuilds(taskID=task_id) == []
    assert admin.getPackageID('bt-scratch') is None or not admin.listBuilds(
        packageID=admin.getPackageID('bt-scratch'))
    # the results go to the owner's scratch area
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % task_id)
    found = [fn for _, _, files in os.walk(scratch) for fn in files]
    assert 'bt-scratch-1.0-1.x86_64.rpm' in found and 'bt-scratch-1.0-1.src.rpm' in found
    labels = sorted(t['label'] for t in admin.getTaskChildren(task_id))
    assert labels == ['srpm', 'x86_64']


def test_failed_arch_fails_the_build(env):
    _need_build_calls(env)
    admin = env['admin']
    admin.packageListAdd(env['dest_tag'], 'bt-broken', owner=env['hub'].admin_user)
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-broken', build='exit 3'))
    task_id, info = _run_task(env, 'build', [srpm, env['target'], {}])
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.BuildError) as exc:
        admin.getTaskResult(task_id)
    assert 'error building package (arch x86_64)' in str(exc.value)
    [build] = admin.listBuilds(taskID=task_id)
    assert build['state'] == koji.BUILD_STATES['FAILED']
    assert admin.listTagged(env['dest_tag'], package='bt-broken') == []


def test_package_not_in_dest_tag_list(env):
    _need_build_calls(env)
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-unlisted'))
    task_id, info = _run_task(env, 'build', [srpm, env['target'], {}])
    with pytest.raises(koji.BuildError) as exc:
        admin.getTaskResult(task_id)
    assert str(exc.value) == 'package bt-unlisted not in list for tag %s' % env['dest_tag']


def test_without_bwrap_builds_see_the_network(env):
    """The control of test_kojid_build_bwrap: the probe fails outside a sandbox."""
    if len(open('/proc/self/net/dev').read().splitlines()) <= 3:
        pytest.skip('this machine has no network interface but lo')
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-netprobe', build=NO_NETWORK))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    assert info['state'] == koji.TASK_STATES['FAILED']


def test_buildroot_init_failure(env):
    """A tag without the distribution (no build group) cannot make a buildroot."""
    admin = env['admin']
    admin.createTag('bt-bare', arches='x86_64')
    repo = _repo_for(env, 'bt-bare', None)
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bt-bare-pkg'))
    task_id, info = _run_task(env, 'buildArch', [srpm, 'bt-bare', 'x86_64', True,
                                                 {'repo_id': repo['id']}])
    with pytest.raises(koji.BuildrootError) as exc:
        admin.getTaskResult(task_id)
    assert str(exc.value) == ('could not init buildroot, dnf exited with status 1; see '
                              'root.log for more information')
    assert 'root.log' in admin.listTaskOutput(task_id)
    assert [b['state'] for b in admin.listBuildroots(taskID=task_id)] == \
        [koji.BR_STATES['EXPIRED']]


def test_buildarch_weight_follows_past_builds(env):
    _need_build_calls(env)
    admin = env['admin']
    admin.packageListAdd(env['dest_tag'], 'bt-weight', owner=env['hub'].admin_user)
    path = make_srpm(env['base'], 'bt-weight')
    task_id, info = _run_task(env, 'build', [upload_srpm(admin, path), env['target'], {}])
    _result(env, task_id)
    [build] = admin.listBuilds(taskID=task_id)
    arch_task = [t for t in admin.getTaskChildren(task_id) if t['method'] == 'buildArch'][0]
    # no earlier build: the base weight
    assert arch_task['weight'] == pytest.approx(1.5)
    task_id, info = _run_task(env, 'buildArch', [upload_srpm(admin, path), env['build_tag'],
                                                 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    _result(env, task_id)
    avg = admin.getAverageBuildDuration('bt-weight', age=6)
    assert avg > 0
    assert admin.getTaskInfo(task_id)['weight'] == pytest.approx(1.5 + avg / 4800.0)
