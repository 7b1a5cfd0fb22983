"""kojid's mail tasks: tell people how a build or a tag operation went.

The hub decides who is told (see hub/kojihub/notify.py) and queues a ``buildNotification``
or ``tagNotification`` task with the addresses; the handlers here look up the details,
write the message in the layout upstream's mails have (CRLF lines, X-Koji-* headers that
mail filters key on) and hand it to ``smtphost`` from kojid.conf, logging in first when
``smtp_user`` and ``smtp_pass`` are both set.
"""
import smtplib

import koji
import koji.util
from koji.tasks import BaseTaskHandler

CRLF = '\r\n'


def crlf_lines(lines):
    """Join lines into message text, each ended by CRLF."""
    return ''.join(line + CRLF for line in lines)


def send_mail(options, recipients, message):
    """Deliver one message (text) to every recipient through the configured SMTP host."""
    data = koji.fixEncoding(message).encode('utf-8')
    server = smtplib.SMTP(options.smtphost)
    try:
        if options.smtp_user is not None and options.smtp_pass is not None:
            server.login(options.smtp_user, options.smtp_pass)
        server.sendmail(options.from_addr, recipients, data)
    finally:
        server.quit()


class TagNotificationTask(BaseTaskHandler):
    """Mail about a tag, untag or move of a build, successful or not."""

    Methods = ['tagNotification']
    _taskWeight = 0.1

    def handler(self, recipients, is_successful, tag_info, from_info, build_info, user_info,
                ignore_success=None, failure_msg=''):
        if not recipients:
            self.logger.debug('task %i: no recipients, no mail', self.id)
            return None
        if is_successful and ignore_success:
            self.logger.debug('task %i: success is not worth a mail here', self.id)
            return None
        build = self.session.getBuild(build_info, strict=True)
        user = self.session.getUser(user_info, strict=True)
        message = self.compose(recipients, is_successful, build, user,
                               self._tag_name(from_info), self._tag_name(tag_info),
                               failure_msg)
        send_mail(self.options, recipients, message)
        return 'sent notification of tag operation %i to: %s' % (self.id,
                                                                 ', '.join(recipients))

    def _tag_name(self, tag_info):
        if not tag_info:
            return None
        return self.session.getTag(tag_info, strict=True)['name']

    def compose(self, recipients, is_successful, build, user, from_tag, into_tag,
                failure_msg):
        """The whole message text for one tag operation."""
        nvr = koji.buildLabel(build)
        if from_tag and into_tag:
            action = 'moved'
        elif from_tag:
            action = 'untagged'
        else:
            action = 'tagged'
        operation = action
        details = ['Tag Operation: %s' % action]
        tag_headers = []
        if from_tag:
            operation += ' from %s' % from_tag
            details.append('From Tag: %s' % from_tag)
            tag_headers.append('X-Koji-Tag: %s' % from_tag)
        if into_tag:
            operation += ' into %s' % into_tag
            details.append('Into Tag: %s' % into_tag)
            tag_headers.append('X-Koji-Tag: %s' % into_tag)
        if is_successful:
            result, status, failure = 'successfully', 'complete', []
        else:
            result, status = 'unsuccessfully', 'failed'
            failure = ['Operation failed with the error:', '    %s' % failure_msg]
        summary = '%s %s %s by %s' % (nvr, result, operation, user['name'])
        lines = [
            'From: %s' % self.options.from_addr,
            'Subject: %s' % summary,
            'To: %s' % ', '.join(recipients),
            'X-Koji-Package: %s' % build['package_name'],
            'X-Koji-NVR: %s' % nvr,
            'X-Koji-Draft: %s' % build.get('draft', False),
            'X-Koji-User: %s' % user['name'],
            'X-Koji-Status: %s' % status,
            CRLF.join(tag_headers),
            '',
            'Package: %s' % build['package_name'],
            'NVR: %s' % nvr,
            'User: %s' % user['name'],
            'Status: %s' % status,
        ] + details + ['', summary] + failure + ['']
        return crlf_lines(lines)


