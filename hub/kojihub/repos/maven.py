"""The maven part of a repo: ``<repodir>/maven/<group path>/<artifact>/<version>`` links
to the builds' maven dirs, with a maven-metadata.xml (and .md5/.sha1) per artifact."""
import datetime
import functools
import hashlib
import logging
import os
from xml.sax.saxutils import escape

import koji

from ..core.db import QueryProcessor
from ..tags.tagged import maven_tag_archives

logger = logging.getLogger('koji.repo')


def _build_infos(build_ids):
    query = QueryProcessor(
        tables=['build'], joins=['package ON package.id = build.pkg_id',
                                 'volume ON volume.id = build.volume_id'],
        columns=['build.id', 'package.name', 'build.version', 'build.release', 'build.epoch',
                 'volume.name'],
        aliases=['id', 'name', 'version', 'release', 'epoch', 'volume_name'],
        clauses=['build.id = ANY(%(ids)s)'], values={'ids': list(build_ids)})
    return {row['id']: row for row in query.execute()}


def _version_key():
    try:
        import rpm
        return functools.cmp_to_key(rpm.labelCompare)
    except ImportError:  # pragma: no cover - rpm bindings are part of the deployment
        return None


def write_maven_repo(repodir, tag_id, event_id):
    archives = maven_tag_archives(tag_id, event_id)
    if not archives:
        return
    builds = _build_infos({a['build_id'] for a in archives})
    links = set()
    artifact_dirs = {}
    for archive in archives:
        rel = koji.pathinfo.mavenrepo(archive)
        srcdir = os.path.join(koji.pathinfo.mavenbuild(builds[archive['build_id']]), rel)
        destlink = os.path.join(repodir, 'maven', rel)
        links.add((srcdir, destlink))
        artifact_dirs.setdefault(os.path.dirname(destlink), set()).add(
            (archive['group_id'], archive['artifact_id'], archive['version']))
    for srcdir, destlink in sorted(links):
        parent = os.path.dirname(destlink)
        koji.ensuredir(parent)
        try:
            os.symlink(os.path.relpath(srcdir, parent), destlink)
        except OSError:
            logger.error('Error linking %s to %s', destlink, srcdir)
    for artifact_dir, artifacts in artifact_dirs.items():
        _write_metadata(artifact_dir, artifacts)


def _write_metadata(destdir, artifacts):
    key = _version_key()
    # labelCompare compares (epoch, version, release) triples; only versions differ here
    if key is not None:
        artifacts = sorted(artifacts, key=lambda a: key(('0', a[2], '0')))
    else:
        artifacts = sorted(artifacts)
    group_id, artifact_id, latest = artifacts[-1]
    stamp = datetime.datetime.now().strftime('%Y%m%d%H%M%S')
    versions = ''.join('      <version>%s</version>\n' % escape(a[2]) for a in artifacts)
    text = ('<?xml version="1.0"?>\n<metadata>\n'
            '  <groupId>%s</groupId>\n  <artifactId>%s</artifactId>\n'
            '  <versioning>\n    <latest>%s</latest>\n    <release>%s</release>\n'
            '    <versions>\n%s    </versions>\n    <lastUpdated>%s</lastUpdated>\n'
            '  </versioning>\n</metadata>\n'
            % (escape(group_id), escape(artifact_id), escape(latest), escape(latest),
               versions, stamp))
    path = os.path.join(destdir, 'maven-metadata.xml')
    with open(path, 'wt', encoding='utf-8') as fo:
        fo.write(text)
    data = text.encode('utf-8')
    for ext, algo in (('.md5', hashlib.md5), ('.sha1', hashlib.sha1)):
        with open(path + ext, 'wt') as fo:
            fo.write(algo(data).hexdigest())
