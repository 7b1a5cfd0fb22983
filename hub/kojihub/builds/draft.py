"""promoteBuild: a COMPLETE draft build becomes the real build of its NVR.

A draft build's release carries a ',draft_<id>' suffix (new_build adds it) so several
drafts of one NVR can coexist.  Promotion drops the suffix (the build id stays), which
moves the build directory; a non-default volume keeps a link at the draft location.
The rpminfo rows follow the draft flag through their foreign key.
"""
import logging
import os

import koji
from koji.context import context
from koji.plugin import run_callbacks

from .build_import import ensure_volume_symlink
from .builds import get_build
from ..core.db import UpdateProcessor, _dml
from ..users.users import get_user

logger = logging.getLogger('koji.hub.draft')


def ensure_volume_backlink(old_binfo, new_binfo=None):
    """On a non-default volume, leave a link at old_binfo's path to the build's new place.

    It points through the volume's toplink at the DEFAULT location, which is always the
    build dir or a link to it, wherever the build moves later.
    """
    if old_binfo['volume_name'] == 'DEFAULT':
        return
    voldir = koji.pathinfo.volumedir(old_binfo['volume_name'])
    if not os.path.isdir(voldir):
        raise koji.GenericError('Missing volume dir: %s' % voldir)
    if not os.path.exists(os.path.join(voldir, 'toplink')):
        raise koji.GenericError('Missing volume toplink: %s' % os.path.join(voldir, 'toplink'))
    olddir = koji.pathinfo.build(old_binfo)
    up = os.path.relpath(voldir, os.path.dirname(olddir))
    base = koji.PathInfo(topdir='toplink').build(dict(new_binfo or old_binfo,
                                                      volume_name='DEFAULT'))
    target = os.path.join(up, base)
    if os.path.islink(olddir):
        if os.readlink(olddir) == target:
            return
        os.unlink(olddir)
    elif os.path.exists(olddir):
        raise koji.GenericError('Unexpected build content: %s' % olddir)
    koji.ensuredir(os.path.dirname(olddir))
    os.symlink(target, olddir)


def _move_build_dir(binfo, new_binfo):
    oldpath = koji.pathinfo.build(binfo)
    newpath = koji.pathinfo.build(new_binfo)
    if os.path.lexists(oldpath) and not os.path.islink(oldpath):
        koji.util.safer_move(oldpath, newpath)
    if binfo['volume_name'] != 'DEFAULT':
        # the DEFAULT link of the draft path is stale now
        base = koji.pathinfo.build(dict(binfo, volume_name='DEFAULT'))
        if os.path.islink(base):
            os.unlink(base)


def promote_build(build, force=False):
    """promoteBuild: the promoted build record (draft_promotion policy, admin force)."""
    from ..builds.volumes import apply_volume_policy
    from ..core.policy import assert_policy
    context.session.assertLogin()
    user = get_user(context.session.user_id)
    binfo = get_build(build, strict=True)
    prefix = 'Cannot promote build %s. Reason: ' % binfo['nvr']
    if not binfo.get('draft'):
        raise koji.GenericError(prefix + 'Not a draft build')
    state = koji.BUILD_STATES[binfo['state']]
    if state != 'COMPLETE':
        raise koji.GenericError(prefix + 'state (%s) is not COMPLETE.' % state)
    old_release = binfo['release']
    target_release = koji.parse_target_release(old_release)
    existing = get_build({'name': binfo['name'], 'version': binfo['version'],
                          'release': target_release})
    if existing:
        raise koji.GenericError(prefix + 'Target build exists: %s(#%s)'
                                % (existing['nvr'], existing['id']))
    assert_policy('draft_promotion', {'build': binfo['id'], 'target_release': target_release,
                                      'user_id': user['id']}, force=force)
    run_callbacks('preBuildPromote', draft_release=old_release, target_release=target_release,
                  build=binfo, user=user)
    update = UpdateProcessor('build', data={'draft': False, 'release': target_release,
                                            'promoter': user['id']},
                             rawdata={'promotion_time': 'NOW()'},
                             clauses=['id = %(id)s', 'draft'], values={'id': binfo['id']})
    if update.execute() != 1:
        raise koji.GenericError(prefix + 'Not a draft build')
    context.commit_pending = True
    new_binfo = get_build(binfo['id'], strict=True)
    _move_build_dir(binfo, new_binfo)
    try:
        ensure_volume_symlink(new_binfo)
        ensure_volume_backlink(binfo, new_binfo)
        apply_volume_policy(new_binfo, strict=False)
    except Exception:
        # put the files back where the (rolled back) draft record says they are
        oldpath = koji.pathinfo.build(binfo)
        if os.path.islink(oldpath):
            os.unlink(oldpath)
        newpath = koji.pathinfo.build(new_binfo)
        if os.path.isdir(newpath) and not os.path.islink(newpath):
            koji.util.safer_move(newpath, oldpath)
        raise
    _dml("INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) "
         "SELECT tag_id, get_event(), %(user_id)s, %(utype)s FROM tag_listing "
         "WHERE build_id = %(build_id)s AND active IS TRUE",
         {'user_id': user['id'], 'build_id': binfo['id'],
          'utype': koji.TAG_UPDATE_TYPES['DRAFT_PROMOTION']})
    new_binfo = get_build(binfo['id'], strict=True)
    run_callbacks('postBuildPromote', draft_release=old_release,
                  target_release=target_release, build=new_binfo, user=user)
    return new_binfo


# upstream's module-level name
_promote_build = promote_build


class DraftExports(object):
    """promoteBuild, bound into RootExports."""

    promoteBuild = staticmethod(promote_build)
