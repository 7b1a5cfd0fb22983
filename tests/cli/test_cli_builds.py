"""Build and rpm commands of our CLI against the real hub and real imported rpms.

The module's hub gets the data set of tests/interop/builds_world.py once: the rpmbuild
noarch and arch builds (srpm + rpms, signed headers, one signed copy) in an inherited tag
chain, typed and draft builds, and buildroots. Expected output is computed from the hub's
own records, so a formatting or a selection mistake shows up as a difference.
"""
import os
import time

import pytest

import koji
from tests.interop.builds_world import make_world

BUILD_HEADER = ("Build                                     Tag                   Built by\n"
                "----------------------------------------  --------------------  "
                "----------------\n")
LIST_HEADER = ("%-55s  %-16s  %s\n" % ("Build", "Built by", "State")
               + "%s  %s  %s\n" % ("-" * 55, "-" * 16, "-" * 16))


@pytest.fixture(scope='module')
def world(hub, hub_server, rpm_builds, signed_rpms):
    return make_world(hub, hub_server, rpm_builds, signed_rpms)


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ''
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.startswith('Usage: koji ')
    assert res.stderr.endswith('koji: error: %s\n' % message)


def build_row(nvr, tag, owner):
    return "%-40s  %-20s  %s\n" % (nvr, tag, owner)


def rpm_paths(hub, pathinfo, nvr, sigkey=None):
    build = hub.getBuild(nvr)
    lines = []
    for rpm in hub.listRPMs(buildID=build['id']):
        line = os.path.join(pathinfo.build(build), pathinfo.rpm(rpm))
        if sigkey:
            line += '\tSignatures: %s' % sigkey
        lines.append(line)
    return lines


# -- buildinfo -----------------------------------------------------------------------------


def test_buildinfo_of_an_imported_build(cli, hub, world, pathinfo):
    nvr = world.noarch.nvr
    build = hub.getBuild(nvr)
    out = ok(cli('buildinfo', nvr, auth=False))
    expected = [
        'BUILD: %s [%d]' % (nvr, build['id']),
        'State: COMPLETE',
        'Built by: %s' % build['owner_name'],
        'Volume: DEFAULT',
        'Task: none',
        'Finished: %s' % koji.formatTimeLong(build['completion_ts']),
        'Tags: bw-mid',
        'RPMs:',
    ] + rpm_paths(hub, pathinfo, nvr, world.sigkey)
    assert out.splitlines() == expected
    # a numeric argument is a build id
    assert ok(cli('buildinfo', str(build['id']), auth=False)) == out


def test_buildinfo_changelog_and_task(cli, hub, world):
    out = ok(cli('buildinfo', '--changelog', world.arch.nvr, auth=False))
    assert 'Task: %d sleep (noarch)\n' % world.task_id in out
    assert 'Tags: bw-leaf\n' in out
    assert out.endswith(
        'Changelog:\n'
        '* Tue Feb 04 2025 Koji Tester <kojitest@example.com> - 2.1-3\n- third release\n\n'
        '* Mon Jan 06 2025 Koji Tester <kojitest@example.com> - 2.1-1\n- first build\n\n\n')
    # no srpm, no changelog section
    out = ok(cli('buildinfo', '--changelog', 'kojitest-noarch-0.9-1', auth=False))
    assert 'Changelog' not in out and 'RPMs:' not in out


def test_buildinfo_typed_and_odd_builds(cli, world, pathinfo, hub):
    out = ok(cli('buildinfo', 'bw-maven-1-1', 'bw-win-1-1', 'bw-image-1-1', 'bw-empty-1-1',
                 'bw-failed-1-1', auth=False))
    top = pathinfo.topdir
    for line in ('Maven groupId: org.example.bw', 'Maven artifactId: bw-maven',
                 'Maven version: 1.0', 'Maven archives:',
                 top + '/packages/bw-maven/1/1/maven/org/example/bw/bw-maven/1.0/'
                       'bw-maven-1.0.jar',
                 'Windows build platform: w10 w11', 'Windows archives:',
                 top + '/packages/bw-win/1/1/win/bin/x64/bw-tool.exe',
                 'Image archives:', top + '/packages/bw-image/1/1/images/bw-disk.qcow2',
                 'Source: git+https://example.com/bw-empty.git#abc123',
                 "Extra: {'note': 'kept for tests'}", 'State: FAILED', 'Tags: '):
        assert line + '\n' in out
    assert out.count('BUILD: ') == 5
    draft = hub.getBuild(world.builds['bw-draft'])
    out = ok(cli('buildinfo', str(draft['id']), auth=False))
    assert out.startswith('BUILD: %s [%d]\nDraft: YES\nState: COMPLETE\n'
                          % (draft['nvr'], draft['id']))


