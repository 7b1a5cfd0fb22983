"""Builder plugin: the runroot task runs a command (as root) in a fresh buildroot of a tag
and uploads its output as runroot.log (plugins/hub/runroot_hub.py queues it).

runroot.conf: [runroot] internal_dev_setup; [paths] default_mounts, safe_roots (comma
separated absolute paths), path_subs (lines 'from,to'); [pathN] mountpoint, path, fstype,
options: where mount sources come from (N in numeric order, first prefix match wins).
"""
import configparser
import glob
import os
import platform
import re
import subprocess

import koji
import koji.tasks
from __main__ import BuildRoot
from koji.daemon import log_output
from koji.tasks import scan_mounts
from koji.util import isSuccess, parseStatus

__all__ = ('RunRootTask',)

CONFIG_DIR = os.environ.get('KOJI_BUILDER_PLUGIN_CONFIG_DIR', '/etc/kojid/plugins')
CONFIG_FILE = os.path.join(CONFIG_DIR, 'runroot.conf')
# bash: the exit status of the command, not of tee
WRAPPER = ("{ %s; } < /dev/null 2>&1 | /usr/bin/tee /builddir/runroot.log; "
           "exit ${PIPESTATUS[0]}")


def read_config(path=CONFIG_FILE):
    """runroot.conf as a dict (missing file: no mounts at all)."""
    parser = koji.read_config_files(path)
    config = {'default_mounts': [], 'safe_roots': [], 'path_subs': [], 'paths': [],
              'internal_dev_setup': None}
    if parser.has_option('runroot', 'internal_dev_setup'):
        config['internal_dev_setup'] = parser.getboolean('runroot', 'internal_dev_setup')
    for key in ('default_mounts', 'safe_roots'):
        if parser.has_option('paths', key):
            config[key] = parser.get('paths', key).split(',')
    if parser.has_option('paths', 'path_subs'):
        for line in parser.get('paths', 'path_subs').splitlines():
            line = line.strip()
            if not line:
                continue
            sub = line.split(',')
            if len(sub) != 2:
                raise koji.GenericError('bad runroot substitution: %s' % sub)
            config['path_subs'].append(sub)
    sections = [name for name in parser.sections() if re.match(r'path\d+', name)]
    for name in sorted(sections, key=lambda name: int(name[4:])):
        try:
            config['paths'].append({key: parser.get(name, key)
                                    for key in ('mountpoint', 'path', 'fstype', 'options')})
        except configparser.NoOptionError:
            raise koji.GenericError('bad config: missing options in %s section' % name)
    for path in config['default_mounts'] + config['safe_roots'] + \
            [sub[0] for sub in config['path_subs']]:
        if not path.startswith('/'):
            raise koji.GenericError('bad config: all paths (default_mounts, safe_roots, '
                                    'path_subs) needs to be absolute: %s' % path)
    return config


def _quote(arg):
    return "'%s'" % arg.replace("'", r"'\''")


def command_label(command):
    """The command's program name for the result message ('(none)' if only VAR=x)."""
    words = command.split() if isinstance(command, str) else command
    words = [word for word in words if '=' not in word]
    return os.path.basename(words[0]) if words else '(none)'


