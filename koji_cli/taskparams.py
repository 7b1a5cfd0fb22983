"""The "Request Parameters" lines of ``koji taskinfo -v``, one formatter per task method.

Each formatter gets the session, the task's request parameters (getTaskRequest) and the
topdir, and returns the lines to print.  Methods without a formatter print no lines; any
error while formatting (a deleted tag, a short parameter list, a failed call) turns the
whole block into the single line "Unable to parse task parameters".
"""
import logging

import koji

UNPARSABLE = 'Unable to parse task parameters'

# positional parameter names printed for the image tasks, in request order
CREATE_IMAGE_NAMES = ('Name', 'Version', 'Release', 'Arch', 'Target Info', 'Build Tag', 'Repo',
                      'Kickstart File')
IMAGE_NAMES = ('Name', 'Version', 'Arches', 'Target', 'Kickstart')


def map_lines(lines, data, prefix=''):
    """``  <prefix>key: value`` for each entry (the kwargs marker left out)."""
    for key, value in data.items():
        if key != '__starstar':
            lines.append('  %s%s: %s' % (prefix, key, value))


def opts_lines(lines, opts, prefix=''):
    """An ``Options:`` heading and the options, when there are any."""
    if opts:
        lines.append('%sOptions:' % prefix)
        map_lines(lines, opts, prefix)


def _trailing_opts(lines, params, index):
    if len(params) > index:
        opts_lines(lines, params[index])


def _scm_url(label):
    def fmt(session, params, topdir):
        return ['%s: %s' % (label, params[0])]
    return fmt


def _build_arch(session, params, topdir):
    tag = session.getTag(params[1])
    lines = ['SRPM: %s/work/%s' % (topdir, params[0]),
             'Build Tag: %s' % (tag['name'] if tag else '%s (deleted)' % params[1]),
             'Build Arch: %s' % params[2],
             'SRPM Kept: %r' % params[3]]
    _trailing_opts(lines, params, 4)
    return lines


def _tag_build(session, params, topdir):
    build = session.getBuild(params[1])
    return ['Destination Tag: %s' % session.getTag(params[0])['name'],
            'Build: %s' % koji.buildLabel(build)]


def _build_notification(session, params, topdir):
    return ['Recipients: %s' % ', '.join(params[0]),
            'Build: %s' % koji.buildLabel(params[1]),
            'Build Target: %s' % params[2]['name'],
            'Web URL: %s' % params[3]]


def _source_and_target(label):
    def fmt(session, params, topdir):
        lines = ['%s: %s' % (label, params[0]), 'Build Target: %s' % params[1]]
        _trailing_opts(lines, params, 2)
        return lines
    return fmt


def _build_maven(session, params, topdir):
    lines = ['SCM URL: %s' % params[0], 'Build Tag: %s' % params[1]['name']]
    _trailing_opts(lines, params, 2)
    return lines


def _wrapper_rpm(session, params, topdir):
    lines = ['Spec File URL: %s' % params[0], 'Build Tag: %s' % params[1]['name']]
    if params[2]:
        lines.append('Build: %s' % koji.buildLabel(params[2]))
    if params[3]:
        lines.append('Task: %s %s' % (params[3]['id'], koji.taskLabel(params[3])))
    _trailing_opts(lines, params, 4)
    return lines


def _chain_maven(session, params, topdir):
    lines = ['Builds:']
    for package, opts in params[0].items():
        lines.append('  ' + package)
        map_lines(lines, opts, prefix='  ')
    lines.append('Build Target: %s' % params[1])
    _trailing_opts(lines, params, 2)
    return lines


def _winbuild(session, params, topdir):
    lines = ['VM: %s' % params[0], 'SCM URL: %s' % params[1],
             'Build Target: %s' % params[2]]
    _trailing_opts(lines, params, 3)
    return lines


def _vm_exec(session, params, topdir):
    lines = ['VM: %s' % params[0], 'Exec Params:']
    for info in params[1]:
        if isinstance(info, dict):
            map_lines(lines, info, prefix='  ')
        else:
            lines.append('  %s' % info)
    _trailing_opts(lines, params, 2)
    return lines


def _named(names):
    def fmt(session, params, topdir):
        lines = ['%s: %s' % pair for pair in zip(names, params)]
        _trailing_opts(lines, params, len(names))
        return lines
    return fmt


