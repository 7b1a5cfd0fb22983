"""Maven builds end to end on a real kojid (mock backend) with stand-ins for mock and mvn
(tests/fixtures/fake_mock.py, fake_tools.py): mavenBuild queues ``maven``, the builder
runs buildMaven (checkout, settings.xml, ``mvn -C ... deploy`` in the buildroot) and the
hub imports the deployed artifacts through host.completeMavenBuild."""
import json
import os
import subprocess

import pytest

import koji
from tests.integration.test_kojid_build import _result, build_env
from tests.integration.test_kojid_build_mock import MockBuilder
from tests.integration.test_kojid_repos import HUB_OPTS, _repo_for, _wait_task

HOST = 'kojid-maven.test'
POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.kojitest</groupId>
  <artifactId>%s</artifactId>
  <version>%s</version>
</project>
"""


# a Cheetah template as sites write them: one Source per archive of the build
SPEC_TMPL = """Name: ${name}-wrapper
Version: $version
Release: $release
Summary: wrapper of the maven build
License: MIT
BuildArch: noarch
#for $i, $f in enumerate($all_artifacts)
Source$i: $f
#end for

%description
Archives of ${maven_info.group_id}:${maven_info.artifact_id}.

%install
mkdir -p %{buildroot}/usr/share/java
#for $i, $f in enumerate($all_artifacts)
install -m 644 %{SOURCE$i} %{buildroot}/usr/share/java/
#end for

