"""IAM database users and their sessions on PostgreSQL targets, through the admin login."""

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.catalog.database import DatabaseSpec, LevelSpec
from bot.domain import AdminLogin, StatementLog
from bot.errors import DatabaseAdminError
from providers.admin_logins import AdminLogins, LoginRefused
from providers.base import AdminSecrets
from providers.sql_identifiers import postgres_grant_roles, quote_postgres
from providers.statement_logging import set_statement_log

CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0
RDS_IAM_ROLE = "rds_iam"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, localhost and ::1, where TLS is pointless (tests, local tunnels)."""
    return host.strip("[]").lower() in LOOPBACK_HOSTS


def scrub(text: str, secret: str) -> str:
    """text with every occurrence of secret masked (drivers sometimes echo what they were given)."""
    return text.replace(secret, "***") if secret else text


def managed_postgres_roles(database: DatabaseSpec) -> set[str]:
    """Every role some level of database grants: the memberships the bot keeps in step."""
    return {
        role.strip('"')
        for spec in database.levels.values()
        for role in postgres_grant_roles(spec.grants, level=str(spec.name))
    }


async def _memberships(conn: asyncpg.Connection, db_user: str) -> set[str]:
    """The roles db_user is a direct member of."""
    rows = await conn.fetch(
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
        " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1",
        db_user,
    )
    return {row["rolname"] for row in rows}


def _cannot_revoke(
    database: DatabaseSpec, db_user: str, roles: list[str], why: str
) -> DatabaseAdminError:
    return DatabaseAdminError(
        f"cannot take {', '.join(roles)} away from database user {db_user!r} on "
        f"{database.name} ({why}); another level of the catalog grants it, so the grant was "
        "not made: give the admin login ADMIN OPTION on it, or revoke it by hand",
        retryable=False,
    )


class PostgresAdmin:
    """Creates IAM login roles (rds_iam members), keeps their level roles exact, ends sessions."""

    def __init__(
        self,
        secrets: AdminSecrets,
        *,
        tls: ssl.SSLContext | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        # tls=None means sslmode=require (verified against ~/.postgresql/root.crt if present,
        # as libpq does); pass a context loaded with the RDS CA bundle to verify the host too.
        self._logins = AdminLogins(secrets)
        self._tls = tls
        self._connect_timeout = connect_timeout

    async def ensure_user(self, database: DatabaseSpec, *, db_user: str, level: LevelSpec) -> bool:
        """Create db_user LOGIN if missing; its managed roles become exactly the level's.

        Returns whether this call created the user.
        """
        quote_postgres(db_user, what="database user")
        wanted = postgres_grant_roles(level.grants, level=str(level.name))
        managed = managed_postgres_roles(database)
        async with self._connect(database) as conn, self._statements(database, db_user):
            try:
                return await self._ensure(
                    conn, database, db_user=db_user, wanted=wanted, managed=managed
                )
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                # Another grant created the same user between our check and CREATE ROLE.
                return await self._ensure(
                    conn, database, db_user=db_user, wanted=wanted, managed=managed
                )

    async def drop_user(self, database: DatabaseSpec, *, db_user: str) -> None:
        """Drop db_user if it exists (undoing a grant that created it and then failed)."""
        user = quote_postgres(db_user, what="database user")
        async with self._connect(database) as conn, self._statements(database, db_user):
            await conn.execute(f"DROP ROLE IF EXISTS {user}")

    async def _ensure(
        self,
        conn: asyncpg.Connection,
        database: DatabaseSpec,
        *,
        db_user: str,
        wanted: list[str],
        managed: set[str],
    ) -> bool:
        user = quote_postgres(db_user, what="database user")
        async with conn.transaction():
            existing = await conn.fetchrow(
                "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = $1", db_user
            )
            if existing is None:
                await conn.execute(f"CREATE ROLE {user} LOGIN")
            elif existing["rolsuper"]:
                # IAM access to a superuser would bypass every level; never hand one out.
                raise DatabaseAdminError(
                    f"database user {db_user!r} on {database.name} is a superuser; "
                    "refusing to grant IAM access to it (rename the user in the catalog)",
                    retryable=False,
                )
            elif not existing["rolcanlogin"]:
                await conn.execute(f"ALTER ROLE {user} LOGIN")
            held = await _memberships(conn, db_user)
            extra = sorted(held & managed - {role.strip('"') for role in wanted})
            for role in extra:
                try:
                    await conn.execute(f"REVOKE {quote_postgres(role)} FROM {user}")
                except asyncpg.InsufficientPrivilegeError as exc:
                    raise _cannot_revoke(database, db_user, [role], str(exc)) from None
            for role in [quote_postgres(RDS_IAM_ROLE), *wanted]:
                # Granting again is harmless but, since PostgreSQL 16, can add a second
                # membership row with another grantor; skip what is already there.
                if role.strip('"') not in held:
                    await conn.execute(f"GRANT {role} TO {user}")
            kept = sorted(set(extra) & await _memberships(conn, db_user))
            if kept:
                # PostgreSQL 16 revokes only the admin's own grants (with a warning, not an
                # error); a user left holding two levels' roles must not be handed out.
                raise _cannot_revoke(database, db_user, kept, "granted by another role")
        return existing is None

    async def terminate_sessions(self, database: DatabaseSpec, *, db_user: str) -> int:
        """pg_terminate_backend every session of db_user; return how many were ended."""
        quote_postgres(db_user, what="database user")
        async with self._connect(database) as conn, self._statements(database, db_user):
            ended = await conn.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
                " FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
                db_user,
            )
        return int(ended or 0)

    async def log_statements(
        self, database: DatabaseSpec, *, db_user: str, setting: StatementLog
    ) -> str:
        """Make the server log db_user's statements as set (none resets); say what is logged."""
        quote_postgres(db_user, what="database user")
        async with self._connect(database) as conn, self._statements(database, db_user):
            return await set_statement_log(conn, database, db_user=db_user, setting=setting)

    async def ping(self, database: DatabaseSpec) -> None:
        """Log in as the admin and run SELECT 1."""
        async with self._connect(database) as conn, self._statements(database, None):
            await conn.fetchval("SELECT 1")

    def _ssl(self, database: DatabaseSpec) -> ssl.SSLContext | str | bool:
        if is_loopback(database.host):
            return False
        return self._tls if self._tls is not None else "require"

    @asynccontextmanager
    async def _connect(self, database: DatabaseSpec) -> AsyncIterator[asyncpg.Connection]:
        conn = await self._logins.connect(database, lambda login: self._open(database, login))
        try:
            yield conn
        finally:
            try:
                await conn.close(timeout=5)
            except (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresError):
                conn.terminate()  # a broken connection must not mask the error in flight

    async def _open(self, database: DatabaseSpec, login: AdminLogin) -> asyncpg.Connection:
        where = f"{database.name} ({database.host}:{database.port}/{database.dbname})"
        try:
            return await asyncpg.connect(
                host=database.host,
                port=database.port,
                database=database.dbname,
                user=login.username,
                password=login.password,
                ssl=self._ssl(database),
                timeout=self._connect_timeout,
                command_timeout=COMMAND_TIMEOUT,
            )
        except asyncpg.InvalidAuthorizationSpecificationError as exc:
            raise LoginRefused(
                f"admin login {login.username!r} was refused by {where}: "
                f"{scrub(str(exc), login.password)} (check the admin secret)"
            ) from None
        except TimeoutError:
            raise DatabaseAdminError(
                f"cannot connect to {where}: no answer within {self._connect_timeout:.0f}s "
                "(check the host, port and security group)"
            ) from None
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseAdminError(
                f"cannot connect to {where} as {login.username!r}: "
                f"{scrub(str(exc), login.password) or type(exc).__name__}"
            ) from None

    @asynccontextmanager
    async def _statements(self, database: DatabaseSpec, db_user: str | None) -> AsyncIterator[None]:
        """Turn driver errors raised by admin statements into DatabaseAdminError."""
        about = f" for user {db_user!r}" if db_user else ""
        try:
            yield
        except asyncpg.InsufficientPrivilegeError as exc:
            raise DatabaseAdminError(
                f"the admin login on {database.name} lacks a privilege{about}: {exc} (give it "
                "CREATEROLE, ADMIN OPTION on rds_iam and the level roles, and pg_signal_backend)",
                retryable=False,
            ) from None
        except asyncpg.UndefinedObjectError as exc:
            raise DatabaseAdminError(
                f"{database.name}: {exc}{about} (create the role or fix the level's grants "
                "in the catalog)",
                retryable=False,
            ) from None
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            raise DatabaseAdminError(
                f"admin statement on {database.name} failed{about}: "
                f"{str(exc) or type(exc).__name__}"
            ) from None
