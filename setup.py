"""Packaging for the koji library, CLI, hub and utilities."""
import glob
import os

from setuptools import setup


def _www_files(sub, pattern='*'):
    """(install dir, files) pairs of a www/ folder, one per sub-folder, for data_files."""
    pairs = []
    base = os.path.join('www', sub)
    for folder, dirs, _files in os.walk(base):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        files = [f for f in glob.glob(os.path.join(folder, pattern)) if os.path.isfile(f)]
        if files:
            rel = os.path.relpath(folder, 'www')
            rel = rel.replace('kojiweb', 'scripts', 1) if rel.startswith('kojiweb') else rel
            pairs.append((os.path.join('share/koji-web', rel), files))
    return pairs


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
    packages=['koji', 'koji_cli', 'koji_cli.commands', 'koji_cli_plugins', 'kojihub',
              'kojibuilder', 'kojiralib', 'kojimaint', 'kojimaint.gc', 'kojimaint.shadow',
              'kojiweb', 'kojidevlib'] + [
        'kojihub.' + sub for sub in ('core', 'api', 'users', 'tags', 'builds', 'tasks',
                                     'hosts', 'repos', 'notifications', 'cg')],
    package_dir={'koji_cli_plugins': 'plugins/cli', 'kojihub': 'hub/kojihub',
                 'kojibuilder': 'builder/kojibuilder', 'kojiralib': 'util/kojiralib',
                 'kojimaint': 'util/kojimaint', 'kojidevlib': 'util/kojidevlib',
                 'kojiweb': 'www/lib/kojiweb'},
    scripts=['cli/koji', 'builder/kojid', 'util/kojira', 'util/koji-dev', 'util/koji-gc',
             'util/koji-shadow', 'util/koji-sweep-db', 'util/koji-sidetag-cleanup'],
    # util/koji-dev finds these under <prefix>/share when it does not run from a checkout
    data_files=[
        ('share/koji', ['schemas/schema.sql']),
        ('share/koji-hub', ['hub/kojiapp.py', 'hub/hub.conf', 'hub/httpd.conf']),
        ('share/koji-web', ['www/conf/web.conf', 'www/conf/kojiweb.conf']),
    ] + _www_files('kojiweb') + _www_files('static'),
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
        'builder': ['pykickstart'],
    },
)
