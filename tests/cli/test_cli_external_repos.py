"""External repo commands against the real hub."""
import re

import pytest

from tests.fixtures.cli import uniq


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ''
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2
    assert res.stderr.endswith("\n\nkoji: error: %s\n" % message), res.stderr


@pytest.fixture
def world(hub):
    """parent <- child tags and two repos, repo1 in the parent, repo2 in the child."""
    w = {'parent': uniq('ep'), 'child': uniq('ec'), 'r1': uniq('er1'), 'r2': uniq('er2')}
    hub.createTag(w['child'], parent=hub.createTag(w['parent']))
    w['u1'] = 'http://example.com/%s/' % w['r1']
    w['u2'] = 'http://example.com/%s/' % w['r2']
    hub.createExternalRepo(w['r1'], w['u1'])
    hub.createExternalRepo(w['r2'], w['u2'])
    hub.addExternalRepoToTag(w['parent'], w['r1'], 5)
    hub.addExternalRepoToTag(w['child'], w['r2'], 10, merge_mode='simple')
    return w


def links(hub, tag):
    return [(r['external_repo_name'], r['priority'], r['merge_mode'], r['arches'])
            for r in hub.getTagExternalRepos(tag_info=tag)]


def test_add_external_repo(cli, hub, world):
    w = world
    name = uniq('er3')
    out = ok(cli('add-external-repo', '-t', w['parent'], '-t', w['child'] + '::33',
                 '-m', 'bare', '-a', 'x86_64 i686', name, 'http://example.com/three'))
    match = re.match(r'^Created external repo (\d+)\n', out)
    assert match, out
    added = "Added external repo %s to tag %s (priority %d)\n"
    assert out[match.end():] == (added % (name, w['parent'], 10) +
                                 added % (name, w['child'], 33))
    assert hub.getExternalRepo(name)['url'] == 'http://example.com/three/'
    assert links(hub, w['parent'])[-1] == (name, 10, 'bare', 'x86_64 i686')
    # an existing repo needs a tag, and --priority applies where TAG::N does not say
    other = uniq('et')
    hub.createTag(other)
    assert ok(cli('add-external-repo', '-p', '7', '-t', other, name)) == \
        "Added external repo %s to tag %s (priority 7)\n" % (name, other)
    usage_error(cli('add-external-repo', name),
                "A url is required to create an external repo entry")
    usage_error(cli('add-external-repo', '-m', 'weird', '-t', other, name),
                "Invalid mode: weird")
    usage_error(cli('add-external-repo', '-m', 'koji', name),
                "The --mode option can only be used with --tag")
    usage_error(cli('add-external-repo'), "Incorrect number of arguments")
    res = cli('add-external-repo', '-t', other + '::x', name)
    assert res.returncode == 1
    assert res.stderr.endswith('[ERROR] koji: GenericError: Invalid priority: x\n')


def test_edit_external_repo(cli, hub, world):
    w = world
    new = uniq('er9')
    assert ok(cli('edit-external-repo', '--name', new, '--url', 'http://example.com/new',
                  w['r1'])) == ''
    assert hub.getExternalRepo(new)['url'] == 'http://example.com/new/'
    assert ok(cli('edit-external-repo', '-t', w['child'], '-p', '12', '-m', 'bare',
                  '-a', 'ppc64le', w['r2'])) == ''
    assert links(hub, w['child']) == [(w['r2'], 12, 'bare', 'ppc64le')]
    usage_error(cli('edit-external-repo', '-t', w['child'], w['r2']),
                "At least, one of priority and merge mode should be specified")
    usage_error(cli('edit-external-repo', '-p', '3', w['r2']),
                "If priority is specified, --tag must be specified as well")
    usage_error(cli('edit-external-repo', '-m', 'koji', w['r2']),
                "If mode is specified, --tag must be specified as well")
    usage_error(cli('edit-external-repo', w['r2']), "No changes specified")
    usage_error(cli('edit-external-repo'), "Incorrect number of arguments")


def test_remove_external_repo(cli, hub, world):
    w = world
    res = cli('remove-external-repo', w['r1'])
    assert (res.returncode, res.stderr) == (1, (
        "Error: external repo %s used by tag(s): %s\nUse --force to remove anyway\n"
        % (w['r1'], w['parent'])))
    out = ok(cli('remove-external-repo', w['r1'], w['child'], w['parent']))
    assert out == "External repo %s not associated with tag %s\n" % (w['r1'], w['child'])
    assert links(hub, w['parent']) == []
    assert ok(cli('remove-external-repo', w['r1'])) == ''
    assert hub.getExternalRepo(w['r1']) is None
    assert ok(cli('remove-external-repo', '--alltags', w['r2'])) == ''
    assert links(hub, w['child']) == []
    res = cli('remove-external-repo', '--alltags', w['r2'])
    assert (res.returncode, res.stdout, res.stderr) == (
        0, '', "External repo %s not associated with any tags\n" % w['r2'])
    usage_error(cli('remove-external-repo', '--alltags', w['r2'], w['child']),
                "Do not specify tags when using --alltags")
    usage_error(cli('remove-external-repo'), "Incorrect number of arguments")


