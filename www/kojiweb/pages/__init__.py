"""Page handlers by domain; HANDLERS maps each URL name to its function."""


class Text(object):
    """A non-HTML answer (taskstatus, RSS)."""

    def __init__(self, text, content_type='text/plain; charset=UTF-8'):
        self.text = text
        self.content_type = content_type


class Stream(object):
    """A streamed answer (getfile): status, headers and an iterable of bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


HANDLERS = {}


def page(func):
    """Register a handler under its own name."""
    HANDLERS[func.__name__] = func
    return func


from . import (summary, tasks, taskfiles, builds, packages, tags, users, hosts,  # noqa
               targets, rpms, archives, repos, components, search, misc, reports, feeds,
               sessions, login, actions, admin)
