"""Repos on demand, builder side: a real kojid makes tag repos and dist repos.

Everything is real: rpms from rpmbuild imported into the hub, the hub over HTTP, one kojid
in the createrepo channel running createrepo_c and mergerepo_c, an external repo served
over HTTP from this process, signed copies from rpmsign with a throw-away key. Requests go
through the hub's queue (repo.request / repo.checkQueue / repo.checkRequest), as kojira
and builders use it.
"""
import functools
import glob
import gzip
import http.server
import os
import re
import shutil
import subprocess
import textwrap
import threading
import xml.etree.ElementTree as ET

import pytest

import koji
from koji_cli.lib import unique_path
from tests.cli.rpmkit import build_kit, sign_rpms
from tests.fixtures.rpms import rpm_checksig
from tests.integration.test_kojid import PLUGIN, Builder, _admin_session, _wait_for

HOST = 'kojid-repos.test'
HUB_OPTS = {'RunInterval': 1, 'ReadyTimeout': 6, 'HostTimeout': 8, 'AssignTimeout': 10}
REQUIRED_CALLS = ('host.repoInit', 'host.repoDone', 'repo.request', 'repo.checkRequest',
                  'repo.checkQueue', 'getExternalRepoList', 'distRepo', 'host.distRepoMove')
COMMON = '{http://linux.duke.edu/metadata/common}'
REPOMD = '{http://linux.duke.edu/metadata/repo}'
XML_BASE = '{http://www.w3.org/XML/1998/namespace}base'

CALLBACK_PLUGIN = '''
"""Marks every repo it sees, so the test can tell the callbacks ran with their arguments."""
import json
import os

from koji.plugin import callback
from koji.tasks import BaseTaskHandler


class NeedRepoTask(BaseTaskHandler):
    """A task that needs a repo of a tag, as build tasks do."""
    Methods = ['needrepo']
    _taskWeight = 0.1

    def handler(self, tag, builds=None, wait=False):
        return self.getRepo(tag, builds=builds, wait=wait)


@callback('postCreateRepo')
def mark_repo(cbtype, tag=None, repodir=None, repo_id=None, arch=None, **kws):
    with open(os.path.join(repodir, 'repodata', 'callback.json'), 'w') as fo:
        json.dump({'cbtype': cbtype, 'tag': tag, 'repo_id': repo_id, 'arch': arch,
                   'task': kws['taskinfo']['method']}, fo)


@callback('postCreateDistRepo')
def mark_dist(cbtype, tag=None, repodir=None, repo_id=None, arch=None, keys=None, **kws):
    with open(os.path.join(repodir, 'callback.json'), 'w') as fo:
        json.dump({'cbtype': cbtype, 'tag': tag, 'repo_id': repo_id, 'arch': arch,
                   'keys': keys}, fo)
'''


class RepoBuilder(Builder):
    """A kojid that also loads the callback plugin."""

    def write_conf(self):
        super(RepoBuilder, self).write_conf()
        with open(self.conf) as fo:
            text = fo.read()
        with open(self.conf, 'w') as fo:
            fo.write(text.replace('plugins = testtasks', 'plugins = testtasks repocb'))
            fo.write('copy_old_repodata = true\n')


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(directory):
    handler = functools.partial(QuietHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _import(admin, build):
    for path in [build.srpm] + list(build.rpms):
        serverdir = unique_path('repo-import')
        admin.uploadWrapper(path, serverdir)
        admin.importRPM(serverdir, os.path.basename(path))


@pytest.fixture(scope='module')
def repo_env(hub_server, tmp_path_factory):
    methods = set(koji.ClientSession(hub_server.url).system.listMethods())
    missing = [m for m in REQUIRED_CALLS if m not in methods]
    if missing:
        pytest.skip('hub lacks repo calls: %s' % ', '.join(missing))
    for tool in ('createrepo_c', 'mergerepo_c', 'rpmbuild'):
        if not shutil.which(tool):
            pytest.skip('%s is not installed' % tool)
    hub_server.restart(HUB_OPTS)
    base = str(tmp_path_factory.mktemp('kojid-repos'))
    plugindir = os.path.join(base, 'plugins')
    os.makedirs(plugindir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN))
    with open(os.path.join(plugindir, 'repocb.py'), 'w') as fo:
        fo.write(CALLBACK_PLUGIN)
    # the external repo: one package, served as <url>/x86_64/
    extdir = os.path.join(base, 'external')
    ext_build = build_kit(os.path.join(base, 'ext-rpmbuild'), 'rp-ext', '3.0', '1')
    os.makedirs(os.path.join(extdir, 'x86_64'))
    shutil.copy(ext_build.rpms[0], os.path.join(extdir, 'x86_64'))
    subprocess.run(['createrepo_c', '-q', os.path.join(extdir, 'x86_64')], check=True)
    server = _serve(extdir)
    admin = _admin_session(hub_server)
    builder = RepoBuilder(hub_server, base, HOST, plugindir)
    admin.addHost(HOST, ['x86_64', 'noarch'])
    admin.addHostToChannel(HOST, 'createrepo')
    admin.removeHostFromChannel(HOST, 'default')
    hub_server.set_password(HOST, builder.password)
    try:
        builder.start()
        _wait_for(lambda: (admin.getHost(HOST) or {}).get('ready'), 60,
                  'host %s to check in\n%s' % (HOST, builder.read_log()))
        yield {'hub': hub_server, 'admin': admin, 'builder': builder, 'base': base,
               'extdir': extdir, 'ext_root': 'http://127.0.0.1:%d/' % server.server_address[1],
               'ext_url': 'http://127.0.0.1:%d/$arch/' % server.server_address[1]}
    finally:
        builder.stop()
        server.shutdown()
        server.server_close()
        admin.logout()


