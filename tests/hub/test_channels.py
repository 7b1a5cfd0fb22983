"""Channels (add/edit/rename/enable/disable, membership, listChannels), in-process on a
real database."""
import pytest

import koji
from koji.context import context
from kojihub.core import db
from kojihub.hosts import channels
from kojihub.hosts.channels import ChannelExports
from kojihub.hosts.hosts import HostRootExports

CHANNEL_KEYS = {'comment', 'description', 'enabled', 'id', 'name'}
# in channel id order, as listChannels answers
SEEDED = ['default', 'createrepo', 'maven', 'livecd', 'appliance', 'vm', 'image',
          'livemedia']


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


api = PerCall(ChannelExports)
hapi = PerCall(HostRootExports)


@pytest.fixture
def admin(make_user, login_as):
    make_user('root', perms=['admin'])
    login_as('root')


def test_seeded_and_get(hub_context):
    listed = api.listChannels()
    assert [c['name'] for c in listed] == SEEDED
    assert all(set(c) == CHANNEL_KEYS for c in listed)
    default = api.getChannel('default')
    assert default == {'id': 1, 'name': 'default', 'description': None, 'enabled': True,
                       'comment': None}
    assert api.getChannel(1) == default
    assert api.getChannel('nosuch') is None
    with pytest.raises(koji.GenericError, match='query returned no rows') as exc:
        api.getChannel('nosuch', strict=True)
    assert exc.value.faultCode == 1000
    with pytest.raises(koji.GenericError, match='Invalid type for channelInfo'):
        api.getChannel({'name': 'default'})


def test_add_channel(admin):
    chan_id = api.addChannel('container', description='OCI builds')
    chan = api.getChannel(chan_id)
    assert chan == {'id': chan_id, 'name': 'container', 'description': 'OCI builds',
                    'enabled': True, 'comment': None}
    with pytest.raises(koji.GenericError,
                       match=r'channel container already exists \(id=%d\)' % chan_id):
        api.addChannel('container')
    with pytest.raises(koji.GenericError, match='RegexNameInternal|Name'):
        api.addChannel('bad name')
    with pytest.raises(koji.ParameterError):
        api.addChannel('other', description=5)


def test_edit_and_rename(admin):
    chan_id = api.addChannel('c1')
    assert api.editChannel('c1') is False
    assert api.editChannel('c1', name='c1', description=None) is False
    assert api.editChannel('c1', description='desc', comment='note') is True
    assert api.editChannel(chan_id, name='c2') is True
    assert api.getChannel(chan_id) == {'id': chan_id, 'name': 'c2', 'description': 'desc',
                                       'enabled': True, 'comment': 'note'}
    with pytest.raises(koji.GenericError, match='channel default already exists'):
        api.editChannel('c2', name='default')
    with pytest.raises(koji.GenericError, match='query returned no rows'):
        api.editChannel('nosuch', comment='x')
    assert api.renameChannel('c2', 'c3') is None
    assert api.getChannel(chan_id)['name'] == 'c3'


def test_enable_disable(admin):
    api.addChannel('c1')
    assert api.disableChannel('c1', comment='broken disks') is None
    chan = api.getChannel('c1')
    assert (chan['enabled'], chan['comment']) == (False, 'broken disks')
    # without a comment the old one stays
    api.enableChannel('c1')
    chan = api.getChannel('c1')
    assert (chan['enabled'], chan['comment']) == (True, 'broken disks')
    with pytest.raises(koji.GenericError, match='No such channel: nosuch'):
        api.enableChannel('nosuch')
    api.disableChannel('c1')
    assert [c['name'] for c in api.listChannels(enabled=False)] == ['c1']
    assert 'c1' not in [c['name'] for c in api.listChannels(enabled=True)]


