"""Notification mail end to end: hub, a real kojid and a tiny SMTP server in this process.

Untagging a build makes the hub queue a tagNotification task for the people watching the
package; kojid runs it and mails them through ``smtphost``. The SMTP server is a few lines
of socketserver speaking just enough of the protocol (EHLO, AUTH PLAIN, MAIL, RCPT, DATA)
for smtplib, and keeps what it was sent.
"""
import base64
import email
import os
import socketserver
import textwrap
import threading

import pytest

import koji
from tests.integration.test_kojid import PLUGIN, Builder, _admin_session, _wait_for

HOST = 'kojid-mail.test'
FROM = 'Koji Test <koji@example.com>'
HUB_OPTS = {'RunInterval': 1, 'ReadyTimeout': 6, 'HostTimeout': 8, 'AssignTimeout': 10,
            'EmailDomain': 'example.com', 'KojiWebURL': 'http://web.example.com/koji'}


class SMTPHandler(socketserver.StreamRequestHandler):
    """One SMTP conversation; each finished DATA is appended to server.messages."""

    def reply(self, line):
        self.wfile.write(line.encode('ascii') + b'\r\n')

    def handle(self):
        self.reply('220 mail.test ESMTP')
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode('utf-8').rstrip('\r\n')
            verb = cmd.split(' ', 1)[0].upper()
            if verb == 'EHLO':
                self.reply('250-mail.test')
                self.reply('250 AUTH PLAIN')
            elif verb == 'HELO':
                self.reply('250 mail.test')
            elif verb == 'AUTH':
                _user, login, password = base64.b64decode(cmd.split()[2]).split(b'\0')
                self.server.logins.append((login.decode(), password.decode()))
                self.reply('235 welcome')
            elif verb == 'MAIL':
                mail_from, rcpts = cmd[10:].strip().strip('<>'), []
                self.reply('250 ok')
            elif verb == 'RCPT':
                rcpts.append(cmd[8:].strip().strip('<>'))
                self.reply('250 ok')
            elif verb == 'DATA':
                self.reply('354 go ahead')
                self.server.messages.append((mail_from, rcpts, self.read_data()))
                self.reply('250 queued')
            elif verb == 'QUIT':
                self.reply('221 bye')
                return
            else:
                self.reply('250 ok')

    def read_data(self):
        lines = []
        while True:
            line = self.rfile.readline()
            if line in (b'.\r\n', b''):
                return b''.join(lines)
            # dot-stuffed lines lose their first dot
            lines.append(line[1:] if line.startswith(b'..') else line)


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super(SMTPServer, self).__init__(('127.0.0.1', 0), SMTPHandler)
        self.messages = []
        self.logins = []


class MailBuilder(Builder):
    """A kojid whose mail goes to our SMTP server."""

    def __init__(self, hub, base, name, plugindir, smtp_port):
        super(MailBuilder, self).__init__(hub, base, name, plugindir)
        self.smtp_port = smtp_port

    def write_conf(self):
        super(MailBuilder, self).write_conf()
        with open(self.conf, 'a') as fo:
            fo.write('smtphost = 127.0.0.1:%d\nfrom_addr = %s\n'
                     'smtp_user = mailer\nsmtp_pass = s3cret\n' % (self.smtp_port, FROM))


@pytest.fixture(scope='module')
def mail_env(hub_server, tmp_path_factory):
    methods = set(koji.ClientSession(hub_server.url).system.listMethods())
    if 'host.tagNotification' not in methods:
        pytest.skip('hub lacks host.tagNotification')
    hub_server.restart(HUB_OPTS)
    smtp = SMTPServer()
    thread = threading.Thread(target=smtp.serve_forever, daemon=True)
    thread.start()
    base = str(tmp_path_factory.mktemp('kojid-mail'))
    plugindir = os.path.join(base, 'plugins')
    os.makedirs(plugindir)
    with open(os.path.join(plugindir, 'testtasks.py'), 'w') as fo:
        fo.write(textwrap.dedent(PLUGIN))
    admin = _admin_session(hub_server)
    builder = MailBuilder(hub_server, base, HOST, plugindir, smtp.server_address[1])
    admin.addHost(HOST, ['x86_64', 'noarch'])
    hub_server.set_password(HOST, builder.password)
    try:
        builder.start()
        _wait_for(lambda: (admin.getHost(HOST) or {}).get('ready'), 60,
                  'host %s to check in\n%s' % (HOST, builder.read_log()))
        yield {'admin': admin, 'smtp': smtp, 'builder': builder}
    finally:
        builder.stop()
        smtp.shutdown()
        smtp.server_close()
        admin.logout()


def _finished_task(env, method, after_id):
    """The newest task of a method created after after_id, once it has finished."""
    admin = env['admin']

    def done():
        tasks = sorted((t for t in admin.listTasks(opts={'method': method})
                        if t['id'] > after_id), key=lambda t: t['id'])
        if tasks and tasks[-1]['state'] in (koji.TASK_STATES['CLOSED'],
                                            koji.TASK_STATES['FAILED']):
            return tasks[-1]
        return None
    try:
        return _wait_for(done, 90, '%s task to finish' % method)
    except AssertionError:
        raise AssertionError(env['builder'].read_log())


