"""Hosts (addHost, editHost, enable/disable, getHost, listHosts, getLastHostUpdate),
in-process on a real database."""
import datetime

import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.users import users
from kojihub.hosts.channels import ChannelExports
from kojihub.hosts.hosts import HostRootExports

HOST_KEYS = {'arches', 'capacity', 'comment', 'description', 'enabled', 'id', 'name',
             'ready', 'task_load', 'update_ts', 'user_id'}


class PerCall(object):
    """Exports wrapper giving each call its own event, as separate hub calls would get."""

    def __init__(self, exports):
        self.exports = exports()

    def __getattr__(self, name):
        func = getattr(self.exports, name)

        def call(*args, **kwargs):
            context.event_id = None
            return func(*args, **kwargs)
        return call


api = PerCall(HostRootExports)
capi = PerCall(ChannelExports)


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')


def test_add_and_get(admin):
    host_id = api.addHost('builder1.example.com', ['x86_64', 'i686'])
    host = api.getHost('builder1.example.com')
    assert set(host) == HOST_KEYS
    assert host['id'] == host_id
    assert host['arches'] == 'x86_64 i686'
    assert (host['capacity'], host['task_load']) == (2.0, 0.0)
    assert (host['enabled'], host['ready']) == (True, False)
    assert (host['description'], host['comment'], host['update_ts']) == (None, None, None)
    assert api.getHost(host_id) == host
    user = users.get_user(host['user_id'])
    assert (user['name'], user['usertype']) == ('builder1.example.com', koji.USERTYPES['HOST'])
    assert user['krb_principals'] == []
    # a new host serves the default channel
    assert [c['name'] for c in capi.listChannels(hostID=host_id)] == ['default']
    assert api.getHost('nosuch') is None
    with pytest.raises(koji.GenericError, match='Invalid hostInfo: nosuch') as exc:
        api.getHost('nosuch', strict=True)
    assert exc.value.faultCode == 1000
    with pytest.raises(koji.ParameterError, match=r"^Invalid name or id value: \['x'\]$"):
        api.getHost(['x'])
    assert api.getHost({'name': 'nosuch'}) is None


def test_add_host_faults(admin, make_user):
    api.addHost('b1', ['x86_64'])
    with pytest.raises(koji.GenericError, match='host already exists: b1'):
        api.addHost('b1', ['x86_64'])
    with pytest.raises(koji.GenericError, match=r'Architecture can be only \[a-zA-Z0-9_-\]'):
        api.addHost('b2', ['x86_64,i686'])
    with pytest.raises(koji.GenericError, match='RegexNameInternal|Name'):
        api.addHost('bad name', ['x86_64'])
    assert api.getHost('b2') is None


def test_add_host_principal_format(admin):
    context.opts['HostPrincipalFormat'] = 'compile/%s@EXAMPLE.COM'
    host_id = api.addHost('b1.example.com', ['x86_64'])
    user = users.get_user(api.getHost(host_id)['user_id'])
    assert user['krb_principals'] == ['compile/b1.example.com@EXAMPLE.COM']
    # an explicit principal wins over the format
    host_id = api.addHost('b2.example.com', ['x86_64'], krb_principal='b2@EXAMPLE.COM')
    user = users.get_user(api.getHost(host_id)['user_id'])
    assert user['krb_principals'] == ['b2@EXAMPLE.COM']


def test_add_host_existing_users(admin, make_user):
    # a HOST user that logged in before the host was added is reused
    early = make_user('early', usertype=koji.USERTYPES['HOST'])
    host_id = api.addHost('early', ['x86_64'], krb_principal='early@EXAMPLE.COM')
    assert api.getHost(host_id)['user_id'] == early['id']
    assert users.get_user(early['id'])['krb_principals'] == ['early@EXAMPLE.COM']
    # a normal user needs force, and is then converted
    plain = make_user('plain')
    with pytest.raises(koji.GenericError,
                       match='user plain already exists and it is not a host'):
        api.addHost('plain', ['x86_64'])
    assert api.getHost('plain') is None
    host_id = api.addHost('plain', ['x86_64'], force=True)
    assert api.getHost(host_id)['user_id'] == plain['id']
    assert users.get_user(plain['id'])['usertype'] == koji.USERTYPES['HOST']
    # groups are never converted
    make_user('grp', usertype=koji.USERTYPES['GROUP'])
    with pytest.raises(koji.GenericError, match='not a host'):
        api.addHost('grp', ['x86_64'], force=True)


def test_permissions(make_user, login_as):
    make_user('hostadmin', perms=['host'])
    make_user('nobody')
    login_as('nobody')
    with pytest.raises(koji.ActionNotAllowed):
        api.addHost('b1', ['x86_64'])
    login_as('hostadmin')
    api.addHost('b1', ['x86_64'])
    assert api.editHost('b1', capacity=4.0) is True
    api.disableHost('b1')
    login_as('nobody')
    for call, args in (('editHost', ('b1',)), ('enableHost', ('b1',)),
                       ('disableHost', ('b1',))):
        with pytest.raises(koji.ActionNotAllowed):
            getattr(api, call)(*args)
    # reading needs nothing
    assert api.getHost('b1')['capacity'] == 4.0


