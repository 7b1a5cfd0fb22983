"""Command lines of the repo tasks (createrepo_c, mergerepo_c) and how they are run.

The builders here are plain functions of their inputs, so the exact command lines (which
must match upstream kojid's) are unit-tested without running anything.
"""
import logging
import os
import re
import subprocess

import koji
from koji.daemon import incremental_upload
from koji.util import format_shell_cmd, isSuccess, parseStatus

CREATEREPO_C = '/usr/bin/createrepo_c'
CREATEREPO = '/usr/bin/createrepo'
MERGEREPO_C = '/usr/bin/mergerepo_c'
# how often a running command's log is sent to the hub (seconds); the end of the command
# ends the wait at once
LOG_UPLOAD_INTERVAL = 5

logger = logging.getLogger('koji.build.repos')


def createrepo_cmd(outdir, repodir, pkglist=None, groupdata=None, update=False,
                   skip_stat=False, use_createrepo_c=True):
    """createrepo for a tag repo arch: pkglist/comps when given, --update on old data.

    Without a pkglist (no content for the arch) the command indexes the empty outdir.
    """
    if use_createrepo_c:
        cmd = [CREATEREPO_C, '--error-exit-val']
    else:
        cmd = [CREATEREPO]
    cmd += ['-vd', '-o', outdir]
    if pkglist is not None:
        cmd += ['-i', pkglist]
    if groupdata:
        cmd += ['-g', groupdata]
    if update:
        cmd.append('--update')
        if skip_stat:
            cmd.append('--skip-stat')
    cmd.append(outdir if pkglist is None else repodir)
    return cmd


def distrepo_createrepo_cmd(repodir, pkglist, groupdata=None, update=False, skip_stat=False,
                            oldpkgs=None, zck=False, zck_dict_dir=None,
                            use_createrepo_c=True):
    """createrepo for a dist repo (or one of its subrepos), written in place."""
    if use_createrepo_c:
        cmd = [CREATEREPO_C, '--error-exit-val']
    else:
        if zck:
            raise koji.GenericError("createrepo doesn't support zchunks")
        cmd = [CREATEREPO]
    if zck_dict_dir and not zck:
        raise koji.GenericError('--zck-dict-dir makes no sense without --zck')
    cmd += ['-vd', '-i', pkglist]
    if groupdata:
        cmd += ['-g', groupdata]
    if update:
        cmd.append('--update')
        if skip_stat:
            cmd.append('--skip-stat')
    if oldpkgs:
        cmd.append('--deltas')
        for path in oldpkgs:
            cmd += ['--oldpackagedirs', path]
    if zck:
        cmd.append('--zck')
    if zck_dict_dir:
        zck_dict_dir = os.path.normpath(zck_dict_dir)
        if os.path.isfile(zck_dict_dir):
            raise koji.GenericError('zchunk dir path is file: %s' % zck_dict_dir)
        if not os.path.isdir(zck_dict_dir):
            raise koji.GenericError("zchunk dir path doesn't exist: %s" % zck_dict_dir)
        cmd += ['--zck-dict-dir', zck_dict_dir]
    cmd.append(repodir)
    return cmd


def external_repo_urls(localdir, external_repos, arch):
    """The -r sources of a merge: our premerge repo first, then the external repos.

    External repos limited to other arches are left out; ``$arch`` in a url becomes the
    repo's arch.
    """
    urls = ['file://%s/' % localdir]
    for erepo in external_repos:
        if erepo.get('arches') and arch not in erepo['arches'].split():
            continue
        urls.append(erepo['url'].replace('$arch', arch))
    return urls


def merge_mode(external_repos):
    """The one merge mode of a tag's external repos (mixing modes is not supported)."""
    modes = []
    for erepo in external_repos:
        mode = erepo.get('merge_mode') or 'koji'
        if mode not in modes:
            modes.append(mode)
    if len(modes) > 1:
        raise koji.GenericError('Found multiple merge modes for external repos: %s\n'
                                % ', '.join(modes))
    return modes[0]


def mergerepo_cmd(mode, outdir, arch, urls, blocklist=None, groupdata=None, version=None):
    """mergerepo_c command line for a merge mode (koji, simple or bare).

    ``version`` is mergerepo_c's (major, minor, patch); --simple needs 0.13.0 and
    --arch-expand is added from 0.15.11 on.
    """
    if mode == 'simple':
        if not version or version < (0, 13, 0):
            found = '.'.join(str(d) for d in version) if version else 'None'
            raise koji.GenericError('mergerepo_c is not installed or has low version: '
                                    '%s (0.13.0 needed for --simple)' % found)
        cmd = [MERGEREPO_C, '--koji', '--simple']
    elif mode == 'bare':
        # modular metadata: keep every package, no blocklist
        cmd = [MERGEREPO_C, '--pkgorigins', '--all']
    elif mode == 'koji':
        cmd = [MERGEREPO_C, '--koji']
    else:
        raise koji.GenericError('Invalid merge mode: %s' % mode)
    if mode != 'bare':
        cmd += ['-b', blocklist]
    cmd += ['-a', arch, '-o', outdir]
    if version and version >= (0, 15, 11):
        cmd.append('--arch-expand')
    if groupdata:
        cmd += ['-g', groupdata]
    for url in urls:
        cmd += ['-r', url]
    return cmd


def parse_mergerepo_version(text):
    """(major, minor, patch) from 'Version: 0.17.3 (Features: ...)', else None."""
    match = re.match(r'Version: (\d+)\.(\d+)\.(\d+)', text.strip())
    if not match:
        return None
    return tuple(int(part) for part in match.groups())


def mergerepo_version():
    """The installed mergerepo_c's version, None if it cannot be told."""
    try:
        proc = subprocess.run([MERGEREPO_C, '--version'], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    except OSError:
        logger.warning('Unable to detect mergerepo_c version')
        return None
    version = parse_mergerepo_version(proc.stdout) if proc.returncode == 0 else None
    if version is None:
        logger.warning('Unable to detect mergerepo_c version')
    return version


def run_logged(session, cmd, logfile, uploadpath, env=None, what='create repo'):
    """Run cmd with its output in logfile, which is streamed to the hub; fail on error.

    The wait is on the process itself, so a quick command costs no polling delay.
    """
    koji.ensuredir(os.path.dirname(logfile))
    environ = dict(os.environ)
    if env:
        environ.update(env)
    logname = os.path.basename(logfile)
    with open(logfile, 'wb') as out, open(logfile, 'rb') as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=environ)
        while True:
            try:
                proc.wait(timeout=LOG_UPLOAD_INTERVAL)
                break
            except subprocess.TimeoutExpired:
                incremental_upload(session, logname, log, uploadpath, logger=logger)
        incremental_upload(session, logname, log, uploadpath, logger=logger)
    # a status as os.waitpid gives it, for parseStatus
    status = proc.returncode << 8 if proc.returncode >= 0 else -proc.returncode
    if not isSuccess(status):
        raise koji.GenericError('failed to %s: %s'
                                % (what, parseStatus(status, format_shell_cmd(cmd))))
