"""User and permission commands against the real hub.

The hub is shared by the whole module, so every test makes its own uniquely named
users and permissions.
"""
import json
import re
import uuid

import pytest
from tests.fixtures.cli import LOG_ERROR, uniq


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def add_user(cli, name, *opts):
    out = ok(cli('add-user', name, *opts))
    match = re.match(r'^Added user %s \((\d+)\)\n$' % re.escape(name), out)
    assert match, out
    return int(match.group(1))


def get_user(cli, name):
    """The hub's record of a user, to check commands without going through userinfo."""
    return json.loads(ok(cli('call', '--json-output', 'getUser', 'userInfo=' + name)))


def userinfo_block(name, user_id, principals=(), perms=(), groups=(), status='NORMAL',
                   usertype='NORMAL'):
    lines = ['User name: %s' % name, 'User ID: %d' % user_id, 'krb principals:']
    lines += ['  %s' % p for p in principals]
    if perms:
        lines += ['Permissions:'] + ['  %s' % p for p in perms]
    if groups:
        lines += ['Groups:'] + ['  %s' % g for g in groups]
    lines += ['Status: %s' % status, 'Usertype: %s' % usertype, 'Number of packages: 0',
              'Number of tasks: 0', 'Number of builds: 0', '']
    return '\n'.join(lines) + '\n'


@pytest.fixture(scope='module')
def plain_user(cli, hub_server):
    """A NORMAL user without permissions that can log in with a password."""
    name = uniq('plain')
    password = uuid.uuid4().hex
    add_user(cli, name)
    # the hub has no call that sets a password, so it goes straight into the database
    hub_server.set_password(name, password)
    return name, password


def test_add_user_and_userinfo(cli):
    name = uniq('alice')
    user_id = add_user(cli, name)
    res = cli('userinfo', name, auth=False)
    assert ok(res) == userinfo_block(name, user_id)
    assert res.stderr == ''


def test_add_user_disabled_with_principal(cli):
    name = uniq('bob')
    principal = '%s@EXAMPLE.COM' % name
    user_id = add_user(cli, name, '--disable', '--principal', principal)
    user = get_user(cli, name)
    assert (user['id'], user['status'], user['krb_principals']) == (user_id, 1, [principal])
    assert ok(cli('userinfo', name)) == userinfo_block(
        name, user_id, principals=[principal], status='BLOCKED')


def test_add_existing_user_fails(cli):
    name = uniq('dup')
    add_user(cli, name)
    res = cli('add-user', name)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + r'GenericError: .*%s' % re.escape(name), res.stderr)


def test_userinfo_unknown_users(cli):
    name = uniq('carol')
    user_id = add_user(cli, name)
    res = cli('userinfo', 'ghost-1', name, 'ghost-2', auth=False)
    assert res.returncode == 0
    assert res.stderr == 'No such user: ghost-1\n\nNo such user: ghost-2\n\n'
    assert res.stdout == userinfo_block(name, user_id)


def test_userinfo_several_users(cli):
    first, second = uniq('u1'), uniq('u2')
    first_id, second_id = add_user(cli, first), add_user(cli, second)
    assert ok(cli('userinfo', first, second, auth=False)) == (
        userinfo_block(first, first_id) + userinfo_block(second, second_id))


def test_disable_and_enable_user(cli):
    name = uniq('dave')
    user_id = add_user(cli, name)
    assert ok(cli('disable-user', name)) == ''
    assert get_user(cli, name)['status'] == 1
    assert ok(cli('enable-user', name)) == ''
    assert get_user(cli, name)['status'] == 0
    assert ok(cli('disable-user', name)) == ''
    assert ok(cli('userinfo', name)) == userinfo_block(name, user_id, status='BLOCKED')


def test_edit_user(cli):
    name = uniq('erin')
    new_name = uniq('erin-renamed')
    user_id = add_user(cli, name)
    one, two, three = ('%s-%s@EXAMPLE.COM' % (name, p) for p in ('one', 'two', 'three'))
    assert ok(cli('edit-user', name, '--rename', new_name)) == ''
    assert get_user(cli, name) is None
    assert get_user(cli, new_name)['id'] == user_id
    assert ok(cli('edit-user', new_name, '--add-krb', one, '--add-krb', two)) == ''
    assert sorted(get_user(cli, new_name)['krb_principals']) == sorted([one, two])
    assert ok(cli('edit-user', new_name, '--edit-krb', '%s=%s' % (one, three),
                  '--remove-krb', two)) == ''
    assert get_user(cli, new_name)['krb_principals'] == [three]


def test_list_users(cli):
    prefix = uniq('lu')
    names = ['%s-%d' % (prefix, i) for i in range(3)]
    for name in names:
        add_user(cli, name)
    out = ok(cli('list-users', '--prefix', prefix, auth=False))
    assert sorted(out.splitlines()) == names
    assert ok(cli('list-users', '--prefix', prefix, '--usertype', 'host', auth=False)) == ''
    out = ok(cli('list-users', '--prefix', prefix, '--usertype', 'ALL', auth=False))
    assert sorted(out.splitlines()) == names
    everyone = ok(cli('list-users', auth=False)).splitlines()
    assert set(names) <= set(everyone)


def test_list_users_by_permission(cli, hub_server):
    out = ok(cli('list-users', '--perm', 'admin', auth=False))
    assert hub_server.admin_user in out.splitlines()
    res = cli('list-users', '--perm', 'no-such-perm', auth=False)
    assert res.returncode == 1
    assert res.stderr == 'Invalid permission: no-such-perm\n'


