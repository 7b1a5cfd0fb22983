"""Builder plugin: kiwi image builds (plugins/hub/kiwi.py queues them).

``kiwiBuild`` checks the kiwi description out of SCM to learn the image's name, version
and default profile, opens the image build and runs one ``createKiwiImage`` child per
arch; the child rewrites the description (includes resolved, the repos replaced by the
task's), runs ``kiwi-ng ... system build`` and ``kiwi-ng ... result bundle`` in a buildroot
of install group ``kiwi-build`` and hands the bundle back for import (or to scratch).

The command lines are plain functions so that unit tests pin them down; the buildroot and
image classes come from kojid through ``__main__`` as they do for upstream's plugins.
"""
import os
import xml.dom.minidom

import koji
import koji.util
from __main__ import (BaseBuildTask, BuildImageTask, BuildRoot, allowed_scm, checkout_scm,
                      rpm_components)

__all__ = ('KiwiBuildTask', 'KiwiCreateImageTask')

# chroot paths of the image (system build) and of the renamed results (result bundle)
TARGET_DIR = '/builddir/result/image'
BUNDLE_DIR = '/builddir/result/bundle'
# where kiwi's dnf leaves the packages it installed into the image, below the root
KIWI_DNF_CACHE = 'var/cache/kiwi/dnf'


# -- command lines ---------------------------------------------------------------------------

def image_log(arch):
    return '/tmp/image-root.%s.log' % arch


def bundle_log(arch):
    return '/tmp/kiwi-result-bundle.%s.log' % arch


def system_build_cmd(kiwi_file, description, arch, opts):
    """kiwi-ng system build of description (relative to the chroot tmp dir)."""
    cmd = ['kiwi-ng']
    for flag, key in (('--profile', 'profile'), ('--type', 'type')):
        if opts.get(key):
            cmd += [flag, opts[key]]
    cmd += ['--kiwi-file', kiwi_file, '--debug', '--logfile', image_log(arch),
            'system', 'build', '--description', description, '--target-dir', TARGET_DIR]
    for attr in opts.get('type_attr') or []:
        cmd += ['--set-type-attr', attr]
    return cmd


def result_bundle_cmd(arch, release, opts):
    """kiwi-ng result bundle: the image files renamed with the build's release."""
    cmd = ['kiwi-ng', '--debug', '--logfile', bundle_log(arch), 'result', 'bundle',
           '--target-dir', TARGET_DIR, '--bundle-dir', BUNDLE_DIR, '--id', release]
    if opts.get('result_bundle_name_format'):
        cmd += ['--bundle-format', opts['result_bundle_name_format']]
    return cmd


def in_chroot(cwd, cmd):
    """mock arguments running cmd in the buildroot from cwd."""
    return ['--cwd', cwd, '--chroot', '--'] + list(cmd)


# -- the description -------------------------------------------------------------------------

def _children(node, tag):
    return [child for child in node.childNodes
            if child.nodeType == child.ELEMENT_NODE and child.tagName == tag]


def _text(node):
    return ''.join(child.data for child in node.childNodes
                   if child.nodeType in (child.TEXT_NODE, child.CDATA_SECTION_NODE)).strip()


def _set_text(doc, node, text):
    for child in list(node.childNodes):
        node.removeChild(child)
    node.appendChild(doc.createTextNode(text))


def _image_element(doc, what):
    found = doc.getElementsByTagName('image')
    if not found:
        raise koji.GenericError("Kiwi description %s doesn't contain <image> tag." % what)
    return found[0]


def read_description(path):
    """(name, version, default profile) of a kiwi description; bad files fail the build."""
    base = os.path.basename(path)
    try:
        doc = xml.dom.minidom.parse(path)  # nosec - from the build's own SCM
    except Exception:
        raise koji.GenericError("Kiwi description %s can't be parsed as XML." % base)
    image = _image_element(doc, base)
    version = None
    for prefs in image.getElementsByTagName('preferences'):
        found = prefs.getElementsByTagName('version')
        if found and _text(found[0]):
            version = _text(found[0])
    if not version:
        raise koji.BuildError("Description file doesn't contain preferences/version")
    profile = None
    for profiles in image.getElementsByTagName('profiles')[:1]:
        for node in profiles.getElementsByTagName('profile'):
            if node.getAttribute('image') == 'true':
                profile = node.getAttribute('name')
    return image.getAttribute('name'), version, profile


