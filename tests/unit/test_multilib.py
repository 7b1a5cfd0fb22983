"""Multilib policy methods and the 32-bit dependency closure, on rpms made by rpmbuild."""
import json
import os
import shutil
import subprocess

import pytest

import koji
from kojibuilder import multilib, multilib_deps

SPEC = """\
%%global debug_package %%{nil}
%%global __os_install_post %%{nil}
Name: %(name)s
Version: %(version)s
Release: %(release)s
Summary: multilib test package
License: MIT
AutoReqProv: no
%(deps)s

%%description
multilib test

%%install
%(install)s

%%files
%(files)s
"""


def build_rpm(topdir, name, arch, files=(), requires=(), provides=(), version='1.0',
              release='1', srpm=False):
    """rpmbuild one package for arch with empty files at the given paths; its path.

    With srpm=True a (path, srpm path) pair.  AutoReqProv is off, so the only
    requirements are the ones given.
    """
    if not shutil.which('rpmbuild'):
        pytest.skip('rpmbuild is not installed')
    topdir = str(topdir)
    for sub in ('SPECS', 'RPMS', 'SRPMS', 'BUILD', 'tmp'):
        os.makedirs(os.path.join(topdir, sub), exist_ok=True)
    deps = ['Requires: %s' % req for req in requires]
    deps += ['Provides: %s' % prov for prov in provides]
    if arch == 'noarch':
        deps.append('BuildArch: noarch')
    install = ['mkdir -p %%{buildroot}%s && touch %%{buildroot}%s'
               % (os.path.dirname(path), path) for path in files]
    spec = os.path.join(topdir, 'SPECS', '%s-%s.spec' % (name, arch))
    with open(spec, 'w') as fo:
        fo.write(SPEC % {'name': name, 'version': version, 'release': release,
                         'deps': '\n'.join(deps), 'install': '\n'.join(install) or 'true',
                         'files': '\n'.join(files)})
    cmd = ['rpmbuild', '-ba' if srpm else '-bb', '--define', '_topdir %s' % topdir,
           '--define', '_tmppath %s/tmp' % topdir, spec]
    if arch != 'noarch':
        cmd[2:2] = ['--target', arch]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        raise RuntimeError('rpmbuild failed:\n%s' % proc.stdout)
    nvra = '%s-%s-%s.%s.rpm' % (name, version, release, arch)
    path = os.path.join(topdir, 'RPMS', arch, nvra)
    assert os.path.isfile(path), proc.stdout
    if srpm:
        return path, os.path.join(topdir, 'SRPMS', '%s-%s-%s.src.rpm'
                                  % (name, version, release))
    return path


CONF = """\
[runtime]
white = wine-core
    valgrind
black = httpd
    php

[devel]
white = odd-tool
black = php-devel

[multilib]
packages = glibc*
    steam
"""


@pytest.fixture(scope='module')
def pkgs(tmp_path_factory):
    top = tmp_path_factory.mktemp('ml-rpms')
    specs = {
        'libfoo': dict(files=['/usr/lib64/libfoo.so.1']),
        'foo-devel': dict(files=['/usr/include/foo.h']),
        'foo-static': dict(files=['/usr/lib64/libfoo.a']),
        'foo-tools': dict(files=['/usr/bin/foo']),
        'httpd': dict(files=['/usr/lib64/libhttpd.so.1']),
        'php-devel': dict(files=['/usr/include/php.h']),
        'wine-core': dict(files=['/usr/bin/wine']),
        'odd-tool': dict(files=['/usr/bin/odd']),
        'gdb': dict(files=['/usr/bin/gdb']),
        'pam-mod': dict(files=['/lib64/security/pam_x.so']),
        'nss-mod': dict(files=['/lib64/libnss_x.so']),
        'ldconf': dict(files=['/etc/ld.so.conf.d/x.conf']),
        'qt-plug': dict(files=['/usr/lib64/qt5/plugins/styles/x.so']),
        'gtk-eng': dict(files=['/usr/lib64/gtk-2.0/2.10.0/engines/x.so']),
        'gtk-other': dict(files=['/usr/lib64/gtk-2.0/2.10.0/other/x.so']),
        'kernel': dict(files=['/boot/vmlinuz'], provides=['kernel']),
        'kernel-headers': dict(files=['/usr/include/k.h'], provides=['kernel-headers-devel']),
        'ghc-foo-devel': dict(files=['/usr/share/ghc.txt']),
        'glibc-common': dict(files=['/usr/share/glibc.txt']),
        'steam': dict(files=['/usr/share/steam.txt']),
        'yaboot': dict(files=['/usr/share/yaboot.txt']),
    }
    result = {}
    for name, spec in specs.items():
        path = build_rpm(top / name, name, 'x86_64', **spec)
        result[name] = multilib.Package.from_file(path)
    return result


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'multilib.conf'
    path.write_text(CONF)
    return str(path)


def _selected(method, pkgs):
    return sorted(name for name, pkg in pkgs.items() if method.select(pkg))


