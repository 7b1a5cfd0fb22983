"""grant-cg-access, revoke-cg-access, reserve-cg and import-cg through our CLI against a
real hub, with a real rpm, a log and an archive of a btype added for the test."""
import hashlib
import json
import os
import shutil

import pytest

import koji
from tests.cli.rpmkit import build_kit
from tests.fixtures.cli import uniq


def sha256(path):
    with open(path, 'rb') as fo:
        return hashlib.sha256(fo.read()).hexdigest()


@pytest.fixture(scope='module')
def cg(hub):
    name = uniq('cli-cg')
    hub.grantCGAccess(hub.getLoggedInUser()['name'], name, create=True)
    btypes = [b['name'] for b in hub.listBTypes()]
    if 'clitype' not in btypes:
        hub.addBType('clitype')
    return name


def make_files(tmp_path, cg, name, release='1'):
    """A files dir and metadata.json for build <name>-1.0-<release>."""
    kit = build_kit(tmp_path / 'kit', name, '1.0', release, noarch=True)
    files = tmp_path / 'files'
    os.makedirs(files / 'sub')
    outputs = []
    for path in [kit.srpm] + list(kit.rpms):
        dst = files / os.path.basename(path)
        shutil.copy2(path, dst)
        outputs.append({'buildroot_id': 1, 'filename': dst.name, 'type': 'rpm',
                        'arch': 'src' if dst.name.endswith('.src.rpm') else 'noarch',
                        'filesize': os.path.getsize(dst), 'checksum': sha256(dst),
                        'checksum_type': 'sha256'})
    log = files / 'build.log'
    log.write_text('done\n')
    archive = files / 'sub' / 'bundle.zip'
    archive.write_bytes(b'PK\x05\x06' + b'\0' * 18)
    for path, extra in ((log, {'type': 'log'}),
                        (archive, {'type': 'zip', 'relpath': 'sub',
                                   'extra': {'typeinfo': {'clitype': {}}}})):
        entry = {'buildroot_id': 1, 'filename': path.name, 'arch': 'noarch',
                 'filesize': os.path.getsize(path), 'checksum': sha256(path),
                 'checksum_type': 'sha256'}
        entry.update(extra)
        outputs.append(entry)
    metadata = {
        'metadata_version': 0,
        'build': {'name': name, 'version': '1.0', 'release': release, 'source': 'none',
                  'start_time': 1700000000, 'end_time': 1700000050,
                  'extra': {'typeinfo': {'clitype': {}}}},
        'buildroots': [{'id': 1, 'host': {'os': 'linux', 'arch': 'x86_64'},
                        'content_generator': {'name': cg, 'version': '1'},
                        'container': {'type': 'none', 'arch': 'x86_64'},
                        'tools': [], 'components': []}],
        'output': outputs,
    }
    mdfile = tmp_path / 'metadata.json'
    mdfile.write_text(json.dumps(metadata))
    return str(mdfile), str(files), metadata


def test_grant_and_revoke(cli, hub, cg):
    user = uniq('cguser')
    hub.createUser(user)
    res = cli('grant-cg-access', user, cg)
    assert (res.returncode, res.stdout, res.stderr) == (0, '', '')
    assert user in hub.listCGs()[cg]['users']
    res = cli('revoke-cg-access', user, cg)
    assert (res.returncode, res.stdout, res.stderr) == (0, '', '')
    assert user not in hub.listCGs()[cg]['users']
    res = cli('grant-cg-access', 'nosuchuser', cg)
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: No such user: nosuchuser\n')
    res = cli('grant-cg-access', user)
    assert res.returncode == 2
    assert 'error: Please specify a user and content generator' in res.stderr
    new_cg = uniq('cli-newcg')
    res = cli('grant-cg-access', user, new_cg)
    assert res.returncode == 1 and 'No such entry in table content_generator' in res.stderr
    assert cli('grant-cg-access', '--new', user, new_cg).returncode == 0
    assert hub.listCGs()[new_cg]['users'] == [user]


