"""Tag, inheritance, target and history commands: upstream's CLI against ours.

Read-only commands run through both clients on the same hub state. Commands that change
state run once per client, each on its own "world" of objects built the same way; the
names of the two worlds differ only by a suffix of equal length, which is evened out
before comparing, together with the ids, event ids and times the hub hands out.
"""
import pytest

from tests.interop.compare import same, twin


@pytest.fixture(scope='module')
def hub_methods(hub_server):
    return set(hub_server.call('system.listMethods'))


def build_tags(w):
    """A small inheritance graph with every kind of link flag."""
    out = []
    out.append(w.run('add-tag', w.n('top'), '--arches', 'x86_64 i686', '-x', 'a=1',
                     '-x', 'b=text', '-x', 'c=None'))
    for name in ('pa', 'pb', 'pc', 'pd'):
        out.append(w.run('add-tag', w.n(name)))
    out.append(w.run('add-tag-inheritance', w.n('top'), w.n('pa')))
    out.append(w.run('add-tag-inheritance', w.n('top'), w.n('pd'), '--priority', '20',
                     '--intransitive'))
    out.append(w.run('add-tag-inheritance', w.n('pa'), w.n('pb'), '--maxdepth', '1'))
    out.append(w.run('add-tag-inheritance', w.n('pa'), w.n('pc'), '--priority', '5',
                     '--pkg-filter', 'z.*', '--noconfig'))
    return out


def test_tag_commands(clients):
    def script(w):
        out = build_tags(w)
        out.append(w.run('edit-tag', w.n('pa'), '--arches', 'aarch64', '--perm', 'admin',
                         '--lock', '-x', 'j=[1, 2]', '-x', 'k=None'))
        out.append(w.run('edit-tag', w.n('pa'), '-x', 'k=1', '-x', 'k=2'))
        out.append(w.run('add-tag', w.n('bad'), '-x', 'novalue'))
        out.append(w.run('list-tags', '--verbose', w.n('p') + '*'))
        out.append(w.run('list-tags', '--unlocked', w.n('p?'), w.n('pa')))
        out.append(w.run('lock-tag', '-n', '--glob', w.n('p') + '*'))
        out.append(w.run('lock-tag', '--master', w.n('pb'), w.n('pc')))
        out.append(w.run('lock-tag', w.n('pb'), w.n('pa')))
        out.append(w.run('lock-tag', '--perm', 'nosuchperm', w.n('pb')))
        out.append(w.run('unlock-tag', '-n', '--glob', w.n('p') + '*'))
        out.append(w.run('unlock-tag', w.n('pa'), w.n('pb')))
        out.append(w.run('unlock-tag', w.n('pa'), w.n('ghost')))
        out.append(w.run('lock-tag', w.n('ghost')))
        out.append(w.run('list-tags', '--verbose', '--show-id', w.n('p') + '*'))
        out.append(w.run('remove-tag', w.n('pd')))
        out.append(w.run('remove-tag', w.n('pd')))
        return out
    twin(clients, script, ids=True)


