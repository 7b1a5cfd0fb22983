"""Volume commands (and the channel commands 1.36 dropped): upstream's CLI against ours.

State-changing commands run once per client on twin worlds: volumes and builds whose
names differ only by the world suffix. The volume id add-volume prints is the one value
the hub hands out differently per world, so each script masks it before comparing.
"""
import os
import subprocess

import pytest

from tests.interop.compare import norm, same, show, twin


def masked(res, volume_id):
    """The result with 'with id <volume id>' written as 'with id N'."""
    text = 'with id %i\n' % volume_id
    return subprocess.CompletedProcess(res.args, res.returncode,
                                       res.stdout.replace(text, 'with id N\n'), res.stderr)


def test_add_and_list_volumes(clients, hub, hub_server):
    def script(w):
        name = w.n('vol')
        out = [w.run('add-volume', name)]
        os.makedirs(os.path.join(hub_server.topdir, 'vol', name))
        res = w.run('add-volume', name)
        out.append(masked(res, hub.getVolume(name)['id']))
        out.append(w.run('add-volume', name))
        out.append(w.run('add-volume', 'DEFAULT'))
        out.append(w.run('add-volume', w.n('bad/name')))
        out.append(w.run('add-volume', w.n('anon'), noauth=True))
        return out
    results = twin(clients, script)
    assert results[1][1] == "Added volume vol-WORLD with id N\n"
    listed = same(clients, 'list-volumes', noauth=True).stdout.splitlines()
    assert listed[0] == 'DEFAULT'
    same(clients, 'list-volumes', 'extra', 'args', noauth=True)


def test_set_build_volume(clients, hub, hub_server):
    def script(w):
        vol = w.n('vol')
        os.makedirs(os.path.join(hub_server.topdir, 'vol', vol))
        hub.addVolume(vol)
        builds = []
        for pkg in ('one', 'two', 'three'):
            build_id = hub.createEmptyBuild(w.n(pkg), '1.0', '1', None)
            builds.append(hub.getBuild(build_id)['nvr'])
        builddir = os.path.join(hub_server.topdir, 'packages', w.n('one'), '1.0', '1')
        os.makedirs(builddir)
        with open(os.path.join(builddir, 'marker'), 'w') as fp:
            fp.write('x')
        out = [w.run('set-build-volume', '-v', vol, builds[0])]
        out.append(w.run('set-build-volume', '--verbose', vol, w.n('ghost') + '-1-1',
                         builds[0], builds[1]))
        out.append(w.run('set-build-volume', vol, builds[0], builds[1]))
        out.append(w.run('set-build-volume', w.n('novol'), builds[2]))
        out.append(w.run('set-build-volume', vol, builds[2]))
        out.append(w.run('set-build-volume', '-v', 'DEFAULT', *builds))
        out.append(w.run('set-build-volume', vol, builds[0], noauth=True))
        out.append(w.run('set-build-volume', vol))
        assert os.path.isfile(os.path.join(builddir, 'marker'))
        assert not os.path.islink(builddir)
        return out
    results = twin(clients, script)
    assert results[0][:2] == (0, "one-WORLD-1.0-1: DEFAULT -> vol-WORLD\n")


def test_usage_errors(clients):
    for args in (('add-volume',), ('add-volume', 'a', 'b'), ('set-build-volume',),
                 ('set-build-volume', 'x'), ('set-build-volume', '--bogus', 'x', 'y'),
                 ('list-volumes', '--bogus')):
        same(clients, *args)


@pytest.mark.parametrize('command', ['remove-channel', 'rename-channel'])
def test_dropped_channel_commands(clients, command):
    """1.36's client has neither command; both clients answer with the same error.

    stdout (the command list) is left out: it lists every command either client has.
    """
    theirs = clients.theirs(command, 'somechannel')
    ours = clients.ours(command, 'somechannel')
    assert norm(ours)[::2] == norm(theirs)[::2], show(theirs, ours)
    assert theirs.returncode == 1
    assert theirs.stderr.endswith('[ERROR] koji: Unknown command: %s\n' % command)
