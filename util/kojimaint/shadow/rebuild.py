"""Rebuild of a remote build on the local hub in a buildroot shaped like the remote one.

The local tag ``SHADOWBUILD-<remote buildroot tag>`` gets the deps tagged, its package
list and ``build`` group synced in one multicall, a repo is requested at that event and
waited for, then the srpm is uploaded and built against that repo.
"""
import os
import time

import requests

import koji

from .imports import download, unique_path

REPO_POLL = 1


def _shadow_tag(shadow, build):
    """The local SHADOWBUILD tag of the build's remote buildroot tag (created if absent)."""
    session = shadow.session
    name = 'SHADOWBUILD-%s' % build.br_tag
    taginfo = session.getTag(name)
    if taginfo:
        if session.getInheritanceData(taginfo['id']):
            shadow.log('Warning: shadow build tag has inheritance')
        return taginfo
    # the remote read comes first and the tag is made with its extra in one call: a
    # remote fault cannot leave a local tag without the extra for later runs to reuse
    remote_tag = shadow.remote.getTag(build.br_tag)
    extra = remote_tag.get('extra') if remote_tag else None
    perm_id = None
    for perm in session.getAllPerms():
        if perm['name'] == 'admin':
            perm_id = perm['id']
            break
    session.createTag(name, perm=perm_id, arches=shadow.options.arches, extra=extra or None)
    return session.getTag(name, strict=True)


def _package_owners(shadow, names):
    """{package: owner id} for packages the tag lacks: the owner most often listed."""
    session = shadow.session
    names = sorted(set(names))
    if not names:
        return {}
    with session.multicall() as mc:
        calls = [mc.listPackages(pkgID=name) for name in names]
    me = None
    owners = {}
    for name, call in zip(names, calls):
        count = {}
        for pkg in call.result:
            count[pkg['owner_id']] = count.get(pkg['owner_id'], 0) + 1
        if count:
            owners[name] = max((n, k) for k, n in count.items())[1]
        else:
            if me is None:
                me = session.getLoggedInUser()['id']
            owners[name] = me
    return owners


def sync_buildroot_tag(shadow, build, taginfo):
    """Make the tag hold exactly the deps and the build group the remote buildroot had;
    returns the event id after the changes."""
    session = shadow.session
    deps = build.revised_deps
    pkgs = {p['package_name'] for p in session.listPackages(tagID=taginfo['id'])}
    owners = _package_owners(shadow, [d.info['name'] for d in deps
                                      if d.info['name'] not in pkgs])
    current = {}
    for binfo in session.listTagged(taginfo['id']):
        current.setdefault(binfo['name'], []).append(binfo)
    to_untag = []
    to_tag = []
    for dep in deps:
        tagged = False
        for binfo in current.get(dep.info['name'], []):
            if binfo['nvr'] == dep.nvr:
                tagged = True
            else:
                to_untag.append(binfo)
        if not tagged:
            to_tag.append(dep)
    build_group = None
    for group in session.getTagGroups(taginfo['id']):
        if group['name'] == 'build':
            build_group = group
        else:
            shadow.log('Warning: found stray group: %s' % group)
    if build_group:
        needed = set(build.base)
        have = {p['package'] for p in build_group['packagelist']}
        add_pkgs = sorted(needed - have)
        drop_pkgs = sorted(have - needed)
        if build_group['grouplist']:
            shadow.log('Warning: build group had deps: %r' % build_group)
    else:
        add_pkgs = list(build.base)
        drop_pkgs = []
    tid = taginfo['id']
    with session.multicall(strict=True) as mc:
        for name, owner in sorted(owners.items()):
            mc.packageListAdd(tid, name, owner=owner)
        for binfo in to_untag:
            mc.untagBuildBypass(tid, binfo['id'])
        for dep in to_tag:
            mc.tagBuildBypass(tid, dep.nvr)
        if not build_group:
            mc.groupListAdd(tid, 'build', force=True)
        for name in drop_pkgs:
            mc.groupPackageListRemove(tid, 'build', name)
        for name in add_pkgs:
            mc.groupPackageListAdd(tid, 'build', name)
        last = mc.getLastEvent()
    return last.result['id']


def upload_source(shadow, build):
    """Upload the remote srpm; its path in the work area, or None."""
    options = shadow.options
    if not (options.remote_topurl and build.srpm):
        return None
    pathinfo = koji.PathInfo(options.remote_topurl)
    url = '%s/%s' % (pathinfo.build(build.info), pathinfo.rpm(build.srpm))
    shadow.log('Downloading %s' % url)
    dest = os.path.join(options.workpath, source_name(build))
    koji.ensuredir(os.path.dirname(dest))
    try:
        download(url, dest)
    except (OSError, requests.exceptions.RequestException) as exc:
        shadow.log('Error: cannot fetch %s: %s' % (url, exc))
        return None
    serverdir = unique_path('koji-shadow')
    shadow.session.uploadWrapper(dest, serverdir, blocksize=65536)
    os.unlink(dest)
    return '%s/%s' % (serverdir, os.path.basename(dest))


def source_name(build):
    return '%s.src.rpm' % build.nvr


def open_rebuilds(shadow):
    """{srpm file name: task id} of our build tasks that have not finished yet.

    A rebuild submitted by an earlier run has no local build until a builder starts it;
    finding its task keeps the next run from submitting the same rebuild again.
    """
    session = shadow.session
    user = session.getLoggedInUser()
    if not user:
        return {}
    states = [koji.TASK_STATES[s] for s in ('FREE', 'OPEN', 'ASSIGNED')]
    tasks = session.listTasks(opts={'method': 'build', 'owner': user['id'], 'state': states,
                                    'decode': True},
                              queryOpts={'order': 'id'})
    found = {}
    for task in tasks:
        args = task['request'] or []
        if args and isinstance(args[0], str) and args[0].startswith('koji-shadow/'):
            found[os.path.basename(args[0])] = task['id']
    return found


def wait_repo(shadow, tag, event_id):
    session = shadow.session
    check = session.repo.request(tag, at_event=event_id)
    shadow.log('Waiting on repo')
    while True:
        repo = check.get('repo')
        if repo:
            return repo
        req = check.get('request')
        if not req or not req['active']:
            shadow.log('Error: failed to generate repo')
            return None
        time.sleep(REPO_POLL)
        check = session.repo.checkRequest(req['id'])


def rebuild(shadow, build):
    """Start the rebuild; the task id, or None."""
    if build.state != 'missing':
        shadow.log("Can't rebuild %s. state=%s" % (build.nvr, build.state))
        return None
    if build.revised_deps is None:
        shadow.log("Can't rebuild %s" % build.nvr)
        return None
    if shadow.options.test:
        shadow.log('Skipping rebuild of %s (test mode)' % build.nvr)
        return None
    taginfo = _shadow_tag(shadow, build)
    event_id = sync_buildroot_tag(shadow, build, taginfo)
    src = upload_source(shadow, build)
    if not src:
        shadow.log("Couldn't get source for %s" % build.nvr)
        return None
    repo = wait_repo(shadow, taginfo['name'], event_id)
    if not repo:
        return None
    return shadow.session.build(src, None, opts={'repo_id': repo['id']},
                                priority=shadow.options.priority)
