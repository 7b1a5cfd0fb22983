"""sidetag CLI commands (plugins/cli/sidetag_cli.py) through our `koji` against a real hub."""
import pytest

from tests.plugins.conftest import PluginCLI

POLICY = {'sidetag': """
    user mallory :: deny
    all :: allow
"""}


@pytest.fixture(scope='module')
def hub(plugin_hub_factory):
    server = plugin_hub_factory(['sidetag_hub'], opts={'policy': POLICY}, configs={
        'sidetag.conf': '[sidetag]\nallowed_suffixes = stage\n'})
    server.alice = server.add_user('alice')
    server.mallory = server.add_user('mallory')
    admin = server.session()
    admin.createTag('base', arches='x86_64')
    admin.createTag('rich', extra={'sidetag_debuginfo_allowed': True,
                                   'sidetag_rpm_macros_allowed': ['dist']})
    admin.logout()
    return server


@pytest.fixture(scope='module')
def koji_cli(hub, tmp_path_factory):
    return PluginCLI(hub, str(tmp_path_factory.mktemp('home')))


def alice(koji_cli, hub, *args):
    return koji_cli(*args, user='alice', password=hub.alice)


def test_add_sidetag(koji_cli, hub):
    res = alice(koji_cli, hub, 'add-sidetag', 'base')
    assert res.returncode == 0, res.stderr
    name = res.stdout.strip()
    session = hub.session()
    tag = session.getTag(name)
    assert name == 'base-side-%d' % tag['id']
    assert tag['extra']['sidetag_user'] == 'alice'
    assert 'with_debuginfo' not in tag['extra']

    res = alice(koji_cli, hub, 'add-sidetag', '--quiet', '--debuginfo', '--suffix', 'stage',
                'base')
    assert (res.returncode, res.stdout) == (0, '')
    mine = session.listSideTags(user='alice')
    staged = [t['name'] for t in mine if t['name'].endswith('-stage')]
    assert len(staged) == 1
    assert session.getTag(staged[0])['extra']['with_debuginfo'] is True


def test_add_sidetag_errors(koji_cli, hub):
    res = koji_cli('add-sidetag', 'base', user='mallory', password=hub.mallory)
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: Policy violation\n')
    assert res.stderr.startswith('Usage: koji add-sidetag [options] <basetag>\n')
    res = alice(koji_cli, hub, 'add-sidetag')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: Only argument is basetag\n')
    res = alice(koji_cli, hub, 'add-sidetag', '--suffix', 'zzz', 'base')
    assert res.returncode == 1
    assert 'GenericError: zzz suffix is not allowed for sidetag' in res.stderr


def test_list_sidetags(koji_cli, hub):
    admin_tag = koji_cli('add-sidetag', 'rich').stdout.strip()
    alice_tag = alice(koji_cli, hub, 'add-sidetag', 'rich').stdout.strip()
    res = alice(koji_cli, hub, 'list-sidetags', '--mine')
    assert res.returncode == 0
    names = res.stdout.split()
    assert alice_tag in names and admin_tag not in names
    res = koji_cli('list-sidetags', '--basetag', 'rich', auth=False)
    assert sorted(res.stdout.split()) == sorted([admin_tag, alice_tag])
    res = koji_cli('list-sidetags', '--basetag', 'rich', '--user', 'kojiadmin', auth=False)
    assert res.stdout == admin_tag + '\n'
    res = koji_cli('list-sidetags', '--mine', '--user', 'alice')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: Specify only one from --user --mine\n')
    res = koji_cli('list-sidetags', 'extra-arg')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: This command takes no arguments\n')


def test_edit_sidetag(koji_cli, hub):
    name = alice(koji_cli, hub, 'add-sidetag', 'rich').stdout.strip()
    res = alice(koji_cli, hub, 'edit-sidetag', name)
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: At least one option needs to be specified\n')
    res = alice(koji_cli, hub, 'edit-sidetag', '--debuginfo', '--rpm-macro', 'dist=.fc99',
                name)
    assert res.returncode == 0, res.stderr
    extra = hub.session().getTag(name)['extra']
    assert extra['with_debuginfo'] is True
    assert extra['rpm.macro.dist'] == '.fc99'
    res = alice(koji_cli, hub, 'edit-sidetag', '--no-debuginfo', '--remove-rpm-macro', 'dist',
                name)
    assert res.returncode == 0, res.stderr
    extra = hub.session().getTag(name)['extra']
    assert extra['with_debuginfo'] is False and 'rpm.macro.dist' not in extra
    res = alice(koji_cli, hub, 'edit-sidetag', '--rpm-macro', 'other=1', name)
    assert res.returncode == 1
    assert 'RPM macro other editing is not allowed via parent tag' in res.stderr


def test_remove_sidetag(koji_cli, hub):
    one = alice(koji_cli, hub, 'add-sidetag', 'base').stdout.strip()
    two = alice(koji_cli, hub, 'add-sidetag', 'base').stdout.strip()
    res = alice(koji_cli, hub, 'remove-sidetag', one, two)
    assert (res.returncode, res.stdout, res.stderr) == (0, '', '')
    session = hub.session()
    assert session.getTag(one) is None and session.getTag(two) is None
    res = alice(koji_cli, hub, 'remove-sidetag', 'base')
    assert res.returncode == 1
    assert 'GenericError: Not a sidetag: base' in res.stderr
    res = alice(koji_cli, hub, 'remove-sidetag')
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: Sidetag argument is required\n')


def test_commands_listed_in_help(koji_cli):
    res = koji_cli('help', auth=False)
    for command in ('add-sidetag', 'edit-sidetag', 'list-sidetags', 'remove-sidetag'):
        assert '\n        %s ' % command in res.stdout