def _new_repo(session, params, topdir):
    return ['Tag: %s' % session.getTag(params[0])['name']]


def _prep_repo(session, params, topdir):
    return ['Tag: %s' % params[0]['name']]


def _createrepo(session, params, topdir):
    lines = ['Repo ID: %i' % params[0], 'Arch: %s' % params[1]]
    old = params[2]
    if old:
        lines.append('Old Repo ID: %i' % old['id'])
        lines.append('Old Repo Creation: %s' % koji.formatTimeLong(old['create_ts']))
    if len(params) > 3:
        lines.append('External Repos: %s'
                     % ', '.join(ext['external_repo_name'] for ext in params[3]))
    return lines


def _yes_no(value):
    return 'yes' if value else 'no'


def _tag_notification(session, params, topdir):
    dest = session.getTag(params[2])
    source = session.getTag(params[3]) if params[3] else None
    build = session.getBuild(params[4])
    user = session.getUser(params[5])
    lines = ['Recipients: %s' % ', '.join(params[0]),
             'Successful?: %s' % _yes_no(params[1]),
             'Tagged Into: %s' % dest['name']]
    if source:
        lines.append('Moved From: %s' % source['name'])
    lines.append('Build: %s' % koji.buildLabel(build))
    lines.append('Tagged By: %s' % user['name'])
    lines.append('Ignore Success?: %s' % _yes_no(params[6]))
    if params[7]:
        lines.append('Failure Message: %s' % params[7])
    return lines


def _dependant_task(session, params, topdir):
    lines = ['Dependant Tasks: %s' % ', '.join(str(dep) for dep in params[0]), 'Subtasks:']
    for subtask in params[1]:
        lines.append('  Method: %s' % subtask[0])
        lines.append('  Parameters: %s' % ', '.join(str(p) for p in subtask[1]))
        if len(subtask) > 2 and subtask[2]:
            opts_lines(lines, subtask[2], prefix='  ')
        lines.append('')
    return lines


def _chainbuild(session, params, topdir):
    lines = ['Build Groups:']
    for number, group in enumerate(params[0], 1):
        lines.append('  %i: %s' % (number, ', '.join(group)))
    lines.append('Build Target: %s' % params[1])
    _trailing_opts(lines, params, 2)
    return lines


def _waitrepo(session, params, topdir):
    lines = ['Build Target: %s' % params[0]]
    if params[1]:
        lines.append('Newer Than: %s' % params[1])
    if params[2]:
        lines.append('NVRs: %s' % ', '.join(params[2]))
    return lines


FORMATTERS = {
    'buildSRPMFromCVS': _scm_url('CVS URL'),
    'buildSRPMFromSCM': _scm_url('SCM URL'),
    'buildArch': _build_arch,
    'tagBuild': _tag_build,
    'buildNotification': _build_notification,
    'build': _source_and_target('Source'),
    'maven': _source_and_target('SCM URL'),
    'buildMaven': _build_maven,
    'wrapperRPM': _wrapper_rpm,
    'chainmaven': _chain_maven,
    'winbuild': _winbuild,
    'vmExec': _vm_exec,
    'createLiveCD': _named(CREATE_IMAGE_NAMES),
    'createAppliance': _named(CREATE_IMAGE_NAMES),
    'createLiveMedia': _named(CREATE_IMAGE_NAMES),
    'appliance': _named(IMAGE_NAMES),
    'livecd': _named(IMAGE_NAMES),
    'livemedia': _named(IMAGE_NAMES),
    'newRepo': _new_repo,
    'prepRepo': _prep_repo,
    'createrepo': _createrepo,
    'tagNotification': _tag_notification,
    'dependantTask': _dependant_task,
    'chainbuild': _chainbuild,
    'waitrepo': _waitrepo,
}


def task_param_lines(session, method, task_id, topdir):
    """The request parameter lines of one task (see the module docstring)."""
    try:
        params = session.getTaskRequest(task_id)
        formatter = FORMATTERS.get(method)
        return formatter(session, params, topdir) if formatter else []
    except Exception:
        logging.getLogger('koji').debug('cannot format the parameters of task %s', task_id,
                                        exc_info=True)
        return [UNPARSABLE]
