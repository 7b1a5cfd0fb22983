"""Regular repo generation, hub side: repo_init (host.repoInit), host.repoDone, newRepo.

repo_init records the repo in INIT and writes ``<topdir>/repos/<tag>/<id>/``: per arch a
``toplink`` symlink to the topdir, ``pkglist`` (paths under toplink), ``rpmlist.jsonl``
and ``blocklist``; ``groups/comps.xml``; ``repo.json``.  The builder runs createrepo_c on
that and uploads the metadata, which host.repoDone moves into place before marking the
repo READY.
"""
import json
import logging
import os
import shutil

import koji
from koji.context import context
from koji.util import joinpath

from ..core.db import QueryProcessor, _singleValue, nextval, InsertProcessor
from ..core.history import tag_first_change_event, tag_last_change_event
from ..core.policy import _assert_host_session
from ..tags.groups import readTagGroups
from ..tags.packages import readPackageList
from ..tags.tagged import read_tagged_rpms
from ..tags.tags import get_tag
from ..tasks.task_actions import make_task
from ..tasks.uploads import get_upload_path
from .opts import convert_value, get_repo_opts
from .repos import repo_info
from .state import repo_expire, repo_ready, symlink_if_latest

logger = logging.getLogger('koji.repo')


def _repo_arches(tinfo, opts):
    arches = []
    if opts['separate_src']:
        arches.append('src')
    for arch in (tinfo['arches'] or '').split():
        arch = koji.canonArch(arch)
        if arch not in ('src', 'noarch') and arch not in arches:
            arches.append(arch)
    return arches


def _check_event_exists(event):
    query = QueryProcessor(tables=['events'], columns=['id'], clauses=['id = %(event)s'],
                           values={'event': event})
    if query.singleValue(strict=False) is None:
        raise koji.GenericError('query returned no rows')


def repo_init(tag, task_id=None, event=None, opts=None):
    """Create a repo in INIT and its directory; returns [repo_id, event_id]."""
    task_id = convert_value(task_id, cast=int, none_allowed=True)
    event = convert_value(event, cast=int, none_allowed=True)
    tinfo = get_tag(tag, strict=True, event=event)
    opts, custom = get_repo_opts(tinfo, override=opts)
    if opts['maven'] and not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')
    koji.plugin.run_callbacks('preRepoInit', tag=tinfo, event=event, repo_id=None,
                              task_id=task_id, opts=opts)
    tag_id = tinfo['id']
    if event is None:
        event_id = _singleValue('SELECT get_event()')
    else:
        _check_event_exists(event)
        event_id = event
    repo_id = nextval('repo_id_seq')
    InsertProcessor('repo', data={
        'id': repo_id,
        'create_event': event_id,
        'begin_event': tag_last_change_event(tag_id, before=event_id) or event_id,
        'end_event': tag_first_change_event(tag_id, after=event_id),
        'tag_id': tag_id,
        'state': koji.REPO_INIT,
        'task_id': task_id,
        'opts': json.dumps(opts),
        'custom_opts': json.dumps(custom),
    }).execute()

    repodir = koji.pathinfo.repo(repo_id, tinfo['name'])
    os.makedirs(repodir)
    try:
        _write_repo_dir(repodir, tinfo, repo_id, event_id, task_id, opts, custom)
        koji.plugin.run_callbacks('postRepoInit', tag=tinfo, event=event, repo_id=repo_id,
                                  task_id=task_id, opts=opts)
    except Exception:
        # the repo row goes with the transaction; leave no directory behind either
        shutil.rmtree(repodir, ignore_errors=True)
        raise
    return [repo_id, event_id]


def _write_repo_dir(repodir, tinfo, repo_id, event_id, task_id, opts, custom):
    tag_id = tinfo['id']
    _write_comps(repodir, tag_id, event_id)
    koji.dump_json(os.path.join(repodir, 'repo.json'), {
        'id': repo_id,
        'tag': tinfo['name'],
        'tag_id': tag_id,
        'task_id': task_id,
        'event_id': event_id,
        'opts': opts,
        'custom_opts': custom,
        'with_src': opts['src'],
        'with_separate_src': opts['separate_src'],
        'with_debuginfo': opts['debuginfo'],
    }, indent=2)
    arches = _repo_arches(tinfo, opts)
    latest = not tinfo['extra'].get('repo_include_all', False)
    write_pkglists(repodir, tag_id, event_id, arches, opts, latest)
    if opts['maven']:
        from .maven import write_maven_repo
        write_maven_repo(repodir, tag_id, event_id)