def test_membership(admin):
    host_id = hapi.addHost('b1', ['x86_64'])
    before = db.get_event()
    context.event_id = None
    assert api.addHostToChannel('b1', 'createrepo') is None
    assert [c['name'] for c in api.listChannels(hostID=host_id)] == ['default', 'createrepo']
    assert [c['name'] for c in api.listChannels(hostID='b1')] == ['default', 'createrepo']
    assert [c['name'] for c in api.listChannels(hostID=host_id, event=before)] == ['default']
    with pytest.raises(koji.GenericError,
                       match='host b1 is already subscribed to the createrepo channel'):
        api.addHostToChannel('b1', 'createrepo')
    with pytest.raises(koji.GenericError, match='channel does not exist: newchan'):
        api.addHostToChannel('b1', 'newchan')
    with pytest.raises(koji.GenericError, match='host does not exist: nosuch'):
        api.addHostToChannel('nosuch', 'default')
    api.addHostToChannel('b1', 'newchan', create=True)
    assert api.getChannel('newchan')['enabled'] is True
    # disabled channels only with force
    api.disableChannel('maven')
    with pytest.raises(koji.GenericError, match='channel maven is disabled'):
        api.addHostToChannel('b1', 'maven')
    api.addHostToChannel('b1', 'maven', force=True)
    assert [c['name'] for c in api.listChannels(hostID=host_id, enabled=False)] == ['maven']
    assert api.removeHostFromChannel('b1', 'createrepo') is None
    after = db.get_event()
    context.event_id = None
    assert [c['name'] for c in api.listChannels(hostID=host_id)] == \
        ['default', 'maven', 'newchan']
    with pytest.raises(koji.GenericError,
                       match='host b1 is not subscribed to the createrepo channel'):
        api.removeHostFromChannel('b1', 'createrepo')
    with pytest.raises(koji.GenericError, match='channel does not exist: nosuch'):
        api.removeHostFromChannel('b1', 'nosuch')
    with pytest.raises(koji.GenericError, match='host does not exist: nosuch'):
        api.removeHostFromChannel('nosuch', 'default')
    # re-adding after removal works, and history as of an event is kept
    api.addHostToChannel('b1', 'createrepo')
    assert [c['name'] for c in api.listChannels(hostID=host_id, event=after)] == \
        ['default', 'maven', 'newchan']
    with pytest.raises(koji.GenericError, match='not allowed'):
        api.listChannels(event=after)
    with pytest.raises(koji.GenericError, match='Invalid hostInfo'):
        api.listChannels(hostID='nosuch')


def test_permissions(make_user, login_as):
    make_user('hostadmin', perms=['host'])
    make_user('nobody')
    login_as('hostadmin')
    hapi.addHost('b1', ['x86_64'])
    # host perm covers membership and enabling, not creating or editing channels
    api.addHostToChannel('b1', 'createrepo')
    api.removeHostFromChannel('b1', 'createrepo')
    api.disableChannel('vm')
    api.enableChannel('vm')
    for call, args in (('addChannel', ('c1',)), ('editChannel', ('vm',)),
                       ('renameChannel', ('vm', 'vm2'))):
        with pytest.raises(koji.ActionNotAllowed):
            getattr(api, call)(*args)
    login_as('nobody')
    for call, args in (('addHostToChannel', ('b1', 'vm')),
                       ('removeHostFromChannel', ('b1', 'default')),
                       ('enableChannel', ('vm',)), ('disableChannel', ('vm',))):
        with pytest.raises(koji.ActionNotAllowed):
            getattr(api, call)(*args)
    assert len(api.listChannels()) == len(SEEDED)


def test_remove_channel_helper(admin):
    """remove_channel is internal (not exported upstream any more) but keeps its rules."""
    assert not hasattr(ChannelExports, 'removeChannel')
    api.addChannel('c1')
    hapi.addHost('b1', ['x86_64'])
    api.addHostToChannel('b1', 'c1')
    with pytest.raises(koji.GenericError, match='channel c1 has host references'):
        channels.remove_channel('c1')
    channels.remove_channel('c1', force=True)
    assert api.getChannel('c1') is None
    assert [c['name'] for c in api.listChannels(hostID='b1')] == ['default']
    with pytest.raises(koji.GenericError):
        channels.remove_channel('c1')
