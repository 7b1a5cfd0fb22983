"""Builder plugin: driver update disk (DUD) ISOs (plugins/hub/dud.py queues them).

``dudBuild`` opens the image build and runs one ``createDudIso`` child per arch. The
child downloads the requested packages with ``dnf download`` inside a buildroot of
install group ``dud-build`` (which must bring dnf's download plugin, createrepo and
xorriso), lays them out as a driver disk (``dd/rhdd3``, ``dd/rpms/<arch>`` with repodata,
optional content from ``scmurl``) and makes ``dd-<name>-<version>-<release>.<arch>.iso``
with volume id OEMDRV.  Every step is a command in the buildroot, as upstream's plugin
runs them; the command lines are plain functions so that unit tests pin them down.
"""
import os

import koji
from __main__ import (BaseBuildTask, BuildImageTask, BuildRoot, allowed_scm, checkout_scm,
                      rpm_components)

__all__ = ('DudBuildTask', 'DudCreateImageTask')

RHDD3_TEXT = 'Driver Update Disk version 3'


# -- command lines ---------------------------------------------------------------------------

def iso_name(name, version, release, arch):
    return 'dd-%s-%s-%s.%s.iso' % (name, version, release, arch)


def download_cmd(package, alldeps=False):
    """dnf download of one package (with all its dependencies when asked)."""
    if alldeps:
        return ['/usr/bin/dnf', 'download', '--resolve', '--alldeps', package]
    return ['/usr/bin/dnf', 'download', package]


def layout_cmd(arch):
    return ['/usr/bin/mkdir', '-p', './dd/rpms/%s/repodata/' % arch, '-p', './dd/src/']


def rhdd3_cmd():
    # the marker file has no newline; echo -e with \c leaves it out
    return ['/usr/bin/sh', '-c', '/usr/bin/echo -e "%s\\c" > ./dd/rhdd3' % RHDD3_TEXT]


def copy_scm_cmd(srcdir):
    return ['/usr/bin/cp', '-aR', os.path.basename(srcdir), './dd/']


def copy_rpms_cmd(arch):
    # through a shell: the glob is the buildroot's
    return ['/usr/bin/sh', '-c', '/usr/bin/cp *.rpm ./dd/rpms/%s/' % arch]


def createrepo_cmd(arch):
    return ['/usr/bin/createrepo', '-q', '--workers=1', './dd/rpms/%s/' % arch]


def xorrisofs_cmd(iso):
    return ['/usr/bin/sh', '-c', '/usr/bin/xorrisofs -quiet -lR -V OEMDRV -input-charset utf8 '
            '-o %s ./dd -v' % iso]


def in_chroot(cwd, cmd):
    """mock arguments running cmd in the buildroot from cwd."""
    return ['--cwd', cwd, '--chroot', '--'] + list(cmd)


def rpm_headers(path):
    """Header facts of every rpm below path, one per file name (the ISO's components)."""
    return rpm_components(path, 'No rpms found in root dir!')


# -- the tasks -------------------------------------------------------------------------------

class DudBuildTask(BuildImageTask):
    Methods = ['dudBuild']
    _taskWeight = 1.0

    def handler(self, dud_name, dud_version, arches, target, pkg_list, opts=None):
        target_info = self.session.getBuildTarget(target, strict=True)
        build_tag = target_info['build_tag']
        repo_info = self.getRepo(build_tag)
        tag_arches = self._tag_arches(build_tag)
        if arches:
            for arch in arches:
                self._check_arch(arch, tag_arches)
        else:
            arches = tag_arches
        opts = dict(opts or {})
        opts['scratch'] = bool(opts.get('scratch'))
        opts['alldeps'] = bool(opts.get('alldeps'))
        opts['scmurl'] = opts.get('scmurl') or None
        opts['optional_arches'] = opts.get('optional_arches') or []
        self.opts = opts
        name, version = dud_name, dud_version
        release = opts.get('release') or \
            self.session.getNextRelease({'name': name, 'version': version})
        if '-' in version:
            raise koji.ApplianceError('The Version may not have a hyphen')
        bld_info = None
        if not opts['scratch']:
            bld_info = self.initImageBuild(name, version, release, target_info, opts)
            release = bld_info['release']
        subtasks = {}
        with self._failing_build(lambda: bld_info, opts):
            for arch in arches:
                subtasks[arch] = self.subtask(
                    'createDudIso', [name, version, release, arch, target_info, build_tag,
                                     repo_info, pkg_list, opts],
                    label=arch, arch=arch)
            results, _failed = self._wait_arches(subtasks, opts['optional_arches'])
            self._import(bld_info, {str(k): v for k, v in results.items()}, opts)
        self._tag(target_info, bld_info, opts)
        return self._report('image', bld_info, list(subtasks.values()), opts)


class DudCreateImageTask(BaseBuildTask):
    Methods = ['createDudIso']
    _taskWeight = 1.0

    def _run(self, broot, cmd, what):
        """Run one step in the buildroot's tmp dir; a failure names the step."""
        status = broot.mock(in_chroot(broot.tmpdir(within=True), cmd))
        if status:
            raise koji.GenericError('DUD build failed while %s: %s' % (what, status))

    def _checkout(self, broot, url, arch, build_tag):
        scratch = self.opts.get('scratch')
        scm = allowed_scm(self, url, scratch)
        return checkout_scm(self, scm, broot.tmpdir(),
                            os.path.join(self.workdir, 'checkout-%s.log' % arch),
                            build_tag, scratch)

    def handler(self, dud_name, dud_version, dud_release, arch, target_info, build_tag,
                repo_info, pkg_list, opts=None):
        self.opts = opts = opts or {}
        build_tag = target_info['build_tag']
        broot = BuildRoot(self.session, self.options, build_tag, arch, self.id,
                          repo_id=repo_info['id'], install_group='dud-build',
                          setup_dns=True, bind_opts={'dirs': {'/dev': '/dev'}})
        broot.workdir = self.workdir
        broot.init()
        koji.ensuredir(broot.tmpdir())
        # dnf in the buildroot downloads from the buildroot's own repo
        for package in pkg_list:
            status = broot.mock(in_chroot(broot.tmpdir(within=True),
                                          download_cmd(package, opts.get('alldeps'))))
            if status:
                raise koji.GenericError("DUD build failed while getting the involved rpm "
                                        "'%s': %s" % (package, status))
        self._run(broot, layout_cmd(arch), 'preparing the dir struct for the ISO')
        self._run(broot, rhdd3_cmd(), 'writing the rhdd3 file in the ISO')
        if opts.get('scmurl'):
            srcdir = self._checkout(broot, opts['scmurl'], arch, build_tag)
            self._run(broot, copy_scm_cmd(srcdir), 'copying SCM repo content into dirstruct')
        self._run(broot, copy_rpms_cmd(arch), 'copying RPMs into dir struct')
        self._run(broot, createrepo_cmd(arch), 'creating ISO repodata')
        iso = iso_name(dud_name, dud_version, dud_release, arch)
        self._run(broot, xorrisofs_cmd(iso), 'xorrisofs')

        self.uploadFile(os.path.join(broot.tmpdir(), iso), remoteName=iso)
        imgdata = {'arch': arch, 'task_id': self.id, 'name': dud_name,
                   'version': dud_version, 'release': dud_release, 'logs': [],
                   'rpmlist': [], 'files': [iso]}
        if not opts.get('scratch'):
            rpms = rpm_headers(broot.tmpdir())
            broot.markExternalRPMs(rpms)
            imgdata['rpmlist'] = rpms
        broot.expire()
        return imgdata
