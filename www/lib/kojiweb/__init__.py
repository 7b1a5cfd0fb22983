"""Helpers of the Koji web UI: config, auth cookie and token, paging, formatting."""
