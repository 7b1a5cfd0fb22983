"""`extra` values nested beyond MAX_EXTRA_DEPTH are refused when written, so the object
stays readable; sane nesting is stored and read back unchanged."""
import xmlrpc.client

import pytest

import koji
from kojihub.builds import build_write
from kojihub.builds.builds import get_build
from kojihub.core.validate import MAX_EXTRA_DEPTH, check_extra
from kojihub.tags import tags


def nested(depth):
    """A value with `depth` levels of containers (dicts and lists in turn)."""
    value = 'leaf'
    for level in range(depth):
        value = {'k': value} if level % 2 else [value]
    return value


@pytest.fixture
def admin(make_user, login_as):
    make_user('extra-admin', perms=['admin'])
    return login_as('extra-admin')


def test_check_extra():
    check_extra(nested(MAX_EXTRA_DEPTH))
    check_extra({'a': [1, 2.5, None, True, 'x']})
    with pytest.raises(koji.GenericError, match='^extra value is nested too deeply'):
        check_extra(nested(MAX_EXTRA_DEPTH + 1))
    with pytest.raises(koji.GenericError, match='non-string key'):
        check_extra({1: 'x'})
    with pytest.raises(koji.GenericError, match='cannot be stored: Binary'):
        check_extra({'a': [xmlrpc.client.Binary(b'x')]})


def test_tag_extra(admin):
    with pytest.raises(koji.GenericError, match='nested too deeply'):
        tags.create_tag('deep-tag', extra={'deep': nested(300)})
    assert tags.get_tag('deep-tag') is None
    tags.create_tag('ok-tag', extra={'ok': nested(MAX_EXTRA_DEPTH)})
    assert tags.get_tag('ok-tag')['extra']['ok'] == nested(MAX_EXTRA_DEPTH)
    with pytest.raises(koji.GenericError, match='nested too deeply'):
        tags.edit_tag('ok-tag', extra={'deep': nested(300)})
    assert set(tags.get_tag('ok-tag')['extra']) == {'ok'}


def test_build_extra(admin):
    data = {'name': 'deep-build', 'version': '1', 'release': '1', 'epoch': None,
            'state': koji.BUILD_STATES['COMPLETE'], 'extra': {'deep': nested(300)}}
    with pytest.raises(koji.GenericError, match='nested too deeply'):
        build_write.new_build(data)
    assert get_build('deep-build-1-1') is None
    data['extra'] = {'ok': nested(10)}
    build_id = build_write.new_build(data)
    assert get_build(build_id)['extra'] == {'ok': nested(10)}
