"""Dist repos: the distRepo task and its per-arch createdistrepo children.

A dist repo holds the rpms themselves (signed copies picked by key preference) under
Packages/<first letter>/, with repodata made by createrepo_c. Each child builds one arch
in its work dir (symlinks to the rpms in topdir) and uploads the metadata plus
``kojipkgs`` (the chosen rpms) and ``repo_manifest`` (the uploaded files); the parent
hands each arch to host.distRepoMove, which links the rpms into the repo, and ends with
host.repoDone.
"""
import glob
import os
import shutil

import koji
from koji.tasks import BaseTaskHandler
from koji.util import joinpath

from . import multilib, multilib_deps
from .repos_cmd import distrepo_createrepo_cmd, run_logged

EMPTY_REPO_TEXT = 'This repo is empty because its tag has no content for this arch\n'
# the dnf config upstream's kojid writes for its multilib depsolve and uploads as a log;
# the closure here comes from multilib_deps, over the same repo
DNF_CONF = '''
[main]
debuglevel=2
#pkgpolicy=newest
#exactarch=1
gpgcheck=0
#reposdir=/dev/null
#cachedir=/dnfcache
installroot=%(installroot)s
#logfile=/dnf.log

[koji-%(task_id)s]
name=koji multilib task
baseurl=file://%(mldir)s
enabled=1

'''

# arches whose repos may carry 32-bit multilib packages, and the 32-bit arch they take
MULTILIB_ARCHES = {'x86_64': 'i686', 'ppc64': 'ppc', 's390x': 's390'}
# package arches that go into a repo of each canonical arch
COMPAT_ARCHES = {
    'i386': ('athlon', 'i686', 'i586', 'i486', 'i386', 'noarch'),
    'x86_64': ('amd64', 'ia32e', 'x86_64', 'noarch'),
    'ia64': ('ia64', 'noarch'),
    'ppc': ('ppc', 'noarch'),
    'ppc64': ('ppc64p7', 'ppc64pseries', 'ppc64iseries', 'ppc64', 'noarch'),
    'ppc64le': ('ppc64le', 'noarch'),
    's390': ('s390', 'noarch'),
    's390x': ('s390x', 'noarch'),
    'sparc': ('sparcv9v', 'sparcv9', 'sparcv8', 'sparc', 'noarch'),
    'sparc64': ('sparc64v', 'sparc64', 'noarch'),
    'alpha': ('alphaev6', 'alphaev56', 'alphaev5', 'alpha', 'noarch'),
    'arm': ('arm', 'armv4l', 'armv4tl', 'armv5tel', 'armv5tejl', 'armv6l', 'armv7l',
            'noarch'),
    'armhfp': ('armv7hl', 'armv7hnl', 'noarch'),
    'aarch64': ('aarch64', 'noarch'),
    'riscv64': ('riscv64', 'noarch'),
    'sw_64': ('sw_64', 'noarch'),
    'loongarch64': ('loongarch64', 'noarch'),
    'src': ('src',),
}


def is_multilib_arch(arch):
    return arch in MULTILIB_ARCHES


def pick_key(keys, avail_keys):
    """The most preferred (earliest in keys) of the available sigkeys, or None."""
    best = None
    for key in avail_keys:
        if key in keys and (best is None or keys.index(key) < keys.index(best)):
            best = key
    return best


def select_rpms(rpms, keys):
    """{rpm_id: rpminfo} with one copy per rpm: the best key, else sigkey None.

    ``rpms`` has one row per (rpm, signature), as listTaggedRPMS(rpmsigs=True) gives.
    """
    keys = [key.lower() for key in keys]
    by_id = {}
    for rpminfo in rpms:
        by_id.setdefault(rpminfo['id'], {})[(rpminfo.get('sigkey') or '').lower()] = rpminfo
    selected = {}
    for rpm_id, sigs in by_id.items():
        best = pick_key(keys, list(sigs))
        if best is None:
            rpminfo = dict(next(iter(sigs.values())))
            rpminfo['sigkey'] = None
        else:
            rpminfo = dict(sigs[best])
            rpminfo['best_key'] = best
        selected[rpm_id] = rpminfo
    return selected


