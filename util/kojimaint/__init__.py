"""Maintenance utilities run beside a hub: koji-gc, koji-shadow and koji-sweep-db.

``gc/`` and ``shadow/`` are hub clients; ``sweepdb`` talks to the database directly.
``common`` holds what the clients share (durations, login, messages).
"""
