"""koji.plugin: decorators, callback registry and the plugin module loader."""
import datetime
import sys
import textwrap

import pytest

import koji
from koji import plugin


@pytest.fixture
def clean_callbacks(monkeypatch):
    fresh = dict((name, []) for name in plugin.callbacks)
    monkeypatch.setattr(plugin, 'callbacks', fresh)
    return fresh


def test_callback_names():
    assert len(plugin.callbacks) == 26
    for name in ('preTag', 'postTag', 'preCommit', 'postCommit', 'preBuildPromote',
                 'postSCMCheckout', 'postCreateRepo', 'postCreateDistRepo', 'preRPMSign'):
        assert name in plugin.callbacks
    assert all(funcs == [] or isinstance(funcs, list) for funcs in plugin.callbacks.values())


def test_export_decorators():
    @plugin.export
    def hubcall():
        pass
    assert hubcall.exported is True
    assert not hasattr(hubcall, 'export_alias')

    @plugin.export_cli
    def handle_thing(options, session, args):
        pass
    assert handle_thing.exported_cli is True

    @plugin.export_as('newName')
    def oldname():
        pass
    assert oldname.exported is True and oldname.export_alias == 'newName'

    @plugin.export_in('mymod')
    def func1():
        pass
    assert func1.exported is True
    assert func1.export_module == 'mymod'
    assert func1.export_alias == 'mymod.func1'

    @plugin.export_in('mymod', alias='other')
    def func2():
        pass
    assert func2.export_alias == 'mymod.other'


def test_callback_decorators():
    @plugin.callback('preTag', 'postTag')
    @plugin.ignore_error
    @plugin.convert_datetime
    def cb(cbtype, **kwargs):
        pass
    assert cb.callbacks == ('preTag', 'postTag')
    assert cb.failure_is_an_option is True
    assert cb.convert_datetime is True


def test_register_callback(clean_callbacks):
    def cb(cbtype, *args, **kwargs):
        pass
    plugin.register_callback('postTag', cb)
    assert clean_callbacks['postTag'] == [cb]
    with pytest.raises(koji.PluginError):
        plugin.register_callback('noSuchCallback', cb)
    with pytest.raises(koji.PluginError):
        plugin.register_callback('postTag', 'not callable')


def test_run_callbacks_passes_arguments(clean_callbacks):
    calls = []

    def first(cbtype, *args, **kwargs):
        calls.append(('first', cbtype, args, kwargs))

    def second(cbtype, *args, **kwargs):
        calls.append(('second', cbtype, args, kwargs))

    plugin.register_callback('preTag', first)
    plugin.register_callback('preTag', second)
    plugin.run_callbacks('preTag', 1, tag={'name': 't'}, force=False)
    assert calls == [
        ('first', 'preTag', (1,), {'tag': {'name': 't'}, 'force': False}),
        ('second', 'preTag', (1,), {'tag': {'name': 't'}, 'force': False}),
    ]
    # no callbacks registered: nothing happens
    plugin.run_callbacks('postUntag', tag=None)
    with pytest.raises(koji.PluginError):
        plugin.run_callbacks('bogus')


def test_run_callbacks_wraps_errors(clean_callbacks):
    def broken(cbtype, **kwargs):
        raise ValueError('kaboom')

    plugin.register_callback('postTag', broken)
    with pytest.raises(koji.CallbackError) as exc:
        plugin.run_callbacks('postTag', tag='x')
    assert exc.value.faultCode == 1017
    assert 'Error running postTag callback from' in str(exc.value)
    assert 'kaboom' in str(exc.value)


def test_run_callbacks_ignore_error(clean_callbacks, caplog):
    calls = []

    @plugin.ignore_error
    def broken(cbtype, **kwargs):
        raise ValueError('kaboom')

    def after(cbtype, **kwargs):
        calls.append(cbtype)

    plugin.register_callback('postCommit', broken)
    plugin.register_callback('postCommit', after)
    plugin.run_callbacks('postCommit')
    assert calls == ['postCommit']
    assert 'Error running postCommit callback' in caplog.text


def test_run_callbacks_convert_datetime(clean_callbacks):
    seen = {}
    stamp = datetime.datetime(2024, 1, 2, 3, 4, 5)

    @plugin.convert_datetime
    def converted(cbtype, *args, **kwargs):
        seen['converted'] = (args, kwargs)

    def raw(cbtype, *args, **kwargs):
        seen['raw'] = (args, kwargs)

    plugin.register_callback('postBuildStateChange', converted)
    plugin.register_callback('postBuildStateChange', raw)
    info = {'completion_time': stamp, 'nested': [stamp]}
    plugin.run_callbacks('postBuildStateChange', stamp, info=info)
    assert seen['converted'] == (('2024-01-02 03:04:05',), {
        'info': {'completion_time': '2024-01-02 03:04:05', 'nested': ['2024-01-02 03:04:05']}})
    assert seen['raw'] == ((stamp,), {'info': info})
    assert info['completion_time'] is stamp  # the caller's data is not modified


