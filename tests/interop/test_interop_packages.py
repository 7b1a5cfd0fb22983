"""Package list, comps group and external repo commands: upstream's CLI against ours.

Read-only commands run through both clients on the same hub state. A command that
changes state runs once per client on two twin worlds built the same way (their names
differ only by a suffix of equal length), and the outputs are compared after the suffix
is replaced; ids the hub hands out are the only other thing normalized.
"""
import re

import pytest

from tests.interop.compare import norm, same_batch, show, suffix


def has_external_repos(hub):
    return 'createExternalRepo' in hub.system.listMethods()


def make_world(hub, s, erepos=False):
    """Two tags (child inherits parent), an owner, package entries, groups, repos."""
    hub.createTag('ip-parent-%s' % s)
    hub.createTag('ip-child-%s' % s, parent='ip-parent-%s' % s)
    owner = 'ip-owner-%s' % s
    hub.createUser(owner)
    for pkg in ('alpha', 'beta', 'gamma'):
        hub.packageListAdd('ip-parent-%s' % s, 'ip-%s-%s' % (pkg, s), owner)
    hub.packageListAdd('ip-child-%s' % s, 'ip-delta-%s' % s, owner, extra_arches='x86_64 ppc64le')
    hub.packageListBlock('ip-child-%s' % s, 'ip-gamma-%s' % s)
    hub.groupListAdd('ip-parent-%s' % s, 'build', display_name='Build %s' % s,
                     description='buildroot', is_default=True)
    hub.groupListAdd('ip-parent-%s' % s, 'srpm-build')
    hub.groupListAdd('ip-parent-%s' % s, 'extras')
    for pkg in ('bash', 'coreutils', 'rpm-build'):
        hub.groupPackageListAdd('ip-parent-%s' % s, 'build', pkg)
    hub.groupPackageListAdd('ip-parent-%s' % s, 'srpm-build', 'rpm-build', type='mandatory')
    hub.groupPackageListAdd('ip-child-%s' % s, 'srpm-build', 'git', basearchonly=True)
    hub.groupReqListAdd('ip-parent-%s' % s, 'build', 'srpm-build')
    hub.groupListBlock('ip-child-%s' % s, 'extras')
    hub.groupPackageListBlock('ip-child-%s' % s, 'build', 'coreutils')
    if erepos:
        hub.createExternalRepo('ip-repo1-%s' % s, 'http://example.com/%s/one/' % s)
        hub.createExternalRepo('ip-repo2-%s' % s, 'http://example.com/%s/two/' % s)
        hub.addExternalRepoToTag('ip-parent-%s' % s, 'ip-repo1-%s' % s, 5)
        hub.addExternalRepoToTag('ip-child-%s' % s, 'ip-repo2-%s' % s, 10,
                                 merge_mode='simple')
    return s


@pytest.fixture(scope='module')
def shared(hub):
    """A world both clients only read."""
    return make_world(hub, suffix(), erepos=has_external_repos(hub))


def make_worlds(hub, count, erepos=False):
    """``count`` fresh worlds, built in a few multicalls rather than call by call."""
    worlds = [suffix() for _ in range(count)]
    with hub.multicall(strict=True, batch=1000) as m:
        for s in worlds:
            make_world(m, s, erepos)
    return worlds


def write_batch(clients, hub, templates, erepos):
    """{template: ((theirs world, ours world), theirs, ours)}.

    Each command line gets a twin pair of fresh worlds; all of upstream's lines run in
    one process, all of ours in another (their worlds are disjoint, so the lines cannot
    disturb each other).
    """
    worlds = make_worlds(hub, 2 * len(templates), erepos)
    pairs = list(zip(worlds[::2], worlds[1::2]))
    theirs = clients.run_batch('theirs', [[arg.format(s=a) for arg in t]
                                          for t, (a, b) in zip(templates, pairs)])
    ours = clients.run_batch('ours', [[arg.format(s=b) for arg in t]
                                      for t, (a, b) in zip(templates, pairs)])
    return {tuple(t): item for t, item in zip(templates, zip(pairs, theirs, ours))}


