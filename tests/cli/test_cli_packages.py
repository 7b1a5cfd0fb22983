"""Package list commands against the real hub.

The hub is shared by the module, so every test builds its own uniquely named tags,
users and packages; set-up goes straight through the hub API to keep it quick.
"""

import pytest

from tests.fixtures.cli import uniq

HEADER = ("Package                 Tag                     Extra Arches     Owner          \n"
          "----------------------- ----------------------- ---------------- ---------------\n")


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ''
    return res.stdout


def row(pkg, tag, arches, owner, blocked=False):
    line = "%-23s %-23s %-16s %-15s" % (pkg, tag, arches, owner)
    return line + (" [BLOCKED]" if blocked else "") + "\n"


@pytest.fixture
def world(hub):
    """parent <- child tags, an owner, and names for three packages."""
    w = {'parent': uniq('pp'), 'child': uniq('pc'), 'owner': uniq('po'),
         'a': uniq('pa'), 'b': uniq('pb'), 'c': uniq('pz')}
    parent = hub.createTag(w['parent'])
    hub.createTag(w['child'], parent=parent)
    hub.createUser(w['owner'])
    return w


def listing(hub, tag, inherited=False):
    return sorted((p['package_name'], p['tag_name'], p['extra_arches'], p['owner_name'],
                   p['blocked'])
                  for p in hub.listPackages(tagID=tag, inherited=inherited))


def test_add_pkg(cli, hub, world):
    w = world
    out = ok(cli('add-pkg', '--owner', w['owner'], '--extra-arches', 'x86_64,i686',
                 w['parent'], w['a'], w['b']))
    assert out == "Adding 2 packages to tag %s\n" % w['parent']
    assert listing(hub, w['parent']) == [
        (w['a'], w['parent'], 'x86_64 i686', w['owner'], False),
        (w['b'], w['parent'], 'x86_64 i686', w['owner'], False)]
    out = ok(cli('add-pkg', '--owner', w['owner'], w['parent'], w['a'], w['c']))
    assert out == ("Package %s already exists in tag %s\n"
                   "Adding 1 packages to tag %s\n" % (w['a'], w['parent'], w['parent']))
    assert len(listing(hub, w['parent'])) == 3


def test_add_pkg_errors(cli, world):
    w = world
    res = cli('add-pkg', w['parent'], w['a'])
    assert res.returncode == 2
    assert res.stderr.endswith("koji: error: Please specify an owner for the package(s)\n")
    assert res.stderr.startswith("Usage: koji add-pkg [options] --owner <owner> <tag> "
                                 "<package> [<package> ...]\n")
    res = cli('add-pkg', '--owner', w['owner'], w['parent'])
    assert res.returncode == 2
    assert res.stderr.endswith("koji: error: Please specify a tag and at least one package\n")
    res = cli('add-pkg', '--owner', 'nobody-' + w['owner'], w['parent'], w['a'])
    assert (res.returncode, res.stderr) == (1, "No such user: nobody-%s\n" % w['owner'])
    res = cli('add-pkg', '--owner', w['owner'], 'no-' + w['parent'], w['a'])
    assert (res.returncode, res.stderr) == (1, "No such tag: no-%s\n" % w['parent'])


def test_block_unblock_pkg(cli, hub, world):
    w = world
    hub.packageListAdd(w['parent'], w['a'], w['owner'])
    hub.packageListAdd(w['parent'], w['b'], w['owner'])
    # missing packages are all reported and nothing is blocked
    res = cli('block-pkg', w['child'], w['a'], w['c'])
    assert (res.returncode, res.stdout) == (1, '')
    assert res.stderr == "Package %s doesn't exist in tag %s\n" % (w['c'], w['child'])
    assert listing(hub, w['child']) == []
    # inherited entries can be blocked
    assert ok(cli('block-pkg', w['child'], w['a'], w['b'])) == ''
    assert listing(hub, w['child']) == [(w['a'], w['child'], None, w['owner'], True),
                                        (w['b'], w['child'], None, w['owner'], True)]
    assert ok(cli('unblock-pkg', w['child'], w['a'], w['b'])) == ''
    # the blocks go away and the parent's entries show through again
    assert listing(hub, w['child']) == []
    assert [e[:2] for e in listing(hub, w['child'], inherited=True)] == [
        (w['a'], w['parent']), (w['b'], w['parent'])]
    res = cli('unblock-pkg', w['child'])
    assert res.returncode == 2
    assert res.stderr.endswith("koji: error: Please specify a tag and at least one package\n")


