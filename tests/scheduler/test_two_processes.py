"""Two real `db-access-bot run` processes on one state store: every grant revoked exactly once."""

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.faults.process_setup import process_setup
from tests.support import aws_seed
from tests.support.bulk import seed_grants
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.moto_server import MotoServer
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator

GRANTS = 20


def revoke_dms(emu: SlackEmulator) -> list[Any]:
    """The DMs telling the grants' holder that access ended."""
    dm_channel = emu.dm_channel("U0TWIN0000")
    return [
        c
        for c in emu.calls
        if c.method == "chat.postMessage"
        and c.params.get("channel") == dm_channel
        and "ended" in json.dumps(c.params)
    ]


async def test_two_processes_revoke_each_grant_once(
    tmp_path: Path,
    state_url: str,
    postgres_server: PostgresServer,
    aws_env: MotoServer,
    privatebin_server: PrivateBinProcess,
) -> None:
    db = state_url.rsplit("/", 1)[1]
    # 20 expiry warnings and 20 revoke DMs to one person within seconds: past Slack's burst,
    # so the limits refill ten times faster here to keep the test's pace (they still apply).
    async with SlackEmulator(rate_limit_speed=10) as emu:
        setup = process_setup(
            tmp_path,
            emu,
            state_url=state_url,
            moto_url=aws_env.url,
            privatebin_url=privatebin_server.url,
        )
        now = datetime.now(UTC)
        ends = [now + timedelta(seconds=8, milliseconds=100 * i) for i in range(GRANTS)]
        made = await seed_grants(
            state_url,
            ends=ends,
            now=now,
            resource_id="db-ORDERSPROD",
            with_policies=True,
            prefix="twin",
            emu=emu,
        )
        [role] = {r for _, r in made}
        bots = [setup.bot("one").start(), setup.bot("two").start()]
        try:
            for bot in bots:
                await asyncio.to_thread(bot.wait_health, 200, "/readyz", 30)
            deadline = time.monotonic() + 40
            while aws_seed.inline_policies(role) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            assert aws_seed.inline_policies(role) == {}
            await emu.wait_until(lambda: len(revoke_dms(emu)) >= GRANTS, 30)
            await asyncio.sleep(2)  # give a duplicate, if any, the time to show up
        finally:
            for bot in bots:
                bot.kill()
        rows = postgres_server.psql(
            "SELECT grant_id, details->>'reason' FROM audit_events WHERE action = 'grant.revoked'",
            db,
        ).splitlines()
        per_grant = Counter(line.split("|")[0] for line in rows)
        assert per_grant == Counter({grant_id: 1 for grant_id, _ in made})
        assert {line.split("|")[1] for line in rows} == {"expired"}
        owners = postgres_server.psql("SELECT count(*) FROM grants WHERE status = 'revoked'", db)
        assert owners == str(GRANTS)
        assert len(revoke_dms(emu)) == GRANTS
