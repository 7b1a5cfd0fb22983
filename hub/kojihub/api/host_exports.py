"""The HostExports facade: calls made by build hosts, registered as ``host.<name>``."""
from ..builds.buildroot_write import BuildrootHostExports
from ..builds.build_import import BuildImportHostExports
from ..tasks.host_calls import HostTaskExports
from ..notifications.notify import NotifyHostExports
from ..core.policy import PolicyHostExports
from ..builds.signatures import SignatureHostExports
from ..tags.snapshot import TagBuildHostExports
from ..repos.init import RepoHostExports
from ..repos.dist import DistRepoHostExports
from ..builds.maven_import import MavenHostExports
from ..builds.win_builds import WinHostExports
from ..builds.image_builds import ImageHostExports


class HostExports(PolicyHostExports, HostTaskExports, SignatureHostExports,
                  TagBuildHostExports, BuildrootHostExports, NotifyHostExports,
                  RepoHostExports, DistRepoHostExports, BuildImportHostExports,
                  MavenHostExports, WinHostExports, ImageHostExports):
    """Builder-side calls (host.getID, host.openTask, ...), assembled from domain mixins."""
