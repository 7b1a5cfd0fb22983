"""createMavenBuild / createWinBuild / createImageBuild, in-process on a real database.

These are what `koji import-archive --create-build` calls before the archive import.
"""

import pytest

import koji
from koji.context import context
from kojihub.builds.build_write import BuildWriteExports
from kojihub.builds.builds import get_build
from kojihub.core.db import QueryProcessor

api = BuildWriteExports()
NVR = {'name': 'typedpkg', 'version': '1.0', 'release': '2', 'epoch': None}
MAVEN = {'group_id': 'org.example', 'artifact_id': 'typed', 'version': '1.0'}


@pytest.fixture
def admin(topdir, make_user, login_as):
    make_user('typedadmin', perms=['admin'])
    return login_as('typedadmin')


COLUMNS = {
    'image_builds': ['build_id'],
    'maven_builds': ['build_id', 'group_id', 'artifact_id', 'version'],
    'win_builds': ['build_id', 'platform'],
}


def row(table, build_id):
    return QueryProcessor(columns=COLUMNS[table], tables=[table],
                          clauses=['build_id = %(id)s'], values={'id': build_id}).executeOne()


def btypes(build_id):
    rows = QueryProcessor(columns=['btype.name'], aliases=['name'], tables=['build_types'],
                          joins=['btype ON btype_id = btype.id'],
                          clauses=['build_id = %(id)s'], values={'id': build_id}).execute()
    return sorted(r['name'] for r in rows)


def test_image_build_created_from_nvr(admin):
    api.createImageBuild(dict(NVR))
    binfo = get_build('typedpkg-1.0-2', strict=True)
    assert koji.BUILD_STATES[binfo['state']] == 'COMPLETE'
    assert row('image_builds', binfo['id']) == {'build_id': binfo['id']}
    assert btypes(binfo['id']) == ['image']
    # a second call on the existing build changes nothing
    api.createImageBuild('typedpkg-1.0-2')
    assert btypes(binfo['id']) == ['image']


def test_image_build_missing_build_by_name(admin):
    with pytest.raises(koji.GenericError, match='No such build'):
        api.createImageBuild('nosuch-1-1')


def test_maven_build(admin):
    context.opts['EnableMaven'] = True
    build_id = api.createEmptyBuild('typedmvn', '1.0', '1', 3)
    api.createMavenBuild(build_id, dict(MAVEN))
    assert row('maven_builds', build_id) == dict(MAVEN, build_id=build_id)
    assert btypes(build_id) == ['maven']
    api.createMavenBuild(build_id, dict(MAVEN))  # same facts: fine
    with pytest.raises(koji.BuildError, match='version mismatch'):
        api.createMavenBuild(build_id, dict(MAVEN, version='2.0'))
    with pytest.raises(koji.GenericError, match='Missing maven info: group_id'):
        api.createMavenBuild(dict(NVR, name='typedmvn2'), {'artifact_id': 'a', 'version': '1'})


def test_maven_needs_enable_maven(admin):
    context.opts['EnableMaven'] = False
    with pytest.raises(koji.GenericError, match='Maven support not enabled'):
        api.createMavenBuild(dict(NVR), dict(MAVEN))
    assert get_build('typedpkg-1.0-2') is None


def test_win_build(admin):
    context.opts['EnableWin'] = True
    api.createWinBuild(dict(NVR), {'platform': 'import'})
    binfo = get_build('typedpkg-1.0-2', strict=True)
    assert row('win_builds', binfo['id']) == {'build_id': binfo['id'], 'platform': 'import'}
    api.createWinBuild(binfo['id'], {'platform': 'w10'})
    assert row('win_builds', binfo['id'])['platform'] == 'w10'
    assert btypes(binfo['id']) == ['win']


def test_draft_refused(admin):
    build_id = api.createEmptyBuild('typeddraft', '1', '1', None, draft=True)
    with pytest.raises(koji.GenericError, match='draft'):
        api.createImageBuild(build_id)


def test_permissions(topdir, make_user, login_as):
    make_user('typednobody')
    login_as('typednobody')
    context.opts['EnableMaven'] = context.opts['EnableWin'] = True
    for call, args in ((api.createImageBuild, (dict(NVR),)),
                       (api.createMavenBuild, (dict(NVR), dict(MAVEN))),
                       (api.createWinBuild, (dict(NVR), {'platform': 'x'}))):
        with pytest.raises(koji.ActionNotAllowed):
            call(*args)
    make_user('typedimager', perms=['image-import'])
    login_as('typedimager')
    api.createImageBuild(dict(NVR))
    assert get_build('typedpkg-1.0-2')['owner_name'] == 'typedimager'