def _write_comps(repodir, tag_id, event_id):
    groups = readTagGroups(tag_id, event=event_id, inherit=True)
    groupsdir = os.path.join(repodir, 'groups')
    koji.ensuredir(groupsdir)
    with open(os.path.join(groupsdir, 'comps.xml'), 'wt', encoding='utf-8') as fo:
        fo.write(koji.generate_comps(groups, expand_groups=True))


def _pkglist_lines(tag_id, event_id, arches, opts, latest):
    """{arch: [(pkglist line, rpmlist.jsonl line)]} from two or three queries in all."""
    rpms, builds = read_tagged_rpms(tag_id, event=event_id, inherit=True, latest=latest)
    relpathinfo = koji.PathInfo(topdir='toplink')
    builddirs = {b['build_id']: relpathinfo.build(b).lstrip('/') for b in builds}
    lines = {arch: [] for arch in arches}
    binary_arches = [a for a in arches if a != 'src']
    for rpminfo in rpms:
        if not opts['debuginfo'] and koji.is_debuginfo(rpminfo['name']):
            continue
        entry = ('%s/%s\n' % (builddirs[rpminfo['build_id']], relpathinfo.rpm(rpminfo)),
                 json.dumps(rpminfo, indent=None) + '\n')
        arch = rpminfo['arch']
        if arch == 'src':
            if opts['src']:
                for repoarch in arches:
                    lines[repoarch].append(entry)
            if opts['separate_src'] and not opts['src']:
                lines['src'].append(entry)
        elif arch == 'noarch':
            for repoarch in binary_arches:
                lines[repoarch].append(entry)
        else:
            repoarch = koji.canonArch(arch)
            if repoarch in lines and repoarch != 'src':
                lines[repoarch].append(entry)
    return lines


def write_pkglists(repodir, tag_id, event_id, arches, opts, latest=True):
    """Per arch dir: toplink, pkglist, rpmlist.jsonl and blocklist."""
    lines = _pkglist_lines(tag_id, event_id, arches, opts, latest)
    blocked = sorted(pkg['package_name'] for pkg in readPackageList(
        tag_id, event=event_id, inherit=True, with_owners=False).values() if pkg['blocked'])
    blocktext = ''.join('%s\n' % name for name in blocked)
    for arch in arches:
        archdir = joinpath(repodir, arch)
        koji.ensuredir(archdir)
        os.symlink(os.path.relpath(koji.pathinfo.topdir, archdir),
                   os.path.join(archdir, 'toplink'))
        entries = lines[arch]
        with open(os.path.join(archdir, 'pkglist'), 'wt', encoding='utf-8') as fo:
            fo.write(''.join(e[0] for e in entries))
        with open(os.path.join(archdir, 'rpmlist.jsonl'), 'wt', encoding='utf-8') as fo:
            fo.write(''.join(e[1] for e in entries))
        with open(os.path.join(archdir, 'blocklist'), 'wt', encoding='utf-8') as fo:
            fo.write(blocktext)


def host_repo_init(tag, task_id=None, event=None, opts=None):
    """host.repoInit: [repo_id, event_id]."""
    _assert_host_session()
    return repo_init(tag, task_id=task_id, event=event, opts=opts)


def _upload_moves(repodir, data):
    """[(src, dst)] for the uploaded repo files, every path checked before anything moves."""
    moves = []
    for arch, spec in data.items():
        if not isinstance(spec, (list, tuple)) or len(spec) != 2 \
                or not isinstance(spec[1], (list, tuple)):
            raise koji.ParameterError('Invalid repo data for arch %s: %r' % (arch, spec))
        uploadpath, files = spec
        try:
            archdir = joinpath(repodir, koji.canonArch(arch))
        except (ValueError, TypeError, AttributeError):
            raise koji.GenericError('Invalid repo arch: %r' % (arch,))
        if os.path.dirname(archdir) != repodir or not os.path.isdir(archdir):
            raise koji.GenericError('Repo arch directory missing: %s' % archdir)
        for fn in files:
            src = get_upload_path(uploadpath, fn)
            if fn.endswith('pkglist'):
                dst = os.path.join(archdir, fn)
            else:
                dst = os.path.join(archdir, 'repodata', fn)
            if not os.path.exists(src):
                raise koji.GenericError('uploaded file missing: %s' % src)
            if os.path.lexists(dst) and not fn.endswith('pkglist'):
                raise koji.GenericError('Destination exists: %s' % dst)
            moves.append((src, dst))
    return moves


