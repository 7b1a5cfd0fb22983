"""Pages of a build imported from real rpms: buildinfo (rpms by arch, srpm headers,
changelog, download links), rpminfo (dependencies, files), fileinfo, rpm search."""
import os
import re

import pytest


@pytest.fixture(scope='module')
def imported(web, rpm_builds):
    build = rpm_builds.noarch
    for path in [build.srpm] + list(build.rpms):
        serverdir = 'web-test/%s' % os.path.basename(path)
        web.admin.uploadWrapper(path, serverdir)
        web.admin.importRPM(serverdir, os.path.basename(path))
    info = web.admin.getBuild(build.nvr)
    rpms = web.admin.listBuildRPMs(info['id'])
    return {'build': info, 'rpms': rpms, 'spec': build}


def ok(resp):
    assert resp.status_code == 200, resp.text[:3000]
    assert 'Traceback' not in resp.text
    return resp.text


def test_buildinfo_lists_rpms_and_srpm_headers(web, imported):
    build = imported['build']
    text = ok(web.get('buildinfo?buildID=%d' % build['id']))
    assert '<title>%s | Build Info | kojitest</title>' % build['nvr'] in text
    # src first, then the binary arches
    archs = re.findall(r'<tr><th colspan="2">(\w+)</th></tr>', text)
    assert archs[0] == 'src' and 'noarch' in archs
    for rpm in imported['rpms']:
        assert 'href="rpminfo?rpmID=%d"' % rpm['id'] in text
    assert 'Noarch test package for the koji clone' in text
    assert '<tr><th>License</th><td>MIT</td></tr>' in text
    src = [r for r in imported['rpms'] if r['arch'] == 'src'][0]
    assert '%s/packages/kojitest-noarch/1.0/1/src/%s-1.0-1.src.rpm' % (
        web.hub.topurl, src['name']) in text
    assert '<tr><th>Changelog</th>' in text


def test_rpminfo_dependencies_and_files(web, imported):
    rpm = [r for r in imported['rpms'] if r['arch'] == 'noarch'][0]
    text = ok(web.get('rpminfo?rpmID=%d' % rpm['id']))
    assert 'kojitest-virtual = 1.0' in text
    assert '<tr><th>Requires</th>' in text and '/bin/sh' in text
    assert '<tr><th>Recommends</th>' in text
    files = web.admin.listRPMFiles(rpm['id'])
    assert files
    first = files[0]['name']
    assert 'fileinfo?rpmID=%d&amp;filename=' % rpm['id'] in text
    from urllib.parse import quote
    info = ok(web.get('fileinfo?rpmID=%d&filename=%s' % (rpm['id'], quote(first, safe=''))))
    assert '<tr><th>Name</th><td>%s</td></tr>' % first in info
    assert '<th>Mode</th>' in info and 'href="rpminfo?rpmID=%d"' % rpm['id'] in info


def test_rpm_search_redirects(web, imported):
    rpm = [r for r in imported['rpms'] if r['arch'] == 'noarch'][0]
    label = '%(name)s-%(version)s-%(release)s.%(arch)s.rpm' % rpm
    resp = web.get('search?terms=%s&type=rpm&match=exact' % label)
    assert resp.status_code == 302
    assert resp.headers['Location'] == 'rpminfo?rpmID=%d' % rpm['id']