def test_remove_pkg(cli, hub, world):
    w = world
    hub.packageListAdd(w['parent'], w['a'], w['owner'])
    hub.packageListAdd(w['child'], w['b'], w['owner'])
    # only the tag's own entries count, not inherited ones
    res = cli('remove-pkg', w['child'], w['a'], w['b'])
    assert (res.returncode, res.stderr) == (1, "Package %s is not in tag %s\n"
                                            % (w['a'], w['child']))
    assert len(listing(hub, w['child'])) == 1
    assert ok(cli('remove-pkg', w['child'], w['b'])) == ''
    assert listing(hub, w['child']) == []
    res = cli('remove-pkg', 'no-' + w['child'], w['b'])
    assert (res.returncode, res.stderr) == (1, "No such tag: no-%s\n" % w['child'])


def test_set_pkg_arches_and_owner(cli, hub, world):
    w = world
    hub.packageListAdd(w['parent'], w['a'], w['owner'])
    hub.packageListAdd(w['parent'], w['b'], w['owner'])
    assert ok(cli('set-pkg-arches', 'aarch64,s390x', w['parent'], w['a'], w['b'])) == ''
    assert ok(cli('set-pkg-owner', 'kojiadmin', w['parent'], w['b'])) == ''
    assert listing(hub, w['parent']) == [
        (w['a'], w['parent'], 'aarch64 s390x', w['owner'], False),
        (w['b'], w['parent'], 'aarch64 s390x', 'kojiadmin', False)]
    res = cli('set-pkg-arches', 'x86_64', w['parent'])
    assert res.returncode == 2
    assert res.stderr.endswith(
        "koji: error: Please specify an archlist, a tag, and at least one package\n")
    res = cli('set-pkg-owner', 'kojiadmin', w['parent'])
    assert res.stderr.endswith(
        "koji: error: Please specify an owner, a tag, and at least one package\n")
    # the batch is strict: a bad entry fails the command with the hub's fault
    res = cli('set-pkg-owner', 'kojiadmin', w['parent'], w['c'])
    assert res.returncode == 1
    assert '[ERROR] koji: ' in res.stderr


def test_set_pkg_owner_global(cli, hub, world):
    w = world
    hub.packageListAdd(w['parent'], w['a'], w['owner'])
    # the child's own entry (the same data as the inherited one would add nothing)
    hub.packageListAdd(w['child'], w['a'], w['owner'], extra_arches='x86_64')
    hub.packageListAdd(w['parent'], w['b'], 'kojiadmin')
    # a known package without entries anywhere
    hub.packageListAdd(w['parent'], w['c'], w['owner'])
    hub.packageListRemove(w['parent'], w['c'])
    out = ok(cli('set-pkg-owner-global', '--test', 'kojiadmin', w['a'], w['c']))
    lines = sorted(out.splitlines())
    assert lines == sorted([
        "No data for package %s" % w['c'],
        "Would have changed owner for %s in tag %s: %s -> kojiadmin"
        % (w['a'], w['parent'], w['owner']),
        "Would have changed owner for %s in tag %s: %s -> kojiadmin"
        % (w['a'], w['child'], w['owner'])])
    out = ok(cli('set-pkg-owner-global', '--verbose', 'kojiadmin', w['b'], w['a']))
    assert sorted(out.splitlines()) == sorted([
        "Preserving owner=kojiadmin for package %s in tag %s" % (w['a'], w['parent']),
        "Changing owner for %s in tag %s: %s -> kojiadmin" % (w['a'], w['parent'], w['owner']),
        "Changing owner for %s in tag %s: %s -> kojiadmin" % (w['a'], w['child'], w['owner'])])
    assert set(e[3] for e in listing(hub, w['parent'])) == {'kojiadmin'}
    # --from without packages moves everything the old user owns
    out = ok(cli('set-pkg-owner-global', '--verbose', '--from', 'kojiadmin', w['owner']))
    assert "Changing owner for %s in tag %s: kojiadmin -> %s\n" % (
        w['a'], w['child'], w['owner']) in out
    res = cli('set-pkg-owner-global', '--from', w['parent'], w['owner'])
    assert (res.returncode, res.stderr) == (1, "No such user: %s\n" % w['parent'])
    res = cli('set-pkg-owner-global', 'kojiadmin')
    assert res.stderr.endswith(
        "koji: error: Please specify an owner and at least one package\n")


