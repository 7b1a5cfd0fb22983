"""ImageFactory (Oz) image builds: the ``image`` parent (build_rpm policy, one
createImage per arch, optional wrapper rpms, import, tag), the ``createImage`` child
(a base disk image through ImageFactory's Python API, then the asked formats made from
it) and ``indirectionimage`` (ImageFactory's indirection plugin run on two earlier
images).

ImageFactory (imgfac) is a Python library Debian does not ship; as upstream's kojid does
without it, the parent and createImage then refuse the task (another builder may have
it).  The tests run kojid with a stand-in imgfac (tests/fixtures/imgfac_stub/).  The
plain parts (configuration, TDL, formats, names) are in images_oz_conf.py.
"""
import glob
import logging
import os
import random
import re
import shutil

import koji
from koji.logstream import log_output
from koji.tasks import BaseTaskHandler, RefuseTask
from koji.util import parseStatus

from . import images_oz_conf as conf
from .buildroot_rpms import mark_external
from .images import BuildImageTask
from .scm_checkout import allowed_scm, checkout_scm

try:
    from pykickstart import parser as ksparser
    from pykickstart import version as ksversion
    from pykickstart.errors import KickstartError
    from pykickstart.handlers import control as kscontrol
except ImportError:  # pragma: no cover - images.py's image_enabled says the same
    ksparser = None

try:
    from imgfac.BuildDispatcher import BuildDispatcher
    from imgfac.Builder import Builder
    from imgfac.PluginManager import PluginManager
    from imgfac.ReservationManager import ReservationManager
    PluginManager('/etc/imagefactory/plugins.d').load()
    from imgfac.ApplicationConfiguration import ApplicationConfiguration
    from imgfac.PersistentImageManager import PersistentImageManager
    from imgfac.BaseImage import BaseImage
    from imgfac.TargetImage import TargetImage
    from imgfac.FactoryUtils import qemu_convert_cmd
    ozif_enabled = ksparser is not None
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
        with self._failing_build(lambda: bld_info, opts):
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
        self._tag(target_info, bld_info, opts)
        return self._report('image', bld_info, list(subtasks.values()), opts)


# -- ImageFactory children -----------------------------------------------------------------

