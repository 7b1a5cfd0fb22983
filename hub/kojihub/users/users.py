"""Users, user groups and Kerberos principals.

Groups are users with usertype GROUP; membership rows are versioned (user_groups).
Principals live in user_krb_principals, several per user.
"""
import koji
from koji.context import context

from ..core.db import (DeleteProcessor, InsertProcessor, QueryProcessor, UpdateProcessor,
                       _singleValue, nextval)
from ..core.lookup import get_id
from ..core.names import verify_name_user

_USER_COLUMNS = ['users.id', 'users.name', 'users.status', 'users.usertype']
_USER_ALIASES = ['id', 'name', 'status', 'usertype']

# aggregated principals for list queries (grouped by users.id)
_KRB_AGG = ('array_remove(array_agg(user_krb_principals.krb_principal '
            'ORDER BY user_krb_principals.krb_principal), NULL)')
_KRB_JOIN = 'LEFT JOIN user_krb_principals ON users.id = user_krb_principals.user_id'


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_krb_principal(krb_principal):
    """Fail unless the principal has a realm listed in AllowedKrbRealms ('*' = any)."""
    opts = getattr(context, 'opts', None) or {}
    allowed = opts.get('AllowedKrbRealms', '*')
    if allowed == '*':
        return
    realms = [r.strip() for r in (allowed or '').split(',')]
    if not isinstance(krb_principal, str):
        raise koji.AuthError('invalid Kerberos principal: %s' % krb_principal)
    idx = krb_principal.find('@')
    if idx == -1 or idx == len(krb_principal) - 1:
        raise koji.AuthError('invalid Kerberos principal: %s' % krb_principal)
    realm = krb_principal[idx + 1:]
    if realm not in realms:
        raise koji.AuthError("Kerberos principal's realm: %s is not allowed" % realm)


def _user_clauses(userInfo):
    """SQL clauses and values selecting a user by id, name/principal string, or dict."""
    principal_clause = ('users.id IN (SELECT user_id FROM user_krb_principals '
                        'WHERE krb_principal = %(krb_principal)s)')
    if _is_int(userInfo):
        return ['users.id = %(id)s'], {'id': userInfo}
    if isinstance(userInfo, str):
        return (['(users.name = %(info)s OR users.id IN (SELECT user_id FROM '
                 'user_krb_principals WHERE krb_principal = %(info)s))'],
                {'info': userInfo})
    if isinstance(userInfo, dict):
        clauses = []
        values = {}
        uid = userInfo.get('id')
        if uid is not None:
            if not _is_int(uid):
                raise koji.GenericError('Invalid type for userid: %s' % type(uid))
            clauses.append('users.id = %(id)s')
            values['id'] = uid
        if userInfo.get('name'):
            clauses.append('users.name = %(name)s')
            values['name'] = userInfo['name']
        if userInfo.get('krb_principal'):
            clauses.append(principal_clause)
            values['krb_principal'] = userInfo['krb_principal']
        if not clauses:
            raise koji.GenericError('Invalid user info: %r' % (userInfo,))
        return clauses, values
    raise koji.GenericError('Invalid type for userInfo: %s' % type(userInfo))


def list_user_krb_principals(user_id):
    """Sorted principals of one user."""
    query = QueryProcessor(tables=['user_krb_principals'], columns=['krb_principal'],
                           clauses=['user_id = %(user_id)s'], values={'user_id': user_id},
                           opts={'order': 'krb_principal', 'asList': True})
    return [row[0] for row in query.execute()]


