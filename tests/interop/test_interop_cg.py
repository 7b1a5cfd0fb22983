"""Content generator and signature commands: upstream's client against our hub, compared
with ours (import-cg, reserve-cg, grant/revoke-cg-access, rename-sig,
prune-signed-copies): help synopsis and flags, argument errors, and twin worlds for the
commands that change state."""
import hashlib
import json
import os
import re
import shutil

import pytest

import koji
from koji_cli.lib import unique_path
from tests.cli.rpmkit import build_kit, sign_rpms
from tests.interop.compare import same, same_batch, twin

COMMANDS = ['import-cg', 'reserve-cg', 'grant-cg-access', 'revoke-cg-access', 'rename-sig',
            'prune-signed-copies']
OPTION = re.compile(r'^  (-[^ ]*(?:, -[^ ]*)*)', re.M)
TOKEN = re.compile(r"with token '[0-9a-f]{64}'")
BUILD_ID = re.compile(r'(with id |Reserved build )\d+')


def masked(res):
    """The result with hub-assigned build ids and tokens masked."""
    res.stdout = BUILD_ID.sub(r'\1N', TOKEN.sub('with token T', res.stdout))
    res.stderr = re.sub(r'\(id=\d+\)', '(id=N)', res.stderr)
    return res


@pytest.fixture(scope='module')
def helps(clients):
    return same_batch(clients, [(command, '--help') for command in COMMANDS], noauth=True)


@pytest.mark.parametrize('command', COMMANDS)
def test_help_synopsis_and_flags(helps, command):
    theirs, ours = helps[(command, '--help')]
    assert (ours.returncode, ours.stdout.splitlines()[0]) == \
        (theirs.returncode, theirs.stdout.splitlines()[0])
    assert OPTION.findall(ours.stdout) == OPTION.findall(theirs.stdout)


USAGE = [
    ('import-cg',),
    ('import-cg', 'only-one'),
    ('import-cg', '--build-id', 'x', 'a', 'b'),
    ('reserve-cg',),
    ('reserve-cg', 'a'),
    ('reserve-cg', '--epoch', 'x', 'a', 'b'),
    ('reserve-cg', 'nosuch-cg', 'pkg-1-1'),
    ('grant-cg-access',),
    ('grant-cg-access', 'nosuchuser', 'cg'),
    ('grant-cg-access', 'kojiadmin', 'nosuch-cg'),
    ('revoke-cg-access', 'a'),
    ('revoke-cg-access', 'nosuchuser', 'cg'),
    ('revoke-cg-access', 'kojiadmin', 'nosuch-cg'),
    ('rename-sig',),
    ('rename-sig', 'a', 'b'),
    ('rename-sig', 'nosuch-1-1.noarch', 'a', 'b'),
    ('prune-signed-copies', '--days', 'x'),
    ('prune-signed-copies', '--build', 'nosuch-1-1'),
    ('prune-signed-copies', 'extra'),
]


@pytest.mark.parametrize('args', USAGE, ids=[' '.join(a) or 'none' for a in USAGE])
def test_errors(clients, args):
    same(clients, *args, usage_extra=True)


def sha256(path):
    with open(path, 'rb') as fo:
        return hashlib.sha256(fo.read()).hexdigest()


def cg_files(top, name, cg):
    """metadata.json and files/ (relative to top) for a build <name>-1.0-1."""
    kit = build_kit(os.path.join(top, 'kit'), name, '1.0', '1')
    files = os.path.join(top, 'files')
    os.makedirs(files)
    outputs = []
    for path in kit.paths:
        dst = shutil.copy(path, files)
        outputs.append({'buildroot_id': 1, 'filename': os.path.basename(dst), 'type': 'rpm',
                        'arch': 'src' if dst.endswith('.src.rpm') else 'noarch',
                        'filesize': os.path.getsize(dst), 'checksum': sha256(dst),
                        'checksum_type': 'sha256'})
    log = os.path.join(files, 'build.log')
    with open(log, 'w') as fo:
        fo.write('ok\n')
    outputs.append({'buildroot_id': 1, 'filename': 'build.log', 'type': 'log',
                    'arch': 'noarch', 'filesize': 3, 'checksum': sha256(log),
                    'checksum_type': 'sha256'})
    metadata = {
        'metadata_version': 0,
        'build': {'name': name, 'version': '1.0', 'release': '1', 'source': 'none',
                  'start_time': 1700000000, 'end_time': 1700000010, 'extra': {}},
        'buildroots': [{'id': 1, 'host': {'os': 'linux', 'arch': 'x86_64'},
                        'content_generator': {'name': cg, 'version': '1'},
                        'container': {'type': 'none', 'arch': 'x86_64'},
                        'tools': [], 'components': []}],
        'output': outputs,
    }
    with open(os.path.join(top, 'metadata.json'), 'w') as fo:
        json.dump(metadata, fo)
    return 'metadata.json', 'files'


