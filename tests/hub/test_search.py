"""The search call, for every type and match mode, on a real database."""
import pytest

import koji
from kojihub.core import db
from kojihub.builds.build_write import BuildWriteExports
from kojihub.core.lookup import lookup_name
from kojihub.api.search import SearchExports, glob_to_like
from kojihub.tags.tags import create_tag, delete_tag
from kojihub.tags.targets import create_build_target

api = SearchExports()


def insert(table, **data):
    if 'id' not in data and 'archive_id' not in data:
        data['id'] = db.nextval('%s_id_seq' % table)
    db.InsertProcessor(table, data=data).execute()
    return data.get('id')


@pytest.fixture
def ids(hub_context, make_user, login_as):
    """One or two objects of every searchable type; returns their ids by label."""
    make_user('searcher', perms=['admin'])
    login_as('searcher')
    out = {}
    out['pkg'] = lookup_name('package', 'foo_bar', create=True)['id']
    out['pkg2'] = lookup_name('package', 'fooXbar', create=True)['id']
    out['build'] = BuildWriteExports().createEmptyBuild('foo_bar', '1.0', '2.fc40', None)
    out['tag'] = create_tag('f40-build')
    out['dead_tag'] = create_tag('f40-dead')
    delete_tag('f40-dead')
    create_build_target('f40-candidate', 'f40-build', 'f40-build')
    out['target'] = lookup_name('build_target', 'f40-candidate')['id']
    out['user'] = make_user('Searchable')['id']
    out['host'] = insert('host', user_id=out['user'], name='builder-01.example.com')
    out['rpm'] = insert('rpminfo', name='foo_bar', version='1.0', release='2.fc40',
                        arch='x86_64', build_id=out['build'], external_repo_id=0, draft=False,
                        payloadhash='00', size=1, buildtime=0)
    zip_type = lookup_name('archivetypes', 'zip')['id']
    out['jar'] = insert('archiveinfo', type_id=zip_type, build_id=out['build'],
                        filename='foo-bar-1.0.jar', size=1, checksum='x', checksum_type=0)
    insert('maven_archives', archive_id=out['jar'], group_id='org.foo', artifact_id='foo-bar',
           version='1.0')
    out['exe'] = insert('archiveinfo', type_id=zip_type, build_id=out['build'],
                        filename='Foo.exe', size=1, checksum='y', checksum_type=0)
    insert('win_archives', archive_id=out['exe'], relpath='bin/x86', platforms='w10')
    return out


def names(result):
    return sorted(r['name'] for r in result)


def test_every_type_exact(ids):
    cases = [
        ('package', 'foo_bar', ids['pkg'], 'foo_bar'),
        ('build', 'foo_bar-1.0-2.fc40', ids['build'], 'foo_bar-1.0-2.fc40'),
        ('tag', 'f40-build', ids['tag'], 'f40-build'),
        ('target', 'f40-candidate', ids['target'], 'f40-candidate'),
        ('user', 'Searchable', ids['user'], 'Searchable'),
        ('host', 'builder-01.example.com', ids['host'], 'builder-01.example.com'),
        ('rpm', 'foo_bar-1.0-2.fc40.x86_64.rpm', ids['rpm'], 'foo_bar-1.0-2.fc40.x86_64.rpm'),
        ('maven', 'foo-bar-1.0.jar', ids['jar'], 'foo-bar-1.0.jar'),
        ('win', 'Foo.exe', ids['exe'], 'bin/x86/Foo.exe'),
    ]
    for stype, terms, obj_id, name in cases:
        assert api.search(terms, stype, 'exact') == [{'id': obj_id, 'name': name}], stype
    # exact is case sensitive, and any unknown match type means exact
    assert api.search('searchable', 'user', 'exact') == []
    expected = [{'id': ids['pkg'], 'name': 'foo_bar'}]
    assert api.search('foo_bar', 'package', 'whatever') == expected


def test_glob(ids):
    assert names(api.search('FOO*', 'package', 'glob')) == ['fooXbar', 'foo_bar']
    # '_' is literal in a glob, '?' is the single-character wildcard
    assert names(api.search('foo_bar', 'package', 'glob')) == ['foo_bar']
    assert names(api.search('foo?bar', 'package', 'glob')) == ['fooXbar', 'foo_bar']
    assert names(api.search('%', 'package', 'glob')) == []
    assert names(api.search('*fc40', 'build', 'glob')) == ['foo_bar-1.0-2.fc40']
    assert names(api.search('*.x86_64.rpm', 'rpm', 'glob')) == [
        'foo_bar-1.0-2.fc40.x86_64.rpm']
    # deleted tags are not found
    assert names(api.search('f40-*', 'tag', 'glob')) == ['f40-build']
    assert names(api.search('*.exe', 'win', 'glob')) == ['bin/x86/Foo.exe']
    assert glob_to_like('a_b%c*d?') == 'a\\_b\\%c%d_'


def test_regexp(ids):
    assert names(api.search('^FOO.BAR$', 'package', 'regexp')) == ['fooXbar', 'foo_bar']
    assert names(api.search('example\\.com$', 'host', 'regexp')) == [
        'builder-01.example.com']
    assert names(api.search('candidate', 'target', 'regexp')) == ['f40-candidate']
    assert names(api.search('jar$', 'maven', 'regexp')) == ['foo-bar-1.0.jar']
    # injection attempts are only ever data
    assert api.search("x' OR '1'='1", 'package', 'regexp') == []
    assert api.search("x' OR '1'='1", 'package', 'glob') == []


def test_bad_regexp(ids):
    with pytest.raises(koji.GenericError, match='Invalid regex'):
        api.search('foo(', 'package', 'regexp')
    # valid for Python but not for PostgreSQL: still a clean fault, transaction usable
    with pytest.raises(koji.GenericError, match='Invalid regex'):
        api.search('(?P<x>foo)', 'package', 'regexp')
    assert api.search('foo_bar', 'package', 'exact')


def test_types_and_errors(ids):
    assert api.search('anything', 'file', 'glob') == []
    with pytest.raises(koji.GenericError, match='unknown search type'):
        api.search('foo', 'nosuchtype', 'glob')
    with pytest.raises(koji.GenericError, match='empty'):
        api.search('', 'package', 'glob')


def test_query_opts(ids):
    assert api.search('foo*', 'package', 'glob', queryOpts={'countOnly': True}) == 2
    rows = api.search('foo*', 'package', 'glob', queryOpts={'order': '-name', 'limit': 1})
    assert rows == [{'id': ids['pkg'], 'name': 'foo_bar'}]
    rows = api.search('foo*', 'package', 'glob', queryOpts={'order': 'id', 'asList': True})
    assert rows == [[ids['pkg'], 'foo_bar'], [ids['pkg2'], 'fooXbar']]