def get_user(userInfo=None, strict=False, krb_princs=True, groups=False):
    """Return a user (or group/host) by id, name, krb principal or dict; None = caller.

    A string matches either the name or a principal; when both match different users
    the name wins.
    """
    if userInfo is None:
        userInfo = context.session.user_id
        if userInfo is None:
            if strict:
                raise koji.GenericError('No user provided')
            return None
    clauses, values = _user_clauses(userInfo)
    query = QueryProcessor(tables=['users'], columns=_USER_COLUMNS, aliases=_USER_ALIASES,
                           clauses=clauses, values=values, prepare=True)
    rows = query.execute()
    user = None
    if len(rows) == 1:
        user = rows[0]
    elif rows:
        named = [r for r in rows if r['name'] == userInfo]
        user = named[0] if named else None
    if user is None:
        if strict:
            raise koji.GenericError('No such user: %r' % (userInfo,))
        return None
    if krb_princs:
        user['krb_principals'] = list_user_krb_principals(user['id'])
    if groups:
        user['groups'] = sorted(get_user_groups(user['id']).values())
    return user


def get_session_user(user_id=None):
    """get_user(user_id, krb_princs=False) of the calling user without a query: the
    session read that row when it was checked.  Other ids are read as usual."""
    session = context.session
    if user_id is None:
        user_id = session.user_id
    known = getattr(session, 'user_data', None)
    if user_id is not None and user_id == session.user_id and known and 'usertype' in known:
        return {'id': user_id, 'name': known['name'], 'status': known['status'],
                'usertype': known['usertype']}
    return get_user(user_id, strict=True, krb_princs=False)


def get_user_by_krb_principal(krb_principal, strict=False, krb_princs=True):
    """Return the user owning a principal (exact match), or None."""
    if not isinstance(krb_principal, str) or not krb_principal:
        raise koji.GenericError('krb_principal must be a non-empty string')
    return get_user({'krb_principal': krb_principal}, strict=strict, krb_princs=krb_princs)


def get_user_groups(user_id):
    """{group_id: group_name} of the active memberships of a user."""
    query = QueryProcessor(tables=['user_groups'], columns=['group_id', 'users.name'],
                           aliases=['group_id', 'name'],
                           joins=['users ON users.id = user_groups.group_id'],
                           clauses=['user_groups.active = TRUE',
                                    'user_groups.user_id = %(user_id)s',
                                    'users.usertype = %(group)s'],
                           values={'user_id': user_id, 'group': koji.USERTYPES['GROUP']})
    return {row['group_id']: row['name'] for row in query.execute()}


def _get_group(group):
    """Return the group record or fail with 'No such group'."""
    info = get_user(group, krb_princs=False)
    if not info or info['usertype'] != koji.USERTYPES['GROUP']:
        raise koji.GenericError('No such group: %s' % group)
    return info


def get_group_members(group):
    """Members of a group: [{id, krb_principals, name, usertype}]."""
    ginfo = _get_group(group)
    query = QueryProcessor(tables=['user_groups'],
                           columns=['users.id', 'users.name', 'users.usertype', _KRB_AGG],
                           aliases=['id', 'name', 'usertype', 'krb_principals'],
                           joins=['users ON users.id = user_groups.user_id', _KRB_JOIN],
                           clauses=['user_groups.active = TRUE',
                                    'user_groups.group_id = %(group_id)s'],
                           values={'group_id': ginfo['id']},
                           opts={'group': 'users.id', 'order': 'id'}, enable_group=True)
    return query.execute()


def create_user(name, usertype=None, status=None, krb_principal=None, krb_princ_check=True):
    """Insert a user row (and optional principal); return the new id.

    Internal helper without permission checks: also used by auto-created logins, groups
    and hosts.
    """
    if not name:
        raise koji.GenericError('a user must have a non-empty name')
    if usertype is None:
        usertype = koji.USERTYPES['NORMAL']
    elif usertype not in koji.USERTYPES.values():
        raise koji.GenericError('invalid user type: %s' % usertype)
    if status is None:
        status = koji.USER_STATUS['NORMAL']
    elif status not in koji.USER_STATUS.values():
        raise koji.GenericError('invalid status: %s' % status)
    if krb_principal and krb_princ_check:
        check_krb_principal(krb_principal)
    user_id = nextval('users_id_seq')
    InsertProcessor('users', data={'id': user_id, 'name': name, 'usertype': usertype,
                                   'status': status}).execute()
    if krb_principal:
        InsertProcessor('user_krb_principals',
                        data={'user_id': user_id, 'krb_principal': krb_principal}).execute()
    return user_id