def test_buildinfo_errors(cli, world):
    res = cli('buildinfo', 'nosuch-1-1', world.noarch.nvr, '999999', auth=False)
    assert res.returncode == 1
    assert res.stderr == 'No such build: nosuch-1-1\n\nNo such build: 999999\n\n'
    assert res.stdout.startswith('BUILD: %s ' % world.noarch.nvr)
    usage_error(cli('buildinfo', auth=False), 'Please specify a build')


# -- rpminfo -------------------------------------------------------------------------------


def test_rpminfo_standard_buildroot(cli, hub, world, pathinfo):
    nvra = '%s.%s' % (world.arch.nvr, world.arch.arch)
    rpm = hub.getRPM(nvra)
    build = hub.getBuild(rpm['build_id'])
    srpm = hub.getRPM(world.arch.nvr + '.src')
    builddir = pathinfo.build(build)
    out = ok(cli('rpminfo', '--buildroots', nvra, auth=False))
    assert out.splitlines() == [
        'RPM: %s [%d]' % (nvra, rpm['id']),
        'Build: %s [%d]' % (build['nvr'], build['id']),
        'RPM Path: %s' % os.path.join(builddir, pathinfo.rpm(rpm)),
        'SRPM: %s [%d]' % (world.arch.nvr, srpm['id']),
        'SRPM Path: %s' % os.path.join(builddir, pathinfo.rpm(srpm)),
        'Built: %s' % koji.formatTimeLong(rpm['buildtime']),
        'SIGMD5: %s' % rpm['payloadhash'],
        'Size: %d' % rpm['size'],
        'License: MIT',
        'Build ID: %d' % build['id'],
        'Buildroot: %d (tag bw-leaf, arch x86_64, repo %d)' % (world.buildroot_id,
                                                               world.repo_id),
        'Build Host: %s' % world.host,
        'Build Task: %d' % world.task_id,
        'Used in 0 buildroots:',
    ]


def test_rpminfo_cg_buildroot_and_usage(cli, world):
    out = ok(cli('rpminfo', '--buildroots', world.noarch.nvr + '.noarch', auth=False))
    assert ('Content generator: bw-cg\nBuildroot: %d\nBuild Host OS: Fedora 40 (x86_64)\n'
            % world.cg_buildroot_id) in out
    assert out.endswith(
        'Used in 1 buildroots:\n'
        '        id build tag                    arch     build host                   \n'
        '  -------- ---------------------------- -------- -----------------------------\n'
        '  %8d %-28s %-8s %-29s\n' % (world.buildroot_id, 'bw-leaf', 'x86_64', world.host))
    # a source rpm is its own srpm
    out = ok(cli('rpminfo', world.noarch.nvr + '.src', auth=False))
    assert 'SRPM: %s [' % world.noarch.nvr in out and 'No buildroot data available' in out


def test_rpminfo_errors(cli, world):
    res = cli('rpminfo', 'nosuch-1-1.noarch', world.noarch.nvr + '.src', auth=False)
    assert res.returncode == 1
    assert res.stderr == 'No such rpm: nosuch-1-1.noarch\n\n'
    assert res.stdout.startswith('RPM: %s.src [' % world.noarch.nvr)
    usage_error(cli('rpminfo', auth=False), 'Please specify an RPM')


# -- latest-build --------------------------------------------------------------------------


