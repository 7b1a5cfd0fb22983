"""Tag repos: the newRepo task and its per-arch createrepo children.

host.repoInit writes the repo directory (per-arch pkglist and blocklist, groups/comps.xml,
repo.json) under topdir; each createrepo child indexes one arch with createrepo_c (reusing
the previous repo's metadata with --update), merges the tag's external repos with
mergerepo_c, and uploads the repodata to its task directory. host.repoDone then moves
the uploads into the repo and makes it READY.
"""
import filecmp
import os
import shutil

import koji
from koji.tasks import BaseTaskHandler, RefuseTask
from koji.util import joinpath

from .repos_cmd import (createrepo_cmd, external_repo_urls, merge_mode, mergerepo_cmd,
                        mergerepo_version, run_logged)

EMPTY_REPO_TEXT = 'This repo is empty because its tag has no content for this arch\n'
# repo.json keys that make two repos' metadata differ
REPO_JSON_OPTS = ('with_debuginfo', 'with_src', 'with_separate_src')


def _repos_dir_or_refuse(topdir):
    """The topdir's repos dir; a builder that cannot see it lets another host try."""
    path = joinpath(topdir, 'repos')
    if not os.path.isdir(path):
        raise RefuseTask('No access to repos dir %s' % path)
    return path


class NewRepoTask(BaseTaskHandler):
    """Regenerate a tag's repo: one createrepo child per arch, then host.repoDone."""

    Methods = ['newRepo']
    _taskWeight = 0.1

    def handler(self, tag, event=None, src=None, debuginfo=None, separate_src=None, opts=None):
        tinfo = self.session.getTag(tag, strict=True, event=event)
        opts = self._opts(src, debuginfo, separate_src, opts)
        # before repoInit: a host without the repos mount must not create a repo
        _repos_dir_or_refuse(self.options.topdir)
        kwargs = {'opts': opts, 'task_id': self.id}
        if event is not None:
            kwargs['event'] = event
        repo_id, event_id = self.session.host.repoInit(tinfo['id'], **kwargs)
        path = koji.pathinfo.repo(repo_id, tinfo['name'])
        if not os.path.isdir(path):
            raise koji.GenericError('Repo directory missing: %s' % path)
        arches = sorted(name for name in os.listdir(path)
                        if name != 'groups' and os.path.isfile(joinpath(path, name, 'pkglist')))
        oldrepo, oldrepo_path = self.get_old_repo(tinfo)
        clonable = False
        if self.options.copy_old_repodata and oldrepo:
            newrepo = {'tag_id': tinfo['id'], 'create_event': event_id}
            clonable = self.check_repo(oldrepo_path, path, oldrepo, newrepo)
        data = {}
        cloned = []
        subtasks = {}
        for arch in arches:
            if clonable and self.check_arch_repo(oldrepo_path, path, arch):
                result = self.copy_arch_repo(oldrepo['id'], oldrepo_path, repo_id, arch)
                if result:
                    data[arch] = result
                    cloned.append(arch)
                    continue
            subtasks[arch] = self.session.host.subtask(
                method='createrepo', arglist=[repo_id, arch, oldrepo], label=arch,
                parent=self.id, arch='noarch')
        if subtasks:
            results = self.wait(list(subtasks.values()), all=True, failany=True)
            for arch, task_id in subtasks.items():
                data[arch] = results[task_id]
        kwargs = {}
        if cloned:
            kwargs['repo_json_updates'] = {'cloned_from_repo_id': oldrepo['id'],
                                           'cloned_archs': cloned}
        self.session.host.repoDone(repo_id, data, **kwargs)
        return repo_id, event_id

    def _opts(self, src, debuginfo, separate_src, opts):
        """The repo opts: the opts dict, or the deprecated single flags."""
        legacy = {}
        for name, value in (('src', src), ('debuginfo', debuginfo),
                            ('separate_src', separate_src)):
            if value is not None:
                legacy[name] = bool(value)
        if not legacy:
            return opts
        if opts is not None:
            raise koji.ParameterError('opts parameter cannot be combined with legacy options')
        self.logger.warning('The src, debuginfo, and separate_src parameters for newRepo '
                            'tasks are deprecated. Use the opts parameter.')
        return legacy

    def get_old_repo(self, tinfo):
        """(repo, path) whose metadata createrepo --update may start from, or (None, None).

        The tag's own current repo first, then the tags named by the tag extra
        repo.oldrepo_hint, then the nearest parent with a repo.
        """
        if not self.options.createrepo_update:
            return None, None
        candidates = [(tinfo['id'], tinfo['name'])]
        hints = tinfo.get('extra', {}).get('repo.oldrepo_hint', [])
        if not isinstance(hints, list):
            hints = [hints]
        for hint in hints:
            reftag = self.session.getTag(hint, strict=False)
            if reftag:
                candidates.append((reftag['id'], reftag['name']))
            else:
                self.logger.warning('oldrepo_hint refers to invalid tag: %s', hint)
        for tag_id, tag_name in candidates:
            oldrepo = self.session.getRepo(tag_id)
            if oldrepo:
                oldrepo['tag_id'] = tag_id
                return oldrepo, koji.pathinfo.repo(oldrepo['id'], tag_name)
        parents = self.session.getFullInheritance(tinfo['id'])
        for link in sorted(parents, key=lambda link: link['currdepth']):
            oldrepo = self.session.getRepo(link['parent_id'])
            if oldrepo:
                oldrepo['tag_id'] = link['parent_id']
                return oldrepo, koji.pathinfo.repo(oldrepo['id'], link['name'])
        return None, None

    def check_repo(self, src_path, dst_path, src_repo, dst_repo):
        """True if the old repo's metadata may be copied as is (copy_old_repodata)."""
        if not src_path or not os.path.isdir(src_path):
            self.logger.debug("Source repo doesn't exist %s", src_path)
            return False
        try:
            src_json = koji.load_json(joinpath(src_path, 'repo.json'))
            dst_json = koji.load_json(joinpath(dst_path, 'repo.json'))
        except (IOError, ValueError):
            self.logger.debug("Can't read repo.json of repo %s", src_repo['id'])
            return False
        for key in REPO_JSON_OPTS:
            if src_json.get(key, False) != dst_json.get(key, False):
                return False
        src_comps = joinpath(src_path, 'groups/comps.xml')
        dst_comps = joinpath(dst_path, 'groups/comps.xml')
        if os.path.exists(src_comps) != os.path.exists(dst_comps):
            return False
        if os.path.exists(src_comps) and not filecmp.cmp(src_comps, dst_comps, shallow=False):
            return False
        # external repos change behind our back: their data is never reused
        for repo in (src_repo, dst_repo):
            if self.session.getExternalRepoList(repo['tag_id'], event=repo['create_event']):
                return False
        return True

    def check_arch_repo(self, src_path, dst_path, arch):
        """True if an arch has the same pkglist and blocklist in both repos."""
        for fname in ('blocklist', 'pkglist'):
            src = joinpath(src_path, arch, fname)
            dst = joinpath(dst_path, arch, fname)
            if not os.path.exists(src) or not os.path.exists(dst):
                return False
            if not filecmp.cmp(src, dst, shallow=False):
                return False
        return True

    def copy_arch_repo(self, src_repo_id, src_path, repo_id, arch):
        """Upload the old repo's repodata of an arch as ours; False if that fails."""
        src = joinpath(src_path, arch, 'repodata')
        dst = joinpath(self.workdir, arch, 'repodata')
        try:
            if os.path.exists(src):
                shutil.copytree(src, dst)
            uploadpath = self.getUploadDir()
            files = sorted(os.listdir(dst))
            for fname in files:
                self.session.uploadWrapper(joinpath(dst, fname), uploadpath, fname)
            return [uploadpath, files]
        except Exception as exc:
            self.logger.warning('Copying repo %i to %i failed. %r', src_repo_id, repo_id, exc)
            koji.util.rmtree(dst, self.logger)
            return False


