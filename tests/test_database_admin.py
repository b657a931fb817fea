"""PostgresAdmin, MysqlAdmin and the router against a real PostgreSQL and a real MariaDB."""
# Setup SQL here is built from names the tests generate themselves, never from input.
# The target fixtures (pg, my) come from tests/support/fixtures_admin_targets.py.

import asyncio

import asyncpg
import pytest

from bot.catalog.database import LevelSpec
from bot.domain import Engine, Level
from bot.errors import DatabaseAdminError
from providers.database_admin import DatabaseAdminRouter
from providers.mysql_admin import MysqlAdmin
from providers.postgres_admin import PostgresAdmin
from tests.support.fixtures_admin_targets import (
    ADMIN_PASSWORD,
    MY_RO,
    RO,
    WRONG_PASSWORD,
    FakeSecrets,
    mariadb_admin,
    next_id,
    spec,
)
from tests.support.ports import free_port
from tests.support.postgres_server import PostgresServer

USER_PASSWORD = "stand-in-user-pw"
STAND_IN_AUTH = f"IDENTIFIED BY '{USER_PASSWORD}'"
EVIL = "Robert'); DROP TABLE x;--"


def user_state(server: PostgresServer, user: str) -> str:
    return server.psql(
        "SELECT r.rolname, r.rolcanlogin, r.rolsuper, "
        " coalesce((SELECT string_agg(g.rolname || '/' || m.grantor::regrole, ',' ORDER BY 1)"
        "  FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
        "  WHERE m.member = r.oid), '') FROM pg_roles r "
        f"WHERE r.rolname = '{user}'"
    )


async def test_postgres_ensure_user_creates_iam_login_role(pg, postgres_server) -> None:
    database, admin = pg
    user = f"alice_{next_id()}_ro"
    pg_admin = PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD))
    await pg_admin.ensure_user(database, db_user=user, level=RO)
    first = user_state(postgres_server, user)
    assert first.startswith(f"{user}|t|f|")
    assert (
        postgres_server.psql(
            f"SELECT pg_has_role('{user}', 'rds_iam', 'MEMBER'),"
            f" pg_has_role('{user}', 'app_reader', 'MEMBER'),"
            f" pg_has_role('{user}', 'pg_read_all_data', 'USAGE')"
        )
        == "t|t|t"
    )
    await pg_admin.ensure_user(database, db_user=user, level=RO)
    assert user_state(postgres_server, user) == first


async def test_postgres_terminate_sessions_ends_the_users_connections(pg, postgres_server) -> None:
    database, admin = pg
    user = f"bob_{next_id()}_ro"
    pg_admin = PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD))
    await pg_admin.ensure_user(database, db_user=user, level=RO)
    postgres_server.psql(f"ALTER ROLE {user} PASSWORD '{USER_PASSWORD}'")
    held = await asyncpg.connect(
        host="127.0.0.1",
        port=postgres_server.port,
        user=user,
        password=USER_PASSWORD,
        database=database.dbname,
    )
    try:
        assert await held.fetchval("SELECT count(*) FROM x") == 0  # the level works
        assert await pg_admin.terminate_sessions(database, db_user=user) == 1
        for _ in range(200):  # the backend exits asynchronously after the signal
            if held.is_closed():
                break
            await asyncio.sleep(0.025)
        assert held.is_closed()
    finally:
        held.terminate()
    assert await pg_admin.terminate_sessions(database, db_user=user) == 0


async def test_postgres_refuses_bad_identifiers_and_creates_nothing(pg, postgres_server) -> None:
    database, admin = pg
    pg_admin = PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD))
    roles_before = postgres_server.psql("SELECT count(*) FROM pg_roles")
    with pytest.raises(DatabaseAdminError) as refused:
        await pg_admin.ensure_user(database, db_user=EVIL, level=RO)
    assert repr(EVIL) in str(refused.value) and "^[a-z_][a-z0-9_]{0,62}$" in str(refused.value)
    bad_level = LevelSpec(name=Level.RW, grants=("app_reader; DROP TABLE x",))
    with pytest.raises(DatabaseAdminError, match="not a valid SQL identifier"):
        await pg_admin.ensure_user(database, db_user="carol_rw", level=bad_level)
    with pytest.raises(DatabaseAdminError, match="not a valid SQL identifier"):
        await pg_admin.terminate_sessions(database, db_user=EVIL)
    missing = LevelSpec(name=Level.RW, grants=("app_reader", "no_such_role"))
    with pytest.raises(DatabaseAdminError, match=r"no_such_role.*does not exist"):
        await pg_admin.ensure_user(database, db_user="carol_rw", level=missing)
    assert postgres_server.psql("SELECT count(*) FROM pg_roles") == roles_before
    assert postgres_server.psql("SELECT count(*) FROM x", database.dbname) == "0"


async def test_postgres_connection_errors_are_clear_and_hide_the_password(pg) -> None:
    database, admin = pg
    with pytest.raises(DatabaseAdminError) as wrong:
        await PostgresAdmin(FakeSecrets(admin, WRONG_PASSWORD)).ping(database)
    message = str(wrong.value)
    assert database.name in message and "admin secret" in message
    assert WRONG_PASSWORD not in message and WRONG_PASSWORD not in repr(wrong.value)
    assert wrong.value.__cause__ is None and wrong.value.__suppress_context__
    closed = spec(Engine.POSTGRES, "127.0.0.1", free_port(), database.dbname)
    with pytest.raises(DatabaseAdminError, match=f"cannot connect to {closed.name}"):
        await PostgresAdmin(FakeSecrets(admin, ADMIN_PASSWORD)).ping(closed)


# ---------------------------------------------------------------- MariaDB


async def test_router_dispatches_on_engine(pg, my, mariadb_server) -> None:
    pg_database, pg_admin_name = pg
    router = DatabaseAdminRouter(
        postgres=PostgresAdmin(FakeSecrets(pg_admin_name, ADMIN_PASSWORD)),
        mysql=MysqlAdmin(
            FakeSecrets(mariadb_admin(mariadb_server), ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH
        ),
    )
    await router.ping(pg_database)
    await router.ping(my)
    await router.ensure_user(my, db_user="ivan_ro", level=MY_RO)
    assert mariadb_server.sql("SELECT COUNT(*) FROM mysql.user WHERE User = 'ivan_ro'") == [(1,)]
    assert await router.terminate_sessions(pg_database, db_user="ivan_ro") == 0
