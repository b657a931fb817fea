"""Ending a grant: policy deleted, sessions ended, row marked, user told; retried until done."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import repo
from bot.blocks import approval_card, card_text, escape, section, when
from bot.context import Deps
from bot.domain import GrantStatus, MessageRef
from bot.errors import DbAccessError, NotFound
from bot.models import Grant
from bot.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
REPORT_AFTER = 3  # failed attempts before people are told; retries go on regardless
REASON_TEXT = {
    "expired": "it reached its end time",
    "revoked": "it was revoked",
    "unused": "it was not used for too long",
    "grant_failed": "it could not be set up completely",
}


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts`: 5 s, 10 s, 20 s … capped at 5 minutes."""
    return timedelta(seconds=min(300, 5 * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Revoked:
    """What a revocation did."""

    grant_id: str
    already: bool = False
    sessions_ended: int = 0


class Revoker:
    """The one revoke path, for expiry, early revoke, failed grants and retries."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def begin(self, grant_id: str, *, reason: str, actor: str) -> Grant | None:
        """Move a live grant to REVOKING and lease it to this instance; None if already done."""
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
            grant.claimed_by, grant.claim_until = self._d.owner, now + LEASE
            return grant

    async def revoke(self, grant_id: str, *, reason: str, actor: str) -> Revoked:
        """Revoke now; a failure is recorded for retry and re-raised."""
        grant = await self.begin(grant_id, reason=reason, actor=actor)
        if grant is None:
            return Revoked(grant_id, already=True)
        return await self.finish(grant)

    async def finish(self, grant: Grant) -> Revoked:
        """Do the revocation of a grant this instance holds the lease on."""
        db = self._d.catalog.database(grant.database)
        ended = 0
        try:
            if db is None:
                raise NotFound(f"database {grant.database} is no longer in the catalog")
            await self._d.iam.detach(db, principal_arn=grant.principal_arn, grant_id=grant.id)
            if db.terminate_sessions and db.admin is not None:
                async with transaction(self._d.sessions) as session:
                    others = await repo.other_live_grants(session, grant=grant,
                                                          now=self._d.clock())
                if not others:
                    ended = await self._d.dbadmin.terminate_sessions(db, db_user=grant.db_user)
        except DbAccessError as exc:
            await self._failed(grant, exc)
            raise
        if not await self._done(grant, ended):
            # Someone else (a user's click racing the sweep) finished it first and told people.
            return Revoked(grant.id, already=True, sessions_ended=ended)
        await self._tell(grant, ended)
        return Revoked(grant.id, sessions_ended=ended)

    async def _failed(self, grant: Grant, exc: DbAccessError) -> None:
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None:
                return
            row.attempts += 1
            row.last_error = str(exc)[:500]
            row.next_attempt_at = now + backoff(row.attempts)
            row.claimed_by = row.claim_until = None
            report = row.attempts >= REPORT_AFTER and row.failure_reported_at is None
            if report:
                row.failure_reported_at = now
            await self._d.audit(session, actor="bot", action="grant.revoke_failed",
                                database=row.database, grant_id=row.id, attempt=row.attempts,
                                error=row.last_error)
            attempts, retry_at, error = row.attempts, row.next_attempt_at, row.last_error
        self._d.metrics.revoke_failures.inc()
        log.warning("revocation failed; will retry", extra={"grant_id": grant.id})
        if report:
            await self._report(grant, attempts, retry_at, error)

    async def _report(self, grant: Grant, attempts: int, retry_at: datetime,
                      error: str) -> None:
        """Tell the approvers once that a revocation keeps failing; unmark if Slack fails."""
        db = self._d.catalog.database(grant.database)
        channel = db.approvals_channel if db else self._d.catalog.approvals_channel
        text = (f":rotating_light: Revoking access `{grant.id}` (<@{grant.user_id}>, "
                f"{grant.level} on `{grant.database}`) has failed {attempts} times. I keep "
                f"retrying (next attempt {when(retry_at)}); someone may need to look.\n"
                f"*Last error:* {escape(error, 600)}")
        try:
            await self._d.slack.post(channel, text=text, blocks=[section(text)])
        except DbAccessError:
            log.warning("could not report a failing revocation", extra={"grant_id": grant.id})
            async with transaction(self._d.sessions) as session:
                await repo.mark_failure_reported(session, grant_id=grant.id, at=None)
            return
        async with transaction(self._d.sessions) as session:
            await self._d.audit(session, actor="bot", action="grant.revoke_failure_reported",
                                database=grant.database, grant_id=grant.id, attempts=attempts,
                                channel=channel)

    async def _done(self, grant: Grant, ended: int) -> bool:
        """Mark the grant revoked; False if it already was (exactly one caller gets True)."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            row = await repo.get_grant(session, grant_id=grant.id, for_update=True)
            if row is None or row.status == GrantStatus.REVOKED:
                return False
            row.status, row.revoked_at, row.sessions_ended = GrantStatus.REVOKED, now, ended
            row.claimed_by = row.claim_until = row.next_attempt_at = None
            lag = (now - row.expires_at).total_seconds() \
                if row.expires_at and row.revoke_reason == "expired" else None
            await self._d.audit(session, actor=row.revoke_requested_by or "bot",
                                action="grant.revoked", database=row.database, grant_id=row.id,
                                request_id=row.request_id, reason=row.revoke_reason,
                                sessions_ended=ended, attempts=row.attempts,
                                **({"lag_s": round(lag, 3)} if lag is not None else {}))
            grant.status, grant.revoked_at, grant.revoke_reason = (row.status, now,
                                                                   row.revoke_reason)
            if lag is not None:
                self._d.metrics.revocation_lag.observe(max(0.0, lag))
        self._d.metrics.revocations.labels(grant.revoke_reason or "revoked").inc()
        return True

    async def _tell(self, grant: Grant, ended: int) -> None:
        """DM the user and note it on the card; Slack trouble must not undo a revocation."""
        why = REASON_TEXT.get(grant.revoke_reason or "", "it was revoked")
        if grant.revoke_reason == "revoked" and grant.revoke_requested_by:
            why = f"<@{grant.revoke_requested_by}> revoked it"
        sessions = f" {ended} open session(s) were ended." if ended else ""
        note = (f":lock: Access `{grant.id}` ({grant.level} on `{grant.database}`) ended "
                f"{when(grant.revoked_at)}: {why}.{sessions}")
        try:
            await self._d.slack.dm(grant.user_id, text=note, blocks=[section(note)])
            async with transaction(self._d.sessions) as session:
                request = await repo.get_request(session, request_id=grant.request_id)
                decisions = await repo.decisions(session, request_id=grant.request_id)
            if request is not None and request.card_channel and request.card_ts:
                await self._d.slack.update(MessageRef(request.card_channel, request.card_ts),
                                           text=card_text(request),
                                           blocks=approval_card(request, decisions, note))
        except DbAccessError:
            log.warning("could not tell the user about a revocation",
                        extra={"grant_id": grant.id})