class OzImageTask(BaseTaskHandler):
    """What the ImageFactory tasks share: kickstart, factory config, TDL, results."""

    Methods = []
    # the handler catching ImageFactory's logging while it runs
    fhandler = None

    def _scm_checkout(self, url, build_tag, logname):
        """Check out an SCM URL the builder's policy allows; returns the checkout dir."""
        scratch = self.opts.get('scratch')
        scm = allowed_scm(self, url, scratch)
        return checkout_scm(self, scm, self.workdir, os.path.join(self.workdir, logname),
                            build_tag, scratch)

    def fetchHubOrSCM(self, filepath, fileurl, build_tag, logname='checkout.log'):
        """A file from the SCM checkout of fileurl (by its base name), or else from the
        hub's work dir (filepath relative to topdir, as the CLI uploads it); the copy is
        uploaded to the task output and its path returned."""
        if fileurl:
            srcdir = self._scm_checkout(fileurl, build_tag, logname)
            path = os.path.join(srcdir, os.path.basename(filepath))
            if not os.path.isfile(path):
                raise koji.BuildError('%s does not exist in the checkout of %s'
                                      % (os.path.basename(filepath), fileurl))
        else:
            path = os.path.join(self.workdir, os.path.basename(filepath))
            with koji.openRemoteFile(filepath, topurl=self.options.topurl,
                                     topdir=self.options.topdir,
                                     tempdir=self.workdir) as src:
                with open(path, 'wb') as dest:
                    shutil.copyfileobj(src, dest)
        self.uploadFile(path)
        return path

    def fetchKickstart(self, build_tag):
        return self.fetchHubOrSCM(self.opts.get('kickstart'), self.opts.get('ksurl'),
                                  build_tag, logname='checkout-%s.log' % self.arch)

    def readKickstart(self, kspath):
        if self.opts.get('ksversion'):
            version = ksversion.makeVersion(self.opts['ksversion'])
        else:
            version = ksversion.makeVersion()
        ks = ksparser.KickstartParser(version)
        try:
            ks.readKickstart(kspath)
        except IOError as exc:
            raise koji.BuildError("Failed to read kickstart file '%s' : %s" % (kspath, exc))
        except KickstartError as exc:
            raise koji.BuildError("Failed to parse kickstart file '%s' : %s" % (kspath, exc))
        return ks

    def prepareKickstart(self, kspath, install_tree):
        """The kickstart with its repos replaced (--repo URLs, else the build tag's repo)
        and the install tree as its url."""
        ks = self.readKickstart(kspath)
        if self.opts.get('noverifyssl') and not self.options.allow_noverifyssl:
            raise koji.BuildError('noverifyssl option is not enabled')
        noverifyssl = bool(self.options.allow_noverifyssl and self.opts.get('noverifyssl'))
        repo_class = kscontrol.dataMap[ks.version]['RepoData']
        repos = ks.handler.repo.repoList = []
        if self.opts.get('repo'):
            for idx, url in enumerate(set(self.opts['repo'])):
                repos.append(repo_class(baseurl=url.replace('$arch', self.arch),
                                        name='koji-override-%i' % idx,
                                        noverifyssl=noverifyssl))
        else:
            pathinfo = koji.PathInfo(topdir=self.options.topurl)
            repopath = pathinfo.repo(self.repo_info['id'], self.target_info['build_tag_name'])
            repos.append(repo_class(baseurl='%s/%s' % (repopath, self.arch),
                                    name='koji-override-0', noverifyssl=noverifyssl))
        ks.handler.url(url=install_tree, noverifyssl=noverifyssl)
        return ks

    def writeKickstart(self, ks, ksname):
        path = os.path.join(self.workdir, ksname)
        with open(path, 'w', encoding='utf-8') as fo:
            fo.write(str(ks.handler))
        self.uploadFile(path)
        return path

    def makeConfig(self):
        return conf.factory_config(self.workdir, self.options.oz_install_timeout)

    def makeTemplate(self, name, inst_tree):
        return conf.make_tdl(name, self.opts.get('distro'), self.arch, inst_tree,
                             self.opts.get('disk_size'))

    def fixImageXML(self, fmt, filename, xmltext):
        path = os.path.join(self.workdir, filename)
        with open(path, 'w', encoding='utf-8') as fo:
            fo.write(conf.fix_libvirt_xml(xmltext, self.imgname, fmt))
        return path

    def getScreenshot(self):
        """The guest's last screenshot (libvirt takes one when an install fails)."""
        shotdir = os.path.join(self.workdir, 'oz_screenshots')
        found = None
        for pattern in ('*.ppm', '*.png'):
            matches = sorted(glob.glob(os.path.join(shotdir, pattern)))
            if matches:
                found = matches[0]
        return found

    def _reserve_port(self):
        """ImageFactory hands guests ports in turn; concurrent tasks on one builder would
        collide, so the port is spread by task id instead."""
        rmgr = ReservationManager()
        rmgr._listen_port = rmgr.MIN_PORT + self.id % (rmgr.MAX_PORT - rmgr.MIN_PORT)

    def _start_factory_log(self, logpath):
        """ImageFactory logs through the root logger: catch all of it in logpath."""
        self.ozlog = logpath
        self.fhandler = logging.FileHandler(logpath)
        self.tlog = logging.getLogger()
        self.tlog.setLevel(logging.DEBUG)
        self.tlog.addHandler(self.fhandler)

    def _upload_factory_log(self):
        """Detach the factory log and upload it (once: failures upload it early)."""
        if self.fhandler is None:
            return
        self.tlog.removeHandler(self.fhandler)
        self.fhandler.close()
        self.fhandler = None
        self.uploadFile(self.ozlog)