def test_edit_host_versions(admin):
    host_id = api.addHost('b1', ['x86_64'])
    before = db.get_event()
    context.event_id = None
    assert api.editHost('b1') is False
    assert api.editHost('b1', capacity=2.0, arches='x86_64') is False
    assert api.editHost(host_id, arches='x86_64 aarch64', capacity=10, description='big',
                        comment='rack 4') is True
    host = api.getHost('b1')
    assert (host['arches'], host['capacity'], host['description'], host['comment']) == \
        ('x86_64 aarch64', 10.0, 'big', 'rack 4')
    assert host['enabled'] is True
    # the previous config is still visible as of the earlier event
    old = api.getHost('b1', event=before)
    assert (old['arches'], old['capacity'], old['description']) == ('x86_64', 2.0, None)
    rows = db.QueryProcessor(tables=['host_config'], columns=['active'],
                             clauses=['host_id = %(id)s'], values={'id': host_id}).execute()
    assert sorted(r['active'] is True for r in rows) == [False, True]
    assert api.editHost('b1', description=None) is True
    assert api.getHost('b1')['description'] is None
    with pytest.raises(koji.GenericError, match='Invalid hostInfo'):
        api.editHost('nosuch', comment='x')
    with pytest.raises(koji.ParameterError):
        api.editHost('b1', capacity='lots')
    with pytest.raises(koji.GenericError, match=r'Architecture can be only \[a-zA-Z0-9_-\]'):
        api.editHost('b1', arches='x86_64,i686')


def test_enable_disable(admin):
    api.addHost('b1', ['x86_64'])
    api.editHost('b1', comment='keep me', capacity=3.0)
    assert api.disableHost('b1') is None
    host = api.getHost('b1')
    assert (host['enabled'], host['comment'], host['capacity']) == (False, 'keep me', 3.0)
    api.enableHost('b1')
    assert api.getHost('b1')['enabled'] is True
    with pytest.raises(koji.GenericError, match='host does not exist: nosuch'):
        api.disableHost('nosuch')


def test_list_hosts_filters(admin, make_user):
    ids = {}
    for name, arches in (('a1', ['x86_64']), ('a2', ['x86_64', 'i686']),
                         ('a3', ['aarch64']), ('a4', ['i386'])):
        ids[name] = api.addHost(name, arches)
    api.disableHost('a3')
    db.UpdateProcessor('host', data={'ready': True, 'task_load': 1.5},
                       clauses=['id = %(id)s'], values={'id': ids['a2']}).execute()
    capi.addHostToChannel('a1', 'createrepo')
    capi.addHostToChannel('a3', 'createrepo')

    def names(**kw):
        return [h['name'] for h in api.listHosts(**kw)]

    hosts = api.listHosts()
    assert [h['name'] for h in hosts] == ['a1', 'a2', 'a3', 'a4']
    assert all(set(h) == HOST_KEYS for h in hosts)
    assert hosts[1]['task_load'] == 1.5 and hosts[1]['ready'] is True
    assert names(arches=['x86_64']) == ['a1', 'a2']
    # whole arch names only: i386 must not match i686, nor the reverse
    assert names(arches=['i686']) == ['a2']
    assert names(arches=['i386', 'aarch64']) == ['a3', 'a4']
    assert names(arches='aarch64') == ['a3']
    with pytest.raises(koji.GenericError, match='arches option cannot be empty'):
        api.listHosts(arches=[])
    assert names(channelID='createrepo') == ['a1', 'a3']
    assert names(channelID=2) == ['a1', 'a3']
    assert names(channelID='default') == ['a1', 'a2', 'a3', 'a4']
    with pytest.raises(koji.GenericError):
        api.listHosts(channelID='nosuch')
    assert names(ready=True) == ['a2']
    assert names(ready=False) == ['a1', 'a3', 'a4']
    assert names(enabled=False) == ['a3']
    assert names(enabled=True, channelID='createrepo') == ['a1']
    assert names(userID='a4') == ['a4']
    assert names(userID=api.getHost('a2')['user_id']) == ['a2']
    # queryOpts is accepted and ignored, as upstream does
    assert names(queryOpts={'countOnly': True, 'limit': 1}) == ['a1', 'a2', 'a3', 'a4']
    # channel membership history does not leak into listHosts
    capi.removeHostFromChannel('a1', 'createrepo')
    assert names(channelID='createrepo') == ['a3']


def test_last_host_update(admin, login_as):
    host_id = api.addHost('b1', ['x86_64'])
    assert api.getLastHostUpdate(host_id) is None
    assert api.getLastHostUpdate(host_id, ts=True) is None
    context.cnx.commit()
    login_as('b1')
    stamp = api.getLastHostUpdate(host_id)
    assert isinstance(stamp, datetime.datetime)
    ts = api.getLastHostUpdate(host_id, ts=True)
    assert isinstance(ts, float) and ts == stamp.timestamp()
    assert api.getLastHostUpdate('b1') == stamp


def test_update_ts_and_all_arches(admin):
    host_id = api.addHost('b1', ['x86_64', 'i686'])
    api.addHost('b2', ['noarch', 'armv7hl'])
    db.UpdateProcessor('host', rawdata={'update_time': 'NOW()'},
                       clauses=['id = %(id)s'], values={'id': host_id}).execute()
    assert isinstance(api.getHost(host_id)['update_ts'], float)
    arches = api.getAllArches()
    assert sorted(arches) == arches
    assert set(arches) == {'x86_64', 'i386', 'noarch', 'armhfp'}
