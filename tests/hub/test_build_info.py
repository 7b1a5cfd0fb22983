"""kojihub.builds.build_info: typed build/archive reads, changelogs from real srpms, logs,
releases."""
import base64
import datetime
import hashlib
import os
import shutil
import subprocess

import pytest

import koji
from koji.context import context
from kojihub.builds import archives, build_write
from kojihub.core import db
from kojihub.builds.build_info import BuildInfoExports
from kojihub.api.exports import RootExports
from kojihub.builds.rpm_import import RpmImportExports
from kojihub.builds.rpms import RpmExports
from kojihub.tasks.uploads import UploadExports

api = BuildInfoExports()


class RpmApi(RpmExports, RpmImportExports):
    """The rpm calls, importRPM included."""


rapi = RpmApi()
uapi = UploadExports()

NEW_CALLS = ('getMavenBuild', 'getWinBuild', 'getImageBuild', 'getMavenArchive',
             'getWinArchive', 'getImageArchive', 'getChangelogEntries', 'getBuildLogs',
             'getNextRelease')


@pytest.fixture
def admin(make_user, login_as):
    make_user('infoadmin', perms=['admin'])
    return login_as('infoadmin')


def import_paths(paths, reldir='info-import/x'):
    """Upload and importRPM each path (srpm first); returns the rpm records."""
    records = []
    for path in paths:
        with open(path, 'rb') as fo:
            data = fo.read()
        name = os.path.basename(path)
        digest = ('sha256', hashlib.sha256(data).hexdigest())
        assert uapi.uploadFile(reldir, name, len(data), digest, 0,
                               base64.b64encode(data).decode())
        assert uapi.uploadFile(reldir, name, len(data), digest, -1, '')
        context.event_id = None
        records.append(rapi.importRPM(reldir, name))
    return records


