"""Login through a client cert (proxied to the hub), the `user` cookie, the CSRF token and
the actions that need both."""
import datetime
import hashlib
import html
import os
import re
import time

import pytest
import requests

import koji

SECRET = 'test-secret'


def cookie_for(user, stamp=None, secret=SECRET):
    payload = '%s:%d' % (user, int(time.time() if stamp is None else stamp))
    return '%s:%s' % (hashlib.sha256((payload + secret).encode()).hexdigest(), payload)


@pytest.fixture(scope='module')
def alice(web):
    cookie = web.login('alice')
    return {'cookie': cookie, 'user': web.admin.getUser('alice')}


def test_login_sets_signed_cookie(web):
    resp = requests.get(web.https_url + '/login?page=tasks', verify=web.certs['ca'], timeout=60,
                        cert=(web.certs['alice_crt'], web.certs['alice_key']),
                        allow_redirects=False)
    assert resp.status_code == 302
    assert resp.headers['Location'].endswith('/koji/tasks')
    assert resp.headers['Location'].startswith('https://')
    raw = resp.headers['Set-Cookie']
    assert raw.startswith('user=')
    assert 'Secure' in raw and 'HttpOnly' in raw and 'SameSite=Strict' in raw
    assert 'Path=/;' in raw or raw.endswith('Path=/') or 'Path=/ ' in raw
    value = resp.cookies['user']
    digest, payload = value.split(':', 1)
    user, stamp = payload.rsplit(':', 1)
    assert user == 'alice'
    assert hashlib.sha256((payload + SECRET).encode()).hexdigest() == digest
    # the hub made the user through the proxied login
    assert web.admin.getUser('alice')['name'] == 'alice'


def test_login_over_http_goes_to_https(web):
    resp = web.get('login?page=index')
    assert resp.status_code == 302
    assert resp.headers['Location'].startswith('https://')
    assert resp.headers['Location'].endswith('/koji/login?page=index')


def test_login_without_client_cert_fails(web):
    resp = requests.get(web.https_url + '/login', verify=web.certs['ca'], timeout=60,
                        allow_redirects=False)
    assert resp.status_code == 500
    assert 'user=' not in resp.headers.get('Set-Cookie', '')
    assert 'Traceback' not in resp.text


def test_cookie_shows_user_and_is_refreshed(web, alice):
    resp = web.get('index', cookie=alice['cookie'])
    assert resp.status_code == 200
    assert '>alice</a>' in resp.text and 'href="logout"' in resp.text
    assert 'user=' in resp.headers['Set-Cookie']
    assert 'Your Packages' in resp.text


@pytest.mark.parametrize('bad', [
    'tampered', 'expired', 'wrong-secret', 'garbage'])
def test_invalid_cookie_is_anonymous(web, alice, bad):
    if bad == 'tampered':
        value = alice['cookie'].replace('alice', 'kojiadmin')
    elif bad == 'expired':
        value = cookie_for('alice', stamp=time.time() - 73 * 3600)
    elif bad == 'wrong-secret':
        value = cookie_for('alice', secret='other')
    else:
        value = 'xyz'
    resp = web.get('index', cookie=value)
    assert resp.status_code == 200
    assert '>alice</a>' not in resp.text and 'href="login"' in resp.text
    assert 'Set-Cookie' not in resp.headers


def test_fresh_cookie_from_the_secret_is_accepted(web, alice):
    resp = web.get('index', cookie=cookie_for('alice'))
    assert '>alice</a>' in resp.text


def test_logout_clears_cookie(web, alice):
    resp = web.get('logout', cookie=alice['cookie'])
    assert resp.status_code == 302
    raw = resp.headers['Set-Cookie']
    assert 'user=""' in raw or 'user=;' in raw
    assert 'expires=' in raw.lower()