def same_written(pair, theirs, ours, ids=False):
    """Outputs of one command line on its twin worlds, equal once the suffix is evened."""
    (a, b) = pair
    t = norm(theirs, replace=[(a, 'S')], usage_extra=True)
    o = norm(ours, replace=[(b, 'S')], usage_extra=True)
    if ids:
        t, o = [tuple(re.sub(r'\d+', 'N', x) if isinstance(x, str) else x for x in r)
                for r in (t, o)]
    assert o == t, show(theirs, ours)


def same_read(clients, *args, noauth=True):
    """Run a read-only command through both clients and expect identical results."""
    theirs = clients.theirs(*args, noauth=noauth)
    ours = clients.ours(*args, noauth=noauth)
    assert norm(ours, usage_extra=True) == norm(theirs, usage_extra=True), show(theirs, ours)
    return theirs


READS = [
    ('list-pkgs', '--tag', 'ip-child-{s}'),
    ('list-pkgs', '--tag', 'ip-child-{s}', '--show-blocked'),
    ('list-pkgs', '--tag', 'ip-child-{s}', '--noinherit', '--quiet'),
    ('list-pkgs', '--tag', 'ip-child-{s}', '--show-dups'),
    ('list-pkgs', '--owner', 'ip-owner-{s}'),
    ('list-pkgs', '--owner', 'ip-owner-{s}', '--show-blocked'),
    ('list-pkgs', '--package', 'ip-gamma-{s}', '--show-blocked'),
    ('list-pkgs', '--package', 'ip-nothing-{s}'),
    ('list-pkgs', '--tag', 'ip-nothing-{s}'),
    ('list-pkgs', '--owner', 'ip-nobody-{s}'),
    ('list-pkgs', '--show-blocked'),
    ('list-pkgs', 'extra-arg'),
    ('list-groups', 'ip-child-{s}'),
    ('list-groups', 'ip-child-{s}', '--show-blocked'),
    ('list-groups', 'ip-child-{s}', 'build'),
    ('list-groups', 'ip-parent-{s}'),
    ('list-groups',),
    ('show-groups', 'ip-child-{s}'),
    ('show-groups', '--show-blocked', 'ip-child-{s}'),
    ('show-groups', '--comps', 'ip-child-{s}'),
    ('show-groups', '--comps', '-x', 'ip-parent-{s}'),
    ('show-groups', '--spec', 'ip-parent-{s}'),
    ('show-groups', '--spec', '--show-blocked', 'ip-parent-{s}'),
    ('show-groups',),
]


@pytest.fixture(scope='module')
def read_batch(clients, shared, hub):
    """READS and ERREPO_READS through both clients, one process per client."""
    templates = READS + (ERREPO_READS if has_external_repos(hub) else [])
    return same_batch(clients, [[arg.format(s=shared) for arg in t] for t in templates],
                      noauth=True)


def check_batch(batch, shared, template):
    theirs, ours = batch[tuple(arg.format(s=shared) for arg in template)]
    assert norm(ours, usage_extra=True) == norm(theirs, usage_extra=True), show(theirs, ours)


@pytest.mark.parametrize('template', READS, ids=[' '.join(t) for t in READS])
def test_read_commands(read_batch, shared, template):
    check_batch(read_batch, shared, template)


def test_list_pkgs_all_and_events(clients, shared, hub):
    res = same_read(clients, 'list-pkgs', '--quiet')
    assert 'ip-alpha-%s\n' % shared in res.stdout
    if 'getLastEvent' not in hub.system.listMethods():
        pytest.skip('the hub does not export the event calls yet')
    event = hub.getLastEvent()['id']
    res = same_read(clients, 'list-pkgs', '--tag', 'ip-child-%s' % shared,
                    '--event', str(event))
    assert res.stdout.startswith('Querying at event %d (' % event)
    same_read(clients, 'list-groups', 'ip-child-%s' % shared, '--event', str(event))


