"""The content generator calls, bound into RootExports."""
from .access import grant_cg_access, list_cgs, revoke_cg_access
from .importer import cg_import
from .reserve import cg_init_build, cg_refund_build


class CGExports(object):
    CGInitBuild = staticmethod(cg_init_build)
    CGRefundBuild = staticmethod(cg_refund_build)
    CGImport = staticmethod(cg_import)
    listCGs = staticmethod(list_cgs)
    grantCGAccess = staticmethod(grant_cg_access)
    revokeCGAccess = staticmethod(revoke_cg_access)
