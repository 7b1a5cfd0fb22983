"""Graphs drawn on the server as inline SVG (no JavaScript, no external files).

Every piece of text that comes from the hub goes through `_esc`, so the markup is safe to
drop into a page as a SafeValue.
"""
import html

import koji

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
