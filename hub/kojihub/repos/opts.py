"""Repo options (src, debuginfo, separate_src, maven) and the default min_event.

A tag's default options come from the hub's DebuginfoTags / SourceTags /
SeparateSourceTags globs, then the tag extra ``repo.opts`` (or legacy ``with_debuginfo``),
then maven_support.  Requests override some of them; the overrides that differ from the
default are a repo's ``custom_opts`` (``{}`` for a default repo).
"""
import logging
import time

import koji
import koji.util
from koji.context import context

from ..core.history import (get_event_info, get_last_event, tag_first_change_event,
                            tag_last_change_event)

logger = logging.getLogger('koji.repo')

REPO_OPTS = ('src', 'debuginfo', 'separate_src', 'maven')


def convert_value(value, cast=None, message=None, exc_type=koji.ParameterError,
                  none_allowed=False, check_only=False):
    """Cast (or type-check) an argument, failing with upstream's ParameterError text."""
    if value is None:
        if none_allowed:
            return None
        raise exc_type(message or f"Invalid type, expected type {cast}")
    if check_only:
        if not isinstance(value, cast):
            raise exc_type(message or f"Invalid type for value '{value}': {type(value)}, "
                           f"expected type {cast}")
        return value
    try:
        return cast(value)
    except (ValueError, TypeError, OverflowError):
        raise exc_type(message or f"Invalid type for value '{value}': {type(value)}, "
                       f"expected type {cast}")


def convert_repo_opts(opts, strict=False):
    """Validated copy of repo options; unknown keys fail when strict, else are dropped."""
    if opts is None:
        return {}
    if not isinstance(opts, dict):
        if strict:
            raise koji.ParameterError('Repo opts must be a dictionary')
        logger.warning('Ignoring invalid repo opts: %r', opts)
        return {}
    result = {}
    for key, value in opts.items():
        if key not in REPO_OPTS:
            if strict:
                raise koji.ParameterError(f'Invalid repo option: {key}')
            logger.warning('Ignoring invalid repo opt: %s', key)
            continue
        if value is None:
            continue
        result[key] = convert_value(value, bool)
    return result


def _glob_match(name, option):
    patterns = (context.opts.get(option) or '').split()
    return bool(patterns) and bool(koji.util.multi_fnmatch(name, patterns))


def get_repo_opts(tag, override=None):
    """(opts, custom) for a tag record (get_tag output) and optional overrides."""
    opts = {
        'src': _glob_match(tag['name'], 'SourceTags'),
        'debuginfo': _glob_match(tag['name'], 'DebuginfoTags'),
        'separate_src': _glob_match(tag['name'], 'SeparateSourceTags'),
        'maven': False,
    }
    extra = tag.get('extra') or {}
    tag_opts = extra.get('repo.opts', {})
    if not isinstance(tag_opts, dict):
        tag_opts = {}
    else:
        tag_opts = dict(tag_opts)
    if 'with_debuginfo' in extra:
        if 'repo.opts' in extra:
            logger.warning('Ignoring legacy with_debuginfo config, overridden by repo.opts')
        else:
            tag_opts['debuginfo'] = bool(extra['with_debuginfo'])
    opts.update(convert_repo_opts(tag_opts, strict=False))
    if not context.opts.get('EnableMaven'):
        opts['maven'] = False
    elif tag.get('maven_support'):
        opts['maven'] = True
    custom = {}
    if override is not None:
        override = convert_repo_opts(override, strict=True)
        custom = {k: v for k, v in override.items() if v != opts[k]}
        opts.update(custom)
    return opts, custom


def check_event(event):
    """An existing event id, or ParameterError 'Invalid event: N'."""
    event = convert_value(event, cast=int)
    if get_event_info(event, strict=False) is None:
        raise koji.ParameterError(f'Invalid event: {event}')
    return event


def lag_base_event(tag_id, lag):
    """The last event before now - lag (rounded down to RepoLagWindow).

    On a brand new instance with no event that old, the tag's first event.
    """
    window = context.opts.get('RepoLagWindow') or 600
    base_ts = ((time.time() - lag) // window) * window
    base = get_last_event(before=base_ts, strict=False)
    if base is not None:
        return base['id']
    return tag_first_change_event(tag_id)


def default_min_event(taginfo):
    """min(lagged base event, tag's last change): recent changes may lag by RepoLag."""
    last = tag_last_change_event(taginfo['id'])
    lag = (taginfo.get('extra') or {}).get('repo.lag')
    if lag is not None and (isinstance(lag, bool) or not isinstance(lag, int)):
        logger.warning('Invalid repo.lag setting for tag %s: %r', taginfo['name'], lag)
        lag = None
    if lag is None:
        lag = context.opts.get('RepoLag', 3600)
    base = lag_base_event(taginfo['id'], lag)
    if last is None:
        return base
    if base is None:
        return last
    return min(base, last)
