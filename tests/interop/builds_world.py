"""A realistic build data set on a test hub, shared by the CLI and interop build tests.

``make_world(hub, hub_server, rpm_builds, signed_rpms)`` fills the hub (through its API
where the hub has a call for it) with:

- the tag chain ``bw-base`` <- ``bw-mid`` <- ``bw-leaf``, the packages on ``bw-base``;
- the real rpmbuild builds ``kojitest-noarch-1.0-1`` and ``kojitest-arch-2.1-3`` (srpm and
  rpms uploaded and imported), signed headers for every rpm of both and a signed copy
  written for the noarch rpm;
- empty builds: ``kojitest-noarch-0.9-1`` (older), ``bw-empty-1-1`` (untagged, with extra
  and a source), ``bw-failed-1-1`` (FAILED), a draft ``bw-draft``, ``bw-image-1-1`` with an
  imported qcow2 image archive, and ``bw-maven-1-1`` / ``bw-win-1-1`` with type rows and
  one archive each;
- tagging: base gets noarch-0.9, maven, win, image and the draft, mid gets noarch-1.0,
  leaf gets the arch build;
- a standard buildroot (host, task, repo of bw-leaf) that built the arch rpms and lists
  the noarch rpm (as an update), the arch srpm and the maven jar as components, and a
  content generator buildroot that built the noarch rpm and the image; the arch build
  refers to the task.

The hub has no calls yet for maven/win build rows, buildroots or repos, so those rows go
in with SQL on the hub's database. Returns a ``World`` with the ids the tests need.
"""
import base64
import dataclasses
import os

import psycopg2

import koji

TAGS = ('bw-base', 'bw-mid', 'bw-leaf')
PACKAGES = ('kojitest-noarch', 'kojitest-arch', 'bw-empty', 'bw-failed', 'bw-draft',
            'bw-image', 'bw-maven', 'bw-win')


@dataclasses.dataclass
class World:
    noarch: dict
    arch: dict
    rpms: dict            # file name -> rpm record
    sigkey: str
    builds: dict          # nvr (draft: 'bw-draft') -> build id
    task_id: int
    buildroot_id: int
    cg_buildroot_id: int
    repo_id: int
    tag_event: int        # the last event before the leaf was tagged
    host: str


def sql(hub_server, query, params=None, fetch=False):
    conn = psycopg2.connect(hub_server.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params or {})
            if fetch:
                return cur.fetchall()
    finally:
        conn.close()


def _import(hub, paths, reldir):
    records = {}
    for path in paths:
        hub.uploadWrapper(path, reldir)
        rec = hub.importRPM(reldir, os.path.basename(path))
        records[os.path.basename(path)] = rec
    return records


def _typed_rows(hub_server, builds):
    """maven/win build rows, build types and one archive each, straight in the database."""
    maven, win = builds['bw-maven-1-1'], builds['bw-win-1-1']
    sql(hub_server, """
        INSERT INTO maven_builds (build_id, group_id, artifact_id, version)
            VALUES (%(maven)s, 'org.example.bw', 'bw-maven', '1.0');
        INSERT INTO win_builds (build_id, platform) VALUES (%(win)s, 'w10 w11');
        INSERT INTO build_types (build_id, btype_id)
            SELECT %(maven)s, id FROM btype WHERE name = 'maven'
            UNION ALL SELECT %(win)s, id FROM btype WHERE name = 'win';
        WITH a AS (
            INSERT INTO archiveinfo (type_id, btype_id, build_id, filename, size, checksum,
                                     checksum_type)
            SELECT t.id, b.id, %(maven)s, 'bw-maven-1.0.jar', 10, 'abc', 0
              FROM archivetypes t, btype b WHERE t.name = 'jar' AND b.name = 'maven'
            RETURNING id)
        INSERT INTO maven_archives (archive_id, group_id, artifact_id, version)
            SELECT id, 'org.example.bw', 'bw-maven', '1.0' FROM a;
        WITH a AS (
            INSERT INTO archiveinfo (type_id, btype_id, build_id, filename, size, checksum,
                                     checksum_type)
            SELECT t.id, b.id, %(win)s, 'bw-tool.exe', 20, 'def', 0
              FROM archivetypes t, btype b WHERE t.name = 'exe' AND b.name = 'win'
            RETURNING id)
        INSERT INTO win_archives (archive_id, relpath, platforms, flags)
            SELECT id, 'bin/x64', 'w10 w11', 'debug' FROM a;
    """, {'maven': maven, 'win': win})


