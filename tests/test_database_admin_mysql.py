"""MySQL and MariaDB admin against a real MariaDB: IAM users, TLS, sessions, refusals."""
# Setup SQL here is built from names the tests generate themselves, never from input.
# The target fixtures (pg, my) come from tests/support/fixtures_admin_targets.py.

import asyncio
import ssl
import struct

import pymysql
import pytest
from pymysql.constants import CLIENT

from bot.catalog.database import LevelSpec
from bot.domain import Engine, Level
from bot.errors import DatabaseAdminError
from providers.mysql_admin import MysqlAdmin
from tests.support.fixtures_admin_targets import (
    ADMIN_PASSWORD,
    MY_RO,
    MY_RW,
    WRONG_PASSWORD,
    FakeSecrets,
    mariadb_admin,
    next_id,
    spec,
)
from tests.support.mariadb_server import MariadbServer
from tests.support.ports import free_port

USER_PASSWORD = "stand-in-user-pw"
STAND_IN_AUTH = f"IDENTIFIED BY '{USER_PASSWORD}'"
EVIL = "Robert'); DROP TABLE x;--"


def user_tls(server: MariadbServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


def connect_as(server: MariadbServer, user: str) -> pymysql.Connection:
    return pymysql.connect(
        host=server.tls_host,
        port=server.port,
        user=user,
        password=USER_PASSWORD,
        ssl=user_tls(server),
    )


async def test_mysql_ensure_user_requires_ssl_and_grants_on_the_database(my, mariadb_server):
    admin = MysqlAdmin(
        FakeSecrets(mariadb_admin(mariadb_server), ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH
    )
    user = f"dave_{next_id()}_rw"
    await admin.ensure_user(my, db_user=user, level=MY_RW)
    created = mariadb_server.sql(f"SHOW CREATE USER {user}@'%'")[0][0]
    grants = sorted(row[0] for row in mariadb_server.sql(f"SHOW GRANTS FOR {user}@'%'"))
    assert "REQUIRE SSL" in created
    escaped = my.dbname.replace("_", "\\_")
    assert f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{escaped}`.* TO `{user}`@`%`" in grants
    await admin.ensure_user(my, db_user=user, level=MY_RW)
    assert mariadb_server.sql(f"SHOW CREATE USER {user}@'%'")[0][0] == created
    assert sorted(row[0] for row in mariadb_server.sql(f"SHOW GRANTS FOR {user}@'%'")) == grants
    with pytest.raises(pymysql.err.OperationalError):  # REQUIRE SSL holds for the user
        pymysql.connect(
            host=mariadb_server.host,
            port=mariadb_server.port,
            user=user,
            password=USER_PASSWORD,
            ssl_disabled=True,
        )
    connect_as(mariadb_server, user).close()


async def test_mysql_ensure_user_takes_over_a_password_user(my, mariadb_server):
    admin = MysqlAdmin(
        FakeSecrets(mariadb_admin(mariadb_server), ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH
    )
    user = f"judy_{next_id()}_ro"
    mariadb_server.sql(f"CREATE USER {user}@'%' IDENTIFIED BY 'old-static-pw'")
    await admin.ensure_user(my, db_user=user, level=MY_RO)
    assert "REQUIRE SSL" in mariadb_server.sql(f"SHOW CREATE USER {user}@'%'")[0][0]
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(
            host=mariadb_server.tls_host,
            port=mariadb_server.port,
            user=user,
            password="old-static-pw",
            ssl=user_tls(mariadb_server),
        )
    connect_as(mariadb_server, user).close()


async def test_mysql_terminate_sessions_kills_the_users_connections(my, mariadb_server):
    admin = MysqlAdmin(
        FakeSecrets(mariadb_admin(mariadb_server, "CONNECTION ADMIN"), ADMIN_PASSWORD),
        auth_clause=STAND_IN_AUTH,
    )
    user = f"erin_{next_id()}_ro"
    await admin.ensure_user(my, db_user=user, level=MY_RO)
    held = [connect_as(mariadb_server, user) for _ in range(2)]
    assert await admin.terminate_sessions(my, db_user=user) == 2
    for conn in held:
        with pytest.raises(pymysql.err.OperationalError):
            conn.query("SELECT 1")
    assert await admin.terminate_sessions(my, db_user=user) == 0


async def test_mysql_terminate_sessions_uses_rds_kill_when_present(my, mariadb_server):
    server = mariadb_server
    # Without CONNECTION ADMIN the admin cannot KILL other users' threads, exactly like RDS.
    name = mariadb_admin(server)
    admin = MysqlAdmin(FakeSecrets(name, ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH)
    user = f"frank_{next_id()}_ro"
    await admin.ensure_user(my, db_user=user, level=MY_RO)
    server.sql(f"CREATE TABLE {my.dbname}.kills (id BIGINT)")
    server.sql(
        f"CREATE PROCEDURE mysql.rds_kill(IN thread BIGINT) BEGIN "
        f"INSERT INTO {my.dbname}.kills VALUES (thread); KILL thread; END"
    )
    try:
        server.sql(f"GRANT EXECUTE ON PROCEDURE mysql.rds_kill TO {name}@'%'")
        held = connect_as(server, user)
        assert await admin.terminate_sessions(my, db_user=user) == 1
        assert server.sql(f"SELECT id FROM {my.dbname}.kills") == [(held.thread_id(),)]
        with pytest.raises(pymysql.err.OperationalError):
            held.query("SELECT 1")
    finally:
        server.sql("DROP PROCEDURE mysql.rds_kill")
    held = connect_as(server, user)
    with pytest.raises(DatabaseAdminError, match="lacks a privilege"):
        await admin.terminate_sessions(my, db_user=user)  # plain KILL is not allowed
    held.close()


async def test_mysql_without_the_iam_plugin_says_how_to_fix_it(my, mariadb_server):
    admin = MysqlAdmin(FakeSecrets(mariadb_admin(mariadb_server), ADMIN_PASSWORD))
    with pytest.raises(DatabaseAdminError) as refused:
        await admin.ensure_user(my, db_user="grace_ro", level=MY_RO)
    assert f"IAM database authentication is not enabled on {my.name}" in str(refused.value)
    assert "--enable-iam-database-authentication" in str(refused.value)
    assert mariadb_server.sql("SELECT 1 FROM mysql.user WHERE User = 'grace_ro'") == []


async def test_mysql_refuses_bad_names_and_privileges(my, mariadb_server):
    admin = MysqlAdmin(
        FakeSecrets(mariadb_admin(mariadb_server), ADMIN_PASSWORD), auth_clause=STAND_IN_AUTH
    )
    users_before = mariadb_server.sql("SELECT COUNT(*) FROM mysql.user")
    with pytest.raises(DatabaseAdminError, match=r"\^\[a-z_\]"):
        await admin.ensure_user(my, db_user=EVIL, level=MY_RO)
    for grants in (("SELECT; DROP TABLE t",), ("SUPER",), ("GRANT OPTION",), ("SELECT (id)",)):
        with pytest.raises(DatabaseAdminError, match="not a MySQL privilege list"):
            await admin.ensure_user(
                my, db_user="heidi_ro", level=LevelSpec(name=Level.RO, grants=grants)
            )
    with pytest.raises(DatabaseAdminError, match="too long for MySQL"):
        await admin.ensure_user(my, db_user="u" * 33, level=MY_RO)
    assert mariadb_server.sql("SELECT COUNT(*) FROM mysql.user") == users_before


async def test_mysql_connection_errors_are_clear_and_hide_the_password(my, mariadb_server):
    name = mariadb_admin(mariadb_server)
    with pytest.raises(DatabaseAdminError) as wrong:
        await MysqlAdmin(FakeSecrets(name, WRONG_PASSWORD)).ping(my)
    assert my.name in str(wrong.value) and "admin secret" in str(wrong.value)
    assert WRONG_PASSWORD not in str(wrong.value) and wrong.value.__cause__ is None
    closed = spec(Engine.MYSQL, "127.0.0.1", free_port(), my.dbname)
    with pytest.raises(DatabaseAdminError, match=f"cannot connect to {closed.name}"):
        await MysqlAdmin(FakeSecrets(name, ADMIN_PASSWORD)).ping(closed)


async def test_mysql_uses_verified_tls_off_loopback(my, mariadb_server):
    name = mariadb_admin(mariadb_server)
    remote = spec(Engine.MYSQL, mariadb_server.tls_host, mariadb_server.port, my.dbname)
    trusted = MysqlAdmin(FakeSecrets(name, ADMIN_PASSWORD), tls=user_tls(mariadb_server))
    await trusted.ping(remote)
    with pytest.raises(DatabaseAdminError, match="CERTIFICATE_VERIFY_FAILED"):
        await MysqlAdmin(FakeSecrets(name, ADMIN_PASSWORD)).ping(remote)


async def test_mysql_refuses_a_server_that_hides_tls(mariadb_server):
    received: list[bytes] = []

    async def handshake_without_tls(reader, writer) -> None:
        caps = (
            CLIENT.LONG_PASSWORD
            | CLIENT.PROTOCOL_41
            | CLIENT.SECURE_CONNECTION
            | CLIENT.PLUGIN_AUTH
        )
        payload = (
            b"\x0a5.7.0-downgrade\x00"
            + struct.pack("<I", 1)
            + b"abcdefgh\x00"
            + struct.pack("<HBHHB", caps & 0xFFFF, 33, 2, caps >> 16, 21)
            + b"\x00" * 10
            + b"ijklmnopqrst\x00mysql_native_password\x00"
        )
        writer.write(len(payload).to_bytes(3, "little") + b"\x00" + payload)
        await writer.drain()
        received.append(await reader.read(4096))
        writer.close()

    fake = await asyncio.start_server(handshake_without_tls, mariadb_server.tls_host, 0)
    port = fake.sockets[0].getsockname()[1]
    try:
        with pytest.raises(DatabaseAdminError, match="did not offer TLS"):
            await MysqlAdmin(FakeSecrets("admin", ADMIN_PASSWORD)).ping(
                spec(Engine.MYSQL, mariadb_server.tls_host, port, "orders")
            )
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
    finally:
        fake.close()
    assert received == [b""]  # the client hung up without sending credentials
