"""Reports, the RSS feed, component lists, sessions, and the admin actions on tags,
targets and hosts (login cookie + CSRF token, nothing changes without them)."""
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

import koji

XSS = '<script>alert(1)</script>'


@pytest.fixture(scope='module')
def admin(web):
    cookie = web.login('alice')
    web.admin.grantPermission('alice', 'admin')
    page = web.get('index', cookie=cookie).text
    token = re.search(r'[?&](?:amp;)?a=([0-9a-f]{64})', page).group(1)
    return {'cookie': cookie, 'token': token}


@pytest.fixture(scope='module')
def data(web):
    s = web.admin
    s.createTag('rep-tag')
    s.createUser(XSS)
    s.packageListAdd('rep-tag', 'reppkg', owner=XSS)
    b1 = s.createEmptyBuild('reppkg', '1', '1', None, owner=XSS)
    b2 = s.createEmptyBuild('reppkg', '2', '1', None)
    s.tagBuildBypass('rep-tag', b1)
    # createEmptyBuild makes complete builds; the cancel test needs one still building
    web.hub.sql('UPDATE build SET state = %s, completion_time = NULL WHERE id = %s',
                koji.BUILD_STATES['BUILDING'], b2)
    s.addHost('rep-host', ['x86_64'])
    s.createExternalRepo('rep-ext', 'http://example.com/repo/$arch/')
    s.addExternalRepoToTag('rep-tag', 'rep-ext', 5)
    return {'b1': b1, 'b2': b2}


def ok(resp):
    assert resp.status_code == 200, resp.text[:3000]
    assert 'Traceback' not in resp.text
    return resp.text


def test_count_reports(web, data):
    text = ok(web.get('buildsbyuser'))
    assert 'Builds by User' in text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in text and '<script>alert' not in text
    rows = re.findall(r'<tr><td>([^<]*)</td><td>(\d+)</td>', text)
    assert dict(rows)['kojiadmin'] == '1'
    assert ok(web.get('packagesbyuser')).count('<tr><td>') >= 2
    assert 'rep-host' in ok(web.get('tasksbyhost'))
    assert 'rep-host' in ok(web.get('rpmsbyhost?rpmArch=ix86'))
    assert 'Tasks by User' in ok(web.get('tasksbyuser'))
    assert 'Builds by Target' in ok(web.get('buildsbytarget?days=-1'))
    status = ok(web.get('buildsbystatus?days=-1'))
    assert re.search(r'<td>Succeeded</td><td>\d+</td>', status)
    assert web.get('buildsbystatus?days=abc').status_code == 500
    for bad in ('rpmsbyhost?hostArch=x%3Cy', 'tasksbyhost?hostArch=a%20b',
                'clusterhealth?arch=%27'):
        resp = web.get(bad)
        assert resp.status_code == 500 and 'No such arch' in resp.text, bad
    health = ok(web.get('clusterhealth'))
    assert 'href="channelinfo?channelID=' in health and '>default</a>' in health


def test_recentbuilds_feed(web, data):
    resp = web.get('recentbuilds')
    assert resp.status_code == 200
    assert resp.headers['Content-Type'] == 'text/xml'
    root = ET.fromstring(resp.content)
    channel = root.find('channel')
    assert channel.find('title').text == 'kojitest: recent builds'
    assert channel.find('link').text == web.url + '/builds'
    titles = [i.find('title').text for i in channel.findall('item')]
    assert 'building: reppkg-2-1' in titles
    tag = web.admin.getTag('rep-tag')
    tagged = ET.fromstring(web.get('recentbuilds?tag=rep-tag').content).find('channel')
    assert tagged.find('title').text == 'kojitest: recent builds into tag rep-tag'
    assert tagged.find('link').text == web.url + '/builds?tagID=%d' % tag['id']
    [item] = tagged.findall('item')
    assert item.find('title').text == 'complete: reppkg-1-1'
    assert item.find('link').text == web.url + '/buildinfo?buildID=%d' % data['b1']
    assert item.find('pubDate').text.endswith('GMT')
    by_user = ET.fromstring(web.get('recentbuilds?user=%s' % quote(XSS)).content)
    assert by_user.find('channel').find('title').text.endswith(' by user ' + XSS)
    assert web.get('recentbuilds?package=nosuchpkg').status_code == 500


