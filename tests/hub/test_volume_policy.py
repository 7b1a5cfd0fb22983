"""The volume policy: applyVolumePolicy on real imported rpm builds, check_volume_policy."""
import os

import pytest

import koji
from koji.context import context
from kojihub.core import policy
from kojihub.builds.build_write import BuildWriteExports, check_volume_policy
from kojihub.builds.builds import get_build
from kojihub.core.db import UpdateProcessor
from kojihub.builds.rpms import RpmExports
from kojihub.tasks.task_actions import make_task
from kojihub.builds.volumes import VolumeExports

from tests.hub.test_rpms import import_build

vapi = VolumeExports()
rapi = RpmExports()


@pytest.fixture
def admin(make_user, login_as):
    make_user('voladmin', perms=['admin'])
    return login_as('voladmin')


def add_volume(top, name):
    os.makedirs(os.path.join(top, 'vol', name))
    return vapi.addVolume(name)


def use_volume_policy(text):
    context.opts = dict(context.opts, policy={'volume': text})
    context.policy = policy.load_policies(context.opts)


def same_content(a, b):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def test_policy_moves_imported_rpm_build(topdir, admin, rpm_builds):
    fast = add_volume(topdir, 'fast')
    use_volume_policy('package %s :: fast\nall :: DEFAULT\n' % rpm_builds.arch.name)
    records = import_build(rpm_builds.arch)
    others = import_build(rpm_builds.noarch, reldir='cli-import/other')
    binfo = get_build(records[0]['build_id'], strict=True)
    # importRPM itself leaves new builds on DEFAULT, as upstream's does
    assert binfo['volume_name'] == 'DEFAULT'
    old_dir = koji.pathinfo.build(binfo)
    assert old_dir == os.path.join(topdir, 'packages', binfo['name'], binfo['version'],
                                   binfo['release'])

    assert vapi.applyVolumePolicy(binfo['nvr']) is None
    moved = get_build(binfo['id'], strict=True)
    assert (moved['volume_id'], moved['volume_name']) == (fast['id'], 'fast')
    new_dir = koji.pathinfo.build(moved)
    assert new_dir == os.path.join(topdir, 'vol', 'fast', 'packages', binfo['name'],
                                   binfo['version'], binfo['release'])
    for path, rec in zip(rpm_builds.arch.paths, records):
        stored = os.path.join(new_dir, koji.pathinfo.rpm(rec))
        assert os.path.isfile(stored) and not os.path.islink(stored)
        assert same_content(path, stored)
        assert os.path.isfile(os.path.join(new_dir, koji.pathinfo.sighdr(rec, '')))
    # the DEFAULT location now leads to the volume
    assert os.path.islink(old_dir)
    assert os.path.realpath(old_dir) == os.path.realpath(new_dir)
    # header reads find the moved file
    rpm = records[1]
    assert rapi.getRPMHeaders(rpm['id'], headers=['name'])['name'] == rpm['name']
    assert rapi.listRPMFiles(rpm['id'])

    # the policy keeps the other build where it is, and re-running is a no-op
    other = get_build(others[0]['build_id'], strict=True)
    vapi.applyVolumePolicy(other['id'])
    vapi.applyVolumePolicy(binfo['id'])
    assert get_build(other['id'])['volume_name'] == 'DEFAULT'
    assert get_build(binfo['id'])['volume_name'] == 'fast'
    assert os.path.isdir(koji.pathinfo.build(other))

    # and a policy sending everything home moves it back
    use_volume_policy('all :: DEFAULT\n')
    vapi.applyVolumePolicy(binfo['id'])
    assert get_build(binfo['id'])['volume_name'] == 'DEFAULT'
    assert not os.path.islink(old_dir)
    assert same_content(rpm_builds.arch.paths[0],
                        os.path.join(old_dir, koji.pathinfo.rpm(records[0])))
    assert not os.path.exists(new_dir)


def test_policy_sees_the_build_task(topdir, admin):
    add_volume(topdir, 'special')
    # target is only known from the task's params
    use_volume_policy('match target trg :: special\nall :: DEFAULT\n')
    task_id = make_task('build', ['git+https://example.com/special/pkg.git#abc', 'trg', {}])
    plain = BuildWriteExports().createEmptyBuild('vp-plain', '1', '1', None)
    tasked = BuildWriteExports().createEmptyBuild('vp-tasked', '1', '1', None)
    UpdateProcessor('build', data={'task_id': task_id}, clauses=['id = %(id)s'],
                    values={'id': tasked}).execute()
    vapi.applyVolumePolicy(plain)
    vapi.applyVolumePolicy(tasked)
    assert get_build(plain)['volume_name'] == 'DEFAULT'
    assert get_build(tasked)['volume_name'] == 'special'


def test_bad_policy_answers(topdir, admin):
    build_id = BuildWriteExports().createEmptyBuild('vp-bad', '1', '1', None)
    use_volume_policy('all :: nowhere\n')
    vapi.applyVolumePolicy(build_id)
    assert get_build(build_id)['volume_name'] == 'DEFAULT'
    with pytest.raises(koji.GenericError, match='no such volume: nowhere'):
        vapi.applyVolumePolicy(build_id, strict=True)
    use_volume_policy('package other-* :: DEFAULT\n')
    vapi.applyVolumePolicy(build_id)
    with pytest.raises(koji.GenericError, match='No volume policy match'):
        vapi.applyVolumePolicy(build_id, strict=True)
    with pytest.raises(koji.GenericError, match='No such build'):
        vapi.applyVolumePolicy('vp-missing-1-1')
    # the target volume must still have its directory
    gone = add_volume(topdir, 'gone')
    os.unlink(os.path.join(topdir, 'vol', 'gone', 'toplink'))
    os.rmdir(os.path.join(topdir, 'vol', 'gone'))
    use_volume_policy('all :: gone\n')
    with pytest.raises(koji.GenericError, match='Directory entry missing'):
        vapi.applyVolumePolicy(build_id)
    assert get_build(build_id)['volume_id'] != gone['id']


def test_check_volume_policy_fallbacks(topdir, admin):
    add_volume(topdir, 'fb')
    use_volume_policy('package pick-me :: fb\npackage broken :: nowhere\n')
    assert check_volume_policy({'package': 'pick-me'})['name'] == 'fb'
    assert check_volume_policy({'package': 'other'}) is None
    assert check_volume_policy({'package': 'other'}, default='DEFAULT') == \
        {'id': 0, 'name': 'DEFAULT'}
    assert check_volume_policy({'package': 'broken'}, default='fb')['name'] == 'fb'
    assert check_volume_policy({'package': 'broken'}, default='nope') is None
    with pytest.raises(koji.GenericError, match='Invalid default volume'):
        check_volume_policy({'package': 'other'}, strict=True, default='nope')
    # a test that blows up counts as no answer unless strict
    use_volume_policy('policy no-such-policy :: fb\n')
    assert check_volume_policy({'package': 'x'}, default=0)['id'] == 0
    assert check_volume_policy({'package': 'x'}) is None
    with pytest.raises(koji.GenericError, match='no such policy'):
        check_volume_policy({'package': 'x'}, strict=True)


def test_apply_needs_admin(topdir, make_user, login_as):
    make_user('volpeon')
    login_as('volpeon')
    with pytest.raises(koji.ActionNotAllowed):
        vapi.applyVolumePolicy(1)
