"""External repositories: their urls, their links to tags and their tracking data.

The name lives in ``external_repo`` (never deleted, so history keeps resolving it); the
url, the tag links and kojira's tracking data are versioned, so every reader takes
``event``.
"""
import json

import koji
from koji.context import context

from ..core.db import InsertProcessor, QueryProcessor, UpdateProcessor, nextval
from ..core.names import verify_name_internal
from ..core.versioning import eventCondition

MERGE_MODES = ('koji', 'simple', 'bare')


def _get_tag(tag_info, event=None):
    # tags.py is written alongside; import late so this module loads on its own
    from .tags import get_tag
    return get_tag(tag_info, strict=True, event=event)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def normalize_url(url):
    """Repo urls always end with '/' so that '$arch/...' paths can be appended."""
    if not isinstance(url, str) or not url.strip():
        raise koji.GenericError('Invalid url for external repo: %r' % (url,))
    url = url.strip()
    if not url.endswith('/'):
        url += '/'
    return url


def get_external_repos(info=None, url=None, event=None, queryOpts=None):
    """listExternalRepos: {id, name, url} of repos, by id/name, url, as of event."""
    clauses = [eventCondition(event, 'external_repo_config')]
    values = {}
    if info is not None:
        if isinstance(info, dict):
            info = info.get('id', info.get('name'))
        if _is_int(info):
            clauses.append('external_repo.id = %(info)s')
        elif isinstance(info, str):
            clauses.append('external_repo.name = %(info)s')
        else:
            raise koji.GenericError('Invalid type for lookup: %s' % type(info))
        values['info'] = info
    if url is not None:
        clauses.append('external_repo_config.url = %(url)s')
        values['url'] = url
    query = QueryProcessor(
        tables=['external_repo'],
        columns=['external_repo.id', 'external_repo.name', 'external_repo_config.url'],
        aliases=['id', 'name', 'url'],
        joins=['external_repo_config ON '
               'external_repo_config.external_repo_id = external_repo.id'],
        clauses=clauses, values=values, opts=queryOpts)
    return query.execute()


def get_external_repo(info, strict=False, event=None):
    """getExternalRepo: one repo as {id, name, url}, or None."""
    repos = get_external_repos(info, event=event)
    if len(repos) > 1:
        raise koji.GenericError('More than one external repo found for %s' % (info,))
    if not repos:
        if strict:
            raise koji.GenericError('No such repo: %s' % (info,))
        return None
    return repos[0]


def create_external_repo(name, url):
    """createExternalRepo (admin): a new repo named ``name`` at ``url``."""
    context.session.assertPerm('admin')
    verify_name_internal(name)
    url = normalize_url(url)
    if get_external_repos(name):
        raise koji.GenericError('An external repo named "%s" already exists' % name)
    existing = QueryProcessor(tables=['external_repo'], columns=['id'],
                              clauses=['name = %(name)s'],
                              values={'name': name}).executeOne()
    if existing is not None:
        # a deleted repo keeps its name row; bring it back instead of clashing
        repo_id = existing['id']
    else:
        repo_id = nextval('external_repo_id_seq')
        InsertProcessor('external_repo', data={'id': repo_id, 'name': name}).execute()
    insert = InsertProcessor('external_repo_config',
                             data={'external_repo_id': repo_id, 'url': url})
    insert.make_create()
    insert.execute()
    return {'id': repo_id, 'name': name, 'url': url}


def edit_external_repo(info, name=None, url=None):
    """editExternalRepo (admin): rename a repo and/or change its url."""
    context.session.assertPerm('admin')
    repo = get_external_repo(info, strict=True)
    repo_id = repo['id']
    if name is not None and name != repo['name']:
        verify_name_internal(name)
        taken = QueryProcessor(tables=['external_repo'], columns=['id'],
                               clauses=['name = %(name)s'],
                               values={'name': name}).executeOne()
        if taken is not None:
            raise koji.GenericError('name "%s" is already taken by external repo %i'
                                    % (name, taken['id']))
        UpdateProcessor('external_repo', data={'name': name}, clauses=['id = %(id)s'],
                        values={'id': repo_id}).execute()
    if url is not None:
        url = normalize_url(url)
        if url != repo['url']:
            update = UpdateProcessor('external_repo_config',
                                     clauses=['external_repo_id = %(id)s'],
                                     values={'id': repo_id})
            update.make_revoke()
            update.execute()
            insert = InsertProcessor('external_repo_config',
                                     data={'external_repo_id': repo_id, 'url': url})
            insert.make_create()
            insert.execute()