def _kit(env, name, version='1.0', release='1', noarch=True):
    build = build_kit(os.path.join(env['base'], 'rpmbuild-%s' % name), name, version, release,
                      noarch=noarch)
    _import(env['admin'], build)
    return build


def _make_tag(env, name, builds):
    admin = env['admin']
    admin.createTag(name, arches='x86_64')
    for build in builds:
        admin.packageListAdd(name, build.name, owner=env['hub'].admin_user)
        admin.tagBuildBypass(name, build.nvr)
    return admin.getTag(name)


def _repo_for(env, tag, min_event):
    """Request a repo of the tag and wait until the queue yields one; returns repoinfo."""
    admin = env['admin']
    check = admin.repo.request(tag, min_event=min_event)
    if check['repo']:
        return check['repo']
    req_id = check['request']['id']

    def done():
        admin.repo.checkQueue()
        status = admin.repo.checkRequest(req_id)
        if status['repo']:
            return status['repo']
        if not status['request']['active']:
            raise AssertionError('request failed: %r\n%s' % (status, env['builder'].read_log()))
        return None
    try:
        return _wait_for(done, 120, 'a repo for %s' % tag, interval=0.2)
    except AssertionError:
        raise AssertionError(env['builder'].read_log())


def _wait_task(env, task_id, timeout=120):
    admin = env['admin']

    def done():
        info = admin.getTaskInfo(task_id)
        if info['state'] in (koji.TASK_STATES['CLOSED'], koji.TASK_STATES['FAILED'],
                             koji.TASK_STATES['CANCELED']):
            return info
        admin.repo.checkQueue()
        return None
    try:
        return _wait_for(done, timeout, 'task %s' % task_id, interval=0.2)
    except AssertionError:
        raise AssertionError(env['builder'].read_log())


def _primary(repodata):
    """{package name: location href} from a repodata dir's primary.xml.gz."""
    root = ET.parse(os.path.join(repodata, 'repomd.xml')).getroot()
    for data in root.findall(REPOMD + 'data'):
        if data.get('type') == 'primary':
            href = data.find(REPOMD + 'location').get('href')
            break
    with gzip.open(os.path.join(os.path.dirname(repodata), href)) as fo:
        primary = ET.parse(fo).getroot()
    found = {}
    for pkg in primary.findall(COMMON + 'package'):
        location = pkg.find(COMMON + 'location')
        # merged packages carry their repo's url as xml:base
        base = location.get(XML_BASE)
        href = location.get('href')
        if base:
            href = '%s/%s' % (base.rstrip('/'), href)
        found[pkg.find(COMMON + 'name').text] = href
    return found


def _versions(repodata):
    """Sorted (name, version) of every package in a repodata dir."""
    root = ET.parse(os.path.join(repodata, 'repomd.xml')).getroot()
    href = [d.find(REPOMD + 'location').get('href') for d in root.findall(REPOMD + 'data')
            if d.get('type') == 'primary'][0]
    with gzip.open(os.path.join(os.path.dirname(repodata), href)) as fo:
        primary = ET.parse(fo).getroot()
    return sorted((pkg.find(COMMON + 'name').text, pkg.find(COMMON + 'version').get('ver'))
                  for pkg in primary.findall(COMMON + 'package'))


def _external_repo(env, name, build):
    """An external repo (served by the test's HTTP server) holding one build's rpms."""
    path = os.path.join(env['extdir'], name)
    os.makedirs(path)
    for rpm in build.rpms:
        shutil.copy(rpm, path)
    subprocess.run(['createrepo_c', '-q', path], check=True)
    env['admin'].createExternalRepo(name, env['ext_root'] + name + '/')
    return name


def _repodata(env, tag, repo_id, arch='x86_64'):
    return os.path.join(env['hub'].topdir, 'repos', tag, str(repo_id), arch, 'repodata')


@pytest.fixture(scope='module')
def kits(repo_env):
    """Two imported builds: rp-alpha (noarch) and rp-beta (host arch)."""
    return [_kit(repo_env, 'rp-alpha'), _kit(repo_env, 'rp-beta', '2.0', '3', noarch=False)]


