"""The maven / windows / image calls fed random arguments over real HTTP, with
EnableMaven and EnableWin on (the whole-API fuzz runs with them off): every fault must
be a Koji fault, never an unexpected error (faultCode 1)."""
import pytest

from tests.fixtures.hub import raw_post
from tests.hub.test_fuzz import Fuzzer, check_reply, encode

CALLS = ('mavenBuild', 'wrapperRPM', 'chainMaven', 'winBuild', 'buildImage',
         'buildImageIndirection', 'buildImageOz', 'importArchive')
ROUNDS = 80


@pytest.fixture(scope='module')
def api(hub_server):
    hub_server.restart({'EnableMaven': True, 'EnableWin': True})
    specs = {entry['name']: entry for entry in hub_server.call('_listapi')}
    return [specs[name] for name in CALLS]


def test_fuzz_typed_build_calls_as_admin(hub_server, api):
    headers = hub_server.login_headers()
    fuzz = Fuzzer(20261207)
    for spec in api:
        for _ in range(ROUNDS):
            args, kwargs = fuzz.arguments(spec)
            status, _, data = raw_post(hub_server.url, encode(spec['name'], args, kwargs),
                                       headers=headers())
            check_reply(spec['name'], args, kwargs, status, data)