def test_package_from_header(pkgs):
    pkg = pkgs['libfoo']
    assert (pkg.name, pkg.arch, pkg.files) == ('libfoo', 'x86_64', ['/usr/lib64/libfoo.so.1'])
    assert 'libfoo' in pkg.provides
    assert 'kernel' in pkgs['kernel'].provides


def test_runtime_method(pkgs, conf):
    method = multilib.get_method('runtime', conf)
    # libraries, plugins, ld.so.conf.d, the white list, prefer-64 tools and 64-bit
    # kernels; httpd is black, gtk-2.0 dirs other than the module kinds are not plugins
    assert _selected(method, pkgs) == ['gdb', 'gtk-eng', 'kernel', 'ldconf', 'libfoo',
                                       'nss-mod', 'pam-mod', 'qt-plug', 'wine-core']


def test_devel_method(pkgs, conf):
    method = multilib.get_method('devel', conf)
    # runtime's choice plus -devel/-static names and the devel white list; php-devel is
    # black, ghc- packages never, kernel packages by their -devel provides
    assert _selected(method, pkgs) == ['foo-devel', 'foo-static', 'gdb', 'gtk-eng', 'kernel',
                                       'kernel-headers', 'ldconf', 'libfoo', 'nss-mod',
                                       'odd-tool', 'pam-mod', 'qt-plug', 'wine-core']


def test_devel_without_lists(pkgs, tmp_path):
    path = tmp_path / 'empty.conf'
    path.write_text('')
    method = multilib.get_method('devel', str(path))
    assert method.select(pkgs['httpd']) and method.select(pkgs['php-devel'])
    assert not method.select(pkgs['odd-tool'])


def test_simple_methods(pkgs, conf):
    assert _selected(multilib.get_method('none', conf), pkgs) == []
    assert _selected(multilib.get_method('all', conf), pkgs) == sorted(pkgs)
    # python-multilib's file method tries each character of the value: 'glibc*' holds a '*'
    assert _selected(multilib.get_method('file', conf), pkgs) == sorted(pkgs)
    assert _selected(multilib.get_method('kernel', conf), pkgs) == ['kernel']
    # yaboot is a ppc loader: an x86_64 yaboot is not picked
    assert _selected(multilib.get_method('yaboot', conf), pkgs) == []
    assert multilib.get_method('yaboot').select(multilib.Package('yaboot', 'ppc'))


def _method(tmp_path, name, text):
    path = tmp_path / 'ml.conf'
    path.write_text(text)
    return multilib.get_method(name, str(path))


def test_lists_match_substrings_as_python_multilib(tmp_path):
    """White / black lists are tested with `name in <raw value>`, not by whole words."""
    lib = multilib.Package('libfoo', 'x86_64', files=['/usr/lib64/libfoo.so.1'])
    tool = multilib.Package('bar', 'x86_64', files=['/usr/bin/bar'])
    runtime = _method(tmp_path, 'runtime', '[runtime]\nwhite = xbar-extras\n'
                                           'black = libfoo-compat other\n')
    # 'libfoo' is part of 'libfoo-compat', 'bar' of 'xbar-extras'
    assert not runtime.select(lib)
    assert runtime.select(tool)
    # black wins: 'bar' is also part of 'rebar'
    both = _method(tmp_path, 'runtime', '[runtime]\nwhite = bar\nblack = rebar\n')
    assert not both.select(tool)
    # a glob is just text there
    globbed = _method(tmp_path, 'runtime', '[runtime]\nwhite = ba*\nblack = lib*\n')
    assert globbed.select(lib) and not globbed.select(tool)
    devel = _method(tmp_path, 'devel', '[devel]\nwhite = my-bar-tools\n'
                                       'black = a-libfoo-devel-b\n')
    assert devel.select(tool)
    assert not devel.select(multilib.Package('libfoo-devel', 'x86_64'))
    assert not devel.select(multilib.Package('libfoo', 'x86_64', files=lib.files))
    assert devel.select(multilib.Package('libbar-devel', 'x86_64'))


def test_file_method_tries_each_character(tmp_path):
    """python-multilib iterates the raw [multilib] packages string."""
    method = _method(tmp_path, 'file', '[multilib]\npackages = glibc steam\n')
    for name in ('glibc', 'steam', 'g'):
        pkg = multilib.Package(name, 'x86_64')
        assert method.select(pkg) == (name == 'g')
    method = _method(tmp_path, 'file', '[multilib]\npackages = a?\n')
    assert method.select(multilib.Package('z', 'x86_64'))
    assert not method.select(multilib.Package('zz', 'x86_64'))
    assert _method(tmp_path, 'file', '[multilib]\npackages = x*\n').select(
        multilib.Package('anything', 'x86_64'))


def test_bad_method_and_config(tmp_path):
    with pytest.raises(koji.GenericError, match='unknown multilib method: nope'):
        multilib.get_method('nope')
    with pytest.raises(koji.GenericError, match='cannot read multilib config'):
        multilib.get_method('devel', str(tmp_path / 'missing.conf'))


