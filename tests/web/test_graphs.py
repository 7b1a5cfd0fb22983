"""Server-rendered SVG graphs: the task tree on taskinfo."""
import re
import xml.etree.ElementTree as ET

import pytest

import koji

SVG_NS = '{http://www.w3.org/2000/svg}'
XSS_HOST = 'gr<b>aph</b>-host'


def ok(resp):
    assert resp.status_code == 200, resp.text[:3000]
    assert 'Traceback' not in resp.text
    return resp.text


def svgs(text, cls):
    """The <svg class=cls> elements of a page, parsed as XML (so they must be well formed)."""
    found = re.findall(r'<svg [^>]*class="%s".*?</svg>' % cls, text, re.S)
    return [ET.fromstring(s) for s in found]


def nodes_edges(svg):
    nodes = {}
    for a in svg.iter(SVG_NS + 'a'):
        texts = {t.get('class'): ''.join(t.itertext())
                 for t in a.iter(SVG_NS + 'tspan')}
        nodes[int(a.get('data-task'))] = dict(texts, cls=a.get('class'), href=a.get('href'))
    edges = {(int(p.get('data-from')), int(p.get('data-to')))
             for p in svg.iter(SVG_NS + 'path') if p.get('class') == 'edge'}
    return nodes, edges


@pytest.fixture(scope='module')
def tree(web):
    s = web.admin
    s.createTag('graph-tag', arches='x86_64')
    s.addHost(XSS_HOST, ['x86_64'])
    s.addHost('graph-host2', ['x86_64'])
    hosts = {h: s.getHost(h)['id'] for h in (XSS_HOST, 'graph-host2')}
    root = s.makeTask('newRepo', ['graph-tag'])
    c1 = s.makeTask('createrepo', [1, 'x86_64', None, None], parent=root)
    c2 = s.makeTask('createrepo', [1, 'aarch64', None, None], parent=root)
    g1 = s.makeTask('createrepo', [1, 'noarch', None, None], parent=c1)
    # no hub call runs a task on a host here: states, hosts and times are set directly
    sql = ("UPDATE task SET state = %s, host_id = %s, start_time = %s, "
           "completion_time = %s WHERE id = %s")
    web.hub.sql(sql, koji.TASK_STATES['CLOSED'], hosts[XSS_HOST],
                '2026-01-01 10:00:00+00', '2026-01-01 10:02:05+00', c1)
    web.hub.sql(sql, koji.TASK_STATES['FAILED'], hosts['graph-host2'],
                '2026-01-01 10:00:00+00', '2026-01-01 11:03:00+00', c2)
    web.hub.sql(sql, koji.TASK_STATES['CLOSED'], hosts['graph-host2'],
                '2026-01-01 10:00:00+00', '2026-01-01 10:00:07+00', g1)
    return {'root': root, 'c1': c1, 'c2': c2, 'g1': g1}


def test_taskinfo_draws_the_task_tree(web, tree):
    text = ok(web.get('taskinfo?taskID=%d' % tree['root']))
    graphs = svgs(text, 'tasktree-graph')
    assert len(graphs) == 1
    nodes, edges = nodes_edges(graphs[0])
    r, c1, c2, g1 = tree['root'], tree['c1'], tree['c2'], tree['g1']
    assert set(nodes) == {r, c1, c2, g1}
    assert edges == {(r, c1), (r, c2), (c1, g1)}
    assert nodes[r]['method'] == 'newRepo' and nodes[r]['state'] == 'free'
    assert 'current' in nodes[r]['cls'].split()
    assert nodes[c1]['state'] == 'closed' and nodes[c1]['duration'] == '2m 05s'
    assert nodes[c2]['state'] == 'failed' and nodes[c2]['duration'] == '1h 03m'
    assert nodes[g1]['duration'] == '7s'
    # the host name is text, escaped, not markup
    assert nodes[c1]['host'] == XSS_HOST and nodes[c2]['host'] == 'graph-host2'
    assert '<b>aph' not in text and 'gr&lt;b&gt;aph' in text
    assert nodes[c1]['href'] == 'taskinfo?taskID=%d' % c1
    # a child sits below its parent, siblings side by side
    rects = {tid: a.find(SVG_NS + 'rect') for tid, a in
             ((int(a.get('data-task')), a) for a in graphs[0].iter(SVG_NS + 'a'))}
    y = {tid: float(rect.get('y')) for tid, rect in rects.items()}
    x = {tid: float(rect.get('x')) for tid, rect in rects.items()}
    assert y[r] < y[c1] == y[c2] < y[g1]
    assert x[c1] != x[c2]


def test_subtask_graph_shows_its_parent(web, tree):
    text = ok(web.get('taskinfo?taskID=%d' % tree['c1']))
    nodes, edges = nodes_edges(svgs(text, 'tasktree-graph')[0])
    assert set(nodes) == {tree['root'], tree['c1'], tree['g1']}
    assert edges == {(tree['root'], tree['c1']), (tree['c1'], tree['g1'])}
    assert 'current' in nodes[tree['c1']]['cls'].split()
    assert 'current' not in nodes[tree['root']]['cls'].split()


def test_lone_task_has_no_graph(web, tree):
    lone = web.admin.makeTask('newRepo', ['graph-tag'])
    text = ok(web.get('taskinfo?taskID=%d' % lone))
    assert svgs(text, 'tasktree-graph') == []
