"""Volume calls on a real database and a private KojiDir."""
import os

import pytest

import koji
from koji.plugin import callbacks
from kojihub.core import db
from kojihub.builds.build_write import BuildWriteExports
from kojihub.builds.builds import get_build
from kojihub.tags.tags import create_tag
from kojihub.builds.volumes import VolumeExports

api = VolumeExports()


@pytest.fixture
def admin(make_user, login_as):
    make_user('voladmin', perms=['admin'])
    return login_as('voladmin')


def make_voldir(top, name):
    path = os.path.join(top, 'vol', name)
    os.makedirs(path)
    return path


def test_add_get_list_remove(topdir, admin):
    assert api.listVolumes() == [{'id': 0, 'name': 'DEFAULT'}]
    voldir = make_voldir(topdir, 'fast')
    info = api.addVolume('fast')
    assert set(info) == {'id', 'name'} and info['name'] == 'fast'
    toplink = os.path.join(voldir, 'toplink')
    assert os.path.islink(toplink)
    assert os.path.realpath(toplink) == os.path.realpath(topdir)
    assert api.getVolume('fast') == info
    assert api.getVolume(info['id']) == info
    assert api.getVolume('nope') is None
    with pytest.raises(koji.GenericError):
        api.getVolume('nope', strict=True)
    assert [v['name'] for v in api.listVolumes()] == ['DEFAULT', 'fast']
    with pytest.raises(koji.GenericError, match='already exists'):
        api.addVolume('fast')
    assert api.addVolume('fast', strict=False) == info
    api.removeVolume('fast')
    assert api.getVolume('fast') is None
    with pytest.raises(koji.GenericError):
        api.removeVolume('fast')


def test_add_volume_needs_dir_and_good_toplink(topdir, admin):
    with pytest.raises(koji.GenericError, match='volume directory'):
        api.addVolume('missing')
    voldir = make_voldir(topdir, 'bad')
    os.symlink('/', os.path.join(voldir, 'toplink'))
    with pytest.raises(koji.GenericError, match='toplink'):
        api.addVolume('bad')
    assert api.getVolume('bad') is None


def test_perms(topdir, make_user, login_as):
    make_voldir(topdir, 'v1')
    make_user('volnobody')
    login_as('volnobody')
    for call, args in ((api.addVolume, ('v1',)), (api.removeVolume, ('DEFAULT',)),
                       (api.changeBuildVolume, (1, 'DEFAULT'))):
        with pytest.raises(koji.ActionNotAllowed):
            call(*args)
    # reads are anonymous
    assert api.getVolume('DEFAULT')['id'] == 0


def test_remove_refused_with_builds(topdir, admin):
    make_voldir(topdir, 'busy')
    vol = api.addVolume('busy')
    build_id = BuildWriteExports().createEmptyBuild('volpkg', '1', '1', None)
    db.UpdateProcessor('build', data={'volume_id': vol['id']}, clauses=['id = %(id)s'],
                       values={'id': build_id}).execute()
    with pytest.raises(koji.GenericError, match='build references'):
        api.removeVolume('busy')
    assert api.getVolume('busy') == vol


def test_change_build_volume_moves_files(topdir, admin):
    make_voldir(topdir, 'archive')
    vol = api.addVolume('archive')
    build_id = BuildWriteExports().createEmptyBuild('movepkg', '2.0', '3', None)
    binfo = get_build(build_id, strict=True)
    base = koji.pathinfo.build(binfo)
    assert base == os.path.join(topdir, 'packages', 'movepkg', '2.0', '3')
    os.makedirs(os.path.join(base, 'noarch'))
    with open(os.path.join(base, 'noarch', 'movepkg-2.0-3.noarch.rpm'), 'w') as fp:
        fp.write('payload')
    tag_id = create_tag('vol-tag')
    insert = db.InsertProcessor('tag_listing', data={'build_id': build_id, 'tag_id': tag_id})
    insert.make_create()
    insert.execute()
    seen = []

    def cb(cbtype, **kw):
        seen.append((cbtype, kw['attribute'], kw['old'], kw['new']))
    callbacks['preBuildStateChange'].append(cb)
    callbacks['postBuildStateChange'].append(cb)
    try:
        api.changeBuildVolume(build_id, 'archive')
    finally:
        callbacks['preBuildStateChange'].remove(cb)
        callbacks['postBuildStateChange'].remove(cb)
    assert seen == [('preBuildStateChange', 'volume_id', 0, vol['id']),
                    ('postBuildStateChange', 'volume_id', 0, vol['id'])]
    moved = get_build(build_id, strict=True)
    assert moved['volume_name'] == 'archive'
    newdir = koji.pathinfo.build(moved)
    assert newdir == os.path.join(topdir, 'vol', 'archive', 'packages', 'movepkg', '2.0', '3')
    assert os.path.isfile(os.path.join(newdir, 'noarch', 'movepkg-2.0-3.noarch.rpm'))
    # the DEFAULT location keeps working through a symlink
    assert os.path.islink(base)
    assert os.path.realpath(base) == os.path.realpath(newdir)
    rows = db._multiRow('SELECT tag_id, update_type FROM tag_updates '
                        'WHERE tag_id = %(tag_id)s', {'tag_id': tag_id},
                        ['tag_id', 'update_type'])
    assert rows == [{'tag_id': tag_id,
                     'update_type': koji.TAG_UPDATE_TYPES['VOLUME_CHANGE']}]

    with pytest.raises(koji.GenericError, match='already on volume'):
        api.changeBuildVolume(build_id, 'archive')
    assert api.changeBuildVolume(build_id, 'archive', strict=False) is None

    # and back home: the symlink is replaced by the real directory
    api.changeBuildVolume(build_id, 'DEFAULT')
    assert not os.path.islink(base)
    assert os.path.isfile(os.path.join(base, 'noarch', 'movepkg-2.0-3.noarch.rpm'))
    assert not os.path.exists(newdir)
    assert get_build(build_id)['volume_id'] == 0


def test_change_build_volume_refuses_unfinished(topdir, admin):
    make_voldir(topdir, 'v2')
    api.addVolume('v2')
    build_id = BuildWriteExports().createEmptyBuild('failpkg', '1', '1', None)
    db.UpdateProcessor('build', data={'state': koji.BUILD_STATES['FAILED']},
                       clauses=['id = %(id)s'], values={'id': build_id}).execute()
    with pytest.raises(koji.GenericError, match='complete or deleted'):
        api.changeBuildVolume(build_id, 'v2')
    with pytest.raises(koji.GenericError):
        api.changeBuildVolume(build_id, 'no-such-volume')