def set_krb_principal(user, krb_principal, krb_princ_check=True):
    """Attach a principal to a NORMAL or HOST user (by name or id); return the user id."""
    if krb_princ_check:
        check_krb_principal(krb_principal)
    clause = 'id = %(user)s' if _is_int(user) else 'name = %(user)s'
    query = QueryProcessor(tables=['users'], columns=['id'],
                           clauses=[clause, 'usertype IN %(types)s'],
                           values={'user': user,
                                   'types': (koji.USERTYPES['NORMAL'],
                                             koji.USERTYPES['HOST'])})
    user_id = query.singleValue(strict=False)
    if not user_id:
        raise koji.AuthError('No such user: %s' % user)
    InsertProcessor('user_krb_principals',
                    data={'user_id': user_id, 'krb_principal': krb_principal}).execute()
    return user_id


def remove_krb_principal(user, krb_principal):
    """Detach a principal from a user (by name or id); return the user id."""
    clause = 'users.id = %(user)s' if _is_int(user) else 'users.name = %(user)s'
    query = QueryProcessor(tables=['user_krb_principals'], columns=['users.id'],
                           aliases=['id'],
                           joins=['users ON users.id = user_krb_principals.user_id'],
                           clauses=[clause, 'krb_principal = %(krb_principal)s'],
                           values={'user': user, 'krb_principal': krb_principal})
    user_id = query.singleValue(strict=False)
    if not user_id:
        raise koji.AuthError('cannot remove Kerberos Principal: %s with user %s'
                             % (krb_principal, user))
    DeleteProcessor('user_krb_principals',
                    clauses=['user_id = %(user_id)s', 'krb_principal = %(krb_principal)s'],
                    values={'user_id': user_id, 'krb_principal': krb_principal}).execute()
    return user_id


def _assert_principal_free(krb_principal):
    owner = _singleValue('SELECT user_id FROM user_krb_principals '
                         'WHERE krb_principal = %(krb)s', {'krb': krb_principal},
                         strict=False)
    if owner is not None:
        raise koji.GenericError('user with this Kerberos principal already exists: %s'
                                % krb_principal)


def create_user_call(username, status=None, krb_principal=None):
    """createUser: admin creates a NORMAL user; returns its id."""
    context.session.assertPerm('admin')
    verify_name_user(username, krb_principal)
    if get_user(username, krb_princs=False):
        raise koji.GenericError('user already exists: %s' % username)
    if krb_principal:
        _assert_principal_free(krb_principal)
    return create_user(username, status=status, krb_principal=krb_principal)


def edit_user(userInfo, name=None, krb_principal_mappings=None):
    """Rename a user and/or change principals.

    krb_principal_mappings is a list of {'old': ..., 'new': ...} dicts, as the CLI sends
    them: old None adds ``new``, new None removes ``old``, both set replaces one by the other.
    """
    context.session.assertPerm('admin')
    _edit_user(userInfo, name=name, krb_principal_mappings=krb_principal_mappings)


