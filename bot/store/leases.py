"""Claiming rows with a lease and releasing them, keyword-only: how replicas share the work."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AccessRequest, Grant


async def claim_grants(
    session: AsyncSession,
    *,
    where: Sequence[Any],
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Grant]:
    """Lock matching unclaimed grants (SKIP LOCKED) and lease them to owner."""
    rows = list(
        await session.scalars(
            select(Grant)
            .where(*where, or_(Grant.claim_until.is_(None), Grant.claim_until < now))
            .order_by(Grant.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for grant in rows:
        grant.claimed_by, grant.claim_until = owner, now + lease
    return rows


async def claim_requests(
    session: AsyncSession,
    *,
    where: Sequence[Any],
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[AccessRequest]:
    """Lock matching unclaimed requests (SKIP LOCKED) and lease them to owner."""
    rows = list(
        await session.scalars(
            select(AccessRequest)
            .where(
                *where, or_(AccessRequest.claim_until.is_(None), AccessRequest.claim_until < now)
            )
            .order_by(AccessRequest.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for request in rows:
        request.claimed_by, request.claim_until = owner, now + lease
    return rows


async def release_grant(session: AsyncSession, *, grant_id: str, owner: str) -> None:
    """Give up owner's lease on a grant (a lease held by someone else is left alone)."""
    await session.execute(
        update(Grant)
        .where(Grant.id == grant_id, Grant.claimed_by == owner)
        .values(claimed_by=None, claim_until=None)
    )


async def release_request(session: AsyncSession, *, request_id: str, owner: str) -> None:
    """Give up owner's lease on a request (a lease held by someone else is left alone)."""
    await session.execute(
        update(AccessRequest)
        .where(AccessRequest.id == request_id, AccessRequest.claimed_by == owner)
        .values(claimed_by=None, claim_until=None)
    )
