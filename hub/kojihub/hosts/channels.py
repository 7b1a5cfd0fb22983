"""Builder channels and host membership.

A channel is a plain named row (channels) with description/enabled/comment; which hosts
serve it is the versioned host_channels table, so membership can be asked "as of event".
"""
import koji
from koji.context import context

from ..core.db import DeleteProcessor, InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from ..core.lookup import get_id
from ..core.names import verify_name_internal
from ..core.versioning import eventCondition

CHANNEL_FIELDS = (
    ('channels.id', 'id'),
    ('channels.name', 'name'),
    ('channels.description', 'description'),
    ('channels.enabled', 'enabled'),
    ('channels.comment', 'comment'),
)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _channel_query(clauses, values, tables=('channels',), joins=None, opts=None):
    return QueryProcessor(columns=[c for c, _ in CHANNEL_FIELDS],
                          aliases=[a for _, a in CHANNEL_FIELDS], tables=list(tables),
                          joins=joins, clauses=clauses, values=values, opts=opts)


def _text_arg(value, what):
    """description/comment must be strings (or None), never silently str()-ed."""
    if value is not None and not isinstance(value, str):
        raise koji.ParameterError('%s must be a string, not %s' % (what, type(value)))
    return value


def get_channel(channelInfo, strict=False):
    """One channel by id or name (getChannel)."""
    if _is_int(channelInfo):
        clause = 'channels.id = %(info)s'
    elif isinstance(channelInfo, str):
        clause = 'channels.name = %(info)s'
    else:
        raise koji.GenericError('Invalid type for channelInfo: %s' % type(channelInfo))
    return _channel_query([clause], {'info': channelInfo}).executeOne(strict=strict)


def _host_id(hostID):
    """Host id from an id or a name, failing for unknown names."""
    if _is_int(hostID):
        return hostID
    if isinstance(hostID, str):
        # deferred import: hosts.py imports this module
        from .hosts import get_host
        return get_host(hostID, strict=True)['id']
    raise koji.GenericError('Invalid type for hostInfo: %s' % type(hostID))


def list_channels(hostID=None, event=None, enabled=None):
    """All channels, or those of one host (optionally as of an event), by channel id."""
    clauses = []
    values = {}
    if enabled is not None:
        clauses.append('channels.enabled IS %s' % ('TRUE' if enabled else 'FALSE'))
    if hostID:
        values['host_id'] = _host_id(hostID)
        clauses += [eventCondition(event, 'host_channels'),
                    'host_channels.host_id = %(host_id)s']
        query = _channel_query(clauses, values, tables=['host_channels'],
                               joins=['channels ON channels.id = host_channels.channel_id'],
                               opts={'order': 'id'})
    elif event:
        raise koji.GenericError('list_channels with event and not host is not allowed.')
    else:
        query = _channel_query(clauses, values, opts={'order': 'id'})
    return query.execute()


def _assert_channel_name_free(name):
    dup = get_channel(name)
    if dup:
        raise koji.GenericError('channel %(name)s already exists (id=%(id)i)' % dup)


def add_channel(channel_name, description=None):
    """Create a channel (addChannel); returns its id."""
    context.session.assertPerm('admin')
    verify_name_internal(channel_name)
    _text_arg(description, 'Channel description')
    _assert_channel_name_free(channel_name)
    channel_id = nextval('channels_id_seq')
    InsertProcessor('channels', data={'id': channel_id, 'name': channel_name,
                                      'description': description}).execute()
    return channel_id


def edit_channel(channelInfo, **kw):
    """Change name/description/comment (editChannel); False when nothing differs."""
    context.session.assertPerm('admin')
    channel = get_channel(channelInfo, strict=True)
    changes = {}
    for field in ('name', 'description', 'comment'):
        if field in kw and kw[field] != channel[field]:
            changes[field] = kw[field]
    if not changes:
        return False
    _text_arg(changes.get('description'), 'description')
    _text_arg(changes.get('comment'), 'comment')
    if 'name' in changes:
        verify_name_internal(changes['name'])
        _assert_channel_name_free(changes['name'])
    UpdateProcessor('channels', data=changes, clauses=['id = %(id)s'],
                    values={'id': channel['id']}).execute()
    return True


def rename_channel(old, new):
    """renameChannel: the old name-only form of editChannel."""
    edit_channel(old, name=new)


