"""Version of this Koji implementation (kept in step with the upstream release it mirrors)."""
__version_info__ = (1, 35, 3)
__version__ = '.'.join(str(part) for part in __version_info__)
