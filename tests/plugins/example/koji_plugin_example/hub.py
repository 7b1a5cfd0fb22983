"""Greets people, with settings from every layer a hub plugin can have."""
import os

import koji
from koji.plugin import export
from kojihub.core.plugins import PluginConfig, plugin_workdir

PLUGIN_METADATA = {
    'id': 'example',
    'display_name': 'Example greeter',
    'version': '0.1',
    'description': 'Says hello; shows the plugin conventions.',
}
DEFAULTS = {'greeting': 'Hello', 'punctuation': '.'}


def settings():
    return PluginConfig('example', defaults=DEFAULTS)


def validate_config(config):
    """A greeting must be non-empty and at most 20 characters."""
    greeting = config.get('greeting')
    if not greeting:
        return False, 'greeting must not be empty'
    if len(str(greeting)) > 20:
        return False, 'greeting is longer than 20 characters'
    return True, None


@export
def exampleGreeting(name, tag=None, **overrides):
    """'<greeting>, <name><punctuation>' and where the greeting came from."""
    config = settings().for_call(overrides=overrides, tag=tag)
    text = '%s, %s%s' % (config.get('greeting'), name, config.get('punctuation'))
    return {'text': text, 'greeting_from': config.source('greeting')}


@export
def exampleScratch(content):
    """Write content to a file in the plugin's work directory; return its path."""
    if not isinstance(content, str):
        raise koji.ParameterError('content must be a string')
    path = os.path.join(plugin_workdir('example'), 'note.txt')
    with open(path, 'w') as fp:
        fp.write(content)
    return path
