"""The ``repo.`` namespace (upstream's kojihub.repos.RepoExports)."""
from koji.context import context

from ..tags.external_repos import get_external_repo_data, set_external_repo_data
from .maint import do_auto_requests, update_end_events
from .opts import convert_value
from .queue import (check_queue_call, check_repo_request, get_repo, query_queue, query_repos,
                    request_repo, set_request_priority_call)
from .repos import repo_references
from .state import set_state_call


def set_external_repo_data_call(external_repo_id, data):
    """repo.setExternalRepoData (repo perm): replace the tracking data (a dict)."""
    context.session.assertPerm('repo')
    data = convert_value(data, cast=dict)
    set_external_repo_data(external_repo_id, data)


def auto_requests_call():
    """repo.autoRequests (repo perm)."""
    context.session.assertPerm('repo')
    do_auto_requests()


def update_end_events_call():
    """repo.updateEndEvents (repo perm)."""
    context.session.assertPerm('repo')
    update_end_events()


class RepoExports(object):
    request = staticmethod(request_repo)
    get = staticmethod(get_repo)
    checkRequest = staticmethod(check_repo_request)
    setRequestPriority = staticmethod(set_request_priority_call)
    getExternalRepoData = staticmethod(get_external_repo_data)
    references = staticmethod(repo_references)
    setState = staticmethod(set_state_call)
    query = staticmethod(query_repos)
    setExternalRepoData = staticmethod(set_external_repo_data_call)
    autoRequests = staticmethod(auto_requests_call)
    checkQueue = staticmethod(check_queue_call)
    queryQueue = staticmethod(query_queue)
    updateEndEvents = staticmethod(update_end_events_call)
