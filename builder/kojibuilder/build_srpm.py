"""The srpm steps of an rpm build: rebuildSRPM (an uploaded srpm) and buildSRPMFromSCM.

Both make the srpm inside a buildroot of the build tag (group ``srpm-build``), so it gets
the tag's dist macros and the build system's packager/vendor/distribution.
"""
import glob
import grp
import os
import pwd
import re
import shutil

import koji

from .build_arch import BaseBuildTask
from .scm_checkout import allowed_scm, checkout_scm

SPEC_TAGS = ('Packager', 'Distribution', 'Vendor')


def spec_sanity_checks(path):
    """Specs may not set what the build system sets.

    As upstream's check, a tag or %define is only caught at the start of the file.
    """
    with open(path, encoding='utf-8', errors='replace') as fo:
        text = fo.read()
    for tag in SPEC_TAGS:
        if re.match('%s:' % tag, text, re.M):
            raise koji.BuildError('%s is not allowed to be set in spec file' % tag)
    for tag in SPEC_TAGS:
        if re.match(r'%%define\s+%s\s+' % tag.lower(), text, re.M):
            raise koji.BuildError('%s is not allowed to be defined in spec file' % tag.lower())


def find_spec(sourcedir, support_rpm_source_layout=True):
    """The one spec of a checkout (top or SPECS/); with several, the one named as the dir."""
    specs = glob.glob(os.path.join(sourcedir, '*.spec'))
    if not specs and support_rpm_source_layout:
        specs = glob.glob(os.path.join(sourcedir, 'SPECS', '*.spec'))
    if not specs:
        raise koji.BuildError('No spec file found')
    if len(specs) == 1:
        return specs[0]
    base = os.path.basename(sourcedir)
    for candidate in (os.path.join(sourcedir, '%s.spec' % base),
                      os.path.join(sourcedir, 'SPECS', '%s.spec' % base)):
        if candidate in specs:
            return candidate
    raise koji.BuildError('Multiple spec files found but none is matching SCM checkout dir '
                          'name: %s' % specs)


def _chown_for_mockuser(task, path):
    """Give the checkout to the mock user (mock builds the srpm unprivileged)."""
    if os.getuid() != 0:
        return
    try:
        uid = pwd.getpwnam(task.options.mockuser).pw_uid
        gid = grp.getgrnam('mock').gr_gid
    except KeyError:
        return
    task.chownTree(path, uid, gid)


class SRPMTaskMixin(object):

    def _buildroot_for(self, build_tag, opts, **rootopts):
        repo_id = opts.get('repo_id')
        if not repo_id:
            raise koji.BuildError('A repo id must be provided')
        repo_info = self.session.repoInfo(repo_id, strict=True)
        event_id = repo_info['create_event']
        tag = self.session.getTag(build_tag, strict=True, event=event_id)
        br_arch = self.find_arch('noarch', self.session.host.getHost(),
                                 self.session.getBuildConfig(tag['id'], event=event_id))
        broot = self.buildroot(tag['id'], br_arch, repo_id=repo_id, **rootopts)
        return tag, broot

    def _one_srpm(self, broot, where):
        srpms = glob.glob(os.path.join(broot.resultdir(), '*.src.rpm'))
        if not srpms:
            raise koji.BuildError('No srpms found in %s' % where)
        if len(srpms) > 1:
            raise koji.BuildError('Multiple srpms found in %s: %s' % (where, ', '.join(srpms)))
        srpm = srpms[0]
        fields = koji.get_header_fields(srpm, ['name', 'version', 'release'])
        name = '%(name)s-%(version)s-%(release)s.src.rpm' % fields
        if name != os.path.basename(srpm):
            raise koji.BuildError('srpm name mismatch: %s != %s'
                                  % (name, os.path.basename(srpm)))
        self.uploadFile(srpm)
        return name

    def _result(self, broot, srpm_name, source):
        uploadpath = self.getUploadDir()
        result = {'srpm': '%s/%s' % (uploadpath, srpm_name),
                  'logs': ['%s/%s' % (uploadpath, name) for name in sorted(broot.logs)],
                  'brootid': broot.id,
                  'source': source}
        broot.expire()
        return result


class RebuildSRPM(SRPMTaskMixin, BaseBuildTask):
    """Rebuild an uploaded srpm in a buildroot of the tag (dist tag, headers)."""

    Methods = ['rebuildSRPM']
    _taskWeight = 1.0

    def handler(self, srpm, build_tag, opts=None):
        opts = opts or {}
        tag, broot = self._buildroot_for(build_tag, opts, install_group='srpm-build')
        broot.init()
        srpmdir = os.path.join(broot.tmpdir(), 'srpm')
        koji.ensuredir(srpmdir)
        path = self.localPath('work/%s' % srpm)
        if not os.path.exists(path):
            raise koji.BuildError('Input SRPM file missing: %s' % path)
        shutil.copy(path, srpmdir)
        broot.rebuild_srpm(os.path.join(srpmdir, os.path.basename(srpm)))
        name = self._one_srpm(broot, srpmdir)
        base = os.path.basename(glob.glob(os.path.join(broot.resultdir(), '*.src.rpm'))[0])
        return self._result(broot, name, {'source': base, 'url': base})


class BuildSRPMFromSCMTask(SRPMTaskMixin, BaseBuildTask):
    """Check a source out of an allowed SCM and make its srpm in a buildroot."""

    Methods = ['buildSRPMFromSCM']
    _taskWeight = 1.0

    def patch_scm_source(self, sourcedir, logfile, opts):
        """A hook for subclasses that patch the checkout."""

    def handler(self, url, build_tag, opts=None):
        opts = opts or {}
        scm = allowed_scm(self, url, opts.get('scratch'))
        rootopts = {'install_group': 'srpm-build', 'setup_dns': True}
        creds = self.options.scm_credentials_dir
        if creds is not None and os.path.isdir(creds):
            rootopts['bind_opts'] = {'dirs': {creds: '/credentials'}}
            rootopts['internal_dev_setup'] = True
        tag, broot = self._buildroot_for(build_tag, opts, **rootopts)
        broot.init()
        scmdir = os.path.join(broot.tmpdir(), 'scmroot')
        koji.ensuredir(scmdir)
        logfile = os.path.join(self.workdir, 'checkout.log')
        sourcedir = checkout_scm(self, scm, scmdir, logfile, tag, opts.get('scratch'),
                                 buildroot=broot)
        # before the chown: newer git refuses to read a repo owned by someone else
        source = scm.get_source()
        if broot.backend == 'mock':
            _chown_for_mockuser(self, scmdir)
        self.patch_scm_source(sourcedir, logfile, opts)
        spec = find_spec(sourcedir, self.options.support_rpm_source_layout)
        spec_sanity_checks(spec)
        broot.build_srpm(spec, sourcedir, scm.source_cmd)
        name = self._one_srpm(broot, sourcedir)
        return self._result(broot, name, source)