def test_import_cg(cli, hub, cg, tmp_path):
    name = uniq('cgcli')
    mdfile, files, metadata = make_files(tmp_path, cg, name)
    res = cli('import-cg', '--test', mdfile, files)
    assert (res.returncode, res.stdout) == (0, '')
    assert hub.getBuild('%s-1.0-1' % name) is None
    res = cli('import-cg', '--noprogress', mdfile, files)
    assert res.returncode == 0, res.stderr
    build = hub.getBuild('%s-1.0-1' % name)
    lines = res.stdout.splitlines()
    assert lines[-1] == 'Imported build %s-1.0-1 with id %s' % (name, build['id'])
    assert sorted(lines[:-1]) == sorted(
        'Uploading %s' % os.path.join(files, o.get('relpath', ''), o['filename'])
        for o in metadata['output'])
    assert build['cg_name'] == cg
    assert sorted(r['arch'] for r in hub.listRPMs(buildID=build['id'])) == ['noarch', 'src']
    assert [a['filename'] for a in hub.listArchives(buildID=build['id'])] == ['bundle.zip']
    assert [log['name'] for log in hub.getBuildLogs(build['id'])] == ['build.log']
    # the same NVR again is refused by the hub
    res = cli('import-cg', '--noprogress', mdfile, files)
    assert res.returncode == 1
    assert 'Build already exists: %s-1.0-1' % name in res.stderr


def test_import_cg_bad_input(cli, cg, tmp_path):
    mdfile, files, metadata = make_files(tmp_path, cg, uniq('cgbad'))
    os.unlink(os.path.join(files, 'build.log'))
    res = cli('import-cg', mdfile, files)
    assert res.returncode == 2
    assert res.stderr.endswith('koji: error: No such file: %s\n'
                               % os.path.join(files, 'build.log'))
    res = cli('import-cg', mdfile)
    assert res.returncode == 2
    assert 'error: Please specify metadata files directory' in res.stderr
    del metadata['output']
    with open(mdfile, 'w') as fo:
        json.dump(metadata, fo)
    res = cli('import-cg', mdfile, files)
    assert (res.returncode, res.stderr) == (1, 'Metadata contains no output\n')


def test_reserve_then_import(cli, hub, cg, tmp_path):
    name = uniq('cgres')
    mdfile, files, metadata = make_files(tmp_path, cg, name)
    res = cli('reserve-cg', cg, '%s-1.0-1' % name)
    assert res.returncode == 0, res.stderr
    build = hub.getBuild('%s-1.0-1' % name)
    assert build['state'] == koji.BUILD_STATES['BUILDING']
    prefix = 'Reserved build %s with token ' % build['id']
    assert res.stdout.startswith(prefix)
    token = res.stdout.strip()[len(prefix):].strip("'")
    res = cli('import-cg', '--noprogress', '--build-id', str(build['id']), '--token', 'bad',
              mdfile, files)
    assert res.returncode == 1
    assert "Token doesn't match build ID %s" % build['id'] in res.stderr
    res = cli('import-cg', '--noprogress', '--build-id', str(build['id']), '--token', token,
              mdfile, files)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == 'Imported build %s-1.0-1 with id %s' % (
        name, build['id'])
    assert hub.getBuild(build['id'])['state'] == koji.BUILD_STATES['COMPLETE']


def test_reserve_cg_from_metadata_and_errors(cli, hub, cg, tmp_path):
    name = uniq('cgmd')
    mdfile, files, metadata = make_files(tmp_path, cg, name)
    res = cli('reserve-cg', '--metadata', '--draft', cg, mdfile)
    assert res.returncode == 0, res.stderr
    build_id = int(res.stdout.split()[2])
    build = hub.getBuild(build_id)
    assert build['draft'] and build['name'] == name
    res = cli('reserve-cg', '--metadata', '--epoch', '3', cg, mdfile)
    assert res.returncode == 2
    assert 'error: The --epoch option cannot be used with --metadata' in res.stderr
    res = cli('reserve-cg', cg)
    assert res.returncode == 2
    assert 'error: The command takes exactly two arguments' in res.stderr


def test_import_cg_link(cli, hub, cg, tmp_path, pathinfo):
    name = uniq('cglink')
    mdfile, files, metadata = make_files(tmp_path, cg, name)
    res = cli('import-cg', '--link', mdfile, files)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == len(metadata['output']) + 1
    for line, out in zip(lines, metadata['output']):
        assert line.startswith('Linking rpm to: %s/cli-import/' % pathinfo.work())
        assert line.endswith('/' + os.path.join(out.get('relpath', ''), out['filename'])
                             .lstrip('/'))
    build = hub.getBuild('%s-1.0-1' % name)
    assert lines[-1] == 'Imported build %s-1.0-1 with id %s' % (name, build['id'])
    # the stored log is the very file linked in
    log = os.path.join(pathinfo.build_logs(build), 'build.log')
    assert os.path.samefile(log, os.path.join(files, 'build.log'))
