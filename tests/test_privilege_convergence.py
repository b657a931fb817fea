"""A database user holds exactly its granted level among the grants the catalog manages."""
# Setup SQL here is built from names the tests generate themselves, never from input.

import asyncpg
import pymysql
import pytest

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import Level
from bot.errors import DatabaseAdminError
from providers.mysql_admin import MysqlAdmin
from providers.postgres_admin import PostgresAdmin
from tests.support.fixtures_admin_targets import (
    ADMIN_PASSWORD,
    FakeSecrets,
    mariadb_admin,
    next_id,
    spec,
)
from tests.support.mariadb_server import MariadbServer
from tests.support.postgres_server import PostgresServer

USER_PASSWORD = "stand-in-user-pw"
STAND_IN_AUTH = f"IDENTIFIED BY '{USER_PASSWORD}'"


def levels(ro: tuple[str, ...], rw: tuple[str, ...]) -> dict[Level, LevelSpec]:
    return {
        Level.RO: LevelSpec(name=Level.RO, grants=ro),
        Level.RW: LevelSpec(name=Level.RW, grants=rw, approvals=2),
    }


def with_levels(database: DatabaseSpec, ro: tuple[str, ...], rw: tuple[str, ...]) -> DatabaseSpec:
    return spec(
        database.engine, database.host, database.port, database.dbname, levels=levels(ro, rw)
    )


# ---------------------------------------------------------------- PostgreSQL


def memberships(server: PostgresServer, user: str) -> set[str]:
    rows = server.psql(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
        f" JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '{user}'"
    )
    return set(rows.split()) if rows else set()


async def can_write(server: PostgresServer, user: str, dbname: str) -> bool:
    """Log in as user and try an INSERT, as the person holding the grant would."""
    server.psql(f"ALTER ROLE {user} PASSWORD '{USER_PASSWORD}'")
    conn = await asyncpg.connect(
        host="127.0.0.1", port=server.port, user=user, password=USER_PASSWORD, database=dbname
    )
    try:
        await conn.execute("INSERT INTO x VALUES (1)")
    except asyncpg.InsufficientPrivilegeError:
        return False
    finally:
        await conn.close()
    return True


async def test_postgres_a_later_ro_grant_takes_rw_away(pg, postgres_server) -> None:
    target, admin = pg
    database = with_levels(target, ro=("app_reader",), rw=("app_writer",))
    user = f"pat_{next_id()}"  # a db_user template without {level}: one user for both levels
    pg_admin = PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD))
    await pg_admin.ensure_user(database, db_user=user, level=database.levels[Level.RW])
    assert await can_write(postgres_server, user, database.dbname)
    postgres_server.psql(f"GRANT app_auditor TO {user}")  # by hand: not the catalog's business

    await pg_admin.ensure_user(database, db_user=user, level=database.levels[Level.RO])

    assert memberships(postgres_server, user) == {"rds_iam", "app_reader", "app_auditor"}
    assert not await can_write(postgres_server, user, database.dbname)


async def test_postgres_a_grant_moved_between_levels_follows_the_catalog(pg, postgres_server):
    target, admin = pg
    before = with_levels(target, ro=("app_reader", "app_auditor"), rw=("app_writer",))
    after = with_levels(target, ro=("app_reader",), rw=("app_writer", "app_auditor"))
    user = f"quinn_{next_id()}_ro"
    pg_admin = PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD))
    await pg_admin.ensure_user(before, db_user=user, level=before.levels[Level.RO])
    assert memberships(postgres_server, user) == {"rds_iam", "app_reader", "app_auditor"}

    await pg_admin.ensure_user(after, db_user=user, level=after.levels[Level.RO])

    assert memberships(postgres_server, user) == {"rds_iam", "app_reader"}


async def test_postgres_a_role_the_admin_cannot_take_back_fails_the_grant(pg, postgres_server):
    target, admin = pg
    postgres_server.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname ="
        " 'app_owner') THEN CREATE ROLE app_owner SUPERUSER NOLOGIN; END IF;"
        " END $$"
    )
    database = with_levels(target, ro=("app_reader",), rw=("app_writer", "app_owner"))
    user = f"rae_{next_id()}"
    postgres_server.psql(f"CREATE ROLE {user} LOGIN; GRANT rds_iam, app_owner TO {user}")
    pg_admin = PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD))
    # Only a superuser may revoke a superuser role; the admin is not one.
    with pytest.raises(DatabaseAdminError) as refused:
        await pg_admin.ensure_user(database, db_user=user, level=database.levels[Level.RO])
    assert "app_owner" in str(refused.value) and user in str(refused.value)
    assert memberships(postgres_server, user) == {"rds_iam", "app_owner"}


