"""Fixtures for the mariadb test server (filled in by its owner)."""
