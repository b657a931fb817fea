"""Benchmark db-access-bot on real parts on loopback and write a Markdown report.

    .venv/bin/python -m benchmarks.run [--scale quick|full] [--latency loopback|real]
                                       [--only STEP ...] [--out benchmarks/REPORT.md]

Without --out the report goes to a new temporary file whose path is printed; the committed
benchmarks/REPORT.md changes only when it is named.

Starts PostgreSQL (state store and target), moto in server mode, the test PrivateBin server
and the Slack emulator; drives the real bolt app over Socket Mode, or a real `db-access-bot
run` process. Nothing here asserts a time: the figures go into the report.
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import footprint, latency, queries, realistic, revocation
from benchmarks.report import Report
from benchmarks.scales import SCALES, STEPS
from tests.integration.real_parts import RealSetup, real_setup
from tests.support import catalogs
from tests.support.bot_process import BotProcess
from tests.support.fixtures_postgres import fresh_database
from tests.support.harness import PEOPLE, BotHarness
from tests.support.moto_server import start_moto
from tests.support.ports import free_port, wait_for_port
from tests.support.postgres_server import PostgresServer, destroy, start_postgres
from tests.support.slack_emulator import SlackEmulator

ROOT = Path(__file__).resolve().parents[1]


def _aws_env(url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _privatebin() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.privatebin_server", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, timeout=20)
    return process, f"http://127.0.0.1:{port}/"


async def _state(postgres: PostgresServer) -> str:
    from bot.store.engine import upgrade_async

    url = postgres.url(fresh_database(postgres, "bench"))
    await upgrade_async(url)
    return url


class Bench:
    """The servers, the seeded target, and one method per step filling the report."""

    def __init__(
        self,
        postgres: PostgresServer,
        moto_url: str,
        paste_url: str,
        setup: RealSetup,
        sizes: dict,
        report: Report,
        workdir: Path,
    ) -> None:
        self.pg, self.moto_url, self.paste_url = postgres, moto_url, paste_url
        self.setup, self.sizes, self.report, self.workdir = setup, sizes, report, workdir

    def _env(self) -> dict[str, str]:
        return {**_aws_env(self.moto_url), "PRIVATEBIN_URL": self.paste_url}

    async def acks(self) -> None:
        """Ack latency of a real `db-access-bot run` during bursts of commands and clicks."""
        s = self.sizes
        file = self.workdir / "acks-catalog.yaml"
        file.write_text(json.dumps(self.setup.catalog_data))
        async with SlackEmulator() as emu:
            for user_id, (name, email) in PEOPLE.items():
                emu.add_user(user_id, name, email=email)
            emu.add_usergroup(catalogs.DBA_GROUP, [catalogs.APPROVER2])
            bot = BotProcess(
                env={
                    **self._env(),
                    "SLACK_BOT_TOKEN": "xoxb-bench",
                    "SLACK_APP_TOKEN": "xapp-bench",
                    "SLACK_API_URL": emu.api_url,
                    "DATABASE_URL": await _state(self.pg),
                    "DB_ACCESS_CATALOG": str(file),
                    "LOG_LEVEL": "WARNING",
                },
                log_path=self.workdir / "acks-bot.log",
            ).start()
            try:
                await asyncio.to_thread(bot.wait_health, 200, "/readyz", 60)
                rng = random.Random(14)
                for burst in range(s["bursts"]):
                    users = latency.add_users(emu, s["burst"], roles=True, first=burst * s["burst"])
                    found = await latency.ack_burst(emu, users, spread=1.0, rng=rng)
                    for name, values in found.items():
                        self.report.acks.setdefault(name, []).extend(values)
                    approved = users[len(users) // 2 :]
                    self.report.burst_linked += await latency.settled(emu, approved, 120)
                    self.report.burst_approved += len(approved)
            finally:
                bot.signal()
                await asyncio.to_thread(bot.wait, 30)
                bot.kill()

    async def link(self) -> None:
        """Approve click → DM link, one grant at a time, on loopback, with steps."""
        async with BotHarness(
            await _state(self.pg), catalog=self.setup.catalog, providers=self.setup.providers
        ) as h:
            users = latency.add_users(h.emu, self.sizes["sequential"], roles=True, first=700)
            self.report.click_to_link, self.report.steps_of_link = await latency.click_to_link(
                h, users
            )
        self.report.pbkdf2 = latency.pbkdf2_seconds()

    async def link_real(self) -> None:
        """The same under a region's round trips (--latency real)."""
        found = await realistic.click_to_link(
            await _state(self.pg),
            self.setup.catalog,
            self.moto_url,
            self.paste_url,
            self.sizes["sequential_real"],
            first=800,
        )
        self.report.real_link, self.report.real_steps, self.report.real_calls = found

    async def lag(self) -> None:
        """Revocation lag with production intervals."""
        state = await _state(self.pg)
        async with BotHarness(
            state, catalog=self.setup.catalog, providers=self.setup.providers
        ) as h:
            self.report.lag = await revocation.revocation_lag(
                h, state, self.setup.resource_id, self.sizes["lag_grants"], self.sizes["lag_window"]
            )

    async def overdue(self) -> None:
        """Grants that ended while no bot ran, revoked by a bot started over them."""
        self.report.overdue = await revocation.overdue(
            await _state(self.pg),
            self.setup.catalog_data,
            self._env(),
            self.workdir,
            count=self.sizes["overdue"],
            concurrency=8,
            resource_id=self.setup.resource_id,
        )

    async def idle(self) -> None:
        """Memory, CPU and IAM calls of an idle bot, for each size."""
        for grants in self.sizes["idle_grants"]:
            audit_rows = self.sizes["audit_rows"] if grants == max(self.sizes["idle_grants"]) else 0
            self.report.footprints.append(
                await footprint.footprint(
                    await _state(self.pg),
                    self._env(),
                    self.workdir,
                    grants=grants,
                    audit_rows=audit_rows,
                    interval=self.sizes["reconcile_interval"],
                )
            )

    async def views(self) -> None:
        """audit, App Home and list over the large state store, with their query plans."""
        state = await _state(self.pg)
        s = self.sizes
        self.report.views_seed = {
            "grants": s["view_grants"],
            "audit_rows": s["audit_rows"],
            "seconds": await queries.seed(
                state, grants=s["view_grants"], audit_rows=s["audit_rows"], pending=20
            ),
        }
        self.report.view_plans = await queries.plans(state)
        self.report.views = await queries.latencies(state, s["view_samples"])


