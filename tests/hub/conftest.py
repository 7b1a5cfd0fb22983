"""Fixtures the hub test modules share (the database ones: tests/fixtures/db.py)."""
import os

import pytest

import koji
from koji.context import context


@pytest.fixture
def topdir(tmp_path, hub_context):
    """A private KojiDir (packages, work, vol) for the hub code and koji.pathinfo."""
    top = str(tmp_path / 'koji')
    for sub in ('packages', 'work', 'vol'):
        os.makedirs(os.path.join(top, sub))
    saved = koji.pathinfo._topdir
    context.opts['KojiDir'] = top
    koji.pathinfo.topdir = top
    try:
        yield top
    finally:
        koji.pathinfo.topdir = saved
