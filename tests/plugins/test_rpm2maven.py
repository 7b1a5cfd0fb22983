"""rpm2maven: a *-repolib rpm imported by a host gets maven archives for its Maven tree."""
import os
import shutil
import subprocess

import pytest

from tests.plugins.conftest import HUB_PLUGINS

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>%s</artifactId>
  <version>1.0</version>
  <name>%s</name>
</project>
"""

SPEC = """\
Name: %(name)s
Version: 3.1
Release: 2
Summary: Maven repository tree
License: MIT
BuildArch: noarch

%%description
Test rpm for rpm2maven.

%%install
d=%%{buildroot}/usr/share/java/repository/maven2/org/example
mkdir -p $d/demo/1.0 $d/twopoms/1.0 %%{buildroot}/usr/share/doc/x
printf '%%s' '%(pom)s' > $d/demo/1.0/demo-1.0.pom
echo jar > $d/demo/1.0/demo-1.0.jar
echo what > $d/demo/1.0/notes.unknownext
touch $d/twopoms/1.0/a.pom $d/twopoms/1.0/b.pom $d/twopoms/1.0/a.jar
echo doc > %%{buildroot}/usr/share/doc/x/demo-2.0.pom

%%files
/usr/share/java/repository/maven2
/usr/share/doc/x
"""


def build_rpm(workdir, name):
    top = os.path.join(workdir, name)
    os.makedirs(os.path.join(top, 'SPECS'))
    spec = os.path.join(top, 'SPECS', name + '.spec')
    with open(spec, 'w') as fp:
        fp.write(SPEC % {'name': name, 'pom': (POM % ('demo', 'demo')).replace('\n', ' ')})
    subprocess.run(['rpmbuild', '-bb', '--define', '_topdir %s' % top, spec], check=True,
                   capture_output=True)
    return os.path.join(top, 'RPMS', 'noarch', '%s-3.1-2.noarch.rpm' % name)


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    if not shutil.which('rpmbuild'):
        pytest.skip('rpmbuild is not installed')
    conf = open(os.path.join(HUB_PLUGINS, 'rpm2maven.conf')).read()
    server = plugin_hub_factory(['rpm2maven'], opts={'EnableMaven': True},
                                configs={'rpm2maven.conf': conf})
    admin = server.session()
    admin.addHost('mvnhost', ['noarch'])
    admin.grantPermission('mvnhost', 'admin')
    server.set_password('mvnhost', 'pw')
    host = server.session('mvnhost', 'pw')
    host.exclusiveSession()
    server.host_session = host
    server.admin = admin
    return server


def import_as_host(hub, tmp_path, name):
    rpm = build_rpm(str(tmp_path), name)
    updir = os.path.join(hub.topdir, 'work', 'up-%s' % name)
    os.makedirs(updir)
    shutil.copy(rpm, updir)
    hub.runas.chown_tree(updir)
    hub.admin.createEmptyBuild(name, '3.1', '2', None)
    return hub.host_session.importRPM('up-%s' % name, os.path.basename(rpm))


def test_repolib_rpm_gets_maven_archives(hub, tmp_path):
    rpminfo = import_as_host(hub, tmp_path, 'demo-repolib')
    build = hub.admin.getBuild(rpminfo['build_id'])
    maven = hub.admin.getMavenBuild(build['id'])
    assert (maven['group_id'], maven['artifact_id'], maven['version']) == \
        ('demo-repolib', 'demo-repolib', '3.1-2')
    archives = hub.admin.listArchives(buildID=build['id'], type='maven')
    # the one-pom directory only, and only files of known archive types
    assert sorted(a['filename'] for a in archives) == ['demo-1.0.jar', 'demo-1.0.pom']
    for archive in archives:
        assert (archive['group_id'], archive['artifact_id'], archive['version']) == \
            ('org.example', 'demo', '1.0')
    # the unpacked tree is gone
    assert not os.path.exists(os.path.join(hub.topdir, 'work', 'rpm2maven',
                                           'demo-repolib-3.1-2'))


def test_other_rpms_untouched(hub, tmp_path):
    rpminfo = import_as_host(hub, tmp_path, 'demo-other')
    assert hub.admin.getMavenBuild(rpminfo['build_id']) is None
    assert hub.admin.listArchives(buildID=rpminfo['build_id']) == []