def perm_table(rows, descriptions):
    """Expected list-permissions output for (name, description) rows."""
    width = max([len(name) for name, _ in rows] + [18])
    header = 'Permission name'.ljust(width)
    if descriptions:
        header += '   Description'.ljust(53)
    lines = [header, '-' * len(header)]
    for name, desc in sorted(rows):
        line = name.ljust(width)
        if desc:
            line += '   %s' % desc
        lines.append(line)
    return '\n'.join(lines) + '\n'


def test_grant_edit_revoke_permission(cli):
    name = uniq('frank')
    perm = uniq('perm')
    add_user(cli, name)
    assert ok(cli('list-permissions', '--user', name)) == perm_table([], False)
    assert ok(cli('grant-permission', '--new', '--description', 'Initial text', perm,
                  name)) == ''
    assert ok(cli('list-permissions', '--user', name)) == perm_table([(perm, None)], False)
    assert ok(cli('list-permissions', '--user', name, '--quiet')) == perm.ljust(18) + '\n'
    assert ok(cli('-q', 'list-permissions', '--user', name)) == perm.ljust(18) + '\n'

    everything = ok(cli('list-permissions')).splitlines()
    header = everything[0]
    assert header.startswith('Permission name')
    assert everything[1] == '-' * len(header)
    width = len(header) - len('   Description'.ljust(53)) if 'Description' in header \
        else len(header)
    assert '%s   Initial text' % perm.ljust(width) in everything
    rows = everything[2:]
    assert rows == sorted(rows)
    assert ok(cli('list-permissions', '--quiet')).splitlines() == rows

    assert ok(cli('edit-permission', perm, 'Better text')) == ''
    assert '%s   Better text' % perm.ljust(width) in ok(cli('list-permissions')).splitlines()

    assert name in ok(cli('list-users', '--perm', perm, auth=False)).splitlines()

    assert ok(cli('revoke-permission', perm, name)) == ''
    assert ok(cli('list-permissions', '--user', name)) == perm_table([], False)


def test_grant_existing_permission_to_several_users(cli):
    first, second = uniq('g1'), uniq('g2')
    perm = uniq('perm')
    add_user(cli, first)
    add_user(cli, second)
    ok(cli('grant-permission', '--new', perm, first, second))
    for name in (first, second):
        assert ok(cli('list-permissions', '--user', name, '--quiet')) == perm.ljust(18) + '\n'
    res = cli('grant-permission', perm, first, 'ghost-user')
    assert res.returncode == 2
    assert res.stderr.endswith('\nkoji: error: No such user: ghost-user\n')
    res = cli('revoke-permission', perm, 'ghost-user')
    assert res.returncode == 2
    assert res.stderr.endswith('\nkoji: error: No such user: ghost-user\n')


def test_grant_unknown_permission_without_new(cli):
    name = uniq('henry')
    add_user(cli, name)
    res = cli('grant-permission', uniq('undefined'), name)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + r'\w+Error: ', res.stderr)


def test_inherited_permissions(cli):
    name = uniq('ivy')
    group = uniq('grp')
    perm = uniq('perm')
    user_id = add_user(cli, name)
    ok(cli('call', 'newGroup', group))
    ok(cli('call', 'addGroupMember', group, name))
    ok(cli('grant-permission', '--new', perm, group))
    out = ok(cli('list-permissions', '--user', name))
    width = max(len(perm), 18)
    header = 'Permission name'.ljust(width) + '   Description'.ljust(53)
    assert out == '%s\n%s\n%s   inherited from: %s\n' % (
        header, '-' * len(header), perm.ljust(width), group)
    assert ok(cli('list-users', '--perm', perm, auth=False)) == ''
    assert ok(cli('list-users', '--perm', perm, '--inherited-perm', auth=False)) == name + '\n'
    assert ok(cli('userinfo', name)) == userinfo_block(
        name, user_id, perms=[perm], groups=[group])


def test_list_permissions_mine(cli, hub_server, plain_user):
    name, password = plain_user
    out = ok(cli('list-permissions', '--mine', user=name, password=password))
    assert out == perm_table([], False)
    out = ok(cli('list-permissions', '--mine'))
    assert out.splitlines()[2].startswith('admin')


def test_plain_user_cannot_run_admin_commands(cli, plain_user):
    name, password = plain_user
    commands = [
        ('add-user', uniq('x')),
        ('disable-user', name),
        ('enable-user', name),
        ('edit-user', name, '--rename', uniq('x')),
        ('grant-permission', 'admin', name),
        ('revoke-permission', 'admin', name),
        ('edit-permission', 'admin', 'changed'),
    ]
    for args in commands:
        res = cli(*args, user=name, password=password)
        assert res.returncode == 1, args
        assert res.stdout == ''
        assert re.match(LOG_ERROR + r'ActionNotAllowed: admin permission required '
                        r'\(logged in as %s\)\n$' % re.escape(name), res.stderr), res.stderr
    # read-only commands still work for the plain user
    assert ok(cli('list-users', '--prefix', name, user=name, password=password)) == name + '\n'


def test_list_permissions_unknown_user(cli):
    res = cli('list-permissions', '--user', 'ghost-user')
    assert res.returncode == 1
    assert res.stderr == 'No such user: ghost-user\n'
