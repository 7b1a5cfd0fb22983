"""Content generators: outside build tools that hand Koji finished builds (see access,
reserve, metadata, outputs, importer)."""
