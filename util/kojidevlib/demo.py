"""What a koji-dev stack needs to really build rpms, and the demo's sample package.

One loopback HTTP server (``python -m http.server``) serves ``DIR/served``:

- ``dist/<arch>/``: a stub distribution (tests/fixtures/stubrepo.py: empty packages named
  bash, gcc, make, rpm-build, ...) linked to the build tag as an external repo, so dnf can
  fill buildroots; the host's own tools do the compiling (kojid's rpmbuild backend).
- ``git/<name>.git``: bare git repositories over git's dumb HTTP protocol; kojid may check
  out from there (its allowed_scms names 127.0.0.1). ``kojidemo.git`` holds the sample
  package of docs/sample-package, committed again whenever that folder changes.

On the hub: tags ``demo-build`` (arch of this machine) and ``demo`` (where builds land,
inherited by ``demo-build`` so later builds can use earlier ones), target ``demo``, the
``build`` / ``srpm-build`` groups, and the sample package on ``demo``'s list. Every step
checks first, so ``up`` can be repeated.
"""
import os
import shutil
import subprocess
import sys
import time

DEMO_TAG = 'demo'
BUILD_TAG = 'demo-build'
TARGET = 'demo'
SAMPLE = 'kojidemo'
EXTERNAL_REPO = 'demo-dist'
# the author of the sample's commits; fixed, so one content gives one commit id
GIT_IDENTITY = {
    'GIT_AUTHOR_NAME': 'Koji Demo', 'GIT_AUTHOR_EMAIL': 'kojidemo@example.com',
    'GIT_COMMITTER_NAME': 'Koji Demo', 'GIT_COMMITTER_EMAIL': 'kojidemo@example.com',
    'GIT_AUTHOR_DATE': '2026-12-07T00:00:00+0000',
    'GIT_COMMITTER_DATE': '2026-12-07T00:00:00+0000',
}


def sample_dir(root):
    return os.path.join(root, 'docs', 'sample-package')


