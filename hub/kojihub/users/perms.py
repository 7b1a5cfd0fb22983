"""Permissions: definitions and (versioned) grants to users and groups.

A user holds a permission when it is granted directly or to a group the user belongs
to.  ``admin`` implying everything is a rule of ``Session.assertPerm`` only; the lookups
here are exact.
"""
import koji
from koji.context import context

from . import users as _users
from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from ..core.names import verify_name_internal

# permissions.name is varchar(50)
PERM_NAME_MAX = 50


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def lookup_perm(info, strict=False, create=False):
    """Return {id, name, description} of a permission by id or name.

    With create=True a missing name is defined on the fly (after name validation).
    """
    if _is_int(info):
        clause = 'id = %(info)s'
    elif isinstance(info, str):
        clause = 'name = %(info)s'
    else:
        raise koji.ParameterError('Invalid name or id value: %s' % (info,))
    query = QueryProcessor(tables=['permissions'], columns=['id', 'name', 'description'],
                           clauses=[clause], values={'info': info})
    perm = query.executeOne()
    if perm is not None:
        return perm
    if create:
        if not isinstance(info, str):
            raise koji.GenericError('Permission name should be string: %r' % (info,))
        _verify_perm_name(info)
        perm_id = nextval('permissions_id_seq')
        InsertProcessor('permissions', data={'id': perm_id, 'name': info}).execute()
        return {'id': perm_id, 'name': info, 'description': None}
    if strict:
        raise koji.GenericError('No such entry in table permissions: %s' % info)
    return None


def _verify_perm_name(name):
    verify_name_internal(name)
    if len(name) > PERM_NAME_MAX:
        raise koji.GenericError('Permission name %s is too long. Max length is %d '
                                'characters' % (name, PERM_NAME_MAX))


def get_user_perms(user_id, with_groups=True, inheritance=False):
    """Permission names of a user, sorted.

    inheritance=True returns {name: [None | group_name, ...]} instead, None meaning a
    direct grant.
    """
    direct = QueryProcessor(tables=['user_perms'], columns=['permissions.name'],
                            aliases=['name'],
                            joins=['permissions ON permissions.id = user_perms.perm_id'],
                            clauses=['user_perms.user_id = %(user_id)s',
                                     'user_perms.active = TRUE'],
                            values={'user_id': user_id}, prepare=True).execute()
    sources = {}
    for row in direct:
        sources.setdefault(row['name'], []).append(None)
    if with_groups or inheritance:
        inherited = QueryProcessor(
            tables=['user_groups'], columns=['permissions.name', 'users.name'],
            aliases=['name', 'group_name'],
            joins=['user_perms ON user_perms.user_id = user_groups.group_id',
                   'permissions ON permissions.id = user_perms.perm_id',
                   'users ON users.id = user_groups.group_id'],
            clauses=['user_groups.user_id = %(user_id)s', 'user_groups.active = TRUE',
                     'user_perms.active = TRUE'],
            values={'user_id': user_id}, opts={'order': 'group_name'}, prepare=True).execute()
        for row in inherited:
            sources.setdefault(row['name'], []).append(row['group_name'])
    if inheritance:
        return sources
    return sorted(sources)


def get_all_perms():
    """Every defined permission as {id, name, description}, by id."""
    query = QueryProcessor(tables=['permissions'], columns=['id', 'name', 'description'],
                           opts={'order': 'id'})
    return query.execute()


def has_perm(perm, strict=False):
    """hasPerm: exact test for the caller; strict fails for an undefined permission."""
    if strict and not lookup_perm(perm):
        raise koji.GenericError('No such permission %s defined' % perm)
    return context.session.hasPerm(perm)


def get_perms():
    """getPerms: the caller's permission names."""
    return context.session.getPerms()


def get_user_perms_call(userID=None, with_groups=True):
    """getUserPerms: permission names of a user (default: the caller)."""
    if userID is None:
        user_id = context.session.user_id
        if user_id is None:
            return []
    else:
        user_id = _users.get_user(userID, strict=True, krb_princs=False)['id']
    return get_user_perms(user_id, with_groups=with_groups)


def get_user_perms_inheritance(userID):
    """getUserPermsInheritance: {perm: [None | group_name]} of a user."""
    user_id = _users.get_user(userID, strict=True, krb_princs=False)['id']
    return get_user_perms(user_id, inheritance=True)


def grant_permission(userinfo, permission, create=False, description=None):
    """Grant a permission directly to a user or group (create=True may define it)."""
    context.session.assertPerm('admin')
    if create and isinstance(permission, str):
        _verify_perm_name(permission)
    if description is not None and not create:
        raise koji.GenericError('Description should be specified only with create.')
    if description is not None and not isinstance(description, str):
        raise koji.ParameterError("Invalid type for value '%s': %s, expected type %s"
                                  % (description, type(description), str))
    user_id = _users.get_user(userinfo, strict=True, krb_princs=False)['id']
    perm = lookup_perm(permission, strict=not create, create=create)
    if perm['name'] in get_user_perms(user_id, with_groups=False):
        raise koji.GenericError('user %s already has permission: %s'
                                % (userinfo, perm['name']))
    if create and description is not None:
        UpdateProcessor('permissions', data={'description': description},
                        clauses=['id = %(perm_id)s'],
                        values={'perm_id': perm['id']}).execute()
    insert = InsertProcessor('user_perms', data={'user_id': user_id, 'perm_id': perm['id']})
    insert.make_create()
    insert.execute()


def revoke_permission(userinfo, permission):
    """Revoke a directly granted permission (group grants are not touched)."""
    context.session.assertPerm('admin')
    user_id = _users.get_user(userinfo, strict=True, krb_princs=False)['id']
    perm = lookup_perm(permission, strict=True)
    if perm['name'] not in get_user_perms(user_id, with_groups=False):
        raise koji.GenericError('user %s does not have permission: %s'
                                % (userinfo, perm['name']))
    update = UpdateProcessor('user_perms',
                             clauses=['user_id = %(user_id)s', 'perm_id = %(perm_id)s'],
                             values={'user_id': user_id, 'perm_id': perm['id']})
    update.make_revoke()
    update.execute()


def edit_permission(permission, description):
    """Change a permission's description."""
    context.session.assertPerm('admin')
    perm = lookup_perm(permission, strict=True)
    if description is not None and not isinstance(description, str):
        raise koji.ParameterError('description must be a string')
    UpdateProcessor('permissions', data={'description': description},
                    clauses=['id = %(perm_id)s'], values={'perm_id': perm['id']}).execute()


class PermExports(object):
    """Permission calls, bound into RootExports."""

    hasPerm = staticmethod(has_perm)
    getPerms = staticmethod(get_perms)
    getUserPerms = staticmethod(get_user_perms_call)
    getUserPermsInheritance = staticmethod(get_user_perms_inheritance)
    getAllPerms = staticmethod(get_all_perms)
    grantPermission = staticmethod(grant_permission)
    revokePermission = staticmethod(revoke_permission)
    editPermission = staticmethod(edit_permission)
