"""koji.genMockConfig gives upstream's text byte for byte, over the options kojid and
``koji mock-config`` pass (one upstream interpreter run renders every case)."""
import json

import koji

CASES = [
    ('plain', 'x86_64', {'repoid': 7, 'tag_name': 'f40-build', 'topurl': 'http://h/kojifiles'}),
    ('local', 'aarch64', {'repoid': 'latest', 'tag_name': 't', 'topdir': '/srv/koji',
                          'mockdir': '/m', 'distribution': 'Koji Testing',
                          'yum_proxy': 'http://proxy:3128'}),
    ('default-topdir', 'i686', {'repoid': 1, 'tag_name': 't'}),
    ('many', 'x86_64', {
        'repoid': 12, 'tag_name': 'el9', 'topurls': ['http://a/k', 'http://b/k'],
        'target_arch': 'i686', 'install_group': 'srpm-build', 'rpmbuild_timeout': 5,
        'package_manager': 'dnf', 'bootstrap_image': 'fedora:40', 'use_bootstrap': 1,
        'module_setup_commands': [['enable', 'x:1']], 'releasever': '9',
        'module_hotfixes': True, 'yum_best': '1', 'forcearch': 'x86_64',
        'vendor': 'V', 'packager': 'P', 'mockhost': 'redhat-linux-gnu',
        'tag_macros': {'%dist': '.el9', '%vendor': 'Tag'},
        'tag_envvars': {'LANG': 'C', 'A': 'b'},
        'plugin_conf': {'sign_enable': True, 'sign_opts': {'cmd': 'rpmsign', 'opts': '-D'}},
        'bind_opts': {'dirs': {'/dev': '/dev'}},
        'maven_opts': ['-Xmx1g', '-Dx=y'], 'maven_envs': {'JAVA_HOME': '/usr/lib/jvm'}}),
    ('managed', 'ppc64le', {'managed': True, 'buildroot_id': 99, 'repoid': 3,
                            'tag_name': 'b', 'topdir': '/mnt/koji',
                            'internal_dev_setup': True, 'use_bootstrap': 0}),
    ('url', 's390x', {'url': 'http://mirror/os/', 'bootstrap_image': ''}),
]

UPSTREAM = '''
import json, sys, warnings
warnings.simplefilter('ignore')
import koji
out = []
for name, arch, opts in json.loads(sys.argv[1]):
    out.append(koji.genMockConfig(name, arch, **opts))
print(json.dumps(out))
'''


def test_gen_mock_config_matches_upstream(upstream_koji, recwarn):
    res = upstream_koji.run_python(UPSTREAM, json.dumps(CASES))
    assert res.returncode == 0, res.stderr
    theirs = json.loads(res.stdout)
    ours = [koji.genMockConfig(name, arch, **json.loads(json.dumps(opts)))
            for name, arch, opts in CASES]
    for case, mine, upstream in zip(CASES, ours, theirs):
        assert mine == upstream, case[0]


def test_gen_mock_config_needs_a_repo():
    try:
        koji.genMockConfig('x', 'x86_64', tag_name='t')
    except koji.GenericError as exc:
        assert str(exc) == 'please provide a repo and tag'
    else:
        raise AssertionError('no error without a repo id')
