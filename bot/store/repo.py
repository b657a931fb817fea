"""State-store queries, keyword-only; callers own the session and the transaction."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import DecisionKind, GrantStatus, RequestStatus
from bot.store.models import AccessRequest, ApprovalDecision, Grant, TokenIssue

LIVE_GRANT = (GrantStatus.GRANTING, GrantStatus.ACTIVE, GrantStatus.REVOKING)


async def get_request(session: AsyncSession, *, request_id: str) -> AccessRequest | None:
    """The request with that id."""
    return await session.get(AccessRequest, request_id)


async def cas_request(
    session: AsyncSession, *, request_id: str, version: int, **values: Any
) -> bool:
    """Update a pending request only if nobody changed it since `version` was read."""
    result = await session.execute(
        update(AccessRequest)
        .where(
            AccessRequest.id == request_id,
            AccessRequest.version == version,
            AccessRequest.status == RequestStatus.PENDING,
        )
        .values(version=AccessRequest.version + 1, **values)
    )
    return result.rowcount == 1


async def decisions(session: AsyncSession, *, request_id: str) -> list[ApprovalDecision]:
    """Decisions on a request, oldest first."""
    rows = await session.scalars(
        select(ApprovalDecision)
        .where(ApprovalDecision.request_id == request_id)
        .order_by(ApprovalDecision.id)
    )
    return list(rows)


async def approvals_count(session: AsyncSession, *, request_id: str) -> int:
    """How many approve decisions a request has."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(ApprovalDecision)
            .where(
                ApprovalDecision.request_id == request_id,
                ApprovalDecision.decision == DecisionKind.APPROVE,
            )
        )
        or 0
    )


async def pending_requests(
    session: AsyncSession,
    *,
    requester_id: str | None = None,
    databases: Sequence[str] | None = None,
) -> list[AccessRequest]:
    """Pending requests, optionally of one requester or on some databases; oldest first."""
    query = select(AccessRequest).where(AccessRequest.status == RequestStatus.PENDING)
    if requester_id is not None:
        query = query.where(AccessRequest.requester_id == requester_id)
    if databases is not None:
        query = query.where(AccessRequest.database.in_(list(databases)))
    return list(await session.scalars(query.order_by(AccessRequest.created_at)))


async def pending_extension(session: AsyncSession, *, grant_id: str) -> AccessRequest | None:
    """A pending extension request for a grant, if one exists."""
    return await session.scalar(
        select(AccessRequest).where(
            AccessRequest.status == RequestStatus.PENDING,
            AccessRequest.extends_grant_id == grant_id,
        )
    )