def header_changelog(path):
    """(time, name, text) triples as rpm itself reads them, newest first."""
    out = subprocess.run(['rpm', '-qp', '--nosignature', '--nodigest', '--qf',
                          '[%{CHANGELOGTIME}\\t%{CHANGELOGNAME}\\t%{CHANGELOGTEXT}\\n]', path],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return [(int(t), n, x) for t, n, x in (line.split('\t') for line in out.splitlines())]


@pytest.fixture
def arch_build(topdir, admin, rpm_builds):
    records = import_paths(rpm_builds.arch.paths)
    return records[0]['build'], rpm_builds.arch


def new_build(name, version='1', release='1', **kw):
    data = {'name': name, 'version': version, 'release': release, 'epoch': None}
    data.update(kw)
    build_id = build_write.new_build(data)
    context.event_id = None
    return build_id


def test_calls_are_exported():
    for name in NEW_CALLS:
        assert callable(getattr(RootExports, name))


# -- changelogs ----------------------------------------------------------------------------


def test_changelog_of_imported_build(arch_build):
    binfo, build = arch_build
    expected = header_changelog(build.srpm)
    assert len(expected) == 2
    entries = api.getChangelogEntries(binfo['id'])
    assert [(e['date_ts'], e['author'], e['text']) for e in entries] == expected
    for entry in entries:
        assert set(entry) == {'date', 'date_ts', 'author', 'text'}
        assert entry['date'] == datetime.datetime.fromtimestamp(entry['date_ts']).isoformat(' ')
    assert entries[0]['text'] == '- third release'
    assert entries[0]['author'] == 'Koji Tester <kojitest@example.com> - 2.1-3'
    # the NVR works as well as the id
    assert api.getChangelogEntries(buildID=build.nvr) == entries


def test_changelog_filters_and_query_opts(arch_build):
    binfo, build = arch_build
    newest, oldest = header_changelog(build.srpm)
    bid = binfo['id']
    assert [e['text'] for e in api.getChangelogEntries(bid, author=oldest[1])] == [oldest[2]]
    assert api.getChangelogEntries(bid, author='nobody') == []
    # before/after are exclusive and take ints, ISO text and datetimes
    assert [e['date_ts'] for e in api.getChangelogEntries(bid, before=newest[0])] == \
        [oldest[0]]
    assert [e['date_ts'] for e in api.getChangelogEntries(bid, after=oldest[0])] == \
        [newest[0]]
    iso = datetime.datetime.utcfromtimestamp(newest[0]).strftime('%Y-%m-%d %H:%M:%S')
    assert len(api.getChangelogEntries(bid, before=iso)) == 1
    when = datetime.datetime.fromtimestamp(oldest[0], datetime.timezone.utc)
    assert len(api.getChangelogEntries(bid, after=when)) == 1
    with pytest.raises(koji.GenericError, match="Invalid type for before: <class 'dict'>"):
        api.getChangelogEntries(bid, before={'x': 1})
    with pytest.raises(koji.GenericError, match='Invalid type for after'):
        api.getChangelogEntries(bid, after=[1])
    with pytest.raises(koji.GenericError, match='Invalid time for before'):
        api.getChangelogEntries(bid, before='not a date')
    # date orders by the timestamp; python-side paging and counting
    asc = api.getChangelogEntries(bid, queryOpts={'order': 'date'})
    assert [e['date_ts'] for e in asc] == [oldest[0], newest[0]]
    assert len(api.getChangelogEntries(bid, queryOpts={'limit': 1})) == 1
    assert api.getChangelogEntries(bid, queryOpts={'countOnly': True}) == 2
    rows = api.getChangelogEntries(bid, queryOpts={'asList': True, 'order': '-date'})
    assert rows[0][1:] == [newest[1], newest[2]]
    assert isinstance(rows[0], list) and len(rows[0]) == 3


def test_changelog_from_task_output(arch_build, topdir):
    _binfo, build = arch_build
    taskdir = os.path.join(topdir, 'work', koji.pathinfo.taskrelpath(4242))
    os.makedirs(taskdir)
    shutil.copy(build.srpm, os.path.join(taskdir, 'x.src.rpm'))
    entries = api.getChangelogEntries(taskID=4242, filepath='x.src.rpm')
    assert [e['text'] for e in entries] == ['- third release', '- first build']
    assert api.getChangelogEntries(taskID=4242, filepath='missing.rpm') == []
    with pytest.raises(koji.GenericError, match="SRPM .*missing.rpm doesn't exist"):
        api.getChangelogEntries(taskID=4242, filepath='missing.rpm', strict=True)
    with pytest.raises(koji.GenericError, match='filepath must be specified with taskID'):
        api.getChangelogEntries(taskID=4242)
    for bad in ('../x.src.rpm', '/etc/passwd'):
        with pytest.raises(koji.GenericError, match='Invalid filepath'):
            api.getChangelogEntries(taskID=4242, filepath=bad)
    with pytest.raises(koji.GenericError, match='either buildID or taskID'):
        api.getChangelogEntries()


def test_changelog_missing_sources(arch_build, topdir):
    binfo, build = arch_build
    assert api.getChangelogEntries(999999) == []
    with pytest.raises(koji.GenericError, match='No such build: 999999'):
        api.getChangelogEntries(999999, strict=True)
    empty = new_build('no-srpm')
    assert api.getChangelogEntries(empty) == []
    with pytest.raises(koji.GenericError, match="doesn't have srpms"):
        api.getChangelogEntries(empty, strict=True)
    srpm = [r for r in rapi.listRPMs(buildID=binfo['id']) if r['arch'] == 'src'][0]
    os.unlink(os.path.join(koji.pathinfo.build(binfo), koji.pathinfo.rpm(srpm)))
    assert api.getChangelogEntries(binfo['id']) == []
    with pytest.raises(koji.GenericError, match="SRPM .* doesn't exist"):
        api.getChangelogEntries(binfo['id'], strict=True)


# -- typed builds and archives -------------------------------------------------------------


@pytest.fixture
def typed(topdir, admin, tmp_path):
    """A maven, a win and an image build, each with one archive; plus a plain build."""
    ids = {}
    for name in ('mvn', 'winb', 'img', 'plain'):
        ids[name] = new_build(name)
    db.InsertProcessor('maven_builds', data={'build_id': ids['mvn'], 'group_id': 'org.ex',
                                             'artifact_id': 'mvn', 'version': '1'}).execute()
    db.InsertProcessor('win_builds', data={'build_id': ids['winb'],
                                           'platform': 'w10'}).execute()
    for btype, name in (('maven', 'mvn'), ('win', 'winb')):
        build_write.new_typed_build({'id': ids[name]}, btype)
    files = {}
    for fn in ('mvn-1.jar', 'tool.exe', 'disk.qcow2'):
        files[fn] = tmp_path / fn
        files[fn].write_bytes(b'payload of ' + fn.encode())
    get = lambda name: build_write.get_build(ids[name], strict=True)  # noqa: E731
    ids['mvn_archive'] = archives.import_archive(
        str(files['mvn-1.jar']), get('mvn'), 'maven',
        {'group_id': 'org.ex', 'artifact_id': 'mvn', 'version': '1'})['id']
    ids['win_archive'] = archives.import_archive(
        str(files['tool.exe']), get('winb'), 'win',
        {'relpath': 'bin', 'platforms': ['w10', 'w11'], 'flags': ['debug']})['id']
    ids['img_archive'] = archives.import_archive(
        str(files['disk.qcow2']), get('img'), 'image', {'arch': 'x86_64'})['id']
    return ids


def test_typed_builds(typed):
    assert api.getMavenBuild(typed['mvn']) == {'build_id': typed['mvn'], 'group_id': 'org.ex',
                                               'artifact_id': 'mvn', 'version': '1'}
    assert api.getMavenBuild('mvn-1-1')['build_id'] == typed['mvn']
    assert api.getWinBuild(typed['winb']) == {'build_id': typed['winb'], 'platform': 'w10'}
    assert api.getImageBuild(typed['img']) == {'build_id': typed['img']}
    for call in (api.getMavenBuild, api.getWinBuild, api.getImageBuild):
        assert call(typed['plain']) is None
        assert call(999999) is None
        with pytest.raises(koji.GenericError):
            call(typed['plain'], strict=True)
        with pytest.raises(koji.GenericError, match='No such build'):
            call('nosuch-1-1', strict=True)


def test_typed_archives(typed):
    mvn = api.getMavenArchive(typed['mvn_archive'])
    assert mvn == {'archive_id': typed['mvn_archive'], 'group_id': 'org.ex',
                   'artifact_id': 'mvn', 'version': '1'}
    win = api.getWinArchive(typed['win_archive'])
    assert win == {'archive_id': typed['win_archive'], 'relpath': 'bin',
                   'platforms': 'w10 w11', 'flags': 'debug'}
    img = api.getImageArchive(typed['img_archive'])
    assert img == {'archive_id': typed['img_archive'], 'arch': 'x86_64', 'rootid': False}
    # a recorded rpm component makes it a root image
    rpm_id = db.nextval('rpminfo_id_seq')
    db.InsertProcessor('rpminfo', data={
        'id': rpm_id, 'build_id': typed['plain'], 'name': 'plain', 'version': '1',
        'release': '1', 'arch': 'noarch', 'external_repo_id': 0, 'payloadhash': 'ab' * 16,
        'size': 1, 'buildtime': 1, 'draft': False}).execute()
    db.InsertProcessor('archive_rpm_components', data={'archive_id': typed['img_archive'],
                                                       'rpm_id': rpm_id}).execute()
    assert api.getImageArchive(typed['img_archive'])['rootid'] is True
    # the wrong type, or no archive at all
    assert api.getMavenArchive(typed['img_archive']) is None
    assert api.getWinArchive(999999) is None
    with pytest.raises(koji.GenericError, match='query returned no rows'):
        api.getImageArchive(typed['mvn_archive'], strict=True)


# -- logs and releases ---------------------------------------------------------------------


def test_build_logs(topdir, admin):
    build_id = new_build('logged')
    binfo = build_write.get_build(build_id, strict=True)
    assert api.getBuildLogs(build_id) == []
    logdir = koji.pathinfo.build_logs(binfo)
    for rel in ('build.log', 'noarch/root.log', 'x86_64/deep/state.log'):
        os.makedirs(os.path.dirname(os.path.join(logdir, rel)), exist_ok=True)
        with open(os.path.join(logdir, rel), 'w') as fo:
            fo.write('log\n')
    os.makedirs(os.path.join(logdir, 'empty'))
    os.symlink('/etc/passwd', os.path.join(logdir, 'noarch', 'link.log'))
    os.mkfifo(os.path.join(logdir, 'pipe'))
    logs = sorted(api.getBuildLogs('logged-1-1'), key=lambda x: (x['dir'], x['name']))
    base = os.path.relpath(logdir, topdir)
    assert logs == [
        {'name': 'build.log', 'dir': '.', 'path': os.path.join(base, 'build.log')},
        {'name': 'root.log', 'dir': 'noarch', 'path': os.path.join(base, 'noarch/root.log')},
        {'name': 'state.log', 'dir': 'x86_64/deep',
         'path': os.path.join(base, 'x86_64/deep/state.log')},
    ]
    with pytest.raises(koji.GenericError, match='No such build'):
        api.getBuildLogs('nosuch-1-1')
    shutil.rmtree(logdir)
    with open(logdir, 'w') as fo:
        fo.write('not a dir')
    with pytest.raises(koji.GenericError, match='Not a directory'):
        api.getBuildLogs(build_id)


def test_next_release(admin):
    info = {'name': 'rel', 'version': '2'}
    assert api.getNextRelease(info) == '1'
    assert api.getNextRelease(info, incr=3) == '3'
    cases = [('1', '2'), ('9.fc40', '10.fc40'), ('20240101.nightly.7', '20240101.nightly.8')]
    for release, bumped in cases:
        new_build('rel', '2', release)
        assert api.getNextRelease(info) == bumped
    # drafts and failed builds do not count; other versions neither
    new_build('rel', '2', '50', draft=True)
    new_build('rel', '2', '60', state=koji.BUILD_STATES['FAILED'])
    new_build('rel', '3', '70')
    assert api.getNextRelease(info) == '20240101.nightly.8'
    assert api.getNextRelease('rel-2-1', incr=2) == '20240101.nightly.9'
    for bad in ('foo', '1.2.fc40', 'a.b.c.d'):
        new_build('odd' + str(len(bad)), '1', bad)
        with pytest.raises(koji.BuildError, match='Unable to increment release value: '):
            api.getNextRelease({'name': 'odd' + str(len(bad)), 'version': '1'})
    for bad in ('1', None, 1.5, True, [1]):
        with pytest.raises(koji.ParameterError, match='incr parameter must be an integer'):
            api.getNextRelease(info, incr=bad)
    with pytest.raises(koji.ParameterError):
        api.getNextRelease({'name': 'rel'})
    with pytest.raises(koji.GenericError, match='No such build'):
        api.getNextRelease('nosuch-1-1')
