"""version, moshimoshi (and greeting aliases), call and list-api against the real hub."""
import json
import re

import pytest

import koji
from tests.fixtures.cli import LOG_ERROR


def hub_version(cli):
    res = cli('--noauth', 'call', 'getKojiVersion', auth=False)
    return eval(res.stdout)


def test_version(cli):
    res = cli('version', auth=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout == 'Client: %s\nHub:    %s\n' % (koji.__version__, hub_version(cli))
    # no option parser: arguments are ignored
    res = cli('version', '--whatever', auth=False)
    assert res.returncode == 0


def check_greeting(line, name):
    greeting, _, rest = line.rpartition(', ')
    assert greeting in koji_cli_greetings()
    assert rest == '%s!' % name


def koji_cli_greetings():
    from koji_cli.lib import greetings
    return greetings


@pytest.mark.parametrize('word', ['moshimoshi', 'hello', 'Ciao', "g'day"])
def test_moshimoshi_logged_in(cli, hub_server, word):
    res = cli(word)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split('\n')
    check_greeting(lines[0], hub_server.admin_user)
    assert lines[1:] == [
        '',
        'You are using the hub at %s (Koji %s)' % (hub_server.url, hub_version(cli)),
        'Authenticated via password',
        '',
    ]


def test_moshimoshi_anonymous(cli, hub_server):
    res = cli('--noauth', 'moshimoshi', auth=False)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split('\n')
    assert lines[0] == 'Not authenticated'
    check_greeting(lines[1], 'anonymous user')
    assert lines[2:] == [
        '',
        'You are using the hub at %s (Koji %s)' % (hub_server.url, hub_version(cli)),
        '',
    ]


def test_moshimoshi_takes_no_arguments(cli):
    res = cli('moshimoshi', 'extra')
    assert res.returncode == 2
    assert res.stderr.endswith('\nkoji: error: This command takes no arguments\n')


def test_bad_password(cli):
    res = cli('moshimoshi', password='wrong-password')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'AuthError: ', res.stderr)
    # anonymous commands do not log in, so the bad password does not matter ...
    res = cli('list-api', 'hello', password='wrong-password')
    assert res.returncode == 0, res.stderr
    # ... unless a login is forced
    res = cli('--force-auth', 'list-api', 'hello', password='wrong-password')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'AuthError: ', res.stderr)


def test_call_plain_values(cli, hub_server):
    res = cli('call', 'getAPIVersion')
    assert (res.returncode, res.stdout) == (0, '1\n')
    res = cli('call', 'hello')
    assert res.stdout == "'Hello World'\n"
    res = cli('call', 'getUser', hub_server.admin_user)
    user = eval(res.stdout)
    assert user['name'] == hub_server.admin_user
    assert 'krb_principals' in user
    res = cli('call', 'getUser', 'userInfo=%s' % hub_server.admin_user, 'krb_princs=False')
    user = eval(res.stdout)
    assert user['name'] == hub_server.admin_user
    assert 'krb_principals' not in user
    res = cli('call', 'getUser', '999999999')
    assert res.stdout == 'None\n'


def test_call_python_and_kwargs(cli, hub_server):
    res = cli('call', '--python', 'getUser', repr(hub_server.admin_user),
              'krb_princs=False')
    assert eval(res.stdout)['name'] == hub_server.admin_user
    res = cli('call', '--kwargs', repr({'userInfo': hub_server.admin_user}), 'getUser')
    assert eval(res.stdout)['name'] == hub_server.admin_user
    # unparsable values as plain strings
    res = cli('call', '-p', '-b', 'getUser', hub_server.admin_user)
    assert eval(res.stdout)['name'] == hub_server.admin_user
    res = cli('call', '-p', 'getUser', hub_server.admin_user)
    assert res.returncode == 2
    assert res.stderr.endswith("koji: error: Invalid value: %r\n" % hub_server.admin_user)


def test_call_json(cli, hub_server):
    res = cli('call', '--json-output', 'getUser', hub_server.admin_user)
    assert res.returncode == 0, res.stderr
    user = json.loads(res.stdout)
    assert user['name'] == hub_server.admin_user
    assert res.stdout.startswith('{\n  "')
    res = cli('call', '-j', 'getUser', json.dumps(hub_server.admin_user),
              'krb_princs=false')
    user = json.loads(res.stdout)
    assert 'krb_principals' not in user
    res = cli('call', '--json-input', '--kwargs',
              json.dumps({'userInfo': hub_server.admin_user}), 'getUser')
    assert eval(res.stdout)['name'] == hub_server.admin_user


def test_call_errors(cli):
    res = cli('call', 'noSuchMethod')
    assert res.returncode == 1
    assert re.match(LOG_ERROR + 'GenericError: Invalid method: noSuchMethod\n$', res.stderr)


def test_json_output_of_datetime():
    from koji.xmlrpcplus import DateTime
    from koji_cli.commands.misc import _DateTimeJSONEncoder
    value = DateTime('20240102T03:04:05')
    text = json.dumps({'when': value}, cls=_DateTimeJSONEncoder)
    assert text == '{"when": "20240102T03:04:05"}'


def test_list_api(cli):
    res = cli('list-api', auth=False)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split('\n')
    names = [line.split('(')[0] for line in lines if line and not line.startswith(' ')]
    assert names == sorted(names)
    assert 'getAPIVersion()' in lines
    assert 'getUser(userInfo=None, strict=False, krb_princs=True, groups=False)' in lines
    index = lines.index('getUser(userInfo=None, strict=False, krb_princs=True, groups=False)')
    assert lines[index + 1].startswith('  description: ')
    # every entry starts with its signature; multi-line docstrings continue indented
    for line in lines:
        assert not line or line[0].isspace() or re.match(r'^[\w.]+\(.*\)$', line), line


def test_list_api_methods(cli):
    res = cli('list-api', 'getUser', 'getAPIVersion', auth=False)
    assert res.returncode == 0
    assert res.stdout.startswith(
        'getUser(userInfo=None, strict=False, krb_princs=True, groups=False)\n')
    assert '\ngetAPIVersion()' in res.stdout
    res = cli('list-api', 'noSuchMethod', auth=False)
    assert res.returncode == 2
    assert res.stderr.endswith('\nkoji: error: Unknown method: noSuchMethod\n')
