"""Chroot-tool image builds: the parents ``livecd``, ``appliance`` and ``livemedia``
(open an image build, run the create* child(ren), optional wrapper rpms, import, tag)
and the children ``createLiveCD``, ``createAppliance`` and ``createLiveMedia``, which
run livecd-creator, appliance-creator or livemedia-creator in a mock buildroot on a
kickstart whose repos point at the build tag's repo.
"""
import contextlib
import fnmatch
import os

import koji
from koji.tasks import BaseTaskHandler, MultiPlatformTask, RefuseTask, ServerExit
from koji.util import parseStatus

from .buildroot import make_buildroot
from .iso_manifest import write_manifest
from .scm_checkout import allowed_scm, checkout_scm

try:
    from pykickstart import parser as ksparser
    from pykickstart import version as ksversion
    from pykickstart.errors import KickstartError
    from pykickstart.handlers import control as kscontrol
    image_enabled = True
except ImportError:  # pragma: no cover - kojid then refuses image tasks, as upstream
    image_enabled = False

# pungi's volume id abbreviations (longest first), as upstream applies them
VOLID_SUBSTITUTIONS = {
    'Beta': 'B', 'Rawhide': 'rawh', 'Astronomy_KDE': 'AstK', 'Atomic': 'AH',
    'Cinnamon': 'Cinn', 'Cloud': 'C', 'Design_suite': 'Dsgn', 'Electronic_Lab': 'Elec',
    'Everything': 'E', 'Games': 'Game', 'Images': 'img', 'Jam_KDE': 'Jam',
    'MATE_Compiz': 'MATE', 'Python-Classroom': 'Clss', 'Python_Classroom': 'Clss',
    'Robotics': 'Robo', 'Scientific_KDE': 'SciK', 'Security': 'Sec', 'Server': 'S',
    'Workstation': 'WS', 'WorkstationOstree': 'WS',
}


def short_volid(name, version, release):
    """name-version-release with pungi's abbreviations, cut to 32 characters."""
    for key in sorted(VOLID_SUBSTITUTIONS, key=len, reverse=True):
        value = VOLID_SUBSTITUTIONS[key]
        name, version, release = (s.replace(key, value) for s in (name, version, release))
    return ('%s-%s-%s' % (name, version, release))[:32]


# -- parents -------------------------------------------------------------------------------

RPM_COMPONENT_FIELDS = ['name', 'version', 'release', 'epoch', 'arch', 'buildtime', 'sigmd5']


def rpm_components(path, missing):
    """Header facts of every rpm below path, one per file name (an image's components);
    LiveCDError(missing) when there is none."""
    found = {}
    for root, _dirs, files in os.walk(path):
        for fname in fnmatch.filter(files, '*.rpm'):
            rpm_path = os.path.join(root, fname)
            hdr = koji.get_header_fields(rpm_path, RPM_COMPONENT_FIELDS)
            hdr['size'] = os.path.getsize(rpm_path)
            hdr['payloadhash'] = koji.hex_string(hdr.pop('sigmd5'))
            found[fname] = hdr
    if not found:
        raise koji.LiveCDError(missing)
    return list(found.values())


