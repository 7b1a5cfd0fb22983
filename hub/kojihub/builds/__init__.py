"""Builds, their RPMs and archives, signatures, volumes and buildroots."""
