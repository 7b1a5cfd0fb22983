"""Reading CG metadata (a dict, a JSON string or an uploaded .json file) and turning its
``build`` section into the build row to create or complete, with upstream's refusals."""
import datetime
import json
import logging
import os

import koji
from koji.util import dslice, joinpath

from ..builds.builds import get_build
from ..core.lookup import lookup_name
from ..repos.opts import convert_value
from ..users.users import get_user
from .reserve import get_reservation_token

logger = logging.getLogger('koji.hub.cg')

LEGACY_BTYPES = ('maven', 'win', 'image')


def parse_json(value, desc=None, errstr=None):
    """Decoded JSON text (None stays None); GenericError worded as upstream's."""
    if value is None:
        return value
    try:
        return koji.fixEncodingRecurse(json.loads(value))
    except Exception:
        if errstr is None:
            # upstream's wording: the description only shows when it is None
            errstr = 'Invalid json data' if desc is not None else 'Invalid json data for None'
        raise koji.GenericError('%s: %r' % (errstr, value))


def load_metadata(metadata, directory):
    """(parsed metadata, raw JSON text) from CGImport's metadata argument.

    A name ending in .json (default metadata.json when metadata is None) is read from
    work/<directory>/; any other string is the JSON itself.
    """
    if isinstance(metadata, dict):
        try:
            raw = json.dumps(metadata, indent=2)
        except Exception:
            logger.exception('Cannot encode supplied metadata')
            raise koji.GenericError('Invalid metadata, cannot encode: %r' % metadata)
        return metadata, raw
    if metadata is None:
        metadata = 'metadata.json'
    convert_value(metadata, cast=str, check_only=True)
    if metadata.endswith('.json'):
        path = work_path(directory, metadata)
        if not os.path.exists(path):
            raise koji.GenericError('No such file: %s' % metadata)
        with open(path, 'rt', encoding='utf-8') as fo:
            metadata = fo.read()
    return parse_json(metadata, desc='metadata'), metadata


def work_path(directory, *parts):
    """A path below work/<directory>; nothing may climb out of the work area."""
    convert_value(directory, cast=str, check_only=True)
    parts = tuple(part for part in parts if part)
    try:
        return joinpath(koji.pathinfo.work(), directory, *parts)
    except ValueError:
        raise koji.GenericError('Invalid path: %s' % '/'.join((directory,) + parts))


def convert_timestamp(ts):
    """Seconds since the epoch as a timestamptz literal."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(' ')


def task_id_from_metadata(metadata):
    """build.task_id, or OSBS's extra.container_koji_task_id (they must agree)."""
    binfo = metadata['build']
    task_id = None
    if 'task_id' in binfo:
        task_id = convert_value(binfo['task_id'], cast=int)
    extra = binfo.get('extra') or {}
    if 'container_koji_task_id' in extra:
        task_id2 = convert_value(extra['container_koji_task_id'], cast=int)
        if task_id is not None and task_id != task_id2:
            raise koji.GenericError('CG provided non-matching task_id %s and '
                                    'container_koji_task_id %s' % (task_id, task_id2))
        return task_id2
    return task_id


def check_reservation(metadata, cg_id, token):
    """The reserved build named by build.build_id must match the token, CG and NVR."""
    mbuild = metadata['build']
    build_id = mbuild['build_id']
    binfo = get_build(build_id, strict=True)
    reservation = get_reservation_token(binfo['id'])
    task_id = task_id_from_metadata(metadata)
    if not reservation or reservation['token'] != token:
        raise koji.GenericError("Token doesn't match build ID %s" % build_id)
    if binfo['cg_id'] != cg_id:
        raise koji.GenericError('Build ID %s is not reserved by this CG' % build_id)
    if binfo['task_id'] and binfo['task_id'] != task_id:
        raise koji.GenericError('Build is owned by task %(task_id)s' % binfo)
    if binfo['state'] != koji.BUILD_STATES['BUILDING']:
        raise koji.GenericError('Build ID %s is not in BUILDING state' % build_id)
    if binfo['draft'] != mbuild.get('draft', False):
        raise koji.GenericError('Draft field does not match reservation (build id = %s)'
                                % build_id)
    if binfo['name'] != mbuild['name'] or binfo['version'] != mbuild['version']:
        raise koji.GenericError('Build (%i) NVR is different' % build_id)
    release = mbuild['release']
    if binfo['draft']:
        release = koji.gen_draft_release(release, binfo['id'])
    if binfo['release'] != release:
        raise koji.GenericError('Build (%i) NVR is different' % build_id)
    if 'epoch' in mbuild and binfo['epoch'] != mbuild['epoch']:
        raise koji.GenericError('Build (%i) epoch is different' % build_id)


def build_data(metadata, cg_id, token=None):
    """(build row data, typeinfo {btype: info}) for the metadata's build section."""
    mbuild = metadata['build']
    if mbuild.get('build_id'):
        check_reservation(metadata, cg_id, token)
    elif token is not None:
        raise koji.GenericError('Reservation token given, but no build_id in metadata')
    else:
        old = get_build(mbuild, strict=False)
        if old and koji.BUILD_STATES[old['state']] not in ('CANCELED', 'FAILED'):
            raise koji.GenericError('Build already exists: %(nvr)s (id=%(id)s)' % old)
    binfo = dslice(mbuild, ['name', 'version', 'release', 'extra', 'source'])
    if 'build_id' in mbuild:
        binfo['build_id'] = mbuild['build_id']
    binfo['epoch'] = mbuild.get('epoch', None)
    binfo['draft'] = mbuild.get('draft', False)
    binfo['start_time'] = convert_timestamp(float(mbuild['start_time']))
    binfo['completion_time'] = convert_timestamp(float(mbuild['end_time']))
    binfo['task_id'] = task_id_from_metadata(metadata)
    owner = mbuild.get('owner', None)
    if owner:
        if not isinstance(owner, str):
            raise koji.GenericError('Invalid owner format (expected username): %s' % owner)
        binfo['owner'] = get_user(owner, strict=True)['id']
    binfo['cg_id'] = cg_id
    koji.check_NVR(binfo, strict=True)

    if binfo['extra'] is None:
        binfo['extra'] = {}
    extra = binfo['extra']
    typeinfo = extra.setdefault('typeinfo', {})
    # the legacy types may sit at the top level of extra
    for btype in LEGACY_BTYPES:
        if btype not in extra:
            continue
        if btype in typeinfo:
            raise koji.GenericError('Duplicate typeinfo for %r' % btype)
        typeinfo[btype] = extra[btype]
    for btype in typeinfo:
        lookup_name('btype', btype, strict=True)
    return binfo, typeinfo
