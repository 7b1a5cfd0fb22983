"""Maven builds: ``maven`` (the parent: buildMaven, optional wrapper rpms, import, tag),
``buildMaven`` (checkout, patches, mvn deploy in a mock buildroot) and ``chainmaven``
(maven / wrapper builds in dependency order, skipping unchanged ones).
"""
import copy
import os
import time
import zipfile

import koji
from koji.logstream import log_output
from koji.tasks import MultiPlatformTask, ServerExit
from koji.util import dslice, dslice_ex

from .build_arch import BaseBuildTask
from .build_srpm import _chown_for_mockuser
from .maven_broot import maven_build, write_settings
from .scm_checkout import allowed_scm, checkout_scm

BUILD_OPT_KEYS = ['goals', 'profiles', 'properties', 'envs', 'patches', 'packages',
                  'jvm_options', 'maven_options', 'deps', 'scratch']
# maven options that do not change what a build produces
QUIET_MAVEN_OPTS = ('-e', '--errors', '-q', '--quiet', '-V', '--show-version', '-X',
                    '--debug')


def check_dest_package(session, dest_tag, package):
    cfg = session.getPackageConfig(dest_tag['id'], package)
    if cfg is None:
        raise koji.BuildError('package %s not in list for tag %s' % (package, dest_tag['name']))
    if cfg['blocked']:
        raise koji.BuildError('package %s is blocked for tag %s' % (package, dest_tag['name']))


class MavenTask(MultiPlatformTask):
    """A whole maven build: buildMaven child, import (or scratch move), tag."""

    Methods = ['maven']
    _taskWeight = 0.2

    def handler(self, url, target, opts=None):
        opts = opts or {}
        self.opts = opts
        target_info = self.session.getBuildTarget(target)
        if not target_info:
            raise koji.BuildError('unknown build target: %s' % target)
        dest_tag = self.session.getTag(target_info['dest_tag'], strict=True)
        build_tag = self.session.getTag(target_info['build_tag'], strict=True)
        repo_id = opts.get('repo_id')
        if not repo_id:
            repo = self.session.getRepo(build_tag['id'])
            if not repo:
                raise koji.BuildError('no repo for tag %s' % build_tag['name'])
            repo_id = repo['id']
        build_opts = dslice(opts, BUILD_OPT_KEYS, strict=False)
        build_opts['repo_id'] = repo_id
        build_task = self.session.host.subtask(method='buildMaven',
                                               arglist=[url, build_tag, build_opts],
                                               label='build', parent=self.id, arch='noarch')
        maven_results = self.wait(build_task)[build_task]
        maven_results['task_id'] = build_task
        scratch = opts.get('scratch')
        build_info = None
        self.build_id = None
        if not scratch:
            maven_info = maven_results['maven_info']
            if maven_info['version'].endswith('-SNAPSHOT'):
                raise koji.BuildError('-SNAPSHOT versions are only supported in scratch builds')
            build_info = koji.maven_info_to_nvr(maven_info)
            if not opts.get('skip_tag'):
                check_dest_package(self.session, dest_tag, build_info['name'])
            build_info = self.session.host.initMavenBuild(self.id, build_info, maven_info)
            self.build_id = build_info['id']
        try:
            rpm_results = None
            if opts.get('specfile'):
                rpm_results = self.buildWrapperRPM(opts['specfile'], build_task, target_info,
                                                   build_info, repo_id)
            if scratch:
                self.session.host.moveMavenBuildToScratch(self.id, maven_results, rpm_results)
            else:
                self.session.host.completeMavenBuild(self.id, self.build_id, maven_results,
                                                     rpm_results)
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            if not scratch:
                self.session.host.failBuild(self.id, self.build_id)
            raise
        if not scratch and not opts.get('skip_tag'):
            tag_task = self.session.host.subtask(
                method='tagBuild', arglist=[dest_tag['id'], self.build_id, False, None, True],
                label='tag', parent=self.id, arch='noarch')
            self.wait(tag_task)


