"""Auto-approval quotas: count what a person already got, under a lock, inside the filing.

Two requests filed at once must not both slip under a quota, so the count and the approval it
allows happen in one transaction holding a lock on (person, database, level): a PostgreSQL
advisory lock across replicas, and an asyncio lock within this process (SQLite serves one).
"""

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import ApprovalRule, RequestStatus
from bot.durations import format_duration
from bot.policy import Outcome, ValidRequest, Verdict
from bot.store.models import AccessRequest

_local_locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()


def window_text(per: timedelta) -> str:
    """A quota window as people say it: 7d rather than 1w."""
    days, rest = divmod(int(per.total_seconds()), 86400)
    return f"{days}d" if days and not rest else format_duration(per)


def _key(user_id: str, request: ValidRequest) -> str:
    return f"quota:{user_id}:{request.database.name}:{request.level.value}"


@contextlib.asynccontextmanager
async def quota_guard(user_id: str, request: ValidRequest, verdict: Verdict) -> AsyncIterator[None]:
    """Hold this process's lock on the quota a verdict may use, around the filing transaction."""
    if verdict.quota is None:
        yield
        return
    key = _key(user_id, request)
    lock = _local_locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _local_locks[key] = lock
    async with lock:
        yield


async def lock_quota(session: AsyncSession, *, user_id: str, request: ValidRequest) -> None:
    """Wait for, then hold until commit, the cross-replica lock on this person's quota."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite serves a single replica: quota_guard's lock is enough
    digest = hashlib.blake2b(_key(user_id, request).encode(), digest_size=8).digest()
    await session.execute(
        select(func.pg_advisory_xact_lock(int.from_bytes(digest, "big", signed=True)))
    )


async def auto_approvals_since(
    session: AsyncSession, *, user_id: str, database: str, level: str, since: datetime
) -> int:
    """Auto-approved requests (new grants and extensions, revoked or not) since a time."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(AccessRequest)
            .where(
                AccessRequest.requester_id == user_id,
                AccessRequest.database == database,
                AccessRequest.granted_level == level,
                AccessRequest.status == RequestStatus.APPROVED,
                AccessRequest.rule == ApprovalRule.AUTO,
                AccessRequest.decided_at > since,
            )
        )
        or 0
    )


async def apply_quota(
    session: AsyncSession, *, user_id: str, request: ValidRequest, verdict: Verdict, now: datetime
) -> Verdict:
    """The verdict once the quota is counted: auto-approved within it, unchanged past it."""
    quota = verdict.quota
    if quota is None:
        return verdict
    await lock_quota(session, user_id=user_id, request=request)
    used = await auto_approvals_since(
        session,
        user_id=user_id,
        database=request.database.name,
        level=request.level.value,
        since=now - quota.per,
    )
    window = window_text(quota.per)
    if used < quota.max:
        return Verdict(
            Outcome.AUTO_APPROVE,
            rule=ApprovalRule.AUTO,
            note=f"{used + 1} of {quota.max} in {window}",
        )
    spent = (
        f"your {quota.max} auto-approval(s) of {request.level.value} on "
        f"{request.database.name} in {window} are used up"
    )
    if verdict.outcome == Outcome.DENY:
        return replace(verdict, reason=f"{verdict.reason} (Auto-approval: {spent}.)")
    return replace(verdict, note=spent)
