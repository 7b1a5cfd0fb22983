"""Repos: records, states, generation (regular and dist), the request queue.

Upstream's hub has a module ``kojihub.repos``; plugins that import names from it (e.g.
the sidetag plugin's request_repo) find them re-exported here.
"""
from .view import QueryView, RepoQuery, RepoQueueQuery  # noqa: F401
from .opts import (  # noqa: F401
    convert_repo_opts,
    convert_value,
    default_min_event,
    get_repo_opts,
)
from .repos import get_active_repos, old_get_repo, repo_info, repo_references  # noqa: F401
from .state import (  # noqa: F401
    repo_delete,
    repo_done_hook,
    repo_expire,
    repo_problem,
    repo_ready,
    repo_set_state,
    symlink_if_latest,
)
from .queue import (  # noqa: F401
    check_repo_queue,
    check_repo_request,
    clean_repo_queue,
    get_repo,
    get_repo_from_task,
    repo_queue_task,
    request_repo,
    set_request_priority,
    valid_repo,
)
from .maint import do_auto_requests, update_end_events  # noqa: F401
from .init import new_repo, repo_init  # noqa: F401
from .exports import RepoExports  # noqa: F401
from ..tags.external_repos import get_external_repo_data, set_external_repo_data  # noqa: F401
