"""Maven inside a mock buildroot: the mvn command line, settings.xml (the tag's maven
repo as the only mirror, deployment into the output dir) and the local repository
listing reported with host.updateMavenBuildRootList.
"""
import os

import koji
from koji.util import multi_fnmatch

from .buildroot_mock import mock_result

# files of the output dir that are not maven artifacts of the build itself
OUTPUT_ZIPS = ('scm-sources.zip', 'patches.zip')


def mvn_args(chroot_sourcedir, props=None, profiles=None, options=None, goals=None):
    """mock arguments of a maven deploy, run unprivileged in the source dir."""
    args = ['--no-clean', '--chroot', '--unpriv', '--cwd', chroot_sourcedir, '--',
            '/usr/bin/mvn', '-C']
    args += list(options or [])
    if profiles:
        args.append('-P%s' % ','.join(profiles))
    for name, value in (props or {}).items():
        args.append('-D%s' % name if value is None else '-D%s=%s' % (name, value))
    args += list(goals or [])
    args.append('deploy')
    return args


def _dep_repositories(deps, pathinfo, element):
    """(id, xml) of a <repository> / <pluginRepository> per extra dependency."""
    entries = []
    for dep in deps or []:
        if isinstance(dep, int):
            kind, url, snapshots = 'task', pathinfo.task(dep), 'true'
        else:
            kind, url, snapshots = 'build', pathinfo.mavenbuild(koji.parse_NVR(dep)), 'false'
        repo_id = 'koji-%s-%s-repo' % (kind, dep)
        entries.append((repo_id, '''
        <%(el)s>
          <id>%(id)s</id>
          <name>Repository for Koji %(kind)s %(dep)s</name>
          <url>%(url)s</url>
          <layout>default</layout>
          <releases>
            <enabled>true</enabled>
            <updatePolicy>never</updatePolicy>
            <checksumPolicy>fail</checksumPolicy>
          </releases>
          <snapshots>
            <enabled>%(snap)s</enabled>
            <updatePolicy>never</updatePolicy>
            <checksumPolicy>fail</checksumPolicy>
          </snapshots>
        </%(el)s>''' % {'el': element, 'id': repo_id, 'kind': kind, 'dep': dep, 'url': url,
                        'snap': snapshots}))
    return entries


def settings_xml(task_id, repo_id, tag_name, topurl, deploy_dir, deps=None):
    """The settings.xml maven runs with in the buildroot."""
    pathinfo = koji.PathInfo(topdir=topurl)
    repourl = pathinfo.repo(repo_id, tag_name) + '/maven'
    mirror_of = '*'
    profile_extra = ''
    if deps:
        repos = _dep_repositories(deps, pathinfo, 'repository')
        plugins = _dep_repositories(deps, pathinfo, 'pluginRepository')
        for rid, _xml in repos + plugins:
            mirror_of += ',!' + rid
        profile_extra = ('\n      <repositories>' + ''.join(x for _i, x in repos)
                         + '\n      </repositories>\n      <pluginRepositories>'
                         + ''.join(x for _i, x in plugins) + '\n      </pluginRepositories>')
    return '''<settings xmlns="http://maven.apache.org/POM/4.0.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://maven.apache.org/POM/4.0.0
                      http://maven.apache.org/xsd/settings-1.0.0.xsd">
  <interactiveMode>false</interactiveMode>
  <mirrors>
    <mirror>
      <id>koji-maven-repo-%(tag)s-%(repo)i</id>
      <name>Koji-managed Maven repository (%(tag)s-%(repo)i)</name>
      <url>%(url)s</url>
      <mirrorOf>%(mirror)s</mirrorOf>
    </mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>koji-task-%(task)s</id>
      <properties>
        <altDeploymentRepository>koji-output::default::file://%(deploy)s</altDeploymentRepository>
      </properties>%(extra)s
    </profile>
  </profiles>
  <activeProfiles>
    <activeProfile>koji-task-%(task)s</activeProfile>
  </activeProfiles>
</settings>
''' % {'tag': tag_name, 'repo': repo_id, 'url': repourl, 'mirror': mirror_of,
       'task': task_id, 'deploy': deploy_dir, 'extra': profile_extra}


def write_settings(broot, destfile, outputdir):
    text = settings_xml(broot.task_id, broot.repoid, broot.tag_name, broot.options.topurl,
                        broot.path_within(outputdir), deps=getattr(broot, 'deps', None))
    path = os.path.join(broot.rootdir(), destfile.lstrip('/'))
    koji.ensuredir(os.path.dirname(path))
    with open(path, 'w', encoding='utf-8') as fo:
        fo.write(text)


def maven_package_list(repodir, ignore_patterns):
    """[{maven_info, files}] of a local maven repository (group/artifact/version dirs)."""
    packages = []
    for path, _dirs, files in os.walk(repodir):
        relpath = path[len(repodir) + 1:]
        found = []
        for name in sorted(files):
            if multi_fnmatch(name, ignore_patterns) or \
                    multi_fnmatch(os.path.join(relpath, name), ignore_patterns):
                continue
            if relpath == '' and name in OUTPUT_ZIPS:
                continue
            found.append({'path': relpath, 'filename': name,
                          'size': os.path.getsize(os.path.join(path, name))})
        if not found:
            continue
        parts = relpath.split('/')
        if len(parts) < 3:
            raise koji.BuildrootError(
                'files found in unexpected path in local Maven repo, directory: %s, files: %s'
                % (relpath, ', '.join(f['filename'] for f in found)))
        info = {'version': parts[-1], 'artifact_id': parts[-2],
                'group_id': '.'.join(parts[:-2])}
        packages.append({'maven_info': info, 'files': found})
    return packages


def maven_build(broot, sourcedir, outputdir, repodir, props=None, profiles=None,
                options=None, goals=None):
    """Run the deploy, then report what maven fetched (the build's own output ignored)."""
    broot.session.host.setBuildRootState(broot.id, 'BUILDING')
    status = broot.mock(mvn_args(broot.path_within(sourcedir), props, profiles, options,
                                 goals))
    ignore = broot.options.maven_repo_ignore
    if isinstance(ignore, str):
        ignore = ignore.split()
    broot.session.host.updateMavenBuildRootList(
        broot.id, broot.task_id, maven_package_list(repodir, ignore),
        ignore=maven_package_list(outputdir, ignore), project=True,
        ignore_unknown=bool(status), extra_deps=getattr(broot, 'deps', None))
    if status:
        broot.expire()
        raise koji.BuildrootError('error building Maven package, %s'
                                  % mock_result(status, logfile='root.log'))
