"""Example Koji plugins (hub and CLI), installed as a package."""