ERREPO_READS = [
    ('list-external-repos',),
    ('list-external-repos', '--name', 'ip-repo1-{s}'),
    ('list-external-repos', '--url', 'http://example.com/{s}/two/'),
    ('list-external-repos', '--tag', 'ip-child-{s}'),
    ('list-external-repos', '--tag', 'ip-child-{s}', '--inherit'),
    ('list-external-repos', '--tag', 'ip-child-{s}', '--inherit', '--name', 'x'),
    ('list-external-repos', '--used', '--name', 'ip-repo1-{s}', '--quiet'),
    ('list-external-repos', '--used'),
    ('list-external-repos', 'extra'),
]


@pytest.mark.parametrize('template', ERREPO_READS, ids=[' '.join(t) for t in ERREPO_READS])
def test_external_repo_reads(read_batch, shared, hub, template):
    if not has_external_repos(hub):
        pytest.skip('the hub does not export the external repo calls yet')
    check_batch(read_batch, shared, template)


WRITES = [
    ('add-pkg', '--owner', 'ip-owner-{s}', 'ip-child-{s}', 'ip-new1-{s}', 'ip-delta-{s}'),
    ('add-pkg', '--owner', 'ip-owner-{s}', '--extra-arches', 'i686,s390x', 'ip-child-{s}',
     'ip-new1-{s}'),
    ('add-pkg', '--owner', 'ip-nobody-{s}', 'ip-child-{s}', 'ip-new1-{s}'),
    ('add-pkg', 'ip-child-{s}', 'ip-new1-{s}'),
    ('add-pkg', '--owner', 'ip-owner-{s}', 'ip-nothing-{s}', 'ip-new1-{s}'),
    ('add-pkg', '--owner', 'ip-owner-{s}', 'ip-child-{s}'),
    ('block-pkg', 'ip-child-{s}', 'ip-alpha-{s}', 'ip-delta-{s}'),
    ('block-pkg', 'ip-child-{s}', 'ip-nope1-{s}', 'ip-alpha-{s}', 'ip-nope2-{s}'),
    ('block-pkg', 'ip-nothing-{s}', 'ip-alpha-{s}'),
    ('block-pkg', 'ip-child-{s}'),
    ('remove-pkg', 'ip-child-{s}', 'ip-delta-{s}'),
    ('remove-pkg', 'ip-child-{s}', 'ip-alpha-{s}'),
    ('remove-pkg', 'ip-child-{s}'),
    ('unblock-pkg', 'ip-child-{s}', 'ip-gamma-{s}'),
    ('unblock-pkg', 'ip-child-{s}', 'ip-alpha-{s}'),
    ('unblock-pkg', 'ip-child-{s}'),
    ('set-pkg-arches', 'x86_64,aarch64', 'ip-parent-{s}', 'ip-alpha-{s}', 'ip-beta-{s}'),
    ('set-pkg-arches', 'x86_64', 'ip-child-{s}'),
    ('set-pkg-owner', 'kojiadmin', 'ip-parent-{s}', 'ip-alpha-{s}'),
    ('set-pkg-owner', 'kojiadmin', 'ip-parent-{s}'),
    ('set-pkg-owner-global', '--verbose', 'kojiadmin', 'ip-alpha-{s}', 'ip-beta-{s}'),
    ('set-pkg-owner-global', '--test', 'kojiadmin', 'ip-alpha-{s}', 'ip-none-{s}'),
    ('set-pkg-owner-global', '--verbose', 'ip-owner-{s}', 'ip-alpha-{s}', 'ip-delta-{s}'),
    ('set-pkg-owner-global', '--verbose', '--from', 'ip-owner-{s}', 'kojiadmin'),
    ('set-pkg-owner-global', 'ip-nobody-{s}', 'ip-alpha-{s}'),
    ('set-pkg-owner-global', 'kojiadmin'),
    ('add-group', 'ip-child-{s}', 'newgroup'),
    ('add-group', 'ip-parent-{s}', 'build'),
    ('add-group', 'ip-nothing-{s}', 'build'),
    ('add-group', 'ip-child-{s}'),
    ('block-group', 'ip-child-{s}', 'build'),
    ('block-group', 'ip-child-{s}', 'extras'),
    ('block-group', 'ip-child-{s}', 'nosuch'),
    ('remove-group', 'ip-parent-{s}', 'build'),
    ('remove-group', 'ip-child-{s}', 'build'),
    ('remove-group', 'ip-child-{s}', 'extras'),
    ('remove-group', 'ip-child-{s}', 'nosuch'),
    ('unblock-group', 'ip-child-{s}', 'extras'),
    ('unblock-group', 'ip-child-{s}'),
    ('add-group-pkg', 'ip-child-{s}', 'build', 'vim', 'zsh'),
    ('add-group-pkg', 'ip-child-{s}', 'build'),
    ('block-group-pkg', 'ip-child-{s}', 'build', 'bash'),
    ('block-group-pkg', 'ip-child-{s}', 'build'),
    ('unblock-group-pkg', 'ip-child-{s}', 'build', 'coreutils'),
    ('unblock-group-pkg', 'ip-child-{s}', 'build'),
    ('remove-group-pkg', 'ip-parent-{s}', 'build', 'bash', 'coreutils'),
    ('remove-group-pkg', 'ip-child-{s}', 'build', 'bash', 'coreutils', 'nosuch'),
    ('remove-group-pkg', 'ip-child-{s}', 'nosuch', 'bash'),
    ('remove-group-pkg', 'ip-child-{s}', 'build'),
    ('add-group-req', 'ip-parent-{s}', 'srpm-build', 'extras'),
    ('add-group-req', 'ip-parent-{s}', 'srpm-build'),
    ('block-group-req', 'ip-child-{s}', 'build', 'srpm-build'),
    ('block-group-req', 'ip-child-{s}', 'build'),
    ('unblock-group-req', 'ip-child-{s}', 'build'),
    ('remove-group-req', 'ip-parent-{s}', 'build', 'srpm-build'),
    ('remove-group-req', 'ip-child-{s}', 'build', 'srpm-build', 'nosuch'),
    ('remove-group-req', 'ip-child-{s}', 'build'),
    ('import-comps', 'nofile', 'ip-nothing-{s}'),
    ('import-comps', 'nofile'),
]