def remove_channel(channel_name, force=False):
    """Delete a channel and its membership history.

    Not an exported call (upstream 1.35 dropped removeChannel in favour of
    disableChannel); kept for admin scripts. Tasks keep their channel, so a channel any
    task references is never removed; one with hosts needs force.
    """
    context.session.assertPerm('admin')
    channel_id = get_id('channels', channel_name, strict=True)
    values = {'channel_id': channel_id}
    tasks = QueryProcessor(tables=['task'], columns=['id'],
                           clauses=['channel_id = %(channel_id)s'], values=values,
                           opts={'limit': 1}).execute()
    if tasks:
        raise koji.GenericError('channel %s has task references' % channel_name)
    hosts = QueryProcessor(tables=['host_channels'], columns=['host_id'],
                           clauses=['channel_id = %(channel_id)s'], values=values,
                           opts={'limit': 1}).execute()
    if hosts and not force:
        raise koji.GenericError('channel %s has host references' % channel_name)
    DeleteProcessor('host_channels', clauses=['channel_id = %(channel_id)s'],
                    values=values).execute()
    DeleteProcessor('channels', clauses=['id = %(channel_id)s'], values=values).execute()


def set_channel_enabled(channelname, enabled=True, comment=None):
    """Flip a channel's enabled flag, recording the comment when one is given."""
    context.session.assertPerm('host')
    channel = get_channel(channelname)
    if not channel:
        raise koji.GenericError('No such channel: %s' % channelname)
    data = {'enabled': bool(enabled)}
    if comment is not None:
        data['comment'] = _text_arg(comment, 'comment')
    UpdateProcessor('channels', data=data, clauses=['id = %(id)s'],
                    values={'id': channel['id']}).execute()


def _host_for_channel_call(hostname):
    from .hosts import get_host
    host = get_host(hostname)
    if host is None:
        raise koji.GenericError('host does not exist: %s' % hostname)
    return host


def _is_member(host_id, channel_id):
    query = QueryProcessor(tables=['host_channels'], columns=['host_id'],
                           clauses=['active = TRUE', 'host_id = %(host_id)s',
                                    'channel_id = %(channel_id)s'],
                           values={'host_id': host_id, 'channel_id': channel_id})
    return query.executeOne() is not None


def add_host_to_channel(hostname, channel_name, create=False, force=False):
    """Subscribe a host to a channel (create makes a missing channel; force allows a
    disabled one)."""
    context.session.assertPerm('host')
    host = _host_for_channel_call(hostname)
    if create:
        verify_name_internal(channel_name)
    channel_id = get_id('channels', channel_name, create=create)
    if channel_id is None:
        raise koji.GenericError('channel does not exist: %s' % channel_name)
    if not force and not get_channel(channel_id)['enabled']:
        raise koji.GenericError('channel %s is disabled' % channel_name)
    if _is_member(host['id'], channel_id):
        raise koji.GenericError('host %s is already subscribed to the %s channel'
                                % (hostname, channel_name))
    insert = InsertProcessor('host_channels', data={'host_id': host['id'],
                                                    'channel_id': channel_id})
    insert.make_create()
    insert.execute()


def remove_host_from_channel(hostname, channel_name):
    """Unsubscribe a host (revokes the membership row, history stays)."""
    context.session.assertPerm('host')
    host = _host_for_channel_call(hostname)
    channel_id = get_id('channels', channel_name)
    if channel_id is None:
        raise koji.GenericError('channel does not exist: %s' % channel_name)
    if not _is_member(host['id'], channel_id):
        raise koji.GenericError('host %s is not subscribed to the %s channel'
                                % (hostname, channel_name))
    update = UpdateProcessor('host_channels',
                             clauses=['host_id = %(host_id)s', 'channel_id = %(channel_id)s'],
                             values={'host_id': host['id'], 'channel_id': channel_id})
    update.make_revoke()
    update.execute()


class ChannelExports(object):
    """Channel calls of the hub API."""

    getChannel = staticmethod(get_channel)
    listChannels = staticmethod(list_channels)
    addChannel = staticmethod(add_channel)
    editChannel = staticmethod(edit_channel)
    renameChannel = staticmethod(rename_channel)
    addHostToChannel = staticmethod(add_host_to_channel)
    removeHostFromChannel = staticmethod(remove_host_from_channel)

    def enableChannel(self, channelname, comment=None):
        set_channel_enabled(channelname, enabled=True, comment=comment)

    def disableChannel(self, channelname, comment=None):
        set_channel_enabled(channelname, enabled=False, comment=comment)
