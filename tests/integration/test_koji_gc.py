"""koji-gc as a subprocess against the real hub over HTTP.

Tag and build ages are set by moving the time of the events that created the rows back
(the hub offers no call for that); everything else goes through hub calls.
"""
import fcntl
import os
import socketserver
import subprocess
import sys
import threading

import pytest

import koji
from tests.fixtures.sessions import db_exec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KOJI_GC = os.path.join(ROOT, 'util', 'koji-gc')
DAY = 86400

HELP_OPTIONS = (
    '--config-file', '--keytab', '--principal', '--runas', '--user', '--password',
    '--noauth', '--cert', '--serverca', '--test', '--debug', '--debug-xmlrpc', '--smtp-host',
    '--smtp-user', '--no-mail', '--send-mail', '--email-domain', '--from-addr', '--cc-addr',
    '--bcc-addr', '--email-template', '--action', '--delay', '--grace-period', '--skip-main',
    '--unprotected-keys', '--tag-filter', '--tag', '--ignore-tags', '--pkg-filter', '--pkg',
    '--package', '--bypass-locks', '--purge', '--trashcan-tag', '--weburl', '--server',
    '--lock-file', '--exit-on-lock', '--ccache')


@pytest.fixture
def gc(hub_server, tmp_path):
    """run(policy, *args) -> CompletedProcess of koji-gc with a config for this hub."""
    template = tmp_path / 'email.tpl'
    template.write_text('Dear $owner,\n\n$builds\n\nbye\n')

    def run(*args, policy=None, main_extra='', user=None, password=None):
        conf = tmp_path / 'koji-gc.conf'
        text = ('[main]\nserver = %s\nuser = %s\npassword = %s\nemail_template = %s\n'
                'lock_file = %s\nweburl = http://web.example/koji\n%s'
                % (hub_server.url, user or hub_server.admin_user,
                   password or hub_server.admin_password, template, tmp_path / 'gc.lock',
                   main_extra))
        if policy is not None:
            text += '[prune]\npolicy =\n' + ''.join('    %s\n' % line
                                                    for line in policy.splitlines())
        conf.write_text(text)
        return subprocess.run([sys.executable, KOJI_GC, '-c', str(conf)] + list(args),
                              capture_output=True, text=True, timeout=300)
    run.lock_file = str(tmp_path / 'gc.lock')
    return run


def ok(res):
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def make_build(admin, name, version, release, tags=()):
    build_id = admin.createEmptyBuild(name, version, release, None)
    for tag in tags:
        admin.packageListAdd(tag, name, owner='kojiadmin')
        admin.tagBuildBypass(tag, build_id)
    return build_id


def age_tagging(server, tag, build_id, days):
    """Pretend the build entered the tag `days` ago."""
    db_exec(server, 'UPDATE events SET time = time - %(d)s * INTERVAL \'1 day\' WHERE id IN '
            '(SELECT create_event FROM tag_listing WHERE build_id = %(b)s AND tag_id = '
            '(SELECT id FROM tag WHERE name = %(t)s) AND active IS TRUE)',
            {'d': days, 'b': build_id, 't': tag})


def age_build(server, build_id, days):
    db_exec(server, 'UPDATE events SET time = time - %(d)s * INTERVAL \'1 day\' WHERE id = '
            '(SELECT create_event FROM build WHERE id = %(b)s)', {'d': days, 'b': build_id})


def import_signed(admin, signed_rpms, which='noarch'):
    """A signed build (noarch or arch), imported on first use."""
    build = getattr(signed_rpms, which)
    info = admin.getBuild(build.nvr)
    if info:
        return info
    for path in [build.srpm] + list(build.rpms):
        serverdir = 'gc-test/%s' % os.path.basename(path)
        admin.uploadWrapper(path, serverdir)
        admin.importRPM(serverdir, os.path.basename(path))
    return admin.getBuild(build.nvr)


def tagged_nvrs(admin, tag):
    return sorted(b['nvr'] for b in admin.listTagged(tag))