def zip_dir(rootdir, filename):
    """Zip a source tree (without SCM metadata dirs), symlinks kept as links."""
    trim = len(rootdir) - len(os.path.basename(rootdir))
    with zipfile.ZipFile(filename, 'w', zipfile.ZIP_DEFLATED) as zfo:
        for dirpath, dirnames, filenames in os.walk(rootdir):
            for skip in ('CVS', '.svn', '.git'):
                if skip in dirnames:
                    dirnames.remove(skip)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    info = zipfile.ZipInfo(path[trim:])
                    info.external_attr |= 0o120000 << 16
                    info.compress_type = zipfile.ZIP_STORED
                    info.date_time = time.localtime(os.lstat(path).st_mtime)[:6]
                    zfo.writestr(info, os.readlink(path))
                else:
                    zfo.write(path, path[trim:])


def pom_file(maven_options):
    """The pom maven builds: pom.xml unless -f / --file says otherwise."""
    options = list(maven_options or [])
    for idx, opt in enumerate(options):
        if opt in ('-f', '--file'):
            if idx + 1 < len(options):
                return options[idx + 1]
            raise koji.BuildError('%s option requires a file path' % opt)
        if opt.startswith(('-f=', '--file=')):
            return opt.split('=', 1)[1]
        if opt.startswith('-f'):
            return opt[2:]
    return 'pom.xml'


class BuildMavenTask(BaseBuildTask):
    """mvn deploy of an SCM checkout in a mock buildroot; uploads what was deployed."""

    Methods = ['buildMaven']
    _taskWeight = 1.5

    def checkHost(self, hostdata):
        return self.checkHostArch(self.params[1], hostdata)

    def _scm(self, url):
        return allowed_scm(self, url, self.opts.get('scratch'))

    def _checkout(self, scm, destdir, logfile, build_tag, broot):
        return checkout_scm(self, scm, destdir, logfile, build_tag, self.opts.get('scratch'),
                            buildroot=broot)

    def _apply_patches(self, sourcedir, patchdir, logfile):
        patches = sorted(p for p in os.listdir(patchdir)
                         if os.path.isfile(os.path.join(patchdir, p)) and p.endswith('.patch'))
        if not patches:
            raise koji.BuildError('no patches found at %s' % self.opts.get('patches'))
        for patch in patches:
            cmd = ['/usr/bin/patch', '--verbose', '--no-backup-if-mismatch', '-d', sourcedir,
                   '-p1', '-i', os.path.join(patchdir, patch)]
            if log_output(self.session, cmd[0], cmd, logfile, self.getUploadDir(),
                          logerror=1, append=1):
                raise koji.BuildError('error applying patches from %s, see patches.log for '
                                      'details' % self.opts.get('patches'))

    def _make_buildroot(self, build_tag, repo_id):
        repo_info = self.session.repoInfo(repo_id, strict=True)
        config = self.session.getBuildConfig(build_tag['id'], event=repo_info['create_event'])
        br_arch = self.find_arch('noarch', self.session.host.getHost(), config)
        jvm = list(self.opts.get('jvm_options') or [])
        if not any(opt.startswith('-Xmx') for opt in jvm):
            # 2G for the JVM unless the build sets its own maximum
            jvm.append('-Xmx2048m')
        broot = self.buildroot(build_tag['id'], br_arch, install_group='maven-build',
                               setup_dns=True, repo_id=repo_id, maven_opts=jvm,
                               maven_envs=self.opts.get('envs'), deps=self.opts.get('deps'))
        broot.init()
        packages = self.opts.get('packages')
        if packages:
            broot.install(packages)
            broot.markBuilding()
        return broot

    def handler(self, url, build_tag, opts=None):
        self.opts = opts = opts or {}
        scm = self._scm(url)
        repo_id = opts.get('repo_id')
        if not repo_id:
            raise koji.BuildError('A repo_id must be provided')
        broot = self._make_buildroot(build_tag, repo_id)
        if not os.path.lexists(os.path.join(broot.rootdir(), 'usr/bin/mvn')):
            raise koji.BuildError('/usr/bin/mvn was not found in the buildroot')
        root = broot.rootdir()
        scmdir, outputdir = root + '/maven/build', root + '/maven/output'
        m2dir, repodir = root + '/builddir/.m2', root + '/builddir/.m2/repository'
        patchdir = root + '/maven/patches'
        for path in (scmdir, outputdir, repodir, patchdir):
            koji.ensuredir(path)
        sourcedir = self._checkout(scm, scmdir, os.path.join(self.workdir, 'checkout.log'),
                                   build_tag, broot)
        zip_dir(sourcedir, os.path.join(outputdir, 'scm-sources.zip'))
        patchlog = os.path.join(self.workdir, 'patches.log')
        if opts.get('patches'):
            patch_scm = self._scm(opts['patches'])
            patch_scm.use_common = False
            patch_src = self._checkout(patch_scm, patchdir, patchlog, build_tag, broot)
            zip_dir(patch_src, os.path.join(outputdir, 'patches.zip'))
            self._apply_patches(sourcedir, patch_src, patchlog)
        for path in (scmdir, outputdir, m2dir) + ((patchdir,) if opts.get('patches') else ()):
            _chown_for_mockuser(self, path)
        write_settings(broot, '/builddir/.m2/settings.xml', outputdir)
        pomfile = pom_file(opts.get('maven_options'))
        maven_build(broot, sourcedir, outputdir, repodir, props=opts.get('properties'),
                    profiles=opts.get('profiles'), options=opts.get('maven_options'),
                    goals=opts.get('goals'))
        build_pom = os.path.join(sourcedir, pomfile)
        if not os.path.exists(build_pom):
            raise koji.BuildError('%s does not exist' % pomfile)
        maven_info = koji.pom_to_maven_info(koji.parse_pom(build_pom))
        label = '%s-%s' % (maven_info['artifact_id'], maven_info['version'])
        os.rename(os.path.join(outputdir, 'scm-sources.zip'),
                  os.path.join(outputdir, label + '-scm-sources.zip'))
        if opts.get('patches'):
            os.rename(os.path.join(outputdir, 'patches.zip'),
                      os.path.join(outputdir, label + '-patches.zip'))
        logs, files = self._upload_output(outputdir)
        logs.extend(sorted(broot.logs))
        logs.append('checkout.log')
        if opts.get('patches'):
            logs.append('patches.log')
        broot.expire()
        return {'maven_info': maven_info, 'buildroot_id': broot.id, 'logs': logs,
                'files': files}

    def _upload_output(self, outputdir):
        logs = []
        files = {}
        for path, _dirs, names in os.walk(outputdir):
            reldir = path[len(outputdir) + 1:]
            for name in sorted(names):
                if name.endswith('.log'):
                    logs.append(os.path.join(reldir, name))
                else:
                    files.setdefault(reldir, []).append(name)
        for relpath in logs:
            self.uploadFile(os.path.join(outputdir, relpath), relPath=os.path.dirname(relpath))
        for reldir, names in files.items():
            for name in names:
                self.uploadFile(os.path.join(outputdir, reldir, name), relPath=reldir)
        return logs, files