def _move_all(moves):
    """Move files (an existing pkglist is replaced); returns an undo list."""
    undo = []
    try:
        for src, dst in moves:
            koji.ensuredir(os.path.dirname(dst))
            saved = None
            if os.path.lexists(dst):
                saved = dst + '.orig'
                os.rename(dst, saved)
            shutil.move(src, dst)
            undo.append((src, dst, saved))
    except Exception:
        _undo_moves(undo)
        raise
    return undo


def _undo_moves(undo):
    for src, dst, saved in reversed(undo):
        try:
            shutil.move(dst, src)
            if saved:
                os.rename(saved, dst)
        except OSError:
            logger.exception('Could not restore %s', src)


def host_repo_done(repo_id, data, expire=False, repo_json_updates=None):
    """host.repoDone: install the uploaded metadata and mark the repo READY.

    Everything is checked before anything moves; if a later step fails the files go back
    to the upload area and the repo stays in INIT, so the builder can retry.
    """
    _assert_host_session()
    rinfo = repo_info(repo_id, strict=True)
    convert_value(data, cast=dict, check_only=True)
    if repo_json_updates is not None:
        convert_value(repo_json_updates, cast=dict, check_only=True)
    koji.plugin.run_callbacks('preRepoDone', repo=rinfo, data=data, expire=expire)
    if rinfo['state'] != koji.REPO_INIT:
        raise koji.GenericError('Repo %(id)s not in INIT state (got %(state)s)' % rinfo)
    repodir = koji.pathinfo.repo(rinfo['id'], rinfo['tag_name'])
    moves = [] if rinfo['dist'] else _upload_moves(repodir, data)
    json_fn = os.path.join(repodir, 'repo.json')
    old_json = None
    if repo_json_updates:
        old_json = koji.load_json(json_fn)
        new_json = dict(old_json)
        new_json.update(repo_json_updates)
    undo = _move_all(moves)
    try:
        if old_json is not None:
            koji.dump_json(json_fn, new_json, indent=2)
        if expire:
            logger.warning('expire option for repoDone call is deprecated')
            repo_expire(rinfo['id'])
        else:
            repo_ready(rinfo['id'])
            symlink_if_latest(rinfo)
        koji.plugin.run_callbacks('postRepoDone', repo=rinfo, data=data, expire=expire)
    except Exception:
        _undo_moves(undo)
        if old_json is not None:
            koji.dump_json(json_fn, old_json, indent=2)
        raise
    for _, _, saved in undo:
        if saved:
            os.unlink(saved)


def new_repo(tag, event=None, src=False, debuginfo=False, separate_src=False):
    """newRepo (repo or regen-repo perm): queue a newRepo task, return its id."""
    if not context.opts.get('AllowNewRepo', False):
        raise koji.ActionNotAllowed('newRepo api call is disabled')
    if not context.session.hasPerm('repo'):
        context.session.assertPerm('regen-repo')
    get_tag(tag, strict=True, event=event)
    koji.ensuredir(os.path.join(koji.pathinfo.topdir, 'repos'))
    opts = {}
    if event is not None:
        opts['event'] = event
    if src:
        opts['src'] = True
    if separate_src:
        opts['separate_src'] = True
    if debuginfo:
        opts['debuginfo'] = True
    return make_task('newRepo', koji.encode_args(tag, **opts), priority=15,
                     channel='createrepo')


class RepoInitExports(object):
    """Root call starting a regular repo regeneration."""
    newRepo = staticmethod(new_repo)


class RepoHostExports(object):
    """host.repoInit / host.repoDone (host.distRepoMove lives in dist.py)."""
    repoInit = staticmethod(host_repo_init)
    repoDone = staticmethod(host_repo_done)
