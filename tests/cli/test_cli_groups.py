"""Comps group commands against the real hub.

Every test makes its own tags; set-up and checks go through the hub API directly.
"""
import textwrap

import pytest

import koji
from tests.fixtures.cli import uniq


def ok(res):
    assert res.returncode == 0, res.stderr
    assert res.stderr == ''
    return res.stdout


def usage_error(res, message):
    assert res.returncode == 2
    assert res.stderr.endswith("\n\nkoji: error: %s\n" % message), res.stderr


@pytest.fixture
def tags(hub):
    """(parent, child) with the child inheriting the parent."""
    parent, child = uniq('gp'), uniq('gc')
    hub.createTag(child, parent=hub.createTag(parent))
    return parent, child


def groups_of(hub, tag, **kw):
    """{group: (blocked, [(pkg, blocked)], [(req, blocked)])} as the hub reports it."""
    result = {}
    for g in hub.getTagGroups(tag, incl_blocked=True, **kw):
        result[g['name']] = (g['blocked'],
                             sorted((p['package'], p['blocked']) for p in g['packagelist']),
                             sorted((r['name'], r['blocked']) for r in g['grouplist']))
    return result


def test_add_block_remove_group(cli, hub, tags):
    parent, child = tags
    assert ok(cli('add-group', parent, 'build')) == ''
    assert ok(cli('add-group', parent, 'extras')) == ''
    res = cli('add-group', parent, 'build')
    assert (res.returncode, res.stderr) == (1, "Group build already exists for tag %s\n"
                                            % parent)
    res = cli('add-group', 'no-' + parent, 'build')
    assert (res.returncode, res.stderr) == (1, "No such tag: no-%s\n" % parent)
    usage_error(cli('add-group', parent), "Please specify a tag name and a group name")
    # an inherited group can be blocked, but not removed
    assert ok(cli('block-group', child, 'build')) == ''
    assert groups_of(hub, child, inherit=False) == {'build': (True, [], [])}
    res = cli('block-group', child, 'build')
    assert (res.returncode, res.stderr) == (1, "Group build is already blocked in this tag\n")
    res = cli('block-group', child, 'nosuch')
    assert res.stderr == "Group nosuch doesn't exist within tag %s\n" % child
    res = cli('remove-group', child, 'build')
    assert res.stderr == ("Group build is blocked in this tag. You could use unblock-group "
                          "to unblock it\n")
    res = cli('remove-group', child, 'extras')
    assert res.stderr == ("The entry for group extras is inherited from %s. You could use "
                          "block-group to prevent this\n" % parent)
    assert ok(cli('unblock-group', child, 'build')) == ''
    assert groups_of(hub, child, inherit=False) == {}
    assert ok(cli('remove-group', parent, 'extras')) == ''
    assert sorted(groups_of(hub, parent)) == ['build']
    usage_error(cli('unblock-group', child), "You must specify a tag name and group name")


def test_group_admin_needs_permission(cli, hub, hub_server, tags):
    parent, _ = tags
    # anonymous callers have neither perm; the check is a usage error, as upstream
    res = cli('--noauth', 'add-group', parent, 'build', auth=False)
    usage_error(res, "This action requires tag or admin privileges")


def test_group_packages_and_reqs(cli, hub, tags):
    parent, child = tags
    for group in ('build', 'srpm-build'):
        hub.groupListAdd(parent, group)
    assert ok(cli('add-group-pkg', parent, 'build', 'bash', 'rpm-build', 'tar')) == ''
    assert ok(cli('add-group-req', parent, 'build', 'srpm-build')) == ''
    assert ok(cli('block-group-pkg', child, 'build', 'tar')) == ''
    assert ok(cli('block-group-req', child, 'build', 'srpm-build')) == ''
    assert groups_of(hub, child)['build'] == (
        False, [('bash', False), ('rpm-build', False), ('tar', True)],
        [('srpm-build', True)])
    assert ok(cli('unblock-group-pkg', child, 'build', 'tar')) == ''
    assert ok(cli('unblock-group-req', child, 'build', 'srpm-build')) == ''
    assert groups_of(hub, child)['build'] == (
        False, [('bash', False), ('rpm-build', False), ('tar', False)],
        [('srpm-build', False)])
    pkg_msg = "You must specify a tag name, group name, and one or more package names"
    for cmd in ('add-group-pkg', 'block-group-pkg', 'unblock-group-pkg', 'remove-group-pkg'):
        usage_error(cli(cmd, parent, 'build'), pkg_msg)
    for cmd in ('add-group-req', 'block-group-req', 'unblock-group-req'):
        usage_error(cli(cmd, parent, 'build'), "You must specify a tag name and two group names")