async def main(scale: str, steps: list[str], out: Path) -> None:
    """Run the chosen steps and write the report."""
    postgres, moto = start_postgres(), start_moto()
    pastebin, paste_url = _privatebin()
    os.environ.update(_aws_env(moto.url))
    report = Report(
        scale=scale,
        sizes=SCALES[scale],
        steps=steps,
        started=datetime.now(UTC),
        load_before=os.getloadavg(),
    )
    try:
        setup = real_setup(postgres, paste_url)
        with tempfile.TemporaryDirectory() as workdir:
            bench = Bench(
                postgres, moto.url, paste_url, setup, SCALES[scale], report, Path(workdir)
            )
            for step in steps:
                run: Callable[[], Awaitable[None]] = getattr(bench, step)
                begun = time.perf_counter()
                print(f"{step}…", flush=True)
                await run()
                report.durations[step] = time.perf_counter() - begun
    finally:
        pastebin.terminate()
        moto.stop()
        destroy(postgres)
    report.finished, report.load_after = datetime.now(UTC), os.getloadavg()
    await asyncio.to_thread(out.write_text, report.markdown())
    print(f"wrote {out}")


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The parsed command line, with the report's path and the steps to run resolved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="full",
        help="quick: ~3 minutes, smaller counts; full: ~30 minutes, the issue's sizes (see README)",
    )
    parser.add_argument(
        "--latency",
        choices=["loopback", "real"],
        default="loopback",
        help="real: also measure approve → link with a region's round trips",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=STEPS,
        metavar="STEP",
        help=f"run only these steps ({', '.join(STEPS)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the report (default: a new temporary file, "
        "printed; pass benchmarks/REPORT.md to update the committed one)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        # Never the committed report by default: a trial run must not replace its figures.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        fd, name = tempfile.mkstemp(prefix=f"db-access-bot-benchmark-{stamp}-", suffix=".md")
        os.close(fd)
        args.out = Path(name)
    args.steps = args.only or [s for s in STEPS if s != "link_real" or args.latency == "real"]
    return args


if __name__ == "__main__":
    chosen = options()
    print(f"the report goes to {chosen.out}", flush=True)
    begun = time.perf_counter()
    asyncio.run(main(chosen.scale, chosen.steps, chosen.out))
    print(f"benchmark took {time.perf_counter() - begun:.0f} s")
