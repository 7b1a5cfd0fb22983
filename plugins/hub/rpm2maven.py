"""Give rpms that carry a Maven repository tree (e.g. *-repolib) Maven archives too.

On postImport of an rpm whose name matches [patterns] rpm_names (hub EnableMaven on),
the rpm is unpacked under <topdir>/work/rpm2maven/<nvr>; each directory matching
[patterns] artifact_paths that holds exactly one .pom becomes a set of maven archives of
the build (host.createMavenBuild, host.importArchive: so only host imports get them).

rpm2maven.conf is required and read on first use.
"""
import fnmatch
import os
import stat
import subprocess

import koji
from koji.context import context
from koji.plugin import callback
from koji.util import joinpath, rmtree

CONFIG_DIR = os.environ.get('KOJI_HUB_PLUGIN_CONFIG_DIR', '/etc/koji-hub/plugins')
CONFIG_FILE = os.path.join(CONFIG_DIR, 'rpm2maven.conf')
config = None

CPIO_MAGIC = (b'070701', b'070702')
CPIO_HEADER = 110


def get_config():
    global config
    if config is None:
        config = koji.read_config_files([(CONFIG_FILE, True)])
    return config


@callback('postImport')
def maven_import(cbtype, *args, **kws):
    if not context.opts.get('EnableMaven', False) or kws.get('type') != 'rpm':
        return
    buildinfo, rpminfo = kws['build'], kws['rpm']
    conf = get_config()
    if not any(fnmatch.fnmatch(rpminfo['name'], pattern)
               for pattern in conf.get('patterns', 'rpm_names').split()):
        return
    tmpdir = joinpath(koji.pathinfo.work(), 'rpm2maven', koji.buildLabel(buildinfo))
    try:
        if os.path.exists(tmpdir):
            rmtree(tmpdir)
        koji.ensuredir(tmpdir)
        expand_rpm(kws['filepath'], tmpdir)
        scan_and_import(buildinfo, rpminfo, tmpdir)
    finally:
        if os.path.exists(tmpdir):
            rmtree(tmpdir)


# -- unpacking -----------------------------------------------------------------------------


def _read(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise koji.CallbackError('truncated cpio archive')
    return data


def _skip_padding(stream, size):
    if size % 4:
        _read(stream, 4 - size % 4)


def _target(tmpdir, name):
    rel = os.path.normpath(name.lstrip('/'))
    if rel in ('.', '') or rel.startswith('..'):
        return None
    return os.path.join(tmpdir, rel)


def unpack_cpio(stream, tmpdir):
    """Write the directories and regular files of a newc cpio stream under tmpdir."""
    while True:
        header = _read(stream, CPIO_HEADER)
        if header[:6] not in CPIO_MAGIC:
            raise koji.CallbackError('not a cpio (newc) archive')
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, filesize, namesize = fields[1], fields[6], fields[11]
        name = _read(stream, namesize)[:-1].decode('utf-8', 'replace')
        _skip_padding(stream, CPIO_HEADER + namesize)
        if name == 'TRAILER!!!':
            return
        data = _read(stream, filesize)
        _skip_padding(stream, filesize)
        path = _target(tmpdir, name)
        if path is None:
            continue
        if stat.S_ISDIR(mode):
            os.makedirs(path, exist_ok=True)
        elif stat.S_ISREG(mode):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'wb') as fp:
                fp.write(data)


def expand_rpm(filepath, tmpdir):
    """rpm2cpio the rpm and unpack its payload in tmpdir."""
    proc = subprocess.Popen(['/usr/bin/rpm2cpio', filepath], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            close_fds=True)
    try:
        unpack_cpio(proc.stdout, tmpdir)
    finally:
        proc.stdout.close()
        status = proc.wait()
    if status != 0:
        raise koji.CallbackError('error extracting files from %s, rpm2cpio returned %s'
                                 % (filepath, status))


# -- importing -----------------------------------------------------------------------------


def _maven_dirs(tmpdir, patterns):
    """(pom path, file paths) of each matching directory with exactly one .pom."""
    for dirpath, _dirnames, filenames in os.walk(tmpdir):
        relpath = dirpath[len(tmpdir):]
        if not any(fnmatch.fnmatch(relpath, pattern) for pattern in patterns):
            continue
        poms = [name for name in filenames if name.endswith('.pom')]
        if len(poms) != 1:
            continue
        yield joinpath(dirpath, poms[0]), [joinpath(dirpath, name) for name in filenames]


def scan_and_import(buildinfo, rpminfo, tmpdir):
    patterns = get_config().get('patterns', 'artifact_paths').split()
    archives = []
    for pom, files in _maven_dirs(tmpdir, patterns):
        maven_info = koji.pom_to_maven_info(koji.parse_pom(pom))
        archives.append((maven_info, files))
    if not archives:
        return
    # which pom is the top one is unknown, so the build gets coordinates of its own
    maven_build = {'group_id': buildinfo['name'], 'artifact_id': rpminfo['name'],
                   'version': '%(version)s-%(release)s' % buildinfo}
    context.handlers.call('host.createMavenBuild', buildinfo, maven_build)
    for maven_info, files in archives:
        for path in files:
            if not context.handlers.call('getArchiveType', filename=path):
                continue
            context.handlers.call('host.importArchive', path, buildinfo, 'maven', maven_info)