def test_latest_build(cli, hub, world, pathinfo):
    owner = hub.getBuild(world.noarch.nvr)['owner_name']
    out = ok(cli('latest-build', 'bw-leaf', 'kojitest-noarch', 'kojitest-arch', auth=False))
    assert out == (BUILD_HEADER + build_row(world.noarch.nvr, 'bw-mid', owner)
                   + build_row(world.arch.nvr, 'bw-leaf', owner))
    out = ok(cli('latest-build', '--all', '--quiet', 'bw-leaf', auth=False))
    assert build_row('kojitest-noarch-0.9-1', 'bw-base', owner) not in out
    assert build_row(world.noarch.nvr, 'bw-mid', owner) in out
    assert not out.startswith('Build ')
    out = ok(cli('latest-build', '--arch', 'noarch', '--paths', 'bw-leaf', 'kojitest-noarch',
                 auth=False))
    path = out.strip()
    assert path.endswith('/noarch/%s.noarch.rpm' % world.noarch.nvr)
    assert os.path.isfile(path)
    out = ok(cli('latest-build', '--arch', 'src', '--all', 'bw-leaf', auth=False))
    assert out == '%s.src\n%s.src\n' % (world.arch.nvr, world.noarch.nvr)
    out = ok(cli('latest-build', '--type', 'maven', '--all', 'bw-leaf', auth=False))
    assert out.splitlines()[0].split() == ['Build', 'Tag', 'Group', 'Id', 'Artifact', 'Id',
                                           'Built', 'by']
    assert out.splitlines()[2].split() == ['bw-maven-1-1', 'bw-base', 'org.example.bw',
                                           'bw-maven', owner]


def test_latest_build_errors(cli):
    usage_error(cli('latest-build', auth=False), 'A tag name must be specified')
    usage_error(cli('latest-build', 'bw-leaf', auth=False),
                'A tag name and package name must be specified')
    usage_error(cli('latest-build', '--all', 'bw-leaf', 'x', auth=False),
                'A package name may not be combined with --all')
    res = cli('latest-build', 'nosuch-tag', 'x', auth=False)
    assert res.returncode == 1 and 'GenericError' in res.stderr


# -- list-tagged ---------------------------------------------------------------------------


def test_list_tagged_builds(cli, hub, world):
    owner = hub.getBuild(world.noarch.nvr)['owner_name']
    assert ok(cli('list-tagged', 'bw-leaf', auth=False)) == \
        BUILD_HEADER + build_row(world.arch.nvr, 'bw-leaf', owner)
    out = ok(cli('list-tagged', '--inherit', '--quiet', 'bw-leaf', 'kojitest-noarch',
                 auth=False))
    assert out == (build_row('kojitest-noarch-0.9-1', 'bw-base', owner)
                   + build_row(world.noarch.nvr, 'bw-mid', owner))
    out = ok(cli('list-tagged', '--inherit', '--latest', '--quiet', 'bw-leaf',
                 'kojitest-noarch', auth=False))
    assert out == build_row(world.noarch.nvr, 'bw-mid', owner)
    draft = hub.getBuild(world.builds['bw-draft'])['nvr']
    out = ok(cli('list-tagged', '--draft-only', '--quiet', 'bw-base', auth=False))
    assert out == build_row(draft, 'bw-base', owner)
    out = ok(cli('list-tagged', '--no-draft', '--quiet', 'bw-base', auth=False))
    assert draft not in out and 'bw-maven-1-1' in out


def test_list_tagged_rpms_and_sigs(cli, world, pathinfo):
    out = ok(cli('list-tagged', '--inherit', '--rpms', 'bw-leaf', auth=False))
    assert out.splitlines() == sorted([
        '%s.src' % world.arch.nvr, '%s.%s' % (world.arch.nvr, world.arch.arch),
        '%s.src' % world.noarch.nvr, '%s.noarch' % world.noarch.nvr])
    out = ok(cli('list-tagged', '--inherit', '--arch', 'noarch', '--sigs', 'bw-leaf',
                 auth=False))
    # one row per signature: the unsigned header ('' key) and the test key
    nvra = world.noarch.nvr + '.noarch'
    assert out == ' %s\n%s %s\n' % (nvra, world.sigkey, nvra)
    res = cli('list-tagged', '--inherit', '--sigs', '--paths', 'bw-leaf', auth=False)
    assert res.returncode == 0
    signed = res.stdout.splitlines()
    assert len(signed) == 1 and '/data/signed/%s/noarch/' % world.sigkey in signed[0]
    assert os.path.isfile(signed[0])
    assert 'Build directory not found: ' in res.stderr
    out = ok(cli('list-tagged', '--rpms', '--paths', 'bw-leaf', auth=False))
    assert all(os.path.isfile(p) for p in out.splitlines()) and len(out.splitlines()) == 2


