"""One archive (archiveinfo) with its files and the buildroots it was used in."""
import koji

from kojiweb import paging

from . import page
from .tasks import _int_param


@page
def archiveinfo(req, archiveID, fileOrder='name', fileStart=None, buildrootOrder='-id',
                buildrootStart=None):
    server = req.server
    archive_id = _int_param(archiveID, 'archiveID')
    archive = server.getArchive(archive_id)
    if not archive:
        raise koji.GenericError('No such archive ID: %i' % archive_id)
    mc = server.multicall()
    atype = mc.getArchiveType(type_id=archive['type_id'])
    build = mc.getBuild(archive['build_id'])
    broot = mc.getBuildroot(archive['buildroot_id']) if archive['buildroot_id'] else None
    rpms = mc.listRPMs(imageID=archive['id'], queryOpts={'limit': 1})
    archives = mc.listArchives(imageID=archive['id'], queryOpts={'limit': 1})
    mc.call_all(strict=True)
    values = {'archive': archive, 'archiveType': atype.result, 'build': build.result,
              'builtInRoot': broot.result if broot else None,
              'show_rpm_components': bool(rpms.result),
              'show_archive_components': bool(archives.result)}
    paging.paginate_method(server, values, 'listArchiveFiles', args=(archive['id'],),
                           start=fileStart, order=fileOrder, default_order='name',
                           data_name='files', prefix='file')
    paging.paginate_method(server, values, 'listBuildroots', kw={'archiveID': archive['id']},
                           start=buildrootStart, order=buildrootOrder, default_order='-id',
                           data_name='buildroots', prefix='buildroot')
    return req.render('archiveinfo.chtml', values, archive['filename'] + ' | Archive Info',
                      'builds')
