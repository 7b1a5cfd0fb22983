"""Tag and inheritance commands against the real hub.

The hub is shared by the whole module, so every test makes its own uniquely named tags.
"""
import json
import re
import uuid

import pytest
from tests.fixtures.cli import LOG_ERROR, uniq


@pytest.fixture(scope='module')
def hub_methods(hub_server):
    return set(hub_server.call('system.listMethods'))


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def usage_error(res, command, message):
    """Parser errors: exit 2, the message as the last stderr line."""
    assert res.returncode == 2, res
    assert res.stderr.startswith('Usage: koji %s' % command)
    assert res.stderr.endswith('\nkoji: error: %s\n' % message)


def call(cli, method, *args):
    return json.loads(ok(cli('call', '--json-output', method, *args)))


def tag_id(cli, name):
    return call(cli, 'getTag', name)['id']


@pytest.fixture(scope='module')
def plain_user(cli, hub_server):
    """A NORMAL user without permissions that can log in with a password."""
    name = uniq('plain')
    password = uuid.uuid4().hex
    ok(cli('add-user', name))
    hub_server.set_password(name, password)
    return name, password


# -- add-tag / edit-tag / remove-tag


def test_add_tag_with_options(cli):
    parent, name = uniq('par'), uniq('tag')
    assert ok(cli('add-tag', parent)) == ''
    assert ok(cli('add-tag', name, '--parent', parent, '--arches', 'x86_64,aarch64',
                  '-x', 'num=3', '-x', 'flag=True', '-x', 'text=a=b')) == ''
    tag = call(cli, 'getTag', name)
    assert tag['arches'] == 'x86_64 aarch64'
    assert tag['extra'] == {'num': 3, 'flag': True, 'text': 'a=b'}
    links = call(cli, 'getInheritanceData', name)
    assert [(link['name'], link['priority']) for link in links] == [(parent, 0)]


def test_add_tag_usage_and_perms(cli, plain_user):
    usage_error(cli('add-tag'), 'add-tag', 'Please specify a name for the tag')
    usage_error(cli('add-tag', 'a', 'b'), 'add-tag', 'Please specify a name for the tag')
    user, password = plain_user
    res = cli('add-tag', uniq('nope'), user=user, password=password)
    usage_error(res, 'add-tag', 'This action requires tag or admin privileges')
    res = cli('add-tag', uniq('bad'), '-x', 'novalue')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'ValueError: ', res.stderr)


def test_edit_tag(cli):
    name, new_name = uniq('ed'), uniq('renamed')
    ok(cli('add-tag', name, '-x', 'keep=1', '-x', 'drop=2'))
    assert ok(cli('edit-tag', name, '--arches', 'i686', '--perm', 'admin', '--lock',
                  '-x', 'json=[1, 2]', '-x', 'keep=None', '-r', 'drop',
                  '--rename', new_name)) == ''
    tag = call(cli, 'getTag', new_name)
    assert (tag['arches'], tag['perm'], tag['locked']) == ('i686', 'admin', True)
    assert tag['extra'] == {'json': [1, 2], 'keep': None}
    ok(cli('edit-tag', new_name, '--no-perm', '--unlock'))
    tag = call(cli, 'getTag', new_name)
    assert (tag['perm'], tag['locked']) == (None, False)
    usage_error(cli('edit-tag', new_name, '-x', 'a=1', '-x', 'a=2'), 'edit-tag',
                'Duplicate extra key: a')
    usage_error(cli('edit-tag'), 'edit-tag', 'Please specify a name for the tag')


def test_remove_tag(cli):
    name = uniq('gone')
    ok(cli('add-tag', name))
    assert ok(cli('remove-tag', name)) == ''
    assert call(cli, 'getTag', name) is None
    res = cli('remove-tag', name)
    assert (res.returncode, res.stdout, res.stderr) == (1, '', 'No such tag: %s\n' % name)
    usage_error(cli('remove-tag'), 'remove-tag', 'Please specify a tag to remove')


# -- lock-tag / unlock-tag


