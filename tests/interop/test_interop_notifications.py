"""Notification commands: upstream's CLI against ours, each on a twin world.

The two worlds differ in their name suffix and in the ids the hub hands out for
notifications and blocks, so both are evened out (ids including their column padding)
before the outputs are compared.
"""
import re
import subprocess

from tests.interop.compare import twin

NUMBER = re.compile(r' *\b\d+\b')


def scrub(w, res):
    """The result with this world's suffix and every number (ids, times) evened out."""
    text = [NUMBER.sub(' N', s.replace(w.sfx, 'WORLD')) for s in (res.stdout, res.stderr)]
    return subprocess.CompletedProcess(res.args, res.returncode, text[0], text[1])


def make_world(w):
    """A user, a tag and a package listed in it."""
    return [w.run('add-user', w.n('nu')), w.run('add-tag', w.n('ntag')),
            w.run('add-pkg', '--owner', w.n('nu'), w.n('ntag'), w.n('npkg'))]


def test_subscriptions(clients, hub):
    def script(w):
        user, tag, pkg = w.n('nu'), w.n('ntag'), w.n('npkg')
        out = make_world(w)
        out.append(w.run('add-notification', '--user', user, '--tag', tag))
        out.append(w.run('add-notification', '--user', user, '--package', pkg,
                         '--success-only'))
        out.append(w.run('add-notification', '--user', user, '--package', pkg,
                         '--success-only'))
        out.append(w.run('add-notification', '--user', user))
        out.append(w.run('add-notification', '--user', user, 'extra'))
        out.append(w.run('add-notification', '--user', user, '--tag', 'no-' + tag))
        out.append(w.run('add-notification', '--user', user, '--package', 'no-' + pkg))
        out.append(w.run('list-notifications', '--user', user, noauth=True))
        ids = [str(n['id']) for n in hub.getBuildNotifications(user)]
        out.append(w.run('edit-notification', '--tag', '*', '--package', pkg, ids[0]))
        out.append(w.run('edit-notification', '--tag', tag, '--no-success-only', ids[1]))
        out.append(w.run('edit-notification', '--package', '*', ids[1]))
        out.append(w.run('edit-notification', '--tag', '*', ids[1]))
        out.append(w.run('edit-notification', '--tag', 'no-' + tag, ids[1]))
        out.append(w.run('edit-notification', 'x'))
        out.append(w.run('edit-notification', ids[0]))
        out.append(w.run('edit-notification', ids[0], ids[1]))
        out.append(w.run('list-notifications', '--user', user, noauth=True))
        out.append(w.run('remove-notification', ids[0]))
        out.append(w.run('-q', 'remove-notification', ids[1]))
        out.append(w.run('remove-notification', ids[1]))
        out.append(w.run('remove-notification', 'x'))
        out.append(w.run('remove-notification'))
        out.append(w.run('list-notifications', '--user', user, noauth=True))
        out.append(w.run('list-notifications', '--user', 'no-' + user, noauth=True))
        out.append(w.run('list-notifications', noauth=True))
        out.append(w.run('list-notifications', '--mine', 'x'))
        out.append(w.run('list-notifications', '--mine'))
        return [scrub(w, res) for res in out]
    theirs = twin(clients, script)
    # the world really had subscriptions to show
    assert theirs[10][1].startswith('Notifications\n') and 'nu-WORLD@' in theirs[10][1]


def test_blocks(clients, hub):
    def script(w):
        user, tag, pkg = w.n('nu'), w.n('ntag'), w.n('npkg')
        out = make_world(w)
        out.append(w.run('block-notification', '--user', user, '--all'))
        out.append(w.run('block-notification', '--user', user, '--all'))
        out.append(w.run('block-notification', '--user', user, '--tag', tag,
                         '--package', pkg))
        out.append(w.run('block-notification', '--user', user, '--tag', tag))
        out.append(w.run('block-notification', '--user', user, '--tag', 'no-' + tag))
        out.append(w.run('block-notification', '--user', user))
        out.append(w.run('block-notification', '--user', user, '--all', 'extra'))
        out.append(w.run('add-notification', '--user', user, '--tag', tag))
        out.append(w.run('list-notifications', '--user', user, noauth=True))
        ids = [str(b['id']) for b in hub.getBuildNotificationBlocks(user)]
        out.append(w.run('unblock-notification', ids[0], ids[2]))
        out.append(w.run('-q', 'unblock-notification', ids[1]))
        out.append(w.run('unblock-notification', ids[1]))
        out.append(w.run('unblock-notification', 'x'))
        out.append(w.run('unblock-notification'))
        out.append(w.run('list-notifications', '--user', user, noauth=True))
        return [scrub(w, res) for res in out]
    theirs = twin(clients, script)
    assert '\nNotification blocks\n' in theirs[11][1]
