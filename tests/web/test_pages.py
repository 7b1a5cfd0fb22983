"""Read-only pages over HTTP: content, parameters, paging/sorting, errors and escaping."""
import re

import pytest
import requests

import koji


XSS = '<script>alert(1)</script>'


@pytest.fixture(scope='module')
def data(web):
    s = web.admin
    s.createTag('web-parent', arches='x86_64')
    s.createTag('web-build', parent='web-parent', arches='x86_64 aarch64')
    s.createTag('web-dest')
    s.createBuildTarget('web-target', 'web-build', 'web-dest')
    s.createTag(XSS + 'tag')
    s.createUser(XSS + 'user')
    s.createUser('bob')
    s.packageListAdd('web-dest', 'webpkg', owner='bob')
    s.packageListAdd(XSS + 'tag', XSS + 'pkg', owner=XSS + 'user')
    build_id = s.createEmptyBuild('webpkg', '1.0', '1', None)
    s.tagBuildBypass('web-dest', build_id)
    s.addHost('web-host.example.com', ['x86_64'])
    s.addHostToChannel('web-host.example.com', 'createrepo')
    parent = s.makeTask('newRepo', ['web-build'])
    child = s.makeTask('createrepo', [1, 'x86_64', None, None], parent=parent)
    xss_task = s.makeTask('newRepo', [XSS + 'tag'])
    return {'build_id': build_id, 'parent': parent, 'child': child, 'xss_task': xss_task,
            'tag': s.getTag('web-build'), 'target': s.getBuildTarget('web-target'),
            'bob': s.getUser('bob'), 'host': s.getHost('web-host.example.com'),
            'package': s.getPackage('webpkg')}


def ok(resp):
    assert resp.status_code == 200, resp.text[:3000]
    assert 'Traceback' not in resp.text
    return resp.text


def test_index_lists_recent_builds_and_tasks(web, data):
    text = ok(web.get('index'))
    assert '<title>Build System Info | kojitest</title>' in text
    assert 'href="buildinfo?buildID=%d">webpkg-1.0-1</a>' % data['build_id'] in text
    assert 'href="taskinfo?taskID=%d"' % data['parent'] in text
    for tab in ('summaryTab', 'packagesTab', 'buildsTab', 'tasksTab', 'tagsTab',
                'buildtargetsTab', 'usersTab', 'hostsTab', 'reportsTab', 'searchTab',
                'apiTab'):
        assert '<li id="%s"' % tab in text
    assert '<body id="summary">' in text
    assert '<li id="summaryTab" class="active">' in text
    assert 'href="login"' in text


def test_root_and_empty_path(web):
    assert '<title>Build System Info' in ok(web.get(''))
    resp = requests.get(web.url, allow_redirects=False, timeout=30)
    assert resp.status_code == 302
    assert resp.headers['Location'].endswith('/koji/')


def test_only_get_post_head(web):
    resp = requests.request('PUT', web.url + '/index', timeout=30)
    assert resp.status_code == 405
    assert 'Method Not Allowed' in resp.text
    assert resp.headers['Allow'] == 'GET, POST, HEAD'
    assert requests.head(web.url + '/index', timeout=30).status_code == 200
    assert requests.post(web.url + '/index', timeout=30).status_code == 200


def test_unknown_page_is_404(web):
    resp = web.get('nosuchpage')
    assert resp.status_code == 404
    assert 'Not found: /koji/nosuchpage' in resp.text
    assert 'Traceback' not in resp.text


def test_hub_fault_and_web_error_are_explained_apart(web):
    fault = web.get('userinfo?userID=987654').text
    assert 'An error has occurred on the main server.' in fault
    assert 'GenericError' in fault
    build = web.get('buildinfo?buildID=987654').text
    assert 'No such build ID: 987654' in build
    missing = web.get('taskinfo?taskID=987654').text
    assert 'No such task ID: 987654' in missing
    local = web.get('tasks?view=bogus').text
    assert 'An error has occurred in the web interface code.' in local
    assert "Invalid value for view: &#x27;bogus&#x27;" in local


@pytest.mark.parametrize('path', [
    'taskinfo?taskID=987654', 'taskinfo?taskID=abc', 'buildinfo?buildID=987654',
    'taginfo?tagID=987654', 'packageinfo?packageID=987654', 'userinfo?userID=987654',
    'hostinfo?hostID=987654', 'channelinfo?channelID=987654', 'rpminfo?rpmID=987654',
    'archiveinfo?archiveID=987654', 'buildrootinfo?buildrootID=987654',
    'buildtargetinfo?targetID=987654', 'tasks?order=bad;order', 'taskinfo',
    'tasks?view=bogus', 'fileinfo?filename=x&rpmID=987654', 'tags?start=0&&bad'])