def test_list_external_repos(cli, hub, world):
    w = world
    out = ok(cli('list-external-repos', '--name', w['r1'], auth=False))
    assert out == ("External repo name        URL\n"
                   "------------------------- ----------------------------------------\n"
                   "%-25s %s\n" % (w['r1'], w['u1']))
    out = ok(cli('list-external-repos', '--url', w['u2'], '--quiet', auth=False))
    assert out == "%-25s %s\n" % (w['r2'], w['u2'])
    out = ok(cli('list-external-repos', '--tag', w['child'], auth=False))
    assert out == ("Pri External repo name        Mode       URL\n"
                   "--- ------------------------- ---------- "
                   "----------------------------------------\n"
                   "10  %-25s simple     %s\n" % (w['r2'], w['u2']))
    out = ok(cli('list-external-repos', '--tag', w['child'], '--inherit', auth=False))
    assert out == ("Tag                  Pri Mode       External repo name\n"
                   "-------------------- --- ---------- -------------------------\n"
                   "%-20s 10  simple     %s\n"
                   "%-20s 5   koji       %s\n" % (w['child'], w['r2'], w['parent'], w['r1']))
    out = ok(cli('list-external-repos', '--used', '--name', w['r1'], '--quiet', auth=False))
    assert out == "%-20s 5   koji       %s\n" % (w['parent'], w['r1'])
    usage_error(cli('list-external-repos', '--tag', w['child'], '--inherit', '--name', 'x',
                    auth=False), "Can't select by repo when using --inherit")
    usage_error(cli('list-external-repos', 'extra', auth=False),
                "This command takes no arguments")


def test_list_external_repos_event(cli, hub, world):
    w = world
    event = hub.getLastEvent()
    hub.removeExternalRepoFromTag(w['child'], w['r2'])
    out = ok(cli('list-external-repos', '--tag', w['child'], '--quiet', '--event',
                 str(event['id']), auth=False))
    lines = out.splitlines(True)
    assert lines[0].startswith("Querying at event %d (" % event['id'])
    assert lines[1:] == ["10  %-25s simple     %s\n" % (w['r2'], w['u2'])]
    assert ok(cli('list-external-repos', '--tag', w['child'], '--quiet', auth=False)) == ''


def test_external_repo_arches_priority_and_force(cli, hub, world):
    """-p with comma separated -a, what the listings show of it, and --force removal."""
    w = world
    name = uniq('er4')
    out = ok(cli('add-external-repo', '-p', '20', '-a', 'x86_64,i686', '-t', w['child'],
                 name, 'http://example.com/four/'))
    assert out.endswith("Added external repo %s to tag %s (priority 20)\n" % (name, w['child']))
    assert links(hub, w['child'])[-1] == (name, 20, 'koji', 'x86_64 i686')
    assert [(r['external_repo_name'], r['arches'])
            for r in hub.getExternalRepoList(w['child'])] == [
        (w['r2'], None), (name, 'x86_64 i686'), (w['r1'], None)]
    out = ok(cli('list-external-repos', '--tag', w['child'], '--inherit', '--quiet',
                 auth=False))
    assert out == ("%-20s 10  simple     %s\n" % (w['child'], w['r2'])
                   + "%-20s 20  koji       %s\n" % (w['child'], name)
                   + "%-20s 5   koji       %s\n" % (w['parent'], w['r1']))
    out = ok(cli('list-external-repos', '--used', '--name', name, '--quiet', auth=False))
    assert out == "%-20s 20  koji       %s\n" % (w['child'], name)
    out = ok(cli('taginfo', w['child'], auth=False))
    assert ("External repos:\n"
            "   10 %s (%s, merge mode: simple), arches: inherited from tag\n"
            "   20 %s (http://example.com/four/, merge mode: koji), arches: x86_64 i686\n"
            % (w['r2'], w['u2'], name)) in out
    # a repo in use is only deleted with --force
    res = cli('remove-external-repo', name)
    assert (res.returncode, res.stdout) == (1, '')
    assert res.stderr == ("Error: external repo %s used by tag(s): %s\n"
                          "Use --force to remove anyway\n" % (name, w['child']))
    assert hub.getExternalRepo(name) is not None
    assert ok(cli('remove-external-repo', '--force', name)) == ''
    assert hub.getExternalRepo(name) is None
    assert [r[0] for r in links(hub, w['child'])] == [w['r2']]
