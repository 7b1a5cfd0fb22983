"""addExternalRPM and how getRPM / listRPMs show rpms of external repos."""
import pytest

import koji
from kojihub.builds import rpms
from kojihub.core import db
from kojihub.tags.external_repos import ExternalRepoExports
from kojihub.builds.rpms import RpmExports, add_external_rpm

from tests.hub.test_rpms import import_build

api = RpmExports()
erepo_api = ExternalRepoExports()


@pytest.fixture
def admin(make_user, login_as):
    make_user('extadmin', perms=['admin'])
    return login_as('extadmin')


@pytest.fixture
def repos(admin):
    return [erepo_api.createExternalRepo(name, 'http://example.com/%s/$arch/' % name)
            for name in ('ext-one', 'ext-two')]


def info(name='extpkg', arch='x86_64', payloadhash='ab' * 16, **kw):
    data = {'name': name, 'version': '1.0', 'release': '2', 'epoch': None, 'arch': arch,
            'payloadhash': payloadhash, 'size': 1234, 'buildtime': 1700000000}
    data.update(kw)
    return data


def count_rpms():
    return db.QueryProcessor(columns=['id'], tables=['rpminfo'],
                             opts={'countOnly': True}).execute()


def test_add_and_read_back(repos):
    assert api.addExternalRPM(info(epoch=3, extra_field='dropped'), 'ext-one') is None
    rec = api.getRPM('extpkg-1.0-2.x86_64@ext-one', strict=True)
    assert rec['external_repo_id'] == repos[0]['id']
    assert rec['external_repo_name'] == 'ext-one'
    assert (rec['build_id'], rec['buildroot_id'], rec['draft']) == (None, None, None)
    assert (rec['epoch'], rec['size'], rec['buildtime'], rec['payloadhash']) == \
        (3, 1234, 1700000000, 'ab' * 16)
    assert rec['metadata_only'] is False and rec['extra'] is None
    # no location: the only candidate is the external one
    assert api.getRPM('extpkg-1.0-2.x86_64')['id'] == rec['id']
    assert api.getRPM({'name': 'extpkg', 'version': '1.0', 'release': '2', 'arch': 'x86_64',
                       'location': repos[0]['id']})['id'] == rec['id']
    assert api.getRPM('extpkg-1.0-2.x86_64@ext-two') is None
    with pytest.raises(koji.GenericError):
        api.getRPM('extpkg-1.0-2.x86_64@ext-none')

    # the same NVRA may live in another repo too; newest external wins without location
    api.addExternalRPM(info(payloadhash='cd' * 16), repos[1]['id'])
    two = api.getRPM('extpkg-1.0-2.x86_64@ext-two')
    assert two['payloadhash'] == 'cd' * 16 and two['id'] > rec['id']
    assert api.getRPM('extpkg-1.0-2.x86_64')['id'] == two['id']
    assert sorted(r['external_repo_name'] for r in
                  api.getRPM('extpkg-1.0-2.x86_64', multi=True)) == ['ext-one', 'ext-two']


def test_listed_by_list_rpms(repos):
    api.addExternalRPM(info(name='extlist', arch='ppc64le'), 'ext-one')
    rows = api.listRPMs(arches='ppc64le')
    assert [(r['name'], r['external_repo_name'], r['nvr']) for r in rows] == \
        [('extlist', 'ext-one', 'extlist-1.0-2')]
    # external rpms are not drafts
    assert [r['name'] for r in api.listRPMs(arches='ppc64le', draft=False)] == ['extlist']
    assert api.listRPMs(arches='ppc64le', draft=True) == []


def test_duplicates(repos):
    first = add_external_rpm(info(), 'ext-one')
    with pytest.raises(koji.GenericError, match='external rpm already exists: '
                       'extpkg-1.0-2.x86_64@ext-one'):
        api.addExternalRPM(info(), 'ext-one')
    assert add_external_rpm(info(), 'ext-one', strict=False) == first
    assert api.addExternalRPM(info(), 'ext-one', strict=False) is None
    with pytest.raises(koji.GenericError, match='hash changed for external rpm'):
        add_external_rpm(info(payloadhash='ef' * 16), 'ext-one', strict=False)
    assert len(api.getRPM('extpkg-1.0-2.x86_64', multi=True)) == 1


def test_concurrent_insert_is_a_duplicate(repos, monkeypatch):
    """Another request stored the rpm between our check and our insert."""
    stored = add_external_rpm(info(), 'ext-one')
    real_get_rpm = rpms.get_rpm
    calls = []

    def late_get_rpm(rpminfo, strict=False, multi=False):
        calls.append(rpminfo)
        if len(calls) == 1:
            return None
        return real_get_rpm(rpminfo, strict=strict, multi=multi)
    monkeypatch.setattr(rpms, 'get_rpm', late_get_rpm)
    assert add_external_rpm(info(), 'ext-one', strict=False) == stored
    assert len(calls) == 2
    del calls[:]
    with pytest.raises(koji.GenericError, match='already exists'):
        add_external_rpm(info(), 'ext-one')
    monkeypatch.setattr(rpms, 'get_rpm', real_get_rpm)
    # the transaction is still usable after the rolled back insert
    assert len(api.getRPM('extpkg-1.0-2.x86_64', multi=True)) == 1


def test_bad_input(repos):
    before = count_rpms()
    bad = info()
    del bad['size']
    for rpminfo, msg in ((bad, 'size field missing'),
                         (info(size='12'), 'Invalid value for size'),
                         (info(size=True), 'Invalid value for size'),
                         (info(epoch='1'), 'Invalid value for epoch'),
                         (info(name=None), 'Invalid value for name'),
                         (info(arch='x' * 17), 'Invalid value for arch'),
                         ('extpkg-1.0-2.x86_64', 'Invalid type for rpminfo')):
        with pytest.raises(koji.GenericError, match=msg):
            api.addExternalRPM(rpminfo, 'ext-one')
    with pytest.raises(koji.GenericError):
        api.addExternalRPM(info(), 'no-such-repo')
    with pytest.raises(koji.GenericError, match='Not an external repo'):
        api.addExternalRPM(info(), 'INTERNAL')
    assert count_rpms() == before


def test_internal_rpm_still_preferred(topdir, repos, rpm_builds):  # noqa: F811
    rec = import_build(rpm_builds.noarch)[1]
    ext = add_external_rpm(info(name=rec['name'], arch=rec['arch'], version=rec['version'],
                                release=rec['release']), 'ext-two')
    nvra = '%(name)s-%(version)s-%(release)s.%(arch)s' % rec
    assert api.getRPM(nvra)['id'] == rec['id']
    assert api.getRPM(nvra + '@ext-two')['id'] == ext['id']
    assert api.getRPM(nvra + '@INTERNAL')['id'] == rec['id']
    # an external rpm has no file, so header reads find nothing
    assert api.getRPMHeaders(ext['id'], headers=['name']) == {}
    assert api.listRPMFiles(ext['id']) == []
    with pytest.raises(koji.GenericError):
        api.getRPMDeps(ext['id'], strict=True)


def test_needs_admin(hub_context, make_user, login_as):
    make_user('extnobody')
    login_as('extnobody')
    with pytest.raises(koji.ActionNotAllowed):
        api.addExternalRPM(info(), 'ext-one')
