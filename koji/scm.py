"""Build sources in version control: ``koji.daemon.SCM`` (re-exported there).

A source URL reads ``scheme://[user@]host/path/to/repo[?module]#revision``.  kojid
checks it against its ``allowed_scms`` setting and/or the hub's ``build_from_scm`` policy
(either may set ``use_common`` and ``source_cmd``), checks it out into a work dir while
streaming the command output to a log file on the hub, and reports the exact source
(for git the commit the revision resolved to).
"""
import logging
import os
import subprocess
import urllib.parse
from fnmatch import fnmatch

import koji
from koji.logstream import log_output
from koji.util import dslice

# where a revision names a remote branch, git fetch wants the bare branch name
_ORIGIN_PREFIX = 'origin/'
# policy words that allow (anything else denies)
_ALLOW_WORDS = ('yes', 'true', 'allow', 'allowed')
# allowed_scms values of the use_common field that turn it off
_OFF_WORDS = ('no', 'off', 'false', '0')


class SCM(object):
    """One source URL: parsed fields, allow checks, checkout and the resolved source."""

    types = {'CVS': ('cvs://',),
             'CVS+SSH': ('cvs+ssh://',),
             'GIT': ('git://', 'git+http://', 'git+https://', 'git+rsync://'),
             'GIT+SSH': ('git+ssh://',),
             'SVN': ('svn://', 'svn+http://', 'svn+https://'),
             'SVN+SSH': ('svn+ssh://',)}

    @classmethod
    def is_scm_url(cls, url, strict=False):
        """True if url starts with a scheme we can check out (strict: raise otherwise)."""
        schemes = sorted(s for group in cls.types.values() for s in group)
        if isinstance(url, str) and any(url.startswith(s) for s in schemes):
            return True
        if strict:
            raise koji.GenericError('Invalid scheme in scm url. Valid schemes are: %s'
                                    % ' '.join(schemes))
        return False

    def __init__(self, url, allow_password=False):
        self.logger = logging.getLogger('koji.build.SCM')
        if not self.is_scm_url(url, strict=True):
            raise koji.GenericError('Invalid SCM URL: %s' % url)
        self.url = url
        (self.scheme, self.user, self.host, self.repository, self.module,
         self.revision) = self._parse_url(allow_password=allow_password)
        self.use_common = True
        self.source_cmd = ['make', 'sources']
        self.sourcedir = None
        for scmtype, schemes in self.types.items():
            if self.scheme in schemes:
                self.scmtype = scmtype
                break
        else:
            raise koji.GenericError('Invalid SCM URL: %s' % url)

    def get_info(self, keys=None):
        """The parsed fields as a dict (all of them unless keys are given)."""
        if keys is None:
            keys = ['url', 'scheme', 'user', 'host', 'repository', 'module', 'revision',
                    'scmtype']
        return dslice(vars(self), keys)

    def _parse_url(self, allow_password=False):
        """(scheme, user, host, path, module, revision); only user may be None."""
        scheme = self.url.split('://', 1)[0] + '://'
        # urllib only splits netloc/query/fragment the usual way for known schemes
        parts = urllib.parse.urlparse('http://' + self.url[len(scheme):])
        netloc, path, params, query, fragment = (parts.netloc, parts.path, parts.params,
                                                 parts.query, parts.fragment)
        user = None
        pieces = netloc.split('@')
        if len(pieces) == 2:
            user = pieces[0] or None
            if user and ':' in user and not allow_password:
                raise koji.GenericError('username:password format not supported: %s' % user)
            netloc = pieces[1]
        elif len(pieces) > 2:
            raise koji.GenericError('Invalid username@hostname specified: %s' % netloc)
        if not netloc:
            raise koji.GenericError('Unable to parse SCM URL: %s . Could not find the netloc '
                                    'element.' % self.url)
        if not path:
            raise koji.GenericError('Unable to parse SCM URL: %s . Could not find the path '
                                    'element.' % self.url)
        path = os.path.normpath(path).rstrip('/')
        if path.startswith('//'):
            # normpath keeps a leading double slash (POSIX allows it a meaning)
            path = '/' + path.lstrip('/')
        if not path.startswith('/'):
            raise koji.GenericError('Invalid SCM URL. Path should begin with /: %s' % self.url)
        if params:
            raise koji.GenericError('Unable to parse SCM URL: %s . Params element %s should '
                                    'be empty.' % (self.url, params))
        if not fragment:
            raise koji.GenericError('Unable to parse SCM URL: %s . Could not find the '
                                    'fragment element.' % self.url)
        return scheme, user, netloc, path, query.rstrip('/'), fragment

    # -- may this source be built?

    def assert_allowed(self, allowed='', session=None, by_config=True, by_policy=False,
                       policy_data=None):
        """Apply the allowed_scms check and/or the build_from_scm policy (config first,
        so the policy has the last word on use_common and source_cmd)."""
        if by_config:
            self.assert_allowed_by_config(allowed or '')
        if by_policy:
            if session is None:
                raise koji.ConfigurationError(
                    'When allowed SCM assertion is by policy, session must be passed in.')
            self.assert_allowed_by_policy(session, **(policy_data or {}))

    def assert_allowed_by_config(self, allowed):
        """First matching ``host:repo[:use_common[:source_cmd]]`` / ``!host:repo`` entry
        decides (glob patterns); BuildError when none allows it."""
        for entry in allowed.split():
            fields = entry.split(':')
            if len(fields) < 2:
                self.logger.warning('Ignoring incorrectly formatted SCM host:repository: %s',
                                    entry)
                continue
            host_pat, repo_pat = fields[0], fields[1]
            deny = host_pat.startswith('!')
            if deny:
                host_pat = host_pat[1:]
            if not (fnmatch(self.host, host_pat) and fnmatch(self.repository, repo_pat)):
                continue
            if deny:
                break
            if len(fields) > 2 and fields[2].lower() in _OFF_WORDS:
                self.use_common = False
            if len(fields) > 3:
                # an empty command field means: run no source command at all
                self.source_cmd = fields[3].split(',') if fields[3] else None
            return
        raise koji.BuildError('%s:%s is not in the list of allowed SCMs'
                              % (self.host, self.repository))

    def _policy_data(self, **extra_data):
        """The build_from_scm policy data: our fields as scm_* keys, then extra_data."""
        data = {}
        for key, value in self.get_info().items():
            name = key[3:] if key.startswith('scm') else key
            data['scm_' + name] = value
        data.update(extra_data)
        return data

    def assert_allowed_by_policy(self, session, **extra_data):
        """Ask the hub's build_from_scm policy: ``allow [use_common] [cmd words|none]``
        or ``deny [reason]``; BuildError when denied."""
        result = (session.evalPolicy('build_from_scm', self._policy_data(**extra_data))
                  or '').split()
        if not result or result[0].lower() not in _ALLOW_WORDS:
            raise koji.BuildError('SCM: %s:%s is not allowed, reason: %s'
                                  % (self.host, self.repository, ' '.join(result[1:]) or None))
        words = result[1:]
        self.use_common = bool(words) and words[0].lower() == 'use_common'
        if self.use_common:
            words = words[1:]
        if words:
            self.source_cmd = None if words[0].lower() == 'none' else words

    # -- checkout

    def _git_commands(self, scmdir):
        """(clone url, checkout dir name, common repo url) of a git source."""
        if self.scmtype == 'GIT+SSH':
            if not self.user:
                raise koji.BuildError('No user specified for repository access scheme: %s'
                                      % self.scheme)
            repo = 'git+ssh://%s@%s%s' % (self.user, self.host, self.repository)
        else:
            scheme = self.scheme.split('+', 1)[1] if '+' in self.scheme else self.scheme
            userhost = '%s@%s' % (self.user, self.host) if self.user else self.host
            repo = '%s%s%s' % (scheme, userhost, self.repository)
        if self.repository.endswith('/.git'):
            name = os.path.basename(self.repository[:-5])
            common = os.path.dirname(repo[:-5]) + '/common/.git'
        elif self.repository.endswith('.git'):
            name = os.path.basename(self.repository[:-4])
            common = os.path.dirname(repo[:-4]) + '/common.git'
        else:
            name = os.path.basename(self.repository)
            common = os.path.dirname(repo) + '/common'
        return repo, name, common

    def _cvs_root(self):
        if self.scmtype == 'CVS+SSH':
            if not self.user:
                raise koji.BuildError('No user specified for repository access scheme: %s'
                                      % self.scheme)
            return ':ext:%s@%s:%s' % (self.user, self.host, self.repository), \
                {'CVS_RSH': 'ssh'}
        return ':pserver:%s@%s:%s' % (self.user or 'anonymous', self.host,
                                      self.repository), None

    def _svn_root(self):
        if self.scmtype == 'SVN+SSH':
            if not self.user:
                raise koji.BuildError('No user specified for repository access scheme: %s'
                                      % self.scheme)
            return 'svn+ssh://%s@%s%s' % (self.user, self.host, self.repository)
        scheme = self.scheme.split('+', 1)[1] if '+' in self.scheme else self.scheme
        return '%s%s%s' % (scheme, self.host, self.repository)

    def checkout(self, scmdir, session=None, uploadpath=None, logfile=None):
        """Check the source out under scmdir; returns the directory holding it.

        Every command's output goes to logfile (appended after the first), streamed to
        uploadpath on the hub when a session is given; a failing command is a BuildError.
        """
        if logfile is None:
            logfile = os.path.join(scmdir, 'checkout.log')
        runs = [0]

        def run(cmd, cwd, env=None, fatal=True):
            status = log_output(session, cmd[0], cmd, logfile, uploadpath, cwd=cwd,
                                logerror=1, append=runs[0] > 0, env=env)
            runs[0] += 1
            if status and fatal:
                raise koji.BuildError('Error running %s command "%s", see %s for details'
                                      % (self.scmtype, ' '.join(cmd),
                                         os.path.basename(logfile)))
            return status

        if self.scmtype.startswith('GIT'):
            repo, name, common = self._git_commands(scmdir)
            checkout_dir = os.path.join(scmdir, name)
            run(['git', 'clone', '-n', repo, checkout_dir], scmdir)
            rev = self.revision
            if rev.startswith(_ORIGIN_PREFIX):
                rev = rev[len(_ORIGIN_PREFIX):]
            # fetch the revision itself first: it may be a ref the clone did not bring
            if run(['git', 'fetch', 'origin', '%s:KOJI_FETCH_HEAD' % rev], checkout_dir,
                   fatal=False):
                run(['git', 'reset', '--hard', self.revision], checkout_dir)
            else:
                run(['git', 'reset', '--hard', 'KOJI_FETCH_HEAD'], checkout_dir)
            sourcedir = os.path.join(checkout_dir, self.module) if self.module \
                else checkout_dir
            common_cmd = ['git', 'clone', common, 'common']
            env = None
        elif self.scmtype.startswith('CVS'):
            root, env = self._cvs_root()
            run(['cvs', '-d', root, 'checkout', '-r', self.revision, self.module], scmdir,
                env=env)
            sourcedir = os.path.join(scmdir, self.module)
            common_cmd = ['cvs', '-d', root, 'checkout', 'common']
        elif self.scmtype.startswith('SVN'):
            root = self._svn_root()
            run(['svn', 'checkout', '-r', self.revision, '%s/%s' % (root, self.module),
                 self.module], scmdir)
            sourcedir = os.path.join(scmdir, self.module)
            common_cmd = ['svn', 'checkout', '%s/common' % root]
            env = None
        else:
            raise koji.BuildError('Unknown SCM type: %s' % self.scmtype)
        if self.use_common:
            run(common_cmd, scmdir, env=env)
            self._link_common(scmdir, sourcedir)
        self.sourcedir = sourcedir
        return sourcedir

    @staticmethod
    def _link_common(scmdir, sourcedir):
        """Make <sourcedir>/../common point at <scmdir>/common (relative link)."""
        parent = os.path.dirname(sourcedir)
        link = os.path.join(parent, 'common')
        if os.path.lexists(link):
            return
        target = os.path.relpath(os.path.join(scmdir, 'common'), parent)
        os.symlink(target, link)

    def get_source(self):
        """{'url': the URL as given, 'source': for git the URL pinned to the commit}."""
        result = {'url': self.url, 'source': self.url}
        if not self.scmtype.startswith('GIT'):
            return result
        proc = subprocess.Popen(['git', 'rev-parse', 'HEAD'], stdout=subprocess.PIPE,
                                cwd=self.sourcedir)
        out, _ = proc.communicate()
        if proc.wait() != 0:
            raise koji.GenericError('Error getting commit hash for git')
        commit = out.strip()
        if isinstance(commit, bytes):
            commit = commit.decode()
        result['source'] = urllib.parse.urlunsplit(
            [self.scheme[:-3], self.host, self.repository, self.module, commit])
        return result
