"""Every step boundary: a real `db-access-bot run` SIGKILLed there, a fresh one finishes the work.

The first process is told (DB_ACCESS_BOT_FAILPOINTS) to kill itself at one boundary while a
person acts through Slack; the leases it held are then treated as lapsed, a second process
starts, and the lifecycle's invariants must hold on real parts: moto IAM, a PostgreSQL target,
PrivateBin, the Slack emulator, the state store.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update

from bot.context import Deps
from bot.domain import GrantStatus, StepStatus
from bot.failpoints import BOUNDARIES, ENV
from bot.identity import People
from bot.slack.actions import ActionId
from bot.store.engine import make_engine, make_sessions
from bot.store.models import AccessRequest, AuditEvent, Grant, Step
from bot.store.transactions import transaction
from providers.aws_policy import grant_id_from_policy_name
from providers.slack import SlackWeb
from tests.integration.real_parts import ADMIN_PASSWORD, RealSetup, real_setup
from tests.lifecycle import crash_support as cs
from tests.scheduler.support import make_grant, wait_for
from tests.support import aws_seed, catalogs
from tests.support.bot_process import BotProcess
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import PEOPLE
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator

TOKENS = ("xoxb-crash-matrix", "xapp-crash-matrix")
PASTE_LINK = re.compile(r"\?[0-9a-f]{16}#")
START_AHEAD = timedelta(seconds=12)


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator()
    await emulator.start()
    for user_id, (name, email) in PEOPLE.items():
        emulator.add_user(user_id, name, email=email)
    emulator.add_usergroup(catalogs.DBA_GROUP, [catalogs.APPROVER2])
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
def setup(
    aws_env: object, postgres_server: PostgresServer, privatebin_server: PrivateBinProcess
) -> RealSetup:
    return real_setup(postgres_server, privatebin_server.url)


@pytest.fixture
async def deps(setup: RealSetup, state_url: str, emu: SlackEmulator) -> AsyncIterator[Deps]:
    """The test's own hands: to prepare a grant and to read what the bot did."""
    engine = make_engine(state_url)
    slack = SlackWeb(AsyncWebClient(token=TOKENS[0], base_url=emu.api_url))
    p = setup.providers
    yield Deps(
        catalog=setup.catalog,
        sessions=make_sessions(engine),
        iam=p.iam,
        minter=p.minter,
        share=p.share,
        dbadmin=p.dbadmin,
        slack=slack,
        people=People(slack, setup.catalog),
        owner="crash-matrix-test",
    )
    await engine.dispose()


def _bot(tmp_path: Path, name: str, env: dict[str, str]) -> BotProcess:
    return BotProcess(env=env, log_path=tmp_path / f"{name}.log").start()


async def _lapse_leases(deps: Deps) -> None:
    """What the minutes after a crash do: every lease the dead process held runs out."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    async with transaction(deps.sessions) as session:
        await session.execute(
            update(Step).where(Step.claim_until.is_not(None)).values(claim_until=past)
        )
        await session.execute(
            update(Grant).where(Grant.claim_until.is_not(None)).values(claim_until=past)
        )


async def _read(deps: Deps, model: type) -> list:
    async with deps.sessions() as session:
        return list(await session.scalars(select(model)))


async def _approve_pending(emu: SlackEmulator, deps: Deps) -> bool:
    found = cs.pending_card(emu, await _read(deps, AccessRequest))
    if found is None:
        return False
    request_id, card = found
    await emu.click(
        user_id=catalogs.APPROVER,
        action_id=ActionId.APPROVE,
        value=request_id,
        message=(card.channel, card.ts),
    )
    return True


async def _quiet(deps: Deps) -> bool:
    # Grants first: steps committed with a grant's last change are visible to the next read.
    grants = [
        g
        for g in await _read(deps, Grant)
        if g.status in (GrantStatus.GRANTING, GrantStatus.REVOKING)
    ]
    steps = [s for s in await _read(deps, Step) if s.status == StepStatus.PENDING]
    return not steps and not grants


@pytest.mark.parametrize("boundary", sorted(BOUNDARIES))
async def test_killed_at_a_boundary_a_new_process_finishes_the_work(
    tmp_path: Path,
    emu: SlackEmulator,
    deps: Deps,
    setup: RealSetup,
    state_url: str,
    privatebin_server: PrivateBinProcess,
    boundary: str,
) -> None:
    scenario = cs.SCENARIOS[BOUNDARIES[boundary].step]
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(json.dumps(setup.catalog_data))  # JSON is YAML
    env = {
        "SLACK_BOT_TOKEN": TOKENS[0],
        "SLACK_APP_TOKEN": TOKENS[1],
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": state_url,
        "DB_ACCESS_CATALOG": str(catalog_file),
        "PRIVATEBIN_URL": privatebin_server.url,
        "SWEEP_INTERVAL": "0.3",
        "RECONCILE_INTERVAL": "3600",
    }
    grant = await make_grant(deps) if scenario.needs_grant else None

    first = _bot(tmp_path, "first", {**env, ENV: f"{boundary}=kill"})
    try:
        await asyncio.to_thread(first.wait_health, 200)
        command = lambda text: emu.slash_command(text, user_id=catalogs.DEV)  # noqa: E731

        async def approve() -> None:
            await wait_for(lambda: _approve_pending(emu, deps), timeout=15)

        # A later start leaves time to approve it ahead; the first process dies at its start.
        with_kill = asyncio.create_task(
            cs.act(
                scenario,
                grant,
                command=command,
                approve=approve,
                start_at=datetime.now(UTC) + START_AHEAD,
            )
        )
        code = await asyncio.to_thread(first.process.wait, 40)
        with_kill.cancel()
        assert code == -9, f"never reached {boundary}:\n{first.output()}"
    finally:
        first.kill()

    await _lapse_leases(deps)
    second = _bot(tmp_path, "second", env)
    try:
        await asyncio.to_thread(second.wait_health, 200)
        await wait_for(lambda: _quiet(deps), timeout=30)
        if await _approve_pending(emu, deps):  # the action the kill cut short, done again
            await wait_for(lambda: _quiet(deps), timeout=30)
    finally:
        second.kill()

    names = aws_seed.inline_policies(setup.role_arn)
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert not PASTE_LINK.search(logs) and "X-Amz-Signature" not in logs
    cs.assert_invariants(
        cs.State(
            requests=await _read(deps, AccessRequest),
            grants=await _read(deps, Grant),
            steps=await _read(deps, Step),
            audit=await _read(deps, AuditEvent),
            policies={gid for gid in map(grant_id_from_policy_name, names) if gid},
            keys=cs.message_keys(emu),
            dms={catalogs.DEV: [m.text for m in emu.dms_to(catalogs.DEV)]},
            log=logs,
        ),
        secrets=(ADMIN_PASSWORD, *TOKENS),
    )
