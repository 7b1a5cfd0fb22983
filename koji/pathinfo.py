"""Where things live under the Koji top directory (builds, signed copies, repos, work areas).

The hub, builders, CLI and web all compute paths through ``koji.pathinfo`` so the
layout is defined in exactly one place.
"""
import random
import string
import sys
import warnings

from koji import constants


def _default_topdir():
    """The live ``koji.BASEDIR`` (callers reassign it on the package), else the constant."""
    pkg = sys.modules.get('koji')
    return str(getattr(pkg, 'BASEDIR', constants.BASEDIR))


class PathInfo(object):
    """Compute storage paths; absolute ones start at ``topdir``, others are relative."""

    ASCII_CHARS = list(string.digits + string.ascii_letters)

    def __init__(self, topdir=None):
        self._topdir = topdir

    @property
    def topdir(self):
        """Explicit topdir if one was set, otherwise whatever koji.BASEDIR is right now."""
        if self._topdir is None:
            return _default_topdir()
        return self._topdir

    @topdir.setter
    def topdir(self, value):
        self._topdir = value

    def volumedir(self, volume):
        """Root of a storage volume; DEFAULT (or None) is the topdir itself."""
        if volume is None or volume == 'DEFAULT':
            return self.topdir
        return '%s/vol/%s' % (self.topdir, volume)

    def build(self, build):
        """Directory of a build on its volume."""
        return '%s/packages/%s/%s/%s' % (self.volumedir(build.get('volume_name')),
                                         build['name'], build['version'], build['release'])

    def mavenbuild(self, build):
        return self.build(build) + '/maven'

    def mavenrepo(self, maveninfo):
        """Relative maven repository directory of a GAV."""
        group_path = maveninfo['group_id'].replace('.', '/')
        return '%s/%s/%s' % (group_path, maveninfo['artifact_id'], maveninfo['version'])

    def mavenfile(self, maveninfo):
        return '%s/%s' % (self.mavenrepo(maveninfo), maveninfo['filename'])

    def winbuild(self, build):
        return self.build(build) + '/win'

    def winfile(self, wininfo):
        """Relative path of a windows build file."""
        if wininfo.get('relpath'):
            return '%s/%s' % (wininfo['relpath'], wininfo['filename'])
        return wininfo['filename']

    def imagebuild(self, build):
        return self.build(build) + '/images'

    def typedir(self, build, btype):
        """Directory holding a build's archives of one build type."""
        special = {
            'maven': self.mavenbuild,
            'win': self.winbuild,
            'image': self.imagebuild,
        }
        if btype in special:
            return special[btype](build)
        return '%s/files/%s' % (self.build(build), btype)

    def rpm(self, rpminfo):
        """Relative path of an rpm inside its build directory."""
        return '%(arch)s/%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % rpminfo

    def signed(self, rpminfo, sigkey):
        """Relative path of the copy of an rpm signed with ``sigkey``."""
        return 'data/signed/%s/%s' % (sigkey, self.rpm(rpminfo))

    def sighdr(self, rpminfo, sigkey):
        """Relative path of a cached signature header."""
        return 'data/sigcache/%s/%s.sig' % (sigkey, self.rpm(rpminfo))

    def build_logs(self, build):
        return self.build(build) + '/data/logs'

    def repo(self, repo_id, tag_str):
        return '%s/repos/%s/%s' % (self.topdir, tag_str, repo_id)

    def distrepo(self, repo_id, tag, volume=None):
        return '%s/repos-dist/%s/%s' % (self.volumedir(volume), tag, repo_id)

    def repocache(self, tag_str):
        return '%s/repos/%s/cache' % (self.topdir, tag_str)

    def taskrelpath(self, task_id):
        """Relative task directory; bucketed so no directory gets too many entries."""
        return 'tasks/%i/%i' % (task_id % 10000, task_id)

    def work(self, volume=None):
        return self.volumedir(volume) + '/work'

    def tmpdir(self, volume=None):
        """A random scratch path under work/tmp (deprecated, not race free)."""
        warnings.warn('PathInfo.tmpdir is deprecated', DeprecationWarning, stacklevel=2)
        suffix = ''.join(random.sample(self.ASCII_CHARS, 6))
        return '%s/tmp/%s' % (self.work(volume), suffix)

    def scratch(self):
        return self.topdir + '/scratch'

    def task(self, task_id, volume=None):
        return '%s/%s' % (self.work(volume), self.taskrelpath(task_id))


pathinfo = PathInfo()
