"""koji.daemon.SCM: URL grammar, allowed_scms and policy checks, real git checkouts.

The checkouts run real git against repositories made here; git's ``url.<base>.insteadOf``
(set through GIT_CONFIG_* in the environment) maps the ``git://scm.test/`` URLs a build
would name onto those local repositories.
"""
import os
import shutil
import subprocess

import pytest

import koji
import koji.daemon
import koji.policy
from koji.daemon import SCM

pytestmark = pytest.mark.skipif(not shutil.which('git'), reason='git is not installed')

GIT_ENV = {'GIT_AUTHOR_NAME': 'T', 'GIT_AUTHOR_EMAIL': 't@example.com',
           'GIT_COMMITTER_NAME': 'T', 'GIT_COMMITTER_EMAIL': 't@example.com'}


def git(cwd, *args):
    env = dict(os.environ, **GIT_ENV)
    out = subprocess.run(['git'] + list(args), cwd=cwd, env=env, check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    return out.stdout.strip()


def make_repo(path, files, branch='main'):
    os.makedirs(path)
    git(path, 'init', '-q', '-b', branch)
    for name, text in files.items():
        full = os.path.join(path, name)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as fo:
            fo.write(text)
    git(path, 'add', '-A')
    git(path, 'commit', '-q', '-m', 'first')
    return git(path, 'rev-parse', 'HEAD')


@pytest.fixture
def repos(tmp_path, monkeypatch):
    """git://scm.test/<path> served from tmp_path/served/<path>."""
    served = tmp_path / 'served'
    monkeypatch.setenv('GIT_CONFIG_COUNT', '1')
    monkeypatch.setenv('GIT_CONFIG_KEY_0', 'url.file://%s/.insteadOf' % served)
    monkeypatch.setenv('GIT_CONFIG_VALUE_0', 'git://scm.test/')
    return served


# -- URLs ------------------------------------------------------------------------------------

def test_is_scm_url():
    good = ['git://h/foo.git#1', 'git+ssh://h/p#1', 'git+https://h/p#1', 'git+http://h/p#1',
            'git+rsync://h/p#1', 'svn://h/p#1', 'svn+ssh://h/p#1', 'svn+http://h/p#1',
            'svn+https://h/p#1', 'cvs://h/p#1', 'cvs+ssh://h:80/p#1']
    bad = ['http://localhost/foo.html', 'foo-1.1-1.src.rpm', 'https://s/f.src.rpm',
           'git:foobar', 'https:foo/bar', 'https://', 'file:///x#1']
    assert all(SCM.is_scm_url(u) for u in good)
    assert not any(SCM.is_scm_url(u) for u in bad)
    with pytest.raises(koji.GenericError) as exc:
        SCM.is_scm_url('https://x/y', strict=True)
    assert 'git+ssh://' in str(exc.value)


@pytest.mark.parametrize('url', [
    'git://user@@server/foo.git#abc', 'git://user:pass@server/foo.git#abc',
    'git://server/foo.git;params=x', 'git://server#abc', 'git://server/foo.git',
    'http://localhost/foo.html', 'git://@localhost/foo/?a=bar/', 'git://',
    'foo-1.1-1.src.rpm'])
def test_bad_urls(url):
    with pytest.raises(koji.GenericError):
        SCM(url)


def test_parsed_fields():
    scm = SCM('git+ssh://user@server:80/rpms//foo.git/?sub/dir/#origin/main')
    assert scm.get_info() == {
        'url': 'git+ssh://user@server:80/rpms//foo.git/?sub/dir/#origin/main',
        'scheme': 'git+ssh://', 'user': 'user', 'host': 'server:80',
        'repository': '/rpms/foo.git', 'module': 'sub/dir', 'revision': 'origin/main',
        'scmtype': 'GIT+SSH'}
    assert (scm.use_common, scm.source_cmd) == (True, ['make', 'sources'])
    assert SCM('git://@server/foo.git#1').user is None
    assert SCM('cvs://server/cvs?rpms/foo#TAG').scmtype == 'CVS'
    assert SCM('svn+https://server/svn?x#5').scmtype == 'SVN'
    assert SCM('git://u:tok@server/foo.git#1', allow_password=True).user == 'u:tok'
    # path tricks cannot dodge a repository pattern
    for path in ('//badpath/p', '////badpath/p', '/./badpath/p', '/good/../badpath/p',
                 '/..//badpath/p'):
        assert SCM('git://h%s#1' % path).repository == '/badpath/p'


# -- allowed_scms ----------------------------------------------------------------------------

ALLOWED = '''
    bogus-entry-without-colon
    default:*
    nocommon:*:no
    srccmd:*:no:fedpkg,sources
    nosrc:*:no:
    !mixed:/bad/*
    mixed:/foo/*:off
    mixed:/bar/*:yes
'''


@pytest.mark.parametrize('url,common,cmd', [
    ('git://default/koji.git#1', True, ['make', 'sources']),
    ('git://nocommon/koji.git#1', False, ['make', 'sources']),
    ('git://srccmd/koji.git#1', False, ['fedpkg', 'sources']),
    ('git://nosrc/koji.git#1', False, None),
    ('git://mixed/foo/koji.git#1', False, ['make', 'sources']),
    ('git://mixed/bar/koji.git#1', True, ['make', 'sources']),
])
def test_allowed_by_config(url, common, cmd):
    scm = SCM(url)
    scm.assert_allowed(ALLOWED)
    assert (scm.use_common, scm.source_cmd) == (common, cmd)


@pytest.mark.parametrize('url', ['git://mixed/bad/x.git#1', 'git://mixed//bad/x#1',
                                 'git://mixed/koji.git#1', 'git://other/x#1'])
def test_denied_by_config(url):
    scm = SCM(url)
    with pytest.raises(koji.BuildError) as exc:
        scm.assert_allowed(ALLOWED)
    assert str(exc.value) == '%s:%s is not in the list of allowed SCMs' % (
        scm.host, scm.repository)
    with pytest.raises(koji.BuildError):
        SCM(url).assert_allowed(None)


# -- build_from_scm policy -------------------------------------------------------------------

POLICY = '''
    match scm_host default :: allow
    match scm_host common :: allow use_common
    match scm_host srccmd :: allow fedpkg sources
    match scm_host nosrc :: allow none
    match scm_host both :: allow use_common none
    bool scratch :: allow
    match scm_type SVN :: deny svn is retired
'''


class PolicySession(object):
    """Stands in for a hub session: evaluates the policy with koji's own policy engine."""

    def __init__(self, rules):
        tests = koji.policy.findSimpleTests(vars(koji.policy))
        self.ruleset = koji.policy.SimpleRuleSet(rules.splitlines(), tests)
        self.seen = []

    def evalPolicy(self, name, data):
        assert name == 'build_from_scm'
        self.seen.append(data)
        return self.ruleset.apply(data)


@pytest.mark.parametrize('host,common,cmd', [
    ('default', False, ['make', 'sources']),
    ('common', True, ['make', 'sources']),
    ('srccmd', False, ['fedpkg', 'sources']),
    ('nosrc', False, None),
    ('both', True, None),
])
def test_allowed_by_policy(host, common, cmd):
    scm = SCM('git://%s/koji.git#1234' % host)
    scm.assert_allowed(session=PolicySession(POLICY), by_config=False, by_policy=True)
    assert (scm.use_common, scm.source_cmd) == (common, cmd)


def test_policy_data_and_denials():
    session = PolicySession(POLICY)
    scm = SCM('git://nomatch/koji.git?m#1234')
    scm.assert_allowed_by_policy(session, scratch=True, user_id=7, channel='default')
    assert session.seen[-1] == {
        'scm_url': 'git://nomatch/koji.git?m#1234', 'scm_scheme': 'git://',
        'scm_user': None, 'scm_host': 'nomatch', 'scm_repository': '/koji.git',
        'scm_module': 'm', 'scm_revision': '1234', 'scm_type': 'GIT', 'scratch': True,
        'user_id': 7, 'channel': 'default'}
    with pytest.raises(koji.BuildError) as exc:
        SCM('git://nomatch/koji.git#1').assert_allowed_by_policy(session, scratch=False)
    assert str(exc.value) == 'SCM: nomatch:/koji.git is not allowed, reason: None'
    with pytest.raises(koji.BuildError) as exc:
        SCM('svn://s/repo?m#5').assert_allowed_by_policy(session)
    assert str(exc.value) == 'SCM: s:/repo is not allowed, reason: svn is retired'
    with pytest.raises(koji.ConfigurationError):
        SCM('git://default/x#1').assert_allowed(by_config=False, by_policy=True)


def test_config_then_policy():
    scm = SCM('git://srccmd/koji.git#1')
    scm.assert_allowed(allowed=ALLOWED, session=PolicySession(POLICY), by_policy=True)
    assert (scm.use_common, scm.source_cmd) == (False, ['fedpkg', 'sources'])
    # config sets no source command; a bare policy allow keeps that
    scm = SCM('git://default/koji.git#1')
    scm.assert_allowed(allowed='default:*:no:', session=PolicySession(POLICY),
                       by_policy=True)
    assert (scm.use_common, scm.source_cmd) == (False, None)
    # the config check still has to pass
    with pytest.raises(koji.BuildError):
        SCM('git://common/x#1').assert_allowed(allowed='default:*',
                                               session=PolicySession(POLICY),
                                               by_policy=True)


# -- checkouts -------------------------------------------------------------------------------

def test_git_checkout_module_and_common(repos, tmp_path):
    first = make_repo(str(repos / 'rpms' / 'foo.git'),
                      {'pkg/foo.spec': 'Name: foo\n', 'README': 'top\n'})
    git(str(repos / 'rpms' / 'foo.git'), 'tag', 'v1')
    with open(str(repos / 'rpms' / 'foo.git' / 'pkg' / 'foo.spec'), 'a') as fo:
        fo.write('Version: 2\n')
    git(str(repos / 'rpms' / 'foo.git'), 'commit', '-q', '-am', 'second')
    make_repo(str(repos / 'rpms' / 'common.git'), {'Makefile.common': 'x\n'})
    scmdir = str(tmp_path / 'work')
    os.makedirs(scmdir)
    logfile = str(tmp_path / 'checkout.log')

    scm = SCM('git://scm.test/rpms/foo.git?pkg#v1')
    scm.assert_allowed('scm.test:/rpms/*')
    sourcedir = scm.checkout(scmdir, logfile=logfile)
    assert sourcedir == os.path.join(scmdir, 'foo', 'pkg')
    with open(os.path.join(sourcedir, 'foo.spec')) as fo:
        assert fo.read() == 'Name: foo\n'
    # common is checked out next to the module and linked as <module>/../common
    assert os.path.isfile(os.path.join(scmdir, 'common', 'Makefile.common'))
    link = os.path.join(scmdir, 'foo', 'common')
    assert os.readlink(link) == '../common'
    assert os.path.isfile(os.path.join(link, 'Makefile.common'))
    with open(logfile) as fo:
        log = fo.read()
    assert "Cloning into '%s/foo'" % scmdir in log
    assert scm.get_source() == {'url': 'git://scm.test/rpms/foo.git?pkg#v1',
                                'source': 'git://scm.test/rpms/foo.git?pkg#%s' % first}


def test_git_checkout_branch_and_commit(repos, tmp_path):
    path = str(repos / 'bar')
    make_repo(path, {'bar.spec': 'Name: bar\n'}, branch='devel')
    git(path, 'checkout', '-q', '-b', 'other')
    with open(os.path.join(path, 'bar.spec'), 'w') as fo:
        fo.write('Name: bar\nRelease: 9\n')
    git(path, 'commit', '-q', '-am', 'other')
    other = git(path, 'rev-parse', 'HEAD')
    git(path, 'checkout', '-q', 'devel')
    for n, rev in enumerate(('origin/other', 'other', other)):
        scmdir = str(tmp_path / ('w%d' % n))
        os.makedirs(scmdir)
        scm = SCM('git://scm.test/bar#%s' % rev)
        scm.assert_allowed('scm.test:*:no')
        sourcedir = scm.checkout(scmdir, logfile=os.path.join(scmdir, 'checkout.log'))
        assert sourcedir == os.path.join(scmdir, 'bar')
        with open(os.path.join(sourcedir, 'bar.spec')) as fo:
            assert 'Release: 9' in fo.read()
        assert scm.get_source()['source'] == 'git://scm.test/bar#%s' % other
        assert not os.path.exists(os.path.join(scmdir, 'common'))


def test_git_checkout_failures(repos, tmp_path):
    make_repo(str(repos / 'baz'), {'baz.spec': 'Name: baz\n'})
    scmdir = str(tmp_path / 'w')
    os.makedirs(scmdir)
    scm = SCM('git://scm.test/baz#no-such-ref')
    scm.assert_allowed('scm.test:*:no')
    with pytest.raises(koji.BuildError) as exc:
        scm.checkout(scmdir, logfile=os.path.join(scmdir, 'checkout.log'))
    assert str(exc.value) == ('Error running GIT command "git reset --hard no-such-ref", '
                              'see checkout.log for details')
    # use_common with no common repository next to it fails the checkout too
    scmdir = str(tmp_path / 'w2')
    os.makedirs(scmdir)
    scm = SCM('git://scm.test/baz#main')
    scm.assert_allowed('scm.test:*')
    with pytest.raises(koji.BuildError) as exc:
        scm.checkout(scmdir, logfile=os.path.join(scmdir, 'checkout.log'))
    assert 'git clone git://scm.test/common common' in str(exc.value)
    with pytest.raises(koji.BuildError):
        SCM('git+ssh://scm.test/baz#main').checkout(scmdir, logfile=str(tmp_path / 'l'))


def test_non_git_source_is_the_url():
    scm = SCM('svn+ssh://user@host/dist?rpms/foo#42')
    assert scm.get_source() == {'url': 'svn+ssh://user@host/dist?rpms/foo#42',
                                'source': 'svn+ssh://user@host/dist?rpms/foo#42'}
    assert koji.daemon.SCM is SCM
