"""Roles the bot created and nobody used for `unused_after`: deleted, if they are still its own.

A scheduler job over `provisioned_roles` rows: each due row is claimed with a lease (SKIP
LOCKED), so two replicas never delete the same role; deleting a role that is already gone
counts as done, so a crash mid-way is simply retried. The tag is checked at delete time: a
role someone took over (tag removed) or uses for more (other policies) is kept and noted.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import RoleRemoval, RoleStatus
from bot.errors import DbAccessError
from bot.steps import backoff
from bot.store.models import Grant, ProvisionedRole
from bot.store.repo import LIVE_GRANT
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
BATCH = 20


def _idle(cutoff: datetime, now: datetime) -> list[ColumnElement[bool]]:
    """Present roles with no live grant, none made or ended since cutoff, and not leased."""
    of_role = Grant.principal_arn == ProvisionedRole.arn
    last_end = select(func.max(Grant.revoked_at)).where(of_role).scalar_subquery()
    return [
        ProvisionedRole.status == RoleStatus.PRESENT,
        ProvisionedRole.last_used_at <= cutoff,
        ~exists().where(and_(of_role, Grant.status.in_(list(LIVE_GRANT)))),
        or_(last_end.is_(None), last_end <= cutoff),
        or_(ProvisionedRole.next_attempt_at.is_(None), ProvisionedRole.next_attempt_at <= now),
        or_(ProvisionedRole.claim_until.is_(None), ProvisionedRole.claim_until < now),
    ]


async def claim_unused(
    session: AsyncSession, *, owner: str, now: datetime, idle: timedelta, limit: int
) -> list[ProvisionedRole]:
    """Lease a batch of roles unused for `idle` to owner."""
    rows = list(
        await session.scalars(
            select(ProvisionedRole)
            .where(*_idle(now - idle, now))
            .order_by(ProvisionedRole.last_used_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=ProvisionedRole)
        )
    )
    for row in rows:
        row.claimed_by, row.claim_until = owner, now + LEASE
    return rows


class RoleCleanup:
    """Deletes the bot's own per-user roles after `unused_after` without a grant."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def run(self) -> int:
        """Delete every due role; returns how many were deleted (or found gone)."""
        if self._d.roles is None or self._d.catalog.identity.provision is None:
            return 0
        done = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                rows = await claim_unused(
                    session,
                    owner=self._d.owner,
                    now=now,
                    idle=self._d.catalog.unused_after,
                    limit=BATCH,
                )
            if not rows:
                return done
            for row in rows:
                done += await self._delete(row)

    async def _delete(self, row: ProvisionedRole) -> int:
        assert self._d.roles is not None
        try:
            removal = await self._d.roles.delete(account_id=row.account_id, principal_arn=row.arn)
        except DbAccessError as exc:
            await self._failed(row, exc)
            return 0
        await self._record(row, removal)
        return removal.outcome != "kept"

    async def _record(self, row: ProvisionedRole, removal: RoleRemoval) -> None:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            current = await session.get(ProvisionedRole, row.arn, with_for_update=True)
            if current is None or current.claimed_by != self._d.owner:
                return  # our lease lapsed and someone else took over: theirs to record
            current.claimed_by = current.claim_until = None
            if removal.outcome == "kept":
                current.status, current.note = RoleStatus.KEPT, removal.reason
                await self._d.audit(
                    session,
                    actor="bot",
                    action="role.kept",
                    role=row.arn,
                    for_user=row.user_id,
                    why=removal.reason,
                )
                log.warning(
                    "kept an unused role the bot may no longer delete",
                    extra={"role": row.arn, "why": removal.reason},
                )
                return
            current.status, current.deleted_at = RoleStatus.DELETED, now
            await self._d.audit(
                session,
                actor="bot",
                action="role.deleted",
                role=row.arn,
                for_user=row.user_id,
                unused_since=str(row.last_used_at),
                already_gone=removal.outcome == "gone",
            )

    async def _failed(self, row: ProvisionedRole, exc: DbAccessError) -> None:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            current = await session.get(ProvisionedRole, row.arn, with_for_update=True)
            if current is None:
                return
            current.attempts += 1
            current.last_error = str(exc)[:500]
            current.next_attempt_at = now + backoff(current.attempts)
            current.claimed_by = current.claim_until = None
            await self._d.audit(
                session,
                actor="bot",
                action="role.delete_failed",
                role=row.arn,
                attempt=current.attempts,
                error=current.last_error,
            )
        log.warning(
            "deleting an unused role failed; will retry",
            extra={"role": row.arn, "error": str(exc)[:300]},
        )
