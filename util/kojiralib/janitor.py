"""The main loop's pass over the hub's repo rows: PROBLEM, EXPIRED, DELETED decisions.

One ``repo.query`` reads every live repo; the decisions are made locally and sent back in
multicalls (one for PROBLEM/EXPIRED marks, one for reference checks, one for deletions),
so a pass over thousands of rows costs a handful of hub calls.
"""
import logging
import os
import time

import koji

REPO_FIELDS = ('id', 'tag_id', 'create_event', 'state', 'dist', 'task_id', 'tag_name',
               'creation_ts', 'state_ts', 'end_event', 'opts', 'custom_opts', 'task_state')
FAILED_TASK_STATES = (koji.TASK_STATES['CANCELED'], koji.TASK_STATES['FAILED'])


class Tracked(object):
    """What kojira remembers about one repo between passes."""

    def __init__(self, data, now):
        self.data = data
        self.first_seen = now
        self.expire_check_ts = None
        self.reference_ts = None

    @property
    def id(self):
        return self.data['id']

    @property
    def state(self):
        return self.data['state']


FAILED = object()


def _multicall(session, calls, logger):
    """Run [(method, args)] in one multicall; returns results (FAILED where a call failed)."""
    if not calls:
        return []
    with session.multicall(strict=False) as mc:
        pending = []
        for method, args in calls:
            func = mc
            for part in method.split('.'):
                func = getattr(func, part)
            pending.append(func(*args))
    results = []
    for (method, args), vcall in zip(calls, pending):
        try:
            results.append(vcall.result)
        except Exception as exc:
            logger.error('%s%r failed: %s', method, tuple(args), exc)
            results.append(FAILED)
    return results


