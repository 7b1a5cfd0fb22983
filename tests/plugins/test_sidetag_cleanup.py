"""util/koji-sidetag-cleanup against a real hub with the sidetag plugin.

Ages come from the hub's events: a side tag is made "N days old" by moving the time of the
event that created its config (or tagged its build) back.
"""
import os
import re
import subprocess
import sys

import pytest

from tests.plugins.conftest import ROOT

SCRIPT = os.path.join(ROOT, 'util', 'koji-sidetag-cleanup')
AGE = r'\(\d+ days?, \d+:\d\d:\d\d(\.\d+)?\)'


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['sidetag_hub'])
    admin = server.session()
    admin.createTag('base')
    admin.packageListAdd('base', 'pkg', owner=server.admin_user)
    admin.logout()
    return server


def make_sidetag(hub, days_old=0, tagged_days_ago=None):
    """A side tag made days_old ago, optionally with a build tagged tagged_days_ago."""
    session = hub.session()
    tag = session.createSideTag('base')
    hub.sql("UPDATE events SET time = time - %s * interval '1 day' WHERE id = "
            "(SELECT create_event FROM tag_config WHERE tag_id = %s AND active)",
            days_old, tag['id'])
    if tagged_days_ago is not None:
        build_id = session.createEmptyBuild('pkg', '1', str(tag['id']), None)
        session.tagBuildBypass(tag['id'], build_id)
        hub.sql("UPDATE events SET time = time - %s * interval '1 day' WHERE id = "
                "(SELECT create_event FROM tag_listing WHERE tag_id = %s AND active)",
                tagged_days_ago, tag['id'])
    return tag['name']


def run(hub, *args, login=True, config=None):
    cmd = [sys.executable, SCRIPT, '--server', hub.url]
    if login:
        cmd += ['--user', hub.admin_user, '--password', hub.admin_password]
    if config:
        cmd += ['--config', config]
    return subprocess.run(cmd + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)


def existing(hub, names):
    session = hub.session()
    return {name for name in names if session.getTag(name)}


@pytest.fixture
def world(hub):
    """Remove every side tag first, so each test sees only its own."""
    session = hub.session()
    for tag in session.listSideTags():
        session.removeSideTag(tag['id'])
    return {
        'empty_old': make_sidetag(hub, days_old=2),
        'empty_new': make_sidetag(hub),
        'full_old': make_sidetag(hub, days_old=40, tagged_days_ago=1),
        'idle': make_sidetag(hub, days_old=20, tagged_days_ago=15),
        'busy': make_sidetag(hub, days_old=5, tagged_days_ago=1),
    }


def lines(res):
    return [re.sub(AGE, '(AGE)', line) for line in res.stdout.splitlines()]


def test_test_mode_only_prints(hub, world):
    res = run(hub, '--test')
    assert res.returncode == 0, res.stderr
    assert lines(res) == ['no config file',
                          '[empty] %s (AGE)' % world['empty_old'],
                          '[old] %s (AGE)' % world['full_old'],
                          '[inactive] %s (AGE)' % world['idle']]
    assert existing(hub, world.values()) == set(world.values())


def test_removes(hub, world):
    res = run(hub)
    assert res.returncode == 0, res.stderr
    assert len(lines(res)) == 4
    assert existing(hub, world.values()) == {world['empty_new'], world['busy']}


def test_delays_and_switches(hub, world):
    res = run(hub, '--no-empty', '--no-inactive', '--old-delay', '10', '--test')
    assert lines(res)[1:] == ['[old] %s (AGE)' % world['full_old'],
                              '[old] %s (AGE)' % world['idle']]
    res = run(hub, '--no-old', '--empty-delay', '3', '--inactive-delay', '0', '--test')
    # empty_old is only 2 days old now; busy was tagged a day ago
    assert lines(res)[1:] == ['[inactive] %s (AGE)' % world['full_old'],
                              '[inactive] %s (AGE)' % world['idle'],
                              '[inactive] %s (AGE)' % world['busy']]
    res = run(hub, '--no-old', '--no-empty', '--no-inactive')
    assert lines(res) == ['no config file']
    assert existing(hub, world.values()) == set(world.values())


def test_config_file(hub, world, tmp_path):
    conf = tmp_path / 'gc.conf'
    conf.write_text('[main]\nserver = %s\nuser = %s\npassword = %s\n'
                    % (hub.url, hub.admin_user, hub.admin_password))
    res = subprocess.run([sys.executable, SCRIPT, '-c', str(conf), '--no-old',
                          '--no-inactive', '--debug'],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert "Using option ('main', 'server') from config file" in out
    assert 'successfully connected to hub' in out
    assert existing(hub, world.values()) == set(world.values()) - {world['empty_old']}


def test_errors(hub, tmp_path):
    res = run(hub, config=str(tmp_path / 'missing.conf'))
    assert res.returncode == 2
    assert 'error: No such file: %s' % (tmp_path / 'missing.conf') in res.stderr
    res = run(hub, login=False)
    assert res.returncode == 1
    assert res.stderr.endswith(
        'ERROR: unable to log in, no authentication methods available\n')
    # anonymous: the listing works, the removals are refused (and not reported)
    name = make_sidetag(hub, days_old=3)
    res = run(hub, '--noauth', login=False)
    assert res.returncode == 0
    assert '[empty] %s' % name in res.stdout
    assert existing(hub, [name]) == {name}


def test_accepted_options(hub, world):
    # --ignore-tags is accepted but (as upstream's) not used
    res = run(hub, '--test', '--ignore-tags', 'base-side-*', '--debug-xmlrpc')
    assert res.returncode == 0, res.stderr
    assert '[empty] %s' % world['empty_old'] in res.stdout
    # a cert that does not exist: the password login is used
    res = run(hub, '--test', '--cert', '/nonexistent/client.crt', '--serverca', '/x.crt',
              '--no-old', '--no-inactive')
    assert res.returncode == 0, res.stderr
    # a keytab alone (no principal) is no login method
    res = run(hub, '--keytab', '/nonexistent.keytab', login=False)
    assert res.returncode == 1
    assert res.stderr.endswith(
        'ERROR: unable to log in, no authentication methods available\n')
    assert existing(hub, world.values()) == set(world.values())
