"""add-volume, list-volumes and set-build-volume against the real hub and its KojiDir."""
import os
import re

import pytest

from tests.fixtures.cli import LOG_ERROR, uniq

USAGE_TAIL = "(Specify the --help global option for a list of other help options)\n\n"


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ''
    return res.stdout


@pytest.fixture(scope='module')
def voldir(hub_server):
    """Make <topdir>/vol/<name>, the step an admin takes before add-volume."""
    def make(name):
        path = os.path.join(hub_server.topdir, 'vol', name)
        os.makedirs(path)
        return path
    return make


@pytest.fixture(scope='module')
def plain_user(cli, sql):
    """A user without permissions, with a password the CLI can log in with."""
    name = uniq('volu')
    ok(cli('add-user', name))
    sql('UPDATE users SET password = %s WHERE name = %s', 'pw', name)
    return name


def new_build(hub, hub_server, with_file=True):
    """A COMPLETE build on DEFAULT, optionally with a file in its directory."""
    name = uniq('volpkg')
    build_id = hub.createEmptyBuild(name, '1.0', '1', None)
    binfo = hub.getBuild(build_id)
    if with_file:
        path = os.path.join(hub_server.topdir, 'packages', name, '1.0', '1', 'noarch')
        os.makedirs(path)
        with open(os.path.join(path, '%s-1.0-1.noarch.rpm' % name), 'w') as fp:
            fp.write('not really an rpm')
    return binfo


def test_add_and_list_volumes(cli, hub, voldir):
    name = uniq('vol')
    path = voldir(name)
    out = ok(cli('add-volume', name))
    info = hub.getVolume(name)
    assert out == "Added volume %s with id %i\n" % (name, info['id'])
    assert os.path.islink(os.path.join(path, 'toplink'))
    listed = ok(cli('list-volumes', auth=False)).splitlines()
    assert listed[0] == 'DEFAULT' and name in listed
    assert listed == [v['name'] for v in hub.listVolumes()]
    # arguments are ignored, as upstream's parser does
    assert ok(cli('list-volumes', 'whatever', auth=False)).splitlines() == listed

    res = cli('add-volume', name)
    assert (res.returncode, res.stdout, res.stderr) == \
        (1, '', "Volume %s already exists\n" % name)


def test_add_volume_errors(cli, voldir, plain_user):
    for args in ((), ('a', 'b')):
        res = cli('add-volume', *args)
        assert res.returncode == 2
        assert res.stderr == ("Usage: koji add-volume <volume-name>\n" + USAGE_TAIL +
                              "koji: error: Command requires exactly one volume-name.\n")
    missing = uniq('novol')
    res = cli('add-volume', missing)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: please create the volume directory first',
                    res.stderr), res.stderr
    name = uniq('vol')
    voldir(name)
    res = cli('add-volume', name, user=plain_user, password='pw')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'ActionNotAllowed: ', res.stderr), res.stderr


def test_set_build_volume_moves_files(cli, hub, hub_server, voldir):
    name = uniq('vol')
    voldir(name)
    vol = hub.addVolume(name)
    binfo = new_build(hub, hub_server)
    out = ok(cli('set-build-volume', '-v', name, binfo['nvr']))
    assert out == "%s: DEFAULT -> %s\n" % (binfo['nvr'], name)
    moved = hub.getBuild(binfo['id'])
    assert (moved['volume_id'], moved['volume_name']) == (vol['id'], name)
    rpm = os.path.join('noarch', '%s-1.0-1.noarch.rpm' % binfo['name'])
    newdir = os.path.join(hub_server.topdir, 'vol', name, 'packages', binfo['name'], '1.0',
                          '1')
    assert os.path.isfile(os.path.join(newdir, rpm))
    olddir = os.path.join(hub_server.topdir, 'packages', binfo['name'], '1.0', '1')
    assert os.path.islink(olddir)
    assert os.path.realpath(olddir) == os.path.realpath(newdir)

    # quiet without -v; back home replaces the symlink with the directory
    assert ok(cli('set-build-volume', 'DEFAULT', binfo['nvr'])) == ''
    assert hub.getBuild(binfo['id'])['volume_name'] == 'DEFAULT'
    assert not os.path.islink(olddir) and os.path.isfile(os.path.join(olddir, rpm))


def test_set_build_volume_reports(cli, hub, hub_server, voldir):
    name = uniq('vol')
    voldir(name)
    hub.addVolume(name)
    there = new_build(hub, hub_server, with_file=False)
    hub.changeBuildVolume(there['id'], name)
    todo = new_build(hub, hub_server, with_file=False)
    missing = uniq('nobuild') + '-1-1'
    res = cli('set-build-volume', '--verbose', name, missing, there['nvr'], todo['nvr'])
    assert (res.returncode, res.stderr) == (0, '')
    assert res.stdout == ("No such build: %s\n"
                          "Build %s already on volume %s\n"
                          "%s: DEFAULT -> %s\n" % (missing, there['nvr'], name, todo['nvr'],
                                                   name))
    res = cli('set-build-volume', name, missing, there['nvr'])
    assert res.returncode == 1
    assert res.stdout == ("No such build: %s\nBuild %s already on volume %s\n"
                          % (missing, there['nvr'], name))
    assert res.stderr == "No builds to move\n"


def test_set_build_volume_errors(cli, hub, hub_server, voldir, plain_user, sql):
    res = cli('set-build-volume', 'DEFAULT')
    assert res.returncode == 2
    assert res.stderr == ("Usage: koji set-build-volume <volume> <n-v-r> [<n-v-r> ...]\n" +
                          USAGE_TAIL +
                          "koji: error: You must provide a volume and at least one build\n")
    binfo = new_build(hub, hub_server, with_file=False)
    novol = uniq('novol')
    res = cli('set-build-volume', novol, binfo['nvr'])
    assert (res.returncode, res.stdout, res.stderr) == (1, '', "No such volume: %s\n" % novol)
    name = uniq('vol')
    voldir(name)
    hub.addVolume(name)
    res = cli('set-build-volume', name, binfo['nvr'], user=plain_user, password='pw')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'ActionNotAllowed: ', res.stderr), res.stderr
    assert hub.getBuild(binfo['id'])['volume_name'] == 'DEFAULT'
    # only complete or deleted builds move; the hub's fault ends the command
    sql('UPDATE build SET state = 3 WHERE id = %s', binfo['id'])
    res = cli('set-build-volume', name, binfo['nvr'])
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: Build %s is FAILED' % binfo['nvr'],
                    res.stderr), res.stderr
    assert hub.getBuild(binfo['id'])['volume_name'] == 'DEFAULT'


def test_help(cli):
    out = ok(cli('set-build-volume', '--help'))
    assert out.startswith("Usage: koji set-build-volume <volume> <n-v-r> [<n-v-r> ...]\n")
    assert '-v, --verbose' in out
    assert ok(cli('list-volumes', '-h', auth=False)).startswith("Usage: koji list-volumes\n")
