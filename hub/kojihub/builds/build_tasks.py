"""build and chainBuild: the calls that queue an rpm build for the builders.

The hub only records the request; the build task on a builder resolves the target,
checks the build policies (build_rpm, build_from_srpm, build_from_repo_id through
host.assertPolicy) and the opts, as upstream's kojid does.  The channel and priority
policies apply here, in make_task.
"""
import koji
from koji.context import context

from ..tasks.task_actions import make_task


def _task_opts(priority, channel):
    """make_task options of a user's build request: priority offset, requested channel."""
    opts = {}
    if priority:
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise koji.ParameterError('Invalid priority: %r' % (priority,))
        if priority < 0 and not context.session.hasPerm('admin'):
            raise koji.ActionNotAllowed('only admins may create high-priority tasks')
        opts['priority'] = koji.PRIO_DEFAULT + priority
    if channel:
        opts['channel'] = channel
    return opts


def build(src, target, opts=None, priority=None, channel=None):
    """build: queue a 'build' task for an SCM URL or an uploaded srpm; returns its id."""
    from ..repos.opts import convert_value
    context.session.assertLogin()
    if not opts:
        opts = {}
    convert_value(src, cast=str, check_only=True)
    return make_task('build', [src, target, opts], **_task_opts(priority, channel))


def chain_build(srcs, target, opts=None, priority=None, channel=None):
    """chainBuild: queue a 'chainbuild' task (lists of sources built level by level)."""
    from ..repos.opts import convert_value
    context.session.assertLogin()
    convert_value(srcs, cast=list, check_only=True)
    if not opts:
        opts = {}
    return make_task('chainbuild', [srcs, target, opts], **_task_opts(priority, channel))


class BuildTaskExports(object):
    """build / chainBuild, bound into RootExports."""

    build = staticmethod(build)
    chainBuild = staticmethod(chain_build)
