"""IAM database users and their sessions on MySQL/MariaDB targets, through the admin login."""

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomysql
import pymysql
from pymysql.constants import CLIENT

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import AdminLogin, StatementLog
from bot.errors import DatabaseAdminError
from providers.admin_logins import AdminLogins, LoginRefused
from providers.base import AdminSecrets
from providers.postgres_admin import CONNECT_TIMEOUT, is_loopback, scrub
from providers.sql_identifiers import (
    mysql_database_pattern,
    mysql_privilege_set,
    mysql_privileges,
    mysql_user,
    validate_identifier,
)

IAM_AUTH_CLAUSE = "IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"
ER_DB_ACCESS_DENIED = 1044
ER_ACCESS_DENIED = 1045
ER_NO_SUCH_THREAD = 1094
ER_KILL_DENIED = 1095
ER_PLUGIN_IS_NOT_LOADED = 1524
ER_SPECIFIC_ACCESS_DENIED = 1227
ER_CANT_CREATE_USER_WITH_GRANT = 1410
ER_CANNOT_USER = 1396
CR_SSL_CONNECTION_ERROR = 2026
# 1142-1144: table, column and procedure privileges denied.
PRIVILEGE_ERRORS = frozenset(
    {
        ER_DB_ACCESS_DENIED,
        ER_ACCESS_DENIED,
        ER_KILL_DENIED,
        1142,
        1143,
        1144,
        ER_SPECIFIC_ACCESS_DENIED,
        ER_CANT_CREATE_USER_WITH_GRANT,
    }
)


def managed_mysql_privileges(database: DatabaseSpec) -> frozenset[str]:
    """Every privilege some level of database grants on it: those the bot keeps in step."""
    return frozenset().union(
        *(
            mysql_privilege_set(spec.grants, level=str(spec.name))
            for spec in database.levels.values()
        )
    )


async def _schema_privileges(cur: aiomysql.Cursor, db_user: str, dbname: str) -> frozenset[str]:
    """The privileges db_user@'%' holds on dbname.*, named as GRANT names them."""
    # mysql.db itself, not information_schema: an admin without SELECT on it gets an error
    # here instead of an empty answer that would leave another level's privileges in place.
    await cur.execute(
        "SELECT * FROM mysql.db WHERE User = %s AND Host = '%%' AND Db = %s",
        (db_user, dbname.replace("_", "\\_")),
    )
    row = await cur.fetchone()
    if row is None:
        return frozenset()
    columns = [str(column[0]) for column in cur.description]
    return frozenset(
        _privilege_name(column)
        for column, value in zip(columns, row, strict=True)
        if column.endswith("_priv") and column != "Grant_priv" and str(value).upper() == "Y"
    )


def _privilege_name(column: str) -> str:
    """Select_priv -> SELECT, Show_view_priv -> SHOW VIEW (mysql.db column to GRANT name)."""
    if column == "Create_tmp_table_priv":
        return "CREATE TEMPORARY TABLES"
    return column.removesuffix("_priv").replace("_", " ").upper()


class _TlsOnlyConnection(aiomysql.Connection):  # type: ignore[misc]
    """aiomysql silently falls back to plaintext when the server hides TLS; refuse instead."""

    async def _request_authentication(self) -> None:
        # Checked before the credentials (possibly a clear-text IAM token) are sent.
        if self._ssl_context and not self.server_capabilities & CLIENT.SSL:
            raise pymysql.err.OperationalError(
                CR_SSL_CONNECTION_ERROR, "the server did not offer TLS; refusing to log in"
            )
        await super()._request_authentication()


