"""NVR / NVRA parsing, arch normalization and build labels."""
import pytest

import koji


def test_parse_nvr():
    assert koji.parse_NVR('bash-5.2.26-3.fc40') == {
        'name': 'bash', 'version': '5.2.26', 'release': '3.fc40', 'epoch': ''}


def test_parse_nvr_dashes_in_name_and_epoch():
    assert koji.parse_NVR('python-foo-bar-1.0-1') == {
        'name': 'python-foo-bar', 'version': '1.0', 'release': '1', 'epoch': ''}
    assert koji.parse_NVR('2:perl-Foo-1.0-1') == {
        'name': 'perl-Foo', 'version': '1.0', 'release': '1', 'epoch': '2'}


@pytest.mark.parametrize('bad', ['bash', 'bash-1', 'bash-1-', 'bash--1', '', '-'])
def test_parse_nvr_errors(bad):
    with pytest.raises(koji.GenericError) as exc:
        koji.parse_NVR(bad)
    assert 'invalid format' in str(exc.value)


def test_parse_nvra():
    info = koji.parse_NVRA('bash-5.2-1.fc40.x86_64.rpm')
    assert info == {'name': 'bash', 'version': '5.2', 'release': '1.fc40', 'epoch': '',
                    'arch': 'x86_64', 'src': False}
    src = koji.parse_NVRA('1:bash-5.2-1.src')
    assert src['src'] is True and src['arch'] == 'src' and src['epoch'] == '1'


def test_parse_nvra_location():
    info = koji.parse_NVRA('bash-5.2-1.noarch.rpm@repo1')
    assert info['location'] == 'repo1'
    assert info['arch'] == 'noarch'
    assert 'location' not in koji.parse_NVRA('bash-5.2-1.noarch')


@pytest.mark.parametrize('bad', ['bash-5.2-1', 'bash-5.2-1.', 'bash.x86_64'])
def test_parse_nvra_errors(bad):
    with pytest.raises(koji.GenericError):
        koji.parse_NVRA(bad)


def test_check_nvr():
    assert koji.check_NVR('a-1-1') is True
    assert koji.check_NVR('a-1') is False
    assert koji.check_NVR({'name': 'a', 'version': '1-2', 'release': '1'}) is False
    assert koji.check_NVR({'name': 'a', 'version': '1', 'release': '1'}) is True
    with pytest.raises(koji.GenericError) as exc:
        koji.check_NVR({'name': 'a', 'version': '1', 'release': '1-1'}, strict=True)
    assert 'release' in str(exc.value)
    with pytest.raises(koji.GenericError):
        koji.check_NVR('a', strict=True)
    # numbers (as `koji call` sends them) are refused cleanly, not with a TypeError
    assert koji.check_NVR({'name': 'a', 'version': 1, 'release': '1'}) is False
    with pytest.raises(koji.GenericError, match='Invalid release value: 1'):
        koji.check_NVR({'name': 'a', 'version': '1', 'release': 1}, strict=True)


def test_check_nvra():
    assert koji.check_NVRA('a-1-1.x86_64') is True
    assert koji.check_NVRA('a-1-1') is False
    bad = {'name': 'a', 'version': '1', 'release': '1', 'arch': 'x.y'}
    assert koji.check_NVRA(bad) is False
    with pytest.raises(koji.GenericError) as exc:
        koji.check_NVRA(bad, strict=True)
    assert 'arch' in str(exc.value)


@pytest.mark.parametrize('name, expected', [
    ('foo-debuginfo', True),
    ('foo-debugsource', True),
    ('foo-debuginfo-common', True),
    ('foo', False),
    ('debuginfo', False),
    ('foo-debuginfox', False),
])
def test_is_debuginfo(name, expected):
    assert koji.is_debuginfo(name) is expected


@pytest.mark.parametrize('arch, canon', [
    ('i386', 'i386'), ('i686', 'i386'), ('athlon', 'i386'), ('ia32e', 'x86_64'),
    ('x86_64', 'x86_64'), ('ppc64le', 'ppc64le'), ('ppc64p7', 'ppc64'), ('ppc64', 'ppc64'),
    ('sparc64v', 'sparc64'), ('sparcv9', 'sparc'), ('alphaev6', 'alpha'),
    ('armv7hl', 'armhfp'), ('armv7l', 'arm'), ('aarch64', 'aarch64'), ('noarch', 'noarch'),
])
def test_canon_arch(arch, canon):
    assert koji.canonArch(arch) == canon


def test_parse_arches():
    assert koji.parse_arches('x86_64, i686  aarch64') == 'x86_64 i686 aarch64'
    assert koji.parse_arches(['x86_64', 'i686'], to_list=True) == ['x86_64', 'i686']
    assert koji.parse_arches('x86_64,i686', to_list=True) == ['x86_64', 'i686']
    assert koji.parse_arches('') == ''
    assert koji.parse_arches(None, allow_none=True) == ''
    with pytest.raises(koji.GenericError):
        koji.parse_arches('x86_64,i686', strict=True)
    with pytest.raises(koji.GenericError):
        koji.parse_arches('x86;64')
    with pytest.raises(AttributeError):
        koji.parse_arches(None)


def test_build_label():
    build = {'name': 'bash', 'version': '5', 'release': '1', 'epoch': 2}
    assert koji.buildLabel(build) == 'bash-5-1'
    assert koji.buildLabel(build, showEpoch=True) == '2:bash-5-1'
    build['package_name'] = 'pkg'
    assert koji.buildLabel(build) == 'pkg-5-1'
    assert koji.buildLabel({'name': 'a', 'version': '1', 'release': '1', 'epoch': None},
                           showEpoch=True) == 'a-1-1'


def test_draft_release():
    rel = koji.gen_draft_release('1.fc40', 123)
    assert rel == '1.fc40,draft_123'
    assert koji.parse_target_release(rel) == '1.fc40'
    for bad in ('1.fc40', '1.fc40,draft_', ',draft_12', '1,draft_x'):
        with pytest.raises(koji.GenericError):
            koji.parse_target_release(bad)


def test_maven_helpers():
    info = koji.pom_to_maven_info({'groupId': 'org.foo', 'artifactId': 'bar',
                                   'version': '1.0-beta'})
    assert info == {'group_id': 'org.foo', 'artifact_id': 'bar', 'version': '1.0-beta'}
    assert koji.mavenLabel(info) == 'org.foo-bar-1.0-beta'
    assert koji.maven_info_to_nvr(info) == {
        'name': 'org.foo-bar', 'version': '1.0_beta', 'release': None, 'epoch': None,
        'package_name': 'org.foo-bar'}