class BuildImageTask(MultiPlatformTask):
    """What the image parents share: the build record and the import/tag steps."""

    refuse_message = 'Image functions not available'

    def initImageBuild(self, name, version, release, target_info, opts):
        dest = target_info['dest_tag_name']
        cfg = self.session.getPackageConfig(dest, name)
        if not opts.get('skip_tag') and not opts.get('scratch'):
            if cfg is None:
                raise koji.BuildError('package (image) %s not in list for tag %s'
                                      % (name, dest))
            if cfg['blocked']:
                raise koji.BuildError('package (image)  %s is blocked for tag %s'
                                      % (name, dest))
        return self.session.host.initImageBuild(
            self.id, {'name': name, 'version': version, 'release': release, 'epoch': 0})

    def _tag_arches(self, build_tag):
        config = self.session.getBuildConfig(build_tag)
        if not config['arches']:
            raise koji.BuildError('No arches for tag %(name)s [%(id)s]' % config)
        return [koji.canonArch(a) for a in config['arches'].split()]

    def _check_arch(self, arch, tag_arches):
        if koji.canonArch(arch) not in tag_arches:
            raise koji.BuildError('Invalid arch for build tag: %s' % arch)

    def _import(self, bld_info, results, opts):
        if opts.get('scratch'):
            self.session.host.moveImageBuildToScratch(self.id, results)
        else:
            self.session.host.completeImageBuild(self.id, bld_info['id'], results)

    def _tag(self, target_info, bld_info, opts):
        if opts.get('scratch') or opts.get('skip_tag'):
            return
        tag_task = self.session.host.subtask(
            method='tagBuild', arglist=[target_info['dest_tag'], bld_info['id'], False, None,
                                        True],
            label='tag', parent=self.id, arch='noarch')
        self.wait(tag_task)

    def _wait_arches(self, subtasks, optional):
        """Wait for every per-arch child; optional arches may fail, all of them may not.

        Returns (results by task id, ids of the failed children)."""
        canfail = [subtasks[arch] for arch in subtasks if arch in optional]
        results = self.wait(list(subtasks.values()), all=True, failany=True, canfail=canfail)
        failed = {tid for tid, res in results.items()
                  if isinstance(res, dict) and 'faultCode' in res}
        if len(failed) == len(results):
            raise koji.GenericError('all subtasks failed')
        return results, failed

    @contextlib.contextmanager
    def _failing_build(self, get_build, opts):
        """An error inside fails the image build (exits of the task itself pass through).

        get_build() is read when the error happens: the build is often made inside."""
        try:
            yield
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            self._fail_build(get_build(), opts)
            raise

    def _fail_build(self, bld_info, opts):
        """Mark the build FAILED after an error (scratch builds have no build)."""
        if not opts.get('scratch') and bld_info:
            self.session.host.failBuild(self.id, bld_info['id'])

    def _report(self, kind, bld_info, task_ids, opts):
        if opts.get('scratch'):
            where = ', '.join(os.path.join(koji.pathinfo.work(), koji.pathinfo.taskrelpath(t))
                              for t in task_ids)
            return 'Scratch %s build results in: %s' % (kind, where)
        return '%s build results in: %s' % (kind, koji.pathinfo.imagebuild(bld_info))

    def _one_arch(self, method, label, name, version, arch, target, ksfile, opts, kind,
                  release_from_hub=False):
        """The flow of livecd and appliance: one child on one arch."""
        target_info = self.session.getBuildTarget(target, strict=True)
        build_tag = target_info['build_tag']
        repo_info = self.getRepo(build_tag)
        self._check_arch(arch, self._tag_arches(build_tag))
        opts = opts or {}
        if not image_enabled:
            raise RefuseTask(self.refuse_message)
        bld_info = None
        with self._failing_build(lambda: bld_info, opts):
            release = opts.get('release')
            if release is None and release_from_hub:
                release = self.session.getNextRelease({'name': name, 'version': version})
            if not opts.get('scratch'):
                bld_info = self.initImageBuild(name, version, release, target_info, opts)
                release = bld_info['release']
            child = self.session.host.subtask(
                method=method, arglist=[name, version, release, arch, target_info, build_tag,
                                        repo_info, ksfile, opts],
                label=label, parent=self.id, arch=arch)
            results = self.wait(child)
            if opts.get('specfile'):
                results[child]['rpmresults'] = self.buildWrapperRPM(
                    opts['specfile'], child, target_info, bld_info, repo_info['id'])
            results = {str(child): results[child]}
            self._import(bld_info, results, opts)
        self._tag(target_info, bld_info, opts)
        return self._report(kind, bld_info, [child], opts)


class BuildApplianceTask(BuildImageTask):
    Methods = ['appliance']
    refuse_message = 'Appliance functions not available'

    def handler(self, name, version, arch, target, ksfile, opts=None):
        return self._one_arch('createAppliance', 'appliance', name, version, arch, target,
                              ksfile, opts, 'appliance')


class BuildLiveCDTask(BuildImageTask):
    Methods = ['livecd']
    refuse_message = 'LiveCD functions not available'

    def handler(self, name, version, arch, target, ksfile, opts=None):
        return self._one_arch('createLiveCD', 'livecd', name, version, arch, target, ksfile,
                              opts, 'livecd', release_from_hub=True)