def revoked(admin, tag):
    hist = admin.queryHistory(tables=['tag_listing'], tag=tag)['tag_listing']
    return sorted('%(name)s-%(version)s-%(release)s' % h for h in hist if h['revoke_event'])


@pytest.fixture(scope='module')
def world(admin):
    """Only the trashcan: every test makes its own tags and builds (names prefixed), so
    the tests hold in any order and spread over xdist workers."""
    admin.createTag('trashcan')
    return admin


def scene(admin, p):
    """Tags <p>-candidate (foo x4, bar x2), <p>-updates and locked <p>-frozen (upd x4)."""
    for tag in ('candidate', 'updates', 'frozen'):
        admin.createTag('%s-%s' % (p, tag))
    admin.editTag2('%s-frozen' % p, locked=True)
    for rel in range(1, 5):
        make_build(admin, p + 'foo', '1.0', str(rel), tags=[p + '-candidate'])
    for rel in range(1, 3):
        make_build(admin, p + 'bar', '2.0', str(rel), tags=[p + '-candidate'])
    for rel in range(1, 5):
        make_build(admin, p + 'upd', '1.0', str(rel), tags=[p + '-updates', p + '-frozen'])


def policy_for(p):
    return 'tag *-updates :: keep\npackage %sbar :: keep\norder > 1 :: untag\n' % p


@pytest.mark.parametrize('text, seconds', [
    ('5 days', 5 * DAY), ('4weeks', 28 * DAY), ('1 day 3 hours', DAY + 3 * 3600),
    ('2.5 hrs', 9000), ('90 s', 90), ('10 mins 1 sec', 601), ('1 WEEK', 7 * DAY),
    ('0s', 0), ('', 0),
    ('5', 0)])  # a number without its unit adds nothing, as upstream parses it
def test_duration_syntax(text, seconds):
    sys.path.insert(0, os.path.join(ROOT, 'util'))
    from kojimaint.common import parse_duration
    assert parse_duration(text) == seconds


@pytest.mark.parametrize('text', ['five days', '5 fortnights', 'days 5', '3x'])
def test_duration_syntax_errors(text):
    sys.path.insert(0, os.path.join(ROOT, 'util'))
    from kojimaint.common import parse_duration
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == 'Invalid time interval: %s' % text


def test_help_lists_every_option(gc):
    res = subprocess.run([sys.executable, KOJI_GC, '--help'], capture_output=True, text=True)
    assert res.returncode == 0
    for opt in HELP_OPTIONS:
        assert opt in res.stdout, opt
    assert '--smtp-pass' not in res.stdout and '--network-hack' not in res.stdout


def test_prune_untags_what_the_policy_says(gc, world, hub_server):
    scene(world, 'pa')
    policy = policy_for('pa')
    out = ok(gc('--action', 'prune', '--test', '--tag', 'pa-*', policy=policy))
    assert 'Would have untagged pafoo-1.0-2 from pa-candidate' in out
    assert 'Would have untagged pafoo-1.0-1 from pa-candidate' in out
    assert 'pabar-' not in out and 'paupd-' not in out
    assert revoked(world, 'pa-candidate') == []

    out = ok(gc('--action', 'prune', '--tag', 'pa-*', policy=policy))
    assert 'Untagging build pafoo-1.0-1 from pa-candidate' in out
    assert revoked(world, 'pa-candidate') == ['pafoo-1.0-1', 'pafoo-1.0-2']
    assert tagged_nvrs(world, 'pa-candidate') == ['pabar-2.0-1', 'pabar-2.0-2',
                                                  'pafoo-1.0-3', 'pafoo-1.0-4']
    assert len(world.listTagged('pa-updates')) == 4
    # locked tag: skipped without bypass_locks
    assert len(world.listTagged('pa-frozen')) == 4 and revoked(world, 'pa-frozen') == []
    # a second run finds nothing more to do
    out = ok(gc('--action', 'prune', '--tag', 'pa-*', policy=policy))
    assert 'Untagging' not in out


