"""Loading the hub plugins named in hub.conf and hooking their exports and callbacks in.

A plugin that cannot be loaded does not stop the process: the hub goes offline with
'configuration error' so that clients get a clear fault instead of a missing method.
"""
import logging

logger = logging.getLogger('koji.hub.plugins')

CONFIG_ERROR = 'configuration error'


def plugin_names(opts):
    return (opts.get('Plugins') or '').split()


def _go_offline(opts):
    opts['ServerOffline'] = True
    opts['OfflineMessage'] = CONFIG_ERROR


def load_plugins(opts):
    """Import every plugin from PluginPath; return the PluginTracker holding them."""
    import koji.plugin
    path = (opts.get('PluginPath') or '').split(':')
    tracker = koji.plugin.PluginTracker(path=[p for p in path if p])
    for name in plugin_names(opts):
        logger.info('Loading hub plugin %s', name)
        try:
            tracker.load(name)
        except Exception:
            logger.error('Failed to load hub plugin %s', name, exc_info=True)
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


def register_plugins(tracker, registry, opts):
    """Add each loaded plugin's exports to the registry and its callbacks to koji.plugin."""
    for name in plugin_names(opts):
        plugin = tracker.get(name)
        if plugin is None:
            continue
        try:
            registry.register_plugin(plugin)
            register_callbacks(plugin)
        except Exception:
            logger.error('Failed to register hub plugin %s', name, exc_info=True)
            _go_offline(opts)
