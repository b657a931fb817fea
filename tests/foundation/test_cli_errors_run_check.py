"""`run` on bad settings stops with one line; `check` lists every problem at once."""

from pathlib import Path

import certifi
import pytest

from tests.foundation.test_cli import EXAMPLE, GOOD_ENV, cli
from tests.support.cli_failures import PASSWORD, UNREADABLE, one_line, refused_url
from tests.support.fixtures_postgres import fresh_database
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer


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


def test_check_online_names_an_empty_aws_ca_bundle_instead_of_calling_it_a_bug(
    tmp_path: Path,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = cli(
        "check",
        "--online",
        cwd=tmp_path,
        DB_ACCESS_CATALOG=str(EXAMPLE),
        SLACK_API_URL=dead + "/api/",
        AWS_CA_BUNDLE="",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_MAX_ATTEMPTS="1",
        **{**GOOD_ENV, "PRIVATEBIN_URL": dead},
    )
    # The catalog's warnings come first on stderr; the problem is the last line.
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert "AWS configuration" in line and "AWS_CA_BUNDLE" in line and "unset" in line
    assert "a bug" not in line
