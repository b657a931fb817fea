"""Undoing a failed grant on real servers: ensure_user says whether it created, drop_user drops."""

import itertools
from datetime import timedelta

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import AdminLogin, Engine, Level
from providers.mysql_admin import MysqlAdmin
from providers.postgres_admin import PostgresAdmin
from tests.support.mariadb_server import MariadbServer
from tests.support.pg_target import rds_like_target
from tests.support.postgres_server import PostgresServer

PASSWORD = "Und0-admin-pa55"
STAND_IN_AUTH = "IDENTIFIED BY 'stand-in-user-pw'"  # MariaDB has no AWSAuthenticationPlugin
_ids = itertools.count()


class Secrets:
    """AdminSecrets handing out one login."""

    def __init__(self, username: str) -> None:
        self.login = AdminLogin(username=username, password=PASSWORD)

    async def admin_login(self, database: DatabaseSpec) -> AdminLogin:
        return self.login


def spec(
    engine: Engine, host: str, port: int, dbname: str, grants: tuple[str, ...]
) -> DatabaseSpec:
    return DatabaseSpec(
        name=f"{engine}-undo",
        account_id="123456789012",
        region="eu-west-1",
        engine=engine,
        host=host,
        port=port,
        dbname=dbname,
        resource_id="db-UNDO",
        levels={Level.RO: LevelSpec(name=Level.RO, grants=grants)},
        durations=(timedelta(hours=1),),
        approvers=("U0DBA",),
        approvals_channel="C0APPROVALS",
    )


async def test_postgres_reports_creation_and_drops_the_user(
    postgres_server: PostgresServer,
) -> None:
    admin = f"undo_admin_{next(_ids)}"
    dbname = rds_like_target(postgres_server, prefix="undo", admin=admin, password=PASSWORD)
    db = spec(Engine.POSTGRES, "127.0.0.1", postgres_server.port, dbname, ("app_reader",))
    pg = PostgresAdmin(Secrets(admin))
    user = f"carol_{next(_ids)}_ro"
    level = db.levels[Level.RO]
    assert await pg.ensure_user(db, db_user=user, level=level) is True
    assert await pg.ensure_user(db, db_user=user, level=level) is False
    await pg.drop_user(db, db_user=user)
    assert postgres_server.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{user}'") == "0"
    await pg.drop_user(db, db_user=user)  # already gone: nothing to do, no error


async def test_mysql_reports_creation_and_drops_the_user(mariadb_server: MariadbServer) -> None:
    admin = f"undo_admin_{next(_ids)}"
    mariadb_server.sql(f"CREATE USER {admin}@'%' IDENTIFIED BY '{PASSWORD}'")
    mariadb_server.sql(f"GRANT SELECT ON *.* TO {admin}@'%' WITH GRANT OPTION")
    mariadb_server.sql(f"GRANT CREATE USER, PROCESS ON *.* TO {admin}@'%'")
    dbname = f"undo_{next(_ids)}"
    mariadb_server.sql(f"CREATE DATABASE {dbname}")
    db = spec(Engine.MYSQL, mariadb_server.host, mariadb_server.port, dbname, ("SELECT",))
    my = MysqlAdmin(Secrets(admin), auth_clause=STAND_IN_AUTH)
    user = f"carol_{next(_ids)}_ro"
    level = db.levels[Level.RO]
    assert await my.ensure_user(db, db_user=user, level=level) is True
    assert await my.ensure_user(db, db_user=user, level=level) is False
    await my.drop_user(db, db_user=user)
    assert mariadb_server.sql(f"SELECT 1 FROM mysql.user WHERE User = '{user}'") == []
    await my.drop_user(db, db_user=user)