def test_repo_with_builds_and_external_repo(repo_env, kits):
    admin = repo_env['admin']
    tag = _make_tag(repo_env, 'rp-build', kits)
    admin.createExternalRepo('rp-ext-repo', repo_env['ext_url'])
    admin.addExternalRepoToTag('rp-build', 'rp-ext-repo', 5)

    repo = _repo_for(repo_env, 'rp-build', admin.tagLastChangeEvent(tag['id']))
    assert repo['tag_name'] == 'rp-build'
    assert koji.REPO_STATES[admin.repoInfo(repo['id'])['state']] == 'READY'
    datadir = _repodata(repo_env, 'rp-build', repo['id'])
    packages = _primary(datadir)
    assert sorted(packages) == ['rp-alpha', 'rp-beta', 'rp-ext']
    # ours point into the topdir through toplink, the external one at its repo url
    assert packages['rp-alpha'].startswith('toplink/packages/rp-alpha/1.0/1/noarch/')
    assert packages['rp-ext'] == (repo_env['ext_url'].replace('$arch', 'x86_64')
                                  + 'rp-ext-3.0-1.noarch.rpm')
    origins_file, = glob.glob(os.path.join(datadir, '*pkgorigins.gz'))
    with gzip.open(origins_file, 'rt') as fo:
        origins = fo.read()
    assert 'rp-ext-3.0-1.noarch' in origins
    assert koji.load_json(os.path.join(datadir, 'callback.json')) == {
        'cbtype': 'postCreateRepo', 'tag': 'rp-build', 'repo_id': repo['id'],
        'arch': 'x86_64', 'task': 'createrepo'}

    # one createrepo child per arch, with the logs of both commands
    children = admin.getTaskChildren(repo['task_id'])
    assert [(c['method'], c['label'], c['arch']) for c in children] == [
        ('createrepo', 'x86_64', 'noarch')]
    outputs = admin.listTaskOutput(children[0]['id'])
    assert 'createrepo.log' in outputs and 'mergerepos.log' in outputs
    assert admin.getTaskResult(repo['task_id']) == [repo['id'], repo['create_event']]


def test_tagging_makes_next_request_regenerate(repo_env, kits):
    admin = repo_env['admin']
    tag = _make_tag(repo_env, 'rp-regen', kits)
    first = _repo_for(repo_env, 'rp-regen', admin.tagLastChangeEvent(tag['id']))
    # nothing changed: the same repo answers
    again = admin.repo.request('rp-regen', min_event=admin.tagLastChangeEvent(tag['id']))
    assert again['repo']['id'] == first['id']

    gamma = _kit(repo_env, 'rp-gamma', '0.5', '2')
    admin.packageListAdd('rp-regen', 'rp-gamma', owner=repo_env['hub'].admin_user)
    admin.tagBuildBypass('rp-regen', gamma.nvr)
    second = _repo_for(repo_env, 'rp-regen', admin.tagLastChangeEvent(tag['id']))
    assert second['id'] > first['id']
    packages = _primary(_repodata(repo_env, 'rp-regen', second['id']))
    assert sorted(packages) == ['rp-alpha', 'rp-beta', 'rp-gamma']
    # the old repo is untouched
    assert 'rp-gamma' not in _primary(_repodata(repo_env, 'rp-regen', first['id']))
    # createrepo_c started from the previous repo's metadata
    child = admin.getTaskChildren(second['task_id'])[0]
    log = admin.downloadTaskOutput(child['id'], 'createrepo.log').decode()
    assert 'Old metadata from:' in log, log
    assert re.search(r'CACHE HIT \S*rp-alpha-1\.0-1\.noarch\.rpm', log), log


def test_empty_arch_repo(repo_env):
    admin = repo_env['admin']
    tag = _make_tag(repo_env, 'rp-empty', [])
    repo = _repo_for(repo_env, 'rp-empty', admin.tagLastChangeEvent(tag['id']))
    datadir = _repodata(repo_env, 'rp-empty', repo['id'])
    assert _primary(datadir) == {}
    with open(os.path.join(datadir, 'EMPTY_REPO')) as fo:
        assert fo.read() == 'This repo is empty because its tag has no content for this arch\n'


def test_waitrepo_task_waits_for_build(repo_env):
    admin = repo_env['admin']
    tag = _make_tag(repo_env, 'rp-wait', [])
    delta = _kit(repo_env, 'rp-delta', '4.0', '1')
    admin.packageListAdd('rp-wait', 'rp-delta', owner=repo_env['hub'].admin_user)
    task_id = admin.makeTask('waitrepo', ['rp-wait', None, [delta.nvr]], channel='createrepo')
    # the task cannot be satisfied before the build is tagged
    _wait_for(lambda: admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['OPEN'], 60,
              'waitrepo to start')
    admin.tagBuildBypass('rp-wait', delta.nvr)
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    repo = admin.getTaskResult(task_id)
    assert repo['tag_id'] == tag['id']
    assert repo['create_event'] >= admin.tagLastChangeEvent(tag['id'])
    assert sorted(_primary(_repodata(repo_env, 'rp-wait', repo['id']))) == ['rp-delta']