def _edit_user(userInfo, name=None, krb_principal_mappings=None):
    user = get_user(userInfo, strict=True)
    if name and user['name'] != name:
        verify_name_user(name=name)
        taken = _singleValue('SELECT id FROM users WHERE name = %(name)s', {'name': name},
                             strict=False)
        if taken is not None:
            raise koji.GenericError('Name %s already taken by user %s' % (name, taken))
        UpdateProcessor('users', data={'name': name}, clauses=['id = %(user_id)s'],
                        values={'user_id': user['id']}).execute()
    if not krb_principal_mappings:
        return
    added = set()
    removed = set()
    for old, new in _principal_pairs(krb_principal_mappings):
        if old is None and new is None:
            raise koji.ParameterError('No operation provided')
        if old:
            removed.add(old)
        if new:
            verify_name_user(krb=new)
            added.add(new)
    conflicts = added & removed
    if conflicts:
        raise koji.GenericError('There are some conflicts between added and removed '
                                'Kerberos principals: %s' % ', '.join(sorted(conflicts)))
    current = set(user['krb_principals'])
    existing = added & current
    if existing:
        raise koji.GenericError('Cannot add existing Kerberos principals: %s'
                                % ', '.join(sorted(existing)))
    missing = removed - current
    if missing:
        raise koji.GenericError('Cannot remove non-existent Kerberos principals: %s'
                                % ', '.join(sorted(missing)))
    for krb in sorted(added):
        _assert_principal_free(krb)
    for krb in sorted(removed):
        remove_krb_principal(user['id'], krb)
    for krb in sorted(added):
        set_krb_principal(user['id'], krb)


def _principal_pairs(mappings):
    """Validate editUser's mapping list and return its (old, new) pairs."""
    if not isinstance(mappings, (list, tuple)):
        raise koji.ParameterError('krb_principal_mappings must be a list of '
                                  "{'old': ..., 'new': ...} dicts")
    pairs = []
    for entry in mappings:
        if not isinstance(entry, dict) or not set(entry) <= {'old', 'new'}:
            raise koji.ParameterError('Invalid krb principal mapping: %r' % (entry,))
        old, new = entry.get('old'), entry.get('new')
        for value in (old, new):
            if value is not None and not isinstance(value, str):
                raise koji.ParameterError('Invalid krb principal: %r' % (value,))
        pairs.append((old, new))
    return pairs


def add_user_krb_principal(user, krb_principal):
    """addUserKrbPrincipal: admin attaches a principal; returns the user id."""
    context.session.assertPerm('admin')
    userinfo = get_user(user, strict=True)
    verify_name_user(krb=krb_principal)
    _assert_principal_free(krb_principal)
    return set_krb_principal(userinfo['id'], krb_principal)


def remove_user_krb_principal(user, krb_principal):
    """removeUserKrbPrincipal: admin detaches a principal; returns the user id."""
    context.session.assertPerm('admin')
    userinfo = get_user(user, strict=True)
    if not krb_principal:
        raise koji.GenericError('krb_principal must be specified')
    return remove_krb_principal(userinfo['id'], krb_principal)


def _set_user_status(username, status):
    context.session.assertPerm('admin')
    user = get_user(username, krb_princs=False)
    if not user:
        raise koji.GenericError('unknown user: %s' % username)
    UpdateProcessor('users', data={'status': status}, clauses=['id = %(user_id)s'],
                    values={'user_id': user['id']}).execute()


def enable_user(username):
    """Allow a user to log in again."""
    _set_user_status(username, koji.USER_STATUS['NORMAL'])


def disable_user(username):
    """Block a user's logins (existing sessions fail on their next call)."""
    _set_user_status(username, koji.USER_STATUS['BLOCKED'])


def new_group(name):
    """Create a user group; returns its id."""
    context.session.assertPerm('admin')
    verify_name_user(name)
    if get_user(name, krb_princs=False):
        raise koji.GenericError('user/group already exists: %s' % name)
    return create_user(name, usertype=koji.USERTYPES['GROUP'])


def add_group_member(group, user, strict=True):
    """Add a user to a group; with strict=False an existing membership is not an error."""
    context.session.assertPerm('admin')
    ginfo = get_user(group, krb_princs=False)
    if not ginfo:
        raise koji.GenericError('No such group: %s' % group)
    if ginfo['usertype'] != koji.USERTYPES['GROUP']:
        raise koji.GenericError('Not a group: %s' % ginfo['name'])
    uinfo = get_user(user, strict=True, krb_princs=False)
    if uinfo['usertype'] == koji.USERTYPES['GROUP']:
        raise koji.GenericError('Groups cannot be members of other groups')
    values = {'user_id': uinfo['id'], 'group_id': ginfo['id']}
    member = QueryProcessor(tables=['user_groups'], columns=['user_id'],
                            clauses=['user_id = %(user_id)s', 'group_id = %(group_id)s',
                                     'active = TRUE'], values=values).execute()
    if member:
        if not strict:
            return
        raise koji.GenericError('User already in group')
    insert = InsertProcessor('user_groups', data=values)
    insert.make_create()
    insert.execute()


