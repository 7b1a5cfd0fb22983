"""The mock backend of BuildRoot: the mock command lines upstream kojid runs.

The argument lists are plain functions of their inputs so that unit tests pin them down
without running mock. mock's output goes to ``<task workdir>/mock_output.log``; its own
logs (resultdir ``*.log``) and the root's dnf logs stream to the hub while it runs.
"""
import glob
import os
import shutil

import koji
from koji.util import parseStatus

from .buildroot import DEFAULT_CONFDIR, BuildRoot

MOCK_OUTPUT = 'mock_output.log'


def mock_config_ref(name, confdir=DEFAULT_CONFDIR):
    """What -r gets: koji/<name> for the standard config dir, else the file itself."""
    if os.path.normpath(confdir) == DEFAULT_CONFDIR:
        return 'koji/%s' % name
    return os.path.join(confdir, '%s.cfg' % name)


def mock_base_cmd(mockpath, config_ref, extra):
    """mock -r ... with the chroot flags the build tag's extra asks for."""
    cmd = [mockpath, '-r', config_ref]
    if 'mock.new_chroot' in extra:
        cmd.append('--new-chroot' if extra['mock.new_chroot'] else '--old-chroot')
    if extra.get('mock.bootstrap_image_ready', False):
        cmd.append('--bootstrap-image-ready')
    return cmd


def init_args():
    return ['--init']


def uname_args():
    return ['--chroot', 'uname -r']


def build_args(srpm, arch=None):
    args = ['--no-clean']
    if arch:
        args += ['--target', arch]
    return args + ['--rebuild', srpm]


def source_cmd_args(chroot_sourcedir, source_cmd):
    return ['--no-clean', '--unpriv', '--cwd', chroot_sourcedir, '--chroot'] + list(source_cmd)


def buildsrpm_args(specfile, sources_dir):
    return ['--no-clean', '--buildsrpm', '--spec', specfile, '--sources', sources_dir,
            '--target', 'noarch']


def srpm_unpack_args(topdir, srpm):
    return ['--no-clean', '--target', 'noarch', '--chroot', '--',
            'rpm', '--define', '_topdir %s' % topdir, '-iv', srpm]


def srpm_rebuild_args(topdir, specfile):
    return ['--no-clean', '--target', 'noarch', '--chroot', '--',
            'rpmbuild', '--define', '_topdir %s' % topdir, '-bs', '--nodeps', specfile]


def install_args(packages):
    return ['--install'] + list(packages)


def mock_result(status, logfile=None):
    """Why mock failed, pointing at the log that tells more (status as from waitpid)."""
    if logfile:
        pass
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 10:
        logfile = 'build.log'
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1:
        logfile = 'build.log or root.log'
    else:
        logfile = 'root.log'
    return '%s; see %s for more information' % (parseStatus(status, 'mock'), logfile)


def sources_dir(sourcedir, support_rpm_source_layout):
    alt = os.path.join(sourcedir, 'SOURCES')
    if support_rpm_source_layout and os.path.isdir(alt):
        return alt
    return sourcedir


class MockBuildRoot(BuildRoot):
    """A buildroot made and used by mock, as upstream kojid does it."""

    backend = 'mock'

    def mock(self, args):
        """Run mock with args; returns a waitpid-style status."""
        mockpath = getattr(self.options, 'mockpath', None) or '/usr/bin/mock'
        cmd = mock_base_cmd(mockpath, mock_config_ref(self.name, self.confdir()),
                            self.config.get('extra') or {}) + list(args)
        workdir = self.workdir or self.topdir()
        outfile = os.path.join(workdir, MOCK_OUTPUT)
        code = self.run(cmd, outfile, extra_logs=[outfile], user=self.options.mockuser)
        # as os.waitpid reports it, for parseStatus and the exit code checks
        return code << 8 if code < 128 else code - 128

    def init(self):
        status = self.mock(init_args())
        if status:
            self.expire()
            raise koji.BuildrootError('could not init mock buildroot, %s'
                                      % mock_result(status))
        # the kernel version goes into the logs
        self.mock(uname_args())
        self.report_rpms()

    def build(self, srpm, arch=None):
        self.markBuilding()
        status = self.mock(build_args(srpm, arch))
        self.session.host.updateBuildRootList(self.id, self.getPackageList())
        if status:
            self.expire()
            raise koji.BuildError('error building package (arch %s), %s'
                                  % (arch, mock_result(status)))

    def rebuild_srpm(self, srpm):
        self.markBuilding()
        srpm_dir = os.path.join(self.tmpdir(), 'srpm_unpacked')
        koji.ensuredir(srpm_dir)
        topdir = self.path_within(srpm_dir)
        status = self.mock(srpm_unpack_args(topdir, self.path_within(srpm)))
        specs = glob.glob(os.path.join(srpm_dir, 'SPECS', '*.spec'))
        if not specs:
            raise koji.BuildError('No spec file found')
        if len(specs) > 1:
            raise koji.BuildError('Multiple spec files found: %s' % specs)
        specfile = os.path.join(topdir, 'SPECS', os.path.basename(specs[0]))
        status = self.mock(srpm_rebuild_args(topdir, specfile))
        koji.ensuredir(self.resultdir())
        for path in glob.glob(os.path.join(srpm_dir, 'SRPMS', '*.src.rpm')):
            shutil.move(path, self.resultdir())
        if status:
            self.expire()
            raise koji.BuildError('error building srpm, %s' % mock_result(status))

    def build_srpm(self, specfile, sourcedir, source_cmd=None):
        self.markBuilding()
        if source_cmd:
            status = self.mock(source_cmd_args(self.path_within(sourcedir), source_cmd))
            if status:
                self.expire()
                raise koji.BuildError('error retrieving sources, %s' % mock_result(status))
        srcdir = sources_dir(sourcedir, self.options.support_rpm_source_layout)
        status = self.mock(buildsrpm_args(specfile, srcdir))
        if status:
            self.expire()
            raise koji.BuildError('error building srpm, %s' % mock_result(status))

    def install(self, packages):
        status = self.mock(install_args(packages))
        if status:
            raise koji.BuildrootError('error installing packages, %s'
                                      % mock_result(status, logfile=MOCK_OUTPUT))
        self.session.host.updateBuildRootList(self.id, self.getPackageList())
