"""Build and rpm commands: upstream's CLI against ours, on one realistic data set.

The data set (tests/interop/builds_world.py) has real imported rpm builds with their
srpms, signatures and a signed copy, an inherited tag chain, typed (maven, win, image)
and draft builds, and buildroots. Every command here only reads, so both clients run on
the same hub state and their output must match exactly (usage help paragraphs aside,
which we word our own way).
"""
import pytest

from tests.interop.builds_world import make_world
from tests.interop.compare import norm, same, same_batch, show


@pytest.fixture(scope='module')
def world(hub, hub_server, rpm_builds, signed_rpms):
    return make_world(hub, hub_server, rpm_builds, signed_rpms)


@pytest.fixture(scope='module')
def values(world, hub, hub_server):
    """What the command templates below may refer to."""
    noarch_rpm = [r for r in world.rpms.values() if r['arch'] == 'noarch'][0]
    event = hub.getEvent(world.tag_event)
    return {
        'br': world.buildroot_id, 'cgbr': world.cg_buildroot_id, 'repo': world.repo_id,
        'ev': world.tag_event, 'ts': int(event['ts']) + 1, 'task': world.task_id,
        'arch_id': world.builds[world.arch.nvr], 'draft_id': world.builds['bw-draft'],
        'rpm_id': noarch_rpm['id'], 'admin': hub_server.admin_user,
    }


def run_same(clients, values, template):
    args = [arg.format(**values) for arg in template]
    return same(clients, *args, noauth=True, usage_extra=True)


BUILDINFO = [
    ('buildinfo', 'kojitest-noarch-1.0-1'),
    ('buildinfo', '--changelog', 'kojitest-arch-2.1-3'),
    ('buildinfo', '--changelog', 'kojitest-noarch-0.9-1'),
    ('buildinfo', '{arch_id}'),
    ('buildinfo', 'bw-image-1-1', 'bw-maven-1-1', 'bw-win-1-1', 'bw-empty-1-1',
     'bw-failed-1-1'),
    ('buildinfo', '{draft_id}'),
    ('buildinfo', 'nosuch-1-1', 'kojitest-noarch-1.0-1', '999999'),
    ('buildinfo', 'not-an-nvr'),
    ('buildinfo',),
]

RPMINFO = [
    ('rpminfo', '--buildroots', 'kojitest-arch-2.1-3.x86_64'),
    ('rpminfo', '--buildroots', 'kojitest-noarch-1.0-1.noarch'),
    ('rpminfo', 'kojitest-noarch-1.0-1.src', 'kojitest-arch-2.1-3.src'),
    ('rpminfo', 'kojitest-arch-2.1-3.src', 'nosuch-1-1.noarch'),
    ('rpminfo', '{rpm_id}'),
    ('rpminfo',),
]

LATEST = [
    ('latest-build', 'bw-leaf', 'kojitest-noarch'),
    ('latest-build', 'bw-leaf', 'kojitest-noarch', 'kojitest-arch', 'bw-image'),
    ('latest-build', '--all', 'bw-leaf'),
    ('latest-build', '--all', '--quiet', '--paths', 'bw-leaf'),
    ('latest-build', '--arch', 'noarch', 'bw-leaf', 'kojitest-noarch'),
    ('latest-build', '--arch', 'x86_64', '--paths', 'bw-leaf', 'kojitest-arch'),
    ('latest-build', '--arch', 'src', '--all', 'bw-leaf'),
    ('latest-build', '--type', 'maven', 'bw-leaf', 'bw-maven'),
    ('latest-build', '--type', 'maven', '--paths', '--all', 'bw-base'),
    ('latest-build', '--type', 'image', '--all', 'bw-leaf'),
    ('latest-pkg', 'bw-mid', 'kojitest-noarch'),
    ('latest-build', 'bw-leaf'),
    ('latest-build',),
    ('latest-build', '--all', 'bw-leaf', 'kojitest-arch'),
    ('latest-build', 'nosuch-tag', 'kojitest-arch'),
]

TAGGED = [
    ('list-tagged', 'bw-leaf'),
    ('list-tagged', 'bw-leaf', '--inherit'),
    ('list-tagged', 'bw-leaf', '--inherit', '--latest'),
    ('list-tagged', 'bw-base', '--latest-n', '1'),
    ('list-tagged', 'bw-leaf', '--inherit', 'kojitest-noarch'),
    ('list-tagged', 'bw-leaf', '--inherit', '--rpms'),
    ('list-tagged', 'bw-leaf', '--inherit', '--arch', 'noarch', '--arch', 'src'),
    ('list-tagged', 'bw-leaf', '--inherit', '--sigs'),
    ('list-tagged', 'bw-leaf', '--inherit', '--sigs', '--paths'),
    ('list-tagged', 'bw-leaf', '--inherit', '--paths'),
    ('list-tagged', 'bw-leaf', '--inherit', '--rpms', '--paths'),
    ('list-tagged', 'bw-base', '--type', 'maven'),
    ('list-tagged', 'bw-base', '--type', 'maven', '--paths', '--quiet'),
    ('list-tagged', 'bw-leaf', '--inherit', '--type', 'image'),
    ('list-tagged', 'bw-base', '--draft-only'),
    ('list-tagged', 'bw-base', '--no-draft', '--quiet'),
    ('list-tagged', 'bw-leaf', '--inherit', '--event', '{ev}'),
    ('list-tagged', 'bw-leaf', '--inherit', '--repo', '{repo}'),
    ('list-tagged', 'bw-leaf', '--ts', '{ts}'),
    ('list-tagged', 'bw-leaf', '--event', '1'),
    ('list-tagged', 'nosuch-tag'),
    ('list-tagged',),
    ('list-tagged', 'bw-leaf', 'a', 'b'),
    ('list-tagged', 'bw-base', '--draft-only', '--no-draft'),
    ('list-tagged', 'bw-base', '--latest-n', 'x'),
]

