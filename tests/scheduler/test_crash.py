"""The real `db-access-bot run` killed with SIGKILL: after a restart nothing is left behind."""

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import update

from bot.catalog.model import Catalog
from bot.catalog.schema import parse_catalog
from bot.context import Deps
from bot.domain import GrantStatus
from bot.identity import People
from bot.store.engine import make_engine, make_sessions
from bot.store.models import Grant, Step
from bot.store.transactions import transaction
from providers.aws_iam import AwsIamGrants
from providers.aws_policy import grant_policy
from providers.slack import SlackWeb
from tests.scheduler.support import CrashingIam, audit, grant, half_made, make_grant, wait_for
from tests.support import aws_seed, catalogs
from tests.support.bot_process import BotProcess
from tests.support.fakes import FakeDbAdmin, FakeMinter, FakeShare
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import PEOPLE
from tests.support.slack_emulator import SlackEmulator

ROLE = "DatabasesRole_alice_smith"
ORPHAN = "gqqqqqqqq"


def catalog_data() -> dict:
    """The base catalog on moto's account, with no admin (so no database provisioning)."""
    data = catalogs.catalog_data()
    orders = data["databases"]["orders-prod"]
    orders.pop("admin")
    orders["terminate_sessions"] = False
    return data


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator()
    await emulator.start()
    for user_id, (name, email) in PEOPLE.items():
        emulator.add_user(user_id, name, email=email)
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def deps(state_url: str, aws_env: object, emu: SlackEmulator) -> AsyncIterator[Deps]:
    """The test's own hands on the state store, moto and the emulator."""
    catalog: Catalog = parse_catalog(catalog_data())
    engine = make_engine(state_url)
    slack = SlackWeb(AsyncWebClient(token=emu.bot_token, base_url=emu.api_url))
    yield Deps(
        catalog=catalog,
        sessions=make_sessions(engine),
        iam=CrashingIam(AwsIamGrants(catalog)),
        minter=FakeMinter(),
        share=FakeShare(),
        dbadmin=FakeDbAdmin(),
        slack=slack,
        people=People(slack, catalog),
        owner="test",
    )
    await engine.dispose()


def policy_names() -> set[str]:
    """Names only: the bot may delete a policy between a list and a get."""
    iam = aws_seed.client("iam")
    return set(iam.list_role_policies(RoleName=ROLE)["PolicyNames"])


async def backdate(deps: Deps, grant_id: str, *, created: timedelta, lasts: timedelta) -> None:
    """Pretend a grant was approved `created` ago, ends `lasts` after that, and that the
    leases its dead maker held have lapsed since."""
    start = datetime.now(UTC) - created
    async with transaction(deps.sessions) as session:
        await session.execute(
            update(Grant)
            .where(Grant.id == grant_id)
            .values(created_at=start, expires_at=start + lasts, claim_until=start)
        )
        await session.execute(
            update(Step)
            .where(Step.grant_id == grant_id)
            .values(created_at=start, claim_until=start)
        )


async def test_killed_bot_revokes_what_ended_while_down_and_finishes_half_made_grants(
    tmp_path: Path,
    emu: SlackEmulator,
    deps: Deps,
    state_url: str,
    privatebin_server: PrivateBinProcess,
) -> None:
    role = aws_seed.create_role(ROLE)
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(json.dumps(catalog_data()))  # JSON is YAML
    env = {
        "SLACK_BOT_TOKEN": "xoxb-crash-test",
        "SLACK_APP_TOKEN": "xapp-crash-test",
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": state_url,
        "DB_ACCESS_CATALOG": str(catalog_file),
        "PRIVATEBIN_URL": privatebin_server.url,
        "SWEEP_INTERVAL": "0.5",
        "RECONCILE_INTERVAL": "2",
    }
    first = BotProcess(env=env, log_path=tmp_path / "first.log").start()
    try:
        await asyncio.to_thread(first.wait_health, 200)
        ending = [await make_grant(deps, duration=timedelta(seconds=3)) for _ in range(3)]
        first.kill()  # SIGKILL: no shutdown, no last sweep
    finally:
        first.kill()
    assert {f"db-access-{g.id}" for g in ending} <= policy_names()

    # Killed between "policy attached" and "grant recorded", long enough ago to be stale.
    in_time = await half_made(deps, duration=timedelta(hours=1))
    await backdate(deps, in_time.id, created=timedelta(minutes=10), lasts=timedelta(hours=1))
    too_late = await half_made(deps, duration=timedelta(hours=1))
    await backdate(deps, too_late.id, created=timedelta(minutes=10), lasts=timedelta(minutes=2))
    aws_seed.put_inline_policy(
        role,
        f"db-access-{ORPHAN}",
        grant_policy(
            grant_id=ORPHAN,
            region="eu-west-1",
            account_id=catalogs.ACCOUNT,
            resource_id="db-ORDERSPROD",
            db_user="alice_smith_ro",
            expires_at=None,
        ),
    )
    last_end = max(g.expires_at for g in ending if g.expires_at)
    await asyncio.sleep(max(0.0, (last_end - datetime.now(UTC)).total_seconds()) + 0.2)
    for made in ending:  # nobody revoked them: the bot is down
        assert (await grant(deps, made.id)).status == GrantStatus.ACTIVE

    second = BotProcess(env=env, log_path=tmp_path / "second.log").start()
    try:

        async def settled() -> bool:
            policies = await asyncio.to_thread(policy_names)
            statuses = [(await grant(deps, g.id)).status for g in (*ending, too_late)]
            return (
                set(policies) == {f"db-access-{in_time.id}"}
                and statuses == [GrantStatus.REVOKED] * 4
                and (await grant(deps, in_time.id)).status == GrantStatus.ACTIVE
                and bool(await audit(deps, "token.issued", in_time.id))
            )

        await wait_for(settled, timeout=30)
        for made in ending:
            [event] = await audit(deps, "grant.revoked", made.id)
            assert event.details["reason"] == "expired"
        assert (await grant(deps, too_late.id)).revoke_reason == "grant_failed"
        assert await audit(deps, "grant.active", in_time.id)
        assert await audit(deps, "token.issued", in_time.id)  # the link it never got
        assert len(await audit(deps, "reconcile.orphan_deleted")) == 1
        assert any("Reconciliation" in m.text for m in emu.messages_in(catalogs.CHANNEL))
        second.signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 15) == 0, second.output()
        assert "db-access-bot stopped" in second.output()
    finally:
        second.kill()