def test_inheritance_commands(clients):
    def script(w):
        out = build_tags(w)
        top = w.n('top')
        out.append(w.run('list-tag-inheritance', top, noauth=True))
        out.append(w.run('list-tag-inheritance', '--reverse', w.n('pb'), noauth=True))
        out.append(w.run('add-tag-inheritance', top, w.n('pa')))
        out.append(w.run('add-tag-inheritance', top, w.n('pb'), '--priority', '20'))
        out.append(w.run('add-tag-inheritance', top, w.n('pb'), '--priority', 'x'))
        out.append(w.run('add-tag-inheritance', top, w.n('pb'), '--priority', '3',
                         '--maxdepth', 'deep'))
        out.append(w.run('edit-tag-inheritance', top))
        out.append(w.run('edit-tag-inheritance', top, w.n('pd'), '99'))
        out.append(w.run('edit-tag-inheritance', top, w.n('pd'), '--priority', '0'))
        out.append(w.run('edit-tag-inheritance', top, w.n('pd'), '--maxdepth', 'x'))
        out.append(w.run('edit-tag-inheritance', top, w.n('pd'), '20', '--priority', '30',
                         '--maxdepth', '4', '--noconfig', '--pkg-filter', 'q'))
        out.append(w.run('edit-tag-inheritance', top, w.n('pd'), '--maxdepth', 'none'))
        out.append(w.run('list-tag-inheritance', top, noauth=True))
        out.append(w.run('remove-tag-inheritance', top))
        out.append(w.run('remove-tag-inheritance', top, w.n('pa'), '7'))
        out.append(w.run('remove-tag-inheritance', top, w.n('pa')))
        out.append(w.run('remove-tag-inheritance', w.n('pa'), w.n('pc'), '5'))
        out.append(w.run('list-tag-inheritance', top, noauth=True))
        out.append(w.run('list-tag-inheritance', w.n('pa'), noauth=True))
        return out
    twin(clients, script, ids=True)


def test_target_commands(clients):
    def script(w):
        out = [w.run('add-tag', w.n('build'), '--arches', 'x86_64'),
               w.run('add-tag', w.n('bare')), w.run('add-tag', w.n('dest'))]
        out.append(w.run('add-target', w.n('tgt'), w.n('build'), w.n('dest')))
        out.append(w.run('add-target', w.n('dest'), w.n('build')))
        out.append(w.run('add-target', w.n('x'), w.n('bare'), w.n('dest')))
        out.append(w.run('add-target', w.n('x'), w.n('ghost'), w.n('dest')))
        out.append(w.run('add-target', w.n('x'), w.n('build'), w.n('ghost')))
        out.append(w.run('add-target', w.n('x'), w.n('build'), w.n('dest'), 'extra'))
        out.append(w.run('list-targets', '--name', w.n('tgt'), noauth=True))
        out.append(w.run('edit-target', w.n('tgt'), '--rename', w.n('tgt2'),
                         '--dest-tag', w.n('build')))
        out.append(w.run('edit-target', w.n('tgt2'), '--build-tag', w.n('bare')))
        out.append(w.run('edit-target', w.n('ghost')))
        out.append(w.run('list-targets', '--quiet', '--name', w.n('tgt2'), noauth=True))
        out.append(w.run('remove-target', w.n('tgt2')))
        out.append(w.run('remove-target', w.n('tgt2')))
        out.append(w.run('list-targets', '--name', w.n('tgt2'), noauth=True))
        return out
    twin(clients, script)


def test_usage_errors(clients):
    for args in (('add-tag',), ('edit-tag',), ('remove-tag',), ('lock-tag',),
                 ('unlock-tag',), ('taginfo',), ('add-tag-inheritance', 'x'),
                 ('edit-tag-inheritance',), ('remove-tag-inheritance', 'a', 'b', 'c', 'd'),
                 ('add-target', 'x'), ('edit-target',), ('remove-target',),
                 ('list-targets', 'x'), ('list-history',),
                 ('list-history', '--before', 'garbage')):
        same(clients, *args)
    for args in (('list-tag-inheritance',), ('list-tag-inheritance', 'ghost-tag-x'),
                 ('list-tag-inheritance', '--stop', 'x', 'ghost-tag-x')):
        same(clients, *args, noauth=True, usage=True)


def test_list_commands_same_state(clients):
    same(clients, 'list-tags', noauth=True)
    same(clients, 'list-tags', '--show-id', '--verbose', noauth=True)
    same(clients, 'list-targets', noauth=True)
    same(clients, 'list-tags', '--package', 'no-such-package-x', noauth=True)


