"""maven-build, maven-chain, wrapper-rpm, win-build, spin-*, image-build and
image-build-indirection: upstream's 1.36.1 client and ours against one hub (EnableMaven,
EnableWin on).  Argument errors must match exactly (help paragraphs aside), --help must
offer the same options, and the same command line must print the same lines and queue
the same task (method, channel, arch, priority, request)."""
import os
import re

import pytest

from tests.fixtures.cli import uniq
from tests.interop.compare import norm, show

COMMANDS = ('maven-build', 'maven-chain', 'wrapper-rpm', 'win-build', 'image-build',
            'image-build-indirection', 'spin-livecd', 'spin-livemedia', 'spin-appliance')
OPTION = re.compile(r'^  (-\S.*?)(?:  |$)', re.M)
TASK_LINE = re.compile(r'(Created task: |taskID=)\d+')


@pytest.fixture(scope='module')
def world(hub_server, hub, tmp_path_factory):
    hub_server.restart({'EnableMaven': True, 'EnableWin': True,
                        'policy': {'vm': 'vm_name win* :: allow\n'
                                         'all :: deny only windows VMs here'}})
    hub.logout()
    hub.login()
    name = uniq('ii')
    hub.createTag(name + '-build', arches='x86_64')
    hub.createTag(name + '-dest')
    hub.createBuildTarget(name, name + '-build', name + '-dest')
    base = tmp_path_factory.mktemp('ii')
    files = {}
    for fname, text in (('chain.ini', '[a]\nscmurl = git://x/a#1\n\n[b]\nscmurl = '
                                      'git://x/b#1\nbuildrequires = a\n'),
                        ('loop.ini', '[a]\nscmurl = git://x/a#1\nbuildrequires = a\n'),
                        ('m.ini', '[m]\nscmurl = git://x/m#1\ngoals = a b\n'),
                        ('w.ini', '[w]\ntype = wrapper\nscmurl = git://x/w#1\n'
                                  'buildrequires = nosuchpkg\n'),
                        ('two.ini', '[a]\nscmurl = git://a#1\n[b]\nscmurl = git://b#1\n'),
                        ('noimg.conf', '[other]\nx = 1\n')):
        path = base / fname
        path.write_text(text)
        files[fname] = str(path)
    build_id = hub.createEmptyBuild(uniq('iw'), '1', '1', None)
    return {'target': name, 'files': files, 'build_id': str(build_id)}


def options_of(text):
    return sorted(m.group(1) for m in OPTION.finditer(text))


@pytest.mark.parametrize('command', COMMANDS)
def test_help_offers_the_same_options(clients, command):
    theirs = clients.theirs(command, '--help')
    ours = clients.ours(command, '--help')
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout.splitlines()[0] == theirs.stdout.splitlines()[0]
    assert options_of(ours.stdout) == options_of(theirs.stdout), show(theirs, ours)