def _wait_mail(env, count):
    _wait_for(lambda: len(env['smtp'].messages) >= count, 30, 'mail to arrive')
    return env['smtp'].messages[count - 1]


def test_untag_mail(mail_env):
    admin = mail_env['admin']
    for name in ('nm-watcher', 'nm-owner', 'nm-blocked', 'nm-gone'):
        admin.createUser(name)
    admin.createTag('nm-tag')
    admin.packageListAdd('nm-tag', 'nm-pkg', 'nm-owner')
    build_id = admin.createEmptyBuild('nm-pkg', '1.0', '1', None)
    admin.tagBuildBypass('nm-tag', build_id)
    pkg_id = admin.getPackageID('nm-pkg')
    tag_id = admin.getTagID('nm-tag')
    for name in ('nm-watcher', 'nm-blocked', 'nm-gone'):
        admin.createNotification(admin.getUser(name)['id'], pkg_id, None, False)
    admin.createNotificationBlock(admin.getUser('nm-blocked')['id'], None, tag_id)
    admin.disableUser('nm-gone')
    last = max([t['id'] for t in admin.listTasks()] or [0])
    count = len(mail_env['smtp'].messages)

    admin.untagBuild('nm-tag', build_id)
    task = _finished_task(mail_env, 'tagNotification', last)
    recipients = ['kojiadmin@example.com', 'nm-owner@example.com', 'nm-watcher@example.com']
    assert admin.getTaskResult(task['id']) == \
        'sent notification of tag operation %d to: %s' % (task['id'], ', '.join(recipients))

    mail_from, rcpts, data = _wait_mail(mail_env, count + 1)
    assert mail_from == 'koji@example.com'
    assert rcpts == recipients
    assert set(mail_env['smtp'].logins) == {('mailer', 's3cret')}
    text = data.decode('utf-8')
    assert '\r\n\r\n' in text and '\n' not in text.replace('\r\n', '')
    msg = email.message_from_bytes(data)
    assert msg['From'] == FROM
    assert msg['To'] == ', '.join(recipients)
    subject = 'nm-pkg-1.0-1 successfully untagged from nm-tag by kojiadmin'
    assert msg['Subject'] == subject
    assert (msg['X-Koji-Package'], msg['X-Koji-NVR'], msg['X-Koji-User'],
            msg['X-Koji-Status'], msg['X-Koji-Tag'], msg['X-Koji-Draft']) == (
        'nm-pkg', 'nm-pkg-1.0-1', 'kojiadmin', 'complete', 'nm-tag', 'False')
    body = msg.get_payload()
    assert body == ('Package: nm-pkg\r\nNVR: nm-pkg-1.0-1\r\nUser: kojiadmin\r\n'
                    'Status: complete\r\nTag Operation: untagged\r\nFrom Tag: nm-tag\r\n'
                    '\r\n%s\r\n\r\n' % subject)

    # tagging it back with notify=True tells the same people
    last = task['id']
    admin.tagBuildBypass('nm-tag', build_id, notify=True)
    _finished_task(mail_env, 'tagNotification', last)
    msg = email.message_from_bytes(_wait_mail(mail_env, count + 2)[2])
    assert msg['Subject'] == 'nm-pkg-1.0-1 successfully tagged into nm-tag by kojiadmin'


def test_build_mail(mail_env):
    admin = mail_env['admin']
    admin.createUser('nm-builder')
    build_id = admin.createEmptyBuild('nm-bpkg', '2.0', '3', None, owner='nm-builder')
    build = admin.getBuild(build_id)
    count = len(mail_env['smtp'].messages)
    last = max([t['id'] for t in admin.listTasks()] or [0])
    web = 'http://web.example.com/koji'
    admin.makeTask('buildNotification', [['nm-builder@example.com'], build, None, web])
    task = _finished_task(mail_env, 'buildNotification', last)
    assert admin.getTaskResult(task['id']) == \
        'sent notification of build %d to: nm-builder@example.com' % build_id
    mail_from, rcpts, data = _wait_mail(mail_env, count + 1)
    assert rcpts == ['nm-builder@example.com']
    msg = email.message_from_bytes(data)
    assert msg['Subject'] == \
        'Package: nm-bpkg-2.0-3 Tag: None Status: complete Built by: nm-builder'
    assert (msg['X-Koji-Tag'], msg['X-Koji-Package'], msg['X-Koji-Builder'],
            msg['X-Koji-Status']) == ('None', 'nm-bpkg', 'nm-builder', 'complete')
    body = msg.get_payload()
    assert body.startswith('Package: nm-bpkg-2.0-3\r\nTag: None\r\nStatus: complete\r\n'
                           'Built by: nm-builder\r\nID: %d\r\n' % build_id)
    assert body.endswith('Build Info: %s/buildinfo?buildID=%d\r\n' % (web, build_id))
    assert 'Started: %s\r\n' % koji.formatTimeLong(build['creation_time']) in body
