"""The state store: async engine and sessions, and running the Alembic migrations."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

import migrations
from bot.store.audit_chain import ChainedSession


def make_engine(url: str) -> AsyncEngine:
    """An engine for url; SQLite gets a busy timeout and WAL so one writer does not fail readers."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"timeout": 5, "command_timeout": 15},
    )


def make_sessions(engine: AsyncEngine) -> async_sessionmaker:
    """Session factory whose objects stay readable after commit and whose audit rows chain."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ChainedSession)


async def ping(engine: AsyncEngine) -> None:
    """Raise if the state store does not answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to revision (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Roll migrations back to revision (blocking)."""
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Apply migrations without blocking the running loop (env.py starts its own loop)."""
    await asyncio.to_thread(upgrade, url, revision)
