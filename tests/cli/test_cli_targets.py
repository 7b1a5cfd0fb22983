"""Build target commands against the real hub (each test makes its own tags/targets)."""
import re
import uuid

import pytest
from tests.fixtures.cli import LOG_ERROR, uniq

HEADER = '%-30s %-30s %-30s\n%s\n' % ('Name', 'Buildroot', 'Destination', '-' * 93)


def ok(res):
    assert res.returncode == 0, res.stderr
    return res.stdout


def usage_error(res, command, message):
    assert res.returncode == 2, res
    assert res.stderr.startswith('Usage: koji %s' % command)
    assert res.stderr.endswith('\nkoji: error: %s\n' % message)


def failed(res, stderr):
    assert (res.returncode, res.stdout, res.stderr) == (1, '', stderr)


def row(name, build, dest):
    return '%-30s %-30s %-30s\n' % (name, build, dest)


@pytest.fixture(scope='module')
def tags(cli):
    """A build tag with arches, one without, and a destination tag."""
    build, bare, dest = uniq('build'), uniq('bare'), uniq('dest')
    ok(cli('add-tag', build, '--arches', 'x86_64'))
    ok(cli('add-tag', bare))
    ok(cli('add-tag', dest))
    return build, bare, dest


def test_no_targets(cli):
    # runs first in this module: the hub has no targets yet
    usage_error(cli('list-targets', auth=False), 'list-targets', 'No targets were found')


def test_add_list_remove(cli, tags):
    build, bare, dest = tags
    first, second = uniq('t-b'), uniq('t-a')
    assert ok(cli('add-target', first, build, dest)) == ''
    ok(cli('add-tag', second))
    # without a destination the target name is taken as the destination tag
    assert ok(cli('add-target', second, build)) == ''
    out = ok(cli('list-targets', auth=False))
    assert out.startswith(HEADER)
    assert row(first, build, dest) in out
    assert row(second, build, second) in out
    names = [line.split()[0] for line in out.splitlines()[2:]]
    assert names == sorted(names)
    assert ok(cli('list-targets', '--name', first, '--quiet')) == row(first, build, dest)
    assert ok(cli('-q', 'list-targets', '--name', first)) == row(first, build, dest)
    assert ok(cli('list-targets', '--name', first)) == HEADER + row(first, build, dest)
    assert ok(cli('remove-target', first)) == ''
    usage_error(cli('list-targets', '--name', first), 'list-targets',
                'No such build target: %s' % first)
    failed(cli('remove-target', first), 'No such build target: %s\n' % first)


def test_add_target_errors(cli, tags):
    build, bare, dest = tags
    ghost = uniq('ghost')
    msg = 'Please specify a target name, a build tag, and destination tag'
    usage_error(cli('add-target'), 'add-target', msg)
    usage_error(cli('add-target', 'x'), 'add-target', msg)
    usage_error(cli('add-target', 'a', 'b', 'c', 'd'), 'add-target',
                'Incorrect number of arguments')
    failed(cli('add-target', uniq('t'), ghost, dest), 'No such tag: %s\n' % ghost)
    failed(cli('add-target', uniq('t'), bare, dest), 'Build tag has no arches: %s\n' % bare)
    failed(cli('add-target', uniq('t'), build, ghost),
           'No such destination tag: %s\n' % ghost)


def test_edit_target(cli, tags):
    build, bare, dest = tags
    name, new_name = uniq('t-e'), uniq('t-renamed')
    other_build = uniq('build2')
    ok(cli('add-tag', other_build, '--arches', 'aarch64'))
    ok(cli('add-target', name, build, dest))
    assert ok(cli('edit-target', name, '--rename', new_name, '--build-tag', other_build,
                  '--dest-tag', build)) == ''
    assert ok(cli('list-targets', '--quiet', '--name', new_name)) == \
        row(new_name, other_build, build)
    ghost = uniq('ghost')
    failed(cli('edit-target', new_name, '--build-tag', bare),
           'Build tag has no arches: %s\n' % bare)
    failed(cli('edit-target', new_name, '--build-tag', ghost), 'No such tag: %s\n' % ghost)
    failed(cli('edit-target', new_name, '--dest-tag', ghost),
           'No such destination tag: %s\n' % ghost)
    res = cli('edit-target', ghost)
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: No such build target: %s$' % ghost,
                    res.stderr)
    usage_error(cli('edit-target'), 'edit-target', 'Please specify a build target')
    usage_error(cli('remove-target'), 'remove-target',
                'Please specify a build target to remove')
    usage_error(cli('list-targets', 'x'), 'list-targets', 'This command takes no arguments')


def test_target_perms(cli, hub_server, tags):
    build, bare, dest = tags
    name = uniq('plain')
    password = uuid.uuid4().hex
    ok(cli('add-user', name))
    hub_server.set_password(name, password)
    msg = 'This action requires target or admin privileges'
    for args in (('add-target', 'x', build, dest), ('edit-target', 'x'),
                 ('remove-target', 'x')):
        usage_error(cli(*args, user=name, password=password), args[0], msg)