def _git(args, cwd):
    env = dict(os.environ, **GIT_IDENTITY)
    env.pop('GIT_DIR', None)
    return subprocess.run(['git'] + args, cwd=cwd, env=env, check=True, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.strip()


def publish_git(source, work, bare):
    """Mirror the files of source into the work tree, commit when they differ, push to the
    bare repo and refresh its dumb-HTTP index; returns the commit id."""
    if not os.path.isdir(os.path.join(work, '.git')):
        os.makedirs(work, exist_ok=True)
        _git(['init', '-q', '-b', 'main'], work)
    for name in os.listdir(work):
        if name != '.git':
            path = os.path.join(work, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
    for name in os.listdir(source):
        path = os.path.join(source, name)
        if os.path.isfile(path):
            shutil.copy(path, work)
    _git(['add', '-A'], work)
    if _git(['status', '--porcelain'], work):
        _git(['commit', '-q', '-m', 'sample package as in docs/sample-package'], work)
    if not os.path.isdir(bare):
        _git(['init', '-q', '--bare', bare], work)
    _git(['push', '-q', '--force', bare, 'main'], work)
    _git(['symbolic-ref', 'HEAD', 'refs/heads/main'], bare)
    _git(['update-server-info'], bare)
    return _git(['rev-parse', 'HEAD'], work)


def _stubrepo(root):
    """The stub distribution maker the tests use (tests/fixtures/stubrepo.py)."""
    if root not in sys.path:
        sys.path.insert(0, root)
    from tests.fixtures import stubrepo
    return stubrepo


def ensure_stub_repo(root, basedir, arch):
    """The stub distribution, made once (its repodata marks it done)."""
    if os.path.exists(os.path.join(basedir, arch, 'repodata', 'repomd.xml')):
        return
    _stubrepo(root).make_stub_repo(basedir, arches=(arch,))


def setup_hub(session, root, admin_user, dist_url, arch):
    """Tags, target, external repo and groups, inheritance, package list (idempotent)."""
    stubrepo = _stubrepo(root)
    for name, arches in ((DEMO_TAG, None), (BUILD_TAG, arch)):
        if not session.getTag(name):
            session.createTag(name, arches=arches)
    if not session.getBuildTarget(TARGET):
        session.createBuildTarget(TARGET, BUILD_TAG, DEMO_TAG)
    repo = session.getExternalRepo(EXTERNAL_REPO)
    url = dist_url.rstrip('/') + '/$arch/'
    if repo and repo['url'] != url:
        session.editExternalRepo(EXTERNAL_REPO, url=url)
    linked = [r['external_repo_name'] for r in session.getTagExternalRepos(tag_info=BUILD_TAG)]
    if EXTERNAL_REPO not in linked:
        stubrepo.add_to_build_tag(session, BUILD_TAG, dist_url, repo_name=EXTERNAL_REPO)
    if not session.getInheritanceData(BUILD_TAG):
        session.setInheritanceData(BUILD_TAG, [{
            'parent_id': session.getTag(DEMO_TAG)['id'], 'priority': 10, 'maxdepth': None,
            'intransitive': False, 'noconfig': False, 'pkg_filter': ''}])
    listed = [p['package_name'] for p in session.listPackages(tagID=DEMO_TAG)]
    if SAMPLE not in listed:
        session.packageListAdd(DEMO_TAG, SAMPLE, owner=admin_user)


class DemoBuilds:
    """koji-dev service: the file server, stub distribution, sample git repo and tags.

    ``kd`` is koji-dev's own module (log, free_port, pid helpers, DevError).
    """

    name = 'files'

    def __init__(self, stack, kd):
        self.stack = stack
        self.kd = kd
        self.served = stack.path('served')
        self.pidfile = stack.path('files.pid')
        self.outfile = stack.path('files.log')

    @property
    def port(self):
        return self.stack.state.get('files_port')

    @property
    def url(self):
        return 'http://127.0.0.1:%d/' % self.port

    def _pid(self):
        pid = self.kd.read_pidfile(self.pidfile)
        return pid if pid and self.kd.pid_alive(pid) else None

    def _answers(self):
        import urllib.request
        try:
            with urllib.request.urlopen(self.url, timeout=2):
                return True
        except OSError:
            return False

    def _start_server(self):
        if self._pid() and self._answers():
            return
        if not self.port or not self.kd.port_is_free(self.port):
            self.stack.state['files_port'] = self.stack.new_port()
            self.stack.save()
        self.kd.log('serving %s on %s' % (self.served, self.url))
        with open(self.outfile, 'ab') as out:
            proc = subprocess.Popen(
                [sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', '--directory',
                 self.served, str(self.port)], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        with open(self.pidfile, 'w') as fp:
            fp.write('%d\n' % proc.pid)
        deadline = time.time() + 30
        while not self._answers():
            if proc.poll() is not None or time.time() > deadline:
                raise self.kd.DevError('the file server did not start; see %s'
                                       % self.outfile)
            time.sleep(0.1)

    def _admin_session(self):
        import koji
        session = koji.ClientSession(self.stack.hub_url, {
            'max_retries': 2, 'retry_interval': 1, 'user': self.kd.ADMIN_USER,
            'password': self.stack.admin_password})
        session.login()
        return session

    def scm_url(self):
        commit = self.stack.state.get('sample_commit')
        if not commit or not self.port:
            return None
        return 'git+%sgit/%s.git#%s' % (self.url, SAMPLE, commit)

    def start(self):
        root = self.kd.ROOT
        arch = os.uname().machine
        os.makedirs(os.path.join(self.served, 'git'), exist_ok=True)
        ensure_stub_repo(root, os.path.join(self.served, 'dist'), arch)
        self.stack.state['sample_commit'] = publish_git(
            sample_dir(root), self.stack.path('sample-work'),
            os.path.join(self.served, 'git', '%s.git' % SAMPLE))
        self.stack.save()
        self._start_server()
        session = self._admin_session()
        try:
            setup_hub(session, root, self.kd.ADMIN_USER, self.url + 'dist/', arch)
            # have the build tag's repo made now, while the rest of `up` runs
            session.repo.request(BUILD_TAG)
        finally:
            session.logout()

    def stop(self, purge=False):
        pid = self._pid()
        if pid:
            self.kd.stop_pid(pid, timeout=10)
        if purge:
            for path in (self.pidfile, self.outfile):
                if os.path.exists(path):
                    os.unlink(path)

    def status(self):
        pid = self._pid()
        if not pid:
            return False, 'stopped'
        return True, 'running (pid %d), %s at %s' % (pid, self.served, self.url)

    def env(self):
        values = {'KOJI_DEMO_TARGET': TARGET}
        url = self.scm_url()
        if url:
            values['KOJI_DEMO_SCMURL'] = url
        return values