def test_list_pkgs(cli, hub, world):
    w = world
    hub.packageListAdd(w['parent'], w['a'], w['owner'], extra_arches='x86_64')
    hub.packageListAdd(w['parent'], w['b'], w['owner'])
    hub.packageListAdd(w['child'], w['c'], 'kojiadmin')
    hub.packageListBlock(w['child'], w['b'])
    # rows come in the hub's order
    order = [p['package_name'] for p in hub.listPackages(tagID=w['child'], inherited=True)]
    rows = {w['a']: row(w['a'], w['parent'], 'x86_64', w['owner']),
            w['b']: row(w['b'], w['child'], '', w['owner'], blocked=True),
            w['c']: row(w['c'], w['child'], '', 'kojiadmin')}
    out = ok(cli('list-pkgs', '--tag', w['child'], auth=False))
    assert out == HEADER + ''.join(rows[p] for p in order if p != w['b'])
    out = ok(cli('list-pkgs', '--tag', w['child'], '--show-blocked', '--quiet', auth=False))
    assert out == ''.join(rows[p] for p in order)
    out = ok(cli('list-pkgs', '--tag', w['child'], '--noinherit', '--quiet', auth=False))
    assert out == row(w['c'], w['child'], '', 'kojiadmin')
    out = ok(cli('list-pkgs', '--owner', w['owner'], '--quiet', auth=False))
    assert sorted(out.splitlines(True)) == sorted([
        row(w['a'], w['parent'], 'x86_64', w['owner']),
        row(w['b'], w['parent'], '', w['owner'])])
    out = ok(cli('list-pkgs', '--package', w['a'], '--quiet', auth=False))
    assert out == row(w['a'], w['parent'], 'x86_64', w['owner'])
    out = ok(cli('list-pkgs', auth=False))
    assert out.startswith("Package\n" + "-" * 23 + "\n")
    assert "\n%s\n" % w['a'] in out


def test_list_pkgs_event(cli, hub, world):
    w = world
    hub.packageListAdd(w['parent'], w['a'], w['owner'])
    event = hub.getLastEvent()
    hub.packageListAdd(w['parent'], w['b'], w['owner'])
    out = ok(cli('list-pkgs', '--tag', w['parent'], '--event', str(event['id']), '--quiet',
                 auth=False))
    lines = out.splitlines(True)
    assert lines[0].startswith("Querying at event %d (" % event['id'])
    assert lines[1:] == [row(w['a'], w['parent'], '', w['owner'])]


def test_list_pkgs_errors(cli, world):
    w = world
    res = cli('list-pkgs', '--tag', w['child'], auth=False)
    assert (res.returncode, res.stdout, res.stderr) == (1, '', "(no matching packages)\n")
    res = cli('list-pkgs', '--tag', 'no-' + w['child'], auth=False)
    assert res.returncode == 2
    assert res.stderr.endswith("koji: error: No such tag: no-%s\n" % w['child'])
    res = cli('list-pkgs', '--owner', 'no-' + w['owner'], auth=False)
    assert res.stderr.endswith("koji: error: No such user: no-%s\n" % w['owner'])
    res = cli('list-pkgs', '--show-blocked', auth=False)
    assert res.stderr.endswith(
        "koji: error: --show-blocked makes sense only with --tag, --owner or --package\n")
    res = cli('list-pkgs', '--ts', '4000000000', auth=False)
    assert res.stderr.endswith(
        "koji: error: --event and --ts makes sense only with --tag, --owner or --package\n")
    res = cli('list-pkgs', 'foo', auth=False)
    assert res.stderr.endswith("koji: error: This command takes no arguments\n")


def test_list_pkgs_grandchild_with_middle_block(cli, hub, world):
    """parent <- child (blocks a) <- grand: how entries resolve, as upstream's hub does."""
    w = world
    grand, other = uniq('pg'), uniq('po2')
    hub.createTag(grand, parent=w['child'])
    hub.createUser(other)
    ok(cli('add-pkg', '--owner', w['owner'], '--extra-arches', 'x86_64', w['parent'],
           w['a'], w['b']))
    ok(cli('block-pkg', w['child'], w['a']))
    # the block copies the inherited extra arches and owner into the child's entry
    assert listing(hub, w['child']) == [(w['a'], w['child'], 'x86_64', w['owner'], True)]
    # adding a blocked package fails; another owner for an inherited entry adds no entry
    res = cli('add-pkg', '--owner', other, grand, w['a'])
    assert res.returncode == 1
    assert res.stderr.endswith('package %s is blocked in tag %s\n' % (w['a'], grand))
    assert ok(cli('add-pkg', '--owner', other, grand, w['b'])) == \
        'Adding 1 packages to tag %s\n' % grand
    assert listing(hub, grand) == []
    # set-pkg-arches makes the grandchild's own entry, owned as the inherited one is
    ok(cli('set-pkg-arches', 's390x', grand, w['b']))
    out = ok(cli('list-pkgs', '--tag', grand, auth=False))
    assert out == HEADER + row(w['b'], grand, 's390x', w['owner'])
    out = ok(cli('list-pkgs', '--tag', grand, '--show-blocked', auth=False))
    assert out == HEADER + row(w['b'], grand, 's390x', w['owner']) + \
        row(w['a'], w['child'], 'x86_64', w['owner'], blocked=True)
    out = ok(cli('list-pkgs', '--tag', grand, '--show-dups', '--show-blocked', auth=False))
    # with dups: each package's entries together, nearest first
    assert out == HEADER + row(w['b'], grand, 's390x', w['owner']) + \
        row(w['b'], w['parent'], 'x86_64', w['owner']) + \
        row(w['a'], w['child'], 'x86_64', w['owner'], blocked=True) + \
        row(w['a'], w['parent'], 'x86_64', w['owner'])
