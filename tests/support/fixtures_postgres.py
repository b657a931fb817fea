"""Fixtures: one PostgreSQL cluster per test session; a fresh, migrated state database per test."""

import itertools
from collections.abc import Iterator

import pytest

from tests.support.postgres_server import PostgresServer, destroy, start_postgres

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session."""
    server = start_postgres()
    try:
        yield server
    finally:
        destroy(server)


def fresh_database(server: PostgresServer, prefix: str, template: str = "template1") -> str:
    """Create an empty database (copied from template) and return its name."""
    name = f"{prefix}_{next(_counter)}"
    server.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@pytest.fixture(scope="session")
def state_template(postgres_server: PostgresServer) -> str:
    """A database migrated to head once; tests copy it instead of migrating again."""
    from bot.store.engine import upgrade

    name = "state_template"
    postgres_server.psql(f'CREATE DATABASE "{name}"')
    upgrade(postgres_server.url(name))
    return name


@pytest.fixture
def state_url(postgres_server: PostgresServer, state_template: str) -> str:
    """A fresh, migrated state store for one test (asyncpg URL)."""
    return postgres_server.url(fresh_database(postgres_server, "state", state_template))
