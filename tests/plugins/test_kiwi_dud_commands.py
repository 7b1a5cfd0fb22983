"""kiwi and dud builder plugins without kojid: the command lines they hand mock, and how
the kiwi plugin reads and rewrites a description (tests/plugins/test_kiwi_dud_builder.py
runs them end to end)."""
import os
import sys
import xml.dom.minidom

import pytest

import koji
from koji.plugin import PluginTracker
from tests.plugins.conftest import BUILDER_PLUGINS, ROOT

sys.path.insert(0, os.path.join(ROOT, 'builder'))

from koji.daemon import SCM  # noqa: E402
from kojibuilder.build_arch import BaseBuildTask  # noqa: E402
from kojibuilder.buildroot import BuildRoot  # noqa: E402
from kojibuilder.images import BuildImageTask, rpm_components  # noqa: E402
from kojibuilder.scm_checkout import allowed_scm, checkout_scm  # noqa: E402

DESC = """<?xml version="1.0"?>
<image schemaversion="7.4" name="demo">
  <profiles>
    <profile name="A" description="a"/>
    <profile name="B" description="b" image="true"/>
  </profiles>
  <preferences>
    <version>1.2.3</version>
    <type image="oem" format="qcow2"/>
  </preferences>
  <preferences profiles="A">
    <type image="iso"/>
  </preferences>
  <repository type="rpm-md"><source path="https://old/"/></repository>
  %s
</image>
"""


@pytest.fixture(scope='module')
def plugins():
    """The two plugin modules, loaded as kojid loads them (names from __main__)."""
    with pytest.MonkeyPatch.context() as mp:
        main = sys.modules['__main__']
        for name, value in (('BaseBuildTask', BaseBuildTask), ('BuildRoot', BuildRoot),
                            ('BuildImageTask', BuildImageTask), ('SCM', SCM),
                            ('rpm_components', rpm_components),
                            ('allowed_scm', allowed_scm), ('checkout_scm', checkout_scm)):
            mp.setattr(main, name, value, raising=False)
        tracker = PluginTracker(path=[BUILDER_PLUGINS], prefix='_test_kiwi_dud__')
        yield tracker.load('kiwi'), tracker.load('dud')


@pytest.fixture
def kiwi(plugins):
    return plugins[0]


@pytest.fixture
def dud(plugins):
    return plugins[1]


def test_handlers_as_upstream(kiwi, dud):
    assert (kiwi.KiwiBuildTask.Methods, kiwi.KiwiBuildTask._taskWeight) == (['kiwiBuild'], 4.0)
    assert (kiwi.KiwiCreateImageTask.Methods, kiwi.KiwiCreateImageTask._taskWeight) == \
        (['createKiwiImage'], 2.0)
    assert issubclass(kiwi.KiwiBuildTask, BuildImageTask)
    assert issubclass(kiwi.KiwiCreateImageTask, BaseBuildTask)
    assert (dud.DudBuildTask.Methods, dud.DudBuildTask._taskWeight) == (['dudBuild'], 1.0)
    assert (dud.DudCreateImageTask.Methods, dud.DudCreateImageTask._taskWeight) == \
        (['createDudIso'], 1.0)


# -- kiwi command lines ----------------------------------------------------------------------

def test_kiwi_system_build_plain(kiwi):
    assert kiwi.system_build_cmd('d.x86_64.kiwi', 'repo/sub', 'x86_64', {}) == [
        'kiwi-ng', '--kiwi-file', 'd.x86_64.kiwi', '--debug', '--logfile',
        '/tmp/image-root.x86_64.log', 'system', 'build', '--description', 'repo/sub',
        '--target-dir', '/builddir/result/image']


def test_kiwi_system_build_options(kiwi):
    cmd = kiwi.system_build_cmd('d.aarch64.kiwi', 'repo', 'aarch64', {
        'profile': 'Cloud', 'type': 'oem', 'type_attr': ['format=vmdk', 'a=b'],
        'scratch': True})
    assert cmd[:5] == ['kiwi-ng', '--profile', 'Cloud', '--type', 'oem']
    assert cmd[5:11] == ['--kiwi-file', 'd.aarch64.kiwi', '--debug', '--logfile',
                         '/tmp/image-root.aarch64.log', 'system']
    assert cmd[-4:] == ['--set-type-attr', 'format=vmdk', '--set-type-attr', 'a=b']


def test_kiwi_result_bundle(kiwi):
    assert kiwi.result_bundle_cmd('x86_64', '3', {}) == [
        'kiwi-ng', '--debug', '--logfile', '/tmp/kiwi-result-bundle.x86_64.log', 'result',
        'bundle', '--target-dir', '/builddir/result/image', '--bundle-dir',
        '/builddir/result/bundle', '--id', '3']
    cmd = kiwi.result_bundle_cmd('x86_64', '3', {'result_bundle_name_format': '%N_%v'})
    assert cmd[-2:] == ['--bundle-format', '%N_%v']


def test_in_chroot(kiwi, dud):
    for mod in (kiwi, dud):
        assert mod.in_chroot('/chroot_tmpdir', ['make', 'prep']) == [
            '--cwd', '/chroot_tmpdir', '--chroot', '--', 'make', 'prep']


# -- kiwi descriptions -----------------------------------------------------------------------

def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_read_description(kiwi, tmp_path):
    path = write(tmp_path / 'd.kiwi', DESC % '')
    assert kiwi.read_description(path) == ('demo', '1.2.3', 'B')
    no_profiles = DESC.replace('image="true"', '') % ''
    assert kiwi.read_description(write(tmp_path / 'e.kiwi', no_profiles)) == \
        ('demo', '1.2.3', None)


