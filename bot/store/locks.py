"""One replica at a time: PostgreSQL advisory locks held on a connection of their own."""

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.errors import StateUnavailable
from bot.store.transactions import is_unreachable


@contextlib.asynccontextmanager
async def exclusive(sessions: async_sessionmaker[AsyncSession], *, key: int) -> AsyncIterator[bool]:
    """Yield True while this process holds lock `key`, False if another holds it.

    The lock lives on an autocommit connection rather than in a transaction, so a long job
    holding it leaves no transaction open; it dies with the connection if the process does.
    SQLite serves a single replica: always True.
    """
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with contextlib.AsyncExitStack() as stack:
        try:
            conn = await stack.enter_async_context(engine.connect())
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
        except Exception as exc:
            if is_unreachable(exc) or (exc.__cause__ and is_unreachable(exc.__cause__)):
                raise StateUnavailable() from exc
            raise
        try:
            yield held
        finally:
            if held:
                # A connection that broke took the lock with it.
                with contextlib.suppress(Exception):
                    await conn.scalar(select(func.pg_advisory_unlock(key)))
