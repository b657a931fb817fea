"""What the audit hash chain costs: concurrent audit writers and approve-click → DM-link latency.

    .venv/bin/python -m benchmarks.audit_chain [--writers 4] [--transactions 200] [--grants 30]

Starts PostgreSQL, moto, the test PrivateBin server and the Slack emulator on loopback. Writers
are separate engines (as replicas are); each transaction appends two audit rows, as a workflow
transaction does. The same rows are also written without the chain (straight INSERTs that take
no lock) to show what the serialised section adds. Nothing here asserts a time.
"""

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from benchmarks import latency
from benchmarks.run import _aws_env, _privatebin, _state
from benchmarks.stats import machine, summary_ms
from tests.integration.real_parts import real_setup
from tests.support.harness import BotHarness
from tests.support.moto_server import start_moto
from tests.support.postgres_server import destroy, start_postgres

Write = Callable[[AsyncSession, int], Awaitable[None]]
NOTES = [
    "- The serialised section of a chained transaction is: `UPDATE audit_chain` (takes the "
    "tip's row lock and reads the previous hash) → `INSERT` the rows → `UPDATE audit_chain` "
    "(new tip) → `COMMIT`. The transaction's own writes are flushed before it, so waiting for "
    "other row locks never happens while the tip is held.",
    "- One writer pays two extra round trips per transaction; several writers also queue for "
    "the tip, so chained throughput is bounded by about one serialised section at a time "
    "(compare the transactions/s of plain and chained rows at several writers).",
    "- Approve click → DM link runs several audited transactions one after another with no "
    "other writer, so it sees the one-writer cost.",
]


async def chained(session: AsyncSession, n: int) -> None:
    """Two audit rows through audit_repo.add_audit: sealed into the chain at commit."""
    from bot.store import audit_repo

    now = datetime.now(UTC)
    for step in ("bench.one", "bench.two"):
        await audit_repo.add_audit(
            session, at=now, actor="U0BENCH", action=step, details={"n": n, "reason": "benchmark"}
        )


async def unchained(session: AsyncSession, n: int) -> None:
    """The same two rows as plain INSERTs (no tip lock, a constant hash)."""
    from bot.store.models import AuditEvent

    now = datetime.now(UTC)
    session.add_all(
        [
            AuditEvent(
                at=now,
                actor="U0BENCH",
                action=step,
                hash="0" * 64,
                details={"n": n, "reason": "benchmark"},
            )
            for step in ("bench.one", "bench.two")
        ]
    )


async def writers(url: str, write: Write, count: int, per_writer: int) -> tuple[list[float], float]:
    """count engines writing per_writer transactions each at once; latencies and wall time."""
    from bot.store.engine import make_engine, make_sessions

    engines = [make_engine(url) for _ in range(count)]
    times: list[float] = []

    async def one(sessions) -> None:  # type: ignore[no-untyped-def]
        for n in range(per_writer):
            started = time.perf_counter()
            async with sessions() as session, session.begin():
                await write(session, n)
            times.append(time.perf_counter() - started)

    begun = time.perf_counter()
    try:
        await asyncio.gather(*(one(make_sessions(engine)) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    return times, time.perf_counter() - begun


def _row(name: str, times: list[float], wall: float) -> str:
    s = summary_ms(times)
    return (
        f"| {name} | {s['p50']:.2f} | {s['p99']:.2f} | {s['max']:.1f} | {len(times) / wall:.0f} |"
    )


async def main(args: argparse.Namespace) -> str:
    """Run the measurements; return the Markdown report."""
    from bot.ops.audit_verify import verify_url

    postgres, moto = start_postgres(), start_moto()
    pastebin, paste_url = _privatebin()
    os.environ.update(_aws_env(moto.url))
    lines = [
        "# Audit hash chain: what it costs",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        "- Rerun: `.venv/bin/python -m benchmarks.audit_chain`",
        "",
    ]
    durable = start_postgres(durable=True)
    try:
        lines += [
            "## Audit writers (PostgreSQL on loopback)",
            "",
            f"Each writer is its own engine (as a replica is) and runs {args.transactions} "
            "transactions of two audit rows. *fsync off* is how the tests run PostgreSQL; "
            "*durable* keeps PostgreSQL's defaults (fsync, synchronous_commit), so COMMIT "
            "waits for the disk, as in production.",
            "",
            "| commits | writers | writes | p50 ms | p99 ms | max ms | transactions/s |",
            "|---|---|---|---|---|---|---|",
        ]
        verdicts = []
        for server, commits in ((postgres, "fsync off"), (durable, "durable")):
            for count in (1, args.writers):
                for name, write in (("plain INSERTs", unchained), ("chained", chained)):
                    url = await _state(server)
                    times, wall = await writers(url, write, count, args.transactions)
                    lines.append(_row(f"{commits} | {count} | {name}", times, wall))
                    if write is chained:
                        verdicts.append((await verify_url(url)).summary())
        lines += [
            "",
            "`audit --verify` after each chained run: "
            + "; ".join(sorted(set(v.split(", chain tip")[0] for v in verdicts))),
        ]
        setup = real_setup(postgres, paste_url)
        async with BotHarness(
            await _state(postgres), catalog=setup.catalog, providers=setup.providers
        ) as h:
            users = latency.add_users(h.emu, args.grants, roles=True)
            totals, _ = await latency.click_to_link(h, users)
        s = summary_ms(totals)
        lines += [
            "",
            "## Approve click → DM link",
            "",
            f"p50 {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms (n={s['n']}), one grant at a "
            "time, as in benchmarks/REPORT.md.",
        ]
    finally:
        destroy(durable)
        pastebin.terminate()
        moto.stop()
        destroy(postgres)
    lines += ["", "## Notes", "", *NOTES]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=200)
    parser.add_argument("--grants", type=int, default=30)
    parser.add_argument("--out", default="benchmarks/AUDIT_CHAIN.md")
    options = parser.parse_args()
    report = asyncio.run(main(options))
    with open(options.out, "w", encoding="utf-8") as out:
        out.write(report)
    print(report)
