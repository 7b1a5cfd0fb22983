"""The RootExports facade: every public attribute of it is a top-level hub call.

Each domain module contributes a mixin class of exported functions; later domains are
added to the base list here, so the registry only has to know about this one class.
"""
from ..builds.archives import ArchiveExports
from ..core.auth import SessionExports
from ..cg.exports import CGExports
from ..builds.build_info import BuildInfoExports
from ..builds.build_lifecycle import BuildLifecycleExports
from ..builds.build_write import BuildWriteExports
from ..builds.build_tasks import BuildTaskExports
from ..builds.typed_tasks import TypedTaskExports
from ..builds.draft import DraftExports
from ..builds.scratch import ScratchExports
from ..builds.buildroots import BuildrootExports
from ..builds.builds import BuildQueryExports
from ..hosts.channels import ChannelExports
from .host_exports import HostExports
from ..hosts.hosts import HostRootExports
from ..tags.inheritance import InheritanceExports
from ..tags.external_repos import ExternalRepoExports
from ..repos.exports import RepoExports
from ..tags.groups import GroupExports
from ..core.history import HistoryExports
from .misc import MiscExports
from ..notifications.notifications import NotificationExports
from ..tags.packages import PackageExports
from ..users.perms import PermExports
from ..core.policy import PolicyExports
from ..repos.repos import RepoQueryExports
from ..repos.init import RepoInitExports
from ..repos.state import RepoStateExports
from ..repos.dist import DistRepoExports
from ..builds.rpm_import import RpmImportExports
from ..builds.rpms import RpmExports
from ..tasks.scheduler import SchedulerExports, SchedulerRootExports
from .search import SearchExports
from ..builds.signatures import SignatureExports
from ..builds.sig_rename import SigRenameExports
from ..tags.snapshot import SnapshotExports
from ..tags.tagged import TaggedExports
from ..tags.tagging import TaggingExports
from ..tags.tags import TagExports
from ..tags.targets import TargetExports
from ..tasks.task_actions import TaskActionExports
from ..tasks.tasks import TaskQueryExports
from ..tasks.uploads import UploadExports
from ..users.users import UserExports
from ..builds.volumes import VolumeExports


class RootExports(MiscExports, SessionExports, UserExports, PermExports, TagExports,
                  InheritanceExports, TargetExports, PackageExports, GroupExports,
                  HostRootExports, ChannelExports, BuildQueryExports, TaskQueryExports,
                  HistoryExports, ExternalRepoExports, PolicyExports, UploadExports,
                  RpmExports, ArchiveExports, BuildWriteExports, BuildrootExports,
                  TaskActionExports, SchedulerRootExports, RepoQueryExports,
                  RepoInitExports, RepoStateExports, DistRepoExports,
                  TaggingExports, TaggedExports, BuildLifecycleExports,
                  VolumeExports, NotificationExports, SearchExports, SignatureExports,
                  SnapshotExports, BuildInfoExports, BuildTaskExports, DraftExports,
                  ScratchExports, RpmImportExports, TypedTaskExports, CGExports,
                  SigRenameExports):
    """Top-level (non-prefixed) hub calls, assembled from the domain mixins."""


# prefix -> facade class whose public attributes become '<prefix>.<name>' calls
NAMESPACES = {
    'host': HostExports,
    'repo': RepoExports,
    'scheduler': SchedulerExports,
}
