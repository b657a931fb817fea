"""Operator mistakes end in one line naming the problem and the fix, exit 2, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import certifi
import pytest

from tests.foundation.test_cli import EXAMPLE, GOOD_ENV, ROOT, cli
from tests.support.fixtures_postgres import fresh_database
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer

PASSWORD = "Sup3r-s3cret-pw"  # a test value that must never be echoed
UNREADABLE = "not a url"


def refused_url() -> str:
    """A PostgreSQL URL on a loopback port nothing listens on."""
    return f"postgresql+asyncpg://bot:{PASSWORD}@127.0.0.1:{free_port()}/state"


def one_line(result, *expected: str) -> str:  # type: ignore[no-untyped-def]
    """The single stderr line of a failed command, checked for exit 2 and each expected part."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    assert PASSWORD not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, output
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


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


def run_env(url: str) -> dict[str, str]:
    """Settings good enough for `run` to get as far as the state store."""
    return {
        **GOOD_ENV,
        "DB_ACCESS_CATALOG": str(EXAMPLE),
        "DATABASE_URL": url,
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "HEALTH_PORT": str(free_port()),
    }


def test_run_on_an_unreachable_store(tmp_path: Path) -> None:
    one_line(
        cli("run", cwd=tmp_path, **run_env(refused_url())),
        "db-access-bot run: cannot reach the state store",
    )


def test_run_on_a_store_without_schema(tmp_path: Path, postgres_server: PostgresServer) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "bare"))
    one_line(cli("run", cwd=tmp_path, **run_env(url)), "has no schema yet", "db-access-bot migrate")


def test_run_on_an_empty_default_store_creates_nothing(tmp_path: Path) -> None:
    env = run_env("")
    del env["DATABASE_URL"]
    one_line(cli("run", cwd=tmp_path, **env), "db-access-bot.sqlite3 does not exist")
    assert list(tmp_path.iterdir()) == []


def problems_of(result) -> list[str]:  # type: ignore[no-untyped-def]
    """The ✗ lines of a failed `check`, checked for exit 2 and no traceback or secret."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output and PASSWORD not in output, output
    return [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("✗")]


@pytest.mark.parametrize("command", [["check"], ["run"]])
def test_bad_database_url_is_a_listed_problem(tmp_path: Path, command: list[str]) -> None:
    result = cli(*command, cwd=tmp_path, **run_env(f"mysql://bot:{PASSWORD}@h/state"))
    assert problems_of(result) == [
        "✗ DATABASE_URL: driver 'mysql' is not supported; the state store is PostgreSQL or "
        "SQLite (use postgresql+asyncpg://user:password@host:5432/dbname or "
        "sqlite+aiosqlite:///file.sqlite3)"
    ]


def test_check_lists_every_settings_problem_at_once(tmp_path: Path) -> None:
    not_pem = tmp_path / "bundle.pem"
    not_pem.write_text("hello\n")
    bad_catalog = tmp_path / "catalog.yaml"
    bad_catalog.write_text(EXAMPLE.read_text().replace("engine: postgres", "engine: oracle"))
    result = cli(
        "check",
        cwd=tmp_path,
        HEALTH_PORT="http",
        SWEEP_INTERVAL="-1",
        RECONCILE_INTERVAL="soon",
        SLACK_BOT_TOKEN=f"xapp-{PASSWORD}",
        SLACK_APP_TOKEN=PASSWORD,
        PRIVATEBIN_URL="paste.example.com",
        RDS_CA_BUNDLE=str(not_pem),
        DATABASE_URL=UNREADABLE,
        DB_ACCESS_CATALOG=str(bad_catalog),
    )
    found = problems_of(result)
    assert f"{len(found)} problems found" in result.stderr
    named = [line.split(":", 1)[0].removeprefix("✗ ") for line in found]
    assert named == [
        "HEALTH_PORT",
        "SWEEP_INTERVAL",
        "RECONCILE_INTERVAL",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "DATABASE_URL",
        "PRIVATEBIN_URL",
        "RDS_CA_BUNDLE",
        "databases.orders-prod.engine",
    ]
    assert "looks like the token for SLACK_APP_TOKEN" in found[3]
    assert "does not start with xapp-" in found[4]
    assert "not a PEM certificate bundle" in found[7]


def test_check_accepts_a_real_ca_bundle_and_names_a_missing_one(tmp_path: Path) -> None:
    bundle = certifi.where()
    ok = cli(
        "check", cwd=tmp_path, DB_ACCESS_CATALOG=str(EXAMPLE), RDS_CA_BUNDLE=bundle, **GOOD_ENV
    )
    assert ok.returncode == 0, ok.stderr
    missing = cli(
        "check",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(EXAMPLE),
        RDS_CA_BUNDLE=str(tmp_path / "gone.pem"),
        **GOOD_ENV,
    )
    [line] = problems_of(missing)
    assert "gone.pem does not exist" in line and "truststore.pki.rds.amazonaws.com" in line


def test_check_online_reports_a_store_without_schema(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url(fresh_database(postgres_server, "bare"))
    dead = f"http://127.0.0.1:{free_port()}"
    result = cli(
        "check",
        "--online",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(EXAMPLE),
        DATABASE_URL=url,
        SLACK_API_URL=dead + "/api/",
        AWS_ENDPOINT_URL=dead,
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_MAX_ATTEMPTS="1",
        **{**GOOD_ENV, "PRIVATEBIN_URL": dead},
    )
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    [store] = [line for line in result.stdout.splitlines() if "state store" in line]
    assert store.startswith("✗ state store: ") and "db-access-bot migrate" in store


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
