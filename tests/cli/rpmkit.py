"""Tiny extra rpms for the import tests: any name/release, built by rpmbuild in a second.

The shared ``rpm_builds`` fixture has fixed NVRs; tests that need a build per scenario
(or per interop world) make their own here. ``RPMBuild`` is the fixture's record type.
"""
import os
import shutil
import subprocess

import pytest

from tests.fixtures.rpms import RPMBuild, sign_rpms  # noqa: F401  (re-exported)

SPEC = """\
%%global debug_package %%{nil}
Name: %(name)s
Version: %(version)s
Release: %(release)s
Summary: import test package
License: MIT
%(buildarch)s

%%description
%(description)s

%%install
mkdir -p %%{buildroot}/usr/share/%(name)s
echo '%(description)s' > %%{buildroot}/usr/share/%(name)s/data.txt

%%files
/usr/share/%(name)s/data.txt
"""


def need_rpmbuild():
    if not shutil.which('rpmbuild'):
        pytest.skip('rpmbuild is not installed')


def build_kit(topdir, name, version='1.0', release='1', noarch=True, description='kit'):
    """rpmbuild -ba a one-file package below topdir; returns an RPMBuild."""
    need_rpmbuild()
    topdir = str(topdir)
    for sub in ('SPECS', 'SOURCES', 'BUILD', 'RPMS', 'SRPMS', 'tmp'):
        os.makedirs(os.path.join(topdir, sub), exist_ok=True)
    spec = os.path.join(topdir, 'SPECS', '%s-%s.spec' % (name, release))
    with open(spec, 'w') as fo:
        fo.write(SPEC % {'name': name, 'version': version, 'release': release,
                         'description': description,
                         'buildarch': 'BuildArch: noarch' if noarch else ''})
    proc = subprocess.run(['rpmbuild', '-ba', '--define', '_topdir %s' % topdir,
                           '--define', '_tmppath %s/tmp' % topdir, spec],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        raise RuntimeError('rpmbuild failed:\n%s' % proc.stdout)
    nvr = '%s-%s-%s' % (name, version, release)
    srpm = os.path.join(topdir, 'SRPMS', nvr + '.src.rpm')
    rpms = []
    for sub, _dirs, files in os.walk(os.path.join(topdir, 'RPMS')):
        rpms += [os.path.join(sub, fn) for fn in files if fn.startswith(nvr + '.')]
    arch = os.path.basename(os.path.dirname(rpms[0]))
    return RPMBuild(name=name, version=version, release=release, arch=arch, srpm=srpm,
                    rpms=sorted(rpms))
