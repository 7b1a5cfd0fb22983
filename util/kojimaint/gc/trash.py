"""The trash action: move unreferenced, long-untagged, unprotected builds to the trashcan.

Every per-build read (references, tag history, build info, signatures, package owners)
goes out in multicall batches; the trashcan writes too.
"""
import datetime
import time

from . import fetch
from .filters import check_package
from .mail import send_warning_notice
from .policy import protected_sig

REFS_BATCH = 50


def _reference_reason(options, refs, i, total, nvr):
    """Why a build is still referenced (None if it is not); prints as upstream."""
    if refs.get('tags'):
        print('[%i/%i] Build is tagged [?]: %s' % (i, total, nvr))
        return 'tags'
    if refs.get('rpms'):
        if options.debug:
            print('[%i/%i] Build has %i rpm references: %s' % (i, total, len(refs['rpms']), nvr))
        return 'rpms'
    if refs.get('archives'):
        if options.debug:
            print('[%i/%i] Build has %i archive references: %s'
                  % (i, total, len(refs['archives']), nvr))
        return 'archives'
    if refs.get('component_of'):
        if options.debug:
            print('[%i/%i] Build is a component of archives: %s' % (i, total, nvr))
        return 'component_of'
    ts = refs.get('last_used')
    if ts:
        if isinstance(ts, list):
            ts = ts[0]
        if options.debug:
            print('[%i/%i] Build has been used in a buildroot: %s' % (i, total, nvr))
            print('Last_used: %s' % datetime.datetime.fromtimestamp(ts).isoformat())
        if time.time() - ts < options.delay:
            return 'last_used'
    return None


def _untagged_age(history, binfo):
    """(seconds since the build left its last tag or was created, still tagged?)."""
    if not history:
        ts = binfo.get('creation_ts')
        return (None if ts is None else time.time() - ts), False
    last = history[0]
    for entry in history:
        if not entry['revoke_event']:
            return None, True
        if entry['revoke_event'] > last['revoke_event']:
            last = entry
    return time.time() - last['revoke_ts'], False


def handle_trash(session, options):
    print('Getting untagged builds...')
    untagged = session.untaggedBuilds()
    print('...got %i builds' % len(untagged))
    total = len(untagged)
    print('1st pass: package filter')
    continuing = []
    for i, binfo in enumerate(untagged, 1):
        binfo['nvr'] = '%(name)s-%(version)s-%(release)s' % binfo
        if not check_package(options, binfo['name']):
            if options.debug:
                print('[%i/%i] Skipping package: %s' % (i, total, binfo['nvr']))
            continue
        continuing.append(binfo)

    print('2nd pass: references')
    refs = fetch.results(session, [('buildReferences', (b['id'],), {'limit': 10, 'lazy': True})
                                   for b in continuing], batch=REFS_BATCH)
    candidates = []
    for i, (binfo, ref) in enumerate(zip(continuing, refs), 1):
        if isinstance(ref, Exception):
            print('[%i/%i] Warning: cannot check references of %s: %s'
                  % (i, total, binfo['nvr'], ref))
            continue
        if _reference_reason(options, ref, i, total, binfo['nvr']) is None:
            candidates.append((i, binfo))
    ids = [b['id'] for _i, b in candidates]
    histories = fetch.results(session, [('queryHistory', (), {'build': b,
                                                              'tables': ['tag_listing']})
                                        for b in ids])
    infos = fetch.results(session, [('getBuild', (b,), {}) for b in ids])
    sigs = fetch.build_sigs(session, ids)
    to_trash = []
    for (i, binfo), hist, info in zip(candidates, histories, infos):
        nvr = binfo['nvr']
        if isinstance(hist, Exception) or isinstance(info, Exception) or not info:
            print('[%i/%i] Warning: cannot read build %s' % (i, total, nvr))
            continue
        age, tagged = _untagged_age(hist['tag_listing'], info)
        if tagged:
            print('[%i/%i] Warning: build not untagged: %s' % (i, total, nvr))
            continue
        if age is not None and age < options.delay:
            if options.debug:
                print('[%i/%i] Build untagged only recently: %s' % (i, total, nvr))
            continue
        keys = sigs[binfo['id']]
        if keys and options.debug:
            print('Build: %s, Keys: %s' % (nvr, keys))
        if protected_sig(keys, options.unprotected_key_patterns, options.key_aliases):
            print('Skipping build %s. Keys: %s' % (nvr, keys))
            continue
        print('[%i/%i] Adding build to trash list: %s' % (i, total, nvr))
        info['nvr'] = nvr
        to_trash.append(info)
    move_to_trashcan(session, options, to_trash)


def _package_owners(session, names):
    """{package name: the owner most often listed for it, or None}."""
    names = sorted(set(names))
    found = fetch.results(session, [('listPackages', (), {'pkgID': n}) for n in names])
    owners = {}
    for name, pkgs in zip(names, found):
        count = {}
        for pkg in ([] if isinstance(pkgs, Exception) else pkgs):
            count[pkg['owner_id']] = count.get(pkg['owner_id'], 0) + 1
        owners[name] = max((n, k) for k, n in count.items())[1] if count else None
    return owners


def move_to_trashcan(session, options, to_trash):
    """Mail each owner once, then add package entries and trashcan tags in one batch."""
    by_owner = {}
    for binfo in to_trash:
        by_owner.setdefault(binfo['owner_name'], []).append(binfo)
    owners = {} if options.test else _package_owners(session, [b['name'] for b in to_trash])
    calls = []
    for owner_name in sorted(by_owner):
        builds = sorted(by_owner[owner_name], key=lambda b: b['nvr'])
        send_warning_notice(options, owner_name, builds)
        for binfo in builds:
            nvr = binfo['nvr']
            if options.test:
                print('Would have moved to trashcan: %s' % nvr)
                continue
            if options.debug:
                print('Moving to trashcan: %s' % nvr)
            owner = owners.get(binfo['name'])
            if owner is None:
                print('Warning: no owner for %s, using build owner' % nvr)
                owner = binfo['owner_id']
            calls.append(('packageListAdd', (options.trashcan_tag, binfo['name'], owner), {}))
            calls.append(('tagBuildBypass', (options.trashcan_tag, binfo['id']),
                          {'force': True}))
    for (method, args, _kw), res in zip(calls, fetch.results(session, calls, batch=100)):
        if isinstance(res, Exception):
            print('Warning: %s%r failed: %s' % (method, args, res))
