"""Enums and constants of the koji namespace (values are wire/database facts)."""
import copy
import pickle

import pytest

import koji
from koji.constants import Enum


def test_enum_both_directions():
    states = Enum(('A', 'B', 'C'))
    assert states['A'] == 0
    assert states['C'] == 2
    assert states[1] == 'B'
    assert states[0:2] == ('A', 'B')
    assert dict(states) == {'A': 0, 'B': 1, 'C': 2}
    assert 'B' in states
    assert 1 not in states  # membership is by name, like the dict


def test_enum_get_and_getnum():
    states = Enum(('A', 'B'))
    assert states.get('B') == 1
    assert states.get(0) == 'A'
    assert states.get('Z') is None
    assert states.get(9, 'dflt') == 'dflt'
    assert states.getnum('B') == 1
    assert states.getnum(1) == 1
    assert states.getnum(7) is None
    assert states.getnum('Z', -1) == -1
    with pytest.raises(KeyError):
        states['Z']
    with pytest.raises(IndexError):
        states[5]


@pytest.mark.parametrize('call', [
    lambda e: e.__setitem__('X', 1),
    lambda e: e.__delitem__('A'),
    lambda e: e.clear(),
    lambda e: e.pop('A'),
    lambda e: e.popitem(),
    lambda e: e.update({'X': 3}),
    lambda e: e.setdefault('X', 3),
    lambda e: e.getvalue('A'),
])
def test_enum_read_only(call):
    states = Enum(('A', 'B'))
    with pytest.raises(NotImplementedError):
        call(states)
    assert dict(states) == {'A': 0, 'B': 1}


def test_enum_copy_and_pickle():
    states = koji.TASK_STATES
    for dup in (copy.copy(states), copy.deepcopy(states), pickle.loads(pickle.dumps(states))):
        assert dup == states
        assert dup[2] == 'CLOSED'


def test_enum_values():
    assert list(koji.TASK_STATES) == ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED',
                                      'FAILED']
    assert koji.BUILD_STATES['COMPLETE'] == 1
    assert koji.BUILD_STATES[4] == 'CANCELED'
    assert koji.USERTYPES['GROUP'] == 2
    assert koji.USER_STATUS['BLOCKED'] == 1
    assert koji.AUTHTYPES['GSSAPI'] == 3
    assert koji.REPO_STATES['PROBLEM'] == 4
    assert koji.BR_STATES['EXPIRED'] == 3
    assert koji.BR_TYPES['EXTERNAL'] == 1
    assert koji.TAG_UPDATE_TYPES['DRAFT_PROMOTION'] == 3
    assert koji.CHECKSUM_TYPES['sha256'] == 2


def test_plain_constants():
    assert koji.API_VERSION == 1
    assert (koji.REPO_INIT, koji.REPO_READY, koji.REPO_EXPIRED, koji.REPO_DELETED,
            koji.REPO_PROBLEM) == (0, 1, 2, 3, 4)
    assert koji.REPO_MERGE_MODES == {'koji', 'simple', 'bare'}
    assert koji.DEP_RECOMMEND == 7
    assert koji.RPMSENSE_EQUAL == 8
    assert koji.RPM_HEADER_MAGIC == bytes([0x8e, 0xad, 0xe8])
    assert koji.RPM_TAG_FILEDIGESTALGO == 5011
    assert koji.RPM_SIGTAG_GPG == 1005
    assert koji.RPM_FILEDIGESTALGO_IDS[None] == 'MD5'
    assert koji.RPM_FILEDIGESTALGO_IDS[8] == 'SHA256'
    assert koji.PRIO_DEFAULT == 20
    assert koji.DEFAULT_REQUEST_TIMEOUT == 43200
    assert koji.DEFAULT_AUTH_TIMEOUT == 60
    assert koji.DRAFT_RELEASE_FORMAT == '{target_release},draft_{build_id}'
    assert len(koji.CONTROL_CHARS) == 32
    assert '\n' not in koji.NONPRINTABLE_CHARS and '\x00' in koji.NONPRINTABLE_CHARS
    assert koji.ENTITY_RE.search('a &amp; b')
    assert koji.PythonImportError is ImportError
    assert koji.ImportError is not ImportError
    assert koji.ImportError.faultCode == 1020
    assert set(koji.SUPPORTED_OPT_DEP_HDRS) >= {'SUGGESTNAME', 'RECOMMENDFLAGS'}
    assert len(koji.SUPPORTED_OPT_DEP_HDRS) == 12
    assert koji.PROFILE_MODULES == {} or isinstance(koji.PROFILE_MODULES, dict)