def test_taginfo_at_event(clients):
    """With an event option taginfo makes no repo calls, so it runs on any hub."""
    def script(w):
        out = build_tags(w)
        out.append(w.run('add-tag', w.n('build'), '--arches', 'x86_64'))
        out.append(w.run('add-target', w.n('tgt'), w.n('build'), w.n('top')))
        out.append(w.run('edit-tag', w.n('top'), '--lock', '--perm', 'admin'))
        for tag in ('top', 'pa', 'build'):
            out.append(w.run('taginfo', '--ts', '4000000000', w.n(tag), noauth=True))
        out.append(w.run('taginfo', '--ts', '4000000000', w.n('top'), w.n('pc'), noauth=True))
        out.append(w.run('taginfo', '--ts', '4000000000', w.n('ghost'), noauth=True))
        return out
    twin(clients, script, ids=True)


def test_taginfo(clients, hub_methods):
    missing = {'getRepo', 'getTagExternalRepos', 'getTagGroups'} - hub_methods
    if missing:
        pytest.skip('hub lacks %s' % ', '.join(sorted(missing)))

    def script(w):
        out = build_tags(w)
        out.append(w.run('add-tag', w.n('build'), '--arches', 'x86_64'))
        out.append(w.run('add-target', w.n('tgt'), w.n('build'), w.n('top')))
        out.append(w.run('edit-tag', w.n('top'), '--lock', '--perm', 'admin'))
        out.append(w.run('taginfo', w.n('top'), w.n('pa'), w.n('build'), noauth=True))
        out.append(w.run('taginfo', w.n('ghost'), noauth=True))
        return out
    twin(clients, script, ids=True)


def test_list_history(clients, hub_methods):
    if 'queryHistory' not in hub_methods:
        pytest.skip('hub lacks queryHistory')

    def script(w):
        out = build_tags(w)
        out.append(w.run('edit-tag', w.n('top'), '--arches', 'ppc64le', '--lock',
                         '-x', 'a=2', '-r', 'b'))
        out.append(w.run('edit-tag-inheritance', w.n('top'), w.n('pd'), '--priority', '30'))
        out.append(w.run('add-tag', w.n('build'), '--arches', 'x86_64'))
        out.append(w.run('add-target', w.n('tgt'), w.n('build'), w.n('top')))
        out.append(w.run('edit-target', w.n('tgt'), '--dest-tag', w.n('pa')))
        out.append(w.run('remove-tag-inheritance', w.n('top'), w.n('pa')))
        for opts in ((), ('-v',), ('-e', '--utc'), ('--active',), ('--revoked',),
                     ('--context', '-s', 'tag_inheritance'), ('-s', 'tag_config,tag_extra'),
                     ('--xkey', 'a', '-v')):
            out.append(w.run('list-history', '--tag', w.n('top'), *opts, noauth=True))
        out.append(w.run('list-history', '--build-target', w.n('tgt'), '-v', noauth=True))
        # tag options, package owner changes, blocks and comps group packages
        out.append(w.run('edit-tag', w.n('pb'), '-x', 'mock.package_manager=dnf'))
        out.append(w.run('add-user', w.n('own')))
        out.append(w.run('add-pkg', '--owner', w.n('own'), w.n('pb'), w.n('pkg')))
        out.append(w.run('set-pkg-owner', clients.hub.admin_user, w.n('pb'), w.n('pkg')))
        out.append(w.run('block-pkg', w.n('pb'), w.n('pkg')))
        out.append(w.run('add-group', w.n('pb'), 'build'))
        out.append(w.run('add-group-pkg', w.n('pb'), 'build', 'bash', 'make'))
        out.append(w.run('block-group-pkg', w.n('pb'), 'build', 'make'))
        for opts in ((), ('-v',), ('--package', w.n('pkg'), '-v'), ('--xkey',
                     'mock.package_manager')):
            out.append(w.run('list-history', '--tag', w.n('pb'), *opts, noauth=True))
        out.append(w.run('list-history', '--tag', w.n('top'), '--editor',
                         clients.hub.admin_user, '--after', '2000-01-01', noauth=True))
        return out
    twin(clients, script, ids=True)