@pytest.fixture(scope='module')
def writes(clients, hub):
    return write_batch(clients, hub, WRITES, has_external_repos(hub))


@pytest.mark.parametrize('template', WRITES, ids=[' '.join(t) for t in WRITES])
def test_write_commands(writes, hub, template):
    pair, theirs, ours = writes[template]
    same_written(pair, theirs, ours)
    # and the hub state they leave behind matches too
    assert world_state(hub, pair[1]) == world_state(hub, pair[0])


def world_state(hub, s):
    """Package lists and groups of a world, without ids and the suffix."""
    state = []
    for tag in ('ip-parent-%s' % s, 'ip-child-%s' % s):
        pkgs = hub.listPackages(tagID=tag, inherited=True, with_blocked=True)
        state.append(sorted((p['package_name'], p['tag_name'], p['extra_arches'],
                             p['owner_name'], p['blocked']) for p in pkgs))
        groups = hub.getTagGroups(tag, incl_blocked=True)
        state.append(sorted(
            (g['name'], g['blocked'], g['display_name'],
             sorted((p['package'], p['blocked'], p['type']) for p in g['packagelist']),
             sorted((r['name'], r['blocked']) for r in g['grouplist']))
            for g in groups))
        if has_external_repos(hub):
            state.append([(r['external_repo_name'], r['url'], r['priority'], r['merge_mode'],
                           r['arches']) for r in hub.getExternalRepoList(tag)])
    return repr(state).replace(s, 'S')


