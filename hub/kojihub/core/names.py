"""Name checks shared by every call that creates or renames something.

Internal names (tags, targets, channels, permissions, ...) and user names / Kerberos
principals have separate rules in hub.conf, so each kind gets its own check.
"""
import re

import koji
from koji.context import context

# hub.conf defaults, used when a test context carries a partial option dict
_DEFAULTS = {
    'MaxNameLengthInternal': 256,
    'RegexNameInternal': r'^[A-Za-z0-9/_.+-]+$',
    'RegexUserName': r'^[A-Za-z0-9/_.@-]+$',
}

_compiled_cache = {}


def _opt(name):
    opts = getattr(context, 'opts', None) or {}
    return opts.get(name, _DEFAULTS[name])


def _regex(name):
    """Compiled form of a regex option, or None when the option is empty (check disabled).

    The config loader may already have compiled it as '<name>.compiled'; otherwise we
    compile (and cache) the raw string so tests with a bare opts dict still work.
    """
    opts = getattr(context, 'opts', None) or {}
    pattern = opts.get(name, _DEFAULTS[name])
    if not pattern:
        return None
    compiled = opts.get(name + '.compiled')
    if compiled is not None and getattr(compiled, 'pattern', None) == pattern:
        return compiled
    if not isinstance(pattern, str):
        # already a compiled pattern object
        return pattern
    compiled = _compiled_cache.get(pattern)
    if compiled is None:
        compiled = _compiled_cache[pattern] = re.compile(pattern)
    return compiled


def _max_length():
    value = _opt('MaxNameLengthInternal')
    return int(value or 0)


def verify_name_internal(name):
    """Refuse an internal name that is not a string, too long, or not matching the regex."""
    if not isinstance(name, str):
        raise koji.GenericError("Name should be string")
    max_len = _max_length()
    if max_len and len(name) > max_len:
        raise koji.GenericError("Name %s is too long. Max length is %s characters"
                                % (name, max_len))
    regex = _regex('RegexNameInternal')
    if regex is not None and not regex.match(name):
        raise koji.GenericError("Name %s does not match RegexNameInternal value" % name)


def verify_name_user(name=None, krb=None):
    """Refuse a bad user name and/or Kerberos principal (either may be None = not checked)."""
    if name is not None and not isinstance(name, str):
        raise koji.GenericError("Name should be string")
    if krb is not None and not isinstance(krb, str):
        raise koji.GenericError("Kerberos principal should be string")
    max_len = _max_length()
    if max_len:
        if name is not None and len(name) > max_len:
            raise koji.GenericError("Name %s is too long. Max length is %s characters"
                                    % (name, max_len))
        if krb is not None and len(krb) > max_len:
            raise koji.GenericError("Kerberos principal %s is too long. Max length is %s "
                                    "characters" % (krb, max_len))
    regex = _regex('RegexUserName')
    if regex is None:
        return
    if name is not None and not regex.match(name):
        raise koji.GenericError("Name %s does not match RegexUserName value" % name)
    if krb is not None and not regex.match(krb):
        raise koji.GenericError("Kerberos principal %s does not match RegexUserName value"
                                % krb)
