"""Cheetah rendering: each template compiled once per process, every placeholder escaped."""
import os
import threading

from Cheetah.Filters import Filter
from Cheetah.Template import Template

from .util import SafeValue, escapeHTML

_cache = {}
_lock = threading.Lock()


class EscapeFilter(Filter):
    """HTML-escape every `$placeholder` unless the code marked it SafeValue."""

    def filter(self, val, **kw):
        if val is None:
            return ''
        if isinstance(val, SafeValue):
            return val
        return escapeHTML(val)


def _compiled(path):
    with _lock:
        cls = _cache.get(path)
        if cls is None:
            with open(path, encoding='utf-8') as fp:
                source = fp.read()
            cls = Template.compile(source=source, baseclass=Template,
                                   compilerSettings={'useStackFrames': False,
                                                     'useDottedNotation': True})
            _cache[path] = cls
        return cls


def render_source(source, values):
    """A template given as text (site snippets), compiled once per distinct text."""
    key = ('source', source)
    with _lock:
        cls = _cache.get(key)
        if cls is None:
            cls = Template.compile(source=source, baseclass=Template,
                                   compilerSettings={'useStackFrames': False,
                                                     'useDottedNotation': True})
            _cache[key] = cls
    return str(cls(searchList=[values], filter=EscapeFilter))


def render(template_dir, name, values):
    cls = _compiled(os.path.join(template_dir, name))
    return str(cls(searchList=[values], filter=EscapeFilter))
