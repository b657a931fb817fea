"""Which rows each scheduler job claims: the due conditions, leased through repo.claim_*."""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import GrantStatus, RequestStatus
from bot.store import leases
from bot.store.models import AccessRequest, Grant


def _last_used() -> ColumnElement[datetime]:
    """When a grant was last used: its last token, else when it became active."""
    return func.coalesce(Grant.last_token_at, Grant.granted_at)


async def due_revocations(
    session: AsyncSession, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Grant]:
    """Active grants past their end, and revocations whose retry time has come."""
    due = or_(
        and_(Grant.status == GrantStatus.ACTIVE, Grant.expires_at <= now),
        and_(
            Grant.status == GrantStatus.REVOKING,
            or_(Grant.next_attempt_at.is_(None), Grant.next_attempt_at <= now),
        ),
    )
    return await leases.claim_grants(
        session, where=[due], owner=owner, now=now, lease=lease, limit=limit
    )


async def expiring(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    within: timedelta,
    limit: int,
) -> list[Grant]:
    """Active grants ending within `within` whose holder was not warned yet."""
    return await leases.claim_grants(
        session,
        where=[
            Grant.status == GrantStatus.ACTIVE,
            Grant.warned_at.is_(None),
            Grant.expires_at > now,
            Grant.expires_at <= now + within,
        ],
        owner=owner,
        now=now,
        lease=lease,
        limit=limit,
    )


async def unused_to_notify(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    idle: timedelta,
    limit: int,
) -> list[Grant]:
    """Standing grants idle for `idle` whose holder was not told since they were last used."""
    return await leases.claim_grants(
        session,
        where=[
            Grant.status == GrantStatus.ACTIVE,
            Grant.standing.is_(True),
            Grant.expires_at.is_(None),
            _last_used() <= now - idle,
            or_(Grant.unused_notice_at.is_(None), Grant.unused_notice_at < _last_used()),
        ],
        owner=owner,
        now=now,
        lease=lease,
        limit=limit,
    )


async def unused_to_revoke(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    idle: timedelta,
    notice: timedelta,
    limit: int,
) -> list[Grant]:
    """Standing grants idle for `idle` whose holder was told at least `notice` ago."""
    return await leases.claim_grants(
        session,
        where=[
            Grant.status == GrantStatus.ACTIVE,
            Grant.standing.is_(True),
            Grant.expires_at.is_(None),
            _last_used() <= now - idle,
            Grant.unused_notice_at >= _last_used(),
            Grant.unused_notice_at <= now - notice,
        ],
        owner=owner,
        now=now,
        lease=lease,
        limit=limit,
    )


async def requests_to_remind(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    waited: timedelta,
    limit: int,
) -> list[AccessRequest]:
    """Pending requests that have waited `waited` without a reminder and are still open."""
    return await leases.claim_requests(
        session,
        where=[
            AccessRequest.status == RequestStatus.PENDING,
            AccessRequest.reminded_at.is_(None),
            AccessRequest.created_at <= now - waited,
            AccessRequest.expires_at > now,
        ],
        owner=owner,
        now=now,
        lease=lease,
        limit=limit,
    )


async def requests_to_expire(
    session: AsyncSession, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[AccessRequest]:
    """Pending requests past their approval timeout."""
    return await leases.claim_requests(
        session,
        where=[AccessRequest.status == RequestStatus.PENDING, AccessRequest.expires_at <= now],
        owner=owner,
        now=now,
        lease=lease,
        limit=limit,
    )