class NewDistRepoTask(BaseTaskHandler):
    """Build a dist repo: createdistrepo per arch (32-bit first with multilib)."""

    Methods = ['distRepo']
    _taskWeight = 0.1

    def handler(self, tag, repo_id, keys, task_opts):
        tinfo = self.session.getTag(tag, strict=True, event=task_opts.get('event'))
        if not task_opts.get('arch'):
            task_opts['arch'] = (tinfo['arches'] or '').split()
        if not task_opts['arch']:
            raise koji.GenericError('No arches specified nor for the tag!')
        arches = []
        for arch in task_opts['arch']:
            arch = koji.canonArch(arch)
            if arch not in arches:
                arches.append(arch)
        # 32-bit (non-multilib) arches first: the 64-bit ones read their output
        arch32s = [arch for arch in arches if not is_multilib_arch(arch)]
        subtasks = {}
        for arch in arch32s:
            subtasks[arch] = self._spawn(tag, repo_id, arch, keys, task_opts)
        if subtasks and task_opts.get('multilib'):
            self.wait(list(subtasks.values()), all=True, failany=True)
            for arch in arch32s:
                self._move(repo_id, subtasks[arch], arch)
        for arch in arches:
            if arch not in arch32s:
                subtasks[arch] = self._spawn(tag, repo_id, arch, keys, task_opts)
        self.wait(list(subtasks.values()), all=True, failany=True)
        for arch, task_id in subtasks.items():
            if task_opts.get('multilib') and arch in arch32s:
                continue
            self._move(repo_id, task_id, arch)
        self.session.host.repoDone(repo_id, {})
        return 'Dist repository #%s successfully generated' % repo_id

    def _spawn(self, tag, repo_id, arch, keys, task_opts):
        return self.session.host.subtask(
            method='createdistrepo', arglist=[tag, repo_id, arch, keys, task_opts],
            label=arch, parent=self.id, arch='noarch')

    def _move(self, repo_id, task_id, arch):
        self.session.host.distRepoMove(repo_id, koji.pathinfo.taskrelpath(task_id), arch)


