"""Build hosts: the host row (check-in state), its versioned config and its user.

host holds what the builder itself reports (ready, task_load, update_time); host_config
holds what admins set (arches, capacity, description, comment, enabled) and is versioned,
so getHost(event=...) can show a host's settings as they were.  Every host logs in as its
own users row of usertype HOST.
"""
import koji
from koji.context import context

from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from ..core.lookup import get_id, name_or_id_clause
from ..core.names import verify_name_internal
from ..users.users import create_user, get_user, set_krb_principal
from ..core.versioning import eventCondition

HOST_FIELDS = (
    ('host.id', 'id'),
    ('host.user_id', 'user_id'),
    ('host.name', 'name'),
    ("date_part('epoch', host.update_time)", 'update_ts'),
    ('host.ready', 'ready'),
    ('host.task_load', 'task_load'),
    ('host_config.arches', 'arches'),
    ('host_config.capacity', 'capacity'),
    ('host_config.description', 'description'),
    ('host_config.comment', 'comment'),
    ('host_config.enabled', 'enabled'),
)

# host_config columns copied forward when a new config version is written
_CONFIG_KEYS = ('arches', 'capacity', 'description', 'comment', 'enabled')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _host_query(clauses, values, joins=(), opts=None):
    return QueryProcessor(columns=[c for c, _ in HOST_FIELDS],
                          aliases=[a for _, a in HOST_FIELDS], tables=['host_config'],
                          joins=['host ON host.id = host_config.host_id'] + list(joins),
                          clauses=clauses, values=values, opts=opts)


def get_host(hostInfo, strict=False, event=None):
    """One host (by id or name) with its config as of the event (getHost)."""
    clause, values = name_or_id_clause('host', hostInfo)
    query = _host_query([eventCondition(event, 'host_config'), clause], values)
    host = query.executeOne()
    if host is None and strict:
        raise koji.GenericError('Invalid hostInfo: %s' % hostInfo)
    return host


def _arch_list(arches):
    """Arch filter values as a list, whatever shape the caller used."""
    if isinstance(arches, str):
        return koji.parse_arches(arches, to_list=True)
    if not isinstance(arches, (list, tuple)):
        raise koji.ParameterError('Invalid type for arches: %s' % type(arches))
    return koji.parse_arches(' '.join(arches), to_list=True, strict=True)


def list_hosts(arches=None, channelID=None, ready=None, enabled=None, userID=None,
               queryOpts=None):
    """Hosts matching every given filter (listHosts).

    queryOpts is accepted for compatibility and ignored, as upstream does.
    """
    clauses = ['host_config.active = TRUE']
    values = {}
    joins = []
    if arches is not None:
        arch_list = _arch_list(arches)
        if not arch_list:
            raise koji.GenericError('arches option cannot be empty')
        # whole-word match inside the space separated list (i386 must not match i386x)
        values['arch_re'] = r'(^|\s)(%s)(\s|$)' % '|'.join(arch_list)
        clauses.append('host_config.arches ~ %(arch_re)s')
    if channelID is not None:
        values['channel_id'] = get_id('channels', channelID, strict=True)
        joins.append('host_channels ON host_channels.host_id = host.id')
        clauses += ['host_channels.active = TRUE',
                    'host_channels.channel_id = %(channel_id)s']
    if ready is not None:
        clauses.append('host.ready IS %s' % ('TRUE' if ready else 'FALSE'))
    if enabled is not None:
        clauses.append('host_config.enabled IS %s' % ('TRUE' if enabled else 'FALSE'))
    if userID is not None:
        values['user_id'] = get_user(userID, strict=True, krb_princs=False)['id']
        clauses.append('host.user_id = %(user_id)s')
    return _host_query(clauses, values, joins=joins, opts={'order': 'id'}).execute()


def get_last_host_update(hostID, ts=False):
    """When the host's newest session was last used (getLastHostUpdate), or None."""
    if _is_int(hostID):
        clause, value = 'host.id = %(host)s', hostID
    elif isinstance(hostID, str):
        clause, value = 'host.name = %(host)s', hostID
    else:
        raise koji.ParameterError('Invalid host id: %r' % (hostID,))
    query = QueryProcessor(tables=['sessions'], columns=['sessions.update_time'],
                           aliases=['update_time'],
                           joins=['host ON host.user_id = sessions.user_id'],
                           clauses=[clause], values={'host': value},
                           opts={'order': '-update_time', 'limit': 1})
    stamp = query.singleValue(strict=False)
    if stamp is not None and ts:
        return stamp.timestamp()
    return stamp


def get_all_arches():
    """Canonical arches of every active host config (getAllArches)."""
    query = QueryProcessor(tables=['host_config'], columns=['arches'],
                           clauses=['active = TRUE'], opts={'asList': True})
    found = set()
    for (arches,) in query.execute():
        for arch in (arches or '').split():
            found.add(koji.canonArch(arch))
    return sorted(found)


