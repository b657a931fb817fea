"""The state store goes away for 20 s: Slack stays up, users hear why, nothing is lost."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.engine import upgrade_async
from tests.faults.process_setup import process_setup
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.moto_server import MotoServer
from tests.support.postgres_server import PostgresServer, destroy, start_postgres
from tests.support.slack_emulator import SlackEmulator

OUTAGE = 20.0


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test alone, so stopping it harms no other test."""
    server = start_postgres()
    yield server
    destroy(server)


async def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate):
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


async def test_outage_is_explained_survived_and_loses_no_revocation(
    tmp_path: Path,
    own_postgres: PostgresServer,
    aws_env: MotoServer,
    privatebin_server: PrivateBinProcess,
) -> None:
    own_postgres.psql("CREATE DATABASE state")
    await upgrade_async(own_postgres.url("state"))
    async with SlackEmulator() as emu:
        setup = process_setup(
            tmp_path,
            emu,
            state_url=own_postgres.url("state"),
            moto_url=aws_env.url,
            privatebin_url=privatebin_server.url,
        )
        bot = setup.bot("bot").start()
        try:
            await asyncio.to_thread(bot.wait_health, 200, "/readyz", 30)
            # An auto-approved grant, then shortened so its end falls inside the outage.
            await emu.slash_command("request analytics ro 1h auto-approved", user_id=catalogs.DEV)
            await emu.wait_until(lambda: aws_seed.inline_policies(setup.role_arn), 15)
            [policy] = aws_seed.inline_policies(setup.role_arn)
            grant_id = policy.removeprefix("db-access-")
            own_postgres.psql(
                "UPDATE grants SET expires_at = now() + interval '8 seconds' "
                f"WHERE id = '{grant_id}'",
                "state",
            )

            own_postgres.stop()
            outage_started = time.monotonic()
            await asyncio.to_thread(bot.wait_health, 503, "/readyz", 15)
            assert bot.health("/healthz") == 200  # still connected to Slack
            since = len(emu.calls)
            ack = await emu.slash_command("list", user_id=catalogs.DEV)
            assert ack.elapsed < 3
            answer = await emu.wait_for_call("response_url", since=since, timeout=20)
            assert "temporarily unavailable" in answer.params["text"]

            await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - outage_started)))
            own_postgres.start_again()
            await asyncio.to_thread(bot.wait_health, 200, "/readyz", 30)

            def status() -> str:
                return own_postgres.psql(
                    f"SELECT status FROM grants WHERE id = '{grant_id}'", "state"
                )

            # The policy goes first, then the row is marked: wait for both.
            await wait_for(
                lambda: not aws_seed.inline_policies(setup.role_arn) and status() == "revoked",
                30,
                "the expired grant to be revoked after the outage",
            )
            since = len(emu.calls)
            await emu.slash_command("list", user_id=catalogs.DEV)
            answer = await emu.wait_for_call("response_url", since=since, timeout=20)
            assert "temporarily unavailable" not in str(answer.params)
        finally:
            bot.kill()
