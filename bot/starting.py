"""The START step: at a scheduled grant's start, recheck it, make it active, send the link."""

import logging
from datetime import timedelta

from bot.context import Deps
from bot.domain import GrantStatus, StepStatus
from bot.effects import Effects
from bot.errors import DbAccessError
from bot.failpoints import boundary, reach
from bot.revoking import Revoker
from bot.slack.blocks import escape, when
from bot.steps import Busy
from bot.store import leases, repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
COMMIT = boundary("start", "commit")


class Starting:
    """Turns a SCHEDULED grant ACTIVE at its start, or hands it to the revoker.

    The PROVISION step made the database user and the policy ahead (IAM allows nothing before
    the start); this makes the grant active and plans its link. A policy someone removed
    meanwhile is put back by reconciliation like that of any active grant.
    """

    def __init__(self, deps: Deps, revoker: Revoker) -> None:
        self._d = deps
        self._revoker = revoker

    async def run(self, step: Step) -> list[Step]:
        """Make the grant active at its start and plan its link."""
        grant = await self._lease(step)
        if grant is None:
            return []
        now = self._d.clock()
        if grant.starts_at is not None and grant.starts_at > now:
            await self._not_yet(step, grant)
            return []
        if grant.expires_at is not None and grant.expires_at <= now:
            await self._missed(step, grant)
            return []
        await reach(COMMIT)
        return await self._activate(step, grant)

    async def _lease(self, step: Step) -> Grant | None:
        """The scheduled grant, leased here; None (step done) when it was revoked meanwhile."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            grant = await repo.get_grant(session, grant_id=step.grant_id or "", for_update=True)
            if grant is None or grant.status != GrantStatus.SCHEDULED:
                await step_store.finish(session, step=step, now=now)
                return None
            me = step_store.holder(self._d.owner, step.key)
            if step_store.held_by_other(grant, owner=me, now=now):
                raise Busy(f"grant {grant.id} is held by {grant.claimed_by}")
            grant.claimed_by, grant.claim_until = me, now + LEASE
            return grant

    async def _not_yet(self, step: Step, grant: Grant) -> None:
        """Claimed early (a replica's clock ahead of ours): come back at the start."""
        assert grant.starts_at is not None
        async with transaction(self._d.sessions) as session:
            await step_store.retry_later(
                session, step=step, at=grant.starts_at, error="claimed before its start"
            )
            await leases.release_grant(
                session, grant_id=grant.id, owner=step_store.holder(self._d.owner, step.key)
            )

    async def _missed(self, step: Step, grant: Grant) -> None:
        """The whole window passed while no replica ran: it ends without ever starting."""
        async with transaction(self._d.sessions) as session:
            await step_store.finish(session, step=step, now=self._d.clock())
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            assert row is not None
            row.status, row.revoke_reason = GrantStatus.REVOKING, "expired"
            await self._d.audit(
                session,
                actor="bot",
                action="grant.start_missed",
                database=row.database,
                grant_id=row.id,
                request_id=row.request_id,
                starts_at=str(row.starts_at),
            )
        await self._revoker.finish(row)  # under our lease: removes the policy, tells the holder

    async def _activate(self, step: Step, grant: Grant) -> list[Step]:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            assert row is not None
            await step_store.finish(session, step=step, now=now)
            revoke = row if row.status != GrantStatus.SCHEDULED else None
            if revoke is None:
                row.status, row.granted_at = GrantStatus.ACTIVE, now
                row.claimed_by = row.claim_until = None
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.active",
                    database=row.database,
                    grant_id=row.id,
                    request_id=row.request_id,
                    started=str(row.starts_at),
                    statements_logged=row.log_statements or "nothing",
                )
                fx.deliver(row, key="first", actor="bot")
                request = await repo.get_request(session, request_id=row.request_id)
                if request is not None:
                    await fx.card(
                        request,
                        await repo.decisions(session, request_id=request.id),
                        f":unlock: Started: `{row.id}` is active until {when(row.expires_at)}.",
                    )
            await fx.flush()
        if revoke is not None:
            await self._revoker.finish(revoke)  # revoked at the last moment: it holds our lease
            return []
        grant.status, grant.granted_at = GrantStatus.ACTIVE, now
        self._d.metrics.grants.labels(grant.database, grant.level).inc()
        if self._d.on_grant_active is not None:
            result = self._d.on_grant_active(grant.id, grant.expires_at)
            if result is not None:
                await result
        return fx.steps

    async def give_up(self, step: Step, error: DbAccessError) -> list[Step]:
        """It cannot start: tell the holder, then undo what was prepared."""
        now = self._d.clock()
        me = step_store.holder(self._d.owner, step.key)
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            await step_store.finish(
                session, step=step, now=now, status=StepStatus.FAILED, error=str(error)[:500]
            )
            row = await repo.get_grant(session, grant_id=step.grant_id or "", for_update=True)
            failed = row is not None and row.status == GrantStatus.SCHEDULED
            if row is not None and failed:
                row.status, row.revoke_reason = GrantStatus.REVOKING, "grant_failed"
                row.last_error = str(error)[:500]
                row.claimed_by, row.claim_until = me, now + LEASE
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.failed",
                    database=row.database,
                    grant_id=row.id,
                    request_id=row.request_id,
                    error=str(error)[:500],
                )
                fx.dm(
                    row.user_id,
                    key=f"start-failed:{row.id}",
                    request_id=row.request_id,
                    text=(
                        f":warning: Your access to `{row.database}` (grant `{row.id}`) was "
                        f"to start {when(row.starts_at)}, but it could not be set up: "
                        f"{error.user_message}"
                    ),
                )
                request = await repo.get_request(session, request_id=row.request_id)
                if request is not None:
                    await fx.card(
                        request,
                        await repo.decisions(session, request_id=request.id),
                        f":warning: Start failed: {escape(str(error))}",
                    )
            await fx.flush()
        if failed and row is not None:
            try:
                await self._revoker.finish(row)
            except DbAccessError:
                log.warning("undoing a failed start will be retried", extra={"grant_id": row.id})
        return fx.steps
