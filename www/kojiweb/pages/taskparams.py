"""A task's request decoded into named parameters, the objects they name looked up (one
multicall), and rendered as upstream's taskinfo shows them."""
import koji
from koji.formatting import formatTimeLong
from koji.tasks import parse_task_params

from kojiweb.util import SafeValue, escapeHTML, safe


def decode(server, task):
    """(params, opts): params maps names to values or looked-up objects."""
    mc = server.multicall()
    finish = queue_decode(mc, task)
    mc.call_all()
    return finish()


def queue_decode(mc, task):
    """Queue decode's look-ups in the multicall mc (not called strictly); returns a
    function that gives (params, opts) once mc has been called."""
    try:
        params = parse_task_params(task['method'], task['request'])
    except (TypeError, KeyError, ValueError, koji.GenericError):
        params = {'args': task['request']}
    opts = params.pop('opts', None) or {}
    pending = {}

    def tag(value):
        if not value or isinstance(value, dict):
            return value
        return mc.getTag(value, event='auto')

    renames = [('root', 'build_tag'), ('tag_id', 'destination_tag'), ('tag', 'tag'),
               ('tag_info', 'destination_tag'), ('from_info', 'source tag')]
    for old, new in renames:
        if old in params:
            pending[new] = tag(params.pop(old))
    for old in ('build_info', 'build_id'):
        if old in params:
            pending['build'] = mc.getBuild(params.pop(old))
    if 'user_info' in params:
        pending['user'] = mc.getUser(params.pop('user_info'))
    if 'task_list' in params:
        entries = []
        for item in params.pop('task_list'):
            try:
                base = parse_task_params(item[0], item[1])
            except (TypeError, KeyError, ValueError, koji.GenericError):
                base = {'args': item[1]}
            base['method'] = item[0]
            base['opts'] = item[2] if len(item) > 2 else None
            entries.append(base)
        params['task_list'] = entries
    if 'wait_list' in params:
        pending['wait_list'] = [mc.getTaskInfo(t) for t in params['wait_list']]
    for key in ('target', 'build_target', 'target_info'):
        if key in params:
            pending['build_target'] = mc.getBuildTarget(params.pop(key))
            break
    if 'build_tag' in params:
        pending['build_tag'] = tag(params.pop('build_tag'))
    if 'task_id' in params:
        pending['task'] = mc.getTaskInfo(params.pop('task_id'), request=True)
    if 'repo_id' in params:
        pending['repo'] = mc.repoInfo(params.pop('repo_id'))
    if 'buildrootID' in params:
        pending['buildroot'] = mc.getBuildroot(params.pop('buildrootID'))
    return lambda: _finish_decode(params, opts, pending)


def _finish_decode(params, opts, pending):
    def result(value):
        if isinstance(value, list):
            return [result(v) for v in value]
        if hasattr(value, 'result'):
            try:
                return value.result
            except Exception:
                return None
        return value
    for key, value in pending.items():
        value = result(value)
        if key in ('build_tag', 'destination_tag', 'tag', 'source tag') and \
                isinstance(value, dict) and value.get('revoke_event'):
            value = dict(value, name='%s (deleted)' % value['name'])
        params[key] = value
    return params, opts


def _link(page, key, ident, label):
    return safe('<a href="%s?%s=%s">%s</a>', page, key, ident, label)


def value_html(key, value, params, sep=', '):
    """One parameter's value, linked to the page of the object it names."""
    if value is None:
        return 'None'
    try:
        if key == 'user':
            return _link('userinfo', 'userID', value['id'], value['name'])
        if key == 'task':
            return _link('taskinfo', 'taskID', value['id'], value['id'])
        if key == 'host':
            return _link('hostinfo', 'hostID', value['id'], value['name'])
        if key == 'build':
            return _link('buildinfo', 'buildID', value['id'], value['nvr'])
        if key == 'buildroot':
            return _link('buildrootinfo', 'buildrootID', value['id'], value['id'])
        if key in ('tag', 'destination_tag', 'build_tag', 'source tag'):
            return _link('taginfo', 'tagID', value['id'], value['name'])
        if key in ('build_target', 'target_info'):
            return _link('buildtargetinfo', 'targetID', value['id'], value['name'])
        if key in ('repo_info', 'oldrepo', 'repo'):
            if key == 'repo' and isinstance(value, list):
                return escapeHTML(sep.join(str(v) for v in value))
            return SafeValue('%s (%s)' % (
                _link('repoinfo', 'repoID', value['id'], value['id']),
                escapeHTML(formatTimeLong(value['create_ts']))))
        if key == 'task_list':
            return SafeValue(''.join('<br/><strong>&nbsp;Task:</strong><br/>' +
                                     map_html(t, '&nbsp;&nbsp;') for t in value))
        if key == 'wait_list':
            return SafeValue(sep.join(
                _link('taskinfo', 'taskID', t['id'], t['id']) if isinstance(t, dict)
                else escapeHTML(t) for t in value))
    except (KeyError, TypeError):
        pass
    if isinstance(value, list):
        return escapeHTML(sep.join(str(v) for v in value))
    if isinstance(value, dict):
        return escapeHTML(sep.join('%s=%s' % (n == '' and "''" or n, v)
                                   for n, v in value.items()))
    return escapeHTML(value)


def map_html(vals, prefix=''):
    out = []
    for key, value in (vals or {}).items():
        if key == 'properties' and isinstance(value, dict):
            props = ', '.join('%s=%s' % (n, v) if v is not None else str(n)
                              for n, v in value.items())
            out.append('%sproperties&nbsp;=&nbsp;%s<br/>' % (prefix, escapeHTML(props)))
        elif key != '__starstar':
            shown = value_html(key, value, vals)
            out.append('%s%s&nbsp;=&nbsp;%s<br/>' % (prefix, escapeHTML(key), shown))
    return ''.join(out)


def params_html(params, opts):
    """The Parameters cell: each non-None parameter by sorted name, then the options."""
    out = []
    for key in sorted(params):
        if params[key] is not None:
            label = key.capitalize().replace('_', ' ')
            out.append('<strong>%s</strong>: %s<br/>' % (
                escapeHTML(label), value_html(key, params[key], params)))
    if opts:
        out.append('<strong>Options:</strong><br/>')
        out.append(map_html(opts, '&nbsp;&nbsp;'))
    return SafeValue('\n'.join(out))
