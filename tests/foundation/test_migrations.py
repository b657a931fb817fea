"""Migrations go up, down and up again on PostgreSQL and SQLite, and match the models."""

import asyncio
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.engine import downgrade, upgrade
from bot.store.models import Base
from tests.support.fixtures_postgres import fresh_database
from tests.support.postgres_server import PostgresServer

TABLES = {
    "access_requests",
    "approval_decisions",
    "grants",
    "audit_events",
    "token_issues",
    "provisioned_roles",
}


def _tables_and_diff(url: str) -> tuple[set[str], list]:
    async def inspect_db() -> tuple[set[str], list]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                diff = await conn.run_sync(
                    lambda c: compare_metadata(
                        MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
                    )
                )
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
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'grants'", name
    )
    assert "(status, expires_at)" in indexes
    assert "(database, db_user)" in indexes  # revocation's look for other live grants
    audit_indexes = postgres_server.psql(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_events'", name
    )
    assert "(database, id)" in audit_indexes


def test_sqlite_up_down_up(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}")


REQUEST = (
    "INSERT INTO access_requests (id, kind, status, requester_id, requester_email, handle, "
    "database, level, duration_s, reason, approvals_required, approvals_channel, "
    "version, created_at, expires_at, starts_at, bundle_id) VALUES "
    "('{id}', 'new', '{status}', 'U1', 'a@example.com', 'a', '{db}', 'ro', 3600, 'x', 1, "
    "'C1', 0, now(), now() + interval '1 day', {starts}, {bundle})"
)


def test_postgres_going_back_closes_what_older_code_cannot_handle(
    postgres_server: PostgresServer,
) -> None:
    name = fresh_database(postgres_server, "migr")
    url = postgres_server.url(name)
    upgrade(url)
    later = "now() + interval '2 hours'"
    for values in (
        dict(id="rwithdrawn", status="withdrawn", db="a", starts="NULL", bundle="NULL"),
        dict(id="rlater", status="pending", db="b", starts=later, bundle="NULL"),
        dict(id="rnow-1", status="pending", db="c", starts="NULL", bundle="'rnow'"),
        dict(id="rmade", status="approved", db="d", starts=later, bundle="NULL"),
    ):
        postgres_server.psql(REQUEST.format(**values), name)
    # The guarantee stays per person, database and level, also for a part of several.
    duplicate = REQUEST.format(
        id="rnow-2", status="pending", db="c", starts="NULL", bundle="'rnow'"
    )
    with pytest.raises(subprocess.CalledProcessError):
        postgres_server.psql(duplicate, name)
    postgres_server.psql(
        "INSERT INTO grants (id, request_id, status, user_id, email, handle, database, level, "
        "account_id, principal_arn, db_user, standing, created_at, expires_at, starts_at, "
        "attempts, db_user_created) VALUES ('gmade', 'rmade', 'scheduled', 'U1', "
        "'a@example.com', 'a', 'd', 'ro', '123456789012', 'arn:aws:iam::123456789012:role/R', "
        "'a_ro', false, now(), now() + interval '3 hours', now() + interval '2 hours', 0, "
        "false)",
        name,
    )
    postgres_server.psql(
        "INSERT INTO steps (kind, key, status, grant_id, payload, version, attempts, in_doubt, "
        "next_attempt_at, created_at) VALUES ('start', 'start:gmade', 'pending', 'gmade', "
        "'{}', 0, 0, false, now() + interval '2 hours', now())",
        name,
    )

    downgrade(url, "approvals_a_0001")
    assert postgres_server.psql(
        "SELECT id || '=' || status FROM access_requests ORDER BY id", name
    ).split() == ["rlater=expired", "rmade=approved", "rnow-1=pending", "rwithdrawn=expired"]
    assert (
        postgres_server.psql("SELECT status || ',' || revoke_reason FROM grants", name)
        == "revoking,revoked"
    )  # the old sweep removes its policy
    assert postgres_server.psql("SELECT status FROM steps", name) == "failed"
    upgrade(url)
    _, diff = _tables_and_diff(url)
    assert diff == []
