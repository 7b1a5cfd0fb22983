"""Fixtures the CLI test modules share (running the CLI itself: tests/fixtures/cli.py)."""
import pytest


@pytest.fixture(scope='module')
def sql(hub_server):
    """Run one statement on the module hub's database (state no hub call sets)."""
    return hub_server.sql
