"""BuildRoot: a buildroot of a tag's repo, registered with the hub, made by a backend.

The hub sees the same thing whichever backend fills the root: host.newBuildRoot at
creation (state INIT), the installed rpm list after init, BUILDING while it builds, the
rpms added by the build, EXPIRED at the end. The backend (kojid.conf
``buildroot_backend``) decides how: ``mock`` (the default, as upstream kojid) or
``rpmbuild`` (dnf --installroot plus the host's rpmbuild, for hosts without mock).

Paths follow mock's layout for both, so kojid's cleanup of old buildroots works alike:
``<mockdir>/<name>/root``, ``<mockdir>/<name>/result`` and the config
``<mock_confdir>/<name>.cfg`` (the generated mock config, which also names the id).
"""
import logging
import os

import koji
from koji.mockconfig import genMockConfig

from .buildroot_logs import LogWatcher, run_watched
from .buildroot_rpms import map_internal, mark_external, read_rpmdb

BACKENDS = ('mock', 'rpmbuild')
DEFAULT_CONFDIR = '/etc/mock/koji'
# where a root's rpm database may live, newest layout first
RPMDB_DIRS = ('usr/lib/sysimage/rpm', 'var/lib/rpm')


def target_arch(arch):
    """The arch a buildroot builds for: armhfp roots build armv7hl."""
    return 'armv7hl' if arch == 'armhfp' else arch


