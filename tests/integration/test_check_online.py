"""`check --online` probes Slack, AWS, the admin connections and PrivateBin, one line each."""

import pytest

from bot.ops.online_check import run_online_checks
from providers.privatebin import PrivateBinShare
from tests.integration.real_parts import real_setup
from tests.support import aws_seed
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.online_check_setup import settings_for
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator


async def test_all_probes_pass_on_a_healthy_setup(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    emu: SlackEmulator,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    aws_seed.create_role("DatabasesRole_ada")  # the first admin is the example person
    code = await run_online_checks(
        settings_for(emu, privatebin_server.url, state_url), setup.catalog, setup.providers
    )
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.strip().splitlines()
    assert all(line.startswith("✓") for line in lines[:-1]), out
    for expected in (
        "state store: 127.0.0.1:",
        "schema at revision",
        "Slack bot token",
        "Socket Mode is enabled",
        "approvals channel #c0approvals (C0APPROVALS): the bot is a member",
        "approvals channel #c0orders (C0ORDERS): the bot is a member",
        "sts:GetCallerIdentity",
        f"orders-prod: RDS resource id: resource id {setup.resource_id}",
        "role/DatabasesRole_ada exists",
        "orders-prod: admin connection",
        "PrivateBin: the JSON API answers",
    ):
        assert expected in out
    assert lines[-1] == f"{len(lines) - 1} of {len(lines) - 1} online checks passed"


async def test_failures_say_what_to_fix_and_exit_2(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    emu: SlackEmulator,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    aws_seed.delete_instance(setup.catalog.databases["orders-prod"].instance_id)
    dead = f"http://127.0.0.1:{free_port()}/"
    setup.providers.share = PrivateBinShare(dead, timeout=2)
    code = await run_online_checks(
        settings_for(emu, dead, state_url), setup.catalog, setup.providers
    )
    out = capsys.readouterr().out
    assert code == 2
    failed = [line for line in out.splitlines() if line.startswith("✗")]
    assert any(
        "orders-prod: RDS resource id" in line and "IAM database auth" in line for line in failed
    ), out
    assert any(
        line.startswith("✗ principal of ada@example.com") and "create the per-user role" in line
        for line in failed
    ), out
    assert any(line.startswith("✗ PrivateBin") and "PRIVATEBIN_URL" in line for line in failed), out