def test_logout_over_https_on_its_own_port_stays_https(web, alice):
    """Logging out goes back to http, except to a URL with a port of its own: plain http
    to the TLS port could not work."""
    resp = requests.get(web.https_url + '/logout', verify=web.certs['ca'], timeout=60,
                        headers={'Cookie': 'user=%s' % alice['cookie']},
                        allow_redirects=False)
    assert resp.status_code == 302
    assert resp.headers['Location'] == web.https_url + '/index'


def _token_link(text, page):
    match = re.search(r'href="(%s\?[^"]*)"' % page, text)
    assert match, text[:4000]
    return html.unescape(match.group(1))


def test_cancel_task_needs_login_and_token(web, alice):
    task_id = web.admin.makeTask('newRepo', ['nosuch'])
    # no hub call makes a task for another user
    web.hub.sql('UPDATE task SET owner = %s WHERE id = %s', alice['user']['id'], task_id)
    # anonymous: sent to login, nothing happens
    resp = web.get('canceltask?taskID=%d' % task_id)
    assert resp.status_code == 302 and resp.headers['Location'] == 'login'
    # logged in without a token, or with a wrong one: back to index, nothing happens
    for query in ('', '&a=0123'):
        resp = web.get('canceltask?taskID=%d%s' % (task_id, query), cookie=alice['cookie'])
        assert resp.status_code == 302
        assert resp.headers['Location'] == web.url + '/index'
        assert web.admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['FREE']
    # the link on the task page carries the token
    page = web.get('taskinfo?taskID=%d' % task_id, cookie=alice['cookie']).text
    link = _token_link(page, 'canceltask')
    assert re.search(r'&a=[0-9a-f]{64}$', link)
    resp = web.get(link, cookie=alice['cookie'])
    assert resp.status_code == 302
    assert resp.headers['Location'] == 'taskinfo?taskID=%d' % task_id
    assert web.admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['CANCELED']
    # resubmit from the canceled task's page
    page = web.get('taskinfo?taskID=%d' % task_id, cookie=alice['cookie']).text
    resp = web.get(_token_link(page, 'resubmittask'), cookie=alice['cookie'])
    assert resp.status_code == 302
    new_id = int(resp.headers['Location'].split('=')[1])
    assert new_id != task_id
    assert web.admin.getTaskInfo(new_id)['method'] == 'newRepo'


def test_token_is_the_upstream_hash(web, alice):
    now = datetime.datetime.now()
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    expected = hashlib.sha256(('alice' + str(quarter) + SECRET).encode()).hexdigest()
    earlier = hashlib.sha256(
        ('alice' + str(quarter - datetime.timedelta(minutes=15)) + SECRET).encode()).hexdigest()
    page = web.get('index', cookie=alice['cookie']).text
    assert expected in page or earlier in page  # a quarter may have begun in between


def test_someone_elses_task_is_not_cancelled(web, alice):
    task_id = web.admin.makeTask('newRepo', ['nosuch'])
    page = web.get('taskinfo?taskID=%d' % task_id, cookie=alice['cookie']).text
    assert 'canceltask' not in page
    token = re.search(r'[?&]a=([0-9a-f]{64})', web.get('index', cookie=alice['cookie']).text)
    resp = web.get('canceltask?taskID=%d&a=%s' % (task_id, token.group(1)),
                   cookie=alice['cookie'])
    assert resp.status_code == 500
    assert web.admin.getTaskInfo(task_id)['state'] == koji.TASK_STATES['FREE']


