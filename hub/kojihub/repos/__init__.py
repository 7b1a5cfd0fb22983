"""Repos: records, generation, the request queue.

Upstream's hub has a module ``kojihub.repos``; plugins that import names from it find them
re-exported here.
"""
from .repos import get_active_repos, get_repo, repo_info  # noqa: F401