def delete_external_repo(info):
    """deleteExternalRepo (admin): detach the repo from every tag and retire its url."""
    context.session.assertPerm('admin')
    repo = get_external_repo(info, strict=True)
    values = {'id': repo['id']}
    # (kojira's tracking data is left as it is, as upstream leaves it)
    for table in ('tag_external_repos', 'external_repo_config'):
        update = UpdateProcessor(table, clauses=['external_repo_id = %(id)s'], values=values)
        update.make_revoke()
        update.execute()


def _check_merge_mode(merge_mode):
    if merge_mode not in MERGE_MODES:
        raise koji.GenericError('No such merge mode: %s' % (merge_mode,))


def _int_priority(priority):
    """The priority as an int (strings of digits too), as upstream casts it."""
    try:
        return int(priority)
    except (TypeError, ValueError):
        raise koji.ParameterError("Invalid type for value '%s': %s, expected type %s"
                                  % (priority, type(priority), int))


def _parse_arches(arches, strict):
    """Arches of a link: a space separated string ('' stays ''), or None for all."""
    if arches is None:
        return None
    if not isinstance(arches, (str, list)):
        raise koji.GenericError('Invalid arches: %r' % (arches,))
    return koji.parse_arches(arches, strict=strict)


def _tag_repo_links(tag_ids=None, repo_id=None, event=None):
    """Active (or as-of-event) tag<->repo rows with names and url, by priority."""
    clauses = [eventCondition(event, 'tag_external_repos'),
               eventCondition(event, 'external_repo_config')]
    values = {}
    if tag_ids is not None:
        clauses.append('tag.id IN %(tag_ids)s')
        values['tag_ids'] = tuple(tag_ids)
    if repo_id is not None:
        clauses.append('external_repo.id = %(repo_id)s')
        values['repo_id'] = repo_id
    query = QueryProcessor(
        tables=['tag_external_repos'],
        columns=['tag.id', 'tag.name', 'external_repo.id', 'external_repo.name',
                 'external_repo_config.url', 'tag_external_repos.priority',
                 'tag_external_repos.merge_mode', 'tag_external_repos.arches'],
        aliases=['tag_id', 'tag_name', 'external_repo_id', 'external_repo_name', 'url',
                 'priority', 'merge_mode', 'arches'],
        joins=['tag ON tag.id = tag_external_repos.tag_id',
               'external_repo ON external_repo.id = tag_external_repos.external_repo_id',
               'external_repo_config ON external_repo_config.external_repo_id = '
               'external_repo.id'],
        clauses=clauses, values=values, opts={'order': 'priority,tag_id'})
    return query.execute()


def add_external_repo_to_tag(tag_info, repo_info, priority, merge_mode='koji', arches=None):
    """addExternalRepoToTag (tag perm): link a repo to a tag at a free priority.

    Arches may be comma or space separated here (editTagExternalRepo takes spaces only).
    """
    context.session.assertPerm('tag')
    if merge_mode is None:
        merge_mode = 'koji'
    _check_merge_mode(merge_mode)
    tag = _get_tag(tag_info)
    repo = get_external_repo(repo_info, strict=True)
    arches = _parse_arches(arches, strict=False)
    priority = _int_priority(priority)
    links = _tag_repo_links([tag['id']])
    if [link for link in links if link['external_repo_id'] == repo['id']]:
        raise koji.GenericError('tag %s already associated with external repo %s'
                                % (tag['name'], repo['name']))
    if [link for link in links if link['priority'] == priority]:
        raise koji.GenericError('tag %s already associated with an external repo at '
                                'priority %i' % (tag['name'], priority))
    insert = InsertProcessor('tag_external_repos',
                             data={'tag_id': tag['id'], 'external_repo_id': repo['id'],
                                   'priority': priority, 'merge_mode': merge_mode,
                                   'arches': arches})
    insert.make_create()
    insert.execute()


def _find_link(tag, repo):
    for link in _tag_repo_links([tag['id']], repo_id=repo['id']):
        return link
    raise koji.GenericError('external repo %s not associated with tag %s'
                            % (repo['name'], tag['name']))


def _revoke_link(tag_id, repo_id):
    update = UpdateProcessor('tag_external_repos',
                             clauses=['tag_id = %(tag_id)s', 'external_repo_id = %(repo_id)s'],
                             values={'tag_id': tag_id, 'repo_id': repo_id})
    update.make_revoke()
    update.execute()


def remove_external_repo_from_tag(tag_info, repo_info):
    """removeExternalRepoFromTag (tag perm): drop a tag<->repo link."""
    context.session.assertPerm('tag')
    tag = _get_tag(tag_info)
    repo = get_external_repo(repo_info, strict=True)
    _find_link(tag, repo)
    _revoke_link(tag['id'], repo['id'])


