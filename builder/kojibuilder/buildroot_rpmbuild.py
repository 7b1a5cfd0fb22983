"""The rpmbuild backend of BuildRoot: real builds on hosts without mock.

The root is filled from the build tag's repo with dnf (``--installroot``: the install
group, then the SRPM's BuildRequires) and its rpm list goes to the hub as with mock. The
host's own rpmbuild then builds against that root's rpm database (``--dbpath``), so a
BuildRequires the repo cannot satisfy fails the build as it would in mock, while the
compiling is done by the host's tools. ``rpmbuild_bwrap`` runs the builds under
bubblewrap (no network unless the buildroot wants DNS).

rpm's database location is a macro (Debian keeps it under ~/.rpmdb), so it is pinned to
``/var/lib/rpm`` inside the root for dnf (through a private HOME/.rpmmacros) and given
to rpm and rpmbuild explicitly.
"""
import glob
import os
import shutil
import subprocess

import koji
from koji.util import parseStatus

from .buildroot import BuildRoot
from .buildroot_logs import CommandTimeout

DNF = '/usr/bin/dnf'
RPMBUILD = 'rpmbuild'
BWRAP = '/usr/bin/bwrap'
ROOT_DBPATH = '/var/lib/rpm'
# rpmbuild's line before the unmet BuildRequires
FAILED_DEPS = 'Failed build dependencies'


def dnf_conf_text(urls, proxy=None):
    lines = ['[main]', 'reposdir=/dev/null', 'gpgcheck=0', 'assumeyes=1',
             'install_weak_deps=0', 'keepcache=0', 'retries=20']
    if proxy:
        lines.append('proxy=%s' % proxy)
    lines += ['', '[build]', 'name=build', 'baseurl=%s' % urls[0]]
    lines += ['        %s' % url for url in urls[1:]]
    return '\n'.join(lines) + '\n'


def dnf_cmd(conf, root, packages, releasever='0', strict=True):
    cmd = [DNF, '-c', conf, '--installroot', root, '--releasever', str(releasever),
           '--setopt=strict=%d' % int(bool(strict)), '-y', 'install']
    return cmd + list(packages)


def bwrap_cmd(cmd, network=False):
    """cmd inside a bubblewrap sandbox seeing the host read-write, without network."""
    wrap = [BWRAP, '--bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
            '--unshare-ipc', '--unshare-pid', '--die-with-parent']
    if not network:
        wrap.append('--unshare-net')
    return wrap + ['--'] + list(cmd)


