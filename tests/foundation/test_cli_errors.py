"""Operator mistakes end in one line naming the problem and the fix, exit 2, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.foundation.test_cli import ROOT, cli
from tests.support.cli_failures import PASSWORD, UNREADABLE, one_line, refused_url
from tests.support.fixtures_postgres import fresh_database
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (UNREADABLE, "DATABASE_URL: not a database URL"),
        (f"mysql://bot:{PASSWORD}@db.example.com/state", "driver 'mysql' is not supported"),
        (f"postgresql://bot:{PASSWORD}@db.example.com/state", "write postgresql+asyncpg://"),
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["audit", "--csv"]])
def test_unusable_database_url(tmp_path: Path, command: list[str], url: str, expected: str) -> None:
    one_line(cli(*command, cwd=tmp_path, DATABASE_URL=url), expected, "postgresql+asyncpg://")


@pytest.mark.parametrize("command", [["migrate"], ["audit", "--csv"]])
def test_unreachable_store(tmp_path: Path, command: list[str]) -> None:
    line = one_line(
        cli(*command, cwd=tmp_path, DATABASE_URL=refused_url()),
        "cannot reach the state store at 127.0.0.1:",
        "Connection refused",
        "check DATABASE_URL",
    )
    assert line.startswith(f"db-access-bot {command[0]}: ")


def test_unknown_host(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://bot:{PASSWORD}@no-such-host.invalid/state"
    one_line(
        cli("migrate", cwd=tmp_path, DATABASE_URL=url),
        "cannot find the state store host 'no-such-host.invalid'",
    )


def test_missing_database(tmp_path: Path, postgres_server: PostgresServer) -> None:
    url = postgres_server.url("no_such_database")
    one_line(
        cli("migrate", cwd=tmp_path, DATABASE_URL=url),
        "no_such_database does not exist",
        "CREATE DATABASE no_such_database",
    )


def test_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/nowhere/state.sqlite3"
    one_line(
        cli("migrate", cwd=tmp_path, DATABASE_URL=url), f"{tmp_path}/nowhere", "does not exist"
    )


def test_unknown_revision(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/state.sqlite3"
    one_line(
        cli("migrate", "--revision", "nope", cwd=tmp_path, DATABASE_URL=url),
        "--revision nope: no such revision",
    )


def test_migrate_refuses_a_schema_newer_than_it_knows(
    tmp_path: Path, state_url: str, postgres_server: PostgresServer
) -> None:
    postgres_server.psql(
        "UPDATE alembic_version SET version_num = 'from_the_future'", state_url.rsplit("/", 1)[1]
    )
    one_line(
        cli("migrate", cwd=tmp_path, DATABASE_URL=state_url),
        "schema revision from_the_future, newer than this db-access-bot knows",
    )


def test_audit_on_a_store_without_schema_suggests_migrate(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "bare"))
    result = cli("audit", "--csv", cwd=tmp_path, DATABASE_URL=url)
    one_line(result, "has no schema yet", "db-access-bot migrate")
    assert result.stdout == ""


def test_audit_on_the_default_path_creates_nothing(tmp_path: Path) -> None:
    result = cli("audit", "--csv", cwd=tmp_path)
    one_line(result, "db-access-bot.sqlite3 does not exist", "db-access-bot migrate")
    assert list(tmp_path.iterdir()) == []


def test_audit_bad_since_touches_nothing(tmp_path: Path) -> None:
    result = cli("audit", "--csv", "--since", "7x", cwd=tmp_path)
    one_line(result, "--since '7x' is not a duration (use 15m, 1h, 8h, 1d)")
    assert list(tmp_path.iterdir()) == []


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # like `| head` that has already gone
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "manifest"],
            cwd=tmp_path,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.close(writer)
    assert result.returncode == 1 and result.stderr == "", result.stderr


def test_an_unexpected_error_line_carries_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import _scrubbed

    url = f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com/state"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234-abcdef")
    text = _scrubbed(
        f"failed on {url} with xoxb-1234-abcdef and postgresql://u:{PASSWORD}@other/db"
    )
    assert PASSWORD not in text and "xoxb-1234-abcdef" not in text
    assert "<DATABASE_URL>" in text and "<SLACK_BOT_TOKEN>" in text


@pytest.mark.parametrize(
    ("ca_file", "expected"),
    [
        ("/nonexistent/root.crt", "the CA file PGSSLROOTCERT names does not exist"),
        ("", '.postgresql/root.crt" does not exist'),
    ],
)
def test_verify_full_without_its_ca_file_is_not_called_unreachable(
    tmp_path: Path, ca_file: str, expected: str
) -> None:
    url = f"postgresql+asyncpg://bot:{PASSWORD}@127.0.0.1:{free_port()}/state?ssl=verify-full"
    result = cli(
        "migrate", cwd=tmp_path, DATABASE_URL=url, PGSSLROOTCERT=ca_file, HOME=str(tmp_path)
    )
    line = one_line(
        result,
        "cannot verify the state store's certificate: ",
        expected,
        "set PGSSLROOTCERT to the CA bundle",
    )
    assert "cannot reach" not in line