class BuildLiveMediaTask(BuildImageTask):
    Methods = ['livemedia']
    refuse_message = 'Live Media functions not available'

    def handler(self, name, version, arches, target, ksfile, opts=None):
        target_info = self.session.getBuildTarget(target, strict=True)
        build_tag = target_info['build_tag']
        repo_info = self.getRepo(build_tag)
        tag_arches = self._tag_arches(build_tag)
        arches = sorted(set(arches))
        for arch in arches:
            self._check_arch(arch, tag_arches)
        opts = opts or {}
        if not image_enabled:
            raise RefuseTask(self.refuse_message)
        optional = opts.get('optional_arches', [])
        bld_info = None
        subtasks = {}
        with self._failing_build(lambda: bld_info, opts):
            release = opts.get('release')
            if not opts.get('scratch'):
                bld_info = self.initImageBuild(name, version, release, target_info, opts)
                release = bld_info['release']
            for arch in arches:
                subtasks[arch] = self.subtask(
                    'createLiveMedia', [name, version, release, arch, target_info, build_tag,
                                        repo_info, ksfile, opts],
                    label='livemedia %s' % arch, arch=arch)
            results, failed = self._wait_arches(subtasks, optional)
            ignored = {arch for arch in arches if subtasks[arch] in failed and arch in optional}
            if opts.get('specfile'):
                self._wrap(opts['specfile'], arches, ignored, subtasks, results, target_info,
                           bld_info, repo_info)
            results = dict((str(k), v) for k, v in results.items())
            self._import(bld_info, results, opts)
        self._tag(target_info, bld_info, opts)
        # upstream words the livemedia report as a livecd one
        return self._report('livecd', bld_info, list(subtasks.values()), opts)

    def _wrap(self, spec_url, arches, ignored, subtasks, results, target_info, bld_info,
              repo_info):
        wrappers = {}
        for arch in arches:
            if arch in ignored:
                continue
            tinfo = self.session.getTaskInfo(subtasks[arch])
            wrappers[arch] = self.subtask('wrapperRPM', [spec_url, target_info, bld_info,
                                                         tinfo, {'repo_id': repo_info['id']}],
                                          label='wrapper %s' % arch, arch='noarch')
        done = self.wait(list(wrappers.values()), all=True, failany=True)
        for arch, task_id in wrappers.items():
            results[subtasks[arch]]['rpmresults'] = done[task_id]


# -- children --------------------------------------------------------------------------------