LIST_BUILDS = [
    ('list-builds', '--prefix', 'bw'),
    ('list-builds', '--package', 'kojitest-noarch'),
    ('list-builds', '--package', 'nosuch'),
    ('list-builds', '--pattern', 'kojitest-*', '-r'),
    ('list-builds', '--state', 'FAILED'),
    ('list-builds', '--state', '1', '--prefix', 'kojitest'),
    ('list-builds', '--state', '9'),
    ('list-builds', '--state', 'BOGUS'),
    ('list-builds', '--owner', '{admin}', '-k', 'state', '-k', 'owner_name'),
    ('list-builds', '--owner', 'nosuch'),
    ('list-builds', '--volume', 'DEFAULT', '--quiet'),
    ('list-builds', '--volume', '0', '--prefix', 'kojitest'),
    ('list-builds', '--volume', 'nosuch'),
    ('list-builds', '--type', 'maven'),
    ('list-builds', '--type', 'image'),
    ('list-builds', '--type', 'win'),
    ('list-builds', '--buildid', 'kojitest-arch-2.1-3'),
    ('list-builds', '--buildid', '{arch_id}'),
    ('list-builds', '--buildid', 'nosuch-1-1'),
    ('list-builds', '--draft-only', '--prefix', 'bw'),
    ('list-builds', '--no-draft', '--prefix', 'bw', '-k', 'state', '-r'),
    ('list-builds', '--draft-only', '--no-draft'),
    ('list-builds', '-k', 'bogus', '--prefix', 'kojitest'),
    ('list-builds', '--task', 'abc'),
    ('list-builds', '--task', '{task}'),
    ('list-builds', '--source', 'git+https*'),
    ('list-builds', '--after', '2000-01-01', '--prefix', 'kojitest'),
    ('list-builds', '--before', '2000-01-01 10:00', '--prefix', 'kojitest'),
    ('list-builds', '--before', 'not a time'),
    ('list-builds', '--cg', 'bw-cg'),
    ('list-builds',),
    ('list-builds', 'extra'),
]

UNTAGGED = [
    ('list-untagged',),
    ('list-untagged', '--paths'),
    ('list-untagged', '--show-references'),
    ('list-untagged', '--show-references', '--paths', 'bw-empty'),
    ('list-untagged', 'kojitest-noarch'),
    ('list-untagged', 'nosuch'),
    ('list-untagged', 'a', 'b'),
]

BUILDROOT = [
    ('list-buildroot', '{br}'),
    ('list-buildroot', '-v', '{br}'),
    ('list-buildroot', '--built', '{br}'),
    ('list-buildroot', '--built', '--verbose', '{cgbr}'),
    ('list-buildroot', '{cgbr}'),
    ('list-buildroot', '999999'),
    ('list-buildroot',),
    ('list-buildroot', 'abc'),
]

SEARCH = [
    ('search', 'build', 'kojitest*'),
    ('search', 'rpm', 'kojitest-noarch*'),
    ('search', 'package', '-r', '^bw-(maven|win)$'),
    ('search', 'tag', '--exact', 'bw-mid'),
    ('search', 'host', 'bw-*'),
    ('search', 'user', '{admin}'),
    ('search', 'bogus', 'x'),
    ('search', 'build'),
    ('search',),
]

ALL = BUILDINFO + RPMINFO + LATEST + TAGGED + LIST_BUILDS + UNTAGGED + BUILDROOT + SEARCH


@pytest.fixture(scope='module')
def batch(clients, values):
    """Every command line of ALL through both clients, one process per client."""
    return same_batch(clients, [[arg.format(**values) for arg in t] for t in ALL],
                      noauth=True)


@pytest.mark.parametrize('template', ALL, ids=[' '.join(t) for t in ALL])
def test_same_output(batch, values, template):
    theirs, ours = batch[tuple(arg.format(**values) for arg in template)]
    assert norm(ours, usage_extra=True) == norm(theirs, usage_extra=True), show(theirs, ours)


def test_data_set_is_rich(clients, values, world):
    """The comparisons above only mean something if the commands show real content."""
    res = run_same(clients, values, ('buildinfo', '--changelog', world.arch.nvr))
    assert 'Signatures: %s' % world.sigkey in res.stdout
    assert '* Tue Feb 04 2025 Koji Tester <kojitest@example.com> - 2.1-3' in res.stdout
    assert 'Task: %d sleep (noarch)' % world.task_id in res.stdout
    res = run_same(clients, values, ('list-tagged', 'bw-leaf', '--inherit', '--sigs',
                                     '--paths'))
    assert '/data/signed/%s/noarch/' % world.sigkey in res.stdout
    res = run_same(clients, values, ('rpminfo', '--buildroots', 'kojitest-noarch-1.0-1.noarch'))
    assert 'Content generator: bw-cg' in res.stdout
    assert 'Used in 1 buildroots:' in res.stdout


def test_anonymous_and_logged_in_agree(clients, values):
    """--force-auth logs in first; the output stays the same for both clients."""
    args = ('--force-auth', 'buildinfo', 'kojitest-noarch-1.0-1')
    theirs = clients.theirs(*args)
    ours = clients.ours(*args)
    assert norm(ours) == norm(theirs), show(theirs, ours)
    assert theirs.returncode == 0
