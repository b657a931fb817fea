"""Real target databases: users made at grant time, their sessions ended at revocation."""

import asyncio
import itertools
import ssl
from datetime import timedelta

import asyncpg
import pymysql
import pytest

from bot.catalog.database import DatabaseSpec
from bot.domain import AdminLogin, GrantStatus
from bot.slack.actions import ActionId
from providers.database_admin import DatabaseAdminRouter
from providers.mysql_admin import MysqlAdmin
from providers.postgres_admin import PostgresAdmin
from scheduler.sweeps import Sweeper
from tests.scheduler.support import MovableClock, audit, catalog_with, grant
from tests.support import catalogs
from tests.support.fakes import FakeIam, FakeMinter, FakeShare
from tests.support.harness import BotHarness, Providers
from tests.support.mariadb_server import MariadbServer
from tests.support.pg_target import rds_like_target
from tests.support.postgres_server import PostgresServer

ADMIN_PASSWORD = "Sched-Adm1n-never-shown"
USER_PASSWORD = "stand-in-user-pw"
STAND_IN_AUTH = f"IDENTIFIED BY '{USER_PASSWORD}'"
_ids = itertools.count()


class FakeSecrets:
    """AdminSecrets handing out one fixed admin login."""

    def __init__(self, username: str) -> None:
        self.login = AdminLogin(username=username, password=ADMIN_PASSWORD)

    async def admin_login(self, database: DatabaseSpec) -> AdminLogin:
        return self.login


def harness(
    state_url: str, database: str, changes: dict, dbadmin: DatabaseAdminRouter, db_user: str
) -> BotHarness:
    identity = {
        "principal": "arn:aws:iam::{account_id}:role/DatabasesRole_{handle}",
        "db_user": db_user,
    }
    data = catalog_with({database: changes}, identity=identity)
    return BotHarness(
        state_url,
        catalog=catalogs.make_catalog(data),
        providers=Providers(iam=FakeIam(), minter=FakeMinter(), dbadmin=dbadmin, share=FakeShare()),
    )


async def revoke_at_end(h: BotHarness, clock: MovableClock, grant_id: str) -> None:
    row = await grant(h.workflow.d, grant_id)
    assert row.expires_at is not None
    clock.move_to(row.expires_at + timedelta(seconds=1))
    assert await Sweeper(h.workflow.d).run() == 1


def ended_dm(h: BotHarness, grant_id: str) -> str:
    [text] = [m.text for m in h.emu.dms_to(catalogs.DEV) if f"Access `{grant_id}`" in m.text]
    return text


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_target(postgres_server: PostgresServer) -> tuple[str, str]:
    """A target database with RDS-like roles and an admin; returns (dbname, admin)."""
    server = postgres_server
    admin = f"sched_admin_{next(_ids)}"
    dbname = rds_like_target(server, prefix="sched_target", admin=admin, password=ADMIN_PASSWORD)
    server.psql("CREATE TABLE orders (id int)", dbname)
    return dbname, admin


async def test_postgres_user_is_made_at_grant_and_its_session_ended_at_revoke(
    state_url: str, clock: MovableClock, postgres_server: PostgresServer, pg_target: tuple[str, str]
) -> None:
    dbname, admin = pg_target
    suffix = next(_ids)
    router = DatabaseAdminRouter(PostgresAdmin(FakeSecrets(admin)), MysqlAdmin(FakeSecrets(admin)))
    changes = {
        "host": "127.0.0.1",
        "port": postgres_server.port,
        "dbname": dbname,
        "levels": {"ro": {"grants": ["app_reader"]}},
        "terminate_sessions": True,
    }
    async with harness(
        state_url, "orders-prod", changes, router, f"{{handle}}_{{level}}_s{suffix}"
    ) as h:
        h.workflow.d.clock = clock
        await h.command("request orders-prod ro 1h checking INC-11")
        [request] = await h.requests()
        await h.click_card(request.id, ActionId.APPROVE, catalogs.APPROVER)
        [made] = await h.grants()
        assert made.status == GrantStatus.ACTIVE, h.emu.transcript()
        user = made.db_user
        assert (
            postgres_server.psql(
                f"SELECT rolcanlogin, pg_has_role('{user}', 'rds_iam', 'MEMBER'),"
                f" pg_has_role('{user}', 'app_reader', 'MEMBER') FROM pg_roles"
                f" WHERE rolname = '{user}'"
            )
            == "t|t|t"
        )
        # The test cluster trusts loopback logins, standing in for an IAM token.
        session = await asyncpg.connect(
            host="127.0.0.1", port=postgres_server.port, user=user, database=dbname
        )
        try:
            assert await session.fetchval("SELECT count(*) FROM orders") == 0
            await revoke_at_end(h, clock, made.id)
            for _ in range(200):  # the backend exits asynchronously after the signal
                if session.is_closed():
                    break
                await asyncio.sleep(0.025)
            assert session.is_closed()
        finally:
            session.terminate()
        [event] = await audit(h.workflow.d, "grant.revoked", made.id)
        assert event.details["sessions_ended"] == 1
        assert "1 open session(s) were ended" in ended_dm(h, made.id)
        assert (await grant(h.workflow.d, made.id)).sessions_ended == 1


