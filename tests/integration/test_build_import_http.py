"""The rpm build host calls over HTTP: a builder uploads real rpms with uploadWrapper and
imports them; other hosts and plain users are refused."""
import os

import pytest

import koji
from tests.cli.rpmkit import build_kit
from tests.fixtures.sessions import make_builder


@pytest.fixture(scope='module')
def builders(hub_server, admin):
    one = make_builder(hub_server, admin, 'bibuilder1')
    two = make_builder(hub_server, admin, 'bibuilder2')
    yield one, two
    one[1].logout()
    two[1].logout()


@pytest.fixture(scope='module')
def target(admin):
    admin.createTag('bi-build', arches='x86_64')
    admin.createTag('bi-dest')
    admin.createBuildTarget('bi', 'bi-build', 'bi-dest')
    admin.packageListAdd('bi-dest', 'bi-pkg', owner=admin.getLoggedInUser()['name'])
    return 'bi'


def take(admin, host, task_id, hostname):
    """Put the task on the builder by hand (no scheduler pass to wait for) and open it."""
    assert admin.assignTask(task_id, hostname, force=True, override=True)
    return host.host.openTask(task_id)


def upload(session, kit, task_id):
    """Upload the kit's files the way kojid's tasks do; returns work-relative paths."""
    reldir = koji.pathinfo.taskrelpath(task_id)
    paths = []
    for path in kit.paths:
        session.uploadWrapper(path, reldir)
        paths.append(os.path.join(reldir, os.path.basename(path)))
    return paths[0], paths[1:]


def test_build_flow_over_http(hub_server, admin, builders, target, tmp_path):
    (host1_id, host1), (_host2_id, host2) = builders
    kit = build_kit(tmp_path / 'kit', 'bi-pkg', '1.0', '1', noarch=True)
    task_id = admin.build('git+https://example.com/bi-pkg#1', target, {})
    take(admin, host1, task_id, 'bibuilder1')
    data = {'name': 'bi-pkg', 'version': '1.0', 'release': '1', 'epoch': None,
            'task_id': task_id}
    # another host, or a user who is no host, cannot act for the task
    with pytest.raises(koji.ActionNotAllowed):
        host2.host.initBuild(data)
    with pytest.raises(koji.AuthError):
        admin.host.initBuild(data)
    build_id = host1.host.initBuild(data)
    assert admin.getBuild(build_id)['state'] == koji.BUILD_STATES['BUILDING']
    srpm, rpms = upload(host1, kit, task_id)
    log = os.path.join(koji.pathinfo.taskrelpath(task_id), 'build.log')
    logfile = tmp_path / 'build.log'
    logfile.write_text('built\n')
    host1.uploadWrapper(str(logfile), koji.pathinfo.taskrelpath(task_id))
    with pytest.raises(koji.ActionNotAllowed):
        host2.host.completeBuild(task_id, build_id, srpm, rpms, None, {'noarch': [log]})
    with pytest.raises(koji.AuthError):
        admin.host.completeBuild(task_id, build_id, srpm, rpms, None, {'noarch': [log]})
    result = host1.host.completeBuild(task_id, build_id, srpm, rpms, None,
                                      {'noarch': [log]})
    assert result['id'] == build_id
    assert result['state'] == koji.BUILD_STATES['COMPLETE']
    listed = admin.listBuildRPMs(build_id)
    assert sorted(r['arch'] for r in listed) == ['noarch', 'src']
    assert [entry['name'] for entry in admin.getBuildLogs(build_id)] == ['build.log']
    binfo = admin.getBuild(build_id)
    stored = os.path.join(hub_server.topdir, 'packages', 'bi-pkg', '1.0', '1', 'noarch',
                          os.path.basename(rpms[0]))
    assert os.path.isfile(stored)
    assert binfo['owner_name'] == hub_server.admin_user
    with pytest.raises(koji.GenericError) as exc:
        host1.host.failBuild(task_id, build_id)
    assert 'cannot update build %i, state: COMPLETE' % build_id in str(exc.value)
    with pytest.raises(koji.ActionNotAllowed):
        host2.host.moveBuildToScratch(task_id, srpm, rpms)