def test_external_repo_and_component_lists(web, data):
    ext = web.admin.getExternalRepo('rep-ext')
    text = ok(web.get('externalrepoinfo?extrepoID=%d' % ext['id']))
    assert 'http://example.com/repo/$arch/' in text and '>rep-tag</a>' in text
    assert 'Buildroots' in ok(web.get('buildroots'))
    assert web.get('rpmlist?type=component').status_code == 500
    assert web.get('rpmlist?type=bogus&buildrootID=1').status_code == 500
    assert web.get('externalrepoinfo?extrepoID=98765').status_code == 500


def test_activesession_lists_and_logs_out(web, admin):
    text = ok(web.get('activesession', cookie=admin['cookie']))
    ids = re.findall(r'activesessiondelete\?sessionID=(\d+)', text)
    assert ids
    resp = web.get('activesessiondelete?sessionID=%s&a=%s' % (ids[0], admin['token']),
                   cookie=admin['cookie'])
    assert resp.status_code == 302 and resp.headers['Location'] == 'activesession'
    anon = ok(web.get('activesession'))
    assert 'activesessiondelete' not in anon


def test_tag_create_edit_parent_delete(web, admin):
    c, a = admin['cookie'], admin['token']
    # the admin sees the create link; the form carries the token
    assert 'href="tagcreate?a=%s"' % a in web.get('tags', cookie=c).text
    form = ok(web.get('tagcreate?a=%s' % a, cookie=c))
    assert 'name="a" value="%s"' % a in form
    # without the token nothing is created
    web.get('tagcreate?add=Add&name=web-new&arches=x86_64', cookie=c)
    assert web.admin.getTag('web-new') is None
    resp = web.get('tagcreate?a=%s&add=Add&name=web-new&arches=x86_64&locked=yes'
                   '&permission=none' % a, cookie=c)
    assert resp.status_code == 302
    tag = web.admin.getTag('web-new')
    assert resp.headers['Location'] == 'taginfo?tagID=%d' % tag['id']
    assert tag['arches'] == 'x86_64' and tag['locked']
    web.get('tagedit?a=%s&tagID=%d&save=Save&name=web-renamed&arches=aarch64'
            '&permission=none' % (a, tag['id']), cookie=c)
    tag = web.admin.getTag(tag['id'])
    assert tag['name'] == 'web-renamed' and tag['arches'] == 'aarch64' and not tag['locked']
    parent = web.admin.getTag('rep-tag')
    resp = web.get('tagparent?a=%s&tagID=%d&parentID=%d&action=add&add=Add&priority=10'
                   '&maxdepth=' % (a, tag['id'], parent['id']), cookie=c)
    assert resp.status_code == 302
    assert [d['parent_id'] for d in web.admin.getInheritanceData(tag['id'])] == [parent['id']]
    # editing the link (save; an empty button value counts) replaces it
    web.get('tagparent?a=%s&tagID=%d&parentID=%d&action=edit&save=&priority=25&maxdepth=3'
            '&noconfig=' % (a, tag['id'], parent['id']), cookie=c)
    [link] = web.admin.getInheritanceData(tag['id'])
    assert (link['priority'], link['maxdepth'], link['noconfig']) == (25, 3, True)
    form = ok(web.get('tagparent?a=%s&tagID=%d&parentID=%d&action=edit'
                      % (a, tag['id'], parent['id']), cookie=c))
    assert 'name="priority" value="25"' in form and '<title>Edit Parent Tag |' in form
    info = ok(web.get('taginfo?tagID=%d' % tag['id'], cookie=c))
    assert 'action=remove' in info
    web.get('tagparent?a=%s&tagID=%d&parentID=%d&action=remove' % (a, tag['id'],
                                                                   parent['id']), cookie=c)
    assert web.admin.getInheritanceData(tag['id']) == []
    web.get('tagdelete?tagID=%d' % tag['id'], cookie=c)
    assert web.admin.getTag(tag['id']) is not None
    resp = web.get('tagdelete?a=%s&tagID=%d' % (a, tag['id']), cookie=c)
    assert resp.status_code == 302 and resp.headers['Location'] == 'tags'
    assert web.admin.getTag(tag['id']) is None


