"""saveFailedTree: ask the builder that ran a failed task to upload its buildroot
(plugins/builder/save_failed_tree.py makes the tarball).

save_failed_tree.conf, [permissions] allowed_methods: task methods (comma separated) whose
buildroots may be saved, or '*' for all; the file is read on first use.
"""
import os

import koji
from koji.context import context
from koji.plugin import export

import kojihub

__all__ = ('saveFailedTree',)

CONFIG_DIR = os.environ.get('KOJI_HUB_PLUGIN_CONFIG_DIR', '/etc/koji-hub/plugins')
CONFIG_FILE = os.path.join(CONFIG_DIR, 'save_failed_tree.conf')
config = None
allowed_methods = None


def _allowed_methods():
    """The configured methods, or '*' (read once; a missing file is an error)."""
    global config, allowed_methods
    if config is None:
        config = koji.read_config_files([(CONFIG_FILE, True)])
        methods = config.get('permissions', 'allowed_methods').split(',')
        allowed_methods = '*' if methods == ['*'] else methods
    return allowed_methods


def _check_task(task, methods):
    if task['state'] != koji.TASK_STATES['FAILED']:
        raise koji.PreBuildError('Task %s has not failed. Only failed tasks can upload their '
                                 'buildroots.' % task['id'])
    if methods != '*' and task['method'] not in methods:
        raise koji.PreBuildError('Only %s tasks can upload their buildroots (Task %s is %s).'
                                 % (', '.join(methods), task['id'], task['method']))
    if task['owner'] != context.session.user_id and not context.session.hasPerm('admin'):
        raise koji.ActionNotAllowed("Only owner of failed task or 'admin' can run this task.")
    if not kojihub.get_host(task['host_id'])['enabled']:
        raise koji.PreBuildError('Host is disabled.')


@export
def saveFailedTree(buildrootID, full=False, **opts):
    """Queue a saveFailedTree task on the buildroot's host; returns its id."""
    buildrootID = kojihub.convert_value(buildrootID, cast=int)
    full = bool(full)
    methods = _allowed_methods()
    brinfo = kojihub.get_buildroot(buildrootID, strict=True)
    task = kojihub.get_task_info(brinfo['task_id'], strict=True)
    _check_task(task, methods)
    args = koji.encode_args(buildrootID, full, **opts)
    return kojihub.make_task('saveFailedTree', args, assign=brinfo['host_id'])
