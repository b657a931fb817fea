"""Fixtures for the privatebin test server (filled in by its owner)."""