class BuildRoot(object):
    """The backend-neutral part: hub registration, naming, config, rpm lists, logs.

    As upstream's (builder plugins do ``from __main__ import BuildRoot``), it is called
    as ``BuildRoot(session, options, tag, arch, task_id, repo_id=..., ...)`` for a new
    buildroot or ``BuildRoot(session, options, broot_id_or_info)`` for an existing one;
    either way the instance is of the backend class kojid.conf chose.
    """

    backend = None

    def __new__(cls, session, options, *args, **kwargs):
        if cls is BuildRoot:
            cls = backend_class(options)
        return object.__new__(cls)

    def __init__(self, session, options, *args, **kwargs):
        self.session = session
        self.options = options
        self.logger = logging.getLogger('koji.build.buildroot')
        # names of the logs uploaded for this buildroot (a task result lists them)
        self.logs = set()
        self._watcher = None
        self._rpms_seen = None
        self.workdir = None
        if len(args) + len(kwargs) == 1:
            self._load(*args, **kwargs)
        else:
            self._new(*args, **kwargs)

    def _load(self, data):
        """An existing buildroot of this host, by id or as getBuildroot returns it."""
        if not isinstance(data, dict):
            data = self.session.getBuildroot(data, strict=True)
        self.id = data['id']
        self.task_id = data['task_id']
        self.tag_id = data['tag_id']
        self.tag_name = data['tag_name']
        self.repoid = data['repo_id']
        self.repo_info = self.session.repoInfo(self.repoid, strict=True)
        self.event_id = self.repo_info['create_event']
        self.br_arch = data['arch']
        self.target_arch = target_arch(self.br_arch)
        self.name = '%s-%s-%s' % (self.tag_name, self.id, self.repoid)
        self.uploadpath = koji.pathinfo.taskrelpath(self.task_id)
        self.config = self.session.getBuildConfig(self.tag_id, event=self.event_id)
        self.setup_dns = False
        self.mock_config = os.path.join(self.confdir(), '%s.cfg' % self.name)

    def _new(self, tag, arch, task_id, repo_id=None, install_group='build', setup_dns=False,
             bind_opts=None, maven_opts=None, maven_envs=None, deps=None,
             internal_dev_setup=None):
        session = self.session
        self.task_id = task_id
        if not repo_id:
            raise koji.BuildrootError('A repo id must be provided')
        repo = session.repoInfo(repo_id, strict=True)
        self.repo_info = repo
        self.repoid = repo['id']
        self.event_id = repo['create_event']
        self.config = session.getBuildConfig(tag, event=self.event_id)
        if not self.config:
            raise koji.BuildrootError('Could not get config info for tag: %s' % tag)
        self.tag_id = self.config['id']
        self.tag_name = self.config['name']
        if self.tag_id != repo['tag_id']:
            raise koji.BuildrootError('tag/repo mismatch: %s vs %s'
                                      % (self.tag_name, repo['tag_name']))
        state = koji.REPO_STATES[repo['state']]
        if state == 'EXPIRED':
            # still intact, only not current
            self.logger.info('Requested repo (%i) is no longer current', repo_id)
        elif state != 'READY':
            raise koji.BuildrootError('Requested repo (%i) is %s' % (repo_id, state))
        self.br_arch = koji.canonArch(arch)
        self.target_arch = target_arch(arch)
        self.install_group = install_group
        self.setup_dns = setup_dns
        self.bind_opts = bind_opts
        self.maven_opts = maven_opts
        self.maven_envs = maven_envs
        self.internal_dev_setup = internal_dev_setup
        self.deps = deps
        self.id = session.host.newBuildRoot(self.repoid, self.br_arch, task_id=task_id)
        if self.id is None:
            raise koji.BuildrootError('failed to get a buildroot id')
        self.name = '%s-%s-%s' % (self.tag_name, self.id, self.repoid)
        self.uploadpath = koji.pathinfo.taskrelpath(task_id)
        self.mock_config = self._write_mock_config()
        self.single_log(self.mock_config, 'mock_config.log')

    # -- paths

    def topdir(self):
        return os.path.join(self.options.mockdir, self.name)

    def rootdir(self):
        return os.path.join(self.topdir(), 'root')

    def resultdir(self):
        return os.path.join(self.topdir(), 'result')

    def tmpdir(self, within=False):
        """The chroot_tmpdir, as the build sees it (within) or on the host."""
        if within:
            return self.options.chroot_tmpdir
        return os.path.join(self.rootdir(), self.options.chroot_tmpdir.lstrip('/'))

    def path_within(self, path):
        """A host path below rootdir as seen from inside the buildroot."""
        return '/' + os.path.relpath(path, self.rootdir())

    # upstream's name, which builder plugins use
    path_without_to_within = path_within

    def getUploadPath(self):
        return self.uploadpath

    def confdir(self):
        return getattr(self.options, 'mock_confdir', None) or DEFAULT_CONFDIR

    # -- the config

    def mock_opts(self):
        """genMockConfig options as kojid passes them, with the build tag's extras."""
        opts = {'repoid': self.repoid, 'tag_name': self.tag_name,
                'buildroot_id': self.id, 'mockdir': self.options.mockdir,
                'topdir': self.options.topdir, 'packager': self.options.packager,
                'vendor': self.options.vendor, 'distribution': self.options.distribution,
                'mockhost': self.options.mockhost, 'yum_proxy': self.options.yum_proxy,
                'rpmbuild_timeout': self.options.rpmbuild_timeout,
                'use_host_resolv': self.setup_dns, 'install_group': self.install_group,
                'maven_opts': self.maven_opts, 'maven_envs': self.maven_envs,
                'bind_opts': self.bind_opts, 'target_arch': self.target_arch}
        topurl = getattr(self.options, 'topurl', None)
        if topurl:
            opts['topurls'] = topurl.split()
            opts['topurl'] = opts['topurls'][0]
        if self.internal_dev_setup is not None:
            opts['internal_dev_setup'] = bool(self.internal_dev_setup)
        opts.update(self._tag_opts())
        return opts

    def _tag_opts(self):
        extra = self.config.get('extra') or {}
        opts = {}
        if extra.get('mock.forcearch'):
            opts['forcearch'] = self.target_arch
        if 'mock.package_manager' in extra:
            opts['package_manager'] = extra['mock.package_manager']
        if 'mock.yum.module_hotfixes' in extra:
            opts['module_hotfixes'] = extra['mock.yum.module_hotfixes']
        if 'mock.yum.best' in extra:
            opts['yum_best'] = int(extra['mock.yum.best'])
        if extra.get('mock.plugin_conf.sign_enable'):
            opts['plugin_conf'] = {'sign_enable': True, 'sign_opts': {
                'cmd': extra['mock.plugin_conf.sign_opts.cmd'],
                'opts': extra['mock.plugin_conf.sign_opts.opts']}}
        for key in ('module_setup_commands', 'releasever'):
            if 'mock.' + key in extra:
                opts[key] = extra['mock.' + key]
        if 'mock.use_bootstrap' in extra:
            opts['use_bootstrap'] = bool(extra['mock.use_bootstrap'])
        if 'mock.bootstrap_image' in extra and self.options.mock_bootstrap_image:
            opts['bootstrap_image'] = extra['mock.bootstrap_image']
        macros = dict(('%' + key[10:], value) for key, value in extra.items()
                      if key.startswith('rpm.macro.'))
        if macros:
            opts['tag_macros'] = macros
        envs = dict((key[8:], value) for key, value in extra.items()
                    if key.startswith('rpm.env.'))
        if envs:
            opts['tag_envvars'] = envs
        return opts

    def _write_mock_config(self):
        text = genMockConfig(self.name, self.br_arch, managed=True, **self.mock_opts())
        os.makedirs(self.confdir(), exist_ok=True)
        path = os.path.join(self.confdir(), '%s.cfg' % self.name)
        with open(path, 'w', encoding='utf-8') as fo:
            fo.write(text)
        return path

    def single_log(self, path, name=None):
        name = name or os.path.basename(path)
        self.session.uploadWrapper(path, self.uploadpath, name)
        self.logs.add(name)

    def run(self, cmd, outfile, extra_logs=(), **kwargs):
        """Run cmd (output appended to outfile) while the buildroot's logs stream."""
        if self._watcher is None:
            patterns = [os.path.join(self.resultdir(), '*.log'),
                        os.path.join(self.rootdir(), 'var/log/dnf*.log')]
            ts_dir = self.workdir if getattr(self.options, 'log_timestamps', False) else None
            self._watcher = LogWatcher(self.session, self.uploadpath, patterns,
                                       ts_dir=ts_dir)
        for pattern in extra_logs:
            if pattern not in self._watcher.patterns:
                self._watcher.patterns.append(pattern)
        try:
            return run_watched(cmd, outfile, self._watcher, append=True, **kwargs)
        finally:
            self.logs.update(self._watcher.names())

    # -- rpm lists

    def rpmdb(self):
        for sub in RPMDB_DIRS:
            path = os.path.join(self.rootdir(), sub)
            if os.path.isdir(path) and os.listdir(path):
                return path
        return os.path.join(self.rootdir(), RPMDB_DIRS[-1])

    def repo_relpath(self):
        """The repo arch dir, relative to topdir/topurl."""
        return 'repos/%s/%s/%s' % (self.tag_name, self.repoid, self.br_arch)

    def getPackageList(self):
        """The installed rpms as the hub's buildroot listing wants them."""
        rpms = read_rpmdb(self.rpmdb())
        self.markExternalRPMs(rpms)
        self.mapInternalRPMs(rpms)
        return rpms

    def markExternalRPMs(self, rpmlist):
        mark_external(rpmlist, self.session, self.repo_info, self.br_arch,
                      self.repo_relpath(), self.options)

    def mapInternalRPMs(self, rpmlist):
        map_internal(rpmlist, self.repo_relpath(), self.options, self.logger)

    def report_rpms(self):
        """setBuildRootList the first time (INIT), updateBuildRootList for what was added."""
        rpms = self.getPackageList()
        if self._rpms_seen is None:
            self.session.host.setBuildRootList(self.id, rpms)
        else:
            new = [r for r in rpms if self._rpm_key(r) not in self._rpms_seen]
            if new:
                self.session.host.updateBuildRootList(self.id, new)
        self._rpms_seen = set(self._rpm_key(r) for r in rpms)

    @staticmethod
    def _rpm_key(rpm):
        return (rpm['name'], rpm['version'], rpm['release'], rpm['arch'], rpm['payloadhash'])

    # -- state

    def markBuilding(self):
        self.session.host.setBuildRootState(self.id, 'BUILDING')

    def expire(self):
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.session.host.setBuildRootState(self.id, 'EXPIRED')

    def results(self, suffix):
        """Files of resultdir ending with suffix, sorted."""
        path = self.resultdir()
        if not os.path.isdir(path):
            return []
        return sorted(os.path.join(path, fn) for fn in os.listdir(path) if fn.endswith(suffix))

    # -- what a backend provides

    def init(self):
        raise NotImplementedError

    def build(self, srpm, arch=None):
        """Binary rpms of srpm (a host path) into resultdir."""
        raise NotImplementedError

    def rebuild_srpm(self, srpm):
        """A new srpm from srpm (a host path below tmpdir()) made in the buildroot, into
        resultdir."""
        raise NotImplementedError

    def build_srpm(self, specfile, sourcedir, source_cmd=None):
        """An srpm from a spec and its sources (host paths below rootdir) into resultdir."""
        raise NotImplementedError

    def install(self, packages):
        raise NotImplementedError


def backend_name(options):
    name = getattr(options, 'buildroot_backend', None) or 'mock'
    if name not in BACKENDS:
        raise koji.GenericError('unknown buildroot_backend: %s' % name)
    return name


def backend_class(options):
    """The BuildRoot class of the backend kojid.conf chose (mock unless told otherwise)."""
    if backend_name(options) == 'rpmbuild':
        from .buildroot_rpmbuild import RpmbuildBuildRoot
        return RpmbuildBuildRoot
    from .buildroot_mock import MockBuildRoot
    return MockBuildRoot


def make_buildroot(session, options, *args, **kwargs):
    """A new (tag, arch, task_id, ...) or existing (id) buildroot of the chosen backend."""
    return BuildRoot(session, options, *args, **kwargs)