def test_prune_locked_tag_with_bypass_and_age(gc, world, hub_server):
    scene(world, 'pb')
    upd = {b['release']: b['build_id'] for b in world.listTagged('pb-frozen')}
    age_tagging(hub_server, 'pb-frozen', upd['1'], 10)
    policy = 'age < 5 days :: keep\nall :: untag\n'
    out = ok(gc('--action', 'prune', '--tag', 'pb-frozen', policy=policy))
    assert 'Untagging' not in out and revoked(world, 'pb-frozen') == []
    out = ok(gc('--action', 'prune', '--tag', 'pb-frozen', '--bypass-locks', 'pb-fro*',
                policy=policy))
    assert 'Bypassing lock on tag: pb-frozen' in out
    assert revoked(world, 'pb-frozen') == ['pbupd-1.0-1']
    assert revoked(world, 'pb-updates') == []


def test_prune_needs_tag_rights(gc, world, hub_server):
    scene(world, 'pc')
    world.createUser('pruner')
    hub_server.set_password('pruner', 'prunerpw')
    # a tag without its own permission is open to anyone (as upstream checks it)
    out = ok(gc('--action', 'prune', '--test', '--tag', 'pc-candidate',
                policy=policy_for('pc'), user='pruner', password='prunerpw'))
    assert 'Would have untagged pcfoo-1.0-2 from pc-candidate' in out
    world.editTag2('pc-candidate', perm='repo')
    out = ok(gc('--action', 'prune', '--test', '--tag', 'pc-candidate',
                policy=policy_for('pc'), user='pruner', password='prunerpw'))
    assert ("Skipping tag 'pc-candidate' which requires \"repo\" or \"admin\" but not "
            "found for user 'pruner'") in out
    assert 'Would have untagged' not in out
    world.grantPermission('pruner', 'tag')
    out = ok(gc('--action', 'prune', '--test', '--tag', 'pc-candidate',
                policy='order > 0 :: untag\n', user='pruner', password='prunerpw'))
    assert 'Would have untagged pcfoo-1.0-3 from pc-candidate' in out


def test_policy_syntax_error_does_nothing(gc, world, hub_server):
    scene(world, 'pd')
    res = gc('--action', 'prune,trash', '--tag', 'pd-*',
             policy='tag * :: keep\nbogus x :: untag\nall :: untag\n')
    assert res.returncode == 1
    assert 'line 2' in res.stderr and 'bogus' in res.stderr
    assert 'Getting untagged builds' not in res.stdout
    res = gc('--action', 'prune', policy='all :: destroy\n')
    assert res.returncode == 1 and 'Invalid action: destroy' in res.stderr
    res = gc('--action', 'prune', '--tag', 'pd-*', policy='age < soon :: keep\nall :: untag')
    assert res.returncode == 1 and 'Invalid time interval' in res.stderr
    for tag in ('pd-candidate', 'pd-updates'):
        assert revoked(world, tag) == []


def test_bad_options(gc, world):
    res = gc('--action', 'explode')
    assert res.returncode == 2 and 'Invalid action: explode' in res.stderr
    res = gc('--delay', 'five days')
    assert res.returncode == 2 and 'Invalid time interval: five days' in res.stderr
    res = gc('--trashcan-tag', 'no-such-can', '--action', 'trash')
    assert res.returncode == 1
    assert "Trashcan tag no-such-can doesn't exist" in res.stderr
    res = gc('--email-template', '/nonexistent/email.tpl')
    assert res.returncode == 2 and 'No such file: /nonexistent/email.tpl' in res.stderr
    res = gc('--noauth', '-s', 'http://127.0.0.1:9/kojihub')
    assert res.returncode == 1 and 'Error: Unable to connect to server' in res.stderr
    res = gc('--lock-file', '/nonexistent-dir/gc.lock')
    assert res.returncode == 1 and 'cannot open lock file' in res.stderr


def test_prune_without_policy(gc, world):
    out = ok(gc('--action', 'prune'))
    assert 'Skipping prune step. No policies available.' in out


