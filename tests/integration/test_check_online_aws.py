"""`check --online` on AWS: provisioned roles, admin secrets and an unreachable AWS, told apart."""

import pytest

from bot.ops.online_check import PROBE_AWS_CONFIG, run_online_checks
from bot.wiring import build_providers
from tests.integration.real_parts import real_setup
from tests.support import aws_seed
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.online_check_setup import settings_for
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer
from tests.support.slack_emulator import SlackEmulator


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
