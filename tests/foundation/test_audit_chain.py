"""The audit trail cannot be changed in place, and every change around the bot is found."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.ops.audit_verify import verify_url
from bot.store import audit_repo
from bot.store.engine import make_engine, make_sessions, upgrade_async
from tests.foundation.test_cli import cli
from tests.support.fixtures_postgres import fresh_database
from tests.support.postgres_server import PostgresServer

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
# How a superuser (or the owner of the SQLite file) switches the guard off to tamper.
UNGUARD = {
    "postgresql": "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "sqlite": "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete",
}


@pytest.fixture(params=["postgresql", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated state store of each kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.url(fresh_database(server, "chain"))
    await upgrade_async(url)
    return url


async def write_events(url: str, count: int, *, actor: str = "U0DEV1") -> None:
    """count audit rows through the bot's own path, one transaction each."""
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        for n in range(count):
            async with sessions() as session, session.begin():
                await audit_repo.add_audit(
                    session,
                    at=T0 + timedelta(seconds=n),
                    actor=actor,
                    action="request.submitted",
                    database="orders-prod",
                    details={"n": n, "reason": f"INC-{n}"},
                )
    finally:
        await engine.dispose()


async def run_sql(url: str, *statements: str) -> None:
    """Execute statements in one transaction, as someone with direct access to the store."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                for part in filter(None, (s.strip() for s in statement.split(";"))):
                    await conn.execute(text(part))
    finally:
        await engine.dispose()


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'U0SOMEONE' WHERE id = 2",
        "DELETE FROM audit_events WHERE id = 2",
        "DELETE FROM audit_chain",
    ],
)
async def test_the_store_refuses_to_change_or_remove_audit_rows(store: str, statement: str):
    await write_events(store, 3)
    with pytest.raises(DBAPIError, match="append-only"):
        await run_sql(store, statement)
    assert (await verify_url(store)).summary().startswith("audit trail intact: 3 rows")


async def test_postgres_refuses_truncate(postgres_server: PostgresServer) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "chain"))
    await upgrade_async(url)
    await write_events(url, 1)
    with pytest.raises(DBAPIError, match="append-only: TRUNCATE on audit_events refused"):
        await run_sql(url, "TRUNCATE audit_events")


TAMPERING: dict[str, tuple[list[str], str]] = {
    "changed": (
        ['UPDATE audit_events SET details = \'{"n": 2, "reason": "nothing"}\' WHERE id = 3'],
        "audit row 3 (2026-11-22 09:00:02 UTC, request.submitted by U0DEV1) breaks the chain",
    ),
    "removed in the middle": (
        ["DELETE FROM audit_events WHERE id = 3"],
        "audit row 4 (2026-11-22 09:00:03 UTC, request.submitted by U0DEV1) breaks the chain",
    ),
    "removed at the end": (
        ["DELETE FROM audit_events WHERE id = 5"],
        "ends at row 4 (4 rows) but the bot chained 5 rows up to row 5: rows "
        "were removed from the end",
    ),
    "appended around the bot": (
        [
            "INSERT INTO audit_events (at, actor, action, details, hash) VALUES "
            "('2026-11-22 10:00:00+00', 'U0EVE', 'grant.active', '{}', 'f00d')"
        ],
        "audit row 6 (2026-11-22 10:00:00 UTC, grant.active by U0EVE) breaks the chain",
    ),
}


@pytest.mark.parametrize("how", list(TAMPERING))
async def test_verify_names_the_first_broken_row(store: str, how: str) -> None:
    await write_events(store, 5)
    statements, expected = TAMPERING[how]
    await run_sql(store, UNGUARD[dialect(store)], *statements)
    result = await verify_url(store)
    assert not result.ok
    assert expected in result.summary()


async def test_replicas_writing_at_once_keep_one_chain(postgres_server: PostgresServer) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "chain"))
    await upgrade_async(url)
    await asyncio.gather(*(write_events(url, 25, actor=f"U0REPLICA{n}") for n in range(6)))
    result = await verify_url(url)
    assert result.ok, result.summary()
    assert result.rows == 150


async def test_a_rolled_back_transaction_leaves_no_audit_row(store: str) -> None:
    engine = make_engine(store)
    sessions = make_sessions(engine)
    try:
        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                await audit_repo.add_audit(
                    session, at=T0, actor="U0DEV1", action="request.submitted"
                )
                raise RuntimeError("the workflow failed after auditing")
    finally:
        await engine.dispose()
    await write_events(store, 1)
    result = await verify_url(store)
    assert (result.ok, result.rows) == (True, 1)


def test_cli_audit_verify(tmp_path: Path, postgres_server: PostgresServer) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "cli_chain"))
    assert cli("migrate", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    asyncio.run(write_events(url, 4))
    intact = cli("audit", "--verify", cwd=tmp_path, DATABASE_URL=url)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("✓ audit trail intact: 4 rows up to row 4, chain tip ")

    asyncio.run(
        run_sql(url, UNGUARD["postgresql"], "UPDATE audit_events SET actor = 'U0EVE' WHERE id = 2")
    )
    broken = cli("audit", "--verify", cwd=tmp_path, DATABASE_URL=url)
    assert broken.returncode == 2
    assert (
        "audit row 2 (2026-11-22 09:00:01 UTC, request.submitted by U0EVE) breaks the chain"
        in broken.stderr
    )
    assert "Traceback" not in broken.stderr

    both = cli("audit", "--verify", "--csv", cwd=tmp_path, DATABASE_URL=url)
    assert both.returncode == 2 and "exactly one of --csv" in both.stderr


def test_cli_audit_verify_on_an_unmigrated_store_says_what_to_do(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "cli_chain"))
    result = cli("audit", "--verify", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 2
    assert "run `db-access-bot migrate`" in result.stderr
    assert "Traceback" not in result.stderr
