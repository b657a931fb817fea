"""Transactions on the state store, with connectivity failures turned into StateUnavailable."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import StateUnavailable

_UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError)


def is_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, _UNREACHABLE):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(exc).__name__
    return "ConnectionDoesNotExist" in name or "CannotConnectNow" in name


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in a transaction, committed on success; StateUnavailable if the store is down."""
    try:
        async with sessions() as session, session.begin():
            yield session
    except StateUnavailable:
        raise
    except Exception as exc:
        if is_unreachable(exc) or (exc.__cause__ and is_unreachable(exc.__cause__)):
            raise StateUnavailable() from exc
        raise
