"""The repo request queue pages (reporequest, reporequests) and the links to them from
taginfo, taskinfo and repoinfo, over requests made through the hub."""
import re

import pytest

XSS = '<script>alert(1)</script>'


@pytest.fixture(scope='module')
def reqs(web):
    s = web.admin
    s.createTag('rq-a', arches='x86_64')
    s.createTag('rq-b' + XSS, arches='x86_64')
    first = s.repo.request('rq-a', min_event='last')['request']
    event = s.getLastEvent()['id']
    second = s.repo.request('rq-b' + XSS, at_event=event, opts={'src': True},
                            priority=5)['request']
    # the second request was fulfilled by a repo (no repo code here to make one)
    web.hub.sql("INSERT INTO repo (tag_id, state) VALUES (%s, 1)", second['tag_id'])
    web.hub.sql("UPDATE repo_queue SET active = false, "
                "repo_id = (SELECT max(id) FROM repo WHERE tag_id = %s) WHERE id = %s",
                second['tag_id'], second['id'])
    second = s.repo.queryQueue([['id', '=', second['id']]], '**')[0]
    first = s.repo.queryQueue([['id', '=', first['id']]], '**')[0]
    return {'first': first, 'second': second, 'event': event}


def ok(resp):
    assert resp.status_code == 200, resp.text[:3000]
    assert 'Traceback' not in resp.text
    return resp.text


def row_ids(text):
    return [int(n) for n in re.findall(r'<tr><td><a href="reporequest\?reqID=(\d+)">', text)]


def test_one_request_with_its_task(web, reqs):
    req = reqs['first']
    assert req['task_id'], 'the queue pass gave the request a task'
    text = ok(web.get('reporequest?reqID=%d' % req['id']))
    assert '<title>Repo Request | kojitest</title>' in text
    assert '<h2>Information for repo request %d</h2>' % req['id'] in text
    assert '<li id="tagsTab" class="active">' in text
    assert '<tr><th>Tag</th><td><a href="taginfo?tagID=%d">rq-a</a>' % req['tag_id'] in text
    assert '<tr><th>Minimum event</th><td>%d (' % req['min_event'] in text
    assert 'At specific event' not in text
    assert '<a href="taskinfo?taskID=%d">%d</a>' % (req['task_id'], req['task_id']) in text
    assert '<tr><th>Active</th><td class="yes">yes</td></tr>' in text
    assert '<tr><th>Owner</th><td><a href="userinfo?userID=%d">%s</a>' % (
        req['owner'], req['owner_name']) in text
    assert 'Fulfilled by repo' not in text


def test_fulfilled_request_at_an_event_with_options(web, reqs):
    req = reqs['second']
    text = ok(web.get('reporequest?reqID=%d' % req['id']))
    assert '<tr><th>At specific event</th><td>%d (' % reqs['event'] in text
    assert 'Minimum event' not in text
    assert '<tr><th>Active</th><td class="no">no</td></tr>' in text
    assert '<tr><th>Priority</th><td>%d</td></tr>' % req['priority'] in text
    assert '<a href="repoinfo?repoID=%d">%d</a>' % (req['repo_id'], req['repo_id']) in text
    assert '&quot;src&quot;: true' in text
    # the tag's name is escaped
    assert XSS not in text
    assert 'rq-b&lt;script&gt;' in text


def test_unknown_or_bad_request_id(web, reqs):
    resp = web.get('reporequest?reqID=987654')
    assert resp.status_code == 500
    assert 'No such repo request: 987654' in resp.text
    assert web.get('reporequest?reqID=x').status_code == 500


def test_queue_list_active_inactive_all(web, reqs):
    first, second = reqs['first']['id'], reqs['second']['id']
    text = ok(web.get('reporequests'))
    assert '<title>Repo Requests | kojitest</title>' in text
    assert '<h2>Active repo requests</h2>' in text
    assert first in row_ids(text) and second not in row_ids(text)
    assert '<option value="true" selected="selected">true</option>' in text
    text = ok(web.get('reporequests?active=false'))
    assert '<h2>Inactive repo requests</h2>' in text
    assert row_ids(text) == [second]
    text = ok(web.get('reporequests?active=all'))
    assert '<h2>Recent repo requests</h2>' in text
    # newest first by default, ascending when asked
    assert row_ids(text) == sorted(row_ids(text), reverse=True)
    assert {first, second} <= set(row_ids(text))
    asc = row_ids(ok(web.get('reporequests?active=all&order=id')))
    assert asc == sorted(asc) and len(asc) == len(row_ids(text))
    # the fulfilled one links its repo and shows the yes state; the active one waits
    assert '<a href="repoinfo?repoID=%d">' % reqs['second']['repo_id'] in text
    assert 'src="/koji-static/images/waiting.png"' in text
    assert 'src="/koji-static/images/yes.png"' in text


def test_queue_list_by_tag(web, reqs):
    req = reqs['second']
    for tag in (str(req['tag_id']), 'rq-b' + XSS):
        resp = web.get('reporequests', params={'active': 'all', 'tag': tag})
        text = ok(resp)
        assert row_ids(text) == [req['id']]
        assert '<h2>Recent repo requests for tag rq-b&lt;script&gt;' in text
        assert 'name="tag" value="rq-b&lt;script&gt;' in text
    # unfiltered, each row links the same list for its tag
    text = ok(web.get('reporequests?active=all'))
    assert 'href="reporequests?active=all&amp;tag=%d"' % req['tag_id'] in text
    assert web.get('reporequests?tag=no-such-tag').status_code == 500


def test_linked_from_taginfo_taskinfo_repoinfo(web, reqs):
    first, second = reqs['first'], reqs['second']
    text = ok(web.get('taginfo?tagID=%d' % first['tag_id']))
    assert ('<tr><th>Repo&nbsp;requests</th><td><a href="reporequests?active=all&amp;'
            'tag=%d">1</a></td></tr>' % first['tag_id']) in text
    text = ok(web.get('taskinfo?taskID=%d' % first['task_id']))
    assert ('<tr><th>For request</th><td><a href="reporequest?reqID=%d">%d</a>'
            % (first['id'], first['id'])) in text
    text = ok(web.get('repoinfo?repoID=%d' % second['repo_id']))
    assert ('<tr><th>Fulfills requests</th><td><a href="reporequest?reqID=%d">%d</a>'
            % (second['id'], second['id'])) in text
