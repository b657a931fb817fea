"""Audit-trail queries, keyword-only: recent events, counts, the CSV stream."""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.audit_chain import queue
from bot.store.models import AuditEvent


async def add_audit(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    database: str | None = None,
    request_id: str | None = None,
    grant_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an audit event; it is chained and inserted when the transaction commits."""
    queue(
        session.sync_session,
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            database=database,
            request_id=request_id,
            grant_id=grant_id,
            details=details or {},
        ),
    )


def _audit_query(query: Any, *, since: datetime, databases: Sequence[str] | None) -> Any:
    query = query.where(AuditEvent.at >= since)
    if databases is not None:
        query = query.where(AuditEvent.database.in_(list(databases)))
    return query


async def audit_events(
    session: AsyncSession,
    *,
    since: datetime,
    databases: Sequence[str] | None = None,
    limit: int = 30,
) -> list[AuditEvent]:
    """The most recent audit events since a time (of some databases only), newest first."""
    query = _audit_query(select(AuditEvent), since=since, databases=databases)
    return list(await session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


async def count_audit_events(
    session: AsyncSession,
    *,
    since: datetime,
    databases: Sequence[str] | None = None,
    at_most: int,
) -> int:
    """How many audit events audit_events would find without its limit, counted up to at_most."""
    # Counting a million rows takes seconds; past at_most the exact figure tells nobody more.
    matching = _audit_query(select(AuditEvent.id), since=since, databases=databases)
    counted = select(func.count()).select_from(matching.limit(at_most).subquery())
    return int(await session.scalar(counted) or 0)


async def stream_audit(
    session: AsyncSession, *, since: datetime | None = None, database: str | None = None
) -> AsyncIterator[AuditEvent]:
    """Every matching audit event oldest first, fetched in chunks (never all in memory)."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if database is not None:
        query = query.where(AuditEvent.database == database)
    result = await session.stream_scalars(query.execution_options(yield_per=500))
    async for event in result:
        yield event


async def audited_databases(session: AsyncSession) -> set[str]:
    """Every database the audit trail has an event of."""
    query = select(AuditEvent.database).where(AuditEvent.database.is_not(None)).distinct()
    return {name for name in (await session.scalars(query)) if name}
