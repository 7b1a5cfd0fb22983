"""BuildTracker: scans remote builds and their buildroot deps, decides what to import or
rebuild, and follows the rebuild tasks until nothing is missing or pending."""
import socket
import time

import koji

from .builds import LocalBuild, TrackedBuild
from .imports import import_build
from .rebuild import open_rebuilds, rebuild, source_name

STATES = ('common', 'pending', 'missing', 'broken', 'brokendeps', 'noroot', 'blocked',
          'grey')
PROBLEM_STATES = ('broken', 'brokendeps', 'noroot', 'blocked')
POLL = 30


def rpm_compare(evr1, evr2):
    """-1, 0 or 1 as rpm orders two (epoch, version, release) tuples."""
    import rpm
    return rpm.labelCompare(evr1, evr2)


class BuildTracker(object):

    def __init__(self, shadow, rules):
        self.shadow = shadow
        self.rules = rules
        self.rebuild_order = 0
        self.builds = {}
        self.state_idx = {state: {} for state in STATES}
        self.substitute_idx = {}
        self._open_rebuilds = None

    @property
    def options(self):
        return self.shadow.options

    def log(self, msg):
        self.shadow.log(msg)

    # -- substitutions

    def newer_build(self, build, tag):
        """A newer local build of the same package in tag, used instead of the remote one."""
        local = self.shadow.session.listTagged(tag, inherit=True, package=str(build.name))
        remote_evr = (str(build.epoch), build.version, build.release)
        newer = None
        for binfo in local:
            local_evr = (str(binfo['epoch']), binfo['version'], binfo['release'])
            cmp = rpm_compare(remote_evr, local_evr)
            if self.options.debug:
                self.log('remote evr: %s  \nlocal evr: %s \nResult: %s'
                         % (remote_evr, local_evr, cmp))
            if cmp == -1:
                newer = binfo
            else:
                break
        if newer is None:
            return None
        info = self.shadow.session.getBuild('%(name)s-%(version)s-%(release)s' % newer)
        if not info:
            return None
        sub = LocalBuild(info)
        self.substitute_idx[(str(build.name), build.version, build.release)] = sub
        return sub

    def get_substitute(self, nvr):
        build = self.substitute_idx.get(nvr)
        if build:
            return build
        info = self.shadow.remote.getBuild(nvr)
        if info:
            build = self.builds.get(info['id'])
            if not build:
                build = TrackedBuild(self.shadow, info['id'], info=info)
        else:
            info = self.shadow.session.getBuild(nvr)
            build = LocalBuild(info) if info else None
        self.substitute_idx[nvr] = build
        return build

    # -- scanning

    def scan_build(self, build_id, from_build=None, depth=0, tag=None):
        """Scan one remote build and, if it has to be rebuilt, its deps (recursively)."""
        build = self.builds.get(build_id)
        if build:
            if from_build:
                build.add_child(from_build.id)
            if not (depth > 0 and build.state == 'grey') and \
                    not (depth == 0 and build.substitute):
                return build
        else:
            build = TrackedBuild(self.shadow, build_id,
                                 child=from_build.id if from_build else None)
            self.builds[build_id] = build
        tail = ' (from %s)' % from_build.nvr if from_build else ''
        head = ' ' * depth
        if self.rules.ignored(build.name):
            self.log('%sIgnored Build: %s%s' % (head, build.nvr, tail))
            build.set_state('ignore')
            return build
        check = self.rules.check(build.nvr, grey=None)
        if check is None:
            if depth == 0:
                self.log('%sGreylisted build %s%s' % (head, build.nvr, tail))
                build.set_state('grey')
                return build
            build.update_state()
        elif not check:
            self.log('%sBlocked build %s%s' % (head, build.nvr, tail))
            build.set_state('blocked')
            return build
        if build.name not in self.rules.protectlist:
            replace = self.rules.substitutions.get(build.nvr)
            if replace:
                build.substitute = replace
                if depth > 0:
                    self.log('%sDep replaced: %s->%s' % (head, build.nvr, replace))
                    return build
            if self.options.prefer_new and depth > 0 and tag is not None and \
                    build.state != 'common':
                latest = self.newer_build(build, tag)
                if latest is not None:
                    build.substitute = latest.nvr
                    self.log('%sNewer build replaced: %s->%s' % (head, build.nvr, latest.nvr))
                    return build
        else:
            self.log('%sProtected Build: %s' % (head, build.nvr))
        self._act(build, head, tail, depth, tag)
        self.check_jobs(tag)
        self.rebuild_missing()
        if len(self.builds) % 50 == 0:
            self.report()
        return build

    def _act(self, build, head, tail, depth, tag):
        options = self.options
        importing = options.import_noarch or options.import_noarch_only
        if build.state == 'common':
            if build.rebuilt:
                self.log('%sCommon build (rebuilt) %s%s' % (head, build.nvr, tail))
            else:
                self.log('%sCommon build %s%s' % (head, build.nvr, tail))
        elif build.state == 'pending':
            self.log('%sRebuild in progress: %s%s' % (head, build.nvr, tail))
        elif build.state == 'broken':
            self.log('%sWarning: build exists, but is invalid: %s%s' % (head, build.nvr, tail))
        elif importing and build.is_noarch():
            import_build(self.shadow, build, tag)
        elif options.import_noarch_only and not build.is_noarch():
            self.log('%sSkipping archful build: %s' % (head, build.nvr))
        elif build.state == 'noroot':
            self.log('%sWarning: no buildroot data for %s%s' % (head, build.nvr, tail))
        elif build.state == 'brokendeps':
            self.log('Error: build reports brokendeps state before dep scan')
        elif build.state == 'missing':
            self.log('%sMissing build %s%s. Scanning deps...' % (head, build.nvr, tail))
            self._scan_deps(build, head, tail, depth, tag)

    def _scan_deps(self, build, head, tail, depth, tag):
        newdeps = []
        for dep in self.rules.includelist:
            info = self.shadow.session.getBuild(dep)
            if info:
                self.log('%s Adding local Dep %s%s' % (head, dep, tail))
                newdeps.append(LocalBuild(info))
            else:
                self.log('%s Warning: could not find build for %s' % (head, dep))
        for dep_id in build.deps:
            dep = self.scan_build(dep_id, from_build=build, depth=depth + 1, tag=tag)
            if self.rules.ignored(dep.name):
                continue
            if dep.substitute:
                dep2 = self.get_substitute(dep.substitute)
                if isinstance(dep2, TrackedBuild):
                    self.scan_build(dep2.id, from_build=build, depth=depth + 1, tag=tag)
                elif dep2 is None:
                    self.log('%sSubstitute dep unavailable: %s' % (head, dep.substitute))
                    break
                newdeps.append(dep2)
            elif dep.state in PROBLEM_STATES:
                build.set_state('brokendeps')
                self.log("%sCan't rebuild %s, %s is %s" % (head, build.nvr, dep.nvr, dep.state))
                newdeps = None
                break
            else:
                newdeps.append(dep)
            # deps get lower numbers than the builds that need them
            self.rebuild_order += 1
            build.order = self.rebuild_order
        build.revised_deps = newdeps

    def scan_tag(self, tag):
        """Scan the latest builds of the remote tag; a build that fails to scan (remote
        fault or network trouble) is reported and left for the next run."""
        taginfo = self.shadow.remote.getTag(tag, strict=True)
        builds = self.shadow.remote.listTagged(taginfo['id'], latest=True)
        for binfo in builds:
            for _retry in range(10):
                try:
                    self.scan_build(binfo['id'], tag=tag)
                except (socket.timeout, OSError):
                    self.log('retry')
                    continue
                except koji.GenericError as exc:
                    self.log('Error: unable to scan %s: %s' % (binfo['nvr'], exc))
                break
            else:
                self.log('Error: unable to scan %(name)s-%(version)s-%(release)s' % binfo)
                continue
            if self.options.first_one:
                return

    # -- reports

    def report(self):
        self.log('-- %s --' % time.asctime())
        self.report_brief()
        for state in ('broken', 'noroot', 'blocked'):
            builds = list(self.state_idx[state].values())
            not_replaced = [b for b in builds if not b.substitute]
            self.log('%s: %i (+%i replaced)'
                     % (state, len(not_replaced), len(builds) - len(not_replaced)))
            if not_replaced and len(not_replaced) < 8:
                self.log(' '.join([b.nvr for b in not_replaced]))
        counts = {}
        for build in self.state_idx['brokendeps'].values():
            for dep_id in build.deps:
                dep = self.builds.get(dep_id)
                if not dep or dep.state in ('common', 'pending', 'missing'):
                    continue
                nvr = dep.nvr
                if dep.substitute:
                    if self.get_substitute(dep.substitute):
                        continue
                    nvr = dep.substitute
                counts[nvr] = counts.get(nvr, 0) + 1
        if counts:
            self.log('-- top problems --')
            for count, nvr in sorted([(c, n) for n, c in counts.items()], reverse=True)[:5]:
                self.log(' %s (%i)' % (nvr, count))

    def report_brief(self):
        parts = ['%s: %i' % (s, len(self.state_idx[s])) for s in sorted(self.state_idx)]
        parts.append('total: %i' % len(self.builds))
        self.log(' '.join(parts))

    # -- rebuild jobs

    def check_jobs(self, tag=None):
        """Follow our rebuild tasks; True if any state changed."""
        changed = False
        for build in list(self.state_idx['pending'].values()):
            if not build.task_id:
                self.log('No task id recorded for %s' % build.nvr)
                build.update_state()
                changed = True
                continue
            info = self.shadow.session.getTaskInfo(build.task_id)
            if not info:
                self.log('No such task: %i (build %s)' % (build.task_id, build.nvr))
                build.update_state()
                changed = True
                continue
            state = koji.TASK_STATES[info['state']]
            if state in ('CANCELED', 'FAILED'):
                self.log('Task %i is %s (build %s)' % (build.task_id, state, build.nvr))
                build.set_state('broken')
                changed = True
            elif state == 'CLOSED':
                self.log('Task %i complete (build %s)' % (build.task_id, build.nvr))
                if self.options.tag_build and tag is not None:
                    self.shadow.tag_successful(build.nvr, tag)
                build.update_state()
                changed = True
                if build.state != 'common':
                    self.log('Task %i finished, but %s still missing'
                             % (build.task_id, build.nvr))
        return changed

    def deps_ready(self, build):
        if build.revised_deps is None:
            return False
        problem = [d for d in build.revised_deps if d.state in PROBLEM_STATES]
        if problem:
            self.log("Can't rebuild %s, missing %i deps" % (build.nvr, len(problem)))
            build.set_state('brokendeps')
            for dep in problem:
                self.log('    %s (%s)' % (dep.nvr, dep.state))
            return False
        return all(d.state in ('common', 'local') for d in build.revised_deps)

    def _jobs_full(self):
        return self.options.max_jobs and len(self.state_idx['pending']) >= self.options.max_jobs

    def running_rebuild(self, build):
        """The task of a rebuild of this build that an earlier run submitted, if open."""
        if self.options.test:
            return None
        if self._open_rebuilds is None:
            self._open_rebuilds = open_rebuilds(self.shadow)
        return self._open_rebuilds.get(source_name(build))

    def rebuild_missing(self):
        """Start rebuilds of missing builds whose deps are all available."""
        started = False
        if self._jobs_full():
            return started
        missing = sorted([(b.order, b.id, b) for b in self.state_idx['missing'].values()],
                         key=lambda x: x[:2])
        for _order, _id, build in missing:
            if not self.deps_ready(build):
                continue
            task_id = self.running_rebuild(build)
            if task_id:
                self.log('Rebuild in progress: %s (task %i)' % (build.nvr, task_id))
                build.task_id = task_id
                build.set_state('pending')
                started = True
                continue
            self.log('rebuild: %s' % build.nvr)
            try:
                task_id = rebuild(self.shadow, build)
            except (koji.GenericError, OSError) as exc:
                # a remote or local fault: this build waits for the next run
                self.log('Error: rebuild of %s failed: %s' % (build.nvr, exc))
                task_id = None
            started = True
            if self.options.test:
                build.set_state('common')
            elif not task_id:
                self.log('Did not get a task for %s' % build.nvr)
                build.set_state('broken')
            else:
                build.task_id = task_id
                build.set_state('pending')
            if self._jobs_full():
                if self.options.debug:
                    self.log('Maximum number of jobs reached.')
                break
        return started

    def run_rebuilds(self, tag=None):
        self.log('Determining rebuild order')
        initial = len(self.state_idx['common'])
        self.report_brief()
        while True:
            pending = self.state_idx['pending']
            if (not self.state_idx['missing'] and not pending) or \
                    (self.options.prefer_new and not pending):
                break
            changed = self.check_jobs(tag)
            started = self.rebuild_missing()
            if not changed and not started:
                if not pending:
                    # nothing runs and nothing can start: what is left needs a later run
                    break
                time.sleep(POLL)
                continue
            self.report_brief()
        self.log('Rebuilt %i builds' % (len(self.state_idx['common']) - initial))
