"""addRPMSig / queryRPMSigs / writeSignedRPM / deleteRPMSig with real rpmsign'd rpms."""
import base64
import hashlib
import os

import pytest

import koji
from koji import plugin
from koji.context import context
from kojihub.core import db
from kojihub.api.host_exports import HostExports
from kojihub.builds.rpm_import import RpmImportExports
from kojihub.builds.rpms import RpmExports
from kojihub.builds.signatures import SignatureExports
from kojihub.tasks.uploads import UploadExports
from tests.fixtures.rpms import rpm_checksig

api = SignatureExports()


class RpmApi(RpmExports, RpmImportExports):
    """The rpm calls, importRPM included."""


rapi = RpmApi()
uapi = UploadExports()


@pytest.fixture
def users(make_user):
    make_user('sigadmin', perms=['admin'])
    make_user('signer', perms=['sign'])
    make_user('nobody')


def import_paths(paths, reldir='sig-import/x'):
    """Upload then importRPM each path, as the CLI does; returns the rpm records."""
    result = []
    for path in paths:
        with open(path, 'rb') as fo:
            data = fo.read()
        name = os.path.basename(path)
        digest = hashlib.sha256(data).hexdigest()
        assert uapi.uploadFile(reldir, name, len(data), ('sha256', digest), 0,
                               base64.b64encode(data).decode())
        assert uapi.uploadFile(reldir, name, len(data), ('sha256', digest), -1, '')
        context.event_id = None
        result.append(rapi.importRPM(reldir, name))
    return result


def b64_sighdr(path):
    return base64.b64encode(koji.rip_rpm_sighdr(path)).decode()


@pytest.fixture
def imported(topdir, users, login_as, rpm_builds):
    """The unsigned noarch build imported (srpm + rpm); returns the binary rpm record."""
    login_as('sigadmin')
    records = import_paths(rpm_builds.noarch.paths)
    return records[1]


def test_sign_write_verify_delete(imported, login_as, signed_rpms, rpm_keyring):
    rec = imported
    sigkey = signed_rpms.sigkey
    signed_src = signed_rpms.noarch.rpms[0]
    # import recorded the unsigned header under the empty sigkey
    rows = api.queryRPMSigs(rpm_id=rec['id'])
    assert [(r['rpm_id'], r['sigkey']) for r in rows] == [(rec['id'], '')]
    assert set(rows[0]) == {'rpm_id', 'sigkey', 'sighash'}

    login_as('signer')
    seen = []

    def cb(cbtype, *args, **kws):
        seen.append((cbtype, kws['sigkey'], kws['sighash'], kws['rpm']['id'],
                     kws['build']['id']))
    plugin.register_callback('preRPMSign', cb)
    plugin.register_callback('postRPMSign', cb)
    try:
        assert api.addRPMSig(rec['id'], b64_sighdr(signed_src)) is None
    finally:
        for name in ('preRPMSign', 'postRPMSign'):
            plugin.callbacks[name].remove(cb)
    sighdr = koji.rip_rpm_sighdr(signed_src)
    sighash = hashlib.md5(sighdr).hexdigest()
    assert seen == [(name, sigkey, sighash, rec['id'], rec['build_id'])
                    for name in ('preRPMSign', 'postRPMSign')]
    assert api.queryRPMSigs(rpm_id=rec['id'], sigkey=sigkey) == \
        [{'rpm_id': rec['id'], 'sigkey': sigkey, 'sighash': sighash}]
    # lookups by NVRA and upper-case key give the same row
    nvra = '%(name)s-%(version)s-%(release)s.%(arch)s' % rec
    assert api.queryRPMSigs(rpm_id=nvra, sigkey=sigkey.upper())[0]['sighash'] == sighash
    assert api.queryRPMSigs(sigkey=sigkey, queryOpts={'countOnly': True}) == 1
    builddir = koji.pathinfo.build(rec['build'])
    sigpath = os.path.join(builddir, koji.pathinfo.sighdr(rec, sigkey))
    assert sigpath.endswith('data/sigcache/%s/noarch/%s.rpm.sig' % (sigkey, nvra))
    with open(sigpath, 'rb') as fo:
        assert fo.read() == sighdr
    # the same signature again is refused
    with pytest.raises(koji.GenericError, match='already imported'):
        api.addRPMSig(rec['id'], b64_sighdr(signed_src))

    assert api.writeSignedRPM(rec['id'], sigkey) is None
    signed = os.path.join(builddir, koji.pathinfo.signed(rec, sigkey))
    assert signed.endswith('data/signed/%s/noarch/%s.rpm' % (sigkey, nvra))
    rc, out = rpm_checksig(signed, rpm_keyring)
    assert rc == 0, out
    assert 'key ID %s: OK' % sigkey in out
    with open(signed, 'rb') as fo:
        content = fo.read()
    with open(signed_src, 'rb') as fo:
        assert content == fo.read()  # same bytes rpmsign produced
    sums = db.QueryProcessor(columns=['checksum_type', 'checksum'], tables=['rpm_checksum'],
                             clauses=['rpm_id = %(id)s', 'sigkey = %(sigkey)s'],
                             values={'id': rec['id'], 'sigkey': sigkey},
                             opts={'order': 'checksum_type'}).execute()
    assert sums == [{'checksum_type': koji.CHECKSUM_TYPES['md5'],
                     'checksum': hashlib.md5(content).hexdigest()},
                    {'checksum_type': koji.CHECKSUM_TYPES['sha256'],
                     'checksum': hashlib.sha256(content).hexdigest()}]
    assert rapi.getRPMChecksums(rec['id'], cacheonly=True)[sigkey] == \
        {'md5': hashlib.md5(content).hexdigest(), 'sha256': hashlib.sha256(content).hexdigest()}

    # an existing copy is kept unless forced
    os.truncate(signed, 10)
    api.writeSignedRPM(rec['id'], sigkey)
    assert os.path.getsize(signed) == 10
    api.writeSignedRPM(rec['id'], sigkey.upper(), force=True)
    assert os.path.getsize(signed) == len(content)
    assert rpm_checksig(signed, rpm_keyring)[0] == 0

    # deleting is for admins only
    with pytest.raises(koji.ActionNotAllowed):
        api.deleteRPMSig(rec['id'], sigkey=sigkey)
    login_as('sigadmin')
    with pytest.raises(koji.GenericError, match='No signature specified'):
        api.deleteRPMSig(rec['id'])
    assert api.deleteRPMSig(rec['id'], sigkey=sigkey) is None
    assert not os.path.exists(signed) and not os.path.exists(sigpath)
    assert [r['sigkey'] for r in api.queryRPMSigs(rpm_id=rec['id'])] == ['']
    assert db.QueryProcessor(columns=['rpm_id'], tables=['rpm_checksum'],
                             clauses=['rpm_id = %(id)s'], values={'id': rec['id']},
                             opts={'countOnly': True}).execute() == 0
    with pytest.raises(koji.GenericError, match='no matching signatures'):
        api.deleteRPMSig(rec['id'], sigkey=sigkey)
    # all_sigs also removes the unsigned header
    api.deleteRPMSig(rec['id'], all_sigs=True)
    assert api.queryRPMSigs(rpm_id=rec['id']) == []
    assert not os.path.exists(os.path.join(builddir, koji.pathinfo.sighdr(rec, '')))


