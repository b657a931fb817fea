"""Admin logins are read once per few minutes, and a rotated secret still works at once."""
# Setup SQL here is built from names the tests generate themselves, never from input.

import asyncio

import pytest

from bot.catalog.database import DatabaseSpec
from bot.domain import AdminLogin, Engine
from bot.errors import DatabaseAdminError
from providers.admin_logins import AdminLogins
from providers.mysql_admin import MysqlAdmin
from providers.postgres_admin import PostgresAdmin
from tests.support.fixtures_admin_targets import (
    ADMIN_PASSWORD,
    WRONG_PASSWORD,
    mariadb_admin,
    spec,
)
from tests.support.mariadb_server import MariadbServer

ROTATED_PASSWORD = "R0tated-pa55-never-shown"


class CountingSecrets:
    """AdminSecrets whose value can be rotated; counts how often it is read."""

    def __init__(self, username: str, password: str) -> None:
        self.login = AdminLogin(username=username, password=password)
        self.reads = 0

    async def admin_login(self, database: DatabaseSpec) -> AdminLogin:
        self.reads += 1
        await asyncio.sleep(0.01)  # a Secrets Manager round trip: concurrent callers overlap
        return self.login


async def test_postgres_reads_the_admin_secret_once_for_a_burst(pg) -> None:
    database, admin = pg
    secrets = CountingSecrets(admin, ADMIN_PASSWORD)
    admins = PostgresAdmin(secrets)
    ended = await asyncio.gather(
        *(admins.terminate_sessions(database, db_user=f"nobody_{i}") for i in range(8))
    )
    await admins.ping(database)
    assert ended == [0] * 8
    assert secrets.reads == 1


async def test_postgres_rotated_admin_password_is_read_again(pg, postgres_server) -> None:
    database, admin = pg
    secrets = CountingSecrets(admin, ADMIN_PASSWORD)
    admins = PostgresAdmin(secrets)
    await admins.ping(database)
    postgres_server.psql(f"ALTER ROLE {admin} PASSWORD '{ROTATED_PASSWORD}'")
    secrets.login = AdminLogin(username=admin, password=ROTATED_PASSWORD)
    await admins.ping(database)  # the remembered password is refused; the new one works
    await admins.ping(database)
    assert secrets.reads == 2


async def test_postgres_wrong_secret_fails_after_one_fresh_read(pg) -> None:
    database, admin = pg
    secrets = CountingSecrets(admin, WRONG_PASSWORD)
    with pytest.raises(DatabaseAdminError, match="check the admin secret") as wrong:
        await PostgresAdmin(secrets).ping(database)
    assert not wrong.value.retryable and WRONG_PASSWORD not in str(wrong.value)
    assert secrets.reads == 1


async def test_mysql_rotated_admin_password_is_read_again(my, mariadb_server: MariadbServer):
    name = mariadb_admin(mariadb_server)
    secrets = CountingSecrets(name, ADMIN_PASSWORD)
    admins = MysqlAdmin(secrets)
    await asyncio.gather(*(admins.ping(my) for _ in range(4)))
    mariadb_server.sql(f"ALTER USER {name}@'%' IDENTIFIED BY '{ROTATED_PASSWORD}'")
    secrets.login = AdminLogin(username=name, password=ROTATED_PASSWORD)
    await admins.ping(my)
    assert secrets.reads == 2
    secrets.login = AdminLogin(username=name, password=WRONG_PASSWORD)
    mariadb_server.sql(f"ALTER USER {name}@'%' IDENTIFIED BY '{ADMIN_PASSWORD}'")
    with pytest.raises(DatabaseAdminError, match="check the admin secret") as wrong:
        await admins.ping(my)  # rotated in the database, the secret not yet: refused, clearly
    assert WRONG_PASSWORD not in str(wrong.value) and ADMIN_PASSWORD not in str(wrong.value)


async def test_a_login_is_read_again_after_its_time() -> None:
    database = spec(Engine.POSTGRES, "127.0.0.1", 5432, "app")
    now = [0.0]
    secrets = CountingSecrets("admin", ADMIN_PASSWORD)
    logins = AdminLogins(secrets, ttl=300, clock=lambda: now[0])

    async def opened(login: AdminLogin) -> str:
        return login.password

    assert await logins.connect(database, opened) == ADMIN_PASSWORD
    now[0] = 299.0
    await logins.connect(database, opened)
    assert secrets.reads == 1
    now[0] = 301.0
    await logins.connect(database, opened)
    assert secrets.reads == 2
