"""An idle `db-access-bot run` holding many active grants: memory, CPU and IAM calls.

The grants are in the state store and their policies in IAM (moto, paged like IAM), so the
reconciliation passes read real pages. CPU is measured over one whole reconcile interval, from
the end of one pass to the end of the next, so it holds exactly one pass and the sweeps between.
"""

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from benchmarks.moto_paged import PagedMoto
from benchmarks.queries import AUDIT_ROWS
from bot.store.engine import make_engine
from tests.support import catalogs
from tests.support.bot_process import BotProcess
from tests.support.bulk import seed_grants
from tests.support.relay import Relay
from tests.support.slack_emulator import SlackEmulator

TICKS = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line.split()[1] for line in status if line.startswith(field)))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _passes(log: Path) -> list[dict]:
    """The bot's `reconciled` log lines so far."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if '"reconciled"' in line:
            entry = json.loads(line)
            if entry.get("message") == "reconciled":
                found.append(entry)
    return found


async def _pass_number(log: Path, count: int, within: float) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        passes = await asyncio.to_thread(_passes, log)
        if len(passes) >= count:
            return passes[count - 1]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"reconciliation pass {count} did not end within {within:.0f} s")


async def seed(state_url: str, moto: PagedMoto, *, grants: int, audit_rows: int) -> float:
    """Active grants (20 a role) in the state store and in IAM, and audit rows; seconds taken."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    ends = [now + timedelta(days=1, seconds=i) for i in range(grants)]
    made = await seed_grants(
        state_url,
        ends=ends,
        now=now,
        resource_id="db-ORDERSPROD",
        with_policies=False,
        prefix="idle",
    )
    await asyncio.to_thread(
        moto.seed,
        [(g, role, end) for (g, role), end in zip(made, ends, strict=True)],
        resource_id="db-ORDERSPROD",
    )
    if audit_rows:
        engine = make_engine(state_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(AUDIT_ROWS), {"count": audit_rows})
                await conn.execute(text("ANALYZE"))
        finally:
            await engine.dispose()
    return time.perf_counter() - started


async def footprint(
    state_url: str,
    env: dict[str, str],
    workdir: Path,
    *,
    grants: int,
    audit_rows: int,
    interval: float,
) -> dict[str, float]:
    """Seed, start the bot, measure one reconcile interval; the figures of one size."""
    with PagedMoto() as moto:
        seeded = await seed(state_url, moto, grants=grants, audit_rows=audit_rows)
        catalog_file = workdir / f"catalog-{grants}.yaml"
        catalog_file.write_text(json.dumps(catalogs.catalog_data()))
        log = workdir / f"footprint-{grants}.log"
        async with SlackEmulator() as emu, Relay(moto.url) as iam:
            bot = BotProcess(
                env={
                    **env,
                    "AWS_ENDPOINT_URL": iam.url,
                    "SLACK_BOT_TOKEN": "xoxb-bench",
                    "SLACK_APP_TOKEN": "xapp-bench",
                    "SLACK_API_URL": emu.api_url,
                    "DATABASE_URL": state_url,
                    "DB_ACCESS_CATALOG": str(catalog_file),
                    "RECONCILE_INTERVAL": str(interval),
                    "LOG_LEVEL": "INFO",
                },
                log_path=log,
            ).start()
            try:
                started = time.perf_counter()
                await asyncio.to_thread(bot.wait_health, 200, "/readyz", 300)
                ready = time.perf_counter() - started
                assert bot.process is not None
                pid = bot.process.pid
                first = await _pass_number(log, 1, interval + 300)
                cpu0, t0 = _cpu_seconds(pid), time.perf_counter()
                iam.seen.clear()
                second = await _pass_number(log, 2, 2 * interval + 300)
                cpu = (_cpu_seconds(pid) - cpu0) / (time.perf_counter() - t0) * 60
                calls = iam.counts("iam")
                return {
                    "grants": grants,
                    "principals": -(-grants // 20),
                    "audit_rows": audit_rows,
                    "seed_s": seeded,
                    "ready_s": ready,
                    "rss_mb": _status_kb(pid, "VmRSS") / 1024,
                    "peak_mb": _status_kb(pid, "VmHWM") / 1024,
                    "cpu_s_per_min": cpu,
                    "interval_s": interval,
                    "pass_s": float(second["seconds"]),
                    "first_pass_s": float(first["seconds"]),
                    "pages": float(second["pages"]),
                    "iam_calls": float(sum(calls.values())),
                    "iam_detail_calls": float(calls["GetAccountAuthorizationDetails"]),
                }
            finally:
                bot.signal()
                await asyncio.to_thread(bot.wait, 30)
                bot.kill()
