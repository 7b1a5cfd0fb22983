"""The top of an rpm build: ``build`` (srpm, buildArch per arch, import, tag) and
``chainbuild`` (levels of builds, each waiting for the previous ones in the repo).
"""
import json
import random

import koji
from koji.scm import SCM
from koji.tasks import BaseTaskHandler, ServerExit
from koji.util import multi_fnmatch


def arch_list(tag_arches, header_fields, extra=None, override=None):
    """The arches to build: the tag's (plus extra) narrowed by the srpm's BuildArch,
    ExclusiveArch and ExcludeArch; a scratch override replaces them. Only arches the
    tag can build (canonically) are kept; noarch always is."""
    canon_tag = [koji.canonArch(a) for a in tag_arches.split()]
    arches = tag_arches.split() + (extra.split() if extra else [])
    buildarchs = header_fields.get('buildarchs') or []
    exclusive = header_fields.get('exclusivearch') or []
    exclude = header_fields.get('excludearch') or []
    if buildarchs:
        arches = list(buildarchs)
    if exclusive:
        arches = [a for a in arches if a in exclusive]
    if exclude:
        arches = [a for a in arches if a not in exclude]
    if 'noarch' not in exclude and ('noarch' in buildarchs or 'noarch' in exclusive):
        arches.append('noarch')
    if override:
        arches = override.split()
    result = []
    for arch in arches:
        if (arch == 'noarch' or koji.canonArch(arch) in canon_tag) and arch not in result:
            result.append(arch)
    if not result:
        raise koji.BuildError('No matching arches were found')
    return result


def noarch_task_arch(tag_arches, noarch_arches=None, exclusive=(), exclude=()):
    """The task arch of a noarch subtask: noarch unless the srpm or tag narrows the
    arches, then one of those that remain."""
    if not (exclusive or exclude or noarch_arches):
        return 'noarch'
    canon_tag = [koji.canonArch(a) for a in tag_arches.split()]
    exclusive = [koji.canonArch(a) for a in exclusive]
    exclude = [koji.canonArch(a) for a in exclude]
    if noarch_arches:
        choices = [koji.canonArch(a) for a in noarch_arches.split()]
        choices = [a for a in choices if a in canon_tag]
    else:
        choices = list(canon_tag)
    if exclusive:
        choices = [a for a in choices if a in exclusive]
    if exclude:
        choices = [a for a in choices if a not in exclude]
    if not choices:
        raise koji.BuildError('No valid arches were found. tag %r, extra %r,exclusive %r, '
                              'exclude %r' % (canon_tag, noarch_arches, exclusive, exclude))
    if set(choices) == set(canon_tag):
        return 'noarch'
    random.seed()
    return random.choice(choices)