def _write_config(host, **changes):
    """Replace the host's active config row by a new version carrying the changes."""
    data = dict((key, host[key]) for key in _CONFIG_KEYS)
    data.update(changes)
    data['host_id'] = host['id']
    update = UpdateProcessor('host_config', clauses=['host_id = %(host_id)s'],
                             values={'host_id': host['id']})
    update.make_revoke()
    update.execute()
    insert = InsertProcessor('host_config', data=data)
    insert.make_create()
    insert.execute()


def add_host(hostname, arches, krb_principal=None, force=False):
    """Create a host, its HOST user and default channel membership (addHost).

    A HOST user of that name may already exist (the builder logged in before it was
    added) and is reused; a NORMAL user is only converted with force.
    """
    context.session.assertPerm('host')
    verify_name_internal(hostname)
    if arches is None:
        raise koji.ParameterError('Invalid type for arches: expected a string or a list')
    if isinstance(arches, str):
        arch_text = koji.parse_arches(arches)
    else:
        arch_text = koji.parse_arches(' '.join(arches), strict=True)
    if get_host(hostname):
        raise koji.GenericError('host already exists: %s' % hostname)
    default_channel = get_id('channels', 'default', strict=True)
    if krb_principal is None:
        fmt = (getattr(context, 'opts', None) or {}).get('HostPrincipalFormat')
        if fmt:
            krb_principal = fmt % hostname
    user = get_user({'name': hostname})
    if user:
        if user['usertype'] != koji.USERTYPES['HOST']:
            if not (force and user['usertype'] == koji.USERTYPES['NORMAL']):
                raise koji.GenericError('user %s already exists and it is not a host'
                                        % hostname)
            UpdateProcessor('users', data={'usertype': koji.USERTYPES['HOST']},
                            clauses=['id = %(id)s'], values={'id': user['id']}).execute()
        user_id = user['id']
        if krb_principal and krb_principal not in user['krb_principals']:
            set_krb_principal(user_id, krb_principal)
    else:
        user_id = create_user(hostname, usertype=koji.USERTYPES['HOST'],
                              krb_principal=krb_principal)
    host_id = nextval('host_id_seq')
    InsertProcessor('host', data={'id': host_id, 'user_id': user_id,
                                  'name': hostname}).execute()
    insert = InsertProcessor('host_config', data={'host_id': host_id, 'arches': arch_text})
    insert.make_create()
    insert.execute()
    insert = InsertProcessor('host_channels', data={'host_id': host_id,
                                                    'channel_id': default_channel})
    insert.make_create()
    insert.execute()
    return host_id


def _check_edit_value(field, value):
    if field in ('description', 'comment', 'arches'):
        if value is not None and not isinstance(value, str):
            raise koji.ParameterError('Invalid type for %s: %s' % (field, type(value)))
    elif field == 'capacity':
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise koji.ParameterError('Invalid type for capacity: %s' % type(value))


def edit_host(hostInfo, **kw):
    """Change arches/capacity/description/comment (editHost); False if nothing differs.

    The change is a new host_config version, so the old settings stay queryable.
    """
    context.session.assertPerm('host')
    host = get_host(hostInfo, strict=True)
    changes = {}
    for field in ('arches', 'capacity', 'description', 'comment'):
        if field not in kw:
            continue
        value = kw[field]
        _check_edit_value(field, value)
        if field == 'arches':
            value = koji.parse_arches(value, strict=True, allow_none=True)
        elif field == 'capacity':
            value = float(value)
        if value != host[field]:
            changes[field] = value
    if not changes:
        return False
    _write_config(host, **changes)
    return True


def set_host_enabled(hostname, enabled=True):
    """Write a config version with the enabled flag changed."""
    context.session.assertPerm('host')
    host = get_host(hostname)
    if not host:
        raise koji.GenericError('host does not exist: %s' % hostname)
    _write_config(host, enabled=bool(enabled))


class HostRootExports(object):
    """Host and channel-membership admin calls of the (non-prefixed) hub API."""

    getHost = staticmethod(get_host)
    editHost = staticmethod(edit_host)
    addHost = staticmethod(add_host)
    getAllArches = staticmethod(get_all_arches)

    def enableHost(self, hostname):
        set_host_enabled(hostname, True)

    def disableHost(self, hostname):
        set_host_enabled(hostname, False)

    def listHosts(self, arches=None, channelID=None, ready=None, enabled=None, userID=None,
                  queryOpts=None):
        return list_hosts(arches=arches, channelID=channelID, ready=ready, enabled=enabled,
                          userID=userID, queryOpts=queryOpts)

    def getLastHostUpdate(self, hostID, ts=False):
        return get_last_host_update(hostID, ts=ts)