DIST_OPTS = {'arch': ['x86_64'], 'comps': None, 'delta': [], 'event': None, 'volume': None,
             'inherit': False, 'latest': False, 'multilib': False, 'split_debuginfo': False,
             'skip_missing_signatures': False, 'allow_missing_signatures': False,
             'zck': False, 'zck_dict_dir': None, 'write_signed_rpms': False}


@pytest.fixture(scope='module')
def dist_tag(repo_env, rpm_builds, signed_rpms):
    """rp-dist with the shared kojitest builds: imported unsigned, signed copies written."""
    admin = repo_env['admin']
    for build in rpm_builds.builds.values():
        _import(admin, build)
    for build in signed_rpms.builds.values():
        for path in build.paths:
            nvra = os.path.basename(path)[:-4]
            admin.addRPMSig(nvra, koji.util.base64encode(koji.rip_rpm_sighdr(path)))
            admin.writeSignedRPM(nvra, signed_rpms.sigkey)
    _make_tag(repo_env, 'rp-dist', list(rpm_builds.builds.values()))
    return signed_rpms


def test_dist_repo_with_signed_copies(repo_env, dist_tag, rpm_keyring):
    admin = repo_env['admin']
    task_id = admin.distRepo('rp-dist', [dist_tag.sigkey.upper()], **DIST_OPTS)
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    result = admin.getTaskResult(task_id)
    repo_id = int(result.split('#')[1].split()[0])
    assert result == 'Dist repository #%d successfully generated' % repo_id
    rinfo = admin.repoInfo(repo_id)
    assert rinfo['dist'] and koji.REPO_STATES[rinfo['state']] == 'READY'
    archdir = os.path.join(repo_env['hub'].topdir, 'repos-dist', 'rp-dist', str(repo_id),
                           'x86_64')
    packages = _primary(os.path.join(archdir, 'repodata'))
    assert sorted(packages) == ['kojitest-arch', 'kojitest-noarch']
    for name, href in packages.items():
        assert href.startswith('Packages/k/%s-' % name)
        # the signed copy, verifiable with the test key
        code, out = rpm_checksig(os.path.join(archdir, href), rpm_keyring)
        assert code == 0 and dist_tag.key.keyid[-8:].lower() in out.lower(), out
    assert koji.load_json(os.path.join(archdir, 'callback.json')) == {
        'cbtype': 'postCreateDistRepo', 'tag': 'rp-dist', 'repo_id': repo_id,
        'arch': 'x86_64', 'keys': [dist_tag.sigkey.upper()]}
    kojipkgs = koji.load_json(os.path.join(archdir, 'kojipkgs'))
    assert set(rpm['sigkey'] for rpm in kojipkgs.values()) == {dist_tag.sigkey}


def test_dist_repo_refuses_unsigned(repo_env, dist_tag):
    admin = repo_env['admin']
    task_id = admin.distRepo('rp-dist', ['0badc0de'], **DIST_OPTS)
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'FAILED'
    child = admin.getTaskChildren(task_id)[0]
    with pytest.raises(koji.GenericError,
                       match='Unsigned packages found. See missing_signatures.log'):
        admin.getTaskResult(child['id'])
    log = admin.downloadTaskOutput(child['id'], 'missing_signatures.log').decode()
    assert log.startswith('Some rpms were missing requested signatures.\n')
    assert "Requested keys: ['0badc0de']" in log


@pytest.fixture(scope='module')
def dup_repos(repo_env):
    """Two external repos with different versions of rp-dup."""
    base = repo_env['base']
    old = build_kit(os.path.join(base, 'dup-old'), 'rp-dup', '1.0', '1')
    new = build_kit(os.path.join(base, 'dup-new'), 'rp-dup', '2.0', '1')
    return [_external_repo(repo_env, 'rp-dup-a', old), _external_repo(repo_env, 'rp-dup-b', new)]


@pytest.mark.parametrize('mode,expected', [
    # koji: a package name comes from the first repo (by priority) that has it
    ('koji', [('rp-alpha', '1.0'), ('rp-dup', '1.0')]),
    # simple and bare keep every version
    ('simple', [('rp-alpha', '1.0'), ('rp-dup', '1.0'), ('rp-dup', '2.0')]),
    ('bare', [('rp-alpha', '1.0'), ('rp-dup', '1.0'), ('rp-dup', '2.0')]),
])
def test_merge_modes_and_priorities(repo_env, kits, dup_repos, mode, expected):
    admin = repo_env['admin']
    name = 'rp-merge-%s' % mode
    tag = _make_tag(repo_env, name, kits[:1])
    # the higher priority (smaller number) repo is added last
    admin.addExternalRepoToTag(name, dup_repos[1], 20, merge_mode=mode)
    admin.addExternalRepoToTag(name, dup_repos[0], 10, merge_mode=mode)
    repo = _repo_for(repo_env, name, admin.tagLastChangeEvent(tag['id']))
    assert _versions(_repodata(repo_env, name, repo['id'])) == expected
    child = admin.getTaskChildren(repo['task_id'])[0]
    log = admin.downloadTaskOutput(child['id'], 'mergerepos.log').decode()
    assert log, 'mergerepo_c wrote no log'