class CreaterepoTask(BaseTaskHandler):
    """Index one arch of an INIT repo; returns [uploadpath, repodata file names]."""

    Methods = ['createrepo']
    _taskWeight = 1.5

    def handler(self, repo_id, arch, oldrepo):
        rinfo = self.session.repoInfo(repo_id, strict=True)
        if rinfo['state'] != koji.REPO_INIT:
            raise koji.GenericError('Repo %(id)s not in INIT state (got %(state)s)' % rinfo)
        self.repo_id = rinfo['id']
        self.pathinfo = koji.PathInfo(self.options.topdir)
        toprepodir = self.pathinfo.repo(repo_id, rinfo['tag_name'])
        self.repodir = joinpath(toprepodir, arch)
        if not os.path.isdir(self.repodir):
            _repos_dir_or_refuse(self.options.topdir)
            raise koji.GenericError('Repo directory missing: %s' % self.repodir)
        groupdata = joinpath(toprepodir, 'groups', 'comps.xml')
        self.outdir = joinpath(self.workdir, 'repo')
        self.datadir = joinpath(self.outdir, 'repodata')
        pkglist = joinpath(self.repodir, 'pkglist')
        if os.path.getsize(pkglist) == 0:
            pkglist = None
        self.create_local_repo(rinfo, arch, pkglist, groupdata, oldrepo)
        external_repos = self.session.getExternalRepoList(rinfo['tag_id'],
                                                          event=rinfo['create_event'])
        if external_repos:
            self.merge_repos(external_repos, arch, groupdata)
        elif pkglist is None:
            with open(joinpath(self.datadir, 'EMPTY_REPO'), 'w') as fo:
                fo.write(EMPTY_REPO_TEXT)
        tag = self.session.getTag(rinfo['tag_id'], event=rinfo['create_event'],
                                  strict=True)['name']
        self.run_callbacks('postCreateRepo', tag=tag, repodir=self.outdir,
                           repo_id=self.repo_id, arch=arch)
        uploadpath = self.getUploadDir()
        files = sorted(os.listdir(self.datadir))
        for fname in files:
            self.session.uploadWrapper(joinpath(self.datadir, fname), uploadpath, fname)
        return [uploadpath, files]

    def _old_datadir(self, oldrepo, arch):
        """The previous repo's repodata dir of this arch, None if unusable."""
        # the old repo may belong to another tag (a hint or a parent): ask for its name
        oldrepo = self.session.repoInfo(oldrepo['id'], strict=True)
        path = joinpath(self.pathinfo.repo(oldrepo['id'], oldrepo['tag_name']), arch,
                        'repodata')
        if not os.path.isdir(path):
            self.logger.warning('old repodata is missing: %s', path)
            return None
        return path

    def create_local_repo(self, rinfo, arch, pkglist, groupdata, oldrepo):
        koji.ensuredir(self.outdir)
        update = False
        if pkglist and oldrepo and self.options.createrepo_update:
            olddatadir = self._old_datadir(oldrepo, arch)
            if olddatadir:
                shutil.copytree(olddatadir, self.datadir)
                # origins are rewritten by the merge (if there are external repos)
                origins = joinpath(self.datadir, 'pkgorigins.gz')
                if os.path.isfile(origins):
                    os.unlink(origins)
                update = True
        cmd = createrepo_cmd(self.outdir, self.repodir, pkglist=pkglist,
                             groupdata=groupdata if os.path.isfile(groupdata) else None,
                             update=update, skip_stat=self.options.createrepo_skip_stat,
                             use_createrepo_c=self.options.use_createrepo_c)
        run_logged(self.session, cmd, joinpath(self.workdir, 'createrepo.log'),
                   self.getUploadDir())

    def merge_repos(self, external_repos, arch, groupdata):
        """Merge our repo with the external ones (in priority order) into outdir."""
        mode = merge_mode(external_repos)
        localdir = joinpath(self.workdir, 'repo_%s_premerge' % self.repo_id)
        os.rename(self.outdir, localdir)
        koji.ensuredir(self.outdir)
        urls = external_repo_urls(localdir, external_repos, arch)
        cmd = mergerepo_cmd(mode, self.outdir, arch, urls,
                            blocklist=joinpath(self.repodir, 'blocklist'),
                            groupdata=groupdata if os.path.isfile(groupdata) else None,
                            version=mergerepo_version())
        run_logged(self.session, cmd, joinpath(self.workdir, 'mergerepos.log'),
                   self.getUploadDir(), env={'TMPDIR': self.workdir}, what='merge repos')
