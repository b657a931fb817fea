"""Ending a grant: policy deleted, sessions ended, row marked, people told; retried until done."""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import GrantStatus, StatementLog
from bot.effects import Effects
from bot.errors import DbAccessError, NotFound
from bot.failpoints import boundary, reach
from bot.slack.blocks import escape, section, when
from bot.steps import StepRunner, backoff
from bot.store import repo
from bot.store import steps_repo as step_store
from bot.store.models import Grant, Step
from bot.store.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
REPORT_AFTER = 3  # failed attempts before people are told; retries go on regardless
REASON_TEXT = {
    "expired": "it reached its end time",
    "revoked": "it was revoked",
    "unused": "it was not used for too long",
    "grant_failed": "it could not be set up completely",
}
IAM = boundary("revoke", "iam")
DATABASE = boundary("revoke", "database")
COMMIT = boundary("revoke", "commit")
QUEUED: Literal["queued"] = "queued"
Send = Callable[[Sequence[Step]], Awaitable[None]]

__all__ = ["LEASE", "Revoked", "Revoker", "backoff"]


@dataclass(frozen=True)
class Revoked:
    """What a revocation did (queued: someone holds the grant; the sweep finishes it)."""

    grant_id: str
    already: bool = False
    queued: bool = False
    sessions_ended: int = 0

    def summary(self) -> str:
        """What the person who asked for the revocation reads."""
        if self.already:
            return f"Grant `{self.grant_id}` was already revoked."
        if self.queued:
            return (
                f":lock: Grant `{self.grant_id}` is being revoked: it is being set up or "
                "extended right now, and it ends as soon as that step lets go. You get a "
                "DM when it is done."
            )
        ended = f" {self.sessions_ended} session(s) ended." if self.sessions_ended else ""
        return f":lock: Revoked grant `{self.grant_id}`.{ended}"


