"""`check --online` on Slack: each approvals channel problem and a refused token say what to do."""

import pytest

from bot.config import Settings
from bot.ops.channel_check import channel_statuses
from bot.ops.online_check import run_online_checks
from bot.wiring import slack_client
from tests.integration.real_parts import real_setup
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import PEOPLE
from tests.support.online_check_setup import settings_for
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator


async def test_an_approvals_channel_without_the_bot_is_named_with_the_invite(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    emu: SlackEmulator,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    aws_seed.create_role("DatabasesRole_ada")
    emu.add_channel(catalogs.ORDERS_CHANNEL, "orders-approvals", bot_member=False)
    code = await run_online_checks(
        settings_for(emu, privatebin_server.url, state_url), setup.catalog, setup.providers
    )
    out = capsys.readouterr().out
    assert code == 2, out
    assert [line for line in out.splitlines() if line.startswith("✗")] == [
        "✗ approvals channel #orders-approvals (C0ORDERS): the bot is not a member, so "
        "approval cards cannot be posted — invite the bot: `/invite @db-access-bot` in "
        "#orders-approvals"
    ], out


async def test_each_channel_problem_says_what_to_do() -> None:
    async with SlackEmulator(bot_scopes={"chat:write", "channels:read"}) as emu:
        emu.add_channel("C0MEMBER", "dba-approvals")
        emu.add_channel("C0OLD", "old-approvals", archived=True)
        emu.add_channel("G0SECRET", "secret-approvals")
        emu.add_channel("G0HIDDEN", "hidden-approvals", bot_member=False)
        emu.delete_channel("C0GONE")
        client = slack_client(emu.bot_token, emu.api_url)
        data = catalogs.catalog_data(approvals_channel="C0MEMBER")
        for name, channel in zip(["orders-prod", "analytics"], ["C0OLD", "C0GONE"], strict=True):
            data["databases"][name]["approvals_channel"] = channel
        data["databases"]["other"] = {
            **data["databases"]["analytics"],
            "approvals_channel": "G0HIDDEN",
        }
        data["databases"]["secret"] = {
            **data["databases"]["analytics"],
            "approvals_channel": "G0SECRET",
        }
        statuses = await channel_statuses(client, catalogs.make_catalog(data), "dbbot")
    report = {s.what: (s.ok, s.detail) for s in statuses}
    assert report == {
        "approvals channel #dba-approvals (C0MEMBER)": (True, "the bot is a member"),
        "approvals channel #old-approvals (C0OLD)": (
            False,
            "the channel is archived — unarchive it or point approvals_channel at another one",
        ),
        "approvals channel C0GONE": (
            False,
            "no such channel, or a private channel the bot is not in — check the "
            "catalog's approvals_channel, or invite the bot: `/invite @dbbot` in that "
            "channel",
        ),
        "approvals channel G0HIDDEN": report["approvals channel C0GONE"],
        "approvals channel G0SECRET": (
            False,
            "the app lacks channels:read and groups:read — add them (the manifest "
            "from `db-access-bot manifest` has them) and reinstall the app",
        ),
    }


async def test_an_unreachable_slack_is_not_blamed_on_the_catalog(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    slack = free_port()
    settings = Settings(
        slack_bot_token="xoxb-check",
        slack_app_token="xapp-check",
        slack_api_url=f"http://127.0.0.1:{slack}/api/",
        privatebin_url=privatebin_server.url,
        database_url=state_url,
    )
    code = await run_online_checks(settings, setup.catalog, setup.providers)
    out = capsys.readouterr().out
    assert code == 2, out
    unreachable = "Slack could not be reached (connection refused)"
    assert [line for line in out.splitlines() if not line.startswith("✓")] == [
        "✗ Slack bot token (auth.test): unreachable (connection refused) — "
        f"127.0.0.1:{slack} refused the connection; check SLACK_API_URL and the pod's egress "
        "to Slack (NetworkPolicy, firewall, HTTPS_PROXY)",
        f"– Slack app token (apps.connections.open): not checked — {unreachable}",
        f"– approvals channels: not checked — {unreachable}",
        "– principal roles: not checked — the example person's email comes from Slack, and "
        f"{unreachable}",
        "7 of 8 online checks passed; 3 not checked",
    ], out
    assert f"✓ orders-prod: RDS resource id: resource id {setup.resource_id}" in out


async def test_a_refused_app_token_leaves_the_bot_token_checks_standing(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    aws_seed.create_role("DatabasesRole_ada")
    async with SlackEmulator(app_token="xapp-the-installed-one") as emu:
        for user_id, (name, email) in PEOPLE.items():
            emu.add_user(user_id, name, email=email)
        settings = settings_for(emu, privatebin_server.url, state_url)
        code = await run_online_checks(settings, setup.catalog, setup.providers)
    out = capsys.readouterr().out
    assert code == 2, out
    assert [line for line in out.splitlines() if line.startswith(("✗", "–"))] == [
        "✗ Slack app token (apps.connections.open): token rejected — Slack said "
        "'invalid_auth' (the token is wrong or belongs to another workspace); create an "
        "app-level token with connections:write (Basic Information → App-Level Tokens), put it "
        "in SLACK_APP_TOKEN, and turn Socket Mode on"
    ], out
    assert "✓ approvals channel #c0orders (C0ORDERS): the bot is a member" in out