def edit_tag_external_repo(tag_info, repo_info, priority=None, merge_mode=None, arches=None):
    """editTagExternalRepo (tag perm): change a link; True when something changed.

    None leaves a field as it is; a change re-links the repo, with the checks of
    addExternalRepoToTag.
    """
    context.session.assertPerm('tag')
    tag = _get_tag(tag_info)
    repo = get_external_repo(repo_info, strict=True)
    link = _find_link(tag, repo)
    arches = _parse_arches(arches, strict=True)
    new = {}
    for key, value in (('priority', priority), ('merge_mode', merge_mode),
                       ('arches', arches)):
        if value is not None and value != link[key]:
            new[key] = value
    if not new:
        return False
    for key in ('priority', 'merge_mode', 'arches'):
        new.setdefault(key, link[key])
    # the re-link's checks, before anything is written
    _check_merge_mode(new['merge_mode'])
    new['priority'] = _int_priority(new['priority'])
    for other in _tag_repo_links([tag['id']]):
        if other['external_repo_id'] != repo['id'] and other['priority'] == new['priority']:
            raise koji.GenericError('tag %s already associated with an external repo at '
                                    'priority %i' % (tag['name'], new['priority']))
    _revoke_link(tag['id'], repo['id'])
    add_external_repo_to_tag(tag['id'], repo['id'], **new)
    return True


def get_tag_external_repos(tag_info=None, repo_info=None, event=None):
    """getTagExternalRepos: tag<->repo links filtered by tag and/or repo, by priority."""
    tag_ids = None
    repo_id = None
    if tag_info is not None:
        tag_ids = [_get_tag(tag_info, event=event)['id']]
    if repo_info is not None:
        repo_id = get_external_repo(repo_info, strict=True, event=event)['id']
    return _tag_repo_links(tag_ids, repo_id=repo_id, event=event)


def get_external_repo_list(tag_info, event=None):
    """getExternalRepoList: a tag's effective repos, following its inheritance.

    Tags are walked in inheritance order (the tag first), each tag's links by priority;
    a repo already seen higher up the chain is skipped.
    """
    from .inheritance import readFullInheritance
    tag = _get_tag(tag_info, event=event)
    order = [tag['id']]
    for link in readFullInheritance(tag['id'], event=event):
        if link['parent_id'] not in order:
            order.append(link['parent_id'])
    by_tag = {}
    for link in _tag_repo_links(order, event=event):
        by_tag.setdefault(link['tag_id'], []).append(link)
    seen = set()
    ret = []
    for tag_id in order:
        for link in by_tag.get(tag_id, ()):
            if link['external_repo_id'] in seen:
                continue
            seen.add(link['external_repo_id'])
            ret.append(link)
    return ret


def get_external_repo_data(erepo):
    """repo.getExternalRepoData: the tracking data kojira stored for a repo, or None."""
    repo = get_external_repo(erepo, strict=True)
    query = QueryProcessor(tables=['external_repo_data'], columns=['data'],
                           clauses=['external_repo_id = %(id)s', 'active = TRUE'],
                           values={'id': repo['id']})
    row = query.executeOne()
    if row is None:
        return None
    return row['data']


def set_external_repo_data(external_repo_id, data):
    """repo.setExternalRepoData (repo perm): replace a repo's tracking data."""
    context.session.assertPerm('repo')
    repo = get_external_repo(external_repo_id, strict=True)
    if data is not None and not isinstance(data, dict):
        raise koji.ParameterError('External repo data must be a dict')
    update = UpdateProcessor('external_repo_data', clauses=['external_repo_id = %(id)s'],
                             values={'id': repo['id']})
    update.make_revoke()
    update.execute()
    if data is None:
        return
    insert = InsertProcessor('external_repo_data',
                             data={'external_repo_id': repo['id'], 'data': json.dumps(data)})
    insert.make_create()
    insert.execute()


class ExternalRepoExports(object):
    """External repo calls, bound into RootExports."""

    createExternalRepo = staticmethod(create_external_repo)
    listExternalRepos = staticmethod(get_external_repos)
    getExternalRepo = staticmethod(get_external_repo)
    editExternalRepo = staticmethod(edit_external_repo)
    deleteExternalRepo = staticmethod(delete_external_repo)
    addExternalRepoToTag = staticmethod(add_external_repo_to_tag)
    removeExternalRepoFromTag = staticmethod(remove_external_repo_from_tag)
    editTagExternalRepo = staticmethod(edit_tag_external_repo)
    getTagExternalRepos = staticmethod(get_tag_external_repos)
    getExternalRepoList = staticmethod(get_external_repo_list)


class RepoExports(object):
    """The external repo part of the ``repo.`` namespace (prefix added by the lead)."""

    getExternalRepoData = staticmethod(get_external_repo_data)
    setExternalRepoData = staticmethod(set_external_repo_data)
