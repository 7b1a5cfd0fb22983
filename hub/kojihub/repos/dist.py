"""Dist repos: distRepo (dist_repo_init + a distRepo task) and host.distRepoMove.

A dist repo lives in ``<volume>/repos-dist/<tag>/<id>/<arch>`` and holds real (hard
linked or copied) rpms under ``Packages/<first letter>/``; the builder makes the metadata
per arch and host.distRepoMove installs it with the rpms listed in its ``kojipkgs``.
"""
import errno
import logging
import os
import shutil

import koji
from koji.context import context
from koji.util import joinpath

from ..builds.builds import get_build
from ..builds.rpms import get_rpm
from ..core.db import InsertProcessor, get_event, nextval
from ..core.lookup import lookup_name
from ..core.policy import _assert_host_session, assert_policy
from ..tags.tags import get_build_config, get_tag
from ..tasks.task_actions import Task, make_task
from ..tasks.tasks import list_tasks
from ..tasks.uploads import get_upload_path
from .opts import convert_value
from .repos import repo_info

logger = logging.getLogger('koji.repo')

RPM_CHECK_KEYS = ('name', 'version', 'release', 'arch', 'epoch', 'size', 'payloadhash',
                  'build_id')


def dist_repo_init(tag, keys, task_opts):
    """Record a dist repo in INIT and make its arch dirs; returns (repo_id, event_id)."""
    convert_value(keys, cast=list, check_only=True)
    tinfo = get_tag(tag, strict=True)
    convert_value(task_opts, cast=dict, check_only=True)
    event = convert_value(task_opts.get('event'), cast=int, none_allowed=True)
    volume = task_opts.get('volume')
    if volume is not None:
        volume = lookup_name('volume', volume, strict=True)['name']
    arch_opt = task_opts.get('arch')
    if not isinstance(arch_opt, (list, tuple)) or not arch_opt:
        raise koji.ParameterError('arch option must be a non-empty list')
    arches = sorted(set(koji.canonArch(a) for a in arch_opt))
    koji.plugin.run_callbacks('preRepoInit', tag=tinfo, with_src=False, with_debuginfo=False,
                              event=event, repo_id=None, dist=True, keys=keys, arches=arches,
                              task_opts=task_opts, with_separate_src=False)
    comps = task_opts.get('comps')
    if comps:
        convert_value(comps, cast=str, check_only=True)
        try:
            comps_src = joinpath(koji.pathinfo.work(), comps)
        except ValueError:
            raise koji.GenericError('Invalid comps path: %s' % comps)
        if not os.path.isfile(comps_src):
            raise koji.GenericError('Missing comps file: %s' % comps)
    if not event:
        event = get_event()
    repo_id = nextval('repo_id_seq')
    InsertProcessor('repo', data={'id': repo_id, 'create_event': event, 'tag_id': tinfo['id'],
                                  'state': koji.REPO_INIT, 'dist': True}).execute()
    repodir = koji.pathinfo.distrepo(repo_id, tinfo['name'], volume=volume)
    for arch in arches:
        koji.ensuredir(os.path.join(repodir, arch))
    if volume and volume != 'DEFAULT':
        basedir = koji.pathinfo.distrepo(repo_id, tinfo['name'])
        koji.ensuredir(os.path.dirname(basedir))
        os.symlink(os.path.relpath(repodir, os.path.dirname(basedir)), basedir)
    if comps:
        koji.ensuredir(os.path.join(repodir, 'groups'))
        shutil.copyfile(comps_src, os.path.join(repodir, 'groups', 'comps.xml'))
    koji.dump_json(os.path.join(repodir, 'repo.json'), {
        'id': repo_id, 'tag': tinfo['name'], 'tag_id': tinfo['id'], 'keys': keys,
        'volume': volume, 'task_opts': task_opts}, indent=2)
    koji.plugin.run_callbacks('postRepoInit', tag=tinfo, with_src=False, with_debuginfo=False,
                              event=event, repo_id=repo_id, dist=True, keys=keys,
                              arches=arches, task_opts=task_opts, repodir=repodir,
                              with_separate_src=False)
    return repo_id, event


