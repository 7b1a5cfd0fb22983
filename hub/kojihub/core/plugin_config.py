"""Layered settings and a private working directory for hub plugins (docs/plugins.md).

A value is looked up, first found wins, in:
  1. per-call overrides (what the caller passed for this one operation; never stored),
  2. the tag's extra ``plugin.<name>.<key>`` (when the call concerns a tag),
  3. ``<confdir>/<name>.conf.d/*.conf`` (in name order, later files first),
  4. ``<confdir>/<name>.conf``,
  5. the plugin's defaults.
confdir is $KOJI_HUB_PLUGIN_CONFIG_DIR, else /etc/koji-hub/plugins (where upstream's
plugins keep their files).  Upstream-style plugins that read their own file keep working.
"""
import configparser
import glob
import os

import koji
from koji.context import context

DEFAULT_CONFIG_DIR = '/etc/koji-hub/plugins'
TRUE_WORDS = ('1', 'yes', 'true', 'on')
FALSE_WORDS = ('0', 'no', 'false', 'off')


def config_dir():
    return os.environ.get('KOJI_HUB_PLUGIN_CONFIG_DIR') or DEFAULT_CONFIG_DIR


def tag_prefix(name):
    return 'plugin.%s.' % name


def tag_values(name, extra):
    """The ``plugin.<name>.*`` entries of a tag extra dict, without the prefix."""
    prefix = tag_prefix(name)
    return {key[len(prefix):]: value for key, value in (extra or {}).items()
            if key.startswith(prefix)}


def as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise koji.GenericError('Not a boolean: %r' % (value,))


class CallConfig(object):
    """The settings one operation sees: the layers merged, lookups by key."""

    def __init__(self, layers):
        # [(layer name, dict)], first match wins
        self.layers = layers

    def source(self, key):
        """Name of the layer the value comes from (None when unset)."""
        for name, values in self.layers:
            if key in values:
                return name
        return None

    def get(self, key, default=None):
        for _name, values in self.layers:
            if key in values:
                return values[key]
        return default

    def getboolean(self, key, default=None):
        value = self.get(key)
        return default if value is None else as_bool(value)

    def getint(self, key, default=None):
        value = self.get(key)
        return default if value is None else int(value)

    def keys(self):
        seen = []
        for _name, values in self.layers:
            seen.extend(key for key in values if key not in seen)
        return seen

    def as_dict(self):
        return {key: self.get(key) for key in self.keys()}


class PluginConfig(object):
    """Settings of one plugin; ``for_call()`` gives what an operation sees."""

    def __init__(self, name, defaults=None, section=None, confdir=None):
        self.name = name
        self.section = section or name
        self.confdir = confdir or config_dir()
        self.defaults = dict(defaults or {})
        self.files = []
        self.file_layers = self._read_files()

    def _read_files(self):
        """[(file name, values)] of the conf.d files (last first), then the main file."""
        main = os.path.join(self.confdir, self.name + '.conf')
        dropins = sorted(glob.glob(os.path.join(self.confdir, self.name + '.conf.d',
                                                '*.conf')))
        layers = []
        for path in list(reversed(dropins)) + [main]:
            if not os.path.isfile(path):
                continue
            parser = configparser.RawConfigParser()
            parser.read(path)
            if parser.has_section(self.section):
                layers.append((path, dict(parser.items(self.section))))
                self.files.append(path)
        return layers

    def for_call(self, overrides=None, tag=None, tag_extra=None):
        """Merged settings; ``tag`` (id, name or info) adds its plugin.<name>.* extra,
        ``tag_extra`` gives that extra directly (e.g. a change not saved yet)."""
        layers = [('overrides', dict(overrides or {}))]
        if tag_extra is None and tag is not None:
            from ..tags.tags import get_tag  # function level: tags sit above core
            info = tag if isinstance(tag, dict) and 'extra' in tag else get_tag(tag, strict=True)
            tag_extra = info['extra']
        if tag_extra is not None:
            layers.append(('tag', tag_values(self.name, tag_extra)))
        layers.extend(self.file_layers)
        layers.append(('defaults', self.defaults))
        return CallConfig(layers)

    def get(self, key, default=None, overrides=None, tag=None):
        return self.for_call(overrides=overrides, tag=tag).get(key, default)


def plugin_workdir(name):
    """<KojiDir>/work/plugins/<name>: scratch space of one plugin (made on first use)."""
    topdir = (getattr(context, 'opts', None) or {}).get('KojiDir')
    base = koji.PathInfo(topdir=topdir).work() if topdir else koji.pathinfo.work()
    path = os.path.join(base, 'plugins', name)
    koji.ensuredir(path)
    return path
