"""kojid.conf's rpmbuild_timeout on the rpmbuild buildroot backend.

mock enforces the same option (config_opts['rpmbuild_timeout']) by killing rpmbuild; the
rpmbuild backend does it itself: the build (and what it started) is killed and the task
fails saying why.
"""
import os

import pytest

import koji
from tests.integration.test_kojid_build import (BuildBuilder, _run_task, build_env, make_srpm,
                                                upload_srpm)

HOST = 'kojid-timeout.test'
TIMEOUT = 3
# a %build that would outlive any test, with a background child of its own
MARKER = '987654'
SLOW_BUILD = 'sleep %s &\nsleep %s' % (MARKER, MARKER)


class TimeoutBuilder(BuildBuilder):
    extra_conf = BuildBuilder.extra_conf + 'rpmbuild_timeout = %d\n' % TIMEOUT


@pytest.fixture(scope='module')
def env(hub_server, tmp_path_factory):
    yield from build_env(hub_server, tmp_path_factory, TimeoutBuilder, HOST, 'to')


def _sleepers():
    found = []
    for entry in os.listdir('/proc'):
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as fo:
                argv = fo.read().split(b'\0')
        except OSError:
            continue
        if argv[:2] == [b'sleep', MARKER.encode()]:
            found.append(int(entry))
    return found


def test_rpmbuild_past_timeout_is_killed_and_fails(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'to-slow', build=SLOW_BUILD))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    assert info['state'] == koji.TASK_STATES['FAILED']
    with pytest.raises(koji.BuildError) as exc:
        admin.getTaskResult(task_id)
    assert str(exc.value) == ('error building package (arch x86_64), rpmbuild killed after '
                              'the rpmbuild_timeout of %d seconds; see build.log for more '
                              'information' % TIMEOUT)
    log = admin.downloadTaskOutput(task_id, 'build.log').decode()
    assert 'Timeout(%d) expired for command: ' % TIMEOUT in log
    # rpmbuild, its %build shell and the shell's background child are all gone
    assert _sleepers() == []


def test_build_within_timeout_succeeds(env):
    admin = env['admin']
    srpm = upload_srpm(admin, make_srpm(env['base'], 'to-quick'))
    task_id, info = _run_task(env, 'buildArch', [srpm, env['build_tag'], 'x86_64', True,
                                                 {'repo_id': env['repo']['id']}])
    assert info['state'] == koji.TASK_STATES['CLOSED']
