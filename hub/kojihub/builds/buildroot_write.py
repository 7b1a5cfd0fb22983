"""Standard buildroots as build hosts write them: host.newBuildRoot and its follow-ups.

buildroots.py has the reads.  A standard buildroot belongs to the host that made it and
to one task; every call here checks both (the task only when the caller names it).
States move INIT -> WAITING -> BUILDING -> EXPIRED: nothing goes back to INIT and an
EXPIRED buildroot stays so.  The rpm list is only set in INIT and only extended (and
archives only recorded) while BUILDING.

rpm lists are resolved in batch: one query for the rpms known to the hub and, for
entries carrying an external repo name in ``location``, one insert of the missing
external rpms (checked and recorded as rpms.add_external_rpm does one at a time)
before a second lookup.
"""
import os
import re

import koji
from koji.context import context

from ..core.auth import assert_host_session
from ..core.db import (InsertProcessor, QueryProcessor, UpdateProcessor, _dml, _multiRow,
                       get_event, nextval)
from ..tasks.host_calls import _host_id
from ..repos.repos import repo_info
from .rpms import _clean_external_rpminfo
from ..tasks.task_actions import Task

BR_STATES = koji.BR_STATES

# a maven snapshot file name carries a timestamp where the repo copy says -SNAPSHOT
SNAPSHOT_RE = re.compile(r'-\d{8}\.\d{6}-\d+')


