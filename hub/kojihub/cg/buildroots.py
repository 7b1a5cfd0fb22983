"""The CG's buildroots: checked before anything is written, then stored as EXTERNAL
buildroots with their rpm/archive components and tools, in one statement per table."""
import json

import koji

from ..core.db import BulkInsertProcessor, InsertProcessor, nextval
from .components import match_components

BR_FIELDS = ('cg_id', 'cg_version', 'container_type', 'container_arch', 'host_os',
             'host_arch', 'extra')


def prep_buildroots(metadata, cg_id, log):
    """{metadata buildroot id: prepared entry}; each must be used by some output."""
    used = set(f['buildroot_id'] for f in metadata['output'])
    prepped = {}
    for brdata in metadata['buildroots']:
        fake_id = brdata['id']
        if fake_id not in used:
            raise koji.GenericError('Buildroot id not used in output: %r' % fake_id)
        if fake_id in prepped:
            raise koji.GenericError('Duplicate buildroot id in metadata: %r' % fake_id)
        brinfo = {
            'cg_id': cg_id,
            'cg_version': brdata['content_generator']['version'],
            'container_type': brdata['container']['type'],
            'container_arch': brdata['container']['arch'],
            'host_os': brdata['host']['os'],
            'host_arch': brdata['host']['arch'],
            'extra': brdata.get('extra'),
        }
        rpms, archives = match_components(brdata['components'], log)
        prepped[fake_id] = {'brinfo': brinfo, 'rpms': rpms, 'archives': archives,
                            'tools': brdata['tools']}
    return prepped


def import_buildroots(prepped):
    """Insert the prepared buildroots; returns {metadata id: new buildroot id}."""
    brmap = {}
    listing = []
    archives = []
    tools = []
    for fake_id, entry in prepped.items():
        br_id = nextval('buildroot_id_seq')
        data = dict(entry['brinfo'], id=br_id, br_type=koji.BR_TYPES['EXTERNAL'])
        if data['extra'] is not None:
            data['extra'] = json.dumps(data['extra'])
        InsertProcessor('buildroot', data=data).execute()
        brmap[fake_id] = br_id
        for rpm_id in sorted({r['id'] for r in entry['rpms']}):
            listing.append({'buildroot_id': br_id, 'rpm_id': rpm_id, 'is_update': False})
        for archive_id in sorted({a['id'] for a in entry['archives']}):
            archives.append({'buildroot_id': br_id, 'archive_id': archive_id,
                             'project_dep': False})
        for tool in entry['tools']:
            tools.append({'buildroot_id': br_id, 'tool': tool['name'],
                          'version': tool['version']})
    for table, rows in (('buildroot_listing', listing), ('buildroot_archives', archives),
                        ('buildroot_tools_info', tools)):
        if rows:
            BulkInsertProcessor(table, data=rows).execute()
    return brmap