def test_lock_and_unlock(cli):
    prefix = uniq('lk')
    first, second = prefix + '-a', prefix + '-b'
    ok(cli('add-tag', first))
    ok(cli('add-tag', second))
    assert ok(cli('lock-tag', '-n', first)) == \
        'Would have set permission requirement admin for tag %s\n' % first
    assert ok(cli('lock-tag', first)) == ''
    assert ok(cli('lock-tag', first)) == 'Tag %s: admin permission already required\n' % first
    assert ok(cli('lock-tag', '--master', '-n', second)) == \
        'Would have set master lock for: %s\n' % second
    ok(cli('lock-tag', '--master', second))
    assert ok(cli('lock-tag', '--master', second)) == \
        'Tag %s: master lock already set\n' % second
    assert ok(cli('unlock-tag', '-n', '--glob', prefix + '-*')) == (
        "Tag %s: skipping changes: {'perm': None}\n"
        "Tag %s: skipping changes: {'locked': False}\n" % (first, second))
    assert ok(cli('unlock-tag', first, second)) == ''
    assert ok(cli('unlock-tag', first)) == 'Tag %s: not locked\n' % first
    assert ok(cli('lock-tag', '--glob', uniq('none') + '*')) == 'No tags matched\n'
    assert ok(cli('unlock-tag', '--glob', uniq('none') + '*')) == 'No tags matched\n'


def test_lock_unlock_errors(cli):
    ghost = uniq('ghost')
    usage_error(cli('lock-tag'), 'lock-tag', 'Please specify a tag')
    usage_error(cli('unlock-tag'), 'unlock-tag', 'Please specify a tag')
    usage_error(cli('unlock-tag', ghost), 'unlock-tag', 'No such tag: %s' % ghost)
    res = cli('lock-tag', ghost)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + "GenericError: No such tagInfo: '%s'" % ghost, res.stderr)
    name = uniq('lk')
    ok(cli('add-tag', name))
    res = cli('lock-tag', '--perm', 'no-such-perm', name)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + "KeyError: 'no-such-perm'", res.stderr)


# -- list-tags


def test_list_tags(cli):
    prefix = uniq('lt')
    names = [prefix + '-b', prefix + '-a', prefix + '-c']
    for name in names:
        ok(cli('add-tag', name))
    ok(cli('edit-tag', names[0], '--lock'))
    ok(cli('edit-tag', names[2], '--perm', 'admin'))
    ids = dict((name, tag_id(cli, name)) for name in names)
    assert ok(cli('list-tags', prefix + '*', auth=False)) == ''.join(
        '%s\n' % name for name in sorted(names))
    assert ok(cli('list-tags', '--show-id', '--verbose', prefix + '*')) == (
        '%s-a [%d]\n' % (prefix, ids[prefix + '-a'])
        + '%s-b [%d] [LOCKED]\n' % (prefix, ids[prefix + '-b'])
        + '%s-c [%d] [admin perm required]\n' % (prefix, ids[prefix + '-c']))
    assert ok(cli('list-tags', '--unlocked', prefix + '*')) == '%s-a\n' % prefix
    # several patterns: one multicall, results concatenated (duplicates kept) and sorted
    assert ok(cli('list-tags', prefix + '-a', prefix + '-?')) == (
        '%s-a\n%s-a\n%s-b\n%s-c\n' % (prefix, prefix, prefix, prefix))
    everything = ok(cli('list-tags')).splitlines()
    assert everything == sorted(everything)
    assert set(names) <= set(everything)
    ghost = uniq('nopkg')
    usage_error(cli('list-tags', '--package', ghost), 'list-tags',
                'No such package: %s' % ghost)


# -- inheritance


def test_add_tag_inheritance(cli):
    child, p1, p2 = uniq('ch'), uniq('p1'), uniq('p2')
    for name in (child, p1, p2):
        ok(cli('add-tag', name))
    assert ok(cli('add-tag-inheritance', child, p1)) == ''
    assert ok(cli('add-tag-inheritance', child, p2, '--priority', '10', '--maxdepth', '2',
                  '--intransitive', '--noconfig', '--pkg-filter', 'foo.*')) == ''
    links = call(cli, 'getInheritanceData', child)
    assert [(ln['name'], ln['priority'], ln['maxdepth'], ln['intransitive'], ln['noconfig'],
             ln['pkg_filter']) for ln in links] == [
        (p1, 0, None, False, False, ''), (p2, 10, 2, True, True, 'foo.*')]
    res = cli('add-tag-inheritance', child, p1, '--priority', '5')
    assert res.returncode == 1
    assert res.stderr == (
        "Error: You are attempting to add %s as %s's parent even though it already is %s's "
        "parent.\nPlease use --force if this is what you really want to do.\n"
        % (p1, child, child))
    p3 = uniq('p3')
    ok(cli('add-tag', p3))
    res = cli('add-tag-inheritance', child, p3, '--priority', '10')
    assert res.returncode == 1
    assert res.stderr == (
        'Error: There is already an active inheritance with that priority on %s, please '
        'specify a different priority with --priority.\n' % child)
    usage_error(cli('add-tag-inheritance', child), 'add-tag-inheritance',
                "This command takes exactly two arguments: a tag name or ID and that tag's "
                "new parent name or ID")
    ghost = uniq('ghost')
    usage_error(cli('add-tag-inheritance', child, ghost), 'add-tag-inheritance',
                'No such tag: %s' % ghost)


