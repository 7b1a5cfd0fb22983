"""buildArch: one arch of an rpm build, in a fresh buildroot of the build tag's repo.

Also BaseBuildTask, the host check buildroot-making tasks share (checkHostArch): a host
none of whose arches the build tag has refuses the task before opening it.
"""
import hashlib
import json
import os

import koji
from koji.tasks import BaseTaskHandler

from .buildroot import make_buildroot

# weight: 1.5, raised by 0.75 per hour of the package's average build, at most +18
BASE_WEIGHT = 1.5
SECONDS_PER_WEIGHT = 4800.0
MAX_EXTRA_WEIGHT = 18.0


class BaseBuildTask(BaseTaskHandler):
    """Tasks that make a buildroot of a tag."""

    def checkHostArch(self, tag, hostdata, event=None):
        """False when the tag's arches and the host's are disjoint."""
        if isinstance(tag, dict):
            tag = tag.get('id') or tag.get('name')
        kwargs = {} if event is None else {'event': event}
        config = self.session.getBuildConfig(tag, **kwargs)
        if not config or not config['arches']:
            # the task itself will fail with a better message
            return True
        tag_arches = [koji.canonArch(a) for a in config['arches'].split()]
        host_arches = (hostdata.get('arches') or '').split()
        if set(tag_arches) & set(host_arches):
            return True
        self.logger.info('Task %s (%s): tag arches (%s) and host arches (%s) are disjoint',
                         self.id, self.method, ', '.join(tag_arches), ', '.join(host_arches))
        return False

    def buildroot(self, tag, arch, **kwargs):
        broot = make_buildroot(self.session, self.options, tag, arch, self.id, **kwargs)
        broot.workdir = self.workdir
        return broot


def weight_for(avg_duration):
    """The buildArch weight for a package whose builds take avg_duration seconds."""
    if not avg_duration or avg_duration < 0:
        return BASE_WEIGHT
    return BASE_WEIGHT + min(MAX_EXTRA_WEIGHT, avg_duration / SECONDS_PER_WEIGHT)


# what must agree between the copies of a noarch rpm built on several arches: not sizes,
# digests or times (upstream's rpmdiff ignores S5TN)
NOARCH_FACTS = ['name', 'version', 'release', 'epoch', 'arch', 'summary', 'description',
                'group', 'license', 'url', 'prein', 'postin', 'preun', 'postun', 'pretrans',
                'posttrans', 'filenames', 'filemodes', 'fileusername', 'filegroupname',
                'filelinktos', 'fileflags']
for _dep in ('require', 'provide', 'conflict', 'obsolete'):
    NOARCH_FACTS += [_dep + 'name', _dep + 'version', _dep + 'flags']


def noarch_hash(path):
    """A digest of a noarch rpm's comparable facts; equal digests need no rpmdiff."""
    facts = koji.get_header_fields(path, NOARCH_FACTS)
    text = json.dumps(facts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def srpm_sanity_checks(path):
    """The srpm built in the buildroot carries the headers the build system sets."""
    fields = koji.get_header_fields(path, ['packager', 'vendor', 'distribution'])
    for name in ('packager', 'vendor', 'distribution'):
        if not fields[name]:
            raise koji.BuildError('The build system failed to set the %s tag' % name)


class BuildArchTask(BaseBuildTask):
    """Build an uploaded srpm for one arch; returns what the parent imports."""

    Methods = ['buildArch']
    _taskWeight = BASE_WEIGHT

    def checkHost(self, hostdata):
        # not on BaseBuildTask: its plugin subclasses (createKiwiImage, createDudIso)
        # have no tag as their second argument
        return self.checkHostArch(self.params[1], hostdata)

    def updateWeight(self, name):
        try:
            avg = self.session.getAverageBuildDuration(name, age=6)
        except koji.ParameterError:
            avg = self.session.getAverageBuildDuration(name)
        if avg is not None and avg < 0:
            self.logger.warning('Negative average build duration for %s: %s', name, avg)
            return
        if avg:
            self.session.host.setTaskWeight(self.id, weight_for(avg))

    def handler(self, pkg, root, arch, keep_srpm, opts=None):
        opts = opts or {}
        repo_id = opts.get('repo_id')
        if not repo_id:
            raise koji.BuildError('A repo id must be provided')
        repo_info = self.session.repoInfo(repo_id, strict=True)
        event_id = repo_info['create_event']
        path = self.localPath('work/%s' % pkg)
        if not os.path.exists(path):
            raise koji.BuildError('SRPM file missing: %s' % path)
        header = koji.get_rpm_header(path)
        if not koji.get_header_field(header, 'sourcepackage'):
            raise koji.BuildError('not a source package')
        self.updateWeight(koji.get_header_field(header, 'name'))
        # a noarch task may have been sent to a given arch (ExclusiveArch and friends)
        preferred = self.session.getTaskInfo(self.id)['arch'] if arch == 'noarch' else None
        br_arch = self.find_arch(arch, self.session.host.getHost(),
                                 self.session.getBuildConfig(root, event=event_id),
                                 preferred_arch=preferred)
        broot = self.buildroot(root, br_arch, repo_id=repo_id)
        broot.init()
        broot.build(path, arch)
        return self._results(broot, keep_srpm)

    def _results(self, broot, keep_srpm):
        rpms = [p for p in broot.results('.rpm') if not p.endswith('.src.rpm')]
        srpms = broot.results('.src.rpm')
        uploadpath = self.getUploadDir()
        noarch = [p for p in rpms if p.endswith('.noarch.rpm')]
        if noarch:
            # the hub compares noarch copies from several arches through these
            hashes = {str(self.id): dict((os.path.basename(p), noarch_hash(p))
                                         for p in noarch)}
            path = os.path.join(self.workdir, 'noarch_rpmdiff.json')
            koji.dump_json(path, hashes, indent=2, sort_keys=True)
            self.uploadFile(path)
            broot.logs.add('noarch_rpmdiff.json')
        for path in rpms:
            self.uploadFile(path)
        if keep_srpm:
            if not srpms:
                raise koji.BuildError('no srpm files found for task %i' % self.id)
            if len(srpms) > 1:
                raise koji.BuildError('multiple srpm files found for task %i: %s'
                                      % (self.id, [os.path.basename(p) for p in srpms]))
            srpm_sanity_checks(srpms[0])
            self.uploadFile(srpms[0])
        result = {
            'rpms': ['%s/%s' % (uploadpath, os.path.basename(p)) for p in rpms],
            'srpms': (['%s/%s' % (uploadpath, os.path.basename(p)) for p in srpms]
                      if keep_srpm else []),
            'logs': ['%s/%s' % (uploadpath, name) for name in sorted(broot.logs)],
            'brootid': broot.id,
        }
        broot.expire()
        return result