def test_list_tagged_events(cli, hub, world):
    event = hub.getEvent(world.tag_event)
    out = ok(cli('list-tagged', '--inherit', '--event', str(world.tag_event), 'bw-leaf',
                 auth=False))
    lines = out.splitlines()
    assert lines[0] == 'Querying at event %d (%s)' % (
        world.tag_event, time.asctime(time.localtime(event['ts'])))
    # the leaf got its build after that event
    assert world.arch.nvr not in out and world.noarch.nvr in out
    out = ok(cli('list-tagged', '--quiet', '--repo', str(world.repo_id), 'bw-leaf',
                 auth=False))
    assert world.arch.nvr in out and not out.startswith('Querying')
    res = cli('list-tagged', '--event', '1', 'bw-leaf', auth=False)
    usage_error(res, 'No such tag: bw-leaf')
    assert res.stdout.startswith('Querying at event 1 (')


def test_list_tagged_errors(cli):
    usage_error(cli('list-tagged', auth=False), 'A tag name must be specified')
    usage_error(cli('list-tagged', 'a', 'b', 'c', auth=False),
                'Only one package name may be specified')
    usage_error(cli('list-tagged', '--draft-only', '--no-draft', 'bw-base', auth=False),
                '--draft-only conflicts with --no-draft')
    usage_error(cli('list-tagged', 'nosuch-tag', auth=False), 'No such tag: nosuch-tag')


# -- list-builds ---------------------------------------------------------------------------


def list_rows(builds):
    fmt = "%-55s  %-16s  %s\n"
    return ''.join(fmt % (b['nvr'], b['owner_name'], koji.BUILD_STATES[b['state']])
                   for b in builds)


def test_list_builds_filters(cli, hub, world):
    noarch = hub.listBuilds(packageID=hub.getPackageID('kojitest-noarch'))
    noarch.sort(key=lambda b: b['build_id'])
    assert len(noarch) == 2
    assert ok(cli('list-builds', '--package', 'kojitest-noarch', auth=False)) == \
        LIST_HEADER + list_rows(noarch)
    assert ok(cli('list-builds', '--package', 'kojitest-noarch', '-r', '--quiet',
                  auth=False)) == list_rows(noarch[::-1])
    out = ok(cli('list-builds', '--state', 'FAILED', '--quiet', auth=False))
    assert out.split() == ['bw-failed-1-1', admin_name(hub), 'FAILED']
    out = ok(cli('list-builds', '--type', 'maven', '--quiet', auth=False))
    assert out.split()[0] == 'bw-maven-1-1' and len(out.splitlines()) == 1
    out = ok(cli('list-builds', '--pattern', 'kojitest-*-1', '--quiet', auth=False))
    assert sorted(out.split()[0::3]) == ['kojitest-noarch-0.9-1', 'kojitest-noarch-1.0-1']
    out = ok(cli('list-builds', '--buildid', world.arch.nvr, '--quiet', auth=False))
    assert out.split()[0] == world.arch.nvr
    out = ok(cli('list-builds', '--task', str(world.task_id), '--quiet', auth=False))
    assert out.split()[0] == world.arch.nvr
    out = ok(cli('list-builds', '--draft-only', '--prefix', 'bw', '--quiet', auth=False))
    assert out.split()[0].startswith('bw-draft-1-1,draft_')
    out = ok(cli('list-builds', '--after', '2000-01-01', '--prefix', 'kojitest', '--quiet',
                 auth=False))
    assert len(out.splitlines()) == 3
    assert ok(cli('list-builds', '--before', '2000-01-01', '--prefix', 'kojitest',
                  '--quiet', auth=False)) == ''


def admin_name(hub):
    return hub.getLoggedInUser()['name']