@pytest.fixture(scope='module')
def repo32(tmp_path_factory):
    """A 32-bit package set: libfoo needs libbar (by soname, versioned) and a noarch data
    package; libbar has two versions and is also provided by a decoy."""
    top = tmp_path_factory.mktemp('ml-repo32')
    made = [
        build_rpm(top / 'a', 'libfoo', 'i686', files=['/usr/lib/libfoo.so.1'],
                  requires=['libbar.so.2 >= 2.0', 'foo-data', '/usr/lib/libbaz.so.1']),
        build_rpm(top / 'b', 'libbar', 'i686', files=['/usr/lib/libbar.so.2'],
                  provides=['libbar.so.2 = 2.0'], version='2.0'),
        build_rpm(top / 'c', 'libbar', 'i686', files=['/usr/lib/libbar.so.2'],
                  provides=['libbar.so.2 = 2.1'], version='2.1'),
        build_rpm(top / 'd', 'old-bar', 'i686', files=['/usr/lib/old/libbar.so.2'],
                  provides=['libbar.so.2 = 1.0']),
        build_rpm(top / 'e', 'foo-data', 'noarch', files=['/usr/share/foo/data']),
        build_rpm(top / 'f', 'libbaz', 'i686', files=['/usr/lib/libbaz.so.1']),
        build_rpm(top / 'g', 'unrelated', 'i686', files=['/usr/lib/libunrelated.so.1']),
        build_rpm(top / 'h', 'broken', 'i686', files=['/usr/lib/libbroken.so.1'],
                  requires=['nothing-has-this > 3']),
    ]
    paths = {os.path.basename(p): p for p in made}
    resolver = multilib_deps.Resolver(multilib_deps.load_packages(paths),
                                      arch_order=('i686', 'i586', 'i386', 'noarch'))
    resolver.test_paths = paths
    return resolver


def test_closure_follows_requirements(repo32):
    # versioned soname (the newest libbar, not the too-old decoy), plain name, file path
    assert repo32.closure(['libfoo-1.0-1.i686.rpm']) == [
        'foo-data-1.0-1.noarch.rpm', 'libbar-2.1-1.i686.rpm', 'libbaz-1.0-1.i686.rpm',
        'libfoo-1.0-1.i686.rpm']


def test_closure_prefers_what_is_chosen(repo32):
    got = repo32.closure(['libbar-2.0-1.i686.rpm', 'libfoo-1.0-1.i686.rpm'])
    assert 'libbar-2.0-1.i686.rpm' in got and 'libbar-2.1-1.i686.rpm' not in got


def test_closure_reports_unmet(repo32):
    with pytest.raises(multilib_deps.DepsolveError) as info:
        repo32.closure(['broken-1.0-1.i686.rpm'])
    assert 'broken-1.0-1.i686.rpm requires nothing-has-this > 3' in str(info.value)
    with pytest.raises(koji.GenericError, match='not in the multilib repo'):
        repo32.closure(['absent-1.0-1.i686.rpm'])


# what upstream's kojid does: install the packages into an empty root from the 32-bit repo
DNF_SOLVE = """
import json, os, sys
import dnf, dnf.conf, dnf.rpm
repo, root, arch = sys.argv[1:4]
conf = dnf.conf.Conf()
conf.reposdir = []
conf.installroot = root
conf.cachedir = os.path.join(root, 'cache')
conf.gpgcheck = False
conf.arch = arch
conf.substitutions['basearch'] = dnf.rpm.basearch(arch)
base = dnf.Base(conf)
base.repos.add_new_repo('ml', conf, baseurl=['file://' + repo])
base.fill_sack(load_system_repo=False, load_available_repos=True)
for spec in sys.argv[4:]:
    base.install(spec)
try:
    base.resolve()
except dnf.exceptions.DepsolveError:
    print(json.dumps(None))
else:
    print(json.dumps(sorted(os.path.basename(p.location)
                            for p in base.transaction.install_set)))
"""


@pytest.mark.parametrize('roots', [
    ['libfoo-1.0-1.i686.rpm'],
    ['libbar-2.0-1.i686.rpm', 'libfoo-1.0-1.i686.rpm'],
    ['libbaz-1.0-1.i686.rpm', 'unrelated-1.0-1.i686.rpm'],
    ['broken-1.0-1.i686.rpm'],
])
def test_closure_matches_dnf(repo32, roots, tmp_path):
    """The closure is the install set dnf (Debian's, for the system python) computes."""
    if subprocess.run(['/usr/bin/python3', '-c', 'import dnf'],
                      stderr=subprocess.DEVNULL).returncode:
        pytest.skip('the system python3 cannot import dnf')
    repo = tmp_path / 'repo'
    repo.mkdir()
    for fn, path in repo32.test_paths.items():
        shutil.copy(path, str(repo / fn))
    subprocess.run(['createrepo_c', '-q', str(repo)], check=True)
    out = subprocess.run(['/usr/bin/python3', '-c', DNF_SOLVE, str(repo), str(tmp_path / 'root'),
                          'i686'] + [fn[:-4] for fn in roots],
                         stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout
    expected = json.loads(out.strip().splitlines()[-1])
    try:
        got = repo32.closure(roots)
    except multilib_deps.DepsolveError:
        got = None
    assert got == expected
