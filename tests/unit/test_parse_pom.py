"""koji.parse_pom: the maven coordinates import-archive --type maven reads from a pom."""
import pytest

import koji

NS = 'xmlns="http://maven.apache.org/POM/4.0.0"'


def test_project_values_win_over_parent(tmp_path):
    pom = tmp_path / 'a.pom'
    pom.write_text('<?xml version="1.0"?>\n<project %s><parent><groupId>org.parent</groupId>'
                   '<artifactId>parent</artifactId><version>9</version></parent>'
                   '<groupId>org.own</groupId><artifactId>own</artifactId>'
                   '<dependencies><dependency><groupId>dep</groupId><version>1</version>'
                   '</dependency></dependencies></project>' % NS)
    info = koji.parse_pom(str(pom))
    assert info == {'groupId': 'org.own', 'artifactId': 'own', 'version': '9'}
    assert koji.pom_to_maven_info(info) == {'group_id': 'org.own', 'artifact_id': 'own',
                                            'version': '9'}


def test_contents_without_namespace():
    info = koji.parse_pom(contents='<project><groupId> g </groupId><artifactId>a'
                                   '</artifactId><version>1.0</version></project>')
    assert info == {'groupId': 'g', 'artifactId': 'a', 'version': '1.0'}


@pytest.mark.parametrize('kwargs, message', [
    ({}, 'either a path to a pom file or the contents'),
    ({'contents': '<project><groupId>g</groupId><version>1</version></project>'},
     'could not extract artifactId from POM: <contents>'),
    ({'contents': '<project>'}, 'could not parse POM'),
])
def test_errors(kwargs, message):
    with pytest.raises(koji.GenericError, match=message):
        koji.parse_pom(**kwargs)
