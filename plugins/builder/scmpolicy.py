"""Builder plugin: after an SCM checkout, ask the hub's 'scm' policy whether this source
may be built (a denial fails the task).

Policy data: build_tag, method, scratch, branches (remote branches holding the checked
out commit), user_id (task owner) and the SCM fields as scm_url, scm_host, ...
"""
import logging
import re
import subprocess

from koji import ActionNotAllowed, GenericError
from koji.plugin import callback

logger = logging.getLogger('koji.plugins.scmpolicy')


def get_task_method(session, taskinfo):
    """The task's method, from its info dict (or its id)."""
    if isinstance(taskinfo, int):
        taskinfo = session.getTaskInfo(taskinfo, strict=True)
    method = taskinfo.get('method') if isinstance(taskinfo, dict) else None
    if method is None:
        raise GenericError('Invalid taskinfo: %s' % taskinfo)
    return method


def get_branches(srcdir):
    """Remote branches (without 'origin/') that contain HEAD of the checkout."""
    proc = subprocess.run(['git', 'branch', '-r', '--contains', 'HEAD'], cwd=srcdir,
                          stdout=subprocess.PIPE)
    if proc.returncode != 0:
        raise Exception('Error getting branches for git checkout')
    branches = []
    for line in proc.stdout.decode().splitlines():
        line = line.strip()
        if not line or 'origin/HEAD' in line:
            continue
        branches.append(re.sub('^origin/', '', line))
    return branches


def _scm_key(key):
    # url -> scm_url, scmtype -> scm_type, scm_x stays
    return re.sub(r'^(scm_?)?', 'scm_', key)


@callback('postSCMCheckout')
def assert_scm_policy(clb_type, *args, **kwargs):
    taskinfo = kwargs['taskinfo']
    session = kwargs['session']
    data = {
        'build_tag': kwargs['build_tag'],
        'method': get_task_method(session, taskinfo),
        'scratch': kwargs['scratch'],
        'branches': get_branches(kwargs['srcdir']),
        'user_id': taskinfo['owner'],
    }
    for key, value in kwargs['scminfo'].items():
        data[_scm_key(key)] = value
    logger.info('Checking SCM policy for task %s', taskinfo['id'])
    logger.debug('Policy data: %r', data)
    try:
        session.host.assertPolicy('scm', data)
    except ActionNotAllowed:
        logger.warning('SCM policy check for task %s: DENIED', taskinfo['id'])
        raise
    logger.info('SCM policy check for task %s: PASSED', taskinfo['id'])
