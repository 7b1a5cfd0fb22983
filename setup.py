"""Packaging for the koji library, CLI, hub and utilities."""
import os

from setuptools import setup


def _version():
    scope = {}
    with open(os.path.join(os.path.dirname(__file__), 'koji', '_version.py')) as handle:
        exec(handle.read(), scope)
    return scope['__version__']


setup(
    name='koji-clone',
    version=_version(),
    description='A clean-room implementation of the Koji build system',
    license='LGPLv2',
    python_requires='>=3.9',
    packages=['koji', 'koji_cli', 'koji_cli.commands', 'kojihub', 'kojibuilder',
              'kojiralib', 'kojimaint', 'kojimaint.gc', 'kojimaint.shadow'] + [
        'kojihub.' + sub for sub in ('core', 'api', 'users', 'tags', 'builds', 'tasks',
                                     'hosts', 'repos', 'notifications')],
    package_dir={'kojihub': 'hub/kojihub', 'kojibuilder': 'builder/kojibuilder',
                 'kojiralib': 'util/kojiralib', 'kojimaint': 'util/kojimaint'},
    scripts=['cli/koji', 'builder/kojid', 'util/kojira', 'util/koji-dev', 'util/koji-gc',
             'util/koji-shadow', 'util/koji-sweep-db'],
    # util/koji-dev finds these under <prefix>/share when it does not run from a checkout
    data_files=[
        ('share/koji', ['schemas/schema.sql']),
        ('share/koji-hub', ['hub/kojiapp.py', 'hub/hub.conf', 'hub/httpd.conf']),
    ],
    install_requires=[
        'requests',
        'requests-gssapi',
        'python-dateutil',
        'defusedxml',
    ],
    extras_require={
        'hub': ['psycopg2-binary', 'mod_wsgi'],
        'web': ['Cheetah3'],
        'rpm': ['rpm'],
    },
)