class Janitor(object):
    """Tracks the live repos and applies kojira's rules to them each pass."""

    def __init__(self, options, pathinfo, deleter, logger=None):
        self.options = options
        self.pathinfo = pathinfo
        self.deleter = deleter
        self.repos = {}
        self.logger = logger or logging.getLogger('koji.repo.manager')

    # -- reading

    def read_repos(self, session):
        rows = session.repo.query([['state', '!=', koji.REPO_DELETED]], list(REPO_FIELDS))
        now = time.time()
        seen = set()
        for row in rows:
            seen.add(row['id'])
            repo = self.repos.get(row['id'])
            if repo is None:
                self.logger.info('Found repo %s, state=%s', row['id'],
                                 koji.REPO_STATES[row['state']])
                self.repos[row['id']] = Tracked(row, now)
                continue
            if repo.state != row['state']:
                self.logger.info('State changed for repo %s: %s -> %s', row['id'],
                                 koji.REPO_STATES[repo.state], koji.REPO_STATES[row['state']])
            repo.data = row
        for repo_id in [rid for rid in self.repos if rid not in seen]:
            repo = self.repos.pop(repo_id)
            if repo.state != koji.REPO_DELETED:
                self.logger.warning('Repo entry disappeared from hub: %r', repo.data)

    # -- paths and ages

    def repo_path(self, data, volume=None):
        if data['dist']:
            return self.pathinfo.distrepo(data['id'], data['tag_name'], volume=volume)
        return self.pathinfo.repo(data['id'], data['tag_name'])

    def age(self, repo, now):
        if repo.data.get('state_ts'):
            return now - repo.data['state_ts']
        # rows older than the state_time column: fall back to the directory
        self.logger.warning('Missing timestamps for repo %(id)s (tag %(tag_name)s)',
                            repo.data)
        try:
            return now - os.stat(self.repo_path(repo.data)).st_mtime
        except OSError:
            return now - repo.first_seen

    # -- the pass

    def update(self, session):
        """One pass: read the rows, then mark, expire and delete as the rules say."""
        self.read_repos(session)
        now = time.time()
        repos = list(self.repos.values())
        marks = [('repoProblem', [r.id]) for r in repos
                 if r.state == koji.REPO_INIT and self._init_problem(r, now)]
        expire = self._expire_candidates(session, repos, now)
        marks += [('repoExpire', [r.id]) for r in expire]
        results = _multicall(session, marks, self.logger)
        doomed = [r for r in repos if r.state in (koji.REPO_EXPIRED, koji.REPO_PROBLEM)]
        for (method, args), result in zip(marks, results):
            if result is not FAILED:
                new = koji.REPO_PROBLEM if method == 'repoProblem' else koji.REPO_EXPIRED
                self.repos[args[0]].data['state'] = new
        self._delete(session, doomed, now)

    def _init_problem(self, repo, now):
        data = repo.data
        if not data.get('creation_ts'):
            self.logger.warning('Repo in init state lacks timestamp: %r', data)
        elif now - data['creation_ts'] > self.options.init_timeout:
            self.logger.warning('Stale repo: %r', data)
        elif data.get('task_state') in FAILED_TASK_STATES:
            self.logger.warning('Repo task failed: %(task_id)s', data)
        else:
            return False
        self.logger.error('Problem repo %s..', repo.id)
        return True

    def _expire_candidates(self, session, repos, now):
        """READY repos past their lifetime that are neither current nor worth keeping."""
        aged = []
        for repo in repos:
            data = repo.data
            if repo.state != koji.REPO_READY:
                continue
            if data['end_event'] is None and not data['custom_opts']:
                continue  # the current default repo of its tag
            lifetime = (self.options.dist_repo_lifetime if data['dist']
                        else self.options.repo_lifetime)
            if self.age(repo, now) <= lifetime:
                continue
            if repo.expire_check_ts and \
                    now - repo.expire_check_ts < self.options.recheck_period:
                continue
            repo.expire_check_ts = now
            aged.append(repo)
        if not aged:
            return []
        newest = self._newest_ready(repos)
        build_tags = None
        expire = []
        for repo in aged:
            data = repo.data
            latest = data['create_event'] >= newest.get((data['tag_id'], data['dist']), 0)
            if data['dist']:
                if latest:
                    continue
            elif not data['custom_opts'] and latest:
                if build_tags is None:
                    build_tags = set(t['build_tag'] for t in session.getBuildTargets())
                if data['tag_id'] in build_tags:
                    continue
            if data['dist']:
                self.logger.info('Expiring dist repo %(id)s for tag %(tag_name)s', data)
            else:
                self.logger.info('Expiring repo %(id)s for tag %(tag_name)s', data)
            expire.append(repo)
        return expire

    @staticmethod
    def _newest_ready(repos):
        """(tag_id, dist) -> newest create_event of a READY repo (default opts if not dist)."""
        newest = {}
        for repo in repos:
            data = repo.data
            if repo.state != koji.REPO_READY:
                continue
            if not data['dist'] and data['custom_opts']:
                continue
            key = (data['tag_id'], data['dist'])
            newest[key] = max(newest.get(key, 0), data['create_event'])
        return newest

    def _delete(self, session, repos, now):
        """EXPIRED/PROBLEM repos old enough and unreferenced: DELETED, then rmtree."""
        check = []
        for repo in repos:
            if self.age(repo, now) < self.options.expired_repo_lifetime:
                continue
            if repo.reference_ts and \
                    now - repo.reference_ts < self.options.reference_recheck_period:
                continue
            check.append(repo)
        refs = _multicall(session, [('repo.references', [r.id]) for r in check], self.logger)
        free = []
        for repo, ref in zip(check, refs):
            if ref is FAILED:
                continue
            if ref:
                self.logger.warning('Repo %s still has %i references', repo.id, len(ref))
                repo.reference_ts = now
                continue
            free.append(repo)
        done = _multicall(session, [('repo.setState', [r.id, koji.REPO_DELETED])
                                    for r in free], self.logger)
        for repo, result in zip(free, done):
            if result is FAILED:
                continue
            self.logger.info('Set repo %s state to deleted', repo.id)
            repo.data['state'] = koji.REPO_DELETED
            self._remove_files(repo.data)

    def _remove_files(self, data):
        """Queue the repo's directory; a link to another volume goes now, its target later."""
        path = self.repo_path(data)
        if not os.path.islink(path):
            self.deleter.add(path)
            return
        try:
            info = koji.load_json(os.path.join(path, 'repo.json'))
        except Exception:
            info = None
        if not os.path.exists(path):
            self.logger.error('Repo volume link broken: %s', path)
            return
        if not info or 'volume' not in info:
            self.logger.error('Missing or invalid repo.json in %s', path)
            return
        realpath = self.repo_path(data, volume=info['volume'])
        if not os.path.exists(realpath):
            self.logger.error('Repo real path missing: %s', realpath)
            return
        if self.options.ignore_other_volumes:
            self.logger.error('Repo on non-default volume %s', realpath)
            return
        if not os.path.samefile(path, realpath):
            self.logger.error('Incorrect volume link: %s', path)
            return
        try:
            os.unlink(path)
        except OSError:
            self.logger.error('Unable to remove volume link: %s', path)
        self.deleter.add(realpath)
