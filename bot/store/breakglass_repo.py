"""State-store queries for break-glass reviews, keyword-only; callers own the session."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import ApprovalRule, Review
from bot.store.models import AccessRequest, Grant


async def record_review(
    session: AsyncSession,
    *,
    request_id: str,
    review: Review,
    by: str,
    at: datetime,
    note: str | None,
    replaces: Sequence[Review | None],
) -> bool:
    """Set a break-glass's review if it still stands at one of `replaces` (compare-and-set)."""
    allowed = [r for r in replaces if r is not None]
    standing = (
        or_(AccessRequest.review.is_(None), AccessRequest.review.in_(allowed))
        if None in replaces
        else AccessRequest.review.in_(allowed)
    )
    result = await session.execute(
        update(AccessRequest)
        .where(
            AccessRequest.id == request_id, AccessRequest.rule == ApprovalRule.BREAKGLASS, standing
        )
        .values(
            review=review,
            reviewed_by=by,
            reviewed_at=at,
            review_note=note,
            version=AccessRequest.version + 1,
        )
    )
    return result.rowcount == 1


async def fresh_request(session: AsyncSession, *, request_id: str) -> AccessRequest | None:
    """The request as the database has it now (not as this session last saw it)."""
    return await session.scalar(
        select(AccessRequest)
        .where(AccessRequest.id == request_id)
        .execution_options(populate_existing=True)
    )


async def grant_of(session: AsyncSession, *, request_id: str) -> Grant | None:
    """The grant a request made, if any."""
    return await session.scalar(
        select(Grant)
        .where(Grant.request_id == request_id)
        .order_by(Grant.created_at.desc())
        .limit(1)
    )


async def unreviewed(
    session: AsyncSession, *, databases: Sequence[str] | None = None
) -> list[AccessRequest]:
    """Break-glass nobody reviewed yet, oldest first (on some databases, when given)."""
    query = select(AccessRequest).where(
        AccessRequest.rule == ApprovalRule.BREAKGLASS, AccessRequest.review.is_(None)
    )
    if databases is not None:
        query = query.where(AccessRequest.database.in_(list(databases)))
    return list(await session.scalars(query.order_by(AccessRequest.decided_at)))