def test_unchanged_repo_is_cloned(repo_env, kits):
    """copy_old_repodata: a forced regeneration of unchanged content copies the repodata."""
    admin = repo_env['admin']
    tag = _make_tag(repo_env, 'rp-clone', kits)
    first = _repo_for(repo_env, 'rp-clone', admin.tagLastChangeEvent(tag['id']))
    check = admin.repo.request('rp-clone', min_event=first['create_event'], force=True)
    assert check['repo'] is None
    req_id = check['request']['id']

    def done():
        admin.repo.checkQueue()
        return admin.repo.checkRequest(req_id)['repo']
    second = _wait_for(done, 120, 'the forced repo', interval=0.2)
    assert second['id'] != first['id']
    assert admin.getTaskChildren(second['task_id']) == []
    repo_json = koji.load_json(os.path.join(repo_env['hub'].topdir, 'repos', 'rp-clone',
                                            str(second['id']), 'repo.json'))
    assert repo_json['cloned_from_repo_id'] == first['id']
    assert repo_json['cloned_archs'] == ['x86_64']
    assert (sorted(os.listdir(_repodata(repo_env, 'rp-clone', second['id'])))
            == sorted(os.listdir(_repodata(repo_env, 'rp-clone', first['id']))))


def test_task_without_repo_waits_in_waitrepo_subtask(repo_env, kits):
    admin = repo_env['admin']
    tag = _make_tag(repo_env, 'rp-need', kits[:1])
    task_id = admin.makeTask('needrepo', ['rp-need'], channel='createrepo')
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    repo = admin.getTaskResult(task_id)
    assert repo['tag_id'] == tag['id']
    children = admin.getTaskChildren(task_id, request=True)
    assert [c['method'] for c in children] == ['waitrepo']
    name, newer_than, nvrs, min_event = children[0]['request']
    assert (name, newer_than, nvrs) == ('rp-need', None, [])
    assert repo['create_event'] >= min_event
    assert admin.getTaskResult(children[0]['id']) == repo

    # now that it exists, the repo is used at once
    task_id = admin.makeTask('needrepo', ['rp-need'], channel='createrepo')
    _wait_task(repo_env, task_id)
    assert admin.getTaskResult(task_id)['id'] == repo['id']
    assert admin.getTaskChildren(task_id) == []


def test_legacy_newrepo_call_with_separate_src(repo_env, kits):
    """newRepo(tag, separate_src=True): the task's legacy flag makes a src arch repo too."""
    admin = repo_env['admin']
    _make_tag(repo_env, 'rp-src', kits[:1])
    task_id = admin.newRepo('rp-src', separate_src=True)
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    repo_id, event_id = admin.getTaskResult(task_id)
    children = admin.getTaskChildren(task_id)
    assert sorted(c['label'] for c in children) == ['src', 'x86_64']
    repo_json = koji.load_json(os.path.join(repo_env['hub'].topdir, 'repos', 'rp-src',
                                            str(repo_id), 'repo.json'))
    assert repo_json['with_separate_src'] is True
    assert _versions(_repodata(repo_env, 'rp-src', repo_id, 'src')) == [('rp-alpha', '1.0')]
    src_href = _primary(_repodata(repo_env, 'rp-src', repo_id, 'src'))['rp-alpha']
    assert src_href.endswith('/src/rp-alpha-1.0-1.src.rpm')


def test_dist_repo_zck(repo_env, dist_tag):
    admin = repo_env['admin']
    opts = dict(DIST_OPTS, zck=True)
    task_id = admin.distRepo('rp-dist', [dist_tag.sigkey], **opts)
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    repo_id = int(admin.getTaskResult(task_id).split('#')[1].split()[0])
    repodata = os.path.join(repo_env['hub'].topdir, 'repos-dist', 'rp-dist', str(repo_id),
                            'x86_64', 'repodata')
    assert any(fn.endswith('primary.xml.zck') for fn in os.listdir(repodata))
    assert sorted(_primary(repodata)) == ['kojitest-arch', 'kojitest-noarch']