# ---------------------------------------------------------------- MariaDB


def schema_privileges(server: MariadbServer, user: str, dbname: str) -> set[str]:
    pattern = dbname.replace("_", "\\\\_")
    rows = server.sql(
        "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES"
        f" WHERE GRANTEE = '''{user}''@''%''' AND TABLE_SCHEMA = '{pattern}'"
    )
    return {row[0] for row in rows}


def can_insert(server: MariadbServer, user: str, dbname: str) -> bool:
    """Log in as user (over TLS, as REQUIRE SSL demands) and try an INSERT."""
    import ssl

    conn = pymysql.connect(
        host=server.tls_host,
        port=server.port,
        user=user,
        password=USER_PASSWORD,
        database=dbname,
        ssl=ssl.create_default_context(cafile=str(server.ca_file)),
    )
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
    except pymysql.err.OperationalError as exc:
        if exc.args[0] != 1142:  # INSERT command denied
            raise
        return False
    finally:
        conn.close()
    return True


@pytest.fixture
def my_admin(mariadb_server: MariadbServer) -> MysqlAdmin:
    return MysqlAdmin(
        FakeSecrets(mariadb_admin(mariadb_server), ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH
    )


async def test_mysql_a_later_ro_grant_takes_rw_away(my, my_admin, mariadb_server) -> None:
    database = with_levels(my, ro=("SELECT",), rw=("SELECT, INSERT, UPDATE", "DELETE"))
    user = f"sam_{next_id()}"
    await my_admin.ensure_user(database, db_user=user, level=database.levels[Level.RW])
    assert can_insert(mariadb_server, user, database.dbname)
    pattern = database.dbname.replace("_", "\\_")
    mariadb_server.sql(f"GRANT SHOW VIEW ON `{pattern}`.* TO {user}@'%'")  # by hand

    await my_admin.ensure_user(database, db_user=user, level=database.levels[Level.RO])

    assert schema_privileges(mariadb_server, user, database.dbname) == {"SELECT", "SHOW VIEW"}
    assert not can_insert(mariadb_server, user, database.dbname)


async def test_mysql_all_privileges_then_ro_keeps_only_select(my, mariadb_server) -> None:
    database = with_levels(my, ro=("SELECT",), rw=("ALL",))
    name = mariadb_admin(mariadb_server)
    pattern = database.dbname.replace("_", "\\_")
    mariadb_server.sql(f"GRANT ALL ON `{pattern}`.* TO {name}@'%' WITH GRANT OPTION")
    my_admin = MysqlAdmin(FakeSecrets(name, ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH)
    user = f"tess_{next_id()}"
    await my_admin.ensure_user(database, db_user=user, level=database.levels[Level.RW])
    assert "DROP" in schema_privileges(mariadb_server, user, database.dbname)

    await my_admin.ensure_user(database, db_user=user, level=database.levels[Level.RO])

    assert schema_privileges(mariadb_server, user, database.dbname) == {"SELECT"}


async def test_mysql_a_level_without_grants_leaves_the_user_without_managed_ones(
    my, my_admin, mariadb_server
) -> None:
    database = with_levels(my, ro=(), rw=("INSERT",))
    user = f"uma_{next_id()}"
    await my_admin.ensure_user(database, db_user=user, level=database.levels[Level.RW])
    await my_admin.ensure_user(database, db_user=user, level=database.levels[Level.RO])
    assert schema_privileges(mariadb_server, user, database.dbname) == set()


async def test_mysql_an_admin_that_cannot_read_privileges_fails_closed(my, mariadb_server):
    database = with_levels(my, ro=("SELECT",), rw=("SELECT, INSERT",))
    name = f"narrow_admin_{next_id()}"
    pattern = database.dbname.replace("_", "\\_")
    mariadb_server.sql(f"CREATE USER {name}@'%' IDENTIFIED BY '{ADMIN_PASSWORD}'")
    mariadb_server.sql(f"GRANT CREATE USER ON *.* TO {name}@'%'")
    mariadb_server.sql(f"GRANT SELECT, INSERT ON `{pattern}`.* TO {name}@'%' WITH GRANT OPTION")
    narrow = MysqlAdmin(FakeSecrets(name, ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH)
    user = f"vic_{next_id()}"
    with pytest.raises(DatabaseAdminError) as refused:
        await narrow.ensure_user(database, db_user=user, level=database.levels[Level.RO])
    assert "lacks a privilege" in str(refused.value)
    assert "SELECT on mysql.*" in str(refused.value)
    assert schema_privileges(mariadb_server, user, database.dbname) == set()
