"""Graphs drawn on the server as inline SVG (no JavaScript, no external files).

Every piece of text that comes from the hub goes through `_esc`, so the markup is safe to
drop into a page as a SafeValue.
"""
import html

import koji
from koji.formatting import formatTime

from kojiweb.util import SafeValue

# task state -> (fill, stroke) of its box
TASK_COLOURS = {
    'FREE': ('#eef3fb', '#5b7fb8'),
    'OPEN': ('#fff6d9', '#c79a00'),
    'ASSIGNED': ('#fff6d9', '#c79a00'),
    'CLOSED': ('#e6f4e6', '#3c8a3c'),
    'CANCELED': ('#eeeeee', '#888888'),
    'FAILED': ('#fbe6e6', '#b83c3c'),
}

NODE_W = 176
NODE_H = 62
GAP_X = 16
GAP_Y = 34
PAD = 8
MAX_NODES = 300


def _esc(value):
    return html.escape('' if value is None else str(value), quote=True)


def _num(value):
    """A coordinate written compactly (integers without a decimal point)."""
    value = round(value, 1)
    return str(int(value)) if value == int(value) else str(value)


def format_duration(seconds):
    """`1h 02m`, `3m 05s`, `12s`."""
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return '%dh %02dm' % (hours, minutes)
    if minutes:
        return '%dm %02ds' % (minutes, secs)
    return '%ds' % secs


def task_duration(task, now):
    """Run time of a task: start to completion, or to `now` while it runs; None if unstarted."""
    start = task.get('start_ts')
    if not start:
        return None
    end = task.get('completion_ts')
    if not end:
        if koji.TASK_STATES[task['state']] not in ('OPEN', 'ASSIGNED'):
            return None
        end = now
    return end - start


def _clip(text, size):
    text = '' if text is None else str(text)
    return text if len(text) <= size else text[:size - 1] + '\u2026'


def task_tree(task, descendents, hosts, now, parent=None):
    """The tree of `task` (its parent above it, its subtasks below) as an SVG SafeValue.

    `descendents` is getTaskDescendents' answer (str(parent id) -> child task dicts),
    `hosts` maps host ids to names.  Nodes are links to taskinfo; each edge names its ends
    in data-from / data-to.
    """
    children = {}
    for key, kids in descendents.items():
        children[int(key)] = sorted(kids, key=lambda t: t['id'])
    nodes = {}      # id -> (task, depth)
    order = []
    truncated = [False]

    def collect(node, depth):
        if len(nodes) >= MAX_NODES:
            truncated[0] = True
            return
        nodes[node['id']] = (node, depth)
        order.append(node['id'])
        for kid in children.get(node['id'], []):
            collect(kid, depth + 1)

    top = 0
    if parent:
        nodes[parent['id']] = (parent, 0)
        order.append(parent['id'])
        top = 1
    collect(task, top)

    # x position: leaves take consecutive columns, a parent sits over the middle of its
    # children
    column = {}
    next_col = [0]

    def place(node_id):
        kids = [k['id'] for k in children.get(node_id, []) if k['id'] in nodes]
        if not kids:
            column[node_id] = next_col[0]
            next_col[0] += 1
            return
        for kid in kids:
            place(kid)
        column[node_id] = (column[kids[0]] + column[kids[-1]]) / 2.0

    place(task['id'])
    if parent:
        column[parent['id']] = column[task['id']]
    depth_max = max(d for _, d in nodes.values())
    width = PAD * 2 + next_col[0] * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + (depth_max + 1) * (NODE_H + GAP_Y) - GAP_Y

    def box(node_id):
        x = PAD + column[node_id] * (NODE_W + GAP_X)
        y = PAD + nodes[node_id][1] * (NODE_H + GAP_Y)
        return x, y

    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="tasktree-graph" '
           'width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="task tree of task %d">' % (width, height, width, height, task['id'])]
    out.append('<g class="edges" stroke="#777" stroke-width="1.5" fill="none">')
    edges = []
    if parent:
        edges.append((parent['id'], task['id']))
    for node_id in order:
        for kid in children.get(node_id, []):
            if kid['id'] in nodes and node_id in nodes and (node_id, kid['id']) not in edges:
                edges.append((node_id, kid['id']))
    for src, dst in edges:
        x1, y1 = box(src)
        x2, y2 = box(dst)
        x1 += NODE_W / 2.0
        x2 += NODE_W / 2.0
        y1 += NODE_H
        mid = (y1 + y2) / 2.0
        out.append('<path class="edge" data-from="%d" data-to="%d" d="M%s %s C%s %s, %s %s, '
                   '%s %s"/>' % (src, dst, _num(x1), _num(y1), _num(x1), _num(mid),
                                 _num(x2), _num(mid), _num(x2), _num(y2)))
    out.append('</g>')
    for node_id in order:
        node, _ = nodes[node_id]
        state = koji.TASK_STATES[node['state']]
        fill, stroke = TASK_COLOURS.get(state, ('#ffffff', '#777777'))
        x, y = box(node_id)
        host = hosts.get(node.get('host_id')) if node.get('host_id') else None
        duration = task_duration(node, now)
        dur_text = format_duration(duration) if duration is not None else ''
        label = koji.taskLabel(node)
        current = node_id == task['id']
        tip = '%s\n%s%s%s' % (label, state.lower(), host and '\non ' + host or '',
                              dur_text and '\n' + dur_text or '')
        out.append('<a href="taskinfo?taskID=%d" class="node task-%s%s" data-task="%d">'
                   % (node_id, state.lower(), ' current' if current else '', node_id))
        out.append('<title>%s</title>' % _esc(tip))
        out.append('<rect x="%s" y="%s" width="%d" height="%d" rx="5" fill="%s" stroke="%s" '
                   'stroke-width="%s"/>' % (_num(x), _num(y), NODE_W, NODE_H, fill, stroke,
                                            '3' if current else '1.5'))
        tx = _num(x + 7)
        out.append('<text x="%s" y="%s" font-size="12" font-weight="bold" fill="#222">'
                   '<tspan class="id">%d</tspan> <tspan class="method">%s</tspan></text>'
                   % (tx, _num(y + 16), node_id, _esc(_clip(node['method'], 20))))
        out.append('<text x="%s" y="%s" font-size="11" fill="%s">'
                   '<tspan class="state">%s</tspan>%s</text>'
                   % (tx, _num(y + 32), stroke, state.lower(),
                      (' <tspan class="duration" fill="#444">%s</tspan>' % _esc(dur_text))
                      if dur_text else ''))
        out.append('<text x="%s" y="%s" font-size="11" fill="#444">'
                   '<tspan class="host">%s</tspan></text>'
                   % (tx, _num(y + 48), _esc(_clip(host or '', 26))))
        out.append('</a>')
    if truncated[0]:
        out.append('<text class="truncated" x="%d" y="%d" font-size="11">only the first %d '
                   'tasks are drawn</text>' % (PAD, height - 2, MAX_NODES))
    out.append('</svg>')
    return SafeValue(''.join(out))