class BuildNotificationTask(BaseTaskHandler):
    """Mail about a finished build: its state, changelog, tasks and their files."""

    Methods = ['buildNotification']
    _taskWeight = 0.1

    def handler(self, recipients, build, target, weburl):
        if not recipients:
            self.logger.debug('task %i: no recipients, no mail', self.id)
            return None
        tasks = self.task_tree(build['task_id']) if build.get('task_id') else []
        entries = self.session.getChangelogEntries(build['id'], queryOpts={'limit': 3})
        message = self.compose(recipients, build, target, weburl, tasks, entries)
        send_mail(self.options, recipients, message)
        return 'sent notification of build %i to: %s' % (build['id'], ', '.join(recipients))

    def task_tree(self, task_id):
        """The build's task and its descendants (parents before children) with details.

        Each gets 'host' (name or None), 'state' (lower-case name), 'result' (value or
        fault text) and its output files sorted into logs / rpms / srpms / misc.
        """
        top = self.session.getTaskInfo(task_id, request=True)
        if not top:
            return []
        children = self.session.getTaskDescendents(task_id, request=True)
        ordered = []

        def walk(info):
            ordered.append(info)
            for child in children.get(str(info['id']), []):
                walk(child)
        walk(top)
        host_ids = sorted(set(t['host_id'] for t in ordered if t['host_id']))
        with self.session.multicall() as m:
            hosts = dict((hid, m.getHost(hid)) for hid in host_ids)
            results = [m.getTaskResult(t['id']) for t in ordered]
            outputs = [m.listTaskOutput(t['id'], all_volumes=True) for t in ordered]
        for task, result, output in zip(ordered, results, outputs):
            host = hosts[task['host_id']].result if task['host_id'] else None
            task['host'] = host['name'] if host else None
            task['state'] = koji.TASK_STATES[task['state']].lower()
            task['result'] = self._result_text(result)
            self._sort_files(task, output.result)
        return ordered

    @staticmethod
    def _result_text(call):
        try:
            value = call.result
        except koji.GenericError as exc:
            value = str(exc).strip()
        except Exception as exc:
            value = ('%s: %s' % (exc.__class__.__name__, exc)).strip()
        return value or 'Unknown'

    @staticmethod
    def _sort_files(task, files):
        """Split {filename: [volumes]} into the file kinds the mail lists."""
        for kind in ('logs', 'rpms', 'srpms', 'misc'):
            task[kind] = []
        for filename in sorted(files):
            if filename.endswith('.log'):
                kind = 'logs'
            elif filename.endswith('.src.rpm'):
                kind = 'srpms'
            elif filename.endswith('.rpm'):
                kind = 'rpms'
            else:
                kind = 'misc'
            task[kind].extend((filename, volume) for volume in files[filename])

    def _canceler(self):
        """Who canceled the build: the owner of this notification task."""
        owner = self.session.getTaskInfo(self.id)['owner']
        if not owner:
            return None
        user = self.session.getUser(owner)
        return user['name'] if user else None

    def compose(self, recipients, build, target, weburl, tasks, entries):
        """The whole message text for one finished build."""
        states = koji.BUILD_STATES
        nvr = koji.buildLabel(build)
        dest_tag = target['dest_tag_name'] if target else None
        status = states[build['state']].lower()
        cancel_info = failure = ''
        if build['state'] == states['CANCELED']:
            canceler = self._canceler()
            if canceler:
                cancel_info = failure = '%sCanceled by: %s' % (CRLF, canceler)
        elif build['state'] == states['FAILED'] and tasks:
            failed_on = ['%s (%s)' % (t['host'], t['arch']) for t in tasks
                         if t['host'] and t['state'] == 'failed']
            failure = '%s%s (%d) failed on %s:%s  %s' % (
                CRLF, nvr, build['id'], ', '.join(failed_on), CRLF, tasks[0]['result'])
        changelog = koji.util.formatChangelog(entries).replace('\n', CRLF)
        if changelog:
            changelog = 'Changelog:' + CRLF + changelog
        subject = 'Package: %s Tag: %s Status: %s Built by: %s' % (
            nvr, dest_tag, status, build['owner_name'])
        lines = [
            'From: %s' % self.options.from_addr,
            'Subject: %s' % subject,
            'To: %s' % ', '.join(recipients),
            'X-Koji-Tag: %s' % dest_tag,
            'X-Koji-Package: %s' % build['package_name'],
            'X-Koji-Builder: %s' % build['owner_name'],
            'X-Koji-Status: %s' % status,
            'X-Koji-Draft: %s' % build.get('draft', False),
            '',
            'Package: %s' % nvr,
            'Tag: %s' % dest_tag,
            'Status: %s%s' % (status, cancel_info),
            'Built by: %s' % build['owner_name'],
            'ID: %i' % build['id'],
            'Started: %s' % koji.formatTimeLong(build['creation_time']),
            'Finished: %s' % koji.formatTimeLong(build['completion_time']),
            changelog,
            failure,
            self._task_report(tasks, weburl),
            'Task Info: %s/taskinfo?taskID=%s' % (weburl, build['task_id']),
            'Build Info: %s/buildinfo?buildID=%i' % (weburl, build['id']),
        ]
        return crlf_lines(lines)

    @staticmethod
    def _task_report(tasks, weburl):
        """SRPMs, then the failed, canceled and closed tasks with links to their files."""
        out = []
        srpms = sorted(set(name for t in tasks for name, _vol in t['srpms']))
        if srpms:
            out.append('SRPMS:')
            out.extend('  %s' % name for name in srpms)
            out.append('')
        for state in ('failed', 'canceled', 'closed'):
            group = [t for t in tasks if t['state'] == state]
            if not group:
                continue
            out.append('%s tasks:' % state.capitalize())
            out.append('-' * (len(state) + 7))
            out.append('')
            for task in group:
                if task['host']:
                    out.append('Task %s on %s' % (task['id'], task['host']))
                else:
                    out.append('Task %s' % task['id'])
                out.append('Task Type: %s' % koji.taskLabel(task))
                for kind in ('logs', 'rpms', 'misc'):
                    if task[kind]:
                        out.append('%s:' % kind)
                        out.extend('  %s/getfile?taskID=%s&name=%s&volume=%s'
                                   % (weburl, task['id'], name, volume)
                                   for name, volume in task[kind])
                out.append('')
            out.append('')
        return crlf_lines(out)