def test_dist_repo_deltas_against_previous(repo_env):
    """delta=[older dist repo]: createrepo_c makes delta rpms from its packages."""
    admin = repo_env['admin']
    old = _kit(repo_env, 'rp-dl', '1.0', '1')
    tag = _make_tag(repo_env, 'rp-delta-dist', [old])
    opts = dict(DIST_OPTS, allow_missing_signatures=True)
    task_id = admin.distRepo('rp-delta-dist', [], **opts)
    assert koji.TASK_STATES[_wait_task(repo_env, task_id)['state']] == 'CLOSED'
    first = int(admin.getTaskResult(task_id).split('#')[1].split()[0])

    new = build_kit(os.path.join(repo_env['base'], 'rpmbuild-rp-dl-2'), 'rp-dl', '1.0', '2',
                    description='kit, second release with a longer text')
    _import(admin, new)
    admin.tagBuildBypass(tag['name'], new.nvr)
    task_id = admin.distRepo('rp-delta-dist', [], **dict(opts, delta=[first], latest=True))
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    second = int(admin.getTaskResult(task_id).split('#')[1].split()[0])
    archdir = os.path.join(repo_env['hub'].topdir, 'repos-dist', 'rp-delta-dist', str(second),
                           'x86_64')
    types = [d.get('type') for d in ET.parse(os.path.join(archdir, 'repodata', 'repomd.xml'))
             .getroot().findall(REPOMD + 'data')]
    assert 'prestodelta' in types
    drpms = [fn for _, _, files in os.walk(archdir) for fn in files if fn.endswith('.drpm')]
    assert drpms == ['rp-dl-1.0-1_1.0-2.noarch.drpm']

    # a regular repo cannot be a delta base
    regular = _repo_for(repo_env, 'rp-delta-dist', admin.tagLastChangeEvent(tag['id']))
    task_id = admin.distRepo('rp-delta-dist', [], **dict(opts, delta=[regular['id']]))
    assert koji.TASK_STATES[_wait_task(repo_env, task_id)['state']] == 'FAILED'
    child = admin.getTaskChildren(task_id)[0]
    with pytest.raises(koji.GenericError, match='Base repo for deltas must also be a dist repo'):
        admin.getTaskResult(child['id'])


def test_dist_repo_split_debuginfo(repo_env, kits):
    admin = repo_env['admin']
    debug = _kit(repo_env, 'rp-sd-debuginfo', '1.0', '1')
    _make_tag(repo_env, 'rp-split', [kits[0], debug])
    opts = dict(DIST_OPTS, allow_missing_signatures=True, split_debuginfo=True)
    task_id = admin.distRepo('rp-split', [], **opts)
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    repo_id = int(admin.getTaskResult(task_id).split('#')[1].split()[0])
    archdir = os.path.join(repo_env['hub'].topdir, 'repos-dist', 'rp-split', str(repo_id),
                           'x86_64')
    assert _primary(os.path.join(archdir, 'repodata')) == {
        'rp-alpha': 'Packages/r/rp-alpha-1.0-1.noarch.rpm'}
    assert _primary(os.path.join(archdir, 'debug', 'repodata')) == {
        'rp-sd-debuginfo': '../Packages/r/rp-sd-debuginfo-1.0-1.noarch.rpm'}
    assert os.path.isfile(os.path.join(archdir, 'Packages', 'r',
                                       'rp-sd-debuginfo-1.0-1.noarch.rpm'))
    # the unsigned copies were allowed, and said so
    child = admin.getTaskChildren(task_id)[0]
    log = admin.downloadTaskOutput(child['id'], 'missing_signatures.log').decode()
    assert 'rp-sd-debuginfo-1.0-1.noarch: ' in log


def test_dist_repo_writes_missing_signed_copies(repo_env, gpg_key, rpm_keyring):
    """A stored signature without its signed copy: refused, unless write_signed_rpms."""
    admin = repo_env['admin']
    build = build_kit(os.path.join(repo_env['base'], 'rpmbuild-rp-ws'), 'rp-ws', '1.0', '1')
    _import(admin, build)
    signed_dir = os.path.join(repo_env['base'], 'rp-ws-signed')
    os.makedirs(signed_dir)
    signed = [shutil.copy(p, signed_dir) for p in build.rpms]
    sign_rpms(signed, gpg_key)
    admin.addRPMSig(os.path.basename(signed[0])[:-4],
                    koji.util.base64encode(koji.rip_rpm_sighdr(signed[0])))
    _make_tag(repo_env, 'rp-ws-dist', [build])

    task_id = admin.distRepo('rp-ws-dist', [gpg_key.sigkey], **DIST_OPTS)
    assert koji.TASK_STATES[_wait_task(repo_env, task_id)['state']] == 'FAILED'
    child = admin.getTaskChildren(task_id)[0]
    with pytest.raises(koji.GenericError,
                       match=r'Packages missing from the filesystem. See missing_files.log.'):
        admin.getTaskResult(child['id'])
    log = admin.downloadTaskOutput(child['id'], 'missing_files.log').decode()
    assert log.startswith('Some rpm files were missing.\n')
    assert '/data/signed/%s/noarch/rp-ws-1.0-1.noarch.rpm' % gpg_key.sigkey in log

    task_id = admin.distRepo('rp-ws-dist', [gpg_key.sigkey],
                             **dict(DIST_OPTS, write_signed_rpms=True))
    info = _wait_task(repo_env, task_id)
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    repo_id = int(admin.getTaskResult(task_id).split('#')[1].split()[0])
    child = admin.getTaskChildren(task_id)[0]
    log = admin.downloadTaskOutput(child['id'], 'written_signed_rpms.log').decode()
    rpm_id = admin.getRPM('rp-ws-1.0-1.noarch')['id']
    assert log == 'Signed RPM %d is written with %s key.\n' % (rpm_id, gpg_key.sigkey)
    path = os.path.join(repo_env['hub'].topdir, 'repos-dist', 'rp-ws-dist', str(repo_id),
                        'x86_64', 'Packages', 'r', 'rp-ws-1.0-1.noarch.rpm')
    code, out = rpm_checksig(path, rpm_keyring)
    assert code == 0 and gpg_key.sigkey in out.lower(), out


