"""The operator commands: check, manifest, iam-policy, migrate, audit --csv."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.catalog.model import load_catalog
from tests.support.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "catalog.example.yaml"
GOOD_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-test",
    "SLACK_APP_TOKEN": "xapp-test",
    "PRIVATEBIN_URL": "https://paste.example.com",
}


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot …` with a clean environment plus env."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_URL", "DB_ACCESS", "PRIVATEBIN"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
    )


def test_check_passes_with_one_line_summary(tmp_path: Path) -> None:
    result = cli("check", cwd=tmp_path, DB_ACCESS_CATALOG=str(EXAMPLE), **GOOD_ENV)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "2 databases" in lines[0] and "settings ok" in lines[0]


def test_check_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text(
        EXAMPLE.read_text()
        .replace("engine: postgres", "engine: oracle")
        .replace("[15m, 1h, 4h, 8h]", "[15m, 90x]")
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli(
        "check",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(bad),
        SLACK_BOT_TOKEN="not-a-token",
        PRIVATEBIN_URL="https://p.example.com",
    )
    assert result.returncode == 2
    assert "4 problems found" in result.stderr
    for expected in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "databases.orders-prod.engine: 'oracle' is not an engine",
        "databases.orders-prod.durations[1]: '90x' is not a duration",
    ):
        assert expected in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_online_reports_unreachable_systems(tmp_path: Path) -> None:
    from tests.support.ports import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    result = cli(
        "check",
        "--online",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(EXAMPLE),
        SLACK_API_URL=dead + "/api/",
        AWS_ENDPOINT_URL=dead,
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_MAX_ATTEMPTS="1",
        **{**GOOD_ENV, "PRIVATEBIN_URL": dead},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "✗ Slack bot token (auth.test)" in result.stdout
    assert "✗ AWS credentials (sts:GetCallerIdentity)" in result.stdout
    assert "✗ PrivateBin" in result.stdout


def test_manifest_has_socket_mode_command_and_scopes(tmp_path: Path) -> None:
    result = cli("manifest", cwd=tmp_path)
    assert result.returncode == 0
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/db-access"]
    # Mentions arrive as <@U…|name>: how an admin names the person a request is for.
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "channels:history",
        "groups:history",
        "im:history",
        "channels:read",
        "groups:read",
    }


def test_iam_policy_resources_come_from_the_catalog(tmp_path: Path) -> None:
    result = cli("iam-policy", cwd=tmp_path, DB_ACCESS_CATALOG=str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    catalog = load_catalog(EXAMPLE)
    orders = catalog.databases["orders-prod"]
    assert by_sid["ManageGrantPolicies"]["Resource"] == [
        f"arn:aws:iam::{orders.account_id}:role/DatabasesRole_*"
    ]
    assert set(by_sid["ManageGrantPolicies"]["Action"]) == {
        "iam:GetRole",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
    }
    assert by_sid["ReconcileInPages"] == {
        "Sid": "ReconcileInPages",
        "Effect": "Allow",
        "Action": ["iam:GetAccountAuthorizationDetails"],
        "Resource": ["*"],
    }
    assert {"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"} == set(
        by_sid["MintTokensAsTheUser"]["Action"]
    )
    assert by_sid["DescribeDBInstances"]["Resource"] == [
        f"arn:aws:rds:{orders.region}:{orders.account_id}:db:{orders.instance_id}"
    ]
    assert by_sid["ReadAdminSecrets"]["Resource"] == [orders.admin.secret_arn]
    manage = catalog.accounts["210987654321"].manage_role_arn
    assert by_sid["AssumeManageRoles"]["Resource"] == [manage]
    other = cli(
        "iam-policy", "--account", "210987654321", cwd=tmp_path, DB_ACCESS_CATALOG=str(EXAMPLE)
    )
    other_sids = {s["Sid"]: s for s in json.loads(other.stdout)["Statement"]}
    assert other_sids["ManageGrantPolicies"]["Resource"] == [
        "arn:aws:iam::210987654321:role/DatabasesRole_*"
    ]
    assert other_sids["ReconcileInPages"]["Action"] == ["iam:GetAccountAuthorizationDetails"]


def test_migrate_then_audit_csv(tmp_path: Path, postgres_server: PostgresServer) -> None:
    from tests.support.fixtures_postgres import fresh_database

    url = postgres_server.url(fresh_database(postgres_server, "cli"))
    migrated = cli("migrate", cwd=tmp_path, DATABASE_URL=url)
    assert migrated.returncode == 0, migrated.stderr
    assert "is at revision head" in migrated.stdout
    asyncio.run(
        _audit_rows(
            url,
            [
                (timedelta(0), "U1", "request.submitted", "orders-prod", {"reason": 'a, "quoted"'}),
                (timedelta(days=30), "U2", "grant.revoked", "analytics", {}),
            ],
        )
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "--csv", "--since", "7d"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        env={**base, "PYTHONPATH": str(ROOT), "DATABASE_URL": url},
    )
    assert result.returncode == 0, result.stderr
    rows = result.stdout.decode().split("\r\n")
    assert rows[0] == "id,at,actor,action,database,request_id,grant_id,details"
    assert len([r for r in rows if r]) == 2
    assert '"{""reason"": ""a, \\""quoted\\""""}"' in rows[1]


AuditRow = tuple[timedelta, str, str, str, dict[str, Any]]


async def _audit_rows(url: str, rows: list[AuditRow]) -> None:
    """Audit rows written the way the bot writes them (chained), each some time ago."""
    from bot.store import audit_repo
    from bot.store.engine import make_engine, make_sessions

    engine = make_engine(url)
    try:
        async with make_sessions(engine)() as session, session.begin():
            for ago, actor, action, database, details in rows:
                await audit_repo.add_audit(
                    session,
                    at=datetime.now(UTC) - ago,
                    actor=actor,
                    action=action,
                    database=database,
                    details=details,
                )
    finally:
        await engine.dispose()
