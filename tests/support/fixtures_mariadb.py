"""Fixtures: one MariaDB server per test session (the MySQL-family target database)."""

from collections.abc import Iterator

import pytest

from tests.support.mariadb_server import MariadbServer, destroy, start_mariadb


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariadbServer]:
    """A throwaway MariaDB server with TLS for the whole session."""
    server = start_mariadb()
    try:
        yield server
    finally:
        destroy(server)
