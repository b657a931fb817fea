"""Benchmark db-access-bot on real parts on loopback and write a Markdown report.

    .venv/bin/python -m benchmarks.run [--quick] [--out benchmarks/REPORT.md]

Starts PostgreSQL (state store and target), moto in server mode, the test PrivateBin server
and the Slack emulator; drives the real bolt app over Socket Mode. Nothing here asserts a time.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import footprint, latency, revocation
from benchmarks.report import Report
from tests.integration.real_parts import real_setup
from tests.support import catalogs
from tests.support.bot_process import BotProcess
from tests.support.fixtures_postgres import fresh_database
from tests.support.harness import PEOPLE, BotHarness
from tests.support.moto_server import start_moto
from tests.support.ports import free_port, wait_for_port
from tests.support.postgres_server import destroy, start_postgres
from tests.support.slack_emulator import SlackEmulator

ROOT = Path(__file__).resolve().parents[1]
FULL = {"users": 20, "sequential": 30, "lag_grants": 200, "lag_window": 60.0,
        "recovery": 1000, "footprint": 10000, "cpu_window": 60.0}
QUICK = {"users": 10, "sequential": 8, "lag_grants": 40, "lag_window": 20.0,
         "recovery": 200, "footprint": 2000, "cpu_window": 15.0}


def _aws_env(url: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true"}


def _privatebin() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.support.privatebin_server",
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for_port(port, timeout=20)
    return process, f"http://127.0.0.1:{port}/"


async def _state(postgres) -> str:  # type: ignore[no-untyped-def]
    from bot.state import upgrade_async

    url = postgres.url(fresh_database(postgres, "bench"))
    await upgrade_async(url)
    return url


async def main(sizes: dict, out: Path) -> None:
    """Run every measurement and write the report."""
    postgres, moto = start_postgres(), start_moto()
    pastebin, paste_url = _privatebin()
    os.environ.update(_aws_env(moto.url))
    report = Report(sizes=sizes, started=datetime.now(UTC))
    try:
        setup = real_setup(postgres, paste_url)
        with tempfile.TemporaryDirectory() as workdir:
            report.acks = await _acks_of_a_bot_process(
                await _state(postgres), setup.catalog_data, paste_url, moto.url, Path(workdir),
                max(sizes["users"], sizes["sequential"]), sizes["users"])
        async with BotHarness(await _state(postgres), catalog=setup.catalog,
                              providers=setup.providers) as h:
            users = latency.add_users(h.emu, sizes["sequential"], roles=False)
            report.click_to_link, report.steps = await latency.click_to_link(h, users)
        report.pbkdf2 = latency.pbkdf2_seconds()
        state = await _state(postgres)
        async with BotHarness(state, catalog=setup.catalog, providers=setup.providers) as h:
            report.lag = await revocation.revocation_lag(
                h, state, setup.resource_id, sizes["lag_grants"], sizes["lag_window"])
        state = await _state(postgres)
        async with BotHarness(state, catalog=setup.catalog, providers=setup.providers) as h:
            report.recovery = await revocation.recovery(h, state, setup.resource_id,
                                                        sizes["recovery"])
        with tempfile.TemporaryDirectory() as workdir:
            report.footprint = await footprint.footprint(
                await _state(postgres), catalogs.catalog_data(),
                {**_aws_env(moto.url), "PRIVATEBIN_URL": paste_url}, Path(workdir),
                grants=sizes["footprint"], window=sizes["cpu_window"])
    finally:
        pastebin.terminate()
        moto.stop()
        destroy(postgres)
    report.finished = datetime.now(UTC)
    await asyncio.to_thread(out.write_text, report.markdown())
    print(f"wrote {out}")


async def _acks_of_a_bot_process(state: str, catalog: dict, paste_url: str, moto_url: str,
                                  workdir: Path, roles: int, users: int) -> dict:
    """Ack latency of a real `db-access-bot run` process, as Slack would see it."""
    catalog_file = workdir / "catalog.yaml"
    catalog_file.write_text(json.dumps(catalog))
    async with SlackEmulator() as emu:
        for user_id, (name, email) in PEOPLE.items():
            emu.add_user(user_id, name, email=email)
        emu.add_usergroup(catalogs.DBA_GROUP, [catalogs.APPROVER2])
        people = latency.add_users(emu, roles, roles=True)
        bot = BotProcess(env={**_aws_env(moto_url), "SLACK_BOT_TOKEN": "xoxb-bench",
                              "SLACK_APP_TOKEN": "xapp-bench", "SLACK_API_URL": emu.api_url,
                              "DATABASE_URL": state, "DB_ACCESS_CATALOG": str(catalog_file),
                              "PRIVATEBIN_URL": paste_url, "LOG_LEVEL": "WARNING"},
                         log_path=workdir / "acks-bot.log").start()
        try:
            return await latency.ack_latency(bot, emu, people[:users])
        finally:
            bot.signal()
            await asyncio.to_thread(bot.wait, 20)
            bot.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (a few minutes)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "REPORT.md")
    args = parser.parse_args()
    begun = time.perf_counter()
    asyncio.run(main(QUICK if args.quick else FULL, args.out))
    print(f"benchmark took {time.perf_counter() - begun:.0f} s")
