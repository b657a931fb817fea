"""What proving the first login adds to approve → link: the `verify` step, measured alone.

    rows = await login_verification(postgres, setup, samples=20)   # Markdown table rows

Two cases against a real PostgreSQL target through the production verifier: the login is
accepted at once (what every link pays once IAM has caught up), and the user is refused for
`refused_for` seconds first (RDS while IAM propagates): there the cost beyond the refusal is
the backoff's granularity. The approve → link breakdown also gets a `verify` row by itself,
from the DELIVER step's Stopwatch. Nothing here asserts a time.
"""

import asyncio
import time
from datetime import UTC, datetime

from benchmarks.stats import summary_ms
from bot.context import Deps
from bot.domain import CredentialKind, DbCredential, Level
from bot.login_proof import prove_login
from bot.store.models import Grant
from tests.integration.real_parts import RealSetup
from tests.support.pg_hba import LoginGate
from tests.support.postgres_server import PostgresServer

USER = "bench_verify_ro"


async def login_verification(
    postgres: PostgresServer, setup: RealSetup, *, samples: int = 20, refused_for: float = 2.0
) -> list[str]:
    """Markdown rows: p50/p99 of the proof when accepted at once and when refused first."""
    db = setup.catalog.databases["orders-prod"]
    await setup.providers.dbadmin.ensure_user(db, db_user=USER, level=db.levels[Level.RO])
    deps = Deps(
        catalog=setup.catalog,
        sessions=None,
        iam=setup.providers.iam,  # type: ignore[arg-type]
        minter=setup.providers.minter,
        share=setup.providers.share,
        dbadmin=setup.providers.dbadmin,
        slack=None,
        people=None,  # type: ignore[arg-type]
        logins=setup.providers.logins,
        verify_timeout=30.0,
    )
    grant = Grant(id="gbench", db_user=USER, database=db.name, level="ro")
    token = DbCredential(CredentialKind.TOKEN, "not-checked-by-the-test-target", datetime.now(UTC))
    at_once = []
    for _ in range(samples):
        started = time.perf_counter()
        assert (await prove_login(deps, db, grant, token)).verified
        at_once.append(time.perf_counter() - started)
    gate = LoginGate(postgres, dbname=db.dbname, user=USER)
    beyond = []
    try:
        for _ in range(max(3, samples // 5)):
            await gate.refuse()
            gate.allow_after(refused_for)
            started = time.perf_counter()
            assert (await prove_login(deps, db, grant, token)).verified
            beyond.append(time.perf_counter() - started - refused_for)
            await asyncio.sleep(0)
    finally:
        await gate.close()
    a, b = summary_ms(at_once), summary_ms(beyond)
    return [
        f"| verify: login accepted at once | {a['p50']:.1f} ms (p99 {a['p99']:.1f}, "
        f"n={a['n']}) | — | — |",
        f"| verify: after {refused_for:.0f} s of refusals, time beyond them | "
        f"{b['p50']:.0f} ms (p99 {b['p99']:.0f}, n={b['n']}) | — | — |",
    ]