def _errors(world):
    t = world['target']
    f = world['files']
    return [
        ('maven-build',),
        ('maven-build', t),
        ('maven-build', '--ini', f['m.ini'], t, 'git://x#1'),
        ('maven-build', t, 'not-a-url'),
        ('maven-build', 'nosuch-target', 'git://x#1'),
        ('maven-build', '--ini', f['w.ini'], t),
        ('maven-build', '--ini', f['two.ini'], t),
        ('maven-build', '--ini', f['two.ini'], '-s', 'zz', t),
        ('maven-build', '-E', 'novalue', t, 'git://x#1'),
        ('maven-chain', t),
        ('maven-chain', t, f['loop.ini']),
        ('maven-chain', 'nosuch-target', f['chain.ini']),
        ('wrapper-rpm', t, '1'),
        ('wrapper-rpm', '--scratch', '--create-draft', t, '1', 'git://x#1'),
        ('wrapper-rpm', '--ini', f['m.ini'], t),
        ('wrapper-rpm', '--ini', f['w.ini'], t),
        ('win-build', t, 'git://x#1'),
        ('win-build', 'nosuch-target', 'git://x#1', 'vm'),
        ('win-build', '--cpus', 'many', t, 'git://x#1', 'vm'),
        ('win-build', t, 'git://x#1', 'linuxvm'),
        ('spin-livecd', 'a', '1', t, 'x86_64'),
        ('spin-livecd', '--volid', 'V' * 33, 'a', '1', t, 'x86_64', 'k.ks'),
        ('spin-livecd', '--ksurl', 'git://k#1', 'a', '1', 'nosuch-target', 'x86_64', 'k.ks'),
        ('spin-livemedia', 'a', '1', t, 'x86_64'),
        ('spin-livemedia', '--lorax_url', 'git://l#1', 'a', '1', t, 'x86_64', 'k.ks'),
        ('spin-appliance', 'a', '1', t, 'x86_64'),
        ('image-build', 'a', '1', t, 'http://tree'),
        ('image-build', 'a', '1', t, 'http://tree', 'x86_64'),
        ('image-build', '--kickstart', 'k.ks', 'a', '1', t, 'http://tree', 'x86_64'),
        ('image-build', '--config', f['noimg.conf']),
        ('image-build', '--ksurl', 'git://k#1', '--distro', 'Fedora-40', 'a', '1',
         'nosuch-target', 'http://tree', 'x86_64'),
        ('image-build-indirection',),
        ('image-build-indirection', '--base-image-task', '1', '--utility-image-task', '2'),
        ('image-build-indirection', '--base-image-task', '1', '--utility-image-task', '2',
         '--name', 'n', '--version', '1', '--arch', 'x86_64', '--target', t,
         '--indirection-template', 'x.tdl', '--results-loc', '/r'),
        ('image-build-indirection', '--config', f['noimg.conf']),
    ]


def test_argument_errors_match(clients, world):
    for args in _errors(world):
        theirs = clients.theirs(*args)
        ours = clients.ours(*args)
        assert norm(ours, usage=True) == norm(theirs, usage=True), show(theirs, ours)


def _task_lines(world, tmp):
    t = world['target']
    f = world['files']
    ks = os.path.join(tmp, 'demo.ks')
    with open(ks, 'w') as fo:
        fo.write('part / --size 1\n')
    return [
        ('maven-build', '--nowait', '--scratch', '-G', 'install', '-D', 'a=1', '-D', 'b',
         '-E', 'X=y', '-P', 'p1', '-J', '-Xmx1g', '-M', '-U', '--patches', 'git://p#1',
         '--specfile', 'git://s#1', '--debug', '--skip-tag', '--background', t,
         'git://x/demo#1'),
        ('maven-build', '--nowait', '--ini', f['m.ini'], t),
        ('maven-build', '--nowait', '--quiet', t, 'git://x/demo#1'),
        ('maven-chain', '--nowait', '--scratch', '--debug', t, f['chain.ini']),
        ('wrapper-rpm', '--nowait', '--create-build', '--skip-tag', '--wait-repo',
         '--wait-build', 'x-1-1', t, world['build_id'], 'git://spec#1'),
        ('win-build', '--nowait', '--winspec', 'git://w#1', '--patches', 'git://p#1',
         '--cpus', '2', '--mem', '2048', '--static-mac', '--specfile', 'git://s#1',
         '--scratch', t, 'git://x/win#1', 'win7'),
        ('win-build', '--nowait', '--repo-id', '5', 'none', 'git://x/win#1', 'win7'),
        ('spin-livecd', '--nowait', '--ksurl', 'git://k#1', '--ksversion', 'F40',
         '--repo', 'http://r1', '--repo', 'http://r2', '--release', '7', '--volid', 'V',
         '--specfile', 'git://s#1', '--skip-tag', '--scratch', 'lc', '1', t, 'i686', 'k.ks'),
        ('spin-livecd', '--nowait', '--noprogress', 'lc', '1', t, 'x86_64', ks),
        ('spin-livemedia', '--nowait', '--ksurl', 'git://k#1', '--install-tree-url',
         'http://tree', '--can-fail', 'i686', '--lorax_url', 'git://l#1', '--lorax_dir',
         'tpl', '--nomacboot', '--ksrepo', '--squashfs-only', '--compress-arg', 'xz',
         'lm', '2', t, 'x86_64,i686', 'lm.ks'),
        ('spin-appliance', '--nowait', '--ksurl', 'git://k#1', '--vmem', '1024', '--vcpu',
         '2', '--format', 'qcow2', 'ap', '1', t, 'x86_64', 'ap.ks'),
        ('image-build', '--nowait', '--ksurl', 'git://k#1', '--kickstart', 'a.ks',
         '--distro', 'Fedora-40', '--format', 'qcow2', '--format', 'vmdk', '--disk-size',
         '20', '--ova-option', 'a=b', '--factory-parameter', 'k', 'v', '--can-fail',
         'i686', '--noverifyssl', '--repo', 'http://r', 'img', '3', t, 'http://tree/',
         'x86_64', 'i686'),
        ('image-build-indirection', '--nowait', '--base-image-build', 'b-1-1',
         '--utility-image-task', '7', '--name', 'ind', '--version', '1', '--arch',
         'x86_64', '--target', t, '--indirection-template', 'x.tdl',
         '--indirection-template-url', 'git://t#1', '--results-loc', '/r', '--skip-tag'),
    ]


