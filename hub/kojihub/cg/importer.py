"""CGImport: one content generator build (metadata + files uploaded to work/<directory>)
imported in one call.  Everything is checked before the first write; a failure after
that rolls the database back (the caller's transaction) and moves the files back."""
import json
import logging
import os
import tempfile

import koji
from koji.context import context
from koji.plugin import run_callbacks
from koji.util import joinpath, rmtree, safer_move

from ..builds.build_import import ensure_volume_symlink
from ..builds.build_write import (change_build, check_volume_policy, new_build,
                                  new_maven_build, new_typed_build, new_win_build)
from ..builds.builds import get_build
from ..builds.rpm_batch import Moves
from ..core.lookup import lookup_name
from ..core.policy import assert_policy
from .access import assert_cg
from .buildroots import import_buildroots, prep_buildroots
from .metadata import build_data, load_metadata, task_id_from_metadata
from .outputs import import_outputs, prep_outputs
from .reserve import clear_reservation
from .shape import check_metadata, check_version

logger = logging.getLogger('koji.hub.cg')

_LEVELS = {'info': logging.INFO, 'warning': logging.WARNING, 'error': logging.ERROR}


class CGImportLog(object):
    """Notes on what the import skipped; kept as data/logs/cg_import.log of the build."""

    def __init__(self):
        self.path = None
        self.fo = None

    def __call__(self, level, msg):
        if self.fo is None:
            log_dir = joinpath(koji.pathinfo.work(), 'cg_import_logs')
            koji.ensuredir(log_dir)
            fd, self.path = tempfile.mkstemp(dir=log_dir, suffix='-cg_import.log', text=True)
            self.fo = os.fdopen(fd, 'wt')
        logger.log(_LEVELS[level], msg)
        self.fo.write(msg + '\n')
        self.fo.flush()

    def keep(self, binfo):
        if self.fo is None:
            return
        self('warning', 'CG import was SUCCESSFUL.')
        self.fo.close()
        logsdir = joinpath(koji.pathinfo.build(binfo), 'data/logs/')
        koji.ensuredir(logsdir)
        safer_move(self.path, joinpath(logsdir, 'cg_import.log'))
        self.fo = self.path = None


class CGImporter(object):
    """The steps of one CGImport call (see do_import for their order)."""

    # upstream's classmethod name, for plugins that call it
    get_task_id_from_metadata = staticmethod(task_id_from_metadata)

    def __init__(self):
        self.log = CGImportLog()
        self.buildinfo = None

    def do_import(self, metadata, directory, token=None):
        metadata, self.raw_metadata = load_metadata(metadata, directory)
        self.metadata = metadata
        self.directory = directory
        metaver = check_version(metadata)
        if metaver != 0:
            raise koji.GenericError('No such metadata version: %r' % metaver)
        check_metadata(metadata)
        self.cg = self.assert_cg_access()
        self.buildinfo, self.typeinfo = build_data(metadata, self.cg, token)
        self.br_prep = prep_buildroots(metadata, self.cg, self.log)
        self.outputs = prep_outputs(metadata, directory, self.br_prep, self.typeinfo,
                                    self.log)
        self.metadata_only = any(o.get('metadata_only', False) for o in metadata['output'])
        self.check_policy()
        self.set_volume()
        self.check_build_dir()
        run_callbacks('preImport', type='cg', metadata=metadata, directory=directory)

        self.get_build(token)
        brmap = import_buildroots(self.br_prep)
        moves = Moves()
        try:
            import_outputs(self.buildinfo, self.outputs, brmap, moves)
            ensure_volume_symlink(self.buildinfo, moves)
            builddir = koji.pathinfo.build(self.buildinfo)
            moves.write(joinpath(builddir, 'metadata.json'), self.raw_metadata.encode('utf-8'))
            self.log.keep(self.buildinfo)
            # a plugin refusing the import must find the files back in place too
            run_callbacks('postImport', type='cg', metadata=metadata, directory=directory,
                          build=self.buildinfo)
        except Exception:
            moves.undo()
            self.check_build_dir(delete=True)
            raise
        return self.buildinfo

    def assert_cg_access(self):
        """The caller may import for the (single) CG every buildroot names."""
        cg_id = None
        for brdata in self.metadata['buildroots']:
            cg = lookup_name('content_generator', brdata['content_generator']['name'],
                             strict=True)
            if cg_id is None:
                cg_id = cg['id']
            elif cg_id != cg['id']:
                raise koji.GenericError('Koji now support only one content-generator per '
                                        'import')
        assert_cg(cg_id)
        return cg_id

    def check_policy(self):
        binfo = self.buildinfo
        assert_policy('cg_import', {
            'package': binfo['name'],
            'version': binfo['version'],
            'release': binfo['release'],
            'btypes': list(self.typeinfo),
            'source': binfo.get('source'),
            'draft': binfo.get('draft'),
            'metadata_only': self.metadata_only,
            'cg_list': [self.cg],
        })

    def set_volume(self):
        binfo = self.buildinfo
        vol = check_volume_policy({
            'package': binfo['name'],
            'version': binfo['version'],
            'release': binfo['release'],
            'source': binfo['source'],
            'cg_list': [self.cg],
            'import': True,
            'import_type': 'cg',
        }, strict=False)
        if vol:
            binfo['volume_id'] = vol['id']
            binfo['volume_name'] = vol['name']

    def check_build_dir(self, delete=False):
        path = koji.pathinfo.build(self.buildinfo)
        if os.path.lexists(path):
            if delete:
                # the import log went (or goes) with the failed import: the hub log only
                logger.warning('Deleting build directory: %s', path)
                rmtree(path)
            else:
                raise koji.GenericError('Destination directory already exists: %s' % path)

    def get_build(self, token=None):
        """The build row: the reserved one completed, or a new one; then its types."""
        if token:
            binfo = self.update_build()
        else:
            binfo = get_build(new_build(self.buildinfo), strict=True)
        for btype, tinfo in self.typeinfo.items():
            if btype == 'maven':
                new_maven_build(binfo, tinfo)
            elif btype == 'win':
                new_win_build(binfo, tinfo)
            else:
                new_typed_build(binfo, btype)
        if 'rpm' not in self.typeinfo and any(o['type'] == 'rpm' for o in self.outputs):
            new_typed_build(binfo, 'rpm')
        self.buildinfo = binfo
        return binfo

    def update_build(self):
        """BUILDING -> COMPLETE for the reserved build, with the metadata's facts."""
        data = self.buildinfo
        old = get_build(data['build_id'], strict=True)
        complete = koji.BUILD_STATES['COMPLETE']
        row = {
            'state': complete,
            'extra': json.dumps(data['extra']) if data.get('extra') else None,
            'owner': data.get('owner', context.session.user_id),
            'source': data.get('source'),
            'task_id': data['task_id'],
        }
        if data.get('volume_id'):
            row['volume_id'] = data['volume_id']
        binfo = change_build(old, 'state', complete, data=row,
                             rawdata={'completion_time': 'NOW()'})
        clear_reservation(old['id'])
        return binfo


def cg_import(metadata, directory, token=None):
    """CGImport: import a content generator build; returns the new build record."""
    return CGImporter().do_import(metadata, directory, token)


# upstream's class name, for plugins that subclass or call it
CG_Importer = CGImporter
