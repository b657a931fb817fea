"""Fixtures for the moto test server (filled in by its owner)."""
