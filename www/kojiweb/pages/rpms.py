"""One rpm (rpminfo) and one file of an rpm or archive (fileinfo)."""
import koji

from kojiweb import paging, util

from . import page
from .tasks import _int_param

DEP_TYPES = [('Provides', 'PROVIDE'), ('Obsoletes', 'OBSOLETE'), ('Conflicts', 'CONFLICT'),
             ('Requires', 'REQUIRE'), ('Recommends', 'RECOMMEND'), ('Suggests', 'SUGGEST'),
             ('Supplements', 'SUPPLEMENT'), ('Enhances', 'ENHANCE')]


@page
def rpminfo(req, rpmID, fileOrder='name', fileStart=None, buildrootOrder='-id',
            buildrootStart=None):
    server = req.server
    rpm_id = _int_param(rpmID, 'rpmID')
    try:
        rpm = server.getRPM(rpm_id, strict=True)
    except koji.GenericError:
        raise koji.GenericError('No such RPM ID: %i' % rpm_id)
    values = {'rpm': rpm, 'build': None, 'builtInRoot': None, 'summary': None,
              'description': None, 'license': None, 'disturl': None, 'deps': []}
    mc = server.multicall()
    build = mc.getBuild(rpm['build_id']) if rpm['build_id'] else None
    broot = mc.getBuildroot(rpm['buildroot_id']) if rpm['buildroot_id'] else None
    deps = mc.getRPMDeps(rpm['id']) if rpm['external_repo_id'] == 0 else None
    headers = (mc.getRPMHeaders(rpm['id'], headers=['summary', 'description', 'license',
                                                    'disturl'])
               if rpm['external_repo_id'] == 0 else None)
    mc.call_all(strict=True)
    values['build'] = build.result if build else None
    values['builtInRoot'] = broot.result if broot else None
    if headers:
        hdr = headers.result or {}
        for key in ('summary', 'description', 'license', 'disturl'):
            values[key] = hdr.get(key)
    if deps:
        by_type = {}
        for dep in deps.result:
            by_type.setdefault(dep['type'], []).append(dep)
        for label, name in DEP_TYPES:
            code = getattr(koji, 'DEP_' + name, None)
            entries = sorted(by_type.get(code, []), key=lambda d: d['name'])
            values['deps'].append((label, entries))
        paging.paginate_method(server, values, 'listRPMFiles', args=(rpm['id'],),
                               start=fileStart, order=fileOrder, default_order='name',
                               data_name='files', prefix='file')
    else:
        values['files'] = []
    paging.paginate_method(server, values, 'listBuildroots', kw={'rpmID': rpm['id']},
                           start=buildrootStart, order=buildrootOrder, default_order='-id',
                           data_name='buildroots', prefix='buildroot')
    return req.render('rpminfo.chtml', values,
                      util.formatRPM(rpm, link=False) + ' | RPM Info', 'builds')


@page
def fileinfo(req, filename, rpmID=None, archiveID=None):
    server = req.server
    values = {'rpm': None, 'archive': None}
    if rpmID:
        rpm_id = _int_param(rpmID, 'rpmID')
        rpm = server.getRPM(rpm_id)
        if not rpm:
            raise koji.GenericError('No such RPM ID: %i' % rpm_id)
        info = server.getRPMFile(rpm['id'], filename)
        if not info:
            raise koji.GenericError('no file %s in RPM %i' % (filename, rpm_id))
        values['rpm'] = rpm
    elif archiveID:
        archive_id = _int_param(archiveID, 'archiveID')
        archive = server.getArchive(archive_id)
        if not archive:
            raise koji.GenericError('No such archive ID: %i' % archive_id)
        info = server.getArchiveFile(archive['id'], filename)
        if not info:
            raise koji.GenericError('no file %s in archive %i' % (filename, archive_id))
        values['archive'] = archive
    else:
        raise koji.GenericError('either rpmID or archiveID must be specified')
    values['file'] = info
    return req.render('fileinfo.chtml', values, info['name'] + ' | File Info', 'builds')
