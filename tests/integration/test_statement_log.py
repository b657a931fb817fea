"""Statements on record: a level's log_statements makes the real PostgreSQL log what the
granted user runs, under that user's name, until the user's last grant ends."""

import itertools
from collections.abc import Iterator

import asyncpg
import pytest

from bot.catalog.schema import parse_catalog
from bot.domain import StatementLog
from bot.errors import DatabaseAdminError
from providers.postgres_admin import PostgresAdmin
from tests.integration.real_parts import ADMIN_PASSWORD, RealSetup, real_setup
from tests.integration.test_grant_delivery import grant_through_slack
from tests.support import catalogs
from tests.support.fakes import FakeDbAdmin
from tests.support.fixtures_privatebin import PrivateBinProcess
from tests.support.harness import BotHarness
from tests.support.pg_target import rds_like_target
from tests.support.postgres_server import PostgresServer, destroy, start_postgres

USER = "alice_smith_ro"
_marks = itertools.count()


def ddl_logged(data: dict) -> None:
    data["databases"]["orders-prod"]["levels"]["ro"]["log_statements"] = "ddl"


async def run_as_user(server: PostgresServer, dbname: str, *statements: str) -> None:
    """What Alice does with her access (the test target trusts loopback logins)."""
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user=USER, database=dbname)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def role_settings(server: PostgresServer, dbname: str) -> str:
    return server.psql(
        "SELECT coalesce(string_agg(array_to_string(s.setconfig, ','), ';'), '') "
        "FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
        f"WHERE r.rolname = '{USER}'",
        dbname,
    )


def logged_lines(server: PostgresServer, marker: str) -> list[str]:
    return [line for line in server.log_text().splitlines() if marker in line]


async def test_ddl_of_the_granted_user_is_in_the_server_log_under_their_name(
    aws_env: object,
    postgres_server: PostgresServer,
    privatebin_server: PrivateBinProcess,
    state_url: str,
) -> None:
    setup = real_setup(postgres_server, privatebin_server.url, tweak=ddl_logged)
    target = setup.target_db
    async with BotHarness(state_url, catalog=setup.catalog, providers=setup.providers) as h:
        await grant_through_slack(h)
        [grant] = await h.grants()
        assert grant.status == "active", h.emu.transcript()
        assert role_settings(postgres_server, target) == "log_statement=ddl"
        [active] = await h.audit("grant.active")
        assert active.details["statements_logged"] == "ddl statements (log_statement = 'ddl')"

        mark = f"stmt_mark_{next(_marks)}"
        await run_as_user(
            postgres_server,
            target,
            f"CREATE TEMP TABLE {mark} (id int)",
            f"SELECT 1 AS {mark}_read",
        )
        [line] = logged_lines(postgres_server, f"CREATE TEMP TABLE {mark}")
        assert f" {USER}@{target} " in line and "LOG:  statement:" in line
        assert logged_lines(postgres_server, f"{mark}_read") == []  # ddl only, not reads

        await h.command("audit orders-prod 1d", user_id=catalogs.ADMIN)
        [shown] = [e for e in h.emu.ephemerals_to(catalogs.ADMIN) if "grant.active" in str(e)]
        assert "statements logged: ddl statements (log_statement = 'ddl')" in str(shown.blocks)

        await h.command(f"revoke {grant.id}")
        [revoked] = await h.grants()
        assert revoked.status == "revoked", h.emu.transcript()
        assert role_settings(postgres_server, target) == ""
        after = f"stmt_after_{next(_marks)}"
        await run_as_user(postgres_server, target, f"CREATE TEMP TABLE {after} (id int)")
        assert logged_lines(postgres_server, after) == []


