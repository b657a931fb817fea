"""LoginVerifier: log in as the user with a fresh token, as the user would, and close at once.

TLS is chosen exactly as for the admin connection of the same database (providers/*_admin.py):
none on loopback, otherwise the RDS CA bundle context, or libpq's `require` / the system trust
store. The token is the password; it never appears in an error (drivers may echo input).
"""

import asyncio
import ssl

import asyncpg
import pymysql

from bot.catalog.database import DatabaseSpec
from bot.domain import Engine
from bot.errors import LoginCheckError
from providers.mysql_admin import ER_ACCESS_DENIED, _code, _message, _TlsOnlyConnection
from providers.postgres_admin import is_loopback, scrub

APPLICATION_NAME = "db-access-bot verify"
# 28P01 (RDS: "PAM authentication failed") and 28000 (no pg_hba entry, or rejected).
_PG_REFUSED = (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)


class DatabaseLogins:
    """Logs in to PostgreSQL and MySQL targets as a user, with the admin connections' TLS."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls

    async def try_login(
        self, database: DatabaseSpec, *, db_user: str, password: str, seconds: float
    ) -> None:
        """Log in and close at once; LoginCheckError (refused or not) when that fails."""
        where = f"{database.host}:{database.port}/{database.dbname} as {db_user!r}"
        try:
            if database.engine == Engine.MYSQL:
                await self._mysql(database, db_user=db_user, password=password, seconds=seconds)
            else:
                await self._postgres(database, db_user=db_user, password=password, seconds=seconds)
        except LoginCheckError:
            raise
        except _PG_REFUSED as exc:
            raise LoginCheckError(
                f"{where} was refused: {scrub(str(exc), password)}", refused=True
            ) from None
        except pymysql.err.MySQLError as exc:
            detail = scrub(_message(exc), password)
            raise LoginCheckError(
                f"{where} failed: {detail}", refused=_code(exc) == ER_ACCESS_DENIED
            ) from None
        except TimeoutError:
            raise LoginCheckError(
                f"{where}: no answer within {seconds:.0f}s", refused=False
            ) from None
        except (OSError, ssl.SSLError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            detail = scrub(str(exc), password) or type(exc).__name__
            raise LoginCheckError(f"{where} failed: {detail}", refused=False) from None

    async def _postgres(
        self, database: DatabaseSpec, *, db_user: str, password: str, seconds: float
    ) -> None:
        tls: ssl.SSLContext | str | bool = (
            False
            if is_loopback(database.host)
            else (self._tls if self._tls is not None else "require")
        )
        conn = await asyncpg.connect(
            host=database.host,
            port=database.port,
            database=database.dbname,
            user=db_user,
            password=password,
            ssl=tls,
            timeout=seconds,
            server_settings={"application_name": APPLICATION_NAME},
        )
        await conn.close(timeout=5)

    async def _mysql(
        self, database: DatabaseSpec, *, db_user: str, password: str, seconds: float
    ) -> None:
        tls = (
            None
            if is_loopback(database.host)
            else (self._tls if self._tls is not None else ssl.create_default_context())
        )
        conn = _TlsOnlyConnection(
            host=database.host,
            port=database.port,
            user=db_user,
            password=password,
            db=database.dbname,
            ssl=tls,
            connect_timeout=seconds,
            program_name=APPLICATION_NAME,
        )
        try:
            async with asyncio.timeout(seconds + 1):
                await conn._connect()
        except pymysql.err.MySQLError as exc:
            if exc.__cause__ is not None and _code(exc) != ER_ACCESS_DENIED:
                # aiomysql hides the reason (refused, TLS verification…) in __cause__.
                raise LoginCheckError(
                    f"{database.host}:{database.port} as {db_user!r} failed: "
                    f"{scrub(str(exc.__cause__), password)}",
                    refused=False,
                ) from None
            raise
        finally:
            conn.close()