PLUGIN_SOURCE = textwrap.dedent('''
    from koji.plugin import callback, export

    VALUE = %r

    @export
    def hello():
        return VALUE

    @callback('postTag')
    def on_tag(cbtype, **kwargs):
        pass
''')


def test_plugin_tracker_load(tmp_path):
    (tmp_path / 'sample_plugin.py').write_text(PLUGIN_SOURCE % 'one')
    tracker = plugin.PluginTracker(path=str(tmp_path), prefix='_koji_test_plugin__')
    try:
        mod = tracker.load('sample_plugin')
        assert mod.__name__ == '_koji_test_plugin__sample_plugin'
        assert sys.modules['_koji_test_plugin__sample_plugin'] is mod
        assert mod.hello() == 'one'
        assert mod.hello.exported is True
        assert mod.on_tag.callbacks == ('postTag',)
        assert tracker.get('sample_plugin') is mod
        assert tracker.get('other') is None
        assert tracker.load('sample_plugin') is mod  # cached
        # a second tracker with the same prefix would clash in sys.modules
        with pytest.raises(koji.PluginError):
            plugin.PluginTracker(path=str(tmp_path),
                                 prefix='_koji_test_plugin__').load('sample_plugin')
        (tmp_path / 'sample_plugin.py').write_text(PLUGIN_SOURCE % 'two')
        newmod = tracker.load('sample_plugin', reload=True)
        assert newmod.hello() == 'two'
        assert tracker.get('sample_plugin') is newmod
    finally:
        sys.modules.pop('_koji_test_plugin__sample_plugin', None)


def test_plugin_tracker_search_path(tmp_path):
    first = tmp_path / 'first'
    second = tmp_path / 'second'
    first.mkdir()
    second.mkdir()
    (second / 'p2.py').write_text('WHERE = "second"\n')
    (first / 'p2.py').write_text('WHERE = "first"\n')
    (second / 'only2.py').write_text('WHERE = "only"\n')
    tracker = plugin.PluginTracker(prefix='_koji_test_sp__')
    try:
        with pytest.raises(koji.PluginError):
            tracker.load('p2')  # no search path at all
        assert tracker.load('p2', path=[str(first), str(second)]).WHERE == 'first'
        assert tracker.load('only2', path=[str(first), str(second)]).WHERE == 'only'
        with pytest.raises(koji.PluginError):
            tracker.load('missing', path=[str(first)])
        assert '_koji_test_sp__missing' not in sys.modules
    finally:
        for name in ('p2', 'only2'):
            sys.modules.pop('_koji_test_sp__' + name, None)


def test_plugin_tracker_failed_import_not_registered(tmp_path):
    (tmp_path / 'broken.py').write_text('raise RuntimeError("bad plugin")\n')
    tracker = plugin.PluginTracker(path=str(tmp_path), prefix='_koji_test_broken__')
    with pytest.raises(RuntimeError):
        tracker.load('broken')
    assert '_koji_test_broken__broken' not in sys.modules
    assert tracker.get('broken') is None


def test_pathlist():
    tracker = plugin.PluginTracker()
    assert tracker.searchpath is None
    assert tracker.prefix == '_koji_plugin__'
    assert tracker.plugins == {}
    assert tracker.pathlist('/a') == ['/a']
    assert tracker.pathlist(['/a', '/b']) == ['/a', '/b']


def test_cli_style_plugin_discovery(tmp_path):
    """The CLI loads every file and keeps callables marked exported_cli."""
    (tmp_path / 'mycmd.py').write_text(textwrap.dedent('''
        from koji.plugin import export_cli, export_as

        @export_cli
        def anon_handle_echo(options, session, args):
            "[info] Print arguments"
            return args

        @export_cli
        @export_as('handle_renamed')
        def handle_original(options, session, args):
            return 1
    '''))
    tracker = plugin.PluginTracker(prefix='_koji_test_cli__')
    try:
        mod = tracker.load('mycmd', path=[str(tmp_path)], reload=True)
        found = {}
        for name, value in vars(mod).items():
            if callable(value) and getattr(value, 'exported_cli', False):
                found[getattr(value, 'export_alias', name)] = value
        assert sorted(found) == ['anon_handle_echo', 'handle_renamed']
    finally:
        sys.modules.pop('_koji_test_cli__mycmd', None)