class BaseImageTask(OzImageTask):
    Methods = ['createImage']
    _taskWeight = 2.0

    def handler(self, name, version, release, arch, target_info, build_tag, repo_info,
                inst_tree, opts=None):
        if not ozif_enabled:
            self.logger.error('ImageFactory features require the following dependencies: '
                              'pykickstart, imagefactory, oz and possibly python-hashlib')
            raise RefuseTask(REFUSAL)
        self.opts = opts = opts or {}
        self.arch = arch
        self.target_info = target_info
        self.repo_info = repo_info
        self.formats = conf.format_plan(opts.get('format'))
        tag_name = target_info['build_tag_name']
        kspath = self.fetchKickstart(tag_name)
        ks = self.prepareKickstart(kspath, inst_tree)
        kskoji = self.writeKickstart(ks, 'koji-%s-%i-base.ks' % (tag_name, self.id))
        self.imgname = '%s-%s-%s.%s' % (name, version, release, arch)
        template = self.makeTemplate(self.imgname, inst_tree)
        ApplicationConfiguration(configuration=self.makeConfig())
        tdl_path = os.path.join(self.workdir, 'tdl-%s.xml' % arch)
        with open(tdl_path, 'w', encoding='utf-8') as fo:
            fo.write(template)
        self.uploadFile(tdl_path)
        self._reserve_port()
        ozlogname = 'oz-%s.log' % arch
        images = self.do_images(ks, template, os.path.join(self.workdir, ozlogname))
        imgdata = {'arch': arch, 'task_id': self.id, 'logs': [ozlogname], 'name': name,
                   'version': version, 'release': release, 'rpmlist': [],
                   'files': [os.path.basename(p) for p in (tdl_path, kspath, kskoji)]}
        if not opts.get('scratch'):
            imgdata['rpmlist'] = conf.icicle_rpms(images['raw']['icicle'])
            self._mark_external(imgdata['rpmlist'], tag_name)
        for fmt in sorted(f for f in self.formats if self.formats[f]):
            if fmt != 'docker':
                # docker images are not run by libvirt
                lxml = images[fmt]['libvirt']
                imgdata['files'].append(os.path.basename(lxml))
                self.uploadFile(lxml)
            newname = conf.output_name(self.imgname, fmt)
            imgdata['files'].append(newname)
            self.uploadFile(images[fmt]['image'], remoteName=newname)
        return imgdata

    def _mark_external(self, rpmlist, tag_name):
        """Installed rpms that came from the tag's external repos get their location."""
        repo = self.session.repoInfo(self.repo_info['id'], strict=True)
        relpath = 'repos/%s/%s/%s' % (tag_name, repo['id'], self.arch)
        mark_external(rpmlist, self.session, repo, self.arch, relpath, self.options)

    # -- ImageFactory

    def do_images(self, ks, template, ozlog):
        """The base image, then every other format; {format: {'image', 'libvirt', ...}}."""
        self._start_factory_log(ozlog)
        self.bd = BuildDispatcher()
        random.seed()  # Oz picks the guest's MAC address at random
        params = {'install_script': str(ks.handler), 'offline_icicle': True}
        try:
            self.base_img = self._buildBase(template, params)
            images = {'raw': {'image': self.base_img.base_image.data,
                              'icicle': self.base_img.base_image.icicle}}
            for fmt in sorted(self.formats):
                if fmt != 'raw':
                    self.logger.info('dispatching %s image builder', fmt)
                    images[fmt] = getattr(self, '_build_' + conf.FORMATS[fmt][1])(fmt)
            libvirt_xml = self.base_img.base_image.parameters['libvirt_xml']
            for fmt in images:
                images[fmt]['libvirt'] = self.fixImageXML(
                    fmt, 'libvirt-%s-%s.xml' % (fmt, self.arch), libvirt_xml)
        finally:
            self._upload_factory_log()
        return images

    def _checkImageState(self, image):
        """Fail the task when ImageFactory reports the image FAILED (screenshot and log
        uploaded for the diagnosis)."""
        img = image.target_image or image.base_image
        status = img.status
        details = (img.status_detail or {}).get('error')
        self.logger.debug('image status: %s', status)
        if status != 'FAILED':
            return
        shot = self.getScreenshot()
        if shot:
            self.uploadFile(shot, remoteName='screenshot.%s' % shot[-3:])
        if image.os_plugin:
            image.os_plugin.abort()
        self._upload_factory_log()
        if details and 'No disk activity' in details:
            details = ('Automated install failed or prompted for input. See the screenshot '
                       'in the task results for more information')
        raise koji.ApplianceError('Image status is %s: %s' % (status, details))

    def _buildBase(self, template, params, wait=True):
        self.logger.debug('TDL: %s', template)
        # the kickstart is kojid's: --factory-parameter may not replace it
        conf.merge_factory_params(params, self.opts.get('factory_parameter'),
                                  ['install_script'])
        base = self.bd.builder_for_base_image(template, parameters=params)
        if wait:
            base.base_thread.join()
            self._checkImageState(base)
        return base

    def _do_target_image(self, base_id, image_type, img_opts=None, fixed_params=()):
        """An ImageFactory target image of image_type made from image base_id."""
        img_opts = conf.merge_factory_params(dict(img_opts or {}),
                                             self.opts.get('factory_parameter'),
                                             fixed_params)
        target = self.bd.builder_for_target_image(image_type, image_id=base_id,
                                                  template=None, parameters=img_opts)
        target.target_thread.join()
        self._checkImageState(target)
        return target

    def _run(self, fmt, logname, cmd, cwd=None):
        """Run a conversion command, its output a task log; fail the task if it fails.

        The tools are named by their Fedora paths; where one is elsewhere (Debian has
        mksquashfs in /usr/bin) the one on PATH is used."""
        if not os.path.exists(cmd[0]):
            cmd = [shutil.which(os.path.basename(cmd[0])) or cmd[0]] + list(cmd[1:])
        status = log_output(self.session, cmd[0], cmd, os.path.join(self.workdir, logname),
                            self.getUploadDir(), logerror=1, cwd=cwd)
        if status:
            raise koji.ApplianceError('making the %s image failed: %s; see %s'
                                      % (fmt, parseStatus(status, cmd[0]), logname))

    def _build_xz(self, fmt):
        raw = os.path.join(self.workdir, self.imgname + '.raw')
        self._run(fmt, 'xz-cp-%s-%s.log' % (fmt, self.arch),
                  ['/bin/cp', self.base_img.base_image.data, raw])
        self._run(fmt, 'xz-%s-%s.log' % (fmt, self.arch),
                  ['/usr/bin/xz', self.options.xz_options, raw])
        return {'image': raw + '.xz'}

    def _build_targz(self, fmt):
        """A tarball of the raw image named disk.raw (what cloud image imports take)."""
        data = self.base_img.base_image.data
        imgdir = os.path.dirname(data)
        disk = os.path.join(imgdir, 'disk.raw')
        newimg = os.path.join(self.workdir, self.imgname + '.tar.gz')
        os.link(data, disk)
        try:
            self._run(fmt, 'tar-gz-%s.log' % self.arch,
                      ['/bin/tar', '-Sczvf', newimg, 'disk.raw'], cwd=imgdir)
        finally:
            os.unlink(disk)
        return {'image': newimg}

    def _build_squashfs(self, fmt):
        """The root filesystem of the raw image (after its first MiB, the disk label) in a
        squashfs as dracut's live images have it."""
        top = os.path.join(self.workdir, 'squashfs-root')
        koji.ensuredir(os.path.join(top, 'LiveOS'))
        newimg = os.path.join(self.workdir, self.imgname + '.squashfs')
        self._run(fmt, 'squashfs-dd-%s-%s.log' % (fmt, self.arch), [
            '/bin/dd', 'conv=sparse', 'bs=1M', 'skip=1',
            'if=%s' % self.base_img.base_image.data,
            'of=%s' % os.path.join(top, 'LiveOS', 'rootfs.img')])
        self._run(fmt, 'squashfs-mksquashfs-%s-%s.log' % (fmt, self.arch),
                  ['/usr/sbin/mksquashfs', top, newimg, '-comp', 'xz', '-noappend'])
        return {'image': newimg}

    def _build_ova(self, fmt):
        """An OVA: the target image of its hypervisor, then ImageFactory's OVA of that."""
        target_type, params, fixed = conf.ova_target(fmt, self.opts.get('ova_option'))
        disk = self._do_target_image(self.base_img.base_image.identifier, target_type,
                                     img_opts=params, fixed_params=fixed)
        ova = self._do_target_image(disk.target_image.identifier, 'OVA', img_opts=params,
                                    fixed_params=fixed)
        return {'image': ova.target_image.data}

    def _build_docker(self, fmt):
        target = self._do_target_image(self.base_img.base_image.identifier, 'docker',
                                       img_opts={'compress': 'xz'})
        return {'image': target.target_image.data}

    def _build_convert(self, fmt):
        src = self.base_img.base_image.data
        newimg = os.path.join(self.workdir, '%s.%s' % (self.imgname,
                                                       'vhd' if fmt == 'vpc' else fmt))
        if fmt == 'qcow2':
            # imgfac knows which qemu-img options keep qcow2 images at compat 0.10
            cmd = qemu_convert_cmd(src, newimg, compress=True)
            cmd[0] = '/usr/bin/qemu-img'
        else:
            cmd = conf.convert_cmd(fmt, src, newimg)
        self._run(fmt, 'qemu-img-%s-%s.log' % (fmt, self.arch), cmd)
        return {'image': newimg}


