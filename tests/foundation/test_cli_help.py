"""--version, what each command's --help tells, and the argument checks of iam-policy and audit."""

import asyncio
import importlib.metadata
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from tests.foundation.test_cli import EXAMPLE, _audit_rows, cli
from tests.support.cli_failures import one_line

EVERY_SETTING = {name.upper() for name in Settings.model_fields}
# What each command's help must say it does, and exactly which settings it reads.
COMMANDS = {
    "run": ("Socket Mode", EVERY_SETTING),
    "check": ("without changing anything", EVERY_SETTING),
    "migrate": ("schema", {"DATABASE_URL"}),
    "audit": ("audit trail as CSV", {"DATABASE_URL", "DB_ACCESS_CATALOG"}),
    "iam-policy": ("least-privilege IAM policy", {"DB_ACCESS_CATALOG"}),
    "manifest": ("Slack app manifest", set()),
    "catalog-schema": ("JSON Schema", set()),
}
SETTINGS_HEADING = "settings (environment):"


def settings_in(help_text: str) -> set[str]:
    """The names listed under the help's settings heading."""
    if SETTINGS_HEADING not in help_text:
        return set()
    section = help_text.split(SETTINGS_HEADING, 1)[1].split("\n\n", 1)[0]
    return {
        line.split()[0]
        for line in section.splitlines()
        if line.startswith("  ") and not line.startswith("   ") and line.split()[0].isupper()
    }


def test_version_is_the_installed_packages(tmp_path: Path) -> None:
    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"db-access-bot {importlib.metadata.version('db-access-bot')}\n"


def test_top_level_help_lists_every_command_and_the_version(tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert re.search(rf"^    {command}\b", result.stdout, re.MULTILINE), result.stdout
    assert "--version" in result.stdout
    assert "COMMAND --help" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_says_what_it_does_and_which_settings_it_reads(
    tmp_path: Path, command: str
) -> None:
    result = cli(command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    does, reads = COMMANDS[command]
    description = result.stdout.split("\n\n")[1]  # argparse: usage, description, options…
    assert does in " ".join(description.split()), result.stdout
    assert settings_in(result.stdout) == reads, result.stdout
    if not reads:
        assert "It reads no settings." in result.stdout


def test_run_help_gives_each_settings_default_or_says_it_is_required(tmp_path: Path) -> None:
    text = cli("run", "--help", cwd=tmp_path).stdout
    section = " ".join(text.split(SETTINGS_HEADING, 1)[1].split())
    for expected in (
        "SLACK_BOT_TOKEN xoxb-… bot token (required)",
        "PRIVATEBIN_URL PrivateBin base URL (required)",
        "DATABASE_URL state store URL (default: sqlite+aiosqlite:///db-access-bot.sqlite3)",
        "RDS_CA_BUNDLE CA bundle verifying admin connections to RDS (PEM path) (optional)",
        "AWS credentials come from the standard chain",
    ):
        assert expected in section, section


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("db-access-bot", "is not an IAM role ARN; write arn:aws:iam::<account id>:role/<name>"),
        ("arn:aws:iam::12345:role/bot", "is not an IAM role ARN"),
        ("arn:aws:iam::123456789012:role/", "is not an IAM role ARN"),
        ("arn:aws:iam::123456789012:user/bot", "names an IAM user; the bot runs as a role"),
        (
            "arn:aws:sts::123456789012:assumed-role/db-access-bot/i-0abc",
            "is a session of a role; give the role itself: "
            "arn:aws:iam::123456789012:role/db-access-bot (with its path, if it has one)",
        ),
    ],
)
def test_trust_for_refuses_what_is_not_a_role_arn(tmp_path: Path, arn: str, expected: str) -> None:
    result = cli("iam-policy", "--trust-for", arn, cwd=tmp_path)
    one_line(result, f"db-access-bot iam-policy: --trust-for {arn!r} {expected}")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/db-access-bot",
        "arn:aws:iam::123456789012:role/service-role/eks/db-access-bot",
        "arn:aws-us-gov:iam::123456789012:role/db-access-bot",
    ],
)
def test_trust_for_accepts_role_arns(tmp_path: Path, arn: str) -> None:
    result = cli("iam-policy", "--trust-for", arn, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Statement"][0]["Principal"] == {"AWS": arn}


def seed_events(state_url: str) -> None:
    asyncio.run(
        _audit_rows(
            state_url,
            [
                (timedelta(0), "U1", "request.submitted", "orders-prod", {}),
                (timedelta(0), "U2", "grant.revoked", "analytics", {}),
            ],
        )
    )


def test_audit_refuses_an_unknown_database_and_names_the_known_ones(
    tmp_path: Path, state_url: str
) -> None:
    seed_events(state_url)
    env = {"DATABASE_URL": state_url, "DB_ACCESS_CATALOG": str(EXAMPLE)}
    result = cli("audit", "--csv", "--db", "order-prod", cwd=tmp_path, **env)
    one_line(
        result,
        "db-access-bot audit: --db 'order-prod' is not a database of the audit trail or the "
        "catalog; known: analytics, billing-aurora, orders-prod",
    )
    assert result.stdout == ""
    # Known from the catalog alone: no events yet is an empty export, not an error.
    quiet = cli("audit", "--csv", "--db", "billing-aurora", cwd=tmp_path, **env)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.splitlines() == ["id,at,actor,action,database,request_id,grant_id,details"]
    # Known from the trail alone: a database removed from the catalog keeps its history.
    gone = cli("audit", "--csv", "--db", "analytics", cwd=tmp_path, **env)
    assert gone.returncode == 0, gone.stderr
    assert ",U2,grant.revoked,analytics," in gone.stdout


def test_audit_without_a_catalog_knows_the_trails_databases(tmp_path: Path, state_url: str) -> None:
    seed_events(state_url)
    result = cli("audit", "--csv", "--db", "billing-aurora", cwd=tmp_path, DATABASE_URL=state_url)
    one_line(
        result,
        "--db 'billing-aurora' is not a database of the audit trail or the catalog; known: "
        "analytics, orders-prod",
    )
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_the_readme_commands_table_lists_exactly_the_commands() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    listed = re.findall(r"^\| `db-access-bot ([\w-]+)", table, re.MULTILINE)
    assert set(listed) == {*COMMANDS, "--version"}