def test_bad_input_gives_error_page(web, path):
    resp = web.get(path)
    assert resp.status_code == 500
    assert ('An error has occurred on the main server.' in resp.text
            or 'An error has occurred in the web interface code.' in resp.text
            or 'An error has occurred while processing your request.' in resp.text)
    assert 'Traceback' not in resp.text
    assert '<h4>Error</h4>' in resp.text
    assert 'Full tracebacks disabled' in resp.text


def test_tasks_tree_view_nests_children(web, data):
    text = ok(web.get('tasks?state=all'))
    parent = text.index('href="taskinfo?taskID=%d"' % data['parent'])
    child = text.index('href="taskinfo?taskID=%d"' % data['child'])
    assert parent < child
    assert 'class="task-free child"' in text
    flat = ok(web.get('tasks?state=all&view=toplevel'))
    assert 'taskID=%d"' % data['child'] not in flat
    closed = ok(web.get('tasks?state=closed'))
    assert 'taskID=%d"' % data['parent'] not in closed


def test_tasks_tree_view_three_levels(web, data):
    """Grandchildren under their parent, siblings in id order, each level indented."""
    s = web.admin
    top = s.makeTask('newRepo', ['web-build'])
    kid_b = s.makeTask('createrepo', [1, 'x86_64', None, None], parent=top)
    kid_a = s.makeTask('createrepo', [1, 'aarch64', None, None], parent=top)
    grandkid = s.makeTask('createrepo', [1, 's390x', None], parent=kid_b)
    text = ok(web.get('tasks?state=all&order=-id'))
    rows = re.findall(r'<td style="padding-left: ([\d.]+)em"><a href="taskinfo\?taskID=(\d+)"',
                      text)
    ids = [int(i) for _, i in rows]
    pos = ids.index(top)
    assert [(float(p), int(i)) for p, i in rows[pos:pos + 4]] == [
        (0.5, top), (2.0, kid_b), (3.5, grandkid), (2.0, kid_a)]
    # each task appears once
    assert len(ids) == len(set(ids))
    # the subtasks' requests were decoded for their labels
    assert 'href="taskinfo?taskID=%d" class="">createrepo (s390x)</a>' % grandkid in text


def test_tasks_state_must_be_known(web):
    resp = web.get('tasks?state=bogus')
    assert resp.status_code == 500 and 'Traceback' not in resp.text


def test_tasks_filters_by_method_and_sorts(web, data):
    text = ok(web.get('tasks?state=all&method=createrepo&view=flat'))
    assert 'taskID=%d"' % data['child'] in text
    assert 'taskID=%d"' % data['parent'] not in text
    asc = ok(web.get('tasks?state=all&view=flat&order=id'))
    ids = [int(x) for x in re.findall(r'<tr class="task-\w+[^"]*">\s*<td>(\d+)</td>', asc)]
    assert ids == sorted(ids) and len(ids) >= 3
    assert 'href="tasks?state=all&amp;view=flat&amp;order=-id"' in asc


def test_taskinfo(web, data):
    text = ok(web.get('taskinfo?taskID=%d' % data['parent']))
    assert 'Information for task' in text
    assert '<th>Method</th><td>newRepo</td>' in text
    # the request decoded: the tag parameter links to the tag
    assert '<strong>Tag</strong>: <a href="taginfo?tagID=%d">web-build</a>' % data['tag']['id'] \
        in text
    assert '<strong>Debuginfo</strong>: False' in text
    assert 'href="taskinfo?taskID=%d"' % data['child'] in text
    child = ok(web.get('taskinfo?taskID=%d' % data['child']))
    assert '<tr><th>Parent</th><td><a href="taskinfo?taskID=%d"' % data['parent'] in child
    # createrepo is a task whose logs can be watched while it runs
    assert 'href="watchlogs?taskID=%d"' % data['child'] in child
    assert 'watchlogs' not in text
    assert 'No outputs reported' in child
    # no cancel link for anonymous users
    assert 'canceltask' not in child