class BuildIndirectionImageTask(OzImageTask, BuildImageTask):
    """ImageFactory's indirection: a utility image boots with the base image attached,
    runs the template's customizations and leaves results_loc as the result."""

    Methods = ['indirectionimage']

    def _persistent_image(self, disk, tdl):
        """An ImageFactory base image record for an existing disk and its TDL, COMPLETE
        (so ImageFactory only reads the disk: a read-only koji volume is fine)."""
        pim = PersistentImageManager.default_manager()
        image = BaseImage()
        pim.add_image(image)
        image.data = disk
        with open(tdl, encoding='utf-8') as fo:
            image.template = fo.read()
        image.status = 'COMPLETE'
        pim.save_image(image)
        return image

    @staticmethod
    def _match(names, pattern):
        for name in names:
            if re.search(pattern, name):
                return name
        return None

    def _task_to_image(self, task_id):
        info = self.session.getTaskInfo(task_id)
        state = koji.TASK_STATES[info['state']].lower()
        if state != 'closed':
            raise koji.BuildError('Input task (%d) must be in closed state - current state '
                                  'is (%s)' % (task_id, state))
        if info['method'] != 'createImage':
            raise koji.BuildError("Input task method must be 'createImage' - actual method "
                                  "(%s)" % info['method'])
        files = self.session.getTaskResult(task_id)['files']
        taskdir = os.path.join(koji.pathinfo.work(), koji.pathinfo.taskrelpath(task_id))
        disk, tdl = self._match(files, '.*qcow2$'), self._match(files, 'tdl.*xml')
        if not (disk and tdl and os.path.isfile(os.path.join(taskdir, disk))
                and os.path.isfile(os.path.join(taskdir, tdl))):
            raise koji.BuildError('Missing TDL or qcow2 image for task (%d) - possible '
                                  'expired scratch build' % task_id)
        return self._persistent_image(os.path.join(taskdir, disk), os.path.join(taskdir, tdl))

    def _nvr_to_image(self, nvr, arch):
        build = self.session.getBuild(nvr)
        if not build:
            raise koji.BuildError('Could not find build for (%s)' % nvr)
        archives = self.session.listArchives(build['id'])
        if not archives:
            raise koji.BuildError('Could not retrieve archives for build (%s) from NVR (%s)'
                                  % (build['id'], nvr))
        names = [a['filename'] for a in archives]
        disk = self._match(names, r'.*%s\.qcow2$' % arch)
        tdl = self._match(names, r'tdl.%s\.xml' % arch)
        builddir = koji.pathinfo.imagebuild(build)
        if not (disk and tdl and os.path.isfile(os.path.join(builddir, disk))
                and os.path.isfile(os.path.join(builddir, tdl))):
            raise koji.BuildError('Missing TDL (%s) or qcow2 (%s) image for image (%s) - this '
                                  'should never happen' % (tdl, disk, nvr))
        return self._persistent_image(os.path.join(builddir, disk),
                                      os.path.join(builddir, tdl))

    def handler(self, opts):
        self.opts = opts = opts or {}
        ApplicationConfiguration(configuration=self.makeConfig())
        ozlog = os.path.join(self.workdir, 'oz-indirection.log')
        self._start_factory_log(ozlog)
        bd = BuildDispatcher()
        target_info = self.session.getBuildTarget(opts['target'], strict=True)
        name, version, release = opts['name'], opts['version'], opts['release']
        if '-' in version:
            raise koji.ApplianceError('The Version may not have a hyphen')
        if release and '-' in release:
            raise koji.ApplianceError('The Release may not have a hyphen')
        template = self.fetchHubOrSCM(opts.get('indirection_template'),
                                      opts.get('indirection_template_url'),
                                      target_info['build_tag_name'])
        if opts.get('utility_image_build'):
            utility = self._nvr_to_image(opts['utility_image_build'], opts['arch'])
        else:
            utility = self._task_to_image(int(opts['utility_image_task']))
        if opts.get('base_image_build'):
            base = self._nvr_to_image(opts['base_image_build'], opts['arch'])
        else:
            base = self._task_to_image(int(opts['base_image_task']))
        bld_info = None
        if not opts.get('scratch'):
            bld_info = self.initImageBuild(name, version, release, target_info, opts)
        with self._failing_build(lambda: bld_info, opts):
            return self._do_indirection(opts, base, utility, template, bld_info, target_info,
                                        bd)

    def _do_indirection(self, opts, base, utility, template, bld_info, target_info, bd):
        self._reserve_port()
        with open(template, encoding='utf-8') as fo:
            customizations = fo.read()
        results_loc = opts.get('results_loc') or ''
        if not results_loc.startswith('/'):
            results_loc = '/' + results_loc
        params = {'utility_image': str(utility.identifier),
                  'utility_customizations': customizations,
                  'results_location': results_loc}
        random.seed()  # Oz picks the guest's MAC address at random
        target = None
        try:
            try:
                if customizations.strip() == 'MOCK':
                    # a debugging aid: no guest, a made-up result
                    target = Builder()
                    target.target_image = TargetImage()
                    PersistentImageManager.default_manager().add_image(target.target_image)
                    with open(target.target_image.data, 'w') as fo:
                        fo.write('Mock build from task ID: %s' % self.id)
                    target.target_image.status = 'COMPLETE'
                else:
                    target = bd.builder_for_target_image('indirection',
                                                         image_id=base.identifier,
                                                         parameters=params)
                    target.target_thread.join()
            except Exception:
                self.logger.exception('the indirection target build failed')
        finally:
            self._upload_factory_log()
        if target is None or target.target_image is None:
            raise koji.ApplianceError('ImageFactory did not start the indirection build')
        status = target.target_image.status
        if status == 'FAILED':
            raise koji.ApplianceError('Image status is %s: %s'
                                      % (status, target.target_image.status_detail))
        result_name = os.path.basename(results_loc)
        self.uploadFile(target.target_image.data, remoteName=result_name)
        results = {str(self.id): {'task_id': self.id, 'files': [result_name],
                                  'logs': [os.path.basename(self.ozlog)],
                                  'arch': opts['arch'], 'rpmlist': []}}
        self._import(bld_info, results, opts)
        self._tag(target_info, bld_info, opts)
        if opts.get('scratch'):
            where = os.path.join(koji.pathinfo.work(), koji.pathinfo.taskrelpath(self.id))
            return 'Scratch image build results in: %s' % where
        return 'image build results in: %s' % koji.pathinfo.imagebuild(bld_info)