def dist_repo(tag, keys, **task_opts):
    """distRepo (dist-repo perm, admin, or the dist_repo policy): the distRepo task id."""
    session = context.session
    if not session.hasPerm('dist-repo') and not session.hasPerm('admin'):
        assert_policy('dist_repo', {'tag': tag})
    repo_id, event_id = dist_repo_init(tag, keys, task_opts)
    task_opts['event'] = event_id
    if get_build_config(tag)['extra'].get('distrepo.cancel_others', False):
        states = [koji.TASK_STATES[s] for s in ('FREE', 'OPEN', 'ASSIGNED')]
        for task in list_tasks(opts={'state': states, 'method': 'distRepo', 'decode': True}):
            if task['request'][0] == tag:
                logger.debug('Cancelling distRepo task %d', task['id'])
                Task(task['id']).cancel(recurse=True)
    return make_task('distRepo', [tag, repo_id, keys, task_opts], priority=15,
                     channel='createrepo')


def _rpm_data(kojipkgs):
    """{filename: rpminfo with _fullpath} after checking each entry against the db."""
    rpmdata = {}
    build_dirs = {}
    for bnp, rpminfo in kojipkgs.items():
        if not isinstance(rpminfo, dict) or '/' in bnp or bnp.startswith('.') or not bnp:
            raise koji.GenericError('Invalid kojipkgs entry: %s' % bnp)
        dbinfo = get_rpm(rpminfo.get('id'), strict=True)
        for key in RPM_CHECK_KEYS:
            if key not in rpminfo or rpminfo[key] != dbinfo[key]:
                raise koji.GenericError('kojipkgs entry does not match db: file %s, key %s'
                                        % (bnp, key))
        sigkey = rpminfo.get('sigkey')
        if sigkey:
            relpath = koji.pathinfo.signed(rpminfo, sigkey)
        else:
            relpath = koji.pathinfo.rpm(rpminfo)
        build_id = rpminfo['build_id']
        if build_id not in build_dirs:
            build_dirs[build_id] = koji.pathinfo.build(get_build(build_id, strict=True))
        rpminfo = dict(rpminfo, _fullpath=joinpath(build_dirs[build_id], relpath))
        rpmdata[bnp] = rpminfo
    return rpmdata


def host_dist_repo_move(repo_id, uploadpath, arch):
    """host.distRepoMove: install one arch of an INIT dist repo (metadata and rpms)."""
    _assert_host_session()
    rinfo = repo_info(repo_id, strict=True)
    repodir = koji.pathinfo.distrepo(rinfo['id'], rinfo['tag_name'])
    try:
        archdir = joinpath(repodir, koji.canonArch(arch))
    except (ValueError, TypeError, AttributeError):
        raise koji.GenericError('Invalid repo arch: %r' % (arch,))
    if os.path.dirname(archdir) != repodir or not os.path.isdir(archdir):
        raise koji.GenericError('Repo arch directory missing: %s' % archdir)
    state = koji.REPO_STATES[rinfo['state']]
    if state != 'INIT':
        raise koji.GenericError('Repo is in state: %s' % state)
    fn = get_upload_path(uploadpath, 'repo_manifest')
    if not os.path.isfile(fn):
        raise koji.GenericError('Missing repo manifest')
    files = koji.load_json(fn)
    fn = get_upload_path(uploadpath, 'kojipkgs')
    if not os.path.isfile(fn):
        raise koji.GenericError('Missing kojipkgs file')
    kojipkgs = koji.load_json(fn)
    if not isinstance(files, list) or not isinstance(kojipkgs, dict):
        raise koji.GenericError('Invalid repo manifest')
    updir = os.path.dirname(fn)
    moves = []
    for relpath in files:
        try:
            src = joinpath(updir, relpath)
            dst = joinpath(archdir, relpath)
        except (ValueError, TypeError, AttributeError):
            raise koji.GenericError('Invalid path in repo manifest: %r' % (relpath,))
        if not os.path.exists(src):
            raise koji.GenericError('uploaded file missing: %s' % src)
        moves.append((src, dst))
    rpmdata = _rpm_data(kojipkgs)
    for bnp in rpmdata:
        dst = os.path.join(archdir, 'Packages', bnp[0].lower(), bnp)
        if os.path.exists(dst):
            raise koji.GenericError('File already in repo: %s' % dst)
    for src, dst in moves:
        koji.ensuredir(os.path.dirname(dst))
        koji.util.safer_move(src, dst)
    for bnp, rpminfo in rpmdata.items():
        ddir = os.path.join(archdir, 'Packages', bnp[0].lower())
        koji.ensuredir(ddir)
        dst = os.path.join(ddir, bnp)
        try:
            os.link(rpminfo['_fullpath'], dst)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            shutil.copy2(rpminfo['_fullpath'], dst)


class DistRepoExports(object):
    distRepo = staticmethod(dist_repo)


class DistRepoHostExports(object):
    distRepoMove = staticmethod(host_dist_repo_move)
