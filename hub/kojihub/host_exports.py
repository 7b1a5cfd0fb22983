"""The HostExports facade: calls made by build hosts, registered as ``host.<name>``."""
from .host_calls import HostTaskExports
from .policy import PolicyHostExports
from .signatures import SignatureHostExports
from .snapshot import TagBuildHostExports


class HostExports(PolicyHostExports, HostTaskExports, SignatureHostExports,
                  TagBuildHostExports):
    """Builder-side calls (host.getID, host.openTask, ...), assembled from domain mixins."""
