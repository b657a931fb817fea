"""Fixtures: PostgreSQL and MariaDB target databases with an RDS-like admin login, per test."""
# Setup SQL here is built from names the tests generate themselves, never from input.

import asyncio
import itertools
from datetime import timedelta

import asyncpg
import pytest

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import AdminLogin, Engine, Level
from tests.support.mariadb_server import MariadbServer
from tests.support.pg_target import rds_like_target
from tests.support.postgres_server import PostgresServer

ADMIN_PASSWORD = "Adm1n-pa55-never-shown"
WRONG_PASSWORD = "Wr0ng-pa55-never-shown"
RO = LevelSpec(name=Level.RO, grants=("app_reader",))
MY_RO = LevelSpec(name=Level.RO, grants=("SELECT",))
MY_RW = LevelSpec(name=Level.RW, grants=("select, INSERT", "UPDATE", "DELETE"))
_ids = itertools.count()


def next_id() -> int:
    """A number no other target object of this test session has used."""
    return next(_ids)


class FakeSecrets:
    """AdminSecrets that hands out one fixed admin login."""

    def __init__(self, username: str, password: str) -> None:
        self.login = AdminLogin(username=username, password=password)

    async def admin_login(self, database: DatabaseSpec) -> AdminLogin:
        return self.login


def spec(
    engine: Engine, host: str, port: int, dbname: str, levels: dict[Level, LevelSpec] | None = None
) -> DatabaseSpec:
    """A catalog entry for a target database (one ro level unless levels are given)."""
    return DatabaseSpec(
        name=f"{engine}-target",
        account_id="123456789012",
        region="eu-west-1",
        engine=engine,
        host=host,
        port=port,
        dbname=dbname,
        levels=levels or {Level.RO: RO},
        durations=(timedelta(hours=1),),
        approvers=("U0DBA",),
        approvals_channel="C0APPROVALS",
        resource_id="db-TARGET",
    )


@pytest.fixture
async def pg(postgres_server: PostgresServer) -> tuple[DatabaseSpec, str]:
    """A fresh target database with RDS-like roles; returns it and the admin role's name."""
    server = postgres_server
    admin = f"dbaccess_admin_{next_id()}"
    dbname = rds_like_target(server, prefix="target", admin=admin, password=ADMIN_PASSWORD)
    server.psql("CREATE TABLE x (id int)", dbname)
    await _require_password(server, admin)
    return spec(Engine.POSTGRES, "127.0.0.1", server.port, dbname), admin


async def _require_password(server: PostgresServer, role: str) -> None:
    """The cluster trusts everyone; make just this role log in with its password."""
    hba = server.datadir / "pg_hba.conf"
    rules = "".join(f"host all {role} {net} scram-sha-256\n" for net in ("127.0.0.1/32", "::1/128"))
    hba.write_text(rules + hba.read_text())
    server.psql("SELECT pg_reload_conf()")
    for _ in range(200):  # the postmaster reloads asynchronously
        if not await try_login(server.port, role, WRONG_PASSWORD):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("pg_hba.conf reload did not take effect")


async def try_login(port: int, user: str, password: str) -> bool:
    """Whether user can log in to PostgreSQL with password."""
    try:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user=user, password=password, database="postgres"
        )
    except asyncpg.InvalidPasswordError:
        return False
    await conn.close()
    return True


def mariadb_admin(server: MariadbServer, *privileges: str) -> str:
    """A password admin like RDS's master user, plus extra global privileges."""
    name = f"dbaccess_admin_{next_id()}"
    server.sql(f"CREATE USER {name}@'%' IDENTIFIED BY '{ADMIN_PASSWORD}'")
    server.sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON *.* TO {name}@'%' WITH GRANT OPTION")
    server.sql(f"GRANT {', '.join(('CREATE USER', 'PROCESS', *privileges))} ON *.* TO {name}@'%'")
    return name


@pytest.fixture
def my(mariadb_server: MariadbServer) -> DatabaseSpec:
    """A fresh MariaDB database whose name has an _ (which must not act as a GRANT wildcard)."""
    dbname = f"target_{next_id()}"
    mariadb_server.sql(f"CREATE DATABASE {dbname}")
    mariadb_server.sql(f"CREATE TABLE {dbname}.t (id INT)")
    return spec(
        Engine.MYSQL,
        mariadb_server.host,
        mariadb_server.port,
        dbname,
        levels={Level.RO: MY_RO, Level.RW: MY_RW},
    )
