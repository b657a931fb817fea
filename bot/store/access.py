"""How commands reach the state store: check DATABASE_URL, find the schema, word each failure.

Every failure becomes a SetupError whose one line names the problem and the fix; no message
echoes DATABASE_URL itself, which may carry a password.
"""

import asyncio
import os
import socket
import sqlite3
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import SetupError
from bot.store.engine import alembic_config, make_engine, upgrade

SUPPORTED_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")
URL_FORMS = (
    "postgresql+asyncpg://user:password@host:5432/dbname or sqlite+aiosqlite:///file.sqlite3"
)
MIGRATE = "run `db-access-bot migrate`"
RDS_CA_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
LOGIN_REFUSED = (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)


def url_problem(url: str) -> str | None:
    """What makes DATABASE_URL unusable before any connection (None when it looks usable)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return f"DATABASE_URL: not a database URL I can read (use {URL_FORMS})"
    if parsed.drivername.startswith("postgres") and parsed.drivername not in SUPPORTED_DRIVERS:
        return (
            f"DATABASE_URL: driver {parsed.drivername!r} is not supported; write "
            "postgresql+asyncpg://… (the bot talks to PostgreSQL through asyncpg)"
        )
    if parsed.drivername not in SUPPORTED_DRIVERS:
        return (
            f"DATABASE_URL: driver {parsed.drivername!r} is not supported; the state store "
            f"is PostgreSQL or SQLite (use {URL_FORMS})"
        )
    return None


def _parsed(url: str) -> URL:
    problem = url_problem(url)
    if problem:
        raise SetupError(problem)
    return make_url(url)


def _sqlite_file(url: URL) -> Path | None:
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return Path(url.database)
    return None


def _where(url: URL) -> str:
    file = _sqlite_file(url)
    if url.drivername.startswith("sqlite"):
        return f"SQLite file {file}" if file else "in-memory SQLite"
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__


def failure(exc: BaseException, url: URL) -> SetupError | None:
    """The SetupError for an exception raised while using the store (None: not a store failure)."""
    where, causes = _where(url), list(_causes(exc))
    for cause in causes:
        if isinstance(cause, LOGIN_REFUSED):
            return SetupError(
                f"the state store at {where} refused user {url.username!r} "
                f"({cause}); check the user and password in DATABASE_URL"
            )
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return SetupError(
                f"the state store {where} does not exist; create the database "
                f"(CREATE DATABASE {url.database}), then {MIGRATE}"
            )
        if isinstance(cause, socket.gaierror):
            return SetupError(
                f"cannot find the state store host {url.host!r} "
                f"(DNS: {cause.strerror}); check the host in DATABASE_URL"
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            return SetupError(
                f"the certificate of the state store at {where} does not verify "
                f"({cause.verify_message or cause.reason}); check the host in DATABASE_URL and "
                f"that PGSSLROOTCERT holds the CA that signed it (for RDS: {RDS_CA_URL})"
            )
        if isinstance(cause, ssl.SSLError):
            return SetupError(
                f"TLS with the state store at {where} failed ({cause.reason}); "
                "check its certificate and the sslmode in DATABASE_URL"
            )
        if isinstance(cause, asyncpg.ClientConfigurationError | FileNotFoundError):
            # ssl=verify-full without the CA file it needs: nothing was sent to the network
            if isinstance(cause, FileNotFoundError):
                what = f"{cause.filename or 'the CA file PGSSLROOTCERT names'} does not exist"
            else:
                what = str(cause).splitlines()[0]
            return SetupError(
                f"cannot verify the state store's certificate: {what}; set PGSSLROOTCERT to "
                f"the CA bundle (for RDS: {RDS_CA_URL})"
            )
        if isinstance(cause, TimeoutError):
            return SetupError(
                f"the state store at {where} did not answer in time; check "
                "DATABASE_URL, security groups and that PostgreSQL is running"
            )
        if isinstance(cause, OSError):
            reason = os.strerror(cause.errno) if cause.errno else str(cause)
            return SetupError(
                f"cannot reach the state store at {where} ({reason}); check "
                "DATABASE_URL and that PostgreSQL is running and reachable"
            )
        if isinstance(cause, sqlite3.OperationalError):
            return SetupError(
                f"cannot open the {where} ({cause}); check that its directory "
                "exists and is writable"
            )
        if isinstance(cause, asyncpg.PostgresError):
            return SetupError(f"the state store at {where} refused: {cause}; check DATABASE_URL")
    return None


def _revisions(connection: Connection, url: str) -> tuple[str | None, tuple[str, ...], bool]:
    """The store's current revision, this version's heads, and whether it knows the current."""
    current = MigrationContext.configure(connection).get_current_revision()
    scripts = ScriptDirectory.from_config(alembic_config(url))
    try:
        known = current is None or scripts.get_revision(current) is not None
    except CommandError:
        known = False
    return current, tuple(scripts.get_heads()), known


async def _inspect(url: str) -> tuple[str | None, tuple[str, ...], bool]:
    parsed = _parsed(url)
    file = _sqlite_file(parsed)
    if file is not None and not file.exists():  # connecting would create an empty file
        raise SetupError(
            f"DATABASE_URL: the SQLite file {file} does not exist; {MIGRATE} "
            "to create it, or point DATABASE_URL at the existing store"
        )
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revisions, url)
    except Exception as exc:
        raise failure(exc, parsed) or exc from None
    finally:
        await engine.dispose()


def _newer(where: str, current: str | None) -> SetupError:
    return SetupError(
        f"the state store at {where} has schema revision {current}, newer than "
        "this db-access-bot knows; run the version that migrated it"
    )


@dataclass(frozen=True)
class StoreState:
    """A reachable store with this version's schema (or a newer one: `newer`)."""

    where: str
    revision: str
    newer: bool

    @property
    def summary(self) -> str:
        """One line for people: where it is and its schema revision."""
        how = "newer than this db-access-bot" if self.newer else "current"
        return f"{self.where}, schema at revision {self.revision} ({how})"


async def require_ready(url: str) -> StoreState:
    """The store's state when it answers and has this version's schema; SetupError otherwise."""
    current, heads, known = await _inspect(url)
    where = _where(_parsed(url))
    if current is None:
        raise SetupError(f"the state store at {where} has no schema yet; {MIGRATE}")
    if known and current not in heads:
        raise SetupError(
            f"the state store at {where} has schema revision {current}, this "
            f"version needs {', '.join(heads)}; {MIGRATE}"
        )
    # A newer schema is accepted: after a `helm rollback` the older pods must still start.
    return StoreState(where=where, revision=current, newer=not known)


def migrate(url: str, revision: str) -> str:
    """Upgrade the store's schema to revision; return where it is, for the confirmation line."""
    parsed = _parsed(url)
    file = _sqlite_file(parsed)
    if file is not None and not file.parent.is_dir():
        raise SetupError(
            f"DATABASE_URL: the directory {file.parent} of the SQLite file does not "
            "exist; create it or fix the path"
        )
    if file is None or file.exists():
        current, _, known = asyncio.run(_inspect(url))
        if not known:
            raise _newer(_where(parsed), current)
    try:
        upgrade(url, revision)
    except CommandError as exc:
        if "Can't locate revision" in str(exc) or "No such revision" in str(exc):
            raise SetupError(
                f"--revision {revision}: no such revision in this db-access-bot (use head)"
            ) from None
        raise SetupError(f"migration failed: {exc}") from None
    except Exception as exc:
        raise failure(exc, parsed) or exc from None
    return _where(parsed)