def test_list_builds_sorting_and_errors(cli, hub):
    res = cli('list-builds', '-k', 'bogus', '--prefix', 'kojitest', '--quiet', auth=False)
    assert res.returncode == 0 and res.stderr == 'Invalid sort_key: bogus.\n'
    out = ok(cli('list-builds', '--prefix', 'bw', '-k', 'state', '-r', '--quiet',
                 auth=False))
    assert out.splitlines()[0].split()[0] == 'bw-failed-1-1'
    usage_error(cli('list-builds', auth=False), 'Filter must be provided for list')
    usage_error(cli('list-builds', 'x', auth=False), 'This command takes no arguments')
    usage_error(cli('list-builds', '--state', '7', auth=False), 'Invalid state: 7')
    usage_error(cli('list-builds', '--state', 'NOPE', auth=False), 'Invalid state: NOPE')
    usage_error(cli('list-builds', '--task', 'x', auth=False), 'Task id must be an integer')
    usage_error(cli('list-builds', '--package', 'nosuch', auth=False),
                'No such package: nosuch')
    usage_error(cli('list-builds', '--owner', 'nosuch', auth=False), 'No such user: nosuch')
    usage_error(cli('list-builds', '--volume', 'nosuch', auth=False),
                'No such volume: nosuch')
    usage_error(cli('list-builds', '--buildid', 'nosuch-1-1', auth=False),
                "No such build: 'nosuch-1-1'")
    usage_error(cli('list-builds', '--draft-only', '--no-draft', auth=False),
                '--draft-only conflits with --no-draft')


# -- list-untagged, list-buildroot, search --------------------------------------------------


def test_list_untagged(cli, world, pathinfo):
    assert ok(cli('list-untagged', auth=False)) == 'bw-empty-1-1\n'
    assert ok(cli('list-untagged', '--paths', auth=False)) == \
        pathinfo.topdir + '/packages/bw-empty/1/1\n'
    assert ok(cli('list-untagged', '--show-references', 'bw-empty', auth=False)) == \
        '(Showing build references)\nbw-empty-1-1 \n'
    assert ok(cli('list-untagged', 'kojitest-noarch', auth=False)) == ''
    res = cli('list-untagged', 'nosuch', auth=False)
    assert (res.returncode, res.stderr) == (1, 'No such package: nosuch\n')
    usage_error(cli('list-untagged', 'a', 'b', auth=False),
                'Only one package name may be specified')


def test_list_buildroot(cli, world):
    out = ok(cli('list-buildroot', '-v', str(world.buildroot_id), auth=False))
    assert out == ('Component RPMs:\n%s.src\n%s.noarch [update]\n\n'
                   'Component Archives:\nbw-maven-1.0.jar\n'
                   % (world.arch.nvr, world.noarch.nvr))
    out = ok(cli('list-buildroot', '--built', str(world.buildroot_id), auth=False))
    assert out == 'Built RPMs:\n%s.%s\n' % (world.arch.nvr, world.arch.arch)
    out = ok(cli('list-buildroot', '--built', str(world.cg_buildroot_id), auth=False))
    assert out == 'Built RPMs:\n%s.noarch\n\nBuilt Archives:\nbw-disk.qcow2\n' % \
        world.noarch.nvr
    assert ok(cli('list-buildroot', '999999', auth=False)) == ''
    usage_error(cli('list-buildroot', auth=False), 'Incorrect number of arguments')
    res = cli('list-buildroot', 'abc', auth=False)
    assert res.returncode == 1 and 'ValueError' in res.stderr


def test_search(cli, world):
    out = ok(cli('search', 'build', 'kojitest*', auth=False))
    assert sorted(out.split()) == sorted([world.noarch.nvr, 'kojitest-noarch-0.9-1',
                                          world.arch.nvr])
    out = ok(cli('search', 'package', '-r', '^bw-(maven|win)$', auth=False))
    assert sorted(out.split()) == ['bw-maven', 'bw-win']
    assert ok(cli('search', 'tag', '--exact', 'bw-mid', auth=False)) == 'bw-mid\n'
    assert ok(cli('search', 'tag', '--exact', 'bw-mi', auth=False)) == ''
    usage_error(cli('search', 'bogus', 'x', auth=False), 'No such search type: bogus')
    usage_error(cli('search', 'build', auth=False), 'Please specify search pattern')
    usage_error(cli('search', auth=False), 'Please specify search type')