def test_edit_and_remove_tag_inheritance(cli):
    child, p1, p2 = uniq('ch'), uniq('p1'), uniq('p2')
    for name in (child, p1, p2):
        ok(cli('add-tag', name))
    ok(cli('add-tag-inheritance', child, p1))
    ok(cli('add-tag-inheritance', child, p2, '--priority', '10'))
    res = cli('edit-tag-inheritance', child)
    assert (res.returncode, res.stdout, res.stderr) == (
        1, 'Multiple matches for tag.\n', 'Please specify a parent on the command line.\n')
    res = cli('edit-tag-inheritance', child, p2, '11')
    assert (res.returncode, res.stderr) == (
        1, 'No inheritance link found to remove.  Please check your arguments\n')
    res = cli('edit-tag-inheritance', child, p2, '--priority', '0')
    assert res.returncode == 1
    assert res.stderr.startswith('Error: There is already an active inheritance')
    res = cli('edit-tag-inheritance', child, p2, '--maxdepth', 'deep')
    assert (res.returncode, res.stderr) == (1, 'Invalid maxdepth: deep\n')
    assert ok(cli('edit-tag-inheritance', child, p2, '10', '--priority', '20',
                  '--maxdepth', '3', '--intransitive', '--pkg-filter', 'x.*')) == ''
    links = call(cli, 'getInheritanceData', child)
    assert [(ln['name'], ln['priority'], ln['maxdepth'], ln['intransitive'],
             ln['pkg_filter']) for ln in links] == [
        (p1, 0, None, False, ''), (p2, 20, 3, True, 'x.*')]
    ok(cli('edit-tag-inheritance', child, p2, '--maxdepth', 'None'))
    assert call(cli, 'getInheritanceData', child)[1]['maxdepth'] is None
    usage_error(cli('edit-tag-inheritance'), 'edit-tag-inheritance',
                'This command takes at least one argument: a tag name or ID')
    usage_error(cli('remove-tag-inheritance', 'a', 'b', 'c', 'd'), 'remove-tag-inheritance',
                'This command takes at most three argument: a tag name or ID, a parent tag '
                'name or ID, and a priority')
    res = cli('remove-tag-inheritance', child)
    assert (res.returncode, res.stdout) == (1, 'Multiple matches for tag.\n')
    assert ok(cli('remove-tag-inheritance', child, p1)) == ''
    # one link left: the tag alone is enough to pick it
    assert ok(cli('remove-tag-inheritance', child)) == ''
    assert call(cli, 'getInheritanceData', child) == []
    res = cli('remove-tag-inheritance', child, p1)
    assert (res.returncode, res.stderr) == (
        1, 'No inheritance link found to remove.  Please check your arguments\n')


def test_list_tag_inheritance_tree(cli):
    top, a, b, c, d = [uniq(n) for n in ('top', 'a', 'b', 'c', 'd')]
    for name in (top, a, b, c, d):
        ok(cli('add-tag', name))
    ok(cli('add-tag-inheritance', top, a))
    ok(cli('add-tag-inheritance', top, d, '--priority', '20', '--intransitive'))
    ok(cli('add-tag-inheritance', a, b, '--maxdepth', '1'))
    ok(cli('add-tag-inheritance', a, c, '--priority', '5', '--pkg-filter', 'z', '--noconfig'))
    ids = dict((name, tag_id(cli, name)) for name in (top, a, b, c, d))
    out = ok(cli('list-tag-inheritance', top, auth=False))
    assert out == (
        '     %s (%d)\n' % (top, ids[top])
        + '....  \u251c\u2500%s (%d)\n' % (a, ids[a])
        + 'M...  \u2502  \u251c\u2500%s (%d)\n' % (b, ids[b])
        + '.F.N  \u2502  \u2514\u2500%s (%d)\n' % (c, ids[c])
        + '..I.  \u2514\u2500%s (%d)\n' % (d, ids[d]))
    out = ok(cli('list-tag-inheritance', '--reverse', b, auth=False))
    assert out == (
        '     %s (%d)\n' % (b, ids[b])
        + 'M...  \u2514\u2500%s (%d)\n' % (a, ids[a])
        + '....     \u2514\u2500%s (%d)\n' % (top, ids[top]))