%files
/usr/share/java/*
"""


class MavenBuilder(MockBuilder):
    plugins = ()


def git_pom_repo(gitroot, name, version, files=None):
    work = os.path.join(gitroot, 'work-%s' % name)
    os.makedirs(work)
    for fname, text in (files or {'pom.xml': POM % (name, version)}).items():
        with open(os.path.join(work, fname), 'w') as fo:
            fo.write(text)
    git = ['git', '-c', 'user.name=T', '-c', 'user.email=t@example.com']
    for cmd in (['init', '-q'], ['add', '.'], ['commit', '-q', '-m', 'import']):
        subprocess.run(git + cmd, cwd=work, check=True)
    bare = os.path.join(gitroot, '%s.git' % name)
    subprocess.run(['git', 'clone', '-q', '--bare', work, bare], check=True)
    subprocess.run(['git', 'update-server-info'], cwd=bare, check=True)
    return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=work, check=True, text=True,
                          stdout=subprocess.PIPE).stdout.strip()


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    opts = dict(HUB_OPTS, EnableMaven=True)
    for env in build_env(hub_server, tmp_path_factory, MavenBuilder, HOST, 'mv',
                         hub_opts=opts):
        admin = env['admin']
        admin.addHostToChannel(HOST, 'maven', create=True)
        admin.groupListAdd(env['build_tag'], 'maven-build')
        admin.groupPackageListAdd(env['build_tag'], 'maven-build', 'bash')
        admin.packageListAdd(env['dest_tag'], 'org.kojitest-demo', owner=env['hub'].admin_user)
        admin.groupListAdd(env['build_tag'], 'wrapper-rpm-build')
        for pkg in ('bash', 'rpm-build'):
            admin.groupPackageListAdd(env['build_tag'], 'wrapper-rpm-build', pkg)
        env['repo'] = _repo_for(env, env['build_tag'], admin.getLastEvent()['id'])
        yield env


def _tool_calls(env, broot):
    name = '%s-%s-%s' % (broot['tag_name'], broot['id'], broot['repo_id'])
    path = os.path.join(env['builder'].dir, name, 'root', 'tool-calls.jsonl')
    with open(path) as fo:
        return [json.loads(line) for line in fo]


@pytest.fixture(scope='module')
def maven_task(env):
    """The org.kojitest-demo-1.4-1 maven build, once per test process (the wrapper RPM
    test needs it and may run in another process than the maven build test)."""
    admin = env['admin']
    commit = git_pom_repo(env['gitroot'], 'demo', '1.4')
    url = '%s/demo.git#%s' % (env['git_url'], commit)
    task_id = admin.mavenBuild(url, env['target'], {'goals': ['install'],
                                                    'properties': {'skipTests': None,
                                                                   'x': '1'},
                                                    'profiles': ['p1']})
    _wait_task(env, task_id, timeout=240)
    return task_id


def test_maven_build_imports_deployed_artifacts(env, maven_task):
    admin = env['admin']
    task_id = maven_task
    info = admin.getTaskInfo(task_id)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    children = {c['method']: c for c in admin.getTaskChildren(task_id)}
    assert set(children) == {'buildMaven', 'tagBuild'}
    build = admin.getBuild('org.kojitest-demo-1.4-1', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    assert admin.getMavenBuild(build['id']) == {
        'build_id': build['id'], 'group_id': 'org.kojitest', 'artifact_id': 'demo',
        'version': '1.4'}
    names = sorted(a['filename'] for a in admin.listArchives(buildID=build['id']))
    assert names == ['demo-1.4-scm-sources.zip', 'demo-1.4.jar', 'demo-1.4.pom']
    [tagged] = admin.listTagged(env['dest_tag'])
    assert tagged['nvr'] == 'org.kojitest-demo-1.4-1'
    # mvn ran in the checkout with upstream's argument order
    [broot] = admin.listBuildroots(taskID=children['buildMaven']['id'])
    [call] = [c for c in _tool_calls(env, broot) if c['tool'] == 'mvn']
    assert call['argv'] == ['-C', '-Pp1', '-DskipTests', '-Dx=1', 'install', 'deploy']
    assert call['cwd'].endswith('/maven/build/demo')
    logs = admin.getBuildLogs(build['id'])
    assert {'checkout.log', 'mock_output.log'} <= {log['name'] for log in logs}


def test_scratch_maven_build_lands_in_the_scratch_area(env):
    admin = env['admin']
    commit = git_pom_repo(env['gitroot'], 'scr', '1')
    task_id = admin.mavenBuild('%s/scr.git#%s' % (env['git_url'], commit), env['target'],
                               {'scratch': True})
    info = _wait_task(env, task_id, timeout=240)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    assert admin.getBuild('org.kojitest-scr-1-1') is None
    scratch = os.path.join(env['hub'].topdir, 'scratch', env['hub'].admin_user,
                           'task_%d' % task_id)
    assert os.path.isfile(os.path.join(scratch, 'org/kojitest/scr/1/scr-1.jar'))
    assert os.path.isfile(os.path.join(scratch, 'scr-1-scm-sources.zip'))


def test_wrapper_rpm_for_the_maven_build(env, maven_task):
    admin = env['admin']
    assert admin.getTaskInfo(maven_task)['state'] == koji.TASK_STATES['CLOSED']
    build = admin.getBuild('org.kojitest-demo-1.4-1', strict=True)
    commit = git_pom_repo(env['gitroot'], 'wrapspec', '0',
                          files={'wrap.spec.tmpl': SPEC_TMPL})
    url = '%s/wrapspec.git#%s' % (env['git_url'], commit)
    task_id = admin.wrapperRPM(build['id'], url, env['target'])
    info = _wait_task(env, task_id, timeout=240)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    rpms = sorted('%(name)s.%(arch)s' % r for r in admin.listRPMs(buildID=build['id']))
    assert rpms == ['org.kojitest-demo-wrapper.noarch', 'org.kojitest-demo-wrapper.src']
    spec = os.path.join(env['hub'].topdir, 'work', koji.pathinfo.taskrelpath(task_id),
                        'wrap.spec')
    with open(spec) as fo:
        text = fo.read()
    assert 'Version: 1.4\nRelease: 1\n' in text
    assert 'Archives of org.kojitest:demo.' in text
    sources = sorted(line.split(': ')[1] for line in text.splitlines()
                     if line.startswith('Source'))
    assert sources == ['demo-1.4-scm-sources.zip', 'demo-1.4.jar', 'demo-1.4.pom']
    # a second run finds the rpms already there
    with pytest.raises(koji.PreBuildError):
        admin.wrapperRPM(build['id'], url, env['target'])


def test_chain_maven_builds_in_order_and_skips_unchanged(env):
    admin = env['admin']
    urls = {}
    for name in ('ca', 'cb'):
        commit = git_pom_repo(env['gitroot'], name, '2.0')
        urls[name] = '%s/%s.git#%s' % (env['git_url'], name, commit)
        admin.packageListAdd(env['dest_tag'], 'org.kojitest-%s' % name,
                             owner=env['hub'].admin_user)
    builds = {'org.kojitest-ca': {'scmurl': urls['ca']},
              'org.kojitest-cb': {'scmurl': urls['cb'],
                                  'buildrequires': ['org.kojitest-ca']}}
    task_id = admin.chainMaven(builds, env['target'])
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    assert admin.getTaskResult(task_id) == [
        'org.kojitest-ca-2.0-1 built from %s' % urls['ca'],
        'org.kojitest-cb-2.0-1 built from %s' % urls['cb']]
    children = admin.getTaskChildren(task_id)
    cb_task = [c for c in children if c['label'] == 'org.kojitest-cb'][0]
    # cb's maven build got ca's build as a dependency
    assert admin.getTaskInfo(cb_task['id'], request=True)['request'][2]['deps'] == \
        ['org.kojitest-ca-2.0-1']
    # the same chain again reuses both builds
    task_id = admin.chainMaven(builds, env['target'])
    _wait_task(env, task_id, timeout=300)
    assert admin.getTaskResult(task_id) == [
        'org.kojitest-ca-2.0-1 previously built from %s' % urls['ca'],
        'org.kojitest-cb-2.0-1 previously built from %s' % urls['cb']]


def test_maven_build_with_wrapper_rpms(env):
    admin = env['admin']
    admin.packageListAdd(env['dest_tag'], 'org.kojitest-wd', owner=env['hub'].admin_user)
    commit = git_pom_repo(env['gitroot'], 'wd', '3.1')
    spec_commit = git_pom_repo(env['gitroot'], 'wdspec', '0',
                               files={'wrap.spec.tmpl': SPEC_TMPL})
    spec_url = '%s/wdspec.git#%s' % (env['git_url'], spec_commit)
    task_id = admin.mavenBuild('%s/wd.git#%s' % (env['git_url'], commit), env['target'],
                               {'specfile': spec_url})
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    methods = sorted(c['method'] for c in admin.getTaskChildren(task_id))
    assert methods == ['buildMaven', 'tagBuild', 'wrapperRPM']
    build = admin.getBuild('org.kojitest-wd-3.1-1', strict=True)
    assert build['state'] == koji.BUILD_STATES['COMPLETE']
    rpms = sorted('%(name)s-%(version)s-%(release)s.%(arch)s' % r
                  for r in admin.listRPMs(buildID=build['id']))
    assert rpms == ['org.kojitest-wd-wrapper-3.1-1.noarch',
                    'org.kojitest-wd-wrapper-3.1-1.src']
    archives = sorted(a['filename'] for a in admin.listArchives(buildID=build['id']))
    assert archives == ['wd-3.1-scm-sources.zip', 'wd-3.1.jar', 'wd-3.1.pom']
    logs = {(log['dir'], log['name']) for log in admin.getBuildLogs(build['id'])}
    assert ('noarch', 'wrap.spec') in logs and ('maven', 'checkout.log') in logs


def test_cli_maven_build_waits_for_the_builder(env, tmp_path):
    """`koji maven-build --scratch` (our CLI, a process of its own) watches to the end."""
    from tests.fixtures.cli import our_cli
    hub = env['hub']
    commit = git_pom_repo(env['gitroot'], 'clim', '5')
    url = '%s/clim.git#%s' % (env['git_url'], commit)
    cmd = ['-c', hub.config_file, '-p', hub.profile, '--user', hub.admin_user,
           '--password', hub.admin_password, 'maven-build', '--wait', '--scratch',
           env['target'], url]
    res = our_cli().run(cmd, env=dict(os.environ, HOME=str(tmp_path)), cwd='/', timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    task_id = int(lines[0].split(': ')[1])
    assert lines[1].startswith('Task info: ')
    assert lines[2] == 'Watching tasks (this may be safely interrupted)...'
    # the label shows the source as koji.taskLabel shortens it
    last = res.stdout.rstrip().splitlines()[-1]
    assert last.startswith('%d maven (%s, ' % (task_id, env['target'])), res.stdout
    assert last.endswith('clim.git:%s) completed successfully' % commit), res.stdout
    # what the watcher prints between polls depends on when it looked (the whole tree may
    # close between two polls); it always ends with nothing open or failed and the child
    # reported closed
    counts = [line for line in lines if line.startswith('  0 free  0 open  ')]
    assert counts and counts[-1].endswith(' done  0 failed'), res.stdout
    # ('...: closed' when first seen closed, '...: assigned (host) -> closed' otherwise)
    assert any('buildMaven (mv-build): ' in line and line.endswith('closed')
               for line in lines), res.stdout


def test_chain_maven_with_a_wrapper_build(env):
    admin = env['admin']
    for pkg in ('org.kojitest-cc', 'org.kojitest-cc-wrapper'):
        admin.packageListAdd(env['dest_tag'], pkg, owner=env['hub'].admin_user)
    commit = git_pom_repo(env['gitroot'], 'cc', '7')
    spec_commit = git_pom_repo(env['gitroot'], 'ccspec', '0',
                               files={'wrap.spec.tmpl': SPEC_TMPL})
    spec_url = '%s/ccspec.git#%s' % (env['git_url'], spec_commit)
    builds = {'org.kojitest-cc': {'scmurl': '%s/cc.git#%s' % (env['git_url'], commit)},
              'org.kojitest-cc-wrapper': {'type': 'wrapper', 'scmurl': spec_url,
                                          'buildrequires': ['org.kojitest-cc'],
                                          'create_build': True}}
    task_id = admin.chainMaven(builds, env['target'])
    info = _wait_task(env, task_id, timeout=300)
    assert info['state'] == koji.TASK_STATES['CLOSED'], _result(env, task_id)
    assert admin.getTaskResult(task_id)[1] == \
        'org.kojitest-cc-wrapper-7-1 built from %s' % spec_url
    wrapper = admin.getBuild('org.kojitest-cc-wrapper-7-1', strict=True)
    assert wrapper['state'] == koji.BUILD_STATES['COMPLETE']
    assert sorted(r['arch'] for r in admin.listRPMs(buildID=wrapper['id'])) == \
        ['noarch', 'src']
    tagged = {b['nvr'] for b in admin.listTagged(env['dest_tag'])}
    assert {'org.kojitest-cc-7-1', 'org.kojitest-cc-wrapper-7-1'} <= tagged
