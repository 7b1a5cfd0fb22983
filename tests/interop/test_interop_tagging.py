"""tag-build, untag-build, move-build and clone-tag: upstream's CLI against ours.

Each command runs once per client on its own twin world (tags, packages and empty
builds made the same way through the hub; names differ only by an equal-length
suffix). Besides what the commands print, the state they leave behind (tag contents,
the requests of the tasks they queue, the copies clone-tag makes) is dumped from the
hub and compared too. No builder runs here, so tagging tasks stay queued.
"""
import re
import types

import koji
from tests.interop.compare import World, norm, show

TASK_ID = re.compile(r'(Created task) \d+')


def fact(text):
    """A pseudo result carrying state read from the hub, compared like command output."""
    return types.SimpleNamespace(returncode=0, stdout=text, stderr='')


def twin_tasks(clients, script):
    """twin() for commands that create tasks: task ids are evened out as well."""
    results = {}
    raw = {}
    for who in ('theirs', 'ours'):
        world = World(clients, who)
        raw[who] = list(script(world))
        results[who] = []
        for res in raw[who]:
            rc, out, err = norm(res, world.sfx, ids=True, usage_extra=True)
            results[who].append((rc, TASK_ID.sub(r'\1 N', out), err))
    assert len(results['ours']) == len(results['theirs'])
    for theirs, ours, rt, ro in zip(results['theirs'], results['ours'], raw['theirs'],
                                    raw['ours']):
        assert ours == theirs, show(rt, ro)
    return results['theirs']


def make_world(hub, w):
    """Tags src (inheriting from base) and dst; packages a, b, c; builds of each."""
    base, src, dst = w.n('base'), w.n('src'), w.n('dst')
    hub.createTag(base)
    hub.createTag(src, parent=base, arches='x86_64 i686', extra={'mock.yum.x': 1})
    hub.createTag(dst)
    for tag in (base, src, dst):
        for pkg in ('a', 'b'):
            hub.packageListAdd(tag, w.n(pkg), 'kojiadmin')
    hub.packageListAdd(base, w.n('c'), 'kojiadmin')
    for version in ('1', '2', '3'):
        hub.createEmptyBuild(w.n('a'), version, '1', None)
    hub.createEmptyBuild(w.n('b'), '1', '1', None)
    hub.createEmptyBuild(w.n('c'), '1', '1', None)
    hub.createEmptyBuild(w.n('u'), '1', '1', None)
    for pkg, version in (('a', '1'), ('a', '2'), ('a', '3'), ('b', '1')):
        hub.tagBuildBypass(src, nvr(w, pkg, version))
    hub.tagBuildBypass(base, nvr(w, 'c'))
    hub.groupListAdd(base, 'build', display_name='Build')
    hub.groupPackageListAdd(base, 'build', 'bash')
    hub.groupListAdd(src, 'extras')
    hub.groupPackageListAdd(src, 'extras', 'vim', type='optional')


def nvr(w, pkg, version='1'):
    return '%s-%s-1' % (w.n(pkg), version)


def tag_state(hub, w, tag):
    """A text dump of what a tag holds (its own rows, as well as the visible content)."""
    info = hub.getTag(tag)
    if info is None:
        return fact('no tag\n')
    rows = hub.queryHistory(tables=['tag_listing'], tag=tag, active=True)['tag_listing']
    lines = ['arches=%r locked=%r perm=%r extra=%r'
             % (info['arches'], info['locked'], info['perm_id'], info['extra'])]
    lines.append('listed: %s' % sorted('%(name)s-%(version)s-%(release)s' % r for r in rows))
    lines.append('tagged: %s' % [b['nvr'] for b in hub.listTagged(tag)])
    lines.append('pkgs: %s' % sorted((p['package_name'], p['blocked'], p['owner_name'])
                                     for p in hub.listPackages(tagID=tag)))
    lines.append('groups: %s' % sorted(
        (g['name'], g['display_name'], sorted((p['package'], p['type'])
                                              for p in g['packagelist']))
        for g in hub.getTagGroups(tag, inherit=False)))
    lines.append('parents: %s' % [p['name'] for p in hub.getInheritanceData(tag)])
    return fact('\n'.join(lines) + '\n')


def task_requests(hub, w, out):
    """The requests of the tasks a command reported, with ids turned into names."""
    lines = []
    for task_id in [int(x) for x in re.findall(r'Created task (\d+)', out)]:
        info = hub.getTaskInfo(task_id, request=True)
        tag_id, build_id, force, fromtag = info['request'][:4]
        lines.append('%s %s %s %s %r %s' % (
            info['method'], koji.TASK_STATES[info['state']], hub.getTag(tag_id)['name'],
            hub.getBuild(build_id)['nvr'], force,
            hub.getTag(fromtag)['name'] if fromtag else None))
    return fact('\n'.join(lines) + '\n')


def test_tag_build_nowait(clients, hub):
    def script(w):
        make_world(hub, w)
        dst = w.n('dst')
        out = []
        res = w.run('tag-build', '--nowait', dst, nvr(w, 'a', '2'), nvr(w, 'b'))
        out += [res, task_requests(hub, w, res.stdout)]
        res = w.run('tag-build', '--nowait', '--force', dst, nvr(w, 'a', '3'))
        out += [res, task_requests(hub, w, res.stdout)]
        out.append(w.run('tag-build', '--nowait', dst, nvr(w, 'u')))
        out.append(w.run('tag-build', '--nowait', dst, nvr(w, 'a'), 'nosuch-1-1'))
        out.append(w.run('tag-build', '--nowait', w.n('ghost'), nvr(w, 'a')))
        out.append(w.run('tag-build', dst))
        out.append(w.run('tag-build', '--nowait', '--wait', dst))
        return out
    twin_tasks(clients, script)


