"""Build hosts and channels."""