def _task_of(hub, res):
    match = re.search(r'^Created task: (\d+)$', res.stdout, re.M)
    assert match, res.stdout + res.stderr
    info = hub.getTaskInfo(int(match.group(1)), request=True)
    chan = hub.getChannel(info['channel_id'])['name']
    return (info['method'], chan, info['arch'], info['priority'], info['request'])


def _even_uploads(request):
    """Upload dirs are unique per run: keep only their prefix and the file name."""
    text = re.sub(r' at 0x[0-9a-f]+', '', repr(request))
    return re.sub(r'(cli-[a-z-]+)/[^/\']+/', r'\1/U/', text)


def test_task_creation_output_and_requests_match(clients, hub, world, tmp_path):
    for args in _task_lines(world, str(tmp_path)):
        theirs = clients.theirs(*args)
        ours = clients.ours(*args)
        rc_t, out_t, err_t = norm(theirs)
        rc_o, out_o, err_o = norm(ours)
        assert (rc_o, TASK_LINE.sub(r'\1N', out_o), err_o) == \
            (rc_t, TASK_LINE.sub(r'\1N', out_t), err_t), show(theirs, ours)
        if '--quiet' in args:
            assert ours.stdout == ''
            continue
        assert _even_uploads(_task_of(hub, ours)) == _even_uploads(_task_of(hub, theirs)), \
            show(theirs, ours)


def test_help_listing_lines_match(clients):
    """`koji help build` describes these commands as upstream's does."""
    theirs = clients.theirs('help', 'build', noauth=True)
    ours = clients.ours('help', 'build', noauth=True)

    def mine(text):
        return [line for line in text.splitlines()
                if line.split() and line.split()[0] in COMMANDS]
    assert len(mine(theirs.stdout)) == len(COMMANDS)
    assert mine(ours.stdout) == mine(theirs.stdout), show(theirs, ours)


def test_vm_policy_denial(clients, world):
    theirs = clients.theirs('win-build', world['target'], 'git://x#1', 'linuxvm')
    ours = clients.ours('win-build', world['target'], 'git://x#1', 'linuxvm')
    assert 'only windows VMs here' in ours.stderr and ours.returncode == 1, show(theirs, ours)
    assert norm(ours) == norm(theirs), show(theirs, ours)
