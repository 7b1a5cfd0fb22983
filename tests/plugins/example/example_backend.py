"""A minimal PEP 517 backend: a pure-Python wheel of koji_plugin_example whose metadata
(name, version, entry points) comes from pyproject.toml."""
import base64
import hashlib
import os
import tomllib
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = 'koji_plugin_example'


def _project():
    with open(os.path.join(HERE, 'pyproject.toml'), 'rb') as fp:
        return tomllib.load(fp)['project']


def _dist_info(project):
    name = project['name'].replace('-', '_')
    entry_points = []
    for group, points in project.get('entry-points', {}).items():
        entry_points.append('[%s]' % group)
        entry_points += ['%s = %s' % item for item in points.items()]
    return '%s-%s.dist-info' % (name, project['version']), {
        'METADATA': 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n'
                    % (project['name'], project['version']),
        'WHEEL': 'Wheel-Version: 1.0\nGenerator: example_backend\nRoot-Is-Purelib: true\n'
                 'Tag: py3-none-any\n',
        'entry_points.txt': '\n'.join(entry_points) + '\n',
    }


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=')
    return '%s,sha256=%s,%d' % (arcname, digest.decode(), len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    info_dir, info_files = _dist_info(project)
    wheel_name = '%s-%s-py3-none-any.whl' % (project['name'].replace('-', '_'),
                                             project['version'])
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), 'w') as whl:
        for fname in sorted(os.listdir(os.path.join(HERE, PACKAGE))):
            if not fname.endswith('.py'):
                continue
            with open(os.path.join(HERE, PACKAGE, fname), 'rb') as fp:
                data = fp.read()
            arcname = '%s/%s' % (PACKAGE, fname)
            whl.writestr(arcname, data)
            records.append(_record_line(arcname, data))
        for fname, text in info_files.items():
            arcname = '%s/%s' % (info_dir, fname)
            whl.writestr(arcname, text)
            records.append(_record_line(arcname, text.encode()))
        records.append('%s/RECORD,,' % info_dir)
        whl.writestr('%s/RECORD' % info_dir, '\n'.join(records) + '\n')
    return wheel_name