async def test_an_admin_without_set_privilege_gets_the_grant_to_run(
    aws_env: object, postgres_server: PostgresServer, privatebin_server: PrivateBinProcess
) -> None:
    setup: RealSetup = real_setup(postgres_server, privatebin_server.url, tweak=ddl_logged)
    postgres_server.psql(f"REVOKE SET ON PARAMETER log_statement FROM {setup.admin_user}")
    db = setup.catalog.databases["orders-prod"]
    await setup.providers.dbadmin.ensure_user(db, db_user=USER, level=db.levels["ro"])
    with pytest.raises(DatabaseAdminError) as refused:
        await setup.providers.dbadmin.log_statements(db, db_user=USER, setting=StatementLog.DDL)
    message = str(refused.value)
    assert "may not set log_statement for users" in message
    assert "GRANT SET ON PARAMETER log_statement TO" in message
    assert not refused.value.retryable and ADMIN_PASSWORD not in message


def test_mysql_refuses_anything_but_none() -> None:
    data = catalogs.catalog_data()
    data["databases"]["analytics"]["levels"]["ro"]["log_statements"] = "all"
    with pytest.raises(Exception, match="cannot be done on MySQL"):
        parse_catalog(data)


async def test_a_fake_admin_is_told_to_reset_when_the_last_grant_ends(state_url: str) -> None:
    data = catalogs.catalog_data()
    data["databases"]["orders-prod"]["levels"]["ro"]["log_statements"] = "mod"
    async with BotHarness(state_url, catalog=catalogs.make_catalog(data)) as h:
        await h.command("request orders-prod ro 1h INC-1")
        [request] = await h.requests()
        await h.click_card(request.id, "dab_approve", catalogs.APPROVER)
        admin: FakeDbAdmin = h.dbadmin
        assert admin.logging == {("orders-prod", USER): StatementLog.MOD}
        [grant] = await h.grants()
        assert grant.log_statements == "mod statements (log_statement = 'mod')"
        await h.command(f"revoke {grant.id}")
        assert admin.logging == {}


# --- pgaudit ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pgaudit_server() -> Iterator[PostgresServer]:
    """A cluster with pgaudit preloaded, as RDS has it once pgaudit is turned on."""
    server = start_postgres(["-c", "shared_preload_libraries=pgaudit"])
    try:
        yield server
    finally:
        destroy(server)


async def test_with_pgaudit_installed_the_user_gets_pgaudit_log_instead(
    aws_env: object, pgaudit_server: PostgresServer
) -> None:
    admin = "audit_admin"
    target = rds_like_target(pgaudit_server, prefix="audited", admin=admin, password=ADMIN_PASSWORD)
    pgaudit_server.psql("CREATE EXTENSION IF NOT EXISTS pgaudit", target)
    pgaudit_server.psql(f"GRANT SET ON PARAMETER pgaudit.log TO {admin}")
    data = catalogs.catalog_data()
    orders = data["databases"]["orders-prod"]
    orders.update(host="127.0.0.1", port=pgaudit_server.port, dbname=target)
    orders["levels"]["ro"].update(grants=["app_reader"], log_statements="mod")
    db = parse_catalog(data).databases["orders-prod"]

    class Login:
        async def admin_login(self, database: object) -> object:
            from bot.domain import AdminLogin

            return AdminLogin(admin, ADMIN_PASSWORD)

    pg = PostgresAdmin(Login())  # type: ignore[arg-type]
    await pg.ensure_user(db, db_user=USER, level=db.levels["ro"])
    assert (
        await pg.log_statements(db, db_user=USER, setting=StatementLog.MOD)
        == "mod statements (pgaudit.log = 'ddl, role, write')"
    )
    assert role_settings(pgaudit_server, target) == "pgaudit.log=ddl, role, write"
    mark = f"audited_{next(_marks)}"
    await run_as_user(
        pgaudit_server,
        target,
        f"CREATE TEMP TABLE {mark} (id int)",
        f"INSERT INTO {mark} VALUES (1)",
        f"SELECT 1 AS {mark}_read",
    )
    lines = logged_lines(pgaudit_server, mark)
    assert any(
        "AUDIT: SESSION" in line and ",DDL,CREATE TABLE," in line and f" {USER}@{target} " in line
        for line in lines
    ), lines
    assert any(",WRITE,INSERT," in line for line in lines), lines
    assert not any(f"{mark}_read" in line for line in lines)  # mod: no reads
    assert await pg.log_statements(db, db_user=USER, setting=StatementLog.NONE) == "nothing"
    assert role_settings(pgaudit_server, target) == ""
