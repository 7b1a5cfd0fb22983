"""Run one command line through upstream's koji CLI and ours, and compare what they print.

Every interop test module uses these pieces:

- ``Clients`` runs a command as admin (or ``noauth``) through either client against the
  same test hub and profile; ``clients.theirs(...)`` / ``clients.ours(...)``.
- ``norm`` evens out what may differ between two runs: log timestamps, a world suffix,
  ids and times the hub hands out, and help paragraphs we word our own way.
- ``same`` asserts that a read-only command gives the same result through both clients.
- ``same_batch`` does that for many command lines at once, so each stays a test case.
- Every command line is a fork of a server per client that has the client imported
  (tests/fixtures/forkcli.py): a process of its own without the start-up cost.
- ``twin`` runs a script once per client, each on its own "world" of objects whose names
  differ only by an equal-length suffix, and asserts the outputs match.

The ``interop_clients`` fixture (tests/fixtures/interop.py) builds a ``Clients``.
"""
import os
import re
import sys
import uuid

from tests.fixtures.cli import PRELOAD
from tests.fixtures.forkcli import fork_cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUR_KOJI = os.path.join(ROOT, 'cli', 'koji')
# what upstream's client imports on every run; its fork server loads them once
UPSTREAM_PRELOAD = ['koji', 'koji_cli.lib', 'koji_cli.commands']
LOG_PREFIX = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ', re.M)
ASCTIME = re.compile(r'[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}')
IDS = re.compile(r'(\(|\[|eid |event )\d+(\)|\]| )')
# a usage error's help paragraph (between the usage line and "koji: error:")
USAGE_BODY = re.compile(r'^Usage: .*?\n\n(?=koji: error:)', re.S)
# extra lines after the usage line (up to "(Specify ...") are help text of our own wording
USAGE_EXTRA = re.compile(r'^(Usage: [^\n]*\n)(?:(?!\(Specify)[^\n]*\n)+', re.M)


def suffix():
    return uuid.uuid4().hex[:8]


class Clients(object):
    """Runs one command line through upstream's client or ours, as admin by default."""

    def __init__(self, upstream, hub, home):
        self.upstream = upstream
        self.hub = hub
        self.env = {'HOME': home}

    def _args(self, args, noauth):
        base = ['-c', self.hub.config_file, '-p', self.hub.profile]
        if noauth:
            return base + ['--noauth'] + list(args)
        return base + ['--authtype', 'password', '--user', self.hub.admin_user,
                       '--password', self.hub.admin_password] + list(args)

    def server(self, who):
        """The fork server (tests/fixtures/forkcli.py) of upstream's client or ours."""
        if who == 'theirs':
            return fork_cli(self.upstream.python, self.upstream.koji, UPSTREAM_PRELOAD,
                            self.upstream.env(self.env))
        return fork_cli(sys.executable, OUR_KOJI, PRELOAD, self.upstream.env(self.env))

    def run(self, who, *args, noauth=False, cwd='/', timeout=120):
        return self.server(who).run(self._args(args, noauth), env=self.upstream.env(self.env),
                                    cwd=cwd, timeout=timeout)

    def run_batch(self, who, commands, noauth=False, cwd='/', timeout=120):
        """Run many command lines (each a sequence of args) through one client."""
        return [self.run(who, *args, noauth=noauth, cwd=cwd, timeout=timeout)
                for args in commands]

    def theirs(self, *args, **kw):
        return self.run('theirs', *args, **kw)

    def ours(self, *args, **kw):
        return self.run('ours', *args, **kw)


def norm(res, world=None, replace=(), ids=False, usage=False, usage_extra=False):
    """(rc, stdout, stderr) with what may legitimately differ evened out."""
    out, err = res.stdout, LOG_PREFIX.sub('', res.stderr)
    if world:
        out, err = out.replace(world, 'WORLD'), err.replace(world, 'WORLD')
    for old, new in replace:
        out, err = out.replace(old, new), err.replace(old, new)
    if ids:
        out = ASCTIME.sub('TIME', IDS.sub(r'\1N\2', out))
    if usage:
        err = USAGE_BODY.sub('Usage: ...\n\n', err)
    if usage_extra:
        err = USAGE_EXTRA.sub(r'\1', err)
    return res.returncode, out, err


def show(theirs, ours):
    """Both results in full, for an assertion message."""
    fmt = '%s rc=%s\n--stdout--\n%s--stderr--\n%s'
    return '\n'.join(fmt % (who, r.returncode, r.stdout, r.stderr)
                     for who, r in (('THEIRS', theirs), ('OURS', ours)))


def same(clients, *args, noauth=False, **normopts):
    """A read-only command gives the same result through both clients."""
    theirs = clients.theirs(*args, noauth=noauth)
    ours = clients.ours(*args, noauth=noauth)
    assert norm(ours, **normopts) == norm(theirs, **normopts), show(theirs, ours)
    return theirs


def same_batch(clients, commands, noauth=False):
    """{command: (theirs, ours)} for read-only command lines.

    The caller compares (with ``norm`` / ``show``), so each command can stay a test case
    of its own.
    """
    commands = [tuple(c) for c in commands]
    theirs = clients.run_batch('theirs', commands, noauth=noauth)
    ours = clients.run_batch('ours', commands, noauth=noauth)
    return dict(zip(commands, zip(theirs, ours)))


class World(object):
    """Names with a per-client suffix; ``run`` sends a command through that client."""

    def __init__(self, clients, who):
        self.clients = clients
        self.who = who
        self.sfx = suffix()

    def n(self, name):
        return '%s-%s' % (name, self.sfx)

    def run(self, *args, **kw):
        return self.clients.run(self.who, *args, **kw)


def twin(clients, script, **normopts):
    """Run script(world) in two worlds (theirs, ours); the outputs must match."""
    results = {}
    raw = {}
    for who in ('theirs', 'ours'):
        world = World(clients, who)
        raw[who] = list(script(world))
        results[who] = [norm(res, world.sfx, **normopts) for res in raw[who]]
    assert len(results['ours']) == len(results['theirs'])
    for theirs, ours, rt, ro in zip(results['theirs'], results['ours'], raw['theirs'],
                                    raw['ours']):
        assert ours == theirs, show(rt, ro)
    return results['theirs']
