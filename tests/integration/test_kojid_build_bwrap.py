"""The rpmbuild backend with ``rpmbuild_bwrap``: builds run in a bubblewrap sandbox.

The sandbox has no network (only lo in its namespace); test_kojid_build's control shows
the same probe failing without it. This kojid also removes retired buildroots at once,
which shows the rpmbuild backend's roots are cleaned up as mock's are.
"""
import os
import shutil

import pytest

import koji
from tests.integration.test_kojid import _wait_for
from tests.integration.test_kojid_build import (NO_NETWORK, BuildBuilder, _result, _run_task,
                                                build_env, make_srpm, upload_srpm)

HOST = 'kojid-bwrap.test'


class BwrapBuilder(BuildBuilder):
    extra_conf = 'rpmbuild_bwrap = true\nbuildroot_final_cleanup_delay = 0\n'


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    if not shutil.which('bwrap'):
        pytest.skip('bubblewrap is not installed')
    yield from build_env(hub_server, tmp_path_factory, BwrapBuilder, HOST, 'bw')


def test_build_in_sandbox_has_no_network(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bw-probe', build=NO_NETWORK))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    result = _result(env, task_id)
    assert [os.path.basename(p) for p in result['rpms']] == ['bw-probe-1.0-1.x86_64.rpm']
    assert admin.getBuildroot(result['brootid'])['state'] == koji.BR_STATES['EXPIRED']


def test_retired_buildroot_is_removed(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'bw-gone'))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    broot = admin.getBuildroot(_result(env, task_id)['brootid'])
    name = '%s-%s-%s' % (broot['tag_name'], broot['id'], broot['repo_id'])
    rootdir = os.path.join(env['builder'].dir, name)
    cfg = os.path.join(env['builder'].dir, 'mockconf', '%s.cfg' % name)

    def removed():
        with open(env['builder'].log) as fo:
            logged = 'Removing buildroot %s' % name in fo.read()
        return logged and not os.path.exists(rootdir) and not os.path.exists(cfg)
    _wait_for(removed, 60, 'kojid to remove %s\n%s' % (rootdir, env['builder'].read_log()))
