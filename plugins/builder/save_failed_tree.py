"""Builder plugin: saveFailedTree uploads the buildroot of a failed task as a tarball
(plugins/hub/save_failed_tree.py queues the task on the host that has the buildroot).

save_failed_tree.conf: [filters] paths (fnmatch patterns of members left out, space
separated), [general] volume (where the upload goes; none = the default volume).
"""
import fnmatch
import os
import tarfile

import koji
import koji.tasks as tasks
from __main__ import BuildRoot

__all__ = ('SaveFailedTreeTask',)

CONFIG_DIR = os.environ.get('KOJI_BUILDER_PLUGIN_CONFIG_DIR', '/etc/kojid/plugins')
CONFIG_FILE = os.path.join(CONFIG_DIR, 'save_failed_tree.conf')
config = None


def read_config():
    global config
    parser = koji.read_config_files(CONFIG_FILE)
    config = {'path_filters': [], 'volume': None}
    if parser.has_option('filters', 'paths'):
        config['path_filters'] = parser.get('filters', 'paths').split()
    if parser.has_option('general', 'volume'):
        config['volume'] = parser.get('general', 'volume').strip()


def omit_paths(tarinfo):
    """tarfile filter: drop members whose name matches a configured pattern."""
    if any(fnmatch.fnmatch(tarinfo.name, pattern) for pattern in config['path_filters']):
        return None
    return tarinfo


class SaveFailedTreeTask(tasks.BaseTaskHandler):
    Methods = ['saveFailedTree']
    _taskWeight = 3.0

    def handler(self, buildrootID, full=False):
        self.logger.debug('Saving buildroot %d [full=%s]', buildrootID, full)
        read_config()
        brinfo = self.session.getBuildroot(buildrootID)
        if brinfo is None:
            raise koji.GenericError('Nonexistent buildroot: %s' % buildrootID)
        if brinfo['host_id'] != self.session.host.getHost()['id']:
            raise koji.GenericError('Task is run on wrong builder')
        path = BuildRoot(self.session, self.options, brinfo['id']).rootdir()
        if not full:
            path = os.path.join(path, 'builddir')
        if not os.path.exists(path):
            raise koji.GenericError('Buildroot directory is missing: %s' % path)
        tar_path = os.path.join(self.workdir, 'broot-%s.tar.gz' % buildrootID)
        with tarfile.open(tar_path, 'w:gz') as tar:
            tar.add(path, filter=omit_paths)
        self.uploadFile(tar_path, volume=config['volume'])
        os.unlink(tar_path)
        self.logger.debug('Finished saving buildroot %s', buildrootID)
