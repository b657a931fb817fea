"""identity_0001 keeps an existing deployment's history: bindings from requests, a chained trail."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.ops.audit_verify import verify_url
from bot.store.engine import make_engine, make_sessions, upgrade
from bot.store.models import IdentityBinding
from tests.support.fixtures_postgres import fresh_database
from tests.support.postgres_server import PostgresServer

REQUEST = (
    "INSERT INTO access_requests (id, kind, status, requester_id, requester_email, handle,"
    " database, level, duration_s, reason, approvals_required, approvals_channel, version,"
    " created_at, expires_at) VALUES ('{id}', 'new', 'approved', '{user}', '{email}',"
    " '{handle}', 'orders-prod', 'ro', 3600, 'INC-1', 1, 'C0ORDERS', 0,"
    " '2026-11-0{day} 10:00:00+00', '2026-11-0{day} 10:30:00+00')"
)
HISTORY = [
    # Alice asked first as "alice"; a vendor's alice@vendor.example later mapped to the same.
    {"id": "r1", "user": "U0ALICE", "email": "alice@corp.example", "handle": "alice", "day": 1},
    {"id": "r2", "user": "U0VENDOR", "email": "alice@vendor.example", "handle": "alice", "day": 2},
    # Bob changed his email: his first handle stays his, the second is left unbound.
    {"id": "r3", "user": "U0BOB", "email": "bob@corp.example", "handle": "bob", "day": 3},
    {"id": "r4", "user": "U0BOB", "email": "rob@corp.example", "handle": "rob", "day": 4},
]
AUDIT = (
    "INSERT INTO audit_events (at, actor, action, database, details) VALUES "
    "('2026-11-01 10:00:0{n}+00', 'U0ALICE', 'request.submitted', 'orders-prod',"
    ' \'{{"n": {n}, "reason": "INC-1"}}\')'
)


@pytest.fixture(params=["postgresql", "sqlite"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store at revision 0001 with requests and audit rows, as deployed before this change."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.url(fresh_database(server, "old"))
    upgrade(url, "0001")
    statements = [REQUEST.format(**row) for row in HISTORY] + [AUDIT.format(n=n) for n in range(3)]
    asyncio.run(_execute(url, statements))
    return url


async def _execute(url: str, statements: list[str]) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _bindings(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session:
            return {b.handle: b.user_id for b in await session.scalars(select(IdentityBinding))}
    finally:
        await engine.dispose()


# Synchronous on purpose: Alembic's env.py runs its own event loop.
def test_upgrade_binds_handles_and_chains_existing_rows(old_store: str) -> None:
    upgrade(old_store)
    assert asyncio.run(_bindings(old_store)) == {"alice": "U0ALICE", "bob": "U0BOB"}
    result = asyncio.run(verify_url(old_store))
    assert result.ok, result.summary()
    assert (result.rows, result.last_id) == (3, 3)
