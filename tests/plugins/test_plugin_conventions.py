"""Plugin conventions (docs/plugins.md): a plugin package installed with pip and found
through entry points, layered settings, validate_config at load and on tag changes,
metadata (listPlugins, `koji list-plugins`), the plugin's work directory."""
import os
import subprocess
import sys

import pytest

import koji
from tests.plugins.conftest import (CLI_PLUGINS, KOJI, PluginCLI, start_kojid, stop_kojid,
                                    wait_task)

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'example')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The example package pip-installed into a folder of its own."""
    target = str(tmp_path_factory.mktemp('site'))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index',
                    '--target', target, EXAMPLE],
                   check=True, capture_output=True, timeout=300)
    return target


@pytest.fixture(scope='module')
def hub(plugin_hub_factory, site):
    server = plugin_hub_factory(['example', 'sidetag_hub'], python_paths=[site],
                                opts={'RunInterval': 1}, configs={
        'example.conf': '[example]\ngreeting = Hi\npunctuation = ?\n',
        'example.conf.d/10-local.conf': '[example]\npunctuation = !\n',
    })
    server.admin = server.session()
    server.admin.createTag('plain')
    server.admin.createTag('yo', extra={'plugin.example.greeting': 'Yo'})
    return server


def test_entry_point_plugin_and_metadata(hub):
    plugins = {p['name']: p for p in hub.admin.listPlugins()}
    assert list(plugins) == ['example', 'sidetag_hub']
    example = plugins['example']
    assert (example['source'], example['location']) == ('entry point',
                                                        'koji_plugin_example.hub')
    assert example['exports'] == ['exampleGreeting', 'exampleScratch']
    assert example['validates_config'] is True
    assert example['metadata'] == {
        'id': 'example', 'display_name': 'Example greeter', 'version': '0.1',
        'description': 'Says hello; shows the plugin conventions.'}
    sidetag = plugins['sidetag_hub']
    assert sidetag['source'] == 'path'
    assert sidetag['location'].endswith('plugins/hub/sidetag_hub.py')
    assert 'createSideTag' in sidetag['exports']
    assert sidetag['metadata']['id'] == 'sidetag_hub'
    assert sidetag['metadata']['description'].startswith('Side tags:')


def test_layers(hub):
    greet = hub.admin.exampleGreeting
    # conf.d beats the main file, the main file beats the defaults
    assert greet('bob') == {'text': 'Hi, bob!', 'greeting_from': os.path.join(
        hub.plugin_conf_dir, 'example.conf')}
    assert greet('bob', tag='plain')['text'] == 'Hi, bob!'
    assert greet('bob', tag='yo') == {'text': 'Yo, bob!', 'greeting_from': 'tag'}
    assert greet('bob', tag='yo', greeting='Howdy') == {'text': 'Howdy, bob!',
                                                        'greeting_from': 'overrides'}


def test_tag_settings_are_validated(hub):
    admin = hub.admin
    with pytest.raises(koji.GenericError) as exc:
        admin.editTag2('plain', extra={'plugin.example.greeting': ''})
    assert 'Invalid settings for plugin example: greeting must not be empty' \
        in str(exc.value)
    assert 'plugin.example.greeting' not in admin.getTag('plain')['extra']
    with pytest.raises(koji.GenericError):
        admin.createTag('bad', extra={'plugin.example.greeting': 'x' * 30})
    assert admin.getTag('bad') is None
    with pytest.raises(koji.GenericError):
        admin.editTag('yo', 'yo', None, False, None, {'plugin.example.greeting': ''})
    admin.editTag2('plain', extra={'plugin.example.greeting': 'Hey', 'other': 1})
    assert admin.exampleGreeting('al', tag='plain')['text'] == 'Hey, al!'
    # other extra keys, and other calls, are not the plugin's business
    admin.editTag2('plain', extra={'unrelated': ''})


def test_invalid_file_settings_fail_the_load(plugin_hub_factory, site):
    server = plugin_hub_factory(['example'], python_paths=[site], configs={
        'example.conf': '[example]\ngreeting =\n'})
    with pytest.raises(koji.ServerOffline) as exc:
        koji.ClientSession(server.url, opts={'offline_retry': False}).getTag('x')
    assert 'configuration error' in str(exc.value)
    assert 'Invalid settings for plugin example: greeting must not be empty' \
        in server.read_log()


def test_work_directory(hub):
    path = hub.admin.exampleScratch('some notes')
    assert path == os.path.join(hub.topdir, 'work', 'plugins', 'example', 'note.txt')
    with open(path) as fp:
        assert fp.read() == 'some notes'


def test_cli_entry_point_and_list_plugins(hub, site, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=site)
    base = [sys.executable, KOJI, '-c', hub.config_file, '-p', hub.profile, '--noauth']
    res = subprocess.run(base + ['example-greet', '--tag', 'yo', 'ann'], env=env,
                         capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stdout, res.stderr) == (0, 'Yo, ann!\n', '')
    res = subprocess.run(base + ['help'], env=env, capture_output=True, text=True,
                         timeout=120)
    assert '        example-greet ' in res.stdout

    res = PluginCLI(hub, str(tmp_path))('list-plugins', auth=False)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ['example', 'entry', 'point', 'Example', 'greeter', '0.1']
    assert lines[1] == '    Says hello; shows the plugin conventions.'
    assert lines[2].split()[:2] == ['sidetag_hub', 'path']
    res = PluginCLI(hub, str(tmp_path))('list-plugins', '-v', auth=False)
    assert '    exports: exampleGreeting, exampleScratch' in res.stdout.splitlines()
    assert '    callbacks: -' in res.stdout.splitlines()


def test_list_plugins_without_plugins(hub_server, tmp_path):
    res = subprocess.run([sys.executable, KOJI, '-c', hub_server.config_file, '-p',
                          hub_server.profile, '--noauth', '--plugin-paths', CLI_PLUGINS,
                          'list-plugins'], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, HOME=str(tmp_path)))
    assert res.returncode == 1
    assert res.stderr == ('The hub does not list its plugins (none are loaded, or it is '
                          'too old)\n')
    # no listPlugins call without plugins: the API stays upstream's
    assert 'listPlugins' not in [m['name'] for m in koji.ClientSession(
        hub_server.url)._listapi()]


def test_builder_entry_point(hub, site, tmp_path):
    """kojid loads 'example' from the installed package (nothing in its pluginpath)."""
    empty = tmp_path / 'no-plugins'
    empty.mkdir()
    proc = start_kojid(hub, str(tmp_path / 'kojid'), 'exhost', ['example'],
                       pluginpath=str(empty), env={'PYTHONPATH': site})
    try:
        task_id = hub.admin.makeTask('examplegreet', ['dora'])
        info = wait_task(hub.admin, task_id)
        assert info['state'] == koji.TASK_STATES['CLOSED']
        host_id = hub.admin.getHost('exhost')['id']
        assert hub.admin.getTaskResult(task_id) == 'greetings, dora, from host %d' % host_id
    finally:
        stop_kojid(proc)
