"""Command line client for Koji: option handling, shared helpers and command handlers."""