class ImageTask(BaseTaskHandler):
    """A chroot-tool image child: buildroot, kickstart, and the results it returns."""

    Methods = []
    bind_opts = {'dirs': {'/dev': '/dev'}}
    error_class = koji.LiveCDError

    def makeImgBuildRoot(self, buildtag, repoinfo, arch, inst_group):
        rootopts = {'install_group': inst_group, 'setup_dns': True, 'repo_id': repoinfo['id']}
        if self.bind_opts:
            rootopts['bind_opts'] = self.bind_opts
        broot = make_buildroot(self.session, self.options, buildtag, arch, self.id,
                               **rootopts)
        broot.workdir = self.workdir
        broot.init()
        return broot

    def fetchKickstart(self, broot, ksfile, build_tag):
        """The kickstart's host path: from the --ksurl checkout, or the uploaded file."""
        scmdir = broot.tmpdir()
        koji.ensuredir(scmdir)
        if self.opts.get('ksurl'):
            scratch = self.opts.get('scratch')
            scm = allowed_scm(self, self.opts['ksurl'], scratch)
            srcdir = checkout_scm(self, scm, scmdir, os.path.join(self.workdir, 'checkout.log'),
                                  build_tag, scratch, buildroot=broot)
            kspath = os.path.join(srcdir, ksfile)
        else:
            kspath = self.localPath('work/%s' % ksfile)
        if not os.path.exists(kspath):
            raise koji.BuildError('Kickstart %s does not exist.' % kspath)
        self.uploadFile(kspath)
        return kspath

    def readKickstart(self, kspath, opts):
        if opts.get('ksversion'):
            version = ksversion.makeVersion(opts['ksversion'])
        else:
            version = ksversion.makeVersion()
        self.ks = ksparser.KickstartParser(version)
        try:
            self.ks.readKickstart(kspath)
        except IOError as exc:
            raise koji.LiveCDError("Failed to read kickstart file '%s' : %s" % (kspath, exc))
        except KickstartError as exc:
            raise koji.LiveCDError("Failed to parse kickstart file '%s' : %s" % (kspath, exc))

    def prepareKickstart(self, repo_info, target_info, arch, broot, opts):
        """Write the kickstart the tool gets (repos replaced unless ksrepo); returns its
        path inside the buildroot."""
        repo_class = kscontrol.dataMap[self.ks.version]['RepoData']
        handler = self.ks.handler
        if not opts.get('ksrepo'):
            handler.repo.repoList = []
            user_repos = opts.get('repo')
            if user_repos:
                if isinstance(user_repos, str):
                    user_repos = user_repos.split(',')
                for idx, url in enumerate(set(user_repos)):
                    handler.repo.repoList.append(
                        repo_class(baseurl=url, name='koji-override-%i' % idx))
            else:
                pathinfo = koji.PathInfo(topdir=self.options.topurl)
                repopath = pathinfo.repo(repo_info['id'], target_info['build_tag_name'])
                handler.repo.repoList.append(repo_class(
                    baseurl='%s/%s' % (repopath, arch),
                    name='koji-%s-%i' % (target_info['build_tag_name'], repo_info['id'])))
        if opts.get('install_tree_url'):
            handler.url(url=opts['install_tree_url'])
        koji.ensuredir(broot.tmpdir())
        kskoji = os.path.join(broot.tmpdir(), 'koji-image-%s-%i.ks'
                              % (target_info['build_tag_name'], self.id))
        with open(kskoji, 'w', encoding='utf-8') as fo:
            fo.write(str(handler))
        self.uploadFile(kskoji)
        return broot.path_within(kskoji)

    def getBootloaderAppend(self):
        try:
            return self.ks.handler.bootloader.appendLine
        except AttributeError:
            return None

    def getImagePackages(self, cachepath):
        """Header facts of the rpms the tool left in its package cache."""
        hdrlist = []
        fields = ['name', 'version', 'release', 'epoch', 'arch', 'buildtime', 'sigmd5']
        for root, _dirs, files in os.walk(cachepath):
            for name in files:
                if not fnmatch.fnmatch(name, '*.rpm'):
                    continue
                path = os.path.join(root, name)
                hdr = koji.get_header_fields(path, fields)
                hdr['size'] = os.path.getsize(path)
                hdr['payloadhash'] = koji.hex_string(hdr.pop('sigmd5'))
                hdrlist.append(hdr)
        if not hdrlist:
            raise koji.LiveCDError('No repos found in yum cache!')
        return hdrlist

    def _volid(self, name, version, release, error):
        volid = self.opts.get('volid') or short_volid(name, version, release)
        if len(volid) > 32:
            raise error('volume ID is longer than 32 characters')
        return volid

    def _run_tool(self, broot, cmd):
        return broot.mock(['--cwd', broot.tmpdir(within=True), '--chroot', '--'] + cmd)

    def _imgdata(self, arch, files, logs, name, version, release, rootdev=None):
        return {'arch': arch, 'files': files, 'rootdev': rootdev, 'task_id': self.id,
                'logs': logs, 'name': name, 'version': version, 'release': release}

    def _start(self, build_tag, repo_info, arch, group, ksfile, target_info, opts):
        self.opts = opts = opts or {}
        broot = self.makeImgBuildRoot(build_tag, repo_info, arch, group)
        kspath = self.fetchKickstart(broot, ksfile, target_info['build_tag_name'])
        self.readKickstart(kspath, opts)
        kskoji = self.prepareKickstart(repo_info, target_info, arch, broot, opts)
        return broot, kskoji


def _single_iso(directory, error):
    found = [f for f in sorted(os.listdir(directory)) if f.endswith('.iso')]
    if len(found) > 1:
        raise error('multiple .iso files found: %s and %s' % (found[0], found[1]))
    if not found:
        raise error('could not find iso file in chroot')
    return os.path.join(directory, found[0])