# ---------------------------------------------------------------- MariaDB


def mariadb_admin(server: MariadbServer) -> str:
    """A password admin like RDS's master user, allowed to kill other users' sessions."""
    name = f"sched_admin_{next(_ids)}"
    server.sql(f"CREATE USER {name}@'%' IDENTIFIED BY '{ADMIN_PASSWORD}'")
    server.sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON *.* TO {name}@'%' WITH GRANT OPTION")
    server.sql(f"GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO {name}@'%'")
    return name


def mysql_changes(server: MariadbServer) -> dict:
    dbname = f"sched_target_{next(_ids)}"
    server.sql(f"CREATE DATABASE {dbname}")
    server.sql(f"CREATE TABLE {dbname}.events (id INT)")
    return {
        "host": server.host,
        "port": server.port,
        "dbname": dbname,
        "terminate_sessions": True,
        "admin": {
            "secret_arn": f"arn:aws:secretsmanager:eu-west-1:{catalogs.ACCOUNT}:"
            "secret:analytics-admin-AbCdEf"
        },
    }


async def test_mariadb_user_is_granted_and_its_sessions_killed_at_revoke(
    state_url: str, clock: MovableClock, mariadb_server: MariadbServer
) -> None:
    server = mariadb_server
    admin = MysqlAdmin(FakeSecrets(mariadb_admin(server)), auth_clause=STAND_IN_AUTH)
    router = DatabaseAdminRouter(admin, admin)
    changes = mysql_changes(server)
    async with harness(
        state_url, "analytics", changes, router, f"{{handle}}_{{level}}_m{next(_ids)}"
    ) as h:
        h.workflow.d.clock = clock
        await h.command("request analytics ro 1h weekly numbers")  # auto-approved
        [made] = await h.grants()
        assert made.status == GrantStatus.ACTIVE, h.emu.transcript()
        grants = " ".join(row[0] for row in server.sql(f"SHOW GRANTS FOR {made.db_user}@'%'"))
        assert "GRANT SELECT ON" in grants and changes["dbname"].replace("_", "\\_") in grants
        tls = ssl.create_default_context(cafile=str(server.ca_file))
        held = [
            pymysql.connect(
                host=server.tls_host,
                port=server.port,
                user=made.db_user,
                password=USER_PASSWORD,
                database=changes["dbname"],
                ssl=tls,
            )
            for _ in range(2)
        ]
        await revoke_at_end(h, clock, made.id)
        for conn in held:
            with pytest.raises(pymysql.err.OperationalError):
                conn.query("SELECT 1")
        [event] = await audit(h.workflow.d, "grant.revoked", made.id)
        assert event.details["sessions_ended"] == 2
        assert "2 open session(s) were ended" in ended_dm(h, made.id)


async def test_mariadb_without_the_iam_plugin_tells_the_requester_how_to_fix_it(
    state_url: str, clock: MovableClock, mariadb_server: MariadbServer
) -> None:
    admin = MysqlAdmin(FakeSecrets(mariadb_admin(mariadb_server)))  # the real IAM auth clause
    async with harness(
        state_url,
        "analytics",
        mysql_changes(mariadb_server),
        DatabaseAdminRouter(admin, admin),
        "{handle}_{level}_nop",
    ) as h:
        h.workflow.d.clock = clock
        await h.command("request analytics ro 1h weekly numbers")
        told = "\n".join(m.text for m in h.emu.dms_to(catalogs.DEV))
        assert "IAM database authentication is not enabled on analytics" in told, told
        assert "--enable-iam-database-authentication" in told
        assert ADMIN_PASSWORD not in h.emu.transcript()
        [failed] = await h.grants()  # undone at once: nothing half-made stays behind
        assert (failed.status, failed.revoke_reason) == (GrantStatus.REVOKED, "grant_failed")
        assert not h.iam.has(failed.principal_arn, failed.id)
        assert (
            mariadb_server.sql("SELECT 1 FROM mysql.user WHERE User = 'alice_smith_ro_nop'") == []
        )
