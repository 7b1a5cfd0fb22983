"""Fixtures every interop module uses (the upstream client itself: tests/fixtures/interop.py)."""
import pytest


@pytest.fixture(scope='module')
def clients(interop_clients):
    """Both CLIs against the module's hub; ``hub`` (tests/fixtures/cli.py) is the admin."""
    return interop_clients
