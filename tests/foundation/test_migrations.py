"""Migrations go up, down and up again on PostgreSQL and SQLite, and match the models."""

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models import Base
from bot.state import downgrade, upgrade
from tests.support.fixtures_postgres import fresh_database
from tests.support.postgres_server import PostgresServer

TABLES = {"access_requests", "approval_decisions", "grants", "audit_events", "token_issues",
          "provisioned_roles"}


def _tables_and_diff(url: str) -> tuple[set[str], list]:
    async def inspect_db() -> tuple[set[str], list]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                diff = await conn.run_sync(lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata))
        finally:
            await engine.dispose()
        return tables, diff

    return asyncio.run(inspect_db())


def _round_trip(url: str) -> None:
    upgrade(url)
    tables, diff = _tables_and_diff(url)
    assert tables >= TABLES
    assert diff == [], f"models and migrations differ: {diff}"
    downgrade(url, "base")
    tables, _ = _tables_and_diff(url)
    assert not (TABLES & tables)
    upgrade(url)
    tables, _ = _tables_and_diff(url)
    assert tables >= TABLES


# These tests are synchronous on purpose: Alembic's env.py runs its own event loop.
def test_postgres_up_down_up(postgres_server: PostgresServer) -> None:
    name = fresh_database(postgres_server, "migr")
    _round_trip(postgres_server.url(name))
    indexes = postgres_server.psql(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'grants'", name)
    assert "(status, expires_at)" in indexes


def test_sqlite_up_down_up(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}")