class BuildTask(BaseTaskHandler):
    """A whole rpm build from an SCM url or an uploaded srpm."""

    Methods = ['build']
    _taskWeight = 0.2

    def _check_opts(self, opts):
        if opts.get('arch_override') and not opts.get('scratch'):
            raise koji.BuildError('arch_override is only allowed for scratch builds')
        meta = opts.get('custom_user_metadata')
        if meta:
            if not isinstance(meta, dict):
                raise koji.BuildError('custom_user_metadata must be serializable to a JSON '
                                      'object')
            try:
                json.dumps(meta)
            except TypeError:
                raise koji.BuildError('custom_user_metadata is not JSON serializable')

    def _given_repo(self, opts):
        if opts.get('repo_id') is None:
            return None
        repo = self.session.repoInfo(opts['repo_id'])
        if not repo:
            raise koji.BuildError('No such repo: %s' % opts['repo_id'])
        state = koji.REPO_STATES[repo['state']]
        if state not in ('READY', 'EXPIRED'):
            raise koji.BuildError('Bad repo: %s (%s)' % (repo['id'], state))
        return repo

    def _tags(self, target, repo):
        """(target info or None, build tag id, dest tag id)."""
        info = self.session.getBuildTarget(target, event=self.event_id) if target else None
        if info:
            if repo is not None and repo['tag_id'] != info['build_tag']:
                raise koji.BuildError('Repo/Target mismatch: %s/%s'
                                      % (repo['tag_name'], info['build_tag_name']))
            return info, info['build_tag'], info['dest_tag']
        if repo is None:
            raise koji.GenericError('unknown build target: %s' % target)
        if target is None:
            self.opts['skip_tag'] = True
            return None, repo['tag_id'], repo['tag_id']
        tag = self.session.getTag(target, event=self.event_id)
        if not tag:
            raise koji.GenericError('neither tag nor target: %s' % target)
        return None, repo['tag_id'], tag['id']

    def _policies(self, src, opts, target_info, build_tag, dest_tag):
        data = {'user_id': self.session.getTaskInfo(self.id)['owner'], 'source': src,
                'task_id': self.id, 'build_tag': build_tag,
                'skip_tag': bool(self.opts.get('skip_tag')), 'scratch': opts.get('scratch'),
                'draft': opts.get('draft'), 'from_scm': SCM.is_scm_url(src),
                'repo_id': opts.get('repo_id')}
        if target_info:
            data['target'] = target_info['name']
        if not self.opts.get('skip_tag'):
            data['tag'] = dest_tag
        if not SCM.is_scm_url(src) and not opts.get('scratch'):
            self.session.host.assertPolicy('build_from_srpm', data)
        if opts.get('repo_id') is not None:
            self.session.host.assertPolicy('build_from_repo_id', data)
        self.session.host.assertPolicy('build_rpm', data)

    def handler(self, src, target, opts=None):
        opts = opts if opts is not None else {}
        self.opts = opts
        self._check_opts(opts)
        repo = self._given_repo(opts)
        self.event_id = repo['create_event'] if repo else None
        target_info, build_tag, dest_tag = self._tags(target, repo)
        self._policies(src, opts, target_info, build_tag, dest_tag)
        if repo is None:
            repo = self.getRepo(build_tag, builds=opts.get('wait_builds'),
                                wait=opts.get('wait_repo'))
            self.event_id = self.session.getLastEvent()['id']
        self.source = None
        srpm = self.getSRPM(src, build_tag, repo['id'])
        header = self.readSRPMHeader(srpm)
        data = koji.get_header_fields(header, ['name', 'version', 'release', 'epoch'])
        data['task_id'] = self.id
        if self.source:
            data['source'] = self.source['source']
            data['extra'] = {'source': {'original_url': self.source['url']}}
        if opts.get('custom_user_metadata'):
            data.setdefault('extra', {})['custom_user_metadata'] = opts['custom_user_metadata']
        pkg_cfg = self.session.getPackageConfig(dest_tag, data['name'], event=self.event_id)
        extra_arches = pkg_cfg.get('extra_arches') if pkg_cfg else None
        if not self.opts.get('skip_tag') and not opts.get('scratch'):
            dest_name = target_info['dest_tag_name'] if target_info else dest_tag
            if pkg_cfg is None:
                raise koji.BuildError('package %s not in list for tag %s'
                                      % (data['name'], dest_name))
            if pkg_cfg['blocked']:
                raise koji.BuildError('package %s is blocked for tag %s'
                                      % (data['name'], dest_name))
        archlist = self.getArchList(build_tag, header, extra=extra_arches)
        if opts.get('draft'):
            data['draft'] = opts['draft']
        build_id = None
        if not opts.get('scratch'):
            build_id = self.session.host.initBuild(data)
        failany = bool(opts.get('fail_fast', False)
                       or not getattr(self.options, 'build_arch_can_fail', False))
        try:
            srpm, rpms, brmap, logs = self.runBuilds(srpm, build_tag, archlist, repo['id'],
                                                     failany=failany)
            if opts.get('scratch'):
                self.session.host.moveBuildToScratch(self.id, srpm, rpms, logs=logs)
            else:
                self.session.host.completeBuild(self.id, build_id, srpm, rpms, brmap,
                                                logs=logs)
        except (SystemExit, ServerExit, KeyboardInterrupt):
            raise
        except Exception:
            if build_id is not None:
                self.session.host.failBuild(self.id, build_id)
            raise
        if not self.opts.get('skip_tag') and not opts.get('scratch'):
            self.tagBuild(build_id, dest_tag)

    # -- the srpm

    def getSRPM(self, src, build_tag, repo_id):
        if not isinstance(src, str):
            raise koji.BuildError('Invalid source specification: %s' % src)
        if SCM.is_scm_url(src):
            return self._srpm_subtask('buildSRPMFromSCM', src, build_tag, repo_id)
        config = self.session.getBuildConfig(build_tag, event=self.event_id)
        rebuild = config['extra'].get('rebuild_srpm', True)
        if self.opts.get('scratch') and self.opts.get('rebuild_srpm') is not None:
            rebuild = self.opts['rebuild_srpm']
        if rebuild:
            return self._srpm_subtask('rebuildSRPM', src, build_tag, repo_id)
        return src

    def _srpm_subtask(self, method, src, build_tag, repo_id):
        task_id = self.session.host.subtask(
            method=method, arglist=[src, build_tag, {'repo_id': repo_id,
                                                     'scratch': self.opts.get('scratch')}],
            label='srpm', arch=self.choose_taskarch('noarch', None, build_tag),
            parent=self.id)
        result = self.wait(task_id)[task_id]
        if 'source' in result:
            self.source = result['source']
        else:
            self.logger.warning('subtask did not provide source data')
        return result['srpm']

    def readSRPMHeader(self, srpm):
        """The header of an srpm given relative to the work dir."""
        path = self.localPath('work/%s' % srpm)
        header = koji.get_rpm_header(path)
        if not koji.get_header_field(header, 'sourcepackage'):
            raise koji.BuildError('%s is not a source package' % srpm)
        return header

    # -- arches

    def getArchList(self, build_tag, header, extra=None):
        config = self.session.getBuildConfig(build_tag, event=self.event_id)
        if not config['arches']:
            raise koji.BuildError('No arches for tag %(name)s [%(id)s]' % config)
        fields = koji.get_header_fields(header, ['buildarchs', 'exclusivearch',
                                                 'excludearch'])
        override = self.opts.get('arch_override') if self.opts.get('scratch') else None
        return arch_list(config['arches'], fields, extra=extra, override=override)

    def choose_taskarch(self, arch, srpm, build_tag):
        """The task arch of a buildArch (or srpm) subtask."""
        if multi_fnmatch(arch, self.options.literal_task_arches):
            return arch
        if arch != 'noarch':
            return koji.canonArch(arch)
        exclusive = exclude = []
        if srpm is not None:
            fields = koji.get_header_fields(self.readSRPMHeader(srpm),
                                            ['exclusivearch', 'excludearch'])
            exclusive, exclude = fields['exclusivearch'], fields['excludearch']
        config = self.session.getBuildConfig(build_tag, event=self.event_id)
        return noarch_task_arch(config['arches'] or '', config.get('extra', {}).get(
            'noarch_arches'), exclusive, exclude)

    # -- the arch builds

    def runBuilds(self, srpm, build_tag, archlist, repo_id, failany=True):
        subtasks = {}
        keep_srpm = True
        for arch in archlist:
            subtasks[arch] = self.session.host.subtask(
                method='buildArch', arglist=[srpm, build_tag, arch, keep_srpm,
                                             {'repo_id': repo_id}],
                label=arch, parent=self.id,
                arch=self.choose_taskarch(arch, srpm, build_tag))
            keep_srpm = False
        results = self.wait(list(subtasks.values()), all=True, failany=failany)
        rpms, brmap, logs = [], {}, {}
        built_srpm = None
        for arch, task_id in subtasks.items():
            result = results[task_id]
            for path in result['rpms']:
                rpms.append(path)
                brmap[path] = result['brootid']
            for path in result['logs']:
                logs.setdefault(arch, []).append(path)
            if result['srpms']:
                if built_srpm:
                    raise koji.BuildError('multiple builds returned a srpm.  task %i' % self.id)
                built_srpm = result['srpms'][0]
                brmap[built_srpm] = result['brootid']
        if not built_srpm:
            raise koji.BuildError('could not find a built srpm')
        return built_srpm, rpms, brmap, logs

    def tagBuild(self, build_id, dest_tag):
        task_id = self.session.host.subtask(
            method='tagBuild', arglist=[dest_tag, build_id, False, None, True],
            label='tag', parent=self.id, arch='noarch')
        self.wait(task_id)