class MysqlAdmin:
    """Creates IAM users (AWSAuthenticationPlugin, REQUIRE SSL), keeps their level's privileges
    exact on the database, and kills their sessions.

    `auth_clause` exists for tests only: MariaDB has no AWSAuthenticationPlugin, so tests pass
    a stand-in such as `IDENTIFIED BY '…'`, just as PostgreSQL tests use a local `rds_iam` role
    in place of RDS's. Production code always uses the default IAM_AUTH_CLAUSE.
    """

    def __init__(
        self,
        secrets: AdminSecrets,
        *,
        auth_clause: str = IAM_AUTH_CLAUSE,
        tls: ssl.SSLContext | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        # tls=None verifies the server against the system trust store (install the RDS CA
        # bundle there, or pass a context loaded with it).
        self._logins = AdminLogins(secrets)
        self._auth_clause = auth_clause
        self._tls = tls
        self._connect_timeout = connect_timeout

    async def ensure_user(self, database: DatabaseSpec, *, db_user: str, level: LevelSpec) -> bool:
        """Create db_user for IAM auth (REQUIRE SSL); its managed privileges become the level's.

        Returns whether this call created the user.
        """
        account = mysql_user(db_user)
        wanted = mysql_privilege_set(level.grants, level=str(level.name))
        managed = managed_mysql_privileges(database)
        target = mysql_database_pattern(database.dbname)
        created = True
        async with self._connect(database) as cur, self._statements(database, db_user):
            try:
                await cur.execute(f"CREATE USER {account} {self._auth_clause} REQUIRE SSL")
            except pymysql.err.MySQLError as exc:
                if _code(exc) != ER_CANNOT_USER:
                    raise
                # The user exists (an earlier grant, a concurrent one, or one that predates
                # the bot, say with a password): make it IAM-only with TLS before granting.
                created = False
                await cur.execute(f"ALTER USER {account} {self._auth_clause} REQUIRE SSL")
            # Another level's privileges go before this level's arrive: the user never holds
            # two levels at once, even for a moment.
            held = await _schema_privileges(cur, db_user, database.dbname)
            if "ALL PRIVILEGES" in managed:
                managed |= held  # a level with ALL manages whatever this server calls a privilege
            extra = sorted(held & managed - (held if "ALL PRIVILEGES" in wanted else wanted))
            if extra:
                await cur.execute(f"REVOKE {', '.join(extra)} ON {target} FROM {account}")
            if wanted:
                privileges = mysql_privileges(level.grants, level=str(level.name))
                await cur.execute(f"GRANT {privileges} ON {target} TO {account}")
        return created

    async def drop_user(self, database: DatabaseSpec, *, db_user: str) -> None:
        """Drop db_user if it exists (undoing a grant that created it and then failed)."""
        account = mysql_user(db_user)
        async with self._connect(database) as cur, self._statements(database, db_user):
            await cur.execute(f"DROP USER IF EXISTS {account}")

    async def terminate_sessions(self, database: DatabaseSpec, *, db_user: str) -> int:
        """Kill every connection of db_user (mysql.rds_kill on RDS); return how many ended."""
        validate_identifier(db_user, what="database user")
        async with self._connect(database) as cur, self._statements(database, db_user):
            await cur.execute(
                "SELECT ID FROM information_schema.PROCESSLIST"
                " WHERE USER = %s AND ID <> CONNECTION_ID()",
                (db_user,),
            )
            ids = [int(row[0]) for row in await cur.fetchall()]
            if not ids:
                return 0
            # RDS withholds KILL on other users' threads from the master user; its
            # mysql.rds_kill procedure is the sanctioned way there.
            await cur.execute(
                "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'mysql'"
                " AND ROUTINE_NAME = 'rds_kill' AND ROUTINE_TYPE = 'PROCEDURE'"
            )
            (found,) = await cur.fetchone()
            statement = "CALL mysql.rds_kill(%s)" if found else "KILL %s"
            ended = 0
            for thread_id in ids:
                try:
                    await cur.execute(statement, (thread_id,))
                except pymysql.err.MySQLError as exc:
                    if _code(exc) == ER_NO_SUCH_THREAD:
                        continue  # it ended on its own since we listed it
                    raise
                ended += 1
            return ended

    async def log_statements(
        self, database: DatabaseSpec, *, db_user: str, setting: StatementLog
    ) -> str:
        """MySQL has no per-user statement log: only none is possible (the catalog checks it)."""
        if setting != StatementLog.NONE:
            raise DatabaseAdminError(
                f"{database.name} is MySQL, which cannot log one user's statements; set "
                "log_statements: none for its levels (README: Statements on record)",
                retryable=False,
            )
        return "nothing"

    async def ping(self, database: DatabaseSpec) -> None:
        """Log in as the admin and run SELECT 1."""
        async with self._connect(database) as cur, self._statements(database, None):
            await cur.execute("SELECT 1")

    def _ssl(self, database: DatabaseSpec) -> ssl.SSLContext | None:
        if is_loopback(database.host):
            return None
        return self._tls if self._tls is not None else ssl.create_default_context()

    @asynccontextmanager
    async def _connect(self, database: DatabaseSpec) -> AsyncIterator[aiomysql.Cursor]:
        conn = await self._logins.connect(database, lambda login: self._open(database, login))
        try:
            async with conn.cursor() as cur:
                yield cur
        finally:
            conn.close()

    async def _open(self, database: DatabaseSpec, login: AdminLogin) -> "_TlsOnlyConnection":
        where = f"{database.name} ({database.host}:{database.port})"
        conn = _TlsOnlyConnection(
            host=database.host,
            port=database.port,
            user=login.username,
            password=login.password,
            ssl=self._ssl(database),
            autocommit=True,
            connect_timeout=self._connect_timeout,
        )
        try:
            async with asyncio.timeout(self._connect_timeout + 5):
                await conn._connect()
        except TimeoutError:
            raise DatabaseAdminError(
                f"cannot connect to {where}: no answer within {self._connect_timeout:.0f}s "
                "(check the host, port and security group)"
            ) from None
        except (pymysql.err.MySQLError, OSError, ssl.SSLError) as exc:
            # aiomysql hides the reason (refused, TLS verification…) in __cause__.
            cause = f": {exc.__cause__}" if exc.__cause__ is not None else ""
            detail = scrub(_message(exc) + cause, login.password)
            message = f"cannot connect to {where} as {login.username!r}: {detail}"
            if _code(exc) == ER_ACCESS_DENIED:
                raise LoginRefused(f"{message} (check the admin secret)") from None
            raise DatabaseAdminError(message) from None
        return conn

    @asynccontextmanager
    async def _statements(self, database: DatabaseSpec, db_user: str | None) -> AsyncIterator[None]:
        """Turn driver errors raised by admin statements into DatabaseAdminError."""
        about = f" for user {db_user!r}" if db_user else ""
        try:
            yield
        except pymysql.err.MySQLError as exc:
            code = _code(exc)
            if code == ER_PLUGIN_IS_NOT_LOADED:
                raise DatabaseAdminError(
                    f"IAM database authentication is not enabled on {database.name} "
                    "(AWSAuthenticationPlugin is not loaded): turn on IAM database "
                    "authentication for the instance or cluster (aws rds modify-db-instance / "
                    "modify-db-cluster --enable-iam-database-authentication --apply-immediately)",
                    retryable=False,
                ) from None
            if code in PRIVILEGE_ERRORS:
                raise DatabaseAdminError(
                    f"the admin login on {database.name} lacks a privilege{about}: "
                    f"{_message(exc)} (give it CREATE USER, PROCESS, SELECT on mysql.*, and the "
                    "levels' privileges WITH GRANT OPTION)",
                    retryable=False,
                ) from None
            raise DatabaseAdminError(
                f"admin statement on {database.name} failed{about}: {_message(exc)}"
            ) from None
        except (OSError, TimeoutError) as exc:
            raise DatabaseAdminError(
                f"admin statement on {database.name} failed{about}: "
                f"{str(exc) or type(exc).__name__}"
            ) from None


def _code(exc: BaseException) -> int | None:
    """The MySQL error number of a driver error, if it carries one."""
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _message(exc: BaseException) -> str:
    """The server's text of a driver error (without the tuple punctuation)."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[1], str):
        return f"({args[0]}) {args[1]}"
    return str(exc) or type(exc).__name__