def test_permissions(imported, login_as, signed_rpms):
    rec = imported
    data = b64_sighdr(signed_rpms.noarch.rpms[0])
    login_as('nobody')
    with pytest.raises(koji.ActionNotAllowed):
        api.addRPMSig(rec['id'], data)
    with pytest.raises(koji.ActionNotAllowed):
        api.writeSignedRPM(rec['id'], '')
    with pytest.raises(koji.ActionNotAllowed):
        api.deleteRPMSig(rec['id'], all_sigs=True)
    assert len(api.queryRPMSigs(rpm_id=rec['id'])) == 1  # anyone may read
    # admin implies sign
    login_as('sigadmin')
    api.addRPMSig(rec['id'], data)
    api.writeSignedRPM(rec['id'], signed_rpms.sigkey)


def test_invalid_signatures(imported, login_as, signed_rpms, rpm_builds):
    rec = imported
    login_as('signer')
    with pytest.raises(koji.GenericError, match='bad magic'):
        api.addRPMSig(rec['id'], base64.b64encode(b'not a header at all').decode())
    with pytest.raises(koji.GenericError, match='base64'):
        api.addRPMSig(rec['id'], '***')
    # the header of another rpm does not match this payload
    other = signed_rpms.arch.rpms[0]
    with pytest.raises(koji.GenericError, match='wrong md5'):
        api.addRPMSig(rec['id'], b64_sighdr(other))
    with pytest.raises(koji.GenericError):
        api.addRPMSig(999999, b64_sighdr(other))
    with pytest.raises(koji.GenericError, match='No cached signature'):
        api.writeSignedRPM(rec['id'], signed_rpms.sigkey)
    assert [r['sigkey'] for r in api.queryRPMSigs(rpm_id=rec['id'])] == ['']


def test_import_signed_rpm_and_host_write(topdir, users, login_as, signed_rpms, rpm_keyring):
    """Importing an already signed rpm records its key; host.writeSignedRPM's function checks
    no perm (the registry admits build hosts only: tests/integration/test_bad_arguments.py)."""
    login_as('sigadmin')
    records = import_paths(signed_rpms.arch.paths, reldir='sig-import/signed')
    sigkey = signed_rpms.sigkey
    for rec in records:
        assert [r['sigkey'] for r in api.queryRPMSigs(rpm_id=rec['id'])] == [sigkey]
    rec = records[1]
    login_as('nobody')
    HostExports().writeSignedRPM(rec['id'], sigkey)
    signed = os.path.join(koji.pathinfo.build(rec['build']), koji.pathinfo.signed(rec, sigkey))
    rc, out = rpm_checksig(signed, rpm_keyring)
    assert rc == 0 and 'key ID %s: OK' % sigkey in out, out
