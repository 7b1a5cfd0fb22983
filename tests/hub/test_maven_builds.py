"""mavenBuild / wrapperRPM / chainMaven / winBuild / buildImage* task creation and the
maven, windows and image host calls on a real database and topdir."""
import hashlib
import os

import pytest

import koji
from koji.context import context
from kojihub.api.exports import RootExports
from kojihub.api.host_exports import HostExports
from kojihub.builds.archives import list_archives
from kojihub.builds.build_write import create_empty_build
from kojihub.builds.builds import get_build
from kojihub.core import db
from kojihub.tags import tags, targets
from kojihub.tasks.tasks import get_task_info
from kojihub.users.perms import grant_permission
from tests.fixtures.auth import start_request

host = HostExports()
root = RootExports()
BS = koji.BUILD_STATES

POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>%s</artifactId>
  <version>1.2</version>
  <name>demo</name>
</project>
"""


class World(object):
    def __init__(self, env, topdir):
        self.env = env
        self.topdir = topdir
        self.b1 = env.add_host('b1', channels=('default', 'maven', 'vm', 'image'))
        env.act('tadmin')
        tags.create_tag('mv-build', arches='x86_64')
        tags.create_tag('mv-dest')
        targets.create_build_target('mv', 'mv-build', 'mv-dest')
        context.opts['EnableMaven'] = True
        context.opts['EnableWin'] = True

    def task(self, method, args, who='alice'):
        self.env.act(who, method)
        task_id = getattr(root, method)(*args)
        self.env.act('b1', 'host.openTask')
        host.openTask(task_id)
        return task_id

    def fails(self, who, exc, func, *args):
        self.env.act(who)
        with pytest.raises(exc) as info:
            func(*args)
        start_request(sinfo=self.env.sessions[who], ok=False)
        return str(info.value)

    def write(self, task_id, relpath, data='x'):
        path = os.path.join(koji.pathinfo.task(task_id), relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as fo:
            fo.write(data)
        return path


@pytest.fixture
def world(taskenv, topdir):
    saved = dict(context.opts)
    try:
        yield World(taskenv, topdir)
    finally:
        context.opts.clear()
        context.opts.update(saved)


# -- task creation ---------------------------------------------------------------------

def test_maven_calls_refused_when_maven_disabled(world):
    context.opts['EnableMaven'] = False
    msg = world.fails('alice', koji.GenericError, root.mavenBuild, 'git://x#1', 'mv')
    assert msg == 'Maven support not enabled'
    msg = world.fails('alice', koji.GenericError, root.chainMaven, {}, 'mv')
    assert msg == 'Maven support not enabled'
    context.opts['EnableWin'] = False
    msg = world.fails('tadmin', koji.GenericError, root.winBuild, 'vm1', 'git://x#1', 'mv')
    assert msg == 'Windows support not enabled'


def test_maven_build_task_in_maven_channel(world):
    world.env.act('alice', 'mavenBuild')
    task_id = root.mavenBuild('git://example.com/p#1', 'mv', None, 5)
    info = get_task_info(task_id, request=True)
    assert info['method'] == 'maven'
    assert list(info['request']) == ['git://example.com/p#1', 'mv', {}]
    assert info['priority'] == koji.PRIO_DEFAULT + 5
    chan = db.QueryProcessor(columns=['name'], tables=['channels'],
                             clauses=['id = %(id)s'],
                             values={'id': info['channel_id']}).singleValue()
    assert chan == 'maven'
    msg = world.fails('alice', koji.ActionNotAllowed, root.mavenBuild, 'git://x#1', 'mv',
                      None, -1)
    assert msg == 'only admins may create high-priority tasks'


def test_wrapper_rpm_refuses_build_with_rpms_and_passes_records(world):
    world.env.act('tadmin')
    build_id = create_empty_build('wr-pkg', '1', '1', None)
    world.env.act('alice', 'wrapperRPM')
    task_id = root.wrapperRPM(build_id, 'git://example.com/spec#1', 'mv',
                              None, 'maven', {'repo_id': 3})
    req = get_task_info(task_id, request=True)['request']
    assert req[0] == 'git://example.com/spec#1'
    assert req[1]['name'] == 'mv' and req[1]['build_tag_name'] == 'mv-build'
    assert req[2]['id'] == build_id
    assert req[3] is None and req[4] == {}
    db._dml("INSERT INTO rpminfo (id, build_id, name, version, release, epoch, arch, "
            "payloadhash, size, buildtime, external_repo_id, draft) VALUES "
            "(nextval('rpminfo_id_seq'), %(b)s, 'wr-pkg', '1', '1', NULL, 'noarch', "
            "'00', 1, 1, 0, FALSE)", {'b': build_id})
    msg = world.fails('alice', koji.PreBuildError, root.wrapperRPM, build_id, 'git://x#1',
                      'mv')
    assert msg == 'wrapper rpms for wr-pkg-1-1 have already been built'


def test_win_build_checks_vm_policy_and_waits_in_vm_channel(world):
    msg = world.fails('alice', koji.ActionNotAllowed, root.winBuild, 'win7', 'git://x#1',
                      'mv')
    assert 'Only admin/win-admin can do this via default policy' in msg
    world.env.act('tadmin', 'winBuild')
    task_id = root.winBuild('win7', 'git://x#1', 'mv')
    info = get_task_info(task_id, request=True)
    assert info['method'] == 'winbuild' and info['state'] == koji.TASK_STATES['FREE']
    assert list(info['request']) == ['win7', 'git://x#1', 'mv', {}]
    chan = db.QueryProcessor(columns=['name'], tables=['channels'],
                             clauses=['id = %(id)s'],
                             values={'id': info['channel_id']}).singleValue()
    assert chan == 'vm'


def test_build_image_perms_channels_and_arches(world):
    msg = world.fails('alice', koji.GenericError, root.buildImage, 'n', '1', 'x86_64', 'mv',
                      'a.ks', 'floppy')
    assert msg == 'Unrecognized image type: floppy'
    msg = world.fails('alice', koji.ActionNotAllowed, root.buildImage, 'n', '1', 'x86_64',
                      'mv', 'a.ks', 'livecd')
    assert 'livecd' in msg
    world.env.act('tadmin')
    grant_permission('alice', 'livemedia', create=True)
    world.env.act('alice', 'buildImage')
    task_id = root.buildImage('n', '1', 'x86_64', 'mv', 'a.ks', 'livemedia', {'k': 1})
    info = get_task_info(task_id, request=True)
    assert info['method'] == 'livemedia' and info['arch'] == 'noarch'
    assert list(info['request']) == ['n', '1', 'x86_64', 'mv', 'a.ks', {'k': 1}]
    world.env.act('tadmin', 'buildImage')
    task_id = root.buildImage('n', '1', 'i686', 'mv', 'a.ks', 'appliance')
    assert get_task_info(task_id)['arch'] == 'i686'


def test_build_image_indirection_and_oz(world):
    msg = world.fails('tadmin', koji.ActionNotAllowed, root.buildImageIndirection, {})
    assert msg == 'Non-scratch builds must provide url for the indirection template'
    world.env.act('tadmin', 'buildImageIndirection')
    task_id = root.buildImageIndirection({'scratch': True, 'arch': 'x86_64'})
    info = get_task_info(task_id, request=True)
    assert info['method'] == 'indirectionimage' and info['arch'] == 'x86_64'
    world.fails('alice', koji.ActionNotAllowed, root.buildImageOz, 'n', '1', ['x86_64'],
                'mv', 'http://tree')
    world.env.act('tadmin', 'buildImageOz')
    task_id = root.buildImageOz('n', '1', ['x86_64'], 'mv', 'http://tree', {})
    assert list(get_task_info(task_id, request=True)['request']) == \
        ['n', '1', ['x86_64'], 'mv', 'http://tree', {}]


# -- maven host calls ------------------------------------------------------------------

def _maven_output(world, task_id):
    world.write(task_id, 'org/example/demo/1.2/demo-1.2.pom', POM % 'demo')
    world.write(task_id, 'org/example/demo/1.2/demo-1.2.jar', 'jar')
    world.write(task_id, 'org/example/demo/1.2/demo-1.2.jar.md5', 'ignored')
    world.write(task_id, 'org/example/demo/maven-metadata.xml', '<metadata/>')
    world.write(task_id, 'maven.log', 'log')
    return {'task_id': task_id, 'buildroot_id': None,
            'files': {'org/example/demo/1.2': ['demo-1.2.pom', 'demo-1.2.jar',
                                               'demo-1.2.jar.md5'],
                      'org/example/demo': ['maven-metadata.xml']},
            'logs': ['maven.log']}


def test_init_and_complete_maven_build(world):
    task_id = world.task('mavenBuild', ['git://example.com/demo#1', 'mv'])
    world.env.act('b1', 'host.initMavenBuild')
    maven_info = {'group_id': 'org.example', 'artifact_id': 'demo', 'version': '1.2'}
    data = host.initMavenBuild(task_id, {'name': 'org.example-demo', 'version': '1.2',
                                         'epoch': None, 'release': 'x'}, maven_info)
    assert data['release'] == '1'
    binfo = get_build(data['id'], strict=True)
    assert binfo['state'] == BS['BUILDING'] and binfo['owner_name'] == 'alice'
    results = _maven_output(world, task_id)
    world.env.act('b1', 'host.completeMavenBuild')
    host.completeMavenBuild(task_id, data['id'], results, None)
    binfo = get_build(data['id'], strict=True)
    assert binfo['state'] == BS['COMPLETE']
    archives = list_archives(buildID=data['id'], type='maven')
    assert sorted(a['filename'] for a in archives) == ['demo-1.2.jar', 'demo-1.2.pom']
    assert {(a['group_id'], a['artifact_id'], a['version']) for a in archives} == \
        {('org.example', 'demo', '1.2')}
    mdir = koji.pathinfo.mavenbuild(binfo)
    meta = os.path.join(mdir, 'org/example/demo/maven-metadata.xml')
    assert os.path.isfile(meta)
    with open(meta + '.sha1') as fo:
        assert fo.read() == hashlib.sha1(b'<metadata/>').hexdigest()
    assert os.path.isfile(os.path.join(mdir, 'org/example/demo/1.2/demo-1.2.jar'))
    assert os.path.isfile(os.path.join(koji.pathinfo.build_logs(binfo), 'maven', 'maven.log'))
    # a second build of the same version gets the next release
    task2 = world.task('mavenBuild', ['git://example.com/demo#2', 'mv'])
    world.env.act('b1', 'host.initMavenBuild')
    data2 = host.initMavenBuild(task2, {'name': 'org.example-demo', 'version': '1.2',
                                        'epoch': None}, maven_info)
    assert data2['release'] == '2'


def test_complete_maven_build_failure_moves_nothing(world):
    task_id = world.task('mavenBuild', ['git://example.com/demo#1', 'mv'])
    world.env.act('b1', 'host.initMavenBuild')
    maven_info = {'group_id': 'org.example', 'artifact_id': 'demo', 'version': '1.2'}
    data = host.initMavenBuild(task_id, {'name': 'org.example-demo', 'version': '1.2',
                                         'epoch': None}, maven_info)
    results = _maven_output(world, task_id)
    world.write(task_id, 'org/example/demo/1.2/demo-1.2.weird', 'x')
    results['files']['org/example/demo/1.2'].append('demo-1.2.weird')
    msg = world.fails('b1', koji.BuildError, host.completeMavenBuild, task_id, data['id'],
                      results, None)
    assert msg == 'unsupported file type: demo-1.2.weird'
    jar = os.path.join(koji.pathinfo.task(task_id), 'org/example/demo/1.2/demo-1.2.jar')
    assert os.path.isfile(jar) and not os.path.islink(jar)
    assert get_build(data['id'])['state'] == BS['BUILDING']
    results['files']['org/example/demo/1.2'] = ['../../../../../../etc/passwd']
    world.fails('b1', koji.GenericError, host.completeMavenBuild, task_id, data['id'],
                results, None)


def test_maven_host_calls_need_the_task_host(world):
    task_id = world.task('mavenBuild', ['git://example.com/demo#1', 'mv'])
    world.env.add_host('b2')
    world.fails('b2', koji.ActionNotAllowed, host.initMavenBuild, task_id,
                {'name': 'x', 'version': '1'}, {})
    world.fails('alice', koji.AuthError, host.initMavenBuild, task_id,
                {'name': 'x', 'version': '1'}, {})


def test_move_maven_build_to_scratch(world):
    task_id = world.task('mavenBuild', ['git://example.com/demo#1', 'mv',
                                        {'scratch': True}])
    results = _maven_output(world, task_id)
    world.env.act('b1', 'host.moveMavenBuildToScratch')
    host.moveMavenBuildToScratch(task_id, results, None)
    dest = os.path.join(koji.pathinfo.scratch(), 'alice', 'task_%s' % task_id)
    assert os.path.isfile(os.path.join(dest, 'org/example/demo/1.2/demo-1.2.jar'))
    assert os.path.isfile(os.path.join(dest, 'maven.log'))


# -- windows ---------------------------------------------------------------------------

def test_init_and_complete_win_build(world):
    world.env.act('tadmin', 'winBuild')
    task_id = root.winBuild('win7', 'git://x#1', 'mv')
    world.env.act('b1', 'host.openTask')
    host.openTask(task_id)
    world.env.act('b1', 'host.initWinBuild')
    data = host.initWinBuild(task_id, {'name': 'wpkg', 'version': '1', 'release': '1',
                                       'epoch': None}, {'platform': 'w7'})
    world.write(task_id, 'bin/tool.exe', 'MZ')
    world.write(task_id, 'build.log', 'log')
    world.write(task_id, 'sub/more.log', 'log')
    results = {'task_id': task_id, 'buildroot_id': None, 'logs': ['build.log', 'sub/more.log'],
               'output': {'bin/tool.exe': {'platforms': ['w7'], 'flags': ['debug']}}}
    world.env.act('b1', 'host.completeWinBuild')
    host.completeWinBuild(task_id, data['id'], results, None)
    binfo = get_build(data['id'], strict=True)
    assert binfo['state'] == BS['COMPLETE']
    [archive] = list_archives(buildID=data['id'], type='win')
    assert (archive['relpath'], archive['platforms'], archive['flags']) == \
        ('bin', 'w7', 'debug')
    assert os.path.isfile(os.path.join(koji.pathinfo.winbuild(binfo), 'bin', 'tool.exe'))
    logs = koji.pathinfo.build_logs(binfo)
    assert os.path.isfile(os.path.join(logs, 'win', 'build.log'))
    assert os.path.isfile(os.path.join(logs, 'win', 'sub', 'more.log'))


# -- images ----------------------------------------------------------------------------

def test_init_and_complete_image_build(world):
    world.env.act('tadmin')
    ext = root.createExternalRepo('ext1', 'http://ext.example.com/repo/')
    task_id = world.task('buildImage', ['img', '1', 'x86_64', 'mv', 'a.ks', 'livecd'],
                         who='tadmin')
    world.env.act('b1', 'host.initImageBuild')
    data = host.initImageBuild(task_id, {'name': 'img', 'version': '1', 'epoch': None})
    assert data['release'] == '1'
    world.write(task_id, 'img.iso', 'ISO')
    world.write(task_id, 'img.ks', 'ks')
    world.write(task_id, 'livecd.log', 'log')
    rpm = {'name': 'bash', 'version': '5', 'release': '1', 'epoch': None, 'arch': 'x86_64',
           'payloadhash': 'ab' * 16, 'size': 10, 'buildtime': 1, 'location': 'ext1'}
    results = {'x86_64': {'arch': 'x86_64', 'task_id': task_id, 'logs': ['livecd.log'],
                          'files': ['img.iso', 'img.ks'], 'rpmlist': [rpm]}}
    world.env.act('b1', 'host.completeImageBuild')
    host.completeImageBuild(task_id, data['id'], results)
    binfo = get_build(data['id'], strict=True)
    assert binfo['state'] == BS['COMPLETE']
    archives = {a['filename']: a for a in list_archives(buildID=data['id'], type='image')}
    assert sorted(archives) == ['img.iso', 'img.ks']
    assert archives['img.iso']['arch'] == 'x86_64'
    comps = root.listRPMs(imageID=archives['img.iso']['id'])
    assert [r['name'] for r in comps] == ['bash'] and comps[0]['external_repo_id'] == ext['id']
    assert os.path.isfile(os.path.join(koji.pathinfo.build(binfo), 'data/logs/image',
                                       'livecd.log'))
    assert os.path.isfile(os.path.join(koji.pathinfo.imagebuild(binfo), 'img.iso'))


def test_move_image_build_to_scratch(world):
    task_id = world.task('buildImage', ['img', '1', 'x86_64', 'mv', 'a.ks', 'livecd',
                                        {'scratch': True}], who='tadmin')
    world.write(task_id, 'img.iso', 'ISO')
    world.write(task_id, 'livecd.log', 'log')
    results = {'x86_64': {'arch': 'x86_64', 'task_id': task_id, 'logs': ['livecd.log'],
                          'files': ['img.iso'], 'rpmlist': []},
               'i386': {}}
    world.env.act('b1', 'host.moveImageBuildToScratch')
    host.moveImageBuildToScratch(task_id, results)
    dest = os.path.join(koji.pathinfo.scratch(), 'tadmin', 'task_%s' % task_id)
    assert os.path.isfile(os.path.join(dest, 'img.iso'))
    assert os.path.isfile(os.path.join(dest, 'livecd.log'))


# -- host.importArchive, importWrapperRPMs -------------------------------------------------

def test_host_import_archive(world):
    world.env.act('tadmin')
    build_id = create_empty_build('ia-pkg', '1', '1', None)
    world.env.act('b1', 'host.createMavenBuild')
    host.createMavenBuild(build_id, {'group_id': 'g', 'artifact_id': 'ia', 'version': '1'})
    path = os.path.join(koji.pathinfo.work(), 'imports', 'ia-1.jar')
    os.makedirs(os.path.dirname(path))
    with open(path, 'w') as fo:
        fo.write('jar')
    msg = world.fails('b1', koji.GenericError, host.importArchive, path, build_id, 'image',
                      {'arch': 'x86_64'})
    assert msg == 'unsupported archive type: image'
    msg = world.fails('b1', koji.GenericError, host.importArchive, '/etc/passwd', build_id,
                      'maven', {})
    assert msg == 'Invalid file path: /etc/passwd'
    world.fails('alice', koji.AuthError, host.importArchive, path, build_id, 'maven', {})
    world.env.act('b1', 'host.importArchive')
    host.importArchive(path, build_id, 'maven',
                       {'group_id': 'g', 'artifact_id': 'ia', 'version': '1'})
    [archive] = list_archives(buildID=build_id, type='maven')
    assert (archive['filename'], archive['group_id']) == ('ia-1.jar', 'g')
    context.opts['EnableMaven'] = False
    msg = world.fails('b1', koji.GenericError, host.importArchive, path, build_id, 'maven', {})
    assert msg == 'Maven support not enabled'


def test_import_wrapper_rpms_refusals(world):
    task_id = world.task('mavenBuild', ['git://example.com/demo#1', 'mv'])
    world.env.act('b1', 'host.initMavenBuild')
    data = host.initMavenBuild(task_id, {'name': 'org.example-demo', 'version': '1.2',
                                         'epoch': None},
                               {'group_id': 'org.example', 'artifact_id': 'demo',
                                'version': '1.2'})
    results = {'srpm': 'x.src.rpm', 'rpms': [], 'logs': []}
    msg = world.fails('b1', koji.GenericError, host.importWrapperRPMs, task_id, data['id'],
                      results)
    assert msg == ('cannot import wrapper rpms for org.example-demo-1.2-1: build state is '
                   'building, not complete')
    msg = world.fails('b1', koji.ParameterError, host.completeMavenBuild, task_id,
                      data['id'], {'task_id': task_id, 'files': {}}, None)
    assert msg == 'Missing logs in maven_results'


def test_move_win_build_to_scratch_and_switch(world):
    world.env.act('tadmin', 'winBuild')
    task_id = root.winBuild('win7', 'git://x#1', 'mv', {'scratch': True})
    world.env.act('b1', 'host.openTask')
    host.openTask(task_id)
    world.write(task_id, 'out/tool.exe', 'MZ')
    world.write(task_id, 'build.log', 'log')
    results = {'task_id': task_id, 'logs': ['build.log'], 'output': {'out/tool.exe': {}}}
    context.opts['EnableWin'] = False
    msg = world.fails('b1', koji.GenericError, host.moveWinBuildToScratch, task_id, results,
                      None)
    assert msg == 'Windows support not enabled'
    context.opts['EnableWin'] = True
    world.env.act('b1', 'host.moveWinBuildToScratch')
    host.moveWinBuildToScratch(task_id, results, None)
    dest = os.path.join(koji.pathinfo.scratch(), 'tadmin', 'task_%s' % task_id)
    assert os.path.isfile(os.path.join(dest, 'out', 'tool.exe'))
    assert os.path.isfile(os.path.join(dest, 'build.log'))


def test_result_paths_stay_in_the_task_dir(world):
    task_id = world.task('mavenBuild', ['git://example.com/demo#1', 'mv', {'scratch': True}])
    other = world.task('mavenBuild', ['git://example.com/demo#2', 'mv', {'scratch': True}])
    secret = world.write(other, 'secret.log', 'other task')
    # a link in the task dir to a sibling task's dir does not make its files ours
    os.makedirs(koji.pathinfo.task(task_id), exist_ok=True)
    os.symlink(os.path.dirname(secret), os.path.join(koji.pathinfo.task(task_id), 'peek'))
    results = {'task_id': task_id, 'files': {}, 'logs': ['peek/secret.log']}
    msg = world.fails('b1', koji.GenericError, host.moveMavenBuildToScratch, task_id,
                      results, None)
    assert msg == 'Invalid path: peek/secret.log'
    assert os.path.isfile(secret) and not os.path.islink(secret)
