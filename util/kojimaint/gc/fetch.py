"""Batched reads koji-gc needs per build: signature keys, tags, volume, package owners.

Each helper sends one multicall round (two for keys) however many builds it is given,
split into batches so a single request stays small.
"""
BATCH = 500


def results(session, calls, batch=BATCH):
    """Run [(method, args, kwargs)] as multicalls; the list of VirtualCall results.

    A fault becomes the value (a koji.GenericError instance) so callers decide per item.
    """
    if not calls:
        return []
    with session.multicall(batch=batch) as mc:
        handles = [getattr(mc, method)(*args, **kwargs) for method, args, kwargs in calls]
    out = []
    for handle in handles:
        try:
            out.append(handle.result)
        except Exception as exc:  # a fault of this one call
            out.append(exc)
    return out


def build_sigs(session, build_ids, cache=None):
    """{build id: [signature keys]}: listRPMs per build, then queryRPMSigs per rpm.

    Builds without rpms have no keys we can check, as upstream.
    """
    ret = {}
    todo = []
    for build_id in build_ids:
        if cache is not None and build_id in cache:
            ret[build_id] = cache[build_id]
        elif build_id not in ret:
            todo.append(build_id)
            ret[build_id] = []
    rpm_lists = results(session, [('listRPMs', (), {'buildID': b}) for b in todo])
    calls = []
    owners = []
    for build_id, rpms in zip(todo, rpm_lists):
        if isinstance(rpms, Exception):
            raise rpms
        for rpminfo in rpms:
            calls.append(('queryRPMSigs', (), {'rpm_id': rpminfo['id']}))
            owners.append(build_id)
    for build_id, sigs in zip(owners, results(session, calls)):
        if isinstance(sigs, Exception):
            raise sigs
        keys = ret[build_id]
        for sig in sigs:
            if sig['sigkey'] and sig['sigkey'] not in keys:
                keys.append(sig['sigkey'])
    if cache is not None:
        for build_id in todo:
            cache[build_id] = ret[build_id]
    return ret


def build_tags(session, build_ids):
    """{build id: [tag info]} (listTags(build=...))."""
    ids = list(dict.fromkeys(build_ids))
    found = results(session, [('listTags', (), {'build': b, 'perms': False}) for b in ids])
    return {b: ([] if isinstance(tags, Exception) else tags) for b, tags in zip(ids, found)}


def build_volumes(session, build_ids):
    """{build id: volume name}."""
    ids = list(dict.fromkeys(build_ids))
    found = results(session, [('getBuild', (b,), {}) for b in ids])
    return {b: (None if isinstance(info, Exception) or not info else info.get('volume_name'))
            for b, info in zip(ids, found)}
