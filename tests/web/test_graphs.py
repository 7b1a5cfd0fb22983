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


@pytest.fixture(scope='module')
def builds(web):
    """chartpkg: three complete builds (5m, 1h, 30s) and a failed one (2m), a day apart."""
    s = web.admin
    ids = []
    for i, (state, minutes) in enumerate([('COMPLETE', 5), ('COMPLETE', 60),
                                          ('FAILED', 2), ('COMPLETE', 0.5)]):
        build_id = s.createEmptyBuild('chartpkg', '1.%d' % i, '1', None)
        web.hub.sql("UPDATE build SET state = %s, "
                    "completion_time = %s::timestamptz, "
                    "start_time = %s::timestamptz - make_interval(secs => %s) WHERE id = %s",
                    koji.BUILD_STATES[state], '2026-02-0%d 12:00:00+00' % (i + 1),
                    '2026-02-0%d 12:00:00+00' % (i + 1), minutes * 60, build_id)
        ids.append(build_id)
    return ids


def points(svg):
    out = {}
    for a in svg.iter(SVG_NS + 'a'):
        circle = a.find(SVG_NS + 'circle')
        out[int(a.get('data-build'))] = {
            'cls': a.get('class').split(), 'duration': int(a.get('data-duration')),
            'x': float(circle.get('cx')), 'y': float(circle.get('cy')),
            'title': a.find(SVG_NS + 'title').text, 'href': a.get('href')}
    return out


def test_packageinfo_charts_build_durations(web, builds):
    pkg = web.admin.getPackage('chartpkg')
    text = ok(web.get('packageinfo?packageID=%d' % pkg['id']))
    charts = svgs(text, 'chart build-durations')
    assert len(charts) == 1
    pts = points(charts[0])
    b0, b1, b2, b3 = builds
    assert set(pts) == set(builds)
    assert [pts[b]['duration'] for b in builds] == [300, 3600, 120, 30]
    # later completion further right, longer duration higher up (smaller y)
    assert pts[b0]['x'] < pts[b1]['x'] < pts[b2]['x'] < pts[b3]['x']
    assert pts[b1]['y'] < pts[b0]['y'] < pts[b2]['y'] < pts[b3]['y']
    assert 'build-failed' in pts[b2]['cls'] and 'build-complete' in pts[b0]['cls']
    assert pts[b1]['title'] == 'chartpkg-1.1-1: 1h 00m (complete)'
    assert pts[b0]['href'] == 'buildinfo?buildID=%d' % b0


def test_buildinfo_marks_its_build_among_the_package_builds(web, builds):
    text = ok(web.get('buildinfo?buildID=%d' % builds[2]))
    pts = points(svgs(text, 'chart build-durations')[0])
    assert set(pts) == set(builds)
    assert [b for b in builds if 'current' in pts[b]['cls']] == [builds[2]]


def test_unfinished_builds_are_not_charted(web):
    build_id = web.admin.createEmptyBuild('chartpkg-none', '1', '1', None)
    web.hub.sql('UPDATE build SET state = %s, completion_time = NULL WHERE id = %s',
                koji.BUILD_STATES['BUILDING'], build_id)
    text = ok(web.get('buildinfo?buildID=%d' % build_id))
    assert svgs(text, 'chart build-durations') == []


def test_tasks_by_host_chart(web, tree):
    text = ok(web.get('tasksbyhost'))
    charts = svgs(text, 'chart tasks-by-host')
    assert len(charts) == 1
    bars = [(g.get('data-name'), int(g.get('data-value')))
            for g in charts[0].iter(SVG_NS + 'g') if g.get('class') == 'bar']
    # largest first; hosts with no tasks are left out
    assert bars == [('graph-host2', 2), (XSS_HOST, 1)]
    links = [a.get('href') for a in charts[0].iter(SVG_NS + 'a')]
    assert links[0] == 'hostinfo?hostID=%d' % web.admin.getHost('graph-host2')['id']
    assert '<b>aph' not in text
