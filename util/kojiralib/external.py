"""External repo timestamps: the newest repomd.xml timestamp of each used external repo.

The hub compares ``max_ts`` with repo events to decide whether a tag's repo is current, so
kojira only has to store a larger value when the remote metadata moved on.
"""
import logging
import os
from xml.etree import ElementTree

import requests

TIMESTAMP_TAG = '{http://linux.duke.edu/metadata/repo}timestamp'
TIMEOUT = 5


def repomd_max_ts(url, logger):
    """Newest timestamp in <url>/repodata/repomd.xml; 0 if unreadable or none."""
    try:
        resp = requests.get(url, timeout=TIMEOUT)
        resp.raise_for_status()
        root = ElementTree.fromstring(resp.content)  # nosec - only timestamps are read
        stamps = [round(float(elem.text)) for elem in root.iter(TIMESTAMP_TAG)]
        return max(stamps)
    except requests.exceptions.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            # every hub arch is tried for $arch urls, so a miss is normal
            logger.debug('External repo url not found: %s', url)
        else:
            logger.warning('Error reading external repo url %s: %s', url, exc)
    except Exception:
        logger.warning('Unable to read timestamp for external repo: %s', url)
    return 0


def expand_urls(url, arches):
    if '$arch' not in url:
        return [url]
    return [url.replace('$arch', arch) for arch in arches]


def check_external_repos(session, logger=None):
    """One pass over the external repos any tag uses; stores larger max_ts values."""
    logger = logger or logging.getLogger('koji.repo.check_external')
    erepos = {}
    for link in session.getTagExternalRepos():
        erepos.setdefault(link['external_repo_id'], link['url'])
    if not erepos:
        return
    arches = session.getAllArches()
    if not arches:
        logger.warning('No arches reported by hub. Are any hosts enabled? '
                       'Unable to check external repos containing $arch')
    ids = sorted(erepos)
    with session.multicall(strict=True) as mc:
        stored = [mc.repo.getExternalRepoData(erepo_id) for erepo_id in ids]
    cache = {}
    updates = []
    for erepo_id, vcall in zip(ids, stored):
        url = erepos[erepo_id]
        urls = expand_urls(url, arches or [])
        if not urls:
            continue
        new_ts = 0
        for base in urls:
            md_url = os.path.join(base, 'repodata/repomd.xml')
            if md_url not in cache:
                logger.debug('Checking external url: %s', md_url)
                cache[md_url] = repomd_max_ts(md_url, logger)
            new_ts = max(new_ts, cache[md_url])
        orig = (vcall.result or {}).get('max_ts', 0)
        if new_ts == 0:
            logger.warning('Unable to determine timestamp for external repo: %s', url)
        elif new_ts > orig:
            logger.info('Updating timestamp for external repo %s: %s', erepo_id, new_ts)
            updates.append((erepo_id, new_ts))
    if updates:
        with session.multicall(strict=True) as mc:
            for erepo_id, new_ts in updates:
                mc.repo.setExternalRepoData(erepo_id, {'max_ts': new_ts})