class ChainBuildTask(BaseTaskHandler):
    """Build levels in order; each level starts once the previous builds are in the repo."""

    Methods = ['chainbuild']
    _taskWeight = 0.1

    def handler(self, srcs, target, opts=None):
        opts = opts or {}
        if opts.get('scratch'):
            raise koji.BuildError('--scratch is not allowed with chain-builds')
        target_info = self.session.getBuildTarget(target)
        if not target_info:
            raise koji.GenericError('unknown build target: %s' % target)
        nvrs = []
        for level, sources in enumerate(srcs):
            if nvrs:
                task_id = self.session.host.subtask(
                    method='waitrepo', arglist=[target_info['build_tag_name'], None, nvrs],
                    label='wait %i' % level, parent=self.id)
                self.wait(task_id, all=True, failany=True)
            nvrs = []
            builds = []
            for idx, src in enumerate(sources):
                if SCM.is_scm_url(src):
                    builds.append(self.session.host.subtask(
                        method='build', arglist=[src, target, opts],
                        label='build %i,%i' % (level, idx), parent=self.id))
                else:
                    nvrs.append(src)
            if builds:
                self.wait(builds, all=True, failany=True)
            for task_id in builds:
                made = self.session.listBuilds(taskID=task_id)
                if made:
                    nvrs.append(made[0]['nvr'])
