"""dudBuild: queue a driver update disk build (plugins/builder/dud.py makes the ISO).
Needs the image permission."""
import koji
import koji.tasks
from koji.context import context
from koji.plugin import export

import kojihub

koji.tasks.LEGACY_SIGNATURES['dudBuild'] = [
    [['dud_name', 'dud_version', 'arches', 'target', 'pkg_list', 'opts'], None, None,
     (None,)]]
koji.tasks.LEGACY_SIGNATURES['createDudIso'] = [
    [['dud_name', 'dud_version', 'dud_release', 'arch', 'target_info', 'build_tag',
      'repo_info', 'pkg_list', 'opts'], None, None, (None,)]]


@export
def dudBuild(dud_name, dud_version, arches, target, pkg_list, optional_arches=None,
             scratch=False, alldeps=False, scmurl=None, priority=None):
    """Queue a dudBuild task; returns its id."""
    context.session.assertPerm('image')
    taskopts = {'channel': 'image'}
    # as upstream: only a negative (raised) priority is applied, and only for admins
    if priority and priority < 0:
        if not context.session.hasPerm('admin'):
            raise koji.ActionNotAllowed('only admins may create high-priority tasks')
        taskopts['priority'] = koji.PRIO_DEFAULT + priority
    opts = {'scratch': scratch, 'alldeps': alldeps, 'scmurl': scmurl,
            'optional_arches': optional_arches}
    return kojihub.make_task('dudBuild', [dud_name, dud_version, arches, target, pkg_list,
                                          opts], **taskopts)