def dicts_equal(a, b):
    """Same keys and values; lists compare without order."""
    if sorted(a) != sorted(b):
        return False
    for key, aval in a.items():
        bval = b[key]
        if not isinstance(aval, type(bval)):
            return False
        if isinstance(aval, dict):
            if not dicts_equal(aval, bval):
                return False
        elif isinstance(aval, list):
            if sorted(aval) != sorted(bval):
                return False
        elif aval != bval:
            return False
    return True


def _output_opts(opts):
    """opts without what does not change a build's output."""
    opts = copy.deepcopy(opts)
    if 'maven_options' in opts:
        kept = [o for o in opts['maven_options'] if o not in QUIET_MAVEN_OPTS]
        if kept:
            opts['maven_options'] = kept
        else:
            del opts['maven_options']
    opts.pop('jvm_options', None)
    return opts


class ChainMavenTask(MultiPlatformTask):
    """Maven and wrapper builds in dependency order; unchanged ones are reused."""

    Methods = ['chainmaven']
    _taskWeight = 0.2

    def handler(self, builds, target, opts=None):
        opts = opts or {}
        target_info = self.session.getBuildTarget(target)
        if not target_info:
            raise koji.BuildError('unknown build target: %s' % target)
        dest_tag = self.session.getTag(target_info['dest_tag'], strict=True)
        if not (opts.get('scratch') or opts.get('skip_tag')):
            for package in builds:
                check_dest_package(self.session, dest_tag, package)
        self.depmap = {pkg: set(params.get('buildrequires', []))
                       for pkg, params in builds.items()}
        todo = copy.deepcopy(self.depmap)
        running = {}
        self.done = {}
        self.results = []
        while True:
            ready = [pkg for pkg, deps in todo.items() if not deps]
            if not ready and not running:
                break
            for package in ready:
                task_id = self._start(package, builds[package], target, dest_tag, opts, todo)
                if task_id is not None:
                    running[task_id] = package
                del todo[package]
            if not running:
                continue
            try:
                results = self.wait(list(running))
            except (koji.Fault, koji.GenericError):
                # let the other builds finish first; the wait fails as well
                self.wait(all=True)
                raise
            for task_id in results:
                package = running.pop(task_id)
                self._finished(package, builds[package], task_id, opts)
                for deps in todo.values():
                    deps.discard(package)
        if todo:
            raise koji.BuildError('unable to run chain build, circular dependencies')
        return self.results

    def _start(self, package, params, target, dest_tag, opts, todo):
        """Start one package's build; None when an identical build already exists."""
        buildtype = params.get('type', 'maven')
        url = params['scmurl']
        task_opts = dslice_ex(params, ['scmurl', 'buildrequires', 'type'], strict=False)
        if buildtype == 'maven':
            deps = list(self.depset(package))
            if deps:
                task_opts['deps'] = deps
        if not opts.get('force'):
            dup = self.get_duplicate_build(dest_tag['name'], package, params, task_opts)
            if dup:
                self.done[package] = dup['nvr']
                for deps in todo.values():
                    deps.discard(package)
                self.results.append('%s previously built from %s' % (dup['nvr'], url))
                return None
        task_opts.update(dslice(opts, ['skip_tag', 'scratch'], strict=False))
        if buildtype == 'maven':
            if opts.get('debug'):
                task_opts.setdefault('maven_options', []).append('--debug')
            return self.subtask('maven', [url, target, task_opts], label=package)
        if buildtype == 'wrapper':
            wrapped = self.done[params['buildrequires'][0]]
            if isinstance(wrapped, int):
                task_info, build_info = self.session.getTaskInfo(wrapped, request=True), None
            else:
                task_info, build_info = None, self.session.getBuild(wrapped, strict=True)
            target_info = self.session.getBuildTarget(target, strict=True)
            task_opts['repo_id'] = self.getRepo(target_info['build_tag'])['id']
            return self.subtask('wrapperRPM', [url, target_info, build_info, task_info,
                                               task_opts], label=package)
        raise koji.BuildError('unsupported build type: %s' % buildtype)

    def _finished(self, package, params, task_id, opts):
        url = params['scmurl']
        if opts.get('scratch'):
            if params.get('type') == 'wrapper':
                self.done[package] = task_id
            else:
                # the buildMaven child's output dir holds the maven repository
                for child in self.session.getTaskChildren(task_id):
                    if child['method'] == 'buildMaven':
                        self.done[package] = child['id']
                        break
                else:
                    raise koji.BuildError('could not find buildMaven subtask of %s' % task_id)
            self.results.append('%s built from %s by task %s' % (package, url, task_id))
            return
        found = self.session.listBuilds(taskID=task_id)
        if not found:
            raise koji.BuildError('could not find build for task %s' % task_id)
        self.done[package] = found[0]['nvr']
        self.results.append('%s built from %s' % (found[0]['nvr'], url))

    def depset(self, package):
        deps = set()
        for dep in self.depmap[package]:
            deps.add(self.done[dep])
            deps.update(self.depset(dep))
        return deps

    def get_duplicate_build(self, tag, package, params, task_opts):
        """The latest build of package in tag, if built from the same url and opts."""
        latest = self.session.getLatestBuilds(tag, package=package)
        if not latest or not latest[0]['task_id']:
            return None
        build = latest[0]
        request = self.session.getTaskInfo(build['task_id'], request=True)['request']
        if request[0] != params['scmurl']:
            return None
        if params.get('type') == 'wrapper':
            wrapped = self.done[params['buildrequires'][0]]
            return build if request[2]['nvr'] == wrapped else None
        build_opts = {}
        if len(request) > 2:
            build_opts = dslice_ex(request[2], ['skip_tag', 'scratch'], strict=False)
        if not dicts_equal(_output_opts(build_opts), _output_opts(task_opts)):
            return None
        return build
