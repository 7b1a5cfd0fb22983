"""The layout of kojid's notification mails (builder/kojibuilder/notifications.py).

The end-to-end path (hub -> kojid -> SMTP) is in tests/integration/
test_kojid_notifications.py; here the message text itself is pinned for the cases that
are awkward to produce there: moves, failures, cancellations and task file listings.
"""
import optparse

import koji
from kojibuilder.notifications import BuildNotificationTask, TagNotificationTask

OPTIONS = optparse.Values({'from_addr': 'Koji <koji@example.com>', 'workdir': None})
BUILD = {'id': 7, 'package_name': 'pkg', 'name': 'pkg', 'version': '1', 'release': '2',
         'epoch': None, 'draft': False, 'owner_name': 'olive', 'task_id': 100,
         'state': koji.BUILD_STATES['FAILED'], 'creation_time': None,
         'completion_time': None}
WEB = 'http://web/koji'


class Session(object):
    """Just the two calls the cancellation line needs."""

    def getTaskInfo(self, task_id):
        return {'id': task_id, 'owner': 5}

    def getUser(self, user_id):
        return {'id': user_id, 'name': 'carl'}


def test_tag_move_failure():
    task = TagNotificationTask(1, 'tagNotification', [], None, OPTIONS)
    text = task.compose(['a@x', 'b@x'], False, BUILD, {'name': 'ursula'}, 'old', 'new',
                        'not allowed')
    summary = 'pkg-1-2 unsuccessfully moved from old into new by ursula'
    assert text == '\r\n'.join([
        'From: Koji <koji@example.com>', 'Subject: ' + summary, 'To: a@x, b@x',
        'X-Koji-Package: pkg', 'X-Koji-NVR: pkg-1-2', 'X-Koji-Draft: False',
        'X-Koji-User: ursula', 'X-Koji-Status: failed', 'X-Koji-Tag: old',
        'X-Koji-Tag: new', '',
        'Package: pkg', 'NVR: pkg-1-2', 'User: ursula', 'Status: failed',
        'Tag Operation: moved', 'From Tag: old', 'Into Tag: new', '', summary,
        'Operation failed with the error:', '    not allowed', '', ''])


def _tasks():
    top = {'id': 100, 'method': 'build', 'arch': 'noarch', 'host': 'b1',
           'state': 'failed', 'result': 'BuildError: no luck', 'request': ['src', 'tgt']}
    arch = {'id': 101, 'method': 'buildArch', 'arch': 'x86_64', 'host': 'b2',
            'state': 'failed', 'result': 'x', 'request': ['pkg-1-2.src.rpm', 'tag',
                                                          'x86_64', True]}
    srpm = {'id': 102, 'method': 'buildSRPMFromSCM', 'arch': 'noarch', 'host': None,
            'state': 'closed', 'result': 'ok', 'request': ['git://src', 'btag']}
    files = {100: {}, 101: {'build.log': ['DEFAULT'], 'out.rpm': ['DEFAULT'],
                            'notes.txt': ['vol2']},
             102: {'pkg-1-2.src.rpm': ['DEFAULT']}}
    for task in (top, arch, srpm):
        BuildNotificationTask._sort_files(task, files[task['id']])
    return [top, arch, srpm]


def test_failed_build_report():
    task = BuildNotificationTask(2, 'buildNotification', [], None, OPTIONS)
    target = {'dest_tag_name': 'dest'}
    entries = [{'date': '2024-01-02 00:00:00', 'author': 'Olive <o@x> - 1-2',
                'text': '- change'}]
    tasks = _tasks()
    text = task.compose(['o@x'], BUILD, target, WEB, tasks, entries)
    lines = text.split('\r\n')
    assert lines[:9] == [
        'From: Koji <koji@example.com>',
        'Subject: Package: pkg-1-2 Tag: dest Status: failed Built by: olive',
        'To: o@x', 'X-Koji-Tag: dest', 'X-Koji-Package: pkg', 'X-Koji-Builder: olive',
        'X-Koji-Status: failed', 'X-Koji-Draft: False', '']
    body = '\r\n'.join(lines[9:])
    assert body == '\r\n'.join([
        'Package: pkg-1-2', 'Tag: dest', 'Status: failed', 'Built by: olive', 'ID: 7',
        'Started: ', 'Finished: ',
        'Changelog:', '* Tue Jan 02 2024 Olive <o@x> - 1-2', '- change', '', '',
        '', 'pkg-1-2 (7) failed on b1 (noarch), b2 (x86_64):', '  BuildError: no luck',
        'SRPMS:', '  pkg-1-2.src.rpm', '',
        'Failed tasks:', '-------------', '',
        'Task 100 on b1', 'Task Type: build (tgt, src)', '',
        'Task 101 on b2', 'Task Type: buildArch (pkg-1-2.src.rpm, x86_64)',
        'logs:', '  %s/getfile?taskID=101&name=build.log&volume=DEFAULT' % WEB,
        'rpms:', '  %s/getfile?taskID=101&name=out.rpm&volume=DEFAULT' % WEB,
        'misc:', '  %s/getfile?taskID=101&name=notes.txt&volume=vol2' % WEB, '', '',
        'Closed tasks:', '-------------', '',
        'Task 102', 'Task Type: %s' % koji.taskLabel(tasks[2]), '', '', '',
        'Task Info: %s/taskinfo?taskID=100' % WEB,
        'Build Info: %s/buildinfo?buildID=7' % WEB, ''])


def test_canceled_build_names_the_canceler():
    task = BuildNotificationTask(3, 'buildNotification', [], Session(), OPTIONS)
    build = dict(BUILD, state=koji.BUILD_STATES['CANCELED'])
    text = task.compose(['o@x'], build, None, WEB, [], [])
    assert 'Subject: Package: pkg-1-2 Tag: None Status: canceled Built by: olive\r\n' in text
    assert '\r\nStatus: canceled\r\nCanceled by: carl\r\nBuilt by: olive\r\n' in text
    # the same line again where a failure would be reported
    assert '\r\nFinished: \r\n\r\n\r\nCanceled by: carl\r\n\r\nTask Info:' in text
