"""Task output: taskstatus (plain text for watchlogs.js), getfile (chunked, ranges) and
the watchlogs page."""
import mimetypes

import koji

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
    lines = ['%i:%s' % (task['id'], koji.TASK_STATES[task['state']])]
    files = server.listTaskOutput(task_id, stat=True, all_volumes=True)
    for fname, volumes in sorted(files.items()):
        for volume, info in sorted(volumes.items()):
            lines.append('%s:%s:%s' % (volume, fname, info['st_size']))
    return Text('\n'.join(lines) + '\n')


def _content_type(name):
    if name.endswith('.log') or name.endswith('.ks'):
        return 'text/plain'
    guess = mimetypes.guess_type(name)[0]
    return guess or 'application/octet-stream'


@page
def getfile(req, taskID, name, volume='DEFAULT', offset=None, size=None):
    server = req.server
    task_id = _int_param(taskID, 'taskID')
    output = server.listTaskOutput(task_id, stat=True, all_volumes=True)
    info = (output.get(name) or {}).get(volume)
    if info is None:
        raise koji.GenericError('no file "%s" output by task %i' % (name, task_id))
    file_size = int(info['st_size'])
    offset = int(offset) if offset not in (None, '') else 0
    if offset < 0:
        offset = max(file_size + offset, 0)
    offset = min(offset, file_size)
    remaining = file_size - offset
    if size not in (None, ''):
        remaining = max(min(int(size), remaining), 0)
    ctype = _content_type(name)
    headers = [('Content-Type', ctype), ('Content-Length', str(remaining))]
    if not ctype.startswith('text/'):
        headers.append(('Content-Disposition', 'attachment; filename=%s' % name))

    def body():
        pos, left = offset, remaining
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


@page
def watchlogs(req, taskID):
    task_id = _int_param(taskID, 'taskID')
    values = {'taskID': task_id}
    return req.render('watchlogs.chtml', values, 'Build System Info', 'summary')
