"""Resident memory and sweep CPU of a real `db-access-bot run` holding many active grants."""

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.bot_process import BotProcess
from tests.support.bulk import seed_grants
from tests.support.slack_emulator import SlackEmulator

TICKS = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line.split()[1] for line in status if line.startswith(field)))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def footprint(state_url: str, catalog: dict, env: dict[str, str], workdir: Path, *,
                    grants: int, window: float) -> dict[str, float]:
    """Start the bot over `grants` active grants; RSS after start, CPU seconds per minute."""
    now = datetime.now(UTC)
    ends = [now + timedelta(days=1, seconds=i) for i in range(grants)]
    await seed_grants(state_url, ends=ends, now=now, resource_id="db-ORDERSPROD",
                      with_policies=False, prefix="mem")
    catalog_file = workdir / "catalog.yaml"
    catalog_file.write_text(json.dumps(catalog))
    async with SlackEmulator() as emu:
        bot = BotProcess(env={**env, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_APP_TOKEN":
                              "xapp-bench", "SLACK_API_URL": emu.api_url,
                              "DATABASE_URL": state_url, "DB_ACCESS_CATALOG": str(catalog_file),
                              "LOG_LEVEL": "WARNING"},
                         log_path=workdir / "footprint-bot.log").start()
        try:
            started = time.perf_counter()
            await asyncio.to_thread(bot.wait_health, 200, "/readyz", 120)
            ready = time.perf_counter() - started
            await asyncio.sleep(5)  # the first sweep and reconcile have run
            assert bot.process is not None
            pid = bot.process.pid
            rss_start = _status_kb(pid, "VmRSS")
            cpu0, t0 = _cpu_seconds(pid), time.perf_counter()
            await asyncio.sleep(window)
            cpu = (_cpu_seconds(pid) - cpu0) / (time.perf_counter() - t0) * 60
            return {"grants": grants, "ready_s": ready, "rss_mb": rss_start / 1024,
                    "rss_after_mb": _status_kb(pid, "VmRSS") / 1024,
                    "peak_mb": _status_kb(pid, "VmHWM") / 1024, "cpu_s_per_min": cpu}
        finally:
            bot.signal()
            await asyncio.to_thread(bot.wait, 20)
            bot.kill()
