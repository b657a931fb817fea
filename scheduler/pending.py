"""Pending requests over time: approvers reminded at half the timeout, expired at its end."""

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Deps
from bot.domain import DecisionKind
from bot.domain import RequestStatus as RS
from bot.durations import format_duration, humanize
from bot.effects import Effects
from bot.lifecycle import Lifecycle
from bot.slack.blocks import section, when
from bot.store import leases, repo
from bot.store.models import AccessRequest
from bot.store.transactions import transaction
from scheduler import claims

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=1)
BATCH = 50


def mention(approver: str) -> str:
    """A Slack mention of a user id or a user-group id."""
    return f"<!subteam^{approver}>" if approver.startswith("S") else f"<@{approver}>"


class PendingRequests:
    """Reminds approvers once and expires requests nobody decided."""

    def __init__(self, deps: Deps, lifecycle: Lifecycle | None = None) -> None:
        self._d = deps
        self._steps = (lifecycle or Lifecycle(deps)).steps

    async def run(self) -> tuple[int, int]:
        """Send due reminders and expire overdue requests; returns (reminded, expired)."""
        return await self._remind_all(), await self._expire_all()

    async def _remind_all(self) -> int:
        """Mark each due request reminded and write its reminder in one transaction."""
        waited = self._d.catalog.approval_timeout / 2
        sent = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                requests = await claims.requests_to_remind(
                    session, owner=self._d.owner, now=now, lease=LEASE, waited=waited, limit=BATCH
                )
                fx = Effects(self._d, session)
                for request in requests:
                    await self._remind(session, fx, request)
                await fx.flush()
            if not requests:
                return sent
            sent += len(requests)
            await self._steps.run_now(fx.steps)

    async def _remind(self, session: AsyncSession, fx: Effects, request: AccessRequest) -> None:
        decided = {d.approver_id for d in await repo.decisions(session, request_id=request.id)}
        db = self._d.catalog.database(request.database)
        approvers = [
            a
            for a in (db.approvers if db else ())
            if a not in decided and a != request.requester_id
        ]
        kind = "extension request" if request.extends_grant_id else "request"
        who = "".join(f"{mention(a)} " for a in approvers)
        text = (
            f":bell: {who}Reminder: {kind} `{request.id}` "
            f"from <@{request.requester_id}> for `{request.level}` on `{request.database}` "
            f"({format_duration(timedelta(seconds=request.duration_s))}) still needs "
            f"{request.approvals_required - len(decided)} approval(s). It expires "
            f"{when(request.expires_at)}."
        )
        request.reminded_at = self._d.clock()
        request.claimed_by = request.claim_until = None
        await self._d.audit(
            session,
            actor="bot",
            action="request.reminded",
            database=request.database,
            request_id=request.id,
            approvers=approvers,
        )
        # In the card's thread, so the reminder sits with what it is about.
        fx.post(
            request.card_channel or request.approvals_channel,
            key=f"remind:{request.id}",
            text=text,
            blocks=[section(text)],
            thread_of=request.id,
        )

    async def _expire_all(self) -> int:
        expired = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                requests = await claims.requests_to_expire(
                    session, owner=self._d.owner, now=now, lease=LEASE, limit=BATCH
                )
            if not requests:
                return expired
            for request in requests:
                expired += await self._expire(request)

    async def _expire(self, request: AccessRequest) -> bool:
        """Expire by compare-and-set, so an approval that won the race stands; then tell."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            fx = Effects(self._d, session)
            won = await repo.cas_request(
                session,
                request_id=request.id,
                version=request.version,
                status=RS.EXPIRED,
                decided_at=now,
                claimed_by=None,
                claim_until=None,
            )
            if not won:
                await leases.release_request(session, request_id=request.id, owner=self._d.owner)
                return False
            timeout = humanize(request.expires_at - request.created_at)  # "2d 30m", not minutes
            await self._d.audit(
                session,
                actor="bot",
                action="request.expired",
                database=request.database,
                request_id=request.id,
                timeout=timeout,
            )
            request.status, request.decided_at = RS.EXPIRED, now
            decisions = [
                d
                for d in await repo.decisions(session, request_id=request.id)
                if d.decision == DecisionKind.APPROVE
            ]
            await fx.card(
                request,
                decisions,
                ":hourglass: No decision arrived in time; the requester was told.",
            )
            text = (
                f":hourglass: Your request `{request.id}` for `{request.level}` on "
                f"`{request.database}` expired: no approver decided within {timeout}. "
                "Ask again with `/db-access` if you still need access."
            )
            fx.dm(
                request.requester_id,
                key=f"expired:{request.id}",
                request_id=request.id,
                text=text,
                blocks=[section(text)],
            )
            await fx.flush()
        self._d.metrics.decisions.labels("expired").inc()
        await self._steps.run_now(fx.steps)
        return True
