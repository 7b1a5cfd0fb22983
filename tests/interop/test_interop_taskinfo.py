"""``koji taskinfo -v``: the request parameter lines of every task method upstream's CLI
knows (and a few it does not), through upstream's client and ours on one hub.

The tasks are made with the makeTask hub call from argument lists shaped like the ones
the hub and kojid really send for each method.
"""
import pytest

import koji
from tests.interop.compare import same


@pytest.fixture(scope='module')
def admin(hub_server):
    session = koji.ClientSession(hub_server.url, {
        'max_retries': 1, 'retry_interval': 0, 'user': hub_server.admin_user,
        'password': hub_server.admin_password})
    session.login()
    yield session
    session.logout()


SCM = 'git+https://src.example.com/rpms/foo.git?pkg#0123abcd'


def task_args(admin):
    """[(method, arglist), ...] with real tags, a build and a user behind the ids."""
    tag_id = admin.createTag('ti-build', arches='x86_64')
    dest_id = admin.createTag('ti-dest')
    admin.createBuildTarget('ti-target', 'ti-build', 'ti-dest')
    build_id = admin.createEmptyBuild('ti-pkg', '1.0', '3', None)
    build = admin.getBuild(build_id)
    user = admin.getUser(admin.getLoggedInUser()['id'])
    target = admin.getBuildTarget('ti-target')
    build_tag = admin.getTag(tag_id)
    maven_task = {'id': 77, 'method': 'maven', 'arch': 'noarch',
                  'request': ['git://m.example.com/app.git#v1', 'ti-target', {}]}
    opts = {'repo_id': 12, 'scratch': True, '__starstar': True}
    return [
        ('buildSRPMFromSCM', [SCM, tag_id, {'repo_id': 12, 'scratch': False}]),
        ('buildSRPMFromCVS', ['cvs://cvs.example.com/cvs?rpms/foo#TAG_1', tag_id]),
        ('buildArch', ['cli-build/1700000000.1.AbCd/foo-1.0-3.src.rpm', tag_id, 'x86_64',
                       True, opts]),
        ('buildArch', ['tasks/1/1/foo.src.rpm', 999999, 'noarch', False]),
        ('buildArch', ['short.src.rpm']),
        ('tagBuild', [dest_id, build_id, False, None, True]),
        ('tagBuild', [999999, build_id, False, None, True]),
        ('buildNotification', [['a@example.com', 'b@example.com'], build, target,
                               'http://koji.example.com/koji/buildinfo?buildID=1']),
        ('build', [SCM, 'ti-target', {'scratch': True, 'arch_override': 'x86_64 noarch'}]),
        ('build', ['cli-build/1.2.x/foo-1.0-3.src.rpm', 'ti-target']),
        ('build', [SCM, 'ti-target', {}]),
        ('maven', ['git://m.example.com/app.git#v1', 'ti-target',
                   {'goals': ['install'], 'properties': {'a': 'b'}}]),
        ('buildMaven', ['git://m.example.com/app.git#v1', build_tag, {'jvm_options': []}]),
        ('wrapperRPM', ['git://m.example.com/spec.git#v2', build_tag, build, maven_task,
                        {'skip_tag': True}]),
        ('wrapperRPM', ['git://m.example.com/spec.git#v2', build_tag, None, None]),
        ('chainmaven', [{'app': {'scmurl': 'git://m.example.com/app.git#v1',
                                 'type': 'maven'},
                         'lib': {'scmurl': 'git://m.example.com/lib.git#v3',
                                 'buildrequires': ['app']}},
                        'ti-target', {'force': True}]),
        ('winbuild', ['win-2019', 'git://w.example.com/w.git#9', 'ti-target',
                      {'winspec': 'git://w.example.com/spec.git#1'}]),
        ('vmExec', ['win-2019', ['run', {'cpus': 2, 'mem': 4096}, 3], {'timeout': 60}]),
        ('createLiveCD', ['live', '1', '2', 'x86_64', target, build_tag,
                          {'id': 12, 'create_event': 5}, 'live.ks', {'scratch': True}]),
        ('createAppliance', ['app', '1', '2', 'x86_64', target, build_tag,
                             {'id': 12}, 'app.ks']),
        ('createLiveMedia', ['media', '1', '2', 'x86_64', target, build_tag, {'id': 12},
                             'media.ks', {}]),
        ('livecd', ['live', '1', ['x86_64', 'i686'], 'ti-target', 'live.ks',
                    {'scratch': True, 'release': '5'}]),
        ('appliance', ['app', '1', ['x86_64'], 'ti-target', 'app.ks']),
        ('livemedia', ['media', '1', ['x86_64'], 'ti-target', 'media.ks', {}]),
        ('newRepo', ['ti-build']),
        ('newRepo', ['no-such-tag']),
        ('prepRepo', [build_tag]),
        ('createrepo', [12, 'x86_64', {'id': 11, 'create_ts': 1700000000.25},
                        [{'external_repo_name': 'fedora'}, {'external_repo_name': 'epel'}]]),
        ('createrepo', [13, 'noarch', None]),
        ('tagNotification', [['a@example.com'], True, dest_id, tag_id, build_id, user['id'],
                             False, '']),
        ('tagNotification', [['a@example.com', 'c@example.com'], False, dest_id, None,
                             build_id, user['name'], True, 'policy says no']),
        ('dependantTask', [[1, 2], [['sleep', [1], {'priority': 5, 'arch': 'noarch'}],
                                    ['tagBuild', [dest_id, build_id]]]]),
        ('chainbuild', [[[SCM, 'git://h.example.com/b.git#1'], ['ti-pkg-1.0-3']],
                        'ti-target', {'scratch': False}]),
        ('waitrepo', ['ti-build', None, ['ti-pkg-1.0-3', 'other-1-1']]),
        ('waitrepo', ['ti-build', 1700000000.5, None]),
        # upstream prints no parameter lines for these
        ('distRepo', ['ti-build', 12, {'arch': ['x86_64'], 'inherit': False}]),
        ('createdistrepo', ['ti-build', 12, 'x86_64', {'arch': ['x86_64']}]),
        ('restart', [{'id': 1, 'name': 'builder1'}]),
        ('restartVerify', [5, {'id': 1, 'name': 'builder1'}]),
        ('restartHosts', [{'channel': 'default'}]),
        ('image', ['img', '1', ['x86_64'], 'ti-target', {'kickstart': 'x.ks'}]),
        ('indirectionimage', [{'name': 'i', 'version': '1', 'release': '1'}]),
        ('sleep', [3]),
    ]


