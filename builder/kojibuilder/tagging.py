"""The tagBuild task: the tagging (or move) the hub's tagBuild / moveBuild calls queue.

The hub already checked access, the package list and the policy when the task was
made; host.tagBuild checks the policy again, as the task owner, at the moment of the
write. Either way the owner hears about the outcome through host.tagNotification.
"""
import sys

from koji.tasks import BaseTaskHandler


class TagBuildTask(BaseTaskHandler):
    """Tag a build for the task owner, or move it when fromtag is given."""

    Methods = ['tagBuild']

    def handler(self, tag_id, build_id, force=False, fromtag=None, ignore_success=False):
        owner = self.session.getTaskInfo(self.id)['owner']
        host = self.session.host
        try:
            # fail early with a clear fault when the build or tag went away meanwhile
            self.session.getBuild(build_id, strict=True)
            self.session.getTag(tag_id, strict=True)
            host.tagBuild(self.id, tag_id, build_id, force=force, fromtag=fromtag)
            host.tagNotification(True, tag_id, fromtag, build_id, owner, ignore_success)
        except Exception:
            etype, value = sys.exc_info()[:2]
            # the notification carries the failure; the task still fails with the fault
            host.tagNotification(False, tag_id, fromtag, build_id, owner, ignore_success,
                                 '%s: %s' % (etype, value))
            raise
