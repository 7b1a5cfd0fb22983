"""The calls that queue maven, windows and image builds (mavenBuild ... buildImageOz).

As with build/chainBuild, the hub only checks the request and queues the task through
make_task (channel and priority policies apply there); the builder's handler does the
rest.  Maven and windows calls are refused while EnableMaven / EnableWin are off.
"""
import logging

import koji
from koji.context import context

from .build_tasks import _task_opts
from .builds import get_build
from .rpms import list_rpms
from ..core.policy import assert_policy
from ..tags.targets import get_build_target
from ..tasks.task_actions import make_task

logger = logging.getLogger('koji.hub.typed_tasks')

IMAGE_TYPES = ('livecd', 'appliance', 'livemedia')


def _check(value, cast):
    from ..repos.opts import convert_value
    convert_value(value, cast=cast, check_only=True)


def require_maven():
    if not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')


def require_win():
    if not context.opts.get('EnableWin'):
        raise koji.GenericError('Windows support not enabled')


def maven_build(url, target, opts=None, priority=None, channel='maven'):
    """mavenBuild: queue a 'maven' task for an SCM URL; returns its id."""
    context.session.assertLogin()
    require_maven()
    _check(url, str)
    return make_task('maven', [url, target, opts or {}], **_task_opts(priority, channel))


def wrapper_rpm(build, url, target, priority=None, channel='maven', opts=None):
    """wrapperRPM: queue wrapper rpms for a build that has none yet (unless scratch or
    create_build); the task gets the resolved target and build records."""
    context.session.assertLogin()
    require_maven()
    _check(opts or {}, dict)
    opts = dict(opts or {})
    _check(url, str)
    build = get_build(build, strict=True)
    if list_rpms(build['id']) and not (opts.get('scratch') or opts.get('create_build')):
        raise koji.PreBuildError('wrapper rpms for %s have already been built'
                                 % koji.buildLabel(build))
    build_target = get_build_target(target, strict=True)
    if 'repo_id' in opts:
        logger.warning('The wrapperRPM call ignores repo_id options')
        del opts['repo_id']
    task_opts = _task_opts(priority, None)
    _check(channel, str)
    task_opts['channel'] = channel
    return make_task('wrapperRPM', [url, build_target, build, None, opts], **task_opts)


def chain_maven(builds, target, opts=None, priority=None, channel='maven'):
    """chainMaven: queue a 'chainmaven' task over a dict of build definitions."""
    context.session.assertLogin()
    require_maven()
    _check(builds, dict)
    return make_task('chainmaven', [builds, target, opts], **_task_opts(priority, channel))


def win_build(vm, url, target, opts=None, priority=None, channel='vm'):
    """winBuild: queue a 'winbuild' task for a named VM, if the vm policy allows it."""
    context.session.assertLogin()
    require_win()
    _check(vm, str)
    _check(url, str)
    target_info = get_build_target(target, strict=True)
    assert_policy('vm', {'vm_name': vm, 'tag': target_info['dest_tag']})
    return make_task('winbuild', [vm, url, target, opts or {}],
                     **_task_opts(priority, channel))


def build_image(name, version, arch, target, ksfile, img_type, opts=None, priority=None):
    """buildImage: queue a livecd / appliance / livemedia task; the permission and the
    channel are both named after the image type."""
    if img_type not in IMAGE_TYPES:
        raise koji.GenericError('Unrecognized image type: %s' % img_type)
    for value in (name, ksfile, version):
        _check(value, str)
    context.session.assertPerm(img_type)
    task_opts = _task_opts(priority, img_type)
    task_opts['arch'] = 'noarch' if img_type == 'livemedia' else arch
    return make_task(img_type, [name, version, arch, target, ksfile, opts], **task_opts)


def build_image_indirection(opts=None, priority=None):
    """buildImageIndirection: queue an 'indirectionimage' task (image channel)."""
    context.session.assertPerm('image')
    task_opts = _task_opts(priority, 'image')
    if opts is None:
        opts = {}
    _check(opts, dict)
    if 'scratch' not in opts and 'indirection_template_url' not in opts:
        raise koji.ActionNotAllowed(
            'Non-scratch builds must provide url for the indirection template')
    if 'arch' in opts:
        task_opts['arch'] = opts['arch']
    return make_task('indirectionimage', [opts], **task_opts)


def build_image_oz(name, version, arches, target, inst_tree, opts=None, priority=None):
    """buildImageOz: queue an 'image' (ImageFactory) task (image channel)."""
    for value in (name, inst_tree, version):
        _check(value, str)
    context.session.assertPerm('image')
    return make_task('image', [name, version, arches, target, inst_tree, opts],
                     **_task_opts(priority, 'image'))


class TypedTaskExports(object):
    """Maven / windows / image task calls, bound into RootExports."""

    mavenBuild = staticmethod(maven_build)
    wrapperRPM = staticmethod(wrapper_rpm)
    chainMaven = staticmethod(chain_maven)
    winBuild = staticmethod(win_build)
    buildImage = staticmethod(build_image)
    buildImageIndirection = staticmethod(build_image_indirection)
    buildImageOz = staticmethod(build_image_oz)
