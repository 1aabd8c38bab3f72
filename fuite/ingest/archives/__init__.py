"""Containers: zip, tar and single-file compressed streams, read under limits, never extracted to disk."""