def test_list_tag_inheritance_reverse_deeper_levels(cli):
    """--reverse lists children of children, an intransitive link too (not followed)."""
    base, x1, x2, y1, y2, z1 = [uniq(n) for n in ('base', 'x1', 'x2', 'y1', 'y2', 'z1')]
    for name in (base, x1, x2, y1, y2, z1):
        ok(cli('add-tag', name))
    ok(cli('add-tag-inheritance', x1, base))
    ok(cli('add-tag-inheritance', x2, base, '--priority', '5'))
    ok(cli('add-tag-inheritance', y1, x1, '--intransitive'))
    ok(cli('add-tag-inheritance', y2, x1, '--priority', '5'))
    ok(cli('add-tag-inheritance', z1, y1))
    ids = dict((name, tag_id(cli, name)) for name in (base, x1, x2, y1, y2))
    out = ok(cli('list-tag-inheritance', '--reverse', base, auth=False))
    assert out == (
        '     %s (%d)\n' % (base, ids[base])
        + '....  \u251c\u2500%s (%d)\n' % (x1, ids[x1])
        + '..I.  \u2502  \u251c\u2500%s (%d)\n' % (y1, ids[y1])
        + '....  \u2502  \u2514\u2500%s (%d)\n' % (y2, ids[y2])
        + '....  \u2514\u2500%s (%d)\n' % (x2, ids[x2]))


def test_list_tag_inheritance_errors(cli):
    usage_error(cli('list-tag-inheritance'), 'list-tag-inheritance',
                'This command takes exactly one argument: a tag name or ID')
    ghost = uniq('ghost')
    usage_error(cli('list-tag-inheritance', ghost), 'list-tag-inheritance',
                'No such tag: %s' % ghost)
    name = uniq('t')
    ok(cli('add-tag', name))
    usage_error(cli('list-tag-inheritance', '--stop', 'x', name), 'list-tag-inheritance',
                '--stop option has been removed in 1.26')
    usage_error(cli('list-tag-inheritance', '--jump', 'x', name), 'list-tag-inheritance',
                '--jump option has been removed in 1.26')


# -- taginfo


def test_taginfo_errors(cli):
    usage_error(cli('taginfo'), 'taginfo', 'Please specify a tag')
    res = cli('taginfo', uniq('ghost'))
    assert res.returncode in (1, 2)


def test_taginfo(cli, hub_methods):
    missing = {'getRepo', 'getTagExternalRepos', 'getTagGroups'} - hub_methods
    if missing:
        pytest.skip('hub lacks %s' % ', '.join(sorted(missing)))
    base, child, parent = uniq('base'), uniq('child'), uniq('parent')
    ok(cli('add-tag', parent, '-x', 'inh=1'))
    ok(cli('add-tag', base, '--arches', 'x86_64'))
    ok(cli('add-tag', child, '--arches', 'i686', '-x', 'own=abc'))
    ok(cli('add-tag-inheritance', child, parent, '--priority', '3', '--maxdepth', '2',
           '--pkg-filter', 'f.*'))
    ok(cli('edit-tag', child, '--lock', '--perm', 'admin'))
    target = uniq('tgt')
    ok(cli('add-target', target, base, child))
    ids = dict((name, tag_id(cli, name)) for name in (base, child, parent))
    out = ok(cli('taginfo', child, auth=False))
    assert out == '\n'.join([
        'Tag: %s [%d]' % (child, ids[child]),
        'Arches: i686',
        'Groups: ',
        'LOCKED',
        "Required permission: 'admin'",
        'Tag options:',
        "%-30s [%s]" % ("  inh : 1", parent),
        "  own : 'abc'",
        'Targets that build into this tag:',
        '  %s (%s, no active repo)' % (target, base),
        'Current repo: no active repo',
        'Inheritance:',
        '  3    MF.. %s [%d]' % (parent, ids[parent]),
        '    maxdepth: 2',
        '    package filter: f.*',
        ''])
    # an unknown name is the hub's GenericError, exactly as upstream's client shows it
    res = cli('taginfo', uniq('ghost'), auth=False)
    assert res.returncode == 1 and 'GenericError: No such tagInfo' in res.stderr
    out = ok(cli('taginfo', base, parent, auth=False))
    assert out.startswith('Tag: %s [%d]\nArches: x86_64\n' % (base, ids[base]))
    assert 'This tag is a buildroot for one or more targets\n' \
        'Current repo: no active repo\nTargets that build from this tag:\n  %s\n' % target \
        in out
    assert '\n\nTag: %s [%d]\nArches: \n' % (parent, ids[parent]) in out
    # a child made with --parent has no arches of its own and inherits none
    kid = uniq('kid')
    ok(cli('add-tag', kid, '--parent', base))
    out = ok(cli('taginfo', kid, auth=False))
    assert out.startswith('Tag: %s [%d]\nArches: \n' % (kid, tag_id(cli, kid)))
