"""The builds koji-shadow tracks: a remote build and its state on the local hub.

States: common (complete locally), pending (our rebuild runs), missing, broken (exists
locally but unusable), brokendeps, noroot (no buildroot data remotely), blocked, grey,
ignore; ``local`` marks a local-only substitute.
"""
import koji


def nvr_of(info):
    return '%(name)s-%(version)s-%(release)s' % info


class LocalBuild(object):
    """A substitute dependency that only exists on the local hub."""

    def __init__(self, info):
        self.info = info
        self.id = info['id']
        self.name = info['name']
        self.nvr = nvr_of(info)
        self.state = 'local'
        self.substitute = None


class TrackedBuild(object):
    """One remote build; the remote reads happen once, at creation."""

    def __init__(self, shadow, build_id, child=None, info=None):
        self.shadow = shadow
        self.tracker = shadow.tracker
        self.id = build_id
        self.info = info or shadow.remote.getBuild(build_id, strict=True)
        self.nvr = nvr_of(self.info)
        self.name = self.info['name']
        self.epoch = str(self.info['epoch'])
        self.version = self.info['version']
        self.release = self.info['release']
        self.srpm = None
        self.rpms = None
        self.children = {}
        self.state = None
        self.order = 0
        self.substitute = None
        self.task_id = None
        self.deps = {}
        self.revised_deps = None
        self.br_tag = None
        self.base = []
        self.extra_arches = []
        self.local = None
        if child is not None:
            self.children[child] = 1
        self.rebuilt = False
        self.partial = False
        self.update_state()
        if self.state == 'missing':
            self.load_rpms()
            self.get_deps()

    def load_rpms(self):
        if self.rpms is not None:
            return
        self.rpms = self.shadow.remote.listRPMs(self.id)
        for rinfo in self.rpms:
            if rinfo['arch'] == 'src':
                self.srpm = rinfo
        arches = {r['arch'] for r in self.rpms}
        self.extra_arches = [a for a in arches if koji.canonArch(a) != a]

    def update_state(self):
        """Our state from the local copy of the build (after start and after a rebuild).

        A build we imported earlier but whose rpms are not all here yet (a run cut short)
        counts as missing, marked ``partial``: the import completes it without duplicates.
        """
        ours = self.shadow.session.getBuild(self.nvr)
        self.local = ours
        self.partial = False
        if ours is not None:
            state = koji.BUILD_STATES[ours['state']]
            if state == 'COMPLETE':
                if ours['task_id']:
                    self.rebuilt = True
                elif self.shadow.importing and self._import_incomplete(ours):
                    self.partial = True
                    self.set_state('missing')
                    return
                self.set_state('common')
                return
            if state == 'BUILDING' and ours['task_id']:
                self.set_state('pending')
                self.task_id = ours['task_id']
                return
            if state not in ('FAILED', 'CANCELED'):
                self.set_state('broken')
                return
        self.set_state('missing')

    def _import_incomplete(self, ours):
        self.load_rpms()
        if not self.is_noarch():
            return False
        have = {(r['name'], r['arch']) for r in self.shadow.session.listRPMs(ours['id'])}
        return any((r['name'], r['arch']) not in have for r in self.rpms)

    def is_noarch(self):
        """Only noarch rpms (besides the srpm)."""
        if not self.rpms:
            return False
        noarch = False
        for rinfo in self.rpms:
            if rinfo['arch'] == 'noarch':
                noarch = True
            elif rinfo['arch'] != 'src':
                return False
        return noarch

    def set_state(self, state):
        if state == self.state:
            return
        if self.state is not None and self.tracker is not None:
            self.tracker.state_idx[self.state].pop(self.id, None)
        self.state = state
        if self.tracker is not None:
            self.tracker.state_idx.setdefault(state, {})[self.id] = self

    def add_child(self, child):
        self.children[child] = 1

    def buildroots(self):
        brs = set()
        bad = []
        for rinfo in self.rpms:
            if rinfo.get('buildroot_id'):
                brs.add(rinfo['buildroot_id'])
            else:
                bad.append(rinfo)
        if brs and bad:
            self.shadow.log('Warning: some rpms for %s lacked buildroots:' % self.nvr)
            for rinfo in bad:
                self.shadow.log('    %(name)s-%(version)s-%(release)s.%(arch)s' % rinfo)
        return sorted(brs)

    def get_deps(self):
        """Builds present in the remote buildroots, their base packages and tag (one
        multicall for every buildroot)."""
        buildroots = self.buildroots()
        if not buildroots:
            self.set_state('noroot')
            return
        self.order = buildroots[-1]
        with self.shadow.remote.multicall(strict=True) as mc:
            calls = [(mc.getBuildroot(br, strict=True), mc.listRPMs(componentBuildrootID=br))
                     for br in buildroots]
        tags = {}
        builds = {}
        bases = {}
        for br_id, (br_call, list_call) in zip(buildroots, calls):
            tag = br_call.result['tag_name']
            tags[tag] = tags.get(tag, 0) + 1
            for rinfo in list_call.result:
                builds[rinfo['build_id']] = 1
                if not rinfo['is_update']:
                    bases.setdefault(rinfo['name'], set()).add(br_id)
        # base packages: those every buildroot of the build had
        self.base = sorted(n for n, brs in bases.items() if len(brs) == len(buildroots))
        if len(tags) > 1:
            self.shadow.log('Warning: found multiple buildroot tags for %s: %s'
                            % (self.nvr, sorted(tags)))
        self.br_tag = max((n, t) for t, n in tags.items())[1]
        if not builds:
            self.set_state('noroot')
        self.deps = builds
