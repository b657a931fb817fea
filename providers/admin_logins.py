"""Admin logins reused for a few minutes; a refused one is read again once (a rotated secret)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.catalog.database import DatabaseSpec
from bot.domain import AdminLogin
from bot.errors import DatabaseAdminError
from providers.base import AdminSecrets

T = TypeVar("T")
# Secrets Manager's own caching client keeps a value for an hour; a few minutes is enough to
# spare a burst of revocations one read each, and an IAM admin token lives 15 minutes.
TTL = 300.0


class LoginRefused(DatabaseAdminError):
    """The database refused the admin login (wrong or rotated password, or no such user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class AdminLogins:
    """Reads each database's admin login at most once per TTL, sharing a read in flight."""

    def __init__(
        self,
        secrets: AdminSecrets,
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secrets, self._ttl, self._clock = secrets, ttl, clock
        self._cached: dict[tuple[str, ...], tuple[float, AdminLogin]] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    async def connect(
        self, database: DatabaseSpec, open_with: Callable[[AdminLogin], Awaitable[T]]
    ) -> T:
        """open_with(the admin login); once more with a fresh read if a reused one is refused."""
        login, reused = await self._login(database)
        try:
            return await open_with(login)
        except LoginRefused:
            if not reused:
                raise
            # The secret may have been rotated since it was read: a fresh read decides.
            self._cached.pop(_key(database), None)
            login, _ = await self._login(database)
            return await open_with(login)

    async def _login(self, database: DatabaseSpec) -> tuple[AdminLogin, bool]:
        key = _key(database)
        # One read per database at a time: eight revocations starting together share it.
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._cached.get(key)
            if cached is not None and self._clock() < cached[0]:
                return cached[1], True
            login = await self._secrets.admin_login(database)
            self._cached[key] = (self._clock() + self._ttl, login)
            return login, False


def _key(database: DatabaseSpec) -> tuple[str, ...]:
    """A catalog reload that points a database at another secret or user reads it anew."""
    admin = database.admin
    where = (database.name, database.host, str(database.port))
    return (*where, admin.secret_arn or "", admin.iam_user or "") if admin else where