def test_builds_and_buildinfo(web, data):
    text = ok(web.get('builds'))
    assert 'webpkg-1.0-1' in text
    tagged = ok(web.get('builds?tagID=%d' % web.admin.getTag('web-dest')['id']))
    assert 'webpkg-1.0-1' in tagged and 'web-dest' in tagged
    other = ok(web.get('builds?tagID=%d' % data['tag']['id']))
    assert 'webpkg-1.0-1' not in other
    info = ok(web.get('buildinfo?buildID=%d' % data['build_id']))
    assert '<tr><th>Version</th><td>1.0</td></tr>' in info
    assert 'href="taginfo?tagID=%d">web-dest</a>' % web.admin.getTag('web-dest')['id'] in info


def test_packages_and_packageinfo(web, data):
    text = ok(web.get('packages'))
    assert '>webpkg</a>' in text
    assert 'href="packages?prefix=w"' in text
    only_x = ok(web.get('packages?prefix=x'))
    assert '>webpkg</a>' not in only_x
    info = ok(web.get('packageinfo?packageID=%d' % data['package']['id']))
    assert 'webpkg-1.0-1' in info and '>web-dest</a>' in info and '>bob</a>' in info


def test_tags_and_taginfo(web, data):
    text = ok(web.get('tags'))
    assert '>web-build</a>' in text
    info = ok(web.get('taginfo?tagID=%d' % data['tag']['id']))
    assert '<tr><th>Arches</th><td>x86_64 aarch64</td></tr>' in info
    assert '>web-parent</a>' in info
    assert 'href="buildtargetinfo?targetID=%d">web-target</a>' % data['target']['id'] in info
    # deleted tags get their own page
    web.admin.createTag('web-gone')
    gone = web.admin.getTag('web-gone')['id']
    web.admin.deleteTag(gone)
    deleted = ok(web.get('taginfo?tagID=%d' % gone))
    assert 'Information for deleted tag' in deleted and '<th>Deleted</th>' in deleted


def test_tags_paging_and_sorting(web, data):
    for i in range(55):
        web.admin.createTag('web-page-%02d' % i)
    first = ok(web.get('tags?order=name'))
    rows = re.findall(r'<a href="taginfo\?tagID=\d+">([^<]+)</a>', first)
    assert len(rows) == 50
    assert rows == sorted(rows)
    second = ok(web.get('tags?order=name&start=50'))
    rows2 = re.findall(r'<a href="taginfo\?tagID=\d+">([^<]+)</a>', second)
    assert rows2 and not set(rows2) & set(rows)
    assert 'href="tags?order=name&amp;start=50"' in first
    # the page-jump form keeps the other parameters and names the start field
    jump = re.search(r'<form class="pageJump" action="tags" method="get">(.*?)</form>',
                     first).group(1)
    assert '<input type="hidden" name="order" value="name"/>' in jump
    assert '<select name="start" onchange="this.form.submit()">' in jump
    assert '<option value="0" selected="selected">1</option>' in jump
    assert '<option value="50">2</option>' in jump
    assert '<noscript><input type="submit" value="Go"/></noscript>' in jump
    assert '1 through 50 of' in first
    desc = ok(web.get('tags?order=-name'))
    rows3 = re.findall(r'<a href="taginfo\?tagID=\d+">([^<]+)</a>', desc)
    assert rows3 == sorted(rows3, reverse=True)


def test_users_and_userinfo(web, data):
    text = ok(web.get('users'))
    assert '>bob</a>' in text
    info = ok(web.get('userinfo?userID=%d' % data['bob']['id']))
    assert '<tr><th>Name</th><td>bob</td></tr>' in info
    assert '>webpkg</a>' in info
    byname = ok(web.get('userinfo?userID=bob'))
    assert '<tr><th>ID</th><td>%d</td></tr>' % data['bob']['id'] in byname


def test_hosts_hostinfo_channelinfo(web, data):
    text = ok(web.get('hosts'))
    assert '>web-host.example.com</a>' in text
    assert '>createrepo</a>' in text
    none = ok(web.get('hosts?state=disabled'))
    assert 'web-host.example.com' not in none
    info = ok(web.get('hostinfo?hostID=%d' % data['host']['id']))
    assert '<tr><th>Arches</th><td>x86_64</td></tr>' in info
    chan = web.admin.getChannel('createrepo')
    cinfo = ok(web.get('channelinfo?channelID=%d' % chan['id']))
    assert '>web-host.example.com</a>' in cinfo