def _merge_includes(image, desc_path):
    """Replace each <include from="this://..."/> with the top-level nodes of that file
    (its repositories left out); other protocols could reach outside the checkout."""
    for include in image.getElementsByTagName('include'):
        ref = include.getAttribute('from')
        if not ref.startswith('this://'):
            raise koji.GenericError('Unhandled include protocol in include path: %s.' % ref)
        # joinpath refuses paths that climb out of the description's directory
        inc_path = koji.util.joinpath(os.path.dirname(desc_path), ref[len('this://'):])
        inc_doc = xml.dom.minidom.parse(inc_path)  # nosec
        inc_images = inc_doc.getElementsByTagName('image')
        if not inc_images:
            raise koji.GenericError('Included file needs to contain <image> tag.')
        for node in list(inc_images[0].childNodes):
            if getattr(node, 'tagName', None) != 'repository':
                image.appendChild(node)
        include.parentNode.removeChild(include)


def _strip_blank_text(node):
    for child in list(node.childNodes):
        if child.nodeType == child.TEXT_NODE and not child.data.strip():
            node.removeChild(child)
        else:
            _strip_blank_text(child)


def prepare_description(desc_path, name, version, repos, releasever, arch):
    """Write <desc>.<arch>.kiwi: includes merged, only the given repos, the build's name,
    version and release-version; the original goes away so kiwi sees one description.

    Returns (new path, image types the preferences name)."""
    doc = xml.dom.minidom.parse(desc_path)  # nosec - checked by the parent already
    image = _image_element(doc, os.path.basename(desc_path))
    _merge_includes(image, desc_path)
    for repo in image.getElementsByTagName('repository'):
        repo.parentNode.removeChild(repo)
    for url in sorted(set(repos)):
        repo = doc.createElement('repository')
        repo.setAttribute('type', 'rpm-md')
        source = doc.createElement('source')
        source.setAttribute('path', url)
        repo.appendChild(source)
        image.appendChild(repo)
    image.setAttribute('name', name)
    all_prefs = image.getElementsByTagName('preferences')
    if not all_prefs:
        raise koji.BuildError("Description file doesn't contain preferences/version")
    with_version = [p for p in all_prefs if p.getElementsByTagName('version')]
    prefs = (with_version or all_prefs)[0]
    if not with_version:
        prefs.appendChild(doc.createElement('version'))
    _set_text(doc, prefs.getElementsByTagName('version')[0], version)
    found = all_prefs[0].getElementsByTagName('release-version')
    if found:
        _set_text(doc, found[0], releasever)
    else:
        node = doc.createElement('release-version')
        node.appendChild(doc.createTextNode(releasever))
        all_prefs[0].appendChild(node)
    types = [node.getAttribute('image') for p in all_prefs
             for node in p.getElementsByTagName('type')]
    _strip_blank_text(doc)
    new_path = '%s.%s.kiwi' % (os.path.splitext(desc_path)[0], arch)
    with open(new_path, 'w', encoding='utf-8') as fo:
        fo.write(doc.toprettyxml(indent='  '))
    os.unlink(desc_path)
    return new_path, types


def cached_rpm_headers(path):
    """Header facts of every rpm below path (kiwi's package cache), one per file name."""
    return rpm_components(path, 'No repos found in yum cache!')


# -- SCM -------------------------------------------------------------------------------------

def checkout(task, url, destdir, logname, build_tag, scratch):
    """The description's checkout (allowed_scms / policy checked, callbacks run)."""
    scm = allowed_scm(task, url, scratch)
    koji.ensuredir(destdir)
    return checkout_scm(task, scm, destdir, os.path.join(task.workdir, logname), build_tag,
                        scratch)


# -- the tasks -------------------------------------------------------------------------------

