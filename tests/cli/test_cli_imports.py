"""import and import-archive against the real hub, with real rpms.

Every import is checked on the hub (builds, rpm records) and on disk: the files must
land exactly where koji.PathInfo puts them under the hub's topdir, byte for byte.
"""
import fcntl
import filecmp
import os
import pty
import re
import shutil
import subprocess
import sys
import termios

import psycopg2
import pytest

import koji
from tests.cli.rpmkit import build_kit
from tests.fixtures.cli import KOJI, LOG_ERROR, uniq
from tests.fixtures.rpms import NOARCH_SPEC, _collect, _rpmbuild

POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.kojitest</groupId><artifactId>parent</artifactId>
    <version>9</version></parent>
  <artifactId>%s</artifactId>
  <version>1.2</version>
</project>
"""


@pytest.fixture(scope='module')
def run(hub_server, tmp_path_factory):
    """Our CLI as a subprocess; ``user``/``password`` override the admin login."""
    home = str(tmp_path_factory.mktemp('home'))

    def _run(*args, user=None, password=None, cwd=None, **popen):
        cmd = [sys.executable, KOJI, '-c', hub_server.config_file, '-p', hub_server.profile,
               '--user', user or hub_server.admin_user,
               '--password', password or hub_server.admin_password] + list(args)
        return subprocess.run(cmd, env=dict(os.environ, HOME=home), cwd=cwd,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120, **popen)
    return _run


@pytest.fixture(scope='module')
def plain_user(hub_server):
    """A logged-in user without permissions (name, password)."""
    name = uniq('plain')
    conn = psycopg2.connect(hub_server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO users (name, password, status, usertype) "
                        "VALUES (%s, 'pw', 0, 0)", (name,))
    finally:
        conn.close()
    return name, 'pw'


@pytest.fixture(scope='module')
def kitdir(tmp_path_factory):
    return tmp_path_factory.mktemp('kits')


def ok(res):
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.endswith('koji: error: %s\n' % message), res.stderr


def stored_path(pathinfo, hub, nvra):
    """Where the hub keeps an imported rpm: build dir + relative rpm path."""
    rinfo = hub.getRPM(nvra, strict=True)
    binfo = hub.getBuild(rinfo['build_id'], strict=True)
    return os.path.join(pathinfo.build(binfo), pathinfo.rpm(rinfo))


def nvra_of(path):
    return os.path.basename(path)[:-len('.rpm')]


def imported_lines(*paths):
    out = ''
    for path in paths:
        out += 'uploading %s... done\nimporting %s... done\n' % (path, path)
    return out


# -- import ---------------------------------------------------------------------------------

def test_import_usage(run):
    usage_error(run('import'), 'At least one package must be specified')
    usage_error(run('import', '--src-epoch', 'x', '/dev/null'), 'Invalid value for epoch: x')


def test_import_srpm_and_rpms(run, hub, rpm_builds, pathinfo, kitdir):
    """The noarch build of rpm_builds, start to end (its NVR is used by this test only,
    as tests may run in any order)."""
    build = rpm_builds.noarch
    # --test: binary rpms first on the command line, the srpm is still handled first
    out = ok(run('import', '--test', *(build.rpms + [build.srpm])))
    assert out == ''.join('Test mode -- skipping import for %s\n' % p for p in build.paths)
    assert hub.getBuild(build.nvr) is None
    out = ok(run('import', *(build.rpms + [build.srpm])))
    assert out == imported_lines(*build.paths)
    binfo = hub.getBuild(build.nvr, strict=True)
    assert koji.BUILD_STATES[binfo['state']] == 'COMPLETE'
    assert binfo['owner_name'] == hub.getLoggedInUser()['name']
    rpms = hub.listRPMs(buildID=binfo['id'])
    assert sorted(r['arch'] for r in rpms) == ['noarch', 'src']
    for path in build.paths:
        dest = stored_path(pathinfo, hub, nvra_of(path))
        assert dest.startswith(os.path.join(pathinfo.topdir, 'packages', build.name,
                                            build.version, build.release) + '/')
        assert filecmp.cmp(path, dest, shallow=False)
        hdr = koji.get_rpm_header(path)
        rinfo = hub.getRPM(nvra_of(path))
        assert rinfo['payloadhash'] == koji.hex_string(koji.get_header_field(hdr, 'sigmd5'))
        assert rinfo['size'] == os.path.getsize(path)
    # a second import finds everything in place
    out = ok(run('import', *build.paths))
    assert out == ''.join('RPM already imported: %s\nSkipping import\n' % p
                          for p in build.paths)
    check_digest_mismatch(run, hub, kitdir)


def check_digest_mismatch(run, hub, kitdir):
    """A different rpm with an NVRA the hub already has is refused with a warning."""
    topdir = str(kitdir / 'variant')
    os.makedirs(os.path.join(topdir, 'SOURCES'))
    os.makedirs(os.path.join(topdir, 'SPECS'))
    for fn in ('kojitest-hello.sh', 'kojitest-data.txt'):
        with open(os.path.join(topdir, 'SOURCES', fn), 'w') as fo:
            fo.write('other content %s\n' % fn)
    spec = os.path.join(topdir, 'SPECS', 'variant.spec')
    with open(spec, 'w') as fo:
        fo.write(NOARCH_SPEC.replace('A tiny noarch package', 'Another tiny noarch package'))
    _rpmbuild(topdir, spec)
    _srpm, variants = _collect(topdir, 'kojitest-noarch')
    variant = variants[0]
    before = hub.getRPM(nvra_of(variant))
    ident = koji.hex_string(koji.get_header_field(koji.get_rpm_header(variant), 'sigmd5'))
    assert ident != before['payloadhash']
    res = run('import', variant)
    assert ok(res) == 'Skipping import\n'
    assert res.stderr == (
        'digest mismatch for %s\n'
        '  A different rpm with the same name has already been imported\n'
        "  Existing rpm has '%s', your import has '%s'\n"
        % (variant, before['payloadhash'], ident))
    assert hub.getRPM(nvra_of(variant)) == before


def test_import_create_build_with_link(run, hub, rpm_builds, pathinfo, tmp_path):
    """The arch build of rpm_builds: binary rpms first (no build), then the srpm."""
    build = rpm_builds.arch
    res = run('import', *build.rpms)
    assert ok(res) == 'Missing build or srpm: %s\nAborting import\n' % build.nvr
    assert hub.getBuild(build.nvr) is None
    # a private copy: the hub moves the linked file, and the fixture files are shared
    local = [shutil.copy(p, str(tmp_path)) for p in build.rpms]
    out = ok(run('import', '--test', '--create-build', *local))
    assert out == ('Missing build or srpm: %s\n' % build.nvr
                   + 'Test mode -- would have created empty build: %s\n' % build.nvr
                   + ''.join('Test mode -- skipping import for %s\n' % p for p in local))
    assert hub.getBuild(build.nvr) is None
    out = ok(run('import', '--create-build', '--src-epoch', '7', '--link', *local))
    lines = out.splitlines()
    assert lines[:2] == ['Missing build or srpm: %s' % build.nvr,
                         'Creating empty build: %s' % build.nvr]
    work = re.escape(os.path.join(pathinfo.topdir, 'work', 'cli-import'))
    for path, (link, imported) in zip(local, zip(lines[2::2], lines[3::2])):
        assert re.match(r'^Linking rpm to: %s/\d+\.\d+\.[A-Za-z]{8}/%s$'
                        % (work, re.escape(os.path.basename(path))), link), link
        assert imported == 'importing %s... done' % path
    binfo = hub.getBuild(build.nvr, strict=True)
    assert binfo['epoch'] == 7
    for orig, path in zip(build.rpms, local):
        dest = stored_path(pathinfo, hub, nvra_of(path))
        assert filecmp.cmp(orig, dest, shallow=False)
        # hard-linked, not copied
        assert os.stat(dest).st_ino == os.stat(path).st_ino
    # the srpm joins the build later
    out = ok(run('import', build.srpm))
    assert out == imported_lines(build.srpm)
    assert filecmp.cmp(build.srpm, stored_path(pathinfo, hub, nvra_of(build.srpm)),
                       shallow=False)
    assert len(hub.listRPMs(buildID=binfo['id'])) == 1 + len(build.rpms)


def test_import_into_dead_builds(run, hub, kitdir, pathinfo):
    kit = build_kit(kitdir / 'dead', 'kitdead')
    hub.createEmptyBuild(kit.name, kit.version, kit.release, None)
    hub.resetBuild(kit.nvr)
    assert ok(run('import', kit.srpm)) == \
        'Build %s state is CANCELED. Skipping import\n' % kit.nvr
    out = ok(run('import', '--create-build', *kit.paths))
    assert out == 'Creating empty build: %s\n' % kit.nvr + imported_lines(*kit.paths)
    binfo = hub.getBuild(kit.nvr, strict=True)
    assert koji.BUILD_STATES[binfo['state']] == 'COMPLETE'
    for path in kit.paths:
        assert os.path.isfile(stored_path(pathinfo, hub, nvra_of(path)))
    gone = build_kit(kitdir / 'gone', 'kitgone')
    hub.createEmptyBuild(gone.name, gone.version, gone.release, None)
    hub.deleteBuild(gone.nvr)
    assert ok(run('import', *gone.paths)) == \
        'Build %s exists with state=DELETED. Skipping import\n' % gone.nvr
    # binary only, no --create-build: the build is there but dead
    res = run('import', *gone.rpms)
    assert ok(res) == 'Build %s exists with state=DELETED. Skipping import\n' % gone.nvr


def test_import_hub_refusal_is_reported(run, hub, kitdir, plain_user):
    """importRPM needs admin: the failure is printed and the command goes on (exit 0)."""
    kit = build_kit(kitdir / 'refused', 'kitrefused')
    user, password = plain_user
    res = run('import', kit.srpm, user=user, password=password)
    out = ok(res)
    assert out.startswith('uploading %s... done\nimporting %s... \nError importing: '
                          % (kit.srpm, kit.srpm)), out
    assert 'admin' in out.splitlines()[-1]
    assert hub.getBuild(kit.nvr) is None


def test_import_missing_file(run):
    res = run('import', '/nonexistent/x.rpm')
    assert res.returncode == 1
    assert re.match(LOG_ERROR, res.stderr), res.stderr


# -- import-archive -------------------------------------------------------------------------

@pytest.fixture
def archives(tmp_path):
    tar = tmp_path / 'disk-a.tar.gz'
    src = tmp_path / 'content.txt'
    src.write_text('archive content\n')
    subprocess.run(['tar', 'czf', str(tar), '-C', str(tmp_path), 'content.txt'], check=True)
    iso = tmp_path / 'disk-b.iso'
    iso.write_bytes(os.urandom(2 * 1024 * 1024 + 517))
    return [str(tar), str(iso)]


def archive_lines(*paths):
    return ''.join('Uploading archive: %s\n\nImported: %s\n'
                   % ((os.path.basename(p),) * 2) for p in paths)


def test_import_archive_usage(run, hub, archives, plain_user):
    usage_error(run('import-archive', 'x-1-1'),
                'You must specify a build ID or N-V-R and an archive to import')
    usage_error(run('import-archive', 'x-1-1', archives[0]), 'You must specify an archive type')
    usage_error(run('import-archive', '--type', 'rpm', 'x-1-1', archives[0]),
                'Unsupported archive type: rpm')
    for btype in ('image', 'win'):
        usage_error(run('import-archive', '--type', btype, 'x-1-1', archives[0]),
                    '--type-info must be specified')
    usage_error(run('import-archive', '--type', 'win', '--type-info', 'dir', 'x-1-1',
                    archives[0]), '--type-info must be in relpath:platforms[:flags] format')
    usage_error(run('import-archive', '--type', 'maven', 'x-1-1', archives[0]),
                '--type-info must point to a .pom file when importing Maven archives')
    usage_error(run('import-archive', '--type', 'image', '--type-info', 'x86_64',
                    'nosuch-1-1', archives[0]), 'No such build: nosuch-1-1')
    user, password = plain_user
    for btype in ('image', 'maven', 'win'):
        usage_error(run('import-archive', '--type', btype, 'x-1-1', archives[0], user=user,
                        password=password),
                    'This action requires the %s-import privilege' % btype)


def test_import_archive_image(run, hub, pathinfo, archives):
    nvr = uniq('imgpkg') + '-1.0-1'
    parts = koji.parse_NVR(nvr)
    build_id = hub.createEmptyBuild(parts['name'], '1.0', '1', None)
    out = ok(run('import-archive', '--type', 'image', '--type-info', 'x86_64', str(build_id),
                 *archives))
    assert out == archive_lines(*archives)
    binfo = hub.getBuild(build_id)
    listed = hub.listArchives(buildID=build_id)
    assert sorted(a['filename'] for a in listed) == ['disk-a.tar.gz', 'disk-b.iso']
    for archive, path in zip(sorted(listed, key=lambda a: a['filename']), archives):
        assert archive['btype'] == 'image'
        assert hub.getArchive(archive['id'])['arch'] == 'x86_64'
        dest = os.path.join(pathinfo.imagebuild(binfo), archive['filename'])
        assert filecmp.cmp(path, dest, shallow=False)
        assert archive['size'] == os.path.getsize(path)


def test_import_archive_create_image_build_with_link(run, hub, pathinfo, archives):
    nvr = uniq('imgnew') + '-2.0-3'
    out = ok(run('import-archive', '--create-build', '--link', '--type', 'image',
                 '--type-info', 'aarch64', nvr, archives[0]))
    work = re.escape(os.path.join(pathinfo.topdir, 'work', 'cli-import'))
    assert re.match(r'^Uploading archive: disk-a.tar.gz\nLinking rpm to: %s/[^/]+/'
                    r'disk-a.tar.gz\n\nImported: disk-a.tar.gz\n$' % work, out), out
    binfo = hub.getBuild(nvr, strict=True)
    assert binfo['epoch'] is None
    dest = os.path.join(pathinfo.imagebuild(binfo), 'disk-a.tar.gz')
    assert os.stat(dest).st_ino == os.stat(archives[0]).st_ino
    archive = hub.listArchives(buildID=binfo['id'])[0]
    assert hub.getArchive(archive['id'])['arch'] == 'aarch64'


def run_in_pty(cmd, env):
    """Run cmd with a terminal on stdin (its own session and foreground group), so the
    client believes someone is watching; stdout and stderr stay pipes."""
    master, slave = pty.openpty()

    def become_foreground():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # bytes, not text mode: universal newlines would turn the bar's \r into \n
    try:
        proc = subprocess.run(cmd, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              preexec_fn=become_foreground, env=env, timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    proc.stdout = proc.stdout.decode()
    proc.stderr = proc.stderr.decode()
    return proc


def test_import_archive_progress_bar(hub_server, hub, archives, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))

    def cmd(*opts):
        return [sys.executable, KOJI, '-c', hub_server.config_file, '-p', hub_server.profile,
                '--user', hub_server.admin_user, '--password', hub_server.admin_password,
                'import-archive', '--create-build', '--type', 'image', '--type-info',
                'x86_64'] + list(opts) + [uniq('imgbar') + '-1-1', archives[1]]
    res = run_in_pty(cmd(), env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split('\n')
    assert lines[0] == 'Uploading archive: disk-b.iso'
    assert lines[2:] == ['Imported: disk-b.iso', '']
    updates = lines[1].split('\r')
    assert updates[-1] == ''
    pattern = (r'^\[(=*) *\] +(\d\d+)% \d\d:\d\d:\d\d +([\d.]+ [KMG]?i?B) '
               r'+(- B|[\d.]+ [KMG]?i?B)/sec$')
    seen = [re.match(pattern, u) for u in updates[:-1]]
    assert seen and all(seen), updates
    # 36 columns of bar, then the fields at fixed widths
    assert all(u.index(']') == 37 for u in updates[:-1])
    last = seen[-1]
    assert (last.group(1), last.group(2), last.group(3)) == ('=' * 36, '100', '2.00 MiB')
    # --noprogress: no bar even with a terminal
    res = run_in_pty(cmd('--noprogress'), env)
    assert res.returncode == 0, res.stderr
    assert res.stdout == archive_lines(archives[1])


@pytest.fixture(scope='module')
def maven_hub(hub_server):
    hub_server.restart({'EnableMaven': True, 'EnableWin': True})
    return hub_server


def test_import_archive_maven(maven_hub, run, hub, pathinfo, tmp_path):
    artifact = uniq('art')
    pom = tmp_path / ('%s-1.2.pom' % artifact)
    pom.write_text(POM % artifact)
    jar = tmp_path / ('%s-1.2.jar' % artifact)
    subprocess.run(['tar', 'cf', str(jar), '-C', str(tmp_path), pom.name], check=True)
    nvr = 'org.kojitest-%s-1.2-1' % artifact
    out = ok(run('import-archive', '--create-build', '--type', 'maven', '--type-info', str(pom),
                 nvr, str(jar), str(pom)))
    assert out == archive_lines(str(jar), str(pom))
    binfo = hub.getBuild(nvr, strict=True)
    maven = {'group_id': 'org.kojitest', 'artifact_id': artifact, 'version': '1.2'}
    assert hub.getMavenBuild(binfo['id']) == dict(maven, build_id=binfo['id'])
    for path in (jar, pom):
        dest = os.path.join(pathinfo.mavenbuild(binfo),
                            pathinfo.mavenfile(dict(maven, filename=path.name)))
        assert filecmp.cmp(str(path), dest, shallow=False)


def test_import_archive_win(maven_hub, run, hub, pathinfo, tmp_path):
    exe = tmp_path / 'tool.exe'
    exe.write_bytes(b'MZ' + os.urandom(1000))
    nvr = uniq('winpkg') + '-1-1'
    out = ok(run('import-archive', '--create-build', '--type', 'win', '--type-info',
                 'bin/x64:w10 w11:debug strict', nvr, str(exe)))
    assert out == archive_lines(str(exe))
    binfo = hub.getBuild(nvr, strict=True)
    assert hub.getWinBuild(binfo['id'])['platform'] == 'import'
    archive = hub.getArchive(hub.listArchives(buildID=binfo['id'])[0]['id'])
    assert (archive['relpath'], archive['platforms'], archive['flags']) == \
        ('bin/x64', 'w10 w11', 'debug strict')
    dest = os.path.join(pathinfo.winbuild(binfo), 'bin/x64/tool.exe')
    assert filecmp.cmp(str(exe), dest, shallow=False)
