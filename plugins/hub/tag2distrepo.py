"""Regenerate a dist repo of a tag whenever a build is tagged into or out of it.

Driven by tag extra: tag2distrepo.enabled (on/off), tag2distrepo.keys (signing keys,
space separated; without keys unsigned rpms are used), tag2distrepo.inherit,
tag2distrepo.latest, tag2distrepo.split_debuginfo.
"""
import logging

from koji.plugin import callback
from kojihub import dist_repo_init, make_task, readTaggedRPMS, write_signed_rpm

logger = logging.getLogger('koji.plugin.tag2distrepo')


def _write_signed_copies(tag, keys, latest):
    """Signed copies of the tag's rpms for each wanted key they have a signature of."""
    rpms, _builds = readTaggedRPMS(tag['id'], latest=latest, rpmsigs=True)
    for rpm in rpms:
        if rpm['sigkey'] in keys:
            write_signed_rpm(rpm['id'], rpm['sigkey'], False)


@callback('postTag', 'postUntag')
def tag2distrepo(cbtype, tag, build, user, force=False, strict=True):
    extra = tag['extra']
    if not extra.get('tag2distrepo.enabled'):
        logger.debug('No tag2distrepo enabled for tag %s', tag['name'])
        return
    if not tag['arches']:
        raise ValueError('Tag %s has no arches configured but tag2distrepo is enabled'
                         % tag['name'])
    keys = extra.get('tag2distrepo.keys', '').split()
    latest = extra.get('tag2distrepo.latest', False)
    if keys:
        logger.debug('Ensuring signed RPMs are written out')
        _write_signed_copies(tag, keys, latest)
    task_opts = {
        'arch': tag['arches'].split(),
        'comp': None,
        'delta': [],
        'event': None,
        'inherit': extra.get('tag2distrepo.inherit', False),
        'latest': latest,
        'multilib': False,
        'split_debuginfo': extra.get('tag2distrepo.split_debuginfo', False),
        'skip_missing_signatures': False,
        'allow_missing_signatures': not keys,
    }
    logger.debug('Scheduling distRepo for tag %s, keys %s', tag['name'], keys)
    repo_id, event_id = dist_repo_init(tag['name'], keys, task_opts)
    task_opts['event'] = event_id
    task_id = make_task('distRepo', [tag['name'], repo_id, keys, task_opts], priority=15,
                        channel='createrepo')
    logger.info('distRepo task %d scheduled for tag %s', task_id, tag['name'])
