"""SIGTERM while a grant is being delivered: it completes, and a restarted bot agrees with IAM."""

import asyncio
import json
from pathlib import Path

from bot.slack.actions import ActionId
from tests.faults.process_setup import process_setup
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.moto_server import MotoServer
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator


async def test_sigterm_during_delivery_then_restart(
    tmp_path: Path,
    state_url: str,
    postgres_server: PostgresServer,
    aws_env: MotoServer,
    privatebin_server: PrivateBinProcess,
) -> None:
    db = state_url.rsplit("/", 1)[1]
    async with SlackEmulator() as emu:
        setup = process_setup(
            tmp_path,
            emu,
            state_url=state_url,
            moto_url=aws_env.url,
            privatebin_url=privatebin_server.url,
        )
        first = setup.bot("first").start()
        try:
            await asyncio.to_thread(first.wait_health, 200, "/readyz", 30)
            await emu.slash_command("request orders-prod ro 1h sigterm test", user_id=catalogs.DEV)
            card = await emu.wait_for_call(
                "chat.postMessage", lambda c: c.params["channel"] == "C0ORDERS"
            )
            request_id = postgres_server.psql("SELECT id FROM access_requests", db)
            privatebin_server.stall(4)  # delivery will be under way when SIGTERM arrives
            await emu.click(
                user_id=catalogs.APPROVER,
                action_id=ActionId.APPROVE,
                value=request_id,
                message=(card.params["channel"], card.response["ts"]),
            )
            await emu.wait_until(lambda: aws_seed.inline_policies(setup.role_arn), 10)
            first.signal()
            assert await asyncio.to_thread(first.wait, 15) == 0, first.output()
        finally:
            privatebin_server.stall(0)
            first.kill()
        grant_id, status = postgres_server.psql("SELECT id, status FROM grants", db).split("|")
        assert status == "active"
        dms = json.dumps([m.blocks for m in emu.dms_to(catalogs.DEV)])
        assert "One-time login link" in dms or "could not create the login link" in dms

        since = len(emu.calls)
        second = setup.bot("second").start()
        try:
            await asyncio.to_thread(second.wait_health, 200, "/readyz", 30)
            await asyncio.sleep(4)  # more than one reconcile interval
            assert list(aws_seed.inline_policies(setup.role_arn)) == [f"db-access-{grant_id}"]
            assert (
                postgres_server.psql(f"SELECT status FROM grants WHERE id = '{grant_id}'", db)
                == "active"
            )
            drift = [
                c
                for c in emu.calls[since:]
                if c.method == "chat.postMessage" and "Reconciliation found" in json.dumps(c.params)
            ]
            assert drift == [], "a clean shutdown must leave nothing to reconcile"
        finally:
            second.kill()
