"""The EXTEND step: re-write a live grant's policy with the later end its row already has."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import GrantStatus, StepStatus
from bot.effects import Effects
from bot.errors import DbAccessError
from bot.failpoints import boundary, reach
from bot.provisioning import LEASE, database_of, target_of
from bot.revoking import Revoker
from bot.slack.blocks import when
from bot.steps import Busy
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step
from bot.store.transactions import transaction

IAM = boundary("extend", "iam")
COMMIT = boundary("extend", "commit")


class Extending:
    """Brings IAM up to an extension the approval already wrote into the grant row.

    The row moves first (in the approving transaction, only while the grant is active), so
    the sweep never revokes an extended grant at its old end; IAM follows under the grant's
    lease, so no revocation runs in between. Until it does, IAM ends access earlier, never
    later, than the row says.
    """

    def __init__(self, deps: Deps, revoker: Revoker) -> None:
        self._d = deps
        self._revoker = revoker

    async def run(self, step: Step) -> list[Step]:
        """Write the policy with the grant's current end, then tell the holder."""
        grant = await self._lease(step)
        if grant is None:
            return []
        await reach(IAM)
        await self._d.iam.attach(database_of(self._d, grant), target_of(grant))
        await reach(COMMIT)
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            assert row is not None
            await step_store.finish(session, step=step, now=self._d.clock())
            live = row.status == GrantStatus.ACTIVE
            if live:
                row.claimed_by = row.claim_until = None
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.extended",
                    database=row.database,
                    grant_id=row.id,
                    request_id=step.request_id,
                    expires_at=str(row.expires_at),
                )
                await self._tell(
                    fx,
                    session,
                    row,
                    step,
                    f":hourglass: Grant `{row.id}` on {row.database} now lasts "
                    f"until {when(row.expires_at)}.",
                    f":hourglass: Extended grant `{row.id}` until {when(row.expires_at)}.",
                )
            await fx.flush()
        if not live:
            await self._revoker.finish(row)  # revoked meanwhile: our lease passes to it
            return []
        if self._d.on_grant_active is not None:
            result = self._d.on_grant_active(row.id, row.expires_at)
            if result is not None:
                await result
        return fx.steps

    async def _lease(self, step: Step) -> Grant | None:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            grant = await repo.get_grant(session, grant_id=step.grant_id or "", for_update=True)
            if grant is None or grant.status != GrantStatus.ACTIVE:
                # It ended before IAM caught up: the revoker removed whatever policy it had.
                await step_store.finish(session, step=step, now=now)
                return None
            me = step_store.holder(self._d.owner, step.key)
            if step_store.held_by_other(grant, owner=me, now=now):
                raise Busy(f"grant {grant.id} is held by {grant.claimed_by}")
            grant.claimed_by, grant.claim_until = me, now + LEASE
            return grant

    async def _tell(
        self, fx: Effects, session: AsyncSession, row: Grant, step: Step, text: str, note: str
    ) -> None:
        fx.dm(row.user_id, key=f"extended:{step.request_id}", request_id=step.request_id, text=text)
        request = await repo.get_request(session, request_id=step.request_id or "")
        if request is not None:
            await fx.card(request, await repo.decisions(session, request_id=request.id), note)

    async def give_up(self, step: Step, error: DbAccessError) -> list[Step]:
        """IAM would not take the new end: put the old end back and say so."""
        old_end = datetime.fromisoformat(step.payload["old_end"])
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            await step_store.finish(
                session,
                step=step,
                now=self._d.clock(),
                status=StepStatus.FAILED,
                error=str(error)[:500],
            )
            row = await repo.get_grant(session, grant_id=step.grant_id or "", for_update=True)
            if row is not None and row.status == GrantStatus.ACTIVE:
                row.expires_at, row.warned_at = old_end, None
                if row.claimed_by == step_store.holder(self._d.owner, step.key):
                    row.claimed_by = row.claim_until = None
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.extension_failed",
                    database=row.database,
                    grant_id=row.id,
                    request_id=step.request_id,
                    error=str(error)[:500],
                )
                await self._tell(
                    fx,
                    session,
                    row,
                    step,
                    (
                        f":warning: The extension of grant `{row.id}` was approved but "
                        f"could not be "
                        f"applied: {error.user_message} Your access still ends "
                        f"{when(old_end)}."
                    ),
                    f":warning: Extension failed: {error.user_message}",
                )
            await fx.flush()
        return fx.steps