class KiwiBuildTask(BuildImageTask):
    Methods = ['kiwiBuild']
    _taskWeight = 4.0

    def handler(self, target, arches, desc_url, desc_path, opts=None):
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
        opts['optional_arches'] = opts.get('optional_arches') or []
        extra = self.session.getBuildConfig(build_tag)['extra']
        if not extra.get('mock.new_chroot', True):
            # the old chroot has no /dev of its own for kiwi's loop devices
            opts['mount_dev'] = True
        self.opts = opts

        srcdir = checkout(self, desc_url, self.workdir, 'checkout.log', build_tag,
                          opts['scratch'])
        name, version, profile = read_description(os.path.join(srcdir, desc_path))
        profile = opts.get('profile') or profile
        if profile:
            # one package per profile of a description
            name = '%s-%s' % (name, profile)
        version = opts.get('version') or version
        release = opts.get('release') or \
            self.session.getNextRelease({'name': name, 'version': version})
        bld_info = None
        if not opts['scratch']:
            bld_info = self.initImageBuild(name, version, release, target_info, opts)
            release = bld_info['release']
        subtasks = {}
        with self._failing_build(lambda: bld_info, opts):
            for arch in arches:
                subtasks[arch] = self.subtask(
                    'createKiwiImage', [name, version, release, arch, target_info, build_tag,
                                        repo_info, desc_url, desc_path, opts],
                    label=arch, arch=arch)
            results, _failed = self._wait_arches(subtasks, opts['optional_arches'])
            self._import(bld_info, {str(k): v for k, v in results.items()}, opts)
        self._tag(target_info, bld_info, opts)
        return self._report('image', bld_info, list(subtasks.values()), opts)


class KiwiCreateImageTask(BaseBuildTask):
    Methods = ['createKiwiImage']
    _taskWeight = 2.0

    def handler(self, name, version, release, arch, target_info, build_tag, repo_info,
                desc_url, desc_path, opts=None):
        self.opts = opts = opts or {}
        build_tag = target_info['build_tag']
        scratch = bool(opts.get('scratch'))
        bind_opts = {'dirs': {'/dev': '/dev'} if opts.get('mount_dev') else {}}
        broot = BuildRoot(self.session, self.options, build_tag, arch, self.id,
                          repo_id=repo_info['id'], install_group='kiwi-build',
                          setup_dns=True, bind_opts=bind_opts)
        broot.workdir = self.workdir
        broot.init()
        srcdir = checkout(self, desc_url, broot.tmpdir(), 'checkout-%s.log' % arch,
                          build_tag, scratch)
        chroot_tmp = broot.tmpdir(within=True)
        desc_dir = os.path.join(os.path.basename(srcdir), os.path.dirname(desc_path))

        repos = list(opts.get('repos') or [])
        if opts.get('use_buildroot_repo'):
            pathinfo = koji.PathInfo(topdir=self.options.topurl)
            repos.append('%s/%s' % (pathinfo.repo(repo_info['id'],
                                                  target_info['build_tag_name']), arch))
        if opts.get('make_prep'):
            if broot.mock(in_chroot(os.path.join(chroot_tmp, desc_dir), ['make', 'prep'])):
                raise koji.GenericError('Preparation step failed')
        desc, _types = prepare_description(
            os.path.join(srcdir, desc_path), name, version, repos,
            opts.get('repo_releasever') or version, arch)
        self.uploadFile(desc)

        # kiwi's logs stream with the buildroot's (resultdir/*.log) through these links
        koji.ensuredir(os.path.join(broot.rootdir(), 'tmp'))
        koji.ensuredir(broot.resultdir())
        for log in (image_log(arch), bundle_log(arch)):
            os.symlink(os.path.join(broot.rootdir(), log.lstrip('/')),
                       os.path.join(broot.resultdir(), os.path.basename(log)))
        for cmd in (system_build_cmd(os.path.basename(desc), desc_dir, arch, opts),
                    result_bundle_cmd(arch, release, opts)):
            if broot.mock(in_chroot(chroot_tmp, cmd)):
                raise koji.GenericError('Kiwi failed')

        imgdata = {'arch': arch, 'task_id': self.id, 'logs': [os.path.basename(desc)],
                   'name': name, 'version': version, 'release': release, 'rpmlist': [],
                   'files': []}
        bundle = os.path.join(broot.rootdir(), BUNDLE_DIR.lstrip('/'))
        for fname in sorted(os.listdir(bundle)):
            self.uploadFile(os.path.join(bundle, fname), remoteName=fname)
            imgdata['files'].append(fname)
        if not scratch:
            rpms = cached_rpm_headers(os.path.join(broot.rootdir(), KIWI_DNF_CACHE))
            broot.markExternalRPMs(rpms)
            imgdata['rpmlist'] = rpms
        broot.expire()
        return imgdata