@pytest.fixture(scope='module')
def task_ids(admin):
    ids = []
    for method, args in task_args(admin):
        ids.append((method, admin.makeTask(method, args)))
    return ids


def test_taskinfo_verbose_every_method(clients, task_ids):
    ids = [str(task_id) for _, task_id in task_ids]
    theirs = same(clients, 'taskinfo', '-v', *ids, noauth=True)
    out = theirs.stdout
    # upstream's own output shows each method got its lines (so a silent match can't pass)
    for expected in ('SCM URL: %s' % SCM, 'CVS URL: cvs://', 'SRPM Kept: True',
                     'Build Tag: 999999 (deleted)', 'Destination Tag: ti-dest',
                     'Web URL: http://koji.example.com', 'Options:\n    scratch: True',
                     'Task: 77 maven (ti-target, /app.git:v1)', 'Builds:\n    app\n',
                     'Exec Params:\n    run\n', 'Kickstart File: live.ks',
                     'Arches: [\'x86_64\', \'i686\']', 'Old Repo Creation: ',
                     'External Repos: fedora, epel', 'Moved From: ti-build',
                     'Failure Message: policy says no', 'Dependant Tasks: 1, 2',
                     'Build Groups:\n    1: ', 'Newer Than: 1700000000.5',
                     'Unable to parse task parameters'):
        assert expected in out, expected
    assert out.count('Unable to parse task parameters') == 3
    assert '__starstar' not in out


def test_taskinfo_recursive_verbose(clients, admin, task_ids):
    parent = admin.makeTask('build', [SCM, 'ti-target', {'scratch': True}])
    tag_id = admin.getTag('ti-build')['id']
    admin.makeTask('buildSRPMFromSCM', [SCM, tag_id, {'repo_id': 12}], parent=parent,
                   label='srpm')
    admin.makeTask('buildArch', ['x.src.rpm', tag_id, 'x86_64', True, {}], parent=parent,
                   label='x86_64')
    theirs = same(clients, 'taskinfo', '-r', '-v', str(parent), noauth=True)
    assert '\n  Type: buildArch\n  Request Parameters:\n    SRPM: ' in theirs.stdout
    same(clients, 'taskinfo', str(parent), noauth=True)