class Revoker:
    """The one revoke path, for expiry, early revoke, failed grants and retries."""

    def __init__(self, deps: Deps, steps: StepRunner) -> None:
        self._d = deps
        self._steps = steps

    async def begin(
        self, grant_id: str, *, reason: str, actor: str
    ) -> Grant | Literal["queued"] | None:
        """Move a live grant to REVOKING and lease it here; None if already revoked.

        QUEUED when someone else holds the grant (it is being set up or extended): they see
        REVOKING when they finish, and the revocation happens as soon as they let go.
        """
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            grant = await repo.get_grant(session, grant_id=grant_id, for_update=True)
            if grant is None:
                raise NotFound(f"There is no grant `{grant_id}`.")
            if grant.status == GrantStatus.REVOKED:
                return None
            if grant.status != GrantStatus.REVOKING:
                grant.status, grant.revoke_reason = GrantStatus.REVOKING, reason
                grant.revoke_requested_by = actor
                grant.next_attempt_at = None
            if step_store.held_by_other(grant, owner=self._d.owner, now=now):
                return QUEUED
            grant.claimed_by, grant.claim_until = self._d.owner, now + LEASE
            return grant

    async def revoke(self, grant_id: str, *, reason: str, actor: str) -> Revoked:
        """Revoke now (or as soon as whoever holds the grant lets go)."""
        grant = await self.begin(grant_id, reason=reason, actor=actor)
        if grant is None:
            return Revoked(grant_id, already=True)
        if isinstance(grant, str):
            return Revoked(grant_id, queued=True)
        return await self.finish(grant)

    async def finish(self, grant: Grant, *, send: Send | None = None) -> Revoked:
        """Do the revocation of a grant this instance holds the lease on; failures retry.

        `send` takes the messages written with the revocation (default: sent right away).
        """
        db = self._d.catalog.database(grant.database)
        ended = 0
        try:
            if db is None:
                raise NotFound(f"database {grant.database} is no longer in the catalog")
            await reach(IAM)
            await self._d.iam.detach(db, principal_arn=grant.principal_arn, grant_id=grant.id)
            if db.admin is not None:
                async with transaction(self._d.sessions) as session:
                    others = await repo.other_live_grants(session, grant=grant, now=self._d.clock())
                if not others:
                    await reach(DATABASE)
                    if grant.log_statements not in (None, "nothing"):
                        # The user's last grant ended: its next grant starts with no logging.
                        await self._d.dbadmin.log_statements(
                            db, db_user=grant.db_user, setting=StatementLog.NONE
                        )
                    if db.terminate_sessions:
                        ended = await self._d.dbadmin.terminate_sessions(db, db_user=grant.db_user)
                    if grant.db_user_created and grant.revoke_reason == "grant_failed":
                        await self._undo_user(grant)
        except DbAccessError as exc:
            await self._failed(grant, exc)
            raise
        await reach(COMMIT)
        if not await self._done(grant, ended, send or self._steps.run_now):
            # Someone else (a user's click racing the sweep) finished it first and told people.
            return Revoked(grant.id, already=True, sessions_ended=ended)
        return Revoked(grant.id, sessions_ended=ended)

    async def _undo_user(self, grant: Grant) -> None:
        """Drop the database user a failed grant created; a leftover user is harmless."""
        db = self._d.catalog.databases[grant.database]
        try:
            await self._d.dbadmin.drop_user(db, db_user=grant.db_user)
        except DbAccessError as exc:
            # Without an IAM policy nobody can log in as it; do not hold the revocation up.
            log.warning(
                "could not drop the database user of a failed grant",
                extra={"grant_id": grant.id, "error": str(exc)[:300]},
            )

    async def _failed(self, grant: Grant, exc: DbAccessError) -> None:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None:
                return
            row.attempts += 1
            row.last_error = str(exc)[:500]
            row.next_attempt_at = now + backoff(row.attempts)
            row.claimed_by = row.claim_until = None
            await self._d.audit(
                session,
                actor="bot",
                action="grant.revoke_failed",
                database=row.database,
                grant_id=row.id,
                attempt=row.attempts,
                error=row.last_error,
            )
            if row.attempts >= REPORT_AFTER and row.failure_reported_at is None:
                row.failure_reported_at = now
                channel = self._report(fx, row)
                await self._d.audit(
                    session,
                    actor="bot",
                    action="grant.revoke_failure_reported",
                    database=row.database,
                    grant_id=row.id,
                    attempts=row.attempts,
                    channel=channel,
                )
            await fx.flush()
        self._d.metrics.revoke_failures.inc()
        log.warning("revocation failed; will retry", extra={"grant_id": grant.id})
        await self._steps.run_now(fx.steps)

    def _report(self, fx: Effects, row: Grant) -> str:
        """Tell the approvers once that a revocation keeps failing; returns the channel."""
        db = self._d.catalog.database(row.database)
        channel = db.approvals_channel if db else self._d.catalog.approvals_channel
        text = (
            f":rotating_light: Revoking access `{row.id}` (<@{row.user_id}>, "
            f"{row.level} on `{row.database}`) has failed {row.attempts} times. I keep "
            f"retrying (next attempt {when(row.next_attempt_at)}); someone may need to "
            f"look.\n*Last error:* {escape(row.last_error, 600)}"
        )
        fx.post(channel, key=f"revoke-failing:{row.id}", text=text, blocks=[section(text)])
        return channel

    async def _done(self, grant: Grant, ended: int, send: Send) -> bool:
        """Mark the grant revoked and tell people; False if it already was (one caller wins)."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None or row.status == GrantStatus.REVOKED:
                return False
            row.status, row.revoked_at, row.sessions_ended = GrantStatus.REVOKED, now, ended
            row.claimed_by = row.claim_until = row.next_attempt_at = None
            lag = (
                (now - row.expires_at).total_seconds()
                if row.expires_at and row.revoke_reason == "expired"
                else None
            )
            await self._d.audit(
                session,
                actor=row.revoke_requested_by or "bot",
                action="grant.revoked",
                database=row.database,
                grant_id=row.id,
                request_id=row.request_id,
                reason=row.revoke_reason,
                sessions_ended=ended,
                attempts=row.attempts,
                **({"lag_s": round(lag, 3)} if lag is not None else {}),
            )
            fx = Effects(self._d, session)
            await self._tell(fx, session, row, ended)
            await fx.flush()
        grant.status, grant.revoked_at, grant.revoke_reason = (row.status, now, row.revoke_reason)
        if lag is not None:
            self._d.metrics.revocation_lag.observe(max(0.0, lag))
        self._d.metrics.revocations.labels(grant.revoke_reason or "revoked").inc()
        await send(fx.steps)
        return True

    async def _tell(self, fx: Effects, session: AsyncSession, row: Grant, ended: int) -> None:
        """DM the holder and note it on the card (a failed grant was explained already)."""
        if row.revoke_reason == "grant_failed":
            return
        why = REASON_TEXT.get(row.revoke_reason or "", "it was revoked")
        if row.revoke_reason == "revoked" and row.revoke_requested_by:
            why = f"<@{row.revoke_requested_by}> revoked it"
        sessions = f" {ended} open session(s) were ended." if ended else ""
        note = (
            f":lock: Access `{row.id}` ({row.level} on `{row.database}`) ended "
            f"{when(row.revoked_at)}: {why}.{sessions}"
        )
        fx.dm(row.user_id, key=f"revoked:{row.id}", text=note, blocks=[section(note)])
        request = await repo.get_request(session, request_id=row.request_id)
        if request is not None:
            decisions = await repo.decisions(session, request_id=row.request_id)
            await fx.card(request, decisions, note)