ML_SPEC = """\
%%global debug_package %%{nil}
%%global __os_install_post %%{nil}
Name: %(name)s
Version: 1.0
Release: 1
Summary: multilib test build
License: MIT
AutoReqProv: no
Requires: %(name)s-libs

%%description
multilib test build

%%package libs
Summary: the library
Requires: %(name)s-common
%(lib_requires)s
%%description libs
library

%%package devel
Summary: headers
Requires: %(name)s-libs = %%{version}-%%{release}
%%description devel
headers

%%package helper
Summary: a helper no 32-bit package needs
%%description helper
helper

%%package common
Summary: arch-independent data
BuildArch: noarch
%%description common
data

%%install
mkdir -p %%{buildroot}%%{_libdir} %%{buildroot}/usr/include %%{buildroot}/usr/bin
mkdir -p %%{buildroot}/usr/share/%(name)s %%{buildroot}/usr/libexec/%(name)s
touch %%{buildroot}%%{_libdir}/lib%(name)s.so.1 %%{buildroot}/usr/include/%(name)s.h
touch %%{buildroot}/usr/bin/%(name)s %%{buildroot}/usr/share/%(name)s/data
touch %%{buildroot}/usr/libexec/%(name)s/helper-%%{_arch}

%%files
/usr/bin/%(name)s
%%files libs
%%{_libdir}/lib%(name)s.so.1
%%files devel
/usr/include/%(name)s.h
%%files helper
/usr/libexec/%(name)s/helper-%%{_arch}
%%files common
/usr/share/%(name)s/data
"""

ML_CONF = """\
[runtime]
white =
black = rp-mltools

[devel]
white =
black =
"""


def _ml_build(env, name, arches=('x86_64', 'i686'), lib_requires=''):
    """Import one build whose binary subpackages are made for each of arches."""
    top = os.path.join(env['base'], 'rpmbuild-%s' % name)
    for sub in ('SPECS', 'RPMS', 'SRPMS', 'BUILD', 'tmp'):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
    spec = os.path.join(top, 'SPECS', '%s.spec' % name)
    with open(spec, 'w') as fo:
        fo.write(ML_SPEC % {'name': name, 'lib_requires': lib_requires})
    base = ['rpmbuild', '--define', '_topdir %s' % top, '--define', '_tmppath %s/tmp' % top]
    runs = [base + ['-bs', spec]] + [base + ['-bb', '--target', arch, spec] for arch in arches]
    for cmd in runs:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, proc.stdout
    paths = [os.path.join(top, 'SRPMS', '%s-1.0-1.src.rpm' % name)]
    for arch in list(arches) + ['noarch']:
        paths += sorted(glob.glob(os.path.join(top, 'RPMS', arch, '*.rpm')))
    admin = env['admin']
    for path in paths:
        serverdir = unique_path('repo-import')
        admin.uploadWrapper(path, serverdir)
        admin.importRPM(serverdir, os.path.basename(path))
    return '%s-1.0-1' % name


def _ml_tag(env, name, builds):
    admin = env['admin']
    admin.createTag(name, arches='x86_64 i686')
    for nvr in builds:
        admin.packageListAdd(name, koji.parse_NVR(nvr)['name'], owner=env['hub'].admin_user)
        admin.tagBuildBypass(name, nvr)


def _dist_files(env, tag, repo_id, arch):
    archdir = os.path.join(env['hub'].topdir, 'repos-dist', tag, str(repo_id), arch)
    root = ET.parse(os.path.join(archdir, 'repodata', 'repomd.xml')).getroot()
    href = [d.find(REPOMD + 'location').get('href') for d in root.findall(REPOMD + 'data')
            if d.get('type') == 'primary'][0]
    with gzip.open(os.path.join(archdir, href)) as fo:
        primary = ET.parse(fo).getroot()
    return sorted(os.path.basename(pkg.find(COMMON + 'location').get('href'))
                  for pkg in primary.findall(COMMON + 'package'))


@pytest.fixture(scope='module')
def ml_tag(repo_env):
    """rp-ml: rp-mlapp needs (in its libs) rp-mldep, which the devel method does not pick."""
    _ml_build(repo_env, 'rp-mldep')
    app = _ml_build(repo_env, 'rp-mlapp', lib_requires='Requires: rp-mldep-helper')
    _ml_tag(repo_env, 'rp-ml', [app, 'rp-mldep-1.0-1'])
    return 'rp-ml'


