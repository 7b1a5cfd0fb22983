"""build in the foreground of a terminal through upstream's client and ours: the srpm
upload progress bar, and watching by default (no builder runs: the test cancels the
task once the watch has printed its first state, so both watches see the same change).
"""
import os
import re
import subprocess
import sys

import pytest

from tests.fixtures.cli import KOJI, uniq
from tests.fixtures.terminal import Terminal
from tests.cli.test_cli_build_args import HELLO_SPEC

# what differs from run to run: elapsed time, speed, task ids, upload dir
SPEED = re.compile(r'00:00:\d\d( +[\d.]+ \S+) +(- B|[\d.]+ [KMG]?i?B)/sec')
IDS = re.compile(r'(Created task: |taskID=|^)\d+', re.M)


@pytest.fixture(scope='module')
def world(clients, hub, tmp_path_factory):
    base = str(tmp_path_factory.mktemp('srpm'))
    spec = os.path.join(base, 'bt-pkg.spec')
    with open(spec, 'w') as fo:
        fo.write(HELLO_SPEC % 'bt-pkg')
    subprocess.run(['rpmbuild', '-bs', '--define', '_topdir %s' % base, spec], check=True,
                   stdout=subprocess.DEVNULL)
    dest, build, tgt = uniq('bt-dest'), uniq('bt-build'), uniq('bt-tgt')
    hub.createTag(dest)
    hub.createTag(build)
    hub.createBuildTarget(tgt, build, dest)
    return {'srpm': os.path.join(base, 'SRPMS', 'bt-pkg-1.0-1.src.rpm'), 'target': tgt,
            'home': str(tmp_path_factory.mktemp('home'))}


def terminal(clients, world, who, *args):
    python, script = ((clients.upstream.python, clients.upstream.koji) if who == 'theirs'
                      else (sys.executable, KOJI))
    env = clients.upstream.env({'HOME': world['home']})
    return Terminal([python, script] + clients._args(args, False), env=env)


def normal(out):
    return IDS.sub(r'\1N', SPEED.sub(r'00:00:SS\1 SPEED/sec', out))


def test_upload_progress(clients, hub, world):
    outs = {}
    for who in ('theirs', 'ours'):
        rc, out, err = terminal(clients, world, who, 'build', '--nowait', world['target'],
                                world['srpm']).finish()
        assert rc == 0 and err == '', (who, out, err)
        hub.cancelTask(int(out.split('Created task: ')[1].split()[0]))
        outs[who] = normal(out)
    assert outs['ours'] == outs['theirs']
    assert '100% 00:00:SS' in outs['ours']


def test_watch_by_default(clients, hub, world):
    outs = {}
    for who in ('theirs', 'ours'):
        term = terminal(clients, world, who, 'build', world['target'],
                        'git://scm.example.com/bt.git#1')
        # cancelling before the first poll would race it: wait for the 'free' line
        out = term.read_until('/bt.git:1): free')
        hub.cancelTask(int(out.split('Created task: ')[1].split()[0]))
        rc, out, err = term.finish()
        outs[who] = (rc, normal(out), err)
    assert outs['ours'] == outs['theirs']
    assert outs['ours'][0] == 1 and outs['ours'][1].endswith(' was canceled\n')
    assert ': free -> canceled\n' in outs['ours'][1]