ERREPO_WRITES = [
    ('add-external-repo', 'ip-repo3-{s}', 'http://example.com/{s}/three/'),
    ('add-external-repo', '-t', 'ip-parent-{s}', '-t', 'ip-child-{s}::33', 'ip-repo3-{s}',
     'http://example.com/{s}/three/'),
    ('add-external-repo', '-t', 'ip-child-{s}', '-m', 'bare', '-a', 'x86_64,i686',
     'ip-repo1-{s}'),
    ('add-external-repo', '-t', 'ip-child-{s}::auto', '-p', '40', 'ip-repo1-{s}'),
    ('add-external-repo', '-t', 'ip-child-{s}::x', 'ip-repo1-{s}'),
    ('add-external-repo', '-m', 'weird', '-t', 'ip-child-{s}', 'ip-repo1-{s}'),
    ('add-external-repo', '-m', 'simple', 'ip-repo1-{s}'),
    ('add-external-repo', 'ip-repo1-{s}'),
    ('add-external-repo', 'ip-nothing-{s}'),
    ('add-external-repo',),
    ('edit-external-repo', '--url', 'http://example.com/{s}/new/', 'ip-repo1-{s}'),
    ('edit-external-repo', '--name', 'ip-repo9-{s}', 'ip-repo1-{s}'),
    ('edit-external-repo', '-t', 'ip-child-{s}', '-p', '12', '-m', 'bare', 'ip-repo2-{s}'),
    ('edit-external-repo', '-t', 'ip-child-{s}', 'ip-repo2-{s}'),
    ('edit-external-repo', '-p', '12', 'ip-repo2-{s}'),
    ('edit-external-repo', '-m', 'bare', 'ip-repo2-{s}'),
    ('edit-external-repo', 'ip-repo2-{s}'),
    ('edit-external-repo',),
    ('remove-external-repo', 'ip-repo1-{s}'),
    ('remove-external-repo', '--force', 'ip-repo1-{s}'),
    ('remove-external-repo', 'ip-repo1-{s}', 'ip-parent-{s}', 'ip-child-{s}'),
    ('remove-external-repo', '--alltags', 'ip-repo2-{s}'),
    ('remove-external-repo', '--alltags', 'ip-repo2-{s}', 'ip-child-{s}'),
    ('remove-external-repo',),
]


@pytest.fixture(scope='module')
def erepo_writes(clients, hub):
    if not has_external_repos(hub):
        pytest.skip('the hub does not export the external repo calls yet')
    return write_batch(clients, hub, ERREPO_WRITES, True)


@pytest.mark.parametrize('template', ERREPO_WRITES, ids=[' '.join(t) for t in ERREPO_WRITES])
def test_external_repo_writes(erepo_writes, hub, template):
    pair, theirs, ours = erepo_writes[template]
    same_written(pair, theirs, ours, ids=True)
    assert world_state(hub, pair[1]) == world_state(hub, pair[0])


def test_remove_external_repo_unused_alltags(clients, hub):
    if not has_external_repos(hub):
        pytest.skip('the hub does not export the external repo calls yet')
    pair = suffix(), suffix()
    for s in pair:
        hub.createExternalRepo('ip-lone-%s' % s, 'http://example.com/%s/' % s)
    args = ('remove-external-repo', '--alltags', 'ip-lone-%s')
    same_written(pair, clients.theirs(*[a.replace('%s', pair[0]) for a in args]),
                 clients.ours(*[a.replace('%s', pair[1]) for a in args]))


COMMANDS = ['add-pkg', 'remove-pkg', 'block-pkg', 'unblock-pkg', 'set-pkg-arches',
            'set-pkg-owner', 'set-pkg-owner-global', 'list-pkgs', 'add-group', 'remove-group',
            'block-group', 'unblock-group', 'add-group-pkg', 'block-group-pkg',
            'unblock-group-pkg', 'remove-group-pkg', 'add-group-req', 'block-group-req',
            'unblock-group-req', 'remove-group-req', 'list-groups', 'show-groups',
            'import-comps', 'list-external-repos', 'add-external-repo', 'edit-external-repo',
            'remove-external-repo']
OPTION = re.compile(r'^  (-[^ ]*(?:, -[^ ]*)*)', re.M)


@pytest.fixture(scope='module')
def helps(clients):
    return same_batch(clients, [(command, '--help') for command in COMMANDS], noauth=True)


@pytest.mark.parametrize('command', COMMANDS)
def test_help_synopsis_and_flags(helps, command):
    """Same usage line and option flags/metavars; the help wording is our own."""
    theirs, ours = helps[(command, '--help')]
    assert (ours.returncode, ours.stdout.splitlines()[0]) == \
        (theirs.returncode, theirs.stdout.splitlines()[0])
    assert OPTION.findall(ours.stdout) == OPTION.findall(theirs.stdout)
