"""koji.util's maven parameter helpers: ini sections and option values to build opts."""
import optparse

import pytest

import koji.util


def ini(tmp_path, text, name='b.ini'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_maven_opts_from_option_values():
    values = optparse.Values({'scmurl': None, 'goals': ['a'], 'profiles': [],
                              'properties': ['x=1', 'flag'], 'envs': ['E=v=w'],
                              'jvm_options': ['-Xmx1g'], 'buildrequires': ['p']})
    assert koji.util.maven_opts(values, scratch=True) == {
        'goals': ['a'], 'properties': {'x': '1', 'flag': None}, 'envs': {'E': 'v=w'},
        'jvm_options': ['-Xmx1g'], 'scratch': True}
    assert koji.util.maven_opts(values, chain=True, scratch=True)['buildrequires'] == ['p']
    with pytest.raises(ValueError) as exc:
        koji.util.maven_opts(optparse.Values({'envs': ['NOVALUE']}))
    assert str(exc.value) == 'Environment variables must be in NAME=VALUE format'


def test_ini_sections(tmp_path):
    path = ini(tmp_path, '[m]\nscmurl = git://m#1\ngoals = a b\nproperties = x=1\n'
                         '  y\n[w]\ntype = wrapper\nscmurl = git://w#1\nbuildrequires = m\n')
    builds = koji.util.parse_maven_params(path)
    assert builds == {'m': {'scmurl': 'git://m#1', 'goals': ['a', 'b'],
                            'properties': {'x': '1', 'y': None}},
                      'w': {'type': 'wrapper', 'scmurl': 'git://w#1',
                            'buildrequires': ['m'], 'create_build': True}}
    assert list(koji.util.parse_maven_param([path], section='w')) == ['w']
    with pytest.raises(ValueError) as exc:
        koji.util.parse_maven_param([path])
    assert str(exc.value) == 'Multiple sections in: %s, you must specify the section' % path
    with pytest.raises(ValueError) as exc:
        koji.util.parse_maven_param(path, section='zz')
    assert str(exc.value) == 'Section zz does not exist in: %s' % path


@pytest.mark.parametrize('text, message', [
    ('[a]\ntype = rpm\nscmurl = x\n', 'Unsupported build type: rpm'),
    ('[a]\ngoals = x\n', 'a is missing the scmurl parameter'),
    ('[a]\ntype = wrapper\nscmurl = x\n', 'A wrapper-rpm must depend on exactly one package'),
])
def test_ini_errors(tmp_path, text, message):
    with pytest.raises(ValueError) as exc:
        koji.util.parse_maven_params(ini(tmp_path, text))
    assert str(exc.value) == message


def test_empty_ini_and_chain_order(tmp_path):
    empty = ini(tmp_path, '', 'e.ini')
    with pytest.raises(ValueError) as exc:
        koji.util.parse_maven_params(empty)
    assert str(exc.value) == 'No sections found in: %s' % empty
    loop = ini(tmp_path, '[a]\nscmurl = x\nbuildrequires = b\n[b]\nscmurl = y\n'
                         'buildrequires = a\n', 'l.ini')
    with pytest.raises(ValueError) as exc:
        koji.util.parse_maven_chain(loop)
    assert str(exc.value) == 'No possible build order, missing/circular dependencies'
    ok = ini(tmp_path, '[a]\nscmurl = x\n[b]\nscmurl = y\nbuildrequires = a\n', 'o.ini')
    assert koji.util.parse_maven_chain(ok)['b']['buildrequires'] == ['a']