class ApplianceTask(ImageTask):
    Methods = ['createAppliance']
    _taskWeight = 1.5

    def getRootDevice(self):
        for part in self.ks.handler.partition.partitions:
            if part.mountpoint == '/':
                return part.disk
            if part.fstype == 'btrfs':
                for sub in self.ks.handler.btrfs.btrfsList:
                    if sub.subvol and sub.mountpoint == '/':
                        return part.disk
        raise koji.ApplianceError('kickstart lacks a "/" mountpoint')

    def handler(self, name, version, release, arch, target_info, build_tag, repo_info, ksfile,
                opts=None):
        broot, kskoji = self._start(build_tag, repo_info, arch, 'appliance-build', ksfile,
                                    target_info, opts)
        opts = self.opts
        odir = 'app-output'
        opath = os.path.join(broot.tmpdir(), odir)
        cachedir = broot.tmpdir(within=True) + '/koji-appliance'
        app_log = broot.tmpdir(within=True) + '/appliance.log'
        os.mkdir(opath)
        cmd = ['/usr/bin/appliance-creator', '-c', kskoji, '-d', '-v', '--logfile', app_log,
               '--cache', cachedir, '-o', odir]
        for key in ('vmem', 'vcpu', 'format'):
            if opts.get(key) is not None:
                cmd += ['--%s' % key, opts[key]]
        cmd += ['--name', '%s-%s-%s' % (name, version, release)]
        cmd += ['--version', version, '--release', release]
        status = self._run_tool(broot, cmd)
        self.uploadFile(os.path.join(broot.rootdir(), app_log[1:]))
        if status:
            raise koji.ApplianceError(
                'Could not create appliance: %s' % parseStatus(status, 'appliance-creator')
                + '; see root.log or appliance.log for more information')
        results = [os.path.join(directory, f) for directory, _subdirs, files in os.walk(opath)
                   for f in sorted(files)]
        if not results:
            raise koji.ApplianceError('Could not find image build results!')
        logs = ['appliance.log', os.path.basename(ksfile), os.path.basename(kskoji)]
        logs.extend(sorted(broot.logs))
        imgdata = self._imgdata(arch, [], logs, name, version, release,
                                rootdev=self.getRootDevice())
        for path in results:
            self.uploadFile(path)
            imgdata['files'].append(os.path.basename(path))
        if not opts.get('scratch'):
            hdrlist = self.getImagePackages(os.path.join(broot.rootdir(), cachedir[1:]))
            broot.markExternalRPMs(hdrlist)
            imgdata['rpmlist'] = hdrlist
        broot.expire()
        return imgdata


class LiveCDTask(ImageTask):
    Methods = ['createLiveCD']
    _taskWeight = 1.5

    def handler(self, name, version, release, arch, target_info, build_tag, repo_info, ksfile,
                opts=None):
        broot, kskoji = self._start(build_tag, repo_info, arch, 'livecd-build', ksfile,
                                    target_info, opts)
        opts = self.opts
        cachedir = broot.tmpdir(within=True) + '/koji-livecd'
        livecd_log = broot.tmpdir(within=True) + '/livecd.log'
        cmd = ['/usr/bin/livecd-creator', '-c', kskoji, '-d', '-v', '--logfile', livecd_log,
               '--cache', cachedir]
        cmd += ['-f', self._volid(name, version, release, koji.LiveCDError)]
        status = self._run_tool(broot, cmd)
        self.uploadFile(os.path.join(broot.rootdir(), livecd_log[1:]))
        if status:
            raise koji.LiveCDError(
                'Could not create LiveCD: %s' % parseStatus(status, 'livecd-creator')
                + '; see root.log or livecd.log for more information')
        # livecd-creator writes the iso into its cwd, the chroot tmpdir
        isosrc = _single_iso(broot.tmpdir(), koji.LiveCDError)
        isoname = '%s-%s-%s.iso' % (name, version, release)
        manifest = os.path.join(broot.resultdir(), 'manifest.log')
        write_manifest(isosrc, manifest)
        self.uploadFile(manifest)
        self.uploadFile(isosrc, remoteName=isoname)
        logs = ['livecd.log', os.path.basename(ksfile), os.path.basename(kskoji)]
        logs.extend(sorted(broot.logs))
        imgdata = self._imgdata(arch, [isoname], logs, name, version, release)
        if not opts.get('scratch'):
            hdrlist = self.getImagePackages(os.path.join(broot.rootdir(), cachedir[1:]))
            imgdata['rpmlist'] = hdrlist
            broot.markExternalRPMs(hdrlist)
        broot.expire()
        return imgdata


