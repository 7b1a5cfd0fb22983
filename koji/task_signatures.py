"""Named arguments of the known task methods (LEGACY_SIGNATURES, parse_task_params).

Hub policies, task labels and ``taskinfo`` read a task request by argument name; this
sits below koji.formatting and koji.tasks, which both use it (koji.tasks re-exports it).
"""
from koji.args import apply_argspec, decode_args
from koji.exceptions import ParameterError


def _spec(names, defaults=None, varargs=None, varkw=None):
    """One argspec in the [args, varargs, varkw, defaults] layout apply_argspec takes."""
    return [list(names), varargs, varkw, tuple(defaults) if defaults else None]


_IMAGE_CHILD = ('name', 'version', 'release', 'arch', 'target_info', 'build_tag', 'repo_info')
_IMAGE_PARENT = ('name', 'version', 'arch', 'target', 'ksfile', 'opts')

# Positional argument names of the task methods, for hubs and tools that must read a
# request by name (policy data, labels). A method may accept several shapes.
LEGACY_SIGNATURES = {
    'chainbuild': [_spec(('srcs', 'target', 'opts'), (None,))],
    'waitrepo': [_spec(('tag', 'newer_than', 'nvrs', 'min_event'), (None, None, None))],
    'createLiveMedia': [_spec(_IMAGE_CHILD + ('ksfile', 'opts'), (None,))],
    'createAppliance': [_spec(_IMAGE_CHILD + ('ksfile', 'opts'), (None,))],
    'livecd': [_spec(_IMAGE_PARENT, (None,))],
    'buildNotification': [_spec(('recipients', 'build', 'target', 'weburl'))],
    'buildMaven': [_spec(('url', 'build_tag', 'opts'), (None,))],
    'build': [_spec(('src', 'target', 'opts'), (None,))],
    'buildSRPMFromSCM': [_spec(('url', 'build_tag', 'opts'), (None,))],
    'rebuildSRPM': [_spec(('srpm', 'build_tag', 'opts'), (None,))],
    'createrepo': [_spec(('repo_id', 'arch', 'oldrepo'))],
    'livemedia': [_spec(('name', 'version', 'arches', 'target', 'ksfile', 'opts'), (None,))],
    'indirectionimage': [_spec(('opts',))],
    'wrapperRPM': [_spec(('spec_url', 'build_target', 'build', 'task', 'opts'), (None,))],
    'createLiveCD': [_spec(_IMAGE_CHILD + ('ksfile', 'opts'), (None,))],
    'appliance': [_spec(_IMAGE_PARENT, (None,))],
    'image': [_spec(('name', 'version', 'arches', 'target', 'inst_tree', 'opts'), (None,))],
    'tagBuild': [_spec(('tag_id', 'build_id', 'force', 'fromtag', 'ignore_success'),
                       (False, None, False))],
    'chainmaven': [_spec(('builds', 'target', 'opts'), (None,))],
    'newRepo': [
        _spec(('tag', 'event', 'src', 'debuginfo', 'separate_src'),
              (None, False, False, False)),
        _spec(('tag', 'event', 'src', 'debuginfo', 'separate_src', 'opts'),
              (None, None, None, None, None)),
    ],
    'createImage': [_spec(_IMAGE_CHILD + ('inst_tree', 'opts'), (None,))],
    'tagNotification': [_spec(('recipients', 'is_successful', 'tag_info', 'from_info',
                               'build_info', 'user_info', 'ignore_success', 'failure_msg'),
                              (None, ''))],
    'buildArch': [_spec(('pkg', 'root', 'arch', 'keep_srpm', 'opts'), (None,))],
    'maven': [_spec(('url', 'target', 'opts'), (None,))],
    'waittest': [_spec(('count', 'seconds'), (10,))],
    'default': [_spec((), varargs='args', varkw='opts')],
    'shutdown': [_spec(())],
    'restartVerify': [_spec(('task_id', 'host'))],
    'someMethod': [_spec((), varargs='args')],
    'restart': [_spec(('host',))],
    'fork': [_spec(('n', 'm'), (5, 37))],
    'sleep': [_spec(('n',))],
    'dependantTask': [_spec(('wait_list', 'task_list'))],
    'subtask': [_spec(('n',), (4,))],
    'restartHosts': [_spec(('options',), (None,))],
    'runroot': [_spec(('root', 'arch', 'command', 'keep', 'packages', 'mounts', 'repo_id',
                       'skip_setarch', 'weight', 'upload_logs', 'new_chroot'),
                      (False, [], [], None, False, None, None, False))],
    'distRepo': [_spec(('tag', 'repo_id', 'keys', 'task_opts'))],
    'createdistrepo': [_spec(('tag', 'repo_id', 'arch', 'keys', 'opts'))],
    'saveFailedTree': [_spec(('buildrootID', 'full'), (False,))],
    'vmExec': [_spec(('name', 'task_info', 'opts'))],
    'winbuild': [_spec(('name', 'source_url', 'target', 'opts'))],
}


def parse_task_params(method, params):
    """Task request -> dict of named arguments (new-style dicts pass through)."""
    if (len(params) == 1 and isinstance(params[0], dict) and '__method__' in params[0]):
        return params[0]
    if method not in LEGACY_SIGNATURES:
        raise TypeError('No signature known for task method %r' % method)
    args, opts = decode_args(*params)
    problems = []
    for argspec in LEGACY_SIGNATURES[method]:
        try:
            return apply_argspec(argspec, args, opts)
        except ParameterError as exc:
            problems.append(str(exc))
    raise ParameterError('No matching signature for %s task: %s'
                         % (method, '; '.join(problems)))
