"""Arch selection and checks of kojid's rpm build handlers (builder/kojibuilder/build_*).

Which buildArch tasks a build makes (tag arches, srpm BuildArch/ExclusiveArch/
ExcludeArch, extra_arches, scratch overrides), the task arch of noarch subtasks, the
dynamic buildArch weight, the host check, and the spec/srpm sanity checks.
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'builder'))

import koji  # noqa: E402
from kojibuilder.build_arch import BuildArchTask, weight_for  # noqa: E402
from kojibuilder.build_srpm import find_spec, spec_sanity_checks  # noqa: E402
from kojibuilder.build_task import arch_list, noarch_task_arch  # noqa: E402


def hdr(buildarchs=(), exclusive=(), exclude=()):
    return {'buildarchs': list(buildarchs), 'exclusivearch': list(exclusive),
            'excludearch': list(exclude)}


@pytest.mark.parametrize('tag, fields, extra, override, expected', [
    ('x86_64 aarch64', hdr(), None, None, ['x86_64', 'aarch64']),
    # BuildArch: noarch
    ('x86_64 aarch64', hdr(buildarchs=['noarch']), None, None, ['noarch']),
    ('x86_64 aarch64 ppc64le', hdr(exclusive=['x86_64', 'ppc64le']), None, None,
     ['x86_64', 'ppc64le']),
    ('x86_64 aarch64', hdr(exclude=['aarch64']), None, None, ['x86_64']),
    # i686 builds in a tag with i386 (same canonical arch); extra arches add to the tag's
    ('x86_64 i386', hdr(), 'i686', None, ['x86_64', 'i386', 'i686']),
    # an arch the tag cannot build is dropped
    ('x86_64', hdr(buildarchs=['x86_64', 's390x']), None, None, ['x86_64']),
    ('x86_64 aarch64', hdr(), None, 'aarch64', ['aarch64']),
    # noarch in ExclusiveArch keeps noarch unless excluded
    ('x86_64', hdr(exclusive=['noarch']), None, None, ['noarch']),
])
def test_arch_list(tag, fields, extra, override, expected):
    assert arch_list(tag, fields, extra=extra, override=override) == expected


def test_arch_list_nothing_left():
    with pytest.raises(koji.BuildError) as exc:
        arch_list('x86_64', hdr(exclusive=['s390x']))
    assert str(exc.value) == 'No matching arches were found'


def test_noarch_task_arch():
    assert noarch_task_arch('x86_64 aarch64') == 'noarch'
    assert noarch_task_arch('x86_64 aarch64', exclusive=['aarch64']) == 'aarch64'
    assert noarch_task_arch('x86_64 aarch64', exclude=['aarch64']) == 'x86_64'
    assert noarch_task_arch('x86_64 aarch64', noarch_arches='aarch64 s390x') == 'aarch64'
    # filters that leave every tag arch: noarch is fine
    assert noarch_task_arch('x86_64', exclusive=['x86_64']) == 'noarch'
    with pytest.raises(koji.BuildError) as exc:
        noarch_task_arch('x86_64', exclude=['x86_64'])
    assert str(exc.value).startswith('No valid arches were found. tag ')


@pytest.mark.parametrize('avg, weight', [
    (None, 1.5), (0, 1.5), (-5, 1.5), (4800, 2.5), (3600, 2.25), (10 ** 7, 19.5)])
def test_buildarch_weight(avg, weight):
    assert weight_for(avg) == pytest.approx(weight)


class HostCheckSession(object):
    def __init__(self, arches):
        self.arches = arches
        self.calls = []

    def getBuildConfig(self, tag, **kw):
        self.calls.append((tag, kw))
        return {'id': 1, 'name': 'f-build', 'arches': self.arches}


def _task(arches, params):
    options = type('O', (), {'workdir': None})()
    task = BuildArchTask(7, 'buildArch', params, HostCheckSession(arches), options)
    return task


def test_check_host_arch():
    params = ['work/x.src.rpm', 'f-build', 'x86_64', True, {'repo_id': 3}]
    assert _task('x86_64 i686', params).checkHost({'arches': 'x86_64 i386'}) is True
    # i686 is i386 canonically
    assert _task('i686', params).checkHost({'arches': 'i386'}) is True
    task = _task('aarch64 ppc64le', params)
    assert task.checkHost({'arches': 'x86_64 i386 noarch'}) is False
    assert task.session.calls == [('f-build', {})]
    # a tag without arches: let the task fail with its own message
    assert _task('', params).checkHost({'arches': 'x86_64'}) is True


def test_spec_sanity_checks(tmp_path):
    spec = tmp_path / 'a.spec'
    spec.write_text('Name: a\nVersion: 1\n')
    spec_sanity_checks(str(spec))
    spec.write_text('Vendor: Me\nName: a\n')
    with pytest.raises(koji.BuildError) as exc:
        spec_sanity_checks(str(spec))
    assert str(exc.value) == 'Vendor is not allowed to be set in spec file'
    spec.write_text('%define packager Me\nName: a\n')
    with pytest.raises(koji.BuildError) as exc:
        spec_sanity_checks(str(spec))
    assert str(exc.value) == 'packager is not allowed to be defined in spec file'


def test_find_spec(tmp_path):
    src = tmp_path / 'pkg'
    src.mkdir()
    with pytest.raises(koji.BuildError) as exc:
        find_spec(str(src))
    assert str(exc.value) == 'No spec file found'
    (src / 'SPECS').mkdir()
    (src / 'SPECS' / 'other.spec').write_text('')
    assert find_spec(str(src)) == str(src / 'SPECS' / 'other.spec')
    with pytest.raises(koji.BuildError):
        find_spec(str(src), support_rpm_source_layout=False)
    (src / 'a.spec').write_text('')
    (src / 'pkg.spec').write_text('')
    assert find_spec(str(src)) == str(src / 'pkg.spec')
    (src / 'pkg.spec').unlink()
    (src / 'b.spec').write_text('')
    with pytest.raises(koji.BuildError) as exc:
        find_spec(str(src))
    assert str(exc.value).startswith('Multiple spec files found but none is matching SCM '
                                     'checkout dir name: ')


def test_noarch_hash_follows_content_not_build(tmp_path):
    from tests.cli.rpmkit import build_kit
    from kojibuilder.build_arch import noarch_hash
    first = build_kit(tmp_path / 'a', 'nh-pkg', description='same')
    again = build_kit(tmp_path / 'b', 'nh-pkg', description='same')
    other = build_kit(tmp_path / 'c', 'nh-pkg', description='different')
    assert noarch_hash(first.rpms[0]) == noarch_hash(again.rpms[0])
    assert noarch_hash(first.rpms[0]) != noarch_hash(other.rpms[0])
