"""Pieces koji-gc and koji-shadow share: the duration syntax, output helpers and login."""
import importlib.util
import os
import sys

import requests

import koji

# canonical unit -> seconds, and every spelling accepted for it
UNIT_SECONDS = {'week': 604800, 'hour': 3600, 'day': 86400, 'minute': 60, 'second': 1}
UNIT_NAMES = (
    ('week', ('week', 'weeks', 'wk', 'wks')),
    ('hour', ('hour', 'hours', 'hr', 'hrs')),
    ('day', ('day', 'days')),
    ('minute', ('minute', 'minutes', 'min', 'mins')),
    ('second', ('second', 'seconds', 'sec', 'secs', 's')),
)


def _number(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            continue
    return None


def _unit(word):
    word = word.lower()
    for unit, names in UNIT_NAMES:
        if word in names:
            return unit
    return None


def _glued(word):
    """A number with its unit appended ("4weeks"): (number, unit) or (None, None)."""
    for unit, names in UNIT_NAMES:
        for name in names:
            if word.endswith(name):
                value = _number(word[:-len(name)])
                if value is not None:
                    return value, unit
    return None, None


def parse_duration(text):
    """Seconds in a duration such as '5 days', '4weeks' or '1 day 3 hours' (summed).

    ValueError('Invalid time interval: ...') when a word is neither a number nor a unit.
    """
    total = 0
    value = None
    for word in text.split():
        if value is None:
            value = _number(word)
            if value is not None:
                continue
            value, unit = _glued(word)
            if value is None:
                raise ValueError('Invalid time interval: %s' % text)
        else:
            unit = _unit(word)
            if unit is None:
                raise ValueError('Invalid time interval: %s' % text)
        total += value * UNIT_SECONDS[unit]
        value = None
    return total


def error(msg=None, code=1):
    """Message on stderr, then exit with code."""
    if msg:
        sys.stderr.write(msg + '\n')
        sys.stderr.flush()
    sys.exit(code)


def warn(msg):
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


def have_gssapi():
    """True when requests-gssapi is importable (the library's own flag when it has one)."""
    flag = getattr(koji, 'reqgssapi', None)
    if flag is not None:
        return bool(flag)
    return importlib.util.find_spec('requests_gssapi') is not None


def ensure_connection(session):
    """Check the hub answers and speaks our API version (warning only on a mismatch)."""
    try:
        ret = session.getAPIVersion()
    except requests.exceptions.ConnectionError:
        error('Error: Unable to connect to server')
    if ret != koji.API_VERSION:
        warn('WARNING: The server is at API version %d and the client is at %d'
             % (ret, koji.API_VERSION))


def cert_usable(path):
    return path is not None and os.path.isfile(path)
