"""kiwiBuild: queue an image build from a kiwi description (plugins/builder/kiwi.py runs
kiwi-ng).  Needs the image permission; a negative priority needs admin."""
import koji
import koji.tasks
from koji.context import context
from koji.plugin import export

import kojihub

# so that task labels and policies can read these requests by name
koji.tasks.LEGACY_SIGNATURES['kiwiBuild'] = [
    [['target', 'arches', 'desc_url', 'desc_path', 'opts'], None, None, (None,)]]
koji.tasks.LEGACY_SIGNATURES['createKiwiImage'] = [
    [['name', 'version', 'release', 'arch', 'target_info', 'build_tag', 'repo_info',
      'desc_url', 'desc_path', 'opts'], None, None, (None,)]]

# option name -> whether the value is kept as given (else stored as True)
_OPTS = (('scratch', False), ('profile', True), ('version', True), ('release', True),
         ('optional_arches', True), ('repos', True), ('repo_releasever', True),
         ('make_prep', False), ('type', True), ('use_buildroot_repo', False),
         ('type_attr', True), ('result_bundle_name_format', True))


def _arch_list(arches, allow_none):
    if isinstance(arches, list):
        arches = ' '.join(arches)
    return koji.parse_arches(arches, to_list=True, strict=True, allow_none=allow_none)


def task_priority(priority):
    """Task options for a priority relative to the default (negative: admins only)."""
    if not priority:
        return {}
    priority = kojihub.convert_value(priority, cast=int)
    if priority < 0 and not context.session.hasPerm('admin'):
        raise koji.ActionNotAllowed('only admins may create high-priority tasks')
    return {'priority': koji.PRIO_DEFAULT + priority}


@export
def kiwiBuild(target, arches, desc_url, desc_path, optional_arches=None, profile=None,
              scratch=False, priority=None, make_prep=False, repos=None, release=None,
              type=None, type_attr=None, result_bundle_name_format=None,
              use_buildroot_repo=True, version=None, repo_releasever=None):
    """Queue a kiwiBuild task; returns its id.  Only the options that are set are sent."""
    context.session.assertPerm('image')
    for value in (desc_url, desc_path, profile, version, release, repo_releasever,
                  result_bundle_name_format):
        if value is not None:
            kojihub.convert_value(value, cast=str, check_only=True)
    for value in (repos, type_attr):
        if value:
            kojihub.convert_value(value, cast=list, check_only=True)
    kojihub.get_build_target(target, strict=True)
    arches = _arch_list(arches, allow_none=False)
    values = dict(scratch=scratch, profile=profile, version=version, release=release,
                  optional_arches=_arch_list(optional_arches, allow_none=True),
                  repos=repos, repo_releasever=repo_releasever, make_prep=make_prep,
                  type=type, use_buildroot_repo=use_buildroot_repo, type_attr=type_attr,
                  result_bundle_name_format=result_bundle_name_format)
    opts = {}
    for name, keep in _OPTS:
        if values[name]:
            opts[name] = values[name] if keep else True
    taskopts = {'channel': 'image'}
    taskopts.update(task_priority(priority))
    return kojihub.make_task('kiwiBuild', [target, arches, desc_url, desc_path, opts],
                             **taskopts)