def test_remove_group_pkg_and_req(cli, hub, tags):
    parent, child = tags
    hub.groupListAdd(parent, 'build')
    hub.groupListAdd(parent, 'base')
    for pkg in ('bash', 'tar'):
        hub.groupPackageListAdd(parent, 'build', pkg)
    hub.groupPackageListAdd(child, 'build', 'zip')
    hub.groupPackageListBlock(child, 'build', 'tar')
    hub.groupReqListAdd(parent, 'build', 'base')
    res = cli('remove-group-pkg', child, 'build', 'bash', 'tar', 'nosuch', 'zip')
    assert (res.returncode, res.stderr) == (1, "Invalid parameters\n")
    assert res.stdout == (
        "The entry for package bash is inherited from %s. You could use block-group-pkg "
        "to prevent this\n"
        "Package tar is blocked in this group. You could use unblock-group-pkg to unblock it\n"
        "Package nosuch is not included in this group\n" % parent)
    assert ok(cli('remove-group-pkg', child, 'build', 'zip')) == ''
    res = cli('remove-group-pkg', child, 'nosuch', 'bash')
    assert (res.returncode, res.stderr) == (1, "Group nosuch is not present in tag %s\n"
                                            % child)
    res = cli('remove-group-req', child, 'build', 'base')
    assert res.stdout == ("The entry for req base is inherited from %s. You could use "
                          "block-group-req to prevent this\n" % parent)
    assert ok(cli('remove-group-req', parent, 'build', 'base')) == ''
    assert groups_of(hub, child)['build'] == (False, [('bash', False), ('tar', True)], [])


def make_groups(hub, tag):
    hub.groupListAdd(tag, 'build', display_name='Buildroot', description='minimal root',
                     is_default=True)
    hub.groupListAdd(tag, 'srpm-build', biarchonly=True)
    hub.groupListAdd(tag, 'extras')
    hub.groupPackageListAdd(tag, 'build', 'tar')
    hub.groupPackageListAdd(tag, 'build', 'bash', type='mandatory')
    hub.groupPackageListAdd(tag, 'srpm-build', 'git', basearchonly=True, type='conditional',
                            requires='gcc')
    hub.groupPackageListAdd(tag, 'srpm-build', 'bash')
    hub.groupReqListAdd(tag, 'build', 'srpm-build')
    hub.groupReqListAdd(tag, 'srpm-build', 'extras')
    hub.groupPackageListBlock(tag, 'extras', 'nothing')


def test_list_groups(cli, hub, tags):
    parent, child = tags
    make_groups(hub, parent)
    hub.groupPackageListAdd(child, 'build', 'zip')
    hub.groupListBlock(child, 'extras')
    out = ok(cli('list-groups', child, auth=False))
    assert out == textwrap.dedent("""\
        build  [{p}]
          @srpm-build  [{p}]
          bash: None, mandatory  [{p}]
          tar: None, mandatory  [{p}]
          zip: None, mandatory  [{c}]
        srpm-build  [{p}]
          bash: None, mandatory  [{p}]
          git: True, conditional  [{p}]
        """).format(p=parent, c=child)
    out = ok(cli('list-groups', child, 'srpm-build', auth=False))
    assert out.startswith("srpm-build  [%s]\n" % parent)
    assert out.count('\n') == 3
    out = ok(cli('list-groups', '--show-blocked', parent, 'extras', auth=False))
    assert out == "extras  [{p}]\n  nothing: None, mandatory  [{p}] [BLOCKED]\n".format(
        p=parent)
    usage_error(cli('list-groups', auth=False), "Incorrect number of arguments")


def test_list_groups_event(cli, hub, tags):
    parent, _ = tags
    hub.groupListAdd(parent, 'early')
    event = hub.getLastEvent()
    hub.groupListAdd(parent, 'late')
    out = ok(cli('list-groups', '--event', str(event['id']), parent, auth=False))
    lines = out.splitlines()
    assert lines[0].startswith("Querying at event %d (" % event['id'])
    assert lines[1:] == ["early  [%s]" % parent]