def test_dist_repo_multilib_cli(repo_env, ml_tag, cli, tmp_path):
    """koji dist-repo --multilib: the config is uploaded, the x86_64 repo gets the i686
    libs and devel packages the devel method picks, with their 32-bit dependencies."""
    conf = tmp_path / 'multilib.conf'
    conf.write_text(ML_CONF)
    res = cli('dist-repo', '--multilib', str(conf), '--arch', 'x86_64', '--arch', 'i686',
              '--allow-missing-signatures', ml_tag)
    assert res.returncode == 0, res.stdout + res.stderr + repo_env['builder'].read_log()
    assert res.stdout.endswith('Creating dist repo for tag rp-ml\n'), res.stdout
    admin = repo_env['admin']
    task = admin.listTasks(opts={'method': 'distRepo', 'decode': True},
                           queryOpts={'order': '-id', 'limit': 1})[0]
    # (a client in the background does not watch the task)
    info = _wait_task(repo_env, task['id'])
    assert koji.TASK_STATES[info['state']] == 'CLOSED', repo_env['builder'].read_log()
    opts = task['request'][3]
    assert opts['multilib'].startswith('cli-dist-repo/')
    with open(os.path.join(repo_env['hub'].topdir, 'work', opts['multilib'])) as fo:
        assert fo.read() == ML_CONF
    repo_id = int(admin.getTaskResult(task['id']).split('#')[1].split()[0])
    common = ['rp-mlapp-common-1.0-1.noarch.rpm', 'rp-mldep-common-1.0-1.noarch.rpm']
    x86 = ['rp-mlapp-%s1.0-1.x86_64.rpm' % sub for sub in ('', 'devel-', 'helper-', 'libs-')]
    x86 += ['rp-mldep-%s1.0-1.x86_64.rpm' % sub for sub in ('', 'devel-', 'helper-', 'libs-')]
    # devel picks -libs (a library) and -devel of both builds; rp-mlapp-libs.i686 needs
    # rp-mldep-helper.i686 and the noarch -common packages (already in the repo)
    i686 = ['rp-mlapp-devel-1.0-1.i686.rpm', 'rp-mlapp-libs-1.0-1.i686.rpm',
            'rp-mldep-devel-1.0-1.i686.rpm', 'rp-mldep-helper-1.0-1.i686.rpm',
            'rp-mldep-libs-1.0-1.i686.rpm']
    assert _dist_files(repo_env, ml_tag, repo_id, 'x86_64') == sorted(common + x86 + i686)
    # the 32-bit repo has every i686 and noarch package, and nothing else
    assert _dist_files(repo_env, ml_tag, repo_id, 'i386') == sorted(
        common + [fn.replace('x86_64', 'i686') for fn in x86])
    archdir = os.path.join(repo_env['hub'].topdir, 'repos-dist', ml_tag, str(repo_id),
                           'x86_64')
    kojipkgs = koji.load_json(os.path.join(archdir, 'kojipkgs'))
    assert sorted(fn for fn in kojipkgs if kojipkgs[fn].get('_multilib')) == i686
    assert os.path.isfile(os.path.join(archdir, 'Packages', 'r', i686[0]))
    children = {c['label']: c['id'] for c in admin.getTaskChildren(task['id'])}
    dnfconf = admin.downloadTaskOutput(children['x86_64'], 'dnf.conf-koji-x86_64').decode()
    assert 'baseurl=file://%s' % os.path.join(os.path.dirname(archdir), 'i386') in dnfconf


def test_dist_repo_multilib_missing_32bit(repo_env, tmp_path):
    """A selected package without a 32-bit build fails the arch, listed in
    missing_multilib.log."""
    admin = repo_env['admin']
    nvr = _ml_build(repo_env, 'rp-ml64', arches=('x86_64',))
    _ml_tag(repo_env, 'rp-ml-miss', [nvr])
    serverdir = unique_path('cli-dist-repo')
    conf = tmp_path / 'multilib.conf'
    conf.write_text(ML_CONF)
    admin.uploadWrapper(str(conf), serverdir)
    opts = dict(DIST_OPTS, arch=['x86_64', 'i686'], allow_missing_signatures=True,
                multilib='%s/multilib.conf' % serverdir)
    task_id = admin.distRepo('rp-ml-miss', [], **opts)
    assert koji.TASK_STATES[_wait_task(repo_env, task_id)['state']] == 'FAILED'
    children = {c['label']: c['id'] for c in admin.getTaskChildren(task_id)}
    with pytest.raises(koji.GenericError, match='multilib packages missing'):
        admin.getTaskResult(children['x86_64'])
    log = admin.downloadTaskOutput(children['x86_64'], 'missing_multilib.log').decode()
    lines = log.splitlines()
    assert lines[0] == 'The following multilib files were missing:'
    assert sorted(os.path.basename(line) for line in lines[1:]) == [
        'rp-ml64-devel-1.0-1.i686.rpm', 'rp-ml64-libs-1.0-1.i686.rpm']
