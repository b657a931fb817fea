"""`/db-access audit`, App Home and `list` over a large state store: latency and query plans."""

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.store.engine import make_engine
from tests.support import catalogs
from tests.support.bulk import seed_grants
from tests.support.harness import BotHarness

# Rows made in SQL, not Python, one a second back from now: a busy database, commands (no
# database), and a quiet database with one row in a thousand.
# The audit trail is hash-chained (issue 10); seeded rows carry a placeholder hash, which no
# figure here reads (the views and the idle bot never verify the chain).
AUDIT_ROWS = """
INSERT INTO audit_events (at, actor, action, database, request_id, grant_id, details, hash)
SELECT now() - make_interval(secs => :count - i), 'U0BULK0000',
       (ARRAY['grant.revoked', 'command.list', 'grant.active'])[i % 3 + 1],
       CASE WHEN i % 1000 = 0 THEN 'analytics' WHEN i % 2 = 0 THEN 'orders-prod' END, NULL,
       'g' || lpad(to_hex(i), 8, '0'), '{"reason": "expired"}'::jsonb, repeat('0', 64)
FROM generate_series(1, :count) AS i
"""
PENDING = """
INSERT INTO access_requests (id, kind, status, requester_id, requester_email, handle,
    database, level, duration_s, reason, approvals_required, approvals_channel, version,
    created_at, expires_at)
SELECT 'rq' || lpad(i::text, 6, '0'), 'new', 'pending', 'U0QRY' || lpad(i::text, 4, '0'),
       'qry' || lpad(i::text, 4, '0') || '@example.com', 'qry' || lpad(i::text, 4, '0'),
       'orders-prod', 'rw', 3600, 'benchmark', 2, :channel, 0, now(), now() + interval '1 hour'
FROM generate_series(1, :count) AS i
"""
# The statements behind the three views, as the bot issues them, for EXPLAIN.
PLANS = {
    "audit, all databases (admin)": (
        "SELECT * FROM audit_events WHERE at >= now() - interval '7 days' ORDER BY id DESC LIMIT 30"
    ),
    "audit, the busy database (approver)": (
        "SELECT * FROM audit_events WHERE at >= now() - interval '7 days' "
        "AND database = 'orders-prod' ORDER BY id DESC LIMIT 30"
    ),
    "audit, a quiet database (approver)": (
        "SELECT * FROM audit_events WHERE at >= now() - interval '7 days' "
        "AND database = 'analytics' ORDER BY id DESC LIMIT 30"
    ),
    "list / home: a user's grants": (
        "SELECT * FROM grants WHERE user_id = 'U0QRY0001' "
        "AND status IN ('granting', 'active', 'revoking') ORDER BY expires_at"
    ),
    "home: pending requests on approved databases": (
        "SELECT * FROM access_requests WHERE status = 'pending' "
        "AND database IN ('orders-prod', 'analytics') ORDER BY created_at"
    ),
    "revocation: other live grants of the same database user": (
        "SELECT * FROM grants WHERE id <> 'x' AND database = 'orders-prod' "
        "AND db_user = 'qry0001_ro' AND status IN ('granting', 'active') "
        "AND (expires_at IS NULL OR expires_at > now())"
    ),
}


async def seed(state_url: str, *, grants: int, audit_rows: int, pending: int) -> float:
    """Active grants, audit rows and pending requests; returns the seconds it took."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    await seed_grants(
        state_url,
        ends=[now + timedelta(days=1)] * grants,
        now=now,
        resource_id="db-ORDERSPROD",
        with_policies=False,
        prefix="qry",
    )
    engine = make_engine(state_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(AUDIT_ROWS), {"count": audit_rows})
            await conn.execute(
                text(PENDING), {"count": pending, "channel": catalogs.ORDERS_CHANNEL}
            )
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def plans(state_url: str) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of each statement: the plan lines naming scans and the execution time."""
    engine = make_engine(state_url)
    found: dict[str, list[str]] = {}
    try:
        async with engine.connect() as conn:
            for name, statement in PLANS.items():
                rows = await conn.execute(text(f"EXPLAIN ANALYZE {statement}"))
                lines = [row[0].strip().lstrip("-> ") for row in rows]
                found[name] = [
                    line for line in lines if "Scan" in line or line.startswith("Execution Time")
                ]
    finally:
        await engine.dispose()
    return found


async def latencies(state_url: str, samples: int) -> dict[str, list[float]]:
    """Seconds from the envelope until the bot finished answering, per view, one at a time."""
    times: dict[str, list[float]] = {}
    async with BotHarness(state_url) as h:
        h.emu.add_user("U0QRY0001", "qry0001", email="qry0001@example.com")
        actions = {
            "audit (admin)": lambda: h.command("audit", user_id=catalogs.ADMIN),
            "audit orders-prod (approver)": lambda: h.command(
                "audit orders-prod", user_id=catalogs.APPROVER
            ),
            "audit analytics, quiet (approver)": lambda: h.command(
                "audit analytics", user_id=catalogs.APPROVER
            ),
            "App Home (approver)": lambda: _home(h, catalogs.APPROVER),
            "list (holder of 20)": lambda: h.command("list", user_id="U0QRY0001"),
        }
        for name, act in actions.items():
            await act()  # warm: caches of users and groups, prepared statements
            times[name] = []
            for _ in range(samples):
                started = time.perf_counter()
                await act()
                times[name].append(time.perf_counter() - started)
    return times


async def _home(h: BotHarness, user_id: str) -> None:
    await h.emu.app_home_opened(user_id)
    await h.settle()
