"""list-history against the real hub: filters, merged edits and the exact line format."""
import re

from tests.fixtures.cli import uniq

ASCTIME = re.compile(r'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} ', re.M)


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def history(cli, *args):
    """list-history output with the leading time of each line replaced by '<ts> '."""
    return ASCTIME.sub('<ts> ', ok(cli('list-history', *args, auth=False)))


def test_needs_a_limit(cli):
    res = cli('list-history', auth=False)
    assert res.returncode == 2
    assert res.stderr.endswith('\nkoji: error: Please specify an option to limit the query\n')
    res = cli('list-history', '--before', 'not a time', auth=False)
    assert res.returncode == 2
    assert res.stderr.endswith(
        "\nkoji: error: option --before: invalid time specification: 'not a time'\n")
    res = cli('list-history', '--host', uniq('ghost-host'), auth=False)
    assert res.returncode == 1
    assert res.stderr.startswith('No such host: ghost-host-') or 'getHost' in res.stderr


def test_tag_history(cli):
    parent, child, other = uniq('hp'), uniq('hc'), uniq('ho')
    admin = 'kojiadmin'
    ok(cli('add-tag', parent, '--arches', 'x86_64'))
    ok(cli('add-tag', child, '--parent', parent, '-x', 'opt=1'))
    ok(cli('add-tag', other))
    ok(cli('edit-tag', child, '--arches', 'i686', '--lock', '-x', 'opt=2'))
    ok(cli('add-tag-inheritance', child, other, '--priority', '5'))
    ok(cli('edit-tag-inheritance', child, other, '--priority', '7', '--pkg-filter', 'a.*'))
    ok(cli('remove-tag-inheritance', child, parent))
    ok(cli('edit-tag', child, '-r', 'opt'))
    assert history(cli, '--tag', child) == ''.join(line + '\n' for line in [
        '<ts> new tag: %s by %s' % (child, admin),
        '<ts> added tag option opt for tag %s by %s' % (child, admin),
        '<ts> inheritance line %s->%s added by %s' % (child, parent, admin),
        '<ts> tag configuration for %s altered by %s [still active]' % (child, admin),
        '    arches:  -> i686',
        '    locked: False -> True',
        '<ts> tag option opt for tag %s altered by %s' % (child, admin),
        '    value: 1 -> 2',
        '<ts> inheritance line %s->%s added by %s' % (child, other, admin),
        '<ts> inheritance line %s->%s updated by %s [still active]' % (child, other, admin),
        '    pkg_filter:  -> a.*',
        '    priority: 5 -> 7',
        '<ts> inheritance line %s->%s removed by %s' % (child, parent, admin),
        '<ts> tag option opt removed for %s by %s' % (child, admin),
    ])
    verbose = history(cli, '--tag', child, '-v', '-s', 'tag_config')
    assert re.match(r'^<ts> \(eid \d+\) new tag: %s by %s\n' % (child, admin), verbose)
    assert verbose.splitlines()[1:6] == [
        '    arches: ', '    locked: False', '    maven_include_all: False',
        '    maven_support: False', '    permission: None']
    active = history(cli, '--tag', child, '--active', '-s', 'tag_inheritance')
    # only the current row matches, so there is no revoke to pair it with
    assert active == '<ts> inheritance line %s->%s added by %s [still active]\n' \
        % (child, other, admin)
    revoked = history(cli, '--tag', child, '--revoked', '-s', 'tag_extra')
    assert revoked == (
        '<ts> added tag option opt for tag %s by %s\n' % (child, admin)
        + '<ts> tag option opt for tag %s altered by %s\n' % (child, admin)
        + '    value: 1 -> 2\n'
        + '<ts> tag option opt removed for %s by %s\n' % (child, admin))
    # a block lists only its blocked flag; a new entry's data rewrites the owner row too
    owner, pkg = uniq('hw'), uniq('ahk')  # child's link to other filters on a.*
    ok(cli('add-user', owner))
    ok(cli('add-pkg', '--owner', owner, '--extra-arches', 'x86_64', other, pkg))
    ok(cli('block-pkg', child, pkg))
    ok(cli('block-pkg', other, pkg))
    out = history(cli, '--package', pkg, '-v')
    out = re.sub(r'\(eid \d+\) ', '', out)
    assert out == ''.join(line + '\n' for line in [
        '<ts> package owner %s set for %s in %s by %s' % (owner, pkg, other, admin),
        '    owner: %s' % owner,
        '<ts> package list entry created: %s in %s by %s' % (pkg, other, admin),
        '    blocked: False',
        '    extra_arches: x86_64',
        '<ts> package owner %s set for %s in %s by %s [still active]'
        % (owner, pkg, child, admin),
        '    owner: %s' % owner,
        '<ts> package list entry created: %s in %s by %s [still active]'
        % (pkg, child, admin),
        '    blocked: True',
        '<ts> package owner changed for %s in %s by %s [still active]'
        % (pkg, other, admin),
        '<ts> package list entry for %s in %s updated by %s [still active]'
        % (pkg, other, admin),
        '    blocked: False -> True',
    ])
    events = history(cli, '--tag', child, '-e', '--xkey', 'opt')
    assert re.match(r'^<ts> \(eid \d+\) added tag option opt for tag ', events)


def test_target_and_permission_history(cli):
    build, dest, target, user = uniq('hb'), uniq('hd'), uniq('ht'), uniq('hu')
    admin = 'kojiadmin'
    ok(cli('add-tag', build, '--arches', 'x86_64'))
    ok(cli('add-tag', dest))
    ok(cli('add-target', target, build, dest))
    ok(cli('edit-target', target, '--dest-tag', build))
    ok(cli('remove-target', target))
    out = re.sub(r'\(eid \d+\)', '(eid N)', history(cli, '--build-target', target, '-v'))
    assert out.splitlines() == [
        '<ts> (eid N) new build target: %s by %s' % (target, admin),
        '    build_tag: %s' % build,
        '    dest_tag: %s' % dest,
        '<ts> (eid N) build target configuration for %s updated by %s' % (target, admin),
        '    dest_tag.name: %s -> %s' % (dest, build),
        '<ts> (eid N) build target deleted: %s by %s' % (target, admin),
    ]
    ok(cli('add-user', user))
    ok(cli('grant-permission', 'tag', user))
    ok(cli('revoke-permission', 'tag', user))
    assert history(cli, '--user', user) == (
        '<ts> permission tag granted to %s by %s\n' % (user, admin)
        + '<ts> permission tag revoked for %s by %s\n' % (user, admin))
    by_editor = history(cli, '--editor', admin, '--user', user, '-s', 'user_perms')
    assert by_editor.count('\n') == 2
