"""The delete and salvage actions over the builds held in the trashcan."""
import time

import koji

from . import fetch
from .filters import check_package
from .policy import protected_sig

# untagBuildBypass calls per multicall (each is one hub event)
UNTAG_BATCH = 500


def salvage_builds(session, options, builds):
    """Untag builds from the trashcan (force), as batched multicalls rather than one
    request per build; a failed untag is reported and the others still happen."""
    todo = []
    for binfo in builds:
        if options.test:
            print('Would have untagged from trashcan: %(nvr)s' % binfo)
            continue
        if options.debug:
            print('Untagging from trashcan: %(nvr)s' % binfo)
        todo.append(binfo)
    calls = [('untagBuildBypass', (options.trashcan_tag, b['id']), {'force': True})
             for b in todo]
    for binfo, res in zip(todo, fetch.results(session, calls, batch=UNTAG_BATCH)):
        if isinstance(res, Exception):
            print('Warning: failed to untag %s from trashcan: %s' % (binfo['nvr'], res))


def handle_delete(session, options, just_salvage=False):
    """Delete builds in the trashcan longer than the grace period, salvaging any that got
    tagged elsewhere or signed with a protected key; salvage mode deletes nothing."""
    print('Getting list of builds in trash...')
    trashcan = options.trashcan_tag
    history = session.queryHistory(tables=['tag_listing'], tag=trashcan, active=True,
                                   before=time.time() - options.grace_period)
    to_check = {}
    for binfo in history['tag_listing']:
        binfo['nvr'] = '%(name)s-%(version)s-%(release)s' % binfo
        binfo['id'] = binfo['build_id']
        to_check[binfo['nvr']] = binfo
    print('...got %i builds to check' % len(to_check))

    print('1st pass: package filter')
    for nvr in sorted(to_check):
        if not check_package(options, to_check[nvr]['name']):
            if options.debug:
                print('Skipping package: %s' % nvr)
            del to_check[nvr]
    print('%i builds remaining' % len(to_check))

    print('2nd pass: tags')
    tags = fetch.build_tags(session, [b['id'] for b in to_check.values()])
    salvage = []
    for nvr in sorted(to_check):
        binfo = to_check[nvr]
        others = [t['name'] for t in tags[binfo['id']] if t['name'] != trashcan]
        if others:
            print('Build %s tagged elsewhere: %s' % (nvr, others))
            salvage.append(binfo)
            del to_check[nvr]
    salvage_builds(session, options, salvage)
    print('%i builds remaining' % len(to_check))

    print('3rd pass: signatures')
    sigs = fetch.build_sigs(session, [b['id'] for b in to_check.values()])
    salvage = []
    for nvr in sorted(to_check):
        binfo = to_check[nvr]
        keys = sigs[binfo['id']]
        if keys and options.debug:
            print('Build: %s, Keys: %s' % (nvr, keys))
        if protected_sig(keys, options.unprotected_key_patterns, options.key_aliases):
            print('Salvaging signed build %s. Keys: %s' % (nvr, keys))
            salvage.append(binfo)
            del to_check[nvr]
    salvage_builds(session, options, salvage)
    print('%i builds remaining' % len(to_check))

    if just_salvage:
        print('Salvage mode. Skipping deletes.')
        return

    print('4th pass: deletion')
    if options.test:
        for nvr in sorted(to_check):
            print('Would have deleted build from trashcan: %s' % nvr)
        return
    with session.multicall(batch=100) as mc:
        untags = {nvr: mc.untagBuildBypass(trashcan, to_check[nvr]['id']) for nvr in to_check}
        deletes = {nvr: mc.deleteBuild(to_check[nvr]['id']) for nvr in to_check}
    for nvr in sorted(to_check):
        try:
            untags[nvr].result
        except koji.GenericError as exc:
            print('Failed to untag %s from trashcan: %s' % (nvr, exc))
        try:
            deletes[nvr].result
        except koji.GenericError as exc:
            print('Warning: deletion failed for %s: (%s)' % (nvr, exc))
            continue
        print('Deleted build: %s' % nvr)


def handle_salvage(session, options):
    return handle_delete(session, options, just_salvage=True)