def test_notifications_create_edit_delete(web, alice):
    web.admin.createTag('notif-tag')
    tag = web.admin.getTag('notif-tag')
    index = web.get('index', cookie=alice['cookie']).text
    link = _token_link(index, 'notificationcreate')
    form = web.get(link, cookie=alice['cookie'])
    assert form.status_code == 200 and 'name="a"' in form.text
    token = re.search(r'name="a" value="([0-9a-f]{64})"', form.text).group(1)
    resp = web.get('notificationcreate?a=%s&package=all&tag=%d&success_only=yes&add=Add'
                   % (token, tag['id']), cookie=alice['cookie'])
    assert resp.status_code == 302 and resp.headers['Location'] == 'index'
    notifs = web.admin.getBuildNotifications(alice['user']['id'])
    assert len(notifs) == 1 and notifs[0]['tag_id'] == tag['id'] and notifs[0]['success_only']
    index = web.get('index', cookie=alice['cookie']).text
    assert 'notif-tag' in index and 'success only' in index
    resp = web.get('notificationedit?a=%s&notificationID=%d&package=all&tag=all&save=Save'
                   % (token, notifs[0]['id']), cookie=alice['cookie'])
    assert resp.status_code == 302
    edited = web.admin.getBuildNotification(notifs[0]['id'])
    assert edited['tag_id'] is None and not edited['success_only']
    # without the token nothing is deleted
    web.get('notificationdelete?notificationID=%d' % notifs[0]['id'], cookie=alice['cookie'])
    assert web.admin.getBuildNotification(notifs[0]['id'])
    resp = web.get(_token_link(web.get('index', cookie=alice['cookie']).text,
                               'notificationdelete'), cookie=alice['cookie'])
    assert resp.status_code == 302
    assert not web.admin.getBuildNotifications(alice['user']['id'])


def test_task_output_taskstatus_and_getfile(web):
    task_id = web.admin.makeTask('newRepo', ['nosuch'])
    outdir = os.path.join(web.hub.topdir, koji.PathInfo(topdir='').task(task_id).lstrip('/'))
    os.makedirs(outdir, exist_ok=True)
    content = ''.join('line %04d\n' % i for i in range(500))
    with open(os.path.join(outdir, 'build.log'), 'w') as fp:
        fp.write(content)
    with open(os.path.join(outdir, 'data.bin'), 'wb') as fp:
        fp.write(b'\x00\x01' * 10)
    web.hub.runas.chown_tree(outdir)
    status = web.get('taskstatus?taskID=%d' % task_id)
    assert status.status_code == 200
    lines = status.text.strip().split('\n')
    assert lines[0] == '%d:FREE' % task_id
    assert 'DEFAULT:build.log:%d' % len(content) in lines
    assert 'DEFAULT:data.bin:20' in lines
    assert web.get('taskstatus?taskID=987654').text == ''
    full = web.get('getfile?taskID=%d&name=build.log' % task_id)
    assert full.status_code == 200 and full.text == content
    assert full.headers['Content-Type'].startswith('text/plain')
    tail = web.get('getfile?taskID=%d&name=build.log&offset=-20' % task_id)
    assert tail.text == content[-20:]
    part = web.get('getfile?taskID=%d&name=build.log&offset=10&size=15' % task_id)
    assert part.text == content[10:25]
    binary = web.get('getfile?taskID=%d&name=data.bin' % task_id)
    assert binary.content == b'\x00\x01' * 10
    assert binary.headers['Content-Disposition'] == 'attachment; filename=data.bin'
    # streamed without a length: chunked
    assert binary.headers.get('Transfer-Encoding') == 'chunked'
    last = web.get('getfile?taskID=%d&name=build.log&offset=-10&size=100' % task_id)
    assert last.text == content[-10:]
    missing = web.get('getfile?taskID=%d&name=nope.log' % task_id)
    assert missing.status_code == 500
    page = web.get('taskinfo?taskID=%d' % task_id).text
    assert 'getfile?taskID=%d&amp;volume=DEFAULT&amp;name=build.log&amp;offset=-4000' \
        % task_id in page
    # output files link to the task's folder under KojiFilesURL
    assert 'href="%s/work/tasks/%d/%d/build.log"' % (web.hub.topurl, task_id % 10000,
                                                     task_id) in page
    watch = web.get('watchlogs?taskID=%d' % task_id)
    assert watch.status_code == 200 and 'js/watchlogs.js' in watch.text
    assert "watchLogs('logs')" in watch.text
    assert '<title>Logs for task %d | kojitest</title>' % task_id in watch.text
    assert web.get('watchlogs?taskID=x').status_code == 500