COMPS = """\
<?xml version="1.0"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">

<!-- Auto-generated by the build system -->
<comps>
  <group>
    <id>build</id>
    <name>Buildroot</name>
    <description>minimal root</description>
    <default>true</default>
    <uservisible>true</uservisible>
    <grouplist>
      <groupreq type="mandatory">srpm-build</groupreq>
    </grouplist>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq type="mandatory">tar</packagereq>
    </packagelist>
  </group>
  <group>
    <id>extras</id>
    <name>extras</name>
    <description>None</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <packagelist>
    </packagelist>
  </group>
  <group>
    <id>srpm-build</id>
    <name>srpm-build</name>
    <description>None</description>
    <default>false</default>
    <uservisible>true</uservisible>
    <biarchonly>true</biarchonly>
    <grouplist>
      <groupreq type="mandatory">extras</groupreq>
    </grouplist>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq type="conditional" basearchonly="true" requires="gcc">git</packagereq>
    </packagelist>
  </group>
</comps>

"""


def test_show_groups(cli, hub, tags):
    parent, _ = tags
    make_groups(hub, parent)
    groups = hub.getTagGroups(parent)
    assert ok(cli('show-groups', '--comps', parent, auth=False)) == COMPS
    assert ok(cli('show-groups', '--comps', '--expand', parent, auth=False)) == \
        koji.generate_comps(groups, expand_groups=True) + '\n'
    out = ok(cli('show-groups', '--spec', parent, auth=False))
    assert out == koji.make_groups_spec(groups, name='buildgroups', buildgroup='build') + '\n'
    assert "Name: buildgroups\n" in out
    assert "#Group: build\nRequires: bash\nRequires: tar\n" in out
    # packages seen in an earlier group are listed again, as upstream does
    assert "#Group: srpm-build\nRequires: bash\nRequires: git\n" in out
    assert "#Group: extras\n\n%description" in out
    out = ok(cli('show-groups', parent, auth=False))
    assert out.startswith("[{'biarchonly': False,\n")
    assert "'name': 'build'," in out
    usage_error(cli('show-groups', '--comps', '--show-blocked', parent, auth=False),
                "--show-blocked doesn't make sense for comps/spec output")
    usage_error(cli('show-groups', auth=False), "Incorrect number of arguments")


IMPORT = """\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <name xml:lang="de">Kern</name>
    <description>Smallest possible installation</description>
    <default>true</default>
    <uservisible>false</uservisible>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq>tar</packagereq>
      <packagereq type="optional" basearchonly="true">glibc32</packagereq>
      <packagereq type="conditional" requires="gcc">gcc-gfortran</packagereq>
    </packagelist>
  </group>
  <group>
    <id>buildsys-build</id>
    <name>Buildsystem building group</name>
    <description/>
    <biarchonly>true</biarchonly>
    <packagelist>
      <packagereq type="default">make</packagereq>
    </packagelist>
  </group>
  <category><id>ignored</id></category>
</comps>
"""


def test_import_comps(cli, hub, tags, tmp_path):
    parent, _ = tags
    path = tmp_path / 'comps.xml'
    path.write_text(IMPORT)
    out = ok(cli('import-comps', str(path), parent))
    assert out == textwrap.dedent("""\
        Group: core (Core)
          Package: bash: {'basearchonly': False, 'type': 'mandatory'}
          Package: tar: {'basearchonly': False, 'type': 'default'}
          Package: glibc32: {'basearchonly': True, 'type': 'optional'}
          Package: gcc-gfortran: {'basearchonly': False, 'requires': 'gcc', \
'type': 'conditional'}
        Group: buildsys-build (Buildsystem building group)
          Package: make: {'basearchonly': False, 'type': 'default'}
        """)
    groups = dict((g['name'], g) for g in hub.getTagGroups(parent))
    core = groups['core']
    assert (core['display_name'], core['description'], core['is_default'],
            core['uservisible'], core['biarchonly']) == (
        'Core', 'Smallest possible installation', True, False, False)
    assert sorted((p['package'], p['type'], p['basearchonly'], p['requires'])
                  for p in core['packagelist']) == [
        ('bash', 'mandatory', False, None), ('gcc-gfortran', 'conditional', False, 'gcc'),
        ('glibc32', 'optional', True, None), ('tar', 'default', False, None)]
    build = groups['buildsys-build']
    assert (build['uservisible'], build['biarchonly'], build['is_default']) == (
        True, True, False)
    res = cli('import-comps', str(path), 'no-' + parent)
    assert (res.returncode, res.stderr) == (1, "No such tag: no-%s\n" % parent)
    usage_error(cli('import-comps', str(path)), "Incorrect number of arguments")