def dependant_tasks(hub):
    return hub.listTasks({'method': 'dependantTask'}, {'countOnly': True})


def test_move_build_nowait(clients, hub):
    def script(w):
        make_world(hub, w)
        src, dst = w.n('src'), w.n('dst')
        out = []
        res = w.run('move-build', '--nowait', src, dst, nvr(w, 'a', '2'), 'nosuch-1-1',
                    nvr(w, 'a', '2'), nvr(w, 'b'))
        out += [res, task_requests(hub, w, res.stdout)]
        before = dependant_tasks(hub)
        out.append(w.run('move-build', '--nowait', '--all', src, dst, w.n('a'),
                         w.n('nopkg')))
        # moveAllBuilds queues one dependantTask per build of the package
        out.append(fact('%d new dependant tasks\n' % (dependant_tasks(hub) - before)))
        out.append(w.run('move-build', '--nowait', src, dst))
        out.append(w.run('move-build', '--nowait', '--all', src, dst))
        out.append(w.run('move-build', '--nowait', src, w.n('ghost'), nvr(w, 'a')))
        return out
    twin_tasks(clients, script)


def test_untag_build(clients, hub):
    def script(w):
        make_world(hub, w)
        src = w.n('src')
        out = []
        hub.createEmptyBuild(w.n('b'), '2', '1', None)
        hub.tagBuildBypass(src, nvr(w, 'b', '2'))
        out.append(w.run('untag-build', '--all', '--test', src, w.n('a')))
        out.append(w.run('untag-build', '--non-latest', '-v', '--test', src, w.n('a'),
                         w.n('b')))
        out.append(w.run('untag-build', '--non-latest', '--force', '-n', '-v', src))
        out.append(w.run('untag-build', src, nvr(w, 'a'), nvr(w, 'c')))
        out.append(w.run('untag-build', src, 'nosuch-1-1'))
        out.append(w.run('untag-build', src, 'notannvr'))
        out.append(tag_state(hub, w, src))
        out.append(w.run('untag-build', '-v', '--force', src, nvr(w, 'a'), nvr(w, 'c'),
                         'nosuch-1-1'))
        out.append(w.run('untag-build', '--non-latest', '-v', src, w.n('a'), w.n('b')))
        out.append(tag_state(hub, w, src))
        out.append(w.run('untag-build', '--all', '-v', src, w.n('b')))
        out.append(w.run('untag-build', '--all', src, w.n('nopkg')))
        out.append(tag_state(hub, w, src))
        out.append(w.run('untag-build', src))
        out.append(w.run('untag-build', '--non-latest', '--force'))
        out.append(w.run('untag-build', w.n('ghost'), nvr(w, 'a')))
        return out
    twin_tasks(clients, script)


def test_clone_tag_checks(clients, hub):
    def script(w):
        make_world(hub, w)
        src, dst = w.n('src'), w.n('dst')
        out = [w.run('clone-tag', '--test', '--all', src, w.n('new')),
               w.run('clone-tag', '-n', src, dst),
               w.run('clone-tag', src, src),
               w.run('clone-tag', src),
               w.run('clone-tag', '--builds', src, dst),
               w.run('clone-tag', '--batch', '-5', src, dst),
               w.run('clone-tag', w.n('ghost'), dst)]
        hub.editTag2(dst, locked=True)
        out.append(w.run('clone-tag', '--all', src, dst))
        out.append(w.run('clone-tag', '--all', '--test', dst, w.n('new')))
        out.append(tag_state(hub, w, w.n('new')))
        return out
    twin_tasks(clients, script)


def test_clone_tag_new_tags(clients, hub):
    def script(w):
        make_world(hub, w)
        src = w.n('src')
        out = []
        for name, opts in (('all', ['--all']),
                           ('cfg', ['--config', '--groups']),
                           ('latest', ['--pkgs', '--builds', '--latest-only']),
                           ('inherit', ['--pkgs', '--builds', '--inherit-builds', '-v',
                                        '--notify', '--batch', '3'])):
            out.append(w.run('clone-tag', *(opts + [src, w.n(name)])))
            out.append(tag_state(hub, w, w.n(name)))
        return out
    twin_tasks(clients, script)


def test_clone_tag_existing(clients, hub):
    def script(w):
        make_world(hub, w)
        src, dst = w.n('src'), w.n('dst')
        out = []
        hub.tagBuildBypass(dst, nvr(w, 'b'))
        hub.groupListAdd(dst, 'old')
        hub.editTag2(dst, arches='s390x', extra={'old': True})
        out.append(w.run('clone-tag', '--all', '--no-delete', src, dst))
        out.append(tag_state(hub, w, dst))
        hub.untagBuildBypass(src, nvr(w, 'a', '3'))
        out.append(w.run('clone-tag', '--all', '--inherit-builds', src, dst))
        out.append(tag_state(hub, w, dst))
        hub.editTag2(src, locked=True)
        out.append(w.run('clone-tag', '--pkgs', src, dst))
        out.append(w.run('clone-tag', '--pkgs', '--builds', '-f', src, dst))
        out.append(tag_state(hub, w, dst))
        return out
    twin_tasks(clients, script)


def test_clone_tag_at_event(clients, hub):
    def script(w):
        make_world(hub, w)
        src = w.n('src')
        event = hub.getLastEvent()
        hub.untagBuildBypass(src, nvr(w, 'a', '2'))
        hub.packageListBlock(src, w.n('b'))
        out = [w.run('clone-tag', '--all', '--event', str(event['id']), src, w.n('ev')),
               tag_state(hub, w, w.n('ev')),
               w.run('clone-tag', '--all', src, w.n('now')),
               tag_state(hub, w, w.n('now'))]
        return out
    twin_tasks(clients, script)
