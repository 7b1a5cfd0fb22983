"""Stray repo directories: dirs under topdir that the hub says are gone (or never were).

Removed when older than expired_repo_lifetime: directories of DELETED repos, and those of
unknown repo ids unless ignore_stray_repos. Tracked repos, queued paths, ``latest`` and
its target are left alone; so is a directory whose tag name does not match (a renamed
tag keeps its id in repo.json).
"""
import logging
import os
import stat
import time

import koji

from .janitor import FAILED, _multicall


class Pruner(object):

    def __init__(self, options, pathinfo, deleter, janitor, logger=None):
        self.options = options
        self.pathinfo = pathinfo
        self.deleter = deleter
        self.janitor = janitor
        self.logger = logger or logging.getLogger('koji.repo.manager')

    def roots(self, session):
        """repos/ of the default volume, repos-dist/ of the others (unless ignored)."""
        roots = [os.path.join(self.pathinfo.volumedir('DEFAULT'), 'repos')]
        if not self.options.ignore_other_volumes:
            for vol in session.listVolumes():
                if vol['name'] != 'DEFAULT':
                    roots.append(os.path.join(self.pathinfo.volumedir(vol['name']),
                                              'repos-dist'))
        return roots

    def prune(self, session):
        if self.deleter.busy():
            return  # let running deletions finish first
        candidates = []
        for root in self.roots(session):
            candidates.extend(self._scan(root))
        if not candidates:
            return
        infos = _multicall(session, [('repoInfo', [repo_id])
                                     for repo_id, _t, _p, _s in candidates], self.logger)
        now = time.time()
        for (repo_id, tag, path, st), rinfo in zip(candidates, infos):
            if rinfo is not FAILED:
                self._judge(repo_id, tag, path, st, rinfo, now)

    def _scan(self, root):
        """(repo_id, tag dir name, path, lstat) of each untracked, unqueued repo dir."""
        if not os.path.isdir(root):
            return []
        pending = self.deleter.pending_paths()
        found = []
        for tag in sorted(os.listdir(root)):
            tagdir = os.path.join(root, tag)
            if not os.path.isdir(tagdir):
                continue
            latest = os.path.join(tagdir, 'latest')
            latest_target = os.readlink(latest) if os.path.islink(latest) else None
            for name in os.listdir(tagdir):
                if name == 'latest' or name == latest_target:
                    continue
                try:
                    repo_id = int(name)
                except ValueError:
                    continue
                path = os.path.join(tagdir, name)
                if repo_id in self.janitor.repos or path in pending:
                    continue
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISLNK(st.st_mode) or stat.S_ISDIR(st.st_mode):
                    found.append((repo_id, tag, path, st))
        return found

    def _judge(self, repo_id, tag, path, st, rinfo, now):
        max_age = self.options.expired_repo_lifetime
        if rinfo is None:
            if not self.options.ignore_stray_repos and now - st.st_mtime > max_age:
                self.logger.info('Removing unexpected directory (no such repo): %s', path)
                self._remove(path, st)
            return
        if rinfo['tag_name'] != tag:
            try:
                repo_json = koji.load_json(os.path.join(path, 'repo.json'))
                if rinfo['tag_id'] != repo_json['tag_id']:
                    self.logger.warning('Tag name/id mismatch: directory: %s, name: %s, '
                                        'id: %s', tag, rinfo['tag_name'], repo_json['tag_id'])
                    return
            except Exception:
                self.logger.warning('Tag name mismatch (rename?): %s vs %s',
                                    tag, rinfo['tag_name'])
                return
        if rinfo['state'] != koji.REPO_DELETED:
            return
        if now - max(rinfo.get('state_ts') or 0, st.st_mtime) > max_age:
            self.logger.info('Removing stray repo (state=%s): %s',
                             koji.REPO_STATES[rinfo['state']], path)
            self._remove(path, st)

    def _remove(self, path, st):
        if stat.S_ISLNK(st.st_mode):
            os.unlink(path)
        else:
            self.deleter.add(path)