def _int_id(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise koji.ParameterError('Invalid %s: %r' % (what, value))
    return value


def _load(br_id, lock=False):
    """The buildroot with its standard part; GenericError unless it is a standard one."""
    br_id = _int_id(br_id, 'buildroot id')
    query = QueryProcessor(
        columns=['buildroot.id', 'buildroot.br_type', 'buildroot.container_arch',
                 'standard_buildroot.buildroot_id', 'standard_buildroot.host_id',
                 'standard_buildroot.repo_id', 'standard_buildroot.task_id',
                 'standard_buildroot.state'],
        aliases=['id', 'br_type', 'arch', 'standard_id', 'host_id', 'repo_id', 'task_id',
                 'state'],
        tables=['buildroot'],
        joins=['LEFT JOIN standard_buildroot ON standard_buildroot.buildroot_id = buildroot.id'],
        clauses=['buildroot.id = %(id)s'], values={'id': br_id})
    row = query.executeOne()
    if row is None:
        raise koji.GenericError('no buildroot with ID: %i' % br_id)
    if row['br_type'] != koji.BR_TYPES['STANDARD'] or row['standard_id'] is None:
        raise koji.GenericError('Not a standard buildroot: %i' % br_id)
    if lock:
        # the state decides what may happen next, so hold it for the rest of the call
        query = QueryProcessor(columns=['state'], tables=['standard_buildroot'],
                               clauses=['buildroot_id = %(id)s'], values={'id': br_id},
                               opts={'rowlock': True})
        row['state'] = query.singleValue()
    return row


def _owned(brootid, task_id):
    """Checks of every call on an existing buildroot, in upstream's order."""
    host_id = _host_id()
    if task_id is not None:
        task_id = _int_id(task_id, 'task id')
        Task(task_id).assertHost(host_id)
    br = _load(brootid, lock=True)
    if br['host_id'] != host_id:
        raise koji.ActionNotAllowed('Host %s not owner of buildroot %s' % (host_id, br['id']))
    if task_id is not None and br['task_id'] != task_id:
        raise koji.ActionNotAllowed('Task %s does not have lock on buildroot %s'
                                    % (task_id, br['id']))
    return br


def _assert_state(br, state):
    if br['state'] != BR_STATES[state]:
        raise koji.GenericError('buildroot %(id)s in wrong state %(state)s' % br)


# ---------------------------------------------------------------------------
# creation and state

def new_buildroot(repo, arch, task_id=None):
    """host.newBuildRoot: a standard buildroot in INIT for this host -> its id."""
    host_id = _host_id()
    if task_id is None:
        # every standard buildroot row names its task (the column is NOT NULL)
        raise koji.ParameterError('A standard buildroot needs the task it is made for')
    task_id = _int_id(task_id, 'task id')
    Task(task_id).assertHost(host_id)
    if repo_info(_int_id(repo, 'repo id')) is None:
        raise koji.GenericError('No such repo: %i' % repo)
    if arch is not None and not isinstance(arch, str):
        raise koji.ParameterError('Invalid arch: %r' % (arch,))
    arch = koji.parse_arches(arch, strict=True, allow_none=True) or None
    br_id = nextval('buildroot_id_seq')
    InsertProcessor('buildroot', data={
        'id': br_id, 'br_type': koji.BR_TYPES['STANDARD'], 'container_arch': arch,
        'container_type': 'chroot' if arch else None}).execute()
    InsertProcessor('standard_buildroot', data={
        'buildroot_id': br_id, 'host_id': host_id, 'repo_id': repo, 'task_id': task_id,
        'state': BR_STATES['INIT'], 'create_event': get_event()}).execute()
    return br_id


def _state_value(state):
    if isinstance(state, str):
        if state not in BR_STATES:
            raise koji.ParameterError('Invalid buildroot state: %s' % state)
        return BR_STATES[state]
    if isinstance(state, bool) or not isinstance(state, int) \
            or state not in BR_STATES.values():
        raise koji.ParameterError('Invalid buildroot state: %r' % (state,))
    return state


def set_buildroot_state(brootid, state, task_id=None):
    """host.setBuildRootState: move on to WAITING, BUILDING or EXPIRED (name or number)."""
    state = _state_value(state)
    br = _owned(brootid, task_id)
    if state == BR_STATES['INIT']:
        raise koji.GenericError('Cannot change buildroot state to INIT')
    if br['state'] == BR_STATES['EXPIRED']:
        if state == BR_STATES['EXPIRED']:
            # expiring twice is harmless (kojid may retry after a lost reply)
            return None
        raise koji.GenericError('buildroot %i is EXPIRED' % br['id'])
    update = UpdateProcessor('standard_buildroot', data={'state': state},
                             clauses=['buildroot_id = %(id)s'], values={'id': br['id']})
    if state == BR_STATES['EXPIRED']:
        update.set(retire_event=get_event())
    update.execute()
    return None


# ---------------------------------------------------------------------------
# rpm lists

def _nvra(entry):
    return '%(name)s-%(version)s-%(release)s.%(arch)s' % entry


def _check_entries(rpmlist):
    if not isinstance(rpmlist, (list, tuple)):
        raise koji.ParameterError('rpmlist must be a list of rpm dicts')
    for entry in rpmlist:
        if not isinstance(entry, dict):
            raise koji.ParameterError('Invalid rpm entry: %r' % (entry,))
        for key in ('name', 'version', 'release', 'arch'):
            if not isinstance(entry.get(key), str):
                raise koji.ParameterError('Invalid rpm entry, bad %s: %r' % (key, entry))
        location = entry.get('location')
        if location is not None and (isinstance(location, bool)
                                     or not isinstance(location, (str, int))):
            raise koji.ParameterError('Invalid rpm location: %r' % (location,))


def _unnest(entries, extra=()):
    """SQL fragment and values: the entries as a relation w(name, version, release, arch,
    <extra...>, idx)."""
    values = {}
    cols = [('name', 'text'), ('version', 'text'), ('release', 'text'), ('arch', 'text')]
    cols += list(extra)
    parts = []
    for col, kind in cols:
        values['w_' + col] = [e[col] for e in entries]
        parts.append('%%(w_%s)s::%s[]' % (col, kind))
    names = ', '.join(c for c, _ in cols)
    return ('unnest(%s) WITH ORDINALITY AS w(%s, idx)' % (', '.join(parts), names), values)


def _find_internal(entries):
    """[rpm id or None] per entry, preferring as getRPM does without a location."""
    if not entries:
        return []
    rel, values = _unnest(entries)
    sql = ('SELECT DISTINCT ON (w.idx) w.idx, rpminfo.id FROM %s '
           'JOIN rpminfo ON rpminfo.name = w.name AND rpminfo.version = w.version '
           'AND rpminfo.release = w.release AND rpminfo.arch = w.arch '
           'ORDER BY w.idx, CASE WHEN rpminfo.external_repo_id = 0 AND NOT rpminfo.draft '
           'THEN 0 WHEN rpminfo.external_repo_id = 0 THEN 1 ELSE 2 END, rpminfo.id DESC'
           % rel)
    found = dict((row['idx'], row['id']) for row in _multiRow(sql, values, ('idx', 'id')))
    return [found.get(i + 1) for i in range(len(entries))]


def _find_external(entries):
    """[(rpm id, payloadhash) or None] per entry (entries carry repo_id)."""
    rel, values = _unnest(entries, extra=[('repo_id', 'integer')])
    sql = ('SELECT w.idx, rpminfo.id, rpminfo.payloadhash FROM %s '
           'JOIN rpminfo ON rpminfo.name = w.name AND rpminfo.version = w.version '
           'AND rpminfo.release = w.release AND rpminfo.arch = w.arch '
           'AND rpminfo.external_repo_id = w.repo_id AND rpminfo.draft IS NOT TRUE' % rel)
    rows = _multiRow(sql, values, ('idx', 'id', 'payloadhash'))
    found = dict((row['idx'], (row['id'], row['payloadhash'])) for row in rows)
    return [found.get(i + 1) for i in range(len(entries))]


def _external_repo_ids(locations):
    """{location: external repo id}; a location is a repo name or (as upstream kojid
    sends it) a repo id."""
    names = sorted(loc for loc in locations if isinstance(loc, str))
    ids = sorted(loc for loc in locations if not isinstance(loc, str))
    query = QueryProcessor(columns=['name', 'id'], tables=['external_repo'],
                           clauses=['name = ANY(%(names)s) OR id = ANY(%(ids)s)'],
                           values={'names': names, 'ids': ids})
    found = {}
    for row in query.execute():
        found[row['name']] = found[row['id']] = row['id']
    for loc in sorted(locations, key=str):
        if loc not in found:
            raise koji.GenericError('No such external repo: %s' % loc)
        if found[loc] == 0:
            raise koji.GenericError('Not an external repo: %s' % loc)
    return dict((loc, found[loc]) for loc in locations)


def _insert_external(entries):
    """Record external rpms nobody recorded yet; concurrent inserts are tolerated."""
    count = len(entries)
    ids = [row['id'] for row in _multiRow(
        "SELECT nextval('rpminfo_id_seq') FROM generate_series(1, %(n)s)", {'n': count},
        ('id',))]
    values = {'ids': ids}
    cols = [('name', 'text'), ('version', 'text'), ('release', 'text'), ('epoch', 'integer'),
            ('arch', 'text'), ('repo_id', 'integer'), ('payloadhash', 'text'),
            ('size', 'bigint'), ('buildtime', 'bigint')]
    parts = ['%(ids)s::integer[]']
    for col, kind in cols:
        values[col] = [e[col] for e in entries]
        parts.append('%%(%s)s::%s[]' % (col, kind))
    sql = ('INSERT INTO rpminfo (id, name, version, release, epoch, arch, external_repo_id, '
           'payloadhash, size, buildtime) SELECT * FROM unnest(%s) ON CONFLICT DO NOTHING'
           % ', '.join(parts))
    _dml(sql, values)


def _resolve_external(entries):
    """rpm ids for entries with a location, adding the ones the hub does not know."""
    repo_ids = _external_repo_ids(set(e['location'] for e in entries))
    wanted = []
    for entry in entries:
        # the checks addExternalRPM makes (all rpminfo fields present, right types)
        clean = _clean_external_rpminfo(entry)
        wanted.append(dict(clean, location=entry['location'],
                           repo_id=repo_ids[entry['location']]))
    found = _find_external(wanted)
    missing = {}
    for entry, hit in zip(wanted, found):
        if hit is None:
            key = tuple(entry[k] for k in ('name', 'version', 'release', 'arch', 'repo_id'))
            missing.setdefault(key, entry)
    if missing:
        _insert_external(list(missing.values()))
        found = _find_external(wanted)
    rpm_ids = []
    for entry, hit in zip(wanted, found):
        if hit is None:
            raise koji.GenericError('Unable to record external rpm %s@%s'
                                    % (_nvra(entry), entry['location']))
        if hit[1] != entry['payloadhash']:
            raise koji.GenericError('hash changed for external rpm: %s@%s (%s -> %s)'
                                    % (_nvra(entry), entry['location'], hit[1],
                                       entry['payloadhash']))
        rpm_ids.append(hit[0])
    return rpm_ids


def resolve_rpm_list(rpmlist):
    """Sorted distinct rpm ids for a buildroot rpm list (see the module docstring)."""
    _check_entries(rpmlist)
    internal = [e for e in rpmlist if not e.get('location')]
    external = [e for e in rpmlist if e.get('location')]
    rpm_ids = set()
    if internal:
        found = _find_internal(internal)
        missing = [_nvra(e) for e, rpm_id in zip(internal, found) if rpm_id is None]
        if missing:
            raise koji.GenericError('No such rpm: %s' % ', '.join(missing))
        rpm_ids.update(found)
    if external:
        rpm_ids.update(_resolve_external(external))
    return sorted(rpm_ids)


def _add_listing(br_id, rpm_ids, is_update):
    """Insert listing rows (ids sorted, so concurrent writers lock in one order)."""
    if not rpm_ids:
        return
    _dml('INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) '
         'SELECT %(br_id)s, rpm_id, %(is_update)s FROM unnest(%(ids)s::integer[]) AS rpm_id '
         'ON CONFLICT (buildroot_id, rpm_id) DO NOTHING',
         {'br_id': br_id, 'is_update': is_update, 'ids': rpm_ids})


def set_buildroot_list(brootid, rpmlist, task_id=None):
    """host.setBuildRootList: the rpms installed when the buildroot was made (INIT)."""
    br = _owned(brootid, task_id)
    _assert_state(br, 'INIT')
    _add_listing(br['id'], resolve_rpm_list(rpmlist), False)


def update_buildroot_list(brootid, rpmlist, task_id=None):
    """host.updateBuildRootList: rpms installed later on (BUILDING), marked is_update."""
    br = _owned(brootid, task_id)
    _assert_state(br, 'BUILDING')
    _add_listing(br['id'], resolve_rpm_list(rpmlist), True)


# ---------------------------------------------------------------------------
# archives

def _add_archives(br, archive_ids, project):
    if not (context.opts.get('EnableMaven') or context.opts.get('EnableWin')):
        raise koji.GenericError('non-rpm support is not enabled')
    _assert_state(br, 'BUILDING')
    ids = sorted(set(archive_ids))
    if not ids:
        return
    known = QueryProcessor(columns=['id'], tables=['archiveinfo'],
                           clauses=['id = ANY(%(ids)s)'], values={'ids': ids},
                           opts={'asList': True}).execute()
    missing = sorted(set(ids) - set(row[0] for row in known))
    if missing:
        raise koji.GenericError('No such archive: %s' % missing[0])
    _dml('INSERT INTO buildroot_archives (buildroot_id, archive_id, project_dep) '
         'SELECT %(br_id)s, archive_id, %(project)s FROM unnest(%(ids)s::integer[]) '
         'AS archive_id ON CONFLICT (buildroot_id, archive_id) DO NOTHING',
         {'br_id': br['id'], 'project': bool(project), 'ids': ids})


def update_buildroot_archives(brootid, task_id, archives, project=False):
    """host.updateBuildrootArchives: archives (dicts with an id) used in the buildroot."""
    br = _owned(brootid, _int_id(task_id, 'task id'))
    if not isinstance(archives, (list, tuple)):
        raise koji.ParameterError('archives must be a list of archive dicts')
    ids = []
    for archive in archives:
        if not isinstance(archive, dict):
            raise koji.ParameterError('Invalid archive entry: %r' % (archive,))
        ids.append(_int_id(archive.get('id'), 'archive id'))
    _add_archives(br, ids, project)


def _task_maven_deps(task_id):
    """{maven label: {'maven_info', 'files'}} of the maven files a task wrote."""
    from ..tasks.uploads import list_task_output
    deps = {}
    for path, stats in list_task_output(task_id, stat=True).items():
        if os.path.splitext(path)[1] in ('.log', '.md5', '.sha1'):
            continue
        parts = path.split('/')
        if len(parts) < 4:
            continue
        info = {'group_id': '.'.join(parts[:-3]), 'artifact_id': parts[-3],
                'version': parts[-2]}
        entry = deps.setdefault(koji.mavenLabel(info), {'maven_info': info, 'files': []})
        entry['files'].append({'filename': parts[-1], 'size': int(stats['st_size'])})
    return deps


def _maven_archives(build_ids):
    """Maven archives of these builds, indexed by (group, artifact, version, filename)."""
    if not build_ids:
        return {}
    query = QueryProcessor(
        columns=['archiveinfo.id', 'archiveinfo.build_id', 'archiveinfo.filename',
                 'archiveinfo.size', 'maven_archives.group_id', 'maven_archives.artifact_id',
                 'maven_archives.version'],
        aliases=['id', 'build_id', 'filename', 'size', 'group_id', 'artifact_id', 'version'],
        tables=['archiveinfo'],
        joins=['maven_archives ON maven_archives.archive_id = archiveinfo.id'],
        clauses=['archiveinfo.build_id = ANY(%(ids)s)'], values={'ids': sorted(build_ids)})
    return dict(((a['build_id'], a['group_id'], a['artifact_id'], a['version'],
                  a['filename']), a) for a in query.execute())


def _maven_index(br, extra_deps):
    """{(group, artifact, version): build id} from the buildroot's tag, plus extra builds;
    and the maven files of extra dependency tasks (to be ignored)."""
    from .builds import get_build
    from ..tags.tagged import maven_tag_archives
    repo = repo_info(br['repo_id'], strict=True)
    index = {}
    for archive in maven_tag_archives(repo['tag_id'], event_id=repo['create_event']):
        index.setdefault((archive['group_id'], archive['artifact_id'], archive['version']),
                         archive['build_id'])
    task_deps = {}
    extra_builds = []
    for dep in extra_deps or []:
        if isinstance(dep, int) and not isinstance(dep, bool):
            for label, entry in _task_maven_deps(dep).items():
                task_deps.setdefault(label, {'maven_info': entry['maven_info'], 'files': []})
                task_deps[label]['files'].extend(entry['files'])
        else:
            extra_builds.append(get_build(dep, strict=True)['id'])
    for archive in _maven_archives(extra_builds).values():
        # builds named explicitly win over what the tag offers
        index[(archive['group_id'], archive['artifact_id'], archive['version'])] = \
            archive['build_id']
    return index, list(task_deps.values())


def _ignored_files(ignore):
    by_label = {}
    for entry in ignore:
        files = by_label.setdefault(koji.mavenLabel(entry['maven_info']), {})
        for fileinfo in entry['files']:
            files[fileinfo['filename']] = fileinfo
            if SNAPSHOT_RE.search(fileinfo['filename']):
                files[SNAPSHOT_RE.sub('-SNAPSHOT', fileinfo['filename'])] = fileinfo
    return by_label


def update_maven_buildroot_list(brootid, task_id, mavenlist, ignore=None, project=False,
                                ignore_unknown=False, extra_deps=None):
    """host.updateMavenBuildRootList: match the maven files of a build environment to
    archives of builds in the buildroot's tag and record them."""
    # who calls comes first: a caller that is no host learns nothing about the hub's setup
    assert_host_session()
    if not context.opts.get('EnableMaven'):
        raise koji.GenericError('Maven support not enabled')
    br = _owned(brootid, _int_id(task_id, 'task id'))
    index, task_deps = _maven_index(br, extra_deps)
    ignore_by_label = _ignored_files(list(ignore or []) + task_deps)
    entries = []
    for entry in mavenlist:
        info = entry['maven_info']
        gav = (info['group_id'], info['artifact_id'], info['version'])
        entries.append((entry, gav, index.get(gav)))
    archives = _maven_archives(set(b for _, _, b in entries if b))
    found = []
    for entry, gav, build_id in entries:
        ignored = ignore_by_label.get(koji.mavenLabel(entry['maven_info']), {})
        for fileinfo in entry['files']:
            archive = archives.get((build_id,) + gav + (fileinfo['filename'],)) \
                if build_id else None
            if archive and archive['size'] == fileinfo['size']:
                found.append(archive['id'])
                continue
            skip = ignored.get(fileinfo['filename'])
            if (skip and skip['size'] == fileinfo['size']) or ignore_unknown:
                continue
            raise koji.BuildrootError('No such file in build environment: %s/%s, size: %s'
                                      % (fileinfo.get('path'), fileinfo['filename'],
                                         fileinfo['size']))
    _add_archives(br, found, project)


class BuildrootHostExports(object):
    """The buildroot calls of build hosts, bound into HostExports."""

    newBuildRoot = staticmethod(new_buildroot)
    setBuildRootState = staticmethod(set_buildroot_state)
    setBuildRootList = staticmethod(set_buildroot_list)
    updateBuildRootList = staticmethod(update_buildroot_list)
    updateBuildrootArchives = staticmethod(update_buildroot_archives)
    updateMavenBuildRootList = staticmethod(update_maven_buildroot_list)
