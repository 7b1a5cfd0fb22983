"""Fixtures shared by the HTTP integration modules."""
import pytest

from tests.fixtures.sessions import client


@pytest.fixture(scope='module')
def admin(hub_server):
    session = client(hub_server, hub_server.admin_user, hub_server.admin_password)
    session.login()
    yield session
    session.logout()