def test_targets(web, data):
    text = ok(web.get('buildtargets'))
    assert '>web-target</a>' in text
    info = ok(web.get('buildtargetinfo?targetID=%d' % data['target']['id']))
    assert '>web-build</a>' in info and '>web-dest</a>' in info
    byname = ok(web.get('buildtargetinfo?name=web-target'))
    assert '<tr><th>ID</th><td>%d</td></tr>' % data['target']['id'] in byname


def test_search_redirects_on_single_result(web, data):
    resp = web.get('search?terms=webpkg&type=package&match=exact')
    assert resp.status_code == 302
    assert resp.headers['Location'] == 'packageinfo?packageID=%d' % data['package']['id']
    assert 'Redirect: <a href="packageinfo?packageID=' in resp.text
    resp = web.get('search?terms=web-*&type=tag&match=glob')
    text = ok(resp)
    assert '>web-build</a>' in text and '>web-dest</a>' in text
    bad = ok(web.get('search?terms=(&type=tag&match=regexp'))
    assert 'Invalid regular expression' in bad


def test_api_and_reports(web):
    text = ok(web.get('api'))
    assert 'id="getBuild"' in text and web.hub.https_base + '/kojihub' in text
    reports = ok(web.get('reports'))
    assert 'href="buildsbyuser"' in reports
    assert 'href="activesession"' not in reports


def test_everything_is_escaped(web, data):
    """Objects named <script>... appear only escaped."""
    tag = web.admin.getTag(XSS + 'tag')
    user = web.admin.getUser(XSS + 'user')
    pages = ['tags', 'taginfo?tagID=%d' % tag['id'], 'packages', 'users',
             'userinfo?userID=%d' % user['id'], 'packages?tagID=%d' % tag['id'],
             'tasks?state=all', 'taskinfo?taskID=%d' % data['xss_task'], 'index',
             'search?terms=*script*&type=tag&match=glob', 'tasks?owner=%3Cscript%3E']
    for path in pages:
        resp = web.get(path)
        assert '<script>alert' not in resp.text, path
    assert '&lt;script&gt;alert(1)&lt;/script&gt;tag' in web.get('tags').text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;pkg' in web.get(
        'packages?tagID=%d' % tag['id']).text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;user' in web.get('users').text


def test_static_files_are_served(web):
    resp = requests.get(web.hub.base_url + '/koji-static/koji.css', timeout=30)
    assert resp.status_code == 200 and '--accent' in resp.text
    assert requests.get(web.hub.base_url + '/koji-static/images/complete.png',
                        timeout=30).content.startswith(b'\x89PNG')


def test_header_search_form(web):
    text = ok(web.get('index'))
    assert '<form id="headersearch" action="search" method="get">' in text
    assert '<input type="hidden" name="match" value="glob"/>' in text


def test_taginfo_counts(web, data):
    dest = web.admin.getTag('web-dest')
    text = ok(web.get('taginfo?tagID=%d' % dest['id']))
    assert '<a href="packages?blocked=0&amp;tagID=%d">1</a>' % dest['id'] in text
    assert '<a href="builds?tagID=%d">1</a>' % dest['id'] in text
    web.admin.packageListAdd('web-dest', 'blockedpkg', owner='bob', block=True)
    text = ok(web.get('taginfo?tagID=%d' % dest['id']))
    assert '<a href="packages?blocked=0&amp;tagID=%d">1</a>' % dest['id'] in text
    assert '<a href="packages?tagID=%d">2</a>' % dest['id'] in text


def test_taskinfo_shows_the_result_or_the_failure(web, data):
    """The task's result (or the fault a failed task stored) is read in the page's one
    multicall and shown; a failure does not fail the page."""
    import xmlrpc.client
    closed = web.admin.makeTask('newRepo', ['web-build'])
    failed = web.admin.makeTask('newRepo', ['web-build'])
    ok_xml = xmlrpc.client.dumps(({'repo_id': 4242},), methodresponse=True)
    fault_xml = xmlrpc.client.dumps(xmlrpc.client.Fault(1000, 'GenericError: disk full'),
                                    methodresponse=True)
    for task_id, state, result in ((closed, 'CLOSED', ok_xml), (failed, 'FAILED', fault_xml)):
        web.hub.sql('UPDATE task SET state = %s, result = %s WHERE id = %s',
                    koji.TASK_STATES[state], result, task_id)
    text = ok(web.get('taskinfo?taskID=%d' % closed))
    assert '<pre id="result" class="">repo_id = 4242</pre>' in text
    text = ok(web.get('taskinfo?taskID=%d' % failed))
    assert re.search(r'<pre id="result" class="failed">[^<]*disk full</pre>', text), text