def _buildroots(hub, hub_server, world_rpms, task_id):
    """A standard and a content generator buildroot, as the builder and CGImport make."""
    rows = sql(hub_server, """
        INSERT INTO repo (tag_id, state, create_event)
            SELECT id, 1, get_event() FROM tag WHERE name = 'bw-leaf' RETURNING id
    """, fetch=True)
    repo_id = rows[0][0]
    host = hub.getHost('bw-host.example.com')
    rows = sql(hub_server, """
        INSERT INTO buildroot (br_type, container_type, container_arch, host_os, host_arch)
            VALUES (0, 'chroot', 'x86_64', NULL, NULL) RETURNING id
    """, fetch=True)
    br_id = rows[0][0]
    sql(hub_server, """
        INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, state)
            VALUES (%(br)s, %(host)s, %(repo)s, %(task)s, 3)
    """, {'br': br_id, 'host': host['id'], 'repo': repo_id, 'task': task_id})
    rows = sql(hub_server, """
        INSERT INTO content_generator (name) VALUES ('bw-cg') RETURNING id
    """, fetch=True)
    cg_id = rows[0][0]
    rows = sql(hub_server, """
        INSERT INTO buildroot (br_type, cg_id, cg_version, container_type, container_arch,
                               host_os, host_arch, extra)
            VALUES (1, %(cg)s, '1.2', 'none', 'noarch', 'Fedora 40', 'x86_64', NULL)
            RETURNING id
    """, {'cg': cg_id}, fetch=True)
    cg_br = rows[0][0]
    arch_ids = [r['id'] for r in world_rpms.values()
                if r['name'].startswith('kojitest-arch') and r['arch'] != 'src']
    noarch_ids = [r['id'] for r in world_rpms.values() if r['arch'] == 'noarch']
    arch_srpm = [r['id'] for r in world_rpms.values()
                 if r['name'] == 'kojitest-arch' and r['arch'] == 'src']
    sql(hub_server, """
        UPDATE rpminfo SET buildroot_id = %(br)s WHERE id = ANY(%(arch)s);
        UPDATE rpminfo SET buildroot_id = %(cg)s WHERE id = ANY(%(noarch)s);
        INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update)
            SELECT %(br)s, unnest(%(noarch)s::integer[]), TRUE
            UNION ALL SELECT %(br)s, unnest(%(srpm)s::integer[]), FALSE;
        UPDATE archiveinfo SET buildroot_id = %(cg)s WHERE filename = 'bw-disk.qcow2';
        INSERT INTO buildroot_archives (buildroot_id, archive_id, project_dep)
            SELECT %(br)s, id, FALSE FROM archiveinfo WHERE filename = 'bw-maven-1.0.jar';
    """, {'br': br_id, 'cg': cg_br, 'arch': arch_ids, 'noarch': noarch_ids,
          'srpm': arch_srpm})
    return br_id, cg_br, repo_id


def make_world(hub, hub_server, rpm_builds, signed_rpms):
    hub.createTag('bw-base', arches='x86_64 noarch')
    hub.createTag('bw-mid', parent='bw-base')
    hub.createTag('bw-leaf', parent='bw-mid')
    for pkg in PACKAGES:
        hub.packageListAdd('bw-base', pkg, hub_server.admin_user)
    rpms = _import(hub, rpm_builds.noarch.paths, 'cli-import/bw-noarch')
    rpms.update(_import(hub, rpm_builds.arch.paths, 'cli-import/bw-arch'))
    # signatures for every rpm; a signed copy of the noarch rpm only
    for build in signed_rpms.builds.values():
        for path in build.paths:
            rec = rpms[os.path.basename(path)]
            data = base64.b64encode(koji.rip_rpm_sighdr(path)).decode()
            hub.addRPMSig(rec['id'], data)
    noarch_rpm = [r for r in rpms.values() if r['arch'] == 'noarch'][0]
    hub.writeSignedRPM(noarch_rpm['id'], signed_rpms.sigkey)
    builds = {}
    for rec in rpms.values():
        builds['%(name)s-%(version)s-%(release)s' % rec['build']] = rec['build_id']
    for name, version in (('kojitest-noarch', '0.9'), ('bw-empty', '1'), ('bw-failed', '1'),
                          ('bw-image', '1'), ('bw-maven', '1'), ('bw-win', '1')):
        builds['%s-%s-1' % (name, version)] = hub.createEmptyBuild(name, version, '1', None)
    builds['bw-draft'] = hub.createEmptyBuild('bw-draft', '1', '1', None, draft=True)
    # an image archive through the real import call
    image = os.path.join(str(hub_server.workdir), 'bw-disk.qcow2')
    with open(image, 'wb') as fo:
        fo.write(b'QFI\xfb' + b'\0' * 60)
    hub.uploadWrapper(image, 'cli-import/bw-image')
    hub.importArchive('cli-import/bw-image/bw-disk.qcow2', 'bw-image-1-1', 'image',
                      {'arch': 'x86_64'})
    _typed_rows(hub_server, builds)
    sql(hub_server, """
        UPDATE build SET state = 3 WHERE id = %(failed)s;
        UPDATE build SET extra = '{"note": "kept for tests"}',
                         source = 'git+https://example.com/bw-empty.git#abc123'
            WHERE id = %(empty)s;
    """, {'failed': builds['bw-failed-1-1'], 'empty': builds['bw-empty-1-1']})
    arch_nvr = rpm_builds.arch.nvr
    for tag, nvr in (('bw-base', 'kojitest-noarch-0.9-1'), ('bw-base', 'bw-maven-1-1'),
                     ('bw-base', 'bw-win-1-1'), ('bw-base', 'bw-image-1-1'),
                     ('bw-base', builds['bw-draft']), ('bw-mid', rpm_builds.noarch.nvr)):
        hub.tagBuildBypass(tag, nvr, force=True)
    tag_event = hub.getLastEvent()['id']
    hub.tagBuildBypass('bw-leaf', arch_nvr, force=True)
    hub.addHost('bw-host.example.com', ['x86_64'])
    task_id = hub.makeTask('sleep', [1])
    sql(hub_server, "UPDATE build SET task_id = %(t)s WHERE id = %(b)s",
        {'t': task_id, 'b': builds[arch_nvr]})
    br_id, cg_br, repo_id = _buildroots(hub, hub_server, rpms, task_id)
    return World(noarch=rpm_builds.noarch, arch=rpm_builds.arch, rpms=rpms,
                 sigkey=signed_rpms.sigkey, builds=builds, task_id=task_id,
                 buildroot_id=br_id, cg_buildroot_id=cg_br, repo_id=repo_id,
                 tag_event=tag_event, host='bw-host.example.com')