class LiveMediaTask(ImageTask):
    Methods = ['createLiveMedia']
    _taskWeight = 1.5
    # /dev is not bind-mounted for livemedia-creator
    bind_opts = {}

    def fetch_lorax_templates_from_scm(self, broot):
        scm = allowed_scm(self, self.opts['lorax_url'], self.opts.get('scratch'))
        logfile = os.path.join(self.workdir, 'lorax-templates-checkout.log')
        checkout = scm.checkout(broot.tmpdir(), self.session, self.getUploadDir(), logfile)
        return os.path.join(broot.path_within(checkout), self.opts['lorax_dir'])

    def _command(self, broot, kskoji, name, version, release, arch):
        opts = self.opts
        tmp = broot.tmpdir(within=True)
        cmd = ['/sbin/livemedia-creator', '--ks', kskoji,
               '--logfile', tmp + '/lmc-logs/livemedia-out.log', '--no-virt',
               '--resultdir', tmp + '/lmc', '--project', name]
        volid = self._volid(name, version, release, koji.LiveMediaError)
        cmd += ['--make-iso', '--volid', volid, '--iso-only']
        isoname = '%s-%s-%s-%s.iso' % (name, arch, version, release)
        cmd += ['--iso-name', isoname, '--releasever', version]
        if arch == 'x86_64' and not opts.get('nomacboot'):
            cmd.append('--macboot')
        else:
            cmd.append('--nomacboot')
        append = self.getBootloaderAppend()
        if append:
            cmd += ['--extra-boot-args', '"%s"' % append]
        if 'lorax_url' in opts:
            cmd += ['--lorax-templates', self.fetch_lorax_templates_from_scm(broot)]
        if opts.get('squashfs_only'):
            cmd.append('--squashfs-only')
        if isinstance(opts.get('compress_arg'), (list, tuple)):
            for arg in opts['compress_arg']:
                cmd += ['--compress-arg', arg]
        return cmd, isoname

    def _upload_lmc_logs(self, broot):
        for logdir in ('lmc-logs', 'lmc-logs/anaconda'):
            path = os.path.join(broot.tmpdir(), logdir)
            if not os.path.isdir(path):
                continue
            for name in sorted(os.listdir(path)):
                filepath = os.path.join(path, name)
                if not name.endswith('.log') or os.stat(filepath).st_size == 0:
                    continue
                if logdir.endswith('anaconda'):
                    # anaconda's logs may share names with lmc's
                    self.uploadFile(filepath, remoteName='anaconda-%s' % name)
                else:
                    self.uploadFile(filepath)

    def handler(self, name, version, release, arch, target_info, build_tag, repo_info, ksfile,
                opts=None):
        broot, kskoji = self._start(build_tag, repo_info, arch, 'livemedia-build', ksfile,
                                    target_info, opts)
        cmd, isoname = self._command(broot, kskoji, name, version, release, arch)
        status = self._run_tool(broot, cmd)
        self._upload_lmc_logs(broot)
        if status:
            raise koji.LiveMediaError(
                'Could not create LiveMedia: %s' % parseStatus(status, 'livemedia-creator')
                + '; see root.log or livemedia-out.log for more information')
        resultdir = os.path.join(broot.tmpdir(), 'lmc')
        isosrc = _single_iso(resultdir, koji.LiveMediaError)
        manifest = os.path.join(broot.resultdir(), 'manifest.log')
        write_manifest(isosrc, manifest)
        self.uploadFile(manifest)
        self.uploadFile(isosrc, remoteName=isoname)
        logs = ['livemedia-out.log', os.path.basename(ksfile), os.path.basename(kskoji)]
        logs.extend(sorted(broot.logs))
        imgdata = self._imgdata(arch, [isoname], logs, name, version, release)
        if not self.opts.get('scratch'):
            # upstream records no rpm list for livemedia images
            imgdata['rpmlist'] = []
        broot.expire()
        return imgdata
