"""Waiting for repos from the CLI: the request-based wait of 1.35 hubs and the old polling.

``get_watcher`` gives a koji.util.RepoWatcher whose progress messages are bare lines on
stdout at the level the command's options ask for; ``wait_repo`` is the polling wait of
hubs older than 1.35 (no request queue). Commands that wait for repos (wait-repo,
request-repo, regen-repo, and the --wait-repo/--wait-build options) share these.
"""
import logging
import sys
import time

import koji
import koji.util

REQUEST_HUB_VERSION = (1, 35, 0)


def hub_has_requests(session):
    return session.hub_version >= REQUEST_HUB_VERSION


def _first_set(name, *option_sets):
    for opts in option_sets:
        value = getattr(opts, name, None)
        if value is not None:
            return value
    return None


def get_watcher(goptions, options, session, tag, **kwargs):
    """A RepoWatcher for tag; pause = poll_interval, timeout (minutes) from --timeout."""
    # a logger outside the koji.* tree, so the CLI's own log handlers stay out of it
    logger = logging.getLogger('waitrepo')
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter('%(message)s'))
    handler.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    if _first_set('debug', options, goptions):
        logger.setLevel(logging.DEBUG)
    elif _first_set('quiet', options, goptions):
        logger.setLevel(logging.ERROR)
    elif _first_set('verbose', options, goptions):
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.WARNING)
    watcher = koji.util.RepoWatcher(session, tag, logger=logger, **kwargs)
    watcher.PAUSE = goptions.poll_interval
    timeout = _first_set('timeout', options, goptions)
    if timeout is not None:
        watcher.TIMEOUT = timeout
    return watcher


def print_repo(goptions, repo):
    print('Got repo %(id)i' % repo)
    print('Repo info: %s/repoinfo?repoID=%s' % (goptions.weburl, repo['id']))


def wait_repo(session, tag_id, builds, poll_interval=5, timeout=120):
    """Poll getRepo until a new repo (or one holding builds) shows up; (ok, message).

    builds are NVR dicts; timeout is in minutes.
    """
    tag_name = session.getTag(tag_id, strict=True)['name']
    labels = koji.util.printList([koji.buildLabel(build) for build in builds])
    start = time.time()
    seen = None
    repo = session.getRepo(tag_id)
    while True:
        if builds and repo and repo != seen and koji.util.checkForBuilds(
                session, tag_id, builds, repo['create_event'], latest=True):
            return True, ('Successfully waited %s for %s to appear in the %s repo'
                          % (koji.util.duration(start), labels, tag_name))
        if time.time() - start >= timeout * 60.0:
            if builds:
                return False, ('Unsuccessfully waited %s for %s to appear in the %s repo'
                               % (koji.util.duration(start), labels, tag_name))
            return False, ('Unsuccessfully waited %s for a new %s repo'
                           % (koji.util.duration(start), tag_name))
        time.sleep(poll_interval)
        seen, repo = repo, session.getRepo(tag_id)
        if not builds and repo != seen:
            return True, ('Successfully waited %s for a new %s repo'
                          % (koji.util.duration(start), tag_name))
