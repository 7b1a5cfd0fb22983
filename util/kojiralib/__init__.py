"""kojira, the repo janitor of a 1.35 hub: option handling, repo upkeep and its threads.

``util/kojira`` is the entry script; the work is split by concern:
``options`` (command line and kojira.conf), ``janitor`` (decisions over the hub's repo
rows), ``deleter`` (background rmtree jobs), ``prune`` (stray directories under topdir),
``external`` (external repo timestamps) and ``daemon`` (login, threads, signals).
"""
