"""`check --online` tells an unreachable system (DNS, refused, TLS) from a refused token, and
says what it could not check instead of blaming the catalog."""

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest

from tests.foundation.test_cli import EXAMPLE, GOOD_ENV, cli
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.moto_server import MotoServer
from tests.support.pagerduty_emulator import DEFAULT_TOKEN, PagerDutyEmulator
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer, destroy, start_postgres
from tests.support.slack_emulator import SlackEmulator
from tests.support.tls import HttpsServer, KeyPair, enable_postgres_tls, self_signed

PASSWORD = "St0re-pa55word-never-shown"
PAGERDUTY_TOKEN = DEFAULT_TOKEN
SCHEDULE = "PABC123"  # the on_call schedule of catalog.example.yaml
SKIPPED_GROUPS = {
    "Slack": ["Slack app token (apps.connections.open)", "approvals channels"],
    "AWS": ["RDS resource ids (2 databases)", "principal roles", "admin connections (2 databases)"],
}
# Hints that would send the operator to the catalog; none belongs on a line when a system
# could not be asked.
CATALOG_BLAME = ("instance_id", "approvals_channel", "under admins", "per-user role", "catalog")


def reaching(
    tmp_path: Path, *, slack: str, aws: str, privatebin: str, store: str, pagerduty: str
) -> dict[str, str]:
    """Settings aimed at these endpoints, with test keys and nothing from this machine."""
    return {
        **GOOD_ENV,
        "SLACK_API_URL": slack,
        "PRIVATEBIN_URL": privatebin,
        "DATABASE_URL": store,
        "PAGERDUTY_API_URL": pagerduty,
        "PAGERDUTY_TOKEN": PAGERDUTY_TOKEN,
        "AWS_ENDPOINT_URL": aws,
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


async def check_online(tmp_path: Path, **env: str) -> list[str]:
    """The stdout lines of `db-access-bot check --online`, which must exit 2 without a trace."""
    result: subprocess.CompletedProcess[str] = await asyncio.to_thread(
        cli, "check", "--online", cwd=tmp_path, DB_ACCESS_CATALOG=str(EXAMPLE), **env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output and PASSWORD not in output, output
    assert GOOD_ENV["SLACK_BOT_TOKEN"] not in output and PAGERDUTY_TOKEN not in output, output
    summary, *lines = result.stdout.splitlines()
    assert summary.endswith("settings ok"), output  # the offline checks passed
    return lines


def line_of(lines: list[str], what: str) -> str:
    [line] = [line for line in lines if line[2:].startswith(f"{what}: ")]
    return line


def assert_not_checked(lines: list[str], system: str, why: str) -> None:
    """Everything that needs system is reported as not checked, with why, and blames nothing."""
    for what in SKIPPED_GROUPS[system]:
        assert line_of(lines, what) == f"– {what}: not checked — {why}", lines
    for line in lines:
        assert not any(hint in line for hint in CATALOG_BLAME), line


async def test_refused_connections_are_named_per_system(tmp_path: Path) -> None:
    slack, aws_port, paste, store, pagerduty = (free_port() for _ in range(5))
    lines = await check_online(
        tmp_path,
        **reaching(
            tmp_path,
            slack=f"http://127.0.0.1:{slack}/api/",
            aws=f"http://127.0.0.1:{aws_port}",
            privatebin=f"http://127.0.0.1:{paste}/",
            store=f"postgresql+asyncpg://bot:{PASSWORD}@127.0.0.1:{store}/state",
            pagerduty=f"http://127.0.0.1:{pagerduty}",
        ),
    )
    refused = "unreachable (connection refused)"
    assert line_of(lines, "state store") == (
        f"✗ state store: {refused} — cannot reach the state store at 127.0.0.1:{store}/state "
        "(Connection refused); check DATABASE_URL and that PostgreSQL is running and reachable"
    )
    assert line_of(lines, "Slack bot token (auth.test)") == (
        f"✗ Slack bot token (auth.test): {refused} — 127.0.0.1:{slack} refused the connection; "
        "check SLACK_API_URL and the pod's egress to Slack (NetworkPolicy, firewall, HTTPS_PROXY)"
    )
    assert line_of(lines, "AWS credentials (sts:GetCallerIdentity)").startswith(
        f"✗ AWS credentials (sts:GetCallerIdentity): {refused} — 127.0.0.1:{aws_port} refused "
        "the connection; check AWS_REGION (and AWS_ENDPOINT_URL, if set) and the pod's way to AWS"
    )
    assert line_of(lines, "PrivateBin").startswith(
        f"✗ PrivateBin: {refused} — 127.0.0.1:{paste} refused the connection; check "
        "PRIVATEBIN_URL and the pod's egress to it"
    )
    assert line_of(lines, f"PagerDuty schedule {SCHEDULE}") == (
        f"✗ PagerDuty schedule {SCHEDULE}: {refused} — 127.0.0.1:{pagerduty} refused the "
        "connection; check PAGERDUTY_API_URL and the pod's egress to PagerDuty (NetworkPolicy, "
        "firewall, HTTPS_PROXY)"
    )
    assert_not_checked(lines, "Slack", "Slack could not be reached (connection refused)")
    assert_not_checked(lines, "AWS", "AWS could not be reached (connection refused)")
    assert lines[-1] == "0 of 5 online checks passed; 5 not checked"


async def test_names_that_do_not_resolve_are_dns_failures(tmp_path: Path) -> None:
    lines = await check_online(
        tmp_path,
        **reaching(
            tmp_path,
            slack="https://slack.invalid/api/",
            aws="https://aws.invalid",
            privatebin="https://paste.invalid/",
            store=f"postgresql+asyncpg://bot:{PASSWORD}@state.invalid/state",
            pagerduty="https://pagerduty.invalid",
        ),
    )
    dns = "unreachable (DNS)"
    assert line_of(lines, "state store") == (
        f"✗ state store: {dns} — cannot find the state store host 'state.invalid' "
        "(DNS: Name or service not known); check the host in DATABASE_URL"
    )
    assert line_of(lines, "Slack bot token (auth.test)") == (
        f"✗ Slack bot token (auth.test): {dns} — the name slack.invalid does not resolve; "
        "check SLACK_API_URL and the pod's DNS"
    )
    assert line_of(lines, "AWS credentials (sts:GetCallerIdentity)") == (
        f"✗ AWS credentials (sts:GetCallerIdentity): {dns} — the name aws.invalid does not "
        "resolve; check AWS_REGION (and AWS_ENDPOINT_URL, if set) and the pod's DNS"
    )
    assert line_of(lines, "PrivateBin") == (
        f"✗ PrivateBin: {dns} — the name paste.invalid does not resolve; check "
        "PRIVATEBIN_URL and the pod's DNS"
    )
    assert line_of(lines, f"PagerDuty schedule {SCHEDULE}") == (
        f"✗ PagerDuty schedule {SCHEDULE}: {dns} — the name pagerduty.invalid does not "
        "resolve; check PAGERDUTY_API_URL and the pod's DNS"
    )
    assert_not_checked(lines, "Slack", "Slack could not be reached (DNS)")
    assert_not_checked(lines, "AWS", "AWS could not be reached (DNS)")


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_postgres(tls_pair: KeyPair) -> Iterator[PostgresServer]:
    """A PostgreSQL of its own (the session's one stays plain) presenting tls_pair."""
    server = start_postgres()
    try:
        enable_postgres_tls(server, tls_pair)
        yield server
    finally:
        destroy(server)


async def test_certificates_that_do_not_verify_are_tls_failures(
    tmp_path: Path, tls_pair: KeyPair, tls_postgres: PostgresServer
) -> None:
    async with HttpsServer(tls_pair) as https:
        where = f"127.0.0.1:{https.port}"
        lines = await check_online(
            tmp_path,
            **reaching(
                tmp_path,
                slack=f"{https.url}/api/",
                aws=https.url,
                privatebin=f"{https.url}/",
                store=tls_postgres.url("postgres") + "?ssl=verify-full",
                pagerduty=https.url,
            ),
            # verify-full checks the certificate against PGSSLROOTCERT, which did not sign it
            PGSSLROOTCERT=certifi.where(),
        )
    tls = "unreachable (TLS)"
    assert line_of(lines, "state store") == (
        f"✗ state store: {tls} — the certificate of the state store at 127.0.0.1:"
        f"{tls_postgres.port}/postgres does not verify (self-signed certificate); check the "
        "host in DATABASE_URL and that PGSSLROOTCERT holds the CA that signed it (for RDS: "
        "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)"
    )
    verify = f"the certificate of {where} does not verify (self-signed certificate)"
    assert line_of(lines, "Slack bot token (auth.test)") == (
        f"✗ Slack bot token (auth.test): {tls} — {verify}; check SLACK_API_URL, and if a proxy "
        "inspects TLS, put its CA in SSL_CERT_FILE"
    )
    assert line_of(lines, "AWS credentials (sts:GetCallerIdentity)").startswith(
        f"✗ AWS credentials (sts:GetCallerIdentity): {tls} — {verify}; "
    )
    assert line_of(lines, "AWS credentials (sts:GetCallerIdentity)").endswith(
        "put its CA in AWS_CA_BUNDLE"
    )
    assert line_of(lines, "PrivateBin") == (
        f"✗ PrivateBin: {tls} — {verify}; check PRIVATEBIN_URL, and if a proxy inspects TLS, put "
        "its CA in SSL_CERT_FILE"
    )
    assert line_of(lines, f"PagerDuty schedule {SCHEDULE}") == (
        f"✗ PagerDuty schedule {SCHEDULE}: {tls} — {verify}; check PAGERDUTY_API_URL, and if a "
        "proxy inspects TLS, put its CA in SSL_CERT_FILE"
    )
    assert_not_checked(lines, "Slack", "Slack could not be reached (TLS)")
    assert_not_checked(lines, "AWS", "AWS could not be reached (TLS)")


async def test_refused_tokens_are_told_from_an_unreachable_slack_or_aws(
    tmp_path: Path,
    moto_server: MotoServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    installed = {"bot_token": "xoxb-the-installed-one", "app_token": "xapp-the-installed-one"}
    async with SlackEmulator(**installed) as emu, PagerDutyEmulator() as pagerduty:
        pagerduty.add_schedule(SCHEDULE, "DBA primary")
        with moto_server.checking_credentials():
            lines = await check_online(
                tmp_path,
                **reaching(
                    tmp_path,
                    slack=emu.api_url,
                    aws=moto_server.url,
                    privatebin=privatebin_server.url,
                    store=state_url,
                    pagerduty=pagerduty.base_url,
                ),
            )
    rejected = "Slack said 'invalid_auth' (the token is wrong or belongs to another workspace)"
    assert line_of(lines, "Slack bot token (auth.test)") == (
        f"✗ Slack bot token (auth.test): token rejected — {rejected}; reinstall the app and "
        "copy its Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
    )
    assert line_of(lines, "Slack app token (apps.connections.open)") == (
        f"✗ Slack app token (apps.connections.open): token rejected — {rejected}; create an "
        "app-level token with connections:write (Basic Information → App-Level Tokens), put "
        "it in SLACK_APP_TOKEN, and turn Socket Mode on"
    )
    assert line_of(lines, "approvals channels") == (
        "– approvals channels: not checked — Slack refused the bot token"
    )
    assert line_of(lines, "AWS credentials (sts:GetCallerIdentity)") == (
        "✗ AWS credentials (sts:GetCallerIdentity): credentials rejected — AWS said "
        "'InvalidClientTokenId' (the access key does not exist or was deleted); give the pod "
        "its IRSA role (the ServiceAccount's eks.amazonaws.com/role-arn) or fix "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    )
    assert_not_checked(lines, "AWS", "AWS refused the bot's credentials")
    assert line_of(lines, "state store").startswith("✓ state store: ")
    assert line_of(lines, "PrivateBin") == "✓ PrivateBin: the JSON API answers"
    assert line_of(lines, f"PagerDuty schedule {SCHEDULE}").startswith("✓ ")
    assert lines[-1] == "3 of 6 online checks passed; 4 not checked"
