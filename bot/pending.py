"""Pending requests over time: approvers reminded at half the timeout, expired at its end."""

import logging
from datetime import timedelta

from bot import claims, repo
from bot.blocks import approval_card, card_text, section, when
from bot.context import Deps
from bot.domain import DecisionKind, MessageRef
from bot.domain import RequestStatus as RS
from bot.durations import format_duration
from bot.errors import DbAccessError
from bot.models import AccessRequest, ApprovalDecision
from bot.transactions import transaction

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=1)
BATCH = 50


def mention(approver: str) -> str:
    """A Slack mention of a user id or a user-group id."""
    return f"<!subteam^{approver}>" if approver.startswith("S") else f"<@{approver}>"


class PendingRequests:
    """Reminds approvers once and expires requests nobody decided."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    async def run(self) -> tuple[int, int]:
        """Send due reminders and expire overdue requests; returns (reminded, expired)."""
        return await self._remind_all(), await self._expire_all()

    async def _remind_all(self) -> int:
        waited = self._d.catalog.approval_timeout / 2
        sent = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                requests = await claims.requests_to_remind(
                    session, owner=self._d.owner, now=now, lease=LEASE, waited=waited,
                    limit=BATCH)
            if not requests:
                return sent
            for request in requests:
                sent += await self._remind(request)

    async def _remind(self, request: AccessRequest) -> bool:
        async with transaction(self._d.sessions) as session:
            decided = {d.approver_id for d in await repo.decisions(session,
                                                                   request_id=request.id)}
        db = self._d.catalog.database(request.database)
        approvers = [a for a in (db.approvers if db else ())
                     if a not in decided and a != request.requester_id]
        kind = "extension request" if request.extends_grant_id else "request"
        who = "".join(f"{mention(a)} " for a in approvers)
        text = (f":bell: {who}Reminder: {kind} `{request.id}` "
                f"from <@{request.requester_id}> for `{request.level}` on `{request.database}` "
                f"({format_duration(timedelta(seconds=request.duration_s))}) still needs "
                f"{request.approvals_required - len(decided)} approval(s). It expires "
                f"{when(request.expires_at)}.")
        sent = True
        try:
            # In the card's thread, so the reminder sits with what it is about.
            await self._d.slack.post(request.card_channel or request.approvals_channel,
                                     text=text, blocks=[section(text)],
                                     thread_ts=request.card_ts)
        except DbAccessError:
            log.warning("could not remind approvers", extra={"request_id": request.id})
            sent = False
        async with transaction(self._d.sessions) as session:
            row = await repo.get_request(session, request_id=request.id)
            if row is not None and sent:
                row.reminded_at = self._d.clock()
                await self._d.audit(session, actor="bot", action="request.reminded",
                                    database=row.database, request_id=row.id,
                                    approvers=approvers)
                # Only a sent reminder gives its lease back; a failed one waits for the lease
                # to lapse instead of being reclaimed at once while Slack is down.
                await repo.release_request(session, request_id=request.id, owner=self._d.owner)
        return sent

    async def _expire_all(self) -> int:
        expired = 0
        while True:
            now = self._d.clock()
            async with transaction(self._d.sessions) as session:
                requests = await claims.requests_to_expire(session, owner=self._d.owner,
                                                           now=now, lease=LEASE, limit=BATCH)
            if not requests:
                return expired
            for request in requests:
                expired += await self._expire(request)

    async def _expire(self, request: AccessRequest) -> bool:
        """Expire by compare-and-set, so an approval that won the race stands; then tell."""
        now = self._d.clock()
        async with transaction(self._d.sessions) as session:
            won = await repo.cas_request(session, request_id=request.id, version=request.version,
                                         status=RS.EXPIRED, decided_at=now, claimed_by=None,
                                         claim_until=None)
            if won:
                await self._d.audit(session, actor="bot", action="request.expired",
                                    database=request.database, request_id=request.id,
                                    timeout=format_duration(request.expires_at
                                                            - request.created_at))
            else:
                await repo.release_request(session, request_id=request.id, owner=self._d.owner)
            decisions = await repo.decisions(session, request_id=request.id)
        if not won:
            return False
        request.status, request.decided_at = RS.EXPIRED, now
        self._d.metrics.decisions.labels("expired").inc()
        await self._tell(request, [d for d in decisions if d.decision == DecisionKind.APPROVE])
        return True

    async def _tell(self, request: AccessRequest, decisions: list[ApprovalDecision]) -> None:
        """Update the card and DM the requester; Slack trouble does not undo the expiry."""
        note = ":hourglass: No decision arrived in time; the requester was told."
        try:
            if request.card_channel and request.card_ts:
                await self._d.slack.update(MessageRef(request.card_channel, request.card_ts),
                                           text=card_text(request),
                                           blocks=approval_card(request, decisions, note))
            text = (f":hourglass: Your request `{request.id}` for `{request.level}` on "
                    f"`{request.database}` expired: no approver decided within "
                    f"{format_duration(request.expires_at - request.created_at)}. "
                    "Ask again with `/db-access` if you still need access.")
            await self._d.slack.dm(request.requester_id, text=text, blocks=[section(text)])
        except DbAccessError:
            log.warning("could not tell about an expired request",
                        extra={"request_id": request.id})
