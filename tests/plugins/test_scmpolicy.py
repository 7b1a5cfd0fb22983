"""scmpolicy builder plugin: the policy data it sends with host.assertPolicy('scm', ...)
from a real git checkout, checked by a real hub's scm policy."""
import subprocess

import pytest

import koji
from koji.plugin import PluginTracker
from tests.plugins.conftest import BUILDER_PLUGINS

POLICY = {'scm': """
    match scm_host git.example.com && match branches *release-1* && match build_tag good :: allow
    all :: deny
"""}


def git(cwd, *args):
    subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@example.com'] + list(args),
                   cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope='module')
def plugin():
    return PluginTracker(path=[BUILDER_PLUGINS], prefix='_test_builder_plugin__').load(
        'scmpolicy')


@pytest.fixture(scope='module')
def checkout(tmp_path_factory):
    """A clone whose origin has main (commit A) and release-1 (A + B)."""
    base = tmp_path_factory.mktemp('scm')
    origin, work = base / 'origin', base / 'work'
    origin.mkdir()
    git(origin, 'init', '-q', '-b', 'main')
    (origin / 'f').write_text('a')
    git(origin, 'add', 'f')
    git(origin, 'commit', '-q', '-m', 'A')
    git(origin, 'checkout', '-q', '-b', 'release-1')
    (origin / 'f').write_text('b')
    git(origin, 'commit', '-q', '-am', 'B')
    git(origin, 'checkout', '-q', 'main')
    git(base, 'clone', '-q', str(origin), str(work))
    return work


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory([], opts={'policy': POLICY})
    admin = server.session()
    admin.addHost('scmhost', ['x86_64'])
    server.set_password('scmhost', 'hostpw')
    server.task_id = admin.makeTask('buildSRPMFromSCM', ['git://x'])
    server.admin = admin
    host = koji.ClientSession(server.url, opts={'user': 'scmhost', 'password': 'hostpw'})
    host.login()
    host.exclusiveSession()
    server.host_session = host
    return server


def callback_kwargs(hub, checkout, **changes):
    kwargs = {
        'taskinfo': hub.admin.getTaskInfo(hub.task_id),
        'session': hub.host_session,
        'build_tag': 'good',
        'scratch': False,
        'srcdir': str(checkout),
        'scminfo': {'url': 'git://git.example.com/r.git#HEAD', 'scheme': 'git://',
                    'user': None, 'host': 'git.example.com', 'repository': '/r.git',
                    'module': '', 'revision': 'HEAD', 'scmtype': 'GIT'},
    }
    kwargs.update(changes)
    return kwargs


def test_branches(plugin, checkout):
    git(checkout, 'checkout', '-q', 'origin/release-1')
    assert plugin.get_branches(str(checkout)) == ['release-1']
    git(checkout, 'checkout', '-q', 'origin/main')
    assert sorted(plugin.get_branches(str(checkout))) == ['main', 'release-1']
    with pytest.raises(Exception):
        plugin.get_branches(str(checkout.parent))


def test_policy_allows_and_denies(plugin, checkout, hub):
    git(checkout, 'checkout', '-q', 'origin/release-1')
    plugin.assert_scm_policy('postSCMCheckout', **callback_kwargs(hub, checkout))
    with pytest.raises(koji.ActionNotAllowed):
        plugin.assert_scm_policy('postSCMCheckout',
                                 **callback_kwargs(hub, checkout, build_tag='bad'))
    bad_scm = callback_kwargs(hub, checkout)
    bad_scm['scminfo'] = dict(bad_scm['scminfo'], host='evil.example.com')
    with pytest.raises(koji.ActionNotAllowed):
        plugin.assert_scm_policy('postSCMCheckout', **bad_scm)


def test_task_method(plugin, hub):
    assert plugin.get_task_method(hub.admin, hub.task_id) == 'buildSRPMFromSCM'
    with pytest.raises(koji.GenericError) as exc:
        plugin.get_task_method(hub.admin, {'id': 1})
    assert 'Invalid taskinfo' in str(exc.value)
