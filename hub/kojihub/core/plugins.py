"""Loading the hub plugins named in hub.conf and hooking their exports and callbacks in.

A plugin is looked for in PluginPath first (upstream's way), then among the installed
entry points of group ``koji.hub.plugins`` (docs/plugins.md).  A plugin that cannot be
loaded, or whose ``validate_config`` rejects its settings, does not stop the process:
the hub goes offline with 'configuration error' so that clients get a clear fault
instead of a missing method.
"""
import functools
import importlib.metadata
import inspect
import logging
import types

import koji

from .plugin_config import PluginConfig, plugin_workdir, tag_values  # noqa: F401

logger = logging.getLogger('koji.hub.plugins')

CONFIG_ERROR = 'configuration error'
ENTRY_POINT_GROUP = 'koji.hub.plugins'
# calls that write tag extra, so plugin.<name>.* settings are checked before they are saved
TAG_EXTRA_CALLS = ('createTag', 'editTag2', 'editTag')


def plugin_names(opts):
    return (opts.get('Plugins') or '').split()


def _go_offline(opts):
    opts['ServerOffline'] = True
    opts['OfflineMessage'] = CONFIG_ERROR


def entry_point(name, group=ENTRY_POINT_GROUP):
    """The installed entry point called ``name`` in ``group``, or None."""
    for ep in importlib.metadata.entry_points(group=group):
        if ep.name == name:
            return ep
    return None


def load_entry_point(ep):
    """The plugin module an entry point names (or that its callable returns)."""
    obj = ep.load()
    if not isinstance(obj, types.ModuleType) and callable(obj):
        obj = obj()
    if not isinstance(obj, types.ModuleType):
        raise koji.PluginError('entry point %s does not give a module' % ep.value)
    return obj


def _load_one(tracker, name):
    try:
        tracker.load(name)
        tracker.sources[name] = {'source': 'path', 'location': tracker.plugins[name].__file__}
        return
    except koji.PluginError:
        ep = entry_point(name)
        if ep is None:
            raise
    tracker.plugins[name] = load_entry_point(ep)
    tracker.sources[name] = {'source': 'entry point', 'location': ep.value}


def validate(name, plugin, config):
    """Run the plugin's validate_config(config); raise GenericError when it says no.

    validate_config may return True/None (fine), False or (False, message), or raise.
    """
    check = getattr(plugin, 'validate_config', None)
    if check is None:
        return
    result = check(config)
    if result is None or result is True:
        return
    if isinstance(result, tuple):
        valid, message = (list(result) + [None])[:2]
    else:
        valid, message = bool(result), None
    if not valid:
        raise koji.GenericError('Invalid settings for plugin %s: %s'
                                % (name, message or 'rejected by validate_config'))


def load_plugins(opts):
    """Import every plugin (PluginPath, then entry points); return the PluginTracker."""
    import koji.plugin
    path = (opts.get('PluginPath') or '').split(':')
    tracker = koji.plugin.PluginTracker(path=[p for p in path if p])
    tracker.sources = {}
    for name in plugin_names(opts):
        logger.info('Loading hub plugin %s', name)
        try:
            _load_one(tracker, name)
            plugin = tracker.plugins[name]
            if hasattr(plugin, 'validate_config'):
                validate(name, plugin, PluginConfig(name).for_call())
        except Exception:
            logger.error('Failed to load hub plugin %s', name, exc_info=True)
            tracker.plugins.pop(name, None)
            _go_offline(opts)
    return tracker


def register_callbacks(plugin):
    """Register the plugin's ``@callback`` functions (once each) with koji.plugin."""
    import koji.plugin
    for value in list(vars(plugin).values()):
        if isinstance(value, type) or not callable(value):
            continue
        for cbtype in getattr(value, 'callbacks', None) or ():
            if value not in koji.plugin.callbacks.get(cbtype, ()):
                koji.plugin.register_callback(cbtype, value)


def plugin_metadata(name, plugin):
    """What the plugin says about itself: ``metadata()`` or ``PLUGIN_METADATA``."""
    meta = getattr(plugin, 'metadata', None)
    if callable(meta):
        meta = meta()
    if meta is None:
        meta = getattr(plugin, 'PLUGIN_METADATA', None)
    meta = dict(meta or {})
    meta.setdefault('id', name)
    meta.setdefault('display_name', name)
    if 'description' not in meta:
        doc = inspect.getdoc(plugin) or ''
        meta['description'] = doc.split('\n\n')[0].replace('\n', ' ')
    return meta


def _describe(name, plugin, tracker, exports):
    callbacks = sorted({cbtype for value in vars(plugin).values()
                        if callable(value) and not isinstance(value, type)
                        for cbtype in (getattr(value, 'callbacks', None) or ())})
    info = dict(getattr(tracker, 'sources', {}).get(name, {}))
    info.update(name=name, exports=sorted(exports), callbacks=callbacks,
                validates_config=hasattr(plugin, 'validate_config'),
                metadata=plugin_metadata(name, plugin))
    return info


def _tag_extra_change(func, args, kwargs):
    """(tag info or None, the extra dict the call would write) of a tag-writing call."""
    from ..tags.tags import get_tag  # function level: tags sit above core
    bound = inspect.signature(func).bind(*args, **kwargs)
    params = bound.arguments
    extra = params.get('extra')
    if 'kwargs' in params:
        extra = params['kwargs'].get('extra', extra)
    if not isinstance(extra, dict):
        return None, None
    tag = None
    if 'tagInfo' in params:
        tag = get_tag(params['tagInfo'])
    return tag, extra


def guard_tag_settings(registry, checked):
    """Wrap the tag-writing calls so that a change of plugin.<name>.* tag extra is first
    validated by that plugin (checked: {name: plugin}); a rejected change is not saved."""
    for call in TAG_EXTRA_CALLS:
        func = registry.funcs.get(call)
        if func is None:
            continue

        def make(func):
            @functools.wraps(func)
            def guarded(*args, **kwargs):
                tag, extra = _tag_extra_change(func, args, kwargs)
                for name, plugin in (checked.items() if extra else ()):
                    if not tag_values(name, extra):
                        continue
                    merged = dict(tag['extra']) if tag else {}
                    merged.update(extra)
                    validate(name, plugin, PluginConfig(name).for_call(tag_extra=merged))
                return func(*args, **kwargs)
            return guarded
        registry.funcs[call] = make(func)


def register_plugins(tracker, registry, opts):
    """Add each loaded plugin's exports to the registry and its callbacks to koji.plugin."""
    described = []
    checked = {}
    for name in plugin_names(opts):
        plugin = tracker.get(name)
        if plugin is None:
            continue
        try:
            exports = registry.register_plugin(plugin) or []
            register_callbacks(plugin)
            described.append(_describe(name, plugin, tracker, exports))
            if hasattr(plugin, 'validate_config'):
                checked[name] = plugin
        except Exception:
            logger.error('Failed to register hub plugin %s', name, exc_info=True)
            _go_offline(opts)
    if checked:
        guard_tag_settings(registry, checked)
    if described:
        def listPlugins():
            """The loaded hub plugins: where from, exports, callbacks, metadata."""
            return [dict(item) for item in described]
        registry.register_function(listPlugins, name='listPlugins')
