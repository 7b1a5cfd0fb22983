"""Upstream's 1.36.1 client (its bundled koji_cli_plugins/sidetag_cli.py) and ours, on the
same hub running our sidetag plugin: same exit codes and output."""
import re
import sys

import pytest

from tests.fixtures.cli import PRELOAD
from tests.fixtures.forkcli import fork_cli
from tests.interop.compare import UPSTREAM_PRELOAD, norm, show
from tests.plugins.conftest import CLI_PLUGINS, KOJI

POLICY = {'sidetag': """
    user mallory :: deny
    all :: allow
"""}
SIDE_ID = re.compile(r'-side-\d+')


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['sidetag_hub'], opts={'policy': POLICY}, configs={
        'sidetag.conf': '[sidetag]\nallowed_suffixes = stage\n'})
    server.mallory = server.add_user('mallory')
    admin = server.session()
    admin.createTag('base', arches='x86_64')
    admin.createTag('rich', extra={'sidetag_debuginfo_allowed': True,
                                   'sidetag_rpm_macros_allowed': 'dist'})
    admin.logout()
    return server


class Both(object):
    def __init__(self, upstream, hub, home):
        self.upstream = upstream
        self.hub = hub
        self.env = upstream.env({'HOME': home})

    def run(self, who, *args, user=None, password=None):
        cmd = ['-c', self.hub.config_file, '-p', self.hub.profile, '--authtype', 'password',
               '--user', user or self.hub.admin_user,
               '--password', password or self.hub.admin_password]
        if who == 'theirs':
            server = fork_cli(self.upstream.python, self.upstream.koji, UPSTREAM_PRELOAD,
                              self.env)
        else:
            server = fork_cli(sys.executable, KOJI, PRELOAD, self.env)
            cmd[:0] = ['--plugin-paths', CLI_PLUGINS]
        return server.run(cmd + list(args), env=self.env, cwd='/', timeout=120)

    def same(self, *args, **kw):
        theirs = self.run('theirs', *args, **kw)
        ours = self.run('ours', *args, **kw)

        def even(res):
            # the two side tags get different ids
            rc, out, err = norm(res, usage=True)
            return rc, SIDE_ID.sub('-side-N', out), err
        assert even(ours) == even(theirs), show(theirs, ours)
        return theirs, ours


@pytest.fixture(scope='module')
def both(upstream_koji, hub, tmp_path_factory):
    return Both(upstream_koji, hub, str(tmp_path_factory.mktemp('home')))


def test_add_and_list(both, hub):
    theirs, ours = both.same('add-sidetag', 'base', '--suffix', 'stage')
    assert SIDE_ID.sub('-side-N', ours.stdout) == 'base-side-N-stage\n'
    names = sorted([theirs.stdout.strip(), ours.stdout.strip()])
    theirs, ours = both.same('list-sidetags', '--basetag', 'base')
    assert sorted(ours.stdout.split()) == names
    both.same('list-sidetags', '--user', hub.admin_user, '--basetag', 'rich')
    both.same('add-sidetag', '--quiet', 'rich')


def test_edit_and_remove(both, hub):
    session = hub.session()
    made = {}
    for who in ('theirs', 'ours'):
        made[who] = both.run(who, 'add-sidetag', 'rich').stdout.strip()
        res = both.run(who, 'edit-sidetag', '--debuginfo', '--rpm-macro', 'dist=.x',
                       made[who])
        assert (res.returncode, res.stdout, res.stderr) == (0, '', '')
    extras = [session.getTag(made[who])['extra'] for who in ('theirs', 'ours')]
    assert extras[0] == extras[1]
    assert extras[1]['rpm.macro.dist'] == '.x'
    for who in ('theirs', 'ours'):
        res = both.run(who, 'remove-sidetag', made[who])
        assert (res.returncode, res.stdout, res.stderr) == (0, '', '')
        assert session.getTag(made[who]) is None


@pytest.mark.parametrize('args', [
    ('add-sidetag',),
    ('add-sidetag', 'base', 'more'),
    ('add-sidetag', '--suffix', 'zzz', 'base'),
    ('add-sidetag', 'no-such-tag'),
    ('edit-sidetag', 'base'),
    ('edit-sidetag', '--debuginfo', 'base'),
    ('edit-sidetag',),
    ('list-sidetags', '--mine', '--user', 'x'),
    ('list-sidetags', 'arg'),
    ('list-sidetags', '--user', 'no-such-user'),
    ('remove-sidetag',),
    ('remove-sidetag', 'base'),
    ('remove-sidetag', 'no-such-tag'),
])
def test_errors(both, args):
    theirs, _ = both.same(*args)
    assert theirs.returncode != 0


def test_policy_violation(both, hub):
    theirs, _ = both.same('add-sidetag', 'base', user='mallory', password=hub.mallory)
    assert theirs.returncode == 2
