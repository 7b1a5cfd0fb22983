"""Build targets (create/edit/delete, getBuildTarget(s)), in-process on a real database."""
import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.tags.tags import TagExports
from kojihub.tags.targets import TargetExports

TARGET_KEYS = {'build_tag', 'build_tag_name', 'dest_tag', 'dest_tag_name', 'id', 'name'}


class PerCall(object):
    """Exports wrapper giving each call its own event, as separate hub calls would get."""

    def __init__(self, exports):
        self.exports = exports

    def __getattr__(self, name):
        func = getattr(self.exports, name)

        def call(*args, **kwargs):
            context.event_id = None
            return func(*args, **kwargs)
        return call


api = PerCall(TargetExports)
tapi = PerCall(TagExports)


@pytest.fixture
def tags(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')
    return {name: tapi.createTag(name) for name in ('f40-build', 'f40', 'f41-build', 'f41')}


def test_create_and_get(tags):
    assert api.createBuildTarget('f40-candidate', 'f40-build', tags['f40']) is None
    target = api.getBuildTarget('f40-candidate')
    assert set(target) == TARGET_KEYS
    assert target['name'] == 'f40-candidate'
    assert (target['build_tag'], target['build_tag_name']) == (tags['f40-build'], 'f40-build')
    assert (target['dest_tag'], target['dest_tag_name']) == (tags['f40'], 'f40')
    assert api.getBuildTarget(target['id']) == target
    assert api.getBuildTarget({'name': 'f40-candidate'}) == target
    assert api.getBuildTargets() == [target]
    assert api.getBuildTarget('nosuch') is None
    with pytest.raises(koji.GenericError, match='^No such build target: nosuch$') as exc:
        api.getBuildTarget('nosuch', strict=True)
    assert exc.value.faultCode == 1000
    with pytest.raises(koji.ParameterError, match=r"^Invalid name or id value: \['x'\]$"):
        api.getBuildTarget(['x'])


def test_create_faults(tags):
    api.createBuildTarget('t1', 'f40-build', 'f40')
    with pytest.raises(koji.GenericError, match='already exists'):
        api.createBuildTarget('t1', 'f40-build', 'f40')
    with pytest.raises(koji.GenericError, match="build tag 'nosuch' does not exist"):
        api.createBuildTarget('t2', 'nosuch', 'f40')
    with pytest.raises(koji.GenericError, match="destination tag 'nosuch' does not exist"):
        api.createBuildTarget('t2', 'f40-build', 'nosuch')
    with pytest.raises(koji.GenericError, match='RegexNameInternal'):
        api.createBuildTarget('bad name', 'f40-build', 'f40')
    assert [t['name'] for t in api.getBuildTargets()] == ['t1']


def test_filters_and_query_opts(tags):
    api.createBuildTarget('f40-candidate', 'f40-build', 'f40')
    api.createBuildTarget('f40-side', 'f40-build', 'f41')
    api.createBuildTarget('f41-candidate', 'f41-build', 'f41')
    by_name = lambda rows: sorted(r['name'] for r in rows)  # noqa: E731
    assert by_name(api.getBuildTargets(buildTagID=tags['f40-build'])) == \
        ['f40-candidate', 'f40-side']
    assert by_name(api.getBuildTargets(buildTagID='f40-build')) == \
        ['f40-candidate', 'f40-side']
    assert by_name(api.getBuildTargets(destTagID=tags['f41'])) == ['f40-side', 'f41-candidate']
    assert by_name(api.getBuildTargets(destTagID={'name': 'f41'},
                                       buildTagID='f41-build')) == ['f41-candidate']
    assert api.getBuildTargets(buildTagID='nosuch') == []
    assert api.getBuildTargets(queryOpts={'countOnly': True}) == 3
    assert [r['name'] for r in api.getBuildTargets(queryOpts={'order': '-name',
                                                              'limit': 2})] == \
        ['f41-candidate', 'f40-side']
    rows = api.getBuildTargets('f40-side', queryOpts={'asList': True})
    assert len(rows) == 1 and len(rows[0]) == 6
    # upstream's QueryProcessor raises a bare Exception (a faultCode 1 reply)
    with pytest.raises(Exception, match='^Invalid order: nosuch$'):
        api.getBuildTargets(queryOpts={'order': 'nosuch'})


def test_edit_and_delete_versioned(tags):
    api.createBuildTarget('cand', 'f40-build', 'f40')
    created = context.event_id
    target_id = api.getBuildTarget('cand')['id']
    api.editBuildTarget('cand', 'cand2', 'f41-build', 'f41')
    edited = context.event_id
    target = api.getBuildTarget(target_id)
    assert (target['name'], target['build_tag_name'], target['dest_tag_name']) == \
        ('cand2', 'f41-build', 'f41')
    assert api.getBuildTarget('cand') is None
    old = api.getBuildTarget(target_id, event=created)
    assert (old['build_tag_name'], old['dest_tag_name']) == ('f40-build', 'f40')
    rows = db._multiRow('SELECT create_event, revoke_event FROM build_target_config '
                        'WHERE build_target_id = %(t)s ORDER BY create_event',
                        {'t': target_id}, ['create', 'revoke'])
    assert rows == [{'create': created, 'revoke': edited}, {'create': edited, 'revoke': None}]
    api.createBuildTarget('other', 'f40-build', 'f40')
    with pytest.raises(koji.GenericError, match='already taken'):
        api.editBuildTarget('cand2', 'other', 'f41-build', 'f41')
    with pytest.raises(koji.GenericError, match='^No such build target: nosuch$'):
        api.editBuildTarget('nosuch', 'x', 'f41-build', 'f41')
    with pytest.raises(koji.GenericError, match="build tag 'nosuch' does not exist"):
        api.editBuildTarget('cand2', 'cand2', 'nosuch', 'f41')
    with pytest.raises(koji.GenericError, match='RegexNameInternal'):
        api.editBuildTarget('cand2', 'bad name', 'f41-build', 'f41')
    api.deleteBuildTarget('cand2')
    deleted = context.event_id
    assert api.getBuildTarget('cand2') is None
    assert api.getBuildTarget('cand2', event=deleted - 1)['id'] == target_id
    assert [t['name'] for t in api.getBuildTargets()] == ['other']
    with pytest.raises(koji.GenericError, match='^No such build target: nosuch$'):
        api.deleteBuildTarget('nosuch')
    # re-creating the name reuses the id
    api.createBuildTarget('cand2', 'f40-build', 'f40')
    assert api.getBuildTarget('cand2')['id'] == target_id


def test_target_permission(make_user, login_as):
    make_user('root', perms=['admin'])
    make_user('pleb', perms=['tag'])
    make_user('targeter', perms=['target'])
    login_as('root')
    tapi.createTag('b')
    tapi.createTag('d')
    context.cnx.commit()
    login_as('pleb')
    for call, args in ((api.createBuildTarget, ('t', 'b', 'd')),
                       (api.editBuildTarget, ('t', 't', 'b', 'd')),
                       (api.deleteBuildTarget, ('t',))):
        with pytest.raises(koji.ActionNotAllowed) as exc:
            call(*args)
        assert exc.value.faultCode == 1004
    login_as('targeter')
    api.createBuildTarget('t', 'b', 'd')
    api.editBuildTarget('t', 't', 'd', 'b')
    assert api.getBuildTarget('t')['build_tag_name'] == 'd'
    api.deleteBuildTarget('t')
    assert api.getBuildTargets() == []
