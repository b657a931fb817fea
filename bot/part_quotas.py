"""Auto-approval quotas for a request of several databases, each part counted on its own.

A part's quota is locked (bot/quota.py) while its filing transaction runs; the parts of one
request take their locks in one order (database, then level), so two filings that share
databases wait for each other instead of deadlocking.
"""

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.policy import ValidRequest, Verdict
from bot.quota import apply_quota, quota_guard


def _in_lock_order(parts: Sequence[ValidRequest]) -> list[int]:
    return sorted(range(len(parts)), key=lambda i: (parts[i].database.name, parts[i].level))


@contextlib.asynccontextmanager
async def quota_guards(
    user_id: str, parts: Sequence[ValidRequest], verdicts: Sequence[Verdict]
) -> AsyncIterator[None]:
    """Hold this process's lock on every quota the parts' verdicts may use."""
    async with contextlib.AsyncExitStack() as held:
        for i in _in_lock_order(parts):
            await held.enter_async_context(quota_guard(user_id, parts[i], verdicts[i]))
        yield


async def apply_quotas(
    session: AsyncSession,
    *,
    user_id: str,
    parts: Sequence[ValidRequest],
    verdicts: Sequence[Verdict],
    now: datetime,
) -> list[Verdict]:
    """Each part's verdict once its quota is counted (in lock order), in the parts' order."""
    counted = list(verdicts)
    for i in _in_lock_order(parts):
        counted[i] = await apply_quota(
            session, user_id=user_id, request=parts[i], verdict=verdicts[i], now=now
        )
    return counted