def test_lock_held_by_another_run(gc, world):
    fd = os.open(gc.lock_file, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        res = gc('--action', 'trash', '--exit-on-lock')
        assert res.returncode == 1
        assert 'Getting untagged builds' not in res.stdout
    finally:
        os.close(fd)
    assert 'Getting untagged builds' in ok(gc('--action', 'trash', '--test', '--no-mail'))


def test_trash_then_delete(gc, world, hub_server, signed_rpms):
    admin = world

    def trashed(admin):
        return [n for n in tagged_nvrs(admin, 'trashcan')
                if n.startswith(('junk-', 'keeper-', build.name + '-'))]
    old = make_build(admin, 'junk', '1.0', '1')
    young = make_build(admin, 'junk', '1.0', '2')
    admin.createTag('td-other')
    kept = make_build(admin, 'keeper', '1.0', '1', tags=['td-other'])
    age_build(hub_server, old, 3)
    # a signed build, never tagged
    build = signed_rpms.noarch
    signed = import_signed(admin, signed_rpms)
    age_build(hub_server, signed['id'], 3)

    pkgs = ('--pkg', 'junk', '--pkg', build.name, '--pkg', 'keeper')
    out = ok(gc('--action', 'trash', '--delay', '1 day', '--test', '--debug', *pkgs))
    assert 'Would have moved to trashcan: junk-1.0-1' in out
    assert 'Subject: 1 build marked for deletion' in out
    assert 'To: kojiadmin@fedoraproject.org' in out
    assert 'X-Koji-Builder: kojiadmin' in out
    assert 'Dear kojiadmin' in out
    assert 'http://web.example/koji/buildinfo?buildID=%i' % old in out
    assert trashed(admin) == []

    out = ok(gc('--action', 'trash', '--delay', '1 day', '--no-mail', *pkgs))
    assert 'Adding build to trash list: junk-1.0-2' not in out
    assert 'Skipping build %s. Keys: [%r]' % (build.nvr, signed_rpms.sigkey) in out
    assert trashed(admin) == ['junk-1.0-1']
    assert admin.getBuild(young)['state'] == koji.BUILD_STATES['COMPLETE']

    # the signed build and one tagged elsewhere, put in the trashcan by hand
    admin.packageListAdd('trashcan', build.name, owner='kojiadmin')
    admin.packageListAdd('trashcan', 'keeper', owner='kojiadmin')
    admin.tagBuildBypass('trashcan', signed['id'])
    admin.tagBuildBypass('trashcan', kept)

    # inside the grace period nothing goes
    out = ok(gc('--action', 'delete', *pkgs))
    assert '...got 0 builds to check' in out
    for build_id in (old, signed['id'], kept):
        age_tagging(hub_server, 'trashcan', build_id, 30)
    out = ok(gc('--action', 'delete', '--test', *pkgs))
    assert 'Would have deleted build from trashcan: junk-1.0-1' in out
    assert admin.getBuild(old)['state'] == koji.BUILD_STATES['COMPLETE']

    out = ok(gc('--action', 'delete', *pkgs))
    assert 'Deleted build: junk-1.0-1' in out
    assert 'Build keeper-1.0-1 tagged elsewhere' in out
    assert 'Salvaging signed build %s' % build.nvr in out
    assert admin.getBuild(old)['state'] == koji.BUILD_STATES['DELETED']
    assert admin.getBuild(signed['id'])['state'] == koji.BUILD_STATES['COMPLETE']
    assert trashed(admin) == []
    assert admin.getBuild(young)['state'] == koji.BUILD_STATES['COMPLETE']


def test_unprotected_key_lets_signed_build_go(gc, world, hub_server, signed_rpms):
    nvr = import_signed(world, signed_rpms)['nvr']
    # salvaged just now: the delay has to be zero ("0s": number and unit glued)
    out = ok(gc('--action', 'trash', '--delay', '0s', '--no-mail', '--test',
                main_extra='unprotected_keys = testkey\nkey_aliases =\n    %s testkey\n'
                % signed_rpms.sigkey.upper()))
    assert 'Would have moved to trashcan: %s' % nvr in out
    out = ok(gc('--action', 'trash', '--delay', '0s', '--no-mail', '--test'))
    assert 'Would have moved to trashcan: %s' % nvr not in out
    assert 'Skipping build %s' % nvr in out


def test_purge_deletes_untagged_builds(gc, world, hub_server):
    admin = world
    admin.createTag('scratchpad')
    admin.createTag('pu-keep')
    ids = [make_build(admin, 'pur', '1', str(r), tags=['scratchpad']) for r in range(1, 4)]
    admin.packageListAdd('pu-keep', 'pur', owner='kojiadmin')
    admin.tagBuildBypass('pu-keep', ids[0])
    out = ok(gc('--action', 'prune', '--tag', 'scratchpad', '--purge',
                policy='order > 0 :: untag\n'))
    assert 'Skipping pur-1-1, still tagged' in out
    assert 'Deleting untagged build: pur-1-2' in out
    assert admin.getBuild(ids[1])['state'] == koji.BUILD_STATES['DELETED']
    assert admin.getBuild(ids[0])['state'] == koji.BUILD_STATES['COMPLETE']
    assert admin.getBuild(ids[2])['state'] == koji.BUILD_STATES['COMPLETE']


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one message: envelope and data go to server.messages."""

    def reply(self, text):
        self.wfile.write(text.encode() + b'\r\n')

    def handle(self):
        envelope = {'rcpt': [], 'data': ''}
        self.reply('220 test')
        while True:
            line = self.rfile.readline().decode()
            if not line:
                return
            verb = line[:4].upper()
            if verb in ('HELO', 'EHLO'):
                self.reply('250 test')
            elif verb == 'MAIL':
                envelope['from'] = line.strip()
                self.reply('250 ok')
            elif verb == 'RCPT':
                envelope['rcpt'].append(line.split(':', 1)[1].strip().strip('<>'))
                self.reply('250 ok')
            elif verb == 'DATA':
                self.reply('354 go')
                body = []
                while True:
                    data = self.rfile.readline().decode()
                    if data in ('.\r\n', ''):
                        break
                    body.append(data)
                envelope['data'] = ''.join(body)
                self.server.messages.append(envelope)
                self.reply('250 ok')
            elif verb == 'QUIT':
                self.reply('221 bye')
                return
            else:
                self.reply('250 ok')


@pytest.fixture
def smtp():
    server = socketserver.ThreadingTCPServer(('127.0.0.1', 0), _SMTPHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_trash_sends_the_warning_notice(gc, world, hub_server, smtp):
    admin = world
    build_id = make_build(admin, 'mailme', '1', '1')
    age_build(hub_server, build_id, 10)  # past the default delay of 5 days
    host = '127.0.0.1:%d' % smtp.server_address[1]
    out = ok(gc('--action', 'trash', '--pkg', 'mailme', '--smtp-host', host,
                '--cc-addr', 'cc@example.com', '--bcc-addr', 'bcc@example.com',
                main_extra='email_domain = example.org\n'))
    assert 'Adding build to trash list: mailme-1-1' in out
    assert 'FAILED' not in out
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert sorted(msg['rcpt']) == ['bcc@example.com', 'cc@example.com',
                                   'kojiadmin@example.org']
    assert 'Subject: 1 build marked for deletion' in msg['data']
    assert 'Cc: cc@example.com' in msg['data']
    assert 'X-Koji-Builder: kojiadmin' in msg['data']
    assert 'Build: mailme-1-1' in msg['data']
    assert 'http://web.example/koji/buildinfo?buildID=%i' % build_id in msg['data']
    assert [b['nvr'] for b in admin.listTagged('trashcan')
            if b['name'] == 'mailme'] == ['mailme-1-1']


def test_prune_sig_hastag_volume(gc, world, hub_server, signed_rpms):
    """Uses the signed arch build (the trash tests want the noarch one untagged)."""
    admin = world
    admin.createTag('sigtag')
    admin.createTag('sig-updates')
    signed = import_signed(admin, signed_rpms, 'arch')
    admin.packageListAdd('sigtag', signed['name'], owner='kojiadmin')
    admin.tagBuildBypass('sigtag', signed['id'])
    elsewhere = make_build(admin, 'twice', '1', '1', tags=['sigtag', 'sig-updates'])
    lone = make_build(admin, 'lone', '1', '1', tags=['sigtag'])
    policy = ('sig gold :: keep\nhastag sig-up* :: keep\nvolume other :: keep\n'
              'volume DEFAULT :: untag\n')
    aliases = 'key_aliases =\n    %s gold\n' % signed_rpms.sigkey.upper()
    out = ok(gc('--action', 'prune', '--tag', 'sigtag', '--test', policy=policy,
                main_extra=aliases))
    assert out.count('Would have untagged') == 1
    assert 'Would have untagged lone-1-1 from sigtag' in out
    # without the alias the signature no longer protects the build
    out = ok(gc('--action', 'prune', '--tag', 'sigtag', '--test', policy=policy))
    assert 'Would have untagged %s from sigtag' % signed['nvr'] in out
    ok(gc('--action', 'prune', '--tag', 'sigtag', policy=policy, main_extra=aliases))
    assert revoked(admin, 'sigtag') == ['lone-1-1']
    assert elsewhere and lone


class CallLog(object):
    """The hub requests a koji.ClientSession sends in this process: one entry per HTTP
    request, the list of method names it carries (a multicall carries several)."""

    def __init__(self, monkeypatch):
        self.requests = []
        real = koji.ClientSession._callMethod
        log = self

        def logged(session, name, args, kwargs=None, retry=True):
            if name == 'multiCall' and args:
                log.requests.append([c['methodName'] for c in args[0]])
            else:
                log.requests.append([name])
            return real(session, name, args, kwargs, retry)
        monkeypatch.setattr(koji.ClientSession, '_callMethod', logged)

    def carrying(self, method):
        return [r for r in self.requests if method in r]


def test_prune_untags_in_multicall_batches(world, hub_server, tmp_path, monkeypatch, capsys):
    """Twin tags pruned with batches of 4 untags and of 1: the same builds go, and with
    4 the untags travel 4 to a request (upstream sends one request per untag)."""
    sys.path.insert(0, os.path.join(ROOT, 'util'))
    from kojimaint.gc import main as gc_main, prune
    for tag in ('pm-four', 'pm-one'):
        world.createTag(tag)
        for name in ('pma', 'pmb', 'pmc'):
            for rel in range(1, 5):
                make_build(world, '%s-%s' % (tag, name), '1', str(rel), tags=[tag])
    template = tmp_path / 'email.tpl'
    template.write_text('$owner $builds\n')
    conf = tmp_path / 'koji-gc.conf'
    conf.write_text('[main]\nserver = %s\nuser = %s\npassword = %s\nemail_template = %s\n'
                    'lock_file = %s\n[prune]\npolicy =\n    order > 0 :: untag\n'
                    % (hub_server.url, hub_server.admin_user, hub_server.admin_password,
                       template, tmp_path / 'gc.lock'))
    sent = {}
    for tag, batch in (('pm-four', 4), ('pm-one', 1)):
        monkeypatch.setattr(prune, 'UNTAG_BATCH', batch)
        calls = CallLog(monkeypatch)
        with pytest.raises(SystemExit) as info:
            gc_main.main(['-c', str(conf), '--action', 'prune', '--tag', tag])
        assert info.value.code in (0, None), capsys.readouterr()
        sent[tag] = [r.count('untagBuildBypass') for r in calls.carrying('untagBuildBypass')]
        monkeypatch.undo()
    out = capsys.readouterr().out
    assert out.count('Untagging build pm-four-') == out.count('Untagging build pm-one-') == 9
    assert sent['pm-four'] == [4, 4, 1] and sent['pm-one'] == [1] * 9
    for tag in ('pm-four', 'pm-one'):
        assert [n.replace(tag, '') for n in tagged_nvrs(world, tag)] == \
            ['-pma-1-4', '-pmb-1-4', '-pmc-1-4']
        assert len(revoked(world, tag)) == 9