def _ticks(top, count=4):
    """`count` round steps from 0 up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / float(count)
    mag = 10 ** len(str(int(raw))) / 10.0 if raw >= 1 else 1
    for mult in (1, 2, 2.5, 5, 10):
        step = mag * mult
        if step >= raw:
            break
    return [step * i for i in range(count + 1) if step * i <= top + step - 1e-9][:count + 1]


def _duration_ticks(top):
    """Round duration steps (seconds, minutes or hours) covering `top` seconds."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
                 21600, 43200, 86400):
        if top / step <= 5:
            break
    else:
        step = 86400 * (int(top / 86400 / 5) + 1)
    ticks = [0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def build_durations(builds, current=None, width=560, height=220):
    """Build duration (start to completion) against completion time, one point per build.

    `builds` are listBuilds rows; only finished builds with both times are drawn.  Each
    point links to its buildinfo page (data-build, data-duration); `current` (a build id)
    is marked.  Returns None when there is nothing to draw.
    """
    points = []
    for b in builds:
        end = b.get('completion_ts')
        begin = b.get('start_ts') or b.get('creation_ts')
        if not end or not begin or end < begin:
            continue
        points.append((end, end - begin, b))
    if not points:
        return None
    points.sort(key=lambda p: (p[0], p[2]['build_id']))
    left, right, top, bottom = 64, 16, 12, 40
    plot_w = width - left - right
    plot_h = height - top - bottom
    t0 = min(p[0] for p in points)
    t1 = max(p[0] for p in points)
    span = (t1 - t0) or 1.0
    yticks = _duration_ticks(max(p[1] for p in points))
    ymax = yticks[-1] or 1

    def px(ts):
        if t1 == t0:
            return left + plot_w / 2.0
        return left + plot_w * (ts - t0) / span

    def py(dur):
        return top + plot_h - plot_h * dur / float(ymax)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart build-durations" '
           'width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="build durations over time">' % (width, height, width, height)]
    out.append('<g class="axes" stroke="#999" stroke-width="1">'
               '<line x1="%d" y1="%d" x2="%d" y2="%d"/><line x1="%d" y1="%d" x2="%d" y2="%d"/>'
               '</g>' % (left, top, left, top + plot_h, left, top + plot_h,
                         left + plot_w, top + plot_h))
    out.append('<g class="yticks" font-size="10" fill="#444" text-anchor="end">')
    for tick in yticks:
        y = _num(py(tick))
        out.append('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e4e4e4"/>'
                   '<text x="%d" y="%s">%s</text>'
                   % (left + 1, y, left + plot_w, y, left - 4, _num(py(tick) + 3),
                      format_duration(tick)))
    out.append('</g>')
    out.append('<g class="xticks" font-size="10" fill="#444" text-anchor="middle">')
    xt = [t0] if t1 == t0 else [t0 + span * i / 3.0 for i in range(4)]
    for i, ts in enumerate(xt):
        label = formatTime(ts).split(' ')[0] if span > 2 * 86400 else \
            formatTime(ts)[5:16]
        # the outer labels stay inside the picture
        anchor = 'start' if i == 0 and len(xt) > 1 else \
            'end' if i == len(xt) - 1 and len(xt) > 1 else 'middle'
        out.append('<text x="%s" y="%d" text-anchor="%s">%s</text>'
                   % (_num(px(ts)), top + plot_h + 16, anchor, _esc(label)))
    out.append('</g>')
    if len(points) > 1:
        out.append('<polyline class="trend" fill="none" stroke="#7a9cc6" stroke-width="1.5" '
                   'points="%s"/>' % ' '.join('%s,%s' % (_num(px(t)), _num(py(d)))
                                              for t, d, _ in points))
    for ts, dur, b in points:
        state = koji.BUILD_STATES[b['state']].lower()
        colour = {'complete': '#3c8a3c', 'failed': '#b83c3c'}.get(state, '#888888')
        mark = b['build_id'] == current
        out.append('<a href="buildinfo?buildID=%d" class="point build-%s%s" data-build="%d" '
                   'data-duration="%d"><title>%s</title><circle cx="%s" cy="%s" r="%d" '
                   'fill="%s" stroke="%s" stroke-width="2"/></a>'
                   % (b['build_id'], state, ' current' if mark else '', b['build_id'],
                      int(round(dur)),
                      _esc('%s: %s (%s)' % (b['nvr'], format_duration(dur), state)),
                      _num(px(ts)), _num(py(dur)), 6 if mark else 4, colour,
                      '#000' if mark else colour))
    out.append('<text x="%d" y="%d" font-size="10" fill="#444">completion time</text>'
               % (left + plot_w // 2 - 35, height - 4))
    out.append('</svg>')
    return SafeValue(''.join(out))


def bar_chart(rows, cls, label, limit=30, width=560):
    """Horizontal bars: `rows` are (name, value, href or None), drawn largest first.

    At most `limit` bars; each is a <g class="bar" data-name data-value>.  None when every
    value is 0.
    """
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    shown = [r for r in rows if r[1] > 0][:limit]
    if not shown:
        return None
    name_w, bar_h, gap, top = 170, 16, 4, 4
    ticks = _ticks(shown[0][1])
    vmax = ticks[-1] or 1
    plot_w = width - name_w - 50
    height = top + len(shown) * (bar_h + gap) + 22
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart %s" width="%d" height="%d" '
           'viewBox="0 0 %d %d" role="img" aria-label="%s">'
           % (_esc(cls), width, height, width, height, _esc(label))]
    base = top + len(shown) * (bar_h + gap)
    for tick in ticks:
        x = _num(name_w + plot_w * tick / float(vmax))
        out.append('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#e4e4e4"/>'
                   '<text x="%s" y="%d" font-size="10" fill="#444" text-anchor="middle">%s'
                   '</text>' % (x, top, x, base, x, base + 14, _esc('%g' % tick)))
    for i, (name, value, href) in enumerate(shown):
        y = top + i * (bar_h + gap)
        w = plot_w * value / float(vmax)
        bar = ('<g class="bar" data-name="%s" data-value="%s"><title>%s: %s</title>'
               '<text x="%d" y="%d" font-size="11" text-anchor="end" fill="#222">%s</text>'
               '<rect x="%d" y="%d" width="%s" height="%d" fill="#5b7fb8"/>'
               '<text x="%s" y="%d" font-size="10" fill="#444">%s</text></g>'
               % (_esc(name), _esc(value), _esc(name), _esc(value), name_w - 6,
                  y + bar_h - 4, _esc(_clip(name, 26)), name_w, y, _num(w), bar_h,
                  _num(name_w + w + 4), y + bar_h - 4, _esc(value)))
        if href:
            bar = '<a href="%s">%s</a>' % (_esc(href), bar)
        out.append(bar)
    if len(rows) > len(shown) and rows[len(shown)][1] > 0:
        out.append('<text x="0" y="%d" font-size="10" fill="#444">top %d shown</text>'
                   % (height - 2, limit))
    out.append('</svg>')
    return SafeValue(''.join(out))