def srpm_buildrequires(srpm):
    """The SRPM's requirements (its BuildRequires) without rpmlib() ones."""
    proc = subprocess.run(['rpm', '-qp', '--requires', srpm], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise koji.BuildError('cannot read %s: %s' % (srpm, proc.stderr.strip()))
    reqs = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line and not line.startswith('rpmlib(') and line not in reqs:
            reqs.append(line)
    return reqs


def failed_deps(logfile):
    """The unmet BuildRequires rpmbuild listed in logfile (empty if none)."""
    try:
        with open(logfile, encoding='utf-8', errors='replace') as fo:
            lines = fo.read().splitlines()
    except OSError:
        return []
    found = []
    for idx, line in enumerate(lines):
        if FAILED_DEPS in line:
            for dep in lines[idx + 1:]:
                if not dep.startswith(('\t', ' ')):
                    break
                found.append(dep.strip())
    return found


class RpmbuildBuildRoot(BuildRoot):
    """A dnf-populated root used by the host's rpmbuild."""

    backend = 'rpmbuild'

    # -- paths and environment

    def dbpath(self):
        return os.path.join(self.rootdir(), ROOT_DBPATH.lstrip('/'))

    def rpm_topdir(self):
        return os.path.join(self.rootdir(), 'builddir', 'build')

    def _home(self):
        """A HOME whose .rpmmacros pins the root's rpm database for dnf."""
        home = os.path.join(self.topdir(), 'home')
        koji.ensuredir(home)
        with open(os.path.join(home, '.rpmmacros'), 'w') as fo:
            fo.write('%%_dbpath %s\n' % ROOT_DBPATH)
        return home

    def _repo_urls(self):
        topurl = getattr(self.options, 'topurl', None)
        relpath = 'repos/%s/%s/%s' % (self.tag_name, self.repoid, self.br_arch)
        if topurl:
            return ['%s/%s' % (url.rstrip('/'), relpath) for url in topurl.split()]
        return ['file://%s/%s' % (self.options.topdir.rstrip('/'), relpath)]

    def _releasever(self):
        return (self.config.get('extra') or {}).get('mock.releasever') or '0'

    def macros(self):
        """rpmbuild --define pairs: the mock config's macros for a build on the host."""
        macros = {'_rpmfilename': '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
                  'vendor': self.options.vendor, 'packager': self.options.packager,
                  'distribution': self.options.distribution}
        for key, value in (self.config.get('extra') or {}).items():
            if key.startswith('rpm.macro.'):
                macros[key[10:]] = value
        macros['_topdir'] = self.rpm_topdir()
        macros['_dbpath'] = self.dbpath()
        return macros

    def _define_args(self, extra=None):
        macros = self.macros()
        macros.update(extra or {})
        args = []
        for key in sorted(macros):
            args += ['--define', '%s %s' % (key, macros[key])]
        return args

    def _env(self):
        env = {'HOME': self._home()}
        for key, value in (self.config.get('extra') or {}).items():
            if key.startswith('rpm.env.'):
                env[key[8:]] = str(value)
        return env

    def _sandboxed(self, cmd):
        if getattr(self.options, 'rpmbuild_bwrap', False):
            return bwrap_cmd(cmd, network=self.setup_dns)
        return cmd

    # -- dnf

    def _dnf(self, packages, strict=True):
        conf = os.path.join(self.topdir(), 'dnf.conf')
        with open(conf, 'w') as fo:
            fo.write(dnf_conf_text(self._repo_urls(), proxy=self.options.yum_proxy))
        cmd = dnf_cmd(conf, self.rootdir(), packages, releasever=self._releasever(),
                      strict=strict)
        return self.run(cmd, os.path.join(self.resultdir(), 'root.log'), env=self._env())

    def _fail(self, exc_class, what, code, logfile, command=RPMBUILD):
        self.expire()
        raise exc_class('%s, %s; see %s for more information'
                        % (what, parseStatus(code << 8, command), logfile))

    def mock(self, args):
        """Plugins written for mock (runroot, image builds) need a real mock."""
        raise koji.BuildrootError('the rpmbuild buildroot backend cannot run mock commands: '
                                  'set buildroot_backend = mock')

    # -- the backend interface

    def init(self):
        for path in (self.rootdir(), self.resultdir(), self.tmpdir(), self.dbpath()):
            koji.ensuredir(path)
        code = self._dnf(['@%s' % self.install_group])
        if code:
            self._fail(koji.BuildrootError, 'could not init buildroot', code, 'root.log',
                       command='dnf')
        self.report_rpms()

    def install(self, packages):
        code = self._dnf(packages)
        if code:
            raise koji.BuildrootError('error installing packages, %s; see root.log for more '
                                      'information' % parseStatus(code << 8, 'dnf'))
        self.report_rpms()

    def _builddeps(self, srpm):
        """Install what the repo has of srpm's BuildRequires; rpmbuild judges the rest."""
        reqs = srpm_buildrequires(srpm)
        if reqs:
            self._dnf(reqs, strict=False)

    def _rpmbuild(self, args, what, logname='build.log', cwd=None):
        """Run rpmbuild under kojid's rpmbuild_timeout, as mock runs it under the same
        config_opts['rpmbuild_timeout']: past it the build is killed and fails."""
        cmd = self._sandboxed([RPMBUILD] + list(args))
        timeout = getattr(self.options, 'rpmbuild_timeout', None) or None
        try:
            return self.run(cmd, os.path.join(self.resultdir(), logname), env=self._env(),
                            cwd=cwd, timeout=timeout)
        except CommandTimeout:
            self.expire()
            raise koji.BuildError('%s, rpmbuild killed after the rpmbuild_timeout of %s '
                                  'seconds; see %s for more information'
                                  % (what, timeout, logname))

    def build(self, srpm, arch=None):
        self.markBuilding()
        self._builddeps(srpm)
        topdir = self.rpm_topdir()
        for sub in ('BUILD', 'RPMS', 'SRPMS', 'SOURCES', 'SPECS'):
            koji.ensuredir(os.path.join(topdir, sub))
        args = self._define_args()
        if arch:
            args += ['--target', arch]
        what = 'error building package (arch %s)' % arch
        code = self._rpmbuild(args + ['--rebuild', srpm], what)
        self.session.host.updateBuildRootList(self.id, self.getPackageList())
        if code:
            msg = '%s, %s; see build.log for more information' \
                % (what, parseStatus(code << 8, RPMBUILD))
            deps = failed_deps(os.path.join(self.resultdir(), 'build.log'))
            if deps:
                msg += ' (%s: %s)' % (FAILED_DEPS, ', '.join(deps))
            self.expire()
            raise koji.BuildError(msg)
        built = glob.glob(os.path.join(topdir, 'RPMS', '*.rpm'))
        built += glob.glob(os.path.join(topdir, 'RPMS', '*', '*.rpm'))
        for path in built:
            shutil.move(path, self.resultdir())
        # the srpm as built here (with this buildroot's macros), as mock --rebuild keeps it
        for path in glob.glob(os.path.join(topdir, 'SRPMS', '*.src.rpm')):
            shutil.move(path, self.resultdir())
        if not glob.glob(os.path.join(self.resultdir(), '*.src.rpm')):
            code = self._rpmbuild(args + ['-rs', srpm], what)
            for path in glob.glob(os.path.join(topdir, 'SRPMS', '*.src.rpm')):
                shutil.move(path, self.resultdir())

    def rebuild_srpm(self, srpm):
        self.markBuilding()
        srpm_dir = os.path.join(self.tmpdir(), 'srpm_unpacked')
        koji.ensuredir(srpm_dir)
        code = self.run(['rpm', '--define', '_topdir %s' % srpm_dir, '--dbpath', self.dbpath(),
                         '-iv', srpm], os.path.join(self.resultdir(), 'build.log'),
                        env=self._env())
        specs = glob.glob(os.path.join(srpm_dir, 'SPECS', '*.spec'))
        if not specs:
            raise koji.BuildError('No spec file found')
        if len(specs) > 1:
            raise koji.BuildError('Multiple spec files found: %s' % specs)
        code = self._rpmbuild(self._define_args({'_topdir': srpm_dir})
                              + ['--target', 'noarch', '-bs', '--nodeps', specs[0]],
                              'error building srpm')
        for path in glob.glob(os.path.join(srpm_dir, 'SRPMS', '*.src.rpm')):
            shutil.move(path, self.resultdir())
        if code:
            self._fail(koji.BuildError, 'error building srpm', code, 'build.log')

    def build_srpm(self, specfile, sourcedir, source_cmd=None):
        self.markBuilding()
        if source_cmd:
            code = self.run(self._sandboxed(list(source_cmd)),
                            os.path.join(self.resultdir(), 'build.log'), env=self._env(),
                            cwd=sourcedir)
            if code:
                self._fail(koji.BuildError, 'error retrieving sources', code, 'build.log',
                           command=source_cmd[0])
        alt = os.path.join(sourcedir, 'SOURCES')
        srcdir = alt if self.options.support_rpm_source_layout and os.path.isdir(alt) \
            else sourcedir
        extra = {'_sourcedir': srcdir, '_specdir': os.path.dirname(specfile),
                 '_srcrpmdir': self.resultdir()}
        code = self._rpmbuild(self._define_args(extra) + ['--target', 'noarch', '-bs',
                                                          specfile], 'error building srpm')
        if code:
            self._fail(koji.BuildError, 'error building srpm', code, 'build.log')