async def get_grant(
    session: AsyncSession, *, grant_id: str, for_update: bool = False
) -> Grant | None:
    """The grant with that id (row-locked when for_update)."""
    query = select(Grant).where(Grant.id == grant_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def grants_of_user(
    session: AsyncSession, *, user_id: str, statuses: Sequence[str] = LIVE_GRANT
) -> list[Grant]:
    """A user's grants in the given statuses, soonest expiry first."""
    return list(
        await session.scalars(
            select(Grant)
            .where(Grant.user_id == user_id, Grant.status.in_(list(statuses)))
            .order_by(Grant.expires_at)
        )
    )


async def active_grant_for(
    session: AsyncSession, *, user_id: str, database: str, level: str
) -> Grant | None:
    """The user's active grant on a database at a level (latest expiry first)."""
    return await session.scalar(
        select(Grant)
        .where(
            Grant.user_id == user_id,
            Grant.database == database,
            Grant.level == level,
            Grant.status == GrantStatus.ACTIVE,
        )
        .order_by(Grant.expires_at.desc())
        .limit(1)
    )


async def other_live_grants(session: AsyncSession, *, grant: Grant, now: datetime) -> list[Grant]:
    """Other unexpired live grants giving the same database user on the same database."""
    return list(
        await session.scalars(
            select(Grant).where(
                Grant.id != grant.id,
                Grant.database == grant.database,
                Grant.db_user == grant.db_user,
                Grant.status.in_([GrantStatus.GRANTING, GrantStatus.ACTIVE]),
                or_(Grant.expires_at.is_(None), Grant.expires_at > now),
            )
        )
    )


async def add_token_issue(
    session: AsyncSession, *, grant_id: str, at: datetime, actor: str, kind: str, delivered: bool
) -> None:
    """Record that a credential was (or could not be) delivered; never the credential."""
    session.add(
        TokenIssue(grant_id=grant_id, issued_at=at, actor=actor, kind=kind, delivered=delivered)
    )


async def count_grants(session: AsyncSession, *, status: str) -> int:
    """How many grants are in a status."""
    return (
        await session.scalar(select(func.count()).select_from(Grant).where(Grant.status == status))
        or 0
    )


async def upcoming_expiries(
    session: AsyncSession, *, after: datetime, limit: int
) -> list[tuple[str, datetime]]:
    """(grant id, expires_at) of the first `limit` active grants ending after a time."""
    rows = await session.execute(
        select(Grant.id, Grant.expires_at)
        .where(Grant.status == GrantStatus.ACTIVE, Grant.expires_at > after)
        .order_by(Grant.expires_at)
        .limit(limit)
    )
    return [(gid, at) for gid, at in rows if at is not None]


async def grants_by_ids(session: AsyncSession, *, grant_ids: Sequence[str]) -> dict[str, Grant]:
    """The grants with those ids, by id (missing ids are absent)."""
    if not grant_ids:
        return {}
    rows = await session.scalars(select(Grant).where(Grant.id.in_(list(grant_ids))))
    return {grant.id: grant for grant in rows}


async def active_grants_on(
    session: AsyncSession, *, principal_arns: Sequence[str], now: datetime
) -> list[tuple[str, str, bool]]:
    """(grant id, principal ARN, whether its policy must be in IAM by now) of active grants.

    A grant's policy must be there once it was granted before `now` and has not ended.
    """
    if not principal_arns:
        return []
    due = and_(Grant.granted_at < now, or_(Grant.expires_at.is_(None), Grant.expires_at > now))
    rows = await session.execute(
        select(Grant.id, Grant.principal_arn, due).where(
            Grant.principal_arn.in_(list(principal_arns)), Grant.status == GrantStatus.ACTIVE
        )
    )
    return [(gid, arn, bool(must)) for gid, arn, must in rows]


async def principals_with_active_grants(session: AsyncSession, *, account_id: str) -> set[str]:
    """ARNs of the principals holding an active grant in an account."""
    return set(
        await session.scalars(
            select(Grant.principal_arn)
            .where(Grant.account_id == account_id, Grant.status == GrantStatus.ACTIVE)
            .distinct()
        )
    )


async def known_principals(session: AsyncSession, *, since: datetime) -> set[str]:
    """ARNs of the principals of live grants and of grants created since a time."""
    return set(
        await session.scalars(
            select(Grant.principal_arn)
            .where(or_(Grant.status.in_(list(LIVE_GRANT)), Grant.created_at >= since))
            .distinct()
        )
    )


async def bundle_parts(session: AsyncSession, *, bundle_id: str) -> list[AccessRequest]:
    """The requests (one per database) filed together as bundle_id, in the order asked."""
    rows = list(
        await session.scalars(select(AccessRequest).where(AccessRequest.bundle_id == bundle_id))
    )
    return sorted(rows, key=lambda r: int(r.id.rsplit("-", 1)[1]))


async def grants_of_requests(
    session: AsyncSession, *, request_ids: Sequence[str]
) -> dict[str, Grant]:
    """The newest grant of each of those requests, by request id."""
    if not request_ids:
        return {}
    rows = await session.scalars(
        select(Grant).where(Grant.request_id.in_(list(request_ids))).order_by(Grant.created_at)
    )
    return {grant.request_id: grant for grant in rows}


async def bundles_of_requests(
    session: AsyncSession, *, request_ids: Sequence[str]
) -> dict[str, str]:
    """For those of the requests that are part of a several-database request: its id."""
    if not request_ids:
        return {}
    rows = await session.execute(
        select(AccessRequest.id, AccessRequest.bundle_id).where(
            AccessRequest.id.in_(list(request_ids)), AccessRequest.bundle_id.is_not(None)
        )
    )
    return {request_id: bundle for request_id, bundle in rows if bundle}
