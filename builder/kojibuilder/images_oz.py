"""ImageFactory (Oz) image builds: the ``image`` parent (build_rpm policy, one
createImage per arch, optional wrapper rpms, import, tag), and the ImageFactory
children ``createImage`` and ``indirectionimage``.

ImageFactory is a Python library (imgfac) that Debian does not ship; as upstream's kojid
does without it, the parent and createImage refuse the task (another builder may have
it).  The ImageFactory work itself (base image, target images, indirection) is not
written here.
"""
import os

import koji
from koji.tasks import BaseTaskHandler, RefuseTask, ServerExit

from .images import BuildImageTask

try:  # pragma: no cover - not installable on the test machines
    import imgfac  # noqa: F401
    ozif_enabled = True
except ImportError:
    ozif_enabled = False

REFUSAL = 'ImageFactory functions not available'


class BuildBaseImageTask(BuildImageTask):
    Methods = ['image']

    def _policy(self, target_info, build_tag, opts):
        owner = self.session.getTaskInfo(self.id)['owner']
        data = {'user_id': owner, 'source': opts.get('ksurl'), 'task_id': self.id,
                'build_tag': build_tag, 'skip_tag': bool(opts.get('skip_tag')),
                'scratch': bool(opts.get('scratch')), 'from_scm': False,
                'repo_id': opts.get('repo_id'), 'target': target_info['name']}
        if not opts.get('skip_tag'):
            data['tag'] = target_info['dest_tag']
        self.session.host.assertPolicy('build_rpm', data)

    def handler(self, name, version, arches, target, inst_tree, opts=None):
        target_info = self.session.getBuildTarget(target, strict=True)
        build_tag = target_info['build_tag']
        repo_info = self.getRepo(build_tag)
        tag_arches = self._tag_arches(build_tag)
        for arch in arches:
            self._check_arch(arch, tag_arches)
        opts = opts or {}
        if not ozif_enabled:
            self.logger.error('ImageFactory features require the following dependencies: '
                              'pykickstart, imagefactory, oz and possibly python-hashlib')
            raise RefuseTask(REFUSAL)
        self._policy(target_info, build_tag, opts)
        bld_info = None
        subtasks = {}
        try:
            release = opts.get('release')
            if '-' in version:
                raise koji.ApplianceError('The Version may not have a hyphen')
            if release and '-' in release:
                raise koji.ApplianceError('The Release may not have a hyphen')
            if not opts.get('scratch'):
                bld_info = self.initImageBuild(name, version, release, target_info, opts)
                release = bld_info['release']
            elif not release:
                release = self.session.getNextRelease({'name': name, 'version': version})
            optional = opts.get('optional_arches', [])
            for arch in arches:
                subtasks[arch] = self.session.host.subtask(
                    method='createImage',
                    arglist=[name, version, release, arch, target_info, build_tag, repo_info,
                             inst_tree.replace('$arch', arch), opts],
                    label=arch, parent=self.id, arch=arch)
            results, failed = self._wait_arches(subtasks, optional)
            ignored = {a for a in arches if a in optional and subtasks[a] in failed}
            by_arch = {}
            for arch in arches:
                # keyed by arch: xmlrpc wants string keys
                by_arch[arch] = results[subtasks[arch]]
                if opts.get('specfile') and arch not in ignored:
                    by_arch[arch]['rpmresults'] = self.buildWrapperRPM(
                        opts['specfile'], subtasks[arch], target_info, bld_info,
                        repo_info['id'])
            if 'kickstart' in opts:
                # the user's kickstart is imported once, not once per arch
                ks = os.path.basename(opts['kickstart'])
                seen = False
                for arch in by_arch:
                    if arch in ignored or ks not in by_arch[arch]['files']:
                        continue
                    if seen:
                        by_arch[arch]['files'].remove(ks)
                    seen = True
            self._import(bld_info, by_arch, opts)
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            self._fail_build(bld_info, opts)
            raise
        self._tag(target_info, bld_info, opts)
        return self._report('image', bld_info, list(subtasks.values()), opts)


class BaseImageTask(BaseTaskHandler):
    Methods = ['createImage']
    _taskWeight = 2.0

    def handler(self, name, version, release, arch, target_info, build_tag, repo_info,
                inst_tree, opts=None):
        if not ozif_enabled:
            self.logger.error('ImageFactory features require the following dependencies: '
                              'pykickstart, imagefactory, oz and possibly python-hashlib')
            raise RefuseTask(REFUSAL)
        raise koji.BuildError('ImageFactory images are not supported by this builder')


class BuildIndirectionImageTask(BaseTaskHandler):
    Methods = ['indirectionimage']

    def handler(self, opts):
        # upstream's fails on its first ImageFactory call when the library is missing
        raise koji.BuildError('ImageFactory images are not supported by this builder')
