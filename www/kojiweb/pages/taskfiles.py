"""Task output: taskstatus (plain text for watchlogs.js), getfile (chunked, ranges) and
the watchlogs page."""
import mimetypes

import koji

from kojiweb import util

from . import Stream, Text, page
from .tasks import _int_param

CHUNK = 1024 * 1024


@page
def taskstatus(req, taskID):
    """`<id>:<STATE>` then `<volume>:<filename>:<size>` per output file."""
    server = req.server
    task_id = _int_param(taskID, 'taskID')
    task = server.getTaskInfo(task_id)
    if not task:
        return Text('')
    out = '%i:%s\n' % (task['id'], koji.TASK_STATES[task['state']])
    files = server.listTaskOutput(task_id, stat=True, all_volumes=True)
    for fname, volumes in files.items():
        for volume, info in volumes.items():
            out += '%s:%s:%s\n' % (volume, fname, info['st_size'])
    return Text(out)


def _content_type(name):
    guess = mimetypes.guess_type(name, strict=False)[0]
    if guess:
        return guess
    if name.endswith('.log') or name.endswith('.ks'):
        return 'text/plain'
    return 'application/octet-stream'


@page
def getfile(req, taskID, name, volume='DEFAULT', offset=None, size=None):
    """A task output file streamed in 1 MiB chunks (no Content-Length: chunked), from
    offset (negative: from the end) for size bytes."""
    server = req.server
    task_id = _int_param(taskID, 'taskID')
    output = server.listTaskOutput(task_id, stat=True, all_volumes=True)
    try:
        info = output[name][volume]
    except (KeyError, TypeError):
        raise koji.GenericError('no file "%s" output by task %i' % (name, task_id))
    ctype = _content_type(name)
    headers = []
    if ctype != 'text/plain':
        headers.append(('Content-Disposition', 'attachment; filename=%s' % name))
    headers.append(('Content-Type', ctype))
    file_size = int(info['st_size'])
    offset = 0 if offset is None else int(offset)
    size = file_size if size is None else int(size)
    if size < 0:
        size = file_size
    if offset < 0:
        offset = max(offset, -file_size)
        size = min(size, -offset)
    else:
        size = min(size, file_size - offset)

    def body():
        pos, left = offset, size
        while left > 0:
            chunk = server.downloadTaskOutput(task_id, name, offset=pos,
                                              size=min(CHUNK, left), volume=volume)
            if not chunk:
                break
            if isinstance(chunk, str):
                chunk = chunk.encode('utf-8')
            yield chunk
            pos += len(chunk)
            left -= len(chunk)
    return Stream('200 OK', headers, body())


WATCH_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8"/>
<script type="text/javascript" src="%(script)s"></script>
<title>Logs for task %(tasks)s | %(site)s</title>
</head>
<body onload="watchLogs('logs')">
<pre id="logs">
<span>Loading logs for task %(tasks)s...</span>
</pre>
</body>
</html>
"""


@page
def watchlogs(req, taskID):
    """A bare page whose script follows the logs of one or more tasks."""
    ids = taskID if isinstance(taskID, list) else [taskID]
    tasks = ', '.join(str(_int_param(t, 'taskID')) for t in ids)
    return WATCH_PAGE % {'tasks': tasks, 'site': util.escapeHTML(req.opts.get('SiteName')),
                         'script': util.themePath('js/watchlogs.js', req.opts)}