@pytest.mark.parametrize('text, error, message', [
    (None, koji.GenericError, "Kiwi description bad.kiwi can't be parsed as XML."),
    ('<image', koji.GenericError, "Kiwi description bad.kiwi can't be parsed as XML."),
    ('<other/>', koji.GenericError, "Kiwi description bad.kiwi doesn't contain <image> tag."),
    ('<image name="x"><preferences/></image>', koji.BuildError,
     "Description file doesn't contain preferences/version"),
])
def test_read_description_errors(kiwi, tmp_path, text, error, message):
    path = tmp_path / 'bad.kiwi'
    if text is not None:
        write(path, text)
    with pytest.raises(error) as exc:
        kiwi.read_description(str(path))
    assert str(exc.value) == message


def _parse(path):
    return xml.dom.minidom.parse(path).getElementsByTagName('image')[0]


def test_prepare_description(kiwi, tmp_path):
    write(tmp_path / 'inc' / 'more.xml',
          '<image name="x"><packages><package name="extra"/></packages>'
          '<repository><source path="https://included/"/></repository></image>')
    path = write(tmp_path / 'd.kiwi', DESC % '<include from="this://inc/more.xml"/>')
    new, types = kiwi.prepare_description(path, 'demo-B', '9.9', ['http://r2/', 'http://r1/',
                                                                  'http://r2/'], '40', 'ppc64le')
    assert new == str(tmp_path / 'd.ppc64le.kiwi')
    assert not os.path.exists(path)
    assert types == ['oem', 'iso']
    image = _parse(new)
    assert image.getAttribute('name') == 'demo-B'
    assert image.getElementsByTagName('include') == []
    assert [p.getAttribute('name') for p in image.getElementsByTagName('package')] == ['extra']
    # koji's repos only (sorted, once each): the description's and the include's are gone
    assert [r.getElementsByTagName('source')[0].getAttribute('path')
            for r in image.getElementsByTagName('repository')] == ['http://r1/', 'http://r2/']
    prefs = image.getElementsByTagName('preferences')[0]
    assert prefs.getElementsByTagName('version')[0].firstChild.data == '9.9'
    assert prefs.getElementsByTagName('release-version')[0].firstChild.data == '40'


def test_prepare_description_replaces_release_version(kiwi, tmp_path):
    text = DESC.replace('<version>1.2.3</version>',
                        '<version>1</version><release-version>39</release-version>') % ''
    new, _types = kiwi.prepare_description(write(tmp_path / 'd.kiwi', text), 'n', '1', [],
                                           '41', 'x86_64')
    found = _parse(new).getElementsByTagName('release-version')
    assert [node.firstChild.data for node in found] == ['41']


@pytest.mark.parametrize('ref, error, message', [
    ('https://example.com/x.xml', koji.GenericError,
     'Unhandled include protocol in include path: https://example.com/x.xml.'),
    ('file:///etc/passwd', koji.GenericError,
     'Unhandled include protocol in include path: file:///etc/passwd.'),
    ('this://../outside.xml', ValueError, 'Invalid path segment: ../outside.xml'),
    ('this://noimage.xml', koji.GenericError, 'Included file needs to contain <image> tag.'),
])
def test_prepare_description_bad_includes(kiwi, tmp_path, ref, error, message):
    path = write(tmp_path / 'd' / 'd.kiwi', DESC % ('<include from="%s"/>' % ref))
    write(tmp_path / 'd' / 'noimage.xml', '<other/>')
    with pytest.raises(error) as exc:
        kiwi.prepare_description(path, 'n', '1', [], '1', 'x86_64')
    assert str(exc.value) == message


def test_no_cached_packages(kiwi, dud, tmp_path):
    (tmp_path / 'x.txt').write_text('')
    with pytest.raises(koji.LiveCDError) as exc:
        kiwi.cached_rpm_headers(str(tmp_path))
    assert str(exc.value) == 'No repos found in yum cache!'
    with pytest.raises(koji.LiveCDError) as exc:
        dud.rpm_headers(str(tmp_path))
    assert str(exc.value) == 'No rpms found in root dir!'


# -- dud command lines -----------------------------------------------------------------------

def test_dud_commands(dud):
    assert dud.iso_name('drv', '1.0', '2', 'x86_64') == 'dd-drv-1.0-2.x86_64.iso'
    assert dud.download_cmd('kmod-x') == ['/usr/bin/dnf', 'download', 'kmod-x']
    assert dud.download_cmd('kmod-x-1-1', alldeps=True) == [
        '/usr/bin/dnf', 'download', '--resolve', '--alldeps', 'kmod-x-1-1']
    assert dud.layout_cmd('aarch64') == [
        '/usr/bin/mkdir', '-p', './dd/rpms/aarch64/repodata/', '-p', './dd/src/']
    assert dud.rhdd3_cmd() == [
        '/usr/bin/sh', '-c', '/usr/bin/echo -e "Driver Update Disk version 3\\c" > ./dd/rhdd3']
    assert dud.copy_scm_cmd('/root/chroot_tmpdir/fw-repo') == [
        '/usr/bin/cp', '-aR', 'fw-repo', './dd/']
    assert dud.copy_rpms_cmd('x86_64') == [
        '/usr/bin/sh', '-c', '/usr/bin/cp *.rpm ./dd/rpms/x86_64/']
    assert dud.createrepo_cmd('x86_64') == [
        '/usr/bin/createrepo', '-q', '--workers=1', './dd/rpms/x86_64/']
    assert dud.xorrisofs_cmd('dd-a-1-1.x86_64.iso') == [
        '/usr/bin/sh', '-c', '/usr/bin/xorrisofs -quiet -lR -V OEMDRV -input-charset utf8 '
        '-o dd-a-1-1.x86_64.iso ./dd -v']
