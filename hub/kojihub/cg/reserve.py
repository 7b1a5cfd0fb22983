"""Reserved CG builds: CGInitBuild makes a BUILDING build and a token, CGImport (with the
token) completes it, CGRefundBuild gives it up as FAILED or CANCELED."""
import secrets

import koji
from koji.context import context

from ..builds.build_write import change_build, new_build
from ..builds.builds import get_build
from ..core.db import DeleteProcessor, InsertProcessor, QueryProcessor
from .access import assert_cg
from .shape import check_nvr

STATES = koji.BUILD_STATES


def generate_token(nbytes=32):
    """A random hex token (2 * nbytes characters)."""
    return secrets.token_hex(nbytes)


def get_reservation_token(build_id):
    """{'build_id', 'token'} of the build's reservation, or None."""
    query = QueryProcessor(tables=['build_reservations'], columns=['build_id', 'token'],
                           clauses=['build_id = %(build_id)s'], values={'build_id': build_id})
    return query.executeOne()


def clear_reservation(build_id):
    DeleteProcessor(table='build_reservations', clauses=['build_id = %(build_id)s'],
                    values={'build_id': build_id}).execute()


def cg_init_build(cg, data):
    """CGInitBuild: reserve a BUILDING build of data's NVR for cg; {'build_id', 'token'}."""
    cg_id = assert_cg(cg)['id']
    check_nvr(data, 'data')
    data = dict(data)
    data['owner'] = context.session.user_id
    data['state'] = STATES['BUILDING']
    data['completion_time'] = None
    data['cg_id'] = cg_id
    data.setdefault('epoch', None)
    koji.check_NVR(data, strict=True)
    build_id = new_build(data, strict=False)
    if get_reservation_token(build_id):
        raise koji.GenericError('Build is already reserved')
    token = generate_token()
    insert = InsertProcessor(table='build_reservations')
    insert.set(build_id=build_id, token=token)
    insert.rawset(created='NOW()')
    insert.execute()
    context.commit_pending = True
    return {'build_id': build_id, 'token': token}


def cg_refund_build(cg, build_id, token, state=STATES['FAILED']):
    """CGRefundBuild: a reserved, still BUILDING build of cg ends FAILED or CANCELED."""
    if state not in (STATES['FAILED'], STATES['CANCELED']):
        raise koji.GenericError('Only FAILED/CANCELED build states are allowed')
    cg_id = assert_cg(cg)['id']
    binfo = get_build(build_id, strict=True)
    if binfo['state'] != STATES['BUILDING']:
        raise koji.GenericError('Build ID %s is not in BUILDING state' % build_id)
    reservation = get_reservation_token(binfo['id'])
    if not reservation or reservation['token'] != token:
        raise koji.GenericError("Token doesn't match build ID %s" % build_id)
    if binfo['cg_id'] != cg_id:
        raise koji.GenericError('Build ID %s is not reserved by this CG' % build_id)
    change_build(binfo, 'state', state, data={'state': state},
                 rawdata={'completion_time': 'NOW()'})
    clear_reservation(binfo['id'])