def test_cg_twins(clients, hub, tmp_path):
    def script(w):
        top = str(tmp_path / w.sfx)
        os.makedirs(top)
        cg = w.n('cg')
        user = w.n('cguser')
        hub.createUser(user)
        md, files = cg_files(top, w.n('cgpkg'), cg)

        def run(*args):
            return masked(w.run(*args, cwd=top))
        yield run('grant-cg-access', user, cg)
        yield run('grant-cg-access', '--new', user, cg)
        yield run('grant-cg-access', '--new', user, cg)
        yield run('revoke-cg-access', user, cg)
        yield run('grant-cg-access', 'kojiadmin', cg)
        yield run('import-cg', '--test', md, files)
        yield run('import-cg', '--noprogress', md, files)
        yield run('import-cg', '--noprogress', md, files)
        yield run('reserve-cg', cg, w.n('reserved') + '-2-3')
        yield run('reserve-cg', '--metadata', '--epoch', '1', cg, md)
        yield run('reserve-cg', '--draft', '--metadata', cg, md)
        with open(os.path.join(top, md)) as fo:
            metadata = json.load(fo)
        metadata['output'].append(dict(metadata['output'][-1], filename='gone.log'))
        with open(os.path.join(top, 'missing.json'), 'w') as fo:
            json.dump(metadata, fo)
        yield run('import-cg', 'missing.json', files)
        del metadata['output']
        with open(os.path.join(top, 'nooutput.json'), 'w') as fo:
            json.dump(metadata, fo)
        yield run('import-cg', 'nooutput.json', files)
    twin(clients, script, ids=True)


SIZES = re.compile(r'(Bytes: |\(|Total: \d+/)\d+')


def sized(res):
    """Byte counts masked: the two worlds' rpms differ in size by their names' luck."""
    res.stdout = SIZES.sub(r'\1N', res.stdout)
    return res


def test_signature_twins(clients, hub, gpg_key, tmp_path):
    def script(w):
        top = str(tmp_path / w.sfx)
        kit = build_kit(top, w.n('sigpkg'))
        for path in sorted(kit.paths, key=lambda p: not p.endswith('.src.rpm')):
            serverdir = unique_path('test-import')
            hub.uploadWrapper(path, serverdir)
            hub.importRPM(serverdir, os.path.basename(path))
        signed_dir = os.path.join(top, 'signed')
        os.makedirs(signed_dir)
        signed = [shutil.copy(p, signed_dir) for p in kit.paths]
        sign_rpms(signed, gpg_key)
        for path in signed:
            nvra = os.path.basename(path)[:-4]
            hub.addRPMSig(nvra, koji.util.base64encode(koji.rip_rpm_sighdr(path)))
            hub.writeSignedRPM(nvra, gpg_key.sigkey)
        nvra = os.path.basename(signed[-1])[:-4]
        tag = w.n('sigtag')
        hub.createTag(tag)
        hub.packageListAdd(tag, w.n('sigpkg'), owner='kojiadmin')
        hub.tagBuildBypass(tag, kit.nvr)
        yield w.run('rename-sig', nvra, gpg_key.sigkey, 'feedbeef')
        yield w.run('rename-sig', nvra, gpg_key.sigkey, 'feedbeef')
        yield w.run('rename-sig', nvra, 'feedbeef', '')
        # latest in its tag: kept
        yield w.run('prune-signed-copies', '-v', '--build', kit.nvr, '--days', '0')
        yield w.run('prune-signed-copies', '--debug', '--build', kit.nvr, '--days', '0')
        hub.untagBuildBypass(tag, kit.nvr)
        yield sized(w.run('prune-signed-copies', '-n', '--build', kit.nvr, '--days', '0'))
        yield sized(w.run('prune-signed-copies', '-v', '--build', kit.nvr, '--days', '0'))
        yield w.run('prune-signed-copies', '-v', '--build', kit.nvr, '--days', '0')
    twin(clients, script, ids=True)
