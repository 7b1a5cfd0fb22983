"""Shared pytest set-up: import paths and the fixture modules each part of the suite owns."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, 'hub')):
    if path not in sys.path:
        sys.path.insert(0, path)

pytest_plugins = [
    'tests.fixtures.db',
    'tests.fixtures.hub',
    'tests.fixtures.auth',
    'tests.fixtures.interop',
    'tests.fixtures.rpms',
    'tests.fixtures.cli',
    'tests.hub.taskenv',
]
