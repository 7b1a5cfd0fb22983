"""Writes from several clients at once: nothing lost, no deadlock (issue: hub speed).

Four clients tag (then untag) disjoint sets of builds into one tag at the same time
through the real hub, each in multicalls as sync tools do; every call must succeed and
the tag must end up with exactly what they wrote.
"""
import threading
import uuid

from tests.fixtures.sessions import client

CLIENTS = 4
PER_CLIENT = 60
BATCH = 20


def _run_clients(hub_server, work):
    """Run work(session, index) in CLIENTS threads released together; return errors."""
    sessions = []
    for _ in range(CLIENTS):
        session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
        session.login()
        sessions.append(session)
    barrier = threading.Barrier(CLIENTS)
    errors = []

    def runner(index):
        barrier.wait()
        try:
            work(sessions[index], index)
        except Exception as exc:  # collected and asserted on below
            errors.append(repr(exc))
    threads = [threading.Thread(target=runner, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), 'a client hung'
    for session in sessions:
        session.logout()
    return errors


def _batches(items):
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]


def test_four_taggers_into_one_tag(hub_server, admin):
    tag = 'conc-%s' % uuid.uuid4().hex[:8]
    admin.createTag(tag)
    nvrs = {}
    for index in range(CLIENTS):
        names = ['%s-c%d-p%03d' % (tag, index, n) for n in range(PER_CLIENT)]
        with admin.multicall(strict=True) as mc:
            for name in names:
                mc.packageListAdd(tag, name, admin.getLoggedInUser()['name'])
                mc.createEmptyBuild(name, '1', '1', None)
        nvrs[index] = ['%s-1-1' % name for name in names]

    def tag_all(session, index):
        for chunk in _batches(nvrs[index]):
            with session.multicall(strict=True) as mc:
                for nvr in chunk:
                    mc.tagBuildBypass(tag, nvr)
    assert _run_clients(hub_server, tag_all) == []
    tagged = sorted(b['nvr'] for b in admin.listTagged(tag))
    assert tagged == sorted(n for names in nvrs.values() for n in names)
    # one history entry per tagging: nothing written twice
    history = admin.queryHistory(tables=['tag_listing'], tag=tag)['tag_listing']
    assert len(history) == CLIENTS * PER_CLIENT

    def untag_half(session, index):
        for chunk in _batches(nvrs[index][::2]):
            with session.multicall(strict=True) as mc:
                for nvr in chunk:
                    mc.untagBuildBypass(tag, nvr)
    assert _run_clients(hub_server, untag_half) == []
    left = sorted(b['nvr'] for b in admin.listTagged(tag))
    assert left == sorted(n for names in nvrs.values() for n in names[1::2])


def test_concurrent_builds_and_packages(hub_server, admin):
    """Creating builds of the same new packages at once: each package made once."""
    prefix = 'concpkg-%s' % uuid.uuid4().hex[:8]
    packages = ['%s-%02d' % (prefix, n) for n in range(10)]

    def create(session, index):
        with session.multicall(strict=True) as mc:
            for name in packages:
                mc.createEmptyBuild(name, '1', str(index), None)
    assert _run_clients(hub_server, create) == []
    builds = admin.listBuilds(prefix=prefix)
    assert len(builds) == len(packages) * CLIENTS
    assert len({b['package_id'] for b in builds}) == len(packages)