def drop_group_member(group, user):
    """Remove a user from a group (the membership row is revoked, not deleted)."""
    context.session.assertPerm('admin')
    uinfo = get_user(user, strict=True, krb_princs=False)
    ginfo = _get_group(group)
    values = {'user_id': uinfo['id'], 'group_id': ginfo['id']}
    update = UpdateProcessor('user_groups',
                             clauses=['user_id = %(user_id)s', 'group_id = %(group_id)s'],
                             values=values)
    update.make_revoke()
    if not update.execute():
        raise koji.GenericError('No such user in group: %s' % group)


def get_user_groups_call(user):
    """getUserGroups: [{id, name}] of a user's groups."""
    user_id = get_user(user, strict=True, krb_princs=False)['id']
    groups = get_user_groups(user_id)
    return [{'id': gid, 'name': name} for gid, name in sorted(groups.items())]


def list_users(userType=koji.USERTYPES['NORMAL'], prefix=None, queryOpts=None, perm=None,
               inherited_perm=False):
    """List users by type (int, list or None = any), name prefix and permission."""
    if userType is None:
        types = list(koji.USERTYPES.values())
    elif isinstance(userType, (list, tuple)):
        types = list(userType)
    else:
        types = [userType]
    if inherited_perm and not perm:
        raise koji.GenericError('inherited_perm option must be used with perm option')
    queryOpts = dict(queryOpts or {})
    if 'group' in queryOpts:
        raise koji.GenericError('queryOpts.group is not available for this API')
    queryOpts['group'] = 'users.id'
    clauses = ['users.usertype IN %(types)s']
    values = {'types': tuple(types) or (None,)}
    if prefix:
        escaped = prefix.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
        clauses.append('users.name ILIKE %(prefix)s')
        values['prefix'] = escaped + '%'
    if perm:
        values['perm_id'] = get_id('permissions', perm, strict=True)
        direct = ('users.id IN (SELECT user_id FROM user_perms '
                  'WHERE perm_id = %(perm_id)s AND active = TRUE)')
        if inherited_perm:
            via_group = ('users.id IN (SELECT user_groups.user_id FROM user_groups '
                         'JOIN user_perms ON user_perms.user_id = user_groups.group_id '
                         'WHERE user_perms.perm_id = %(perm_id)s '
                         'AND user_perms.active = TRUE AND user_groups.active = TRUE)')
            clauses.append('(%s OR %s)' % (direct, via_group))
        else:
            clauses.append(direct)
    query = QueryProcessor(tables=['users'], columns=_USER_COLUMNS + [_KRB_AGG],
                           aliases=_USER_ALIASES + ['krb_principals'],
                           joins=[_KRB_JOIN], clauses=clauses, values=values,
                           opts=queryOpts, enable_group=True)
    return query.execute()


class UserExports(object):
    """User and group calls, bound into RootExports."""

    getUser = staticmethod(get_user)
    editUser = staticmethod(edit_user)
    createUser = staticmethod(create_user_call)
    addUserKrbPrincipal = staticmethod(add_user_krb_principal)
    removeUserKrbPrincipal = staticmethod(remove_user_krb_principal)
    enableUser = staticmethod(enable_user)
    disableUser = staticmethod(disable_user)
    newGroup = staticmethod(new_group)
    addGroupMember = staticmethod(add_group_member)
    dropGroupMember = staticmethod(drop_group_member)
    getGroupMembers = staticmethod(get_group_members)
    getUserGroups = staticmethod(get_user_groups_call)
    listUsers = staticmethod(list_users)
