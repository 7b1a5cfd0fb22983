"""The HostExports facade: calls made by build hosts, registered as ``host.<name>``."""
from .buildroot_write import BuildrootHostExports
from .host_calls import HostTaskExports
from .notify import NotifyHostExports
from .policy import PolicyHostExports
from .signatures import SignatureHostExports
from .snapshot import TagBuildHostExports


class HostExports(PolicyHostExports, HostTaskExports, SignatureHostExports,
                  TagBuildHostExports, BuildrootHostExports, NotifyHostExports):
    """Builder-side calls (host.getID, host.openTask, ...), assembled from domain mixins."""