def test_target_create_edit_delete(web, admin, data):
    c, a = admin['cookie'], admin['token']
    tag = web.admin.getTag('rep-tag')
    web.admin.createTag('rep-dest')
    dest = web.admin.getTag('rep-dest')
    resp = web.get('buildtargetcreate?a=%s&add=Add&name=web-t&buildTag=%d&destTag=%d'
                   % (a, tag['id'], dest['id']), cookie=c)
    target = web.admin.getBuildTarget('web-t')
    assert resp.headers['Location'] == 'buildtargetinfo?targetID=%d' % target['id']
    assert target['build_tag'] == tag['id'] and target['dest_tag'] == dest['id']
    web.get('buildtargetedit?a=%s&targetID=%d&save=Save&name=web-t2&buildTag=%d&destTag=%d'
            % (a, target['id'], dest['id'], dest['id']), cookie=c)
    edited = web.admin.getBuildTarget(target['id'])
    assert edited['name'] == 'web-t2' and edited['build_tag'] == dest['id']
    web.get('buildtargetdelete?a=%s&targetID=%d' % (a, target['id']), cookie=c)
    assert web.admin.getBuildTarget(target['id']) is None


def test_host_edit_disable_enable(web, admin, data):
    c, a = admin['cookie'], admin['token']
    host = web.admin.getHost('rep-host')
    info = ok(web.get('hostinfo?hostID=%d' % host['id'], cookie=c))
    assert 'disablehost?hostID=%d&amp;a=%s' % (host['id'], a) in info
    web.get('disablehost?hostID=%d' % host['id'], cookie=c)
    assert web.admin.getHost(host['id'])['enabled']
    web.get('disablehost?hostID=%d&a=%s' % (host['id'], a), cookie=c)
    assert not web.admin.getHost(host['id'])['enabled']
    web.get('enablehost?hostID=%d&a=%s' % (host['id'], a), cookie=c)
    assert web.admin.getHost(host['id'])['enabled']
    form = ok(web.get('hostedit?hostID=%d&a=%s' % (host['id'], a), cookie=c))
    assert 'name="channels"' in form
    resp = web.get('hostedit?a=%s&hostID=%d&save=Save&arches=x86_64+aarch64&capacity=4.5'
                   '&description=%s&comment=hi&enabled=yes&channels=createrepo'
                   '&channels=default' % (a, host['id'], '%3Cb%3E'), cookie=c)
    assert resp.status_code == 302
    host = web.admin.getHost(host['id'])
    assert host['arches'] == 'x86_64 aarch64' and host['capacity'] == 4.5
    assert host['description'] == '<b>' and host['comment'] == 'hi'
    channels = sorted(ch['name'] for ch in web.admin.listChannels(hostID=host['id']))
    assert channels == ['createrepo', 'default']
    assert '&lt;b&gt;' in ok(web.get('hostinfo?hostID=%d' % host['id']))


def test_build_cancel_link_for_owner(web, admin, data):
    c = admin['cookie']
    page = ok(web.get('buildinfo?buildID=%d' % data['b2'], cookie=c))
    link = re.search(r'href="(cancelbuild\?[^"]+)"', page).group(1).replace('&amp;', '&')
    resp = web.get(link, cookie=c)
    assert resp.status_code == 302
    assert resp.headers['Location'] == 'buildinfo?buildID=%d' % data['b2']
    assert web.admin.getBuild(data['b2'])['state'] == koji.BUILD_STATES['CANCELED']


def test_free_an_open_task(web, admin, data):
    c, a = admin['cookie'], admin['token']
    task_id = web.admin.makeTask('newRepo', ['nosuch'])
    host = web.admin.getHost('rep-host')
    # no hub call opens a task for a host here
    web.hub.sql('UPDATE task SET state = %s, host_id = %s WHERE id = %s',
                koji.TASK_STATES['OPEN'], host['id'], task_id)
    page = ok(web.get('taskinfo?taskID=%d' % task_id, cookie=c))
    assert 'freetask?taskID=%d&amp;a=%s' % (task_id, a) in page
    anon = ok(web.get('taskinfo?taskID=%d' % task_id))
    assert 'freetask' not in anon
    web.get('freetask?taskID=%d' % task_id, cookie=c)
    assert web.admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['OPEN']
    resp = web.get('freetask?taskID=%d&a=%s' % (task_id, a), cookie=c)
    assert resp.headers['Location'] == 'taskinfo?taskID=%d' % task_id
    assert web.admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['FREE']
    # the host's tasks, as a flat list (no tree for one host)
    listed = ok(web.get('tasks?hostID=%d&state=all&view=tree' % host['id']))
    assert '<option value="tree" disabled="disabled">tree</option>' in listed