class createDistRepoTask(BaseTaskHandler):
    """One arch of a dist repo, made in the work dir and uploaded."""

    Methods = ['createdistrepo']
    _taskWeight = 1.5

    def handler(self, tag, repo_id, arch, keys, opts):
        self.rinfo = self.session.repoInfo(repo_id, strict=True)
        if self.rinfo['state'] != koji.REPO_INIT:
            raise koji.GenericError('Repo %(id)s not in INIT state (got %(state)s)'
                                    % self.rinfo)
        groupdata = joinpath(koji.pathinfo.distrepo(repo_id, self.rinfo['tag_name']),
                             'groups', 'comps.xml')
        self.repodir = joinpath(self.workdir, 'repo')
        self.repo_files = []
        self.subrepos = set()
        koji.ensuredir(self.repodir)
        oldpkgs = self.delta_dirs(opts.get('delta'), arch)
        oldrepo = self.session.getRepo(tag, dist=True, state=koji.REPO_READY)
        oldrepodir = None
        if oldrepo:
            oldrepodir = koji.pathinfo.distrepo(oldrepo['id'], oldrepo['tag_name'])
        self.uploadpath = self.getUploadDir()
        self.get_rpms(tag, arch, keys, opts)
        if opts.get('multilib') and is_multilib_arch(arch):
            self.do_multilib(arch, MULTILIB_ARCHES[arch], opts.get('multilib'))
        self.split_pkgs(opts)
        self.write_kojipkgs()
        self.write_pkglist()
        self.link_pkgs()
        self.do_createrepo(self.repodir, joinpath(self.repodir, 'pkglist'), groupdata,
                           oldpkgs=oldpkgs,
                           oldrepodata=oldrepodir and joinpath(oldrepodir, arch, 'repodata'),
                           opts=opts, skip_stat=opts.get('createrepo_skip_stat'))
        for subrepo in sorted(self.subrepos):
            old = oldrepodir and joinpath(oldrepodir, arch, subrepo, 'repodata')
            self.do_createrepo(joinpath(self.repodir, subrepo),
                               joinpath(self.repodir, subrepo, 'pkglist'), groupdata,
                               oldpkgs=oldpkgs, oldrepodata=old, opts=opts,
                               logname='createrepo_%s' % subrepo)
        if not self.kojipkgs:
            with open(joinpath(self.repodir, 'repodata', 'EMPTY_REPO'), 'w') as fo:
                fo.write(EMPTY_REPO_TEXT)
        self.run_callbacks('postCreateDistRepo', tag=tag, repodir=self.repodir,
                           repo_id=repo_id, arch=arch, keys=keys, opts=opts)
        self.upload_repo()
        self.upload_repo_manifest()

    def delta_dirs(self, delta, arch):
        """Dirs of older rpms to make delta rpms against: the dist repos' package dirs.

        createrepo_c does not look below an --oldpackagedirs dir, so each
        <repo>/<arch>/Packages/<letter> dir is named (the repo's top dir if it has none).
        """
        dirs = []
        for delta_repo_id in delta or []:
            oldrepo = self.session.repoInfo(delta_repo_id, strict=True)
            if not oldrepo['dist']:
                raise koji.GenericError('Base repo for deltas must also be a dist repo')
            path = koji.pathinfo.distrepo(delta_repo_id, oldrepo['tag_name'])
            if not os.path.exists(path):
                raise koji.GenericError('Base drpm repo missing: %s' % path)
            pkgdirs = sorted(glob.glob(joinpath(path, arch, 'Packages', '*', '')))
            dirs.extend([d.rstrip('/') for d in pkgdirs] or [path])
        return dirs

    # -- choosing the rpms

    def get_rpms(self, tag, arch, keys, opts):
        """Fill self.kojipkgs {file name: rpminfo with _pkgpath}; fail on missing ones."""
        rpms = []
        builddirs = {}
        for pkg_arch in COMPAT_ARCHES.get(arch, (arch, 'noarch')):
            rpm_rows, builds = self.session.listTaggedRPMS(
                tag, event=opts.get('event'), arch=pkg_arch, latest=opts.get('latest', False),
                inherit=opts.get('inherit', False), rpmsigs=True)
            for build in builds:
                if build.get('draft'):
                    raise koji.BuildError('Draft build: %s is not allowed' % build['nvr'])
                builddirs[build['id']] = koji.pathinfo.build(build)
            rpms.extend(rpm_rows)
        selected = select_rpms(rpms, keys)
        if opts.get('write_signed_rpms'):
            self.write_signed_rpms(selected)
        kojipkgs = {}
        fs_missing = []
        sig_missing = []
        for rpm_id, rpminfo in selected.items():
            builddir = builddirs[rpminfo['build_id']]
            if rpminfo['sigkey'] is None:
                sig_missing.append(rpm_id)
                if opts.get('skip_missing_signatures'):
                    continue
                pkgpath = joinpath(builddir, koji.pathinfo.rpm(rpminfo))
            else:
                pkgpath = joinpath(builddir, koji.pathinfo.signed(rpminfo, rpminfo['sigkey']))
            if not os.path.exists(pkgpath):
                fs_missing.append(pkgpath)
                continue
            rpminfo['_pkgpath'] = pkgpath
            kojipkgs[os.path.basename(pkgpath)] = rpminfo
        self.kojipkgs = kojipkgs
        if fs_missing:
            self._upload_text('missing_files.log',
                              'Some rpm files were missing.\n'
                              'Most likely, you want to create these signed copies.\n\n'
                              'Missing files:\n' + ''.join('%s\n' % p for p in sorted(fs_missing)))
            raise koji.GenericError('Packages missing from the filesystem. '
                                    'See missing_files.log.')
        if sig_missing:
            self._report_unsigned(selected, rpms, sig_missing, keys, opts)

    def _report_unsigned(self, selected, rpms, sig_missing, keys, opts):
        avail = {}
        for rpminfo in rpms:
            avail.setdefault(rpminfo['id'], []).append(rpminfo.get('sigkey') or '')
        text = 'Some rpms were missing requested signatures.\n'
        if opts.get('skip_missing_signatures'):
            text += ('The skip_missing_signatures option was specified, so these files '
                     'were excluded.\n')
        text += 'Requested keys: %r\n\n# RPM name: available keys\n' % [k.lower() for k in keys]
        names = sorted(('%(name)s-%(version)s-%(release)s.%(arch)s' % selected[r], r)
                       for r in sig_missing)
        for fname, rpm_id in names:
            text += '%s: %r\n' % (fname, avail.get(rpm_id, []))
        self._upload_text('missing_signatures.log', text)
        if not opts.get('skip_missing_signatures') and not opts.get('allow_missing_signatures'):
            raise koji.GenericError('Unsigned packages found. See missing_signatures.log')

    def write_signed_rpms(self, selected):
        """Ask the hub to write the signed copies we are going to use (one multicall)."""
        wanted = [rpm_id for rpm_id in selected if selected[rpm_id].get('best_key')]
        if not wanted:
            return
        with self.session.multicall(batch=1000) as mc:
            calls = [mc.host.writeSignedRPM(rpm_id, selected[rpm_id]['best_key'])
                     for rpm_id in wanted]
        lines = []
        for rpm_id, call in zip(wanted, calls):
            key = selected[rpm_id]['best_key']
            try:
                call.result
                lines.append('Signed RPM %s is written with %s key.\n' % (rpm_id, key))
            except Exception as exc:
                lines.append('FAILED: Signed RPM %s is not written with %s key, error: %s\n'
                             % (rpm_id, key, getattr(exc, 'faultString', exc)))
        self._upload_text('written_signed_rpms.log', ''.join(lines))

    def _upload_text(self, name, text):
        path = joinpath(self.workdir, name)
        with open(path, 'w') as fo:
            fo.write(text)
        self.session.uploadWrapper(path, self.uploadpath)

    def do_multilib(self, arch, ml_arch, conf):
        """Add the 32-bit builds of the packages multilib.conf (devel method) selects.

        The 32-bit arch is already in the repo (the parent moved it first); each selected
        package's 32-bit file and what it needs from that arch's packages are linked in.
        """
        repodir = koji.pathinfo.distrepo(self.rinfo['id'], self.rinfo['tag_name'])
        mldir = joinpath(repodir, koji.canonArch(ml_arch))
        ml_pkgs = koji.load_json(joinpath(mldir, 'kojipkgs'))
        method = multilib.get_method('devel', joinpath(koji.pathinfo.work(), conf))

        def ml_path(fname):
            return joinpath(mldir, 'Packages', fname[0].lower(), fname)
        fs_missing = set()
        wanted = []
        for fname in sorted(self.kojipkgs):
            pkg = multilib.Package.from_file(self.kojipkgs[fname]['_pkgpath'])
            if not method.select(pkg):
                continue
            ml_fname = fname.replace(arch, ml_arch)
            if ml_fname not in ml_pkgs:
                self.logger.error('%s (multilib) is not on the filesystem', ml_path(ml_fname))
                fs_missing.add(ml_path(ml_fname))
                continue
            wanted.append(ml_fname)
        self.logger.info('Resolving multilib for %s using method devel', arch)
        self._upload_text('dnf.conf-koji-%s' % arch, DNF_CONF % {
            'installroot': joinpath(self.workdir, 'dnf'), 'task_id': self.id, 'mldir': mldir})
        present = {fname: ml_path(fname) for fname in ml_pkgs
                   if os.path.exists(ml_path(fname))}
        resolver = multilib_deps.Resolver(
            multilib_deps.load_packages(present),
            arch_order=COMPAT_ARCHES.get(koji.canonArch(ml_arch), (ml_arch, 'noarch')))
        needed = []
        if wanted:
            wanted_present = [fname for fname in wanted if fname in present]
            fs_missing.update(ml_path(fname) for fname in wanted if fname not in present)
            needed = resolver.closure(wanted_present)
            self.logger.info('multilib depsolve finished: %d packages', len(needed))
        if fs_missing:
            self._upload_text('missing_multilib.log',
                              'The following multilib files were missing:\n'
                              + ''.join('%s\n' % path for path in sorted(fs_missing)))
            raise koji.GenericError('multilib packages missing. See missing_multilib.log')
        for fname in needed:
            if fname in self.kojipkgs:
                # noarch packages are in both arches; anything else is odd
                if resolver.packages[fname].arch != 'noarch':
                    self.logger.warning('Multilib duplicate: %s', fname)
                continue
            self.kojipkgs[fname] = dict(ml_pkgs[fname], _pkgpath=ml_path(fname),
                                        _multilib=True)

    # -- laying out the repo

    def split_pkgs(self, opts):
        """debuginfo rpms go to the debug subrepo when split_debuginfo is set."""
        if not opts.get('split_debuginfo'):
            return
        for rpminfo in self.kojipkgs.values():
            if koji.is_debuginfo(rpminfo['name']):
                rpminfo['_subrepo'] = 'debug'
                self.subrepos.add('debug')

    def write_kojipkgs(self):
        koji.dump_json(joinpath(self.repodir, 'kojipkgs'), self.kojipkgs, sort_keys=False)

    def write_pkglist(self):
        main = []
        subrepos = {}
        for fname in sorted(self.kojipkgs):
            rel = 'Packages/%s/%s' % (fname[0].lower(), fname)
            subrepo = self.kojipkgs[fname].get('_subrepo')
            if subrepo:
                subrepos.setdefault(subrepo, []).append('../%s\n' % rel)
            else:
                main.append('%s\n' % rel)
        with open(joinpath(self.repodir, 'pkglist'), 'w') as fo:
            fo.writelines(main)
        for subrepo, lines in subrepos.items():
            koji.ensuredir(joinpath(self.repodir, subrepo))
            with open(joinpath(self.repodir, subrepo, 'pkglist'), 'w') as fo:
                fo.writelines(lines)

    def link_pkgs(self):
        for fname, rpminfo in self.kojipkgs.items():
            ddir = joinpath(self.repodir, 'Packages', fname[0].lower())
            koji.ensuredir(ddir)
            os.symlink(rpminfo['_pkgpath'], joinpath(ddir, fname))

    def do_createrepo(self, repodir, pkglist, groupdata, oldpkgs=None, logname=None,
                      oldrepodata=None, opts=None, skip_stat=None):
        opts = opts or {}
        koji.ensuredir(repodir)
        update = False
        if pkglist and oldrepodata and self.options.createrepo_update:
            if not os.path.isdir(oldrepodata):
                self.logger.warning('old repodata is missing: %s', oldrepodata)
            else:
                datadir = joinpath(repodir, 'repodata')
                shutil.copytree(oldrepodata, datadir)
                origins = joinpath(datadir, 'pkgorigins.gz')
                if os.path.isfile(origins):
                    os.unlink(origins)
                update = True
        if skip_stat is None:
            skip_stat = self.options.distrepo_skip_stat
        cmd = distrepo_createrepo_cmd(
            repodir, pkglist, groupdata=groupdata if os.path.isfile(groupdata) else None,
            update=update, skip_stat=skip_stat, oldpkgs=oldpkgs, zck=opts.get('zck'),
            zck_dict_dir=opts.get('zck_dict_dir'),
            use_createrepo_c=self.options.use_createrepo_c)
        logfile = joinpath(self.workdir, '%s.log' % (logname or 'createrepo'))
        run_logged(self.session, cmd, logfile, self.getUploadDir())

    # -- uploads

    def upload_repo(self):
        """Upload every real file of the repo (the rpm symlinks stay behind)."""
        for dirpath, dirs, files in os.walk(self.repodir):
            dirs.sort()
            reldir = os.path.relpath(dirpath, self.repodir)
            for fname in sorted(files):
                path = joinpath(dirpath, fname)
                if os.path.islink(path):
                    continue
                # manifest entries are relative to the arch dir ('./kojipkgs' at the top)
                relpath = '%s/%s' % (reldir, fname)
                uploadpath = self.uploadpath
                if reldir != '.':
                    uploadpath = '%s/%s' % (self.uploadpath, reldir)
                self.session.uploadWrapper(path, uploadpath, fname)
                self.repo_files.append(relpath)

    def upload_repo_manifest(self):
        path = joinpath(self.workdir, 'repo_manifest')
        koji.dump_json(path, self.repo_files, indent=4)
        self.session.uploadWrapper(path, self.uploadpath)
