"""The RootExports facade: every public attribute of it is a top-level hub call.

Each domain module contributes a mixin class of exported functions; later domains are
added to the base list here, so the registry only has to know about this one class.
"""
from .archives import ArchiveExports
from .auth import SessionExports
from .build_info import BuildInfoExports
from .build_lifecycle import BuildLifecycleExports
from .build_write import BuildWriteExports
from .buildroots import BuildrootExports
from .builds import BuildQueryExports
from .channels import ChannelExports
from .host_exports import HostExports
from .hosts import HostRootExports
from .inheritance import InheritanceExports
from .external_repos import ExternalRepoExports, RepoExports
from .groups import GroupExports
from .history import HistoryExports
from .misc import MiscExports
from .notifications import NotificationExports
from .packages import PackageExports
from .perms import PermExports
from .policy import PolicyExports
from .repos import RepoQueryExports
from .rpms import RpmExports
from .scheduler import SchedulerExports, SchedulerRootExports
from .search import SearchExports
from .signatures import SignatureExports
from .snapshot import SnapshotExports
from .tagged import TaggedExports
from .tagging import TaggingExports
from .tags import TagExports
from .targets import TargetExports
from .task_actions import TaskActionExports
from .tasks import TaskQueryExports
from .uploads import UploadExports
from .users import UserExports
from .volumes import VolumeExports


class RootExports(MiscExports, SessionExports, UserExports, PermExports, TagExports,
                  InheritanceExports, TargetExports, PackageExports, GroupExports,
                  HostRootExports, ChannelExports, BuildQueryExports, TaskQueryExports,
                  HistoryExports, ExternalRepoExports, PolicyExports, UploadExports,
                  RpmExports, ArchiveExports, BuildWriteExports, BuildrootExports,
                  TaskActionExports, SchedulerRootExports, RepoQueryExports,
                  TaggingExports, TaggedExports, BuildLifecycleExports,
                  VolumeExports, NotificationExports, SearchExports, SignatureExports,
                  SnapshotExports, BuildInfoExports):
    """Top-level (non-prefixed) hub calls, assembled from the domain mixins."""


# prefix -> facade class whose public attributes become '<prefix>.<name>' calls
NAMESPACES = {
    'host': HostExports,
    'repo': RepoExports,
    'scheduler': SchedulerExports,
}
