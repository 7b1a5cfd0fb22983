"""wrapperRPM: rpms that carry the archives of a maven, windows or image build (or of
a task, when a parent build asks), from a Cheetah ``*.spec.tmpl`` in an SCM.

As a child it returns its rpms for the parent to import; standalone it imports them
itself: into the existing build (host.importWrapperRPMs), into a new build
(create_build: initBuild / completeBuild, then tag) or into the scratch area.
"""
import glob
import json
import os
import shutil

import koji
from koji.tasks import ServerExit

from .build_arch import BaseBuildTask
from .build_srpm import _chown_for_mockuser, spec_sanity_checks
from .scm_checkout import allowed_scm, checkout_scm


def _copy_fields(src, dest, *fields):
    for field in fields:
        dest[field] = src.get(field)


def find_template(specdir):
    """The first *.spec.tmpl of the checkout, top directory first, names sorted."""
    for path, _dirs, files in os.walk(specdir):
        for name in sorted(files):
            if name.endswith('.spec.tmpl'):
                return os.path.join(path, name)
    return None


class WrapperRPMTask(BaseBuildTask):
    Methods = ['wrapperRPM']
    _taskWeight = 1.5

    def checkHost(self, hostdata):
        return self.checkHostArch(self.params[1]['build_tag'], hostdata)

    def _task_artifacts(self, task):
        """(relpaths from topdir, names by extension, names, names with path) of a task."""
        relpaths, by_ext, names, with_path = [], {}, [], []
        output = self.session.listTaskOutput(task['id'], all_volumes=True)
        for path in sorted(output):
            name = os.path.basename(path)
            ext = os.path.splitext(name)[1]
            if ext == '.log':
                continue
            relpath = os.path.join(self.pathinfo.task(task['id']), path)[1:]
            for volume in output[path]:
                vpath = os.path.join(self.pathinfo.volumedir(volume), relpath)
                relpaths.append(vpath)
                by_ext.setdefault(ext, []).append(name)
                names.append(name)
                with_path.append(vpath)
        return relpaths, by_ext, names, with_path

    def _build_artifacts(self, build, maven_info, win_info, image_info):
        if build['state'] != koji.BUILD_STATES['COMPLETE']:
            raise koji.BuildError(
                'cannot call wrapperRPM on a build that did not complete successfully')
        btype = 'maven' if maven_info else 'win' if win_info else 'image' if image_info \
            else None
        if btype is None:
            raise koji.BuildError('unsupported build type')
        relpaths, by_ext, names, with_path = [], {}, [], []
        for archive in self.session.listArchives(buildID=build['id'], type=btype):
            name = archive['filename']
            ext = os.path.splitext(name)[1]
            by_ext.setdefault(ext, []).append(name)
            names.append(name)
            if ext == '.log':
                continue
            if btype == 'maven':
                repopath = self.pathinfo.mavenfile(archive)
                relpaths.append(os.path.join(self.pathinfo.mavenbuild(build), repopath)[1:])
            elif btype == 'win':
                repopath = self.pathinfo.winfile(archive)
                relpaths.append(os.path.join(self.pathinfo.winbuild(build), repopath)[1:])
            else:
                repopath = name
                relpaths.append(os.path.join(self.pathinfo.imagebuild(build), name)[1:])
            with_path.append(repopath)
        return relpaths, by_ext, names, with_path

    def _values(self, build, task, infos):
        """The template's searchList and the artifact paths to copy next to the spec."""
        maven_info, win_info, image_info = infos
        if task:
            relpaths, by_ext, names, with_path = self._task_artifacts(task)
        else:
            relpaths, by_ext, names, with_path = self._build_artifacts(build, *infos)
        if not by_ext:
            raise koji.BuildError('no output found for %s' % (
                task and koji.taskLabel(task) or koji.buildLabel(build)))
        values = {'artifacts': by_ext, 'all_artifacts': names,
                  'all_artifacts_with_path': with_path}
        if build:
            _copy_fields(build, values, 'epoch', 'name', 'version', 'release')
            if maven_info:
                values['maven_info'] = maven_info
            elif win_info:
                values['win_info'] = win_info
            else:
                values['image_info'] = image_info
        else:
            result = self.session.getTaskResult(task['id'])
            if task['method'] == 'buildMaven':
                nvr = koji.maven_info_to_nvr(result['maven_info'])
                nvr['release'] = '0.scratch'
                _copy_fields(nvr, values, 'epoch', 'name', 'version', 'release')
                values['maven_info'] = result['maven_info']
            elif task['method'] == 'vmExec':
                _copy_fields(result, values, 'epoch', 'name', 'version', 'release')
                values['win_info'] = {'platform': result['platform']}
            else:
                _copy_fields(result, values, 'epoch', 'name', 'version', 'release')
        return values, relpaths

    def _render(self, spec_template, values, relpaths):
        """Copy the artifacts next to the template, render it; returns the spec path."""
        from Cheetah.Template import Template
        specdir = os.path.dirname(spec_template)
        for relpath in relpaths:
            # rpm wants every source in one dir: flatten, prefixing clashing names
            dest = os.path.join(specdir, os.path.basename(relpath))
            if os.path.exists(dest):
                dest = os.path.join(specdir, relpath.replace('/', '-'))
            shutil.copy(self.localPath(relpath), dest)
        cwd = os.getcwd()
        os.chdir(specdir)
        try:
            text = Template(file=spec_template, searchList=[values]).respond()
        finally:
            os.chdir(cwd)
        specfile = spec_template[:-len('.tmpl')]
        with open(specfile, 'wb') as fo:
            fo.write(text.encode('utf-8'))
        return specfile

    def handler(self, spec_url, build_target, build, task, opts=None):
        opts = opts or {}
        if not (build or task):
            raise koji.BuildError('build and/or task must be specified')
        if build:
            infos = (self.session.getMavenBuild(build['id'], strict=False),
                     self.session.getWinBuild(build['id'], strict=False),
                     self.session.getImageBuild(build['id'], strict=False))
        else:
            infos = (None, None, None)
        self.pathinfo = koji.PathInfo(topdir='')
        values, relpaths = self._values(build, task, infos)
        scm = allowed_scm(self, spec_url, opts.get('scratch'))
        if opts.get('create_build') and opts.get('custom_user_metadata'):
            try:
                json.dumps(opts['custom_user_metadata'])
            except TypeError:
                raise koji.BuildError('custom_user_metadata is not JSON serializable')
        build_tag = self.session.getTag(build_target['build_tag'], strict=True)
        if opts.get('repo_id'):
            repo_info = self.session.repoInfo(opts['repo_id'], strict=True)
        else:
            repo_info = self.getRepo(build_tag['id'], builds=opts.get('wait_builds'),
                                     wait=opts.get('wait_repo'))
        br_arch = self.find_arch('noarch', self.session.host.getHost(),
                                 self.session.getBuildConfig(
                                     build_tag['id'], event=repo_info['create_event']))
        broot = self.buildroot(build_tag['id'], br_arch, install_group='wrapper-rpm-build',
                               repo_id=repo_info['id'])
        broot.init()
        scmdir = broot.tmpdir() + '/scmroot'
        koji.ensuredir(scmdir)
        specdir = checkout_scm(self, scm, scmdir, os.path.join(self.workdir, 'checkout.log'),
                               build_tag, opts.get('scratch'), buildroot=broot)
        # before the chown: newer git refuses to read a repo owned by someone else
        source = scm.get_source()
        template = find_template(specdir)
        if not template:
            raise koji.BuildError('no spec file template found at URL: %s' % spec_url)
        specfile = self._render(template, values, relpaths)
        self.session.uploadWrapper(specfile, self.getUploadDir())
        spec_sanity_checks(specfile)
        if broot.backend == 'mock':
            _chown_for_mockuser(self, os.path.dirname(specfile))
        broot.build_srpm(specfile, os.path.dirname(specfile), None)
        srpms = glob.glob('%s/*.src.rpm' % broot.resultdir())
        if not srpms:
            raise koji.BuildError('no srpms found in %s' % broot.resultdir())
        if len(srpms) > 1:
            raise koji.BuildError('multiple srpms found in %s: %s'
                                  % (broot.resultdir(), ', '.join(srpms)))
        srpm = os.path.join(self.workdir, os.path.basename(srpms[0]))
        shutil.move(srpms[0], srpm)
        self.new_build_id = None
        if opts.get('create_build') and not opts.get('scratch'):
            self.new_build_id = self._init_build(srpm, source, build_target, opts)
        try:
            broot.build(srpm)
            results = self._results(broot, specfile, source, opts)
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            if self.new_build_id:
                self.session.host.failBuild(self.id, self.new_build_id)
            raise
        if not task:
            self._standalone_import(build, build_target, broot, results, opts)
        broot.expire()
        return results

    def _init_build(self, srpm, source, build_target, opts):
        data = koji.get_header_fields(koji.get_rpm_header(srpm),
                                      ['name', 'version', 'release', 'epoch'])
        data['task_id'] = self.id
        data['source'] = source['source']
        data['extra'] = {'source': {'original_url': source['url']}}
        if opts.get('custom_user_metadata'):
            data['extra']['custom_user_metadata'] = opts['custom_user_metadata']
        if opts.get('draft'):
            data['draft'] = opts['draft']
        cfg = self.session.getPackageConfig(build_target['dest_tag'], data['name'])
        if not opts.get('skip_tag'):
            if cfg is None:
                raise koji.BuildError('package %s not in list for tag %s'
                                      % (data['name'], build_target['dest_tag_name']))
            if cfg['blocked']:
                raise koji.BuildError('package %s is blocked for tag %s'
                                      % (data['name'], build_target['dest_tag_name']))
        return self.session.host.initBuild(data)

    def _results(self, broot, specfile, source, opts):
        resultdir = broot.resultdir()
        srpm = None
        rpms = []
        for name in sorted(os.listdir(resultdir)):
            if name.endswith('.src.rpm'):
                if srpm:
                    raise koji.BuildError('multiple srpms found in %s: %s, %s'
                                          % (resultdir, srpm, name))
                srpm = name
            elif name.endswith('.rpm'):
                rpms.append(name)
            elif not name.endswith('.log'):
                raise koji.BuildError('unexpected file found in %s: %s' % (resultdir, name))
        if not srpm:
            raise koji.BuildError('no srpm found')
        if not rpms:
            raise koji.BuildError('no rpms found')
        for name in [srpm] + rpms:
            self.uploadFile(os.path.join(resultdir, name))
        results = {'buildroot_id': broot.id, 'srpm': srpm, 'rpms': rpms,
                   'logs': ['checkout.log', os.path.basename(specfile)] + sorted(broot.logs),
                   'source': source}
        if opts.get('create_build') and opts.get('custom_user_metadata'):
            results['custom_user_metadata'] = opts['custom_user_metadata']
        return results

    def _standalone_import(self, build, build_target, broot, results, opts):
        updir = self.getUploadDir()
        relsrpm = '%s/%s' % (updir, results['srpm'])
        relrpms = ['%s/%s' % (updir, r) for r in results['rpms']]
        rellogs = ['%s/%s' % (updir, name) for name in results['logs']]
        if opts.get('scratch'):
            self.session.host.moveBuildToScratch(self.id, relsrpm, relrpms,
                                                 {'noarch': rellogs})
            return
        if not opts.get('create_build'):
            self.session.host.importWrapperRPMs(self.id, build['id'], results)
            return
        brmap = dict.fromkeys([relsrpm] + relrpms, broot.id)
        try:
            self.session.host.completeBuild(self.id, self.new_build_id, relsrpm, relrpms,
                                            brmap, {'noarch': rellogs})
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            self.session.host.failBuild(self.id, self.new_build_id)
            raise
        if not opts.get('skip_tag'):
            tag_task = self.session.host.subtask(
                method='tagBuild', arglist=[build_target['dest_tag'], self.new_build_id,
                                            False, None, True],
                label='tag', parent=self.id, arch='noarch')
            self.wait(tag_task)
