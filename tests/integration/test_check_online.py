"""`check --online` probes Slack, AWS, the admin connections and PrivateBin, one line each."""

import pytest

from bot.channel_check import channel_statuses
from bot.config import Settings
from bot.online_check import PROBE_AWS_CONFIG, run_online_checks
from bot.wiring import build_providers, slack_client
from providers.privatebin import PrivateBinShare
from tests.integration.real_parts import real_setup
from tests.support import aws_seed, catalogs
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import PEOPLE
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator


@pytest.fixture
async def emu() -> SlackEmulator:
    async with SlackEmulator() as emulator:
        for user_id, (name, email) in PEOPLE.items():
            emulator.add_user(user_id, name, email=email)
        yield emulator


def settings_for(emu: SlackEmulator, privatebin_url: str, state_url: str) -> Settings:
    return Settings(
        slack_bot_token="xoxb-check",
        slack_app_token="xapp-check",
        slack_api_url=emu.api_url,
        privatebin_url=privatebin_url,
        database_url=state_url,
    )


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


async def test_with_provisioning_a_missing_role_is_fine_and_the_boundary_is_checked(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    emu: SlackEmulator,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url, provision=True)
    settings = settings_for(emu, privatebin_server.url, state_url)
    code = await run_online_checks(settings, setup.catalog, setup.providers)
    out = capsys.readouterr().out
    assert code == 2, out
    assert (
        "✓ principal of ada@example.com: arn:aws:iam::123456789012:role/db-access/"
        "DatabasesRole_ada is the bot's to create (identity.provision), and it may" in out
    )
    assert (
        "✓ identity.provision: the bot's own principal: roles the bot creates will trust "
        "arn:aws:sts::123456789012:user/moto" in out
    )  # moto's answer for its test keys
    [missing] = [
        line
        for line in out.splitlines()
        if line.startswith("✗ identity.provision: permissions boundary")
    ]
    assert "NoSuchEntity" in missing and "iam-policy --boundary --account 123456789012" in missing
    iam = aws_seed.client("iam")
    boundary = iam.create_policy(
        PolicyName="db-access-boundary",
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Action": ["rds-db:connect", "s3:*"], "Resource": "*"}]}'
        ),
    )["Policy"]["Arn"]
    assert await run_online_checks(settings, setup.catalog, setup.providers) == 2
    assert (
        "✗ identity.provision: permissions boundary in 123456789012: "
        + boundary
        + " allows more than rds-db:connect (s3:*)"
        in capsys.readouterr().out
    )
    iam.create_policy_version(
        PolicyArn=boundary,
        SetAsDefault=True,
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Action": "rds-db:connect", "Resource": "*"}]}'
        ),
    )
    assert await run_online_checks(settings, setup.catalog, setup.providers) == 0
    assert (
        "policy/db-access-boundary exists and allows only rds-db:connect" in capsys.readouterr().out
    )


async def test_an_admin_secret_aws_cannot_serve_is_not_blamed_on_the_database(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    emu: SlackEmulator,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url)
    aws_seed.create_role("DatabasesRole_ada")
    dead = free_port()  # STS and RDS answer; only Secrets Manager, holding the admin login, fails
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://127.0.0.1:{dead}")
    settings = settings_for(emu, privatebin_server.url, state_url)
    providers = build_providers(settings, setup.catalog, aws_config=PROBE_AWS_CONFIG)
    code = await run_online_checks(settings, setup.catalog, providers)
    out = capsys.readouterr().out
    assert code == 2, out
    assert [line for line in out.splitlines() if line.startswith("✗")] == [
        "✗ orders-prod: admin connection: unreachable (connection refused) — "
        f"127.0.0.1:{dead} refused the connection; check AWS_REGION (and AWS_ENDPOINT_URL, if "
        "set) and the pod's way to AWS (NAT gateway or VPC endpoints, egress rules, HTTPS_PROXY)"
    ], out


async def test_an_unreachable_aws_leaves_every_aws_check_unchecked_and_says_why(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    emu: SlackEmulator,
    state_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url, provision=True)
    dead = free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{dead}")
    settings = settings_for(emu, privatebin_server.url, state_url)
    providers = build_providers(settings, setup.catalog, aws_config=PROBE_AWS_CONFIG)
    code = await run_online_checks(settings, setup.catalog, providers)
    out = capsys.readouterr().out
    assert code == 2, out
    why = "AWS could not be reached (connection refused)"
    assert [line for line in out.splitlines() if not line.startswith("✓")] == [
        "✗ AWS credentials (sts:GetCallerIdentity): unreachable (connection refused) — "
        f"127.0.0.1:{dead} refused the connection; check AWS_REGION (and AWS_ENDPOINT_URL, if "
        "set) and the pod's way to AWS (NAT gateway or VPC endpoints, egress rules, HTTPS_PROXY)",
        f"– RDS resource ids (2 databases): not checked — {why}",
        f"– principal roles: not checked — {why}",
        f"– identity.provision (trust and boundaries): not checked — {why}",
        f"– admin connections (1 database): not checked — {why}",
        "7 of 8 online checks passed; 4 not checked",
    ], out
