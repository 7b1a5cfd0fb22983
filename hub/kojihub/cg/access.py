"""Who may import for which content generator: listCGs, grantCGAccess, revokeCGAccess and
the assert_cg check every CG call starts with."""
import koji
from koji.context import context

from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor
from ..core.lookup import lookup_name
from ..users.users import get_user


def list_cgs():
    """listCGs: {cg name: {'id', 'users': [user names]}} over the active grants."""
    query = QueryProcessor(
        tables=['cg_users'],
        columns=['content_generator.id', 'content_generator.name', 'users.name'],
        aliases=['id', 'name', 'user_name'],
        joins=['content_generator ON content_generator.id = cg_users.cg_id',
               'users ON users.id = cg_users.user_id'],
        clauses=['cg_users.active = TRUE'],
        opts={'order': 'id'})
    result = {}
    for row in query.execute():
        entry = result.setdefault(row['name'], {'id': row['id'], 'users': []})
        entry['users'].append(row['user_name'])
    return result


def grant_cg_access(user, cg, create=False):
    """grantCGAccess (admin): let user import for cg; create=True makes a new cg by name."""
    context.session.assertPerm('admin')
    user = get_user(user, strict=True)
    if create:
        cg = lookup_name('content_generator', cg, create=True)
    else:
        cg = lookup_name('content_generator', cg, strict=True)
    insert = InsertProcessor('cg_users')
    # active=True also keeps a revoked grant from counting as a duplicate
    insert.set(cg_id=cg['id'], user_id=user['id'], active=True)
    insert.make_create()
    if insert.dup_check():
        raise koji.GenericError('User already has access to content generator %(name)s' % cg)
    insert.execute()
    context.commit_pending = True


def revoke_cg_access(user, cg):
    """revokeCGAccess (admin): end a user's grant (a no-op when there is none)."""
    context.session.assertPerm('admin')
    user = get_user(user, strict=True)
    cg = lookup_name('content_generator', cg, strict=True)
    update = UpdateProcessor('cg_users', values={'user_id': user['id'], 'cg_id': cg['id']},
                             clauses=['user_id = %(user_id)s', 'cg_id = %(cg_id)s'])
    update.make_revoke()
    update.execute()
    context.commit_pending = True


def assert_cg(cg, user=None):
    """AuthError unless user (default: the caller) holds an active grant for cg."""
    cg = lookup_name('content_generator', cg, strict=True)
    if user is None:
        if not context.session.logged_in:
            raise koji.AuthError('Not logged-in')
        user = context.session.user_id
    user = get_user(user, strict=True)
    query = QueryProcessor(tables=['cg_users'], columns=['cg_id'],
                           clauses=['active = TRUE', 'user_id = %(user_id)s',
                                    'cg_id = %(cg_id)s'],
                           values={'user_id': user['id'], 'cg_id': cg['id']})
    if not query.execute():
        raise koji.AuthError('Content generator access required (%s)' % cg['name'])
    return cg