class RunRootTask(koji.tasks.BaseTaskHandler):

    Methods = ['runroot']
    _taskWeight = 2.0

    def __init__(self, *args, **kwargs):
        self.config = read_config()
        super().__init__(*args, **kwargs)

    # -- mounts

    def _get_path_params(self, path, rw=False):
        """(source, mountpoint, fstype, options) for a path, from the [pathN] sections."""
        for data in self.config['paths']:
            if path.startswith(data['mountpoint']):
                break
        else:
            raise koji.GenericError('bad config: missing corresponding mountpoint')
        options = ['rw' if rw and opt == 'ro' else opt for opt in data['options'].split(',')]
        rel = path[len(data['mountpoint']):].lstrip('/')
        return (os.path.join(data['path'], rel), path, data['fstype'], ','.join(options))

    def do_extra_mounts(self, rootdir, mounts):
        """The task's requested (read-write) mounts, only below safe_roots."""
        params = []
        for mount in mounts:
            mount = os.path.normpath(mount)
            if not any(mount.startswith(root) for root in self.config['safe_roots']) \
                    or '/../' in mount:
                raise koji.GenericError('read-write mount point is not safe: %s' % mount)
            for old, new in self.config['path_subs']:
                mount = mount.replace(old, new)
            params.append(self._get_path_params(mount, rw=True))
        self.do_mounts(rootdir, params)

    def do_mounts(self, rootdir, mounts):
        if not mounts:
            return
        self.logger.info('Runroot mounts: %s', mounts)
        logfile = os.path.join(self.workdir, 'do_mounts.log')
        error = None
        with open(os.path.join(rootdir, 'tmp', 'runroot_mounts'), 'a') as fslog:
            for dev, path, fstype, opts in mounts:
                if not path.startswith('/'):
                    raise koji.GenericError('invalid mount point: %s' % path)
                mpoint = rootdir + path
                opts = opts.split(',') if opts else []
                if 'bind' in opts:
                    if not os.path.isdir(dev):
                        error = koji.GenericError('No such directory or mount: %s' % dev)
                        break
                    fstype = 'none'
                if 'bg' in opts:
                    error = koji.GenericError('bad config: background mount not allowed')
                    break
                cmd = ['mount', '-t', fstype, '-o', ','.join(opts), dev, mpoint]
                koji.ensuredir(mpoint)
                status = log_output(self.session, cmd[0], cmd, logfile, self.getUploadDir(),
                                    logerror=True, append=True)
                if not isSuccess(status):
                    error = koji.GenericError('Unable to mount %s: %s'
                                              % (mpoint, parseStatus(status, cmd)))
                    break
                fslog.write('%s\n' % mpoint)
                fslog.flush()
        if error is not None:
            self.undo_mounts(rootdir, fatal=False)
            raise error

    def undo_mounts(self, rootdir, fatal=True):
        listfile = os.path.join(rootdir, 'tmp', 'runroot_mounts')
        mounts = set(scan_mounts(rootdir))
        if os.path.exists(listfile):
            with open(listfile) as fp:
                mounts.update(line.strip() for line in fp if line.strip())
        failed = []
        # deepest first
        for path in sorted(mounts, reverse=True):
            proc = subprocess.run(['umount', '-l', path], capture_output=True)
            if proc.returncode != 0:
                failed.append('%s: %s' % (path, proc.stdout + proc.stderr))
        if failed:
            msg = 'Unable to unmount: %s' % ', '.join(failed)
            self.logger.warning(msg)
            if fatal:
                raise koji.GenericError(msg)
        elif os.path.exists(listfile):
            os.unlink(listfile)

    # -- the task

    def _noarch_arch(self, root):
        """A canonical arch of the tag that this host can build."""
        host_arches = self.session.host.getHost()['arches']
        if not host_arches:
            raise koji.BuildError('No arch list for this host')
        tag_arches = self.session.getBuildConfig(root)['arches']
        if not tag_arches:
            raise koji.BuildError('No arch list for tag: %s' % root)
        host_arches = {koji.canonArch(arch) for arch in host_arches.split()}
        for arch in tag_arches.split():
            if koji.canonArch(arch) in host_arches:
                return koji.canonArch(arch)
        raise koji.BuildError('host does not match tag arches: %s (%s)' % (root, tag_arches))

    def _repo(self, root, repo_id):
        if repo_id:
            repo = self.session.repoInfo(repo_id, strict=True)
            if repo['tag_name'] != root:
                raise koji.BuildError('build tag (%s) does not match repo tag (%s)'
                                      % (root, repo['tag_name']))
            if repo['state'] not in (koji.REPO_STATES['READY'], koji.REPO_STATES['EXPIRED']):
                raise koji.BuildError('repos in the %s state may not be used by runroot'
                                      % koji.REPO_STATES[repo['state']])
            return repo
        repo = self.session.getRepo(root)
        if not repo:
            task_id = self.session.host.subtask(method='waitrepo', arglist=[root, None, None],
                                                parent=self.id)
            repo = self.wait(task_id)[task_id]
        return repo

    def handler(self, root, arch, command, keep=False, packages=[], mounts=[], repo_id=None,
                skip_setarch=False, weight=None, upload_logs=None, new_chroot=None):
        """Run command in a new buildroot of tag root; its output goes to runroot.log."""
        if weight is not None:
            self.session.host.setTaskWeight(self.id, max(weight, 0.5))
        br_arch = self._noarch_arch(root) if arch == 'noarch' else arch
        repo = self._repo(root, repo_id)
        broot = BuildRoot(self.session, self.options, root, br_arch, self.id,
                          repo_id=repo['id'], setup_dns=True,
                          internal_dev_setup=self.config['internal_dev_setup'])
        broot.workdir = self.workdir
        broot.init()
        rootdir = broot.rootdir()
        for path in glob.glob(os.path.join(rootdir, 'var/lib/rpm/__db*')):
            try:
                os.unlink(path)
            except OSError:
                pass
        self.session.host.setBuildRootState(broot.id, 'BUILDING')
        try:
            if packages:
                pkgcmd = ['--install'] + packages
                status = broot.mock(pkgcmd)
                self.session.host.updateBuildRootList(broot.id, broot.getPackageList())
                if not isSuccess(status):
                    raise koji.BuildrootError(parseStatus(status, pkgcmd))
            cmdstr = command if isinstance(command, str) else \
                ' '.join(_quote(arg) for arg in command)
            self.do_mounts(rootdir, [self._get_path_params(path)
                                     for path in self.config['default_mounts']])
            self.do_extra_mounts(rootdir, mounts)
            mock_cmd = []
            if new_chroot:
                mock_cmd.append('--new-chroot')
            elif new_chroot is False:
                mock_cmd.append('--old-chroot')
            if skip_setarch:
                # the host's arch instead of the buildroot's
                mock_cmd.extend(['--arch', platform.uname()[5]])
            mock_cmd.extend(['--chroot', '--', '/bin/sh', '-c', WRAPPER % cmdstr])
            status = broot.mock(mock_cmd)
            for log_path in ['builddir/runroot.log'] + list(upload_logs or []):
                self.uploadFile(os.path.join(rootdir, log_path.lstrip('/')))
        finally:
            self.undo_mounts(rootdir, fatal=False)
            broot.expire()
        label = command_label(command)
        if isSuccess(status):
            return '%s completed successfully' % label
        raise koji.BuildrootError(parseStatus(status, label))
