"""Periodic repo upkeep kojira triggers: end events of current repos and the automatic
requests of tags with ``repo.auto``."""
import json
import logging

import koji
from koji.context import context

from ..core.db import QueryProcessor, _dml
from ..core.history import tag_first_change_event, tag_last_change_event
from .opts import lag_base_event
from .queue import early_queue_pass, queue_request
from .view import RepoQuery

logger = logging.getLogger('koji.repo')


def update_end_events():
    """Fill end_event (first tag change after create_event) of READY repos lacking one."""
    repos = RepoQuery([['end_event', 'IS', None], ['state', '=', koji.REPO_READY]],
                      ('id', 'tag_id', 'create_event'), {'order': 'id'}).execute()
    tag_last = {}
    updates = []
    for repo in repos:
        tag_id = repo['tag_id']
        if tag_id in tag_last and tag_last[tag_id] <= repo['create_event']:
            # this tag has not changed since that event
            continue
        end_event = tag_first_change_event(tag_id, after=repo['create_event'])
        if end_event is None:
            tag_last[tag_id] = tag_last_change_event(tag_id)
        else:
            updates.append((repo['id'], end_event))
    if updates:
        # one statement for all of them
        _dml('UPDATE repo SET end_event = data.ev FROM unnest(%(ids)s::integer[], '
             '%(evs)s::integer[]) AS data(id, ev) WHERE repo.id = data.id',
             {'ids': [u[0] for u in updates], 'evs': [u[1] for u in updates]})
    logger.debug('Added end events for %i repos', len(updates))


def do_auto_requests():
    """request_repo (priority +5) for each tag whose extra has a truthy ``repo.auto``."""
    rows = QueryProcessor(tables=['tag_extra'], columns=['tag_id', 'key', 'value'],
                          clauses=['key = ANY(%(keys)s)', 'active IS TRUE'],
                          values={'keys': ['repo.auto', 'repo.lag']}).execute()
    auto_tags = []
    lags = {}
    for row in rows:
        if row['value'] is None:
            continue
        try:
            value = json.loads(row['value'])
        except Exception:
            continue
        if row['key'] == 'repo.auto':
            if value:
                auto_tags.append(row['tag_id'])
        elif isinstance(value, int) and not isinstance(value, bool):
            lags[row['tag_id']] = value
    default_lag = context.opts.get('RepoAutoLag', 7200)
    made = False
    for tag_id in sorted(auto_tags):
        last = tag_last_change_event(tag_id)
        if last is None:
            logger.error('No last event for tag %i', tag_id)
            continue
        base = lag_base_event(tag_id, lags.get(tag_id, default_lag))
        min_event = last if base is None else min(base, last)
        ret = queue_request(tag_id, min_event=min_event, priority=5)
        made = made or bool(ret['request'] and not ret['duplicate'])
    if made:
        early_queue_pass()
